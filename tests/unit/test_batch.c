/*
 * test_batch.c: the reply planner and the receive rhythm (batch.h), rule by
 * rule, with plain data: which datagrams go back in which message, to whom,
 * with which segment size, and what is counted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/batch.h"
#include "udpecho/policy.h"
#include "udpecho/ratelimit.h"

#define MAX_MSGS 128
#define MAX_SENT 256

static uint8_t buf[MAX_MSGS][65536];

/* A sender: its peer, and its route with the address and source as bytes. */
struct sender {
	struct echo_peer peer;
	struct batch_route route;
	uint8_t name[4];
	uint8_t source[4];
};

static void sender(struct sender *s, enum echo_family family, uint8_t id, uint8_t source)
{
	memset(s, 0, sizeof(*s));
	s->peer.family = family;
	s->peer.addr[family == ECHO_FAMILY_IPV4 ? 3 : 15] = id;
	s->peer.addr[0] = family == ECHO_FAMILY_IPV4 ? 198 : 0xfd;
	s->peer.port = 40000;
	s->name[0] = id;
	s->source[0] = source;
	s->route = (struct batch_route){.peer = &s->peer,
					.name = s->name,
					.source = s->source,
					.namelen = sizeof(s->name),
					.sourcelen = source != 0 ? sizeof(s->source) : 0};
}

/* What went out: one entry per send, its datagrams' lengths in order. */
struct sent {
	const struct batch_route *route;
	unsigned segs;
	size_t seg;
	size_t lens[BATCH_MAX_SEGMENTS];
	unsigned spans;
};

struct world {
	struct batch_plan plan;
	struct batch_rules rules;
	struct echo_policy policy;
	struct serve_counters counters;
	struct batch_msg msgs[MAX_MSGS];
	unsigned nmsgs;
	struct sent sent[MAX_SENT];
	unsigned nsent;
	unsigned flushes;
	unsigned unanswered;
};

static void count_unanswered(void *ctx, size_t len)
{
	struct world *w = ctx;

	w->unanswered += len >= 20;
}

static void world(struct world *w, int gso)
{
	memset(w, 0, sizeof(*w));
	policy_init(&w->policy);
	batch_plan_init(&w->plan, gso);
	w->rules = (struct batch_rules){
		.policy = &w->policy, .unanswered = count_unanswered, .ctx = w};
}

/* A received message from s: n datagrams of seg bytes, the last of last (n 1: one datagram). */
static void receive(struct world *w, const struct sender *s, size_t seg, size_t n, size_t last)
{
	unsigned i = w->nmsgs++;
	size_t len = seg * (n - 1) + last;

	assert_true(i < MAX_MSGS);
	for (size_t k = 0; k < len; k++)
		buf[i][k] = (uint8_t)(k / (seg > 0 ? seg : 1));
	w->msgs[i] = (struct batch_msg){.route = &s->route,
					.data = buf[i],
					.len = len,
					.captured = len,
					.seg = n > 1 ? seg : 0,
					.slot = i};
}

/* Record the plan as sent, and empty it. */
static void send_plan(struct world *w)
{
	for (unsigned i = 0; i < w->plan.nsends; i++) {
		const struct batch_send *s = &w->plan.sends[i];
		struct sent *out = &w->sent[w->nsent++];
		struct batch_cursor cur = {0, 0};
		struct batch_span d;
		unsigned k = 0;

		assert_true(w->nsent <= MAX_SENT);
		*out = (struct sent){
			.route = s->route, .segs = s->segs, .seg = s->seg, .spans = s->nspans};
		while (batch_next(&w->plan, s, &cur, &d))
			out->lens[k++] = d.len;
		assert_int_equal(k, s->segs);
		batch_count_sent(&w->counters, s->segs, s->bytes);
	}
	batch_plan_clear(&w->plan);
	w->flushes++;
}

/* The serve loop's batch, without sockets. */
static void serve(struct world *w)
{
	for (unsigned i = 0; i < w->nmsgs; i++) {
		size_t next = 0;

		while (batch_plan_message(&w->plan, &w->rules, &w->counters, &w->msgs[i], &next))
			send_plan(w);
	}
	send_plan(w);
}

/* Send i went to s with these datagram lengths. */
static void expect_sent(const struct world *w, unsigned i, const struct sender *s,
			const size_t *lens, unsigned n)
{
	const struct sent *got = &w->sent[i];

	assert_true(i < w->nsent);
	assert_ptr_equal(got->route, &s->route);
	assert_int_equal(got->segs, n);
	for (unsigned k = 0; k < n; k++)
		assert_int_equal(got->lens[k], lens[k]);
}

static void expect_run(const struct world *w, unsigned i, const struct sender *s, size_t seg,
		       unsigned n, size_t last)
{
	size_t lens[BATCH_MAX_SEGMENTS];

	for (unsigned k = 0; k < n; k++)
		lens[k] = k + 1 < n ? seg : last;
	expect_sent(w, i, s, lens, n);
}

/* A GRO run goes back as one UDP_SEGMENT message, one iovec, every datagram counted. */
static void test_gro_run_goes_back_as_one_message(void **state)
{
	struct world w;
	struct sender a;

	(void)state;
	world(&w, 1);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	receive(&w, &a, 64, 10, 64);
	receive(&w, &a, 1000, 64, 17);
	serve(&w);
	assert_int_equal(w.nsent, 2);
	expect_run(&w, 0, &a, 64, 10, 64);
	assert_int_equal(w.sent[0].spans, 1);
	assert_int_equal(w.sent[0].seg, 64);
	expect_run(&w, 1, &a, 1000, 64, 17);
	assert_int_equal(w.counters.received, 74);
	assert_int_equal(w.counters.bytes_in, 640 + 63000 + 17);
	assert_int_equal(w.counters.echoed, 74);
	assert_int_equal(w.counters.bytes_out, 640 + 63000 + 17);
	assert_int_equal(serve_dropped_total(&w.counters), 0);
}

/* Never more than BATCH_MAX_SEGMENTS in a message, nor more than the family carries. */
static void test_run_split_at_segment_limit_and_family_maximum(void **state)
{
	struct world w;
	struct sender a, v6;

	(void)state;
	world(&w, 1);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	sender(&v6, ECHO_FAMILY_IPV6, 2, 0);
	receive(&w, &a, 100, 70, 100);
	/* 65,527 bytes: one message for IPv6, over IPv4's 65,507 (a v4 run never is; the rule is).
	 */
	receive(&w, &v6, 20000, 4, 5527);
	receive(&w, &a, 20000, 4, 5527);
	serve(&w);
	assert_int_equal(w.nsent, 5);
	expect_run(&w, 0, &a, 100, 64, 100);
	expect_run(&w, 1, &a, 100, 6, 100);
	expect_run(&w, 2, &v6, 20000, 4, 5527);
	expect_run(&w, 3, &a, 20000, 3, 20000);
	expect_run(&w, 4, &a, 5527, 1, 5527);
}

/* --max-size 150: the 200-byte datagrams of a run are dropped, its short last one echoed. */
static void test_run_split_where_size_verdicts_differ(void **state)
{
	struct world w;
	struct sender a;

	(void)state;
	world(&w, 1);
	w.policy.max_size = 150;
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	receive(&w, &a, 200, 5, 100);
	receive(&w, &a, 150, 6, 150);
	serve(&w);
	assert_int_equal(w.nsent, 2);
	expect_run(&w, 0, &a, 100, 1, 100);
	expect_run(&w, 1, &a, 150, 6, 150);
	assert_int_equal(w.counters.received, 11);
	assert_int_equal(w.counters.echoed, 7);
	assert_int_equal(w.counters.dropped[ECHO_DROP_TOO_BIG], 4);
	assert_int_equal(w.counters.bytes_out, 100 + 6 * 150);
	assert_int_equal(w.unanswered, 4);
}

/* --rate-limit 1,3: the first three of a run go back, the rest are counted. */
static void test_run_split_by_rate_limit(void **state)
{
	static struct ratelimit_slot slots[64];
	struct ratelimit rl;
	struct world w;
	struct sender a;

	(void)state;
	world(&w, 1);
	assert_int_equal(ratelimit_init(&rl, slots, 64, 1, 3, 9), 0);
	w.rules.limiter = &rl;
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	receive(&w, &a, 64, 12, 64);
	serve(&w);
	assert_int_equal(w.nsent, 1);
	expect_run(&w, 0, &a, 64, 3, 64);
	assert_int_equal(w.counters.received, 12);
	assert_int_equal(w.counters.echoed, 3);
	assert_int_equal(w.counters.dropped[ECHO_DROP_RATE_LIMITED], 9);
	assert_int_equal(w.unanswered, 9);
}

/*
 * Plain datagrams received together go back as runs: consecutive replies
 * to one peer of one size, the last of a run may be shorter; a reply to
 * another peer, an empty datagram and a size change end a run.
 */
static void test_plain_datagrams_of_one_peer_go_back_as_one_run(void **state)
{
	static const size_t run1[] = {100, 100, 50}, run2[] = {100, 100, 100}, empty[] = {0},
			    seven[] = {7}, one[] = {100};
	struct world w;
	struct sender a, b;

	(void)state;
	world(&w, 1);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	sender(&b, ECHO_FAMILY_IPV4, 2, 0);
	receive(&w, &a, 100, 1, 100);
	receive(&w, &a, 100, 1, 100);
	receive(&w, &a, 50, 1, 50);
	receive(&w, &b, 100, 1, 100);
	for (int i = 0; i < 3; i++)
		receive(&w, &a, 100, 1, 100);
	receive(&w, &a, 0, 1, 0);
	receive(&w, &a, 7, 1, 7);
	serve(&w);
	assert_int_equal(w.nsent, 5);
	expect_sent(&w, 0, &a, run1, 3);
	assert_int_equal(w.sent[0].spans, 3); /* three receive slots: three iovecs */
	expect_sent(&w, 1, &b, one, 1);
	expect_sent(&w, 2, &a, run2, 3);
	expect_sent(&w, 3, &a, empty, 1);
	expect_sent(&w, 4, &a, seven, 1);
	assert_int_equal(w.counters.echoed, 9);
	assert_int_equal(w.counters.bytes_out, 250 + 100 + 300 + 0 + 7);
}

/* A datagram shorter than the run's segment size ends it: the next starts another. */
static void test_short_datagram_ends_a_run(void **state)
{
	static const size_t first[] = {100, 50}, second[] = {50, 50};
	struct world w;
	struct sender a;

	(void)state;
	world(&w, 1);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	receive(&w, &a, 100, 1, 100);
	receive(&w, &a, 50, 1, 50);
	receive(&w, &a, 50, 2, 50);
	serve(&w);
	assert_int_equal(w.nsent, 2);
	expect_sent(&w, 0, &a, first, 2);
	expect_sent(&w, 1, &a, second, 2);

	/* A GRO run of shorter datagrams: its first ends the message, the rest start one. */
	world(&w, 1);
	receive(&w, &a, 100, 1, 100);
	receive(&w, &a, 50, 3, 50);
	serve(&w);
	assert_int_equal(w.nsent, 2);
	expect_sent(&w, 0, &a, first, 2);
	expect_sent(&w, 1, &a, second, 2);
}

/* Replies to one peer that must leave from different addresses (a wildcard bind) never join. */
static void test_different_sources_never_join(void **state)
{
	struct world w;
	struct sender to2, to3, to2again;

	(void)state;
	world(&w, 1);
	sender(&to2, ECHO_FAMILY_IPV4, 1, 2);
	sender(&to3, ECHO_FAMILY_IPV4, 1, 3);
	sender(&to2again, ECHO_FAMILY_IPV4, 1, 2); /* the same bytes: the same route */
	receive(&w, &to2, 64, 1, 64);
	receive(&w, &to3, 64, 1, 64);
	receive(&w, &to3, 64, 1, 64);
	receive(&w, &to2, 64, 1, 64);
	receive(&w, &to2again, 64, 1, 64);
	serve(&w);
	assert_int_equal(w.nsent, 3);
	expect_run(&w, 0, &to2, 64, 1, 64);
	expect_run(&w, 1, &to3, 64, 2, 64);
	expect_run(&w, 2, &to2, 64, 2, 64);
}

/* Without GSO every reply is its own message; a full plan is sent before the next datagram. */
static void test_without_gso_and_when_full(void **state)
{
	struct world w;
	struct sender a, b;

	(void)state;
	world(&w, 0);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	receive(&w, &a, 64, 3, 64);
	serve(&w);
	assert_int_equal(w.nsent, 3);
	for (unsigned i = 0; i < 3; i++)
		expect_run(&w, i, &a, 64, 1, 64);

	world(&w, 1);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	sender(&b, ECHO_FAMILY_IPV4, 2, 0);
	for (unsigned i = 0; i < 100; i++)
		receive(&w, i % 2 ? &b : &a, 10, 1, 10);
	serve(&w);
	assert_int_equal(w.nsent, 100);
	assert_int_equal(w.flushes, 2); /* 64, then 36 */
	for (unsigned i = 0; i < 100; i++)
		expect_run(&w, i, i % 2 ? &b : &a, 10, 1, 10);
	assert_int_equal(w.counters.received, 100);
	assert_int_equal(w.counters.echoed, 100);
}

/* A truncated datagram (bigger than the buffer) is counted and never echoed. */
static void test_truncated_is_counted_not_echoed(void **state)
{
	struct world w;
	struct sender a;

	(void)state;
	world(&w, 1);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	receive(&w, &a, 100, 5, 100);
	w.msgs[0].captured = 250; /* datagrams 2..4 are not all here */
	serve(&w);
	assert_int_equal(w.nsent, 1);
	expect_run(&w, 0, &a, 100, 2, 100);
	assert_int_equal(w.counters.truncated, 3);
	assert_int_equal(w.counters.received, 5);
	assert_int_equal(batch_decide(&w.rules, &w.counters, &a.peer, buf[0], 70000, 1),
			 ECHO_VERDICT_COUNT);
	assert_int_equal(w.counters.truncated, 4);
	w.policy.max_size = 10;
	assert_int_equal(batch_decide(&w.rules, &w.counters, &a.peer, buf[0], 11, 0),
			 ECHO_DROP_TOO_BIG);
	assert_int_equal(w.counters.dropped[ECHO_DROP_TOO_BIG], 1);
	assert_int_equal(w.counters.received, 7);
}

/* A path that refuses a segment size: that size and larger go plainly; small ones: no GSO. */
static void test_refused_gso_is_remembered(void **state)
{
	struct world w;
	struct sender a;

	(void)state;
	world(&w, 1);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	receive(&w, &a, 1400, 3, 1400);
	serve(&w);
	assert_int_equal(w.nsent, 1);
	/* Not a GSO refusal, or not a run: nothing learnt, the datagrams are lost. */
	assert_int_equal(
		batch_refused(&w.plan, &(struct batch_send){.segs = 3, .seg = 1400}, EAGAIN), 0);
	assert_int_equal(
		batch_refused(&w.plan, &(struct batch_send){.segs = 1, .seg = 1400}, EMSGSIZE), 0);
	assert_int_equal(w.plan.gso_max_seg, SIZE_MAX);
	/* EMSGSIZE for a run of 1400: split it, and never join 1400s again. */
	assert_int_equal(
		batch_refused(&w.plan, &(struct batch_send){.segs = 3, .seg = 1400}, EMSGSIZE), 1);
	assert_int_equal(w.plan.gso_max_seg, 1399);
	assert_true(w.plan.gso);
	w.nsent = 0;
	w.nmsgs = 0;
	receive(&w, &a, 1400, 3, 1400);
	receive(&w, &a, 1000, 3, 1000);
	serve(&w);
	assert_int_equal(w.nsent, 4);
	expect_run(&w, 0, &a, 1400, 1, 1400);
	expect_run(&w, 2, &a, 1400, 1, 1400);
	expect_run(&w, 3, &a, 1000, 3, 1000);
	/* Refused at 500 bytes: the path takes no GSO at all (IPsec). */
	assert_int_equal(batch_refused(&w.plan, &(struct batch_send){.segs = 2, .seg = 500}, EIO),
			 1);
	assert_false(w.plan.gso);
	w.nsent = 0;
	w.nmsgs = 0;
	receive(&w, &a, 100, 3, 100);
	serve(&w);
	assert_int_equal(w.nsent, 3);
	/* A larger refusal later never raises what was learnt. */
	assert_int_equal(
		batch_refused(&w.plan, &(struct batch_send){.segs = 2, .seg = 9000}, EINVAL), 1);
	assert_int_equal(w.plan.gso_max_seg, 499);
}

/* The datagrams of a send, walked across its spans. */
static void test_next_walks_every_datagram(void **state)
{
	struct world w;
	struct sender a;
	struct batch_cursor cur = {0, 0};
	struct batch_span d;

	(void)state;
	world(&w, 1);
	sender(&a, ECHO_FAMILY_IPV4, 1, 0);
	receive(&w, &a, 100, 2, 100);
	receive(&w, &a, 50, 1, 50);
	for (unsigned i = 0; i < 2; i++) {
		size_t next = 0;

		assert_int_equal(
			batch_plan_message(&w.plan, &w.rules, &w.counters, &w.msgs[i], &next), 0);
	}
	assert_int_equal(w.plan.nsends, 1);
	assert_int_equal(w.plan.nspans, 2);
	assert_true(batch_next(&w.plan, &w.plan.sends[0], &cur, &d));
	assert_true(d.slot == 0 && d.off == 0 && d.len == 100);
	assert_true(batch_next(&w.plan, &w.plan.sends[0], &cur, &d));
	assert_true(d.slot == 0 && d.off == 100 && d.len == 100);
	assert_true(batch_next(&w.plan, &w.plan.sends[0], &cur, &d));
	assert_true(d.slot == 1 && d.off == 0 && d.len == 50);
	assert_false(batch_next(&w.plan, &w.plan.sends[0], &cur, &d));
}

/*
 * The rhythm: batches while they find more than one; after a long stretch
 * of batches that find one, single receives with a batch every 16th; one
 * batch that finds two brings batching back.
 */
static void test_rhythm(void **state)
{
	struct batch_rhythm r;
	int batches = 0;

	(void)state;
	batch_rhythm_init(&r);
	while (batch_rhythm_batch(&r) && batches < 100) {
		batch_rhythm_note(&r, 1, 1);
		batches++;
	}
	assert_true(batches > 8 && batches < 40);
	for (int i = 0; i < 14; i++) {
		assert_false(batch_rhythm_batch(&r));
		batch_rhythm_note(&r, 0, 1);
	}
	assert_false(batch_rhythm_batch(&r));
	batch_rhythm_note(&r, 0, 1);
	assert_true(batch_rhythm_batch(&r)); /* the 16th */
	batch_rhythm_note(&r, 1, 1);
	assert_false(batch_rhythm_batch(&r));
	for (int i = 0; i < 15; i++)
		batch_rhythm_note(&r, 0, 1);
	assert_true(batch_rhythm_batch(&r));
	batch_rhythm_note(&r, 1, 2); /* found a queue */
	assert_true(batch_rhythm_batch(&r));
	batch_rhythm_note(&r, 1, 5);
	assert_true(batch_rhythm_batch(&r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gro_run_goes_back_as_one_message),
		cmocka_unit_test(test_run_split_at_segment_limit_and_family_maximum),
		cmocka_unit_test(test_run_split_where_size_verdicts_differ),
		cmocka_unit_test(test_run_split_by_rate_limit),
		cmocka_unit_test(test_plain_datagrams_of_one_peer_go_back_as_one_run),
		cmocka_unit_test(test_short_datagram_ends_a_run),
		cmocka_unit_test(test_different_sources_never_join),
		cmocka_unit_test(test_without_gso_and_when_full),
		cmocka_unit_test(test_truncated_is_counted_not_echoed),
		cmocka_unit_test(test_refused_gso_is_remembered),
		cmocka_unit_test(test_next_walks_every_datagram),
		cmocka_unit_test(test_rhythm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
