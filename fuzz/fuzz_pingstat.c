/*
 * fuzz_pingstat: the arithmetic of `udpecho ping` (src/core/pingstat.c).
 *
 * Input layout (an exhausted input reads as zeros): u8 selector, then one
 * section per selector value, each checked against a slow reference:
 *
 *   0  running statistics: u8 count, then i32 samples.  n, min and max
 *      exact; the mean and the deviation against sums in long double.
 *   1  sequence unwrapping: (u64 latest, u32 low, u8 bits) triples.  The
 *      answer is the largest seq <= latest with those low bits, or none.
 *   2  request bookkeeping: ops of u8 kind + u16 arg: send arg requests, or
 *      a reply to seq = sent - 1 - arg (or beyond).  Every classification
 *      equals a plain array's over every seq ever sent, across the ring's
 *      wrap (up to 200,000 requests).
 *   3  loss by direction: u16 sent, then (u16 seq, u32 TestRespSN) replies
 *      for distinct seqs below sent.  The three losses add up to
 *      sent - replies; answered lies in [replies, window]; shared exactly
 *      when the TestRespSN span exceeds the window.
 *   4  stamps: (u32, u32, u64) triples through pingstat_server_us, the
 *      one-way delay helpers and pingstat_owd, against their definitions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/pingstat.h"

#define MAX_SENT 200000u

static uint8_t ref_answered[MAX_SENT];
static struct pingstat_seqs seqs;

static long double absl(long double x)
{
	return x < 0 ? -x : x;
}

static int fuzz_acc(struct fuzz_in *in)
{
	struct pingstat_acc a;
	struct pingstat_summary sum;
	unsigned n = fuzz_u8(in);
	int64_t min = INT64_MAX, max = INT64_MIN;
	long double total = 0, squares = 0, mean, var;
	int64_t v[256];

	pingstat_acc_init(&a);
	for (unsigned i = 0; i < n; i++) {
		v[i] = (int32_t)fuzz_u32(in);
		pingstat_acc_add(&a, v[i]);
		min = v[i] < min ? v[i] : min;
		max = v[i] > max ? v[i] : max;
		total += v[i];
	}
	pingstat_acc_summary(&a, &sum);
	if (n == 0) {
		FUZZ_REQUIRE(sum.n == 0 && sum.min == 0 && sum.avg == 0 && sum.mdev == 0,
			     "acc.empty", "n 0");
		return 0;
	}
	mean = total / n;
	for (unsigned i = 0; i < n; i++)
		squares += (v[i] - mean) * (v[i] - mean);
	var = squares / n;
	FUZZ_REQUIRE(sum.n == n && sum.min == (double)min && sum.max == (double)max, "acc.exact",
		     "n %u", n);
	FUZZ_REQUIRE(absl((long double)sum.avg - mean) <= 1e-6L * ((long double)max - min + 1),
		     "acc.mean", "%f vs %Lf", sum.avg, mean);
	FUZZ_REQUIRE(sum.mdev >= 0 && sum.mdev <= ((double)max - (double)min) / 2 + 1e-6,
		     "acc.mdev_range", "%f in [%lld, %lld]", sum.mdev, (long long)min,
		     (long long)max);
	FUZZ_REQUIRE(absl((long double)sum.mdev * sum.mdev - var) <=
			     1e-6L * ((long double)max - min + 1) * ((long double)max - min + 1),
		     "acc.mdev", "%f^2 vs %Lf", sum.mdev, var);
	return 0;
}

static int fuzz_unwrap(struct fuzz_in *in)
{
	while (in->n > 0) {
		uint64_t latest = fuzz_u64(in);
		uint32_t low = fuzz_u32(in);
		unsigned bits = fuzz_u8(in) % 32 + 1;
		uint64_t mod = UINT64_C(1) << bits, want_low = low & (mod - 1);
		uint64_t got = pingstat_unwrap(latest, low, bits);
		/* The largest seq <= latest congruent to low: step back from latest. */
		uint64_t back = ((latest & (mod - 1)) - want_low) & (mod - 1);

		if (back > latest)
			FUZZ_REQUIRE(got == UINT64_MAX, "unwrap.none", "latest %llu low %u bits %u",
				     (unsigned long long)latest, low, bits);
		else
			FUZZ_REQUIRE(got == latest - back && (got & (mod - 1)) == want_low,
				     "unwrap.value", "latest %llu low %u bits %u: %llu",
				     (unsigned long long)latest, low, bits,
				     (unsigned long long)got);
	}
	return 0;
}

static int fuzz_seqs(struct fuzz_in *in)
{
	static uint64_t dirty; /* ref_answered[0..dirty) may be set from the last input */
	uint64_t sent = 0, next = 0, received = 0, dups = 0;

	pingstat_seqs_init(&seqs);
	memset(ref_answered, 0, dirty);
	while (in->n > 0) {
		uint8_t kind = fuzz_u8(in);
		uint32_t arg = fuzz_u16(in);

		if (kind % 2 == 0) {
			/* kind's top bits scale the count, so the ring's wrap is reachable. */
			uint64_t k = (uint64_t)arg << (kind >> 5);

			for (; k > 0 && sent < MAX_SENT; k--)
				FUZZ_REQUIRE(pingstat_seqs_send(&seqs) == sent++, "seqs.send",
					     "%llu", (unsigned long long)sent);
			continue;
		}
		{
			uint64_t seq =
				kind & 2 ? sent + arg : sent - 1 - arg; /* may wrap: unknown */
			int known = seq < sent && sent - seq <= PINGSTAT_WINDOW;
			enum pingstat_class want, got;

			if (!known) {
				want = PINGSTAT_UNKNOWN;
			} else if (ref_answered[seq]) {
				want = PINGSTAT_DUPLICATE;
				dups++;
			} else {
				ref_answered[seq] = 1;
				received++;
				want = seq + 1 < next ? PINGSTAT_OUT_OF_ORDER : PINGSTAT_NEW;
				if (want == PINGSTAT_NEW)
					next = seq + 1;
			}
			got = pingstat_seqs_reply(&seqs, seq);
			FUZZ_REQUIRE(got == want, "seqs.class", "seq %llu of %llu: %d, want %d",
				     (unsigned long long)seq, (unsigned long long)sent, (int)got,
				     (int)want);
			FUZZ_REQUIRE(pingstat_seqs_answered(&seqs, seq) ==
					     (known && ref_answered[seq]),
				     "seqs.answered", "seq %llu", (unsigned long long)seq);
		}
	}
	dirty = sent;
	FUZZ_REQUIRE(seqs.sent == sent && seqs.received == received && seqs.duplicates == dups &&
			     seqs.next_in_order == next,
		     "seqs.totals", "sent %llu", (unsigned long long)sent);
	return 0;
}

static int fuzz_dir(struct fuzz_in *in)
{
	static uint8_t used[65536];
	struct pingstat_dir d;
	struct pingstat_dir_loss loss;
	uint64_t sent = fuzz_u16(in), replies = 0;

	memset(used, 0, sent);
	pingstat_dir_init(&d);
	while (in->n > 0 && sent > 0) {
		uint64_t seq = fuzz_u16(in) % sent;
		uint32_t resp = fuzz_u32(in);

		if (used[seq])
			continue;
		used[seq] = 1;
		pingstat_dir_add(&d, seq, resp);
		replies++;
	}
	pingstat_dir_loss(&d, sent, &loss);
	if (replies == 0) {
		FUZZ_REQUIRE(loss.window == 0 && loss.up_lost == 0 && loss.unknown == 0,
			     "dir.empty", "sent %llu", (unsigned long long)sent);
		return 0;
	}
	FUZZ_REQUIRE(loss.up_lost + loss.down_lost + loss.unknown == sent - replies, "dir.sum",
		     "%llu + %llu + %llu != %llu - %llu", (unsigned long long)loss.up_lost,
		     (unsigned long long)loss.down_lost, (unsigned long long)loss.unknown,
		     (unsigned long long)sent, (unsigned long long)replies);
	FUZZ_REQUIRE(loss.answered >= replies && loss.answered <= loss.window &&
			     loss.window == d.gen_hi - d.gen_lo + 1,
		     "dir.answered", "answered %llu replies %llu window %llu",
		     (unsigned long long)loss.answered, (unsigned long long)replies,
		     (unsigned long long)loss.window);
	FUZZ_REQUIRE(loss.shared == (loss.answered_raw > loss.window), "dir.shared",
		     "raw %llu window %llu", (unsigned long long)loss.answered_raw,
		     (unsigned long long)loss.window);
	FUZZ_REQUIRE(pingstat_loss_pct(sent - replies, sent) >= 0 &&
			     pingstat_loss_pct(sent - replies, sent) <= 100,
		     "dir.pct", "sent %llu", (unsigned long long)sent);
	return 0;
}

static int fuzz_stamps(struct fuzz_in *in)
{
	struct pingstat_owd o;
	struct pingstat_summary sum;
	uint64_t n = 0;

	pingstat_owd_init(&o);
	FUZZ_REQUIRE(pingstat_loss_pct(0, 0) == 0, "stamps.pct_zero", "0 of 0");
	while (in->n > 0) {
		uint32_t a = fuzz_u32(in), b = fuzz_u32(in), us = 0;
		uint64_t client = fuzz_u64(in);
		int rc = pingstat_server_us(a, b, &us);

		FUZZ_REQUIRE(rc == ((uint32_t)(b - a) >= UINT32_C(0x80000000) ? -1 : 0) &&
				     (rc != 0 || us == (uint32_t)(b - a)),
			     "stamps.server", "%u %u", a, b);
		FUZZ_REQUIRE(pingstat_owd_up(client, a) == (uint32_t)(a - (uint32_t)client) &&
				     pingstat_owd_down(b, client) ==
					     (uint32_t)((uint32_t)client - b),
			     "stamps.owd", "%u %u %llu", a, b, (unsigned long long)client);
		pingstat_owd_add(&o, a);
		n++;
	}
	pingstat_acc_summary(&o.acc, &sum);
	FUZZ_REQUIRE(sum.n == n && (n == 0 || sum.mdev >= 0), "stamps.owd_count", "%llu",
		     (unsigned long long)n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	/* A failed check has been reported (or stepped over, for a known bug) already. */
	switch (fuzz_u8(&in) % 5) {
	case 0:
		(void)fuzz_acc(&in);
		break;
	case 1:
		(void)fuzz_unwrap(&in);
		break;
	case 2:
		(void)fuzz_seqs(&in);
		break;
	case 3:
		(void)fuzz_dir(&in);
		break;
	default:
		(void)fuzz_stamps(&in);
		break;
	}
	return 0;
}
