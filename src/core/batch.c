/*
 * batch.c: the reply planner and the receive rhythm (batch.h).
 */
#include "udpecho/batch.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

void batch_plan_init(struct batch_plan *plan, int gso)
{
	batch_plan_clear(plan);
	plan->gso = gso != 0;
	plan->gso_max_seg = SIZE_MAX;
}

void batch_plan_clear(struct batch_plan *plan)
{
	plan->nspans = 0;
	plan->nsends = 0;
}

static void count_drop(const struct batch_rules *rules, struct serve_counters *counters,
		       enum echo_verdict verdict, size_t len)
{
	if (verdict == ECHO_VERDICT_ECHO)
		return;
	counters->dropped[verdict]++;
	if ((verdict == ECHO_DROP_TOO_BIG || verdict == ECHO_DROP_RATE_LIMITED) &&
	    rules->unanswered != NULL)
		rules->unanswered(rules->ctx, len);
}

enum echo_verdict batch_decide(const struct batch_rules *rules, struct serve_counters *counters,
			       const struct echo_peer *peer, const uint8_t *data, size_t len,
			       int truncated)
{
	struct echo_reply reply;
	enum echo_verdict verdict;

	counters->received++;
	counters->bytes_in += len;
	if (truncated) {
		counters->truncated++;
		return ECHO_VERDICT_COUNT;
	}
	verdict =
		echo_decide(rules->policy, rules->limiter, rules->now_us, peer, data, len, &reply);
	count_drop(rules, counters, verdict, len);
	return verdict;
}

static int same_route(const struct batch_route *a, const struct batch_route *b)
{
	return a == b || (a->namelen == b->namelen && a->sourcelen == b->sourcelen &&
			  memcmp(a->name, b->name, a->namelen) == 0 &&
			  (a->sourcelen == 0 || memcmp(a->source, b->source, a->sourcelen) == 0));
}

/* Can a reply of len bytes on route join the last planned send as one more segment? */
static int joins_last(const struct batch_plan *plan, const struct batch_route *route, size_t len)
{
	const struct batch_send *s;

	if (!plan->gso || plan->nsends == 0 || len == 0)
		return 0;
	s = &plan->sends[plan->nsends - 1];
	return len <= s->seg && s->seg <= plan->gso_max_seg && s->last == s->seg &&
	       s->segs < BATCH_MAX_SEGMENTS && s->bytes + len <= echo_family_max(route->peer) &&
	       same_route(s->route, route);
}

int batch_plan_add(struct batch_plan *plan, const struct batch_msg *msg, size_t off, size_t len)
{
	if (joins_last(plan, msg->route, len)) {
		struct batch_span *span = &plan->spans[plan->nspans - 1];
		struct batch_send *s = &plan->sends[plan->nsends - 1];

		/* The next bytes of the same buffer: the same iovec, longer. */
		if (span->slot == msg->slot && span->off + span->len == off) {
			span->len += len;
		} else {
			plan->spans[plan->nspans++] = (struct batch_span){msg->slot, off, len};
			s->nspans++;
		}
		s->segs++;
		s->last = len;
		s->bytes += len;
	} else {
		plan->spans[plan->nspans] = (struct batch_span){msg->slot, off, len};
		plan->sends[plan->nsends++] = (struct batch_send){
			.route = msg->route,
			.first = plan->nspans++,
			.nspans = 1,
			.segs = 1,
			.seg = len,
			.last = len,
			.bytes = len,
		};
	}
	return plan->nspans == BATCH_SPANS;
}

/*
 * Plan n echoed datagrams of seg bytes each, contiguous in msg from off: a
 * GRO run, added a message's worth at a time.  Returns how many were
 * added: fewer than n when the plan became full.
 */
static size_t add_run(struct batch_plan *plan, const struct batch_msg *msg, size_t off, size_t seg,
		      size_t n)
{
	size_t cap = echo_family_max(msg->route->peer), done = 0;

	while (done < n && plan->nspans < BATCH_SPANS) {
		struct batch_span *span;
		struct batch_send *s;
		size_t k;

		if (!joins_last(plan, msg->route, seg)) {
			(void)batch_plan_add(plan, msg, off + done * seg, seg);
			done++;
			continue;
		}
		/*
		 * As many as the last message takes: its segment count, the
		 * family maximum; one when shorter than its segments (it ends it).
		 */
		s = &plan->sends[plan->nsends - 1];
		span = &plan->spans[plan->nspans - 1];
		k = seg < s->seg ? 1 : n - done;
		if (k > BATCH_MAX_SEGMENTS - s->segs)
			k = BATCH_MAX_SEGMENTS - s->segs;
		if (k > (cap - s->bytes) / seg)
			k = (cap - s->bytes) / seg;
		if (span->slot == msg->slot && span->off + span->len == off + done * seg) {
			span->len += k * seg;
		} else {
			plan->spans[plan->nspans++] =
				(struct batch_span){msg->slot, off + done * seg, k * seg};
			s->nspans++;
		}
		s->segs += (unsigned)k;
		s->bytes += k * seg;
		s->last = seg;
		done += k;
	}
	return done;
}

int batch_plan_message(struct batch_plan *plan, const struct batch_rules *rules,
		       struct serve_counters *counters, const struct batch_msg *msg, size_t *next)
{
	const struct echo_peer *peer = msg->route->peer;
	size_t seg = msg->seg > 0 && msg->seg < msg->len ? msg->seg : msg->len;
	enum echo_verdict known = ECHO_VERDICT_COUNT; /* the stateless verdict for known_len */
	size_t known_len = 0;

	for (size_t off = *next;;) {
		size_t len = msg->len - off < seg ? msg->len - off : seg;

		/* Room for this datagram's reply first: a resumed call starts here again. */
		if (plan->nspans == BATCH_SPANS) {
			*next = off;
			return 1;
		}
		counters->received++;
		counters->bytes_in += len;
		if (off + len > msg->captured) {
			counters->truncated++;
		} else {
			enum echo_verdict verdict;

			/*
			 * The stateless rules read the peer and the length, never
			 * the bytes: one verdict serves every datagram of a length.
			 */
			if (known == ECHO_VERDICT_COUNT || len != known_len) {
				struct echo_reply reply;

				known = handle_datagram(rules->policy, peer,
							msg->data != NULL ? msg->data + off : NULL,
							len, &reply);
				known_len = len;
			}
			/*
			 * Without a limiter every datagram of this length gets the
			 * same verdict: the run's full-length datagrams up to its end
			 * or the truncation are echoed together.
			 */
			if (known == ECHO_VERDICT_ECHO && rules->limiter == NULL && len == seg &&
			    len > 0) {
				size_t end = msg->len < msg->captured ? msg->len : msg->captured;
				size_t added = add_run(plan, msg, off, seg, (end - off) / seg);

				counters->received += added - 1;
				counters->bytes_in += (added - 1) * seg;
				off += added * seg;
				if (off >= msg->len) {
					*next = off;
					return 0;
				}
				continue;
			}
			verdict = echo_limit(known, rules->limiter, rules->now_us, peer);
			count_drop(rules, counters, verdict, len);
			if (verdict == ECHO_VERDICT_ECHO)
				(void)batch_plan_add(plan, msg, off, len);
		}
		off += len;
		if (off >= msg->len) {
			*next = off;
			return 0;
		}
	}
}

int batch_next(const struct batch_plan *plan, const struct batch_send *s,
	       struct batch_cursor *cursor, struct batch_span *out)
{
	const struct batch_span *span;

	if (cursor->span >= s->nspans)
		return 0;
	span = &plan->spans[s->first + cursor->span];
	out->slot = span->slot;
	out->off = span->off + cursor->off;
	/* One datagram (perhaps empty) is its span; in a run, every span is whole segments. */
	out->len =
		s->segs == 1 || span->len - cursor->off < s->seg ? span->len - cursor->off : s->seg;
	cursor->off += out->len;
	if (cursor->off >= span->len) {
		cursor->span++;
		cursor->off = 0;
	}
	return 1;
}

int batch_refused(struct batch_plan *plan, const struct batch_send *s, int err)
{
	if (s->segs < 2 || (err != EINVAL && err != EIO && err != EMSGSIZE && err != ENOPROTOOPT))
		return 0;
	if (s->seg - 1 < plan->gso_max_seg)
		plan->gso_max_seg = s->seg - 1;
	if (s->seg <= BATCH_GSO_MIN_SEG)
		plan->gso = 0;
	return 1;
}

void batch_count_sent(struct serve_counters *counters, unsigned segs, size_t bytes)
{
	counters->echoed += segs;
	counters->bytes_out += bytes;
}

void batch_count_lost(struct serve_counters *counters, unsigned segs)
{
	counters->send_errors += segs;
}

/*
 * One receive call per wake-up: a single recvmsg, as in the textbook loop,
 * or a batch (recvmmsg) that also takes whatever else is queued.  A batch
 * that finds one datagram pays a dequeue attempt that hears EAGAIN; one
 * that finds two saves a receive and a send call (the replies leave in one
 * sendmmsg).  Which pays depends on the load, and batching feeds itself:
 * replies that leave together bring the next requests back together.
 *
 * So the worker batches for as long as batches pay at all: yield is how
 * often recent batches found more than one (a moving average, 1/8 weight,
 * in 1/256ths), and it batches while that is at least 1 in 16
 * (RHYTHM_WORTH).  A batch that found more than one lifts the average to
 * at least 2 in 16 by itself, so the next receive is a batch too (a queue
 * building up is emptied at once).  Otherwise, as with one client of one
 * request in flight, it receives singly and batches every RHYTHM_LOOK-th
 * time, to look again.  (docs/benchmarks.md has the measurements.)
 */
#define RHYTHM_LOOK 16u
#define RHYTHM_ALL 256u
#define RHYTHM_WORTH (RHYTHM_ALL / 16)

void batch_rhythm_init(struct batch_rhythm *rhythm)
{
	rhythm->singles = 0;
	rhythm->yield = RHYTHM_ALL;
}

int batch_rhythm_batch(const struct batch_rhythm *rhythm)
{
	return rhythm->yield >= RHYTHM_WORTH || rhythm->singles + 1 >= RHYTHM_LOOK;
}

void batch_rhythm_note(struct batch_rhythm *rhythm, int batched, unsigned n)
{
	if (batched) {
		rhythm->yield = rhythm->yield - rhythm->yield / 8 + (n > 1 ? RHYTHM_ALL / 8 : 0);
		rhythm->singles = 0;
	} else {
		rhythm->singles++;
	}
}
