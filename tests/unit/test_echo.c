/*
 * test_echo.c: handle_datagram's decisions and invariants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/echo.h"
#include "udpecho/policy.h"

static uint8_t big[ECHO_MAX_PAYLOAD + 2];

static struct echo_peer v4_peer(uint16_t port)
{
	struct echo_peer p = {.family = ECHO_FAMILY_IPV4, .addr = {127, 0, 0, 1}, .port = port};

	return p;
}

static struct echo_peer v6_peer(uint16_t port)
{
	struct echo_peer p = {.family = ECHO_FAMILY_IPV6, .port = port};

	p.addr[15] = 1; /* ::1 */
	return p;
}

static struct echo_peer v4mapped_peer(uint16_t port)
{
	struct echo_peer p = {.family = ECHO_FAMILY_IPV6, .port = port};

	p.addr[10] = 0xff;
	p.addr[11] = 0xff;
	p.addr[12] = 127;
	p.addr[15] = 1;
	return p;
}

/* Runs one datagram through the core and checks the invariants every verdict must keep. */
static enum echo_verdict decide(const struct echo_policy *policy, const struct echo_peer *peer,
				const uint8_t *data, size_t len, struct echo_reply *reply)
{
	struct echo_reply again;
	enum echo_verdict v = handle_datagram(policy, peer, data, len, reply);

	assert_true(reply->len <= len); /* no amplification */
	if (v == ECHO_VERDICT_ECHO) {
		assert_int_equal(reply->len, len);
		assert_ptr_equal(reply->data, data);
	} else {
		assert_int_equal(reply->len, 0);
		assert_null(reply->data);
	}
	/* Pure: the same arguments give the same answer. */
	assert_int_equal(handle_datagram(policy, peer, data, len, &again), v);
	assert_int_equal(again.len, reply->len);
	return v;
}

static void test_classic_message_is_echoed(void **state)
{
	static const char msg[] = "This is the message.  It will be repeated.";
	struct echo_policy policy;
	struct echo_peer peer = v4_peer(57870);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	assert_int_equal(decide(&policy, &peer, (const uint8_t *)msg, 42, &reply),
			 ECHO_VERDICT_ECHO);
	assert_memory_equal(reply.data, msg, 42);
}

static void test_empty_datagram_is_echoed(void **state)
{
	struct echo_policy policy;
	struct echo_peer peer = v4_peer(40000);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	assert_int_equal(decide(&policy, &peer, NULL, 0, &reply), ECHO_VERDICT_ECHO);
	assert_int_equal(reply.len, 0);
}

static void test_boundaries_ipv4(void **state)
{
	static const size_t ok[] = {0, 1, 4096, 4097, 8192, 8193, ECHO_MAX_PAYLOAD_V4};
	struct echo_policy policy;
	struct echo_peer peer = v4_peer(40000);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(decide(&policy, &peer, big, ok[i], &reply), ECHO_VERDICT_ECHO);
	assert_int_equal(decide(&policy, &peer, big, ECHO_MAX_PAYLOAD_V4 + 1, &reply),
			 ECHO_DROP_TOO_BIG);
}

static void test_boundaries_ipv6(void **state)
{
	struct echo_policy policy;
	struct echo_peer peer = v6_peer(40000);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	assert_int_equal(decide(&policy, &peer, big, 0, &reply), ECHO_VERDICT_ECHO);
	assert_int_equal(decide(&policy, &peer, big, 1, &reply), ECHO_VERDICT_ECHO);
	assert_int_equal(decide(&policy, &peer, big, ECHO_MAX_PAYLOAD_V4 + 1, &reply),
			 ECHO_VERDICT_ECHO);
	assert_int_equal(decide(&policy, &peer, big, ECHO_MAX_PAYLOAD_V6, &reply),
			 ECHO_VERDICT_ECHO);
	assert_int_equal(decide(&policy, &peer, big, ECHO_MAX_PAYLOAD_V6 + 1, &reply),
			 ECHO_DROP_TOO_BIG);
}

static void test_v4mapped_peer_has_ipv4_limit(void **state)
{
	struct echo_policy policy;
	struct echo_peer peer = v4mapped_peer(40000);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	assert_true(echo_peer_is_v4mapped(&peer));
	assert_int_equal(echo_family_max(&peer), ECHO_MAX_PAYLOAD_V4);
	assert_int_equal(decide(&policy, &peer, big, ECHO_MAX_PAYLOAD_V4, &reply),
			 ECHO_VERDICT_ECHO);
	assert_int_equal(decide(&policy, &peer, big, ECHO_MAX_PAYLOAD_V4 + 1, &reply),
			 ECHO_DROP_TOO_BIG);
}

static void test_max_size_drops_larger_never_truncates(void **state)
{
	struct echo_policy policy;
	struct echo_peer peer = v6_peer(40000);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	policy.max_size = 100;
	assert_int_equal(decide(&policy, &peer, big, 100, &reply), ECHO_VERDICT_ECHO);
	assert_int_equal(decide(&policy, &peer, big, 101, &reply), ECHO_DROP_TOO_BIG);
	policy.max_size = 0;
	assert_int_equal(decide(&policy, &peer, big, 0, &reply), ECHO_VERDICT_ECHO);
	assert_int_equal(decide(&policy, &peer, big, 1, &reply), ECHO_DROP_TOO_BIG);
}

static void test_max_size_above_family_max_is_capped(void **state)
{
	struct echo_policy policy;
	struct echo_peer peer = v4_peer(40000);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	policy.max_size = ECHO_MAX_PAYLOAD_V6;
	assert_int_equal(decide(&policy, &peer, big, ECHO_MAX_PAYLOAD_V4 + 1, &reply),
			 ECHO_DROP_TOO_BIG);
}

static void test_loop_ports_are_dropped_by_default(void **state)
{
	static const uint16_t denied[] = {0, 7, 13, 17, 19, 37};
	static const uint16_t allowed[] = {1, 6, 8, 18, 20, 53, 1024, 10000, 65535};
	struct echo_policy policy;
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		struct echo_peer peer = v4_peer(denied[i]);

		assert_int_equal(decide(&policy, &peer, big, 10, &reply), ECHO_DROP_DENIED_PORT);
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		struct echo_peer peer = v6_peer(allowed[i]);

		assert_int_equal(decide(&policy, &peer, big, 10, &reply), ECHO_VERDICT_ECHO);
	}
}

/* The server's own port joins the deny list whatever --deny-ports said. */
static void test_own_port_is_denied(void **state)
{
	struct echo_policy policy;
	struct echo_peer own = v4_peer(10000), next = v4_peer(10001);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	assert_int_equal(policy_set_deny_ports(&policy, "none"), 0);
	policy_deny_port(&policy, 10000);
	assert_int_equal(decide(&policy, &own, big, 10, &reply), ECHO_DROP_DENIED_PORT);
	assert_int_equal(decide(&policy, &next, big, 10, &reply), ECHO_VERDICT_ECHO);
}

/* A request to a broadcast or multicast group is never answered, whoever sent it. */
static void test_group_requests_are_dropped(void **state)
{
	struct echo_policy policy;
	struct echo_peer v4 = v4_peer(40000), v6 = v6_peer(40000);
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	v4.arrival_group = v6.arrival_group = 1;
	assert_int_equal(decide(&policy, &v4, big, 0, &reply), ECHO_DROP_NOT_UNICAST);
	assert_int_equal(decide(&policy, &v6, big, 42, &reply), ECHO_DROP_NOT_UNICAST);
	assert_string_equal(echo_verdict_name(ECHO_DROP_NOT_UNICAST), "not_unicast");
	v4.arrival_group = 0;
	assert_int_equal(decide(&policy, &v4, big, 42, &reply), ECHO_VERDICT_ECHO);
}

static void test_peer_without_family_is_dropped(void **state)
{
	struct echo_policy policy;
	struct echo_peer peer = {.family = ECHO_FAMILY_NONE, .port = 40000};
	struct echo_reply reply;

	(void)state;
	policy_init(&policy);
	assert_int_equal(decide(&policy, &peer, big, 10, &reply), ECHO_DROP_BAD_PEER);
	assert_int_equal(echo_family_max(&peer), 0);
}

static void test_verdict_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(echo_verdict_name(ECHO_VERDICT_ECHO), "echo");
	assert_string_equal(echo_verdict_name(ECHO_DROP_TOO_BIG), "too_big");
	assert_string_equal(echo_verdict_name(ECHO_DROP_DENIED_PORT), "denied_port");
	assert_string_equal(echo_verdict_name(ECHO_DROP_BAD_PEER), "bad_peer");
	assert_string_equal(echo_verdict_name(ECHO_VERDICT_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic_message_is_echoed),
		cmocka_unit_test(test_own_port_is_denied),
		cmocka_unit_test(test_group_requests_are_dropped),
		cmocka_unit_test(test_empty_datagram_is_echoed),
		cmocka_unit_test(test_boundaries_ipv4),
		cmocka_unit_test(test_boundaries_ipv6),
		cmocka_unit_test(test_v4mapped_peer_has_ipv4_limit),
		cmocka_unit_test(test_max_size_drops_larger_never_truncates),
		cmocka_unit_test(test_max_size_above_family_max_is_capped),
		cmocka_unit_test(test_loop_ports_are_dropped_by_default),
		cmocka_unit_test(test_peer_without_family_is_dropped),
		cmocka_unit_test(test_verdict_names_are_stable),
	};

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
