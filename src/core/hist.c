/*
 * hist.c: the log-linear histogram.
 */
#include "udpecho/hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static unsigned log2_floor(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

size_t hist_index(uint64_t value)
{
	unsigned shift;

	if (value > HIST_MAX)
		value = HIST_MAX;
	if (value < 2 * HIST_SUB)
		return (size_t)value;
	/* value >> shift lands in [HIST_SUB, 2 * HIST_SUB): 128 buckets per power of two. */
	shift = log2_floor(value) - HIST_SUB_BITS;
	return ((size_t)shift << HIST_SUB_BITS) + (size_t)(value >> shift);
}

uint64_t hist_highest_equivalent(size_t index)
{
	unsigned shift;
	uint64_t sub;

	if (index < 2 * HIST_SUB)
		return index;
	shift = (unsigned)(index >> HIST_SUB_BITS) - 1;
	sub = index - ((size_t)shift << HIST_SUB_BITS);
	return ((sub + 1) << shift) - 1;
}

void hist_record(struct hist *h, uint64_t value)
{
	h->counts[hist_index(value)]++;
	h->total++;
	h->sum += value;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		into->counts[i] += from->counts[i];
	into->total += from->total;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0;

	if (h->total == 0)
		return 0;
	if (pct >= 100.0)
		return h->max;
	/* The smallest rank whose share reaches pct, at least the first sample. */
	rank = (uint64_t)(pct / 100.0 * (double)h->total + 0.999999);
	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = hist_highest_equivalent(i);

			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
