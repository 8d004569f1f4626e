/*
 * policy.c: building the rule set handle_datagram() reads.
 */
#include "udpecho/policy.h"

#include <errno.h>
#include <string.h>

#include "udpecho/parse.h"

static void port_set(uint8_t *bitmap, uint16_t port)
{
	bitmap[port / 8] |= (uint8_t)(1u << (port % 8));
}

int policy_port_denied(const struct echo_policy *policy, uint16_t port)
{
	return ((policy->deny_ports[port / 8] >> (port % 8)) & 1u) != 0;
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
