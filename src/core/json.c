/*
 * json.c: a small, strict JSON reader (see json.h).
 */
#include "udpecho/json.h"

#include <stdint.h>
#include <string.h>

/* Where a value sits in a report: what it means to the caller. */
enum role { ROLE_NONE, ROLE_TOP, ROLE_CHECKS, ROLE_CHECK };

struct reader {
	const char *p, *end;
	int depth;
	json_check_fn fn;
	void *ctx;
};

static int parse_value(struct reader *r, enum role role);

static void skip_space(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One escape after the backslash; returns the byte it stands for ('?' beyond ASCII), or -1. */
static int read_escape(struct reader *r)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned value = 0;

	if (r->p >= r->end)
		return -1;
	if (*r->p != 'u') {
		const char *hit = *r->p != '\0' ? strchr(from, *r->p) : NULL;

		if (hit == NULL)
			return -1;
		r->p++;
		return (unsigned char)to[hit - from];
	}
	if (r->end - r->p < 5)
		return -1;
	for (int i = 1; i <= 4; i++) {
		char c = r->p[i];

		if (!hex_digit(c))
			return -1;
		value = value * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	r->p += 5;
	return value < 0x80 ? (int)value : '?';
}

/*
 * A string at r->p: its bytes, unescaped, copied into out[0..cap) and
 * NUL-terminated when out is not NULL.  Returns its full length, or -1.
 */
static long read_string(struct reader *r, char *out, size_t cap)
{
	long n = 0;

	if (r->p >= r->end || *r->p != '"')
		return -1;
	r->p++;
	while (r->p < r->end) {
		int c = (unsigned char)*r->p;

		if (c == '"') {
			r->p++;
			if (out != NULL)
				out[(size_t)n < cap ? (size_t)n : cap - 1] = '\0';
			return n;
		}
		if (c < 0x20)
			return -1;
		r->p++;
		if (c == '\\' && (c = read_escape(r)) < 0)
			return -1;
		if (out != NULL && (size_t)n + 1 < cap)
			out[n] = (char)c;
		n++;
	}
	return -1;
}

static int read_digits(struct reader *r)
{
	const char *start = r->p;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int read_number(struct reader *r)
{
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (read_digits(r) != 0)
		return -1;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (read_digits(r) != 0)
			return -1;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (read_digits(r) != 0)
			return -1;
	}
	return 0;
}

static int read_literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return -1;
	r->p += n;
	return 0;
}

/* The member of a check element a key names, or NULL. */
static char *check_field(struct json_check *c, const char *key, long len, size_t *cap)
{
	if (len == 2 && memcmp(key, "id", 2) == 0) {
		*cap = sizeof(c->id);
		return c->id;
	}
	if (len == 5 && memcmp(key, "level", 5) == 0) {
		*cap = sizeof(c->level);
		return c->level;
	}
	if (len == 6 && memcmp(key, "status", 6) == 0) {
		*cap = sizeof(c->status);
		return c->status;
	}
	return NULL;
}

/* One member's value; a check element's string fields are kept. */
static int parse_member(struct reader *r, enum role role, const char *key, long len,
			struct json_check *c)
{
	size_t cap = 0;
	char *field = role == ROLE_CHECK ? check_field(c, key, len, &cap) : NULL;

	if (field != NULL && r->p < r->end && *r->p == '"')
		return read_string(r, field, cap) < 0 ? -1 : 0;
	if (role == ROLE_TOP && len == 6 && memcmp(key, "checks", 6) == 0)
		return parse_value(r, ROLE_CHECKS);
	return parse_value(r, ROLE_NONE);
}

/* The opening bracket, and the closing one when the container is empty: 1 when it is. */
static int open_container(struct reader *r, char close)
{
	r->p++;
	skip_space(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 1;
	}
	return 0;
}

/* After an item: 1 when a comma announces another, 0 at the closing bracket (taken), or -1. */
static int next_item(struct reader *r, char close)
{
	skip_space(r);
	if (r->p < r->end && *r->p == ',') {
		r->p++;
		skip_space(r);
		return 1;
	}
	if (r->p >= r->end || *r->p != close)
		return -1;
	r->p++;
	return 0;
}

/* A member's colon and the space around it. */
static int colon(struct reader *r)
{
	skip_space(r);
	if (r->p >= r->end || *r->p != ':')
		return -1;
	r->p++;
	skip_space(r);
	return 0;
}

static int parse_object(struct reader *r, enum role role)
{
	struct json_check c;
	int more = 0;

	memset(&c, 0, sizeof(c));
	if (!open_container(r, '}')) {
		do {
			char key[8];
			long len = read_string(r, key, sizeof(key));

			if (len < 0 || colon(r) != 0 ||
			    parse_member(r, role, key, len < (long)sizeof(key) ? len : -1, &c) != 0)
				return -1;
		} while ((more = next_item(r, '}')) == 1);
	}
	if (more < 0)
		return -1;
	if (role == ROLE_CHECK)
		r->fn(r->ctx, &c);
	return 0;
}

static int parse_array(struct reader *r, enum role role)
{
	enum role element = role == ROLE_CHECKS ? ROLE_CHECK : ROLE_NONE;
	int more = 0;

	if (!open_container(r, ']')) {
		/* Only objects are checks: anything else in the array is read and passed over. */
		do {
			if (parse_value(r, r->p < r->end && *r->p == '{' ? element : ROLE_NONE) !=
			    0)
				return -1;
		} while ((more = next_item(r, ']')) == 1);
	}
	return more < 0 ? -1 : 0;
}

static int parse_value(struct reader *r, enum role role)
{
	int rc;

	if (r->p >= r->end)
		return -1;
	switch (*r->p) {
	case '{':
	case '[':
		if (++r->depth > JSON_MAX_DEPTH)
			return -1;
		rc = *r->p == '{' ? parse_object(r, role) : parse_array(r, role);
		r->depth--;
		return rc;
	case '"':
		return read_string(r, NULL, 0) < 0 ? -1 : 0;
	case 't':
		return read_literal(r, "true");
	case 'f':
		return read_literal(r, "false");
	case 'n':
		return read_literal(r, "null");
	default:
		return read_number(r);
	}
}

/* The length of the valid UTF-8 sequence at s[0..len), or 0 (RFC 3629: no overlongs, no
 * surrogates). */
static size_t utf8_length(const unsigned char *s, size_t len)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4 || len < n)
		return 0;
	cp = s[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Appends piece[0..n) whole, or nothing once it no longer fits. */
static void append(char *out, size_t cap, size_t *used, int *full, const char *piece, size_t n)
{
	if (!*full && *used + n < cap)
		memcpy(out + *used, piece, n);
	else
		*full = 1;
	*used += n;
}

size_t json_escape(char *out, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0, kept = 0;
	int full = cap == 0;

	for (size_t i = 0; i < len;) {
		const unsigned char c = (unsigned char)s[i];
		char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
		size_t n;

		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			append(out, cap, &used, &full, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			append(out, cap, &used, &full, esc, 6);
			i++;
		} else if (c < 0x80) {
			append(out, cap, &used, &full, s + i, 1);
			i++;
		} else if ((n = utf8_length((const unsigned char *)s + i, len - i)) != 0) {
			append(out, cap, &used, &full, s + i, n);
			i += n;
		} else {
			append(out, cap, &used, &full, "\\ufffd", 6);
			i++;
		}
		if (!full)
			kept = used;
	}
	if (cap > 0)
		out[kept] = '\0';
	return used;
}

int json_report_checks(const char *text, size_t len, json_check_fn fn, void *ctx, size_t *at)
{
	struct reader r = {text, text + len, 0, fn, ctx};
	int rc;

	skip_space(&r);
	rc = parse_value(&r, r.p < r.end && *r.p == '{' ? ROLE_TOP : ROLE_NONE);
	if (rc == 0) {
		skip_space(&r);
		rc = r.p == r.end ? 0 : -1;
	}
	if (rc != 0 && at != NULL)
		*at = (size_t)(r.p - text);
	return rc;
}
