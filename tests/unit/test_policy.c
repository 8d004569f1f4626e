/*
 * test_policy.c: the deny-port list and policy defaults.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_none_empties_the_list),
		cmocka_unit_test(test_list_with_ranges_replaces_defaults),
		cmocka_unit_test(test_long_items_with_leading_zeros),
		cmocka_unit_test(test_bad_lists_leave_policy_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
