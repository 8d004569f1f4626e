/*
 * test_check.c: the pure parts of `udpecho check`: catalogue, --only lists,
 * reply classification and its words, tags, bisection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/check.h"

static void test_catalogue_holds_the_design_ids_in_order(void **state)
{
	static const char *const ids[] = {
		"echo.basic",           "echo.empty",   "echo.bytes",       "echo.sizes",
		"reply.source",         "reply.once",   "burst.boundaries", "clients.isolation",
		"safety.amplification", "burst.loss",   "safety.loop",      "latency",
		"echoplus.fields",      "clients.many", "server.alive"};
	static const enum check_level levels[] = {CHECK_MUST, CHECK_MUST,   CHECK_MUST, CHECK_MUST,
						  CHECK_MUST, CHECK_MUST,   CHECK_MUST, CHECK_MUST,
						  CHECK_MUST, CHECK_SHOULD, CHECK_INFO, CHECK_INFO,
						  CHECK_INFO, CHECK_MUST,   CHECK_MUST};

	(void)state;
	assert_int_equal(CHECK_COUNT, 15);
	for (int i = 0; i < CHECK_COUNT; i++) {
		const struct check_info *c = check_info((enum check_id)i);

		assert_string_equal(c->name, ids[i]);
		assert_int_equal(c->level, levels[i]);
		assert_ptr_equal(check_find(ids[i]), c);
	}
	assert_null(check_find("echo"));
	assert_null(check_info(CHECK_COUNT));
	assert_string_equal(check_level_name(CHECK_SHOULD), "SHOULD");
	assert_string_equal(check_status_name(CHECK_WARN), "WARN");
	assert_string_equal(check_status_name(CHECK_INCONCLUSIVE), "INCONCLUSIVE");
}

static void test_only_lists(void **state)
{
	unsigned char sel[CHECK_COUNT];
	char bad[72];

	(void)state;
	assert_int_equal(check_parse_only("echo.sizes", sel, bad, sizeof(bad)), 0);
	for (int i = 0; i < CHECK_COUNT; i++)
		assert_int_equal(sel[i], i == CHECK_ECHO_SIZES);
	assert_int_equal(check_parse_only("echo.*,latency", sel, bad, sizeof(bad)), 0);
	assert_true(sel[CHECK_ECHO_BASIC] && sel[CHECK_ECHO_EMPTY] && sel[CHECK_ECHO_BYTES] &&
		    sel[CHECK_ECHO_SIZES] && sel[CHECK_LATENCY]);
	assert_false(sel[CHECK_REPLY_ONCE]);
	assert_int_equal(check_parse_only("echo.basic,nope", sel, bad, sizeof(bad)), -1);
	assert_string_equal(bad, "nope");
	assert_int_equal(check_parse_only("echo.basic,", sel, bad, sizeof(bad)), -1);
	assert_string_equal(bad, "");
	assert_int_equal(check_parse_only("echo", sel, bad, sizeof(bad)), -1);
	assert_int_equal(check_parse_only("*", sel, bad, sizeof(bad)), -1);
	assert_int_equal(check_parse_only("nothing.*", sel, bad, sizeof(bad)), -1);
}

static void test_classify(void **state)
{
	const uint8_t req[] = "abcdef";
	struct check_match m;

	(void)state;
	m = check_classify(req, 6, (const uint8_t *)"abcdef", 6);
	assert_int_equal(m.kind, CHECK_MATCH_EXACT);
	m = check_classify(req, 6, (const uint8_t *)"abcd", 4);
	assert_int_equal(m.kind, CHECK_MATCH_TRUNCATED);
	assert_int_equal(m.at, 4);
	m = check_classify(req, 6, (const uint8_t *)"abcdefgh", 8);
	assert_int_equal(m.kind, CHECK_MATCH_EXTENDED);
	assert_int_equal(m.at, 6);
	m = check_classify(req, 6, (const uint8_t *)"abXdef", 6);
	assert_int_equal(m.kind, CHECK_MATCH_DIFFERS);
	assert_int_equal(m.at, 2);
	m = check_classify(req, 6, (const uint8_t *)"abX", 3);
	assert_int_equal(m.kind, CHECK_MATCH_DIFFERS);
	m = check_classify(NULL, 0, NULL, 0);
	assert_int_equal(m.kind, CHECK_MATCH_EXACT);
	m = check_classify(req, 6, NULL, 0);
	assert_int_equal(m.kind, CHECK_MATCH_TRUNCATED);
	assert_int_equal(m.at, 0);
}

static void expect_words(const uint8_t *req, size_t req_len, const uint8_t *rep, size_t rep_len,
			 const char *want)
{
	char out[320];

	check_describe(out, sizeof(out), req, req_len, rep, rep_len);
	assert_string_equal(out, want);
}

static void test_describe_in_words(void **state)
{
	static uint8_t big[4097], other[4097];
	const uint8_t nul[] = {'a', 'b', 0, 'c'};

	(void)state;
	memset(big, 'x', sizeof(big));
	memcpy(other, big, sizeof(big));
	expect_words(big, 4097, big, 4096,
		     "truncates to 4096 bytes (sent 4097, got the first 4096)");
	expect_words(nul, 4, nul, 2, "stops at the first NUL byte (sent 4, got the first 2)");
	expect_words(nul, 4, nul, 1, "truncates to 1 byte (sent 4, got the first 1)");
	expect_words((const uint8_t *)"hi\r\n", 2, (const uint8_t *)"hi\r\n", 4,
		     "2 bytes longer than the 2 sent");
	other[3000] = 'y';
	expect_words(big, 4097, other, 4097, "altered at byte 3000 of 4097 (sent 0x78, got 0x79)");
	expect_words(big, 4097, other, 3500,
		     "altered at byte 3000 (sent 0x78, got 0x79); 4097 bytes sent, 3500 came back");
	expect_words(big, 42, big, 42, "exact (42 bytes)");
}

static void test_tags_round_trip_without_nul(void **state)
{
	uint8_t buf[600];
	struct check_tag in = {check_run_id(0x00ff0000u), 16383, 2, 0xfffffffu}, out;

	(void)state;
	for (size_t i = 0; i < 4; i++)
		assert_int_not_equal((check_run_id(0) >> (8 * i)) & 0xff, 0);
	check_payload(buf, sizeof(buf), &in);
	assert_null(memchr(buf, 0, sizeof(buf)));
	assert_int_equal(check_tag_read(buf, sizeof(buf), &out), 0);
	assert_int_equal(out.run, in.run);
	assert_int_equal(out.stream, in.stream);
	assert_int_equal(out.attempt, in.attempt);
	assert_int_equal(out.seq, in.seq);
	assert_int_equal(check_tag_read(buf, CHECK_TAG_LEN - 1, &out), -1);
}

static void test_payload_depends_on_tag_not_attempt(void **state)
{
	uint8_t a[200], b[200], c[200];
	struct check_tag t = {check_run_id(7), 3, 0, 9};

	(void)state;
	check_payload(a, sizeof(a), &t);
	t.attempt = 1;
	check_payload(b, sizeof(b), &t);
	t.seq = 10;
	check_payload(c, sizeof(c), &t);
	assert_memory_equal(a + CHECK_TAG_LEN, b + CHECK_TAG_LEN, sizeof(a) - CHECK_TAG_LEN);
	assert_memory_not_equal(a + CHECK_TAG_LEN, c + CHECK_TAG_LEN, sizeof(a) - CHECK_TAG_LEN);
}

static void test_altered_tag_is_not_read_as_another_request(void **state)
{
	uint8_t buf[64];
	struct check_tag t = {check_run_id(1), 5, 0, 77}, out;

	(void)state;
	for (size_t i = 0; i < CHECK_TAG_LEN; i++) {
		for (int bit = 0; bit < 8; bit++) {
			check_payload(buf, sizeof(buf), &t);
			buf[i] ^= (uint8_t)(1u << bit);
			if (check_tag_read(buf, sizeof(buf), &out) == 0)
				fail_msg("flipping bit %d of byte %zu still reads as a tag", bit,
					 i);
		}
	}
}

/* Found by fuzz_check: a run byte zeroed in transit read back as a tag of another run. */
static void test_tag_with_a_nul_is_not_a_tag(void **state)
{
	uint8_t buf[32];
	struct check_tag t = {check_run_id(0xffffffffu), 16383, 16383, 0xfffffffu}, out;

	(void)state;
	check_payload(buf, sizeof(buf), &t);
	assert_int_equal(check_tag_read(buf, sizeof(buf), &out), 0);
	buf[7] = 0;
	assert_int_equal(check_tag_read(buf, sizeof(buf), &out), -1);
}

static void test_bisection_finds_the_boundary(void **state)
{
	(void)state;
	/* Every boundary between 4096 and 8193 is found exactly, in at most 13 probes. */
	for (size_t edge = 4096; edge < 8193; edge += 97) {
		struct check_bisect b = {4096, 8193};
		size_t next;
		int probes = 0;

		while ((next = check_bisect_next(&b)) != 0) {
			check_bisect_update(&b, next, next <= edge);
			probes++;
		}
		assert_int_equal(b.good, edge);
		assert_int_equal(b.bad, edge + 1);
		assert_true(probes <= 13);
	}
}

static void test_bisection_edges(void **state)
{
	struct check_bisect b = {4096, 4097};

	(void)state;
	assert_int_equal(check_bisect_next(&b), 0);
	b = (struct check_bisect){0, 1};
	assert_int_equal(check_bisect_next(&b), 0);
	b = (struct check_bisect){0, 65507};
	assert_int_equal(check_bisect_next(&b), 32753);
	check_bisect_update(&b, 32753, 0);
	assert_int_equal(b.bad, 32753);
	check_bisect_update(&b, 40000, 0); /* a worse bad size changes nothing */
	assert_int_equal(b.bad, 32753);
}

/* Retries double their wait, as TCP's timer does, up to 60 s each: every run ends. */
static void test_waits_double_up_to_a_minute(void **state)
{
	(void)state;
	assert_int_equal(check_next_wait(250000), 500000);
	assert_int_equal(check_next_wait(29999999), 59999998);
	assert_int_equal(check_next_wait(30000000), CHECK_MAX_WAIT_US);
	assert_int_equal(check_next_wait(CHECK_MAX_WAIT_US), CHECK_MAX_WAIT_US);
	/* The defaults: 250 ms, 3 tries: 0.25 + 0.5 + 1 s. */
	assert_int_equal(check_full_wait(250000, 3), 1750000);
	assert_int_equal(check_full_wait(1000, 1), 1000);
	/* 20 s, 3 tries: 20 + 40 + 60 (not 80) s. */
	assert_int_equal(check_full_wait(20000000, 3), 120000000);
	/* The largest settings: ten minutes, not seventeen hours (60 s x 1023). */
	assert_int_equal(check_full_wait(CHECK_MAX_WAIT_US, 10), 600000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue_holds_the_design_ids_in_order),
		cmocka_unit_test(test_only_lists),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_describe_in_words),
		cmocka_unit_test(test_tags_round_trip_without_nul),
		cmocka_unit_test(test_payload_depends_on_tag_not_attempt),
		cmocka_unit_test(test_altered_tag_is_not_read_as_another_request),
		cmocka_unit_test(test_tag_with_a_nul_is_not_a_tag),
		cmocka_unit_test(test_bisection_finds_the_boundary),
		cmocka_unit_test(test_bisection_edges),
		cmocka_unit_test(test_waits_double_up_to_a_minute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
