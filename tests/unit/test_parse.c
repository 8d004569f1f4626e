/*
 * test_parse.c: the strict value parsers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/parse.h"

static void test_port(void **state)
{
	static const char *bad[] = {"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "abc", "10.5"};
	uint16_t port = 42;

	(void)state;
	assert_int_equal(parse_port("0", &port), 0);
	assert_int_equal(port, 0);
	assert_int_equal(parse_port("65535", &port), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(parse_port("00010000", &port), 0);
	assert_int_equal(port, 10000);
	assert_int_equal(parse_port("65536", &port), -ERANGE);
	assert_int_equal(parse_port("99999999999999999999999", &port), -ERANGE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_port(bad[i], &port), -EINVAL);
	assert_int_equal(port, 10000); /* untouched on failure */
}

static void test_size(void **state)
{
	size_t v = 0;

	(void)state;
	assert_int_equal(parse_size("65507", 65507, &v), 0);
	assert_int_equal(v, 65507);
	assert_int_equal(parse_size("65508", 65507, &v), -ERANGE);
	assert_int_equal(parse_size("0", 65507, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_size("-1", 65507, &v), -EINVAL);
	assert_int_equal(parse_size("18446744073709551616", SIZE_MAX, &v), -ERANGE);
	/* Found by fuzz_parse: a digit larger than the limit must not wrap the bound. */
	assert_int_equal(parse_size("5", 1, &v), -ERANGE);
	assert_int_equal(parse_size("1", 1, &v), 0);
}

static void test_duration(void **state)
{
	static const struct {
		const char *text;
		uint64_t us;
	} good[] = {
		{"2", 2000000},
		{"0.25", 250000},
		{"250ms", 250000},
		{"2s", 2000000},
		{"1.5s", 1500000},
		{".5", 500000},
		{"3.", 3000000},
		{"10us", 10},
		{"1m", 60000000},
		{"0.0000015", 2},
		{"86400", 86400000000ull},
		/* Found by fuzz_parse: exact however many digits (0.5000000000004 us). */
		{"0.0000000083333333334m", 1},
		{"0.0000005", 1},
	};
	static const char *bad[] = {"", "s", ".", "-1", "1h", "1 s", "ms", "2x", "1.2.3", "+1"};
	uint64_t us;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(parse_duration(good[i].text, &us), 0);
		assert_int_equal(us, good[i].us);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_duration(bad[i], &us), -EINVAL);
	assert_int_equal(parse_duration("0", &us), -ERANGE);
	assert_int_equal(parse_duration("0.0000001", &us), -ERANGE);
	assert_int_equal(parse_duration("0.00000049999999999999", &us), -ERANGE); /* rounds to 0 */
	assert_int_equal(parse_duration("86401", &us), -ERANGE);
	assert_int_equal(parse_duration("99999999999999999999999", &us), -ERANGE);
}

static void test_hex(void **state)
{
	uint8_t out[4];
	size_t n = 99;

	(void)state;
	assert_int_equal(parse_hex("", out, sizeof(out), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse_hex("00fF7a", out, sizeof(out), &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "\x00\xff\x7a", 3);
	assert_int_equal(parse_hex("de:ad be-ef", out, sizeof(out), &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	assert_int_equal(parse_hex("0102030405", out, sizeof(out), &n), -ERANGE);
	assert_int_equal(parse_hex("abc", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(parse_hex("zz", out, sizeof(out), &n), -EINVAL);
	assert_int_equal(parse_hex("a b", out, sizeof(out), &n), -EINVAL);
}

static void test_proc_udp_port(void **state)
{
	uint16_t port = 7;

	(void)state;
	/* The kernel's own lines, IPv4 and IPv6 (port 0x1E61 = 7777, 0x0007 = 7). */
	assert_int_equal(
		parse_proc_udp_port("  482: 0100007F:1E61 00000000:0000 07 00000000:00000000"
				    " 00:00000000 00000000     0        0 31337 2 0000 0\n",
				    &port),
		0);
	assert_int_equal(port, 7777);
	assert_int_equal(parse_proc_udp_port("   12: 00000000000000000000000000000000:0007 "
					     "00000000000000000000000000000000:0000 07 ...",
					     &port),
			 0);
	assert_int_equal(port, 7);
	assert_int_equal(parse_proc_udp_port("0:0100007f:ffff x", &port), 0);
	assert_int_equal(port, 65535);
	/* Not a socket line: port is left alone. */
	port = 1;
	assert_int_equal(
		parse_proc_udp_port("   sl  local_address rem_address   st tx_queue", &port),
		-EINVAL);
	assert_int_equal(parse_proc_udp_port("", &port), -EINVAL);
	assert_int_equal(parse_proc_udp_port("  1: 0100007F:1E61", &port), -EINVAL); /* no space */
	assert_int_equal(parse_proc_udp_port("  1: 0100007F:1E6 ", &port), -EINVAL); /* 3 digits */
	assert_int_equal(parse_proc_udp_port("  1: 0100007F:1E610 ", &port), -EINVAL); /* 5 */
	assert_int_equal(parse_proc_udp_port("  1: 100007F:1E61 ", &port),
			 -EINVAL); /* 7-digit address */
	assert_int_equal(parse_proc_udp_port("  : 0100007F:1E61 ", &port), -EINVAL); /* no slot */
	assert_int_equal(parse_proc_udp_port("  1 0100007F:1E61 ", &port), -EINVAL);
	assert_int_equal(port, 1);
}

static void test_format_seconds(void **state)
{
	char out[32];

	(void)state;
	parse_format_seconds(out, sizeof(out), 2000000);
	assert_string_equal(out, "2.0");
	parse_format_seconds(out, sizeof(out), 250000);
	assert_string_equal(out, "0.25");
	parse_format_seconds(out, sizeof(out), 1);
	assert_string_equal(out, "0.000001");
	parse_format_seconds(out, sizeof(out), 90500000);
	assert_string_equal(out, "90.5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port),           cmocka_unit_test(test_size),
		cmocka_unit_test(test_duration),       cmocka_unit_test(test_hex),
		cmocka_unit_test(test_format_seconds), cmocka_unit_test(test_proc_udp_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
