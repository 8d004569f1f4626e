/*
 * fuzz_livefuzz: udpecho fuzz's generator, oracle and minimiser.
 *
 * Input: a selector byte, then its section (an exhausted input reads as
 * zeros).
 *   0 generator: u64 seed, u16 max size, u8 clients, u8 corpus length and
 *     its bytes: 64 datagrams and rounds, twice from the seed.
 *   1 oracle: up to 8 datagrams (u8 client, u8 length, bytes), then up to
 *     16 replies (u8 op: which datagram, how changed, which socket, whose
 *     source), then the probe and refusal bytes.
 *   2 minimiser: a planted bug (u8 kind, u16 parameter), then up to 8
 *     datagrams (u16 length, bytes), and a budget.
 *   3 waiting: u32 floor, ceiling and first wait, then up to 64 round
 *     times (u32, or u64 when the top bit of a u8 says so).
 *
 * Checked:
 *   - the generator repeats itself for a seed, never exceeds the maximum
 *     size nor the client count;
 *   - the oracle passes a round only when every reply is exactly one
 *     datagram, on its own socket, from the target, none twice, nothing
 *     refused and the probe answered: it never passes a wrong echo;
 *   - the minimiser's result still reproduces, is no longer than what it
 *     was given, and spends at most its budget;
 *   - the wait keeps to its floor and ceiling, is the first wait before any
 *     round, and after a round it is
 *     never shorter than that round took (within the estimator's rounding,
 *     3 us): a server that is steadily slow is never judged silent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/livefuzz.h"

#define GEN_MAX 4096
#define ROUND 8
#define REPLIES 16

static uint8_t gen_a[GEN_MAX], gen_b[GEN_MAX];
static uint8_t gen_store[LIVEFUZZ_ROUND_MAX][GEN_MAX];

static int generator(struct fuzz_in *in)
{
	uint64_t seed = fuzz_u64(in);
	size_t max = fuzz_u16(in) % GEN_MAX;
	unsigned clients = fuzz_u8(in) % LIVEFUZZ_CLIENTS_MAX + 1;
	uint8_t corpus_bytes[64];
	struct livefuzz_blob blob = {corpus_bytes, fuzz_u8(in) % sizeof(corpus_bytes)};
	struct livefuzz_gen g1 = {
		.max_size = max, .clients = clients, .corpus = &blob, .ncorpus = blob.len > 0};
	struct livefuzz_gen g2 = g1;

	fuzz_bytes(in, corpus_bytes, blob.len);
	livefuzz_seed(&g1.rng, seed);
	livefuzz_seed(&g2.rng, seed);
	for (int i = 0; i < 64; i++) {
		struct livefuzz_round r1, r2;
		struct livefuzz_recipe how;
		size_t n1 = livefuzz_datagram(&g1, gen_a, sizeof(gen_a), &how);
		size_t n2 = livefuzz_datagram(&g2, gen_b, sizeof(gen_b), NULL);

		FUZZ_REQUIRE(n1 <= max, "livefuzz.size", "a %zu-byte datagram, max %zu", n1, max);
		FUZZ_REQUIRE(n1 == n2 && memcmp(gen_a, gen_b, n1) == 0, "livefuzz.repeat",
			     "datagram %d differs for one seed", i);
		FUZZ_REQUIRE(how.size < LIVEFUZZ_SIZE_KINDS && how.content < LIVEFUZZ_BYTES_KINDS,
			     "livefuzz.recipe", "recipe %d/%d", how.size, how.content);
		{
			/* livefuzz_distinct against the plain rule: equal bytes on one client. */
			static struct livefuzz_case c;

			if (i == 0)
				c.n = 0;
			if (c.n < LIVEFUZZ_ROUND_MAX) {
				int model = 1;

				c.data[c.n] = gen_store[c.n];
				memcpy(gen_store[c.n], gen_a, n1);
				c.len[c.n] = n1;
				c.client[c.n] = (uint8_t)(how.content % 2);
				for (size_t k = 0; k < c.n; k++)
					if (c.client[k] == c.client[c.n] && c.len[k] == n1 &&
					    memcmp(c.data[k], gen_a, n1) == 0)
						model = 0;
				FUZZ_REQUIRE(livefuzz_distinct(&c, c.n) == model,
					     "livefuzz.distinct",
					     "datagram %zu: distinct %d, the model %d", c.n,
					     livefuzz_distinct(&c, c.n), model);
				c.n++;
			}
		}
		livefuzz_plan_round(&g1, &r1);
		livefuzz_plan_round(&g2, &r2);
		FUZZ_REQUIRE(memcmp(&r1, &r2, sizeof(r1)) == 0, "livefuzz.repeat",
			     "round %d differs for one seed", i);
		FUZZ_REQUIRE(r1.n >= 1 && r1.n <= LIVEFUZZ_ROUND_MAX && r1.pause_us <= 50000,
			     "livefuzz.round", "a round of %u, pause %u", r1.n, r1.pause_us);
		for (unsigned k = 0; k < r1.n; k++)
			FUZZ_REQUIRE(r1.client[k] < clients, "livefuzz.round", "client %u of %u",
				     r1.client[k], clients);
	}
	return 0;
}

static uint8_t tx_bytes[ROUND][256], rx_bytes[REPLIES][300];

static int oracle(struct fuzz_in *in)
{
	struct verdict_tx tx[ROUND];
	struct verdict_rx rx[REPLIES];
	uint32_t scratch[ROUND], answers[ROUND] = {0};
	size_t ntx = fuzz_u8(in) % ROUND + 1, nrx = fuzz_u8(in) % REPLIES;
	struct livefuzz_obs obs;
	struct livefuzz_verdict v;
	enum verdict_probe probe;
	int clean, refused, exited;

	/* Each read on its own line: the order of reads in one initializer is unspecified. */
	for (size_t i = 0; i < ntx; i++) {
		uint16_t client = (uint16_t)(fuzz_u8(in) % 3);
		size_t len = fuzz_u8(in) % 200;

		tx[i] = (struct verdict_tx){tx_bytes[i], len, (uint32_t)i, client};
		fuzz_bytes(in, tx_bytes[i], len);
	}
	/*
	 * The judge's contract: a client's datagrams in one round differ (the I/O
	 * layer sends no round that livefuzz_distinct refuses).  Two equal ones
	 * on one socket cannot be told apart by their replies: not a round.
	 */
	for (size_t i = 0; i < ntx; i++)
		for (size_t k = 0; k < i; k++)
			if (tx[k].client == tx[i].client && tx[k].len == tx[i].len &&
			    memcmp(tx[k].data, tx[i].data, tx[i].len) == 0)
				return 0;
	clean = 1;
	for (size_t r = 0; r < nrx; r++) {
		uint8_t op = fuzz_u8(in);
		const struct verdict_tx *t = &tx[op % ntx];
		size_t len = t->len;

		memcpy(rx_bytes[r], t->data, len);
		switch ((op >> 3) & 7) {
		case 1: /* one byte changed */
			if (len > 0) {
				size_t at = fuzz_u8(in) % len;

				rx_bytes[r][at] ^= (uint8_t)(fuzz_u8(in) | 1);
			} else {
				len = 1;
			}
			break;
		case 2: /* cut */
			len = len > 0 ? fuzz_u8(in) % len : 1;
			break;
		case 3: /* grown */
			rx_bytes[r][len++] = fuzz_u8(in);
			break;
		default:
			break;
		}
		rx[r] = (struct verdict_rx){rx_bytes[r], len, t->client, 0};
		if (op & 0x40)
			rx[r].client = (uint16_t)((t->client + 1) % 3);
		rx[r].wrong_source = (op & 0x80) != 0;
		/* What the oracle may pass: exactly a datagram, its socket, the target. */
		{
			int exact_somewhere = 0;

			for (size_t i = 0; i < ntx; i++) {
				if (tx[i].len == len && memcmp(tx[i].data, rx_bytes[r], len) == 0 &&
				    tx[i].client == rx[r].client) {
					exact_somewhere = 1;
					answers[i]++;
					break;
				}
			}
			clean &= exact_somewhere && !rx[r].wrong_source;
		}
	}
	refused = fuzz_u8(in) % 4 == 0;
	exited = fuzz_u8(in) % 4 == 0;
	probe = (enum verdict_probe)(fuzz_u8(in) % 4);
	obs = (struct livefuzz_obs){tx, ntx, rx, nrx, refused, exited, probe};
	livefuzz_judge(&obs, scratch, &v);
	FUZZ_REQUIRE(strlen(livefuzz_kind_name(v.kind)) > 0 &&
			     strcmp(livefuzz_kind_name(LIVEFUZZ_KINDS), "unknown") == 0,
		     "livefuzz.names", "kind %d has no name", v.kind);
	FUZZ_REQUIRE(v.kind < LIVEFUZZ_KINDS && v.datagram < ntx, "livefuzz.judge_range",
		     "kind %d, datagram %zu of %zu", v.kind, v.datagram, ntx);
	if (v.kind == LIVEFUZZ_NONE) {
		FUZZ_REQUIRE(clean && !obs.refused && !obs.exited &&
				     obs.probe != VERDICT_PROBE_REFUSED &&
				     obs.probe != VERDICT_PROBE_SILENT,
			     "livefuzz.passed_wrong",
			     "a round passed with a reply not exact, "
			     "crossed or from elsewhere, or a dead server");
		for (size_t i = 0; i < ntx; i++)
			FUZZ_REQUIRE(scratch[i] == 1, "livefuzz.passed_wrong",
				     "datagram %zu answered %u times in a passed round", i,
				     scratch[i]);
	}
	(void)answers;
	return 0;
}

/* The planted bug the minimiser must keep. */
struct planted {
	uint8_t kind; /* bits 0-1 the bug; bit 2: the I/O layer says stop after `stop` calls */
	uint16_t param;
	unsigned calls, stop;
};

static int reproduces(const struct livefuzz_case *c, void *ctx)
{
	struct planted *p = ctx;

	if ((p->kind & 4) && p->calls++ >= p->stop)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		switch (p->kind % 4) {
		case 0:
			if (c->len[i] > p->param)
				return 1;
			break;
		case 1:
			if (c->len[i] >= p->param && c->len[i] <= p->param + 7u)
				return 1;
			break;
		case 2:
			for (size_t k = 0; k + 2 <= c->len[i]; k++)
				if (c->data[i][k] == (uint8_t)p->param &&
				    c->data[i][k + 1] == (uint8_t)(p->param >> 8))
					return 1;
			break;
		default: /* two datagrams: one of the parameter's length, then any longer */
			for (size_t k = i + 1; k < c->n; k++)
				if (c->len[i] == p->param % 64 && c->len[k] > c->len[i])
					return 1;
			break;
		}
	}
	return 0;
}

static uint8_t case_bytes[LIVEFUZZ_ROUND_MAX][1024];

static int minimiser(struct fuzz_in *in)
{
	struct planted p = {fuzz_u8(in), 0, 0, 0};
	struct livefuzz_case c, before;
	unsigned budget;
	long calls;

	p.param = (uint16_t)(fuzz_u16(in) % 1024);
	p.stop = p.param % 50;
	memset(&c, 0, sizeof(c));
	c.n = fuzz_u8(in) % 8 + 1;
	for (size_t i = 0; i < c.n; i++) {
		c.len[i] = fuzz_u16(in) % 1024;
		c.data[i] = case_bytes[i];
		fuzz_bytes(in, case_bytes[i], c.len[i]);
	}
	budget = fuzz_u16(in) % 4096;
	p.calls = 0;
	if (reproduces(&c, &p) != 1)
		return 0;
	p.calls = 0;
	before = c;
	calls = livefuzz_minimise(&c, reproduces, &p, budget);
	FUZZ_REQUIRE(calls != LIVEFUZZ_NOT_ALONE, "livefuzz.alone",
		     "a case that reproduces was called not reproducing alone");
	FUZZ_REQUIRE(calls == -1 ? (p.kind & 4) != 0 : calls <= (long)budget, "livefuzz.budget",
		     "%ld calls on a budget of %u", calls, budget);
	p.kind &= 3; /* the check itself never stops */
	FUZZ_REQUIRE(reproduces(&c, &p) == 1, "livefuzz.lost_finding",
		     "the minimised case (%zu datagrams) no longer reproduces", c.n);
	FUZZ_REQUIRE(c.n >= 1 && c.n <= before.n, "livefuzz.grew", "%zu datagrams from %zu", c.n,
		     before.n);
	return 0;
}

static int waiting(struct fuzz_in *in)
{
	struct livefuzz_rtt r = {0};
	uint64_t floor_us = fuzz_u32(in), ceil_us = fuzz_u32(in), first_us = fuzz_u32(in), wait;

	if (floor_us > ceil_us) {
		uint64_t t = floor_us;

		floor_us = ceil_us;
		ceil_us = t;
	}
	wait = livefuzz_rtt_wait(&r, floor_us, first_us, ceil_us);
	FUZZ_REQUIRE(wait == (first_us < floor_us  ? floor_us
			      : first_us > ceil_us ? ceil_us
						   : first_us),
		     "livefuzz.wait.first", "no sample: %llu, first %llu in [%llu, %llu]",
		     (unsigned long long)wait, (unsigned long long)first_us,
		     (unsigned long long)floor_us, (unsigned long long)ceil_us);
	for (int i = 0; i < 64 && in->n > 0; i++) {
		uint64_t us = fuzz_u8(in) & 0x80 ? fuzz_u64(in) : fuzz_u32(in);
		uint64_t took = us < 3600000000u ? us : 3600000000u;

		livefuzz_rtt_sample(&r, us);
		wait = livefuzz_rtt_wait(&r, floor_us, first_us, ceil_us);
		FUZZ_REQUIRE(wait >= floor_us && wait <= ceil_us, "livefuzz.wait.bounds",
			     "%llu outside [%llu, %llu]", (unsigned long long)wait,
			     (unsigned long long)floor_us, (unsigned long long)ceil_us);
		FUZZ_REQUIRE(wait + 3 >= (took < ceil_us ? took : ceil_us), "livefuzz.wait.covers",
			     "a round took %llu us, the next waits %llu (ceiling %llu)",
			     (unsigned long long)took, (unsigned long long)wait,
			     (unsigned long long)ceil_us);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	switch (fuzz_u8(&in) % 4) {
	case 0:
		(void)generator(&in);
		break;
	case 1:
		(void)oracle(&in);
		break;
	case 3:
		(void)waiting(&in);
		break;
	default:
		(void)minimiser(&in);
		break;
	}
	return 0;
}
