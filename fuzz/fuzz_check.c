/*
 * fuzz_check: the pure parts of `udpecho check` (check.h).  The first byte
 * picks the target, the rest is its input (numbers big-endian; an input cut
 * short reads as zeros):
 *   0 check_classify, check_describe: cap choice, shape, flip byte, k (u16),
 *     data; the request and the reply are cut from data by shape
 *   1 check_payload, check_tag_read: seed (u32), stream, attempt (u16), seq
 *     (u32), length choice (u16), flags, another attempt (u16)
 *   2 check_tag_read on raw bytes: the bytes
 *   3 check_bisect_next / _update: good, bad choice, edge choice (u16), kind,
 *     then the answers (kind & 1) and stale sizes (kind & 2)
 *   4 check_parse_only: badlen choice, the --only list
 *   5 the catalogue: id, level, status (u32), a name for check_find
 * Each is checked against a reference written here from check.h:
 *   - classify: EXACT iff same bytes; TRUNCATED iff the reply is a proper
 *     prefix of the request (at = reply length); EXTENDED iff the request is
 *     a proper prefix of the reply (at = request length); DIFFERS otherwise,
 *     at the first differing offset.  Empty buffers are passed as NULL;
 *   - describe: printable, NUL-terminated, snprintf's count and cut, and the
 *     words of check.h's examples for the classification, with its numbers;
 *     "stops at the first NUL byte" exactly for a reply cut where the
 *     request's first NUL is;
 *   - tags: a tagged payload holds no NUL, reads back as its tag (fields cut
 *     to their ranges), its bytes after the tag do not depend on the try,
 *     and no single-bit flip of the 16 tag bytes still reads as a tag.  That
 *     last is what check.c guarantees: its check byte is the tag bytes'
 *     weighted sum mod 255, with weights (powers of 31) prime to 255, so a
 *     change of one byte by +-2^k always changes it;
 *   - check_tag_read on any bytes succeeds only on a tag that check_payload
 *     writes back byte for byte;
 *   - bisection: every size tried lies strictly between good and bad, the
 *     search ends within ceil(log2(bad - good)) + 1 calls with bad = good + 1
 *     whatever the answers, and at the edge of a monotone server; a stale
 *     answer (exact at or below good, not exact at or above bad) changes
 *     nothing;
 *   - --only lists: accepted exactly as a reference parser accepts them,
 *     with the same selection, or the offending item (cut at 64 characters,
 *     then to badlen) in bad; check_find matches whole names only, and
 *     check_info gives every id's entry back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/check.h"
#include "udpecho/echo.h"

enum { T_CLASSIFY, T_TAG, T_TAG_READ, T_BISECT, T_ONLY, T_CATALOGUE, T_COUNT };

#define STREAM_MAX 0x3fffu  /* 14 bits */
#define ATTEMPT_MAX 0x3fffu /* 14 bits */
#define SEQ_MAX 0xfffffffu  /* 28 bits */
#define DESCRIBE_MAX 512    /* far more than any description */
#define BAD_ITEM_MAX 64     /* check_parse_only cuts the offending item here */
#define BADLEN_BIG 128

/* ---- check_classify, check_describe -------------------------------------- */

/* How the reply is made from the input: rep relates to req in one of these ways. */
enum { S_SPLIT, S_EXACT, S_PREFIX, S_LONGER, S_ALTER, S_CSTRING, S_COUNT };

static const char *kind_name(enum check_match_kind kind)
{
	switch (kind) {
	case CHECK_MATCH_EXACT:
		return "EXACT";
	case CHECK_MATCH_TRUNCATED:
		return "TRUNCATED";
	case CHECK_MATCH_EXTENDED:
		return "EXTENDED";
	case CHECK_MATCH_DIFFERS:
		return "DIFFERS";
	}
	return "?";
}

/* True when a[0..an) is a prefix of b[0..bn). */
static int ref_is_prefix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an <= bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* The slow way: prefixes first, then the first differing byte. */
static struct check_match ref_classify(const uint8_t *req, size_t req_len, const uint8_t *rep,
				       size_t rep_len)
{
	struct check_match m = {CHECK_MATCH_DIFFERS, 0};

	if (req_len == rep_len && ref_is_prefix(req, req_len, rep, rep_len)) {
		m.kind = CHECK_MATCH_EXACT;
		m.at = req_len;
	} else if (rep_len < req_len && ref_is_prefix(rep, rep_len, req, req_len)) {
		m.kind = CHECK_MATCH_TRUNCATED;
		m.at = rep_len;
	} else if (req_len < rep_len && ref_is_prefix(req, req_len, rep, rep_len)) {
		m.kind = CHECK_MATCH_EXTENDED;
		m.at = req_len;
	} else {
		while (req[m.at] == rep[m.at])
			m.at++;
	}
	return m;
}

static int check_match(const uint8_t *req, size_t req_len, const uint8_t *rep, size_t rep_len)
{
	struct check_match got = check_classify(req, req_len, rep, rep_len);
	struct check_match want = ref_classify(req, req_len, rep, rep_len);

	FUZZ_REQUIRE(got.kind == want.kind, "classify.kind",
		     "request %zu bytes, reply %zu: %s at %zu, want %s at %zu", req_len, rep_len,
		     kind_name(got.kind), got.at, kind_name(want.kind), want.at);
	/* check.h leaves `at` open for an exact echo. */
	FUZZ_REQUIRE(got.kind == CHECK_MATCH_EXACT || got.at == want.at, "classify.at",
		     "request %zu bytes, reply %zu: %s at %zu, want at %zu", req_len, rep_len,
		     kind_name(got.kind), got.at, want.at);
	return 0;
}

/* The words for the classification, with its numbers, from check.h's examples. */
static int check_words(const char *text, const uint8_t *req, size_t req_len, const uint8_t *rep,
		       size_t rep_len)
{
	struct check_match m = ref_classify(req, req_len, rep, rep_len);
	const uint8_t *nul = req_len > 0 ? memchr(req, 0, req_len) : NULL;
	int c_string =
		m.kind == CHECK_MATCH_TRUNCATED && nul != NULL && (size_t)(nul - req) == rep_len;
	char want[128], also[128];

	FUZZ_REQUIRE(!strstr(text, "stops at the first NUL byte") == !c_string, "describe.nul",
		     "'%s' for a %zu-byte reply to %zu bytes whose first NUL is at %ld", text,
		     rep_len, req_len, nul ? (long)(nul - req) : -1L);
	also[0] = '\0';
	switch (m.kind) {
	case CHECK_MATCH_EXACT:
		snprintf(want, sizeof(want), "exact");
		break;
	case CHECK_MATCH_TRUNCATED:
		if (c_string)
			snprintf(want, sizeof(want), "stops at the first NUL byte");
		else
			snprintf(want, sizeof(want), "truncates to %zu byte", rep_len);
		snprintf(also, sizeof(also), "(sent %zu, got the first %zu)", req_len, rep_len);
		break;
	case CHECK_MATCH_EXTENDED:
		snprintf(want, sizeof(want), "%zu byte", rep_len - req_len);
		snprintf(also, sizeof(also), " longer than the %zu sent", req_len);
		break;
	case CHECK_MATCH_DIFFERS:
		snprintf(want, sizeof(want), "altered at byte %zu ", m.at);
		snprintf(also, sizeof(also), "(sent 0x%02x, got 0x%02x)", req[m.at], rep[m.at]);
		break;
	}
	FUZZ_REQUIRE(strncmp(text, want, strlen(want)) == 0 && strstr(text, also) != NULL,
		     "describe.words", "%s (request %zu bytes, reply %zu): '%s', want '%s'...'%s'",
		     kind_name(m.kind), req_len, rep_len, text, want, also);
	return 0;
}

static int check_text(size_t cap, const uint8_t *req, size_t req_len, const uint8_t *rep,
		      size_t rep_len)
{
	char full[DESCRIBE_MAX], cut[DESCRIBE_MAX + 1];
	size_t n = check_describe(full, sizeof(full), req, req_len, rep, rep_len), m, end;

	FUZZ_REQUIRE(n > 0 && n < sizeof(full) && strlen(full) == n, "describe.length",
		     "returned %zu for a text of %zu", n, strnlen(full, sizeof(full)));
	FUZZ_REQUIRE(fuzz_printable(full, n), "describe.printable", "unprintable text");
	if (check_words(full, req, req_len, rep, rep_len) != 0)
		return -1;
	memset(cut, '#', sizeof(cut));
	m = check_describe(cut, cap, req, req_len, rep, rep_len);
	FUZZ_REQUIRE(m == n, "describe.length", "cap %zu returns %zu, full text %zu", cap, m, n);
	if (cap == 0) {
		FUZZ_REQUIRE(cut[0] == '#', "describe.truncated", "cap 0 wrote to out");
		return 0;
	}
	end = n < cap ? n : cap - 1;
	FUZZ_REQUIRE(cut[end] == '\0' && memcmp(cut, full, end) == 0 && cut[end + 1] == '#',
		     "describe.truncated", "cap %zu: not a NUL-terminated prefix of '%s'", cap,
		     full);
	return 0;
}

/* A heap copy of exactly n bytes, or NULL for none: check.h takes NULL with length 0. */
static uint8_t *dup_or_null(const uint8_t *p, size_t n)
{
	return n > 0 ? fuzz_memdup(p, n) : NULL;
}

static int fuzz_classify(struct fuzz_in *in)
{
	uint8_t choice = fuzz_u8(in), shape = fuzz_u8(in), flip = fuzz_u8(in);
	size_t k = fuzz_u16(in), n = in->n;
	size_t cap = choice & 0x80 ? DESCRIBE_MAX : (size_t)(choice % 128);
	const uint8_t *d = in->p;
	size_t req_len = n, rep_off = 0, rep_len = n;
	uint8_t *req, *rep;
	const uint8_t *nul;

	switch (shape % S_COUNT) {
	case S_SPLIT: /* two unrelated buffers */
		req_len = k % (n + 1);
		rep_off = req_len;
		rep_len = n - req_len;
		break;
	case S_EXACT:
		break;
	case S_PREFIX: /* cut short */
		rep_len = k % (n + 1);
		break;
	case S_LONGER: /* bytes added */
		req_len = n - k % (n + 1);
		break;
	case S_ALTER: /* handled below: one byte changed */
		break;
	default: /* C string handling: the reply ends at the first NUL */
		nul = n > 0 ? memchr(d, 0, n) : NULL;
		rep_len = nul ? (size_t)(nul - d) : n;
		break;
	}
	req = dup_or_null(d, req_len);
	rep = dup_or_null(d + rep_off, rep_len);
	if (shape % S_COUNT == S_ALTER && n > 0)
		rep[k % n] ^= flip != 0 ? flip : 0x20;
	if (check_match(req, req_len, rep, rep_len) == 0)
		(void)check_text(cap, req, req_len, rep, rep_len);
	free(req);
	free(rep);
	return 0;
}

/* ---- tags: check_payload, check_tag_read --------------------------------- */

static int same_tag(const struct check_tag *a, const struct check_tag *b)
{
	return a->run == b->run && a->stream == b->stream && a->attempt == b->attempt &&
	       a->seq == b->seq;
}

/* check_run_id: no byte is 0, and the same seed gives the same id. */
static int check_run(uint32_t seed, uint32_t run)
{
	for (int i = 0; i < 4; i++) {
		FUZZ_REQUIRE((run >> (8 * i) & 0xffu) != 0, "run_id.nul", "seed 0x%08x: id 0x%08x",
			     seed, run);
	}
	FUZZ_REQUIRE(check_run_id(seed) == run, "run_id.pure", "seed 0x%08x: two ids", seed);
	return 0;
}

/* No single-bit flip of the 16 tag bytes still reads as a tag. */
static int check_flips(const uint8_t *buf)
{
	uint8_t copy[CHECK_TAG_LEN];
	struct check_tag out;

	for (size_t i = 0; i < CHECK_TAG_LEN; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			memcpy(copy, buf, sizeof(copy));
			copy[i] ^= (uint8_t)(1u << bit);
			FUZZ_REQUIRE(check_tag_read(copy, sizeof(copy), &out) != 0, "tag.bit_flip",
				     "byte %zu bit %u flipped: still read as run 0x%08x stream %u "
				     "attempt %u seq %u",
				     i, bit, out.run, out.stream, out.attempt, out.seq);
		}
	}
	return 0;
}

/* The same tag on another try: the bytes after the tag stay the same. */
static int check_other_try(const uint8_t *buf, size_t len, const struct check_tag *tag,
			   uint16_t attempt)
{
	struct check_tag other = *tag;
	uint8_t *again = fuzz_alloc(len);
	int same_try = (attempt & ATTEMPT_MAX) == (tag->attempt & ATTEMPT_MAX);
	int rc = 0;

	other.attempt = attempt;
	check_payload(again, len, &other);
	if (memcmp(again + CHECK_TAG_LEN, buf + CHECK_TAG_LEN, len - CHECK_TAG_LEN) != 0) {
		fuzz_fail("payload.attempt", __FILE__, __LINE__,
			  "%zu bytes: tries %u and %u differ after the tag", len, tag->attempt,
			  attempt);
		rc = -1;
	} else if (same_try && memcmp(again, buf, len) != 0) {
		fuzz_fail("payload.pure", __FILE__, __LINE__, "%zu bytes: one tag, two payloads",
			  len);
		rc = -1;
	}
	free(again);
	return rc;
}

static int check_tagged(const uint8_t *buf, size_t len, const struct check_tag *want)
{
	struct check_tag out;

	FUZZ_REQUIRE(memchr(buf, 0, len) == NULL, "payload.nul", "%zu bytes: NUL at %zu", len,
		     (size_t)((const uint8_t *)memchr(buf, 0, len) - buf));
	memset(&out, 0xa5, sizeof(out));
	FUZZ_REQUIRE(check_tag_read(buf, len, &out) == 0 && same_tag(&out, want), "tag.round_trip",
		     "%zu bytes: wrote run 0x%08x stream %u attempt %u seq %u, read "
		     "0x%08x %u %u %u",
		     len, want->run, want->stream, want->attempt, want->seq, out.run, out.stream,
		     out.attempt, out.seq);
	for (size_t short_len = 0; short_len < CHECK_TAG_LEN; short_len++) {
		FUZZ_REQUIRE(check_tag_read(buf, short_len, &out) != 0, "tag_read.short",
			     "a tag read from %zu bytes", short_len);
	}
	return check_flips(buf);
}

static int fuzz_tag(struct fuzz_in *in)
{
	uint32_t seed = fuzz_u32(in);
	uint16_t stream = fuzz_u16(in), attempt = fuzz_u16(in);
	uint32_t seq = fuzz_u32(in);
	size_t len = CHECK_TAG_LEN + fuzz_u16(in) % (ECHO_MAX_PAYLOAD_V4 - CHECK_TAG_LEN + 1);
	uint8_t flags = fuzz_u8(in);
	uint16_t other_attempt = fuzz_u16(in);
	struct check_tag tag = {check_run_id(seed), stream, attempt, seq}, want;
	uint8_t *buf;

	if (check_run(seed, tag.run) != 0)
		return -1;
	/* check.h: fields beyond their ranges are cut to them; mostly keep them in range. */
	if (!(flags & 1)) {
		tag.stream &= STREAM_MAX;
		tag.attempt &= ATTEMPT_MAX;
		tag.seq &= SEQ_MAX;
	}
	want = tag;
	want.stream &= STREAM_MAX;
	want.attempt &= ATTEMPT_MAX;
	want.seq &= SEQ_MAX;
	buf = fuzz_alloc(len);
	check_payload(buf, len, &tag);
	if (check_tagged(buf, len, &want) == 0)
		(void)check_other_try(buf, len, &tag, other_attempt);
	free(buf);
	return 0;
}

/* Any bytes: a tag is read only where check_payload would write those 16 bytes. */
static int check_read(const uint8_t *buf, size_t len)
{
	struct check_tag tag;
	uint8_t again[CHECK_TAG_LEN];

	if (check_tag_read(buf, len, &tag) != 0)
		return 0;
	FUZZ_REQUIRE(len >= CHECK_TAG_LEN, "tag_read.short", "a tag read from %zu bytes", len);
	FUZZ_REQUIRE(tag.stream <= STREAM_MAX && tag.attempt <= ATTEMPT_MAX && tag.seq <= SEQ_MAX,
		     "tag_read.range", "stream %u attempt %u seq %u", tag.stream, tag.attempt,
		     tag.seq);
	check_payload(again, sizeof(again), &tag);
	FUZZ_REQUIRE(memcmp(again, buf, CHECK_TAG_LEN) == 0, "tag_read.reencode",
		     "read run 0x%08x stream %u attempt %u seq %u, which check_payload writes "
		     "otherwise",
		     tag.run, tag.stream, tag.attempt, tag.seq);
	return 0;
}

static int fuzz_tag_read(struct fuzz_in *in)
{
	static const uint8_t none[1];
	uint8_t *buf = dup_or_null(in->p, in->n);

	(void)check_read(buf != NULL ? buf : none, in->n);
	free(buf);
	in->p += in->n;
	in->n = 0;
	return 0;
}

/* ---- bisection ------------------------------------------------------------ */

static unsigned ceil_log2(size_t n)
{
	unsigned k = 0;

	while (((size_t)1 << k) < n)
		k++;
	return k;
}

/* A stale answer, consistent with what is known, changes nothing. */
static int check_stale(struct check_bisect *b, uint16_t pick)
{
	struct check_bisect before = *b;
	int exact = pick & 1;
	size_t size = exact ? (size_t)pick % (b->good + 1)
			    : b->bad + (size_t)pick % (ECHO_MAX_PAYLOAD_V6 + 1 - b->bad);

	check_bisect_update(b, size, exact);
	FUZZ_REQUIRE(b->good == before.good && b->bad == before.bad, "bisect.stale",
		     "good %zu bad %zu: size %zu %s moved them to %zu, %zu", before.good,
		     before.bad, size, exact ? "exact" : "not exact", b->good, b->bad);
	return 0;
}

static int fuzz_bisect(struct fuzz_in *in)
{
	size_t good = fuzz_u16(in) % ECHO_MAX_PAYLOAD_V6, bad, edge;
	uint8_t kind;
	unsigned limit, calls = 0;
	struct check_bisect b;

	bad = good + 1 + fuzz_u16(in) % (ECHO_MAX_PAYLOAD_V6 - good);
	edge = good + fuzz_u16(in) % (bad - good);
	kind = fuzz_u8(in);
	limit = ceil_log2(bad - good) + 1;
	b = (struct check_bisect){good, bad};
	for (;;) {
		size_t was_good = b.good, was_bad = b.bad, next;
		int exact;

		FUZZ_REQUIRE(++calls <= limit, "bisect.steps",
			     "from %zu..%zu: more than %u calls (now %zu..%zu)", good, bad, limit,
			     b.good, b.bad);
		next = check_bisect_next(&b);
		if (next == 0)
			break;
		FUZZ_REQUIRE(next > b.good && next < b.bad, "bisect.between",
			     "good %zu bad %zu: next %zu", b.good, b.bad, next);
		/* kind bit 0: a server that answers at random instead of a monotone one. */
		exact = kind & 1 ? fuzz_u8(in) & 1 : next <= edge;
		check_bisect_update(&b, next, exact);
		FUZZ_REQUIRE(b.good < b.bad && (exact ? b.good == next : b.bad == next),
			     "bisect.update", "%zu..%zu, %zu %s: now %zu..%zu", was_good, was_bad,
			     next, exact ? "exact" : "not exact", b.good, b.bad);
		if (kind & 2 && check_stale(&b, fuzz_u16(in)) != 0)
			return -1;
	}
	FUZZ_REQUIRE(b.bad == b.good + 1, "bisect.end", "from %zu..%zu: ended at %zu..%zu", good,
		     bad, b.good, b.bad);
	FUZZ_REQUIRE(kind & 1 || b.good == edge, "bisect.edge",
		     "from %zu..%zu, exact up to %zu: found %zu..%zu", good, bad, edge, b.good,
		     b.bad);
	return 0;
}

/* ---- check_parse_only ------------------------------------------------------ */

/* An item names a check: its exact name, or "GROUP.*" for every name starting "GROUP.". */
static int ref_item_names(const char *item, size_t len, const char *name)
{
	size_t group = len - 1; /* "GROUP." */

	if (strlen(name) == len && memcmp(name, item, len) == 0)
		return 1;
	return len >= 2 && item[len - 2] == '.' && item[len - 1] == '*' && strlen(name) > group &&
	       memcmp(name, item, group) == 0;
}

/* Returns 0 with want[] set, or -1 with *item at the first bad item (up to a comma or the end). */
static int ref_parse_only(const char *list, unsigned char want[CHECK_COUNT], const char **item)
{
	const char *p = list;

	memset(want, 0, CHECK_COUNT);
	for (;;) {
		size_t len = strcspn(p, ",");
		int found = 0;

		for (size_t i = 0; i < CHECK_COUNT; i++) {
			if (len > 0 && ref_item_names(p, len, check_info((enum check_id)i)->name)) {
				want[i] = 1;
				found = 1;
			}
		}
		if (!found) {
			*item = p;
			return -1;
		}
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

/* bad holds the item, cut at 64 characters and then to fit badlen, NUL-terminated. */
static int check_bad(const char *list, const char *bad, size_t badlen, const char *item)
{
	size_t want = strcspn(item, ",");
	char shown[1024];

	if (badlen == 0) {
		FUZZ_REQUIRE(bad[0] == '#', "parse_only.bad", "badlen 0, but bad was written");
		return 0;
	}
	if (want > BAD_ITEM_MAX)
		want = BAD_ITEM_MAX;
	if (want >= badlen)
		want = badlen - 1;
	FUZZ_REQUIRE(bad[want] == '\0' && memcmp(bad, item, want) == 0 && bad[badlen] == '#',
		     "parse_only.bad", "'%s', badlen %zu: bad is not the item '%.*s' cut to %zu",
		     fuzz_show(list, shown), badlen, (int)want, item, want);
	return 0;
}

static int check_only(const char *list, size_t badlen)
{
	char bad[BADLEN_BIG + 1], shown[1024];
	unsigned char selected[CHECK_COUNT], want[CHECK_COUNT];
	const char *item = NULL;
	int rc, want_rc;

	memset(selected, 0xaa, sizeof(selected));
	memset(bad, '#', sizeof(bad));
	rc = check_parse_only(list, selected, bad, badlen);
	want_rc = ref_parse_only(list, want, &item);
	FUZZ_REQUIRE(rc == want_rc, "parse_only.accept", "'%s': %d, want %d",
		     fuzz_show(list, shown), rc, want_rc);
	if (rc != 0)
		return check_bad(list, bad, badlen, item);
	FUZZ_REQUIRE(memcmp(selected, want, CHECK_COUNT) == 0, "parse_only.selection",
		     "'%s': another selection", fuzz_show(list, shown));
	return 0;
}

static int fuzz_only(struct fuzz_in *in)
{
	uint8_t choice = fuzz_u8(in);
	size_t badlen = choice & 0x80 ? BADLEN_BIG : (size_t)(choice % 80);
	char *list = fuzz_rest_str(in);

	(void)check_only(list, badlen);
	free(list);
	return 0;
}

/* ---- the catalogue ----------------------------------------------------------- */

/* A dotted ID: lower-case words joined by single dots. */
static int id_syntax_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == '.' || s[n - 1] == '.' || strstr(s, "..") != NULL)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz.") == n;
}

static int check_entry(enum check_id id)
{
	static const char *const levels[] = {"MUST", "SHOULD", "INFO"};
	const struct check_info *info = check_info(id);
	char name[64];
	size_t len;

	FUZZ_REQUIRE(info != NULL && info->id == id, "catalogue.info", "check_info(%d)", (int)id);
	FUZZ_REQUIRE(info->name != NULL && id_syntax_ok(info->name), "catalogue.name",
		     "check %d: not a dotted ID", (int)id);
	FUZZ_REQUIRE(info->what != NULL && info->what[0] != '\0' &&
			     fuzz_printable(info->what, strlen(info->what)),
		     "catalogue.what", "%s: no printable description", info->name);
	FUZZ_REQUIRE((unsigned)info->level < 3 &&
			     strcmp(check_level_name(info->level), levels[info->level]) == 0,
		     "catalogue.level", "%s: level %d", info->name, (int)info->level);
	FUZZ_REQUIRE(check_find(info->name) == info, "find.round_trip", "%s", info->name);
	len = strlen(info->name);
	for (size_t cut = 0; cut < len; cut++) {
		snprintf(name, sizeof(name), "%.*s", (int)cut, info->name);
		FUZZ_REQUIRE(check_find(name) == NULL, "find.partial", "'%s' found", name);
	}
	snprintf(name, sizeof(name), "%s.", info->name);
	FUZZ_REQUIRE(check_find(name) == NULL, "find.partial", "'%s' found", name);
	return 0;
}

static int check_names(uint32_t level, uint32_t status)
{
	static const char *const statuses[] = {"PASS", "FAIL", "WARN", "SKIP"};
	const char *l = check_level_name((enum check_level)level);
	const char *s = check_status_name((enum check_status)status);

	FUZZ_REQUIRE(l != NULL && fuzz_printable(l, strlen(l)), "catalogue.level_name",
		     "level %u: no printable name", level);
	FUZZ_REQUIRE(s != NULL && fuzz_printable(s, strlen(s)), "catalogue.status_name",
		     "status %u: no printable name", status);
	for (unsigned i = 0; i < 4; i++) {
		s = check_status_name((enum check_status)i);
		FUZZ_REQUIRE(strcmp(s, statuses[i]) == 0, "catalogue.status_name",
			     "status %u: '%s', want '%s'", i, s, statuses[i]);
	}
	return 0;
}

static int fuzz_catalogue(struct fuzz_in *in)
{
	uint32_t id = fuzz_u32(in), level = fuzz_u32(in), status = fuzz_u32(in);
	char *name, shown[1024];
	const struct check_info *want = NULL, *got;

	for (unsigned i = 0; i < CHECK_COUNT; i++) {
		if (check_entry((enum check_id)i) != 0)
			return -1;
	}
	FUZZ_REQUIRE((check_info((enum check_id)id) == NULL) == (id >= CHECK_COUNT),
		     "catalogue.info", "check_info(%u), %d checks", id, CHECK_COUNT);
	if (check_names(level, status) != 0)
		return -1;
	name = fuzz_rest_str(in);
	for (unsigned i = 0; i < CHECK_COUNT; i++) {
		if (strcmp(check_info((enum check_id)i)->name, name) == 0)
			want = check_info((enum check_id)i);
	}
	got = check_find(name);
	fuzz_show(name, shown);
	free(name);
	FUZZ_REQUIRE(got == want, "find.exact", "'%s': %s, want %s", shown,
		     got ? got->name : "NULL", want ? want->name : "NULL");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	switch (fuzz_u8(&in) % T_COUNT) {
	case T_CLASSIFY:
		(void)fuzz_classify(&in);
		break;
	case T_TAG:
		(void)fuzz_tag(&in);
		break;
	case T_TAG_READ:
		(void)fuzz_tag_read(&in);
		break;
	case T_BISECT:
		(void)fuzz_bisect(&in);
		break;
	case T_ONLY:
		(void)fuzz_only(&in);
		break;
	default:
		(void)fuzz_catalogue(&in);
		break;
	}
	return 0;
}
