/*
 * parse.h: strict parsers for command-line values.
 *
 * Each returns 0, or -EINVAL (not a value of that kind) / -ERANGE (a value,
 * but out of range), and writes *out only on success.  Callers at the edge
 * turn the code into a one-line message.
 */
#ifndef UDPECHO_PARSE_H
#define UDPECHO_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Largest accepted duration: one day, far beyond any sane timeout. */
#define PARSE_DURATION_MAX_US (86400ull * 1000000ull)

/* Decimal 0..65535, no sign, no spaces. */
int parse_port(const char *s, uint16_t *out);

/* The same for s[0..len), which need not be NUL-terminated. */
int parse_port_span(const char *s, size_t len, uint16_t *out);

/* Decimal 0..max. */
int parse_size(const char *s, size_t max, size_t *out);

/* The same for s[0..len), which need not be NUL-terminated. */
int parse_size_span(const char *s, size_t len, size_t max, size_t *out);

/*
 * A duration in microseconds: seconds with optional decimals ("2", "0.25")
 * or a number with a unit: "us", "ms", "s", "m" ("250ms", "1.5s").  Exact:
 * rounded half up to the microsecond whatever the number of digits.
 * -EINVAL for anything malformed, -ERANGE when it rounds to 0 or exceeds
 * PARSE_DURATION_MAX_US.
 */
int parse_duration(const char *s, uint64_t *out_us);

/*
 * Hex digits into bytes, pairs optionally separated by spaces, ':' or '-'
 * ("48 65", "48:65", "4865"); "" is zero bytes.  Returns -ERANGE when the
 * result does not fit in cap bytes.
 */
int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *out_len);

/*
 * A socket line of /proc/net/udp or /proc/net/udp6 ("  12: 0100007F:1E61
 * 00000000:0000 07 ..."): its local port, the 4 hex digits after the local
 * address's 8 (IPv4) or 32 (IPv6) hex digits.  The header line and anything
 * else is -EINVAL, and *out is then left alone.
 */
int parse_proc_udp_port(const char *line, uint16_t *out);

/* Format a duration in seconds for people: "2.0", "0.25", "0.001". */
size_t parse_format_seconds(char *out, size_t cap, uint64_t us);

#endif
