/*
 * fuzz_hist: the latency histogram of udpecho bench.
 *
 * Input: u8 count of samples (0..255), then u64 values (any, HIST_MAX and
 * beyond included), split between two histograms that are then merged.
 * Checked against the sorted samples: count, min, max and sum exact; every
 * percentile at or above the true value and at most 1% above it (or the
 * exact maximum); percentiles never go down as pct goes up; every bucket's
 * top at or above each value it holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/hist.h"

static struct hist a, b;

static int cmp_u64(const void *x, const void *y)
{
	uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;

	return (p > q) - (p < q);
}

/* The sample the percentile stands for: rank ceil(pct% of n), at least 1. */
static uint64_t ref_percentile(const uint64_t *sorted, size_t n, double pct)
{
	uint64_t rank = (uint64_t)(pct / 100.0 * (double)n + 0.999999);

	if (pct >= 100.0)
		return sorted[n - 1];
	return sorted[(rank == 0 ? 1 : rank) - 1];
}

static int check_bucket(uint64_t v)
{
	size_t i = hist_index(v);
	uint64_t top = hist_highest_equivalent(i), capped = v > HIST_MAX ? HIST_MAX : v;

	FUZZ_REQUIRE(i < HIST_BUCKETS && top >= capped &&
			     (double)(top - capped) <= 0.01 * (double)capped,
		     "bucket.resolution", "value %llu: bucket %zu tops at %llu",
		     (unsigned long long)v, i, (unsigned long long)top);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double pcts[] = {0, 1, 25, 50, 90, 99, 99.9, 99.99, 100};
	struct fuzz_in in = {data, size};
	uint64_t values[256], sum = 0, last = 0;
	size_t n = fuzz_u8(&in);

	hist_init(&a);
	hist_init(&b);
	for (size_t i = 0; i < n; i++) {
		values[i] = fuzz_u64(&in) >> (fuzz_u8(&in) % 64); /* all magnitudes */
		if (check_bucket(values[i]) != 0)
			return 0;
		hist_record(i % 2 ? &b : &a, values[i]);
		sum += values[i];
	}
	hist_merge(&a, &b);
	FUZZ_REQUIRE(a.total == n && a.sum == sum, "merge.totals", "total %llu of %zu",
		     (unsigned long long)a.total, n);
	if (n == 0) {
		FUZZ_REQUIRE(hist_percentile(&a, 50) == 0, "empty.percentile", "no samples");
		return 0;
	}
	qsort(values, n, sizeof(values[0]), cmp_u64);
	FUZZ_REQUIRE(a.min == values[0] && a.max == values[n - 1], "minmax", "min %llu max %llu",
		     (unsigned long long)a.min, (unsigned long long)a.max);
	for (size_t p = 0; p < sizeof(pcts) / sizeof(pcts[0]); p++) {
		uint64_t got = hist_percentile(&a, pcts[p]);
		uint64_t want = ref_percentile(values, n, pcts[p]);
		uint64_t capped = want > HIST_MAX ? HIST_MAX : want;

		FUZZ_REQUIRE(got >= last, "percentile.monotone", "p%g = %llu below %llu", pcts[p],
			     (unsigned long long)got, (unsigned long long)last);
		FUZZ_REQUIRE(got == want || (got >= capped &&
					     (double)(got - capped) <= 0.01 * (double)capped),
			     "percentile.resolution", "p%g = %llu, the sample is %llu", pcts[p],
			     (unsigned long long)got, (unsigned long long)want);
		last = got;
	}
	return 0;
}
