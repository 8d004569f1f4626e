/*
 * test_policy.c: the deny-port list and policy defaults.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/parse.h"
#include "udpecho/policy.h"

static int denied_count(const struct echo_policy *policy)
{
	int n = 0;

	for (uint32_t port = 0; port < POLICY_PORT_COUNT; port++)
		n += policy_port_denied(policy, (uint16_t)port);
	return n;
}

static void test_defaults(void **state)
{
	struct echo_policy policy;

	(void)state;
	policy_init(&policy);
	assert_true(policy.max_size == POLICY_MAX_SIZE_FAMILY);
	assert_int_equal(denied_count(&policy), 6);
	assert_true(policy_port_denied(&policy, 0));
	assert_true(policy_port_denied(&policy, 7));
	assert_true(policy_port_denied(&policy, 13));
	assert_true(policy_port_denied(&policy, 17));
	assert_true(policy_port_denied(&policy, 19));
	assert_true(policy_port_denied(&policy, 37));
}

static void test_none_empties_the_list(void **state)
{
	struct echo_policy policy;

	(void)state;
	policy_init(&policy);
	assert_int_equal(policy_set_deny_ports(&policy, "none"), 0);
	assert_int_equal(denied_count(&policy), 0);
}

static void test_list_with_ranges_replaces_defaults(void **state)
{
	struct echo_policy policy;

	(void)state;
	policy_init(&policy);
	assert_int_equal(policy_set_deny_ports(&policy, "1-3,100,65530-65535"), 0);
	assert_int_equal(denied_count(&policy), 3 + 1 + 6);
	assert_false(policy_port_denied(&policy, 7));
	assert_true(policy_port_denied(&policy, 2));
	assert_true(policy_port_denied(&policy, 65535));
}

/* Found by fuzz_policy: an item of any length that is a port is a port. */
static void test_long_items_with_leading_zeros(void **state)
{
	struct echo_policy policy;

	(void)state;
	policy_init(&policy);
	assert_int_equal(
		policy_set_deny_ports(&policy, "0000000000000007,00000000019-000000000020"), 0);
	assert_int_equal(denied_count(&policy), 3);
	assert_true(policy_port_denied(&policy, 7));
	assert_true(policy_port_denied(&policy, 20));
}

static void test_bad_lists_leave_policy_unchanged(void **state)
{
	static const char *bad[] = {"",
				    ",",
				    "7,",
				    ",7",
				    "7,,8",
				    "a",
				    "-",
				    "5-",
				    "-5",
				    "9-8",
				    "65536",
				    "1-65536",
				    "7 ,8",
				    "+7",
				    "none,7",
				    "7-8-9",
				    "99999999999999999999"};
	struct echo_policy policy, before;

	(void)state;
	policy_init(&policy);
	before = policy;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = policy_set_deny_ports(&policy, bad[i]);

		if (rc == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(rc == -EINVAL || rc == -ERANGE);
		assert_memory_equal(&policy, &before, sizeof(policy));
	}
}

static struct echo_peer v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct echo_peer p = {.family = ECHO_FAMILY_IPV4, .addr = {a, b, c, d}, .port = 40000};

	return p;
}

static struct echo_peer v6(const char *hex16)
{
	struct echo_peer p = {.family = ECHO_FAMILY_IPV6, .port = 40000};
	size_t n = 0;

	assert_int_equal(parse_hex(hex16, p.addr, 16, &n), 0);
	assert_int_equal(n, 16);
	return p;
}

/* What --bind refuses and a request may not be sent to: groups, not the wildcard. */
static void test_group_addresses(void **state)
{
	const struct echo_peer groups[] = {
		v4(224, 0, 0, 1),
		v4(239, 255, 255, 255),
		v4(255, 255, 255, 255),
		v6("ff020000000000000000000000000001"),
		v6("00000000000000000000ffffe0000001"), /* ::ffff:224.0.0.1 */
	};
	const struct echo_peer unicast[] = {
		v4(0, 0, 0, 0),
		v4(127, 0, 0, 1),
		v4(223, 255, 255, 255),
		v4(198, 18, 1, 255), /* a subnet broadcast: only the kernel's routing knows */
		v6("00000000000000000000000000000000"),
		v6("fd000000000000000000000000000001"),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		assert_true(policy_group_address(&groups[i]));
	for (size_t i = 0; i < sizeof(unicast) / sizeof(unicast[0]); i++)
		assert_false(policy_group_address(&unicast[i]));
}

static void test_sources_no_real_sender_has(void **state)
{
	struct echo_policy policy;
	const uint8_t subnet_broadcast[4] = {198, 18, 1, 255};
	struct echo_peer bad[] = {
		v4(0, 0, 0, 0),
		v4(0, 1, 2, 3),
		v4(224, 0, 0, 1),
		v4(239, 255, 255, 255),
		v4(255, 255, 255, 255),
		v4(198, 18, 1, 255),
		v6("00000000000000000000000000000000"), /* :: */
		v6("000000000000000000000000c6120102"), /* ::198.18.1.2, IPv4-compatible */
		v6("ff020000000000000000000000000001"), /* multicast */
		v6("00000000000000000000ffffe0000001"), /* ::ffff:224.0.0.1 */
		v6("00000000000000000000ffff00000000"), /* ::ffff:0.0.0.0 */
	};
	struct echo_peer good[] = {
		v4(127, 0, 0, 1),
		v4(198, 18, 1, 2),
		v4(223, 255, 255, 255),
		v4(240, 0, 0, 1),
		v6("00000000000000000000000000000001"), /* ::1 */
		v6("fd000000000000000000000000000001"),
		v6("fe800000000000000000000000000002"),
		v6("00000000000000000000ffff7f000001"), /* ::ffff:127.0.0.1 */
	};

	(void)state;
	policy_init(&policy);
	assert_int_equal(policy_add_broadcast(&policy, subnet_broadcast), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!policy_source_bad(&policy, &bad[i]))
			fail_msg("bad source %zu was accepted", i);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (policy_source_bad(&policy, &good[i]))
			fail_msg("good source %zu was refused", i);
	}
}

static void test_mapped_source_in_an_ipv6_packet_is_forged(void **state)
{
	struct echo_policy policy;
	struct echo_peer p = v6("00000000000000000000ffffc6120102");

	(void)state;
	policy_init(&policy);
	assert_false(policy_source_bad(&policy, &p)); /* an IPv4 client of a dual-stack socket */
	p.arrival_known = 1;
	assert_false(policy_source_bad(&policy, &p)); /* ... that arrived as IPv4 */
	p.arrival_ipv6 = 1;
	assert_true(policy_source_bad(&policy, &p)); /* ... inside an IPv6 packet: forged */
}

static void test_loopback_source_from_elsewhere_is_spoofed(void **state)
{
	struct echo_peer lo4 = v4(127, 1, 2, 3), lo6 = v6("00000000000000000000000000000001");
	struct echo_peer other = v4(198, 18, 1, 2);

	(void)state;
	assert_false(policy_source_spoofed(&lo4)); /* arrival unknown: no judgement */
	lo4.arrival_known = lo6.arrival_known = other.arrival_known = 1;
	assert_true(policy_source_spoofed(&lo4));
	assert_true(policy_source_spoofed(&lo6));
	assert_false(policy_source_spoofed(&other));
	lo4.arrival_loopback = lo6.arrival_loopback = 1;
	assert_false(policy_source_spoofed(&lo4));
	assert_false(policy_source_spoofed(&lo6));
}

static void test_allow_list(void **state)
{
	struct echo_policy policy;
	struct echo_peer in4 = v4(198, 19, 255, 1), out4 = v4(198, 20, 0, 1);
	struct echo_peer in6 = v6("fd00abcd000000000000000000000001");
	struct echo_peer mapped = v6("00000000000000000000ffffc6120001");

	(void)state;
	policy_init(&policy);
	assert_true(policy_source_allowed(&policy, &out4)); /* no list: everyone */
	assert_int_equal(policy_set_allow(&policy, "198.18.0.0/15,fd00::/8"), 0);
	assert_int_equal(policy.nallow, 2);
	assert_true(policy_source_allowed(&policy, &in4));
	assert_false(policy_source_allowed(&policy, &out4));
	assert_true(policy_source_allowed(&policy, &in6));
	assert_true(policy_source_allowed(&policy, &mapped)); /* IPv4 prefix, dual-stack client */
	assert_int_equal(policy_set_allow(&policy, "198.18.0.1"), 0); /* a bare address: /32 */
	assert_int_equal(policy.allow[0].bits, 32);
	assert_int_equal(policy_set_allow(&policy, "none"), 0);
	assert_int_equal(policy.nallow, 0);
}

static void test_bad_allow_lists_leave_policy_unchanged(void **state)
{
	static const char *bad[] = {
		"",      ",", "198.18.0.0/15,", "198.18.0.1/15", "1.2.3.4/33", "::1/129",
		"1.2.3", "x", "1.2.3.4/",       "1.2.3.4/a",     "/8",         "fd00::/8, ::1"};
	struct echo_policy policy, before;
	char many[1024] = "";

	(void)state;
	policy_init(&policy);
	assert_int_equal(policy_set_allow(&policy, "127.0.0.0/8"), 0);
	before = policy;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (policy_set_allow(&policy, bad[i]) != -EINVAL)
			fail_msg("allow list '%s' was not refused as invalid", bad[i]);
		assert_memory_equal(&policy, &before, sizeof(policy));
	}
	for (int i = 0; i < 65; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s10.0.%d.0/24",
			 i ? "," : "", i);
	assert_int_equal(policy_set_allow(&policy, many), -ENOSPC);
	assert_memory_equal(&policy, &before, sizeof(policy));
}

/* 10.0.0.1/8 names an address, not a network: the item and the network it likely means. */
static void test_host_bits_name_the_prefix_meant(void **state)
{
	static const char *const cases[][3] = {
		{"10.0.0.1/8", "10.0.0.1/8", "10.0.0.0/8"},
		{"198.18.0.0/15,198.18.0.1/15", "198.18.0.1/15", "198.18.0.0/15"},
		{"fd00::1/8", "fd00::1/8", "fd00::/8"},
		{"192.168.1.77/0", "192.168.1.77/0", "0.0.0.0/0"},
		{"2001:db8::ffff:1/64", "2001:db8::ffff:1/64", "2001:db8::/64"},
	};
	static const char *const none[] = {"10.0.0.0/8", "x,10.0.0.1/8", "10.0.0.1", "none", ""};
	char item[64], masked[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(policy_allow_host_bits(cases[i][0], item, sizeof(item), masked,
							sizeof(masked)),
				 1);
		assert_string_equal(item, cases[i][1]);
		assert_string_equal(masked, cases[i][2]);
	}
	/* Valid lists, and lists refused first for another reason, have no such prefix. */
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		if (policy_allow_host_bits(none[i], item, sizeof(item), masked, sizeof(masked)))
			fail_msg("'%s' was said to have host bits set", none[i]);
	}
}

static void test_broadcast_list_is_bounded(void **state)
{
	struct echo_policy policy;
	const uint8_t a[4] = {10, 0, 0, 255};

	(void)state;
	policy_init(&policy);
	for (int i = 0; i < POLICY_MAX_BROADCAST; i++)
		assert_int_equal(policy_add_broadcast(&policy, a), 0);
	assert_int_equal(policy_add_broadcast(&policy, a), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_none_empties_the_list),
		cmocka_unit_test(test_list_with_ranges_replaces_defaults),
		cmocka_unit_test(test_long_items_with_leading_zeros),
		cmocka_unit_test(test_bad_lists_leave_policy_unchanged),
		cmocka_unit_test(test_group_addresses),
		cmocka_unit_test(test_sources_no_real_sender_has),
		cmocka_unit_test(test_mapped_source_in_an_ipv6_packet_is_forged),
		cmocka_unit_test(test_loopback_source_from_elsewhere_is_spoofed),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_bad_allow_lists_leave_policy_unchanged),
		cmocka_unit_test(test_host_bits_name_the_prefix_meant),
		cmocka_unit_test(test_broadcast_list_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
