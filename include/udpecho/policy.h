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

struct echo_policy {
	size_t max_size;
	uint8_t deny_ports[POLICY_PORT_COUNT / 8]; /* bitmap, bit set = drop */
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

#endif
