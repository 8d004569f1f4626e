/*
 * echoplus.c: the TR-143 UDPEchoPlus field codec, the server's rewrite and
 * the rules a reply is judged by.
 */
#include "udpecho/echoplus.h"

#include <string.h>

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

unsigned echoplus_decode(const uint8_t *buf, size_t len, struct echoplus_header *h)
{
	memset(h, 0, sizeof(*h));
	if (len < ECHOPLUS_MIN_LEN)
		return 0;
	h->gen_sn = get32(buf);
	h->resp_sn = get32(buf + 4);
	h->recv_ts = get32(buf + 8);
	h->reply_ts = get32(buf + 12);
	h->failures = get32(buf + 16);
	if (len < ECHOPLUS_HEADER_LEN)
		return 5;
	h->iteration = get32(buf + 20);
	return 6;
}

void echoplus_encode(uint8_t *buf, size_t len, const struct echoplus_header *h)
{
	if (len < ECHOPLUS_MIN_LEN)
		return;
	put32(buf, h->gen_sn);
	put32(buf + 4, h->resp_sn);
	put32(buf + 8, h->recv_ts);
	put32(buf + 12, h->reply_ts);
	put32(buf + 16, h->failures);
	if (len >= ECHOPLUS_HEADER_LEN)
		put32(buf + 20, h->iteration);
}

int echoplus_rewrite(uint8_t *buf, size_t len, const struct echoplus_stamp *s)
{
	if (len < ECHOPLUS_MIN_LEN)
		return 0;
	put32(buf + 4, s->resp_sn);
	put32(buf + 8, s->recv_ts);
	put32(buf + 12, s->reply_ts);
	put32(buf + 16, s->failures);
	return 1;
}

uint32_t echoplus_clock(uint64_t now_us, uint64_t start_us)
{
	return (uint32_t)(now_us - start_us);
}

int echoplus_differs_only_in_fields(const uint8_t *req, size_t req_len, const uint8_t *rep,
				    size_t rep_len)
{
	if (req_len != rep_len || req_len < ECHOPLUS_MIN_LEN)
		return 0;
	return memcmp(req, rep, ECHOPLUS_REWRITE_OFF) == 0 &&
	       memcmp(req + ECHOPLUS_REWRITE_END, rep + ECHOPLUS_REWRITE_END,
		      req_len - ECHOPLUS_REWRITE_END) == 0;
}

int echoplus_detect(const uint8_t *req, size_t req_len, const uint8_t *rep, size_t rep_len)
{
	static const uint8_t zeros[ECHOPLUS_REWRITE_END - ECHOPLUS_REWRITE_OFF];

	if (!echoplus_differs_only_in_fields(req, req_len, rep, rep_len))
		return 0;
	/* The time stamps, bytes 8-15: a responder writes them, a corrupting echo rarely does. */
	return memcmp(req + ECHOPLUS_REWRITE_OFF, zeros, sizeof(zeros)) == 0 &&
	       memcmp(rep + ECHOPLUS_STAMPS_OFF, zeros, ECHOPLUS_STAMPS_LEN) != 0;
}

const char *echoplus_fault_name(enum echoplus_fault fault)
{
	switch (fault) {
	case ECHOPLUS_OK:
		return "ok";
	case ECHOPLUS_FAULT_LENGTH:
		return "length";
	case ECHOPLUS_FAULT_GEN_SN:
		return "TestGenSN";
	case ECHOPLUS_FAULT_ITERATION:
		return "TestIterationNumber";
	case ECHOPLUS_FAULT_DATA:
		return "data";
	case ECHOPLUS_FAULT_STAMPS:
		return "TestRespReplyTimeStamp";
	case ECHOPLUS_FAULT_RESP_SN:
		return "TestRespSN";
	case ECHOPLUS_FAULT_FAILURES:
		return "TestRespReplyFailureCount";
	case ECHOPLUS_FAULT_CLOCK:
		return "TestRespRecvTimeStamp";
	}
	return "?";
}

enum echoplus_fault echoplus_check_reply(const uint8_t *req, size_t req_len, const uint8_t *rep,
					 size_t rep_len, size_t *at)
{
	struct echoplus_header h;

	*at = 0;
	if (rep_len != req_len || req_len < ECHOPLUS_MIN_LEN) {
		*at = rep_len;
		return ECHOPLUS_FAULT_LENGTH;
	}
	if (memcmp(req, rep, 4) != 0)
		return ECHOPLUS_FAULT_GEN_SN;
	if (req_len >= ECHOPLUS_HEADER_LEN &&
	    memcmp(req + ECHOPLUS_REWRITE_END, rep + ECHOPLUS_REWRITE_END, 4) != 0)
		return ECHOPLUS_FAULT_ITERATION;
	for (size_t i = ECHOPLUS_REWRITE_END; i < req_len; i++) {
		if (req[i] != rep[i]) {
			*at = i;
			return ECHOPLUS_FAULT_DATA;
		}
	}
	echoplus_decode(rep, rep_len, &h);
	if ((uint32_t)(h.reply_ts - h.recv_ts) >= UINT32_C(0x80000000))
		return ECHOPLUS_FAULT_STAMPS;
	return ECHOPLUS_OK;
}

enum echoplus_fault echoplus_check_next(const struct echoplus_header *prev,
					const struct echoplus_header *cur, uint32_t missing)
{
	uint32_t failed = cur->failures - prev->failures;
	uint32_t answered = cur->resp_sn - prev->resp_sn;

	if (failed > missing)
		return ECHOPLUS_FAULT_FAILURES; /* shrank (wraps to huge) or counts more than
						   refused */
	if (answered < 1 || answered - 1 > missing - failed)
		return ECHOPLUS_FAULT_RESP_SN;
	return ECHOPLUS_OK;
}

enum echoplus_fault echoplus_check_timing(const struct echoplus_header *prev,
					  const struct echoplus_header *cur, uint64_t send_gap_us,
					  uint64_t rtt_prev_us, uint64_t rtt_cur_us)
{
	uint64_t server_gap = (uint32_t)(cur->recv_ts - prev->recv_ts);
	uint64_t slack = rtt_prev_us + rtt_cur_us + ECHOPLUS_CLOCK_SLACK_US + send_gap_us / 100;
	uint64_t diff =
		server_gap > send_gap_us ? server_gap - send_gap_us : send_gap_us - server_gap;

	if (diff > slack)
		return ECHOPLUS_FAULT_CLOCK;
	if ((uint32_t)(cur->reply_ts - cur->recv_ts) > rtt_cur_us + ECHOPLUS_CLOCK_SLACK_US)
		return ECHOPLUS_FAULT_STAMPS;
	return ECHOPLUS_OK;
}
