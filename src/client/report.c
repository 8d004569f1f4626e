/*
 * report.c: writers for `udpecho check` results.
 */
#include "report.h"

#include <stdarg.h>
#include <string.h>

#include "jsonw.h"
#include "udpecho/json.h"
#include "udpecho/version.h"

void report_set(struct check_result *r, enum check_status status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/*
 * Appends one member to the evidence, with its separator, whole or not at
 * all: the evidence is bounded by design, and a member cut short would
 * make the report's JSON invalid.
 */
static void evidence_member(struct check_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void evidence_member(struct check_result *r, const char *fmt, ...)
{
	size_t used = strlen(r->evidence);
	const char *sep = used > 0 ? ", " : "";
	char member[REPORT_EVIDENCE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(member, sizeof(member), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(member) ||
	    used + strlen(sep) + (size_t)n >= sizeof(r->evidence))
		return;
	memcpy(r->evidence + used, sep, strlen(sep));
	memcpy(r->evidence + used + strlen(sep), member, (size_t)n + 1);
}

void report_evidence_int(struct check_result *r, const char *key, long long value)
{
	evidence_member(r, "\"%s\": %lld", key, value);
}

void report_evidence_num(struct check_result *r, const char *key, double value)
{
	evidence_member(r, "\"%s\": %.3f", key, value);
}

void report_evidence_str(struct check_result *r, const char *key, const char *value)
{
	char esc[REPORT_DETAIL_MAX * 2];

	json_escape(esc, sizeof(esc), value, strlen(value));
	evidence_member(r, "\"%s\": \"%s\"", key, esc);
}

void report_evidence_sizes(struct check_result *r, const char *key, const size_t *values, size_t n)
{
	char list[REPORT_EVIDENCE_MAX];
	size_t used = 0;

	for (size_t i = 0; i < n && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%zu",
					 i > 0 ? ", " : "", values[i]);
	if (used < sizeof(list))
		evidence_member(r, "\"%s\": [%s]", key, list);
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

		json_escape(detail, sizeof(detail), r->detail, strlen(r->detail));
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

void xml_escape(FILE *out, const char *s)
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

/* What every JSON report begins with: the tool, when, how long, and the target. */
static void json_head(struct jsonw *w, const struct report *rep)
{
	jsonw_object(w, NULL);
	jsonw_string(w, "tool", "udpecho");
	jsonw_string(w, "version", UDPECHO_VERSION);
	jsonw_string(w, "started", rep->started);
	jsonw_double(w, "duration_s", (double)rep->elapsed_us / 1e6, 3);
	jsonw_target(w, rep->host, rep->port, rep->family);
}

static void json_summary(struct jsonw *w, const struct report_counts *c)
{
	jsonw_break(w, "\n ");
	jsonw_object(w, "summary");
	jsonw_uint(w, "passed", c->passed);
	jsonw_uint(w, "failed", c->failed);
	jsonw_uint(w, "warned", c->warned);
	jsonw_uint(w, "skipped", c->skipped);
	jsonw_uint(w, "inconclusive", c->inconclusive);
	jsonw_uint(w, "known", c->known);
	jsonw_end_object(w);
	jsonw_end_object(w);
	fputc('\n', w->out);
}

static void write_json(FILE *out, const struct report *rep)
{
	struct report_counts c = report_count(rep);
	struct jsonw w;

	jsonw_init(&w, out);
	json_head(&w, rep);
	jsonw_break(&w, "\n ");
	jsonw_array(&w, "checks");
	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *r = &rep->results[i];
		char status[16];

		lower(status, check_status_name(r->status));
		jsonw_break(&w, "\n   ");
		jsonw_object(&w, NULL);
		jsonw_string(&w, "id", r->info->name);
		jsonw_string(&w, "level", check_level_name(r->info->level));
		jsonw_string(&w, "status", status);
		jsonw_string(&w, "detail", r->detail);
		jsonw_members(&w, "evidence", r->evidence);
		if (r->known)
			jsonw_bool(&w, "known", 1);
		jsonw_end_object(&w);
	}
	jsonw_break(&w, "\n ");
	jsonw_end_array(&w);
	json_summary(&w, &c);
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
	case REPORT_HTML:
		report_write_html(out, rep);
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
	const struct report_counts none = {0, 0, 0, 0, 0, 0};
	char esc[REPORT_DETAIL_MAX * 2];
	struct jsonw w;

	switch (format) {
	case REPORT_JSON:
		jsonw_init(&w, out);
		json_head(&w, rep);
		jsonw_break(&w, "\n ");
		jsonw_string(&w, "error", error);
		jsonw_break(&w, "\n ");
		jsonw_array(&w, "checks");
		jsonw_end_array(&w);
		json_summary(&w, &none);
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
		json_escape(esc, sizeof(esc), error, strlen(error));
		fprintf(out, "TAP version 13\n1..0\nBail out! %s\n", esc);
		break;
	case REPORT_HTML:
		report_write_html_error(out, rep, error);
		break;
	case REPORT_TEXT:
	default:
		break;
	}
}
