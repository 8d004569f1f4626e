/*
 * policy.c: building the rule set handle_datagram() reads.
 */
#include "udpecho/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "udpecho/addr.h"
#include "udpecho/parse.h"

static void port_set(uint8_t *bitmap, uint16_t port)
{
	bitmap[port / 8] |= (uint8_t)(1u << (port % 8));
}

int policy_port_denied(const struct echo_policy *policy, uint16_t port)
{
	return ((policy->deny_ports[port / 8] >> (port % 8)) & 1u) != 0;
}

void policy_deny_port(struct echo_policy *policy, uint16_t port)
{
	policy->deny_ports[port / 8] |= (uint8_t)(1u << (port % 8));
}

void policy_init(struct echo_policy *policy)
{
	memset(policy, 0, sizeof(*policy));
	policy->max_size = POLICY_MAX_SIZE_FAMILY;
	/* The default list is a constant that parses; a failure here is a bug the tests catch. */
	(void)policy_set_deny_ports(policy, POLICY_DEFAULT_DENY_PORTS);
}

/* One "N" or "N-M" item of a deny list: item[0..len). */
static int parse_range(const char *item, size_t len, uint16_t *lo, uint16_t *hi)
{
	const char *dash = memchr(item, '-', len);
	int rc;

	if (dash == NULL) {
		rc = parse_port_span(item, len, lo);
		*hi = *lo;
		return rc;
	}
	rc = parse_port_span(item, (size_t)(dash - item), lo);
	if (rc == 0)
		rc = parse_port_span(dash + 1, len - (size_t)(dash - item) - 1, hi);
	if (rc == 0 && *lo > *hi)
		rc = -EINVAL;
	return rc;
}

int policy_set_deny_ports(struct echo_policy *policy, const char *list)
{
	uint8_t bitmap[POLICY_PORT_COUNT / 8];
	const char *p = list;

	memset(bitmap, 0, sizeof(bitmap));
	if (strcmp(list, "none") == 0) {
		memcpy(policy->deny_ports, bitmap, sizeof(bitmap));
		return 0;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		uint16_t lo, hi;
		int rc = parse_range(p, n, &lo, &hi);

		if (rc != 0)
			return rc;
		for (uint32_t port = lo; port <= hi; port++)
			port_set(bitmap, (uint16_t)port);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	memcpy(policy->deny_ports, bitmap, sizeof(bitmap));
	return 0;
}

int policy_add_broadcast(struct echo_policy *policy, const uint8_t addr[4])
{
	if (policy->nbroadcast == POLICY_MAX_BROADCAST)
		return -ENOSPC;
	memcpy(policy->broadcast[policy->nbroadcast++], addr, 4);
	return 0;
}

/* The IPv4 address a peer really has: its own, or the one inside ::ffff:a.b.c.d. */
static const uint8_t *ipv4_of(const struct echo_peer *peer)
{
	if (peer->family == ECHO_FAMILY_IPV4)
		return peer->addr;
	return echo_peer_is_v4mapped(peer) ? peer->addr + 12 : NULL;
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n > 0 && p[n - 1] == 0)
		n--;
	return n == 0;
}

static int ipv4_group(const uint8_t a[4])
{
	static const uint8_t limited_broadcast[4] = {255, 255, 255, 255};

	return (a[0] & 0xf0) == 224 || memcmp(a, limited_broadcast, 4) == 0;
}

int policy_group_address(const struct echo_peer *peer)
{
	const uint8_t *v4 = ipv4_of(peer);

	if (v4 != NULL)
		return ipv4_group(v4);
	return peer->family == ECHO_FAMILY_IPV6 && peer->addr[0] == 0xff;
}

static int ipv4_bad(const struct echo_policy *policy, const uint8_t a[4])
{
	/* 0.0.0.0/8 is "this network" (RFC 1122 3.2.1.3): a source only before configuration. */
	if (a[0] == 0 || ipv4_group(a))
		return 1;
	for (size_t i = 0; i < policy->nbroadcast; i++) {
		if (memcmp(a, policy->broadcast[i], 4) == 0)
			return 1;
	}
	return 0;
}

int policy_source_bad(const struct echo_policy *policy, const struct echo_peer *peer)
{
	const uint8_t *v4 = ipv4_of(peer);

	if (v4 != NULL) {
		/* A v4-mapped source inside a real IPv6 packet is a forgery (RFC 4942 2.2). */
		if (peer->family == ECHO_FAMILY_IPV6 && peer->arrival_known && peer->arrival_ipv6)
			return 1;
		return ipv4_bad(policy, v4);
	}
	if (peer->family != ECHO_FAMILY_IPV6)
		return 0;
	if (policy_group_address(peer)) /* multicast */
		return 1;
	/* ::/96 holds :: (unspecified), ::1 (loopback) and the deprecated IPv4-compatible form. */
	if (all_zero(peer->addr, 12))
		return !(all_zero(peer->addr + 12, 3) && peer->addr[15] == 1);
	return 0;
}

static int is_loopback(const struct echo_peer *peer)
{
	static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const uint8_t *v4 = ipv4_of(peer);

	if (v4 != NULL)
		return v4[0] == 127;
	return peer->family == ECHO_FAMILY_IPV6 && memcmp(peer->addr, v6_loopback, 16) == 0;
}

int policy_source_spoofed(const struct echo_peer *peer)
{
	/* Linux drops these itself (martians) unless route_localnet is set; say so if one arrives.
	 */
	return peer->arrival_known && !peer->arrival_loopback && is_loopback(peer);
}

static int prefix_match(const uint8_t *addr, const uint8_t *prefix, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(addr, prefix, whole) != 0)
		return 0;
	return rest == 0 || ((addr[whole] ^ prefix[whole]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

int policy_source_allowed(const struct echo_policy *policy, const struct echo_peer *peer)
{
	const uint8_t *v4 = ipv4_of(peer);

	if (policy->nallow == 0)
		return 1;
	for (size_t i = 0; i < policy->nallow; i++) {
		const struct policy_prefix *p = &policy->allow[i];

		if (p->family == ECHO_FAMILY_IPV4 && v4 != NULL &&
		    prefix_match(v4, p->addr, p->bits))
			return 1;
		if (p->family == ECHO_FAMILY_IPV6 && peer->family == ECHO_FAMILY_IPV6 &&
		    prefix_match(peer->addr, p->addr, p->bits))
			return 1;
	}
	return 0;
}

static int host_bits_zero(const uint8_t *addr, size_t bits, size_t max_bits)
{
	for (size_t b = bits; b < max_bits; b++) {
		if (addr[b / 8] & (0x80u >> (b % 8)))
			return 0;
	}
	return 1;
}

/*
 * "ADDR" or "ADDR/BITS", item[0..len).  Host bits must be zero: 10.0.0.1/8
 * is refused rather than widened, since it may be a typo for either the
 * address or the network.  -EDOM for that (with *out filled in), -EINVAL
 * for the rest.
 */
static int parse_prefix(const char *item, size_t len, struct policy_prefix *out)
{
	char text[64];
	const char *slash = memchr(item, '/', len);
	size_t addr_len = slash ? (size_t)(slash - item) : len;
	size_t max_bits, bits;

	if (addr_len == 0 || addr_len >= sizeof(text))
		return -EINVAL;
	memcpy(text, item, addr_len);
	text[addr_len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->addr) == 1)
		out->family = ECHO_FAMILY_IPV4;
	else if (inet_pton(AF_INET6, text, out->addr) == 1)
		out->family = ECHO_FAMILY_IPV6;
	else
		return -EINVAL;
	max_bits = out->family == ECHO_FAMILY_IPV4 ? 32 : 128;
	bits = max_bits;
	if (slash != NULL && parse_size_span(slash + 1, len - addr_len - 1, max_bits, &bits) != 0)
		return -EINVAL;
	out->bits = (unsigned)bits;
	return host_bits_zero(out->addr, bits, max_bits) ? 0 : -EDOM;
}

/*
 * Parses LIST into parsed[] and *n.  On failure, *at and *len say which
 * item failed and parsed[*n] is what was made of it (for -EDOM).
 */
static int parse_allow(const char *list, struct policy_prefix *parsed, size_t *n, const char **at,
		       size_t *len)
{
	const char *p = list;

	*n = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		int rc;

		*at = p;
		*len = comma ? (size_t)(comma - p) : strlen(p);
		if (*n == POLICY_MAX_ALLOW)
			return -ENOSPC;
		rc = parse_prefix(p, *len, &parsed[*n]);
		if (rc != 0)
			return rc;
		(*n)++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

int policy_set_allow(struct echo_policy *policy, const char *list)
{
	struct policy_prefix parsed[POLICY_MAX_ALLOW];
	size_t n = 0, len = 0;
	const char *at = NULL;
	int rc;

	if (strcmp(list, "none") == 0) {
		policy->nallow = 0;
		return 0;
	}
	rc = parse_allow(list, parsed, &n, &at, &len);
	if (rc != 0)
		return rc == -EDOM ? -EINVAL : rc;
	memcpy(policy->allow, parsed, n * sizeof(parsed[0]));
	policy->nallow = n;
	return 0;
}

int policy_allow_host_bits(const char *list, char *item, size_t item_cap, char *masked,
			   size_t masked_cap)
{
	struct policy_prefix parsed[POLICY_MAX_ALLOW];
	struct echo_peer net = {0};
	struct policy_prefix *p;
	size_t n = 0, len = 0, max_bits;
	const char *at = NULL;
	char host[ADDR_STR_MAX];

	if (strcmp(list, "none") == 0 || parse_allow(list, parsed, &n, &at, &len) != -EDOM)
		return 0;
	p = &parsed[n];
	max_bits = p->family == ECHO_FAMILY_IPV4 ? 32 : 128;
	for (size_t b = p->bits; b < max_bits; b++)
		p->addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	net.family = p->family;
	memcpy(net.addr, p->addr, sizeof(net.addr));
	addr_format_host(host, sizeof(host), &net);
	snprintf(item, item_cap, "%.*s", (int)len, at);
	snprintf(masked, masked_cap, "%s/%u", host, p->bits);
	return 1;
}
