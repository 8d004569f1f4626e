/*
 * test_ping_opts.c: `udpecho ping` flags: defaults, every flag, the limits
 * and the combinations refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ping.h"

static struct ping_opts o;
static char err[256];

/* Parses "ping ARGS..." (ARGS ends with NULL); returns what ping_parse_args returns. */
static int parse(const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"udpecho";
	argv[argc++] = (char *)"ping";
	while (*args != NULL)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	err[0] = '\0';
	return ping_parse_args(argc, argv, 2, &o, err, sizeof(err));
}

static void test_defaults(void **state)
{
	static const char *const args[] = {"192.0.2.7", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_string_equal(o.host, "192.0.2.7");
	assert_int_equal(o.port, 7);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.interval_us, 1000000);
	assert_int_equal(o.timeout_us, 1000000);
	assert_int_equal(o.size, 64);
	assert_int_equal(o.mode, PING_AUTO);
	assert_int_equal(o.family, NET_PREFER_V4);
	assert_false(o.json);
	assert_false(o.quiet);
	assert_int_equal(o.deadline_us, 0);
	assert_false(o.timestamps);
}

static void test_every_flag(void **state)
{
	static const char *const args[] = {
		"-s", "100",    "::1",           "10000", "-c", "3",   "-i", "0.01", "-W250ms",
		"-6", "--plus", "--format=json", "-q",    "-w", "2.5", "-D", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_string_equal(o.host, "::1");
	assert_int_equal(o.port, 10000);
	assert_int_equal(o.count, 3);
	assert_int_equal(o.interval_us, 10000);
	assert_int_equal(o.timeout_us, 250000);
	assert_int_equal(o.size, 100); /* -s before -c keeps its value */
	assert_int_equal(o.family, NET_ONLY_V6);
	assert_int_equal(o.mode, PING_PLUS);
	assert_true(o.json);
	assert_true(o.quiet);
	assert_int_equal(o.deadline_us, 2500000);
	assert_true(o.timestamps);
}

static void test_limits(void **state)
{
	static const char *const ok[][4] = {
		{"h", "-i", "1ms", NULL},      {"h", "-i", "3600", NULL},
		{"h", "-W", "60s", NULL},      {"h", "-c", "4294967295", NULL},
		{"h", "-s", "0", NULL},        {"h", "-s", "65527", NULL},
		{"h", "--plus", "-s24", NULL}, {"h", "--rfc", NULL, NULL},
		{"h", "-w", "1ms", NULL},      {"h", "-w", "86400", NULL},
		{"h", "-q", "-D", NULL},       {"h", "-w500ms", NULL, NULL},
	};
	static const char *const bad[][4] = {
		{"h", "-i", "0", NULL},         {"h", "-i", "999us", NULL},
		{"h", "-i", "3601", NULL},      {"h", "-W", "61", NULL},
		{"h", "-c", "0", NULL},         {"h", "-c", "4294967296", NULL},
		{"h", "-s", "65528", NULL},     {"h", "-s", "-1", NULL},
		{"h", "--format", "xml", NULL}, {"h", "0", NULL, NULL},
		{"h", "7", "8", NULL},          {"-c", "1", NULL, NULL},
		{"h", "-w", "0", NULL},         {"h", "-w", "86401", NULL},
		{"h", "-w", "soon", NULL},      {"h", "-w", NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(parse(ok[i]), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i]), -1);
		assert_true(err[0] != '\0' && strchr(err, '\n') == NULL);
	}
}

static void test_combinations_refused(void **state)
{
	static const char *const small_plus[] = {"h", "--plus", "-s", "23", NULL};
	static const char *const both_modes[] = {"h", "--plus", "--rfc", NULL};
	static const char *const both_families[] = {"h", "-4", "-6", NULL};

	(void)state;
	assert_int_equal(parse(small_plus), -1);
	assert_non_null(strstr(err, "--plus needs -s of at least 24"));
	assert_int_equal(parse(both_modes), -1);
	assert_string_equal(err, "give --plus or --rfc, not both");
	assert_int_equal(parse(both_families), -1);
	assert_string_equal(err, "give -4 or -6, not both");
}

/* -w is a duration, as -i and -W are, and says its range when refused. */
static void test_deadline_refused_says_its_range(void **state)
{
	static const char *const bad[] = {"h", "-w", "0", NULL};

	(void)state;
	assert_int_equal(parse(bad), -1);
	assert_string_equal(err, "-w: '0' is not a duration from 0.001 s to 86400.0 s (0.2, 250ms, "
				 "2s)");
}

static void test_help_needs_no_host(void **state)
{
	static const char *const args[] = {"--help", NULL};

	(void)state;
	assert_int_equal(parse(args), 0);
	assert_true(o.help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_flag),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_combinations_refused),
		cmocka_unit_test(test_deadline_refused_says_its_range),
		cmocka_unit_test(test_help_needs_no_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
