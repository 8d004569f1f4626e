/*
 * test_addr.c: peers printed as Python prints them (tests/golden/addr.tsv),
 * IPv6 text checked against the C library's inet_ntop.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/addr.h"

/* Builds the peer a golden row describes: "('::1', 54228, 0, 3)". */
static void peer_from_row(const char *family, const char *tuple, struct echo_peer *peer)
{
	const char *q = strchr(tuple + 2, '\'');
	char host[64], *end;

	memset(peer, 0, sizeof(*peer));
	if (strncmp(tuple, "('", 2) != 0 || q == NULL || q - tuple - 2 >= 64) {
		fail_msg("not an address tuple: %s", tuple);
		return;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(q - tuple - 2), tuple + 2);
	assert_true(strncmp(q, "', ", 3) == 0);
	peer->port = (uint16_t)strtoul(q + 3, &end, 10);
	if (strcmp(family, "AF_INET") == 0) {
		peer->family = ECHO_FAMILY_IPV4;
		assert_int_equal(inet_pton(AF_INET, host, peer->addr), 1);
		return;
	}
	peer->family = ECHO_FAMILY_IPV6;
	assert_int_equal(inet_pton(AF_INET6, host, peer->addr), 1);
	assert_true(strncmp(end, ", ", 2) == 0);
	peer->flowinfo = (uint32_t)strtoul(end + 2, &end, 10);
	assert_true(strncmp(end, ", ", 2) == 0);
	peer->scope_id = (uint32_t)strtoul(end + 2, &end, 10);
	assert_string_equal(end, ")");
}

static void test_matches_python_golden_table(void **state)
{
	FILE *f = fopen(UDPECHO_GOLDEN_DIR "/addr.tsv", "r");
	char line[256];
	int rows = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tab = strchr(line, '\t');
		struct echo_peer peer;
		char out[ADDR_STR_MAX];

		if (line[0] == '#' || tab == NULL)
			continue;
		*tab = '\0';
		tab[strcspn(tab + 1, "\n") + 1] = '\0';
		peer_from_row(line, tab + 1, &peer);
		addr_format_python(out, sizeof(out), &peer);
		assert_string_equal(out, tab + 1);
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, 5);
}

static void check_v6_like_inet_ntop(const uint8_t a[16])
{
	struct echo_peer peer = {.family = ECHO_FAMILY_IPV6};
	char want[INET6_ADDRSTRLEN], got[ADDR_STR_MAX];

	memcpy(peer.addr, a, 16);
	assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
	addr_format_host(got, sizeof(got), &peer);
	assert_string_equal(got, want);
}

static uint32_t next_random(void)
{
	static uint32_t state = 862;

	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}

static void test_ipv6_text_equals_inet_ntop(void **state)
{
	uint8_t a[16];

	(void)state;
	/* Every pattern of zero and non-zero words: all the compression cases. */
	for (unsigned mask = 0; mask < 256; mask++) {
		for (size_t w = 0; w < 8; w++) {
			unsigned word = (mask >> w) & 1u ? 0x100u * (unsigned)w + 1 : 0;

			a[2 * w] = (uint8_t)(word >> 8);
			a[2 * w + 1] = (uint8_t)word;
		}
		check_v6_like_inet_ntop(a);
		/* The same with ffff in word 5: the v4-mapped form. */
		a[10] = 0xff;
		a[11] = 0xff;
		check_v6_like_inet_ntop(a);
	}
	/* A fixed xorshift sequence: the same 20,000 addresses, a third of their bytes non-zero. */
	for (int i = 0; i < 20000; i++) {
		for (int b = 0; b < 16; b++) {
			uint32_t x = next_random();

			a[b] = x % 3 == 0 ? (uint8_t)(x >> 8) : 0;
		}
		check_v6_like_inet_ntop(a);
	}
}

static void test_hostport_forms(void **state)
{
	struct echo_peer v4 = {.family = ECHO_FAMILY_IPV4, .addr = {127, 0, 0, 2}, .port = 7};
	struct echo_peer v6 = {.family = ECHO_FAMILY_IPV6, .port = 10000};
	struct echo_peer ll = {.family = ECHO_FAMILY_IPV6, .port = 7, .scope_id = 3};
	char out[ADDR_STR_MAX];

	(void)state;
	v6.addr[15] = 1;
	ll.addr[0] = 0xfe;
	ll.addr[1] = 0x80;
	ll.addr[15] = 2;
	addr_format_hostport(out, sizeof(out), &v4);
	assert_string_equal(out, "127.0.0.2:7");
	addr_format_hostport(out, sizeof(out), &v6);
	assert_string_equal(out, "[::1]:10000");
	addr_format_hostport(out, sizeof(out), &ll);
	assert_string_equal(out, "[fe80::2%3]:7");
}

static void test_peer_equality_ignores_flow_and_scope(void **state)
{
	struct echo_peer a = {.family = ECHO_FAMILY_IPV6, .port = 7};
	struct echo_peer b = a;

	(void)state;
	b.flowinfo = 5;
	assert_true(addr_peer_equal(&a, &b));
	b.port = 8;
	assert_false(addr_peer_equal(&a, &b));
	b = a;
	b.addr[15] = 1;
	assert_false(addr_peer_equal(&a, &b));
	b = a;
	b.family = ECHO_FAMILY_IPV4;
	assert_false(addr_peer_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_python_golden_table),
		cmocka_unit_test(test_ipv6_text_equals_inet_ntop),
		cmocka_unit_test(test_hostport_forms),
		cmocka_unit_test(test_peer_equality_ignores_flow_and_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
