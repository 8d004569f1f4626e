/*
 * test_echoplus.c: the TR-143 UDPEchoPlus codec (Annex A.1.4-A.1.7), the
 * server's rewrite, detection, and the rules check judges replies by.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/echoplus.h"

static uint8_t req[1500], rep[1500];

static void fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
}

/* "six 32-bit fields ... in network byte order", in the order the annex lists them. */
static void test_decode_reads_six_big_endian_fields_in_annex_order(void **state)
{
	static const uint8_t wire[28] = {
		0x00, 0x00, 0x00, 0x01, /* TestGenSN */
		0x00, 0x00, 0x01, 0x02, /* TestRespSN */
		0x01, 0x02, 0x03, 0x04, /* TestRespRecvTimeStamp */
		0xff, 0xfe, 0xfd, 0xfc, /* TestRespReplyTimeStamp */
		0x00, 0x00, 0x00, 0x05, /* TestRespReplyFailureCount */
		0x80, 0x00, 0x00, 0x00, /* TestIterationNumber */
		'd',  'a',  't',  'a',
	};
	struct echoplus_header h;

	(void)state;
	assert_int_equal(echoplus_decode(wire, sizeof(wire), &h), 6);
	assert_int_equal(h.gen_sn, 1);
	assert_int_equal(h.resp_sn, 0x102);
	assert_int_equal(h.recv_ts, 0x01020304);
	assert_int_equal(h.reply_ts, 0xfffefdfcu);
	assert_int_equal(h.failures, 5);
	assert_int_equal(h.iteration, 0x80000000u);
}

/* Older responders know five fields: 20 bytes is a request, 19 is a plain echo request. */
static void test_field_count_follows_the_length(void **state)
{
	struct echoplus_header h;

	(void)state;
	memset(req, 0xaa, sizeof(req));
	assert_int_equal(echoplus_decode(req, 0, &h), 0);
	assert_int_equal(echoplus_decode(req, 19, &h), 0);
	assert_int_equal(h.gen_sn, 0); /* zeroed, not left over */
	assert_int_equal(echoplus_decode(req, 20, &h), 5);
	assert_int_equal(h.failures, 0xaaaaaaaau);
	assert_int_equal(h.iteration, 0);
	assert_int_equal(echoplus_decode(req, 23, &h), 5);
	assert_int_equal(echoplus_decode(req, 24, &h), 6);
	assert_int_equal(h.iteration, 0xaaaaaaaau);
}

static void test_encode_round_trips_and_writes_only_what_fits(void **state)
{
	const struct echoplus_header in = {1, 2, 3, 0xfffffffeu, 5, 0x01020304};
	struct echoplus_header out;

	(void)state;
	memset(req, 0x55, sizeof(req));
	echoplus_encode(req, 19, &in);
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(req[i], 0x55);
	echoplus_encode(req, 22, &in);
	assert_int_equal(echoplus_decode(req, 22, &out), 5);
	assert_int_equal(req[20], 0x55); /* the 6th field does not fit: untouched */
	echoplus_encode(req, 24, &in);
	assert_int_equal(echoplus_decode(req, 24, &out), 6);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(req[24], 0x55);
	assert_int_equal(req[3], 1);
	assert_int_equal(req[12], 0xff);
	assert_int_equal(req[15], 0xfe);
}

/* The server writes fields 2 to 5 and nothing else, at any length from 20 up. */
static void test_rewrite_touches_only_the_server_fields(void **state)
{
	const struct echoplus_stamp s = {0x11121314, 0x21222324, 0x31323334, 0x41424344};
	static const size_t lens[] = {20, 21, 23, 24, 25, 64, 1400, sizeof(req)};

	(void)state;
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k];

		fill(req, sizeof(req));
		memcpy(rep, req, sizeof(rep));
		assert_int_equal(echoplus_rewrite(rep, len, &s), 1);
		for (size_t i = 0; i < sizeof(rep); i++) {
			if (i >= ECHOPLUS_REWRITE_OFF && i < ECHOPLUS_REWRITE_END)
				assert_int_equal(rep[i], 0x11 + 0x10 * ((i - 4) / 4) + (i % 4));
			else
				assert_int_equal(rep[i], req[i]);
		}
	}
	fill(req, sizeof(req));
	memcpy(rep, req, sizeof(rep));
	for (size_t len = 0; len < ECHOPLUS_MIN_LEN; len++)
		assert_int_equal(echoplus_rewrite(rep, len, &s), 0);
	assert_memory_equal(req, rep, sizeof(req));
}

/* "a 32-bit counter of microseconds ... that wraps". */
static void test_clock_counts_microseconds_and_wraps(void **state)
{
	const uint64_t start = 123456789;

	(void)state;
	assert_int_equal(echoplus_clock(start, start), 0);
	assert_int_equal(echoplus_clock(start + 1500, start), 1500);
	assert_int_equal(echoplus_clock(start + UINT64_C(0xffffffff), start), 0xffffffffu);
	assert_int_equal(echoplus_clock(start + UINT64_C(0x100000005), start), 5);
}

static void test_detect(void **state)
{
	const struct echoplus_stamp s = {0, 17, 19, 0};
	const struct echoplus_stamp zero = {0, 0, 0, 0};

	(void)state;
	fill(req, 64);
	memset(req + 4, 0, 16);
	memcpy(rep, req, 64);
	assert_false(echoplus_detect(req, 64, rep, 64)); /* a plain echo */
	echoplus_rewrite(rep, 64, &s);
	assert_true(echoplus_detect(req, 64, rep, 64));
	assert_true(echoplus_differs_only_in_fields(req, 64, rep, 64));
	assert_false(echoplus_detect(req, 64, rep, 63)); /* lengths differ */
	rep[40] ^= 1;
	assert_false(echoplus_detect(req, 64, rep, 64)); /* data altered too */
	assert_false(echoplus_differs_only_in_fields(req, 64, rep, 64));
	rep[40] ^= 1;
	rep[0] ^= 1;
	assert_false(echoplus_detect(req, 64, rep, 64)); /* TestGenSN altered */
	rep[0] ^= 1;
	/* A request that did not carry zeros proves nothing. */
	memcpy(req + 4, rep + 4, 16);
	assert_false(echoplus_detect(req, 64, rep, 64));
	/* Under 20 bytes nothing is UDPEchoPlus. */
	fill(req, 19);
	memcpy(rep, req, 19);
	assert_false(echoplus_detect(req, 19, rep, 19));
	fill(req, 20);
	memset(req + 4, 0, 16);
	memcpy(rep, req, 20);
	echoplus_rewrite(rep, 20, &zero);
	assert_false(echoplus_detect(req, 20, rep, 20));
	echoplus_rewrite(rep, 20, &s);
	assert_true(echoplus_detect(req, 20, rep, 20));
}

/* An echo that corrupts the sequence number or the failure count is no responder: no stamps. */
static void test_detect_wants_a_time_stamp(void **state)
{
	const struct echoplus_stamp counts_only = {7, 0, 0, 3};
	const struct echoplus_stamp reply_only = {0, 0, 5, 0};

	(void)state;
	fill(req, 64);
	memset(req + 4, 0, 16);
	memcpy(rep, req, 64);
	rep[17] ^= 0x20; /* a bit flipped in TestRespReplyFailureCount */
	assert_false(echoplus_detect(req, 64, rep, 64));
	assert_true(echoplus_differs_only_in_fields(req, 64, rep, 64));
	memcpy(rep, req, 64);
	echoplus_rewrite(rep, 64, &counts_only);
	assert_false(echoplus_detect(req, 64, rep, 64));
	echoplus_rewrite(rep, 64, &reply_only);
	assert_true(echoplus_detect(req, 64, rep, 64));
}

static void make_pair(size_t len, uint32_t recv_ts, uint32_t reply_ts)
{
	const struct echoplus_stamp s = {9, recv_ts, reply_ts, 0};

	fill(req, len);
	memset(req + 4, 0, 16);
	memcpy(rep, req, len);
	echoplus_rewrite(rep, len, &s);
}

static void test_check_reply_names_the_field(void **state)
{
	size_t at;

	(void)state;
	make_pair(64, 100, 150);
	assert_int_equal(echoplus_check_reply(req, 64, rep, 64, &at), ECHOPLUS_OK);
	assert_int_equal(echoplus_check_reply(req, 64, rep, 60, &at), ECHOPLUS_FAULT_LENGTH);
	assert_int_equal(at, 60);
	rep[2] ^= 0x80;
	assert_int_equal(echoplus_check_reply(req, 64, rep, 64, &at), ECHOPLUS_FAULT_GEN_SN);
	rep[2] ^= 0x80;
	rep[21] ^= 1;
	assert_int_equal(echoplus_check_reply(req, 64, rep, 64, &at), ECHOPLUS_FAULT_ITERATION);
	rep[21] ^= 1;
	rep[63] ^= 1;
	assert_int_equal(echoplus_check_reply(req, 64, rep, 64, &at), ECHOPLUS_FAULT_DATA);
	assert_int_equal(at, 63);
	/* Five fields: bytes 20..23 are data, and an altered byte there is data. */
	make_pair(22, 100, 150);
	rep[21] ^= 1;
	assert_int_equal(echoplus_check_reply(req, 22, rep, 22, &at), ECHOPLUS_FAULT_DATA);
	assert_int_equal(at, 21);
	/* The reply stamp is never before the receive stamp, modulo the wrap. */
	make_pair(24, 150, 100);
	assert_int_equal(echoplus_check_reply(req, 24, rep, 24, &at), ECHOPLUS_FAULT_STAMPS);
	make_pair(24, 0xfffffff0u, 0x10);
	assert_int_equal(echoplus_check_reply(req, 24, rep, 24, &at), ECHOPLUS_OK);
	make_pair(24, 7, 7);
	assert_int_equal(echoplus_check_reply(req, 24, rep, 24, &at), ECHOPLUS_OK);
	assert_string_equal(echoplus_fault_name(ECHOPLUS_FAULT_STAMPS), "TestRespReplyTimeStamp");
	assert_string_equal(echoplus_fault_name(ECHOPLUS_FAULT_RESP_SN), "TestRespSN");
	assert_string_equal(echoplus_fault_name(ECHOPLUS_FAULT_CLOCK), "TestRespRecvTimeStamp");
}

static void test_check_next_counters(void **state)
{
	struct echoplus_header a = {.resp_sn = 10, .failures = 3};
	struct echoplus_header b = a;

	(void)state;
	b.resp_sn = 11;
	assert_int_equal(echoplus_check_next(&a, &b, 0), ECHOPLUS_OK);
	b.resp_sn = 10;
	assert_int_equal(echoplus_check_next(&a, &b, 0),
			 ECHOPLUS_FAULT_RESP_SN); /* did not count */
	b.resp_sn = 12;
	assert_int_equal(echoplus_check_next(&a, &b, 0), ECHOPLUS_FAULT_RESP_SN);
	/* One missing reply: lost on the way back explains one extra answer... */
	assert_int_equal(echoplus_check_next(&a, &b, 1), ECHOPLUS_OK);
	/* ...a refusal does not: it counted in TestRespSN what it did not answer. */
	b.failures = 4;
	assert_int_equal(echoplus_check_next(&a, &b, 1), ECHOPLUS_FAULT_RESP_SN);
	b.resp_sn = 11;
	assert_int_equal(echoplus_check_next(&a, &b, 1), ECHOPLUS_OK);
	/* More failures than requests went missing, or fewer than before. */
	assert_int_equal(echoplus_check_next(&a, &b, 0), ECHOPLUS_FAULT_FAILURES);
	b.failures = 2;
	assert_int_equal(echoplus_check_next(&a, &b, 5), ECHOPLUS_FAULT_FAILURES);
	/* TestRespSN wraps. */
	a.resp_sn = 0xffffffffu;
	b.resp_sn = 0;
	b.failures = 3;
	assert_int_equal(echoplus_check_next(&a, &b, 0), ECHOPLUS_OK);
}

static void test_check_timing(void **state)
{
	struct echoplus_header a = {.recv_ts = 1000000, .reply_ts = 1000020};
	struct echoplus_header b = {.recv_ts = 1010000, .reply_ts = 1010030};

	(void)state;
	/* Sent 10 ms apart, received 10 ms apart: right. */
	assert_int_equal(echoplus_check_timing(&a, &b, 10000, 100, 100), ECHOPLUS_OK);
	/* Across the wrap too. */
	a.recv_ts = 0xfffff000u;
	a.reply_ts = 0xfffff010u;
	b.recv_ts = 10000 - 0x1000;
	b.reply_ts = b.recv_ts + 30;
	assert_int_equal(echoplus_check_timing(&a, &b, 10000, 100, 100), ECHOPLUS_OK);
	/* A clock in milliseconds, or one byte-swapped, does not advance by 10,000. */
	a.recv_ts = 1000;
	b.recv_ts = 1010;
	b.reply_ts = 1010;
	assert_int_equal(echoplus_check_timing(&a, &b, 10000, 100, 100), ECHOPLUS_FAULT_CLOCK);
	a.recv_ts = __builtin_bswap32(1000000);
	b.recv_ts = __builtin_bswap32(1010000);
	b.reply_ts = b.recv_ts;
	assert_int_equal(echoplus_check_timing(&a, &b, 10000, 100, 100), ECHOPLUS_FAULT_CLOCK);
	/* Processing time longer than the whole round trip is impossible. */
	a.recv_ts = 1000000;
	b.recv_ts = 1010000;
	b.reply_ts = 1010000 + 50000;
	assert_int_equal(echoplus_check_timing(&a, &b, 10000, 100, 100), ECHOPLUS_FAULT_STAMPS);
	assert_int_equal(echoplus_check_timing(&a, &b, 10000, 100, 49000), ECHOPLUS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_reads_six_big_endian_fields_in_annex_order),
		cmocka_unit_test(test_field_count_follows_the_length),
		cmocka_unit_test(test_encode_round_trips_and_writes_only_what_fits),
		cmocka_unit_test(test_rewrite_touches_only_the_server_fields),
		cmocka_unit_test(test_clock_counts_microseconds_and_wraps),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_detect_wants_a_time_stamp),
		cmocka_unit_test(test_check_reply_names_the_field),
		cmocka_unit_test(test_check_next_counters),
		cmocka_unit_test(test_check_timing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
