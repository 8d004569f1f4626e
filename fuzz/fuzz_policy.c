/*
 * fuzz_policy: structured.  The first bytes choose the peer (any family,
 * invalid ones included; any address, v4-mapped ones often; any port), the
 * policy (--max-size, the deny list as text or as a bitmap) and the datagram
 * size; handle_datagram's verdict is then checked against a slow, obviously
 * correct reference written here from DESIGN.md, not from src/core.
 *
 * Input layout (an exhausted input reads as zeros):
 *   u8 family choice, 16 address bytes, u16 port, u32 flowinfo, u32 scope_id,
 *   u8 max-size choice [+ u8/u16/u64 operand],
 *   u8 deny choice [+ u8 length + list text | bitmap bytes],
 *   u8 size choice [+ i8 delta], then the datagram.
 *
 * The deny-list text also goes through policy_set_deny_ports against a
 * reference parser of the documented grammar: same accept/reject, same port
 * set, and a rejected list leaves the policy as it was.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/echo.h"
#include "udpecho/policy.h"

#define PORTS 65536u
#define V4_MAX 65507u /* DESIGN.md: 65,535 - 20 IPv4 - 8 UDP */
#define V6_MAX 65527u /* DESIGN.md: 65,535 - 8 UDP */
#define ITEM_MAX 15u  /* the core's old item buffer: see ref_deny_list */

/*
 * The reference policy.  The port set is kept in the layout policy.h
 * documents for deny_ports ("bitmap, bit set = drop": port p is bit p % 8 of
 * byte p / 8), so whole sets compare with one memcmp.
 */
struct ref_policy {
	size_t max_size;
	uint8_t denied[PORTS / 8];
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

/* The rules in the order echo.c applies them: family, then port, then size. */
static enum echo_verdict ref_verdict(const struct ref_policy *ref, const struct echo_peer *peer,
				     size_t len)
{
	size_t limit = ref_family_max(peer);

	if (!ref_valid_family(peer))
		return ECHO_DROP_BAD_PEER;
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

/* ---- choosing the case from the input --------------------------------- */

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

/* The default list of DESIGN.md, 0, 7, 13, 17, 19, 37, into ref. */
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

/* Fills policy and ref from the input. */
static int take_policy(struct fuzz_in *in, struct echo_policy *policy, struct ref_policy *ref,
		       uint16_t port)
{
	uint8_t choice;
	size_t n;
	char *text;
	int rc;

	policy_init(policy);
	if (check_default(policy, ref) != 0)
		return -1;
	ref->max_size = policy->max_size = take_max_size(in);
	choice = fuzz_u8(in);
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
	static const char *const names[] = {"echo", "too_big", "denied_port", "bad_peer"};
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
	if (check_peer_helpers(&peer) != 0 || take_policy(&in, &policy, &ref, peer.port) != 0)
		return 0;
	dgram = take_datagram(&in, policy.max_size, &len);
	(void)check_verdict(&policy, &ref, &peer, dgram, len);
	if (len == 0)
		(void)check_verdict(&policy, &ref, &peer, NULL, 0);
	free(dgram);
	return 0;
}
