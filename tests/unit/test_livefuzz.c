/*
 * test_livefuzz.c: udpecho fuzz's generator and minimiser (livefuzz.h):
 * a seed repeats a run; every size and content kind is drawn; the
 * minimiser shrinks planted findings to the one datagram that causes them
 * and never hands back a case that does not reproduce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/check.h"
#include "udpecho/livefuzz.h"

#define MAX 65507

static uint8_t a[MAX], b[MAX];

static void test_seed_repeats_the_run(void **state)
{
	struct livefuzz_gen g1 = {.max_size = MAX, .clients = 3};
	struct livefuzz_gen g2 = {.max_size = MAX, .clients = 3};

	(void)state;
	livefuzz_seed(&g1.rng, 42);
	livefuzz_seed(&g2.rng, 42);
	for (int i = 0; i < 500; i++) {
		struct livefuzz_round r1, r2;
		size_t n1 = livefuzz_datagram(&g1, a, sizeof(a), NULL);
		size_t n2 = livefuzz_datagram(&g2, b, sizeof(b), NULL);

		assert_int_equal(n1, n2);
		assert_memory_equal(a, b, n1);
		livefuzz_plan_round(&g1, &r1);
		livefuzz_plan_round(&g2, &r2);
		assert_memory_equal(&r1, &r2, sizeof(r1));
	}
}

static void test_every_kind_is_drawn_within_bounds(void **state)
{
	static const uint8_t seedbytes[] = "GET / HTTP/1.0\r\n";
	struct livefuzz_blob corpus = {seedbytes, sizeof(seedbytes) - 1};
	struct livefuzz_gen g = {.max_size = 2000, .corpus = &corpus, .ncorpus = 1, .clients = 4};
	unsigned sizes[LIVEFUZZ_SIZE_KINDS] = {0}, contents[LIVEFUZZ_BYTES_KINDS] = {0};
	int saw_zero = 0, saw_max = 0, saw_1473 = 0, saw_many = 0;

	(void)state;
	livefuzz_seed(&g.rng, 7);
	for (int i = 0; i < 20000; i++) {
		struct livefuzz_recipe how;
		struct livefuzz_round r;
		size_t n = livefuzz_datagram(&g, a, sizeof(a), &how);

		assert_true(n <= 2000);
		sizes[how.size]++;
		contents[how.content]++;
		saw_zero |= n == 0;
		saw_max |= n == 2000;
		saw_1473 |= n == 1473;
		livefuzz_plan_round(&g, &r);
		assert_true(r.n >= 1 && r.n <= LIVEFUZZ_ROUND_MAX);
		for (unsigned k = 0; k < r.n; k++)
			assert_true(r.client[k] < 4);
		saw_many |= r.n > 1 && r.client[0] != r.client[r.n - 1];
	}
	for (int k = 0; k < LIVEFUZZ_SIZE_KINDS; k++)
		assert_true(sizes[k] > 1000);
	for (int k = 0; k < LIVEFUZZ_BYTES_KINDS; k++)
		assert_true(contents[k] > 500);
	assert_true(saw_zero && saw_max && saw_1473 && saw_many);
	assert_int_equal(check_size_ladder(check_size_ladder_len() - 1, 2000), 2000);
}

/* A case of n datagrams, each of its own length, the bytes in store. */
static uint8_t store[8][MAX];

static void make_case(struct livefuzz_case *c, const size_t *lens, size_t n)
{
	memset(c, 0, sizeof(*c));
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		c->len[i] = lens[i];
		c->data[i] = store[i];
		for (size_t k = 0; k < lens[i]; k++)
			store[i][k] = (uint8_t)(k * 31 + i);
	}
}

/* Planted bugs, as the I/O layer would report them. */
static int crashes_over_1000(const struct livefuzz_case *c, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < c->n; i++)
		if (c->len[i] > 1000)
			return 1;
	return 0;
}

static int corrupts_1473_to_1480(const struct livefuzz_case *c, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < c->n; i++)
		if (c->len[i] >= 1473 && c->len[i] <= 1480)
			return 1;
	return 0;
}

static int hangs_after_boom(const struct livefuzz_case *c, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; k + 4 <= c->len[i]; k++)
			if (memcmp(c->data[i] + k, "BOOM", 4) == 0)
				return 1;
	return 0;
}

static int crashes_on_empty(const struct livefuzz_case *c, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < c->n; i++)
		if (c->len[i] == 0)
			return 1;
	return 0;
}

/* Needs two: a datagram starting 'X', later one of 10 bytes or more. */
static int needs_two(const struct livefuzz_case *c, void *ctx)
{
	int primed = 0;

	(void)ctx;
	for (size_t i = 0; i < c->n; i++) {
		if (primed && c->len[i] >= 10)
			return 1;
		primed |= c->len[i] > 0 && c->data[i][0] == 'X';
	}
	return 0;
}

static int calls_left;
static int stops(const struct livefuzz_case *c, void *ctx)
{
	return --calls_left < 0 ? -1 : crashes_over_1000(c, ctx);
}

static void test_minimise_planted_bugs(void **state)
{
	static const size_t lens[] = {10, 5000, 300, 0, 1476, 64, 2000, 7};
	struct livefuzz_case c;

	(void)state;
	make_case(&c, lens, 8);
	assert_true(livefuzz_minimise(&c, crashes_over_1000, NULL, 10000) > 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], 1001);
	for (size_t k = 0; k < 1001; k++)
		assert_int_equal(c.data[0][k], 'A');

	make_case(&c, lens, 8);
	assert_true(livefuzz_minimise(&c, corrupts_1473_to_1480, NULL, 10000) > 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], 1473);

	make_case(&c, lens, 8);
	memcpy(store[6] + 1500, "BOOM", 4);
	assert_true(livefuzz_minimise(&c, hangs_after_boom, NULL, 10000) > 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], 4);
	assert_memory_equal(c.data[0], "BOOM", 4);

	make_case(&c, lens, 8);
	assert_true(livefuzz_minimise(&c, crashes_on_empty, NULL, 10000) > 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], 0);

	make_case(&c, lens, 8);
	store[1][0] = 'X';
	assert_true(livefuzz_minimise(&c, needs_two, NULL, 10000) > 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.len[0], 1);
	assert_int_equal(c.data[0][0], 'X');
	assert_int_equal(c.len[1], 10);
}

/* A small budget or a stop leaves a case that still reproduces. */
static void test_minimise_keeps_the_finding(void **state)
{
	static const size_t lens[] = {10, 5000, 300, 0, 1476, 64, 2000, 7};
	struct livefuzz_case c;

	(void)state;
	for (unsigned budget = 0; budget < 40; budget++) {
		make_case(&c, lens, 8);
		assert_true(livefuzz_minimise(&c, crashes_over_1000, NULL, budget) <= (long)budget);
		assert_true(crashes_over_1000(&c, NULL));
	}
	for (int left = 0; left < 40; left++) {
		long r;

		calls_left = left;
		make_case(&c, lens, 8);
		r = livefuzz_minimise(&c, stops, NULL, 10000);
		assert_true(r == -1 || r <= left); /* stopped, or done first */
		assert_true(crashes_over_1000(&c, NULL));
	}
	calls_left = 3;
	make_case(&c, lens, 8);
	assert_int_equal(livefuzz_minimise(&c, stops, NULL, 10000), -1);
}

static int never(const struct livefuzz_case *c, void *ctx)
{
	(void)c;
	(void)ctx;
	return 0;
}

/* A finding that needs what came before it: said so, and the case left whole. */
static void test_minimise_says_not_alone(void **state)
{
	static const size_t lens[] = {10, 5000, 300};
	struct livefuzz_case c;

	(void)state;
	make_case(&c, lens, 3);
	assert_int_equal(livefuzz_minimise(&c, never, NULL, 100), LIVEFUZZ_NOT_ALONE);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.len[1], 5000);
	assert_int_equal(livefuzz_minimise(&c, never, NULL, 0), 0);
}

/* A round of three datagrams on clients 0, 1, 0, and what came back. */
static const uint8_t d0[] = "first", d1[] = "second one", d2[] = "third";
static const struct verdict_tx round_tx[3] = {{d0, 5, 0, 0}, {d1, 10, 1, 1}, {d2, 5, 2, 0}};

static struct livefuzz_verdict judge(const struct verdict_rx *rx, size_t nrx,
				     enum verdict_probe probe, int refused)
{
	struct livefuzz_obs obs = {round_tx, 3, rx, nrx, refused, 0, probe};
	struct livefuzz_verdict v;
	uint32_t scratch[3];

	livefuzz_judge(&obs, scratch, &v);
	return v;
}

static void test_judge_each_kind(void **state)
{
	static const uint8_t altered[] = "secOnd one";
	const struct verdict_rx exact[3] = {{d2, 5, 0, 0}, {d0, 5, 0, 0}, {d1, 10, 1, 0}};
	const struct verdict_rx wrong[3] = {{d0, 5, 0, 0}, {altered, 10, 1, 0}, {d2, 5, 0, 0}};
	const struct verdict_rx dup[4] = {
		{d0, 5, 0, 0}, {d1, 10, 1, 0}, {d2, 5, 0, 0}, {d2, 5, 0, 0}};
	const struct verdict_rx source[3] = {{d0, 5, 0, 0}, {d1, 10, 1, 1}, {d2, 5, 0, 0}};
	const struct verdict_rx crossed[3] = {{d0, 5, 1, 0}, {d1, 10, 1, 0}, {d2, 5, 0, 0}};
	const struct verdict_rx missing[2] = {{d0, 5, 0, 0}, {d2, 5, 0, 0}};
	const struct verdict_rx truncated[3] = {{d0, 5, 0, 0}, {d1, 4, 1, 0}, {d2, 5, 0, 0}};
	struct livefuzz_verdict v;

	(void)state;
	v = judge(exact, 3, VERDICT_PROBE_ANSWERED, 0);
	assert_int_equal(v.kind, LIVEFUZZ_NONE);
	assert_int_equal(v.unanswered, 0);
	v = judge(wrong, 3, VERDICT_PROBE_ANSWERED, 0);
	assert_int_equal(v.kind, LIVEFUZZ_WRONG);
	assert_int_equal(v.datagram, 1);
	assert_int_equal(v.match.kind, VERDICT_ALTERED);
	assert_int_equal(v.match.at, 3);
	v = judge(truncated, 3, VERDICT_PROBE_ANSWERED, 0);
	assert_int_equal(v.kind, LIVEFUZZ_WRONG);
	assert_int_equal(v.match.kind, VERDICT_TRUNCATED);
	v = judge(dup, 4, VERDICT_PROBE_ANSWERED, 0);
	assert_int_equal(v.kind, LIVEFUZZ_DUPLICATE);
	assert_int_equal(v.datagram, 2);
	v = judge(source, 3, VERDICT_PROBE_ANSWERED, 0);
	assert_int_equal(v.kind, LIVEFUZZ_WRONG_SOURCE);
	v = judge(crossed, 3, VERDICT_PROBE_ANSWERED, 0);
	assert_int_equal(v.kind, LIVEFUZZ_CROSSED);
	v = judge(missing, 2, VERDICT_PROBE_ANSWERED, 0);
	assert_int_equal(v.kind, LIVEFUZZ_UNANSWERED);
	assert_int_equal(v.datagram, 1);
	assert_int_equal(v.unanswered, 1);
	v = judge(missing, 2, VERDICT_PROBE_SILENT, 0);
	assert_int_equal(v.kind, LIVEFUZZ_HANG);
	v = judge(exact, 3, VERDICT_PROBE_SILENT, 0);
	assert_int_equal(v.kind, LIVEFUZZ_HANG); /* echoed the round, then stopped */
	v = judge(missing, 2, VERDICT_PROBE_REFUSED, 0);
	assert_int_equal(v.kind, LIVEFUZZ_CRASH);
	v = judge(NULL, 0, VERDICT_PROBE_NONE, 1);
	assert_int_equal(v.kind, LIVEFUZZ_CRASH);
	assert_int_equal(v.unanswered, 3);
	assert_string_equal(livefuzz_kind_name(LIVEFUZZ_WRONG), "wrong-echo");
}

/* A round's pause is taken while the run's pauses stay within their share of its time. */
static void test_pause_keeps_to_its_share(void **state)
{
	struct livefuzz_round r = {.n = 1, .pause_us = 20000};
	struct livefuzz_round none = {.n = 1, .pause_us = 0};

	(void)state;
	/* 20 ms of pause needs 1 s of run at a 1/50 share. */
	assert_int_equal(livefuzz_pause(&r, 0, 999999), 0);
	assert_int_equal(livefuzz_pause(&r, 0, 1000000), 20000);
	/* 10 ms already paused: the next 20 ms needs 1.5 s. */
	assert_int_equal(livefuzz_pause(&r, 10000, 1499999), 0);
	assert_int_equal(livefuzz_pause(&r, 10000, 1500000), 20000);
	assert_int_equal(livefuzz_pause(&none, 0, 0), 0);
	/* A clock that went back (paused past elapsed) pauses nothing. */
	assert_int_equal(livefuzz_pause(&r, 5000000, 1000000), 0);
	/* Taken over a long run, pauses stay within the share. */
	{
		uint64_t paused = 0;

		for (uint64_t t = 0; t < 60000000; t += 1000)
			paused += livefuzz_pause(&r, paused, t);
		assert_true(paused > 0);
		assert_true(paused * LIVEFUZZ_PAUSE_SHARE <= 60000000);
	}
}

/* A slow path is waited for: the wait follows the rounds' times, within its bounds. */
static void test_rtt_wait_follows_the_path(void **state)
{
	struct livefuzz_rtt r = {0};

	(void)state;
	/* No sample yet: the first wait, within the bounds. */
	assert_int_equal(livefuzz_rtt_wait(&r, 250000, 1000000, 10000000), 1000000);
	assert_int_equal(livefuzz_rtt_wait(&r, 250000, 100, 10000000), 250000);
	assert_int_equal(livefuzz_rtt_wait(&r, 250000, 20000000, 10000000), 10000000);
	/* Loopback, 50 us a round: still the floor. */
	for (int i = 0; i < 100; i++)
		livefuzz_rtt_sample(&r, 50);
	assert_int_equal(livefuzz_rtt_wait(&r, 250000, 1000000, 10000000), 250000);
	/* A 300 ms path: first sample srtt 300 ms, rttvar 150 ms: 900 ms. */
	r = (struct livefuzz_rtt){0};
	livefuzz_rtt_sample(&r, 300000);
	assert_int_equal(r.srtt_us, 300000);
	assert_int_equal(r.rttvar_us, 150000);
	assert_int_equal(livefuzz_rtt_wait(&r, 250000, 1000000, 10000000), 900000);
	/* Steady at 300 ms, the wait stays above it and comes down towards it. */
	for (int i = 0; i < 200; i++)
		livefuzz_rtt_sample(&r, 300000);
	assert_true(livefuzz_rtt_wait(&r, 250000, 1000000, 10000000) >= 300000);
	assert_true(livefuzz_rtt_wait(&r, 250000, 1000000, 10000000) < 310000);
	/* One slow round raises it at once, past that round's time. */
	livefuzz_rtt_sample(&r, 2000000);
	assert_true(livefuzz_rtt_wait(&r, 250000, 1000000, 10000000) > 2000000);
	/* The ceiling holds, and an absurd sample (a clock step) does not overflow. */
	livefuzz_rtt_sample(&r, UINT64_MAX);
	assert_int_equal(livefuzz_rtt_wait(&r, 250000, 1000000, 10000000), 10000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_repeats_the_run),
		cmocka_unit_test(test_every_kind_is_drawn_within_bounds),
		cmocka_unit_test(test_minimise_planted_bugs),
		cmocka_unit_test(test_minimise_keeps_the_finding),
		cmocka_unit_test(test_minimise_says_not_alone),
		cmocka_unit_test(test_judge_each_kind),
		cmocka_unit_test(test_pause_keeps_to_its_share),
		cmocka_unit_test(test_rtt_wait_follows_the_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
