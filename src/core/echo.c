/*
 * echo.c: handle_datagram, the decision every datagram goes through.
 */
#include "udpecho/echo.h"

#include <string.h>

#include "udpecho/policy.h"
#include "udpecho/ratelimit.h"

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int echo_peer_is_v4mapped(const struct echo_peer *peer)
{
	return peer->family == ECHO_FAMILY_IPV6 &&
	       memcmp(peer->addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0;
}

size_t echo_family_max(const struct echo_peer *peer)
{
	switch (peer->family) {
	case ECHO_FAMILY_IPV4:
		return ECHO_MAX_PAYLOAD_V4;
	case ECHO_FAMILY_IPV6:
		/* A v4-mapped peer's datagrams travel as IPv4. */
		return echo_peer_is_v4mapped(peer) ? ECHO_MAX_PAYLOAD_V4 : ECHO_MAX_PAYLOAD_V6;
	case ECHO_FAMILY_NONE:
	default:
		return 0;
	}
}

const char *echo_verdict_name(enum echo_verdict verdict)
{
	static const char *const names[ECHO_VERDICT_COUNT] = {
		[ECHO_VERDICT_ECHO] = "echo",
		[ECHO_DROP_BAD_PEER] = "bad_peer",
		[ECHO_DROP_BAD_SOURCE] = "bad_source",
		[ECHO_DROP_SPOOFED] = "spoofed",
		[ECHO_DROP_NOT_UNICAST] = "not_unicast",
		[ECHO_DROP_NOT_ALLOWED] = "not_allowed",
		[ECHO_DROP_DENIED_PORT] = "denied_port",
		[ECHO_DROP_TOO_BIG] = "too_big",
		[ECHO_DROP_RATE_LIMITED] = "rate_limited",
	};

	return (unsigned)verdict < ECHO_VERDICT_COUNT ? names[verdict] : "unknown";
}

static size_t size_limit(const struct echo_policy *policy, const struct echo_peer *peer)
{
	size_t family_max = echo_family_max(peer);

	return policy->max_size < family_max ? policy->max_size : family_max;
}

/* The stateless rules, in the order of enum echo_verdict: the first that matches decides. */
static enum echo_verdict decide(const struct echo_policy *policy, const struct echo_peer *peer,
				size_t len)
{
	if (peer->family != ECHO_FAMILY_IPV4 && peer->family != ECHO_FAMILY_IPV6)
		return ECHO_DROP_BAD_PEER;
	if (policy_source_bad(policy, peer))
		return ECHO_DROP_BAD_SOURCE;
	if (policy_source_spoofed(peer))
		return ECHO_DROP_SPOOFED;
	/* One request to a group would draw one reply from every echo server in it. */
	if (peer->arrival_group)
		return ECHO_DROP_NOT_UNICAST;
	if (!policy_source_allowed(policy, peer))
		return ECHO_DROP_NOT_ALLOWED;
	if (policy_port_denied(policy, peer->port))
		return ECHO_DROP_DENIED_PORT;
	if (len > size_limit(policy, peer))
		return ECHO_DROP_TOO_BIG;
	return ECHO_VERDICT_ECHO;
}

enum echo_verdict handle_datagram(const struct echo_policy *policy, const struct echo_peer *peer,
				  const uint8_t *data, size_t len, struct echo_reply *reply)
{
	enum echo_verdict verdict = decide(policy, peer, len);

	/* RFC 862: "send back any data it receives", the empty datagram included. */
	if (verdict == ECHO_VERDICT_ECHO) {
		reply->data = data;
		reply->len = len;
	} else {
		reply->data = NULL;
		reply->len = 0;
	}
	return verdict;
}

enum echo_verdict echo_limit(enum echo_verdict verdict, struct ratelimit *limiter, uint64_t now_us,
			     const struct echo_peer *peer)
{
	/* Only datagrams that would be echoed spend tokens: drops cost an attacker nothing here. */
	if (verdict == ECHO_VERDICT_ECHO && limiter != NULL &&
	    !ratelimit_allow(limiter, peer, now_us))
		return ECHO_DROP_RATE_LIMITED;
	return verdict;
}

enum echo_verdict echo_decide(const struct echo_policy *policy, struct ratelimit *limiter,
			      uint64_t now_us, const struct echo_peer *peer, const uint8_t *data,
			      size_t len, struct echo_reply *reply)
{
	enum echo_verdict verdict =
		echo_limit(handle_datagram(policy, peer, data, len, reply), limiter, now_us, peer);

	if (verdict != ECHO_VERDICT_ECHO) {
		reply->data = NULL;
		reply->len = 0;
	}
	return verdict;
}
