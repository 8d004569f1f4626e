/*
 * fuzz_verdict: how `udpecho check` reaches a verdict (verdict.h).  The
 * first byte picks the target; numbers are big-endian and an input cut
 * short reads as zeros:
 *   0 an exchange log, then life observations:
 *     shape (u8): bits 0-3 requests - 1, bit 4 tagged tries (else identical
 *       bytes), bit 5 raw payloads, bit 6 a hint; clients (u8, 1 + v % 4);
 *       hint (u8, a transmission); seed (u32, the payloads and the shuffle);
 *     per request (u8): bits 0-1 tries (1, 2, 3, 1), bits 2-3 its client,
 *       bits 4-7 length: 6 + 4v bytes made from the seed, or with raw
 *       payloads v % 9 bytes read from the input (per try when tagged);
 *     replies: a count (u8, up to 64), then each op, a, b, c (u8): op % 10
 *       is lost, exact, duplicated, altered (one byte, at b), truncated (to
 *       b bytes), extended (by 1 + b % 16 bytes), merged (a, b and, when c
 *       is odd, c / 2), crossed (to another client), foreign (1 + b % 32
 *       bytes, on client c) or wrong source, of transmission a; op bit 4
 *       also sends it from the wrong source, bit 5 to another client;
 *     life: sent, answered, late, then refused | home << 1 | fresh << 3 (u8)
 *   1 verdict_life: sent, answered, late (u64), then the flags (u8) as above
 *   2 clients.many: count (u8, up to 64), home alive (u8), states (u8 each)
 *   3 the retry timer: min, max (u32, us), count (u8), then samples of
 *     (u8 shift, u32 v): v << shift % 25 us
 *   4 verdict_judge on a made-up tally: requests, judged (% requests + 1),
 *     replies, exact replies (% replies + 1; the rest altered) (u32), then
 *     defect | duplicates << 1 | crossed << 2 | wrong source << 3 (u8)
 *
 * Model payloads are built so that the model knows what every reply is:
 * byte i of request r's try t is base[i] + 37r (+ 97t at byte 1 and 151t
 * at byte 2 when tagged), so two requests differ at every byte and two
 * tagged tries at two; an altered byte, the first extra byte and foreign
 * bytes differ from every transmission's byte in their place.  Raw
 * payloads come from the input and may be equal, empty or prefixes of each
 * other: only the properties that need no model are checked on them.
 *
 * Properties, against a model written here from verdict.h:
 *   (a) verdict_judge never passes a MUST unless judged == requests, and
 *       fails one only on its rule's defect (always on one) or, for ECHO,
 *       confirmed silence; burst.loss warns exactly above 1% of requests
 *       unanswered; verdict_rule_defect is each rule's defect;
 *   (b) model logs: every tally field the model can know (judged, kinds,
 *       duplicates, self_merged, crossed and the lowest crossing,
 *       wrong_source, the worst defect's request, kind, offset and length)
 *       is the model's: a request whose only replies are altered,
 *       truncated or extended is judged, never lost, and burst loss counts
 *       only the requests nothing came back for;
 *   (c) verdict_life never says nothing-listening once answered > 0 or
 *       sent > 1, and every state it names fits the observations;
 *   (d) the tally (every field but worst_rx, an index into the log) and
 *       every verdict are the same with the replies in reverse and in a
 *       shuffled order;
 *   (e) verdict_attribute is consistent: EXACT is those bytes (the hint
 *       first among equals), MERGED is pieces >= 2 starting with that
 *       transmission, TRUNCATED and EXTENDED are prefixes by `at` bytes;
 *       ALTERED first differs at `at`, and is of the transmission of which
 *       the reply keeps most bytes in place (more than half of the longer
 *       of the two; the one keeping the most if several), or of the hint
 *       only when there is none such; FOREIGN only without a hint and
 *       when there is none such; tx < n unless FOREIGN.  The tally's
 *       counts add up to its answers[];
 *   clients.many and the retry timer against references: the stop rule,
 *   served / first_unserved / refused / status, and RFC 6298 smoothing
 *   (srtt kept at 1 us at least once measured, as the first sample does:
 *   0 means none yet), the rto always within [min, max].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/verdict.h"

/* Under ASan, each buffer's bytes past its length are poisoned: reads past the end are caught. */
#ifdef __has_feature
#if __has_feature(address_sanitizer)
#define HARNESS_ASAN 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
#define HARNESS_ASAN 1
#endif
#ifdef HARNESS_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

enum { T_LOG, T_LIFE, T_CLIENTS, T_RTO, T_JUDGE, T_COUNT };

#define MAX_REQUESTS 16
#define MAX_TRIES 3
#define MAX_TX (MAX_REQUESTS * MAX_TRIES)
#define MAX_CLIENTS 4
#define MIN_LEN 6 /* a one-byte change keeps the most bytes of its own try */
#define MAX_LEN (MIN_LEN + 4 * 15)
#define RAW_MAX_LEN 8
#define MAX_OPS 64
#define MAX_RX (2 * MAX_OPS) /* a duplicated reply is two */
#define MAX_EXTRA 16
#define MAX_NOISE 32
#define TX_SLOT 72  /* >= MAX_LEN, a multiple of 8 */
#define RX_SLOT 200 /* >= 3 * MAX_LEN, a multiple of 8 */
#define RULES (VERDICT_RULE_LOSS + 1)
#define MAX_STATES 64
#define MAX_SAMPLES 32

enum {
	OP_LOST,
	OP_EXACT,
	OP_DUP,
	OP_ALTER,
	OP_CUT,
	OP_EXTEND,
	OP_MERGE,
	OP_CROSS,
	OP_NOISE,
	OP_SOURCE,
	OPS
};

/* What the model says of a reply. */
struct want {
	enum verdict_kind kind;
	uint32_t request; /* requests for FOREIGN */
	size_t at;
	size_t units;           /* answers it gives: 0 FOREIGN, the pieces MERGED, else 1 */
	size_t unit[MAX_TRIES]; /* the transmissions it answers (any identical try will do) */
	int self_merged;
};

struct exchange {
	uint32_t requests;
	unsigned clients;
	int tagged, raw;
	size_t ntx, hint;
	size_t first_try[MAX_REQUESTS], tries[MAX_REQUESTS];
	uint16_t client_of[MAX_REQUESTS];
	struct verdict_tx tx[MAX_TX];
	size_t nrx;
	struct verdict_rx rx[MAX_RX];
	struct want want[MAX_RX];
	uint32_t rng;
};

static uint8_t base[MAX_LEN];
static _Alignas(8) uint8_t txbuf[MAX_TX][TX_SLOT];
static _Alignas(8) uint8_t rxbuf[MAX_RX][RX_SLOT];
static struct exchange ex;

static uint8_t rnd(uint32_t *s)
{
	/* xorshift32: deterministic, and no zero state (seeded | 1) */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return (uint8_t)(*s >> 24);
}

/* Make slot[0..len) the only addressable bytes of the slot. */
static void fit(const uint8_t *slot, size_t cap, size_t len)
{
	ASAN_POISON_MEMORY_REGION(slot, cap);
	ASAN_UNPOISON_MEMORY_REGION(slot, len);
}

static int same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Is a[0..alen) a proper prefix of b[0..blen)? */
static int prefix(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen < blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* ---- building the log ---------------------------------------------------------- */

/* A byte unlike every transmission's byte at offset i. */
static uint8_t fresh(size_t i)
{
	for (unsigned v = (unsigned)base[i % MAX_LEN] + 0x55;; v++) {
		size_t j = 0;

		while (j < ex.ntx && !(ex.tx[j].len > i && ex.tx[j].data[i] == (uint8_t)v))
			j++;
		if (j == ex.ntx)
			return (uint8_t)v;
	}
}

static void model_payload(uint8_t *p, size_t len, uint32_t r, uint32_t t)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(base[i] + 37 * r);
	if (ex.tagged) {
		p[1] = (uint8_t)(p[1] + 97 * t);
		p[2] = (uint8_t)(p[2] + 151 * t);
	}
}

static void add_request(struct fuzz_in *in, uint32_t r)
{
	uint8_t v = fuzz_u8(in);
	size_t tries = (size_t)(v & 3) % 3 + 1;
	size_t len = ex.raw ? (size_t)(v >> 4) % (RAW_MAX_LEN + 1) : MIN_LEN + 4 * (size_t)(v >> 4);

	ex.first_try[r] = ex.ntx;
	ex.tries[r] = tries;
	ex.client_of[r] = (uint16_t)((v >> 2 & 3) % ex.clients);
	for (uint32_t t = 0; t < tries; t++) {
		uint8_t *p = txbuf[ex.ntx];

		ASAN_UNPOISON_MEMORY_REGION(p, TX_SLOT);
		if (!ex.raw)
			model_payload(p, len, r, t);
		else if (t == 0 || ex.tagged)
			fuzz_bytes(in, p, len);
		else
			memcpy(p, txbuf[ex.ntx - 1], len);
		fit(p, TX_SLOT, len);
		ex.tx[ex.ntx] = (struct verdict_tx){p, len, r, ex.client_of[r]};
		ex.ntx++;
	}
}

/* A new reply slot, to fill; add_rx then files it. */
static uint8_t *new_rx(void)
{
	ASAN_UNPOISON_MEMORY_REGION(rxbuf[ex.nrx], RX_SLOT);
	return rxbuf[ex.nrx];
}

static void add_rx(size_t len, uint16_t client, int wrong_source, const struct want *w)
{
	fit(rxbuf[ex.nrx], RX_SLOT, len);
	ex.rx[ex.nrx] = (struct verdict_rx){rxbuf[ex.nrx], len, client, (uint8_t)wrong_source};
	ex.want[ex.nrx] = *w;
	ex.nrx++;
}

static struct want want_of(enum verdict_kind kind, size_t tx, size_t at)
{
	struct want w = {kind, ex.requests, at, 0, {0}, 0};

	if (tx < ex.ntx) {
		w.request = ex.tx[tx].request;
		w.units = 1;
		w.unit[0] = tx;
	}
	return w;
}

/* The transmission a prefix of `len` bytes of tx answers: the first or the hinted of its equals. */
static size_t cut_owner(size_t tx, size_t len)
{
	uint32_t r = ex.tx[tx].request;

	if (ex.tagged && len >= 2)
		return tx; /* tagged tries differ at bytes 1 and 2 */
	if (ex.hint < ex.ntx && ex.tx[ex.hint].request == r)
		return ex.hint;
	return ex.first_try[r];
}

static void reply_exact(size_t a, uint16_t client, int ws, int times)
{
	const struct verdict_tx *t = &ex.tx[a];
	struct want w = want_of(VERDICT_EXACT, a, 0);

	for (int k = 0; k < times; k++) {
		if (t->len > 0)
			memcpy(new_rx(), t->data, t->len);
		else
			(void)new_rx();
		add_rx(t->len, client, ws, &w);
	}
}

static void reply_altered(size_t a, size_t at, uint8_t c, uint16_t client, int ws)
{
	const struct verdict_tx *t = &ex.tx[a];
	uint8_t *p = new_rx();
	struct want w = want_of(VERDICT_ALTERED, a, at % (t->len ? t->len : 1));

	if (t->len > 0) {
		memcpy(p, t->data, t->len);
		p[w.at] = ex.raw ? (uint8_t)(p[w.at] ^ (c | 1)) : fresh(w.at);
	}
	add_rx(t->len, client, ws, &w);
}

static void reply_cut(size_t a, size_t b, uint16_t client, int ws)
{
	const struct verdict_tx *t = &ex.tx[a];
	size_t len = t->len ? b % t->len : 0;
	struct want w = want_of(VERDICT_TRUNCATED, cut_owner(a, len), len);

	if (len == 0)
		w = want_of(ex.hint < ex.ntx ? VERDICT_TRUNCATED : VERDICT_FOREIGN, ex.hint, 0);
	if (len > 0)
		memcpy(new_rx(), t->data, len);
	else
		(void)new_rx();
	add_rx(len, client, ws, &w);
}

static void reply_extended(size_t a, size_t b, uint16_t client, int ws)
{
	const struct verdict_tx *t = &ex.tx[a];
	uint8_t *p = new_rx();
	size_t extra = 1 + b % MAX_EXTRA;
	struct want w = want_of(VERDICT_EXTENDED, a, extra);

	if (t->len > 0)
		memcpy(p, t->data, t->len);
	for (size_t i = 0; i < extra; i++)
		p[t->len + i] = rnd(&ex.rng);
	if (!ex.raw)
		p[t->len] = fresh(0); /* no transmission starts there: not merged */
	add_rx(t->len + extra, client, ws, &w);
}

static void reply_merged(const size_t *piece, size_t pieces, uint16_t client, int ws)
{
	uint8_t *p = new_rx();
	size_t len = 0;
	struct want w = want_of(VERDICT_MERGED, piece[0], 0);

	w.units = pieces;
	w.self_merged = 1;
	for (size_t k = 0; k < pieces; k++) {
		const struct verdict_tx *t = &ex.tx[piece[k]];

		if (t->len > 0)
			memcpy(p + len, t->data, t->len);
		len += t->len;
		w.unit[k] = piece[k];
		w.self_merged &= t->request == ex.tx[piece[0]].request;
	}
	add_rx(len, client, ws, &w);
}

static void reply_foreign(size_t b, uint16_t client, int ws)
{
	uint8_t *p = new_rx();
	size_t len = 1 + b % MAX_NOISE;
	struct want w = want_of(ex.hint < ex.ntx ? VERDICT_ALTERED : VERDICT_FOREIGN, ex.hint, 0);

	for (size_t i = 0; i < len; i++)
		p[i] = ex.raw ? rnd(&ex.rng) : fresh(i);
	add_rx(len, client, ws, &w);
}

static uint16_t other_client(uint16_t client, uint8_t c)
{
	return ex.clients > 1 ? (uint16_t)((client + 1 + c % (ex.clients - 1)) % ex.clients)
			      : client;
}

static void add_reply(struct fuzz_in *in)
{
	uint8_t op = fuzz_u8(in), a = fuzz_u8(in), b = fuzz_u8(in), c = fuzz_u8(in);
	size_t tx = a % ex.ntx, piece[MAX_TRIES] = {tx, b % ex.ntx, (size_t)(c >> 1) % ex.ntx};
	int ws = op >> 4 & 1;
	uint16_t client = ex.tx[tx].client;

	if (op >> 5 & 1 || op % OPS == OP_CROSS)
		client = other_client(client, c);
	switch (op % OPS) {
	case OP_LOST:
		break;
	case OP_EXACT:
	case OP_CROSS:
		reply_exact(tx, client, ws, 1);
		break;
	case OP_DUP:
		reply_exact(tx, client, ws, 2);
		break;
	case OP_ALTER:
		reply_altered(tx, b, c, client, ws);
		break;
	case OP_CUT:
		reply_cut(tx, b, client, ws);
		break;
	case OP_EXTEND:
		reply_extended(tx, b, client, ws);
		break;
	case OP_MERGE:
		reply_merged(piece, c & 1 ? 3 : 2, client, ws);
		break;
	case OP_NOISE:
		reply_foreign(b, (uint16_t)(c % ex.clients), ws);
		break;
	default:
		reply_exact(tx, client, 1, 1);
		break;
	}
}

static void build_log(struct fuzz_in *in)
{
	uint8_t shape = fuzz_u8(in), hint;
	size_t ops;

	memset(&ex, 0, sizeof(ex));
	ex.requests = (shape & 15u) + 1;
	ex.tagged = shape >> 4 & 1;
	ex.raw = shape >> 5 & 1;
	ex.clients = fuzz_u8(in) % MAX_CLIENTS + 1u;
	hint = fuzz_u8(in);
	ex.rng = fuzz_u32(in) | 1u;
	for (size_t i = 0; i < MAX_LEN; i++)
		base[i] = rnd(&ex.rng);
	for (uint32_t r = 0; r < ex.requests; r++)
		add_request(in, r);
	ex.hint = shape >> 6 & 1 ? hint % ex.ntx : ex.ntx;
	ops = fuzz_u8(in) % (MAX_OPS + 1);
	for (size_t k = 0; k < ops; k++)
		add_reply(in);
}

/* ---- (e) verdict_attribute --------------------------------------------------------- */

static const char *kind_name(enum verdict_kind kind)
{
	static const char *const names[] = {"EXACT",    "MERGED",  "TRUNCATED",
					    "EXTENDED", "ALTERED", "FOREIGN"};

	return (unsigned)kind < VERDICT_KINDS ? names[kind] : "?";
}

/* Bytes of tx equal in place to the reply's, over the shorter of the two. */
static size_t kept(const struct verdict_tx *t, const struct verdict_rx *rx)
{
	size_t n = 0;

	for (size_t i = 0; i < t->len && i < rx->len; i++)
		n += t->data[i] == rx->data[i];
	return n;
}

/* Does the reply keep most bytes of tx (of the longer of the two) in place? */
static int keeps_most(const struct verdict_tx *t, const struct verdict_rx *rx)
{
	return 2 * kept(t, rx) > (t->len > rx->len ? t->len : rx->len);
}

/*
 * A reply that is not a whole transmission or a prefix either way: ALTERED
 * of the transmission most of whose bytes it keeps in place (the one that
 * keeps the most, if several), or of the hint only when none does; FOREIGN
 * only when none does and there is no hint.
 */
static int check_kept(size_t k, size_t hint, const struct verdict_match *m)
{
	const struct verdict_rx *rx = &ex.rx[k];
	size_t most = 0, best = ex.ntx;

	if (m->kind != VERDICT_ALTERED && m->kind != VERDICT_FOREIGN)
		return 0;
	for (size_t i = 0; i < ex.ntx; i++) {
		if (keeps_most(&ex.tx[i], rx) && (best == ex.ntx || kept(&ex.tx[i], rx) > most)) {
			best = i;
			most = kept(&ex.tx[i], rx);
		}
	}
	FUZZ_REQUIRE(best == ex.ntx ||
			     (m->kind == VERDICT_ALTERED && keeps_most(&ex.tx[m->tx], rx) &&
			      kept(&ex.tx[m->tx], rx) == most),
		     "attribute.kept",
		     "reply %zu (%zu bytes): %s of tx %zu, keeping %zu bytes; tx %zu (%zu bytes) "
		     "keeps %zu",
		     k, rx->len, kind_name(m->kind), m->tx,
		     m->tx < ex.ntx ? kept(&ex.tx[m->tx], rx) : 0, best, ex.tx[best].len, most);
	FUZZ_REQUIRE(
		best < ex.ntx || m->kind == VERDICT_FOREIGN || m->tx == hint, "attribute.kept_hint",
		"reply %zu (%zu bytes) keeps most of no transmission: ALTERED of tx %zu, hint %zu",
		k, rx->len, m->tx, hint);
	return 0;
}

static int check_attribute(size_t k, size_t hint, struct verdict_match *out)
{
	const struct verdict_rx *rx = &ex.rx[k];
	struct verdict_match m = verdict_attribute(ex.tx, ex.ntx, hint, rx->data, rx->len);
	const struct verdict_tx *t = m.tx < ex.ntx ? &ex.tx[m.tx] : NULL;
	size_t equal = ex.ntx, common;

	for (size_t i = 0; i < ex.ntx && equal == ex.ntx; i++) {
		if (same(ex.tx[i].data, ex.tx[i].len, rx->data, rx->len))
			equal = i;
	}
	if (hint < ex.ntx && same(ex.tx[hint].data, ex.tx[hint].len, rx->data, rx->len))
		equal = hint; /* the hint first among equals */
	*out = m;
	FUZZ_REQUIRE((unsigned)m.kind < VERDICT_KINDS, "attribute.kind", "kind %d", (int)m.kind);
	FUZZ_REQUIRE((m.kind == VERDICT_FOREIGN) == (t == NULL), "attribute.tx",
		     "reply %zu: %s of tx %zu of %zu", k, kind_name(m.kind), m.tx, ex.ntx);
	FUZZ_REQUIRE(hint >= ex.ntx || m.kind != VERDICT_FOREIGN, "attribute.hint_explains",
		     "reply %zu (%zu bytes) FOREIGN though tx %zu is the hint", k, rx->len, hint);
	FUZZ_REQUIRE((equal < ex.ntx) == (m.kind == VERDICT_EXACT) &&
			     (m.kind != VERDICT_EXACT || m.tx == equal),
		     "attribute.exact", "reply %zu (%zu bytes): %s of tx %zu, equal to tx %zu", k,
		     rx->len, kind_name(m.kind), m.tx, equal);
	FUZZ_REQUIRE(m.kind == VERDICT_MERGED
			     ? m.pieces >= 2 && prefix(t->data, t->len, rx->data, rx->len) &&
				       t->len > 0
			     : m.kind == VERDICT_FOREIGN || m.pieces == 1,
		     "attribute.merged", "reply %zu: %s of tx %zu in %zu pieces", k,
		     kind_name(m.kind), m.tx, m.pieces);
	FUZZ_REQUIRE(m.kind != VERDICT_TRUNCATED ||
			     (m.at == rx->len && prefix(rx->data, rx->len, t->data, t->len)),
		     "attribute.truncated", "reply %zu (%zu bytes): TRUNCATED at %zu of tx %zu", k,
		     rx->len, m.at, m.tx);
	FUZZ_REQUIRE(m.kind != VERDICT_EXTENDED || (prefix(t->data, t->len, rx->data, rx->len) &&
						    m.at == rx->len - t->len),
		     "attribute.extended", "reply %zu (%zu bytes): EXTENDED by %zu of tx %zu", k,
		     rx->len, m.at, m.tx);
	if (check_kept(k, hint, &m))
		return -1;
	if (m.kind != VERDICT_ALTERED)
		return 0;
	common = t->len < rx->len ? t->len : rx->len;
	FUZZ_REQUIRE(m.at <= common && (m.at == 0 || memcmp(t->data, rx->data, m.at) == 0) &&
			     (m.at == common || t->data[m.at] != rx->data[m.at]),
		     "attribute.altered",
		     "reply %zu (%zu bytes): ALTERED at %zu of tx %zu (%zu bytes)", k, rx->len,
		     m.at, m.tx, t->len);
	return 0;
}

/* ---- (a), (e) the tally's own arithmetic, (b) the model ------------------------------ */

static const char *const rule_names[RULES] = {"ECHO",      "ONCE",   "BOUNDARIES",
					      "ISOLATION", "SOURCE", "LOSS"};

/* The defect each rule names, from verdict.h's list of rules. */
static int rule_defect(int rule, const struct verdict_tally *t)
{
	switch (rule) {
	case VERDICT_RULE_ECHO:
		return t->defect != 0;
	case VERDICT_RULE_ONCE:
		return t->duplicates > 0;
	case VERDICT_RULE_BOUNDARIES:
		return t->kinds[VERDICT_EXACT] < t->replies;
	case VERDICT_RULE_ISOLATION:
		return t->crossed > 0;
	case VERDICT_RULE_SOURCE:
		return t->wrong_source > 0;
	default:
		return 0;
	}
}

static int check_judge(const struct verdict_tally *t)
{
	for (int rule = 0; rule < RULES; rule++) {
		FUZZ_REQUIRE(!verdict_rule_defect((enum verdict_rule)rule, t) ==
				     !rule_defect(rule, t),
			     "judge.rule_defect", "%s: defect %d", rule_names[rule],
			     verdict_rule_defect((enum verdict_rule)rule, t));
	}
	for (int rule = 0; rule < RULES; rule++) {
		for (int silence = 0; silence < 2; silence++) {
			enum check_status s = verdict_judge((enum verdict_rule)rule, t, silence);
			int defect = verdict_rule_defect((enum verdict_rule)rule, t);
			uint64_t lost = t->requests - t->judged;
			int warn =
				lost * 1000u > (uint64_t)t->requests * VERDICT_LOSS_WARN_PERMILLE;

			if (rule == VERDICT_RULE_LOSS) {
				FUZZ_REQUIRE(!defect && (s == (warn ? CHECK_WARN : CHECK_PASS) ||
							 (s == CHECK_INCONCLUSIVE &&
							  (t->requests == 0 || t->judged == 0))),
					     "judge.loss", "%s with %u of %u judged, silence %d",
					     check_status_name(s), t->judged, t->requests, silence);
				continue;
			}
			FUZZ_REQUIRE(s != CHECK_PASS || (t->judged == t->requests && !defect),
				     "judge.pass_on_full_sample",
				     "%s passes with %u of %u judged, defect %d", rule_names[rule],
				     t->judged, t->requests, defect);
			FUZZ_REQUIRE(s != CHECK_FAIL || defect ||
					     (rule == VERDICT_RULE_ECHO && silence &&
					      t->judged < t->requests),
				     "judge.fail_on_defect",
				     "%s fails with %u of %u judged, silence %d", rule_names[rule],
				     t->judged, t->requests, silence);
			FUZZ_REQUIRE(s == CHECK_PASS || s == CHECK_FAIL || s == CHECK_INCONCLUSIVE,
				     "judge.must_status", "%s: %s", rule_names[rule],
				     check_status_name(s));
			FUZZ_REQUIRE(!defect || s == CHECK_FAIL, "judge.defect_fails", "%s: %s",
				     rule_names[rule], check_status_name(s));
		}
	}
	return 0;
}

/* The tally adds up: kinds to replies, answers[] to what each reply answers. */
static int check_sums(const struct verdict_tally *t, const uint32_t *answers,
		      const struct verdict_match *m)
{
	uint64_t units = 0, given = 0, dups = 0, kinds = 0;
	uint32_t judged = 0, ws = 0, by_kind[VERDICT_KINDS] = {0};

	for (size_t k = 0; k < ex.nrx; k++) {
		by_kind[m[k].kind]++;
		units += m[k].kind == VERDICT_FOREIGN  ? 0
			 : m[k].kind == VERDICT_MERGED ? m[k].pieces
						       : 1;
		ws += ex.rx[k].wrong_source != 0;
	}
	for (size_t i = 0; i < ex.ntx; i++) {
		given += answers[i];
		dups += answers[i] > 1 ? answers[i] - 1 : 0;
	}
	for (uint32_t r = 0; r < ex.requests; r++) {
		int any = 0;

		for (size_t i = ex.first_try[r]; i < ex.first_try[r] + ex.tries[r]; i++)
			any |= answers[i] > 0;
		judged += (uint32_t)any;
	}
	for (int kd = 0; kd < VERDICT_KINDS; kd++) {
		kinds += t->kinds[kd];
		FUZZ_REQUIRE(t->kinds[kd] == by_kind[kd], "tally.kinds", "%s: %u, attributed %u",
			     kind_name((enum verdict_kind)kd), t->kinds[kd], by_kind[kd]);
	}
	FUZZ_REQUIRE(t->requests == ex.requests && t->replies == ex.nrx && kinds == ex.nrx,
		     "tally.replies", "%u requests, %u replies (%llu by kind), want %u and %zu",
		     t->requests, t->replies, (unsigned long long)kinds, ex.requests, ex.nrx);
	FUZZ_REQUIRE(given == units, "tally.answers", "answers[] adds up to %llu, replies to %llu",
		     (unsigned long long)given, (unsigned long long)units);
	FUZZ_REQUIRE(t->duplicates == dups && t->judged == judged && judged <= ex.requests,
		     "tally.judged", "judged %u, duplicates %u; answers[] say %u and %llu",
		     t->judged, t->duplicates, judged, (unsigned long long)dups);
	FUZZ_REQUIRE(t->wrong_source == ws && t->crossed <= ex.nrx &&
			     t->self_merged <= t->kinds[VERDICT_MERGED],
		     "tally.counts", "wrong_source %u (want %u), crossed %u, self_merged %u",
		     t->wrong_source, ws, t->crossed, t->self_merged);
	FUZZ_REQUIRE(!t->defect ||
			     (t->worst_rx < ex.nrx && ex.rx[t->worst_rx].len == t->worst_len &&
			      t->worst.kind != VERDICT_EXACT),
		     "tally.worst_rx", "worst_rx %zu of %zu, worst_len %zu", t->worst_rx, ex.nrx,
		     t->worst_len);
	return 0;
}

/* The model's tally: what every field the model can know must be. */
struct model {
	uint32_t judged, kinds[VERDICT_KINDS], duplicates, self_merged, crossed, wrong_source;
	uint16_t cross_victim, cross_owner;
	uint32_t dup_request, dup_count; /* dup_count: tagged tries only */
	int defect;
	uint32_t worst_request;
	enum verdict_kind worst_kind;
	size_t worst_at, worst_len;
	uint32_t group_answers[MAX_TX];
};

/* Identical tries share their answers: the group of a transmission is its first identical try. */
static size_t group_of(size_t tx)
{
	return ex.tagged ? tx : ex.first_try[ex.tx[tx].request];
}

static size_t group_size(size_t g)
{
	return ex.tagged ? 1 : ex.tries[ex.tx[g].request];
}

static int worse(const struct model *w, uint32_t request, enum verdict_kind kind, size_t at,
		 size_t len)
{
	if (!w->defect || request != w->worst_request)
		return !w->defect || request < w->worst_request;
	if (kind != w->worst_kind)
		return kind < w->worst_kind;
	return at != w->worst_at ? at < w->worst_at : len < w->worst_len;
}

static void model_reply(struct model *w, size_t k)
{
	const struct want *x = &ex.want[k];
	uint16_t client = ex.rx[k].client;

	w->kinds[x->kind]++;
	w->wrong_source += ex.rx[k].wrong_source != 0;
	for (size_t u = 0; u < x->units; u++)
		w->group_answers[group_of(x->unit[u])]++;
	if (x->kind != VERDICT_FOREIGN && ex.client_of[x->request] != client) {
		uint16_t owner = ex.client_of[x->request];

		if (w->crossed++ == 0 || client < w->cross_victim ||
		    (client == w->cross_victim && owner < w->cross_owner)) {
			w->cross_victim = client;
			w->cross_owner = owner;
		}
	}
	if (x->kind == VERDICT_MERGED && x->self_merged)
		w->self_merged++;
	else if (x->kind != VERDICT_EXACT && worse(w, x->request, x->kind, x->at, ex.rx[k].len)) {
		w->defect = 1;
		w->worst_request = x->request;
		w->worst_kind = x->kind;
		w->worst_at = x->at;
		w->worst_len = ex.rx[k].len;
	}
}

static void model_tally(struct model *w)
{
	memset(w, 0, sizeof(*w));
	w->dup_request = ex.requests;
	for (size_t k = 0; k < ex.nrx; k++)
		model_reply(w, k);
	for (uint32_t r = 0; r < ex.requests; r++) {
		int any = 0;

		for (size_t i = ex.first_try[r]; i < ex.first_try[r] + ex.tries[r]; i++) {
			size_t n = w->group_answers[i], size = group_size(i);

			if (group_of(i) != i)
				continue;
			any |= n > 0;
			if (n > size) {
				w->duplicates += (uint32_t)(n - size);
				if (w->dup_request == ex.requests) {
					w->dup_request = r;
					w->dup_count = (uint32_t)n;
				}
			}
		}
		w->judged += (uint32_t)any;
	}
}

static int check_model(const struct verdict_tally *t)
{
	struct model w;

	model_tally(&w);
	for (int kd = 0; kd < VERDICT_KINDS; kd++)
		FUZZ_REQUIRE(t->kinds[kd] == w.kinds[kd], "model.kinds", "%s: %u, model %u",
			     kind_name((enum verdict_kind)kd), t->kinds[kd], w.kinds[kd]);
	FUZZ_REQUIRE(t->judged == w.judged, "model.judged",
		     "%u of %u requests judged, model %u (a corrupt reply is no loss)", t->judged,
		     ex.requests, w.judged);
	FUZZ_REQUIRE(t->duplicates == w.duplicates && t->dup_request == w.dup_request &&
			     (!ex.tagged || t->dup_count == w.dup_count),
		     "model.duplicates", "%u duplicates, request %u x%u; model %u, request %u x%u",
		     t->duplicates, t->dup_request, t->dup_count, w.duplicates, w.dup_request,
		     w.dup_count);
	FUZZ_REQUIRE(t->self_merged == w.self_merged && t->wrong_source == w.wrong_source,
		     "model.counts", "self_merged %u, wrong_source %u; model %u, %u",
		     t->self_merged, t->wrong_source, w.self_merged, w.wrong_source);
	FUZZ_REQUIRE(t->crossed == w.crossed && (!w.crossed || (t->cross_victim == w.cross_victim &&
								t->cross_owner == w.cross_owner)),
		     "model.crossed", "%u crossed, lowest %u <- %u; model %u, %u <- %u", t->crossed,
		     t->cross_victim, t->cross_owner, w.crossed, w.cross_victim, w.cross_owner);
	FUZZ_REQUIRE(t->defect == w.defect && (!w.defect || (t->worst_request == w.worst_request &&
							     t->worst.kind == w.worst_kind &&
							     t->worst.at == w.worst_at &&
							     t->worst_len == w.worst_len)),
		     "model.worst",
		     "defect %d: request %u %s at %zu, %zu bytes; model %d: request %u %s at %zu, "
		     "%zu bytes",
		     t->defect, t->worst_request, kind_name(t->worst.kind), t->worst.at,
		     t->worst_len, w.defect, w.worst_request, kind_name(w.worst_kind), w.worst_at,
		     w.worst_len);
	return 0;
}

/* ---- (d) the order of the replies ------------------------------------------------ */

static int same_tally(const struct verdict_tally *a, const struct verdict_tally *b)
{
	int kinds = 1;

	for (int kd = 0; kd < VERDICT_KINDS; kd++)
		kinds &= a->kinds[kd] == b->kinds[kd];
	return kinds && a->requests == b->requests && a->judged == b->judged &&
	       a->replies == b->replies && a->duplicates == b->duplicates &&
	       a->self_merged == b->self_merged && a->crossed == b->crossed &&
	       a->wrong_source == b->wrong_source && a->defect == b->defect &&
	       a->worst.kind == b->worst.kind && a->worst.tx == b->worst.tx &&
	       a->worst.at == b->worst.at && a->worst.pieces == b->worst.pieces &&
	       a->worst_request == b->worst_request && a->worst_len == b->worst_len &&
	       a->dup_request == b->dup_request && a->dup_count == b->dup_count &&
	       a->cross_victim == b->cross_victim && a->cross_owner == b->cross_owner;
}

static void tally_in_order(const size_t *order, uint32_t *answers, struct verdict_tally *t)
{
	static struct verdict_rx rx[MAX_RX];
	struct verdict_log log = {ex.tx, ex.ntx, rx, ex.nrx, ex.requests, ex.hint};

	for (size_t k = 0; k < ex.nrx; k++)
		rx[k] = ex.rx[order[k]];
	verdict_tally(&log, answers, t);
}

static int check_orders(const struct verdict_tally *t)
{
	static const char *const names[] = {"reversed", "shuffled"};
	size_t order[MAX_RX];
	uint32_t answers[MAX_TX];
	struct verdict_tally u;

	for (int o = 0; o < 2; o++) {
		for (size_t k = 0; k < ex.nrx; k++)
			order[k] = o == 0 ? ex.nrx - 1 - k : k;
		for (size_t k = ex.nrx; o == 1 && k > 1; k--) {
			size_t j = (((size_t)rnd(&ex.rng) << 8) | rnd(&ex.rng)) % k,
			       tmp = order[k - 1];

			order[k - 1] = order[j];
			order[j] = tmp;
		}
		tally_in_order(order, answers, &u);
		FUZZ_REQUIRE(
			same_tally(t, &u), "tally.order",
			"%s: judged %u/%u, duplicates %u (request %u x%u), crossed %u, worst "
			"request %u %s of tx %zu at %zu (%zu pieces, %zu bytes); in order: "
			"judged %u/%u, duplicates %u (request %u x%u), crossed %u, worst request "
			"%u %s of tx %zu at %zu (%zu pieces, %zu bytes)",
			names[o], u.judged, u.requests, u.duplicates, u.dup_request, u.dup_count,
			u.crossed, u.worst_request, kind_name(u.worst.kind), u.worst.tx, u.worst.at,
			u.worst.pieces, u.worst_len, t->judged, t->requests, t->duplicates,
			t->dup_request, t->dup_count, t->crossed, t->worst_request,
			kind_name(t->worst.kind), t->worst.tx, t->worst.at, t->worst.pieces,
			t->worst_len);
		for (int rule = 0; rule < RULES; rule++)
			for (int s = 0; s < 2; s++)
				FUZZ_REQUIRE(verdict_judge((enum verdict_rule)rule, &u, s) ==
						     verdict_judge((enum verdict_rule)rule, t, s),
					     "judge.order", "%s: %s differs", names[o],
					     rule_names[rule]);
	}
	return 0;
}

/* ---- (c) liveness ------------------------------------------------------------------ */

static int check_life(const struct verdict_life_obs *o)
{
	enum verdict_life l = verdict_life(o);
	int answered_probe =
		o->home == VERDICT_PROBE_ANSWERED || o->fresh == VERDICT_PROBE_ANSWERED;
	int refused_probe = o->home == VERDICT_PROBE_REFUSED || o->fresh == VERDICT_PROBE_REFUSED;

	FUZZ_REQUIRE(l >= VERDICT_ALIVE && l <= VERDICT_IGNORES_NEW &&
			     strcmp(verdict_life_name(l), "?") != 0 &&
			     verdict_life_ends_run(l) == (l != VERDICT_ALIVE),
		     "life.state", "state %d (%s)", (int)l, verdict_life_name(l));
	/* A state past the enum still has a name, read from nowhere out of bounds. */
	FUZZ_REQUIRE(verdict_life_name(
			     (enum verdict_life)(VERDICT_IGNORES_NEW + 1 + o->late % 4)) != NULL,
		     "life.name", "no name for state %d", (int)(VERDICT_IGNORES_NEW + 1));
	FUZZ_REQUIRE(l != VERDICT_NOTHING_LISTENING ||
			     (o->answered == 0 && o->sent <= 1 && o->refused),
		     "life.nothing_listening",
		     "nothing listening after %llu sent, %llu answered, refused %d",
		     (unsigned long long)o->sent, (unsigned long long)o->answered, o->refused);
	FUZZ_REQUIRE(l != VERDICT_REFUSES_NEW || (o->home == VERDICT_PROBE_ANSWERED &&
						  o->fresh == VERDICT_PROBE_REFUSED),
		     "life.refuses_new", "home %d, fresh %d", (int)o->home, (int)o->fresh);
	FUZZ_REQUIRE(l != VERDICT_IGNORES_NEW || (o->home == VERDICT_PROBE_ANSWERED &&
						  o->fresh == VERDICT_PROBE_SILENT),
		     "life.ignores_new", "home %d, fresh %d", (int)o->home, (int)o->fresh);
	FUZZ_REQUIRE(l != VERDICT_CLOSED || ((o->refused || refused_probe) && !answered_probe),
		     "life.closed", "closed: refused %d, home %d, fresh %d", o->refused,
		     (int)o->home, (int)o->fresh);
	/* Late replies are answers: a server that sent some is slow, neither hung nor silent. */
	FUZZ_REQUIRE(l != VERDICT_HUNG || (o->answered > 0 && o->late == 0 && !answered_probe),
		     "life.hung", "hung: %llu answered, %llu late, home %d, fresh %d",
		     (unsigned long long)o->answered, (unsigned long long)o->late, (int)o->home,
		     (int)o->fresh);
	FUZZ_REQUIRE(l != VERDICT_SILENT || (o->answered == 0 && o->late == 0 && !answered_probe),
		     "life.silent", "silent: %llu answered, home %d, fresh %d",
		     (unsigned long long)o->answered, (int)o->home, (int)o->fresh);
	FUZZ_REQUIRE(l != VERDICT_SLOW || (o->late > 0 && !answered_probe), "life.slow",
		     "slow: %llu late, home %d, fresh %d", (unsigned long long)o->late,
		     (int)o->home, (int)o->fresh);
	FUZZ_REQUIRE(l != VERDICT_ALIVE || answered_probe ||
			     (o->home == VERDICT_PROBE_NONE && o->fresh == VERDICT_PROBE_NONE &&
			      !o->refused),
		     "life.alive", "alive: refused %d, home %d, fresh %d", o->refused, (int)o->home,
		     (int)o->fresh);
	return 0;
}

static void life_flags(struct verdict_life_obs *o, uint8_t flags)
{
	o->refused = flags & 1;
	o->home = (enum verdict_probe)(flags >> 1 & 3);
	o->fresh = (enum verdict_probe)(flags >> 3 & 3);
}

/* verdict_judge on made-up tallies, of any size (a log here has at most 16 requests). */
static int fuzz_judge(struct fuzz_in *in)
{
	struct verdict_tally t;
	uint8_t flags;

	memset(&t, 0, sizeof(t));
	t.requests = fuzz_u32(in);
	t.judged = fuzz_u32(in);
	t.judged = (uint32_t)(t.judged % ((uint64_t)t.requests + 1));
	t.replies = fuzz_u32(in);
	t.kinds[VERDICT_EXACT] = (uint32_t)(fuzz_u32(in) % ((uint64_t)t.replies + 1));
	t.kinds[VERDICT_ALTERED] = t.replies - t.kinds[VERDICT_EXACT];
	flags = fuzz_u8(in);
	t.defect = flags & 1;
	t.duplicates = flags >> 1 & 1;
	t.crossed = flags >> 2 & 1;
	t.wrong_source = flags >> 3 & 1;
	if (check_judge(&t))
		return -1;
	/* And at burst.loss's edge: the most requests lost that do not warn, and one more. */
	for (uint64_t lost = (uint64_t)t.requests * VERDICT_LOSS_WARN_PERMILLE / 1000, k = 0;
	     k < 2 && lost <= t.requests; lost++, k++) {
		t.judged = (uint32_t)(t.requests - lost);
		if (check_judge(&t))
			return -1;
	}
	return 0;
}

static int fuzz_life(struct fuzz_in *in)
{
	struct verdict_life_obs o;

	memset(&o, 0, sizeof(o));
	o.sent = fuzz_u64(in);
	o.answered = fuzz_u64(in);
	o.late = fuzz_u64(in);
	life_flags(&o, fuzz_u8(in));
	return check_life(&o);
}

/* ---- the log, end to end ---------------------------------------------------------- */

static int fuzz_log(struct fuzz_in *in)
{
	static struct verdict_match m[MAX_RX];
	size_t order[MAX_RX];
	uint32_t answers[MAX_TX];
	struct verdict_tally t;
	struct verdict_life_obs o;

	build_log(in);
	for (size_t k = 0; k < ex.nrx; k++) {
		struct verdict_match plain;

		if (check_attribute(k, ex.ntx, &plain) || check_attribute(k, ex.hint, &m[k]))
			return -1;
		order[k] = k;
	}
	tally_in_order(order, answers, &t);
	if (check_sums(&t, answers, m) || check_judge(&t) || (!ex.raw && check_model(&t)) ||
	    check_orders(&t))
		return -1;
	memset(&o, 0, sizeof(o));
	o.sent = fuzz_u8(in);
	o.answered = fuzz_u8(in);
	o.late = fuzz_u8(in);
	life_flags(&o, fuzz_u8(in));
	return check_life(&o);
}

/* ---- clients.many ------------------------------------------------------------------- */

static int fuzz_clients(struct fuzz_in *in)
{
	uint8_t state[MAX_STATES] = {0}, done[MAX_STATES] = {0};
	size_t n = fuzz_u8(in) % (MAX_STATES + 1), first = n, served = 0, tail = 1;
	int home = fuzz_u8(in) & 1, stop = n >= VERDICT_LIMIT_RUN;
	struct verdict_clients c;
	enum check_status want;

	for (size_t i = 0; i < n; i++) {
		state[i] = fuzz_u8(in) % 4;
		/* At the end none is waiting: a waiting one read as unserved. */
		done[i] = state[i] == VERDICT_CLIENT_WAITING ? VERDICT_CLIENT_UNSERVED : state[i];
		stop &= i + VERDICT_LIMIT_RUN < n || state[i] != VERDICT_CLIENT_SERVED;
		served += done[i] == VERDICT_CLIENT_SERVED;
		if (done[i] != VERDICT_CLIENT_SERVED && first == n)
			first = i;
		tail &= first == n || done[i] != VERDICT_CLIENT_SERVED;
	}
	FUZZ_REQUIRE(verdict_clients_stop(state, n) == stop, "clients.stop", "%zu clients: %d", n,
		     !stop);
	verdict_clients_judge(done, n, home, &c);
	want = n == 0                                           ? CHECK_INCONCLUSIVE
	       : first == n                                     ? CHECK_PASS
	       : home && tail && n - first >= VERDICT_LIMIT_RUN ? CHECK_FAIL
								: CHECK_INCONCLUSIVE;
	FUZZ_REQUIRE(c.clients == n && c.served == served &&
			     c.first_unserved == (first == n ? 0 : first + 1) &&
			     c.refused == (first < n && done[first] == VERDICT_CLIENT_REFUSED),
		     "clients.counts", "%u clients, %u served, first unserved %u (refused %d)",
		     c.clients, c.served, c.first_unserved, c.refused);
	FUZZ_REQUIRE(c.status == want, "clients.status",
		     "%zu clients, first unserved %zu, home %d: %s, want %s", n, first, home,
		     check_status_name(c.status), check_status_name(want));
	return 0;
}

/* ---- the retry timer ---------------------------------------------------------------- */

struct ref_rto {
	uint64_t srtt, rttvar, rto, min, max;
	int measured;
};

static void ref_sample(struct ref_rto *r, uint64_t us)
{
	if (!r->measured) {
		r->srtt = us; /* RFC 6298 2.2 */
		r->rttvar = us / 2;
		r->measured = 1;
	} else { /* 2.3: RTTVAR from the old SRTT, then SRTT */
		uint64_t dev = r->srtt > us ? r->srtt - us : us - r->srtt;

		r->rttvar = (3 * r->rttvar + dev) / 4;
		r->srtt = (7 * r->srtt + us) / 8;
	}
	if (r->srtt == 0)
		r->srtt = 1;
	r->rto = r->srtt + 4 * r->rttvar;
	r->rto = r->rto < r->min ? r->min : r->rto > r->max ? r->max : r->rto;
}

static int fuzz_rto(struct fuzz_in *in)
{
	struct verdict_rto t;
	struct ref_rto r = {0};
	size_t count;

	r.min = fuzz_u32(in);
	r.max = fuzz_u32(in);
	verdict_rto_init(&t, r.min, r.max);
	r.min = r.min < r.max ? r.min : r.max;
	r.rto = r.max;
	count = fuzz_u8(in) % (MAX_SAMPLES + 1);
	for (size_t i = 0; i <= count; i++) {
		FUZZ_REQUIRE(
			t.rto_us == r.rto && t.srtt_us == r.srtt && t.rttvar_us == r.rttvar &&
				t.min_us == r.min && t.max_us == r.max,
			"rto.rfc6298",
			"after %zu samples: srtt %llu rttvar %llu rto %llu, want %llu %llu %llu", i,
			(unsigned long long)t.srtt_us, (unsigned long long)t.rttvar_us,
			(unsigned long long)t.rto_us, (unsigned long long)r.srtt,
			(unsigned long long)r.rttvar, (unsigned long long)r.rto);
		FUZZ_REQUIRE(t.rto_us >= r.min && t.rto_us <= r.max, "rto.bounds",
			     "rto %llu outside [%llu, %llu]", (unsigned long long)t.rto_us,
			     (unsigned long long)r.min, (unsigned long long)r.max);
		if (i < count) {
			uint8_t shift = fuzz_u8(in);
			uint64_t us = (uint64_t)fuzz_u32(in) << (shift % 25);

			verdict_rto_sample(&t, us);
			ref_sample(&r, us);
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	/* A failed check has been reported (or stepped over, for a known bug) already. */
	switch (fuzz_u8(&in) % T_COUNT) {
	case T_LOG:
		(void)fuzz_log(&in);
		break;
	case T_LIFE:
		(void)fuzz_life(&in);
		break;
	case T_CLIENTS:
		(void)fuzz_clients(&in);
		break;
	case T_RTO:
		(void)fuzz_rto(&in);
		break;
	default:
		(void)fuzz_judge(&in);
		break;
	}
	return 0;
}
