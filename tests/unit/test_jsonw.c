/*
 * test_jsonw.c: the one JSON writer (jsonw.h), read back by the strict
 * reader of json.h, with hostile strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonw.h"
#include "udpecho/json.h"

static char *buf;
static size_t len;

static struct jsonw open_writer(FILE **f)
{
	struct jsonw w;

	*f = open_memstream(&buf, &len);
	assert_non_null(*f);
	jsonw_init(&w, *f);
	return w;
}

static void ignore(void *ctx, const struct json_check *c)
{
	(void)ctx;
	(void)c;
}

static void assert_valid(void)
{
	size_t at = 0;

	if (json_report_checks(buf, len, ignore, NULL, &at) != 0)
		fail_msg("not JSON at byte %zu: %s", at, buf);
}

static void test_layout_is_compact_with_breaks_where_asked(void **state)
{
	FILE *f;
	struct jsonw w = open_writer(&f);

	(void)state;
	jsonw_object(&w, NULL);
	jsonw_string(&w, "tool", "udpecho");
	jsonw_uint(&w, "port", 7);
	jsonw_break(&w, "\n ");
	jsonw_array(&w, "list");
	jsonw_int(&w, NULL, -1);
	jsonw_double(&w, NULL, 2.5, 3);
	jsonw_bool(&w, NULL, 1);
	jsonw_null(&w, NULL);
	jsonw_members(&w, NULL, "\"a\": [1]");
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fclose(f);
	assert_string_equal(buf,
			    "{\"tool\": \"udpecho\", \"port\": 7,\n \"list\": [-1, 2.500, true, "
			    "null, {\"a\": [1]}]}");
	assert_valid();
	free(buf);
}

static void test_hostile_strings_stay_valid_json(void **state)
{
	static const char *const hostile[] = {
		"\"quoted\" \\ back",
		"</script><b>&amp;",
		"\x01\x1f\x7f nul-free controls",
		"\xff\xfe invalid \xc3 utf-8 \xed\xa0\x80",
		"\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
		"%s%n%x format",
		"key\": 1, \"injected\": \"",
	};
	char long_one[3000];
	FILE *f;
	struct jsonw w = open_writer(&f);

	(void)state;
	memset(long_one, '\x01', sizeof(long_one) - 1);
	long_one[sizeof(long_one) - 1] = '\0';
	jsonw_object(&w, NULL);
	jsonw_array(&w, "checks");
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		jsonw_object(&w, NULL);
		jsonw_string(&w, hostile[i], hostile[i]);
		jsonw_end_object(&w);
	}
	jsonw_string(&w, NULL, long_one);
	jsonw_double(&w, NULL, 1.0 / 0.0, 3);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fclose(f);
	assert_valid();
	assert_null(strstr(buf, "</script>\""));
	assert_non_null(strstr(buf, "\\u0001\\u0001"));
	assert_non_null(strstr(buf, ", null]"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_is_compact_with_breaks_where_asked),
		cmocka_unit_test(test_hostile_strings_stay_valid_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
