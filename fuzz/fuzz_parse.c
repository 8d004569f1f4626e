/*
 * fuzz_parse: everything a user types or a peer's address turns into text.
 * The first byte picks the target, the rest is its input:
 *   0 parse_port      1 parse_size      2 parse_duration   3 parse_hex
 *   4 parse_format_seconds              5 cli_next         6 addr_format_*
 *   7 parse_proc_udp_port
 * Each is checked against a reference written here from the header's
 * contract (parse.h, cli.h, addr.h), not from src/core:
 *   - a value is accepted exactly when the reference accepts it, with the
 *     same value; malformed text is -EINVAL, a well-formed value out of
 *     range -ERANGE; *out is written only on success;
 *   - parse_port's value re-formats to its text without leading zeros, and
 *     parse_port_span reads a span that is not NUL-terminated the same way;
 *     parse_hex gives at most strlen/2 bytes; parse_format_seconds' text
 *     parses back to the same duration; parse_proc_udp_port reads the
 *     port a strspn reference finds, and leaves *out alone otherwise;
 *   - the scanner returns what a reference scanner returns, value pointers
 *     included, and CLI_END stays CLI_END;
 *   - addresses: host text equals inet_ntop's, every text is printable,
 *     NUL-terminated, shorter than ADDR_STR_MAX and cut snprintf-style.
 * parse.h leaves open which of -EINVAL and -ERANGE parse_hex returns for a
 * malformed text that also overflows cap before the fault: either is taken.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/addr.h"
#include "udpecho/cli.h"
#include "udpecho/parse.h"

enum { T_PORT, T_SIZE, T_DURATION, T_HEX, T_FORMAT, T_CLI, T_ADDR, T_PROC, T_COUNT };

/* ---- decimal: parse_port, parse_size ------------------------------------ */

struct ref_num {
	int syntax_ok; /* one or more digits, nothing else */
	int fits;      /* the value is <= the limit */
	uint64_t value;
};

static struct ref_num ref_decimal(const char *s, uint64_t limit)
{
	struct ref_num r = {s[0] != '\0', 1, 0};
	unsigned __int128 v = 0;

	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			r.syntax_ok = 0;
			return r;
		}
		if (v <= UINT64_MAX) /* past it, no limit can be met: stop growing */
			v = v * 10 + (unsigned)(*s - '0');
	}
	r.fits = v <= limit;
	r.value = (uint64_t)(r.fits ? v : 0);
	return r;
}

/* The common contract of the value parsers for a (rc, value) pair against ref. */
static int check_decimal(const char *what, const char *s, int rc, uint64_t got, uint64_t limit,
			 struct ref_num ref, int out_untouched)
{
	char shown[1024];
	char id[64];

	snprintf(id, sizeof(id), "%s.rc", what);
	FUZZ_REQUIRE(rc == 0 || rc == -EINVAL || rc == -ERANGE, id, "%s('%s') = %d", what,
		     fuzz_show(s, shown), rc);
	snprintf(id, sizeof(id), "%s.out_on_failure", what);
	FUZZ_REQUIRE(rc == 0 || out_untouched, id, "%s('%s') failed with %d but wrote *out", what,
		     fuzz_show(s, shown), rc);
	if (!ref.syntax_ok) {
		snprintf(id, sizeof(id), "%s.syntax", what);
		FUZZ_REQUIRE(rc == -EINVAL, id,
			     "%s('%s') = %d (value %llu), malformed: want -EINVAL", what,
			     fuzz_show(s, shown), rc, (unsigned long long)got);
		return 0;
	}
	if (!ref.fits) {
		snprintf(id, sizeof(id), "%s.above_max", what);
		FUZZ_REQUIRE(rc == -ERANGE, id,
			     "%s('%s', max %llu) = %d (value %llu), want -ERANGE", what,
			     fuzz_show(s, shown), (unsigned long long)limit, rc,
			     (unsigned long long)got);
		return 0;
	}
	snprintf(id, sizeof(id), "%s.value", what);
	FUZZ_REQUIRE(rc == 0 && got == ref.value, id, "%s('%s') = %d value %llu, want %llu", what,
		     fuzz_show(s, shown), rc, (unsigned long long)got,
		     (unsigned long long)ref.value);
	return 0;
}

/* The value re-formats to the text, leading zeros aside. */
static int check_reformat(const char *s, uint16_t port)
{
	const char *digits = s;
	char again[8], shown[1024];

	while (digits[0] == '0' && digits[1] != '\0')
		digits++;
	snprintf(again, sizeof(again), "%u", port);
	FUZZ_REQUIRE(strcmp(again, digits) == 0, "parse_port.reformat", "'%s' -> %u",
		     fuzz_show(s, shown), port);
	return 0;
}

/* parse_port_span over s[0..len) in a heap copy without the NUL: as parse_port on the prefix. */
static int check_span(const char *s, size_t len)
{
	char *prefix = fuzz_strndup((const uint8_t *)s, len);
	uint8_t *span = fuzz_memdup((const uint8_t *)s, len);
	uint16_t want = 0xbeef, got = 0xbeef;
	int want_rc = parse_port(prefix, &want);
	int rc = parse_port_span((const char *)span, len, &got);
	char shown[1024];

	free(span);
	fuzz_show(prefix, shown);
	free(prefix);
	FUZZ_REQUIRE(rc == want_rc && got == want, "parse_port_span.same",
		     "span '%s' (%zu chars): %d, %u; parse_port: %d, %u", shown, len, rc, got,
		     want_rc, want);
	return 0;
}

static int fuzz_port(struct fuzz_in *in)
{
	char *s = fuzz_rest_str(in);
	size_t len = strlen(s);
	uint16_t port = 0xbeef;
	int rc = parse_port(s, &port);

	if (check_decimal("parse_port", s, rc, port, 65535, ref_decimal(s, 65535),
			  port == 0xbeef) == 0 &&
	    (rc != 0 || check_reformat(s, port) == 0) && check_span(s, len) == 0 && len > 0)
		(void)check_span(s, len - 1);
	free(s);
	return 0;
}

static size_t take_size_max(struct fuzz_in *in)
{
	static const size_t pows[] = {
		1, 10, 100, 1000, 10000, 100000, 10000000000ull, 10000000000000000000ull};
	uint8_t choice = fuzz_u8(in);

	switch (choice % 6) {
	case 0:
		return 65527; /* --max-size: ECHO_MAX_PAYLOAD */
	case 1:
		return 65507;
	case 2:
		return choice >> 3; /* 0..31 */
	case 3:
		return SIZE_MAX;
	case 4:
		return (size_t)fuzz_u64(in);
	default:
		return pows[(choice >> 3) % 8] + (size_t)((choice >> 6) % 3) - 1;
	}
}

static int fuzz_size(struct fuzz_in *in)
{
	size_t max = take_size_max(in);
	char *s = fuzz_rest_str(in);
	size_t v = (size_t)-2;
	int rc = parse_size(s, max, &v);

	(void)check_decimal("parse_size", s, rc, v, max, ref_decimal(s, max), v == (size_t)-2);
	free(s);
	return 0;
}

/* ---- parse_duration ------------------------------------------------------ */

#define DURATION_MAX_US 86400000000ull /* parse.h: one day in us */

struct ref_duration {
	int syntax_ok;
	int fits;     /* rounds to 1 us .. one day */
	uint64_t us;  /* when fits */
	size_t nfrac; /* fraction digits */
	int minutes;  /* the unit is "m" */
};

static uint64_t ref_unit(const char *u, int *ok)
{
	static const struct {
		const char *name;
		uint64_t us;
	} units[] = {{"", 1000000}, {"s", 1000000}, {"ms", 1000}, {"us", 1}, {"m", 60000000}};

	*ok = 1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(u, units[i].name) == 0)
			return units[i].us;
	}
	*ok = 0;
	return 0;
}

/*
 * Exact: WHOLE.FRAC x scale rounded to the nearest microsecond, half up,
 * with every fraction digit counted (a long multiplication of the digit
 * string by the scale; the first digit after the point decides the rounding).
 */
static struct ref_duration ref_duration(const char *s)
{
	struct ref_duration r = {0, 0, 0, 0, 0};
	const char *w = s, *f = NULL, *p = s;
	size_t nwhole = 0;
	unsigned __int128 total = 0, whole = 0;
	uint64_t scale, carry = 0;
	int first_frac_digit = 0, ok;

	for (; *p >= '0' && *p <= '9'; p++)
		nwhole++;
	if (*p == '.') {
		f = ++p;
		for (; *p >= '0' && *p <= '9'; p++)
			r.nfrac++;
	}
	scale = ref_unit(p, &ok);
	r.syntax_ok = ok && nwhole + r.nfrac > 0;
	r.minutes = strcmp(p, "m") == 0;
	if (!r.syntax_ok)
		return r;
	for (size_t i = 0; i < nwhole; i++) {
		whole = whole * 10 + (unsigned)(w[i] - '0');
		if (whole > DURATION_MAX_US)
			return r; /* too long whatever the unit */
	}
	for (size_t i = r.nfrac; i-- > 0;) {
		uint64_t t = (uint64_t)(f[i] - '0') * scale + carry;

		carry = t / 10;
		if (i == 0)
			first_frac_digit = (int)(t % 10);
	}
	total = whole * scale + carry + (first_frac_digit >= 5);
	r.fits = total >= 1 && total <= DURATION_MAX_US;
	r.us = (uint64_t)(r.fits ? total : 0);
	return r;
}

static int check_duration(const char *s, int rc, uint64_t us)
{
	struct ref_duration ref = ref_duration(s);
	/*
	 * A minute is 6e7 us, so the rounding point of "N.FFFm" may need more
	 * than nine fraction digits: the core once dropped the rest, right for
	 * s, ms and us only (corpus/parse/crash-parse-duration-minute-fraction).
	 */
	const char *id = ref.minutes && ref.nfrac > 9 ? "parse_duration.minute_fraction"
						      : "parse_duration.value";
	char shown[1024];

	FUZZ_REQUIRE(rc == 0 || rc == -EINVAL || rc == -ERANGE, "parse_duration.rc",
		     "parse_duration('%s') = %d", fuzz_show(s, shown), rc);
	FUZZ_REQUIRE(rc == 0 || us == 0xdeadbeef, "parse_duration.out_on_failure",
		     "parse_duration('%s') failed with %d but wrote *out", fuzz_show(s, shown), rc);
	if (!ref.syntax_ok) {
		FUZZ_REQUIRE(rc == -EINVAL, "parse_duration.syntax",
			     "'%s' = %d (%llu us), malformed: want -EINVAL", fuzz_show(s, shown),
			     rc, (unsigned long long)us);
		return 0;
	}
	if (!ref.fits) {
		FUZZ_REQUIRE(rc == -ERANGE, id, "'%s' = %d (%llu us), out of range: want -ERANGE",
			     fuzz_show(s, shown), rc, (unsigned long long)us);
		return 0;
	}
	FUZZ_REQUIRE(rc == 0 && us == ref.us, id, "'%s' = %d, %llu us; want %llu us",
		     fuzz_show(s, shown), rc, (unsigned long long)us, (unsigned long long)ref.us);
	return 0;
}

/* parse_format_seconds(us) reads back through parse_duration as the same us. */
static int check_round_trip(uint64_t us)
{
	char text[48];
	uint64_t back = 0;
	int rc;

	if (us == 0 || us > DURATION_MAX_US)
		return 0;
	parse_format_seconds(text, sizeof(text), us);
	rc = parse_duration(text, &back);
	FUZZ_REQUIRE(rc == 0 && back == us, "format_seconds.round_trip",
		     "%llu us -> '%s' -> %d, %llu us", (unsigned long long)us, text, rc,
		     (unsigned long long)back);
	return 0;
}

static int fuzz_duration(struct fuzz_in *in)
{
	char *s = fuzz_rest_str(in);
	uint64_t us = 0xdeadbeef;
	int rc = parse_duration(s, &us);

	if (check_duration(s, rc, us) == 0 && rc == 0)
		(void)check_round_trip(us);
	free(s);
	return 0;
}

/* ---- parse_hex ------------------------------------------------------------ */

static int ref_hex_digit(char c)
{
	char lower = (char)(c | 0x20);

	if (c >= '0' && c <= '9')
		return c - '0';
	if (lower >= 'a' && lower <= 'f')
		return lower - 'a' + 10;
	return -1;
}

/* parse.h: separators are spaces (tab, newline too), ':' and '-'; words are hex pairs. */
static int ref_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ':' || c == '-';
}

/* Runs of non-separators, each an even number of hex digits.  -1 if malformed. */
static long ref_hex(const char *s, uint8_t *out)
{
	size_t o = 0;

	while (*s != '\0') {
		size_t n = 0;

		if (ref_separator(*s)) {
			s++;
			continue;
		}
		while (s[n] != '\0' && !ref_separator(s[n]))
			n++;
		if (n % 2 != 0)
			return -1;
		for (size_t i = 0; i < n; i += 2) {
			int hi = ref_hex_digit(s[i]), lo = ref_hex_digit(s[i + 1]);

			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (uint8_t)(hi * 16 + lo);
		}
		s += n;
	}
	return (long)o;
}

static int check_hex(const char *s, size_t cap, int rc, const uint8_t *out, size_t out_len,
		     const uint8_t *want, long nwant)
{
	char shown[1024];

	FUZZ_REQUIRE(rc == 0 || rc == -EINVAL || rc == -ERANGE, "parse_hex.rc",
		     "parse_hex('%s') = %d", fuzz_show(s, shown), rc);
	FUZZ_REQUIRE(rc == 0 || out_len == 12345, "parse_hex.out_on_failure",
		     "parse_hex('%s') failed with %d but wrote *out_len", fuzz_show(s, shown), rc);
	if (nwant < 0) {
		FUZZ_REQUIRE(rc != 0, "parse_hex.syntax", "'%s' accepted as %zu bytes",
			     fuzz_show(s, shown), out_len);
		return 0;
	}
	if ((size_t)nwant > cap) {
		FUZZ_REQUIRE(rc == -ERANGE, "parse_hex.cap", "'%s' is %ld bytes, cap %zu: %d",
			     fuzz_show(s, shown), nwant, cap, rc);
		return 0;
	}
	FUZZ_REQUIRE(rc == 0 && out_len == (size_t)nwant &&
			     (nwant == 0 || memcmp(out, want, out_len) == 0),
		     "parse_hex.value", "'%s' = %d, %zu bytes; want %ld bytes", fuzz_show(s, shown),
		     rc, out_len, nwant);
	FUZZ_REQUIRE(out_len <= strlen(s) / 2, "parse_hex.length", "%zu bytes from %zu chars",
		     out_len, strlen(s));
	return 0;
}

static int fuzz_hex(struct fuzz_in *in)
{
	uint8_t choice = fuzz_u8(in);
	char *s = fuzz_rest_str(in);
	size_t len = strlen(s);
	size_t cap = choice < 128 ? len / 2 + 1 : (size_t)(choice & 7);
	uint8_t *out = fuzz_alloc(cap), *want = fuzz_alloc(len / 2 + 1);
	size_t out_len = 12345;
	int rc;

	rc = parse_hex(s, out, cap, &out_len);
	(void)check_hex(s, cap, rc, out, out_len, want, ref_hex(s, want));
	free(out);
	free(want);
	free(s);
	return 0;
}

/* ---- parse_proc_udp_port ------------------------------------------------ */

/* Spaces, a decimal slot and ':', spaces, 8 or 32 hex digits and ':', 4 hex digits, a space. */
static int ref_proc_port(const char *s, uint16_t *out)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	char digits[5];
	size_t n;

	s += strspn(s, " ");
	n = strspn(s, "0123456789");
	if (n == 0 || s[n] != ':')
		return -EINVAL;
	s += n + 1;
	s += strspn(s, " ");
	n = strspn(s, hex);
	if ((n != 8 && n != 32) || s[n] != ':')
		return -EINVAL;
	s += n + 1;
	if (strspn(s, hex) != 4 || s[4] != ' ')
		return -EINVAL;
	memcpy(digits, s, 4);
	digits[4] = '\0';
	*out = (uint16_t)strtoul(digits, NULL, 16);
	return 0;
}

static int fuzz_proc(struct fuzz_in *in)
{
	char *s = fuzz_rest_str(in);
	uint16_t got = 0xbeef, want = 0xbeef;
	int rc = parse_proc_udp_port(s, &got), want_rc = ref_proc_port(s, &want);

	FUZZ_REQUIRE(rc == want_rc && got == want, "parse_proc_udp_port.reference",
		     "'%s': rc %d port %u, the reference %d port %u", s, rc, got, want_rc, want);
	free(s);
	return 0;
}

/* ---- parse_format_seconds --------------------------------------------- */

/* "S.F": whole seconds, then the microseconds without trailing zeros, at least one digit. */
static void ref_seconds(char *out, uint64_t us)
{
	uint64_t frac = us % 1000000;
	int width = 6;

	if (frac == 0) {
		sprintf(out, "%llu.0", (unsigned long long)(us / 1000000));
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		width--;
	}
	sprintf(out, "%llu.%0*llu", (unsigned long long)(us / 1000000), width,
		(unsigned long long)frac);
}

static int fuzz_format(struct fuzz_in *in)
{
	uint64_t us = fuzz_u64(in);
	size_t cap = fuzz_u8(in) % 40;
	char full[64], want[64], cut[40];
	size_t n, m;

	n = parse_format_seconds(full, sizeof(full), us);
	ref_seconds(want, us);
	FUZZ_REQUIRE(n == strlen(want) && strcmp(full, want) == 0, "format_seconds.text",
		     "%llu us: '%s' (%zu), want '%s'", (unsigned long long)us, full, n, want);
	memset(cut, '#', sizeof(cut));
	m = parse_format_seconds(cut, cap, us);
	FUZZ_REQUIRE(m == n, "format_seconds.length", "cap %zu: %zu, full %zu", cap, m, n);
	if (cap > 0) {
		size_t end = n < cap ? n : cap - 1;

		FUZZ_REQUIRE(cut[end] == '\0' && memcmp(cut, want, end) == 0 &&
				     (end + 1 == sizeof(cut) || cut[end + 1] == '#'),
			     "format_seconds.truncated", "cap %zu: not a NUL-terminated prefix",
			     cap);
	}
	return check_round_trip(us);
}

/* ---- the command-line scanner ------------------------------------------ */

#define MAX_ARGS 16
#define ERR_MAX 256

static const struct cli_option options[] = {
	{"port", 'p', 1, 0}, {"verbose", 'v', 0, 1}, {"host", 0, 1, 2},   {"hex", 'x', 1, 3},
	{NULL, '4', 0, 4},   {"timeout", 't', 1, 5}, {"format", 0, 1, 6}, {"help", 'h', 0, 7},
	{"v", 0, 0, 8},      {NULL, 0, 0, 0},
};

/* One step of a reference scanner, from cli.h: the same result cli_next must give. */
struct ref_scan {
	int argc;
	char **argv;
	int next;
	int only_positional;
};

static const struct cli_option *ref_find_short(char c)
{
	for (const struct cli_option *o = options; o->long_name || o->short_name; o++) {
		if (o->short_name == c)
			return o;
	}
	return NULL;
}

static const struct cli_option *ref_find_long(const char *name, size_t len)
{
	for (const struct cli_option *o = options; o->long_name || o->short_name; o++) {
		if (o->long_name && strlen(o->long_name) == len &&
		    memcmp(o->long_name, name, len) == 0)
			return o;
	}
	return NULL;
}

static int ref_value(struct ref_scan *r, const struct cli_option *o, const char *inline_value,
		     const char **value)
{
	if (inline_value != NULL) {
		*value = inline_value;
		return o->id;
	}
	if (r->next >= r->argc)
		return CLI_ERROR;
	*value = r->argv[r->next++];
	return o->id;
}

static int ref_next(struct ref_scan *r, const char **value)
{
	for (;;) {
		const char *arg, *eq;
		const struct cli_option *o;

		if (r->next >= r->argc)
			return CLI_END;
		arg = r->argv[r->next++];
		if (r->only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
			*value = arg;
			return CLI_POSITIONAL;
		}
		if (strcmp(arg, "--") == 0) {
			r->only_positional = 1;
			continue;
		}
		if (arg[1] != '-') {
			o = ref_find_short(arg[1]);
			if (o == NULL || (!o->takes_value && arg[2] != '\0'))
				return CLI_ERROR;
			if (!o->takes_value)
				return o->id;
			return ref_value(r, o, arg[2] ? arg + 2 : NULL, value);
		}
		eq = strchr(arg + 2, '=');
		o = ref_find_long(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		if (o == NULL || (!o->takes_value && eq != NULL))
			return CLI_ERROR;
		if (!o->takes_value)
			return o->id;
		return ref_value(r, o, eq ? eq + 1 : NULL, value);
	}
}

static int check_scan(int argc, char **argv, size_t errlen)
{
	struct cli_scan scan;
	struct ref_scan ref = {argc, argv, 1, 0};
	const char *last = NULL;
	char err[ERR_MAX];

	cli_scan_init(&scan, argc, argv, 1);
	for (int step = 0;; step++) {
		const char *value = NULL, *ref_val = NULL;
		int id, want;

		memset(err, '#', sizeof(err));
		id = cli_next(&scan, options, &value, err, errlen);
		want = ref_next(&ref, &ref_val);
		FUZZ_REQUIRE(id == want && scan.next == ref.next, "cli.reference",
			     "step %d: cli_next %d (next %d), reference %d (next %d)", step, id,
			     scan.next, want, ref.next);
		FUZZ_REQUIRE(id == CLI_ERROR || id == CLI_END || value == ref_val, "cli.value",
			     "step %d: id %d value %p, reference %p", step, id, (const void *)value,
			     (const void *)ref_val);
		if (id == CLI_ERROR) {
			size_t n = errlen > 0 ? strnlen(err, errlen) : 0;

			FUZZ_REQUIRE(errlen == 0 || (n < errlen && (n > 0 || errlen == 1)),
				     "cli.error_text", "step %d: err not NUL-terminated in %zu",
				     step, errlen);
			FUZZ_REQUIRE(errlen >= sizeof(err) || err[errlen] == '#', "cli.error_text",
				     "step %d: err written past its %zu bytes", step, errlen);
			return 0;
		}
		if (id == CLI_END)
			break;
		FUZZ_REQUIRE(step <= argc, "cli.progress", "more results than arguments");
	}
	FUZZ_REQUIRE(cli_next(&scan, options, &last, err, errlen) == CLI_END, "cli.end",
		     "CLI_END did not stay CLI_END");
	return 0;
}

/* argv[1..]: the input split at NUL bytes, each argument its own heap string. */
static int fuzz_cli(struct fuzz_in *in)
{
	char *argv[MAX_ARGS + 2];
	int argc = 1;
	uint8_t choice = fuzz_u8(in);
	size_t errlen = choice & 0x80 ? ERR_MAX : (size_t)(choice % 24);

	argv[0] = fuzz_strndup((const uint8_t *)"udpecho", 7);
	while (argc <= MAX_ARGS && in->n > 0) {
		const uint8_t *nul = memchr(in->p, '\0', in->n);
		size_t n = nul ? (size_t)(nul - in->p) : in->n;

		argv[argc++] = fuzz_strndup(in->p, n);
		in->p += nul ? n + 1 : n;
		in->n -= nul ? n + 1 : n;
	}
	argv[argc] = NULL;
	(void)check_scan(argc, argv, errlen);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}

/* ---- addresses ----------------------------------------------------------- */

static void take_peer(struct fuzz_in *in, struct echo_peer *peer)
{
	uint8_t choice = fuzz_u8(in), zeros;

	memset(peer, 0, sizeof(*peer));
	fuzz_bytes(in, peer->addr, sizeof(peer->addr));
	peer->port = fuzz_u16(in);
	peer->flowinfo = fuzz_u32(in);
	peer->scope_id = choice & 0x40 ? fuzz_u32(in) : 0;
	zeros = fuzz_u8(in);
	switch (choice % 4) {
	case 0:
		peer->family = ECHO_FAMILY_IPV4;
		return;
	case 1:
		peer->family = ECHO_FAMILY_IPV6;
		break;
	case 2:
		peer->family = ECHO_FAMILY_NONE;
		return;
	default:
		peer->family = (enum echo_family)(3u + fuzz_u8(in));
		return;
	}
	/* IPv6: zero words where `zeros` has a bit, so runs to compress are common. */
	for (size_t w = 0; w < 8; w++) {
		if (zeros & (1u << w))
			peer->addr[2 * w] = peer->addr[2 * w + 1] = 0;
	}
	if (choice & 0x80) { /* v4-mapped (words 0-4 zero, word 5 ffff) */
		memset(peer->addr, 0, 10);
		peer->addr[10] = peer->addr[11] = 0xff;
	}
}

/* The host text as inet_ntop writes it (IPv6 text follows glibc, addr.h). */
static void ref_host(const struct echo_peer *peer, char *out)
{
	if (peer->family == ECHO_FAMILY_IPV4)
		inet_ntop(AF_INET, peer->addr, out, INET6_ADDRSTRLEN);
	else if (peer->family == ECHO_FAMILY_IPV6)
		inet_ntop(AF_INET6, peer->addr, out, INET6_ADDRSTRLEN);
	else
		out[0] = '\0'; /* unspecified: only checked to be printable */
}

typedef size_t (*format_fn)(char *, size_t, const struct echo_peer *);

/* One formatter: full text as wanted, printable, short enough, and cut like snprintf. */
static int check_format(const char *name, format_fn fn, const struct echo_peer *peer,
			const char *want, size_t cap)
{
	char full[ADDR_STR_MAX], cut[ADDR_STR_MAX + 1];
	size_t n = fn(full, sizeof(full), peer), m, end;

	FUZZ_REQUIRE(n < ADDR_STR_MAX && strlen(full) == n, "addr.length",
		     "%s: %zu chars, ADDR_STR_MAX %d", name, n, ADDR_STR_MAX);
	FUZZ_REQUIRE(n > 0 && fuzz_printable(full, n), "addr.printable",
		     "%s: empty or unprintable text", name);
	FUZZ_REQUIRE(want == NULL || strcmp(full, want) == 0, "addr.text", "%s: '%s', want '%s'",
		     name, full, want ? want : "");
	memset(cut, '#', sizeof(cut));
	m = fn(cut, cap, peer);
	end = n < cap ? n : cap - 1;
	FUZZ_REQUIRE(m == n, "addr.length", "%s: cap %zu returns %zu, full %zu", name, cap, m, n);
	FUZZ_REQUIRE(cap == 0 || (cut[end] == '\0' && memcmp(cut, full, end) == 0 &&
				  cut[end + 1] == '#'),
		     "addr.truncated", "%s: cap %zu: not a NUL-terminated prefix", name, cap);
	return 0;
}

/* addr_peer_equal: family, address (4 or 16 bytes) and port; flowinfo, scope ignored. */
static int check_equal(const struct echo_peer *a, const struct echo_peer *b)
{
	size_t n = a->family == ECHO_FAMILY_IPV4 ? 4 : 16;
	int want = a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, n) == 0;
	struct echo_peer c = *a;

	if (a->family != ECHO_FAMILY_IPV4 && a->family != ECHO_FAMILY_IPV6)
		return 0;
	FUZZ_REQUIRE(addr_peer_equal(a, a), "addr.equal", "a peer differs from itself");
	c.flowinfo ^= 1;
	c.scope_id ^= 1;
	if (c.family == ECHO_FAMILY_IPV4)
		c.addr[15] ^= 1; /* not part of an IPv4 address */
	FUZZ_REQUIRE(addr_peer_equal(a, &c), "addr.equal", "flowinfo/scope/unused bytes count");
	c.port ^= 1;
	FUZZ_REQUIRE(!addr_peer_equal(a, &c), "addr.equal", "ports differ but equal");
	FUZZ_REQUIRE(!addr_peer_equal(a, b) == !want, "addr.equal", "addr_peer_equal %d, want %d",
		     addr_peer_equal(a, b), want);
	return 0;
}

static int fuzz_addr(struct fuzz_in *in)
{
	struct echo_peer peer, other;
	size_t cap = fuzz_u8(in) % (ADDR_STR_MAX + 1);
	char host[INET6_ADDRSTRLEN], want[ADDR_STR_MAX * 2];
	int known = 0;

	take_peer(in, &peer);
	other = peer;
	if (fuzz_u8(in) & 1)
		take_peer(in, &other);
	ref_host(&peer, host);
	known = peer.family == ECHO_FAMILY_IPV4 || peer.family == ECHO_FAMILY_IPV6;
	if (check_format("addr_format_host", addr_format_host, &peer, known ? host : NULL, cap))
		return -1;
	if (peer.family == ECHO_FAMILY_IPV6)
		snprintf(want, sizeof(want), "('%s', %u, %lu, %lu)", host, peer.port,
			 (unsigned long)peer.flowinfo, (unsigned long)peer.scope_id);
	else
		snprintf(want, sizeof(want), "('%s', %u)", host, peer.port);
	if (check_format("addr_format_python", addr_format_python, &peer, known ? want : NULL, cap))
		return -1;
	if (peer.family != ECHO_FAMILY_IPV6)
		snprintf(want, sizeof(want), "%s:%u", host, peer.port);
	else if (peer.scope_id != 0)
		snprintf(want, sizeof(want), "[%s%%%lu]:%u", host, (unsigned long)peer.scope_id,
			 peer.port);
	else
		snprintf(want, sizeof(want), "[%s]:%u", host, peer.port);
	if (check_format("addr_format_hostport", addr_format_hostport, &peer, known ? want : NULL,
			 cap))
		return -1;
	return check_equal(&peer, &other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	switch (fuzz_u8(&in) % T_COUNT) {
	case T_PORT:
		(void)fuzz_port(&in);
		break;
	case T_SIZE:
		(void)fuzz_size(&in);
		break;
	case T_DURATION:
		(void)fuzz_duration(&in);
		break;
	case T_HEX:
		(void)fuzz_hex(&in);
		break;
	case T_FORMAT:
		(void)fuzz_format(&in);
		break;
	case T_CLI:
		(void)fuzz_cli(&in);
		break;
	case T_PROC:
		(void)fuzz_proc(&in);
		break;
	default:
		(void)fuzz_addr(&in);
		break;
	}
	return 0;
}
