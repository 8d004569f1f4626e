/*
 * fuzz_repr: the input is a datagram; its repr (what `-v` prints) must
 *   - parse back, as a Python bytes literal, to exactly the datagram;
 *   - hold only printable ASCII (0x20..0x7e): no received byte reaches the
 *     terminal raw;
 *   - equal CPython's repr, written here from bytesobject.c's rules;
 *   - be repr_bytes_len() long, and repr_bytes() returns that length too;
 *   - when cut short by a small buffer, be a NUL-terminated prefix of the
 *     full text with nothing written past the buffer, snprintf-style.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/repr.h"

/* CPython's PyBytes_Repr(smartquotes=1), independently of src/core/repr.c. */
static size_t ref_repr(const uint8_t *d, size_t len, char *out)
{
	int has_single = 0, has_double = 0;
	char quote;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		has_single |= d[i] == '\'';
		has_double |= d[i] == '"';
	}
	quote = has_single && !has_double ? '"' : '\'';
	out[o++] = 'b';
	out[o++] = quote;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = d[i];

		if (c == (uint8_t)quote || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			out[o++] = '\\';
			out[o++] = (char)(c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
		} else if (c < 0x20 || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = "0123456789abcdef"[c >> 4];
			out[o++] = "0123456789abcdef"[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = quote;
	out[o] = '\0';
	return o;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One escape after a backslash at s[0]; the byte into *c; returns chars used or 0. */
static size_t parse_escape(const char *s, size_t n, uint8_t *c)
{
	static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";

	if (n < 2)
		return 0;
	for (size_t i = 0; simple[i] != '\0'; i += 2) {
		if (s[1] == simple[i]) {
			*c = (uint8_t)simple[i + 1];
			return 2;
		}
	}
	if (s[1] == 'x') {
		if (n < 4 || hex_digit(s[2]) < 0 || hex_digit(s[3]) < 0)
			return 0;
		*c = (uint8_t)(hex_digit(s[2]) << 4 | hex_digit(s[3]));
		return 4;
	}
	if (s[1] >= '0' && s[1] <= '7') { /* \o, \oo, \ooo */
		unsigned v = 0;
		size_t k = 1;

		for (; k < 4 && k < n && s[k] >= '0' && s[k] <= '7'; k++)
			v = v * 8 + (unsigned)(s[k] - '0');
		*c = (uint8_t)v;
		return k;
	}
	return 0;
}

/*
 * A Python bytes literal, b'...' or b"...", into out.  Returns the number of
 * bytes, or -1 when s is not one (a raw quote or backslash, a raw byte
 * outside printable ASCII, an unknown escape, text after the closing quote).
 */
static long parse_bytes_literal(const char *s, size_t n, uint8_t *out)
{
	char quote;
	size_t i = 2, o = 0;

	if (n < 3 || s[0] != 'b' || (s[1] != '\'' && s[1] != '"') || s[n - 1] != s[1])
		return -1;
	quote = s[1];
	while (i < n - 1) {
		if (s[i] == '\\') {
			size_t used = parse_escape(s + i, n - 1 - i, &out[o]);

			if (used == 0)
				return -1;
			i += used;
			o++;
			continue;
		}
		if (s[i] == quote || (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return -1;
		out[o++] = (uint8_t)s[i++];
	}
	return (long)o;
}

/* repr_bytes into out[0..cap): the full length back, a NUL-terminated prefix in out. */
static int check_cut(char *out, size_t cap, const uint8_t *data, size_t size, const char *full,
		     size_t len)
{
	size_t got, end;

	if (out != NULL)
		memset(out, '#', cap);
	got = repr_bytes(out, cap, data, size);
	FUZZ_REQUIRE(got == len, "repr.length", "cap %zu: returned %zu, full length %zu", cap, got,
		     len);
	if (cap == 0)
		return 0;
	end = len < cap ? len : cap - 1;
	FUZZ_REQUIRE(out[end] == '\0', "repr.truncated_nul", "cap %zu: no NUL at %zu", cap, end);
	FUZZ_REQUIRE(memcmp(out, full, end) == 0, "repr.truncated_prefix",
		     "cap %zu: the text is not a prefix of the full repr", cap);
	for (size_t i = end + 1; i < cap; i++) {
		FUZZ_REQUIRE(out[i] == '#', "repr.truncated_write", "cap %zu: wrote at %zu", cap,
			     i);
	}
	return 0;
}

/*
 * Cut short at every interesting capacity; cap 0 with a NULL buffer, as
 * snprintf allows.  Past 4096 bytes only two of them: each is a full pass.
 */
static int check_truncated(const uint8_t *data, size_t size, const char *full, size_t len)
{
	const size_t caps[] = {size > 0 ? data[0] % 16u : 3, len, 0, 1, 2, len / 2, len + 1};
	size_t ncaps = size > 4096 ? 2 : sizeof(caps) / sizeof(caps[0]);
	int rc = 0;

	for (size_t i = 0; i < ncaps && rc == 0; i++) {
		char *out = caps[i] > 0 ? fuzz_alloc(caps[i]) : NULL;

		rc = check_cut(out, caps[i], data, size, full, len);
		free(out);
	}
	return rc;
}

/* full holds len + 1 bytes, ref REPR_MAX_LEN(size) + 1, back size + 1. */
static int check_full(const uint8_t *data, size_t size, char *full, size_t len, char *ref,
		      uint8_t *back)
{
	size_t got, ref_len;
	long parsed;

	FUZZ_REQUIRE(len >= 3 && len <= REPR_MAX_LEN(size), "repr.length",
		     "repr_bytes_len %zu for %zu bytes", len, size);
	got = repr_bytes(full, len + 1, data, size);
	FUZZ_REQUIRE(got == len && full[len] == '\0' && strlen(full) == len, "repr.length",
		     "repr_bytes returned %zu, strlen %zu, repr_bytes_len %zu", got, strlen(full),
		     len);
	FUZZ_REQUIRE(fuzz_printable(full, len), "repr.printable",
		     "a byte outside 0x20..0x7e in the repr of %zu bytes", size);
	ref_len = ref_repr(data, size, ref);
	FUZZ_REQUIRE(ref_len == len && memcmp(ref, full, len) == 0, "repr.cpython",
		     "differs from CPython's repr (%zu vs %zu chars)", len, ref_len);
	parsed = parse_bytes_literal(full, len, back);
	FUZZ_REQUIRE(parsed >= 0, "repr.parses", "the repr is not a bytes literal");
	FUZZ_REQUIRE((size_t)parsed == size && (size == 0 || memcmp(back, data, size) == 0),
		     "repr.round_trip", "parses back to %ld bytes, not the %zu given", parsed,
		     size);
	return 0;
}

/* The empty datagram may come as NULL (echo.h): b''. */
static int check_empty(void)
{
	char out[4];

	FUZZ_REQUIRE(repr_bytes_len(NULL, 0) == 3 && repr_bytes(out, sizeof(out), NULL, 0) == 3 &&
			     strcmp(out, "b''") == 0,
		     "repr.empty", "the empty datagram (NULL data) is not b''");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = repr_bytes_len(data, size);
	char *full = fuzz_alloc(len + 1), *ref = fuzz_alloc(REPR_MAX_LEN(size) + 1);
	uint8_t *back = fuzz_alloc(size + 1);

	if (check_full(data, size, full, len, ref, back) == 0)
		(void)check_truncated(data, size, full, len);
	if (size == 0)
		(void)check_empty();
	free(full);
	free(ref);
	free(back);
	return 0;
}
