/*
 * counters.h: what a server has done, counted per worker and summed, and
 * the one-line summary udpecho-server prints from them.  Plain data: the
 * planner (batch.h) counts decisions, the serve loop what the kernel did.
 *
 * Invariant: received == echoed + every drop + truncated + send_errors.
 */
#ifndef UDPECHO_COUNTERS_H
#define UDPECHO_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/echo.h"

struct serve_counters {
	uint64_t received;                    /* datagrams read from the socket */
	uint64_t bytes_in;                    /* their payload bytes */
	uint64_t echoed;                      /* replies the kernel accepted */
	uint64_t bytes_out;                   /* their payload bytes */
	uint64_t dropped[ECHO_VERDICT_COUNT]; /* by echo_decide's reason */
	uint64_t truncated;                   /* larger than the receive buffer: never echoed */
	uint64_t send_errors;                 /* replies decided but refused by the kernel */
	uint64_t recv_errors;  /* receive calls that failed (ICMP reports among them) */
	uint64_t kernel_drops; /* datagrams the kernel dropped before we read them (full
				  receive buffer) for the socket's life; not in received */
};

/* total += c, counter by counter. */
void serve_counters_add(struct serve_counters *total, const struct serve_counters *c);

/* Every datagram received and not echoed: the drops, truncated and send_errors. */
uint64_t serve_dropped_total(const struct serve_counters *counters);

/*
 * One line, no newline: "summary: received=3 bytes_in=84 echoed=3
 * bytes_out=84 dropped=0 bad_peer=0 ... kernel_drops=0".
 */
void serve_format_summary(char *out, size_t cap, const struct serve_counters *counters);

#endif
