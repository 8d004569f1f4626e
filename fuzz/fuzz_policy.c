/*
 * fuzz_policy: structured.  The first bytes choose the peer (any family,
 * invalid ones included; any address, v4-mapped ones often, the special
 * source ranges on purpose; any port; how it arrived), the policy
 * (--max-size, the deny list as text or as a bitmap, subnet broadcasts, the
 * --allow list) and the datagram size; handle_datagram's verdict is then
 * checked against a slow, obviously correct reference written here from
 * the rules of udpecho-server(8), not from src/core.
 *
 * Input layout (an exhausted input reads as zeros):
 *   u8 family choice, 16 address bytes, u16 port, u32 flowinfo, u32 scope_id,
 *   u8 address shape, u8 arrival bits,
 *   u8 max-size choice [+ u8/u16/u64 operand],
 *   u8 deny choice [+ u8 length + list text | bitmap bytes],
 *   u8 broadcast count + 4 bytes each, u8 allow choice [+ prefixes | text],
 *   u8 size choice [+ i8 delta], then the datagram.
 *
 * The deny-list text also goes through policy_set_deny_ports against a
 * reference parser of the documented grammar: same accept/reject, same port
 * set, and a rejected list leaves the policy as it was.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/addr.h"
#include "udpecho/echo.h"
#include "udpecho/policy.h"

#define PORTS 65536u
#define V4_MAX 65507u /* 65,535 - 20 IPv4 - 8 UDP */
#define V6_MAX 65527u /* 65,535 - 8 UDP */
#define ITEM_MAX 15u  /* the core's old item buffer: see ref_deny_list */

/*
 * The reference policy.  The port set is kept in the layout policy.h
 * documents for deny_ports ("bitmap, bit set = drop": port p is bit p % 8 of
 * byte p / 8), so whole sets compare with one memcmp.
 */
struct ref_prefix {
	int v6;
	uint8_t addr[16];
	unsigned bits;
};

#define REF_MAX_ALLOW 64

struct ref_policy {
	size_t max_size;
	uint8_t denied[PORTS / 8];
	uint8_t broadcast[4][4];
	size_t nbroadcast;
	struct ref_prefix allow[REF_MAX_ALLOW];
	size_t nallow;
};

static void ref_set(uint8_t bitmap[PORTS / 8], uint32_t port)
{
	bitmap[port / 8] |= (uint8_t)(1u << (port % 8));
}

static int ref_denied(const uint8_t bitmap[PORTS / 8], uint32_t port)
{
	return (bitmap[port / 8] >> (port % 8)) & 1;
}

/* ---- the reference ---------------------------------------------------- */

static int ref_valid_family(const struct echo_peer *peer)
{
	return peer->family == ECHO_FAMILY_IPV4 || peer->family == ECHO_FAMILY_IPV6;
}

static int ref_v4mapped(const struct echo_peer *peer)
{
	if (peer->family != ECHO_FAMILY_IPV6)
		return 0;
	for (int i = 0; i < 10; i++) {
		if (peer->addr[i] != 0)
			return 0;
	}
	return peer->addr[10] == 0xff && peer->addr[11] == 0xff;
}

static size_t ref_family_max(const struct echo_peer *peer)
{
	if (!ref_valid_family(peer))
		return 0;
	if (peer->family == ECHO_FAMILY_IPV4 || ref_v4mapped(peer))
		return V4_MAX;
	return V6_MAX;
}

/* The IPv4 address behind a peer: its own, or the one in ::ffff:a.b.c.d; NULL if none. */
static const uint8_t *ref_ipv4(const struct echo_peer *peer)
{
	if (peer->family == ECHO_FAMILY_IPV4)
		return peer->addr;
	return ref_v4mapped(peer) ? peer->addr + 12 : NULL;
}

static int ref_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0)
			return 0;
	}
	return 1;
}

/*
 * Sources no real sender has: IPv4 0.0.0.0/8, 224.0.0.0/4, 255.255.255.255
 * and the known subnet broadcasts (also inside ::ffff:...), a v4-mapped
 * source that came in an IPv6 packet; IPv6 ff00::/8, and ::/96 but ::1.
 */
static int ref_bad_source(const struct ref_policy *ref, const struct echo_peer *peer)
{
	const uint8_t *v4 = ref_ipv4(peer);

	if (v4 != NULL) {
		if (peer->family == ECHO_FAMILY_IPV6 && peer->arrival_known && peer->arrival_ipv6)
			return 1;
		if (v4[0] == 0 || (v4[0] >= 224 && v4[0] <= 239))
			return 1;
		if (v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255)
			return 1;
		for (size_t i = 0; i < ref->nbroadcast; i++) {
			if (memcmp(v4, ref->broadcast[i], 4) == 0)
				return 1;
		}
		return 0;
	}
	if (peer->family != ECHO_FAMILY_IPV6)
		return 0;
	if (peer->addr[0] == 0xff)
		return 1;
	return ref_zero(peer->addr, 12) && !(ref_zero(peer->addr + 12, 3) && peer->addr[15] == 1);
}

/* A loopback source (127.0.0.0/8, ::1, ::ffff:127.x) known to have come in elsewhere. */
static int ref_spoofed(const struct echo_peer *peer)
{
	const uint8_t *v4 = ref_ipv4(peer);
	int loopback = v4 != NULL ? v4[0] == 127
				  : peer->family == ECHO_FAMILY_IPV6 && ref_zero(peer->addr, 15) &&
					    peer->addr[15] == 1;

	return loopback && peer->arrival_known && !peer->arrival_loopback;
}

/* Bit by bit: the first `bits` bits of a and b agree. */
static int ref_prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	for (unsigned i = 0; i < bits; i++) {
		unsigned mask = 0x80u >> (i % 8);

		if ((a[i / 8] & mask) != (b[i / 8] & mask))
			return 0;
	}
	return 1;
}

static int ref_allowed(const struct ref_policy *ref, const struct echo_peer *peer)
{
	const uint8_t *v4 = ref_ipv4(peer);

	if (ref->nallow == 0)
		return 1;
	for (size_t i = 0; i < ref->nallow; i++) {
		const struct ref_prefix *p = &ref->allow[i];

		if (!p->v6 && v4 != NULL && ref_prefix_match(v4, p->addr, p->bits))
			return 1;
		if (p->v6 && peer->family == ECHO_FAMILY_IPV6 &&
		    ref_prefix_match(peer->addr, p->addr, p->bits))
			return 1;
	}
	return 0;
}

/* The rules in the order echo.c documents: family, source, spoofing, group, allow, port, size. */
static enum echo_verdict ref_verdict(const struct ref_policy *ref, const struct echo_peer *peer,
				     size_t len)
{
	size_t limit = ref_family_max(peer);

	if (!ref_valid_family(peer))
		return ECHO_DROP_BAD_PEER;
	if (ref_bad_source(ref, peer))
		return ECHO_DROP_BAD_SOURCE;
	if (ref_spoofed(peer))
		return ECHO_DROP_SPOOFED;
	if (peer->arrival_group != 0)
		return ECHO_DROP_NOT_UNICAST;
	if (!ref_allowed(ref, peer))
		return ECHO_DROP_NOT_ALLOWED;
	if (ref_denied(ref->denied, peer->port))
		return ECHO_DROP_DENIED_PORT;
	if (ref->max_size < limit)
		limit = ref->max_size;
	if (len > limit)
		return ECHO_DROP_TOO_BIG;
	return ECHO_VERDICT_ECHO;
}

/* A port: one or more decimal digits, value 0..65535 (leading zeros allowed, as parse_port). */
static int ref_port(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > 65535)
			return -1;
	}
	*out = v;
	return 0;
}

/* item = port | port "-" port, with lo <= hi. */
static int ref_item(const char *s, size_t n, uint32_t *lo, uint32_t *hi)
{
	const char *dash = memchr(s, '-', n);

	if (dash == NULL) {
		if (ref_port(s, n, lo) != 0)
			return -1;
		*hi = *lo;
		return 0;
	}
	if (ref_port(s, (size_t)(dash - s), lo) != 0 ||
	    ref_port(dash + 1, n - (size_t)(dash - s) - 1, hi) != 0)
		return -1;
	return *lo <= *hi ? 0 : -1;
}

/*
 * The --deny-ports grammar (policy.h, README): "none", or comma-separated
 * items.  Returns 0 with set filled, or -1.  *long_item is set when the list
 * is valid but has an item longer than ITEM_MAX characters (only possible
 * with leading zeros): the core once copied items into a 16-byte buffer and
 * rejected those (corpus/policy/crash-deny-ports-long-item), so a relapse
 * gets its own check id.
 */
static int ref_deny_list(const char *text, uint8_t set[PORTS / 8], int *long_item)
{
	const char *p = text;

	memset(set, 0, PORTS / 8);
	*long_item = 0;
	if (strcmp(text, "none") == 0)
		return 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		uint32_t lo, hi;

		if (ref_item(p, n, &lo, &hi) != 0)
			return -1;
		if (n > ITEM_MAX)
			*long_item = 1;
		for (uint32_t port = lo; port <= hi; port++)
			ref_set(set, port);
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* One --allow item, "ADDR" or "ADDR/BITS": BITS decimal digits (any number), at most 32/128; no
 * host bits. */
static int ref_allow_item(const char *s, size_t n, struct ref_prefix *out)
{
	const char *slash = memchr(s, '/', n);
	size_t addr_len = slash ? (size_t)(slash - s) : n;
	char *text = fuzz_strndup((const uint8_t *)s, addr_len);
	unsigned max;
	uint64_t bits;
	int ok;

	memset(out, 0, sizeof(*out));
	ok = inet_pton(AF_INET, text, out->addr) == 1;
	if (!ok) {
		ok = inet_pton(AF_INET6, text, out->addr) == 1;
		out->v6 = 1;
	}
	free(text);
	if (!ok)
		return -1;
	max = out->v6 ? 128 : 32;
	bits = max;
	if (slash != NULL) {
		const char *d = slash + 1;
		size_t dn = n - addr_len - 1;

		if (dn == 0)
			return -1;
		bits = 0;
		for (size_t i = 0; i < dn; i++) {
			if (d[i] < '0' || d[i] > '9')
				return -1;
			bits = bits * 10 + (uint64_t)(d[i] - '0');
			if (bits > max)
				return -1;
		}
	}
	out->bits = (unsigned)bits;
	for (unsigned b = out->bits; b < max; b++) {
		if (out->addr[b / 8] & (0x80u >> (b % 8)))
			return -1;
	}
	return 0;
}

/* The --allow grammar: "none", or up to 64 comma-separated items.  0, -1, or -2 (too many). */
static int ref_allow_list(const char *text, struct ref_prefix *out, size_t *n)
{
	const char *p = text;

	*n = 0;
	if (strcmp(text, "none") == 0)
		return 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (*n == REF_MAX_ALLOW)
			return -2;
		if (ref_allow_item(p, len, &out[*n]) != 0)
			return -1;
		(*n)++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* ---- choosing the case from the input --------------------------------- */

/* Puts one of the special source ranges at the front of the address, now and then. */
static void take_shape(struct fuzz_in *in, struct echo_peer *peer)
{
	static const uint8_t v4_starts[][4] = {{0, 0, 0, 0},         {224, 0, 0, 1},
					       {239, 255, 255, 255}, {255, 255, 255, 255},
					       {127, 0, 0, 1},       {10, 0, 0, 255}};
	uint8_t shape = fuzz_u8(in);
	uint8_t *v4 = peer->family == ECHO_FAMILY_IPV6 ? peer->addr + 12 : peer->addr;

	switch (shape % 8) {
	case 1: /* IPv4 (or the inside of ::ffff:) special ranges */
		memcpy(v4, v4_starts[(shape >> 3) % 6], (shape >> 6) ? 1 : 4);
		break;
	case 2: /* ::, ::1, ::a.b.c.d */
		memset(peer->addr, 0, 12);
		if (shape & 0x10)
			memset(peer->addr + 12, 0, 3);
		break;
	case 3: /* IPv6 multicast */
		peer->addr[0] = 0xff;
		break;
	default:
		break;
	}
	peer->arrival_known = (uint8_t)(fuzz_u8(in) & 15);
	peer->arrival_loopback = (uint8_t)((peer->arrival_known >> 1) & 1);
	peer->arrival_ipv6 = (uint8_t)((peer->arrival_known >> 2) & 1);
	peer->arrival_group = (uint8_t)((peer->arrival_known >> 3) & 1);
	peer->arrival_known &= 1;
}

static void take_peer(struct fuzz_in *in, struct echo_peer *peer)
{
	uint8_t choice = fuzz_u8(in);

	memset(peer, 0, sizeof(*peer));
	fuzz_bytes(in, peer->addr, sizeof(peer->addr));
	peer->port = fuzz_u16(in);
	peer->flowinfo = fuzz_u32(in);
	peer->scope_id = fuzz_u32(in);
	switch (choice % 6) {
	case 0:
		peer->family = ECHO_FAMILY_IPV4;
		break;
	case 1:
		peer->family = ECHO_FAMILY_IPV6;
		break;
	case 2: /* an IPv4 client of a dual-stack socket */
		peer->family = ECHO_FAMILY_IPV6;
		memset(peer->addr, 0, 10);
		peer->addr[10] = 0xff;
		peer->addr[11] = 0xff;
		break;
	case 3:
		peer->family = ECHO_FAMILY_NONE;
		break;
	case 4: /* out of the enum's range */
		peer->family = (enum echo_family)(3u + (choice >> 3));
		break;
	default:
		peer->family = (enum echo_family)UINT32_MAX;
		break;
	}
	take_shape(in, peer);
}

static size_t take_max_size(struct fuzz_in *in)
{
	uint8_t choice = fuzz_u8(in);
	int delta = (int)(choice >> 3) - 16;

	switch (choice % 8) {
	case 0:
		return POLICY_MAX_SIZE_FAMILY;
	case 1:
		return (size_t)((int64_t)V4_MAX + delta);
	case 2:
		return (size_t)((int64_t)V6_MAX + delta);
	case 3:
		return fuzz_u8(in);
	case 4:
		return fuzz_u16(in);
	case 5:
		return 0;
	case 6:
		return (size_t)fuzz_u64(in);
	default:
		return POLICY_MAX_SIZE_FAMILY - (choice >> 3);
	}
}

/* A bitmap straight into the policy; its meaning (bit p%8 of byte p/8 = drop p) into ref. */
static void take_bitmap(struct fuzz_in *in, struct echo_policy *policy, struct ref_policy *ref,
			uint16_t port)
{
	uint8_t fill = fuzz_u8(in);
	size_t at = port / 8;

	memset(policy->deny_ports, fill, sizeof(policy->deny_ports));
	fuzz_bytes(in, &policy->deny_ports[at], 1);
	if (at + 1 < sizeof(policy->deny_ports))
		fuzz_bytes(in, &policy->deny_ports[at + 1], 1);
	memcpy(ref->denied, policy->deny_ports, sizeof(ref->denied));
}

/* Every port of policy against SET: one memcmp, then a search for the message. */
static int check_port_set(const struct echo_policy *policy, const uint8_t set[PORTS / 8],
			  const char *id, const char *what)
{
	char shown[1024];

	if (memcmp(set, policy->deny_ports, PORTS / 8) == 0)
		return 0;
	for (uint32_t p = 0; p < PORTS; p++) {
		int want = ref_denied(set, p);

		FUZZ_REQUIRE(!policy_port_denied(policy, (uint16_t)p) == !want, id,
			     "%s: port %u %s, reference says %s", fuzz_show(what, shown), p,
			     want ? "allowed" : "denied", want ? "denied" : "allowed");
	}
	FUZZ_REQUIRE(0, id, "%s: the bitmap has bits set beyond its ports", fuzz_show(what, shown));
	return -1;
}

/* policy_set_deny_ports(TEXT) against the reference grammar. */
static int check_deny_list(struct echo_policy *policy, struct ref_policy *ref, const char *text)
{
	uint8_t want[PORTS / 8];
	struct echo_policy before = *policy;
	char shown[1024];
	int long_item;
	int ref_rc = ref_deny_list(text, want, &long_item);
	int rc = policy_set_deny_ports(policy, text);

	FUZZ_REQUIRE(rc == 0 || rc == -EINVAL || rc == -ERANGE, "deny_ports.rc",
		     "policy_set_deny_ports('%s') returned %d", fuzz_show(text, shown), rc);
	FUZZ_REQUIRE(!(rc != 0 && ref_rc == 0 && long_item), "deny_ports.long_item",
		     "'%s' is a valid list with an item over %u characters, rejected with %d",
		     fuzz_show(text, shown), ITEM_MAX, rc);
	FUZZ_REQUIRE((rc == 0) == (ref_rc == 0), "deny_ports.accept", "'%s': core %s, reference %s",
		     fuzz_show(text, shown), rc == 0 ? "accepts" : "rejects",
		     ref_rc == 0 ? "accepts" : "rejects");
	if (rc != 0) {
		FUZZ_REQUIRE(memcmp(&before, policy, sizeof(before)) == 0, "deny_ports.unchanged",
			     "rejected list '%s' changed the policy", fuzz_show(text, shown));
		return 0;
	}
	FUZZ_REQUIRE(policy->max_size == before.max_size, "deny_ports.unchanged",
		     "setting the deny list '%s' changed max_size", fuzz_show(text, shown));
	if (check_port_set(policy, want, "deny_ports.set", text) != 0)
		return -1;
	memcpy(ref->denied, want, sizeof(want));
	/* Setting the same list again changes nothing. */
	before = *policy;
	FUZZ_REQUIRE(policy_set_deny_ports(policy, text) == 0 &&
			     memcmp(&before, policy, sizeof(before)) == 0,
		     "deny_ports.idempotent", "setting '%s' twice", fuzz_show(text, shown));
	return 0;
}

/* The default deny list, 0, 7, 13, 17, 19, 37, into ref. */
static void ref_default(struct ref_policy *ref)
{
	static const uint16_t loops[] = {0, 7, 13, 17, 19, 37};

	memset(ref->denied, 0, sizeof(ref->denied));
	for (size_t i = 0; i < sizeof(loops) / sizeof(loops[0]); i++)
		ref_set(ref->denied, loops[i]);
}

/* policy_init: the family maximum and the default list. */
static int check_default(const struct echo_policy *policy, struct ref_policy *ref)
{
	ref_default(ref);
	FUZZ_REQUIRE(policy->max_size == POLICY_MAX_SIZE_FAMILY, "policy.default",
		     "policy_init max_size %zu", policy->max_size);
	return check_port_set(policy, ref->denied, "policy.default", "policy_init");
}

/* Up to three subnet broadcasts, the first one the peer's own IPv4 address now and then. */
static int take_broadcast(struct fuzz_in *in, struct echo_policy *policy, struct ref_policy *ref,
			  const struct echo_peer *peer)
{
	uint8_t choice = fuzz_u8(in);
	const uint8_t *own = ref_ipv4(peer);

	ref->nbroadcast = 0;
	for (unsigned i = 0; i < (choice & 3u); i++) {
		uint8_t a[4];

		if (i == 0 && (choice & 0x80) && own != NULL)
			memcpy(a, own, 4);
		else
			fuzz_bytes(in, a, 4);
		FUZZ_REQUIRE(policy_add_broadcast(policy, a) == 0, "broadcast.add",
			     "policy_add_broadcast refused address %u of 3", i + 1);
		memcpy(ref->broadcast[ref->nbroadcast++], a, 4);
	}
	return 0;
}

/* A well-formed prefix from bytes: family, address, length; host bits cleared. */
static void make_prefix(struct fuzz_in *in, struct ref_prefix *p, const struct echo_peer *peer)
{
	uint8_t choice = fuzz_u8(in);
	unsigned max;

	memset(p, 0, sizeof(*p));
	p->v6 = choice & 1;
	max = p->v6 ? 128 : 32;
	if ((choice & 2) && peer->family == ECHO_FAMILY_IPV6) /* near the peer: often a match */
		memcpy(p->addr, peer->addr, p->v6 ? 16 : 4);
	else
		fuzz_bytes(in, p->addr, p->v6 ? 16 : 4);
	p->bits = fuzz_u8(in) % (max + 1);
	for (unsigned b = p->bits; b < max; b++)
		p->addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
}

/* policy_set_allow(TEXT) against the reference grammar; ref takes what was accepted. */
static int check_allow_list(struct echo_policy *policy, struct ref_policy *ref, const char *text)
{
	struct echo_policy before = *policy;
	struct ref_prefix want[REF_MAX_ALLOW];
	size_t n;
	char shown[1024];
	int ref_rc = ref_allow_list(text, want, &n);
	int rc = policy_set_allow(policy, text);

	char item[ADDR_STR_MAX], masked[ADDR_STR_MAX + 8];
	int host_bits = policy_allow_host_bits(text, item, sizeof(item), masked, sizeof(masked));
	struct echo_policy scratch;

	FUZZ_REQUIRE((rc == 0) == (ref_rc == 0), "allow.accept", "'%s': core %d, reference %d",
		     fuzz_show(text, shown), rc, ref_rc);
	/* A list said to have host bits set is refused, and the prefix suggested is accepted. */
	policy_init(&scratch);
	FUZZ_REQUIRE(!host_bits || (rc == -EINVAL && policy_set_allow(&scratch, masked) == 0),
		     "allow.host_bits", "'%s': suggested '%s'", fuzz_show(text, shown), masked);
	if (rc != 0) {
		FUZZ_REQUIRE(rc == (ref_rc == -2 ? -ENOSPC : -EINVAL), "allow.rc",
			     "'%s' rejected with %d", fuzz_show(text, shown), rc);
		FUZZ_REQUIRE(memcmp(&before, policy, sizeof(before)) == 0, "allow.unchanged",
			     "rejected allow list '%s' changed the policy", fuzz_show(text, shown));
		return 0;
	}
	FUZZ_REQUIRE(policy->nallow == n, "allow.count", "'%s': %zu prefixes, want %zu",
		     fuzz_show(text, shown), policy->nallow, n);
	for (size_t i = 0; i < n; i++) {
		const struct policy_prefix *p = &policy->allow[i];

		FUZZ_REQUIRE(p->family == (want[i].v6 ? ECHO_FAMILY_IPV6 : ECHO_FAMILY_IPV4) &&
				     p->bits == want[i].bits &&
				     memcmp(p->addr, want[i].addr, want[i].v6 ? 16 : 4) == 0,
			     "allow.prefix", "'%s': prefix %zu differs", fuzz_show(text, shown), i);
	}
	memcpy(ref->allow, want, n * sizeof(want[0]));
	ref->nallow = n;
	return 0;
}

/* The allow list: none, well-formed prefixes written out as text, or raw text. */
static int take_allow(struct fuzz_in *in, struct echo_policy *policy, struct ref_policy *ref,
		      const struct echo_peer *peer)
{
	uint8_t choice = fuzz_u8(in);
	char text[4 * (INET6_ADDRSTRLEN + 5)] = "", *raw;
	size_t used = 0, n;
	int rc;

	ref->nallow = 0;
	switch (choice % 4) {
	case 2:
		for (unsigned i = 0; i < 1u + (choice >> 2) % 4u; i++) {
			struct ref_prefix p;
			char addr[INET6_ADDRSTRLEN];

			make_prefix(in, &p, peer);
			inet_ntop(p.v6 ? AF_INET6 : AF_INET, p.addr, addr, sizeof(addr));
			used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s/%u",
						 i > 0 ? "," : "", addr, p.bits);
		}
		return check_allow_list(policy, ref, text);
	case 3:
		n = (size_t)(choice >> 2) < in->n ? (size_t)(choice >> 2) : in->n;
		raw = fuzz_strndup(in->p, n);
		in->p += n;
		in->n -= n;
		rc = check_allow_list(policy, ref, raw);
		free(raw);
		return rc;
	default:
		return 0;
	}
}

/* The deny list: the default, text on top of it, or a bitmap. */
static int take_deny(struct fuzz_in *in, struct echo_policy *policy, struct ref_policy *ref,
		     uint16_t port)
{
	uint8_t choice = fuzz_u8(in);
	size_t n;
	char *text;
	int rc;

	switch (choice % 3) {
	case 0:
		return 0;
	case 1: /* a list of up to 63 bytes, applied on top of the defaults */
		n = (size_t)(choice >> 2) < in->n ? (size_t)(choice >> 2) : in->n;
		text = fuzz_strndup(in->p, n);
		in->p += n;
		in->n -= n;
		rc = check_deny_list(policy, ref, text);
		free(text);
		return rc;
	default:
		take_bitmap(in, policy, ref, port);
		return 0;
	}
}

/* Fills policy and ref from the input. */
static int take_policy(struct fuzz_in *in, struct echo_policy *policy, struct ref_policy *ref,
		       const struct echo_peer *peer)
{
	policy_init(policy);
	if (check_default(policy, ref) != 0)
		return -1;
	ref->max_size = policy->max_size = take_max_size(in);
	if (take_deny(in, policy, ref, peer->port) != 0)
		return -1;
	if (take_broadcast(in, policy, ref, peer) != 0)
		return -1;
	return take_allow(in, policy, ref, peer);
}

/* The datagram: the rest of the input, or a made-up one just around a limit. */
static uint8_t *take_datagram(struct fuzz_in *in, size_t max_size, size_t *len)
{
	uint8_t choice = fuzz_u8(in);
	int64_t delta = (int64_t)(int8_t)fuzz_u8(in) % 24;
	int64_t n;
	uint8_t *buf;

	switch (choice % 4) {
	case 1:
		n = (int64_t)V4_MAX + delta;
		break;
	case 2:
		n = (int64_t)V6_MAX + delta;
		break;
	case 3:
		n = max_size < 2 * (size_t)V6_MAX ? (int64_t)max_size + delta : (int64_t)in->n;
		break;
	default:
		n = (int64_t)in->n;
		break;
	}
	if (n < 0)
		n = 0;
	*len = (size_t)n;
	if (*len == in->n)
		return fuzz_memdup(in->p, in->n);
	buf = fuzz_alloc(*len);
	memset(buf, choice, *len);
	return buf;
}

/* ---- the checks --------------------------------------------------------- */

static int check_peer_helpers(const struct echo_peer *peer)
{
	FUZZ_REQUIRE(echo_family_max(peer) == ref_family_max(peer), "peer.family_max",
		     "family %u mapped %d: echo_family_max %zu, want %zu", (unsigned)peer->family,
		     ref_v4mapped(peer), echo_family_max(peer), ref_family_max(peer));
	FUZZ_REQUIRE(!echo_peer_is_v4mapped(peer) == !ref_v4mapped(peer), "peer.v4mapped",
		     "family %u: echo_peer_is_v4mapped %d, want %d", (unsigned)peer->family,
		     echo_peer_is_v4mapped(peer), ref_v4mapped(peer));
	return 0;
}

static int check_names(enum echo_verdict v)
{
	static const char *const names[] = {"echo",        "bad_peer",    "bad_source",
					    "spoofed",     "not_unicast", "not_allowed",
					    "denied_port", "too_big",     "rate_limited"};
	const char *name = echo_verdict_name(v);

	FUZZ_REQUIRE(name != NULL && strcmp(name, names[v]) == 0, "verdict.name",
		     "verdict %d is named '%s', want '%s'", (int)v, name ? name : "(null)",
		     names[v]);
	name = echo_verdict_name(ECHO_VERDICT_COUNT);
	FUZZ_REQUIRE(name != NULL && strcmp(name, "unknown") == 0, "verdict.name",
		     "ECHO_VERDICT_COUNT is named '%s'", name ? name : "(null)");
	return 0;
}

static int check_verdict(const struct echo_policy *policy, const struct ref_policy *ref,
			 const struct echo_peer *peer, const uint8_t *data, size_t len)
{
	static const uint8_t garbage[1] = {0};
	struct echo_reply r = {garbage, 12345}, r2;
	enum echo_verdict want = ref_verdict(ref, peer, len);
	enum echo_verdict v = handle_datagram(policy, peer, data, len, &r);

	FUZZ_REQUIRE(v == want, "verdict.reference",
		     "family %u mapped %d port %u max_size %zu len %zu: %s, reference %s",
		     (unsigned)peer->family, ref_v4mapped(peer), peer->port, ref->max_size, len,
		     (unsigned)v < ECHO_VERDICT_COUNT ? echo_verdict_name(v) : "?",
		     echo_verdict_name(want));
	if (v == ECHO_VERDICT_ECHO) {
		FUZZ_REQUIRE(r.data == data && r.len == len, "reply.is_request",
			     "echo reply %p/%zu for request %p/%zu", (const void *)r.data, r.len,
			     (const void *)data, len);
	} else {
		FUZZ_REQUIRE(r.data == NULL && r.len == 0, "reply.empty_on_drop",
			     "drop with reply %p/%zu", (const void *)r.data, r.len);
	}
	FUZZ_REQUIRE(policy_port_denied(policy, peer->port) == ref_denied(ref->denied, peer->port),
		     "policy.port_denied", "port %u", peer->port);
	FUZZ_REQUIRE(!policy_source_bad(policy, peer) == !ref_bad_source(ref, peer) &&
			     !policy_source_spoofed(peer) == !ref_spoofed(peer) &&
			     !policy_source_allowed(policy, peer) == !ref_allowed(ref, peer),
		     "policy.rules", "family %u: a source rule disagrees with the reference",
		     (unsigned)peer->family);
	FUZZ_REQUIRE(handle_datagram(policy, peer, data, len, &r2) == v && r2.len == r.len &&
			     r2.data == r.data,
		     "verdict.pure", "a second call decided differently");
	return check_names(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ref_policy ref;
	struct fuzz_in in = {data, size};
	struct echo_policy policy;
	struct echo_peer peer;
	uint8_t *dgram;
	size_t len;

	take_peer(&in, &peer);
	if (check_peer_helpers(&peer) != 0 || take_policy(&in, &policy, &ref, &peer) != 0)
		return 0;
	dgram = take_datagram(&in, policy.max_size, &len);
	(void)check_verdict(&policy, &ref, &peer, dgram, len);
	if (len == 0)
		(void)check_verdict(&policy, &ref, &peer, NULL, 0);
	free(dgram);
	return 0;
}
