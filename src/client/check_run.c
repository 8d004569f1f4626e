/*
 * check_run.c: the conformance checks against a live echo server.
 *
 * Every request goes out on a socket of its own (or, for the multi-request
 * checks, a socket per check and tags naming each request), so a late reply
 * can never be taken for a later check's answer.  Sockets stay open to the
 * end of the run: what arrives on them afterwards is counted as late or
 * extra, and every byte received counts against amplification.
 *
 * echoplus.fields runs first.  When it finds a TR-143 UDPEchoPlus responder
 * (which rewrites bytes 4..19 of every datagram of 20 bytes or more), the
 * other checks speak its dialect: requests carry zeros there and their tag
 * after the 20-byte header, and replies have those bytes zeroed on arrival,
 * so each check still judges what it is about.  The two whose fixed payloads
 * cannot be UDPEchoPlus requests (echo.basic, echo.bytes) warn that the
 * reply differs only in the UDPEchoPlus fields.
 */
#include "check_run.h"

#include "check.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "udpecho/addr.h"
#include "udpecho/echo.h"
#include "udpecho/echoplus.h"

#define RUN_BUF_SIZE 65536u
#define RUN_MAX_SOCKETS 128
#define RUN_MAX_RTT 4096
/* The shortest first wait: below this, scheduling noise on a busy host looks like loss. */
#define RUN_MIN_RTO_US 50000u
#define CLASSIC "This is the message.  It will be repeated."
#define CLASSIC_LEN 42

/* Streams: which check a tagged request belongs to. */
enum { STREAM_SIZES = 1, STREAM_SOURCE, STREAM_ONCE, STREAM_BURST, STREAM_LOSS, STREAM_CLIENT0 };

#define ONCE_REQUESTS 8
#define BURST_REQUESTS 32
#define CLIENTS 8
#define CLIENT_ROUNDS 4
#define LOSS_REQUESTS 128
#define LOSS_WINDOW 32

struct tracked {
	int fd;
	int answered; /* its request got a reply: anything later is extra, not late */
};

struct run {
	const struct check_config *cfg;
	struct echo_peer target;
	char target_text[ADDR_STR_MAX];
	size_t family_max;
	uint32_t run_id;
	uint8_t *req;
	uint8_t *rep;
	uint8_t *scratch; /* one more datagram's room, for comparisons */
	int error;        /* -errno that stops the run */

	uint64_t bytes_sent, bytes_received, datagrams_sent, datagrams_received;
	uint64_t longer_replies; /* single replies longer than their request */
	uint64_t merged_retries; /* replies that were a request merged with its own retries */
	uint64_t wrong_sources;
	struct echo_peer wrong_source;
	uint64_t late, extra; /* counted when the sockets are drained */
	uint32_t rtt_us[RUN_MAX_RTT];
	size_t rtt_count;
	uint64_t srtt_us, rttvar_us, rto_us; /* RFC 6298 estimates; rto starts at --timeout */
	struct tracked socks[RUN_MAX_SOCKETS];
	size_t nsocks;

	int plus;                        /* the target is a UDPEchoPlus responder */
	uint64_t plus_zeroed;            /* replies whose bytes 4..19 were zeroed on arrival */
	struct check_result plus_result; /* echoplus.fields, found before the others ran */
};

/* echoplus.fields once a UDPEchoPlus responder is detected: MUST, not INFO. */
static struct check_info plus_detected_info;

/* In UDPEchoPlus mode, a tagged payload carries its tag after the 20-byte header. */
static int plus_tagged(const struct run *r, size_t len)
{
	return r->plus && len >= ECHOPLUS_MIN_LEN + CHECK_TAG_LEN;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Timing.  Retries follow the round trip the run has measured (rto, as TCP
 * does: RFC 6298, clamped between RUN_MIN_RTO_US and --timeout), so loss
 * costs little time.  Giving up does not: nothing is called missing before
 * the full wait the user's --timeout and --retries allow (t + 2t + 4t ...,
 * each wait at most 60 s).
 */
static uint64_t full_wait(const struct run *r)
{
	return check_full_wait(r->cfg->timeout_us, r->cfg->tries);
}

/* How long a multi-request check listens when replies stay missing. */
static uint64_t collect_wait(const struct run *r)
{
	uint64_t quick = 8 * r->rto_us;

	return quick < full_wait(r) ? quick : full_wait(r);
}

/* How long to keep listening after the last expected reply, for extras. */
static uint64_t linger(const struct run *r)
{
	return 2 * r->rto_us;
}

static void add_rtt(struct run *r, uint64_t us)
{
	if (r->rtt_count < RUN_MAX_RTT)
		r->rtt_us[r->rtt_count++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	if (r->srtt_us == 0) {
		r->srtt_us = us;
		r->rttvar_us = us / 2;
	} else {
		uint64_t dev = r->srtt_us > us ? r->srtt_us - us : us - r->srtt_us;

		r->rttvar_us = (3 * r->rttvar_us + dev) / 4;
		r->srtt_us = (7 * r->srtt_us + us) / 8;
	}
	r->rto_us = r->srtt_us + 4 * r->rttvar_us;
	if (r->rto_us < RUN_MIN_RTO_US)
		r->rto_us = RUN_MIN_RTO_US;
	if (r->rto_us > r->cfg->timeout_us)
		r->rto_us = r->cfg->timeout_us;
}

/* Drains one tracked socket, counting what it held as late or extra. */
static void drain(struct run *r, struct tracked *t);

/* A fresh client socket, tracked to the end of the run.  Returns its index or -1. */
static int open_tracked(struct run *r)
{
	int fd;

	if (r->nsocks == RUN_MAX_SOCKETS) {
		/* Full: retire the oldest, after counting what it still holds. */
		drain(r, &r->socks[0]);
		close(r->socks[0].fd);
		memmove(&r->socks[0], &r->socks[1], (RUN_MAX_SOCKETS - 1) * sizeof(r->socks[0]));
		r->nsocks--;
	}
	fd = net_client_socket(&r->cfg->target);
	if (fd < 0) {
		r->error = fd;
		return -1;
	}
	r->socks[r->nsocks] = (struct tracked){fd, 0};
	return (int)r->nsocks++;
}

static int send_to_target(struct run *r, int fd, const uint8_t *buf, size_t len)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)&r->cfg->target.ss,
		   r->cfg->target.len) < 0) {
		r->error = -errno;
		return -1;
	}
	r->bytes_sent += len;
	r->datagrams_sent++;
	return 0;
}

/*
 * Reads one datagram into r->rep.  Returns its length, -EAGAIN when none is
 * queued, or another -errno (recorded as the run's error: ICMP reports).
 */
static ssize_t recv_from_target(struct run *r, int fd)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct echo_peer peer;
	ssize_t n = recvfrom(fd, r->rep, RUN_BUF_SIZE, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return -EAGAIN;
		r->error = -errno;
		return r->error;
	}
	r->bytes_received += (uint64_t)n;
	r->datagrams_received++;
	net_to_peer((const struct sockaddr *)&from, &peer);
	if (!addr_peer_equal(&peer, &r->target)) {
		if (r->wrong_sources++ == 0)
			r->wrong_source = peer;
	}
	if (n > (ssize_t)RUN_BUF_SIZE)
		n = (ssize_t)RUN_BUF_SIZE;
	if (r->plus && (size_t)n >= ECHOPLUS_MIN_LEN) {
		static const uint8_t zeros[ECHOPLUS_REWRITE_END - ECHOPLUS_REWRITE_OFF];

		if (memcmp(r->rep + ECHOPLUS_REWRITE_OFF, zeros, sizeof(zeros)) != 0) {
			memset(r->rep + ECHOPLUS_REWRITE_OFF, 0, sizeof(zeros));
			r->plus_zeroed++;
		}
	}
	return n;
}

static void drain(struct run *r, struct tracked *t)
{
	int saved = r->error;

	while (recv_from_target(r, t->fd) >= 0) {
		if (t->answered)
			r->extra++;
		else
			r->late++;
	}
	r->error = saved; /* an ICMP report on a finished socket changes nothing now */
}

static void drain_all(struct run *r)
{
	for (size_t i = 0; i < r->nsocks; i++)
		drain(r, &r->socks[i]);
}

/* Waits until one of fds is readable or the deadline passes; returns its index or -1. */
static int wait_readable(const int *fds, size_t n, uint64_t deadline)
{
	struct pollfd pfd[CLIENTS + 1];
	uint64_t now = now_us();

	if (now >= deadline)
		return -1;
	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	if (poll(pfd, n, (int)((deadline - now + 999) / 1000)) <= 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (pfd[i].revents != 0)
			return (int)i;
	}
	return -1;
}

struct exchange {
	size_t rep_len;
	unsigned tries; /* how many were sent */
	int replied;
};

/* What to send: r->req as it is, or a tagged payload rebuilt for every try. */
struct request {
	size_t len;
	int tagged;
	unsigned stream;
	uint32_t seq;
};

static void tag_payload(struct run *r, uint8_t *buf, size_t len, unsigned stream, uint32_t seq,
			unsigned attempt)
{
	struct check_tag tag = {r->run_id, (uint16_t)stream, (uint16_t)attempt, seq};

	if (plus_tagged(r, len)) {
		/* A UDPEchoPlus request: TestGenSN, zeros for the server, then the tag. */
		const struct echoplus_header h = {.gen_sn = seq};

		echoplus_encode(buf, len, &h);
		check_payload(buf + ECHOPLUS_MIN_LEN, len - ECHOPLUS_MIN_LEN, &tag);
		return;
	}
	check_payload(buf, len, &tag);
}

static int tag_read(const struct run *r, const uint8_t *buf, size_t len, struct check_tag *tag)
{
	if (plus_tagged(r, len))
		return check_tag_read(buf + ECHOPLUS_MIN_LEN, len - ECHOPLUS_MIN_LEN, tag);
	return check_tag_read(buf, len, tag);
}

/*
 * The reply answers which try?  A tagged reply says so itself (and r->req is
 * rebuilt to that try's bytes for comparison); an untagged one only when a
 * single try was sent (Karn's rule).  Returns the try, or -1 if unknown.
 */
static int answered_try(struct run *r, const struct request *q, size_t rep_len, unsigned sent)
{
	struct check_tag tag;

	if (!q->tagged)
		return sent == 1 ? 0 : -1;
	if (tag_read(r, r->rep, rep_len, &tag) != 0 || tag.run != r->run_id ||
	    tag.stream != q->stream || tag.seq != q->seq || tag.attempt >= sent)
		return -1;
	tag_payload(r, r->req, q->len, q->stream, q->seq, tag.attempt);
	return tag.attempt;
}

/* Is the reply two or more whole tries of this request, back to back? */
static int merged_tries(struct run *r, const struct request *q, size_t rep_len, unsigned sent)
{
	uint8_t *try_bytes = r->scratch;
	size_t pieces = q->len > 0 ? rep_len / q->len : 0;

	if (pieces < 2 || pieces > sent || pieces * q->len != rep_len)
		return 0;
	for (size_t p = 0; p < pieces; p++) {
		const uint8_t *piece = r->rep + p * q->len;
		int whole = 0;

		for (unsigned a = 0; a < sent && !whole; a++) {
			if (q->tagged)
				tag_payload(r, try_bytes, q->len, q->stream, q->seq, a);
			else
				memcpy(try_bytes, r->req, q->len);
			whole = memcmp(piece, try_bytes, q->len) == 0;
		}
		if (!whole)
			return 0;
	}
	return 1;
}

static void send_try(struct run *r, struct tracked *t, const struct request *q, unsigned attempt)
{
	if (q->tagged)
		tag_payload(r, r->req, q->len, q->stream, q->seq, attempt);
	send_to_target(r, t->fd, r->req, q->len);
}

/* One request, retried on the measured round trip, given up after the full wait. */
static int exchange_on(struct run *r, struct tracked *t, const struct request *q,
		       struct exchange *x)
{
	uint64_t sent_at[CHECK_MAX_TRIES];
	uint64_t give_up = now_us() + full_wait(r), wait = r->rto_us, next_try = 0;

	memset(x, 0, sizeof(*x));
	while (r->error == 0) {
		uint64_t now = now_us(), deadline;

		if (x->tries < r->cfg->tries && now >= next_try) {
			send_try(r, t, q, x->tries);
			sent_at[x->tries++] = now;
			next_try = now + wait;
			wait = check_next_wait(wait);
			continue;
		}
		deadline = x->tries < r->cfg->tries && next_try < give_up ? next_try : give_up;
		if (wait_readable(&t->fd, 1, deadline) == 0) {
			ssize_t n = recv_from_target(r, t->fd);
			int which;

			if (n == -EAGAIN)
				continue;
			if (n < 0)
				break;
			x->rep_len = (size_t)n;
			x->replied = 1;
			t->answered = 1;
			/* A stream-like server may merge a try with its retry: the bytes are fine,
			 * the boundary is not, and that is burst.boundaries' verdict, not this
			 * one's. */
			if (merged_tries(r, q, x->rep_len, x->tries)) {
				r->merged_retries++;
				x->rep_len = q->len;
			}
			which = answered_try(r, q, x->rep_len, x->tries);
			if (which >= 0)
				add_rtt(r, now_us() - sent_at[which]);
			if (x->rep_len > q->len)
				r->longer_replies++;
			return 0;
		}
		if (now_us() >= give_up)
			return 0;
	}
	return -1;
}

static int exchange_request(struct run *r, const struct request *q, struct exchange *x)
{
	int i = open_tracked(r);

	return i < 0 ? -1 : exchange_on(r, &r->socks[i], q, x);
}

/* r->req[0..len) as it is, every try. */
static int exchange(struct run *r, size_t len, struct exchange *x)
{
	struct request q = {len, 0, 0, 0};

	return exchange_request(r, &q, x);
}

/* A tagged request of len bytes (len >= CHECK_TAG_LEN). */
static int exchange_tagged(struct run *r, size_t len, unsigned stream, uint32_t seq,
			   struct exchange *x)
{
	struct request q = {len, 1, stream, seq};

	if (r->plus && len >= ECHOPLUS_MIN_LEN && !plus_tagged(r, len)) {
		/* Too short for a tag after the UDPEchoPlus header: filler around its zeros. */
		for (size_t i = 0; i < len; i++)
			r->req[i] = (uint8_t)((i * 73 + len * 31 + seq) % 255 + 1);
		memset(r->req + ECHOPLUS_REWRITE_OFF, 0,
		       ECHOPLUS_REWRITE_END - ECHOPLUS_REWRITE_OFF);
		q.tagged = 0;
	}

	return exchange_request(r, &q, x);
}

/* Some traffic for the checks that judge the run so far, when they run alone. */
static void ensure_traffic(struct run *r)
{
	struct exchange x;

	for (int i = 0; i < 3 && r->datagrams_sent == 0 && r->error == 0; i++) {
		memcpy(r->req, CLASSIC, CLASSIC_LEN);
		exchange(r, CLASSIC_LEN, &x);
	}
}

static const char *tries_word(unsigned n)
{
	return n == 1 ? "try" : "tries";
}

/* Common verdict for a single exact-echo exchange. */
static void judge_single(struct run *r, struct check_result *res, const struct exchange *x,
			 size_t len, const char *what, const char *pass)
{
	char why[REPORT_DETAIL_MAX];

	report_evidence_int(res, "sent", (long long)len);
	report_evidence_int(res, "tries", x->tries);
	if (!x->replied) {
		report_set(res, CHECK_FAIL, "no reply to %s (%u %s)", what, x->tries,
			   tries_word(x->tries));
		report_evidence_str(res, "failure", "silence");
		return;
	}
	report_evidence_int(res, "received", (long long)x->rep_len);
	if (check_classify(r->req, len, r->rep, x->rep_len).kind == CHECK_MATCH_EXACT) {
		report_set(res, CHECK_PASS, "%s", pass);
		return;
	}
	if (r->plus && echoplus_differs_only_in_fields(r->req, len, r->rep, x->rep_len)) {
		report_set(res, CHECK_WARN,
			   "%s: differs only in the UDPEchoPlus fields (bytes 4-19), as a TR-143 "
			   "responder's reply must",
			   what);
		report_evidence_str(res, "failure", "echoplus");
		return;
	}
	check_describe(why, sizeof(why), r->req, len, r->rep, x->rep_len);
	report_set(res, CHECK_FAIL, "%s: %s", what, why);
	report_evidence_str(res, "failure", x->rep_len != len ? "size" : "bytes");
}

static void run_echo_basic(struct run *r, struct check_result *res)
{
	struct exchange x;

	memcpy(r->req, CLASSIC, CLASSIC_LEN);
	if (exchange(r, CLASSIC_LEN, &x) == 0)
		judge_single(r, res, &x, CLASSIC_LEN, "the classic 42-byte message",
			     "the classic 42-byte message came back exactly");
}

static void run_echo_empty(struct run *r, struct check_result *res)
{
	struct exchange x;

	if (exchange(r, 0, &x) != 0)
		return;
	report_evidence_int(res, "tries", x.tries);
	if (!x.replied) {
		report_set(res, CHECK_FAIL, "no reply to a 0-byte datagram (%u %s)", x.tries,
			   tries_word(x.tries));
		report_evidence_str(res, "failure", "silence");
	} else if (x.rep_len != 0) {
		report_set(res, CHECK_FAIL, "a 0-byte datagram came back as %zu bytes", x.rep_len);
		report_evidence_str(res, "failure", "size");
	} else {
		report_set(res, CHECK_PASS, "a 0-byte datagram came back as a 0-byte datagram");
	}
}

static void run_echo_bytes(struct run *r, struct check_result *res)
{
	struct exchange x;

	/* 0x00, 0x01 ... 0xff, 0x00: every value, NULs first and last (257 bytes). */
	for (size_t i = 0; i < 256; i++)
		r->req[i] = (uint8_t)i;
	r->req[256] = 0;
	if (exchange(r, 257, &x) == 0)
		judge_single(r, res, &x, 257, "the 257-byte datagram of every byte value",
			     "every byte value 0x00-0xff came back exactly (NULs first and last)");
}

/* The ladder of echo.sizes: DESIGN.md's sizes, then the family maximum (0 here). */
static const size_t ladder[] = {1,    2,    4,    8,    16,    32,    64,   128,  256,
				512,  548,  576,  1232, 1280,  1472,  1473, 2048, 2049,
				4096, 4097, 8192, 8193, 16384, 32768, 0};

#define MAX_TRIED 64

struct size_probe {
	size_t size;
	int replied, exact;
	size_t rep_len;
	enum check_match_kind kind;
	char why[REPORT_DETAIL_MAX];
};

static int probe_size(struct run *r, size_t size, struct size_probe *p)
{
	struct exchange x;

	int rc;

	/* Tagged when big enough; below that, non-NUL filler (NULs are echo.bytes' business). */
	if (size >= CHECK_TAG_LEN) {
		rc = exchange_tagged(r, size, STREAM_SIZES, (uint32_t)size, &x);
	} else {
		for (size_t i = 0; i < size; i++)
			r->req[i] = (uint8_t)((i * 73 + size * 31) % 255 + 1);
		rc = exchange(r, size, &x);
	}
	if (rc != 0)
		return -1;
	memset(p, 0, sizeof(*p));
	p->size = size;
	p->replied = x.replied;
	p->rep_len = x.rep_len;
	if (!x.replied) {
		snprintf(p->why, sizeof(p->why), "no reply to a %zu-byte datagram (%u %s)", size,
			 x.tries, tries_word(x.tries));
		return 0;
	}
	p->kind = check_classify(r->req, size, r->rep, x.rep_len).kind;
	p->exact = p->kind == CHECK_MATCH_EXACT;
	check_describe(p->why, sizeof(p->why), r->req, size, r->rep, x.rep_len);
	return 0;
}

static const char *failure_kind(const struct size_probe *p)
{
	if (!p->replied)
		return "silence";
	return p->kind == CHECK_MATCH_DIFFERS ? "bytes" : "size";
}

/* Walks the ladder up to the first size not echoed exactly; returns 1 if one was found. */
static int walk_ladder(struct run *r, size_t *tried, size_t *ntried, struct check_bisect *b,
		       struct size_probe *bad)
{
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		size_t size = ladder[i] != 0 ? ladder[i] : r->family_max;
		struct size_probe p;

		if (probe_size(r, size, &p) != 0)
			return 0;
		tried[(*ntried)++] = size;
		if (!p.exact) {
			*bad = p;
			b->bad = size;
			return 1;
		}
		b->good = size;
	}
	return 0;
}

static void run_echo_sizes(struct run *r, struct check_result *res)
{
	struct check_bisect b = {0, 0};
	struct size_probe bad, p;
	size_t tried[MAX_TRIED], ntried = 0, next;

	if (!walk_ladder(r, tried, &ntried, &b, &bad)) {
		if (r->error != 0)
			return;
		report_set(res, CHECK_PASS,
			   "every size up to %zu bytes came back exactly (%zu sizes)",
			   r->family_max, ntried);
		report_evidence_int(res, "max_exact", (long long)r->family_max);
		report_evidence_sizes(res, "tried", tried, ntried);
		return;
	}
	while ((next = check_bisect_next(&b)) != 0 && ntried < MAX_TRIED) {
		if (probe_size(r, next, &p) != 0)
			return;
		tried[ntried++] = next;
		check_bisect_update(&b, next, p.exact);
	}
	if (bad.replied && bad.kind == CHECK_MATCH_TRUNCATED && bad.rep_len == b.good)
		report_set(res, CHECK_FAIL, "%s", bad.why);
	else if (b.good == 0)
		report_set(res, CHECK_FAIL, "%s; no size came back exactly", bad.why);
	else
		report_set(res, CHECK_FAIL, "%s; largest exact echo %zu bytes", bad.why, b.good);
	report_evidence_int(res, "max_exact", (long long)b.good);
	if (bad.replied && bad.kind == CHECK_MATCH_TRUNCATED)
		report_evidence_int(res, "truncated_to", (long long)bad.rep_len);
	report_evidence_str(res, "failure", failure_kind(&bad));
	report_evidence_sizes(res, "tried", tried, ntried);
}

static void run_reply_source(struct run *r, struct check_result *res)
{
	char from[ADDR_STR_MAX];
	struct exchange x;

	/* Three more replies to judge; one is enough to learn that a server is silent. */
	for (uint32_t seq = 0; seq < 3 && r->error == 0; seq++) {
		if (exchange_tagged(r, 64, STREAM_SOURCE, seq, &x) != 0 || !x.replied)
			break;
	}
	if (r->error != 0)
		return;
	report_evidence_int(res, "replies", (long long)r->datagrams_received);
	report_evidence_int(res, "wrong_source", (long long)r->wrong_sources);
	if (r->datagrams_received == 0) {
		report_set(res, CHECK_FAIL, "no reply to judge: the server answered nothing");
		report_evidence_str(res, "failure", "silence");
	} else if (r->wrong_sources > 0) {
		addr_format_hostport(from, sizeof(from), &r->wrong_source);
		report_set(res, CHECK_FAIL, "reply came from %s, request went to %s", from,
			   r->target_text);
		report_evidence_str(res, "failure", "sender");
		report_evidence_str(res, "replied_from", from);
	} else {
		report_set(res, CHECK_PASS, "all %llu replies so far came from %s",
			   (unsigned long long)r->datagrams_received, r->target_text);
	}
}

/*
 * Receives on several tracked sockets until `expected` answers are in (and a
 * short linger has passed, to catch extras) or the full wait is over.  The
 * callback returns how many new expected answers a datagram brought.
 */
typedef size_t (*reply_fn)(struct run *r, void *ctx, size_t which, const uint8_t *buf, size_t len);

static void collect(struct run *r, const int *idx, size_t n, size_t expected, reply_fn fn,
		    void *ctx)
{
	uint64_t deadline = now_us() + collect_wait(r);
	size_t got = 0;
	int fds[CLIENTS + 1];
	int which;

	for (size_t i = 0; i < n; i++) {
		fds[i] = r->socks[idx[i]].fd;
		r->socks[idx[i]].answered = 1;
	}
	while ((which = wait_readable(fds, n, deadline)) >= 0) {
		ssize_t len = recv_from_target(r, fds[which]);

		if (len == -EAGAIN)
			continue;
		if (len < 0)
			return;
		if (got < expected) {
			got += fn(r, ctx, (size_t)which, r->rep, (size_t)len);
			if (got >= expected)
				deadline = now_us() + linger(r);
		} else {
			fn(r, ctx, (size_t)which, r->rep, (size_t)len);
		}
	}
}

/* A tagged reply of this run and stream range: returns 0 and fills *tag. */
static int own_tag(const struct run *r, const uint8_t *buf, size_t len, unsigned first,
		   unsigned count, struct check_tag *tag)
{
	if (tag_read(r, buf, len, tag) != 0 || tag->run != r->run_id)
		return -1;
	return tag->stream >= first && tag->stream < first + count ? 0 : -1;
}

struct once_state {
	unsigned sent;
	unsigned counts[ONCE_REQUESTS];
	unsigned unrecognised;
};

static size_t once_reply(struct run *r, void *ctx, size_t which, const uint8_t *buf, size_t len)
{
	struct once_state *st = ctx;
	struct check_tag tag;

	(void)which;
	if (own_tag(r, buf, len, STREAM_ONCE, 1, &tag) != 0 || tag.seq >= ONCE_REQUESTS) {
		st->unrecognised++;
		return 0;
	}
	return ++st->counts[tag.seq] == 1;
}

/*
 * Sends the requests one after another on one socket, each once, waiting
 * for its reply (or two timeouts) before the next, so that a server cannot
 * merge them; then listens one timeout more for late duplicates.
 */
static void once_exchanges(struct run *r, int fd, struct once_state *st)
{
	for (uint32_t seq = 0; seq < ONCE_REQUESTS; seq++) {
		uint64_t deadline;
		unsigned before = st->counts[seq];

		/* Two requests without any reply: a silent server, no need to wait out eight. */
		if (seq == 2 && st->counts[0] == 0 && st->counts[1] == 0)
			return;

		tag_payload(r, r->req, 64, STREAM_ONCE, seq, 0);
		if (send_to_target(r, fd, r->req, 64) != 0)
			return;
		st->sent++;
		deadline = now_us() + 4 * r->rto_us;
		if (seq + 1 == ONCE_REQUESTS)
			deadline += linger(r);
		while (wait_readable(&fd, 1, deadline) == 0) {
			ssize_t n = recv_from_target(r, fd);

			if (n == -EAGAIN)
				continue;
			if (n < 0)
				return;
			once_reply(r, st, 0, r->rep, (size_t)n);
			if (st->counts[seq] > before && seq + 1 < ONCE_REQUESTS)
				break;
		}
	}
}

static void run_reply_once(struct run *r, struct check_result *res)
{
	struct once_state st;
	unsigned answered = 0, replies = 0, dup_seq = ONCE_REQUESTS;
	int idx = open_tracked(r);

	if (idx < 0)
		return;
	memset(&st, 0, sizeof(st));
	r->socks[idx].answered = 1;
	once_exchanges(r, r->socks[idx].fd, &st);
	if (r->error != 0)
		return;
	for (unsigned i = 0; i < ONCE_REQUESTS; i++) {
		answered += st.counts[i] > 0;
		replies += st.counts[i];
		if (st.counts[i] > 1 && dup_seq == ONCE_REQUESTS)
			dup_seq = i;
	}
	report_evidence_int(res, "requests", st.sent);
	report_evidence_int(res, "answered", answered);
	report_evidence_int(res, "replies", replies);
	if (dup_seq < ONCE_REQUESTS) {
		report_set(res, CHECK_FAIL,
			   "request %u was answered %u times (%u replies to %u requests)",
			   dup_seq + 1, st.counts[dup_seq], replies, ONCE_REQUESTS);
		report_evidence_str(res, "failure", "duplicate");
	} else if (answered == 0) {
		report_set(res, CHECK_FAIL, "no reply to %u requests sent once each", st.sent);
		report_evidence_str(res, "failure", "silence");
	} else if (answered < ONCE_REQUESTS) {
		report_set(res, CHECK_PASS,
			   "each answered request was answered once (%u of %u lost)",
			   ONCE_REQUESTS - answered, ONCE_REQUESTS);
	} else {
		report_set(res, CHECK_PASS, "each of %u requests was answered exactly once",
			   ONCE_REQUESTS);
	}
}

/* Burst sizes vary from 64 to 512 bytes: small enough that truncation is not the question. */
static size_t burst_len(uint32_t seq)
{
	return 64 + (seq * 97u) % 449u;
}

struct burst_state {
	unsigned got[BURST_REQUESTS];
	unsigned exact, merged, pieces, altered, unrecognised, duplicates;
	char first[REPORT_DETAIL_MAX];
	const char *failure;
};

static void burst_problem(struct burst_state *st, const char *failure, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void burst_problem(struct burst_state *st, const char *failure, const char *fmt, ...)
{
	va_list ap;

	if (st->first[0] != '\0')
		return;
	st->failure = failure;
	va_start(ap, fmt);
	vsnprintf(st->first, sizeof(st->first), fmt, ap);
	va_end(ap);
}

/* Does buf hold burst request `seq` whole at its start?  Returns its length, 0 if not. */
static size_t whole_request_at(struct run *r, const uint8_t *buf, size_t len, uint32_t *seq)
{
	struct check_tag tag;
	size_t want;

	if (own_tag(r, buf, len, STREAM_BURST, 1, &tag) != 0 || tag.seq >= BURST_REQUESTS)
		return 0;
	want = burst_len(tag.seq);
	if (want > len)
		return 0;
	tag_payload(r, r->req, want, STREAM_BURST, tag.seq, 0);
	*seq = tag.seq;
	return memcmp(buf, r->req, want) == 0 ? want : 0;
}

/* A reply that starts with one whole request and goes on: count the whole requests in it. */
static size_t burst_merged(struct run *r, struct burst_state *st, const uint8_t *buf, size_t len,
			   uint32_t first)
{
	size_t off = 0, pieces = 0, fresh = 0, n;
	uint32_t seq = first, last = first;

	while (off < len && (n = whole_request_at(r, buf + off, len - off, &seq)) != 0) {
		fresh += st->got[seq]++ == 0;
		last = seq;
		off += n;
		pieces++;
	}
	if (pieces >= 2) {
		st->merged++;
		burst_problem(st, "merged",
			      "requests %u to %u came back merged into one %zu-byte datagram",
			      first + 1, last + 1, len);
	} else {
		st->altered++;
		burst_problem(st, "size", "request %u came back %zu bytes longer than the %zu sent",
			      first + 1, len - burst_len(first), burst_len(first));
	}
	return fresh;
}

static size_t burst_reply(struct run *r, void *ctx, size_t which, const uint8_t *buf, size_t len)
{
	struct burst_state *st = ctx;
	struct check_tag tag;
	struct check_match m;
	size_t want;
	char why[REPORT_DETAIL_MAX];

	(void)which;
	if (own_tag(r, buf, len, STREAM_BURST, 1, &tag) != 0 || tag.seq >= BURST_REQUESTS) {
		st->unrecognised++;
		burst_problem(
			st, "bytes",
			"a %zu-byte reply is no request: a piece of a split or merged datagram",
			len);
		return 0;
	}
	want = burst_len(tag.seq);
	tag_payload(r, r->req, want, STREAM_BURST, tag.seq, 0);
	m = check_classify(r->req, want, buf, len);
	switch (m.kind) {
	case CHECK_MATCH_EXACT:
		st->exact++;
		st->duplicates += st->got[tag.seq] > 0;
		return st->got[tag.seq]++ == 0;
	case CHECK_MATCH_EXTENDED:
		return burst_merged(r, st, buf, len, tag.seq);
	case CHECK_MATCH_TRUNCATED:
		st->pieces++;
		burst_problem(st, "size",
			      "request %u (%zu bytes) came back as its first %zu: split",
			      tag.seq + 1, want, len);
		return st->got[tag.seq]++ == 0;
	case CHECK_MATCH_DIFFERS:
	default:
		st->altered++;
		check_describe(why, sizeof(why), r->req, want, buf, len);
		burst_problem(st, "bytes", "request %u came back %s", tag.seq + 1, why);
		return st->got[tag.seq]++ == 0;
	}
}

static void run_burst_boundaries(struct run *r, struct check_result *res)
{
	struct burst_state st;
	unsigned answered = 0;
	int idx = open_tracked(r);

	if (idx < 0)
		return;
	memset(&st, 0, sizeof(st));
	for (uint32_t seq = 0; seq < BURST_REQUESTS; seq++) {
		tag_payload(r, r->req, burst_len(seq), STREAM_BURST, seq, 0);
		if (send_to_target(r, r->socks[idx].fd, r->req, burst_len(seq)) != 0)
			return;
	}
	collect(r, &idx, 1, BURST_REQUESTS, burst_reply, &st);
	for (unsigned i = 0; i < BURST_REQUESTS; i++)
		answered += st.got[i] > 0;
	report_evidence_int(res, "sent", BURST_REQUESTS);
	report_evidence_int(res, "exact", st.exact);
	report_evidence_int(res, "merged", st.merged);
	report_evidence_int(res, "split", st.pieces);
	report_evidence_int(res, "altered", st.altered);
	report_evidence_int(res, "unrecognised", st.unrecognised);
	report_evidence_int(res, "retries_merged_elsewhere", (long long)r->merged_retries);
	if (st.first[0] != '\0') {
		report_set(res, CHECK_FAIL, "%s", st.first);
		report_evidence_str(res, "failure", st.failure);
	} else if (r->merged_retries > 0) {
		report_set(res, CHECK_FAIL,
			   "%llu earlier requests came back merged with their own retries into one "
			   "datagram",
			   (unsigned long long)r->merged_retries);
		report_evidence_str(res, "failure", "merged");
	} else if (answered == 0) {
		report_set(res, CHECK_FAIL, "no reply to a burst of %u datagrams", BURST_REQUESTS);
		report_evidence_str(res, "failure", "silence");
	} else if (answered < BURST_REQUESTS) {
		report_set(res, CHECK_PASS,
			   "%u of %u distinct datagrams came back, each whole and exact (%u lost)",
			   answered, BURST_REQUESTS, BURST_REQUESTS - answered);
	} else {
		report_set(res, CHECK_PASS,
			   "%u distinct datagrams came back as %u datagrams, each whole and exact",
			   BURST_REQUESTS, BURST_REQUESTS);
	}
}

struct isolation_state {
	unsigned own[CLIENTS][CLIENT_ROUNDS];
	unsigned crossed;
	unsigned victim, owner; /* the first cross-delivery, 0-based */
};

static size_t isolation_reply(struct run *r, void *ctx, size_t which, const uint8_t *buf,
			      size_t len)
{
	struct isolation_state *st = ctx;
	struct check_tag tag;
	unsigned owner;

	if (own_tag(r, buf, len, STREAM_CLIENT0, CLIENTS, &tag) != 0 || tag.seq >= CLIENT_ROUNDS)
		return 0; /* altered or foreign bytes: other checks judge content */
	owner = tag.stream - STREAM_CLIENT0;
	if (owner != which) {
		if (st->crossed++ == 0) {
			st->victim = (unsigned)which;
			st->owner = owner;
		}
		return 0;
	}
	return st->own[which][tag.seq]++ == 0;
}

static void run_clients_isolation(struct run *r, struct check_result *res)
{
	struct isolation_state st;
	int idx[CLIENTS];
	unsigned replies = 0;

	memset(&st, 0, sizeof(st));
	for (size_t c = 0; c < CLIENTS; c++) {
		if ((idx[c] = open_tracked(r)) < 0)
			return;
	}
	/* Round-robin, so every client has requests in flight at once. */
	for (uint32_t seq = 0; seq < CLIENT_ROUNDS; seq++) {
		for (unsigned c = 0; c < CLIENTS; c++) {
			tag_payload(r, r->req, 64, STREAM_CLIENT0 + c, seq, 0);
			if (send_to_target(r, r->socks[idx[c]].fd, r->req, 64) != 0)
				return;
		}
	}
	collect(r, idx, CLIENTS, (size_t)CLIENTS * CLIENT_ROUNDS, isolation_reply, &st);
	for (unsigned c = 0; c < CLIENTS; c++) {
		for (unsigned s = 0; s < CLIENT_ROUNDS; s++)
			replies += st.own[c][s] > 0;
	}
	report_evidence_int(res, "clients", CLIENTS);
	report_evidence_int(res, "requests", (long long)CLIENTS * CLIENT_ROUNDS);
	report_evidence_int(res, "own_replies", replies);
	report_evidence_int(res, "misdelivered", st.crossed);
	if (st.crossed > 0) {
		report_set(res, CHECK_FAIL, "client %u received client %u's data (%u misdelivered)",
			   st.victim + 1, st.owner + 1, st.crossed);
		report_evidence_str(res, "failure", "crosstalk");
	} else if (replies == 0) {
		report_set(res, CHECK_FAIL, "no client got a reply (%u clients, %u requests)",
			   CLIENTS, CLIENTS * CLIENT_ROUNDS);
		report_evidence_str(res, "failure", "silence");
	} else {
		report_set(res, CHECK_PASS,
			   "%u concurrent clients each got only their own data (%u of %u replies)",
			   CLIENTS, replies, CLIENTS * CLIENT_ROUNDS);
	}
}

static void run_safety_amplification(struct run *r, struct check_result *res)
{
	ensure_traffic(r);
	if (r->error != 0)
		return;
	drain_all(r);
	report_evidence_int(res, "request_bytes", (long long)r->bytes_sent);
	report_evidence_int(res, "reply_bytes", (long long)r->bytes_received);
	report_evidence_int(res, "requests", (long long)r->datagrams_sent);
	report_evidence_int(res, "replies", (long long)r->datagrams_received);
	if (r->bytes_received > r->bytes_sent) {
		report_set(res, CHECK_FAIL, "replies carried %llu bytes for %llu sent (%.2fx)",
			   (unsigned long long)r->bytes_received, (unsigned long long)r->bytes_sent,
			   r->bytes_sent ? (double)r->bytes_received / (double)r->bytes_sent : 0.0);
	} else if (r->datagrams_received > r->datagrams_sent) {
		report_set(res, CHECK_FAIL, "%llu replies for %llu requests",
			   (unsigned long long)r->datagrams_received,
			   (unsigned long long)r->datagrams_sent);
	} else if (r->longer_replies > 0) {
		report_set(res, CHECK_FAIL, "%llu replies were longer than their requests",
			   (unsigned long long)r->longer_replies);
	} else {
		report_set(res, CHECK_PASS,
			   "replies carried %llu bytes for %llu sent, %llu datagram%s for %llu",
			   (unsigned long long)r->bytes_received, (unsigned long long)r->bytes_sent,
			   (unsigned long long)r->datagrams_received,
			   r->datagrams_received == 1 ? "" : "s",
			   (unsigned long long)r->datagrams_sent);
	}
}

enum { LOSS_UNSENT, LOSS_INFLIGHT, LOSS_ECHOED, LOSS_LOST };

struct loss_state {
	unsigned char state[LOSS_REQUESTS];
	uint64_t sent_at[LOSS_REQUESTS];
	unsigned inflight, echoed, lost, next;
};

/* Requests older than the wait are lost: no retries here, this measures loss. */
static void loss_expire(struct loss_state *st, uint64_t now, uint64_t wait)
{
	for (unsigned i = 0; i < st->next; i++) {
		if (st->state[i] == LOSS_INFLIGHT && now - st->sent_at[i] >= wait) {
			st->state[i] = LOSS_LOST;
			st->inflight--;
			st->lost++;
		}
	}
}

static void loss_mark(struct run *r, struct loss_state *st, uint32_t seq)
{
	if (seq >= st->next || st->state[seq] != LOSS_INFLIGHT)
		return;
	st->state[seq] = LOSS_ECHOED;
	st->inflight--;
	st->echoed++;
	add_rtt(r, now_us() - st->sent_at[seq]);
}

/*
 * Marks every whole request in each reply as echoed: a reply holding
 * several merged requests is a boundary defect (burst.boundaries), not loss.
 */
static void loss_receive(struct run *r, struct loss_state *st, int fd)
{
	uint8_t want[64];
	struct check_tag tag;
	ssize_t n;

	while ((n = recv_from_target(r, fd)) >= 0) {
		for (size_t off = 0; off + 64 <= (size_t)n; off += 64) {
			if (own_tag(r, r->rep + off, 64, STREAM_LOSS, 1, &tag) != 0)
				break;
			tag_payload(r, want, 64, STREAM_LOSS, tag.seq, 0);
			if (memcmp(want, r->rep + off, 64) != 0)
				break;
			loss_mark(r, st, tag.seq);
		}
	}
}

/* Keeps LOSS_WINDOW requests in flight until LOSS_REQUESTS have been sent and settled. */
static void loss_burst(struct run *r, struct loss_state *st, int fd)
{
	uint64_t wait = 4 * r->rto_us;

	while (r->error == 0 && (st->next < LOSS_REQUESTS || st->inflight > 0)) {
		while (st->next < LOSS_REQUESTS && st->inflight < LOSS_WINDOW) {
			tag_payload(r, r->req, 64, STREAM_LOSS, st->next, 0);
			if (send_to_target(r, fd, r->req, 64) != 0)
				return;
			st->sent_at[st->next] = now_us();
			st->state[st->next++] = LOSS_INFLIGHT;
			st->inflight++;
		}
		if (wait_readable(&fd, 1, now_us() + wait / 8) == 0)
			loss_receive(r, st, fd);
		loss_expire(st, now_us(), wait);
		/* A whole window expired with nothing back: the server is silent, stop here. */
		if (st->echoed == 0 && st->lost >= LOSS_WINDOW)
			return;
	}
}

static void run_burst_loss(struct run *r, struct check_result *res)
{
	struct loss_state st;
	int idx = open_tracked(r);
	double loss;

	if (idx < 0)
		return;
	memset(&st, 0, sizeof(st));
	r->socks[idx].answered = 1;
	loss_burst(r, &st, r->socks[idx].fd);
	if (r->error != 0)
		return;
	loss = 100.0 * (double)(st.next - st.echoed) / st.next;
	report_evidence_int(res, "sent", st.next);
	report_evidence_int(res, "echoed", st.echoed);
	report_evidence_num(res, "loss_pct", loss);
	report_evidence_int(res, "window", LOSS_WINDOW);
	report_set(res, loss > 1.0 ? CHECK_WARN : CHECK_PASS,
		   "%u of %u echoed (%.1f%% loss, window %u, no retries)", st.echoed, st.next, loss,
		   LOSS_WINDOW);
}

/* A tracked socket bound to a privileged source port; -EACCES without privilege. */
static int bind_source_port(struct run *r, uint16_t port)
{
	struct net_addr local;
	int i = open_tracked(r), one = 1;

	if (i < 0)
		return r->error;
	memset(&local, 0, sizeof(local));
	local.ss.ss_family = r->cfg->target.ss.ss_family;
	local.len = r->cfg->target.len;
	if (local.ss.ss_family == AF_INET)
		((struct sockaddr_in *)&local.ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&local.ss)->sin6_port = htons(port);
	(void)setsockopt(r->socks[i].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->socks[i].fd, (const struct sockaddr *)&local.ss, local.len) != 0)
		return -errno;
	return i;
}

#define LOOP_PORTS 2

/*
 * Sends the classic message from each bound loop port, a try every
 * timeout, and listens one timeout more.  Returns the index of the first
 * port answered, LOOP_PORTS if none was.
 */
static size_t probe_loop_ports(struct run *r, const int *idx, size_t n)
{
	int fds[LOOP_PORTS];

	for (size_t p = 0; p < n; p++)
		fds[p] = r->socks[idx[p]].fd;
	memcpy(r->req, CLASSIC, CLASSIC_LEN);
	for (unsigned t = 0; t < r->cfg->tries; t++) {
		int which;

		for (size_t p = 0; p < n; p++) {
			if (send_to_target(r, fds[p], r->req, CLASSIC_LEN) != 0)
				return LOOP_PORTS;
		}
		uint64_t deadline = now_us() + r->rto_us * (t + 1 == r->cfg->tries ? 4 : 1);

		while ((which = wait_readable(fds, n, deadline)) >= 0) {
			if (recv_from_target(r, fds[which]) >= 0) {
				/* The other port's reply may still come: expected, not late. */
				for (size_t p = 0; p < n; p++)
					r->socks[idx[p]].answered = 1;
				return (size_t)which;
			}
			if (r->error != 0)
				return LOOP_PORTS;
		}
	}
	return LOOP_PORTS;
}

static void run_safety_loop(struct run *r, struct check_result *res)
{
	static const uint16_t ports[LOOP_PORTS] = {7, 19};
	static const char *const names[LOOP_PORTS] = {"echo", "chargen"};
	uint16_t bound[LOOP_PORTS];
	int idx[LOOP_PORTS];
	size_t n = 0, hit;

	ensure_traffic(r);
	if (r->datagrams_received == 0) {
		report_set(res, CHECK_SKIP,
			   "the server answered nothing, so silence here proves nothing");
		return;
	}
	for (size_t p = 0; p < LOOP_PORTS; p++) {
		int i = bind_source_port(r, ports[p]);

		if (i == -EACCES || i == -EPERM) {
			report_set(res, CHECK_SKIP,
				   "needs privilege to send from port %u (run as root)", ports[p]);
			return;
		}
		if (i >= 0) { /* else in use on this host: try the other port */
			bound[n] = ports[p];
			idx[n++] = i;
		}
	}
	if (n == 0) {
		report_set(res, CHECK_SKIP, "source ports 7 and 19 are both in use on this host");
		return;
	}
	hit = probe_loop_ports(r, idx, n);
	if (hit < n) {
		report_set(res, CHECK_WARN,
			   "answers requests from source port %u (%s): two such services can loop "
			   "forever",
			   bound[hit], names[bound[hit] == 7 ? 0 : 1]);
		report_evidence_int(res, "answered_port", bound[hit]);
	} else if (r->error == 0) {
		report_set(res, CHECK_PASS, "ignores requests from source port%s %u%s",
			   n > 1 ? "s" : "", bound[0], n > 1 ? " (echo) and 19 (chargen)" : "");
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static double percentile_ms(const uint32_t *sorted, size_t n, double pct)
{
	size_t i = (size_t)(pct / 100.0 * (double)(n - 1) + 0.5);

	return (double)sorted[i] / 1000.0;
}

static void run_latency(struct run *r, struct check_result *res)
{
	uint32_t *s = r->rtt_us;
	size_t n;

	ensure_traffic(r);
	drain_all(r);
	n = r->rtt_count;
	report_evidence_int(res, "samples", (long long)n);
	report_evidence_int(res, "late_replies", (long long)r->late);
	if (n == 0 && r->late > 0) {
		report_set(res, CHECK_WARN,
			   "no reply came within the wait; %llu came later, too late "
			   "to count",
			   (unsigned long long)r->late);
		return;
	}
	if (n == 0) {
		report_set(res, CHECK_SKIP, "no reply to time");
		return;
	}
	qsort(s, n, sizeof(s[0]), cmp_u32);
	report_evidence_num(res, "p50_ms", percentile_ms(s, n, 50));
	report_evidence_num(res, "p90_ms", percentile_ms(s, n, 90));
	report_evidence_num(res, "p99_ms", percentile_ms(s, n, 99));
	report_evidence_num(res, "max_ms", (double)s[n - 1] / 1000.0);
	report_set(res, r->late > 0 ? CHECK_WARN : CHECK_PASS,
		   "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms over %zu repl%s%s",
		   percentile_ms(s, n, 50), percentile_ms(s, n, 90), percentile_ms(s, n, 99),
		   (double)s[n - 1] / 1000.0, n, n == 1 ? "y" : "ies",
		   r->late > 0 ? "; some replies came only after their check stopped waiting" : "");
}

typedef void (*check_fn)(struct run *r, struct check_result *res);

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
	int detected;
	unsigned replies, transmissions, judged;
	unsigned strays; /* replies that matched no transmission of their request */
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

static void plus_request(struct run *r, size_t len, uint32_t gen)
{
	const struct echoplus_header h = {.gen_sn = gen, .iteration = r->run_id};

	for (size_t i = 0; i < len; i++)
		r->req[i] = (uint8_t)((i * 73 + len * 31 + gen) % 255 + 1);
	echoplus_encode(r->req, len, &h);
}

/* Sends the next transmission, PLUS_SPACING_US after the one before; returns its send time. */
static uint64_t plus_send(struct run *r, int fd, size_t len, struct plus_probe *p)
{
	static uint64_t last_send;

	plus_request(r, len, ++p->transmissions);
	while (now_us() < last_send + PLUS_SPACING_US)
		usleep(200);
	last_send = now_us();
	send_to_target(r, fd, r->req, len);
	return last_send;
}

/*
 * Which of this request's transmissions, first to first + sent - 1, does the
 * reply answer?  Its TestGenSN says so; a reply too short to carry one, or
 * with another, answers the only transmission when there is just one (as
 * exchange_on's untagged replies do).  Returns the index, -1 for a late
 * reply to an earlier request, -2 for a reply that matches nothing.
 */
static int plus_answered(const struct run *r, size_t n, uint32_t first, unsigned sent)
{
	struct echoplus_header h;

	echoplus_decode(r->rep, n, &h);
	if (n >= ECHOPLUS_MIN_LEN && h.gen_sn - first < sent)
		return (int)(h.gen_sn - first);
	if (n >= ECHOPLUS_MIN_LEN && h.gen_sn < first && h.gen_sn > 0)
		return -1;
	return sent == 1 ? 0 : -2;
}

/*
 * One request, retried as new transmissions (each its own TestGenSN) on the
 * measured round trip and given up after the full wait, as every check's
 * requests are; a reply to any of its transmissions answers it.  Returns
 * the reply's length (r->req rebuilt as the transmission it answers), or -1.
 */
static ssize_t plus_exchange(struct run *r, int fd, size_t len, struct plus_probe *p,
			     struct plus_answer *a)
{
	uint64_t sent_at[CHECK_MAX_TRIES];
	uint32_t first = p->transmissions + 1;
	uint64_t wait = r->rto_us, next_try = 0, give_up = UINT64_MAX;
	unsigned sent = 0;

	while (r->error == 0) {
		uint64_t deadline;

		if (sent < r->cfg->tries && now_us() >= next_try) {
			sent_at[sent] = plus_send(r, fd, len, p);
			if (sent++ == 0)
				give_up = sent_at[0] + full_wait(r);
			next_try = sent_at[sent - 1] + wait;
			wait = check_next_wait(wait);
			continue;
		}
		deadline = sent < r->cfg->tries && next_try < give_up ? next_try : give_up;
		if (wait_readable(&fd, 1, deadline) == 0) {
			ssize_t n = recv_from_target(r, fd);
			int which;

			if (n == -EAGAIN)
				continue;
			if (n < 0)
				return -1;
			which = plus_answered(r, (size_t)n, first, sent);
			if (which == -2)
				p->strays++;
			if (which < 0)
				continue;
			a->gen = first + (uint32_t)which;
			a->sent_at = sent_at[which];
			a->rtt = now_us() - a->sent_at;
			add_rtt(r, a->rtt);
			if (sent > 1)
				plus_request(r, len, a->gen);
			return n;
		}
		if (now_us() >= give_up)
			break;
	}
	return -1;
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

static void probe_echoplus(struct run *r)
{
	struct check_result *res = &r->plus_result;
	struct plus_probe p = {.res = res};
	int i = open_tracked(r);
	uint64_t t0 = now_us();

	memset(res, 0, sizeof(*res));
	res->info = check_info(CHECK_ECHOPLUS_FIELDS);
	res->status = CHECK_SKIP;
	if (i < 0)
		return;
	for (size_t k = 0; k < PLUS_REQUESTS && r->error == 0; k++) {
		size_t len = plus_sizes[k];
		struct plus_answer a;
		ssize_t n = plus_exchange(r, r->socks[i].fd, len, &p, &a);

		if (n < 0 && !p.detected)
			break; /* silence says nothing about UDPEchoPlus; the other checks name it
				*/
		if (n < 0)
			continue;
		p.replies++;
		if (!p.detected && plus_detect(r, &p, len, (size_t)n) != 0)
			break;
		if (plus_judge(r, &p, len, (size_t)n, &a) != 0)
			break;
	}
	r->socks[i].answered = p.replies > 0;
	if (p.detected) {
		plus_detected_info = *check_info(CHECK_ECHOPLUS_FIELDS);
		plus_detected_info.level = CHECK_MUST;
		res->info = &plus_detected_info;
		r->plus = 1;
		if (res->status == CHECK_SKIP)
			report_set(
				res, CHECK_PASS,
				"a TR-143 UDPEchoPlus responder: %u replies with every field right "
				"(TestRespSN %u to %u, server time up to %u us)",
				p.replies, p.first_sn, p.prev.resp_sn, p.max_processing);
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
	report_evidence_int(res, "requests", p.transmissions);
	report_evidence_int(res, "replies", p.replies);
	if (p.detected && p.judged > 0) {
		report_evidence_int(res, "resp_sn_first", p.first_sn);
		report_evidence_int(res, "resp_sn_last", p.prev.resp_sn);
		report_evidence_int(res, "failures", p.prev.failures);
		report_evidence_int(res, "server_us_max", p.max_processing);
	}
	res->elapsed_us = now_us() - t0;
}

/* Found before the other checks ran (run_all), reported in its place. */
static void run_echoplus_fields(struct run *r, struct check_result *res)
{
	*res = r->plus_result;
}

static const check_fn runners[CHECK_COUNT] = {
	[CHECK_ECHO_BASIC] = run_echo_basic,
	[CHECK_ECHO_EMPTY] = run_echo_empty,
	[CHECK_ECHO_BYTES] = run_echo_bytes,
	[CHECK_ECHO_SIZES] = run_echo_sizes,
	[CHECK_REPLY_SOURCE] = run_reply_source,
	[CHECK_REPLY_ONCE] = run_reply_once,
	[CHECK_BURST_BOUNDARIES] = run_burst_boundaries,
	[CHECK_CLIENTS_ISOLATION] = run_clients_isolation,
	[CHECK_SAFETY_AMPLIFICATION] = run_safety_amplification,
	[CHECK_BURST_LOSS] = run_burst_loss,
	[CHECK_SAFETY_LOOP] = run_safety_loop,
	[CHECK_LATENCY] = run_latency,
	[CHECK_ECHOPLUS_FIELDS] = run_echoplus_fields,
};

static void show_progress(const struct check_config *cfg, size_t done, size_t total,
			  const char *name)
{
	if (!cfg->progress)
		return;
	if (name != NULL)
		fprintf(stderr, "\r\033[K[%zu/%zu] %s ...", done + 1, total, name);
	else
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

static int run_all(struct run *r, struct report *rep)
{
	size_t total = 0;
	uint64_t start = now_us();

	for (int id = 0; id < CHECK_COUNT; id++)
		total += r->cfg->selected[id] != 0;
	/* Always first: the other checks speak UDPEchoPlus to a UDPEchoPlus responder. */
	show_progress(r->cfg, 0, total, "echoplus.fields");
	probe_echoplus(r);
	for (int id = 0; id < CHECK_COUNT && r->error == 0; id++) {
		struct check_result *res = &rep->results[rep->count];
		uint64_t t0 = now_us();

		if (!r->cfg->selected[id])
			continue;
		memset(res, 0, sizeof(*res));
		res->info = check_info((enum check_id)id);
		res->status = CHECK_SKIP;
		show_progress(r->cfg, rep->count, total, res->info->name);
		runners[id](r, res);
		if (id != CHECK_ECHOPLUS_FIELDS)
			res->elapsed_us = now_us() - t0;
		rep->count++;
	}
	show_progress(r->cfg, 0, 0, NULL);
	rep->elapsed_us = now_us() - start;
	return r->error == 0 ? 0 : -1;
}

int check_run(const struct check_config *config, struct report *rep, struct check_abort *why)
{
	struct run *r = calloc(1, sizeof(*r));
	struct timespec ts;
	int rc = -1;

	why->error = -ENOMEM;
	if (r == NULL)
		return -1;
	r->cfg = config;
	r->rto_us = config->timeout_us;
	r->req = malloc(RUN_BUF_SIZE);
	r->rep = malloc(RUN_BUF_SIZE);
	r->scratch = malloc(RUN_BUF_SIZE);
	if (r->req != NULL && r->rep != NULL && r->scratch != NULL) {
		net_to_peer((const struct sockaddr *)&config->target.ss, &r->target);
		addr_format_hostport(r->target_text, sizeof(r->target_text), &r->target);
		r->family_max = net_family_max(&config->target);
		clock_gettime(CLOCK_REALTIME, &ts);
		r->run_id = check_run_id((uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^
					 (uint32_t)getpid());
		rc = run_all(r, rep);
		why->error = r->error;
	}
	for (size_t i = 0; i < r->nsocks; i++)
		close(r->socks[i].fd);
	free(r->req);
	free(r->rep);
	free(r->scratch);
	free(r);
	return rc;
}
