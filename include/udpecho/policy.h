/*
 * policy.h: the rules handle_datagram() applies, as plain data.
 *
 * The policy is filled once at start-up and then only read, so one policy
 * can serve every worker.  Rules that need time or state (a rate limiter)
 * will take them as arguments, keeping the core pure.
 */
#ifndef UDPECHO_POLICY_H
#define UDPECHO_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/peer.h"

/* max_size value meaning "the peer family's maximum" (the default). */
#define POLICY_MAX_SIZE_FAMILY SIZE_MAX

#define POLICY_PORT_COUNT 65536u

/*
 * Source ports dropped by default: 0 (cannot be a real sender) and the small
 * services that answer anything, which would make an echo loop
 * (RFC 862 echo 7, RFC 867 daytime 13, RFC 865 qotd 17, RFC 864 chargen 19,
 * RFC 868 time 37).
 */
#define POLICY_DEFAULT_DENY_PORTS "0,7,13,17,19,37"

/* Subnet broadcast addresses the host knows of (its interfaces'), and --allow prefixes. */
#define POLICY_MAX_BROADCAST 32
#define POLICY_MAX_ALLOW 64

struct policy_prefix {
	enum echo_family family;
	uint8_t addr[16];
	unsigned bits;
};

struct echo_policy {
	size_t max_size;
	uint8_t deny_ports[POLICY_PORT_COUNT / 8]; /* bitmap, bit set = drop */
	uint8_t broadcast[POLICY_MAX_BROADCAST][4];
	size_t nbroadcast;
	struct policy_prefix allow[POLICY_MAX_ALLOW]; /* none: every source allowed */
	size_t nallow;
};

/* The defaults: family maximum, POLICY_DEFAULT_DENY_PORTS. */
void policy_init(struct echo_policy *policy);

/*
 * Replace the deny list with LIST: "none", or comma-separated ports and
 * ranges ("7,13-19,37").  Returns 0, or -EINVAL / -ERANGE with the policy's
 * list unchanged.
 */
int policy_set_deny_ports(struct echo_policy *policy, const char *list);

int policy_port_denied(const struct echo_policy *policy, uint16_t port);

/* Add one port to the deny list: the server's own, whatever --deny-ports said. */
void policy_deny_port(struct echo_policy *policy, uint16_t port);

/* Remember a subnet broadcast address (a source no real sender has).  -ENOSPC when full. */
int policy_add_broadcast(struct echo_policy *policy, const uint8_t addr[4]);

/*
 * Replace the allow list with LIST: "none", or comma-separated CIDR prefixes
 * ("198.18.0.0/15,fd00::/8"; a bare address is a /32 or /128).  An IPv4
 * prefix also matches IPv4 clients of a dual-stack socket (::ffff:a.b.c.d).
 * Returns 0, -EINVAL, or -ENOSPC past POLICY_MAX_ALLOW; the list is unchanged
 * on failure.
 */
int policy_set_allow(struct echo_policy *policy, const char *list);

/*
 * Whether policy_set_allow refuses LIST for a prefix with host bits set
 * (10.0.0.1/8: an address or a network, which was meant?): 1 with that item
 * as given ("10.0.0.1/8") in item and the network with its host bits cleared
 * ("10.0.0.0/8") in masked, so the message can suggest it; 0 when LIST is
 * accepted or refused for another reason first.
 */
int policy_allow_host_bits(const char *list, char *item, size_t item_cap, char *masked,
			   size_t masked_cap);

/* A multicast address (224.0.0.0/4, ff00::/8) or 255.255.255.255, IPv4-mapped too. */
int policy_group_address(const struct echo_peer *peer);

/* The rules, one by one, for tests and for handle_datagram. */
int policy_source_bad(const struct echo_policy *policy, const struct echo_peer *peer);
int policy_source_spoofed(const struct echo_peer *peer);
int policy_source_allowed(const struct echo_policy *policy, const struct echo_peer *peer);

#endif
