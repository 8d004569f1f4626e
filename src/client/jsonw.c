/*
 * jsonw.c: one way to write JSON (see jsonw.h).
 */
#include "jsonw.h"

#include <math.h>
#include <string.h>

#include "udpecho/json.h"

void jsonw_init(struct jsonw *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static void put_string(struct jsonw *w, const char *s)
{
	char buf[512];
	size_t len = strlen(s), need = json_escape(buf, sizeof(buf), s, len);

	if (need < sizeof(buf)) {
		fprintf(w->out, "\"%s\"", buf);
		return;
	}
	/* Long: escape it piece by piece, never splitting a UTF-8 sequence or an escape. */
	fputc('"', w->out);
	for (size_t i = 0; i < len;) {
		size_t n = len - i < 64 ? len - i : 64;

		while (i + n < len && ((unsigned char)s[i + n] & 0xc0) == 0x80 && n < len - i)
			n++;
		json_escape(buf, sizeof(buf), s + i, n);
		fputs(buf, w->out);
		i += n;
	}
	fputc('"', w->out);
}

/* The separator, a pending break, and the key: what comes before any item. */
static void item(struct jsonw *w, const char *key)
{
	int d = w->depth < JSONW_DEPTH ? w->depth : JSONW_DEPTH - 1;

	if (w->started[d])
		fputc(',', w->out);
	if (w->brk != NULL)
		fputs(w->brk, w->out);
	else if (w->started[d])
		fputc(' ', w->out);
	w->brk = NULL;
	w->started[d] = 1;
	if (key != NULL) {
		put_string(w, key);
		fputs(": ", w->out);
	}
}

static void open_container(struct jsonw *w, const char *key, char c)
{
	item(w, key);
	fputc(c, w->out);
	if (++w->depth < JSONW_DEPTH)
		w->started[w->depth] = 0;
}

static void close_container(struct jsonw *w, char c)
{
	if (w->brk != NULL)
		fputs(w->brk, w->out);
	w->brk = NULL;
	fputc(c, w->out);
	if (w->depth > 0)
		w->depth--;
}

void jsonw_object(struct jsonw *w, const char *key)
{
	open_container(w, key, '{');
}

void jsonw_end_object(struct jsonw *w)
{
	close_container(w, '}');
}

void jsonw_array(struct jsonw *w, const char *key)
{
	open_container(w, key, '[');
}

void jsonw_end_array(struct jsonw *w)
{
	close_container(w, ']');
}

void jsonw_string(struct jsonw *w, const char *key, const char *value)
{
	item(w, key);
	put_string(w, value != NULL ? value : "");
}

void jsonw_int(struct jsonw *w, const char *key, long long value)
{
	item(w, key);
	fprintf(w->out, "%lld", value);
}

void jsonw_uint(struct jsonw *w, const char *key, unsigned long long value)
{
	item(w, key);
	fprintf(w->out, "%llu", value);
}

void jsonw_double(struct jsonw *w, const char *key, double value, int decimals)
{
	item(w, key);
	if (isfinite(value))
		fprintf(w->out, "%.*f", decimals, value);
	else
		fputs("null", w->out);
}

void jsonw_bool(struct jsonw *w, const char *key, int value)
{
	item(w, key);
	fputs(value ? "true" : "false", w->out);
}

void jsonw_null(struct jsonw *w, const char *key)
{
	item(w, key);
	fputs("null", w->out);
}

void jsonw_raw(struct jsonw *w, const char *key, const char *json)
{
	item(w, key);
	fputs(json, w->out);
}

void jsonw_members(struct jsonw *w, const char *key, const char *members)
{
	item(w, key);
	fprintf(w->out, "{%s}", members != NULL ? members : "");
}

void jsonw_target(struct jsonw *w, const char *host, unsigned port, const char *family)
{
	jsonw_object(w, "target");
	jsonw_string(w, "host", host);
	jsonw_uint(w, "port", port);
	jsonw_string(w, "family", family);
	jsonw_end_object(w);
}

void jsonw_break(struct jsonw *w, const char *text)
{
	w->brk = text;
}
