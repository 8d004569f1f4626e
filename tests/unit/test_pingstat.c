/*
 * test_pingstat.c: the arithmetic of `udpecho ping`: min/avg/max/mdev,
 * matching replies to requests, out-of-order and duplicate replies, loss
 * per direction from UDPEchoPlus sequence numbers, 32-bit stamp wrap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "udpecho/pingstat.h"

static struct pingstat_seqs seqs;

static void test_mdev_is_ping_population_deviation(void **state)
{
	struct pingstat_acc a;
	struct pingstat_summary s;

	(void)state;
	pingstat_acc_init(&a);
	for (int64_t v = 1; v <= 4; v++)
		pingstat_acc_add(&a, v * 1000);
	pingstat_acc_summary(&a, &s);
	assert_int_equal(s.n, 4);
	assert_true(s.min == 1000 && s.max == 4000 && s.avg == 2500);
	/* sqrt(mean of squares - square of mean) = sqrt(7500000 - 6250000) = 1118.03 */
	assert_true(s.mdev > 1118.03 && s.mdev < 1118.04);
}

static void test_constant_series_has_zero_mdev(void **state)
{
	struct pingstat_acc a;
	struct pingstat_summary s;

	(void)state;
	pingstat_acc_init(&a);
	for (int i = 0; i < 100000; i++)
		pingstat_acc_add(&a, 123456789);
	pingstat_acc_summary(&a, &s);
	assert_true(s.avg == 123456789.0);
	assert_true(s.mdev < 1e-3);
}

/*
 * The EWMA of ping(8)'s status line (SIGQUIT): the first sample, then each
 * new one weighs 1/8: 8000, then 8000 + (16000 - 8000) / 8 = 9000, then
 * 9000 + (1000 - 9000) / 8 = 8000.
 */
static void test_ewma_weighs_each_new_sample_one_eighth(void **state)
{
	struct pingstat_acc a;
	struct pingstat_summary s;

	(void)state;
	pingstat_acc_init(&a);
	pingstat_acc_add(&a, 8000);
	pingstat_acc_summary(&a, &s);
	assert_true(s.ewma == 8000);
	pingstat_acc_add(&a, 16000);
	pingstat_acc_summary(&a, &s);
	assert_true(s.ewma == 9000);
	pingstat_acc_add(&a, 1000);
	pingstat_acc_summary(&a, &s);
	assert_true(s.ewma == 8000);
}

static void test_no_samples_summarise_to_zero(void **state)
{
	struct pingstat_acc a;
	struct pingstat_summary s;

	(void)state;
	pingstat_acc_init(&a);
	pingstat_acc_summary(&a, &s);
	assert_true(s.n == 0 && s.min == 0 && s.avg == 0 && s.max == 0 && s.mdev == 0 &&
		    s.ewma == 0);
}

static void test_unwrap_finds_the_latest_request_with_those_bits(void **state)
{
	(void)state;
	assert_true(pingstat_unwrap(10, 7, 32) == 7);
	assert_true(pingstat_unwrap(10, 10, 32) == 10);
	assert_true(pingstat_unwrap(10, 11, 32) == UINT64_MAX); /* not sent yet */
	/* TestGenSN wraps after 2^32 requests: the low 32 bits still name one. */
	assert_true(pingstat_unwrap(UINT64_C(0x100000005), 3, 32) == UINT64_C(0x100000003));
	assert_true(pingstat_unwrap(UINT64_C(0x100000005), 0xfffffffe, 32) == UINT64_C(0xfffffffe));
	/* One byte of sequence: 300 was the latest, 0x2c is 300 itself, 0x2b is 299. */
	assert_true(pingstat_unwrap(300, 0x2c, 8) == 300);
	assert_true(pingstat_unwrap(300, 0x2b, 8) == 299);
	assert_true(pingstat_unwrap(300, 0x2d, 8) == 45);
	assert_true(pingstat_unwrap(3, 0x2d, 8) == UINT64_MAX);
}

static void send_n(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		pingstat_seqs_send(&seqs);
}

static void test_replies_are_new_out_of_order_or_duplicate(void **state)
{
	(void)state;
	pingstat_seqs_init(&seqs);
	send_n(5);
	assert_int_equal(pingstat_seqs_reply(&seqs, 0), PINGSTAT_NEW);
	assert_int_equal(pingstat_seqs_reply(&seqs, 2), PINGSTAT_NEW); /* 1 still missing */
	assert_int_equal(pingstat_seqs_reply(&seqs, 1), PINGSTAT_OUT_OF_ORDER);
	assert_int_equal(pingstat_seqs_reply(&seqs, 2), PINGSTAT_DUPLICATE);
	assert_int_equal(pingstat_seqs_reply(&seqs, 0), PINGSTAT_DUPLICATE);
	assert_int_equal(pingstat_seqs_reply(&seqs, 3), PINGSTAT_NEW);
	assert_int_equal(pingstat_seqs_reply(&seqs, 5), PINGSTAT_UNKNOWN); /* never sent */
	assert_int_equal(seqs.received, 4);
	assert_int_equal(seqs.duplicates, 2);
	assert_true(pingstat_seqs_answered(&seqs, 1));
	assert_false(pingstat_seqs_answered(&seqs, 4));
}

static void test_requests_older_than_the_window_are_forgotten(void **state)
{
	(void)state;
	pingstat_seqs_init(&seqs);
	send_n(PINGSTAT_WINDOW + 10);
	assert_int_equal(pingstat_seqs_reply(&seqs, 9), PINGSTAT_UNKNOWN);
	assert_int_equal(pingstat_seqs_reply(&seqs, 10), PINGSTAT_NEW);
	/* Slot reuse: seq 10 + WINDOW shares 10's slot and starts unanswered. */
	pingstat_seqs_send(&seqs);
	assert_false(pingstat_seqs_answered(&seqs, PINGSTAT_WINDOW + 10));
	assert_int_equal(pingstat_seqs_reply(&seqs, 10), PINGSTAT_UNKNOWN);
}

/* (seq, TestRespSN) pairs as the replies arrived. */
static void dir_feed(struct pingstat_dir *d, const uint64_t (*pairs)[2], size_t n)
{
	pingstat_dir_init(d);
	for (size_t i = 0; i < n; i++)
		pingstat_dir_add(d, pairs[i][0], (uint32_t)pairs[i][1]);
}

static void test_direction_loss_from_sequence_gaps(void **state)
{
	/* Ten requests.  Seq 6 never reached the server (TestRespSN does not move for it);
	 * the replies to 3 and 8 were lost on the way back (TestRespSN 103 and 107 unseen). */
	static const uint64_t got[][2] = {{0, 100}, {1, 101}, {2, 102}, {4, 104},
					  {5, 105}, {7, 106}, {9, 108}};
	struct pingstat_dir d;
	struct pingstat_dir_loss l;

	(void)state;
	dir_feed(&d, got, 7);
	pingstat_dir_loss(&d, 10, &l);
	assert_int_equal(l.window, 10);
	assert_int_equal(l.answered, 9);
	assert_int_equal(l.up_lost, 1);
	assert_int_equal(l.down_lost, 2);
	assert_int_equal(l.unknown, 0);
	assert_false(l.shared);
	assert_int_equal(l.up_lost + l.down_lost + l.unknown, 10 - 7);
}

static void test_loss_outside_the_replies_has_no_direction(void **state)
{
	static const uint64_t got[][2] = {{2, 7}, {3, 8}, {4, 9}};
	struct pingstat_dir d;
	struct pingstat_dir_loss l;

	(void)state;
	dir_feed(&d, got, 3);
	pingstat_dir_loss(&d, 8, &l); /* 0, 1 and 5..7 got no reply */
	assert_int_equal(l.window, 3);
	assert_int_equal(l.up_lost, 0);
	assert_int_equal(l.down_lost, 0);
	assert_int_equal(l.unknown, 5);
}

static void test_reordered_replies_give_the_same_loss(void **state)
{
	static const uint64_t got[][2] = {{9, 108}, {0, 100}, {4, 104}, {2, 102},
					  {7, 106}, {1, 101}, {5, 105}};
	struct pingstat_dir d;
	struct pingstat_dir_loss l;

	(void)state;
	dir_feed(&d, got, 7);
	pingstat_dir_loss(&d, 10, &l);
	assert_int_equal(l.up_lost, 1);
	assert_int_equal(l.down_lost, 2);
}

static void test_shared_server_clamps_and_says_so(void **state)
{
	/* Other clients: TestRespSN advanced by 30 over our 4 requests. */
	static const uint64_t got[][2] = {{0, 0}, {1, 10}, {3, 29}};
	struct pingstat_dir d;
	struct pingstat_dir_loss l;

	(void)state;
	dir_feed(&d, got, 3);
	pingstat_dir_loss(&d, 4, &l);
	assert_true(l.shared);
	assert_int_equal(l.answered_raw, 30);
	assert_int_equal(l.answered, 4);
	assert_int_equal(l.up_lost, 0);
	assert_int_equal(l.down_lost, 1);
	assert_int_equal(l.up_lost + l.down_lost + l.unknown, 4 - 3);
}

static void test_resp_sn_wrap_and_restart(void **state)
{
	static const uint64_t wrap[][2] = {{0, 0xfffffffe}, {1, 0xffffffff}, {3, 1}};
	static const uint64_t restart[][2] = {{0, 500}, {1, 501}, {2, 0}, {3, 1}};
	struct pingstat_dir d;
	struct pingstat_dir_loss l;

	(void)state;
	dir_feed(&d, wrap, 3);
	pingstat_dir_loss(&d, 4, &l);
	assert_int_equal(l.answered, 4); /* 0xfffffffe .. 1 is four answers */
	assert_int_equal(l.up_lost, 0);
	assert_int_equal(l.down_lost, 1);
	/* A restarted server counts from 0 again: never fewer answered than replies seen. */
	dir_feed(&d, restart, 4);
	pingstat_dir_loss(&d, 4, &l);
	assert_int_equal(l.answered, 4);
	assert_int_equal(l.up_lost + l.down_lost + l.unknown, 0);
}

static void test_no_plus_reply_gives_zero_loss_split(void **state)
{
	struct pingstat_dir d;
	struct pingstat_dir_loss l;

	(void)state;
	pingstat_dir_init(&d);
	pingstat_dir_loss(&d, 5, &l);
	assert_int_equal(l.window + l.answered + l.up_lost + l.down_lost + l.unknown, 0);
}

static void test_server_time_wraps(void **state)
{
	uint32_t us = 0;

	(void)state;
	assert_int_equal(pingstat_server_us(100, 130, &us), 0);
	assert_int_equal(us, 30);
	assert_int_equal(pingstat_server_us(0xfffffff0u, 0x10, &us), 0);
	assert_int_equal(us, 0x20);
	assert_int_equal(pingstat_server_us(130, 100, &us), -1); /* reply before receive */
}

static void test_one_way_variation_survives_both_wraps(void **state)
{
	struct pingstat_owd up, down;
	struct pingstat_summary s;

	(void)state;
	pingstat_owd_init(&up);
	pingstat_owd_init(&down);
	/* Server clock 0xfffff000 us ahead of the client's low 32 bits; constant 50 us each
	 * way, then one request 30 us slower upstream.  Client time crosses 2^32 us, the
	 * server's stamps wrap too. */
	for (uint64_t i = 0; i < 8; i++) {
		uint64_t send = UINT64_C(0xffffff00) + i * 0x100;
		uint32_t extra = i == 5 ? 30 : 0;
		uint32_t recv_ts = (uint32_t)send + 0xfffff000u + 50 + extra;
		uint32_t reply_ts = recv_ts + 5;

		pingstat_owd_add(&up, pingstat_owd_up(send, recv_ts));
		pingstat_owd_add(&down, pingstat_owd_down(reply_ts, send + 50 + extra + 5 + 50));
	}
	pingstat_acc_summary(&up.acc, &s);
	assert_true(s.max - s.min == 30);
	assert_true(s.mdev > 9.9 && s.mdev < 10.0); /* one of eight off by 30: sqrt(7)*30/8 */
	pingstat_acc_summary(&down.acc, &s);
	assert_true(s.max - s.min == 0 && s.mdev == 0);
}

static void test_loss_percent(void **state)
{
	(void)state;
	assert_true(pingstat_loss_pct(0, 0) == 0.0);
	assert_true(pingstat_loss_pct(3, 6) == 50.0);
	assert_true(pingstat_loss_pct(10, 10) == 100.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mdev_is_ping_population_deviation),
		cmocka_unit_test(test_constant_series_has_zero_mdev),
		cmocka_unit_test(test_ewma_weighs_each_new_sample_one_eighth),
		cmocka_unit_test(test_no_samples_summarise_to_zero),
		cmocka_unit_test(test_unwrap_finds_the_latest_request_with_those_bits),
		cmocka_unit_test(test_replies_are_new_out_of_order_or_duplicate),
		cmocka_unit_test(test_requests_older_than_the_window_are_forgotten),
		cmocka_unit_test(test_direction_loss_from_sequence_gaps),
		cmocka_unit_test(test_loss_outside_the_replies_has_no_direction),
		cmocka_unit_test(test_reordered_replies_give_the_same_loss),
		cmocka_unit_test(test_shared_server_clamps_and_says_so),
		cmocka_unit_test(test_resp_sn_wrap_and_restart),
		cmocka_unit_test(test_no_plus_reply_gives_zero_loss_split),
		cmocka_unit_test(test_server_time_wraps),
		cmocka_unit_test(test_one_way_variation_survives_both_wraps),
		cmocka_unit_test(test_loss_percent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
