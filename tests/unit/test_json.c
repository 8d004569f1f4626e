/*
 * test_json.c: the JSON reader of --baseline (json.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/json.h"

struct seen {
	size_t n;
	struct json_check c[8];
};

static void collect(void *ctx, const struct json_check *c)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->c[s->n] = *c;
	s->n++;
}

static int read_text(const char *text, struct seen *s, size_t *at)
{
	memset(s, 0, sizeof(*s));
	*at = 0;
	return json_report_checks(text, strlen(text), collect, s, at);
}

static void test_a_report_gives_its_checks_in_order(void **state)
{
	const char *text =
		"{\"tool\": \"udpecho\", \"version\": \"0.1.0\", \"target\": {\"host\": \"::1\", "
		"\"port\": 7, \"family\": \"ipv6\"},\n \"checks\": [\n"
		"   {\"id\": \"echo.basic\", \"level\": \"MUST\", \"status\": \"pass\", "
		"\"detail\": "
		"\"x\", \"evidence\": {\"tried\": [1, 2.5e3, -0.125, 1E-2], \"ok\": true}},\n"
		"   {\"id\": \"burst.loss\", \"level\": \"SHOULD\", \"status\": \"warn\", "
		"\"detail\": \"a \\\"q\\\" \\u00e9\", \"evidence\": {\"n\": null}}\n ],\n"
		" \"summary\": {\"passed\": 1}}\n";
	struct seen s;
	size_t at;

	(void)state;
	assert_int_equal(read_text(text, &s, &at), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.c[0].id, "echo.basic");
	assert_string_equal(s.c[0].level, "MUST");
	assert_string_equal(s.c[0].status, "pass");
	assert_string_equal(s.c[1].id, "burst.loss");
	assert_string_equal(s.c[1].level, "SHOULD");
	assert_string_equal(s.c[1].status, "warn");
}

static void test_only_the_top_level_checks_count(void **state)
{
	struct seen s;
	size_t at;

	(void)state;
	assert_int_equal(read_text("{\"x\": {\"checks\": [{\"id\": \"a\"}]}, \"checks\": "
				   "[1, \"two\", {\"id\": 3, \"status\": \"fail\"}]}",
				   &s, &at),
			 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.c[0].id, "");
	assert_string_equal(s.c[0].status, "fail");
	assert_int_equal(read_text("[{\"checks\": [{\"id\": \"a\"}]}]", &s, &at), 0);
	assert_int_equal(s.n, 0);
}

static void test_escapes_are_read(void **state)
{
	struct seen s;
	size_t at;

	(void)state;
	assert_int_equal(read_text("{\"checks\": [{\"id\": \"a\\\"b\\\\c\\/d\\n\\u0041\\u00e9\"}]}",
				   &s, &at),
			 0);
	assert_string_equal(s.c[0].id, "a\"b\\c/d\nA?");
}

static void test_long_fields_are_cut_to_fit(void **state)
{
	char text[256];
	struct seen s;
	size_t at;

	(void)state;
	snprintf(text, sizeof(text), "{\"checks\": [{\"id\": \"%0100d\"}]}", 7);
	assert_int_equal(read_text(text, &s, &at), 0);
	assert_int_equal(strlen(s.c[0].id), sizeof(s.c[0].id) - 1);
}

static void expect_refused(const char *text, size_t want_at)
{
	struct seen s;
	size_t at;

	if (read_text(text, &s, &at) != -1 || at != want_at)
		fail_msg("'%s': wanted refused at %zu, got at %zu", text, want_at, at);
}

static void test_what_is_not_json_is_refused_where_it_goes_wrong(void **state)
{
	char deep[2 * JSON_MAX_DEPTH + 8];

	(void)state;
	expect_refused("", 0);
	expect_refused("{\"checks\": [{\"id\": \"echo.b", 26);
	expect_refused("{\"a\": 01}", 7);
	expect_refused("{\"a\": -}", 7);
	expect_refused("{\"a\": 1.}", 8);
	expect_refused("{\"a\": \"\\q\"}", 8);
	expect_refused("{\"a\": \"\\u12g4\"}", 8);
	expect_refused("{\"a\": \"x\ny\"}", 8);
	expect_refused("{\"a\" 1}", 5);
	expect_refused("{\"a\": 1,}", 8);
	expect_refused("[1 2]", 3);
	expect_refused("{} {}", 3);
	expect_refused("{1: 2}", 1);
	expect_refused("tru", 0);
	memset(deep, '[', JSON_MAX_DEPTH + 1);
	memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	deep[(size_t)2 * JSON_MAX_DEPTH + 2] = '\0';
	expect_refused(deep, JSON_MAX_DEPTH);
}

static void test_nesting_up_to_the_limit_is_read(void **state)
{
	char deep[2 * JSON_MAX_DEPTH + 8];
	struct seen s;
	size_t at;

	(void)state;
	memset(deep, '[', JSON_MAX_DEPTH);
	memset(deep + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	deep[(size_t)2 * JSON_MAX_DEPTH] = '\0';
	assert_int_equal(read_text(deep, &s, &at), 0);
}

static void test_the_text_is_never_read_past_its_length(void **state)
{
	const char *text = "{\"checks\": []}garbage";
	struct seen s;
	size_t at;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(json_report_checks(text, 14, collect, &s, &at), 0);
	assert_int_equal(json_report_checks(text, 13, collect, &s, &at), -1);
	assert_int_equal(at, 13);
}

static void expect_escaped(const char *in, size_t len, const char *want)
{
	char out[64];
	size_t n = json_escape(out, sizeof(out), in, len);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_escaping_makes_any_bytes_a_json_string(void **state)
{
	(void)state;
	expect_escaped("plain", 5, "plain");
	expect_escaped("a\"b\\c", 5, "a\\\"b\\\\c");
	expect_escaped("\x00\x01\n\x1f\x7f", 5, "\\u0000\\u0001\\u000a\\u001f\\u007f");
	/* Valid UTF-8 stays, each byte of an invalid sequence is U+FFFD. */
	expect_escaped("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
		       "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	expect_escaped("\xc3", 1, "\\ufffd");
	expect_escaped("\xc0\x80", 2, "\\ufffd\\ufffd");            /* overlong NUL */
	expect_escaped("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd"); /* a surrogate */
	expect_escaped("\xff", 1, "\\ufffd");
}

static void test_escaping_never_cuts_an_escape(void **state)
{
	char out[8];

	(void)state;
	/* "ab" fits, the 6-byte escape after it does not: cut before it, length still told. */
	assert_int_equal(json_escape(out, sizeof(out), "ab\x01", 3), 8);
	assert_string_equal(out, "ab");
	assert_int_equal(json_escape(out, 0, "ab", 2), 2);
	assert_int_equal(json_escape(out, 1, "ab", 2), 2);
	assert_string_equal(out, "");
}

/* Every byte string, escaped and wrapped as an id, reads back as a valid report. */
static void test_escaped_strings_read_back(void **state)
{
	char in[256], esc[256 * 6 + 1], text[256 * 6 + 64];
	struct seen s;
	size_t at;

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (char)(255 - i);
	json_escape(esc, sizeof(esc), in, sizeof(in));
	snprintf(text, sizeof(text), "{\"checks\": [{\"id\": \"%s\"}]}", esc);
	assert_int_equal(read_text(text, &s, &at), 0);
	assert_int_equal(s.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_report_gives_its_checks_in_order),
		cmocka_unit_test(test_only_the_top_level_checks_count),
		cmocka_unit_test(test_escapes_are_read),
		cmocka_unit_test(test_long_fields_are_cut_to_fit),
		cmocka_unit_test(test_what_is_not_json_is_refused_where_it_goes_wrong),
		cmocka_unit_test(test_nesting_up_to_the_limit_is_read),
		cmocka_unit_test(test_the_text_is_never_read_past_its_length),
		cmocka_unit_test(test_escaping_makes_any_bytes_a_json_string),
		cmocka_unit_test(test_escaping_never_cuts_an_escape),
		cmocka_unit_test(test_escaped_strings_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
