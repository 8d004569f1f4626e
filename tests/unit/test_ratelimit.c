/*
 * test_ratelimit.c: per-source token buckets and echo_decide.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/echo.h"
#include "udpecho/policy.h"
#include "udpecho/ratelimit.h"

#define SLOTS 64

static struct ratelimit_slot slots[SLOTS];

static struct echo_peer source(uint8_t last)
{
	struct echo_peer p = {
		.family = ECHO_FAMILY_IPV4, .addr = {198, 18, 0, last}, .port = 40000};

	return p;
}

static void test_burst_then_rate(void **state)
{
	struct ratelimit rl;
	struct echo_peer a = source(1);
	int passed = 0;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, slots, SLOTS, 10, 5, 42), 0);
	/* A burst of 5 at one instant, then nothing. */
	for (int i = 0; i < 20; i++)
		passed += ratelimit_allow(&rl, &a, 1000000);
	assert_int_equal(passed, 5);
	/* 10 per second: one token every 100 ms. */
	assert_false(ratelimit_allow(&rl, &a, 1000000 + 99999));
	assert_true(ratelimit_allow(&rl, &a, 1000000 + 100000));
	assert_false(ratelimit_allow(&rl, &a, 1000000 + 100001));
	/* A long pause fills the bucket to the burst, no more. */
	passed = 0;
	for (int i = 0; i < 20; i++)
		passed += ratelimit_allow(&rl, &a, 100000000);
	assert_int_equal(passed, 5);
}

static void test_sources_are_separate_and_mapped_is_the_same(void **state)
{
	struct ratelimit rl;
	struct echo_peer a = source(1), b = source(2);
	struct echo_peer mapped = {.family = ECHO_FAMILY_IPV6,
				   .addr = {[10] = 0xff, [11] = 0xff, 198, 18, 0, 1}};

	(void)state;
	assert_int_equal(ratelimit_init(&rl, slots, SLOTS, 1, 1, 7), 0);
	assert_true(ratelimit_allow(&rl, &a, 0));
	assert_false(ratelimit_allow(&rl, &a, 0));
	assert_true(ratelimit_allow(&rl, &b, 0));
	/* ::ffff:198.18.0.1 is 198.18.0.1 seen through a dual-stack socket: same bucket. */
	assert_false(ratelimit_allow(&rl, &mapped, 0));
}

static void test_memory_is_fixed_and_evictions_counted(void **state)
{
	struct ratelimit rl;
	int passed = 0;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, slots, 8, 1, 1, 3), 0);
	/* 256 sources through an 8-slot table: every one gets its first datagram. */
	for (int i = 0; i < 256; i++) {
		struct echo_peer p = source((uint8_t)i);

		passed += ratelimit_allow(&rl, &p, (uint64_t)i);
	}
	assert_int_equal(passed, 256);
	assert_true(rl.evictions >= 256 - 8);
	assert_ptr_equal(rl.slots, slots);
}

static void test_init_refuses_bad_tables(void **state)
{
	struct ratelimit rl;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, slots, 3, 1, 1, 0), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, slots, 12, 1, 1, 0), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, slots, 8, 0, 1, 0), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, slots, 8, 1, 0, 0), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, slots, 8, RATELIMIT_MAX_PPS + 1, 1, 0), -EINVAL);
}

static void test_parse(void **state)
{
	uint32_t pps = 0, burst = 0;

	(void)state;
	assert_int_equal(ratelimit_parse("100", &pps, &burst), 0);
	assert_int_equal(pps, 100);
	assert_int_equal(burst, 100);
	assert_int_equal(ratelimit_parse("100,10", &pps, &burst), 0);
	assert_int_equal(burst, 10);
	assert_int_equal(ratelimit_parse("0", &pps, &burst), -ERANGE);
	assert_int_equal(ratelimit_parse("10,0", &pps, &burst), -ERANGE);
	assert_int_equal(ratelimit_parse("10000001", &pps, &burst), -ERANGE);
	assert_int_equal(ratelimit_parse("", &pps, &burst), -EINVAL);
	assert_int_equal(ratelimit_parse(",5", &pps, &burst), -EINVAL);
	assert_int_equal(ratelimit_parse("5,", &pps, &burst), -EINVAL);
	assert_int_equal(ratelimit_parse("5,6,7", &pps, &burst), -EINVAL);
	assert_int_equal(ratelimit_parse("fast", &pps, &burst), -EINVAL);
	/* Too many digits to copy is still a number out of range, not a bad word. */
	assert_int_equal(ratelimit_parse("100000000000000000000", &pps, &burst), -ERANGE);
	assert_int_equal(ratelimit_parse("100000000000000000000,5", &pps, &burst), -ERANGE);
	assert_int_equal(ratelimit_parse("1000000000000000000x", &pps, &burst), -EINVAL);
}

static void test_decide_spends_tokens_only_on_echoes(void **state)
{
	static const uint8_t data[4] = "data";
	struct echo_policy policy;
	struct ratelimit rl;
	struct echo_reply r;
	struct echo_peer a = source(1), loop = source(1);

	(void)state;
	policy_init(&policy);
	loop.port = 7; /* denied port: dropped before the limiter */
	assert_int_equal(ratelimit_init(&rl, slots, SLOTS, 1, 1, 5), 0);
	assert_int_equal(echo_decide(&policy, &rl, 0, &loop, data, 4, &r), ECHO_DROP_DENIED_PORT);
	assert_int_equal(echo_decide(&policy, &rl, 0, &a, data, 4, &r), ECHO_VERDICT_ECHO);
	assert_ptr_equal(r.data, data);
	assert_int_equal(echo_decide(&policy, &rl, 0, &a, data, 4, &r), ECHO_DROP_RATE_LIMITED);
	assert_null(r.data);
	assert_int_equal(r.len, 0);
	assert_string_equal(echo_verdict_name(ECHO_DROP_RATE_LIMITED), "rate_limited");
	/* No limiter: handle_datagram alone. */
	assert_int_equal(echo_decide(&policy, NULL, 0, &a, data, 4, &r), ECHO_VERDICT_ECHO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_sources_are_separate_and_mapped_is_the_same),
		cmocka_unit_test(test_memory_is_fixed_and_evictions_counted),
		cmocka_unit_test(test_init_refuses_bad_tables),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_decide_spends_tokens_only_on_echoes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
