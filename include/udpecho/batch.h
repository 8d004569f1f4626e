/*
 * batch.h: the server's reply planner, and the rhythm of its receives.
 *
 * The serve loop receives messages in batches (recvmmsg).  A message is one
 * datagram or, with UDP_GRO, a run of datagrams from one sender, every one
 * of the run's segment size but the last, which may be shorter.  The
 * planner decides each datagram on its own (echo.h), counts it
 * (counters.h), and plans the replies of the echoed ones as messages to
 * send.  Consecutive replies on one route become one UDP_SEGMENT (GSO)
 * message while:
 *   - every datagram but the last has the first's length (the segment
 *     size), and the last is not longer;
 *   - none is empty (an empty datagram would be no segment at all);
 *   - there are at most BATCH_MAX_SEGMENTS, together within the family's
 *     maximum, and the segment size is one the path has not refused.
 * A reply is a view into its request, never a copy: an echo is the whole
 * request itself (echo.h's first invariant).
 *
 * The loop turns a plan into msghdrs and sends it.  What the kernel refused
 * comes back as data (batch_refused), and the plan says what follows.  The
 * planner does no I/O: unit tests and fuzz_batch drive it with plain data.
 */
#ifndef UDPECHO_BATCH_H
#define UDPECHO_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/counters.h"
#include "udpecho/echo.h"
#include "udpecho/peer.h"

/* The kernel's UDP_MAX_SEGMENTS (64 since Linux 4.18; more on newer kernels): never exceeded. */
#define BATCH_MAX_SEGMENTS 64u
/* Spans (iovecs) one plan holds: then it must be sent. */
#define BATCH_SPANS 64u
/*
 * A path refusing UDP_SEGMENT sends of this size or less refuses GSO
 * itself (IPsec): every IPv4 path carries 576-byte packets.
 */
#define BATCH_GSO_MIN_SEG 548u

/*
 * Where a reply goes and where it leaves from, as the socket layer holds
 * them: the destination's address bytes (a sockaddr) and the reply's source
 * (its PKTINFO control message; none on a specific bind).  Two routes with
 * the same bytes are one route.  The peer gives the family maximum.
 */
struct batch_route {
	const struct echo_peer *peer;
	const void *name;
	const void *source;
	uint32_t namelen;
	uint32_t sourcelen;
};

/* One received message. */
struct batch_msg {
	const struct batch_route *route;
	const uint8_t *data; /* its bytes (may be NULL when len is 0) */
	size_t len;          /* its length */
	size_t captured;     /* how many of them the buffer holds: fewer is a truncation */
	size_t seg;          /* UDP_GRO segment size; 0: one datagram */
	unsigned slot;       /* the caller's name for it, handed back in spans */
};

/* Reply bytes contiguous in one received message: one iovec. */
struct batch_span {
	unsigned slot;
	size_t off, len;
};

/* One message to send: spans[first .. first + nspans) of its plan, on route. */
struct batch_send {
	const struct batch_route *route;
	unsigned first, nspans;
	unsigned segs; /* datagrams in it */
	size_t seg;    /* the first's length: every one but the last has it (UDP_SEGMENT's value) */
	size_t last;   /* the last one's length */
	size_t bytes;  /* all of them */
};

struct batch_plan {
	struct batch_span spans[BATCH_SPANS];
	struct batch_send sends[BATCH_SPANS];
	unsigned nspans, nsends;
	int gso;            /* replies may be joined into UDP_SEGMENT messages */
	size_t gso_max_seg; /* larger segments go plainly: a path refused them */
};

/* What a datagram is decided by. */
struct batch_rules {
	const struct echo_policy *policy;
	struct ratelimit *limiter; /* or NULL */
	uint64_t now_us;           /* the limiter's clock */
	/* A request dropped as too big or rate limited (--echo-plus counts those), or NULL. */
	void (*unanswered)(void *ctx, size_t len);
	void *ctx;
};

/* An empty plan; gso: replies may be joined (the socket has UDP_SEGMENT). */
void batch_plan_init(struct batch_plan *plan, int gso);

/* Empty the plan once it is sent; what was learnt of GSO stays. */
void batch_plan_clear(struct batch_plan *plan);

/*
 * Decide one datagram and count it (received, bytes_in, and truncated or
 * the drop's reason).  Returns its verdict, ECHO_VERDICT_COUNT when
 * truncated (never echoed: its bytes are not all here).
 */
enum echo_verdict batch_decide(const struct batch_rules *rules, struct serve_counters *counters,
			       const struct echo_peer *peer, const uint8_t *data, size_t len,
			       int truncated);

/*
 * Plan the reply to one echoed datagram: len bytes of msg from off.
 * Returns 1 when the plan is full: send and clear it before the next.
 */
int batch_plan_add(struct batch_plan *plan, const struct batch_msg *msg, size_t off, size_t len);

/*
 * Decide msg's datagrams from *next on, count them and plan the replies of
 * the echoed ones.  Returns 0 when the message is done, 1 when the plan is
 * full first: send it, clear it, and call again with the same *next.
 * Within one message, datagrams of one length share the stateless rules'
 * verdict (one source, one size); the limiter is asked for each.
 */
int batch_plan_message(struct batch_plan *plan, const struct batch_rules *rules,
		       struct serve_counters *counters, const struct batch_msg *msg, size_t *next);

/* Walks the datagrams of one send: start with {0, 0}. */
struct batch_cursor {
	unsigned span;
	size_t off;
};

/* The next datagram of send s into *out: 1, or 0 after the last. */
int batch_next(const struct batch_plan *plan, const struct batch_send *s,
	       struct batch_cursor *cursor, struct batch_span *out);

/*
 * The kernel refused send s with errno err.  Returns 1 when its datagrams
 * are to go again one by one: it was a UDP_SEGMENT message and err says the
 * path refuses such segments (EMSGSIZE: its MTU is smaller; EINVAL before
 * Linux 5.x; EIO: IPsec; ENOPROTOOPT).  Segments of its size or more go
 * plainly from then on, and every reply does when even small ones were
 * refused.  Returns 0 when its datagrams are lost.
 */
int batch_refused(struct batch_plan *plan, const struct batch_send *s, int err);

/* Count a sent message (or datagram) of segs datagrams and bytes bytes, or a lost one. */
void batch_count_sent(struct serve_counters *counters, unsigned segs, size_t bytes);
void batch_count_lost(struct serve_counters *counters, unsigned segs);

/*
 * Whether the next receive takes a batch (recvmmsg) or one datagram
 * (recvmsg), from how often recent batches found more than one: see batch.c.
 */
struct batch_rhythm {
	unsigned singles; /* single receives since the last batch */
	unsigned yield;   /* how often a batch found more than one, in 1/256ths */
};

void batch_rhythm_init(struct batch_rhythm *rhythm);
int batch_rhythm_batch(const struct batch_rhythm *rhythm);
/* A receive returned n messages (n > 0); batched: it was a batch. */
void batch_rhythm_note(struct batch_rhythm *rhythm, int batched, unsigned n);

#endif
