/*
 * ping_run.c: `udpecho ping`, the probe.
 *
 * Request layout (SIZE bytes; what does not fit is left out):
 *
 *   0..3    the sequence number, big-endian: TestGenSN.  Below 4 bytes its
 *           low bytes; an empty datagram carries none and replies are
 *           matched to the oldest unanswered request.
 *   4..19   zeros (auto and --plus: the fields a UDPEchoPlus server writes)
 *           or the pattern below (--rfc: every byte must come back).
 *   20..23  TestIterationNumber: a random number drawn once per run, the
 *           same in every request, so replies to another run's requests
 *           never match.
 *   24..    pattern: byte i is (seq * 131 + i) mod 256.
 *
 * So every reply can be checked byte for byte against the request it names;
 * one that matches none is corrupt, never received.  The socket stays
 * unconnected so that replies from elsewhere are seen and ignored by name;
 * IP_RECVERR delivers ICMP errors with the offending request, whose
 * sequence number says which request failed.
 */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ping_run.h"
#include "udpecho/echoplus.h"

#define PROG "udpecho"
#define SEQ_BYTES 4u
#define ERRQUEUE_DATA 64u /* enough of the offending request for its sequence number */

static volatile sig_atomic_t interrupted, status_wanted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void on_status(int sig)
{
	(void)sig;
	status_wanted = 1;
}

static void pattern(uint8_t *buf, size_t from, size_t to, uint64_t seq)
{
	for (size_t i = from; i < to; i++)
		buf[i] = (uint8_t)(seq * 131u + i);
}

/* The request for seq, as the layout above says. */
static void fill(const struct ping *p, uint8_t *buf, uint64_t seq)
{
	size_t size = p->o->size, head = p->seq_bits / 8;

	pattern(buf, 0, size, seq);
	if (size >= ECHOPLUS_MIN_LEN) {
		/* TestGenSN and TestIterationNumber; zeros where the server writes. */
		struct echoplus_header h = {.gen_sn = (uint32_t)seq, .iteration = p->run_id};

		echoplus_encode(buf, size, &h);
		if (p->o->mode == PING_RFC)
			pattern(buf, ECHOPLUS_REWRITE_OFF, ECHOPLUS_REWRITE_END, seq);
		return;
	}
	for (size_t i = 0; i < head; i++)
		buf[i] = (uint8_t)(seq >> (8 * (head - 1 - i)));
}

/* The low bits of the sequence number a datagram carries. */
static uint32_t carried_seq(const uint8_t *buf, size_t len, unsigned bits)
{
	uint32_t v = 0;

	for (size_t i = 0; i < bits / 8 && i < len; i++)
		v = v << 8 | buf[i];
	return v;
}

/*
 * Empty datagrams: the oldest request not answered yet.  An ICMP error
 * also skips those that already had one: each request causes at most one,
 * so the next error belongs to the next request, not to the same one again.
 */
static uint64_t oldest_open(struct ping *p, int icmp)
{
	const struct pingstat_seqs *s = p->seqs;
	uint64_t seq;

	while (p->fifo < s->sent && pingstat_seqs_answered(s, p->fifo))
		p->fifo++;
	seq = p->fifo;
	while (icmp && seq < s->sent &&
	       (pingstat_seqs_answered(s, seq) || p->slots[seq % PINGSTAT_WINDOW].errored))
		seq++;
	return seq < s->sent ? seq : s->sent - 1;
}

/*
 * The request a reply (or, icmp set, an ICMP error's copy of a request)
 * names; UINT64_MAX if none.
 */
static uint64_t named_seq(struct ping *p, const uint8_t *buf, size_t len, int icmp)
{
	const struct pingstat_seqs *s = p->seqs;

	if (s->sent == 0 || len < p->seq_bits / 8)
		return UINT64_MAX;
	if (p->seq_bits == 0)
		return oldest_open(p, icmp);
	return pingstat_unwrap(s->sent - 1, carried_seq(buf, len, p->seq_bits), p->seq_bits);
}

static void record(struct ping *p, const struct ping_event *ev)
{
	if (p->o->json && p->nevents == p->events_cap) {
		size_t cap = p->events_cap ? 2 * p->events_cap : 256;
		struct ping_event *more = realloc(p->events, cap * sizeof(*more));

		if (more == NULL)
			return; /* the summary still counts it; the array misses it */
		p->events = more;
		p->events_cap = cap;
	}
	if (p->o->json)
		p->events[p->nevents++] = *ev;
	ping_report_event(p, ev);
}

static int send_request(struct ping *p, uint64_t seq)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (sendto(p->fd, p->req, p->o->size, 0, (const struct sockaddr *)&p->target.ss,
			   p->target.len) >= 0)
			return 0;
		/*
		 * An ICMP error for an earlier request that is not read yet fails
		 * the next send once (the socket's pending error); it is in the
		 * error queue and counted from there, so send again.
		 */
		if (errno != ECONNREFUSED)
			break;
	}
	struct ping_event ev = {.kind = PING_EV_ERROR, .seq = seq, .error = errno};

	p->errors++;
	p->slots[seq % PINGSTAT_WINDOW].errored = 1;
	record(p, &ev);
	return -1;
}

static void send_next(struct ping *p, uint64_t now)
{
	uint64_t seq = pingstat_seqs_send(p->seqs);
	struct ping_slot *slot = &p->slots[seq % PINGSTAT_WINDOW];

	fill(p, p->req, seq);
	*slot = (struct ping_slot){.sent_ns = now};
	(void)send_request(p, seq);
	p->next_send_ns += p->o->interval_us * 1000u;
	/* A stall (suspended, a slow terminal) does not make the next requests a burst. */
	if (p->next_send_ns < now)
		p->next_send_ns = now + p->o->interval_us * 1000u;
}

static size_t first_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* A UDPEchoPlus reply to p->req: its fields into ev; 0, or -1 with ev->why set. */
static int judge_plus(struct ping *p, size_t len, struct ping_event *ev)
{
	struct echoplus_header h;
	size_t at = 0;
	enum echoplus_fault fault = echoplus_check_reply(p->req, len, p->rep, len, &at);

	if (fault != ECHOPLUS_OK) {
		snprintf(ev->why, sizeof(ev->why), "UDPEchoPlus field %s is wrong",
			 echoplus_fault_name(fault));
		return -1;
	}
	echoplus_decode(p->rep, len, &h);
	ev->plus = 1;
	ev->resp_sn = h.resp_sn;
	ev->server_ok = pingstat_server_us(h.recv_ts, h.reply_ts, &ev->server_us) == 0;
	/*
	 * The server's time is part of the round trip: one longer than the
	 * round trip, by more than the slack check allows a responder's coarse
	 * clock, was not written by a server: it is a corrupted plain echo.
	 */
	if (ev->server_ok &&
	    (uint64_t)ev->server_us * 1000u > ev->rtt_ns + ECHOPLUS_CLOCK_SLACK_US * 1000ull) {
		snprintf(ev->why, sizeof(ev->why),
			 "UDPEchoPlus server time %lu us exceeds the round trip %llu us",
			 (unsigned long)ev->server_us, (unsigned long long)(ev->rtt_ns / 1000u));
		return -1;
	}
	return 0;
}

/*
 * Compares the reply with the request it names (rebuilt in p->req), whose
 * round trip is in ev->rtt_ns: 0, or -1 with ev->why.
 */
static int judge(struct ping *p, size_t len, struct ping_event *ev)
{
	size_t size = p->o->size, common = len < size ? len : size;
	size_t diff = first_difference(p->req, p->rep, common);

	/* A server that reads into a 4096-byte buffer: every byte it kept is right (send too). */
	if (len > 0 && len < size && diff == common) {
		snprintf(ev->why, sizeof(ev->why), "truncated to %zu bytes (request was %zu)", len,
			 size);
		return -1;
	}
	if (len != size) {
		snprintf(ev->why, sizeof(ev->why), "%zu bytes, request was %zu", len, size);
		return -1;
	}
	if (diff == size)
		return 0;
	/*
	 * Auto and --plus requests carry zeros where a UDPEchoPlus server
	 * writes.  Once the replies showed a plain echo, a later reply that
	 * differs there is corrupt: a server does not turn into a responder.
	 */
	if (p->o->mode != PING_RFC && p->detected != PING_SEEN_RFC &&
	    echoplus_detect(p->req, size, p->rep, len))
		return judge_plus(p, len, ev);
	if (p->o->mode == PING_RFC && echoplus_differs_only_in_fields(p->req, size, p->rep, len)) {
		snprintf(ev->why, sizeof(ev->why),
			 "differs only in the UDPEchoPlus fields (bytes 4-19): a TR-143 "
			 "responder? drop --rfc");
		return -1;
	}
	snprintf(ev->why, sizeof(ev->why), "byte %zu differs (sent 0x%02x, got 0x%02x)", diff,
		 p->req[diff], p->rep[diff]);
	return -1;
}

static void note_mode(struct ping *p, int plus)
{
	if (p->detected != PING_SEEN_NOTHING)
		return;
	p->detected = plus ? PING_SEEN_PLUS : PING_SEEN_RFC;
	ping_report_detected(p);
}

/* What a UDPEchoPlus reply adds: direction loss, delay variation, server time. */
static void account_plus(struct ping *p, const struct ping_event *ev, uint64_t now)
{
	struct echoplus_header h;
	uint64_t sent_us = p->slots[ev->seq % PINGSTAT_WINDOW].sent_ns / 1000u;

	echoplus_decode(p->rep, ev->bytes, &h);
	p->plus_replies++;
	pingstat_dir_add(&p->dir, ev->seq, h.resp_sn);
	pingstat_owd_add(&p->up, pingstat_owd_up(sent_us, h.recv_ts));
	pingstat_owd_add(&p->down, pingstat_owd_down(h.reply_ts, now / 1000u));
	if (ev->server_ok)
		pingstat_acc_add(&p->server, (int64_t)ev->server_us);
}

static void on_reply(struct ping *p, size_t len, uint64_t now)
{
	struct ping_event ev = {.kind = PING_EV_REPLY, .bytes = len};
	struct ping_slot *slot;

	ev.seq = named_seq(p, p->rep, len, 0);
	if (ev.seq == UINT64_MAX || ev.seq >= p->seqs->sent ||
	    p->seqs->sent - ev.seq > PINGSTAT_WINDOW) {
		ev.kind = PING_EV_CORRUPT;
		ev.seq = UINT64_MAX;
		snprintf(ev.why, sizeof(ev.why), "matches no request");
		p->corrupt++;
		record(p, &ev);
		return;
	}
	slot = &p->slots[ev.seq % PINGSTAT_WINDOW];
	ev.rtt_ns = now - slot->sent_ns;
	fill(p, p->req, ev.seq);
	if (judge(p, len, &ev) != 0) {
		ev.kind = PING_EV_CORRUPT;
		p->corrupt++;
		slot->corrupted = 1; /* its reply came, wrong: not also "no reply" */
		record(p, &ev);
		return;
	}
	ev.late = slot->timed_out;
	ev.class = pingstat_seqs_reply(p->seqs, ev.seq);
	note_mode(p, ev.plus);
	if (ev.class != PINGSTAT_DUPLICATE) {
		pingstat_acc_add(&p->rtt, (int64_t)ev.rtt_ns);
		if (ev.plus)
			account_plus(p, &ev, now);
	}
	record(p, &ev);
}

static void receive_replies(struct ping *p)
{
	for (;;) {
		struct net_addr from = {.len = sizeof(from.ss)};
		struct echo_peer peer;
		ssize_t n = recvfrom(p->fd, p->rep, p->cap, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from.ss, &from.len);
		uint64_t now = net_now_ns();

		/*
		 * An error here (ECONNREFUSED: the pending error of an ICMP report)
		 * is also in the error queue, with the request it belongs to.
		 */
		if (n < 0)
			return;
		net_to_peer((const struct sockaddr *)&from.ss, &peer);
		if (!addr_peer_equal(&peer, &p->target_peer)) {
			p->foreign++;
			continue;
		}
		on_reply(p, (size_t)n < p->cap ? (size_t)n : p->cap, now);
	}
}

/* The extended error of an error-queue message, and who sent it. */
static const struct sock_extended_err *extended_error(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
			return (const struct sock_extended_err *)(const void *)CMSG_DATA(c);
	}
	return NULL;
}

static void error_event(struct ping *p, const uint8_t *data, size_t len,
			const struct sock_extended_err *ee)
{
	struct ping_event ev = {.kind = PING_EV_ERROR, .error = (int)ee->ee_errno};
	const struct sockaddr *offender = SO_EE_OFFENDER(ee);

	if (offender->sa_family == AF_INET || offender->sa_family == AF_INET6) {
		struct echo_peer peer;

		net_to_peer(offender, &peer);
		addr_format_host(ev.from, sizeof(ev.from), &peer);
	}
	ev.seq = named_seq(p, data, len, 1);
	if (ev.seq != UINT64_MAX && ev.seq < p->seqs->sent &&
	    p->seqs->sent - ev.seq <= PINGSTAT_WINDOW)
		p->slots[ev.seq % PINGSTAT_WINDOW].errored = 1;
	else
		ev.seq = UINT64_MAX;
	p->errors++;
	record(p, &ev);
}

static void receive_errors(struct ping *p)
{
	for (;;) {
		uint8_t data[ERRQUEUE_DATA];
		union {
			char buf[512];
			struct cmsghdr align;
		} control;
		struct sockaddr_storage to;
		struct iovec iov = {data, sizeof(data)};
		struct msghdr msg = {.msg_name = &to,
				     .msg_namelen = sizeof(to),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf)};
		ssize_t n = recvmsg(p->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
		const struct sock_extended_err *ee;

		if (n < 0)
			return;
		ee = extended_error(&msg);
		if (ee != NULL)
			error_event(p, data, (size_t)n, ee);
	}
}

/* Requests unanswered after -W are reported once; they may still be answered late. */
static void expire(struct ping *p, uint64_t now)
{
	uint64_t wait = p->o->timeout_us * 1000u;

	while (p->expire_next < p->seqs->sent) {
		uint64_t seq = p->expire_next;
		struct ping_slot *slot = &p->slots[seq % PINGSTAT_WINDOW];

		if (!pingstat_seqs_answered(p->seqs, seq) && !slot->errored && !slot->corrupted) {
			struct ping_event ev = {.kind = PING_EV_TIMEOUT, .seq = seq};

			if (now - slot->sent_ns < wait)
				return;
			slot->timed_out = 1;
			p->timeouts++;
			record(p, &ev);
		}
		p->expire_next++;
	}
}

static int all_sent(const struct ping *p)
{
	return p->o->count != 0 && p->seqs->sent >= p->o->count;
}

/* How long to sleep: until the next request is due, the oldest one times out, or -w. */
static uint64_t next_wake(const struct ping *p, uint64_t now)
{
	uint64_t wake = p->deadline_ns;

	if (!all_sent(p) && p->next_send_ns < wake)
		wake = p->next_send_ns;
	if (p->expire_next < p->seqs->sent) {
		uint64_t due = p->slots[p->expire_next % PINGSTAT_WINDOW].sent_ns +
			       p->o->timeout_us * 1000u;

		if (due < wake)
			wake = due;
	}
	return wake > now ? wake - now : 0;
}

static void wait_events(struct ping *p, uint64_t now, const sigset_t *waitmask)
{
	uint64_t ns = next_wake(p, now);
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	if (ppoll(&pfd, 1, &ts, waitmask) <= 0)
		return;
	if (pfd.revents & POLLERR)
		receive_errors(p);
	if (pfd.revents & POLLIN)
		receive_replies(p);
}

static void probe(struct ping *p, const sigset_t *waitmask)
{
	p->start_ns = p->next_send_ns = net_now_ns();
	p->deadline_ns =
		p->o->deadline_us != 0 ? p->start_ns + p->o->deadline_us * 1000u : UINT64_MAX;
	while (!interrupted) {
		uint64_t now = net_now_ns();

		/* -w: whatever the count, and without waiting out -W for the last requests. */
		if (now >= p->deadline_ns)
			break;
		if (!all_sent(p) && now >= p->next_send_ns)
			send_next(p, now);
		expire(p, net_now_ns());
		if (all_sent(p) && p->expire_next >= p->seqs->sent)
			break;
		wait_events(p, net_now_ns(), waitmask);
		if (status_wanted) {
			status_wanted = 0;
			ping_report_status(p);
		}
	}
	/* What arrived with the interrupt is still reported. */
	receive_errors(p);
	receive_replies(p);
	p->end_ns = net_now_ns();
}

static uint32_t draw_run_id(void)
{
	uint32_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = (uint32_t)net_now_ns() ^ (uint32_t)getpid();
	return id;
}

static int setup(struct ping *p)
{
	const char *why = NULL;
	size_t max;

	if (net_resolve(p->o->host, p->o->port, p->o->family, &p->target, &why) != 0) {
		fprintf(stderr, "%s ping: '%s': %s\n", PROG, p->o->host, why);
		return -1;
	}
	net_to_peer((const struct sockaddr *)&p->target.ss, &p->target_peer);
	addr_format_host(p->addr, sizeof(p->addr), &p->target_peer);
	max = net_family_max(&p->target);
	if (p->o->size > max) {
		fprintf(stderr, "%s ping: -s %zu is larger than the %s maximum of %zu bytes\n",
			PROG, p->o->size, net_family_name(&p->target), max);
		return -1;
	}
	p->fd = net_client_socket(&p->target);
	if (p->fd < 0) {
		fprintf(stderr, "%s ping: socket: %s\n", PROG, strerror(-p->fd));
		return -1;
	}
	p->cap = max + 1; /* one more, so that an oversized reply shows as such */
	p->req = malloc(p->cap);
	p->rep = malloc(p->cap);
	p->slots = calloc(PINGSTAT_WINDOW, sizeof(*p->slots));
	p->seqs = malloc(sizeof(*p->seqs));
	if (p->req == NULL || p->rep == NULL || p->slots == NULL || p->seqs == NULL) {
		fprintf(stderr, "%s ping: out of memory\n", PROG);
		return -1;
	}
	pingstat_seqs_init(p->seqs);
	p->seq_bits = p->o->size < SEQ_BYTES ? (unsigned)p->o->size * 8 : 32;
	p->run_id = draw_run_id();
	return 0;
}

static void teardown(struct ping *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->req);
	free(p->rep);
	free(p->slots);
	free(p->seqs);
	free(p->events);
}

/*
 * SIGINT (Ctrl-C) and SIGTERM end the run with the summary; SIGQUIT (Ctrl-\)
 * prints the status line and the run goes on, as in ping(8).  Blocked except
 * while waiting.
 */
static void catch_interrupt(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGQUIT);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_status;
	sigaction(SIGQUIT, &sa, NULL);
}

static int exit_status(const struct ping *p)
{
	/* --plus asks for a UDPEchoPlus responder: plain echoes do not pass (a line said why). */
	if (p->o->mode == PING_PLUS && p->detected == PING_SEEN_RFC)
		return 1;
	if (p->seqs->received > 0)
		return 0;
	return p->errors > 0 ? 2 : 1;
}

int ping_run(const struct ping_opts *opts)
{
	struct ping p;
	sigset_t waitmask;
	int status = 2;

	memset(&p, 0, sizeof(p));
	p.o = opts;
	p.fd = -1;
	pingstat_acc_init(&p.rtt);
	pingstat_acc_init(&p.server);
	pingstat_dir_init(&p.dir);
	pingstat_owd_init(&p.up);
	pingstat_owd_init(&p.down);
	if (setup(&p) == 0) {
		catch_interrupt(&waitmask);
		ping_report_header(&p);
		probe(&p, &waitmask);
		ping_report_summary(&p);
		status = exit_status(&p);
	}
	teardown(&p);
	return status;
}
