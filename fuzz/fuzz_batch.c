/*
 * fuzz_batch: the server's reply planner (batch.h), driven as the serve
 * loop drives it, against the plainest model: each datagram decided on its
 * own by echo_decide, in order.
 *
 * Input layout (an exhausted input reads as zeros):
 *   u8 flags: bit 0 GSO, bit 1 a rate limiter, bit 2 a --max-size;
 *   u16 max size; u8 burst; u16 the path's largest GSO segment (larger
 *   ones are refused with EMSGSIZE, as a small MTU does); u8 loss pattern
 *   (send k is refused with EAGAIN when bit k % 8 is set and k % 3 == 0);
 *   then messages until the input ends: u8 route (of ROUTES), u16 segment
 *   size, u8 datagrams, u16 last datagram's size, u16 bytes cut off the
 *   end (a truncation), u8 clock step.
 *
 * Checked on every input, for every plan before it is "sent":
 *   - no message over BATCH_MAX_SEGMENTS datagrams or its family's maximum;
 *   - every datagram of a message but the last has the segment size, the
 *     last is not longer, and a message of several has no empty datagram;
 *   - a message of several is one GSO may carry (gso on, segment within
 *     what the path took); its datagrams all come from its route;
 * and after the whole input:
 *   - the datagrams sent and lost, in order, are exactly the echoed ones:
 *     the same bytes, on the same route;
 *   - the counters add up (received = echoed + drops + truncated + lost)
 *     and match the model;
 *   - the same datagrams fed one by one (no GRO) give the same datagrams,
 *     on the same routes, and the same counters; so does the one-at-a-time
 *     path (batch_decide, each reply sent on its own, no GSO) of -v;
 *   - every request dropped as too big or rate limited is reported once;
 *   - the summary line holds the counters and never overruns its buffer;
 *   - the receive rhythm, fed each message's count as a receive's, never
 *     receives singly RHYTHM_LOOK times in a row and batches again at once
 *     after a batch that found more than one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/batch.h"
#include "udpecho/policy.h"
#include "udpecho/ratelimit.h"

#define MAX_MSGS 24
#define MAX_DGRAMS (MAX_MSGS * 80)
#define ROUTES 8
#define BUF 65536

/* Routes: IPv4, IPv6, v4-mapped and no family; two sources; 6 and 7 repeat 0's bytes. */
struct route_def {
	enum echo_family family;
	uint8_t id, source;
};

static const struct route_def route_defs[ROUTES] = {
	{ECHO_FAMILY_IPV4, 1, 0}, {ECHO_FAMILY_IPV4, 2, 0}, {ECHO_FAMILY_IPV6, 3, 0},
	{ECHO_FAMILY_IPV6, 4, 0}, {ECHO_FAMILY_NONE, 5, 0}, {ECHO_FAMILY_IPV4, 1, 9},
	{ECHO_FAMILY_IPV4, 1, 0}, {ECHO_FAMILY_IPV4, 1, 0},
};

static struct echo_peer peers[ROUTES];
static uint8_t names[ROUTES][2], sources[ROUTES][1];
static struct batch_route routes[ROUTES];
static uint8_t bufs[MAX_MSGS][BUF];

/* A datagram as the wire sees it: which route (canonical: the first with its bytes) and bytes. */
struct wire {
	unsigned route;
	const uint8_t *data;
	size_t len;
};

struct run {
	struct batch_plan plan;
	struct batch_rules rules;
	struct serve_counters counters;
	struct ratelimit rl;
	struct ratelimit_slot slots[64];
	const uint8_t *base[MAX_DGRAMS]; /* slot -> its bytes */
	uint64_t unanswered;             /* reports of too big or rate limited */
	struct wire out[MAX_DGRAMS];     /* sent and lost, in plan order */
	unsigned nout, sends, lost;
};

static struct run runs[3];
static struct batch_msg msgs[MAX_MSGS], singles[MAX_DGRAMS];
static uint64_t clocks[MAX_MSGS], single_clocks[MAX_DGRAMS];
static struct wire model[MAX_DGRAMS];

static struct echo_policy policy;
static unsigned burst;
static size_t path_max_seg;
static uint8_t loss;

static void make_routes(void)
{
	for (unsigned i = 0; i < ROUTES; i++) {
		const struct route_def *d = &route_defs[i];

		memset(&peers[i], 0, sizeof(peers[i]));
		peers[i].family = d->family;
		peers[i].port = 40000;
		if (i == 3) { /* v4-mapped: IPv4's maximum */
			peers[i].addr[10] = 0xff;
			peers[i].addr[11] = 0xff;
			peers[i].addr[12] = 198;
		} else if (d->family == ECHO_FAMILY_IPV6) {
			peers[i].addr[0] = 0xfd;
		} else {
			peers[i].addr[0] = 198;
		}
		peers[i].addr[15] = d->id;
		peers[i].addr[3] = d->id;
		names[i][0] = d->id;
		names[i][1] = (uint8_t)d->family;
		sources[i][0] = d->source;
		routes[i] = (struct batch_route){.peer = &peers[i],
						 .name = names[i],
						 .source = sources[i],
						 .namelen = sizeof(names[i]),
						 .sourcelen = d->source != 0 ? 1 : 0};
	}
}

/* The first route with the same bytes: what "the same route" means on the wire. */
static unsigned canonical(const struct batch_route *r)
{
	for (unsigned i = 0; i < ROUTES; i++) {
		const struct batch_route *c = &routes[i];

		if (c->namelen == r->namelen && c->sourcelen == r->sourcelen &&
		    memcmp(c->name, r->name, r->namelen) == 0 &&
		    (r->sourcelen == 0 || memcmp(c->source, r->source, r->sourcelen) == 0))
			return i;
	}
	return ROUTES;
}

static void unanswered(void *ctx, size_t len)
{
	struct run *r = ctx;

	(void)len;
	r->unanswered++;
}

static void reset(struct run *r, int gso)
{
	batch_plan_init(&r->plan, gso);
	memset(&r->counters, 0, sizeof(r->counters));
	r->rules = (struct batch_rules){.policy = &policy, .unanswered = unanswered, .ctx = r};
	r->unanswered = 0;
	if (burst > 0) {
		if (ratelimit_init(&r->rl, r->slots, 64, 1, burst, 77) != 0)
			abort();
		r->rules.limiter = &r->rl;
	}
	r->nout = r->sends = r->lost = 0;
}

/* The plan's shape, before it is sent. */
static int check_plan(const struct run *r, const struct batch_msg *by_slot)
{
	const struct batch_plan *p = &r->plan;

	FUZZ_REQUIRE(p->nspans <= BATCH_SPANS, "batch.spans", "%u spans", p->nspans);
	for (unsigned i = 0; i < p->nsends; i++) {
		const struct batch_send *s = &p->sends[i];
		struct batch_cursor cur = {0, 0};
		struct batch_span d;
		unsigned n = 0;
		size_t bytes = 0;

		FUZZ_REQUIRE(s->segs >= 1 && s->segs <= BATCH_MAX_SEGMENTS, "batch.segments",
			     "a message of %u datagrams", s->segs);
		FUZZ_REQUIRE(s->segs == 1 || s->bytes <= echo_family_max(s->route->peer),
			     "batch.family_max", "%zu bytes to a peer that carries %zu", s->bytes,
			     echo_family_max(s->route->peer));
		FUZZ_REQUIRE(s->segs == 1 || (p->gso && s->seg <= p->gso_max_seg),
			     "batch.gso_allowed", "a run of %zu-byte segments (gso %d, max %zu)",
			     s->seg, p->gso, p->gso_max_seg);
		while (batch_next(p, s, &cur, &d)) {
			const struct batch_msg *m = &by_slot[d.slot];

			n++;
			bytes += d.len;
			FUZZ_REQUIRE(
				n > s->segs || (n < s->segs ? d.len == s->seg : d.len <= s->seg),
				"batch.segment_size", "datagram %u of %u: %zu bytes, segment %zu",
				n, s->segs, d.len, s->seg);
			FUZZ_REQUIRE(s->segs == 1 || d.len > 0, "batch.empty_joined",
				     "an empty datagram in a run of %u", s->segs);
			FUZZ_REQUIRE(canonical(m->route) == canonical(s->route), "batch.route",
				     "a datagram of route %u in a message to route %u",
				     canonical(m->route), canonical(s->route));
			FUZZ_REQUIRE(d.off + d.len <= m->len, "batch.bounds",
				     "bytes %zu..%zu of a %zu-byte message", d.off, d.off + d.len,
				     m->len);
		}
		FUZZ_REQUIRE(n == s->segs && bytes == s->bytes, "batch.send_totals",
			     "walked %u datagrams, %zu bytes; says %u, %zu", n, bytes, s->segs,
			     s->bytes);
	}
	return 0;
}

static void record(struct run *r, const struct batch_send *s)
{
	struct batch_cursor cur = {0, 0};
	struct batch_span d;

	while (batch_next(&r->plan, s, &cur, &d))
		r->out[r->nout++] =
			(struct wire){canonical(s->route), r->base[d.slot] + d.off, d.len};
}

/* "Send" the plan as serve.c does: a refused run is triaged, split or lost. */
static int send_plan(struct run *r, const struct batch_msg *by_slot)
{
	if (check_plan(r, by_slot) != 0)
		return -1;
	for (unsigned i = 0; i < r->plan.nsends; i++) {
		const struct batch_send *s = &r->plan.sends[i];
		unsigned k = r->sends++;
		int err = 0;

		if (k % 3 == 0 && (loss >> (k % 8) & 1))
			err = EAGAIN;
		else if (s->segs > 1 && s->seg > path_max_seg)
			err = EMSGSIZE;
		if (err == 0) {
			batch_count_sent(&r->counters, s->segs, s->bytes);
			record(r, s);
		} else if (batch_refused(&r->plan, s, err)) {
			FUZZ_REQUIRE(err == EMSGSIZE && r->plan.gso_max_seg < s->seg,
				     "batch.refusal", "err %d split, now max %zu for %zu", err,
				     r->plan.gso_max_seg, s->seg);
			batch_count_sent(&r->counters, s->segs, s->bytes); /* plainly, one by one */
			record(r, s);
		} else {
			FUZZ_REQUIRE(err == EAGAIN || s->segs == 1, "batch.refusal",
				     "a %u-datagram run refused with %d was not split", s->segs,
				     err);
			batch_count_lost(&r->counters, s->segs);
			r->lost += s->segs;
			record(r, s);
		}
	}
	batch_plan_clear(&r->plan);
	return 0;
}

static int serve(struct run *r, const struct batch_msg *list, const uint64_t *clock, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		size_t next = 0;

		r->base[list[i].slot] = list[i].data;
		r->rules.now_us = clock[i];
		while (batch_plan_message(&r->plan, &r->rules, &r->counters, &list[i], &next)) {
			FUZZ_REQUIRE(r->plan.nspans == BATCH_SPANS, "batch.full",
				     "asked to send a plan of %u spans", r->plan.nspans);
			if (send_plan(r, list) != 0)
				return -1;
		}
	}
	return send_plan(r, list);
}

/* The -v path: each datagram decided with batch_decide and its reply sent at once. */
static int serve_one_at_a_time(struct run *r, const struct batch_msg *list, const uint64_t *clock,
			       unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct batch_msg *m = &list[i];

		r->base[m->slot] = m->data;
		r->rules.now_us = clock[i];
		if (batch_decide(&r->rules, &r->counters, m->route->peer, m->data, m->len,
				 m->len > m->captured) == ECHO_VERDICT_ECHO) {
			FUZZ_REQUIRE(batch_plan_add(&r->plan, m, 0, m->len) == 0, "batch.full",
				     "one reply filled a plan");
			if (send_plan(r, list) != 0)
				return -1;
		}
	}
	return 0;
}

/* The summary holds what the counters say, whatever the buffer's size. */
static int check_summary(const struct serve_counters *c, size_t cap)
{
	char *line = fuzz_alloc(cap);
	char want[64];
	int rc = 0;

	serve_format_summary(line, cap, c);
	snprintf(want, sizeof(want), "summary: received=%llu bytes_in=%llu",
		 (unsigned long long)c->received, (unsigned long long)c->bytes_in);
	if (cap > strlen(want))
		rc = strncmp(line, want, strlen(want)) == 0 ? 0 : -1;
	if (cap > 0 && strlen(line) >= cap)
		rc = -1;
	free(line);
	FUZZ_REQUIRE(rc == 0, "batch.summary", "a summary in %zu bytes does not say %s", cap, want);
	return 0;
}

/* The rhythm, fed the messages' datagram counts as what each receive found. */
static int check_rhythm(const struct batch_msg *list, unsigned n)
{
	struct batch_rhythm rh;
	unsigned in_a_row = 0;
	int must_batch = 1;

	batch_rhythm_init(&rh);
	for (unsigned i = 0; i < n; i++) {
		int batch = batch_rhythm_batch(&rh);
		unsigned found = batch ? (unsigned)(list[i].len % 5) + 1 : 1;

		FUZZ_REQUIRE(batch || !must_batch, "batch.rhythm",
			     "receive %u is single right after a batch that found more", i);
		in_a_row = batch ? 0 : in_a_row + 1;
		FUZZ_REQUIRE(in_a_row < 16, "batch.rhythm", "%u single receives in a row",
			     in_a_row);
		must_batch = batch && found > 1;
		batch_rhythm_note(&rh, batch, found);
	}
	return 0;
}

static int same_counters(const struct serve_counters *a, const struct serve_counters *b)
{
	return a->received == b->received && a->bytes_in == b->bytes_in &&
	       a->truncated == b->truncated &&
	       memcmp(a->dropped, b->dropped, sizeof(a->dropped)) == 0 &&
	       a->echoed + a->send_errors == b->echoed + b->send_errors &&
	       a->bytes_out <= a->bytes_in;
}

static int check_wire(const struct run *r, unsigned nmodel, const char *which)
{
	FUZZ_REQUIRE(r->nout == nmodel, "batch.wire_count", "%s: %u datagrams out, %u echoed",
		     which, r->nout, nmodel);
	for (unsigned i = 0; i < nmodel; i++) {
		const struct wire *a = &r->out[i], *b = &model[i];

		FUZZ_REQUIRE(a->route == b->route && a->len == b->len &&
				     (a->data == b->data || memcmp(a->data, b->data, a->len) == 0),
			     "batch.wire",
			     "%s: datagram %u: route %u, %zu bytes; wanted route %u, %zu", which, i,
			     a->route, a->len, b->route, b->len);
	}
	FUZZ_REQUIRE(r->unanswered == r->counters.dropped[ECHO_DROP_TOO_BIG] +
					      r->counters.dropped[ECHO_DROP_RATE_LIMITED],
		     "batch.unanswered", "%s: %llu reported", which,
		     (unsigned long long)r->unanswered);
	FUZZ_REQUIRE(r->counters.echoed == nmodel - r->lost && r->counters.send_errors == r->lost &&
			     r->counters.received ==
				     r->counters.echoed + serve_dropped_total(&r->counters),
		     "batch.counters", "%s: echoed %llu, lost %u of %u", which,
		     (unsigned long long)r->counters.echoed, r->lost, nmodel);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct fuzz_in in = {data, size};
	uint8_t flags = fuzz_u8(&in);
	size_t max_size = fuzz_u16(&in);
	unsigned nmsgs = 0, nsingles = 0, nmodel = 0;
	struct ratelimit model_rl;
	struct ratelimit_slot model_slots[64];
	uint64_t now = 0, dropped;

	if (!ready) {
		make_routes();
		/* Every buffer's bytes differ from every other's at every offset. */
		for (size_t i = 0; i < MAX_MSGS; i++)
			for (size_t k = 0; k < BUF; k++)
				bufs[i][k] = (uint8_t)(i * 37 + k * 7 + k / 256);
		ready = 1;
	}
	policy_init(&policy);
	if (flags & 4)
		policy.max_size = max_size;
	burst = (flags & 2) ? fuzz_u8(&in) % 16 + 1 : 0;
	path_max_seg = fuzz_u16(&in);
	if (path_max_seg == 0)
		path_max_seg = SIZE_MAX;
	loss = fuzz_u8(&in);
	if (burst > 0 && ratelimit_init(&model_rl, model_slots, 64, 1, burst, 77) != 0)
		abort();

	while (in.n > 0 && nmsgs < MAX_MSGS) {
		unsigned route = fuzz_u8(&in) % ROUTES;
		size_t seg = fuzz_u16(&in), count = fuzz_u8(&in) % 80 + 1, last = fuzz_u16(&in);
		size_t cut = fuzz_u16(&in), len;
		struct batch_msg *m = &msgs[nmsgs];

		now += (uint64_t)fuzz_u8(&in) * 10000u;
		if (count == 1 || seg == 0) {
			count = 1;
			seg = last;
		} else if (last > seg || last == 0) {
			last = seg;
		}
		len = seg * (count - 1) + last;
		if (len > BUF) /* the receive buffer: a GRO run is never longer */
			continue;
		*m = (struct batch_msg){.route = &routes[route],
					.data = bufs[nmsgs],
					.len = len,
					.captured = cut < len ? len - cut : 0,
					.seg = count > 1 ? seg : 0,
					.slot = nmsgs};
		if (cut == 0)
			m->captured = len;
		clocks[nmsgs] = now;
		/* The model, and the same datagrams one message each. */
		for (size_t off = 0, k = 0; k < count; k++) {
			size_t dlen = k + 1 < count ? seg : last;
			int truncated = off + dlen > m->captured;
			struct echo_reply reply;
			enum echo_verdict v = ECHO_VERDICT_COUNT;

			if (!truncated)
				v = echo_decide(&policy, burst > 0 ? &model_rl : NULL, now,
						&peers[route], m->data + off, dlen, &reply);
			if (v == ECHO_VERDICT_ECHO)
				model[nmodel++] = (struct wire){canonical(&routes[route]),
								m->data + off, dlen};
			singles[nsingles] =
				(struct batch_msg){.route = m->route,
						   .data = m->data + off,
						   .len = dlen,
						   .captured = truncated ? dlen - 1 : dlen,
						   .slot = nsingles};
			single_clocks[nsingles++] = now;
			off += dlen;
		}
		nmsgs++;
	}

	reset(&runs[0], flags & 1);
	if (serve(&runs[0], msgs, clocks, nmsgs) != 0 || check_wire(&runs[0], nmodel, "runs") != 0)
		return 0;
	reset(&runs[1], flags & 1);
	if (serve(&runs[1], singles, single_clocks, nsingles) != 0 ||
	    check_wire(&runs[1], nmodel, "one by one") != 0)
		return 0;
	reset(&runs[2], 0);
	if (serve_one_at_a_time(&runs[2], singles, single_clocks, nsingles) != 0 ||
	    check_wire(&runs[2], nmodel, "one at a time") != 0)
		return 0;
	for (int i = 1; i < 3; i++)
		FUZZ_REQUIRE(same_counters(&runs[0].counters, &runs[i].counters),
			     "batch.same_counters",
			     "runs and path %d counted differently: received %llu vs %llu", i,
			     (unsigned long long)runs[0].counters.received,
			     (unsigned long long)runs[i].counters.received);
	dropped = serve_dropped_total(&runs[1].counters);
	serve_counters_add(&runs[1].counters, &runs[0].counters);
	FUZZ_REQUIRE(runs[1].counters.received == 2 * runs[0].counters.received &&
			     serve_dropped_total(&runs[1].counters) ==
				     dropped + serve_dropped_total(&runs[0].counters),
		     "batch.sum", "summed counters do not add up");
	if (check_summary(&runs[0].counters, 512) != 0 ||
	    check_summary(&runs[1].counters, size % 300) != 0)
		return 0;
	(void)check_rhythm(singles, nsingles);
	return 0;
}
