/*
 * bench.c: `udpecho bench`: load an echo server and measure it honestly.
 *
 * Closed loop keeps --window requests in flight per socket; open loop
 * (--rate) sends on a schedule and times every reply from the time its
 * request was due, not from when it went out, so a server that stalls
 * cannot hide its queue (no coordinated omission).  Every echo is checked
 * byte for byte; a wrong one is counted, never timed.  Requests of 16 bytes
 * or more carry their sequence number and due time (ns); shorter ones are
 * matched in order (FIFO), which is exact unless the path reorders.
 *
 * While it waits for echoes the closed loop busy-polls its sockets (on two
 * CPUs or more, unless --sleep): sleeping in poll() and being woken for
 * every returning batch costs more than the server's whole work per batch
 * on a VM, and would make the generator, not the server, the measured limit.
 * The open loop sleeps until its next request is due, less WAKE_EARLY_NS,
 * or an echo comes: a low rate must not take a whole core.
 */
#include "bench.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "jsonw.h"
#include "udpecho/addr.h"
#include "udpecho/cli.h"
#include "udpecho/echo.h"
#include "udpecho/hist.h"
#include "udpecho/parse.h"
#include "udpecho/version.h"

/* A GRO receive holds a whole run: up to 64 KiB. */
#define GRO_BUF 65536u

#define PROG "udpecho"
#define BATCH 64
#define LOSS_TIMEOUT_NS 1000000000ull /* a reply later than this counts as lost */
/* Ring entries per socket: at least twice the largest window ... */
#define RING_MIN 8192u
_Static_assert(RING_MIN >= 2 * BENCH_MAX_WINDOW, "a window must fit in half a ring");
/* ... and at most this many in all sockets' rings (9 bytes each: 72 MiB). */
#define RING_MAX_TOTAL (1u << 23)
#define DRAIN_NS 1000000000ull
#define PASS_BATCHES 8     /* open loop: batches sent between two looks for echoes */
#define LATE_NS 1000000ull /* an open-loop request leaving this long after it was due is late */
/*
 * The open loop wakes this long before its next request is due and spins
 * the rest: a sleep ends late by the timer slack (50 us) and the
 * scheduler's delay, and a request that leaves late is timed from when it
 * was due.  At 10 requests a second the spinning costs 0.2% of a core.
 */
#define WAKE_EARLY_NS 200000ull

/* Where a request stands: one byte per ring entry. */
enum req {
	REQ_FREE,      /* not sent, or taken back */
	REQ_IN_FLIGHT, /* sent, not answered yet */
	REQ_ANSWERED,  /* echoed, exactly or not */
	REQ_LOST,      /* timed out, or overtaken */
};

struct sock {
	int fd;
	uint64_t next_seq, oldest; /* none before oldest is in flight; next_seq - oldest <= ring */
	unsigned outstanding;
	uint64_t mask;  /* ring entries - 1: request seq has entry seq & mask */
	uint64_t *due;  /* when each request in the ring was due (ns) */
	uint8_t *state; /* enum req of each request in the ring */
};

struct bench {
	const struct bench_opts *o;
	struct net_addr target;
	struct sock *socks;
	uint8_t *sendbuf, *recvbuf;
	struct hist lat;
	uint64_t start, end, sent, echoed, wrong, lost, duplicates, bytes;
	uint64_t late_sends, max_late; /* open loop: requests that left LATE_NS or more after
					  they were due, and the latest (ns) */
	uint64_t unsent;               /* open loop: requests due before the end that never left */
	int gso;     /* still in use: falls back to plain sends if the kernel refuses */
	int gro;     /* --gso also receives runs with UDP_GRO, split here by segment size */
	size_t rcap; /* room per receive slot */
	int spin;    /* busy-poll for echoes rather than sleep in poll() */
	int error;   /* the last errno of a send or receive that was more than a full buffer */
};

/* Remembers errno when a send or receive failed for more than lack of room or data. */
static void note_error(struct bench *b)
{
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR)
		b->error = errno;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * The pattern after the header: byte i of the request for seq is
 * (uint8_t)(seq * 131 + i), a ramp that repeats every 256 bytes.  Copied
 * and compared in 256-byte pieces of a doubled ramp (memcpy and memcmp are
 * vectorised), so the generator does not spend its core on every byte.
 */
static uint8_t ramp[512];

static void ramp_init(void)
{
	for (size_t i = 0; i < sizeof(ramp); i++)
		ramp[i] = (uint8_t)i;
}

static void fill(uint8_t *buf, size_t size, uint64_t seq, uint64_t due)
{
	size_t i = 0;

	if (size >= BENCH_HEADER) {
		put64(buf, seq);
		put64(buf + 8, due);
		i = BENCH_HEADER;
	}
	while (i < size) {
		size_t n = size - i < 256 ? size - i : 256;

		memcpy(buf + i, ramp + (uint8_t)(seq * 131u + i), n);
		i += n;
	}
}

static int verify(const uint8_t *buf, size_t size, uint64_t seq)
{
	size_t i = size >= BENCH_HEADER ? BENCH_HEADER : 0;

	while (i < size) {
		/* Always true for a request shorter than the header, not in general. */
		/* cppcheck-suppress knownConditionTrueFalse */
		size_t n = size - i < 256 ? size - i : 256;

		if (memcmp(buf + i, ramp + (uint8_t)(seq * 131u + i), n) != 0)
			return 0;
		i += n;
	}
	return 1;
}

/* The closed loop's requests are due when they leave. */
#define UNSCHEDULED UINT64_MAX

/* When the open loop's index-th request is due: exactly index / rate s after the start. */
static uint64_t scheduled_at(const struct bench *b, uint64_t index)
{
	uint64_t rate = b->o->rate; /* at most 1e8: neither product overflows */

	return b->start + index / rate * 1000000000u + index % rate * 1000000000u / rate;
}

/*
 * Prepares n requests of socket s at sendbuf.  A request still in flight in the
 * entry a new one needs has been overtaken by a whole ring of later ones on
 * its socket: it counts as lost now (before its timeout only where
 * ring_entries says), and a lost request never makes the load wait.
 */
static void prepare(struct bench *b, struct sock *s, unsigned n, uint64_t index)
{
	size_t size = b->o->size;

	for (unsigned k = 0; k < n; k++) {
		uint64_t seq = s->next_seq++;
		uint64_t due = index != UNSCHEDULED ? scheduled_at(b, index + k) : net_now_ns();
		size_t slot = seq & s->mask;

		if (s->state[slot] == REQ_IN_FLIGHT) {
			s->outstanding--;
			b->lost++;
		}
		fill(b->sendbuf + (size_t)k * size, size, seq, due);
		s->due[slot] = due;
		s->state[slot] = REQ_IN_FLIGHT;
		s->outstanding++;
	}
	if (s->next_seq - s->oldest > s->mask + 1)
		s->oldest = s->next_seq - (s->mask + 1);
}

/* Takes back the last n prepared requests, which the kernel did not take (a full buffer). */
static void unsend(struct bench *b, struct sock *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t seq = --s->next_seq;

		s->state[seq & s->mask] = REQ_FREE;
		s->outstanding--;
	}
	b->sent -= n;
}

/*
 * One GSO send of k segments: returns how many went (k or 0), or -1 if the
 * kernel refuses GSO itself (the caller falls back to plain sends).
 */
static int send_gso(struct bench *b, struct sock *s, unsigned k)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {b->sendbuf, (size_t)k * b->o->size};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	uint16_t seg = (uint16_t)b->o->size;

	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	if (sendmsg(s->fd, &msg, MSG_DONTWAIT) >= 0)
		return (int)k;
	return errno == EINVAL || errno == EIO || errno == EMSGSIZE || errno == ENOPROTOOPT ? -1
											    : 0;
}

/* Returns how many of the k requests the kernel took. */
static unsigned send_plain(struct bench *b, struct sock *s, unsigned k)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	for (unsigned i = 0; i < k; i++) {
		iov[i] = (struct iovec){b->sendbuf + (size_t)i * b->o->size, b->o->size};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	int n = sendmmsg(s->fd, msgs, k, MSG_DONTWAIT);

	if (n < 0)
		note_error(b);
	return n > 0 ? (unsigned)n : 0;
}

/* Sends n requests on s: the open loop's from its index-th on, or UNSCHEDULED (due now). */
static void send_batch(struct bench *b, struct sock *s, unsigned n, uint64_t index)
{
	unsigned k = n < BATCH ? n : BATCH;

	/* A GSO send holds at most 64 KiB: a datagram of more than half that goes plainly. */
	if (b->gso && (size_t)k * b->o->size > ECHO_MAX_PAYLOAD_V4)
		k = b->o->size * 2 > ECHO_MAX_PAYLOAD_V4
			    ? 1
			    : (unsigned)(ECHO_MAX_PAYLOAD_V4 / b->o->size);
	prepare(b, s, k, index);
	b->sent += k;
	if (b->gso && k > 1) {
		int went = send_gso(b, s, k);

		if (went >= 0) {
			unsend(b, s, k - (unsigned)went);
			return;
		}
		b->gso = 0; /* refused: plain sends from now on, and the report says so */
	}
	unsend(b, s, k - send_plain(b, s, k));
}

static void settle(struct bench *b, struct sock *s, uint64_t seq, int exact, size_t n, uint64_t now)
{
	size_t slot = seq & s->mask;

	s->state[slot] = REQ_ANSWERED;
	s->outstanding--;
	if (!exact) {
		b->wrong++;
		return;
	}
	b->echoed++;
	b->bytes += n;
	hist_record(&b->lat, now > s->due[slot] ? now - s->due[slot] : 0);
}

/* The oldest request of s still in flight; s->next_seq if none is. */
static uint64_t oldest_in_flight(const struct sock *s)
{
	uint64_t seq = s->oldest;

	while (seq < s->next_seq && s->state[seq & s->mask] != REQ_IN_FLIGHT)
		seq++;
	return seq;
}

/*
 * The request for seq, every byte: the header too (its due time is still in
 * the ring: seq is less than a ring behind next_seq), so a server that alters
 * the send time or sequence number is caught, not only one that alters the
 * pattern.
 */
static int exact(const struct bench *b, const struct sock *s, uint64_t seq, const uint8_t *buf,
		 size_t n)
{
	if (n != b->o->size)
		return 0;
	if (n >= BENCH_HEADER && (get64(buf) != seq || get64(buf + 8) != s->due[seq & s->mask]))
		return 0;
	return verify(buf, n, seq);
}

/*
 * An exact copy of request seq, which is no longer in flight: a duplicate
 * if it was answered, too late to count if it was lost.  1 when it is such
 * a copy.
 */
static int echoed_again(struct bench *b, const struct sock *s, uint64_t seq, const uint8_t *buf,
			size_t len)
{
	if (!exact(b, s, seq, buf, len))
		return 0;
	if (s->state[seq & s->mask] == REQ_ANSWERED)
		b->duplicates++;
	return 1;
}

/*
 * A request with a header names itself.  1 when the echo settles it or is
 * an exact copy of one no longer in flight; 0 when it names no request it
 * can be the echo of.
 */
static int by_header(struct bench *b, struct sock *s, const uint8_t *buf, size_t len, uint64_t now)
{
	uint64_t seq;

	if (len < BENCH_HEADER)
		return 0;
	seq = get64(buf);
	if (seq >= s->next_seq)
		return 0; /* never sent: a corrupted sequence number */
	if (s->next_seq - seq > s->mask)
		return len == b->o->size && verify(buf, len, seq); /* long lost; due time gone */
	if (s->state[seq & s->mask] != REQ_IN_FLIGHT)
		return echoed_again(b, s, seq, buf, len);
	settle(b, s, seq, exact(b, s, seq, buf, len), len, now);
	return 1;
}

/* 131 * 43 = 22 * 256 + 1: byte 0 of request seq (see fill) times 43 is seq modulo 256. */
#define RAMP_INVERSE 43u

/*
 * A request too short for a header (1 to 15 bytes) still names its sequence
 * number modulo 256 in byte 0.  Its echo belongs to the latest request sent
 * with that residue: it settles it, exactly or wrongly, if it is in flight,
 * or is an exact copy of it once answered (a duplicate) or lost (too late).
 * Exact, reordering and loss included, while fewer than 256 requests of a
 * socket are in flight.  An empty request names nothing: its echo settles
 * the oldest in flight, and one with none in flight is a duplicate.  1 when
 * the echo is any of these; 0 (wrong) otherwise.
 */
static int by_pattern(struct bench *b, struct sock *s, const uint8_t *buf, size_t len, uint64_t now)
{
	uint64_t seq;
	uint8_t residue;

	if (b->o->size == 0) {
		if (len != 0)
			return 0;
		seq = oldest_in_flight(s);
		if (seq < s->next_seq)
			settle(b, s, seq, 1, 0, now);
		else
			b->duplicates++;
		return 1;
	}
	if (len == 0 || s->next_seq == 0)
		return 0;
	/* The largest seq below next_seq with the residue that byte 0 names. */
	residue = (uint8_t)(buf[0] * RAMP_INVERSE);
	seq = s->next_seq - 1 - (uint8_t)(s->next_seq - 1 - residue);
	if (seq >= s->next_seq) /* wrapped below 0: none sent with that residue */
		return 0;
	if (s->state[seq & s->mask] != REQ_IN_FLIGHT)
		return echoed_again(b, s, seq, buf, len);
	settle(b, s, seq, exact(b, s, seq, buf, len), len, now);
	return 1;
}

/*
 * One echoed datagram.  An echo that names no request it can answer (its
 * header altered, or cut short) is wrong, never ignored: it is pinned on
 * the oldest request in flight, so that the request it answered is not also
 * counted lost.
 */
static void receive_one(struct bench *b, struct sock *s, const uint8_t *buf, size_t len,
			uint64_t now)
{
	uint64_t seq;

	if (b->o->size >= BENCH_HEADER ? by_header(b, s, buf, len, now)
				       : by_pattern(b, s, buf, len, now))
		return;
	seq = oldest_in_flight(s);
	if (seq < s->next_seq)
		settle(b, s, seq, 0, len, now);
	else
		b->wrong++; /* and nothing is in flight to pin it on */
}

/* The UDP_GRO segment size of a received message, 0 when it is one datagram. */
static size_t gro_size(const struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int seg;

			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
			return seg > 0 ? (size_t)seg : 0;
		}
	}
	return 0;
}

static void receive(struct bench *b, struct sock *s)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control[BATCH];
	int n;

	memset(control, 0, sizeof(control));

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){b->recvbuf + (size_t)i * b->rcap, b->rcap};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		if (b->gro) {
			msgs[i].msg_hdr.msg_control = control[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(control[i].buf);
		}
	}
	while ((n = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL)) > 0) {
		uint64_t now = net_now_ns();

		for (int i = 0; i < n; i++) {
			const uint8_t *buf = iov[i].iov_base;
			size_t len = msgs[i].msg_len, seg = b->gro ? gro_size(&msgs[i].msg_hdr) : 0;

			/* A GRO run: same-size datagrams back to back, the last may be shorter. */
			for (; seg > 0 && len > seg; buf += seg, len -= seg)
				receive_one(b, s, buf, seg, now);
			receive_one(b, s, buf, len, now);
			msgs[i].msg_hdr.msg_controllen = b->gro ? sizeof(control[i].buf) : 0;
		}
		s->oldest = oldest_in_flight(s);
	}
	if (n < 0)
		note_error(b);
}

/* Requests older than the loss timeout are lost; the oldest pointer moves past settled ones. */
static void expire(struct bench *b, struct sock *s, uint64_t now)
{
	while (s->oldest < s->next_seq) {
		size_t slot = s->oldest & s->mask;

		if (s->state[slot] == REQ_IN_FLIGHT) {
			if (now < s->due[slot] || now - s->due[slot] < LOSS_TIMEOUT_NS)
				break;
			s->state[slot] = REQ_LOST;
			s->outstanding--;
			b->lost++;
		}
		s->oldest++;
	}
}

static void progress(const struct bench *b, uint64_t now)
{
	double secs = (double)(now - b->start) / 1e9;

	fprintf(stderr, "\r\033[K%5.1f s  %llu echoes  %.0f/s  p99 %.3f ms  lost %llu  wrong %llu",
		secs, (unsigned long long)b->echoed, secs > 0 ? (double)b->echoed / secs : 0.0,
		(double)hist_percentile(&b->lat, 99) / 1e6, (unsigned long long)b->lost,
		(unsigned long long)b->wrong);
}

static unsigned outstanding(const struct bench *b)
{
	unsigned n = 0;

	for (unsigned i = 0; i < b->o->sockets; i++)
		n += b->socks[i].outstanding;
	return n;
}

/* How many of the open loop's requests were due by t (the first at the start); no overflow. */
static uint64_t due_by(const struct bench *b, uint64_t t)
{
	uint64_t ns = t - b->start, rate = b->o->rate;

	return ns / 1000000000u * rate + ns % 1000000000u * rate / 1000000000u + 1;
}

/*
 * The last n requests of s left at now: those LATE_NS or more after they
 * were due are counted.  A generator that cannot keep the schedule says
 * so, since its own lateness is then in the latencies it reports.
 */
static void note_lateness(struct bench *b, const struct sock *s, uint64_t now, uint64_t n)
{
	for (uint64_t seq = s->next_seq - n; seq < s->next_seq; seq++) {
		uint64_t due = s->due[seq & s->mask];

		if (now < due || now - due < LATE_NS)
			return; /* the later ones were due later still */
		if (now - due > b->max_late)
			b->max_late = now - due;
		b->late_sends++;
	}
}

/*
 * Open loop: the requests due by now, each timed from its own due time even
 * if it leaves late; at most PASS_BATCHES batches, so that a generator
 * behind its schedule still reads its echoes (its socket buffer would
 * overflow, and their loss be charged to the server).
 */
static void send_scheduled(struct bench *b, uint64_t now, uint64_t *scheduled)
{
	const struct bench_opts *o = b->o;
	uint64_t due_count = due_by(b, now);

	for (unsigned pass = 0; pass < PASS_BATCHES && *scheduled < due_count; pass++) {
		struct sock *s = &b->socks[*scheduled % o->sockets];
		uint64_t n = due_count - *scheduled < BATCH ? due_count - *scheduled : BATCH;
		uint64_t before = b->sent;

		send_batch(b, s, (unsigned)n, *scheduled);
		if (b->sent == before)
			return; /* the socket's buffer is full: again on the next pass, still due */
		note_lateness(b, s, now, b->sent - before);
		*scheduled += b->sent - before;
	}
}

/* Sends what is due now: closed loop tops every window up; open loop follows the schedule. */
static void send_due(struct bench *b, uint64_t now, uint64_t *scheduled)
{
	const struct bench_opts *o = b->o;

	if (o->sockets == 0)
		return;
	if (o->rate != 0) {
		send_scheduled(b, now, scheduled);
		return;
	}
	for (unsigned i = 0; i < o->sockets; i++) {
		struct sock *s = &b->socks[i];

		if (s->outstanding < o->window)
			send_batch(b, s, o->window - s->outstanding, UNSCHEDULED);
	}
}

/*
 * How long the open loop may sleep: until its next request is due (index
 * scheduled, never one due after the end), the end of the run or of the
 * drain, or the next progress line, less WAKE_EARLY_NS; 0 (spin) once that
 * is nearer.  An echo ends the sleep earlier.
 */
static uint64_t open_loop_sleep(const struct bench *b, uint64_t now, uint64_t scheduled,
				uint64_t until)
{
	if (now < b->end) {
		uint64_t due = scheduled_at(b, scheduled);

		if (due < until)
			until = due;
	}
	return until > now + WAKE_EARLY_NS ? until - now - WAKE_EARLY_NS : 0;
}

/* Reads the echoes of every socket that has some, waiting up to ns for the first. */
static void wait_echoes(struct bench *b, struct pollfd *pfd, uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	if (ppoll(pfd, b->o->sockets, &ts, NULL) <= 0)
		return;
	for (unsigned i = 0; i < b->o->sockets; i++) {
		if (pfd[i].revents)
			receive(b, &b->socks[i]);
	}
}

static void run_load(struct bench *b)
{
	struct pollfd pfd[BENCH_MAX_SOCKETS];
	uint64_t now = net_now_ns(), scheduled = 0, next_tick, drain_end = 0, wait_ns;
	int tty = isatty(STDERR_FILENO);

	b->start = now;
	b->end = now + b->o->duration_us * 1000u;
	next_tick = now + 1000000000u;
	for (unsigned i = 0; i < b->o->sockets; i++)
		pfd[i] = (struct pollfd){.fd = b->socks[i].fd, .events = POLLIN};
	for (;;) {
		now = net_now_ns();
		if (now < b->end) {
			send_due(b, now, &scheduled);
		} else {
			if (drain_end == 0)
				drain_end = now + DRAIN_NS;
			/* Before a sleep that only the drain's end would cut short. */
			if (now >= drain_end || outstanding(b) == 0)
				break;
		}
		if (b->o->rate != 0) {
			uint64_t until = drain_end != 0 ? drain_end : b->end;

			wait_ns = open_loop_sleep(b, now, scheduled,
						  until < next_tick ? until : next_tick);
		} else {
			wait_ns = b->spin ? 0 : 1000000u; /* a lost one leaves the window on time */
		}
		wait_echoes(b, pfd, wait_ns);
		/* On every pass: a lost request frees its place in the window on time. */
		for (unsigned i = 0; i < b->o->sockets; i++)
			expire(b, &b->socks[i], now);
		if (now >= next_tick) {
			if (tty)
				progress(b, now);
			next_tick = now + 1000000000u;
		}
	}
	for (unsigned i = 0; i < b->o->sockets; i++) /* what is left after the drain is lost */
		expire(b, &b->socks[i], UINT64_MAX / 2);
	if (b->o->rate != 0)
		b->unsent = due_by(b, b->end - 1) - scheduled; /* the run ends at b->end */
	if (tty)
		fputs("\r\033[K", stderr);
}

static void mode_text(const struct bench *b, char *out, size_t cap)
{
	const struct bench_opts *o = b->o;
	int n;

	if (o->rate)
		n = snprintf(out, cap, "open loop at %llu/s over %u socket%s",
			     (unsigned long long)o->rate, o->sockets, o->sockets > 1 ? "s" : "");
	else
		n = snprintf(out, cap, "closed loop, window %u x %u socket%s", o->window,
			     o->sockets, o->sockets > 1 ? "s" : "");
	snprintf(out + n, cap - (size_t)n, ", %zu-byte datagrams, %s%s, %s%s", o->size,
		 o->gso ? (b->gso ? "GSO sends" : "GSO refused by the kernel: plain sends")
			: "plain sends",
		 b->gro ? ", GRO receives" : "",
		 o->rate   ? "sleeping until each send is due (busy-polling the last 0.2 ms)"
		 : b->spin ? "busy-polling"
			   : "sleeping in poll",
		 o->size == 0             ? ", replies matched in order (empty datagrams)"
		 : o->size < BENCH_HEADER ? ", replies matched by their bytes (seq modulo 256: too "
					    "small for a header)"
					  : "");
}

static const double pcts[] = {50, 90, 99, 99.9, 100};
static const char *const pct_names[] = {"p50", "p90", "p99", "p99.9", "max"};

/* Percentiles of nothing would read as 0 ms: with no echo, JSON says null (as ping's rtt_ms). */
static void json_latency(struct jsonw *w, const struct bench *b)
{
	if (b->echoed == 0) {
		jsonw_null(w, "latency_ms");
		return;
	}
	jsonw_object(w, "latency_ms");
	for (int i = 0; i < 5; i++)
		jsonw_double(w, pct_names[i], (double)hist_percentile(&b->lat, pcts[i]) / 1e6, 4);
	jsonw_end_object(w);
}

/* The target as check's and ping's JSON have it: the address, its port and family. */
static void json_target(struct jsonw *w, const struct bench *b)
{
	struct echo_peer peer;
	char host[ADDR_STR_MAX];

	net_to_peer((const struct sockaddr *)&b->target.ss, &peer);
	addr_format_host(host, sizeof(host), &peer);
	jsonw_target(w, host, peer.port, peer.family == ECHO_FAMILY_IPV6 ? "ipv6" : "ipv4");
}

static void json_report(const struct bench *b, const char *mode)
{
	double secs = (double)(b->end - b->start) / 1e9, total = (double)(b->sent ? b->sent : 1);
	struct jsonw w;

	jsonw_init(&w, stdout);
	jsonw_object(&w, NULL);
	jsonw_string(&w, "tool", "udpecho");
	jsonw_string(&w, "command", "bench");
	jsonw_string(&w, "version", UDPECHO_VERSION);
	json_target(&w, b);
	jsonw_string(&w, "mode", mode);
	jsonw_double(&w, "seconds", secs, 3);
	jsonw_uint(&w, "sent", b->sent);
	jsonw_uint(&w, "echoed", b->echoed);
	jsonw_uint(&w, "wrong", b->wrong);
	jsonw_uint(&w, "lost", b->lost);
	jsonw_uint(&w, "duplicates", b->duplicates);
	jsonw_uint(&w, "late_sends", b->late_sends);
	jsonw_double(&w, "max_late_ms", (double)b->max_late / 1e6, 3);
	jsonw_uint(&w, "unsent", b->unsent);
	jsonw_double(&w, "loss_pct", 100.0 * (double)b->lost / total, 3);
	jsonw_double(&w, "echoes_per_s", (double)b->echoed / secs, 1);
	jsonw_double(&w, "mb_per_s", (double)b->bytes / secs / 1e6, 3);
	json_latency(&w, b);
	jsonw_end_object(&w);
	putchar('\n');
}

static void report(const struct bench *b)
{
	double secs = (double)(b->end - b->start) / 1e9, total = (double)(b->sent ? b->sent : 1);
	double loss = 100.0 * (double)b->lost / total;
	char mode[256], target[ADDR_STR_MAX], pct[32];

	mode_text(b, mode, sizeof(mode));
	if (b->o->json) {
		json_report(b, mode);
		return;
	}
	net_format(target, sizeof(target), &b->target);
	snprintf(pct, sizeof(pct), "%.3f%%", loss);
	printf("udpecho bench: %s, %.1f s\nmode: %s\n", target, secs, mode);
	printf("%-10s %-10s %-8s %-8s %-9s %-12s %s\n", "sent", "echoed", "wrong", "lost", "loss",
	       "echoes/s", "MB/s");
	printf("%-10llu %-10llu %-8llu %-8llu %-9s %-12.0f %.2f\n", (unsigned long long)b->sent,
	       (unsigned long long)b->echoed, (unsigned long long)b->wrong,
	       (unsigned long long)b->lost, pct, (double)b->echoed / secs,
	       (double)b->bytes / secs / 1e6);
	/* No echo, no latency line: as ping prints no rtt line without a reply. */
	if (b->echoed > 0) {
		printf("latency (ms)");
		for (int i = 0; i < 5; i++)
			printf("  %s %.3f", pct_names[i],
			       (double)hist_percentile(&b->lat, pcts[i]) / 1e6);
		printf("\n");
	}
	if (b->duplicates > 0)
		printf("duplicates: %llu (echoes of requests already answered, not counted "
		       "again)\n",
		       (unsigned long long)b->duplicates);
	if (b->late_sends > 0 || b->unsent > 0)
		printf("behind schedule: %llu requests left 1 ms or more after they were due (up "
		       "to %.3f ms), %llu never left: the generator's limit, and in the latency\n",
		       (unsigned long long)b->late_sends, (double)b->max_late / 1e6,
		       (unsigned long long)b->unsent);
}

static int open_sockets(struct bench *b)
{
	for (unsigned i = 0; i < b->o->sockets; i++) {
		int fd = net_client_socket(&b->target), size = 4 << 20;

		if (fd < 0)
			return fd;
		/*
		 * Connected: each send reuses the socket's cached route instead
		 * of a lookup per datagram (4-5% of the generator's CPU at 64
		 * bytes), and only the target's datagrams count as echoes.
		 */
		if (connect(fd, (const struct sockaddr *)&b->target.ss, b->target.len) != 0) {
			int rc = -errno;

			close(fd);
			return rc;
		}
		/* Room for a window of the largest datagrams both ways. */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		/* GSO load: receive the echoes as GRO runs too, or the receiving side is the limit.
		 */
		if (b->gro && net_set_gro(fd, 1) != 0) {
			b->gro = 0; /* all sockets alike: the earlier ones stop too */
			for (unsigned j = 0; j < i; j++)
				(void)net_set_gro(b->socks[j].fd, 0);
		}
		b->socks[i].fd = fd;
	}
	return 0;
}

/*
 * Ring entries per socket, a power of two.  The closed loop has at most a
 * window in flight, so RING_MIN (twice the largest) lets the rest of the
 * window go on while a lost request waits out its timeout; a request that
 * RING_MIN - window later ones have overtaken, about as many answered in
 * the meantime, counts as lost then.  The open loop sends on schedule
 * whatever comes back, so its ring holds its socket's requests of 1.25 loss
 * timeouts: a request is overtaken before its timeout only where that would
 * take more than RING_MAX_TOTAL entries in all, above 6.7 million requests
 * a second.
 */
static uint64_t ring_entries(const struct bench_opts *o)
{
	uint64_t want = RING_MIN, cap = RING_MAX_TOTAL / o->sockets, n = RING_MIN;

	if (o->rate != 0)
		want = o->rate / o->sockets * 5 / 4 * (LOSS_TIMEOUT_NS / 1000000000u) + 1;
	while (n < want && n * 2 <= cap)
		n *= 2;
	return n;
}

/* Every socket's ring, all of it allocated now: -ENOMEM if one is not (run frees them all). */
static int alloc_rings(struct bench *b)
{
	uint64_t n = ring_entries(b->o);

	for (unsigned i = 0; i < b->o->sockets; i++) {
		struct sock *s = &b->socks[i];

		s->mask = n - 1;
		s->due = calloc(n, sizeof(*s->due));
		s->state = calloc(n, sizeof(*s->state));
		if (s->due == NULL || s->state == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* CPUs this process may run on; 1 when the kernel will not say. */
static int usable_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	return CPU_COUNT(&set);
}

static int run(const struct bench_opts *o)
{
	struct bench *b = calloc(1, sizeof(*b));
	const char *why = NULL;
	int rc = 1;

	if (b == NULL)
		return 1;
	b->o = o;
	b->gso = o->gso;
	/*
	 * The closed loop busy-polls when it does not take the server's only
	 * CPU away.  The open loop sleeps until each send is due (run_load).
	 */
	b->spin = o->rate == 0 && !o->sleep && usable_cpus() >= 2;
	ramp_init();
	hist_init(&b->lat);
	if (net_resolve(o->host, o->port, o->family, &b->target, &why) != 0) {
		fprintf(stderr, "%s bench: '%s': %s\n", PROG, o->host, why);
		free(b);
		return 2;
	}
	if (o->size > net_family_max(&b->target)) {
		fprintf(stderr, "%s bench: --size %zu is larger than the %s maximum of %zu bytes\n",
			PROG, o->size, net_family_name(&b->target), net_family_max(&b->target));
		free(b);
		return 2;
	}
	b->socks = calloc(o->sockets, sizeof(*b->socks));
	b->sendbuf = malloc((size_t)BATCH * o->size + 1);
	b->gro = o->gso;
	b->rcap = b->gro ? GRO_BUF : o->size + 1;
	b->recvbuf = malloc((size_t)BATCH * b->rcap);
	for (unsigned i = 0; b->socks != NULL && i < o->sockets; i++)
		b->socks[i].fd = -1;
	if (b->socks != NULL && alloc_rings(b) == 0 && b->sendbuf != NULL && b->recvbuf != NULL) {
		int err = open_sockets(b);

		if (err == 0) {
			run_load(b);
			report(b);
			/* ICMP port unreachable (ECONNREFUSED), a size the path refuses: say so. */
			if (b->error != 0)
				fprintf(stderr, "%s bench: %s during the run\n", PROG,
					strerror(b->error));
			/* No echo and such an error: a network error, as in check and ping. */
			rc = b->echoed > 0 ? 0 : b->error != 0 ? 2 : 1;
		} else {
			fprintf(stderr, "%s bench: socket: %s\n", PROG, strerror(-err));
		}
	}
	for (unsigned i = 0; b->socks != NULL && i < o->sockets; i++) {
		if (b->socks[i].fd >= 0)
			close(b->socks[i].fd);
		free(b->socks[i].due);
		free(b->socks[i].state);
	}
	free(b->socks);
	free(b->sendbuf);
	free(b->recvbuf);
	free(b);
	return rc;
}

enum {
	OPT_SIZE,
	OPT_DURATION,
	OPT_WINDOW,
	OPT_RATE,
	OPT_SOCKETS,
	OPT_GSO,
	OPT_SLEEP,
	OPT_FORMAT,
	OPT_V4,
	OPT_V6,
	OPT_HELP
};

/* One option per line, as the other commands' tables. */
/* clang-format off */
static const struct cli_option options[] = {
	{"size", 0, 1, OPT_SIZE},
	{"duration", 0, 1, OPT_DURATION},
	{"window", 0, 1, OPT_WINDOW},
	{"rate", 0, 1, OPT_RATE},
	{"sockets", 0, 1, OPT_SOCKETS},
	{"gso", 0, 0, OPT_GSO},
	{"sleep", 0, 0, OPT_SLEEP},
	{"format", 0, 1, OPT_FORMAT},
	{NULL, '4', 0, OPT_V4},
	{NULL, '6', 0, OPT_V6},
	{"help", 'h', 0, OPT_HELP},
	{NULL, 0, 0, 0},
};
/* clang-format on */

const char bench_usage[] =
	"usage: udpecho bench HOST PORT [--size N] [--duration DUR] [--window W] [--rate PPS]\n"
	"                     [--sockets K] [--gso] [--sleep] [--format text|json] [-4|-6]\n"
	"\n"
	"Load a UDP echo server and measure echoes/s, loss and latency; every echo is\n"
	"checked byte for byte.\n"
	"\n"
	"  --size N        datagram size, 0 to the family maximum (default 64)\n"
	"  --duration DUR  how long to send, at most 86400s (default 5s)\n"
	"  --window W      closed loop: requests in flight per socket (default 32)\n"
	"  --rate PPS      open loop: requests per second in all, latency timed from when\n"
	"                  each was due (no coordinated omission); not with --window\n"
	"  --sockets K     client sockets (default 1, at most 64)\n"
	"  --gso           send batches as UDP GSO super-packets (UDP_SEGMENT)\n"
	"  --sleep         closed loop: sleep in poll() between echoes instead of\n"
	"                  busy-polling (the default on a single CPU)\n"
	"  --format F      text (default) or json\n"
	"\n"
	"Exit status: 0 some echoes came back, 1 none did, 2 usage or network error (none\n"
	"came back and a send or receive failed, such as ICMP port unreachable: nothing\n"
	"listening).\n";

static int number(const char *flag, const char *value, size_t min, size_t max, size_t *out,
		  char *err, size_t errlen)
{
	if (parse_size(value, max, out) == 0 && *out >= min)
		return 0;
	snprintf(err, errlen, "%s: " CLI_QUOTED " is not a number from %zu to %zu", flag,
		 CLI_QUOTE(value), min, max);
	return -1;
}

static int apply(struct bench_opts *o, int id, const char *value, char *err, size_t errlen)
{
	size_t n = 0;
	int rc = 0;

	switch (id) {
	case OPT_SIZE:
		rc = number("--size", value, 0, ECHO_MAX_PAYLOAD, &o->size, err, errlen);
		break;
	case OPT_DURATION:
		rc = parse_duration(value, &o->duration_us);
		if (rc == -ERANGE)
			snprintf(err, errlen,
				 "--duration: " CLI_QUOTED
				 " is out of range (more than 0, at most 86400s)",
				 CLI_QUOTE(value));
		else if (rc != 0)
			snprintf(err, errlen,
				 "--duration: " CLI_QUOTED " is not a duration (5, 500ms, 10s)",
				 CLI_QUOTE(value));
		rc = rc != 0 ? -1 : 0;
		break;
	case OPT_WINDOW:
		rc = number("--window", value, 1, BENCH_MAX_WINDOW, &n, err, errlen);
		o->window = (unsigned)n; /* 0 until given: the open loop has none */
		break;
	case OPT_RATE:
		rc = number("--rate", value, 1, 100000000, &n, err, errlen);
		o->rate = n;
		break;
	case OPT_SOCKETS:
		rc = number("--sockets", value, 1, BENCH_MAX_SOCKETS, &n, err, errlen);
		o->sockets = (unsigned)n;
		break;
	case OPT_GSO:
		o->gso = 1;
		break;
	case OPT_SLEEP:
		o->sleep = 1;
		break;
	case OPT_FORMAT:
		o->json = strcmp(value, "json") == 0;
		if (!o->json && strcmp(value, "text") != 0) {
			snprintf(err, errlen, "--format: " CLI_QUOTED " is not text or json",
				 CLI_QUOTE(value));
			rc = -1;
		}
		break;
	case OPT_V4:
	case OPT_V6:
		rc = net_family_only(&o->family, id == OPT_V4 ? NET_ONLY_V4 : NET_ONLY_V6, err,
				     errlen);
		break;
	default:
		o->help = 1;
		break;
	}
	return rc;
}

int bench_parse_args(int argc, char *const *argv, int first, struct bench_opts *o, char *err,
		     size_t errlen)
{
	struct cli_scan scan;
	const char *value = NULL;
	int id, port_given = 0;

	memset(o, 0, sizeof(*o));
	o->size = 64;
	o->duration_us = 5000000;
	o->sockets = 1;
	o->family = NET_PREFER_V4;
	cli_scan_init(&scan, argc, argv, first);
	while ((id = cli_next(&scan, options, &value, err, errlen)) != CLI_END) {
		if (id == CLI_ERROR)
			return -1;
		if (id == CLI_POSITIONAL
			    ? cli_host_port(value, &o->host, &o->port, &port_given, err, errlen)
			    : apply(o, id, value, err, errlen))
			return -1;
	}
	if (!o->help && (o->host == NULL || o->port == 0)) {
		snprintf(err, errlen, "give HOST and PORT");
		return -1;
	}
	if (o->gso && o->size == 0) {
		snprintf(err, errlen, "--gso needs --size of at least 1");
		return -1;
	}
	/* The open loop sends on schedule whatever is in flight: a window would be ignored. */
	if (o->rate != 0 && o->window != 0) {
		snprintf(err, errlen,
			 "give --rate (open loop) or --window (closed loop), not both");
		return -1;
	}
	if (o->rate == 0 && o->window == 0)
		o->window = BENCH_DEFAULT_WINDOW;
	return 0;
}

int bench_main(int argc, char *const *argv, int first)
{
	struct bench_opts o;
	char err[256];

	if (bench_parse_args(argc, argv, first, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s bench: %s (try --help)\n", PROG, err);
		return 2;
	}
	if (o.help) {
		fputs(bench_usage, stdout);
		return 0;
	}
	return run(&o);
}
