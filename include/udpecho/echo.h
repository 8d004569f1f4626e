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

/* 65,535 (IPv4 total length) - 20 (IPv4 header) - 8 (UDP header). */
#define ECHO_MAX_PAYLOAD_V4 65507u
/* 65,535 (IPv6 payload length, no jumbograms) - 8 (UDP header). */
#define ECHO_MAX_PAYLOAD_V6 65527u
/* The largest datagram any family can carry: the receive buffer's floor. */
#define ECHO_MAX_PAYLOAD ECHO_MAX_PAYLOAD_V6

enum echo_family {
	ECHO_FAMILY_NONE = 0,
	ECHO_FAMILY_IPV4,
	ECHO_FAMILY_IPV6,
};

/*
 * Who sent a datagram, as plain data (the net layer converts sockaddrs).
 * IPv4 addresses use addr[0..3]; IPv6 uses all 16 bytes, network order.
 * flowinfo and scope_id are kept so that addresses print as Python does.
 * How it arrived is known when the socket reports it (PKTINFO): whether on
 * the loopback interface, and whether as an IPv6 packet (an IPv4 client of
 * a dual-stack socket arrives as IPv4 and shows as ::ffff:a.b.c.d).
 */
struct echo_peer {
	enum echo_family family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t flowinfo;
	uint32_t scope_id;
	uint8_t arrival_known;
	uint8_t arrival_loopback;
	uint8_t arrival_ipv6;
	/* Sent to a broadcast or multicast address, as the kernel routed it. */
	uint8_t arrival_group;
};

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
 * "echo", "bad_peer", "bad_source", "spoofed", "not_allowed", "denied_port",
 * "too_big", "rate_limited": stable names for logs and counters.
 */
const char *echo_verdict_name(enum echo_verdict verdict);

/* 65,507 for IPv4 and v4-mapped IPv6 peers, 65,527 for IPv6, 0 otherwise. */
size_t echo_family_max(const struct echo_peer *peer);

/* True for ::ffff:a.b.c.d, an IPv4 client seen on a dual-stack socket. */
int echo_peer_is_v4mapped(const struct echo_peer *peer);

#endif
