/*
 * echo.h: the pure heart of udpecho.
 *
 * handle_datagram() decides what happens to one received datagram and says
 * what to send back.  It touches no socket, no clock and no global: the
 * server loop, the unit tests and the fuzz harnesses all call it, so what is
 * fuzzed is what runs.
 *
 * Invariants (asserted by tests and fuzzers on every input):
 *   - an echo reply is byte-for-byte the request;
 *   - a reply is never longer than its request (no amplification);
 *   - the verdict is a pure function of the arguments.
 */
#ifndef UDPECHO_ECHO_H
#define UDPECHO_ECHO_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/peer.h"

/* In the order the rules apply: the first that matches decides. */
enum echo_verdict {
	ECHO_VERDICT_ECHO = 0,
	ECHO_DROP_BAD_PEER,     /* no usable address family */
	ECHO_DROP_BAD_SOURCE,   /* a source no real sender has: unspecified, multicast, broadcast,
				   0.0.0.0/8, IPv4-compatible, or v4-mapped inside an IPv6 packet */
	ECHO_DROP_SPOOFED,      /* a loopback source that arrived on another interface */
	ECHO_DROP_NOT_UNICAST,  /* sent to a broadcast or multicast address (a Fraggle attack) */
	ECHO_DROP_NOT_ALLOWED,  /* outside the --allow prefixes */
	ECHO_DROP_DENIED_PORT,  /* source port in the deny list (loops) */
	ECHO_DROP_TOO_BIG,      /* larger than --max-size or the family maximum */
	ECHO_DROP_RATE_LIMITED, /* over its source's --rate-limit (echo_decide only) */
	ECHO_VERDICT_COUNT
};

/* What to send back: a view into the request, never a copy. */
struct echo_reply {
	const uint8_t *data;
	size_t len;
};

struct echo_policy;

/*
 * Decide one datagram.  On ECHO_VERDICT_ECHO, *reply names the bytes to send;
 * on a drop, *reply is empty.  data may be NULL when len is 0.
 */
enum echo_verdict handle_datagram(const struct echo_policy *policy, const struct echo_peer *peer,
				  const uint8_t *data, size_t len, struct echo_reply *reply);

/*
 * The stateful rules after the stateless ones: handle_datagram, then, for a
 * datagram it would echo, the per-source rate limiter (NULL: none) at time
 * now_us, which the caller passes in.  The server calls this.
 */
struct ratelimit;
enum echo_verdict echo_decide(const struct echo_policy *policy, struct ratelimit *limiter,
			      uint64_t now_us, const struct echo_peer *peer, const uint8_t *data,
			      size_t len, struct echo_reply *reply);

/*
 * The stateful rule alone: a datagram the stateless rules echo (verdict)
 * spends a token of its source's bucket, or is ECHO_DROP_RATE_LIMITED.
 * Any other verdict passes through and spends nothing.
 */
enum echo_verdict echo_limit(enum echo_verdict verdict, struct ratelimit *limiter, uint64_t now_us,
			     const struct echo_peer *peer);

/*
 * "echo", "bad_peer", "bad_source", "spoofed", "not_allowed", "denied_port",
 * "too_big", "rate_limited": stable names for logs and counters.
 */
const char *echo_verdict_name(enum echo_verdict verdict);

#endif
