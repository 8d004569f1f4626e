/*
 * fuzz_json: the JSON reader of --baseline (json.h).  The first byte picks
 * the target, the rest is its input:
 *   0 the bytes as a report: json_report_checks on them as they are;
 *   1 the bytes as a string's content: wrapped, escaped as report.c
 *     escaped strings, as the "id" of one check of a report;
 *   2 the bytes through json_escape, the one escaper every writer uses: a
 *     cut at any capacity ends on an escape's boundary, NUL-terminated,
 *     and the length returned is the whole text's; the whole text, as an
 *     id, reads back as the bytes, each byte of an invalid UTF-8 sequence
 *     as the reader's '?' for U+FFFD.
 * Properties:
 *   - any bytes are read or refused without reading past their end (the
 *     harness hands over an exact-size copy, so ASan sees any overread),
 *     and a refusal's offset lies within the text;
 *   - the same text gives the same answer and the same checks twice;
 *   - every id, level and status handed back is NUL-terminated;
 *   - a report with one check whose id is any string comes back with
 *     exactly that id (cut to fit, bytes above 0x7f as they are), its
 *     level and status, and nothing else;
 *   - that report with one byte cut off its end is refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/json.h"

#define MAX_SEEN 64
#define FUZZ_MAX_STRING ((size_t)4096) /* an id far longer than any: cut to fit */

struct seen {
	size_t n;
	int unterminated; /* a field handed back without its NUL */
	struct json_check c[MAX_SEEN];
};

static void collect(void *ctx, const struct json_check *c)
{
	struct seen *s = ctx;

	s->unterminated |= memchr(c->id, 0, sizeof(c->id)) == NULL ||
			   memchr(c->level, 0, sizeof(c->level)) == NULL ||
			   memchr(c->status, 0, sizeof(c->status)) == NULL;
	if (s->n < MAX_SEEN)
		s->c[s->n] = *c;
	s->n++;
}

/* Reads an exact-size copy, so that a read past the end is ASan's to see. */
static int read_copy(const uint8_t *data, size_t size, struct seen *s, size_t *at)
{
	char *copy = malloc(size > 0 ? size : 1);
	int rc;

	if (copy == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	memset(s, 0, sizeof(*s));
	*at = 0;
	rc = json_report_checks(copy, size, collect, s, at);
	free(copy);
	return rc;
}

static int fuzz_report(const uint8_t *data, size_t size)
{
	static struct seen a[2];
	size_t at_a, at_b;
	int rc_a, rc_b;

	rc_a = read_copy(data, size, &a[0], &at_a);
	rc_b = read_copy(data, size, &a[1], &at_b);
	FUZZ_REQUIRE(!a[0].unterminated, "json.terminated", "a field without its NUL");
	FUZZ_REQUIRE(rc_a == rc_b && a[0].n == a[1].n &&
			     memcmp(a[0].c, a[1].c,
				    (a[0].n < MAX_SEEN ? a[0].n : MAX_SEEN) * sizeof(a[0].c[0])) ==
				     0,
		     "json.repeatable", "%zu bytes read two ways", size);
	FUZZ_REQUIRE(rc_a == 0 || at_a <= size, "json.offset", "offset %zu of %zu", at_a, size);
	return 0;
}

/* Escapes as report.c's writer does: quotes, backslashes and control bytes. */
static size_t escape(char *out, const uint8_t *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			out[k++] = '\\';
			out[k++] = (char)s[i];
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			k += (size_t)snprintf(out + k, 7, "\\u%04x", s[i]);
		} else {
			out[k++] = (char)s[i];
		}
	}
	return k;
}

static int fuzz_string(const uint8_t *data, size_t size)
{
	static const char head[] = "{\"tool\": \"udpecho\", \"checks\": [\n {\"id\": \"",
			  tail[] = "\", \"level\": \"MUST\", \"status\": \"fail\"}]}";
	static char text[sizeof(head) + 6 * FUZZ_MAX_STRING + sizeof(tail)];
	char want[sizeof(((struct json_check *)0)->id)];
	static struct seen s;
	size_t n = 0, at, w = 0;

	if (size > FUZZ_MAX_STRING)
		size = FUZZ_MAX_STRING;
	memcpy(text, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	n += escape(text + n, data, size);
	memcpy(text + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	/* What comes back: control bytes and all, as the escapes stand for them, cut to fit. */
	for (size_t i = 0; i < size && w + 1 < sizeof(want); i++)
		want[w++] = (char)data[i];
	want[w] = '\0';
	FUZZ_REQUIRE(read_copy((const uint8_t *)text, n, &s, &at) == 0 && s.n == 1,
		     "json.string_accepted", "an escaped %zu-byte id refused at %zu", size, at);
	FUZZ_REQUIRE(memcmp(s.c[0].id, want, w + 1) == 0 && strcmp(s.c[0].level, "MUST") == 0 &&
			     strcmp(s.c[0].status, "fail") == 0,
		     "json.string_kept", "the id came back as '%s'", s.c[0].id);
	FUZZ_REQUIRE(read_copy((const uint8_t *)text, n - 1, &s, &at) != 0, "json.cut_refused",
		     "a report cut short was taken");
	return 0;
}

/*
 * The length of the well-formed UTF-8 sequence at s, or 0, from RFC 3629's
 * table of well-formed byte sequences (not from json.c's arithmetic): the
 * first byte's range, the second byte's range it allows, then continuation
 * bytes 80..BF.
 */
static size_t model_utf8(const uint8_t *s, size_t len)
{
	static const struct {
		uint8_t lo, hi, lo2, hi2, n;
	} forms[] = {
		{0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
		{0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3},
		{0xee, 0xef, 0x80, 0xbf, 3}, {0xf0, 0xf0, 0x90, 0xbf, 4},
		{0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
	};

	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		if (s[0] < forms[f].lo || s[0] > forms[f].hi)
			continue;
		if (len < forms[f].n || s[1] < forms[f].lo2 || s[1] > forms[f].hi2)
			return 0;
		for (size_t i = 2; i < forms[f].n; i++) {
			if (s[i] < 0x80 || s[i] > 0xbf)
				return 0;
		}
		return forms[f].n;
	}
	return 0;
}

static int fuzz_escape(const uint8_t *data, size_t size)
{
	static char full[6 * FUZZ_MAX_STRING + 1], cut[6 * FUZZ_MAX_STRING + 1];
	static char text[6 * FUZZ_MAX_STRING + 64], want[sizeof(((struct json_check *)0)->id)];
	static struct seen s;
	size_t cap = size > 0 ? data[0] : 0, n, m, w = 0, at;

	if (size > FUZZ_MAX_STRING)
		size = FUZZ_MAX_STRING;
	n = json_escape(full, sizeof(full), (const char *)data, size);
	FUZZ_REQUIRE(n == strlen(full), "json.escape_length", "%zu for %zu", n, strlen(full));
	m = json_escape(cut, cap, (const char *)data, size);
	FUZZ_REQUIRE(
		m == n && (cap == 0 || (strlen(cut) < cap && memcmp(cut, full, strlen(cut)) == 0)),
		"json.escape_cut", "capacity %zu", cap);
	/* The cut ends where an escape or a character ends: what follows starts one. */
	FUZZ_REQUIRE(cap == 0 || full[strlen(cut)] == '\0' || full[strlen(cut)] == '\\' ||
			     ((unsigned char)full[strlen(cut)] & 0xc0) != 0x80,
		     "json.escape_boundary", "cut inside a character at %zu", strlen(cut));
	snprintf(text, sizeof(text), "{\"checks\": [{\"id\": \"%s\"}]}", full);
	for (size_t i = 0, k; i < size && w + 1 < sizeof(want); i += k) {
		k = data[i] >= 0x80 ? model_utf8(data + i, size - i) : 1;
		if (k == 0) {
			want[w++] = '?';
			k = 1;
		} else {
			for (size_t j = 0; j < k && w + 1 < sizeof(want); j++)
				want[w++] = (char)data[i + j];
		}
	}
	want[w] = '\0';
	FUZZ_REQUIRE(read_copy((const uint8_t *)text, strlen(text), &s, &at) == 0 && s.n == 1,
		     "json.escape_valid", "escaped text refused at %zu", at);
	FUZZ_REQUIRE(memcmp(s.c[0].id, want, w + 1) == 0, "json.escape_reads_back",
		     "'%s' came back as '%s'", want, s.c[0].id);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		return fuzz_report(data + 1, size - 1);
	case 1:
		return fuzz_string(data + 1, size - 1);
	default:
		return fuzz_escape(data + 1, size - 1);
	}
}
