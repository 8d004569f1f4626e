/*
 * test_verdict.c: how `udpecho check` reaches a verdict: which request a
 * reply answers, what an exchange log adds up to, when a sample is enough
 * to pass, whether the server is alive, where clients.many finds a limit,
 * and the retry timer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/verdict.h"

#define NONE ((size_t)-1) /* no hint: replaced by n where it is used */

static const uint8_t *b(const char *s)
{
	return (const uint8_t *)s;
}

static struct verdict_tx tx_of(const char *s, uint32_t request, uint16_t client)
{
	struct verdict_tx t = {b(s), strlen(s), request, client};

	return t;
}

static struct verdict_rx rx_of(const char *s, uint16_t client)
{
	struct verdict_rx r = {b(s), strlen(s), client, 0};

	return r;
}

static struct verdict_match attribute(const struct verdict_tx *tx, size_t n, size_t hint,
				      const char *rep)
{
	return verdict_attribute(tx, n, hint == NONE ? n : hint, b(rep), strlen(rep));
}

static void tally_hinted(const struct verdict_tx *tx, size_t ntx, size_t hint,
			 const struct verdict_rx *rx, size_t nrx, uint32_t requests,
			 struct verdict_tally *t)
{
	uint32_t answers[16];
	struct verdict_log log = {tx, ntx, rx, nrx, requests, hint};

	assert_true(ntx <= 16);
	verdict_tally(&log, answers, t);
}

static void tally(const struct verdict_tx *tx, size_t ntx, const struct verdict_rx *rx, size_t nrx,
		  uint32_t requests, struct verdict_tally *t)
{
	tally_hinted(tx, ntx, ntx, rx, nrx, requests, t);
}

/* Three requests of distinct bytes, one try each, all from client 0. */
static const char *const req[] = {"request-zero", "request-one!", "request-two!"};

static void three_requests(struct verdict_tx tx[3])
{
	for (uint32_t r = 0; r < 3; r++)
		tx[r] = tx_of(req[r], r, 0);
}

/* ---- verdict_attribute ----------------------------------------------------- */

static void test_exact_reply_answers_its_transmission(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, NONE, "request-one!");
	assert_int_equal(m.kind, VERDICT_EXACT);
	assert_int_equal(m.tx, 1);
	assert_int_equal(m.pieces, 1);
}

static void test_hint_wins_among_identical_transmissions(void **state)
{
	struct verdict_tx tx[3] = {tx_of("same", 0, 0), tx_of("same", 0, 0), tx_of("same", 0, 0)};

	(void)state;
	assert_int_equal(attribute(tx, 3, NONE, "same").tx, 0);
	assert_int_equal(attribute(tx, 3, 2, "same").tx, 2);
	assert_int_equal(attribute(tx, 3, 1, "sa").tx, 1);
	assert_int_equal(attribute(tx, 3, 1, "sane").tx, 1);
}

static void test_two_transmissions_back_to_back_are_merged(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, NONE, "request-two!request-zero");
	assert_int_equal(m.kind, VERDICT_MERGED);
	assert_int_equal(m.tx, 2);
	assert_int_equal(m.pieces, 2);
}

static void test_three_transmissions_back_to_back_are_merged(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, NONE, "request-one!request-zerorequest-two!");
	assert_int_equal(m.kind, VERDICT_MERGED);
	assert_int_equal(m.tx, 1);
	assert_int_equal(m.pieces, 3);
}

static void test_prefix_of_a_transmission_is_truncated(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, NONE, "request-t");
	assert_int_equal(m.kind, VERDICT_TRUNCATED);
	assert_int_equal(m.tx, 2);
	assert_int_equal(m.at, 9);
}

static void test_empty_reply_without_hint_is_foreign(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, NONE, "");
	assert_int_equal(m.kind, VERDICT_FOREIGN);
	assert_int_equal(m.tx, 3);
}

static void test_empty_reply_with_hint_is_truncated_to_nothing(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, 1, "");
	assert_int_equal(m.kind, VERDICT_TRUNCATED);
	assert_int_equal(m.tx, 1);
	assert_int_equal(m.at, 0);
}

static void test_transmission_with_bytes_after_it_is_extended(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, NONE, "request-zero\r\n");
	assert_int_equal(m.kind, VERDICT_EXTENDED);
	assert_int_equal(m.tx, 0);
	assert_int_equal(m.at, 2);
}

/* request-one! with its byte k replaced by '#' is that request, altered at k. */
static void expect_altered_at(size_t k)
{
	struct verdict_tx tx[3];
	struct verdict_match m;
	char rep[16];

	three_requests(tx);
	snprintf(rep, sizeof(rep), "%s", req[1]);
	rep[k] = '#';
	m = attribute(tx, 3, NONE, rep);
	assert_int_equal(m.kind, VERDICT_ALTERED);
	assert_int_equal(m.tx, 1);
	assert_int_equal(m.at, k);
}

static void test_first_byte_changed_is_altered_at_0(void **state)
{
	(void)state;
	expect_altered_at(0);
}

static void test_middle_byte_changed_is_altered_there(void **state)
{
	(void)state;
	expect_altered_at(6);
}

static void test_last_byte_changed_is_altered_at_the_end(void **state)
{
	(void)state;
	expect_altered_at(strlen(req[1]) - 1);
}

/* Regression (fuzz_verdict, corpus/verdict/crash-altered-missed-behind-a-longer-transmission). */
static void test_altered_reply_is_of_the_transmission_whose_bytes_it_mostly_keeps(void **state)
{
	struct verdict_tx tx[2] = {tx_of("abcdefghijklmnopqrstuvwxyz", 0, 0),
				   tx_of("abcdeZZQ", 1, 0)};
	struct verdict_match m;

	(void)state;
	/* It keeps 7 bytes of the first in place, but of 26; 6 of the second's 8. */
	m = attribute(tx, 2, NONE, "abcdefgQ");
	assert_int_equal(m.kind, VERDICT_ALTERED);
	assert_int_equal(m.tx, 1);
	assert_int_equal(m.at, 5);
}

static void test_unrelated_bytes_are_foreign(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, NONE, "GET / HTTP/1.0");
	assert_int_equal(m.kind, VERDICT_FOREIGN);
	assert_int_equal(m.tx, 3);
	assert_int_equal(attribute(tx, 0, NONE, "anything").kind, VERDICT_FOREIGN);
}

static void test_hint_explains_unrelated_reply_as_altered(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_match m;

	(void)state;
	three_requests(tx);
	m = attribute(tx, 3, 2, "GET / HTTP/1.0");
	assert_int_equal(m.kind, VERDICT_ALTERED);
	assert_int_equal(m.tx, 2);
	assert_int_equal(m.at, 0);
}

/* ---- verdict_tally ----------------------------------------------------------- */

static void test_identical_retries_answered_once_each_are_not_duplicates(void **state)
{
	struct verdict_tx tx[2] = {tx_of("untagged", 0, 0), tx_of("untagged", 0, 0)};
	struct verdict_rx rx[2] = {rx_of("untagged", 0), rx_of("untagged", 0)};
	struct verdict_tally t;

	(void)state;
	tally(tx, 2, rx, 2, 1, &t);
	assert_int_equal(t.replies, 2);
	assert_int_equal(t.kinds[VERDICT_EXACT], 2);
	assert_int_equal(t.duplicates, 0);
	assert_int_equal(t.judged, 1);
	assert_int_equal(t.dup_request, 1);
	assert_int_equal(verdict_judge(VERDICT_RULE_ONCE, &t, 0), CHECK_PASS);
}

static void test_transmission_answered_twice_is_a_duplicate(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_rx rx[3] = {rx_of(req[2], 0), rx_of(req[1], 0), rx_of(req[2], 0)};
	struct verdict_tally t;

	(void)state;
	three_requests(tx);
	tally(tx, 3, rx, 3, 3, &t);
	assert_int_equal(t.duplicates, 1);
	assert_int_equal(t.dup_request, 2);
	assert_int_equal(t.dup_count, 2);
	assert_int_equal(t.judged, 2);
	assert_int_equal(verdict_judge(VERDICT_RULE_ONCE, &t, 0), CHECK_FAIL);
}

static void test_altered_reply_judges_its_request_not_lost(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_rx rx[3] = {rx_of("request-zerO", 0), rx_of("Request-one!", 0),
				   rx_of("request-two?", 0)};
	struct verdict_tally t;

	(void)state;
	three_requests(tx);
	tally(tx, 3, rx, 3, 3, &t);
	assert_int_equal(t.kinds[VERDICT_ALTERED], 3);
	assert_int_equal(t.judged, 3);
	assert_int_equal(verdict_judge(VERDICT_RULE_ECHO, &t, 0), CHECK_FAIL);
	/* An all-altered burst lost nothing. */
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &t, 0), CHECK_PASS);
}

static void test_reply_carrying_another_clients_request_is_crossed(void **state)
{
	struct verdict_tx tx[3] = {tx_of(req[0], 0, 0), tx_of(req[1], 1, 1), tx_of(req[2], 2, 2)};
	struct verdict_rx rx[3] = {rx_of(req[0], 0), rx_of(req[2], 1), rx_of(req[1], 2)};
	struct verdict_tally t;

	(void)state;
	tally(tx, 3, rx, 3, 3, &t);
	assert_int_equal(t.crossed, 2);
	assert_int_equal(t.cross_victim, 1);
	assert_int_equal(t.cross_owner, 2);
	assert_int_equal(t.judged, 3);
	assert_int_equal(t.defect, 0);
	assert_int_equal(verdict_judge(VERDICT_RULE_ISOLATION, &t, 0), CHECK_FAIL);
	assert_int_equal(verdict_judge(VERDICT_RULE_ECHO, &t, 0), CHECK_PASS);
}

static void test_reply_from_another_address_is_wrong_source(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_rx rx[3] = {rx_of(req[0], 0), rx_of(req[1], 0), rx_of(req[2], 0)};
	struct verdict_tally t;

	(void)state;
	three_requests(tx);
	rx[1].wrong_source = 1;
	tally(tx, 3, rx, 3, 3, &t);
	assert_int_equal(t.wrong_source, 1);
	assert_int_equal(verdict_judge(VERDICT_RULE_SOURCE, &t, 0), CHECK_FAIL);
	assert_int_equal(verdict_judge(VERDICT_RULE_ECHO, &t, 0), CHECK_PASS);
}

static void test_merged_tries_of_one_request_are_self_merged_not_an_echo_defect(void **state)
{
	struct verdict_tx tx[3] = {tx_of("again", 0, 0), tx_of("again", 0, 0), tx_of(req[1], 1, 0)};
	struct verdict_rx rx[2] = {rx_of("againagain", 0), rx_of(req[1], 0)};
	struct verdict_tally t;

	(void)state;
	tally(tx, 3, rx, 2, 2, &t);
	assert_int_equal(t.kinds[VERDICT_MERGED], 1);
	assert_int_equal(t.self_merged, 1);
	assert_int_equal(t.defect, 0);
	assert_int_equal(t.duplicates, 0);
	assert_int_equal(t.judged, 2);
	assert_int_equal(verdict_judge(VERDICT_RULE_ECHO, &t, 0), CHECK_PASS);
	assert_int_equal(verdict_judge(VERDICT_RULE_BOUNDARIES, &t, 0), CHECK_FAIL);
}

static void test_merged_replies_of_two_requests_are_an_echo_defect(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_rx rx[1] = {rx_of("request-one!request-two!", 0)};
	struct verdict_tally t;

	(void)state;
	three_requests(tx);
	tally(tx, 3, rx, 1, 3, &t);
	assert_int_equal(t.self_merged, 0);
	assert_int_equal(t.defect, 1);
	assert_int_equal(t.worst.kind, VERDICT_MERGED);
	assert_int_equal(t.worst_request, 1);
	assert_int_equal(t.judged, 2);
}

static void test_worst_defect_is_the_lowest_requests_whatever_the_order(void **state)
{
	struct verdict_tx tx[3];
	struct verdict_rx rx[3] = {rx_of("request-two?", 0), rx_of("request-o", 0),
				   rx_of("noise, not an echo", 0)};
	struct verdict_rx back[3] = {rx[2], rx[1], rx[0]};
	struct verdict_tally t, u;

	(void)state;
	three_requests(tx);
	tally(tx, 3, rx, 3, 3, &t);
	tally(tx, 3, back, 3, 3, &u);
	assert_int_equal(t.defect, 1);
	assert_int_equal(t.worst_request, 1);
	assert_int_equal(t.worst.kind, VERDICT_TRUNCATED);
	assert_int_equal(t.worst.at, 9);
	assert_int_equal(t.worst_len, 9);
	assert_int_equal(t.worst_rx, 1);
	assert_int_equal(u.worst_request, t.worst_request);
	assert_int_equal(u.worst.kind, t.worst.kind);
	assert_int_equal(u.worst.at, t.worst.at);
	assert_int_equal(u.worst_rx, 1);
}

/* Regression (fuzz_verdict, corpus/verdict/crash-worst-tx-depends-on-reply-order). */
static void test_equal_defects_of_two_tries_name_the_first_try_whatever_the_order(void **state)
{
	struct verdict_tx tx[2] = {tx_of("try-0:payload", 0, 0), tx_of("try-1:payload", 0, 0)};
	struct verdict_rx rx[2] = {rx_of("try-1:paXload", 0), rx_of("try-0:paXload", 0)};
	struct verdict_rx back[2] = {rx[1], rx[0]};
	struct verdict_tally t, u;

	(void)state;
	tally(tx, 2, rx, 2, 1, &t);
	tally(tx, 2, back, 2, 1, &u);
	assert_int_equal(t.worst.kind, VERDICT_ALTERED);
	assert_int_equal(t.worst.at, 8);
	assert_int_equal(t.worst.tx, 0);
	assert_int_equal(u.worst.tx, 0);
}

/* Regression (fuzz_verdict, corpus/verdict/crash-dup-count-depends-on-reply-order). */
static void test_extra_replies_to_identical_tries_count_the_same_in_any_order(void **state)
{
	struct verdict_tx tx[2] = {tx_of("untagged", 0, 0), tx_of("untagged", 0, 0)};
	/* The hinted try takes the cut reply; a merged reply's pieces match the first try. */
	struct verdict_rx rx[2] = {rx_of("unta", 0), rx_of("untaggeduntaggeduntagged", 0)};
	struct verdict_rx back[2] = {rx[1], rx[0]};
	struct verdict_tally t, u;

	(void)state;
	tally_hinted(tx, 2, 1, rx, 2, 1, &t);
	tally_hinted(tx, 2, 1, back, 2, 1, &u);
	assert_int_equal(t.self_merged, 1);
	assert_int_equal(t.duplicates, 2);
	assert_int_equal(u.duplicates, 2);
	assert_int_equal(t.dup_request, 0);
	assert_int_equal(t.dup_count, 3);
	assert_int_equal(u.dup_count, 3);
}

/* ---- verdict_judge ------------------------------------------------------------- */

static struct verdict_tally sample(uint32_t requests, uint32_t judged)
{
	struct verdict_tally t;

	memset(&t, 0, sizeof(t));
	t.requests = requests;
	t.judged = judged;
	t.replies = judged;
	t.kinds[VERDICT_EXACT] = judged;
	t.dup_request = requests;
	return t;
}

static const enum verdict_rule must[] = {VERDICT_RULE_ECHO, VERDICT_RULE_ONCE,
					 VERDICT_RULE_BOUNDARIES, VERDICT_RULE_ISOLATION,
					 VERDICT_RULE_SOURCE};
#define MUSTS (sizeof(must) / sizeof(must[0]))

static void test_must_passes_only_on_the_full_sample(void **state)
{
	struct verdict_tally full = sample(10, 10), partial = sample(10, 9);

	(void)state;
	for (size_t i = 0; i < MUSTS; i++) {
		assert_int_equal(verdict_judge(must[i], &full, 0), CHECK_PASS);
		assert_int_equal(verdict_judge(must[i], &partial, 0), CHECK_INCONCLUSIVE);
	}
}

static void test_must_with_no_requests_is_inconclusive(void **state)
{
	struct verdict_tally none = sample(0, 0);

	(void)state;
	for (size_t i = 0; i < MUSTS; i++) {
		assert_int_equal(verdict_judge(must[i], &none, 0), CHECK_INCONCLUSIVE);
		assert_int_equal(verdict_judge(must[i], &none, 1), CHECK_INCONCLUSIVE);
	}
}

static void test_echo_silence_fails_only_when_confirmed(void **state)
{
	struct verdict_tally partial = sample(10, 9), silent = sample(10, 0);

	(void)state;
	assert_int_equal(verdict_judge(VERDICT_RULE_ECHO, &partial, 1), CHECK_FAIL);
	assert_int_equal(verdict_judge(VERDICT_RULE_ECHO, &silent, 1), CHECK_FAIL);
	assert_int_equal(verdict_judge(VERDICT_RULE_ECHO, &partial, 0), CHECK_INCONCLUSIVE);
	assert_int_equal(verdict_judge(VERDICT_RULE_ECHO, &silent, 0), CHECK_INCONCLUSIVE);
	/* Silence is no defect of the other rules. */
	for (size_t i = 1; i < MUSTS; i++)
		assert_int_equal(verdict_judge(must[i], &partial, 1), CHECK_INCONCLUSIVE);
}

static void test_defect_fails_even_on_a_partial_sample(void **state)
{
	struct verdict_tally t[MUSTS];

	(void)state;
	for (size_t i = 0; i < MUSTS; i++)
		t[i] = sample(10, 3);
	t[0].defect = 1;
	t[1].duplicates = 1;
	t[2].kinds[VERDICT_EXACT]--;
	t[2].kinds[VERDICT_TRUNCATED]++;
	t[3].crossed = 1;
	t[4].wrong_source = 1;
	for (size_t i = 0; i < MUSTS; i++) {
		assert_true(verdict_rule_defect(must[i], &t[i]));
		assert_int_equal(verdict_judge(must[i], &t[i], 0), CHECK_FAIL);
		for (size_t j = 0; j < MUSTS; j++)
			assert_int_equal(verdict_rule_defect(must[j], &t[i]), i == j);
	}
}

static void test_loss_warns_above_one_percent(void **state)
{
	struct verdict_tally at = sample(1000, 990), above = sample(1000, 989);
	struct verdict_tally small_at = sample(100, 99), small_above = sample(100, 98);

	(void)state;
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &at, 0), CHECK_PASS);
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &above, 0), CHECK_WARN);
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &small_at, 0), CHECK_PASS);
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &small_above, 0), CHECK_WARN);
	assert_false(verdict_rule_defect(VERDICT_RULE_LOSS, &above));
}

static void test_loss_with_nothing_to_measure_is_inconclusive(void **state)
{
	struct verdict_tally none = sample(0, 0), silent = sample(10, 0);

	(void)state;
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &none, 0), CHECK_INCONCLUSIVE);
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &none, 1), CHECK_INCONCLUSIVE);
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &silent, 0), CHECK_INCONCLUSIVE);
	/* Confirmed silence is a measured 100% loss. */
	assert_int_equal(verdict_judge(VERDICT_RULE_LOSS, &silent, 1), CHECK_WARN);
}

/* ---- verdict_life ---------------------------------------------------------------- */

static enum verdict_life life(uint64_t sent, uint64_t answered, int refused, uint64_t late,
			      enum verdict_probe home, enum verdict_probe fresh)
{
	struct verdict_life_obs o = {sent, answered, refused, late, home, fresh};

	return verdict_life(&o);
}

static void test_life_answering_probes_is_alive(void **state)
{
	(void)state;
	assert_int_equal(life(10, 10, 0, 0, VERDICT_PROBE_ANSWERED, VERDICT_PROBE_ANSWERED),
			 VERDICT_ALIVE);
	assert_int_equal(life(10, 10, 0, 0, VERDICT_PROBE_NONE, VERDICT_PROBE_NONE), VERDICT_ALIVE);
	assert_false(verdict_life_ends_run(VERDICT_ALIVE));
}

static void test_life_first_request_refused_is_nothing_listening(void **state)
{
	(void)state;
	assert_int_equal(life(1, 0, 1, 0, VERDICT_PROBE_NONE, VERDICT_PROBE_NONE),
			 VERDICT_NOTHING_LISTENING);
	assert_true(verdict_life_ends_run(VERDICT_NOTHING_LISTENING));
}

static void test_life_never_nothing_listening_once_answered_or_sent_more(void **state)
{
	(void)state;
	assert_int_equal(life(1, 1, 1, 0, VERDICT_PROBE_NONE, VERDICT_PROBE_NONE), VERDICT_CLOSED);
	assert_int_equal(life(2, 0, 1, 0, VERDICT_PROBE_NONE, VERDICT_PROBE_NONE), VERDICT_CLOSED);
	assert_int_equal(life(2, 0, 1, 0, VERDICT_PROBE_REFUSED, VERDICT_PROBE_NONE),
			 VERDICT_CLOSED);
}

static void test_life_refused_after_answering_is_closed(void **state)
{
	(void)state;
	assert_int_equal(life(20, 12, 1, 0, VERDICT_PROBE_REFUSED, VERDICT_PROBE_REFUSED),
			 VERDICT_CLOSED);
	assert_true(verdict_life_ends_run(VERDICT_CLOSED));
}

static void test_life_silent_after_answering_is_hung(void **state)
{
	(void)state;
	assert_int_equal(life(20, 12, 0, 0, VERDICT_PROBE_SILENT, VERDICT_PROBE_SILENT),
			 VERDICT_HUNG);
}

static void test_life_never_answering_is_silent(void **state)
{
	(void)state;
	assert_int_equal(life(20, 0, 0, 0, VERDICT_PROBE_SILENT, VERDICT_PROBE_SILENT),
			 VERDICT_SILENT);
}

static void test_life_answering_only_too_late_is_slow(void **state)
{
	(void)state;
	assert_int_equal(life(20, 3, 0, 3, VERDICT_PROBE_SILENT, VERDICT_PROBE_SILENT),
			 VERDICT_SLOW);
}

static void test_life_refusing_a_new_socket_refuses_new_clients(void **state)
{
	(void)state;
	assert_int_equal(life(20, 12, 0, 0, VERDICT_PROBE_ANSWERED, VERDICT_PROBE_REFUSED),
			 VERDICT_REFUSES_NEW);
}

static void test_life_ignoring_a_new_socket_ignores_new_clients(void **state)
{
	(void)state;
	assert_int_equal(life(20, 12, 0, 0, VERDICT_PROBE_ANSWERED, VERDICT_PROBE_SILENT),
			 VERDICT_IGNORES_NEW);
}

static void test_life_states_have_names(void **state)
{
	static const char *const names[] = {"alive",
					    "nothing-listening",
					    "closed",
					    "hung",
					    "silent",
					    "slow",
					    "refuses-new-clients",
					    "ignores-new-clients"};

	(void)state;
	for (int l = VERDICT_ALIVE; l <= VERDICT_IGNORES_NEW; l++) {
		assert_string_equal(verdict_life_name((enum verdict_life)l), names[l]);
		assert_int_equal(verdict_life_ends_run((enum verdict_life)l), l != VERDICT_ALIVE);
	}
	assert_string_equal(verdict_life_name((enum verdict_life)(VERDICT_IGNORES_NEW + 1)), "?");
}

/* ---- clients.many ------------------------------------------------------------------ */

enum {
	S = VERDICT_CLIENT_SERVED,
	U = VERDICT_CLIENT_UNSERVED,
	R = VERDICT_CLIENT_REFUSED,
	W = VERDICT_CLIENT_WAITING
};

static void test_clients_stop_after_a_limit_run_not_served(void **state)
{
	const uint8_t run[] = {S, S, U, W, R, U, W};
	const uint8_t broken[] = {S, U, U, S, U, U, U};

	(void)state;
	assert_int_equal(VERDICT_LIMIT_RUN, 5);
	assert_true(verdict_clients_stop(run, sizeof(run)));
	assert_false(verdict_clients_stop(run, sizeof(run) - 1));
	assert_false(verdict_clients_stop(broken, sizeof(broken)));
	assert_false(verdict_clients_stop(run + 2, 4));
	assert_false(verdict_clients_stop(run, 0));
}

static void test_clients_all_served_pass(void **state)
{
	const uint8_t all[] = {S, S, S, S, S, S, S, S};
	struct verdict_clients c;

	(void)state;
	verdict_clients_judge(all, sizeof(all), 1, &c);
	assert_int_equal(c.status, CHECK_PASS);
	assert_int_equal(c.clients, 8);
	assert_int_equal(c.served, 8);
	assert_int_equal(c.first_unserved, 0);
	assert_int_equal(c.refused, 0);
}

static void test_clients_limit_tail_fails(void **state)
{
	const uint8_t tail[] = {S, S, S, U, U, U, U, U};
	struct verdict_clients c;

	(void)state;
	verdict_clients_judge(tail, sizeof(tail), 1, &c);
	assert_int_equal(c.status, CHECK_FAIL);
	assert_int_equal(c.clients, 8);
	assert_int_equal(c.served, 3);
	assert_int_equal(c.first_unserved, 4);
	assert_int_equal(c.refused, 0);
}

static void test_clients_limit_tail_of_refusals_is_flagged_refused(void **state)
{
	const uint8_t tail[] = {S, S, R, R, U, R, R};
	struct verdict_clients c;

	(void)state;
	verdict_clients_judge(tail, sizeof(tail), 1, &c);
	assert_int_equal(c.status, CHECK_FAIL);
	assert_int_equal(c.served, 2);
	assert_int_equal(c.first_unserved, 3);
	assert_int_equal(c.refused, 1);
}

static void test_clients_short_tail_is_inconclusive(void **state)
{
	const uint8_t tail[] = {S, S, S, U, U, U, U};
	struct verdict_clients c;

	(void)state;
	verdict_clients_judge(tail, sizeof(tail), 1, &c);
	assert_int_equal(c.status, CHECK_INCONCLUSIVE);
	assert_int_equal(c.first_unserved, 4);
}

static void test_clients_scattered_misses_are_inconclusive(void **state)
{
	const uint8_t scattered[] = {S, U, S, U, U, U, U, U, U};
	struct verdict_clients c;

	(void)state;
	verdict_clients_judge(scattered, sizeof(scattered), 1, &c);
	assert_int_equal(c.status, CHECK_INCONCLUSIVE);
	assert_int_equal(c.served, 2);
	assert_int_equal(c.first_unserved, 2);
}

static void test_clients_dead_home_is_inconclusive(void **state)
{
	const uint8_t tail[] = {S, S, U, U, U, U, U, U};
	struct verdict_clients c;

	(void)state;
	verdict_clients_judge(tail, sizeof(tail), 0, &c);
	assert_int_equal(c.status, CHECK_INCONCLUSIVE);
	assert_int_equal(c.first_unserved, 3);
	verdict_clients_judge(tail, 0, 1, &c);
	assert_int_equal(c.status, CHECK_INCONCLUSIVE);
	assert_int_equal(c.clients, 0);
}

/* ---- the retry timer ---------------------------------------------------------------- */

static void test_rto_starts_at_max(void **state)
{
	struct verdict_rto t;

	(void)state;
	verdict_rto_init(&t, 200000, 1000000);
	assert_int_equal(t.rto_us, 1000000);
	assert_int_equal(t.srtt_us, 0);
	assert_int_equal(t.min_us, 200000);
	assert_int_equal(t.max_us, 1000000);
	verdict_rto_init(&t, 3000000, 1000000);
	assert_int_equal(t.min_us, 1000000);
}

static void test_rto_clamps_to_min(void **state)
{
	struct verdict_rto t;

	(void)state;
	verdict_rto_init(&t, 200000, 1000000);
	verdict_rto_sample(&t, 50);
	assert_int_equal(t.srtt_us, 50);
	assert_int_equal(t.rto_us, 200000);
}

static void test_rto_clamps_to_max(void **state)
{
	struct verdict_rto t;

	(void)state;
	verdict_rto_init(&t, 200000, 1000000);
	verdict_rto_sample(&t, 900000);
	assert_int_equal(t.srtt_us, 900000);
	assert_int_equal(t.rttvar_us, 450000);
	assert_int_equal(t.rto_us, 1000000);
}

static void test_rto_smooths_as_rfc6298(void **state)
{
	struct verdict_rto t;

	(void)state;
	verdict_rto_init(&t, 1000, 10000000);
	/* 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR */
	verdict_rto_sample(&t, 100000);
	assert_int_equal(t.srtt_us, 100000);
	assert_int_equal(t.rttvar_us, 50000);
	assert_int_equal(t.rto_us, 300000);
	/* 2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'| (the old SRTT), then SRTT = 7/8 SRTT + 1/8 R'
	 */
	verdict_rto_sample(&t, 200000);
	assert_int_equal(t.rttvar_us, 62500);
	assert_int_equal(t.srtt_us, 112500);
	assert_int_equal(t.rto_us, 362500);
	verdict_rto_sample(&t, 112500);
	assert_int_equal(t.rttvar_us, 46875);
	assert_int_equal(t.srtt_us, 112500);
	assert_int_equal(t.rto_us, 300000);
}

/* Regression (fuzz_verdict, corpus/verdict/crash-rto-srtt-decays-to-zero-and-restarts). */
static void test_rto_zero_samples_do_not_restart_the_estimate(void **state)
{
	struct verdict_rto t;

	(void)state;
	verdict_rto_init(&t, 0, 10000000);
	verdict_rto_sample(&t, 0);
	assert_int_equal(t.srtt_us, 1); /* 0 would read as "nothing measured yet" */
	verdict_rto_sample(&t, 0);
	assert_int_equal(t.srtt_us, 1);
	assert_int_equal(t.rttvar_us, 0);
	/* Smoothed into the estimate (RTTVAR = 99/4, SRTT = (7 + 100)/8), not taken as a first one.
	 */
	verdict_rto_sample(&t, 100);
	assert_int_equal(t.rttvar_us, 24);
	assert_int_equal(t.srtt_us, 13);
	assert_int_equal(t.rto_us, 109);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_reply_answers_its_transmission),
		cmocka_unit_test(test_hint_wins_among_identical_transmissions),
		cmocka_unit_test(test_two_transmissions_back_to_back_are_merged),
		cmocka_unit_test(test_three_transmissions_back_to_back_are_merged),
		cmocka_unit_test(test_prefix_of_a_transmission_is_truncated),
		cmocka_unit_test(test_empty_reply_without_hint_is_foreign),
		cmocka_unit_test(test_empty_reply_with_hint_is_truncated_to_nothing),
		cmocka_unit_test(test_transmission_with_bytes_after_it_is_extended),
		cmocka_unit_test(test_first_byte_changed_is_altered_at_0),
		cmocka_unit_test(test_middle_byte_changed_is_altered_there),
		cmocka_unit_test(test_last_byte_changed_is_altered_at_the_end),
		cmocka_unit_test(
			test_altered_reply_is_of_the_transmission_whose_bytes_it_mostly_keeps),
		cmocka_unit_test(test_unrelated_bytes_are_foreign),
		cmocka_unit_test(test_hint_explains_unrelated_reply_as_altered),
		cmocka_unit_test(test_identical_retries_answered_once_each_are_not_duplicates),
		cmocka_unit_test(test_transmission_answered_twice_is_a_duplicate),
		cmocka_unit_test(test_altered_reply_judges_its_request_not_lost),
		cmocka_unit_test(test_reply_carrying_another_clients_request_is_crossed),
		cmocka_unit_test(test_reply_from_another_address_is_wrong_source),
		cmocka_unit_test(
			test_merged_tries_of_one_request_are_self_merged_not_an_echo_defect),
		cmocka_unit_test(test_merged_replies_of_two_requests_are_an_echo_defect),
		cmocka_unit_test(test_worst_defect_is_the_lowest_requests_whatever_the_order),
		cmocka_unit_test(
			test_equal_defects_of_two_tries_name_the_first_try_whatever_the_order),
		cmocka_unit_test(test_extra_replies_to_identical_tries_count_the_same_in_any_order),
		cmocka_unit_test(test_must_passes_only_on_the_full_sample),
		cmocka_unit_test(test_must_with_no_requests_is_inconclusive),
		cmocka_unit_test(test_echo_silence_fails_only_when_confirmed),
		cmocka_unit_test(test_defect_fails_even_on_a_partial_sample),
		cmocka_unit_test(test_loss_warns_above_one_percent),
		cmocka_unit_test(test_loss_with_nothing_to_measure_is_inconclusive),
		cmocka_unit_test(test_life_answering_probes_is_alive),
		cmocka_unit_test(test_life_first_request_refused_is_nothing_listening),
		cmocka_unit_test(test_life_never_nothing_listening_once_answered_or_sent_more),
		cmocka_unit_test(test_life_refused_after_answering_is_closed),
		cmocka_unit_test(test_life_silent_after_answering_is_hung),
		cmocka_unit_test(test_life_never_answering_is_silent),
		cmocka_unit_test(test_life_answering_only_too_late_is_slow),
		cmocka_unit_test(test_life_refusing_a_new_socket_refuses_new_clients),
		cmocka_unit_test(test_life_ignoring_a_new_socket_ignores_new_clients),
		cmocka_unit_test(test_life_states_have_names),
		cmocka_unit_test(test_clients_stop_after_a_limit_run_not_served),
		cmocka_unit_test(test_clients_all_served_pass),
		cmocka_unit_test(test_clients_limit_tail_fails),
		cmocka_unit_test(test_clients_limit_tail_of_refusals_is_flagged_refused),
		cmocka_unit_test(test_clients_short_tail_is_inconclusive),
		cmocka_unit_test(test_clients_scattered_misses_are_inconclusive),
		cmocka_unit_test(test_clients_dead_home_is_inconclusive),
		cmocka_unit_test(test_rto_starts_at_max),
		cmocka_unit_test(test_rto_clamps_to_min),
		cmocka_unit_test(test_rto_clamps_to_max),
		cmocka_unit_test(test_rto_smooths_as_rfc6298),
		cmocka_unit_test(test_rto_zero_samples_do_not_restart_the_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
