/*
 * test_report.c: the five report writers of `udpecho check`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"

/* Three results: a pass, a failure with evidence and awkward characters, a skip. */
static void sample(struct report *rep)
{
	struct check_result *r;

	memset(rep, 0, sizeof(*rep));
	strcpy(rep->host, "127.0.0.1");
	rep->port = 7;
	rep->family = "ipv4";
	rep->elapsed_us = 1500000;
	strcpy(rep->started, "2026-12-07T03:12:00Z");
	r = &rep->results[rep->count++];
	r->info = check_info(CHECK_ECHO_BASIC);
	report_set(r, CHECK_PASS, "the classic 42-byte message came back exactly");
	r = &rep->results[rep->count++];
	r->info = check_info(CHECK_ECHO_SIZES);
	report_set(r, CHECK_FAIL, "truncates to %d bytes (sent %d, got the first %d)", 4096, 4097,
		   4096);
	report_evidence_int(r, "max_exact", 4096);
	report_evidence_int(r, "truncated_to", 4096);
	report_evidence_str(r, "note", "a \"quoted\" <tag> & \\ back");
	{
		const size_t tried[] = {1, 512, 4096, 4097};

		report_evidence_sizes(r, "tried", tried, 4);
	}
	r = &rep->results[rep->count++];
	r->info = check_info(CHECK_SAFETY_LOOP);
	report_set(r, CHECK_SKIP, "needs privilege to send from port 7 (run as root)");
}

/* Static: gcc 12 -O2 takes a local handed to open_memstream for one that dangles. */
static char *buf;
static size_t len;

static char *render(const struct report *rep, enum report_format format, int color)
{
	FILE *f;

	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_write(f, rep, format, color);
	fclose(f);
	return buf;
}

static void test_text_lines(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	out = render(&rep, REPORT_TEXT, 0);
	assert_string_equal(
		out, "udpecho check: 127.0.0.1 port 7 (ipv4)\n"
		     "echo.basic PASS MUST: the classic 42-byte message came back exactly\n"
		     "echo.sizes FAIL MUST: truncates to 4096 bytes (sent 4097, got the "
		     "first 4096)\n"
		     "safety.loop SKIP INFO: needs privilege to send from port 7 (run as root)\n"
		     "summary: 1 passed, 1 failed, 0 warned, 1 skipped in 1.5 s\n");
	free(out);
	out = render(&rep, REPORT_TEXT, 1);
	assert_non_null(strstr(out, "echo.sizes \033[1;31mFAIL\033[0m MUST: truncates"));
	free(out);
}

static void test_json_object(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	out = render(&rep, REPORT_JSON, 0);
	assert_non_null(strstr(out, "{\"tool\": \"udpecho\", \"version\": \""));
	assert_non_null(strstr(out, "\"target\": {\"host\": \"127.0.0.1\", \"port\": 7, "
				    "\"family\": \"ipv4\"}"));
	assert_non_null(strstr(out, "{\"id\": \"echo.sizes\", \"level\": \"MUST\", \"status\": "
				    "\"fail\", \"detail\": \"truncates to 4096 bytes (sent 4097, "
				    "got the first 4096)\", \"evidence\": {\"max_exact\": 4096, "
				    "\"truncated_to\": 4096, \"note\": \"a \\\"quoted\\\" <tag> & "
				    "\\\\ back\", \"tried\": [1, 512, 4096, 4097]}}"));
	assert_non_null(strstr(out, "\"summary\": {\"passed\": 1, \"failed\": 1, \"warned\": 0, "
				    "\"skipped\": 1, \"inconclusive\": 0, \"known\": 0}}\n"));
	assert_non_null(
		strstr(out, "\"started\": \"2026-12-07T03:12:00Z\", \"duration_s\": 1.500, "));
	free(out);
}

static void test_tap(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	out = render(&rep, REPORT_TAP, 0);
	assert_true(strncmp(out, "TAP version 13\n1..3\nok 1 - echo.basic (MUST)\n", 44) == 0);
	assert_non_null(strstr(out, "\nnot ok 2 - echo.sizes (MUST)\n  ---\n  status: FAIL\n"));
	assert_non_null(strstr(out, "\nok 3 - safety.loop (INFO) # SKIP needs privilege"));
	free(out);
}

static void test_junit_escapes(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	out = render(&rep, REPORT_JUNIT, 0);
	assert_non_null(strstr(out, "<testsuites name=\"udpecho check\" tests=\"3\" failures=\"1\" "
				    "errors=\"0\" skipped=\"1\""));
	assert_non_null(strstr(out, "<failure type=\"MUST\" message=\"truncates to 4096 bytes"));
	/* Evidence is JSON, then escaped for XML. */
	assert_non_null(strstr(out, "a \\&quot;quoted\\&quot; &lt;tag&gt; &amp; \\\\ back"));
	assert_null(strstr(out, "<tag>"));
	free(out);
}

static void test_counts_and_exit_status(void **state)
{
	struct report rep;
	struct report_counts c;

	(void)state;
	sample(&rep);
	c = report_count(&rep);
	assert_int_equal(c.passed, 1);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.skipped, 1);
	assert_true(report_must_failed(&rep));
	rep.results[1].status = CHECK_WARN;
	assert_false(report_must_failed(&rep));
	/* A failed check below MUST does not fail the run. */
	rep.results[1].info = check_info(CHECK_BURST_LOSS);
	rep.results[1].status = CHECK_FAIL;
	assert_false(report_must_failed(&rep));
}

/* A MUST that could not be judged fails the run, and every format says so. */
static void test_inconclusive_must_fails_the_run(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	rep.results[1].status = CHECK_INCONCLUSIVE;
	assert_int_equal(report_count(&rep).inconclusive, 1);
	assert_true(report_must_failed(&rep));
	out = render(&rep, REPORT_TAP, 0);
	assert_non_null(
		strstr(out, "\nnot ok 2 - echo.sizes (MUST)\n  ---\n  status: INCONCLUSIVE"));
	free(out);
	out = render(&rep, REPORT_JUNIT, 0);
	assert_non_null(strstr(out, "errors=\"1\""));
	assert_non_null(strstr(out, "<error type=\"inconclusive\" message=\"truncates to 4096"));
	free(out);
	out = render(&rep, REPORT_JSON, 0);
	assert_non_null(strstr(out, "\"status\": \"inconclusive\""));
	assert_non_null(strstr(out, "\"inconclusive\": 1, \"known\": 0}}"));
	free(out);
	out = render(&rep, REPORT_TEXT, 0);
	assert_non_null(strstr(out, "echo.sizes INCONCLUSIVE MUST: "));
	assert_non_null(strstr(out, ", 1 inconclusive in 1.5 s\n"));
	free(out);
	/* Below MUST, an inconclusive check is skipped in TAP and JUnit: it fails nothing. */
	rep.results[1].info = check_info(CHECK_BURST_LOSS);
	assert_false(report_must_failed(&rep));
	out = render(&rep, REPORT_TAP, 0);
	assert_non_null(strstr(out, "\nok 2 - burst.loss (SHOULD) # SKIP truncates"));
	free(out);
}

static char *render_error(const struct report *rep, enum report_format format, const char *err)
{
	FILE *f;

	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);

	assert_non_null(f);
	report_write_error(f, rep, format, err);
	fclose(f);
	return buf;
}

/* A run that cannot start leaves a document with the error in it, escaped. */
static void test_error_documents(void **state)
{
	const char *err = "nothing listening on 127.0.0.1:7 (\"ICMP\" <port> & unreachable)";
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	rep.count = 0;
	out = render_error(&rep, REPORT_JSON, err);
	assert_non_null(strstr(out, "\"error\": \"nothing listening on 127.0.0.1:7 "
				    "(\\\"ICMP\\\" <port> & unreachable)\",\n \"checks\": [],"));
	free(out);
	out = render_error(&rep, REPORT_JUNIT, err);
	assert_non_null(
		strstr(out, "<error type=\"setup\" message=\"nothing listening on "
			    "127.0.0.1:7 (&quot;ICMP&quot; &lt;port&gt; &amp; unreachable)\"/>"));
	free(out);
	out = render_error(&rep, REPORT_TAP, err);
	assert_string_equal(out, "TAP version 13\n1..0\nBail out! nothing listening on "
				 "127.0.0.1:7 (\\\"ICMP\\\" <port> & unreachable)\n");
	free(out);
	out = render_error(&rep, REPORT_TEXT, err);
	assert_string_equal(out, "");
	free(out);
}

/* A failure the baseline had is known: shown, never failing the run, in every format. */
static void test_known_failures_fail_nothing(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	rep.results[1].known = 1;
	assert_false(report_must_failed(&rep));
	assert_int_equal(report_count(&rep).known, 1);
	out = render(&rep, REPORT_TEXT, 0);
	assert_non_null(strstr(out, "echo.sizes FAIL MUST (known): truncates"));
	assert_non_null(strstr(out, "(1 known from the baseline)"));
	free(out);
	out = render(&rep, REPORT_TAP, 0);
	assert_non_null(
		strstr(out, "\nnot ok 2 - echo.sizes (MUST) # TODO known failure (--baseline)\n"));
	free(out);
	out = render(&rep, REPORT_JUNIT, 0);
	assert_non_null(strstr(out, "failures=\"0\" errors=\"0\" skipped=\"2\""));
	assert_non_null(
		strstr(out, "<skipped type=\"known\" message=\"known failure (--baseline): "));
	free(out);
	out = render(&rep, REPORT_JSON, 0);
	assert_non_null(strstr(out, "4097]}, \"known\": true}"));
	assert_non_null(strstr(out, "\"known\": 1}}"));
	free(out);
}

/* A SHOULD that warns shows in JUnit, and with --strict fails the run. */
static void test_warnings_and_strict(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	rep.results[1].info = check_info(CHECK_BURST_LOSS);
	rep.results[1].status = CHECK_WARN;
	assert_false(report_must_failed(&rep));
	out = render(&rep, REPORT_JUNIT, 0);
	assert_non_null(strstr(out, "<skipped type=\"warn\" message=\"WARN SHOULD: truncates"));
	free(out);
	rep.strict = 1;
	assert_true(report_must_failed(&rep));
	out = render(&rep, REPORT_JUNIT, 0);
	assert_non_null(
		strstr(out, "<failure type=\"SHOULD\" message=\"WARN (--strict): truncates"));
	free(out);
	out = render(&rep, REPORT_TAP, 0);
	assert_non_null(strstr(out, "\nnot ok 2 - burst.loss (SHOULD)\n"));
	free(out);
	/* An INFO that warns never fails, strict or not. */
	rep.results[1].info = check_info(CHECK_LATENCY);
	assert_false(report_must_failed(&rep));
}

static size_t occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(text, what); p != NULL; p = strstr(p + 1, what))
		n++;
	return n;
}

/* The HTML page names every check with its level and a status badge; a known failure says so. */
static void test_html_names_every_check(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	rep.results[1].known = 1;
	out = render(&rep, REPORT_HTML, 0);
	assert_true(strncmp(out, "<!DOCTYPE html>\n<html lang=\"en\">\n", 31) == 0);
	assert_non_null(strstr(out, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(out, "<title>udpecho check 127.0.0.1 port 7: report</title>"));
	assert_non_null(strstr(out, "<code>echo.basic</code></a></td><td>MUST</td><td>"
				    "<span class=\"badge PASS\">PASS</span>"));
	assert_non_null(strstr(out, "<code>echo.sizes</code></a></td><td>MUST</td><td>"
				    "<span class=\"badge FAIL\">FAIL</span> "
				    "<span class=\"badge known\">known</span>"));
	assert_non_null(strstr(out, "<code>safety.loop</code></a></td><td>INFO</td><td>"
				    "<span class=\"badge SKIP\">SKIP</span>"));
	assert_non_null(strstr(out, "<section id=\"echo.sizes\">"));
	assert_non_null(strstr(out, "1 passed, 1 failed, 0 warned, 1 skipped, 0 inconclusive "
				    "(1 known from the baseline)"));
	assert_non_null(strstr(out, "exit 0</span> PASS: every MUST holds"));
	assert_non_null(strstr(out, "Started 2026-12-07T03:12:00Z, took 1.5 s"));
	assert_true(strlen(out) > 0 && strcmp(out + strlen(out) - 8, "</html>\n") == 0);
	free(out);
}

/* Details, evidence and the host are text, never markup. */
static void test_html_escapes_everything(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	strcpy(rep.host, "<i>host's</i>");
	report_set(&rep.results[0], CHECK_PASS, "<script>alert(1)</script> & \"quotes\"");
	out = render(&rep, REPORT_HTML, 0);
	assert_null(strstr(out, "<script>"));
	assert_null(strstr(out, "<i>"));
	assert_null(strstr(out, "<tag>"));
	assert_non_null(
		strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
	assert_non_null(strstr(out, "&lt;i&gt;host&#39;s&lt;/i&gt;"));
	/* The evidence, one member a line, its JSON escapes kept and then escaped for HTML. */
	assert_non_null(strstr(out,
			       "<pre>{\n  &quot;max_exact&quot;: 4096,\n  "
			       "&quot;truncated_to&quot;: 4096,\n  &quot;note&quot;: "
			       "&quot;a \\&quot;quoted\\&quot; &lt;tag&gt; &amp; \\\\ back&quot;,"
			       "\n  &quot;tried&quot;: [1, 512, 4096, 4097]\n}</pre>"));
	free(out);
}

/* An SVG for the ladder when there is one, and for the round trips when there are some. */
static void test_html_draws_what_it_has(void **state)
{
	static struct report rep;
	const struct report_size sizes[] = {{512, 512, REPORT_SIZE_EXACT},
					    {4096, 4096, REPORT_SIZE_EXACT},
					    {4097, 4096, REPORT_SIZE_TRUNCATED},
					    {65507, 0, REPORT_SIZE_SILENT}};
	char *out;

	(void)state;
	sample(&rep);
	out = render(&rep, REPORT_HTML, 0);
	assert_int_equal(occurrences(out, "<svg"), 0);
	free(out);
	memcpy(rep.ladder, sizes, sizeof(sizes));
	rep.nladder = 4;
	out = render(&rep, REPORT_HTML, 0);
	assert_int_equal(occurrences(out, "<svg"), 1);
	assert_int_equal(occurrences(out, "<circle class=\"truncated\""), 2); /* and the legend's */
	assert_non_null(strstr(out, "<title>4097 bytes: truncated to 4096</title>"));
	assert_non_null(strstr(out, "<title>65507 bytes: silent, no reply</title>"));
	assert_non_null(strstr(out, "<title>512 bytes: exact</title>"));
	free(out);
	for (size_t i = 0; i < 1000; i++)
		rep.rtt_us[i] = (uint32_t)(50 + i); /* 0.050 to 1.049 ms */
	rep.nrtt = 1000;
	rep.nladder = 0;
	out = render(&rep, REPORT_HTML, 0);
	assert_int_equal(occurrences(out, "<svg"), 1);
	assert_non_null(strstr(out, ">p50 0.550 ms</text>"));
	assert_non_null(strstr(out, ">p90 0.949 ms</text>"));
	assert_non_null(strstr(out, ">p99 1.039 ms</text>"));
	assert_non_null(strstr(out, ">0.01 ms</text>"));
	assert_non_null(strstr(out, ">10 ms</text>"));
	free(out);
	rep.nladder = 4;
	out = render(&rep, REPORT_HTML, 0);
	assert_int_equal(occurrences(out, "<svg"), 2);
	assert_int_equal(occurrences(out, "</svg>"), 2);
	free(out);
}

/* A run that could not start: a page with the error, escaped, and exit 2. */
static void test_html_error_page(void **state)
{
	struct report rep;
	char *out;

	(void)state;
	sample(&rep);
	rep.count = 0;
	out = render_error(&rep, REPORT_HTML,
			   "nothing listening on 127.0.0.1:7 (<port> & \"ICMP\")");
	assert_true(strncmp(out, "<!DOCTYPE html>\n", 16) == 0);
	assert_non_null(strstr(out, "<title>udpecho check 127.0.0.1 port 7: error</title>"));
	assert_non_null(strstr(out, "exit 2</span> The run could not start: nothing listening on "
				    "127.0.0.1:7 (&lt;port&gt; &amp; &quot;ICMP&quot;)</p>"));
	assert_null(strstr(out, "<port>"));
	assert_non_null(strstr(out, "</html>\n"));
	free(out);
}

static void test_evidence_is_bounded(void **state)
{
	struct check_result r;

	(void)state;
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 1000; i++)
		report_evidence_int(&r, "key", i);
	assert_true(strlen(r.evidence) < sizeof(r.evidence));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_lines),
		cmocka_unit_test(test_json_object),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_junit_escapes),
		cmocka_unit_test(test_counts_and_exit_status),
		cmocka_unit_test(test_evidence_is_bounded),
		cmocka_unit_test(test_inconclusive_must_fails_the_run),
		cmocka_unit_test(test_error_documents),
		cmocka_unit_test(test_known_failures_fail_nothing),
		cmocka_unit_test(test_warnings_and_strict),
		cmocka_unit_test(test_html_names_every_check),
		cmocka_unit_test(test_html_escapes_everything),
		cmocka_unit_test(test_html_draws_what_it_has),
		cmocka_unit_test(test_html_error_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
