/*
 * jsonw.h: one way to write JSON, for every command's report.  Members
 * and elements are separated by ", " and keys by ": "; every string goes
 * through json_escape, so any bytes make valid JSON; a double that is not
 * finite is null.  jsonw_break puts the next member, element or closing
 * bracket on a line of its own, for reports a person reads too.
 */
#ifndef UDPECHO_CLIENT_JSONW_H
#define UDPECHO_CLIENT_JSONW_H

#include <stdio.h>

#define JSONW_DEPTH 16

struct jsonw {
	FILE *out;
	int depth;
	unsigned char started[JSONW_DEPTH]; /* the container at this depth has an item already */
	const char *brk;                    /* written before the next item, instead of a space */
};

void jsonw_init(struct jsonw *w, FILE *out);

/* Each takes key NULL for an array element or the top-level value, else writes a member. */
void jsonw_object(struct jsonw *w, const char *key);
void jsonw_end_object(struct jsonw *w);
void jsonw_array(struct jsonw *w, const char *key);
void jsonw_end_array(struct jsonw *w);
void jsonw_string(struct jsonw *w, const char *key, const char *value);
void jsonw_int(struct jsonw *w, const char *key, long long value);
void jsonw_uint(struct jsonw *w, const char *key, unsigned long long value);
void jsonw_double(struct jsonw *w, const char *key, double value, int decimals);
void jsonw_bool(struct jsonw *w, const char *key, int value);
void jsonw_null(struct jsonw *w, const char *key);

/* A value already JSON (a number formatted elsewhere), as it is. */
void jsonw_raw(struct jsonw *w, const char *key, const char *json);

/* An object whose members are already JSON ("\"a\": 1, \"b\": [2]"), as the value. */
void jsonw_members(struct jsonw *w, const char *key, const char *members);

/* Every report's target: {"host": ..., "port": ..., "family": "ipv4" or "ipv6"}. */
void jsonw_target(struct jsonw *w, const char *host, unsigned port, const char *family);

/* Text (a newline and indent) written before the next item or closing bracket. */
void jsonw_break(struct jsonw *w, const char *text);

#endif
