/*
 * pingstat.h: the arithmetic of `udpecho ping`, pure so it can be tested
 * number by number: running min/avg/max/mdev, which request a reply answers
 * and whether it is new, out of order or a duplicate, the loss in each
 * direction from TR-143 UDPEchoPlus sequence numbers, and the one-way delay
 * variation from the server's time stamps.
 *
 * Times are nanoseconds unless a name says otherwise.  No clock, no socket:
 * the caller passes every time stamp in.
 */
#ifndef UDPECHO_PINGSTAT_H
#define UDPECHO_PINGSTAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Running statistics of a series (Welford's method: no catastrophic
 * cancellation however long the run).  mdev is the population standard
 * deviation, what ping(8) prints as mdev; ewma the moving average of
 * ping(8)'s status line (SIGQUIT), the newest sample weighing 1/8.
 */
struct pingstat_acc {
	uint64_t n;
	int64_t min, max;
	double mean, m2, ewma;
};

struct pingstat_summary {
	uint64_t n;
	double min, avg, max, mdev, ewma; /* in the unit the samples were added in */
};

void pingstat_acc_init(struct pingstat_acc *a);
void pingstat_acc_add(struct pingstat_acc *a, int64_t value);
/* All zero when there were no samples. */
void pingstat_acc_summary(const struct pingstat_acc *a, struct pingstat_summary *out);

/*
 * Requests carry the low `bits` bits of their 64-bit sequence number (32 in
 * TestGenSN; fewer when the payload is smaller than 4 bytes).  The request a
 * reply answers is the most recent one sent with those low bits: the largest
 * seq <= latest with seq == low (mod 2^bits).  Returns UINT64_MAX when no
 * such request exists (latest too small).
 */
uint64_t pingstat_unwrap(uint64_t latest, uint32_t low, unsigned bits);

/* How many requests are remembered: a reply to an older one is not matched. */
#define PINGSTAT_WINDOW 65536u

enum pingstat_class {
	PINGSTAT_NEW,          /* the first reply to seq, in order */
	PINGSTAT_OUT_OF_ORDER, /* the first reply to seq, after a reply to a later request */
	PINGSTAT_DUPLICATE,    /* seq was answered before */
	PINGSTAT_UNKNOWN,      /* not sent, or older than the window */
};

/* Which requests were sent and answered. */
struct pingstat_seqs {
	uint64_t sent;          /* requests 0 .. sent - 1 went out */
	uint64_t next_in_order; /* one more than the highest seq answered so far */
	uint64_t received;      /* distinct requests answered */
	uint64_t duplicates;
	uint8_t answered[PINGSTAT_WINDOW / 8];
};

void pingstat_seqs_init(struct pingstat_seqs *s);
/* Records the next request; returns its seq. */
uint64_t pingstat_seqs_send(struct pingstat_seqs *s);
/* Classifies a reply to seq and records it. */
enum pingstat_class pingstat_seqs_reply(struct pingstat_seqs *s, uint64_t seq);
/* Whether seq (sent, within the window) has been answered. */
int pingstat_seqs_answered(const struct pingstat_seqs *s, uint64_t seq);

/*
 * Loss in each direction from UDPEchoPlus replies.  TestGenSN is our seq;
 * TestRespSN counts the requests the server answered.  Between the
 * earliest- and the latest-answered of our requests (the window: seq
 * gen_lo .. gen_hi), the server answered resp_hi - resp_lo + 1 requests.
 * When nobody else uses the server, those are ours, so:
 *
 *   upstream lost   = window - answered   (never reached the server)
 *   downstream lost = answered - replies  (answered, but the reply was lost)
 *   unknown         = sent - window       (before the first or after the
 *                                          last answered request: no reply
 *                                          brackets them, so no direction)
 *
 * and the three add up to sent - replies.  When other clients share the
 * server, TestRespSN also counts their requests: answered is clamped to the
 * window (`shared` says it was, and upstream loss is then a lower bound,
 * downstream an upper bound); a TestRespSN span smaller than the replies
 * seen (a restarted server) is clamped up to the replies.
 */
struct pingstat_dir {
	uint64_t replies; /* distinct UDPEchoPlus replies */
	uint64_t gen_lo, gen_hi;
	uint32_t resp_base;       /* TestRespSN of the first reply; the others relative to it */
	int64_t resp_lo, resp_hi; /* mod 2^32, as signed offsets from resp_base */
};

struct pingstat_dir_loss {
	uint64_t window;       /* our requests from the first to the last answered */
	uint64_t answered_raw; /* TestRespSN span: requests the server answered in it */
	uint64_t answered;     /* the same, clamped to [replies, window] */
	uint64_t up_lost, down_lost, unknown;
	int shared; /* the server answered more requests than we sent in the window */
};

void pingstat_dir_init(struct pingstat_dir *d);
void pingstat_dir_add(struct pingstat_dir *d, uint64_t seq, uint32_t resp_sn);
/* sent: requests sent in all.  All zero when there was no reply. */
void pingstat_dir_loss(const struct pingstat_dir *d, uint64_t sent, struct pingstat_dir_loss *out);

/*
 * The server's processing time, TestRespReplyTimeStamp - TestRespRecvTimeStamp
 * on its wrapping 32-bit microsecond counter: returns 0 and *us, or -1 when
 * the reply stamp is earlier (the difference, mod 2^32, is 2^31 or more).
 */
int pingstat_server_us(uint32_t recv_ts, uint32_t reply_ts, uint32_t *us);

/*
 * One-way delay, each way, up to a constant: the clocks are not
 * synchronised, so a single one-way delay is meaningless, but its variation
 * is not.  Upstream: server receive stamp - client send time; downstream:
 * client receive time - server reply stamp, both mod 2^32 microseconds (the
 * client's clock is truncated to the server's 32 bits, so both wrap alike).
 * Each sample is kept relative to the first, as a signed 32-bit difference,
 * so a wrap of either counter changes nothing while the variation stays
 * under 35 minutes.  The summary's mdev and max - min are the variation;
 * its min and avg still carry the unknown clock offset and mean nothing.
 */
struct pingstat_owd {
	int have_base;
	uint32_t base;
	struct pingstat_acc acc; /* microseconds relative to the first sample */
};

void pingstat_owd_init(struct pingstat_owd *o);
void pingstat_owd_add(struct pingstat_owd *o, uint32_t raw_us);
uint32_t pingstat_owd_up(uint64_t client_send_us, uint32_t server_recv_ts);
uint32_t pingstat_owd_down(uint32_t server_reply_ts, uint64_t client_recv_us);

/* Loss in percent of sent (0 when nothing was sent). */
double pingstat_loss_pct(uint64_t lost, uint64_t sent);

#endif
