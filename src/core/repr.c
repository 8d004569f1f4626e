/*
 * repr.c: Python's bytes repr (Objects/bytesobject.c, PyBytes_Repr with
 * smartquotes): single quotes unless the data holds ' and no ", then double
 * quotes; the chosen quote and backslash escaped; \t \n \r by name; every
 * other byte outside 0x20..0x7e as \xhh in lower case.
 */
#include "udpecho/repr.h"

#include <string.h>

static char pick_quote(const uint8_t *data, size_t len)
{
	int squote = len > 0 && memchr(data, '\'', len) != NULL;
	int dquote = len > 0 && memchr(data, '"', len) != NULL;

	return (squote && !dquote) ? '"' : '\'';
}

/* The letter of \t, \n, \r; 0 for every other byte. */
static char named_escape(uint8_t c)
{
	switch (c) {
	case '\t':
		return 't';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	default:
		return 0;
	}
}

/* Writes the escape for one byte into esc (at most 4 chars); returns its length. */
static size_t escape_byte(uint8_t c, char quote, char esc[4])
{
	static const char hex[] = "0123456789abcdef";
	char name = named_escape(c);

	if (c == (uint8_t)quote || c == '\\' || name != 0) {
		esc[0] = '\\';
		esc[1] = (char)(name != 0 ? (uint8_t)name : c);
		return 2;
	}
	if (c < 0x20 || c >= 0x7f) {
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 0xf];
		return 4;
	}
	esc[0] = (char)c;
	return 1;
}

size_t repr_bytes_len(const uint8_t *data, size_t len)
{
	char quote = pick_quote(data, len);
	char esc[4];
	size_t total = 3; /* b, and two quotes */

	for (size_t i = 0; i < len; i++)
		total += escape_byte(data[i], quote, esc);
	return total;
}

/* Appends n chars to out if they fit, always advancing *pos. */
static void put(char *out, size_t cap, size_t *pos, const char *s, size_t n)
{
	if (*pos < cap) {
		size_t room = cap - *pos;

		memcpy(out + *pos, s, n < room ? n : room);
	}
	*pos += n;
}

size_t repr_bytes(char *out, size_t cap, const uint8_t *data, size_t len)
{
	char quote = pick_quote(data, len);
	char head[2] = {'b', quote};
	char esc[4];
	size_t pos = 0;

	put(out, cap, &pos, head, 2);
	for (size_t i = 0; i < len; i++)
		put(out, cap, &pos, esc, escape_byte(data[i], quote, esc));
	put(out, cap, &pos, &quote, 1);
	if (cap > 0)
		out[pos < cap ? pos : cap - 1] = '\0';
	return pos;
}
