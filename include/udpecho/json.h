/*
 * json.h: JSON for udpecho's reports.  json_escape makes any bytes a
 * valid JSON string, for every writer; json_report_checks is a small,
 * strict reader for what udpecho reads back, an earlier `udpecho check`
 * report (--baseline): it validates the whole text (RFC 8259, nesting at
 * most JSON_MAX_DEPTH deep) and hands back the "id", "level" and "status"
 * of each object in the top-level "checks" array.  Pure: any bytes,
 * however hostile, are read or refused without reading past their end.
 */
#ifndef UDPECHO_JSON_H
#define UDPECHO_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 64

/*
 * s[0..len) as the inside of a JSON string, into out[0..cap), always
 * NUL-terminated when cap > 0 and never cut inside an escape: quotes,
 * backslashes and control bytes escaped, valid UTF-8 kept as it is, and
 * each byte of an invalid sequence written as U+FFFD.  Returns the length
 * of the whole escaped text, as snprintf does.
 */
size_t json_escape(char *out, size_t cap, const char *s, size_t len);

/* One element of "checks"; a member that is missing or not a string is "". */
struct json_check {
	char id[48]; /* cut to fit, NUL-terminated */
	char level[16];
	char status[16];
};

typedef void (*json_check_fn)(void *ctx, const struct json_check *c);

/*
 * Reads a report: calls fn for each object element of the top-level
 * object's "checks" array, in order.  Returns 0, or -1 when the text is
 * not one JSON value (then *at, when not NULL, is the offset of the
 * first byte that does not fit).  Calls made before an error stand.
 */
int json_report_checks(const char *text, size_t len, json_check_fn fn, void *ctx, size_t *at);

#endif
