/*
 * test_hist.c: the log-linear histogram: bucket arithmetic, 1% resolution,
 * percentiles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "udpecho/hist.h"

static struct hist h, h2;

static void test_small_values_are_exact(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 256; v++) {
		assert_int_equal(hist_index(v), v);
		assert_int_equal(hist_highest_equivalent(hist_index(v)), v);
	}
}

static void test_every_bucket_is_within_one_percent(void **state)
{
	(void)state;
	/* Walk values over the whole range: each falls in a bucket whose top is >= it and
	 * at most 1% above it, and indexes never go down or past the table. */
	size_t last = 0;

	for (uint64_t v = 1; v <= HIST_MAX; v += v / 97 + 1) {
		size_t i = hist_index(v);
		uint64_t top = hist_highest_equivalent(i);

		assert_true(i < HIST_BUCKETS);
		assert_true(i >= last);
		assert_true(top >= v);
		assert_true((double)(top - v) <= 0.01 * (double)v);
		last = i;
	}
	assert_int_equal(hist_index(UINT64_MAX), hist_index(HIST_MAX));
	assert_int_equal(hist_index(HIST_MAX), HIST_BUCKETS - 1);
}

static void test_percentiles(void **state)
{
	(void)state;
	hist_init(&h);
	assert_int_equal(hist_percentile(&h, 50), 0);
	/* 1..10000 us: p50 5000 us, p99 9900 us, p99.9 9990 us, within 1%. */
	for (uint64_t us = 1; us <= 10000; us++)
		hist_record(&h, us * 1000);
	assert_int_equal(h.total, 10000);
	assert_int_equal(h.min, 1000);
	assert_int_equal(h.max, 10000000);
	assert_true(labs((long)hist_percentile(&h, 50) - 5000000) <= 50000);
	assert_true(hist_percentile(&h, 50) >= 5000000);
	assert_true(labs((long)hist_percentile(&h, 99) - 9900000) <= 99000);
	assert_true(labs((long)hist_percentile(&h, 99.9) - 9990000) <= 99900);
	assert_int_equal(hist_percentile(&h, 100), 10000000);
	assert_true(hist_percentile(&h, 0) >= 1000 && hist_percentile(&h, 0) <= 1010);
}

static void test_merge(void **state)
{
	(void)state;
	hist_init(&h);
	hist_init(&h2);
	hist_record(&h, 100);
	hist_record(&h2, 300000);
	hist_record(&h2, 7);
	hist_merge(&h, &h2);
	assert_int_equal(h.total, 3);
	assert_int_equal(h.min, 7);
	assert_int_equal(h.max, 300000);
	assert_int_equal(h.sum, 300107);
	assert_int_equal(hist_percentile(&h, 34), 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_values_are_exact),
		cmocka_unit_test(test_every_bucket_is_within_one_percent),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
