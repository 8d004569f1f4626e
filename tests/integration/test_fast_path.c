/*
 * test_fast_path.c: udpecho-server's batched path over real loopback
 * sockets.  A GSO burst (one UDP_SEGMENT send: the server's UDP_GRO socket
 * receives it as one buffer) is echoed datagram by datagram and counted; a
 * run is split where the decisions differ; replies still leave from the
 * address asked on a wildcard bind; plain datagrams queued together from
 * one peer go back as one GSO run, also right after a client that had one
 * request in flight at a time; --threads, --rcvbuf and kernel drops.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define MAX_V4 65507
#define REPLY_WAIT_MS 2000
#define SILENCE_MS 300
#define MAX_BURST 64 /* UDP_MAX_SEGMENTS */

static uint8_t request[MAX_V4 + 1];
static uint8_t reply[MAX_V4 + 2];

/* Datagram i of a burst: its index in every byte, so a reordered or merged echo shows. */
static void fill_burst(uint8_t *buf, size_t seg, size_t n, size_t last)
{
	for (size_t i = 0; i < n; i++)
		memset(buf + i * seg, (int)(0x40 + i), i + 1 < n ? seg : last);
}

/* n datagrams of seg bytes (the last of last bytes) in one UDP_SEGMENT send to host:port. */
static void send_gso(int fd, const char *host, uint16_t port, size_t seg, size_t n, size_t last)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} control;
	struct sockaddr_storage to;
	size_t len = seg * (n - 1) + last;
	struct iovec iov = {request, len};
	struct msghdr msg = {.msg_name = &to,
			     .msg_namelen = udp_addr(host, port, &to),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	uint16_t size = (uint16_t)seg;

	fill_burst(request, seg, n, last);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	assert_int_equal(sendmsg(fd, &msg, 0), (ssize_t)len);
}

/* The next reply is datagram i of the burst, whole, from host:port. */
static void expect_datagram(int fd, const char *host, uint16_t port, size_t i, size_t len)
{
	struct sockaddr_storage to, from;
	char want[64], got[64];
	ssize_t n = udp_recv(fd, reply, sizeof(reply), &from, REPLY_WAIT_MS);

	if (n < 0)
		fail_msg("no echo of datagram %zu (%zu bytes)", i, len);
	if ((size_t)n != len)
		fail_msg("datagram %zu: %zu bytes sent, %zd came back", i, len, n);
	for (size_t k = 0; k < len; k++)
		if (reply[k] != (uint8_t)(0x40 + i))
			fail_msg("datagram %zu: byte %zu is 0x%02x", i, k, reply[k]);
	udp_addr(host, port, &to);
	udp_format(&to, want, sizeof(want));
	udp_format(&from, got, sizeof(got));
	assert_string_equal(got, want);
}

static void expect_silence(int fd)
{
	struct sockaddr_storage from;

	assert_true(udp_recv(fd, reply, sizeof(reply), &from, SILENCE_MS) < 0);
}

/* Stops the server and returns its summary line (malloc'd); *err its stderr, when asked. */
static char *stop_for_summary_err(struct server *s, char **err)
{
	char *out, *line, *copy;

	assert_int_equal(server_stop(s, SIGTERM), 0);
	if (err != NULL)
		*err = proc_stderr(&s->proc);
	out = proc_stdout(&s->proc);
	assert_non_null(out);
	line = strstr(out, "summary: ");
	assert_non_null(line);
	copy = strndup(line, strcspn(line, "\n"));
	free(out);
	proc_cleanup(&s->proc);
	return copy;
}

static char *stop_for_summary(struct server *s)
{
	return stop_for_summary_err(s, NULL);
}

static void start(struct server *s, const char *bind, const char *const *more)
{
	const char *args[HARNESS_MAX_ARGS] = {"--bind", bind, "--port", "0"};
	int n = 4;

	while (more != NULL && *more != NULL)
		args[n++] = *more++;
	args[n] = NULL;
	assert_int_equal(server_start(s, args), 0);
}

static void gso_burst_echoed(const char *bind, const char *client, const char *target, size_t seg,
			     size_t n, size_t last)
{
	struct server s;
	char *summary;
	int fd = udp_bound(client, 0);

	assert_true(fd >= 0);
	start(&s, bind, NULL);
	send_gso(fd, target, s.port, seg, n, last);
	for (size_t i = 0; i < n; i++)
		expect_datagram(fd, target, s.port, i, i + 1 < n ? seg : last);
	expect_silence(fd);
	close(fd);
	summary = stop_for_summary(&s);
	print_message("%zu x %zu bytes: %s\n", n, seg, summary);
	assert_int_equal(summary_counter(summary, "received"), n);
	assert_int_equal(summary_counter(summary, "echoed"), n);
	assert_int_equal(summary_counter(summary, "bytes_in"), seg * (n - 1) + last);
	assert_int_equal(summary_counter(summary, "bytes_out"), seg * (n - 1) + last);
	assert_int_equal(summary_counter(summary, "dropped"), 0);
	free(summary);
}

static void test_gso_burst_is_echoed_datagram_by_datagram(void **state)
{
	(void)state;
	gso_burst_echoed("127.0.0.1", "127.0.0.1", "127.0.0.1", 64, 10, 64);
	gso_burst_echoed("127.0.0.1", "127.0.0.1", "127.0.0.1", 1400, 40, 1400);
	/* The kernel's segment limit, and a shorter last datagram. */
	gso_burst_echoed("127.0.0.1", "127.0.0.1", "127.0.0.1", 1000, MAX_BURST, 17);
	gso_burst_echoed("::1", "::1", "::1", 1232, 50, 1232);
}

/* A burst to 127.0.0.2 of a 0.0.0.0 server (to ::1, 127.0.0.3 of ::) comes back from there. */
static void test_gso_burst_on_wildcard_replies_from_request_address(void **state)
{
	(void)state;
	gso_burst_echoed("0.0.0.0", "127.0.0.1", "127.0.0.2", 512, 20, 100);
	gso_burst_echoed("::", "127.0.0.1", "127.0.0.3", 64, 30, 64);
	gso_burst_echoed("::", "::1", "::1", 64, 30, 64);
}

/* --max-size 150: the 200-byte datagrams of a run are dropped, its short last one echoed. */
static void test_run_split_where_size_verdicts_differ(void **state)
{
	const char *more[] = {"--max-size", "150", NULL};
	struct server s;
	char *summary;
	int fd = udp_bound("127.0.0.1", 0);

	(void)state;
	start(&s, "127.0.0.1", more);
	send_gso(fd, "127.0.0.1", s.port, 200, 5, 100);
	expect_datagram(fd, "127.0.0.1", s.port, 4, 100);
	expect_silence(fd);
	send_gso(fd, "127.0.0.1", s.port, 150, 6, 150);
	for (size_t i = 0; i < 6; i++)
		expect_datagram(fd, "127.0.0.1", s.port, i, 150);
	close(fd);
	summary = stop_for_summary(&s);
	assert_int_equal(summary_counter(summary, "received"), 11);
	assert_int_equal(summary_counter(summary, "echoed"), 7);
	assert_int_equal(summary_counter(summary, "too_big"), 4);
	assert_int_equal(summary_counter(summary, "bytes_out"), 100 + 6 * 150);
	free(summary);
}

/* --rate-limit with a burst of 3: the first three of a run go back, the rest are counted. */
static void test_run_split_by_rate_limit(void **state)
{
	const char *more[] = {"--rate-limit", "1,3", NULL};
	struct server s;
	char *summary;
	int fd = udp_bound("127.0.0.1", 0);

	(void)state;
	start(&s, "127.0.0.1", more);
	send_gso(fd, "127.0.0.1", s.port, 64, 12, 64);
	for (size_t i = 0; i < 3; i++)
		expect_datagram(fd, "127.0.0.1", s.port, i, 64);
	expect_silence(fd);
	close(fd);
	summary = stop_for_summary(&s);
	assert_int_equal(summary_counter(summary, "received"), 12);
	assert_int_equal(summary_counter(summary, "echoed"), 3);
	assert_int_equal(summary_counter(summary, "rate_limited"), 9);
	free(summary);
}

/* Is thread tid of pid stopped (state T in /proc/PID/task/TID/stat)? */
static int thread_stopped(pid_t pid, const char *tid)
{
	char path[320];
	char *stat;
	const char *paren;
	int stopped;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, tid);
	stat = read_file(path, NULL);
	if (stat == NULL)
		return 1; /* ended */
	paren = strrchr(stat, ')');
	stopped = paren != NULL && paren[1] == ' ' && paren[2] == 'T';
	free(stat);
	return stopped;
}

/*
 * Waits until every thread of pid is stopped.  The main thread stops
 * first; a worker may still be on its way out of its receive call, and
 * would take a datagram sent now on its own.
 */
static void wait_stopped(pid_t pid)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	for (int i = 0; i < 500; i++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		int all = d != NULL;

		while (all && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' && !thread_stopped(pid, e->d_name))
				all = 0;
		if (d != NULL)
			closedir(d);
		if (all)
			return;
		usleep(2000);
	}
	fail_msg("server %d did not stop", (int)pid);
}

/* One plain datagram of len bytes, every byte 0x40 + i, to the server. */
static void send_one(int fd, uint16_t port, size_t i, size_t len)
{
	struct sockaddr_storage to;
	socklen_t tolen = udp_addr("127.0.0.1", port, &to);

	memset(request, (int)(0x40 + i), len);
	assert_int_equal(sendto(fd, request, len, 0, (struct sockaddr *)&to, tolen), (ssize_t)len);
}

/*
 * The next message on a UDP_GRO socket, into reply: returns its length (-1
 * when none comes) and sets *seg to its UDP_GRO segment size (0: one datagram).
 */
static ssize_t recv_run(int fd, size_t *seg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {reply, sizeof(reply)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t got;

	*seg = 0;
	if (poll(&pfd, 1, REPLY_WAIT_MS) != 1)
		return -1;
	got = recvmsg(fd, &msg, MSG_DONTWAIT);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			*seg = (size_t)v;
		}
	}
	return got;
}

/*
 * The next message on a UDP_GRO socket is a run of the datagrams first..
 * with these sizes (one size: a single datagram, no UDP_GRO segment size),
 * each whole and in order.
 */
static void expect_run(int fd, size_t first, const size_t *sizes, size_t n)
{
	size_t seg, total = 0, off = 0;
	ssize_t got;

	for (size_t k = 0; k < n; k++)
		total += sizes[k];
	got = recv_run(fd, &seg);
	if (got != (ssize_t)total || seg != (n > 1 ? sizes[0] : 0))
		fail_msg("datagrams %zu-%zu: wanted %zu bytes in %zu-byte segments, got %zd in %zu",
			 first, first + n - 1, total, n > 1 ? sizes[0] : 0, got, seg);
	for (size_t k = 0; k < n; off += sizes[k++])
		for (size_t b = 0; b < sizes[k]; b++)
			if (reply[off + b] != (uint8_t)(0x40 + first + k))
				fail_msg("datagram %zu: byte %zu is 0x%02x", first + k, b,
					 reply[off + b]);
}

/*
 * Plain datagrams waiting together in the server's socket (it is stopped
 * while they arrive) go back as runs: consecutive replies to one peer of one
 * size, the last of a run may be shorter; a reply to another peer, an empty
 * datagram and a size change end a run.  A client with UDP_GRO sees the runs.
 */
static void test_plain_datagrams_of_one_peer_go_back_as_one_run(void **state)
{
	static const size_t run1[] = {100, 100, 50}, run2[] = {100, 100, 100}, empty[] = {0},
			    seven[] = {7}, one[] = {100};
	struct server s;
	char *summary;
	int a = udp_bound("127.0.0.1", 0), b = udp_bound("127.0.0.1", 0), on = 1;

	(void)state;
	assert_int_equal(setsockopt(a, SOL_UDP, UDP_GRO, &on, sizeof(on)), 0);
	start(&s, "127.0.0.1", NULL);
	assert_int_equal(kill(s.proc.pid, SIGSTOP), 0);
	wait_stopped(s.proc.pid);
	for (size_t i = 0; i < 3; i++)
		send_one(a, s.port, i, run1[i]);
	send_one(b, s.port, 3, 100);
	for (size_t i = 0; i < 3; i++)
		send_one(a, s.port, 4 + i, 100);
	send_one(a, s.port, 7, 0);
	send_one(a, s.port, 8, 7);
	assert_int_equal(kill(s.proc.pid, SIGCONT), 0);
	expect_run(a, 0, run1, 3);
	expect_run(a, 4, run2, 3);
	expect_run(a, 7, empty, 1);
	expect_run(a, 8, seven, 1);
	expect_run(b, 3, one, 1);
	expect_silence(a);
	close(a);
	close(b);
	summary = stop_for_summary(&s);
	assert_int_equal(summary_counter(summary, "received"), 9);
	assert_int_equal(summary_counter(summary, "echoed"), 9);
	assert_int_equal(summary_counter(summary, "bytes_out"), 250 + 100 + 300 + 0 + 7);
	assert_int_equal(summary_counter(summary, "send_errors"), 0);
	free(summary);
}

/*
 * A client with one request in flight, then a burst: the server waits with
 * one recvmsg per datagram while every wake-up brings one, and must still
 * echo every datagram of the burst whole and in order, and go back to
 * batched receives (replies joined into runs) within the burst.  The burst
 * is sent while the server is stopped (SIGSTOP), so that it finds a queue
 * of 48: sent to a running server, the datagrams may arrive no faster than
 * it answers them, and no receive would find a second one.
 */
static void test_burst_after_one_at_a_time_is_batched_again(void **state)
{
	static const size_t one[] = {100};
	enum { PINGS = 20, BURST = 48, SIZE = 200 };
	struct sockaddr_storage to;
	socklen_t tolen;
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	struct server s;
	char *summary;
	int a = udp_bound("127.0.0.1", 0), on = 1;
	size_t got = 0, messages = 0, runs = 0;

	(void)state;
	assert_int_equal(setsockopt(a, SOL_UDP, UDP_GRO, &on, sizeof(on)), 0);
	start(&s, "127.0.0.1", NULL);
	for (size_t i = 0; i < PINGS; i++) {
		send_one(a, s.port, 0, 100);
		expect_run(a, 0, one, 1);
	}
	tolen = udp_addr("127.0.0.1", s.port, &to);
	for (size_t i = 0; i < BURST; i++) {
		memset(request + i * SIZE, (int)(0x40 + i), SIZE);
		iov[i] = (struct iovec){request + i * SIZE, SIZE};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &to,
						       .msg_namelen = tolen,
						       .msg_iov = &iov[i],
						       .msg_iovlen = 1}};
	}
	assert_int_equal(kill(s.proc.pid, SIGSTOP), 0);
	wait_stopped(s.proc.pid);
	assert_int_equal(sendmmsg(a, msgs, BURST, 0), BURST);
	assert_int_equal(kill(s.proc.pid, SIGCONT), 0);
	while (got < BURST) {
		size_t seg;
		ssize_t n = recv_run(a, &seg);

		if (n < 0)
			fail_msg("%zu of %d echoes came back", got, BURST);
		if (n <= 0 || n % SIZE != 0 || (seg != 0 && seg != SIZE) ||
		    got + (size_t)n / SIZE > BURST)
			fail_msg("after %zu echoes: a message of %zd bytes in %zu-byte segments",
				 got, n, seg);
		for (size_t k = 0; k < (size_t)n; k++)
			if (reply[k] != (uint8_t)(0x40 + got + k / SIZE))
				fail_msg("echo %zu: byte %zu is 0x%02x", got + k / SIZE, k % SIZE,
					 reply[k]);
		got += (size_t)n / SIZE;
		messages++;
		runs += n > SIZE;
	}
	print_message("%d echoes in %zu messages, %zu of them runs\n", BURST, messages, runs);
	assert_true(runs > 0);
	expect_silence(a);
	close(a);
	summary = stop_for_summary(&s);
	assert_int_equal(summary_counter(summary, "received"), PINGS + BURST);
	assert_int_equal(summary_counter(summary, "echoed"), PINGS + BURST);
	free(summary);
}

/* The workers of a process: /proc/PID/task has one entry per thread. */
static int thread_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

#define CLIENTS 8
#define PER_CLIENT 20

/* --threads 2: 8 clients spread over two SO_REUSEPORT sockets; one summary of both. */
static void test_threads_serve_every_client_and_sum_counters(void **state)
{
	const char *more[] = {"--threads", "2", NULL};
	int fds[CLIENTS];
	struct server s;
	char *summary;

	(void)state;
	start(&s, "127.0.0.1", more);
	/* The main thread, waiting for signals, and 2 workers (started after the startup line). */
	for (int i = 0; i < 200 && thread_count(s.proc.pid) != 3; i++)
		usleep(10000);
	assert_int_equal(thread_count(s.proc.pid), 3);
	for (int c = 0; c < CLIENTS; c++) {
		fds[c] = udp_bound("127.0.0.1", 0);
		assert_true(fds[c] >= 0);
	}
	for (int r = 0; r < PER_CLIENT; r++) {
		for (int c = 0; c < CLIENTS; c++)
			send_gso(fds[c], "127.0.0.1", s.port, 100, 1, 100);
		for (int c = 0; c < CLIENTS; c++)
			expect_datagram(fds[c], "127.0.0.1", s.port, 0, 100);
	}
	for (int c = 0; c < CLIENTS; c++)
		close(fds[c]);
	summary = stop_for_summary(&s);
	assert_int_equal(summary_counter(summary, "received"), CLIENTS * PER_CLIENT);
	assert_int_equal(summary_counter(summary, "echoed"), CLIENTS * PER_CLIENT);
	free(summary);
}

/* Idle workers stop at once on SIGINT too. */
static void test_threads_stop_when_idle(void **state)
{
	const char *more[] = {"--threads", "4", NULL};
	struct timespec t0, t1;
	struct server s;

	(void)state;
	start(&s, "::1", more);
	usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	proc_cleanup(&s.proc);
}

/* Sends 1-byte datagrams to port as fast as it can for ms milliseconds, then exits. */
static void flood_for(uint16_t port, int ms)
{
	struct sockaddr_storage to;
	socklen_t tolen = udp_addr("127.0.0.1", port, &to);
	struct timespec t0, t;
	int fd = udp_bound("127.0.0.1", 0);
	int one = 1 << 16;

	/* Replies are not read: a small receive buffer drops them without costing us. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 1000; i++)
			(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&to, tolen);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
	_exit(0);
}

#define FLOODERS 3

/*
 * Under a flood every batch is full and a single worker never sleeps, so it
 * must still let SIGTERM in; several workers are stopped by their supervisor.
 */
/* One datagram at a time, each sent when the last came back, for ms milliseconds; then exits. */
static void ping_for(uint16_t port, int ms)
{
	struct sockaddr_storage to, from;
	socklen_t tolen = udp_addr("127.0.0.1", port, &to);
	struct timespec t0, t;
	int fd = udp_bound("127.0.0.1", 0);
	char buf[64];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		(void)sendto(fd, "ping", 4, 0, (struct sockaddr *)&to, tolen);
		(void)udp_recv(fd, buf, sizeof(buf), &from, 100);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
	_exit(0);
}

static long stop_ms(struct server *s)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(server_stop(s, SIGTERM), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	proc_cleanup(&s->proc);
	return (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

/*
 * While datagrams come one at a time the workers sleep in recvmmsg, with
 * the signals blocked: SIGTERM must still stop the server at once, during
 * the traffic and just after it ends (the wait times out).
 */
static void test_stops_while_a_client_pings(void **state)
{
	(void)state;
	for (int threads = 1; threads <= 2; threads++) {
		const char *more[] = {"--threads", threads == 1 ? "1" : "2", NULL};
		struct server s;
		pid_t pinger;
		long during, after;

		start(&s, "127.0.0.1", more);
		pinger = fork();
		if (pinger == 0)
			ping_for(s.port, 4000);
		usleep(500000);
		during = stop_ms(&s);
		kill(pinger, SIGKILL);
		waitpid(pinger, NULL, 0);

		start(&s, "127.0.0.1", more);
		pinger = fork();
		if (pinger == 0)
			ping_for(s.port, 300);
		waitpid(pinger, NULL, 0);
		after = stop_ms(&s);
		print_message("%d thread(s): stopped %ld ms after SIGTERM while pinged, %ld ms "
			      "right after\n",
			      threads, during, after);
		assert_true(during < 500);
		assert_true(after < 500);
	}
}

static void test_stops_under_a_flood(void **state)
{
	struct timespec t0, t1;
	struct server s;
	pid_t flooders[FLOODERS];

	(void)state;
	for (int threads = 1; threads <= 2; threads++) {
		const char *more[] = {"--threads", threads == 1 ? "1" : "2", "--rcvbuf", "8388608",
				      NULL};

		start(&s, "127.0.0.1", more);
		for (int i = 0; i < FLOODERS; i++) {
			flooders[i] = fork();
			if (flooders[i] == 0)
				flood_for(s.port, 4000);
		}
		usleep(1000000);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(server_stop(&s, SIGTERM), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;

		print_message("%d thread(s): stopped %ld ms after SIGTERM under a flood\n", threads,
			      ms);
		assert_true(ms < 1000);
		proc_cleanup(&s.proc);
		for (int i = 0; i < FLOODERS; i++) {
			kill(flooders[i], SIGKILL);
			waitpid(flooders[i], NULL, 0);
		}
	}
}

/*
 * A stopped server's socket overflows: every datagram is either received or
 * counted in kernel_drops, the drops after the last datagram it read too
 * (with follow_up 0 none comes after them), and the server still answers.
 */
static void kernel_drops_are_reported(int follow_up)
{
	struct sockaddr_storage to;
	socklen_t tolen;
	struct server s;
	char *summary;
	int fd = udp_bound("127.0.0.1", 0);

	start(&s, "127.0.0.1", NULL);
	tolen = udp_addr("127.0.0.1", s.port, &to);
	kill(s.proc.pid, SIGSTOP);
	memset(request, 1, 1000);
	for (int i = 0; i < 2000; i++)
		(void)sendto(fd, request, 1000, 0, (struct sockaddr *)&to, tolen);
	kill(s.proc.pid, SIGCONT);
	usleep(200000);
	while (udp_recv(fd, reply, sizeof(reply), &to, 100) >= 0)
		;
	if (follow_up) {
		tolen = udp_addr("127.0.0.1", s.port, &to);
		assert_int_equal(sendto(fd, request, 10, 0, (struct sockaddr *)&to, tolen), 10);
		assert_int_equal(udp_recv(fd, reply, sizeof(reply), &to, REPLY_WAIT_MS), 10);
	}
	close(fd);
	summary = stop_for_summary(&s);
	print_message("%s\n", summary);
	assert_true(summary_counter(summary, "kernel_drops") > 0);
	assert_int_equal(summary_counter(summary, "received") +
				 summary_counter(summary, "kernel_drops"),
			 2000 + follow_up);
	free(summary);
}

static void test_kernel_drops_are_reported(void **state)
{
	(void)state;
	kernel_drops_are_reported(1);
}

static void test_kernel_drops_after_the_last_datagram_are_reported(void **state)
{
	(void)state;
	kernel_drops_are_reported(0);
}

static void test_rcvbuf_as_root_is_granted(void **state)
{
	const char *more[] = {"--rcvbuf", "8388608", NULL};
	struct server s;
	char *err;
	int fd = udp_bound("127.0.0.1", 0);

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: SO_RCVBUFFORCE needs root (CI runs as root)\n");
		close(fd);
		skip();
	}
	start(&s, "127.0.0.1", more);
	send_gso(fd, "127.0.0.1", s.port, 10, 1, 10);
	expect_datagram(fd, "127.0.0.1", s.port, 0, 10);
	close(fd);
	free(stop_for_summary_err(&s, &err));
	assert_non_null(err);
	if (err[0] != '\0')
		fail_msg("stderr: %s", err);
	free(err);
}

static void become_nobody(void *ctx)
{
	(void)ctx;
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		_exit(126);
}

/* Unprivileged, the kernel caps SO_RCVBUF at net.core.rmem_max, and the server says so. */
static void test_rcvbuf_unprivileged_says_what_was_granted(void **state)
{
	const char *argv[] = {harness_server_bin, "--bind",     "127.0.0.1", "--port", "0",
			      "--rcvbuf",         "1073741823", NULL};
	struct server s;
	char *err;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: needs root to become nobody (CI runs as root)\n");
		skip();
	}
	assert_int_equal(proc_spawn_with(&s.proc, argv, become_nobody, NULL), 0);
	for (int i = 0; i < 200; i++) {
		err = proc_stderr(&s.proc);
		if (err != NULL && err[0] != '\0')
			break;
		free(err);
		err = NULL;
		usleep(10000);
	}
	assert_non_null(err);
	if (strstr(err, "udpecho-server: --rcvbuf 1073741823: the kernel granted ") == NULL)
		fail_msg("stderr: %s", err);
	free(err);
	assert_int_equal(server_stop(&s, SIGTERM), 0);
	proc_cleanup(&s.proc);
}

static void expect_usage_error(const char *flag, const char *value, const char *want)
{
	const char *argv[] = {harness_server_bin, flag, value, NULL};
	struct proc p;
	char *err;

	assert_int_equal(proc_run(&p, argv, HARNESS_WAIT_MS), 2);
	err = proc_stderr(&p);
	assert_non_null(err);
	if (strstr(err, want) == NULL || count_lines(err) != 1)
		fail_msg("stderr was '%s', wanted one line with '%s'", err, want);
	free(err);
	proc_cleanup(&p);
}

static void test_bad_threads_and_rcvbuf_exit_2(void **state)
{
	(void)state;
	expect_usage_error("--threads", "0", "--threads: '0' is out of range (1-64)");
	expect_usage_error("--threads", "65", "--threads: '65' is out of range (1-64)");
	expect_usage_error("--threads", "two", "--threads: 'two' is not a number of threads");
	expect_usage_error("--rcvbuf", "4096",
			   "--rcvbuf: '4096' is out of range (65536-1073741823)");
	expect_usage_error("--rcvbuf", "8M", "--rcvbuf: '8M' is not a size in bytes");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gso_burst_is_echoed_datagram_by_datagram),
		cmocka_unit_test(test_gso_burst_on_wildcard_replies_from_request_address),
		cmocka_unit_test(test_run_split_where_size_verdicts_differ),
		cmocka_unit_test(test_run_split_by_rate_limit),
		cmocka_unit_test(test_plain_datagrams_of_one_peer_go_back_as_one_run),
		cmocka_unit_test(test_burst_after_one_at_a_time_is_batched_again),
		cmocka_unit_test(test_threads_serve_every_client_and_sum_counters),
		cmocka_unit_test(test_threads_stop_when_idle),
		cmocka_unit_test(test_stops_under_a_flood),
		cmocka_unit_test(test_stops_while_a_client_pings),
		cmocka_unit_test(test_kernel_drops_are_reported),
		cmocka_unit_test(test_kernel_drops_after_the_last_datagram_are_reported),
		cmocka_unit_test(test_rcvbuf_as_root_is_granted),
		cmocka_unit_test(test_rcvbuf_unprivileged_says_what_was_granted),
		cmocka_unit_test(test_bad_threads_and_rcvbuf_exit_2),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
