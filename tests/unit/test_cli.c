/*
 * test_cli.c: the command-line scanner and both commands' argument parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench.h"
#include "options.h"
#include "send.h"
#include "udpecho/cli.h"
#include "udpecho/echo.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct cli_option opts[] = {
	{"port", 'p', 1, 1},
	{"verbose", 'v', 0, 2},
	{NULL, 0, 0, 0},
};

static void test_scanner_forms(void **state)
{
	char *argv[] = {"prog", "--port", "7",   "--port=8", "-p9", "-p",
			"10",   "-v",     "pos", "--",       "-v"};
	const char *expect[] = {"7", "8", "9", "10"};
	struct cli_scan scan;
	const char *value;
	char err[128];

	(void)state;
	cli_scan_init(&scan, ARGC(argv), argv, 1);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(cli_next(&scan, opts, &value, err, sizeof(err)), 1);
		assert_string_equal(value, expect[i]);
	}
	assert_int_equal(cli_next(&scan, opts, &value, err, sizeof(err)), 2);
	assert_int_equal(cli_next(&scan, opts, &value, err, sizeof(err)), CLI_POSITIONAL);
	assert_string_equal(value, "pos");
	assert_int_equal(cli_next(&scan, opts, &value, err, sizeof(err)), CLI_POSITIONAL);
	assert_string_equal(value, "-v");
	assert_int_equal(cli_next(&scan, opts, &value, err, sizeof(err)), CLI_END);
}

static void expect_error(char **argv, int argc, const char *message)
{
	struct cli_scan scan;
	const char *value;
	char err[128] = "";
	int id;

	cli_scan_init(&scan, argc, argv, 1);
	while ((id = cli_next(&scan, opts, &value, err, sizeof(err))) >= 0 || id == CLI_POSITIONAL)
		;
	assert_int_equal(id, CLI_ERROR);
	assert_string_equal(err, message);
}

static void test_scanner_errors(void **state)
{
	char *unknown[] = {"prog", "--nope"};
	char *unknown_short[] = {"prog", "-x"};
	char *missing[] = {"prog", "--port"};
	char *missing_short[] = {"prog", "-p"};
	char *flag_value[] = {"prog", "--verbose=1"};
	char *prefix[] = {"prog", "--por", "7"};

	(void)state;
	expect_error(unknown, 2, "unknown option '--nope'");
	expect_error(unknown_short, 2, "unknown option '-x'");
	expect_error(missing, 2, "option '--port' needs a value");
	expect_error(missing_short, 2, "option '-p' needs a value");
	expect_error(flag_value, 2, "option '--verbose' takes no value");
	expect_error(prefix, 3, "unknown option '--por'");
}

static void test_server_defaults(void **state)
{
	char *argv[] = {"udpecho-server"};
	struct server_opts o;
	char err[256];

	(void)state;
	assert_int_equal(server_parse_args(1, argv, &o, err, sizeof(err)), 0);
	assert_int_equal(o.action, SERVER_RUN);
	assert_string_equal(o.bind, "localhost");
	assert_int_equal(o.port, 10000);
	assert_int_equal(o.verbose, 0);
	assert_false(o.max_size_given);
	assert_true(policy_port_denied(&o.policy, 7));
}

static void test_server_flags(void **state)
{
	char *argv[] = {"udpecho-server",  "--bind",       "::",  "--port", "0", "-v",
			"--max-size=1472", "--deny-ports", "none"};
	struct server_opts o;
	char err[256];

	(void)state;
	assert_int_equal(server_parse_args(ARGC(argv), argv, &o, err, sizeof(err)), 0);
	assert_string_equal(o.bind, "::");
	assert_int_equal(o.port, 0);
	assert_int_equal(o.verbose, 1);
	assert_true(o.max_size_given);
	assert_int_equal(o.policy.max_size, 1472);
	assert_false(policy_port_denied(&o.policy, 7));
}

static void expect_server_error(char **argv, int argc, const char *message)
{
	struct server_opts o;
	char err[256];

	assert_int_equal(server_parse_args(argc, argv, &o, err, sizeof(err)), -1);
	assert_string_equal(err, message);
}

static void test_server_bad_values(void **state)
{
	char *port_range[] = {"s", "--port", "70000"};
	char *port_text[] = {"s", "--port", "ten"};
	char *size_range[] = {"s", "--max-size", "65528"};
	char *deny[] = {"s", "--deny-ports", "7,x"};
	char *extra[] = {"s", "stray"};
	char *unknown[] = {"s", "--frobnicate=2x"};
	char *threads[] = {"s", "--threads", "0"};
	char *rcvbuf[] = {"s", "--rcvbuf", "65535"};

	(void)state;
	expect_server_error(port_range, 3, "--port: '70000' is out of range (0-65535)");
	expect_server_error(port_text, 3, "--port: 'ten' is not a port number");
	expect_server_error(size_range, 3, "--max-size: '65528' is out of range (0-65527)");
	expect_server_error(deny, 3,
			    "--deny-ports: '7,x' is not a port list like 0,7,13-19 or none");
	expect_server_error(extra, 2, "unexpected argument 'stray'");
	expect_server_error(unknown, 2, "unknown option '--frobnicate'");
	expect_server_error(threads, 3, "--threads: '0' is out of range (1-64)");
	expect_server_error(rcvbuf, 3, "--rcvbuf: '65535' is out of range (65536-1073741823)");
}

static void test_server_help_and_version(void **state)
{
	char *help[] = {"s", "--help"};
	char *version[] = {"s", "--version"};
	struct server_opts o;
	char err[256];

	(void)state;
	assert_int_equal(server_parse_args(2, help, &o, err, sizeof(err)), 0);
	assert_int_equal(o.action, SERVER_HELP);
	assert_int_equal(server_parse_args(2, version, &o, err, sizeof(err)), 0);
	assert_int_equal(o.action, SERVER_VERSION);
}

static void test_send_defaults(void **state)
{
	char *argv[] = {"udpecho", "send"};
	struct send_opts o;
	char err[256];

	(void)state;
	assert_int_equal(send_parse_args(2, argv, 2, &o, err, sizeof(err)), 0);
	assert_string_equal(o.host, "localhost");
	assert_int_equal(o.port, 10000);
	assert_int_equal(o.timeout_us, 2000000);
	assert_int_equal(o.source, SEND_CLASSIC);
	assert_string_equal(o.message, "This is the message.  It will be repeated.");
	assert_int_equal(strlen(o.message), 42);
}

static void test_send_flags(void **state)
{
	char *text[] = {"udpecho", "send", "--host", "::1", "--port=7", "--timeout", "250ms", "hi"};
	char *hex[] = {"udpecho", "send", "--hex", "00ff"};
	char *file[] = {"udpecho", "send", "--file", "/tmp/x"};
	struct send_opts o;
	char err[256];

	(void)state;
	assert_int_equal(send_parse_args(ARGC(text), text, 2, &o, err, sizeof(err)), 0);
	assert_string_equal(o.host, "::1");
	assert_int_equal(o.port, 7);
	assert_int_equal(o.timeout_us, 250000);
	assert_int_equal(o.source, SEND_TEXT);
	assert_string_equal(o.message, "hi");
	assert_int_equal(send_parse_args(ARGC(hex), hex, 2, &o, err, sizeof(err)), 0);
	assert_int_equal(o.source, SEND_HEX);
	assert_int_equal(send_parse_args(ARGC(file), file, 2, &o, err, sizeof(err)), 0);
	assert_int_equal(o.source, SEND_FILE);
	assert_string_equal(o.message, "/tmp/x");
}

static void expect_send_error(char **argv, int argc, const char *message)
{
	struct send_opts o;
	char err[256];

	assert_int_equal(send_parse_args(argc, argv, 2, &o, err, sizeof(err)), -1);
	assert_string_equal(err, message);
}

static void test_send_bad_values(void **state)
{
	char *two[] = {"u", "send", "--hex", "00", "text"};
	char *port0[] = {"u", "send", "--port", "0"};
	char *timeout[] = {"u", "send", "--timeout", "soon"};
	char *timeout0[] = {"u", "send", "--timeout", "0"};

	(void)state;
	expect_send_error(two, 5, "give one message: MESSAGE, --hex or --file");
	expect_send_error(port0, 4, "--port: '0' is not a port number (1-65535)");
	expect_send_error(timeout, 4,
			  "--timeout: 'soon' is not a duration (seconds such as 2 or 0.25, "
			  "or 250ms; more than 0, at most a day)");
	expect_send_error(timeout0, 4,
			  "--timeout: '0' is not a duration (seconds such as 2 or 0.25, "
			  "or 250ms; more than 0, at most a day)");
}

static void test_host_port(void **state)
{
	const char *host = NULL;
	uint16_t port = 7;
	int given = 0;
	char err[256] = "";

	(void)state;
	assert_int_equal(cli_host_port("example.org", &host, &port, &given, err, sizeof(err)), 0);
	assert_string_equal(host, "example.org");
	assert_int_equal(port, 7);
	assert_int_equal(given, 0);
	assert_int_equal(cli_host_port("0", &host, &port, &given, err, sizeof(err)), -1);
	assert_string_equal(err, "PORT: '0' is not a port number (1-65535)");
	assert_int_equal(port, 7);
	assert_int_equal(cli_host_port("65536", &host, &port, &given, err, sizeof(err)), -1);
	assert_int_equal(cli_host_port("65535", &host, &port, &given, err, sizeof(err)), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(given, 1);
	assert_int_equal(cli_host_port("7", &host, &port, &given, err, sizeof(err)), -1);
	assert_string_equal(err, "unexpected argument '7'");
	assert_string_equal(host, "example.org");
	assert_int_equal(port, 65535);
}

static void test_bench_flags(void **state)
{
	char *ok[] = {"u",        "bench", "::1",        "7",     "--size=1400",
		      "--rate",   "1000",  "--sockets",  "4",     "--gso",
		      "--format", "json",  "--duration", "250ms", "--sleep"};
	char *defaults[] = {"u", "bench", "127.0.0.1", "10000"};
	char *no_port[] = {"u", "bench", "127.0.0.1"};
	char *big[] = {"u", "bench", "h", "7", "--size", "65528"};
	char *win[] = {"u", "bench", "h", "7", "--window", "0"};
	char *both[] = {"u", "bench", "h", "7", "-6", "-4"};
	char *twice[] = {"u", "bench", "h", "7", "-6", "-6"};
	char *open_window[] = {"u", "bench", "h", "7", "--rate", "10", "--window", "4"};
	struct bench_opts o;
	char err[256];

	(void)state;
	assert_int_equal(bench_parse_args(ARGC(ok), ok, 2, &o, err, sizeof(err)), 0);
	assert_string_equal(o.host, "::1");
	assert_int_equal(o.port, 7);
	assert_int_equal(o.size, 1400);
	assert_int_equal(o.rate, 1000);
	assert_int_equal(o.sockets, 4);
	assert_true(o.gso && o.json && o.sleep);
	assert_int_equal(o.duration_us, 250000);
	assert_int_equal(bench_parse_args(ARGC(defaults), defaults, 2, &o, err, sizeof(err)), 0);
	assert_int_equal(o.size, 64);
	assert_int_equal(o.window, 32);
	assert_int_equal(o.sockets, 1);
	assert_int_equal(o.rate, 0);
	assert_int_equal(o.duration_us, 5000000);
	assert_false(o.gso || o.sleep);
	assert_int_equal(bench_parse_args(ARGC(no_port), no_port, 2, &o, err, sizeof(err)), -1);
	assert_string_equal(err, "give HOST and PORT");
	assert_int_equal(bench_parse_args(ARGC(big), big, 2, &o, err, sizeof(err)), -1);
	assert_string_equal(err, "--size: '65528' is not a number from 0 to 65527");
	assert_int_equal(bench_parse_args(ARGC(win), win, 2, &o, err, sizeof(err)), -1);
	assert_string_equal(err, "--window: '0' is not a number from 1 to 4096");
	assert_int_equal(bench_parse_args(ARGC(both), both, 2, &o, err, sizeof(err)), -1);
	assert_string_equal(err, "give -4 or -6, not both");
	assert_int_equal(bench_parse_args(ARGC(twice), twice, 2, &o, err, sizeof(err)), 0);
	assert_int_equal(o.family, NET_ONLY_V6);
	/* The open loop keeps no window: one given with --rate would be ignored. */
	assert_int_equal(bench_parse_args(ARGC(open_window), open_window, 2, &o, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "give --rate (open loop) or --window (closed loop), not both");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_forms),
		cmocka_unit_test(test_scanner_errors),
		cmocka_unit_test(test_server_defaults),
		cmocka_unit_test(test_server_flags),
		cmocka_unit_test(test_server_bad_values),
		cmocka_unit_test(test_server_help_and_version),
		cmocka_unit_test(test_send_defaults),
		cmocka_unit_test(test_send_flags),
		cmocka_unit_test(test_send_bad_values),
		cmocka_unit_test(test_host_port),
		cmocka_unit_test(test_bench_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
