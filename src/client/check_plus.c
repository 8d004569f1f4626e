/*
 * check_plus.c: echoplus.fields, which runs before every other check:
 * what it finds (a TR-143 UDPEchoPlus responder) changes how the others
 * build requests.
 */
#include "check_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "udpecho/echoplus.h"

/* echoplus.fields once a UDPEchoPlus responder is detected: MUST, not INFO. */
static struct check_info plus_detected_info;

/*
 * echoplus.fields.  A run of UDPEchoPlus requests on one socket, one after
 * the other and a little apart: TestGenSN numbers every transmission (a
 * retry is a new one), TestIterationNumber carries the run id, the server's
 * fields are zeros, and the sizes cover five-field (20..23 bytes) and
 * six-field requests with data after the header.
 */
static const size_t plus_sizes[] = {24, 64, 20, 1400, 24, 23, 512, 24, 100, 36, 24, 1024};

#define PLUS_REQUESTS (sizeof(plus_sizes) / sizeof(plus_sizes[0]))
#define PLUS_SPACING_US 2000u /* between sends: the server's clock has something to show */

struct plus_probe {
	struct check_result *res;
	struct xlog log;
	uint64_t last_send;
	int detected;
	unsigned replies, transmissions, judged;
	unsigned strays; /* replies that matched no transmission */
	struct echoplus_header prev;
	uint32_t prev_gen; /* TestGenSN of the last judged reply */
	uint64_t prev_sent_at, prev_rtt;
	uint32_t first_sn, max_processing;
};

/* The transmission a reply answers: its TestGenSN, when it was sent, its round trip. */
struct plus_answer {
	uint32_t gen;
	uint64_t sent_at, rtt;
};

static void plus_request(const struct run *r, uint8_t *buf, size_t len, uint32_t gen)
{
	const struct echoplus_header h = {.gen_sn = gen, .iteration = r->run_id};

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 73 + len * 31 + gen) % 255 + 1);
	echoplus_encode(buf, len, &h);
}

/* Each try is a new transmission: its own TestGenSN, PLUS_SPACING_US after the one before. */
static size_t build_plus(struct run *r, void *ctx, uint32_t request, unsigned attempt, uint8_t *buf)
{
	struct plus_probe *p = ctx;
	size_t len = plus_sizes[request];

	(void)attempt;
	while (run_now_us() < p->last_send + PLUS_SPACING_US)
		usleep(200);
	p->last_send = run_now_us();
	plus_request(r, buf, len, ++p->transmissions);
	return len;
}

/*
 * One request, retried as new transmissions on the measured round trip and
 * given up after the full wait, as every check's requests are; a reply to
 * any of its transmissions answers it.  Returns the reply's length (r->req
 * and r->rep hold the transmission it answers and the reply), or -1.
 */
static ssize_t plus_exchange(struct run *r, int sock, uint32_t k, struct plus_probe *p,
			     struct plus_answer *a)
{
	struct slot s = slot_new(sock, k, r->cfg->tries);
	struct engine e = {&p->log, &s, 1, build_plus, p, PATIENCE_FULL, 0, 0, NULL};
	const struct verdict_tx *tx;
	const struct verdict_rx *rx;
	struct echoplus_header h;

	if (engine_run(r, &e) != 0 || s.state != SLOT_ANSWERED)
		return -1;
	tx = &p->log.tx[s.reply_tx];
	rx = &p->log.rx[s.reply_rx];
	echoplus_decode(tx->data, tx->len, &h);
	a->gen = h.gen_sn;
	a->sent_at = p->log.tx_at[s.reply_tx];
	a->rtt = s.answered_at - a->sent_at;
	memcpy(r->req, tx->data, tx->len);
	memcpy(r->rep, rx->data, rx->len);
	return (ssize_t)rx->len;
}

/* The first reply decides what the target is. */
static int plus_detect(struct run *r, struct plus_probe *p, size_t len, size_t rep_len)
{
	if (echoplus_detect(r->req, len, r->rep, rep_len)) {
		p->detected = 1;
		return 0;
	}
	if (check_classify(r->req, len, r->rep, rep_len).kind == CHECK_MATCH_EXACT) {
		report_set(p->res, CHECK_PASS,
			   "not a UDPEchoPlus responder: a %zu-byte UDPEchoPlus request came back "
			   "unchanged",
			   len);
	} else {
		char why[REPORT_DETAIL_MAX];

		check_describe(why, sizeof(why), r->req, len, r->rep, rep_len);
		report_set(p->res, CHECK_PASS,
			   "not a UDPEchoPlus responder: the reply is no UDPEchoPlus reply (%s)",
			   why);
	}
	return -1;
}

static void plus_fail(struct run *r, struct plus_probe *p, enum echoplus_fault f, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

static void plus_fail(struct run *r, struct plus_probe *p, enum echoplus_fault f, const char *fmt,
		      ...)
{
	va_list ap;

	(void)r;
	va_start(ap, fmt);
	vsnprintf(p->res->detail, sizeof(p->res->detail), fmt, ap);
	va_end(ap);
	p->res->status = CHECK_FAIL;
	report_evidence_str(p->res, "field", echoplus_fault_name(f));
}

/* One reply against its request and against the reply before it.  Returns -1 on a fault. */
static int plus_judge(struct run *r, struct plus_probe *p, size_t len, size_t rep_len,
		      const struct plus_answer *a)
{
	struct echoplus_header q, h;
	enum echoplus_fault f;
	/* Every transmission between the last judged one and this, answered or not. */
	uint32_t missing = a->gen - p->prev_gen - 1;
	size_t at;

	echoplus_decode(r->req, len, &q);
	echoplus_decode(r->rep, rep_len, &h);
	f = echoplus_check_reply(r->req, len, r->rep, rep_len, &at);
	switch (f) {
	case ECHOPLUS_OK:
		break;
	case ECHOPLUS_FAULT_LENGTH:
		plus_fail(r, p, f, "a %zu-byte UDPEchoPlus request came back as %zu bytes", len,
			  rep_len);
		return -1;
	case ECHOPLUS_FAULT_GEN_SN:
		plus_fail(r, p, f, "TestGenSN not kept: sent %u, got %u", q.gen_sn, h.gen_sn);
		return -1;
	case ECHOPLUS_FAULT_ITERATION:
		plus_fail(r, p, f, "TestIterationNumber not kept: sent 0x%08x, got 0x%08x",
			  q.iteration, h.iteration);
		return -1;
	case ECHOPLUS_FAULT_DATA:
		plus_fail(r, p, f,
			  "data after the header altered at byte %zu of %zu (sent 0x%02x, got "
			  "0x%02x)",
			  at, len, r->req[at], r->rep[at]);
		return -1;
	default:
		plus_fail(r, p, f, "TestRespReplyTimeStamp %u is before TestRespRecvTimeStamp %u",
			  h.reply_ts, h.recv_ts);
		return -1;
	}
	if (h.reply_ts - h.recv_ts > p->max_processing)
		p->max_processing = h.reply_ts - h.recv_ts;
	if (p->judged > 0) {
		f = echoplus_check_next(&p->prev, &h, missing);
		if (f == ECHOPLUS_FAULT_RESP_SN) {
			plus_fail(r, p, f,
				  "TestRespSN went from %u to %u with %u request%s unanswered and "
				  "TestRespReplyFailureCount up by %u: it does not count answered "
				  "requests",
				  p->prev.resp_sn, h.resp_sn, missing, missing == 1 ? "" : "s",
				  h.failures - p->prev.failures);
			return -1;
		}
		if (f == ECHOPLUS_FAULT_FAILURES) {
			plus_fail(r, p, f,
				  "TestRespReplyFailureCount went from %u to %u with %u request%s "
				  "unanswered",
				  p->prev.failures, h.failures, missing, missing == 1 ? "" : "s");
			return -1;
		}
		f = echoplus_check_timing(&p->prev, &h, a->sent_at - p->prev_sent_at, p->prev_rtt,
					  a->rtt);
		if (f == ECHOPLUS_FAULT_CLOCK) {
			plus_fail(r, p, f,
				  "TestRespRecvTimeStamp moved %u us between requests sent %llu us "
				  "apart: not big-endian microseconds",
				  h.recv_ts - p->prev.recv_ts,
				  (unsigned long long)(a->sent_at - p->prev_sent_at));
			return -1;
		}
		if (f == ECHOPLUS_FAULT_STAMPS) {
			plus_fail(r, p, f,
				  "the stamps say the server held a request %u us, longer than its "
				  "%llu us round trip",
				  h.reply_ts - h.recv_ts, (unsigned long long)a->rtt);
			return -1;
		}
	} else {
		p->first_sn = h.resp_sn;
	}
	p->judged++;
	p->prev = h;
	p->prev_gen = a->gen;
	p->prev_sent_at = a->sent_at;
	p->prev_rtt = a->rtt;
	return 0;
}

void probe_echoplus(struct run *r)
{
	struct check_result *res = &r->plus_result;
	struct plus_probe p = {.res = res};
	int i = run_socket(r);
	uint64_t t0 = run_now_us();
	struct verdict_tally t;

	memset(res, 0, sizeof(*res));
	res->info = check_info(CHECK_ECHOPLUS_FIELDS);
	res->status = CHECK_SKIP;
	if (i < 0)
		return;
	for (size_t k = 0; k < PLUS_REQUESTS && r->error == 0; k++) {
		size_t len = plus_sizes[k];
		struct plus_answer a;
		ssize_t n;

		p.log.requests = (uint32_t)k + 1;
		n = plus_exchange(r, i, (uint32_t)k, &p, &a);
		/* Silence says nothing about UDPEchoPlus; the other checks and server.alive name
		 * it. */
		if (n < 0 && (!p.detected || p.log.refused || r->interrupted || r->error != 0))
			break;
		if (n < 0)
			continue;
		p.replies++;
		if (!p.detected && plus_detect(r, &p, len, (size_t)n) != 0)
			break;
		if (plus_judge(r, &p, len, (size_t)n, &a) != 0)
			break;
	}
	xlog_tally(&p.log, p.log.ntx, &t);
	p.strays = t.kinds[VERDICT_FOREIGN];
	if (p.detected) {
		plus_detected_info = *check_info(CHECK_ECHOPLUS_FIELDS);
		plus_detected_info.level = CHECK_MUST;
		res->info = &plus_detected_info;
		r->plus = 1;
		/* A MUST passes on the full sample: every request answered and judged. */
		if (res->status == CHECK_SKIP && p.judged == PLUS_REQUESTS)
			report_set(
				res, CHECK_PASS,
				"a TR-143 UDPEchoPlus responder: %u replies with every field right "
				"(TestRespSN %u to %u, server time up to %u us)",
				p.replies, p.first_sn, p.prev.resp_sn, p.max_processing);
		else if (res->status == CHECK_SKIP)
			report_set(
				res, CHECK_INCONCLUSIVE,
				"a TR-143 UDPEchoPlus responder: %u of %zu requests answered, each "
				"with every field right: too few to judge",
				p.judged, (size_t)PLUS_REQUESTS);
	} else if (res->status == CHECK_SKIP && p.strays > 0) {
		report_set(res, CHECK_SKIP,
			   "no reply to any UDPEchoPlus request (%u sent): %u datagram%s came back "
			   "that matched none of them",
			   p.transmissions, p.strays, p.strays == 1 ? "" : "s");
	} else if (res->status == CHECK_SKIP) {
		report_set(res, CHECK_SKIP, "no reply to any UDPEchoPlus request (%u sent)",
			   p.transmissions);
	}
	report_evidence_str(res, "detected", p.detected ? "udpechoplus" : "no");
	report_evidence_int(res, "requests", p.log.requests);
	report_evidence_int(res, "transmissions", p.transmissions);
	report_evidence_int(res, "replies", p.replies);
	report_evidence_int(res, "judged", p.judged);
	if (p.detected && p.judged > 0) {
		report_evidence_int(res, "resp_sn_first", p.first_sn);
		report_evidence_int(res, "resp_sn_last", p.prev.resp_sn);
		report_evidence_int(res, "failures", p.prev.failures);
		report_evidence_int(res, "server_us_max", p.max_processing);
	}
	res->elapsed_us = run_now_us() - t0;
	run_keep_log(r, &p.log);
}
