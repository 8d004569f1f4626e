/*
 * parse.c: strict, locale-free parsers for command-line values.  No strtol:
 * it accepts signs, spaces and overflow quietly, and these values reach
 * sockets.
 */
#include "udpecho/parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* s[0..len): digits only, at least one; -ERANGE past limit. */
static int parse_u64(const char *s, size_t len, uint64_t limit, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		/* v * 10 + d <= limit, without wrapping when d > limit. */
		if (d > limit || v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_port_span(const char *s, size_t len, uint16_t *out)
{
	uint64_t v;
	int rc = parse_u64(s, len, 65535, &v);

	if (rc == 0)
		*out = (uint16_t)v;
	return rc;
}

int parse_port(const char *s, uint16_t *out)
{
	return parse_port_span(s, strlen(s), out);
}

int parse_size_span(const char *s, size_t len, size_t max, size_t *out)
{
	uint64_t v;
	int rc = parse_u64(s, len, (uint64_t)max, &v);

	if (rc == 0)
		*out = (size_t)v;
	return rc;
}

int parse_size(const char *s, size_t max, size_t *out)
{
	return parse_size_span(s, strlen(s), max, out);
}

struct unit {
	const char *name;
	uint64_t us;
};

static const struct unit units[] = {
	{"", 1000000}, {"s", 1000000}, {"ms", 1000}, {"us", 1}, {"m", 60000000},
};

static int unit_scale(const char *suffix, uint64_t *us)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(suffix, units[i].name) == 0) {
			*us = units[i].us;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Exact decimal arithmetic, no floating point: the fraction's digits are
 * multiplied by the unit's microseconds as in long multiplication, from the
 * last digit, keeping only the carry; the first digit of what is left
 * rounds (half up).  Any number of digits is exact.
 */
static uint64_t scaled_fraction(const char *frac, size_t n, uint64_t scale)
{
	uint64_t carry = 0;
	int round_up = 0;

	for (size_t i = n; i-- > 0;) {
		uint64_t v = (uint64_t)(frac[i] - '0') * scale + carry;

		if (i == 0)
			round_up = v % 10 >= 5;
		carry = v / 10; /* stays below scale */
	}
	return carry + (uint64_t)round_up;
}

int parse_duration(const char *s, uint64_t *out_us)
{
	const char *digits = "0123456789", *frac = "", *p = s;
	size_t whole_len = strspn(p, digits), frac_len = 0;
	uint64_t whole = 0, scale, total;

	p += whole_len;
	if (*p == '.') {
		frac = ++p;
		frac_len = strspn(p, digits);
		p += frac_len;
	}
	if (whole_len + frac_len == 0 || unit_scale(p, &scale) != 0)
		return -EINVAL;
	for (size_t i = 0; i < whole_len; i++) {
		if (whole > PARSE_DURATION_MAX_US)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (whole > PARSE_DURATION_MAX_US / scale)
		return -ERANGE;
	total = whole * scale + scaled_fraction(frac, frac_len, scale);
	if (total == 0 || total > PARSE_DURATION_MAX_US)
		return -ERANGE;
	*out_us = total;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_separator(char c)
{
	return c == ' ' || c == ':' || c == '-' || c == '\t' || c == '\n';
}

int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t n = 0;

	while (*s != '\0') {
		int hi, lo;

		if (is_separator(*s)) {
			s++;
			continue;
		}
		hi = hex_value(s[0]);
		lo = hi < 0 ? -1 : hex_value(s[1]);
		if (lo < 0)
			return -EINVAL;
		if (n == cap)
			return -ERANGE;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	*out_len = n;
	return 0;
}

int parse_proc_udp_port(const char *line, uint16_t *out)
{
	const char *p = line;
	size_t slot = 0, addr = 0, digits = 0;
	unsigned port = 0;

	while (*p == ' ')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		slot++;
	if (slot == 0 || *p != ':')
		return -EINVAL;
	for (p++; *p == ' '; p++) {
	}
	for (; hex_value(*p) >= 0; p++)
		addr++;
	if ((addr != 8 && addr != 32) || *p != ':')
		return -EINVAL;
	for (p++; digits < 5 && hex_value(*p) >= 0; p++, digits++)
		port = port << 4 | (unsigned)hex_value(*p);
	if (digits != 4 || *p != ' ')
		return -EINVAL;
	*out = (uint16_t)port;
	return 0;
}

size_t parse_format_seconds(char *out, size_t cap, uint64_t us)
{
	char frac[8];
	size_t n;

	/* Six decimals, trailing zeros trimmed, at least one kept: 2.0, 0.25, 0.000001. */
	snprintf(frac, sizeof(frac), "%06llu", (unsigned long long)(us % 1000000));
	n = strlen(frac);
	while (n > 1 && frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	return (size_t)snprintf(out, cap, "%llu.%s", (unsigned long long)(us / 1000000), frac);
}
