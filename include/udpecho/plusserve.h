/*
 * plusserve.h: the per-process state of a UDPEchoPlus responder
 * (udpecho-server --echo-plus): the answered and failure counters and the
 * microsecond clock's origin.  One instance per process, shared by every
 * worker thread: the counters are atomics, so TestRespSN values are unique
 * and every worker's replies count towards the same totals.
 *
 * The serve loop calls plusserve_stamp() on each reply just before handing
 * it to the kernel, and plusserve_failed() for each request of 20 bytes or
 * more that passed the source rules but will not be answered (too big, rate
 * limited, refused by the kernel).  The byte layout is echoplus.h's.
 */
#ifndef UDPECHO_PLUSSERVE_H
#define UDPECHO_PLUSSERVE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct plusserve {
	atomic_uint_least32_t answered; /* the next reply's TestRespSN */
	atomic_uint_least32_t failures; /* TestRespReplyFailureCount */
	uint64_t start_us;              /* CLOCK_MONOTONIC at service start */
};

/* Counters to 0, the clock's origin to now. */
void plusserve_init(struct plusserve *ps);

/* Microseconds since service start on the wrapping 32-bit counter. */
uint32_t plusserve_now(const struct plusserve *ps);

/*
 * Rewrite one reply in place (data is the request, about to be sent back):
 * takes the next TestRespSN, writes recv_ts, reply_ts and the current
 * failure count.  Returns 1 when rewritten, 0 for a datagram under 20 bytes
 * (a plain echo request, left alone and not counted).
 */
int plusserve_stamp(struct plusserve *ps, uint8_t *data, size_t len, uint32_t recv_ts,
		    uint32_t reply_ts);

/* A request of len bytes that will not be answered: counted when len >= 20. */
void plusserve_failed(struct plusserve *ps, size_t len);

#endif
