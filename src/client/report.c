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
	struct report_counts c = {0, 0, 0, 0, 0, 0};

	for (size_t i = 0; i < rep->count; i++) {
		c.known += rep->results[i].known != 0;
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

/* Before the baseline: does the status itself fail the run? */
static int failing(const struct check_result *r, int strict)
{
	switch (r->status) {
	case CHECK_FAIL:
	case CHECK_INCONCLUSIVE:
		return r->info->level == CHECK_MUST;
	case CHECK_WARN:
		return strict && r->info->level == CHECK_SHOULD;
	default:
		return 0;
	}
}

int report_fails_run(const struct check_result *r, int strict)
{
	return failing(r, strict) && !r->known;
}

int report_must_failed(const struct report *rep)
{
	for (size_t i = 0; i < rep->count; i++) {
		if (report_fails_run(&rep->results[i], rep->strict))
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
	fprintf(out, "%s %s%s%s %s%s: %s\n", r->info->name, color ? status_color(r->status) : "",
		check_status_name(r->status), color ? "\033[0m" : "",
		check_level_name(r->info->level), r->known ? " (known)" : "", r->detail);
}

void report_text_summary(FILE *out, const struct report *rep)
{
	struct report_counts c = report_count(rep);

	fprintf(out, "summary: %u passed, %u failed, %u warned, %u skipped", c.passed, c.failed,
		c.warned, c.skipped);
	if (c.inconclusive > 0)
		fprintf(out, ", %u inconclusive", c.inconclusive);
	if (c.known > 0)
		fprintf(out, " (%u known from the baseline)", c.known);
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

/*
 * TAP 13: one test point per check.  What fails the run is "not ok"; a
 * failure the baseline already had is "not ok" with a TODO directive,
 * which a TAP harness does not count; SKIP is the directive of a skipped
 * check; WARN and every detail are in the YAML block.
 */
static void write_tap(FILE *out, const struct report *rep)
{
	fprintf(out, "TAP version 13\n1..%zu\n", rep->count);
	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *r = &rep->results[i];
		int fails = failing(r, rep->strict);
		char detail[REPORT_DETAIL_MAX * 2];

		json_escape(detail, sizeof(detail), r->detail);
		fprintf(out, "%s %zu - %s (%s)", fails ? "not ok" : "ok", i + 1, r->info->name,
			check_level_name(r->info->level));
		if (fails && r->known)
			fputs(" # TODO known failure (--baseline)", out);
		else if (r->status == CHECK_SKIP || (r->status == CHECK_INCONCLUSIVE && !fails))
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

enum junit_kind { JUNIT_PASSED, JUNIT_FAILURE, JUNIT_ERROR, JUNIT_SKIPPED };

/*
 * How a result shows in JUnit.  CI systems draw failures, errors and
 * skipped tests, and hide system-out: so a WARN that fails nothing, and a
 * failure the baseline already had, are <skipped> with a type that says
 * which, to be seen without failing the build.
 */
static enum junit_kind junit_kind(const struct check_result *r, int strict, const char **type,
				  const char **prefix)
{
	*prefix = "";
	if (report_fails_run(r, strict)) {
		*type = r->status == CHECK_INCONCLUSIVE ? "inconclusive"
							: check_level_name(r->info->level);
		if (r->status == CHECK_WARN)
			*prefix = "WARN (--strict): ";
		return r->status == CHECK_INCONCLUSIVE ? JUNIT_ERROR : JUNIT_FAILURE;
	}
	if (r->known) {
		*type = "known";
		*prefix = "known failure (--baseline): ";
		return JUNIT_SKIPPED;
	}
	switch (r->status) {
	case CHECK_WARN:
		*type = "warn";
		*prefix = r->info->level == CHECK_SHOULD ? "WARN SHOULD: " : "WARN: ";
		return JUNIT_SKIPPED;
	case CHECK_INCONCLUSIVE:
		*type = "inconclusive";
		return JUNIT_SKIPPED;
	case CHECK_SKIP:
		*type = "skip";
		return JUNIT_SKIPPED;
	default:
		return JUNIT_PASSED;
	}
}

static void write_junit_case(FILE *out, const struct check_result *r, int strict)
{
	static const char *const elements[] = {NULL, "failure", "error", "skipped"};
	const char *type, *prefix;
	enum junit_kind kind = junit_kind(r, strict, &type, &prefix);

	fprintf(out, "    <testcase classname=\"udpecho.check\" name=\"%s\" time=\"%.6f\">\n",
		r->info->name, (double)r->elapsed_us / 1e6);
	if (kind != JUNIT_PASSED) {
		fprintf(out, "      <%s type=\"%s\" message=\"%s", elements[kind], type, prefix);
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
	double secs = (double)rep->elapsed_us / 1e6;
	unsigned n[4] = {0, 0, 0, 0};

	for (size_t i = 0; i < rep->count; i++) {
		const char *type, *prefix;

		n[junit_kind(&rep->results[i], rep->strict, &type, &prefix)]++;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out,
		"<testsuites name=\"udpecho check\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" "
		"skipped=\"%u\" time=\"%.6f\">\n",
		rep->count, n[JUNIT_FAILURE], n[JUNIT_ERROR], n[JUNIT_SKIPPED], secs);
	fputs("  <testsuite name=\"udpecho check ", out);
	xml_escape(out, rep->host);
	fprintf(out,
		" port %u (%s)\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
		"time=\"%.6f\">\n",
		rep->port, rep->family, rep->count, n[JUNIT_FAILURE], n[JUNIT_ERROR],
		n[JUNIT_SKIPPED], secs);
	for (size_t i = 0; i < rep->count; i++)
		write_junit_case(out, &rep->results[i], rep->strict);
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
		"{\"tool\": \"udpecho\", \"version\": \"%s\", \"started\": \"%s\", "
		"\"duration_s\": %.3f, \"target\": {\"host\": \"%s\", \"port\": %u, \"family\": "
		"\"%s\"},\n \"checks\": [",
		UDPECHO_VERSION, rep->started, (double)rep->elapsed_us / 1e6, host, rep->port,
		rep->family);
	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *r = &rep->results[i];
		char detail[REPORT_DETAIL_MAX * 2], status[16];

		json_escape(detail, sizeof(detail), r->detail);
		lower(status, check_status_name(r->status));
		fprintf(out,
			"%s\n   {\"id\": \"%s\", \"level\": \"%s\", \"status\": \"%s\", "
			"\"detail\": \"%s\", \"evidence\": {%s}%s}",
			i > 0 ? "," : "", r->info->name, check_level_name(r->info->level), status,
			detail, r->evidence, r->known ? ", \"known\": true" : "");
	}
	fprintf(out,
		"\n ],\n \"summary\": {\"passed\": %u, \"failed\": %u, \"warned\": %u, "
		"\"skipped\": %u, \"inconclusive\": %u, \"known\": %u}}\n",
		c.passed, c.failed, c.warned, c.skipped, c.inconclusive, c.known);
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
			"{\"tool\": \"udpecho\", \"version\": \"%s\", \"started\": \"%s\", "
			"\"duration_s\": %.3f, \"target\": {\"host\": \"%s\", \"port\": %u, "
			"\"family\": \"%s\"},\n \"error\": \"%s\",\n \"checks\": [],\n "
			"\"summary\": "
			"{\"passed\": 0, \"failed\": 0, \"warned\": 0, \"skipped\": 0, "
			"\"inconclusive\": 0, \"known\": 0}}\n",
			UDPECHO_VERSION, rep->started, (double)rep->elapsed_us / 1e6, host,
			rep->port, rep->family, esc);
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
