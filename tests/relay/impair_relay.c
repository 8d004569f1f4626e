/*
 * impair_relay.c: a UDP relay that impairs traffic by rule, to put between
 * `udpecho check` and a correct echo server: loss, duplication, reordering
 * and delay must be reported as such, never as wrong bytes.
 *
 *   impair_relay --target-port P [--target ADDR] [--bind ADDR] [--port N]
 *                [--drop N] [--dup N] [--reorder N] [--delay MS]
 *
 *   --drop N     drop every Nth datagram (each direction counts separately)
 *   --dup N      send every Nth datagram twice
 *   --reorder N  hold every Nth datagram back until the next one has gone
 *   --delay MS   deliver every datagram MS milliseconds late
 *
 * Each client gets its own upstream socket, so replies find their way back
 * and the server sees distinct clients.  Prints "relay: starting up on ADDR
 * port N" once bound; SIGTERM or SIGINT stops it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A whole check run: clients.many's 200 clients and every other check's sockets. */
#define MAX_CLIENTS 512
#define MAX_QUEUED 8192
#define BUF 65536

struct rules {
	long drop, dup, reorder, delay_ms;
};

/* One direction's state: its own counter and the datagram held back for reordering. */
struct lane {
	unsigned long count;
	uint8_t *held;
	size_t held_len;
	int has_held;
};

struct client {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int upstream; /* connected to the server */
	struct lane up, down;
};

struct queued {
	struct sockaddr_storage to;
	long long due_ms;
	uint8_t *data;
	size_t len;
	socklen_t tolen; /* 0: fd is connected */
	int fd;
};

static volatile sig_atomic_t stop;
static struct client clients[MAX_CLIENTS];
static size_t nclients;
static struct queued queue[MAX_QUEUED];
static size_t nqueued;
static uint8_t buf[BUF];

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

static socklen_t make_addr(const char *host, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? sizeof(*s6) : 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? sizeof(*s4) : 0;
}

static void transmit(int fd, const uint8_t *data, size_t len, const struct sockaddr_storage *to,
		     socklen_t tolen)
{
	if (tolen == 0)
		(void)send(fd, data, len, 0);
	else
		(void)sendto(fd, data, len, 0, (const struct sockaddr *)to, tolen);
}

/* Delivers now, or queues for later when a delay is set. */
static void deliver(const struct rules *r, int fd, const uint8_t *data, size_t len,
		    const struct sockaddr_storage *to, socklen_t tolen)
{
	struct queued *q;

	if (r->delay_ms <= 0) {
		transmit(fd, data, len, to, tolen);
		return;
	}
	if (nqueued == MAX_QUEUED)
		return;
	q = &queue[nqueued];
	q->data = malloc(len + 1);
	if (q->data == NULL)
		return;
	memcpy(q->data, data, len);
	q->due_ms = now_ms() + r->delay_ms;
	q->fd = fd;
	if (tolen > 0)
		q->to = *to;
	q->tolen = tolen;
	q->len = len;
	nqueued++;
}

static void deliver_due(void)
{
	long long now = now_ms();
	size_t keep = 0;

	for (size_t i = 0; i < nqueued; i++) {
		if (queue[i].due_ms <= now) {
			transmit(queue[i].fd, queue[i].data, queue[i].len, &queue[i].to,
				 queue[i].tolen);
			free(queue[i].data);
		} else {
			queue[keep++] = queue[i];
		}
	}
	nqueued = keep;
}

/* The rules, applied to one datagram travelling one lane. */
static void forward(const struct rules *r, struct lane *lane, int fd, const uint8_t *data,
		    size_t len, const struct sockaddr_storage *to, socklen_t tolen)
{
	unsigned long n = ++lane->count;

	if (r->drop > 0 && n % (unsigned long)r->drop == 0)
		return;
	if (r->reorder > 0 && n % (unsigned long)r->reorder == 0 && !lane->has_held) {
		lane->held = realloc(lane->held, len + 1);
		if (lane->held != NULL) {
			memcpy(lane->held, data, len);
			lane->held_len = len;
			lane->has_held = 1;
			return;
		}
	}
	deliver(r, fd, data, len, to, tolen);
	if (r->dup > 0 && n % (unsigned long)r->dup == 0)
		deliver(r, fd, data, len, to, tolen);
	if (lane->has_held) {
		deliver(r, fd, lane->held, lane->held_len, to, tolen);
		lane->has_held = 0;
	}
}

static struct client *client_for(const struct sockaddr_storage *from, socklen_t fromlen,
				 const struct sockaddr_storage *server, socklen_t serverlen)
{
	struct client *c;

	for (size_t i = 0; i < nclients; i++) {
		if (clients[i].addrlen == fromlen && memcmp(&clients[i].addr, from, fromlen) == 0)
			return &clients[i];
	}
	if (nclients == MAX_CLIENTS)
		return NULL;
	c = &clients[nclients];
	memset(c, 0, sizeof(*c));
	c->addr = *from;
	c->addrlen = fromlen;
	c->upstream = socket(server->ss_family, SOCK_DGRAM, 0);
	if (c->upstream < 0 ||
	    connect(c->upstream, (const struct sockaddr *)server, serverlen) != 0) {
		if (c->upstream >= 0)
			close(c->upstream);
		return NULL;
	}
	nclients++;
	return c;
}

static void relay(int listener, const struct rules *r, const struct sockaddr_storage *server,
		  socklen_t serverlen)
{
	struct pollfd pfd[MAX_CLIENTS + 1];

	while (!stop) {
		deliver_due();
		pfd[0] = (struct pollfd){.fd = listener, .events = POLLIN};
		for (size_t i = 0; i < nclients; i++)
			pfd[i + 1] = (struct pollfd){.fd = clients[i].upstream, .events = POLLIN};
		if (poll(pfd, nclients + 1, nqueued > 0 ? 1 : 50) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			struct sockaddr_storage from;
			socklen_t fromlen = sizeof(from);
			ssize_t n = recvfrom(listener, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fromlen);
			struct client *c =
				n >= 0 ? client_for(&from, fromlen, server, serverlen) : NULL;

			if (c != NULL)
				forward(r, &c->up, c->upstream, buf, (size_t)n, NULL, 0);
		}
		for (size_t i = 0; i < nclients; i++) {
			ssize_t n;

			if (!(pfd[i + 1].revents & POLLIN))
				continue;
			n = recv(clients[i].upstream, buf, sizeof(buf), MSG_DONTWAIT);
			if (n >= 0)
				forward(r, &clients[i].down, listener, buf, (size_t)n,
					&clients[i].addr, clients[i].addrlen);
		}
	}
}

static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *end == '\0' && v >= 0 ? v : -1;
}

int main(int argc, char **argv)
{
	const char *bind_host = "127.0.0.1", *target = NULL;
	struct sockaddr_storage local, server;
	socklen_t locallen, serverlen;
	struct rules r = {0, 0, 0, 0};
	long port = 0, target_port = -1;
	struct sigaction sa;
	int fd;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];

		if (strcmp(argv[i], "--bind") == 0)
			bind_host = v;
		else if (strcmp(argv[i], "--port") == 0)
			port = number(v);
		else if (strcmp(argv[i], "--target") == 0)
			target = v;
		else if (strcmp(argv[i], "--target-port") == 0)
			target_port = number(v);
		else if (strcmp(argv[i], "--drop") == 0)
			r.drop = number(v);
		else if (strcmp(argv[i], "--dup") == 0)
			r.dup = number(v);
		else if (strcmp(argv[i], "--reorder") == 0)
			r.reorder = number(v);
		else if (strcmp(argv[i], "--delay") == 0)
			r.delay_ms = number(v);
		else
			target_port = -2;
	}
	if (target == NULL)
		target = bind_host;
	locallen = make_addr(bind_host, (int)port, &local);
	serverlen = make_addr(target, (int)target_port, &server);
	if (target_port < 1 || port < 0 || r.drop < 0 || r.dup < 0 || r.reorder < 0 ||
	    r.delay_ms < 0 || locallen == 0 || serverlen == 0) {
		fprintf(stderr, "usage: impair_relay --target-port P [--target ADDR] [--bind ADDR] "
				"[--port N] [--drop N] [--dup N] [--reorder N] [--delay MS]\n");
		return 2;
	}
	fd = socket(local.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, locallen) != 0) {
		fprintf(stderr, "relay: bind %s port %ld: %s\n", bind_host, port, strerror(errno));
		return 2;
	}
	locallen = sizeof(local);
	getsockname(fd, (struct sockaddr *)&local, &locallen);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("relay: starting up on %s port %u\n", bind_host,
	       ntohs(local.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&local)->sin6_port
						 : ((struct sockaddr_in *)&local)->sin_port));
	fflush(stdout);
	relay(fd, &r, &server, serverlen);
	return 0;
}
