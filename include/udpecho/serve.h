/*
 * serve.h: the server loop.  It owns the receive buffer and the syscalls;
 * every datagram goes through handle_datagram(), which owns the decision.
 */
#ifndef UDPECHO_SERVE_H
#define UDPECHO_SERVE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "udpecho/echo.h"
#include "udpecho/policy.h"

struct serve_counters {
	uint64_t received;                    /* datagrams read from the socket */
	uint64_t bytes_in;                    /* their payload bytes */
	uint64_t echoed;                      /* replies the kernel accepted */
	uint64_t bytes_out;                   /* their payload bytes */
	uint64_t dropped[ECHO_VERDICT_COUNT]; /* by handle_datagram's reason */
	uint64_t truncated;                   /* larger than the receive buffer: never echoed */
	uint64_t send_errors;                 /* replies decided but refused by the kernel */
	uint64_t recv_errors; /* receive calls that failed (ICMP reports among them) */
};

struct ratelimit;

struct serve_config {
	const struct echo_policy *policy;
	struct ratelimit *limiter; /* --rate-limit, or NULL; used by this loop only */
	FILE *transcript;          /* the classic -v transcript, or NULL */
	unsigned loopback_ifindex; /* to tell a spoofed loopback source; 0: unknown */
};

/*
 * Serve fd until *stop becomes non-zero.  Signals in waitmask's complement
 * are expected to be blocked by the caller; they are let through only while
 * the loop sleeps, so a stop request is never lost between a check and a
 * sleep.  Returns 0 on a requested stop, -errno on a fatal error.
 */
int serve_run(int fd, const struct serve_config *config, struct serve_counters *counters,
	      const volatile sig_atomic_t *stop, const sigset_t *waitmask);

/* One line: "summary: received=3 bytes_in=84 echoed=3 ..." (no newline). */
void serve_format_summary(char *out, size_t cap, const struct serve_counters *counters);

/* received == echoed + every drop + truncated + send_errors. */
uint64_t serve_dropped_total(const struct serve_counters *counters);

#endif
