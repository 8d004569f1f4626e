/*
 * livefuzz.c: the generator and the minimiser of `udpecho fuzz` (livefuzz.h).
 */
#include "udpecho/livefuzz.h"

#include <stdlib.h>
#include <string.h>

#include "udpecho/check.h"
#include "udpecho/echoplus.h"

/* ---- Randomness ---------------------------------------------------------- */

void livefuzz_seed(struct livefuzz_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

uint64_t livefuzz_next(struct livefuzz_rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

uint64_t livefuzz_below(struct livefuzz_rng *rng, uint64_t n)
{
	/* Reject the top sliver that would make some values likelier than others. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t v;

	do {
		v = livefuzz_next(rng);
	} while (v >= limit);
	return v % n;
}

/* ---- The generator ------------------------------------------------------- */

static const char *const dictionary[] = {
	"%s",    "%n",         "%x",    "%p",   "%99999999d",
	"$(",    "`",          "\\",    "\r\n", "\n",
	"\0",    "\xff",       "../",   "AAAA", "GET / HTTP/1.0",
	"\x7f",  "'",          "\"",    "{}",   "<>",
	"ECHO",  "quit",       "\x1b[", "%%",   "-1",
	"65535", "4294967295",
};

static size_t pick_size(struct livefuzz_gen *g, enum livefuzz_size *kind)
{
	size_t ladder_len = check_size_ladder_len();
	size_t size;

	*kind = (enum livefuzz_size)livefuzz_below(&g->rng, LIVEFUZZ_SIZE_KINDS);
	switch (*kind) {
	case LIVEFUZZ_SIZE_BOUNDARY:
		size = check_size_ladder(livefuzz_below(&g->rng, ladder_len), g->max_size);
		/* The boundary itself, or one byte either side of it. */
		size += livefuzz_below(&g->rng, 3);
		size = size > 0 ? size - 1 : 0;
		break;
	case LIVEFUZZ_SIZE_EDGE: {
		const size_t edges[3] = {0, 1, g->max_size};

		size = edges[livefuzz_below(&g->rng, 3)];
		break;
	}
	case LIVEFUZZ_SIZE_SMALL:
		size = livefuzz_below(&g->rng, 65);
		break;
	case LIVEFUZZ_SIZE_RANDOM:
	default:
		size = livefuzz_below(&g->rng, g->max_size + 1);
		break;
	}
	return size < g->max_size ? size : g->max_size;
}

/* Words of the dictionary, back to back, cut at len. */
static void fill_dict(struct livefuzz_gen *g, uint8_t *buf, size_t len)
{
	size_t n = sizeof(dictionary) / sizeof(dictionary[0]);

	for (size_t off = 0; off < len;) {
		const char *w = dictionary[livefuzz_below(&g->rng, n)];
		size_t wl = w[0] == '\0' ? 1 : strlen(w);

		if (wl > len - off)
			wl = len - off;
		for (size_t k = 0; k < wl; k++)
			buf[off + k] = (uint8_t)w[k];
		off += wl;
	}
}

static void fill_random(struct livefuzz_gen *g, uint8_t *buf, size_t len)
{
	for (size_t off = 0; off < len; off += 8) {
		uint64_t v = livefuzz_next(&g->rng);
		size_t k = len - off < 8 ? len - off : 8;

		memcpy(buf + off, &v, k);
	}
}

/* A corpus datagram, changed a few times: bit flips, byte sets, cuts, repeats, splices. */
static size_t mutate(struct livefuzz_gen *g, uint8_t *buf, size_t len)
{
	const struct livefuzz_blob *b = &g->corpus[livefuzz_below(&g->rng, g->ncorpus)];
	size_t have = b->len < g->max_size ? b->len : g->max_size;
	unsigned rounds = 1 + (unsigned)livefuzz_below(&g->rng, 4);

	memcpy(buf, b->data, have);
	for (unsigned r = 0; r < rounds; r++) {
		switch (livefuzz_below(&g->rng, 4)) {
		case 0: /* a bit */
			if (have > 0)
				buf[livefuzz_below(&g->rng, have)] ^=
					(uint8_t)(1u << livefuzz_below(&g->rng, 8));
			break;
		case 1: /* a byte */
			if (have > 0)
				buf[livefuzz_below(&g->rng, have)] =
					(uint8_t)livefuzz_below(&g->rng, 256);
			break;
		case 2: /* cut or grow to the size drawn */
			if (len > have)
				fill_random(g, buf + have, len - have);
			have = len;
			break;
		default: /* repeat the front */
			for (size_t i = have, k = 0; i < len && have > 0; i++, k++)
				buf[i] = buf[k % have];
			have = have > 0 ? len : 0;
			break;
		}
	}
	return have;
}

size_t livefuzz_datagram(struct livefuzz_gen *g, uint8_t *buf, size_t cap,
			 struct livefuzz_recipe *how)
{
	struct livefuzz_recipe r;
	size_t len = pick_size(g, &r.size);

	if (len > cap)
		len = cap;
	r.content = (enum livefuzz_content)livefuzz_below(&g->rng, LIVEFUZZ_BYTES_KINDS);
	switch (r.content) {
	case LIVEFUZZ_BYTES_CYCLE: {
		uint8_t start = (uint8_t)livefuzz_below(&g->rng, 256);

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(start + i);
		break;
	}
	case LIVEFUZZ_BYTES_ZERO:
		memset(buf, 0, len);
		break;
	case LIVEFUZZ_BYTES_ONE:
		memset(buf, (int)livefuzz_below(&g->rng, 256), len);
		break;
	case LIVEFUZZ_BYTES_FORMAT:
	case LIVEFUZZ_BYTES_DICT:
		fill_dict(g, buf, len);
		break;
	case LIVEFUZZ_BYTES_ECHOPLUS: {
		struct echoplus_header h = {.gen_sn = (uint32_t)livefuzz_next(&g->rng),
					    .iteration = (uint32_t)livefuzz_below(&g->rng, 4)};

		fill_random(g, buf, len);
		echoplus_encode(buf, len, &h);
		break;
	}
	case LIVEFUZZ_BYTES_MUTATED:
		if (g->ncorpus > 0) {
			len = mutate(g, buf, len);
			break;
		}
		/* No corpus: random bytes. */
		r.content = LIVEFUZZ_BYTES_RANDOM;
		fill_random(g, buf, len);
		break;
	case LIVEFUZZ_BYTES_RANDOM:
	default:
		fill_random(g, buf, len);
		break;
	}
	if (how != NULL)
		*how = r;
	return len;
}

void livefuzz_plan_round(struct livefuzz_gen *g, struct livefuzz_round *round)
{
	unsigned clients = g->clients > 0 ? g->clients : 1;

	memset(round, 0, sizeof(*round));
	switch (livefuzz_below(&g->rng, 4)) {
	case 0: /* one alone */
		round->n = 1;
		round->client[0] = (uint8_t)livefuzz_below(&g->rng, clients);
		break;
	case 1: { /* a burst from one socket */
		uint8_t c = (uint8_t)livefuzz_below(&g->rng, clients);

		round->n = 2 + (unsigned)livefuzz_below(&g->rng, LIVEFUZZ_ROUND_MAX - 1);
		memset(round->client, c, round->n);
		break;
	}
	default: /* several clients interleaved */
		round->n = 2 + (unsigned)livefuzz_below(&g->rng, LIVEFUZZ_ROUND_MAX - 1);
		for (unsigned i = 0; i < round->n; i++)
			round->client[i] = (uint8_t)livefuzz_below(&g->rng, clients);
		break;
	}
	/* Now and then a pause first: a server that batches sees both rhythms. */
	if (livefuzz_below(&g->rng, 8) == 0)
		round->pause_us = (uint32_t)livefuzz_below(&g->rng, 50001);
}

uint32_t livefuzz_pause(const struct livefuzz_round *round, uint64_t paused_us, uint64_t elapsed_us)
{
	uint64_t after = paused_us + round->pause_us;

	/* after <= elapsed / share, without overflow: paused_us is at most elapsed_us. */
	if (paused_us > elapsed_us || after > elapsed_us / LIVEFUZZ_PAUSE_SHARE)
		return 0;
	return round->pause_us;
}

void livefuzz_rtt_sample(struct livefuzz_rtt *r, uint64_t us)
{
	/* A sample past an hour is a clock step, not a path: it counts as an hour. */
	us = us < 3600000000u ? us : 3600000000u;
	if (r->samples++ == 0) {
		r->srtt_us = us;
		r->rttvar_us = us / 2;
		return;
	}
	r->rttvar_us =
		(3 * r->rttvar_us + (r->srtt_us > us ? r->srtt_us - us : us - r->srtt_us)) / 4;
	r->srtt_us = (7 * r->srtt_us + us) / 8;
}

uint64_t livefuzz_rtt_wait(const struct livefuzz_rtt *r, uint64_t floor_us, uint64_t first_us,
			   uint64_t ceil_us)
{
	uint64_t wait = r->samples == 0 ? first_us : r->srtt_us + 4 * r->rttvar_us;

	wait = wait > floor_us ? wait : floor_us;
	return wait < ceil_us ? wait : ceil_us;
}

const char *livefuzz_kind_name(enum livefuzz_kind kind)
{
	static const char *const names[LIVEFUZZ_KINDS] = {
		[LIVEFUZZ_NONE] = "none",           [LIVEFUZZ_CRASH] = "crash",
		[LIVEFUZZ_HANG] = "hang",           [LIVEFUZZ_WRONG] = "wrong-echo",
		[LIVEFUZZ_DUPLICATE] = "duplicate", [LIVEFUZZ_WRONG_SOURCE] = "wrong-source",
		[LIVEFUZZ_CROSSED] = "crossed",     [LIVEFUZZ_UNANSWERED] = "unanswered",
	};

	return (unsigned)kind < LIVEFUZZ_KINDS ? names[kind] : "unknown";
}

/* Is reply r a copy of a datagram sent from another client than its own? */
static int copy_of_another(const struct livefuzz_obs *obs, const struct verdict_rx *r)
{
	for (size_t i = 0; i < obs->ntx; i++)
		if (obs->tx[i].client != r->client && obs->tx[i].len == r->len &&
		    (r->len == 0 || memcmp(obs->tx[i].data, r->data, r->len) == 0))
			return 1;
	return 0;
}

/*
 * One client's part of the round: its datagrams and the replies on its
 * socket, tallied on their own (a datagram of one client and an equal one
 * of another are then never confused).  Adds to *out and the counts.
 */
struct judging {
	uint32_t wrong_source, crossed, defects, duplicates;
	size_t crossed_at, defect_at, dup_at; /* lowest datagram of each, ntx for none */
};

static void judge_client(const struct livefuzz_obs *obs, unsigned client, uint32_t *scratch,
			 struct judging *j, struct livefuzz_verdict *out)
{
	struct verdict_tx tx[LIVEFUZZ_ROUND_MAX];
	struct verdict_rx rx[LIVEFUZZ_REPLIES_MAX];
	size_t map[LIVEFUZZ_ROUND_MAX], rmap[LIVEFUZZ_REPLIES_MAX];
	uint32_t answers[LIVEFUZZ_ROUND_MAX];
	size_t m = 0, nr = 0;
	struct verdict_log log;
	struct verdict_tally t;

	for (size_t i = 0; i < obs->ntx && m < LIVEFUZZ_ROUND_MAX; i++) {
		if (obs->tx[i].client != client)
			continue;
		tx[m] = obs->tx[i];
		tx[m].request = (uint32_t)m;
		map[m++] = i;
	}
	for (size_t r = 0; r < obs->nrx && nr < LIVEFUZZ_REPLIES_MAX; r++) {
		if (obs->rx[r].client != client)
			continue;
		rx[nr] = obs->rx[r];
		rmap[nr++] = r;
	}
	if (m == 0 && nr == 0)
		return;
	log = (struct verdict_log){tx, m, rx, nr, (uint32_t)m, m};
	verdict_tally(&log, answers, &t);
	for (size_t k = 0; k < m; k++)
		scratch[map[k]] = answers[k];
	j->wrong_source += t.wrong_source;
	if (t.duplicates > 0 && t.dup_request < m) {
		j->duplicates += t.duplicates;
		if (map[t.dup_request] < j->dup_at)
			j->dup_at = map[t.dup_request];
	}
	if (!t.defect)
		return;
	/* Not one of its own: another client's datagram is crossing over, or it is wrong. */
	if (copy_of_another(obs, &rx[t.worst_rx])) {
		size_t at = t.worst_request < m ? map[t.worst_request] : obs->ntx;

		j->crossed++;
		if (at < j->crossed_at)
			j->crossed_at = at;
		return;
	}
	j->defects++;
	if (t.worst_request < m ? map[t.worst_request] < j->defect_at : j->defect_at == obs->ntx) {
		j->defect_at = t.worst_request < m ? map[t.worst_request] : obs->ntx;
		out->reply = rmap[t.worst_rx];
		out->match = t.worst;
		out->match.tx = t.worst.tx < m ? map[t.worst.tx] : obs->ntx;
	}
}

void livefuzz_judge(const struct livefuzz_obs *obs, uint32_t *scratch, struct livefuzz_verdict *out)
{
	struct judging j = {0, 0, 0, 0, obs->ntx, obs->ntx, obs->ntx};

	memset(out, 0, sizeof(*out));
	memset(scratch, 0, obs->ntx * sizeof(*scratch));
	for (unsigned k = 0; k < LIVEFUZZ_CLIENTS_MAX; k++)
		judge_client(obs, k, scratch, &j, out);
	for (size_t i = 0; i < obs->ntx; i++)
		if (scratch[i] == 0 && out->unanswered++ == 0)
			out->datagram = i;
	if (obs->refused || obs->exited || obs->probe == VERDICT_PROBE_REFUSED) {
		out->kind = LIVEFUZZ_CRASH;
	} else if (j.crossed > 0) {
		out->kind = LIVEFUZZ_CROSSED;
		if (j.crossed_at < obs->ntx)
			out->datagram = j.crossed_at;
	} else if (j.wrong_source > 0) {
		out->kind = LIVEFUZZ_WRONG_SOURCE;
	} else if (j.defects > 0 || obs->nrx > LIVEFUZZ_REPLIES_MAX) {
		out->kind = LIVEFUZZ_WRONG;
		/* A foreign reply answers none: the lowest unanswered then, or the first. */
		if (j.defect_at < obs->ntx)
			out->datagram = j.defect_at;
	} else if (j.duplicates > 0) {
		out->kind = LIVEFUZZ_DUPLICATE;
		out->datagram = j.dup_at < obs->ntx ? j.dup_at : out->datagram;
	} else if (obs->probe == VERDICT_PROBE_SILENT) {
		out->kind = LIVEFUZZ_HANG;
	} else if (out->unanswered > 0) {
		out->kind = LIVEFUZZ_UNANSWERED;
	}
}

int livefuzz_distinct(const struct livefuzz_case *c, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (c->client[k] == c->client[i] && c->len[k] == c->len[i] &&
		    (c->len[i] == 0 || memcmp(c->data[k], c->data[i], c->len[i]) == 0))
			return 0;
	return 1;
}

/* ---- The minimiser -------------------------------------------------------- */

struct shrink {
	livefuzz_reproduces test;
	void *ctx;
	unsigned budget;
	long calls;
	int stopped;
};

/* One trial: 1 it reproduces, 0 not (or the budget is spent), -1 stop. */
static int attempt(struct shrink *s, const struct livefuzz_case *trial)
{
	int r;

	if (s->stopped || (unsigned long)s->calls >= s->budget)
		return s->stopped ? -1 : 0;
	s->calls++;
	r = s->test(trial, s->ctx);
	if (r < 0)
		s->stopped = 1;
	return r;
}

/* c without datagrams [from, from + k). */
static void without(const struct livefuzz_case *c, size_t from, size_t k, struct livefuzz_case *out)
{
	out->n = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (i >= from && i < from + k)
			continue;
		out->len[out->n] = c->len[i];
		out->client[out->n] = c->client[i];
		out->data[out->n] = c->data[i];
		out->n++;
	}
}

/* ddmin over the sequence: the fewest datagrams that still reproduce. */
static int fewest(struct shrink *s, struct livefuzz_case *c)
{
	size_t parts = 2;

	while (c->n >= 2) {
		size_t chunk = (c->n + parts - 1) / parts;
		int reduced = 0;

		for (size_t from = 0; from < c->n && !reduced; from += chunk) {
			struct livefuzz_case trial;
			int r;

			without(c, from, chunk, &trial);
			if (trial.n == 0)
				continue;
			r = attempt(s, &trial);
			if (r < 0)
				return -1;
			if (r == 1) {
				*c = trial;
				parts = parts > 2 ? parts - 1 : 2;
				reduced = 1;
			}
		}
		if (!reduced) {
			if (parts >= c->n)
				break;
			parts = parts * 2 < c->n ? parts * 2 : c->n;
		}
	}
	return 0;
}

/*
 * Datagram i as short as it can be: cut step bytes from its end, else from
 * its front, halving the step when neither reproduces.  scratch holds the
 * trial's bytes.
 */
static int shortest(struct shrink *s, struct livefuzz_case *c, size_t i, uint8_t *scratch)
{
	for (size_t step = c->len[i] / 2 > 0 ? c->len[i] / 2 : c->len[i]; step > 0;) {
		struct livefuzz_case trial = *c;
		int r;

		if (step > c->len[i])
			step = c->len[i];
		if (step == 0)
			break;
		trial.len[i] = c->len[i] - step; /* the front part */
		r = attempt(s, &trial);
		if (r < 0)
			return -1;
		if (r == 1) {
			c->len[i] = trial.len[i];
			continue;
		}
		memcpy(scratch, c->data[i] + step, c->len[i] - step); /* the back part */
		trial.data[i] = scratch;
		r = attempt(s, &trial);
		if (r < 0)
			return -1;
		if (r == 1) {
			memmove(c->data[i], scratch, trial.len[i]);
			c->len[i] = trial.len[i];
			continue;
		}
		step /= 2;
	}
	return 0;
}

/* Datagram i's bytes as plain as they can be: runs of 'A', halving the run. */
static int plainest(struct shrink *s, struct livefuzz_case *c, size_t i, uint8_t *scratch)
{
	size_t len = c->len[i];

	for (size_t run = len; run > 0; run /= 2) {
		for (size_t off = 0; off < len; off += run) {
			size_t k = len - off < run ? len - off : run;
			struct livefuzz_case trial = *c;
			int plain = 1, r;

			for (size_t b = off; b < off + k && plain; b++)
				plain = c->data[i][b] == 'A';
			if (plain)
				continue;
			memcpy(scratch, c->data[i], len);
			memset(scratch + off, 'A', k);
			trial.data[i] = scratch;
			r = attempt(s, &trial);
			if (r < 0)
				return -1;
			if (r == 1)
				memcpy(c->data[i], scratch, len);
		}
	}
	return 0;
}

long livefuzz_minimise(struct livefuzz_case *c, livefuzz_reproduces test, void *ctx,
		       unsigned budget)
{
	struct shrink s = {test, ctx, budget, 0, 0};
	size_t longest = 0;
	uint8_t *scratch;
	int alone;

	if (budget == 0)
		return 0;
	alone = attempt(&s, c);
	if (alone <= 0)
		return alone < 0 ? -1 : LIVEFUZZ_NOT_ALONE;
	if (fewest(&s, c) < 0)
		return -1;
	for (size_t i = 0; i < c->n; i++)
		longest = c->len[i] > longest ? c->len[i] : longest;
	scratch = malloc(longest > 0 ? longest : 1);
	if (scratch == NULL)
		return s.calls; /* unshrunk bytes, but still the finding */
	for (size_t i = 0; i < c->n; i++) {
		if (shortest(&s, c, i, scratch) < 0 || plainest(&s, c, i, scratch) < 0) {
			free(scratch);
			return -1;
		}
	}
	free(scratch);
	return s.calls;
}
