/*
 * zoo_server.c: deliberately broken UDP echo servers, one defect each, for
 * testing that `udpecho check` names every defect precisely.  Each defect
 * is a few obvious lines; each exists in real, widely installed servers.
 *
 *   zoo_server [--bind ADDR] [--port N] DEFECT [ARG]
 *
 *   plain             the textbook recvfrom/sendto loop: correct on a
 *                     specific address, wrong reply source on a wildcard
 *   truncate N        reads into an N-byte buffer (the classic 4096)
 *   ignore-empty      never answers a 0-byte datagram (`if data:`)
 *   stream            turns datagrams into a byte stream and back: what
 *                     queued up from one sender goes back merged
 *   previous-sender   replies to the previous sender, not the current one
 *   twice             replies twice
 *   drop-every-other  drops every other datagram
 *   drop-first N      drops the first N datagrams, then answers every one
 *                     (a burst that overflowed the receive buffer)
 *   flip-at N         flips one bit of byte N in datagrams longer than N
 *   xor-every-other N XORs byte N with 0x5a in every second reply (the 2nd,
 *                     4th, ...): a plain echo whose first reply is exact
 *   other-port        replies from a second socket, another port
 *   nul               stops at the first NUL byte (string handling)
 *   extra N           appends N bytes (CR LF ...) to every reply
 *   delay MS          answers every datagram MS milliseconds late
 *   silent            answers nothing
 *   exit-after N      answers N datagrams, then exits with status 3 on the
 *                     next without replying: later ones meet a closed port
 *                     (exit-after 0: an inetd-style echo that died)
 *   hang-after N      answers N datagrams, then nothing more, its socket
 *                     still open (a hung server)
 *   connect-first     connect()s to the first sender and serves only it, as
 *                     `nc -u -l` does: the kernel refuses everyone else
 *   per-client N      serves the first N distinct clients (address and
 *                     port), at most 4096, and silently ignores any other (a
 *                     forking server whose N children never exit)
 *   alter N           XORs byte min(N, length - 1) with 0x20 in every reply
 *   ignore-size N     never answers a datagram of exactly N bytes, answers
 *                     every other: a filter no retry gets through
 *   plus              a correct TR-143 UDPEchoPlus responder (written apart
 *                     from udpecho-server's, from the annex)
 *   plus-le           UDPEchoPlus with little-endian time stamps (counters right)
 *   plus-count-received
 *                     UDPEchoPlus that refuses every 4th request yet counts
 *                     it in TestRespSN (received, not answered)
 *
 * Planted bugs, for udpecho fuzz to find:
 *   overflow N        copies a datagram longer than N into a 1024-byte stack
 *                     buffer (ASan: stack-buffer-overflow; N < 1024: none)
 *   null-on-empty     dereferences NULL on an empty datagram (SIGSEGV)
 *   hang-on N         answers nothing ever again after a datagram holding
 *                     the two bytes of N (high byte first)
 *   corrupt-band N    flips a bit in the middle of replies of N to N+7 bytes
 *
 * Prints "zoo DEFECT: starting up on ADDR port N" once bound; SIGTERM or
 * SIGINT stops it with exit status 0 (exit-after stops by itself, status 3).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../baseline/udp_bind.h"

#define BUF 65536
#define MAX_PENDING 4096
#define STREAM_PEERS 16
#define MAX_CLIENTS 4096

static volatile sig_atomic_t stop;
static uint8_t buf[BUF + 64];

struct pending {
	long long due_ms;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	uint8_t *data;
};

static struct pending queue[MAX_PENDING];
static size_t queued;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reply(int fd, const void *data, size_t len, const struct sockaddr_storage *to,
		  socklen_t tolen)
{
	(void)sendto(fd, data, len, 0, (const struct sockaddr *)to, tolen);
}

static void delay_reply(const uint8_t *data, size_t len, const struct sockaddr_storage *to,
			socklen_t tolen, long long delay_ms)
{
	struct pending *p;

	if (queued == MAX_PENDING)
		return;
	p = &queue[queued++];
	p->due_ms = now_ms() + delay_ms;
	p->to = *to;
	p->tolen = tolen;
	p->len = len;
	p->data = malloc(len + 1);
	if (p->data != NULL)
		memcpy(p->data, data, len);
}

static void send_due(int fd)
{
	size_t keep = 0;
	long long now = now_ms();

	for (size_t i = 0; i < queued; i++) {
		if (queue[i].due_ms <= now) {
			if (queue[i].data != NULL)
				reply(fd, queue[i].data, queue[i].len, &queue[i].to,
				      queue[i].tolen);
			free(queue[i].data);
		} else {
			queue[keep++] = queue[i];
		}
	}
	queued = keep;
}

/* The largest datagram to this peer: IPv4 (also v4-mapped) 65,507, IPv6 65,527. */
static size_t max_datagram(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return 65527;
	return 65507;
}

struct stream_peer {
	struct sockaddr_storage addr;
	socklen_t len;
	size_t used;
	uint8_t *data;
};

/* What queued up, per sender, as one byte stream each, sent back in the largest pieces. */
static void stream_echo(int fd, const uint8_t *first, size_t first_len,
			const struct sockaddr_storage *from, socklen_t fromlen)
{
	static struct stream_peer peers[STREAM_PEERS];
	static uint8_t more[BUF];
	struct sockaddr_storage ss = *from;
	socklen_t sslen = fromlen;
	size_t npeers = 0, n = first_len;
	const uint8_t *data = first;

	usleep(10000); /* let the queue fill, as a stream reader would */
	for (;;) {
		size_t p;
		ssize_t got;

		for (p = 0; p < npeers; p++) {
			if (peers[p].len == sslen && memcmp(&peers[p].addr, &ss, sslen) == 0)
				break;
		}
		if (p == npeers && npeers < STREAM_PEERS) {
			peers[npeers].addr = ss;
			peers[npeers].len = sslen;
			peers[npeers].used = 0;
			peers[npeers].data = realloc(peers[npeers].data, 1 << 20);
			npeers++;
		}
		if (p < npeers && peers[p].data != NULL && peers[p].used + n <= (1 << 20)) {
			memcpy(peers[p].data + peers[p].used, data, n);
			peers[p].used += n;
		}
		sslen = sizeof(ss);
		got = recvfrom(fd, more, sizeof(more), MSG_DONTWAIT, (struct sockaddr *)&ss,
			       &sslen);
		if (got < 0)
			break;
		data = more;
		n = (size_t)got;
	}
	for (size_t p = 0; p < npeers; p++) {
		size_t off = 0, max = max_datagram(&peers[p].addr);

		do {
			size_t chunk = peers[p].used - off;

			if (chunk > max)
				chunk = max;
			reply(fd, peers[p].data + off, chunk, &peers[p].addr, peers[p].len);
			off += chunk;
		} while (off < peers[p].used);
	}
}

struct defect {
	const char *name;
	long long arg;
};

static int same_client(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* per-client: 1 when from is one of the first max clients seen (it joins while there is room). */
static int served_client(const struct sockaddr_storage *from, size_t max)
{
	static struct sockaddr_storage clients[MAX_CLIENTS];
	static size_t nclients;

	for (size_t i = 0; i < nclients; i++) {
		if (same_client(&clients[i], from))
			return 1;
	}
	if (nclients == max)
		return 0;
	clients[nclients++] = *from;
	return 1;
}

static unsigned long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
}

static void put_field(uint8_t *p, uint32_t v, int little_endian)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(little_endian ? v >> (8 * i) : v >> (24 - 8 * i));
}

/*
 * TR-143 UDPEchoPlus: bytes 4..19 of a request of 20 bytes or more become
 * TestRespSN (requests answered so far), the receive and reply time stamps
 * (microseconds since start, 32 bits) and TestRespReplyFailureCount.
 * Returns 0 to answer, -1 to refuse.
 */
static int echo_plus(const struct defect *d, size_t len, unsigned long long recv_us)
{
	static unsigned long long start, received;
	static uint32_t answered, failures;
	int le = strcmp(d->name, "plus-le") == 0;

	if (start == 0)
		start = recv_us;
	if (len < 20)
		return 0;
	received++;
	if (strcmp(d->name, "plus-count-received") == 0 && received % 4 == 0) {
		failures++;
		answered++; /* the defect: a refused request counted as answered */
		return -1;
	}
	put_field(buf + 4, answered++, 0);
	put_field(buf + 8, (uint32_t)(recv_us - start), le);
	put_field(buf + 12, (uint32_t)(now_usec() - start), le);
	put_field(buf + 16, failures, 0);
	return 0;
}

/* A stack buffer of 1024 bytes written with the whole datagram: ASan's stack-buffer-overflow. */
static __attribute__((noinline)) void overflow(size_t len)
{
	volatile uint8_t small[1024];

	small[0] = 0;
	for (size_t i = 0; i < len; i++)
		small[i] = buf[i];
	(void)small[0];
}

/* volatile: the compiler may not drop the write through it. */
static int *volatile null_pointer;
/* hang-on: once set, nothing is answered again. */
static int hung;

/* Does data hold the two bytes of seq (high byte first)? */
static int contains(const uint8_t *data, size_t len, uint16_t seq)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (data[i] == (uint8_t)(seq >> 8) && data[i + 1] == (uint8_t)seq)
			return 1;
	return 0;
}

static void serve(int fd, int other, const struct defect *d)
{
	static struct sockaddr_storage previous;
	static socklen_t previous_len;
	unsigned long long count = 0;

	while (!stop) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		size_t cap = BUF, len;
		ssize_t n;

		send_due(fd);
		if (poll(&pfd, 1, queued > 0 ? 5 : 100) <= 0)
			continue;
		if (strcmp(d->name, "truncate") == 0)
			cap = (size_t)d->arg;
		n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			continue;
		len = (size_t)n;
		count++;
		if (strcmp(d->name, "exit-after") == 0 && count > (unsigned long long)d->arg)
			exit(3);
		/* Planted bugs for udpecho fuzz: each crashes, hangs or corrupts for one kind. */
		if (strcmp(d->name, "overflow") == 0 && len > (size_t)d->arg)
			overflow(len);
		if (strcmp(d->name, "null-on-empty") == 0 && len == 0)
			*null_pointer = 1;
		if (strcmp(d->name, "hang-on") == 0 && contains(buf, len, (uint16_t)d->arg))
			hung = 1;
		if (hung)
			continue;
		if (strcmp(d->name, "corrupt-band") == 0 && len >= (size_t)d->arg &&
		    len <= (size_t)d->arg + 7)
			buf[len / 2] ^= 0x10;
		if (strcmp(d->name, "hang-after") == 0 && count > (unsigned long long)d->arg)
			continue;
		if (strcmp(d->name, "per-client") == 0 && !served_client(&from, (size_t)d->arg))
			continue;
		if (strncmp(d->name, "plus", 4) == 0 && echo_plus(d, len, now_usec()) != 0)
			continue;
		if (strcmp(d->name, "silent") == 0)
			continue;
		if (strcmp(d->name, "ignore-empty") == 0 && len == 0)
			continue;
		if (strcmp(d->name, "ignore-size") == 0 && len == (size_t)d->arg)
			continue;
		if (strcmp(d->name, "drop-every-other") == 0 && count % 2 == 1)
			continue;
		if (strcmp(d->name, "drop-first") == 0 && count <= (unsigned long long)d->arg)
			continue;
		if (strcmp(d->name, "flip-at") == 0 && len > (size_t)d->arg)
			buf[d->arg] ^= 0x01;
		if (strcmp(d->name, "xor-every-other") == 0 && len > (size_t)d->arg &&
		    count % 2 == 0)
			buf[d->arg] ^= 0x5a;
		if (strcmp(d->name, "alter") == 0 && len > 0)
			buf[(size_t)d->arg < len - 1 ? (size_t)d->arg : len - 1] ^= 0x20;
		if (strcmp(d->name, "connect-first") == 0 && count == 1)
			(void)connect(fd, (const struct sockaddr *)&from, fromlen);
		if (strcmp(d->name, "other-port") == 0) {
			reply(other, buf, len, &from, fromlen);
			continue;
		}
		if (strcmp(d->name, "nul") == 0)
			len = strnlen((const char *)buf, len);
		if (strcmp(d->name, "extra") == 0) {
			for (long long i = 0; i < d->arg; i++)
				buf[len++] = i % 2 == 0 ? '\r' : '\n';
		}
		if (strcmp(d->name, "stream") == 0) {
			stream_echo(fd, buf, len, &from, fromlen);
			continue;
		}
		if (strcmp(d->name, "delay") == 0) {
			delay_reply(buf, len, &from, fromlen, d->arg);
			continue;
		}
		if (strcmp(d->name, "previous-sender") == 0) {
			struct sockaddr_storage to = previous_len ? previous : from;
			socklen_t tolen = previous_len ? previous_len : fromlen;

			previous = from;
			previous_len = fromlen;
			reply(fd, buf, len, &to, tolen);
			continue;
		}
		reply(fd, buf, len, &from, fromlen);
		if (strcmp(d->name, "twice") == 0)
			reply(fd, buf, len, &from, fromlen);
	}
}

static int needs_arg(const char *name)
{
	return strcmp(name, "truncate") == 0 || strcmp(name, "flip-at") == 0 ||
	       strcmp(name, "xor-every-other") == 0 || strcmp(name, "extra") == 0 ||
	       strcmp(name, "delay") == 0 || strcmp(name, "drop-first") == 0 ||
	       strcmp(name, "exit-after") == 0 || strcmp(name, "hang-after") == 0 ||
	       strcmp(name, "per-client") == 0 || strcmp(name, "alter") == 0 ||
	       strcmp(name, "ignore-size") == 0 || strcmp(name, "overflow") == 0 ||
	       strcmp(name, "hang-on") == 0 || strcmp(name, "corrupt-band") == 0;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	struct defect d = {NULL, 0};
	int port = 0, i = 1, fd, other;
	struct sigaction sa;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--bind") == 0)
			host = argv[i + 1];
		else if (strcmp(argv[i], "--port") == 0)
			port = (int)strtol(argv[i + 1], NULL, 10);
	}
	if (i >= argc) {
		fprintf(stderr, "usage: zoo_server [--bind ADDR] [--port N] DEFECT [ARG]\n");
		return 2;
	}
	d.name = argv[i];
	if (needs_arg(d.name)) {
		if (i + 1 >= argc) {
			fprintf(stderr, "zoo: %s needs a number\n", d.name);
			return 2;
		}
		d.arg = strtoll(argv[i + 1], NULL, 10);
	}
	if (strcmp(d.name, "per-client") == 0 && (d.arg < 0 || d.arg > MAX_CLIENTS)) {
		fprintf(stderr, "zoo: per-client needs a number from 0 to %d\n", MAX_CLIENTS);
		return 2;
	}
	fd = udp_bind(host, port);
	if (fd < 0) {
		fprintf(stderr, "zoo: cannot bind %s port %d: %s\n", host, port, strerror(errno));
		return 2;
	}
	/* other-port's second socket: same address, a port of its own. */
	other = udp_bind(host, 0);
	if (other < 0) {
		fprintf(stderr, "zoo: cannot bind %s port 0: %s\n", host, strerror(errno));
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("zoo %s: starting up on %s port %d\n", d.name, host, udp_bound_port(fd));
	fflush(stdout);
	serve(fd, other, &d);
	return 0;
}
