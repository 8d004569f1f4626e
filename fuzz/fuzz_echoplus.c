/*
 * fuzz_echoplus: the TR-143 UDPEchoPlus codec and the server's rewrite, on
 * arbitrary datagrams up to 65,507 bytes (the input is the datagram).
 *
 * The stamp the server would write is derived from the input (FNV-1a), so
 * every input is one request and one reply.  Checked on every input:
 *   - the rewrite never changes a byte outside [4, 20) nor the length, and
 *     writes exactly the stamp there from 20 bytes up, nothing below;
 *   - decode and encode are inverses over the bytes they cover;
 *   - a plain echo is never detected as UDPEchoPlus; the rewritten reply to
 *     a request with zero server fields is, exactly when a time stamp is
 *     not zero; detection implies "differs only in the fields";
 *   - echoplus_check_reply accepts the server's own reply (only the stamp
 *     order can fail, exactly when reply - receive >= 2^31) and names the
 *     first altered byte after the fields;
 *   - echoplus_check_next and echoplus_check_timing, fed headers read from
 *     the input, agree with slow reference rules written in 64-bit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/echoplus.h"

#define MAX_DATAGRAM 65507u

static uint8_t req[MAX_DATAGRAM], rep[MAX_DATAGRAM];

static uint64_t fnv1a(const uint8_t *data, size_t size)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * UINT64_C(0x100000001b3);
	return h;
}

static int check_rewrite(const uint8_t *data, size_t size, const struct echoplus_stamp *s)
{
	struct echoplus_header h;
	int rewritten;

	memcpy(rep, data, size);
	rewritten = echoplus_rewrite(rep, size, s);
	FUZZ_REQUIRE(rewritten == (size >= ECHOPLUS_MIN_LEN), "rewrite.applies", "len %zu", size);
	for (size_t i = 0; i < size; i++) {
		if (rewritten && i >= ECHOPLUS_REWRITE_OFF && i < ECHOPLUS_REWRITE_END)
			continue;
		FUZZ_REQUIRE(rep[i] == data[i], "rewrite.only_fields", "byte %zu of %zu", i, size);
	}
	if (!rewritten)
		return 0;
	echoplus_decode(rep, size, &h);
	FUZZ_REQUIRE(h.resp_sn == s->resp_sn && h.recv_ts == s->recv_ts &&
			     h.reply_ts == s->reply_ts && h.failures == s->failures,
		     "rewrite.fields", "len %zu", size);
	return 0;
}

static int check_codec(const uint8_t *data, size_t size)
{
	struct echoplus_header h;
	unsigned n = echoplus_decode(data, size, &h);
	unsigned want = size < ECHOPLUS_MIN_LEN ? 0 : size < ECHOPLUS_HEADER_LEN ? 5 : 6;
	size_t covered = n == 0 ? 0 : n * 4u;
	uint8_t out[ECHOPLUS_HEADER_LEN];

	FUZZ_REQUIRE(n == want, "decode.count", "len %zu: %u fields", size, n);
	memset(out, 0, sizeof(out));
	echoplus_encode(out, covered, &h);
	FUZZ_REQUIRE(memcmp(out, data, covered) == 0, "codec.round_trip", "len %zu", size);
	return 0;
}

static int check_detect(const uint8_t *data, size_t size, const struct echoplus_stamp *s)
{
	static const uint8_t zeros[16];
	int zero_stamp = s->recv_ts == 0 && s->reply_ts == 0;
	size_t at;

	FUZZ_REQUIRE(!echoplus_detect(data, size, data, size), "detect.plain_echo", "len %zu",
		     size);
	if (size < ECHOPLUS_MIN_LEN)
		return 0;
	/* The request as a client sends it: zeros where the server writes. */
	memcpy(req, data, size);
	memset(req + ECHOPLUS_REWRITE_OFF, 0, sizeof(zeros));
	memcpy(rep, req, size);
	echoplus_rewrite(rep, size, s);
	FUZZ_REQUIRE(echoplus_detect(req, size, rep, size) == !zero_stamp, "detect.rewritten",
		     "len %zu", size);
	FUZZ_REQUIRE(echoplus_differs_only_in_fields(req, size, rep, size), "detect.only_fields",
		     "len %zu", size);
	{
		enum echoplus_fault f = echoplus_check_reply(req, size, rep, size, &at);
		int late = (uint32_t)(s->reply_ts - s->recv_ts) >= UINT32_C(0x80000000);

		FUZZ_REQUIRE(strcmp(echoplus_fault_name(f), "?") != 0, "fault.name", "%d", (int)f);
		FUZZ_REQUIRE(f == (late ? ECHOPLUS_FAULT_STAMPS : ECHOPLUS_OK), "check_reply.own",
			     "len %zu: %s", size, echoplus_fault_name(f));
	}
	/* A reply one byte short is a length fault at its end. */
	FUZZ_REQUIRE(echoplus_check_reply(req, size, rep, size - 1, &at) == ECHOPLUS_FAULT_LENGTH &&
			     at == size - 1,
		     "check_reply.length", "len %zu", size);
	/* TestIterationNumber, when there is one. */
	if (size >= ECHOPLUS_HEADER_LEN) {
		rep[ECHOPLUS_REWRITE_END] ^= 0x80;
		FUZZ_REQUIRE(echoplus_check_reply(req, size, rep, size, &at) ==
				     ECHOPLUS_FAULT_ITERATION,
			     "check_reply.iteration", "len %zu", size);
		rep[ECHOPLUS_REWRITE_END] ^= 0x80;
	}
	/* Alter one byte the input picks: the fault names it. */
	{
		size_t i = (size_t)(fnv1a(data, size) >> 32) % size;
		enum echoplus_fault f;

		rep[i] ^= 0x5a;
		f = echoplus_check_reply(req, size, rep, size, &at);
		if (i < 4)
			FUZZ_REQUIRE(f == ECHOPLUS_FAULT_GEN_SN, "check_reply.gen_sn", "byte %zu",
				     i);
		else if (i >= ECHOPLUS_REWRITE_END && i < ECHOPLUS_HEADER_LEN &&
			 size >= ECHOPLUS_HEADER_LEN)
			FUZZ_REQUIRE(f == ECHOPLUS_FAULT_ITERATION, "check_reply.iteration",
				     "byte %zu", i);
		else if (i >= ECHOPLUS_REWRITE_END)
			FUZZ_REQUIRE(f == ECHOPLUS_FAULT_DATA && at == i, "check_reply.data",
				     "byte %zu: %s at %zu", i, echoplus_fault_name(f), at);
		FUZZ_REQUIRE(i < 4 || i >= ECHOPLUS_REWRITE_END
				     ? !echoplus_detect(req, size, rep, size)
				     : 1,
			     "detect.altered", "byte %zu", i);
	}
	return 0;
}

/* The counter and clock rules, against the same rules written out in 64-bit. */
static int check_rules(const uint8_t *data, size_t size)
{
	struct echoplus_header a, b;
	uint32_t missing;
	uint64_t gap, rtt1, rtt2;

	if (size < 2 * ECHOPLUS_HEADER_LEN + 8)
		return 0;
	echoplus_decode(data, ECHOPLUS_HEADER_LEN, &a);
	echoplus_decode(data + ECHOPLUS_HEADER_LEN, ECHOPLUS_HEADER_LEN, &b);
	missing = (uint32_t)data[48] << 8 | data[49];
	gap = (uint64_t)data[50] << 24 | (uint64_t)data[51] << 16 | (uint64_t)data[52] << 8 |
	      data[53];
	rtt1 = (uint64_t)data[54] << 8 | data[55];
	rtt2 = (uint64_t)data[54] << 4 | data[55];
	{
		uint64_t failed = (b.failures - a.failures) & 0xffffffffu;
		uint64_t answered = (b.resp_sn - a.resp_sn) & 0xffffffffu;
		enum echoplus_fault want = failed > missing ? ECHOPLUS_FAULT_FAILURES
					   : answered < 1 || answered > 1 + missing - failed
						   ? ECHOPLUS_FAULT_RESP_SN
						   : ECHOPLUS_OK;
		enum echoplus_fault got = echoplus_check_next(&a, &b, missing);

		FUZZ_REQUIRE(strcmp(echoplus_fault_name(got), "?") != 0, "fault.name", "%d",
			     (int)got);
		FUZZ_REQUIRE(got == want, "check_next.reference", "got %s want %s",
			     echoplus_fault_name(got), echoplus_fault_name(want));
	}
	{
		uint64_t server = (b.recv_ts - a.recv_ts) & 0xffffffffu;
		uint64_t diff = server > gap ? server - gap : gap - server;
		uint64_t proc = (b.reply_ts - b.recv_ts) & 0xffffffffu;
		enum echoplus_fault want = diff > rtt1 + rtt2 + ECHOPLUS_CLOCK_SLACK_US + gap / 100
						   ? ECHOPLUS_FAULT_CLOCK
					   : proc > rtt2 + ECHOPLUS_CLOCK_SLACK_US
						   ? ECHOPLUS_FAULT_STAMPS
						   : ECHOPLUS_OK;
		enum echoplus_fault got = echoplus_check_timing(&a, &b, gap, rtt1, rtt2);

		FUZZ_REQUIRE(strcmp(echoplus_fault_name(got), "?") != 0, "fault.name", "%d",
			     (int)got);
		FUZZ_REQUIRE(got == want, "check_timing.reference", "got %s want %s",
			     echoplus_fault_name(got), echoplus_fault_name(want));
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h1, h2;
	struct echoplus_stamp s;

	if (size > MAX_DATAGRAM)
		return 0;
	h1 = fnv1a(data, size);
	h2 = h1 * UINT64_C(0x9e3779b97f4a7c15) + size;
	s.resp_sn = (uint32_t)h1;
	s.recv_ts = (uint32_t)(h1 >> 32);
	/* Mostly a plausible reply stamp, sometimes anything. */
	s.reply_ts = (h2 & 7) != 0 ? s.recv_ts + (uint32_t)(h2 >> 40) : (uint32_t)(h2 >> 16);
	s.failures = (h2 & 0x30) != 0 ? 0 : (uint32_t)(h2 >> 8);
	if ((h1 & 0xff) == 0)
		memset(&s, 0, sizeof(s));
	FUZZ_REQUIRE(echoplus_clock(h1 + h2, h1) == (uint32_t)h2, "clock.wraps", "%llu",
		     (unsigned long long)h2);
	if (check_codec(data, size) == 0 && check_rewrite(data, size, &s) == 0)
		(void)(check_detect(data, size, &s) == 0 && check_rules(data, size) == 0);
	return 0;
}
