/*
 * hist.h: a log-linear latency histogram (HdrHistogram-style) with 1%
 * resolution, in fixed memory.  Values are nanoseconds: exact below 256,
 * then 128 buckets per power of two (at most 1/128 = 0.78% apart), up to
 * HIST_MAX (about 73 minutes); larger values count as HIST_MAX.
 */
#ifndef UDPECHO_HIST_H
#define UDPECHO_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB ((size_t)1 << HIST_SUB_BITS)
#define HIST_MAX_BITS 42
#define HIST_MAX ((1ull << HIST_MAX_BITS) - 1)
#define HIST_BUCKETS (((HIST_MAX_BITS - 1 - HIST_SUB_BITS) << HIST_SUB_BITS) + 2 * HIST_SUB)

struct hist {
	uint64_t counts[HIST_BUCKETS];
	uint64_t total;
	uint64_t min, max; /* exact */
	uint64_t sum;      /* for the mean; wraps only after ~5,800 years of samples */
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t value);
void hist_merge(struct hist *into, const struct hist *from);

/*
 * The value at percentile pct (0..100): the highest value of the bucket the
 * pct-th sample falls in, so never below the true value and at most 1% above
 * it; 100 gives the exact maximum, and 0 with no samples.
 */
uint64_t hist_percentile(const struct hist *h, double pct);

/* Bucket arithmetic, exposed for tests. */
size_t hist_index(uint64_t value);
uint64_t hist_highest_equivalent(size_t index);

#endif
