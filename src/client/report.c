/*
 * report.c: writers for `udpecho check` results.
 */
#include "report.h"

#include <stdarg.h>
#include <string.h>

#include "udpecho/version.h"

void report_set(struct check_result *r, enum check_status status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* Appends to the evidence, with a separator; silently stops when full (bounded by design). */
static void evidence_append(struct check_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void evidence_append(struct check_result *r, const char *fmt, ...)
{
	size_t used = strlen(r->evidence);
	va_list ap;

	if (used >= sizeof(r->evidence) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(r->evidence + used, sizeof(r->evidence) - used, fmt, ap);
	va_end(ap);
}

static const char *sep(const struct check_result *r)
{
	return r->evidence[0] != '\0' ? ", " : "";
}

void report_evidence_int(struct check_result *r, const char *key, long long value)
{
	evidence_append(r, "%s\"%s\": %lld", sep(r), key, value);
}

void report_evidence_num(struct check_result *r, const char *key, double value)
{
	evidence_append(r, "%s\"%s\": %.3f", sep(r), key, value);
}

/* JSON string escaping: quotes, backslashes and control bytes. */
static void json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
}

void report_evidence_str(struct check_result *r, const char *key, const char *value)
{
	char esc[REPORT_DETAIL_MAX * 2];

	json_escape(esc, sizeof(esc), value);
	evidence_append(r, "%s\"%s\": \"%s\"", sep(r), key, esc);
}

void report_evidence_sizes(struct check_result *r, const char *key, const size_t *values, size_t n)
{
	evidence_append(r, "%s\"%s\": [", sep(r), key);
	for (size_t i = 0; i < n; i++)
		evidence_append(r, "%s%zu", i > 0 ? ", " : "", values[i]);
	evidence_append(r, "]");
}

struct report_counts report_count(const struct report *rep)
{
	struct report_counts c = {0, 0, 0, 0, 0};

	for (size_t i = 0; i < rep->count; i++) {
		switch (rep->results[i].status) {
		case CHECK_PASS:
			c.passed++;
			break;
		case CHECK_FAIL:
			c.failed++;
			break;
		case CHECK_WARN:
			c.warned++;
			break;
		case CHECK_INCONCLUSIVE:
			c.inconclusive++;
			break;
		case CHECK_SKIP:
		default:
			c.skipped++;
			break;
		}
	}
	return c;
}

int report_must_failed(const struct report *rep)
{
	for (size_t i = 0; i < rep->count; i++) {
		if ((rep->results[i].status == CHECK_FAIL ||
		     rep->results[i].status == CHECK_INCONCLUSIVE) &&
		    rep->results[i].info->level == CHECK_MUST)
			return 1;
	}
	return 0;
}

static const char *status_color(enum check_status s)
{
	switch (s) {
	case CHECK_PASS:
		return "\033[32m";
	case CHECK_FAIL:
		return "\033[1;31m";
	case CHECK_WARN:
		return "\033[33m";
	case CHECK_INCONCLUSIVE:
		return "\033[1;35m";
	case CHECK_SKIP:
	default:
		return "\033[2m";
	}
}

void report_text_header(FILE *out, const struct report *rep)
{
	fprintf(out, "udpecho check: %s%s%s port %u (%s)\n", rep->label ? rep->label : "",
		rep->label ? " at " : "", rep->host, rep->port, rep->family);
}

void report_text_result(FILE *out, const struct check_result *r, int color)
{
	fprintf(out, "%s %s%s%s %s: %s\n", r->info->name, color ? status_color(r->status) : "",
		check_status_name(r->status), color ? "\033[0m" : "",
		check_level_name(r->info->level), r->detail);
}

void report_text_summary(FILE *out, const struct report *rep)
{
	struct report_counts c = report_count(rep);

	fprintf(out, "summary: %u passed, %u failed, %u warned, %u skipped", c.passed, c.failed,
		c.warned, c.skipped);
	if (c.inconclusive > 0)
		fprintf(out, ", %u inconclusive", c.inconclusive);
	fprintf(out, " in %.1f s%s\n", (double)rep->elapsed_us / 1e6,
		rep->interrupted ? " (interrupted)" : "");
}

static void write_text(FILE *out, const struct report *rep, int color)
{
	report_text_header(out, rep);
	for (size_t i = 0; i < rep->count; i++)
		report_text_result(out, &rep->results[i], color);
	report_text_summary(out, rep);
}

/* A MUST that could not be judged fails the run as a failure does. */
static int fails_run(const struct check_result *r)
{
	return r->status == CHECK_FAIL ||
	       (r->status == CHECK_INCONCLUSIVE && r->info->level == CHECK_MUST);
}

/* TAP 13: one test point per check; SKIP as the directive, WARN and details in YAML. */
static void write_tap(FILE *out, const struct report *rep)
{
	fprintf(out, "TAP version 13\n1..%zu\n", rep->count);
	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *r = &rep->results[i];
		char detail[REPORT_DETAIL_MAX * 2];

		json_escape(detail, sizeof(detail), r->detail);
		fprintf(out, "%s %zu - %s (%s)", fails_run(r) ? "not ok" : "ok", i + 1,
			r->info->name, check_level_name(r->info->level));
		if (r->status == CHECK_SKIP || (r->status == CHECK_INCONCLUSIVE && !fails_run(r)))
			fprintf(out, " # SKIP %s", r->detail);
		fprintf(out, "\n  ---\n  status: %s\n  message: \"%s\"\n",
			check_status_name(r->status), detail);
		if (r->evidence[0] != '\0')
			fprintf(out, "  evidence: {%s}\n", r->evidence);
		fprintf(out, "  ...\n");
	}
}

static void xml_escape(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			/* Control bytes are not allowed in XML 1.0; our details never hold them. */
			if ((unsigned char)*s >= 0x20)
				fputc(*s, out);
			break;
		}
	}
}

static void write_junit_case(FILE *out, const struct check_result *r)
{
	fprintf(out, "    <testcase classname=\"udpecho.check\" name=\"%s\" time=\"%.6f\">\n",
		r->info->name, (double)r->elapsed_us / 1e6);
	if (r->status == CHECK_FAIL) {
		fprintf(out, "      <failure type=\"%s\" message=\"",
			check_level_name(r->info->level));
		xml_escape(out, r->detail);
		fputs("\"/>\n", out);
	} else if (fails_run(r)) {
		/* Not judged: a JUnit error (the test could not run to a verdict). */
		fputs("      <error type=\"inconclusive\" message=\"", out);
		xml_escape(out, r->detail);
		fputs("\"/>\n", out);
	} else if (r->status == CHECK_SKIP || r->status == CHECK_INCONCLUSIVE) {
		fputs("      <skipped message=\"", out);
		xml_escape(out, r->detail);
		fputs("\"/>\n", out);
	}
	fprintf(out, "      <system-out>%s %s: ", check_status_name(r->status),
		check_level_name(r->info->level));
	xml_escape(out, r->detail);
	if (r->evidence[0] != '\0') {
		fputs(" {", out);
		xml_escape(out, r->evidence);
		fputs("}", out);
	}
	fputs("</system-out>\n    </testcase>\n", out);
}

static void write_junit(FILE *out, const struct report *rep)
{
	struct report_counts c = report_count(rep);
	double secs = (double)rep->elapsed_us / 1e6;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	unsigned errors = 0, skipped = 0;

	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *r = &rep->results[i];

		errors += r->status == CHECK_INCONCLUSIVE && fails_run(r);
		skipped += r->status == CHECK_SKIP ||
			   (r->status == CHECK_INCONCLUSIVE && !fails_run(r));
	}
	fprintf(out,
		"<testsuites name=\"udpecho check\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" "
		"skipped=\"%u\" time=\"%.6f\">\n",
		rep->count, c.failed, errors, skipped, secs);
	fprintf(out,
		"  <testsuite name=\"udpecho check %s port %u (%s)\" tests=\"%zu\" failures=\"%u\" "
		"errors=\"%u\" skipped=\"%u\" time=\"%.6f\">\n",
		rep->host, rep->port, rep->family, rep->count, c.failed, errors, skipped, secs);
	for (size_t i = 0; i < rep->count; i++)
		write_junit_case(out, &rep->results[i]);
	fputs("  </testsuite>\n</testsuites>\n", out);
}

static void lower(char *out, const char *s)
{
	for (; *s != '\0'; s++)
		*out++ = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
	*out = '\0';
}

static void write_json(FILE *out, const struct report *rep)
{
	struct report_counts c = report_count(rep);
	char host[sizeof(rep->host) * 2];

	json_escape(host, sizeof(host), rep->host);
	fprintf(out,
		"{\"tool\": \"udpecho\", \"version\": \"%s\", \"target\": {\"host\": \"%s\", "
		"\"port\": %u, \"family\": \"%s\"},\n \"checks\": [",
		UDPECHO_VERSION, host, rep->port, rep->family);
	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *r = &rep->results[i];
		char detail[REPORT_DETAIL_MAX * 2], status[16];

		json_escape(detail, sizeof(detail), r->detail);
		lower(status, check_status_name(r->status));
		fprintf(out,
			"%s\n   {\"id\": \"%s\", \"level\": \"%s\", \"status\": \"%s\", "
			"\"detail\": \"%s\", \"evidence\": {%s}}",
			i > 0 ? "," : "", r->info->name, check_level_name(r->info->level), status,
			detail, r->evidence);
	}
	fprintf(out,
		"\n ],\n \"summary\": {\"passed\": %u, \"failed\": %u, \"warned\": %u, "
		"\"skipped\": %u, \"inconclusive\": %u}}\n",
		c.passed, c.failed, c.warned, c.skipped, c.inconclusive);
}

void report_write(FILE *out, const struct report *rep, enum report_format format, int color)
{
	switch (format) {
	case REPORT_TAP:
		write_tap(out, rep);
		break;
	case REPORT_JUNIT:
		write_junit(out, rep);
		break;
	case REPORT_JSON:
		write_json(out, rep);
		break;
	case REPORT_TEXT:
	default:
		write_text(out, rep, color);
		break;
	}
}

void report_write_error(FILE *out, const struct report *rep, enum report_format format,
			const char *error)
{
	char esc[REPORT_DETAIL_MAX * 2], host[sizeof(rep->host) * 2];

	switch (format) {
	case REPORT_JSON:
		json_escape(esc, sizeof(esc), error);
		json_escape(host, sizeof(host), rep->host);
		fprintf(out,
			"{\"tool\": \"udpecho\", \"version\": \"%s\", \"target\": {\"host\": "
			"\"%s\", \"port\": %u, \"family\": \"%s\"},\n \"error\": \"%s\",\n "
			"\"checks\": [],\n \"summary\": {\"passed\": 0, \"failed\": 0, \"warned\": "
			"0, "
			"\"skipped\": 0, \"inconclusive\": 0}}\n",
			UDPECHO_VERSION, host, rep->port, rep->family, esc);
		break;
	case REPORT_JUNIT:
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
		fputs("<testsuites name=\"udpecho check\" tests=\"1\" failures=\"0\" errors=\"1\" "
		      "skipped=\"0\" time=\"0.000000\">\n",
		      out);
		fputs("  <testsuite name=\"udpecho check ", out);
		xml_escape(out, rep->host); /* a name as the user gave it */
		fprintf(out,
			" port %u (%s)\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" "
			"time=\"0.000000\">\n",
			rep->port, rep->family);
		fputs("    <testcase classname=\"udpecho.check\" name=\"run\" time=\"0.000000\">\n"
		      "      <error type=\"setup\" message=\"",
		      out);
		xml_escape(out, error);
		fputs("\"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n", out);
		break;
	case REPORT_TAP:
		json_escape(esc, sizeof(esc), error);
		fprintf(out, "TAP version 13\n1..0\nBail out! %s\n", esc);
		break;
	case REPORT_TEXT:
	default:
		break;
	}
}
