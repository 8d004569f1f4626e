/*
 * test_check_opts.c: `udpecho check` arguments: a port given where the
 * host belongs, and the selection that --only and --skip make together.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

static struct check_opts o;
static char err[256];

/* Parses "check ARGS..." (ARGS ends with NULL); returns what check_parse_args returns. */
static int parse(const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"udpecho";
	argv[argc++] = (char *)"check";
	while (*args != NULL)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	err[0] = '\0';
	return check_parse_args(argc, argv, 2, &o, err, sizeof(err));
}

static int selected(const char *name)
{
	const struct check_info *c = check_find(name);

	assert_non_null(c);
	return o.selected[c->id];
}

static size_t count_selected(void)
{
	size_t n = 0;

	for (size_t i = 0; i < CHECK_COUNT; i++)
		n += o.selected[i] != 0;
	return n;
}

/* Every check's ID, comma-separated: the catalogue grows, the test follows it. */
static const char *every_id(void)
{
	static char list[CHECK_COUNT * 32];
	size_t used = 0;

	for (int id = 0; id < CHECK_COUNT; id++) {
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 id > 0 ? "," : "", check_info((enum check_id)id)->name);
		assert_true(used < sizeof(list));
	}
	return list;
}

static void test_every_check_runs_by_default(void **state)
{
	static const char *const args[] = {"127.0.0.1", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_int_equal(count_selected(), CHECK_COUNT);
}

static void test_repeated_only_adds_up(void **state)
{
	static const char *const args[] = {"--only", "echo.basic", "--only=echo.empty", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_true(selected("echo.basic"));
	assert_true(selected("echo.empty"));
	assert_int_equal(count_selected(), 2);
}

static void test_only_group_adds_to_an_id(void **state)
{
	static const char *const args[] = {"--only", "reply.source", "--only", "echo.*", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_true(selected("reply.source"));
	assert_true(selected("echo.basic"));
	assert_true(selected("echo.sizes"));
	assert_false(selected("reply.once"));
}

static void test_skip_takes_a_check_out(void **state)
{
	static const char *const args[] = {"--skip", "echo.sizes", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_false(selected("echo.sizes"));
	assert_true(selected("echo.basic"));
	assert_int_equal(count_selected(), CHECK_COUNT - 1);
}

static void test_skip_takes_a_group_out(void **state)
{
	static const char *const args[] = {"--skip", "echo.*", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_false(selected("echo.basic"));
	assert_false(selected("echo.empty"));
	assert_false(selected("echo.bytes"));
	assert_false(selected("echo.sizes"));
	assert_true(selected("reply.source"));
}

static void test_repeated_skip_adds_up(void **state)
{
	static const char *const args[] = {"--skip", "echo.basic", "--skip", "latency", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_false(selected("echo.basic"));
	assert_false(selected("latency"));
	assert_int_equal(count_selected(), CHECK_COUNT - 2);
}

static void test_skip_comes_off_only(void **state)
{
	static const char *const args[] = {"--only", "echo.*", "--skip", "echo.sizes", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_true(selected("echo.basic"));
	assert_false(selected("echo.sizes"));
	assert_false(selected("reply.source"));
}

static void test_skip_before_only_still_comes_off(void **state)
{
	static const char *const args[] = {"--skip", "echo.sizes", "--only", "echo.*", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_false(selected("echo.sizes"));
	assert_false(selected("reply.source"));
}

static void test_skip_of_every_check_is_refused(void **state)
{
	const char *args[] = {"--skip", every_id(), NULL};

	(void)state;
	assert_int_equal(parse(args), -1);
	assert_string_equal(err, "--skip: nothing left to run");
}

static void test_skip_of_the_only_selection_is_refused(void **state)
{
	static const char *const args[] = {"--only", "echo.basic", "--skip", "echo.*", NULL};

	(void)state;
	assert_int_equal(parse(args), -1);
	assert_string_equal(err, "--skip: nothing left to run");
}

static void test_skip_of_an_unknown_id_is_refused(void **state)
{
	static const char *const args[] = {"--skip", "echo.basic,echo.nope", NULL};

	(void)state;
	assert_int_equal(parse(args), -1);
	assert_string_equal(err, "--skip: 'echo.nope' is not a check ID (see --list)");
}

static void test_repeated_only_with_an_unknown_id_is_refused(void **state)
{
	static const char *const args[] = {"--only", "echo.basic", "--only", "nope", NULL};

	(void)state;
	assert_int_equal(parse(args), -1);
	assert_string_equal(err, "--only: 'nope' is not a check ID (see --list)");
}

static void test_port_alone_is_refused_as_host(void **state)
{
	static const char *const args[] = {"17010", NULL};

	(void)state;
	assert_int_equal(parse(args), -1);
	assert_string_equal(err, "'17010' looks like a port number, not a host: give HOST PORT, "
				 "e.g. 127.0.0.1 17010");
}

static void test_digits_before_a_port_are_refused_as_host(void **state)
{
	static const char *const args[] = {"17010", "7", NULL};

	(void)state;
	assert_int_equal(parse(args), -1);
	assert_non_null(strstr(err, "'17010' looks like a port number, not a host"));
}

static void test_digits_beyond_a_port_get_an_example_port(void **state)
{
	static const char *const args[] = {"99999", NULL};

	(void)state;
	assert_int_equal(parse(args), -1);
	assert_string_equal(err, "'99999' looks like a port number, not a host: give HOST PORT, "
				 "e.g. 127.0.0.1 7");
}

static void test_digits_after_the_host_are_the_port(void **state)
{
	static const char *const args[] = {"127.0.0.1", "17010", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_string_equal(o.host, "127.0.0.1");
	assert_int_equal(o.port, 17010);
}

static void test_dotted_address_and_name_are_hosts(void **state)
{
	static const char *const dotted[] = {"10.1", NULL};
	static const char *const name[] = {"echo1", "7", NULL};

	(void)state;
	assert_int_equal(parse(dotted), 0);
	assert_string_equal(o.host, "10.1");
	assert_int_equal(parse(name), 0);
	assert_string_equal(o.host, "echo1");
}

static void test_report_options(void **state)
{
	const char *none[] = {NULL};
	const char *all[] = {"--strict", "--baseline", "before.json",
			     "--output", "after.xml",  NULL};
	const char *no_file[] = {"--baseline", NULL};

	(void)state;
	assert_int_equal(parse(none), 0);
	assert_int_equal(o.strict, 0);
	assert_null(o.baseline);
	assert_null(o.output);
	assert_int_equal(parse(all), 0);
	assert_int_equal(o.strict, 1);
	assert_string_equal(o.baseline, "before.json");
	assert_string_equal(o.output, "after.xml");
	assert_int_equal(parse(no_file), -1);
	assert_non_null(strstr(err, "--baseline"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_options),
		cmocka_unit_test(test_every_check_runs_by_default),
		cmocka_unit_test(test_repeated_only_adds_up),
		cmocka_unit_test(test_only_group_adds_to_an_id),
		cmocka_unit_test(test_skip_takes_a_check_out),
		cmocka_unit_test(test_skip_takes_a_group_out),
		cmocka_unit_test(test_repeated_skip_adds_up),
		cmocka_unit_test(test_skip_comes_off_only),
		cmocka_unit_test(test_skip_before_only_still_comes_off),
		cmocka_unit_test(test_skip_of_every_check_is_refused),
		cmocka_unit_test(test_skip_of_the_only_selection_is_refused),
		cmocka_unit_test(test_skip_of_an_unknown_id_is_refused),
		cmocka_unit_test(test_repeated_only_with_an_unknown_id_is_refused),
		cmocka_unit_test(test_port_alone_is_refused_as_host),
		cmocka_unit_test(test_digits_before_a_port_are_refused_as_host),
		cmocka_unit_test(test_digits_beyond_a_port_get_an_example_port),
		cmocka_unit_test(test_digits_after_the_host_are_the_port),
		cmocka_unit_test(test_dotted_address_and_name_are_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
