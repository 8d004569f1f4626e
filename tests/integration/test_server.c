/*
 * test_server.c: udpecho-server over real loopback sockets, IPv4 and IPv6.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
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

#define MAX_V4 65507
#define MAX_V6 65527
#define REPLY_WAIT_MS 2000
#define SILENCE_MS 300 /* how long "no reply" is awaited for a dropped datagram */

static uint8_t request[MAX_V6 + 1];
static uint8_t reply[MAX_V6 + 2];

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 131 + (size_t)seed * 17 + (i >> 8)) & 0xff);
}

/* Sends len patterned bytes to host:port and asserts an exact echo from host:port. */
static void expect_exact_echo(int fd, const char *host, uint16_t port, size_t len)
{
	struct sockaddr_storage to, from;
	socklen_t tolen = udp_addr(host, port, &to);
	char want[64], got[64];
	ssize_t n;

	fill(request, len, (unsigned)len);
	assert_int_equal(sendto(fd, request, len, 0, (struct sockaddr *)&to, tolen), (ssize_t)len);
	n = udp_recv(fd, reply, sizeof(reply), &from, REPLY_WAIT_MS);
	if (n < 0)
		fail_msg("no echo of %zu bytes from %s port %u", len, host, port);
	if ((size_t)n != len)
		fail_msg("echo of %zu bytes came back as %zd bytes", len, n);
	assert_memory_equal(reply, request, len);
	udp_format(&to, want, sizeof(want));
	udp_format(&from, got, sizeof(got));
	assert_string_equal(got, want);
}

static void expect_silence(int fd, const char *host, uint16_t port, size_t len)
{
	struct sockaddr_storage to, from;
	socklen_t tolen = udp_addr(host, port, &to);

	fill(request, len, 1);
	assert_int_equal(sendto(fd, request, len, 0, (struct sockaddr *)&to, tolen), (ssize_t)len);
	assert_true(udp_recv(fd, reply, sizeof(reply), &from, SILENCE_MS) < 0);
}

static const size_t ladder[] = {0, 1, 4096, 4097, 8192, 8193};

static void exact_sizes(const char *bind, const char *client, size_t family_max)
{
	const char *args[] = {"--bind", bind, "--port", "0", NULL};
	struct server s;
	int fd;

	assert_int_equal(server_start(&s, args), 0);
	fd = udp_bound(client, 0);
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		expect_exact_echo(fd, client, s.port, ladder[i]);
	expect_exact_echo(fd, client, s.port, family_max);
	close(fd);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
}

static void test_exact_echo_every_size_ipv4(void **state)
{
	(void)state;
	exact_sizes("127.0.0.1", "127.0.0.1", MAX_V4);
}

static void test_exact_echo_every_size_ipv6(void **state)
{
	(void)state;
	exact_sizes("::1", "::1", MAX_V6);
}

static void test_exact_echo_every_size_dual_stack(void **state)
{
	(void)state;
	exact_sizes("::", "127.0.0.1", MAX_V4);
	exact_sizes("::", "::1", MAX_V6);
}

/* A server bound to a wildcard must answer from the address the request went to. */
static void reply_source(const char *bind, const char *const *targets, size_t n)
{
	const char *args[] = {"--bind", bind, "--port", "0", NULL};
	struct server s;

	assert_int_equal(server_start(&s, args), 0);
	for (size_t i = 0; i < n; i++) {
		int fd = udp_bound(strchr(targets[i], ':') ? "::1" : "127.0.0.1", 0);

		assert_true(fd >= 0);
		expect_exact_echo(fd, targets[i], s.port, 42);
		expect_exact_echo(fd, targets[i], s.port, 0);
		close(fd);
	}
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
}

static void test_wildcard_reply_comes_from_request_address_ipv4(void **state)
{
	static const char *const targets[] = {"127.0.0.2", "127.0.0.1", "127.1.2.3"};

	(void)state;
	reply_source("0.0.0.0", targets, 3);
}

static void test_wildcard_reply_comes_from_request_address_dual_stack(void **state)
{
	static const char *const targets[] = {"127.0.0.2", "::1", "127.0.0.1", "127.9.9.9"};

	(void)state;
	reply_source("::", targets, 4);
}

/* Stops s with sig and asserts that its output holds want and also (unless NULL). */
static void stop_expecting(struct server *s, int sig, const char *want, const char *also)
{
	char *out;

	assert_int_equal(server_stop(s, sig), 0);
	out = proc_stdout(&s->proc);
	if (strstr(out, want) == NULL || (also != NULL && strstr(out, also) == NULL))
		fail_msg("server output '%s' lacks '%s' or '%s'", out, want, also ? also : "");
	free(out);
	proc_cleanup(&s->proc);
}

static void test_max_size_drops_and_counts(void **state)
{
	const char *args[] = {"--bind", "127.0.0.1",  "--port", "0",
			      "-v",     "--max-size", "100",    NULL};
	struct server s;
	char *out;
	int fd;

	(void)state;
	assert_int_equal(server_start(&s, args), 0);
	fd = udp_bound("127.0.0.1", 0);
	expect_silence(fd, "127.0.0.1", s.port, 101);
	expect_exact_echo(fd, "127.0.0.1", s.port, 100);
	expect_silence(fd, "127.0.0.1", s.port, MAX_V4);
	close(fd);
	assert_int_equal(server_stop(&s, SIGTERM), 0);
	out = proc_stdout(&s.proc);
	assert_non_null(strstr(out, "received 101 bytes from ('127.0.0.1', "));
	assert_non_null(strstr(out, "dropped: too_big\n"));
	assert_non_null(strstr(out, "sent 100 bytes back to ('127.0.0.1', "));
	assert_non_null(strstr(out, "summary: received=3 bytes_in=65708 echoed=1 bytes_out=100 "
				    "dropped=2 bad_peer=0 bad_source=0 spoofed=0 not_unicast=0 "
				    "not_allowed=0 "
				    "denied_port=0 too_big=2 rate_limited=0"));
	free(out);
	proc_cleanup(&s.proc);
}

static void test_summary_counts_on_sigterm(void **state)
{
	const char *args[] = {"--port", "0", NULL};
	struct server s;
	char *out;
	int fd;

	(void)state;
	assert_int_equal(server_start(&s, args), 0);
	fd = udp_bound("127.0.0.1", 0);
	for (int i = 0; i < 10; i++)
		expect_exact_echo(fd, "127.0.0.1", s.port, (size_t)i * 10);
	close(fd);
	assert_int_equal(server_stop(&s, SIGTERM), 0);
	out = proc_stdout(&s.proc);
	/* Without -v: the startup line, then the summary, nothing else. */
	assert_int_equal(count_lines(out), 2);
	assert_non_null(strstr(out, "starting up on localhost port "));
	assert_non_null(strstr(out,
			       "\nsummary: received=10 bytes_in=450 echoed=10 bytes_out=450 "
			       "dropped=0 bad_peer=0 bad_source=0 spoofed=0 not_unicast=0 "
			       "not_allowed=0 "
			       "denied_port=0 too_big=0 rate_limited=0 truncated=0 send_errors=0 "
			       "recv_errors=0 kernel_drops=0\n"));
	free(out);
	proc_cleanup(&s.proc);
}

/* Waits (bounded) until s has printed want on stdout; returns all it printed (caller frees). */
static char *wait_for_output(const struct server *s, const char *want)
{
	for (int waited = 0; waited < HARNESS_WAIT_MS; waited += 10) {
		char *out = proc_stdout(&s->proc);

		if (strstr(out, want) != NULL)
			return out;
		free(out);
		usleep(10000);
	}
	fail_msg("the server did not print '%s'", want);
	return NULL;
}

/*
 * SIGHUP prints the summary line of the counters so far, as a stop does,
 * and the server goes on serving (it used to die of it, without a word).
 * With --threads the workers' counters are summed, as at the end.
 */
static void test_sighup_prints_the_summary_and_serves_on(void **state)
{
	(void)state;
	for (int threads = 1; threads <= 2; threads++) {
		const char *args[] = {"--bind", "127.0.0.1", "--port",
				      "0",      "--threads", threads == 1 ? "1" : "2",
				      NULL};
		struct server s;
		char *out;
		int fd;

		assert_int_equal(server_start(&s, args), 0);
		fd = udp_bound("127.0.0.1", 0);
		for (int i = 0; i < 3; i++)
			expect_exact_echo(fd, "127.0.0.1", s.port, 10);
		assert_int_equal(kill(s.proc.pid, SIGHUP), 0);
		out = wait_for_output(&s, "\nsummary: received=3 bytes_in=30 echoed=3 bytes_out=30 "
					  "dropped=0 ");
		free(out);
		expect_exact_echo(fd, "127.0.0.1", s.port, 20);
		assert_int_equal(kill(s.proc.pid, SIGHUP), 0);
		out = wait_for_output(&s, "\nsummary: received=4 bytes_in=50 ");
		free(out);
		close(fd);
		assert_int_equal(server_stop(&s, SIGTERM), 0);
		out = proc_stdout(&s.proc);
		/* The startup line, two summaries on SIGHUP, the last one at the stop. */
		assert_int_equal(count_lines(out), 4);
		assert_non_null(strstr(out, "\nsummary: received=4 bytes_in=50 echoed=4 "
					    "bytes_out=50 dropped=0 "));
		free(out);
		proc_cleanup(&s.proc);
	}
}

/*
 * The main thread sleeps in ppoll with the signals unblocked and interrupts
 * the worker's receive at once: a stop is immediate, even when idle.
 */
static void test_idle_server_stops_on_sigint(void **state)
{
	const char *args[] = {"--port", "0", NULL};
	struct timespec t0, t1;
	struct server s;

	(void)state;
	for (int sig = SIGINT; sig != 0; sig = sig == SIGINT ? SIGTERM : 0) {
		assert_int_equal(server_start(&s, args), 0);
		usleep(200000); /* well asleep */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(server_stop(&s, sig), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;

		print_message("idle server stopped %ld ms after signal %d\n", ms, sig);
		/*
		 * A bound, not a benchmark: the design target is 100 ms; what it
		 * rules out is a stop that waits for a datagram or a timeout.
		 * Well above what a loaded host takes to schedule the server.
		 */
		assert_true(ms < 1500);
		proc_cleanup(&s.proc);
	}
}

/*
 * The server stops its workers with SIGRTMIN.  The same signal from
 * outside (its default action is to terminate) must neither kill the
 * server nor lose or double a datagram: the receive it interrupts is
 * simply made again.
 */
static void test_foreign_wake_signal_is_harmless(void **state)
{
	(void)state;
	for (int threads = 1; threads <= 2; threads++) {
		const char *args[] = {"--bind", "127.0.0.1", "--port",
				      "0",      "--threads", threads == 1 ? "1" : "2",
				      NULL};
		struct server s;
		char *out;
		int fd;

		assert_int_equal(server_start(&s, args), 0);
		fd = udp_bound("127.0.0.1", 0);
		for (int i = 0; i < 20; i++) {
			assert_int_equal(kill(s.proc.pid, SIGRTMIN), 0);
			expect_exact_echo(fd, "127.0.0.1", s.port, (size_t)i * 100);
			usleep(2000); /* asleep in its receive again */
		}
		close(fd);
		assert_int_equal(server_stop(&s, SIGTERM), 0);
		out = proc_stdout(&s.proc);
		assert_non_null(out);
		assert_non_null(strstr(out, "\nsummary: received=20 bytes_in=19000 echoed=20 "
					    "bytes_out=19000 dropped=0 "));
		free(out);
		proc_cleanup(&s.proc);
	}
}

/* Fills the pipe that wr writes to: a blocking write to it then waits for a reader. */
static void fill_pipe(int wr)
{
	static const char filler[4096];

	assert_int_equal(fcntl(wr, F_SETFL, O_NONBLOCK), 0);
	while (write(wr, filler, sizeof(filler)) > 0) {
	}
	assert_int_equal(fcntl(wr, F_SETFL, 0), 0);
}

static void stdout_to(void *ctx)
{
	dup2(*(const int *)ctx, 1);
}

/* Waits until pid's main thread sleeps in write(2): /proc/PID/syscall starts with "1 ". */
static void wait_in_write(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (int waited = 0; waited < HARNESS_WAIT_MS; waited++) {
		char *text = read_file(path, NULL);
		int in_write = text != NULL && strncmp(text, "1 ", 2) == 0;

		free(text);
		if (in_write)
			return;
		usleep(1000);
	}
	fail_msg("pid %d never blocked in write(2)", (int)pid);
}

/* Waits until one of pid's threads (a worker) sleeps in write(2). */
static void wait_thread_in_write(pid_t pid)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	for (int waited = 0; waited < HARNESS_WAIT_MS; waited++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		int in_write = 0;

		while (d != NULL && !in_write && (e = readdir(d)) != NULL) {
			char path[384];
			char *text;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/syscall", dir, e->d_name);
			text = read_file(path, NULL);
			in_write = text != NULL && strncmp(text, "1 ", 2) == 0;
			free(text);
		}
		if (d != NULL)
			closedir(d);
		if (in_write)
			return;
		usleep(1000);
	}
	fail_msg("no thread of pid %d blocked in write(2)", (int)pid);
}

/* Reads rd until want has been seen; returns what it read, the filler's NULs left out. */
static char *read_until(int rd, const char *want)
{
	static char text[8192];
	size_t n = 0;
	char chunk[4096];

	for (;;) {
		ssize_t got = read(rd, chunk, sizeof(chunk));

		assert_true(got > 0);
		for (ssize_t i = 0; i < got; i++) {
			if (chunk[i] != '\0' && n + 1 < sizeof(text))
				text[n++] = chunk[i];
		}
		text[n] = '\0';
		if (strstr(text, want) != NULL)
			return text;
	}
}

/*
 * The wake signal (SIGRTMIN, whose default action is to end the process)
 * at the two moments it is no worker's: after the startup line but before
 * the workers start, and after they end but before the exit summary.  The
 * server's stdout is a full pipe, so it sits in write(2) at each of those
 * moments while the signal arrives.
 */
static void test_wake_signal_outside_the_workers_is_harmless(void **state)
{
	const char *argv[] = {harness_server_bin, "--bind", "127.0.0.1", "--port", "0", NULL};
	struct proc p;
	int out[2], status, fd;
	uint16_t port;

	(void)state;
	assert_int_equal(pipe(out), 0);
	fill_pipe(out[1]);
	assert_int_equal(proc_spawn_with(&p, argv, stdout_to, &out[1]), 0);
	wait_in_write(p.pid); /* the startup line */
	assert_int_equal(kill(p.pid, SIGRTMIN), 0);
	usleep(100000);
	assert_int_equal(waitpid(p.pid, &status, WNOHANG), 0);
	assert_int_equal(harness_startup_port(read_until(out[0], "\n"), &port), 0);
	fd = udp_bound("127.0.0.1", 0);
	expect_exact_echo(fd, "127.0.0.1", port, 100);
	close(fd);

	fill_pipe(out[1]); /* the summary's write blocks after the workers end */
	assert_int_equal(kill(p.pid, SIGTERM), 0);
	wait_in_write(p.pid);
	assert_int_equal(kill(p.pid, SIGRTMIN), 0);
	usleep(100000);
	assert_int_equal(waitpid(p.pid, &status, WNOHANG), 0);
	assert_non_null(strstr(read_until(out[0], "kernel_drops="),
			       "summary: received=1 bytes_in=100 echoed=1 "));
	close(out[0]);
	close(out[1]);
	assert_int_equal(proc_wait(&p, HARNESS_WAIT_MS), 0);
	proc_cleanup(&p);
}

/*
 * A -v server whose transcript reader stopped reading (a paused pager) sits
 * in write(2) with a datagram's lines.  A stop must still end it: after a
 * grace of 2 s it exits 1, saying the summary is lost, instead of waiting
 * for a reader that may never come back.
 */
static void test_stop_with_a_stalled_transcript_reader(void **state)
{
	const char *argv[] = {harness_server_bin, "--bind", "127.0.0.1", "--port", "0", "-v", NULL};
	struct sockaddr_storage to;
	socklen_t tolen;
	struct proc p;
	int out[2], fd;
	uint16_t port;
	char *err;

	(void)state;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(proc_spawn_with(&p, argv, stdout_to, &out[1]), 0);
	assert_int_equal(harness_startup_port(read_until(out[0], "\n"), &port), 0);
	fd = udp_bound("127.0.0.1", 0);
	tolen = udp_addr("127.0.0.1", port, &to);
	/* Its repr, \xff for each byte, is 240 KB: far more than a pipe holds. */
	memset(request, 0xff, 60000);
	assert_int_equal(sendto(fd, request, 60000, 0, (struct sockaddr *)&to, tolen), 60000);
	wait_thread_in_write(p.pid); /* the worker, the pipe being full */
	assert_int_equal(kill(p.pid, SIGTERM), 0);
	assert_int_equal(proc_wait(&p, HARNESS_WAIT_MS), 1);
	err = proc_stderr(&p);
	if (strcmp(err, "udpecho-server: stopped, but the transcript's reader stopped reading: "
			"exiting without the summary\n") != 0)
		fail_msg("stderr '%s'", err);
	free(err);
	close(fd);
	close(out[0]);
	close(out[1]);
	proc_cleanup(&p);
}

/*
 * SIGHUP while the worker sits in write(2) with its transcript: the summary
 * would wait for that reader too (stdout's lock), so after 2 s there is none,
 * a line on stderr says why, and the server goes on.
 */
static void test_sighup_with_a_stalled_transcript_reader(void **state)
{
	const char *argv[] = {harness_server_bin, "--bind", "127.0.0.1", "--port", "0", "-v", NULL};
	const char *want = "udpecho-server: SIGHUP: no summary: a worker is stuck writing its "
			   "transcript (its reader stopped reading)\n";
	struct sockaddr_storage to;
	socklen_t tolen;
	struct proc p;
	int out[2], fd, status;
	uint16_t port;
	char *err = NULL;

	(void)state;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(proc_spawn_with(&p, argv, stdout_to, &out[1]), 0);
	assert_int_equal(harness_startup_port(read_until(out[0], "\n"), &port), 0);
	fd = udp_bound("127.0.0.1", 0);
	tolen = udp_addr("127.0.0.1", port, &to);
	memset(request, 0xff, 60000); /* a 240 KB repr: more than the pipe holds */
	assert_int_equal(sendto(fd, request, 60000, 0, (struct sockaddr *)&to, tolen), 60000);
	wait_thread_in_write(p.pid);
	assert_int_equal(kill(p.pid, SIGHUP), 0);
	for (int waited = 0; waited < HARNESS_WAIT_MS; waited += 10) {
		free(err);
		err = proc_stderr(&p);
		if (strstr(err, want) != NULL)
			break;
		usleep(10000);
	}
	assert_string_equal(err, want);
	free(err);
	assert_int_equal(waitpid(p.pid, &status, WNOHANG), 0); /* still serving */
	assert_int_equal(kill(p.pid, SIGTERM), 0);
	assert_int_equal(proc_wait(&p, HARNESS_WAIT_MS), 1); /* as a stop with that reader */
	close(fd);
	close(out[0]);
	close(out[1]);
	proc_cleanup(&p);
}

/* Replies to a client that has gone (ICMP port unreachable) must not hurt the server. */
static void test_vanished_clients_do_not_stop_the_server(void **state)
{
	const char *args[] = {"--port", "0", NULL};
	struct sockaddr_storage to;
	socklen_t tolen;
	struct server s;
	int fd;

	(void)state;
	assert_int_equal(server_start(&s, args), 0);
	tolen = udp_addr("127.0.0.1", s.port, &to);
	for (int i = 0; i < 50; i++) {
		fd = udp_bound("127.0.0.1", 0);
		fill(request, 64, (unsigned)i);
		assert_int_equal(sendto(fd, request, 64, 0, (struct sockaddr *)&to, tolen), 64);
		close(fd);
	}
	fd = udp_bound("127.0.0.1", 0);
	expect_exact_echo(fd, "127.0.0.1", s.port, 1000);
	close(fd);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
}

static void test_loop_source_ports_are_dropped(void **state)
{
	const char *deny[] = {"--bind", "127.0.0.1", "--port", "0", NULL};
	const char *allow[] = {"--bind", "127.0.0.1", "--port", "0", "--deny-ports", "none", NULL};
	struct server s;
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: binding source port 7 needs root (CI runs as root)\n");
		skip();
	}
	assert_int_equal(server_start(&s, deny), 0);
	fd = udp_bound("127.0.0.1", 7);
	assert_true(fd >= 0);
	expect_silence(fd, "127.0.0.1", s.port, 42);
	stop_expecting(&s, SIGINT, " denied_port=1 ", NULL);
	assert_int_equal(server_start(&s, allow), 0);
	expect_exact_echo(fd, "127.0.0.1", s.port, 42);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
	close(fd);
}

/*
 * A request from the server's own port is another echo server on that port
 * (127.0.0.2 here), or forged to look so: answering starts an echo between
 * the two that never ends.  Denied even with --deny-ports none.
 */
static void test_own_port_is_denied_as_a_source(void **state)
{
	const char *args[] = {"--bind", "127.0.0.1", "--port", "0", "--deny-ports",
			      "none",   "--threads", "2",      NULL};
	struct server s;
	int twin, other;

	(void)state;
	assert_int_equal(server_start(&s, args), 0);
	twin = udp_bound("127.0.0.2", s.port);
	assert_true(twin >= 0);
	other = udp_bound("127.0.0.2", 0);
	expect_silence(twin, "127.0.0.1", s.port, 42);
	expect_exact_echo(other, "127.0.0.1", s.port, 42);
	close(twin);
	close(other);
	stop_expecting(&s, SIGINT, " echoed=1 ", " denied_port=1 ");
}

/* Sends 42 bytes to a broadcast address with SO_BROADCAST; nothing may answer. */
static void expect_broadcast_unanswered(uint16_t port)
{
	int fd = udp_bound("127.0.0.1", 0), on = 1;

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)), 0);
	expect_silence(fd, "127.255.255.255", port, 42);
	/* The server is alive and answers the same client by unicast. */
	expect_exact_echo(fd, "127.0.0.1", port, 42);
	close(fd);
}

/*
 * One request to a broadcast address draws a reply from every echo server
 * that hears it (the Fraggle attack): dropped as not_unicast, IPv4 and
 * dual-stack sockets alike.
 */
static void test_broadcast_requests_are_dropped(void **state)
{
	static const char *const binds[] = {"0.0.0.0", "::"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const char *args[] = {"--bind", binds[i], "--port", "0", "-v", NULL};
		struct server s;
		char *out;

		assert_int_equal(server_start(&s, args), 0);
		expect_broadcast_unanswered(s.port);
		assert_int_equal(server_stop(&s, SIGINT), 0);
		out = proc_stdout(&s.proc);
		if (strstr(out, "dropped: not_unicast\n") == NULL ||
		    strstr(out, " echoed=1 ") == NULL || strstr(out, " not_unicast=1 ") == NULL)
			fail_msg("--bind %s: transcript '%s'", binds[i], out);
		free(out);
		proc_cleanup(&s.proc);
	}
}

static void test_allow_list_answers_only_its_prefixes(void **state)
{
	const char *args[] = {
		"--bind", "0.0.0.0", "--port", "0", "--allow", "127.0.0.2/32,fd00::/8", NULL};
	struct server s;
	int in, outside;

	(void)state;
	assert_int_equal(server_start(&s, args), 0);
	in = udp_bound("127.0.0.2", 0);
	outside = udp_bound("127.0.0.3", 0);
	expect_exact_echo(in, "127.0.0.1", s.port, 42);
	expect_silence(outside, "127.0.0.1", s.port, 42);
	close(in);
	close(outside);
	stop_expecting(&s, SIGTERM, " echoed=1 ", " not_allowed=1 ");
}

/*
 * 30 datagrams at once against 1 a second with bursts of 5: 5 pass, the rest
 * are counted.  (At 10 a second a loaded host that took 200 ms over the 30
 * refilled two tokens.)
 */
static void test_rate_limit_per_source(void **state)
{
	const char *args[] = {"--bind", "127.0.0.1", "--port", "0", "--rate-limit", "1,5", NULL};
	struct sockaddr_storage to, from;
	socklen_t tolen;
	struct server s;
	int a, b, answered = 0;
	char *out;

	(void)state;
	assert_int_equal(server_start(&s, args), 0);
	tolen = udp_addr("127.0.0.1", s.port, &to);
	a = udp_bound("127.0.0.1", 0);
	b = udp_bound("127.0.0.2", 0);
	fill(request, 64, 9);
	for (int i = 0; i < 30; i++)
		assert_int_equal(sendto(a, request, 64, 0, (struct sockaddr *)&to, tolen), 64);
	while (udp_recv(a, reply, sizeof(reply), &from, SILENCE_MS) == 64)
		answered++;
	/* A burst of 5, and one more token if a second passed while the 30 went out. */
	assert_true(answered >= 5 && answered <= 6);
	/* Another source has its own bucket. */
	expect_exact_echo(b, "127.0.0.1", s.port, 64);
	close(a);
	close(b);
	assert_int_equal(server_stop(&s, SIGTERM), 0);
	out = proc_stdout(&s.proc);
	assert_non_null(strstr(out, " rate_limited="));
	assert_true(strstr(out, " rate_limited=24 ") != NULL || strstr(out, " rate_limited=25 "));
	free(out);
	proc_cleanup(&s.proc);
}

/* The Uid: line of /proc/PID/status: real, effective, saved, filesystem. */
static void read_ids(pid_t pid, const char *field, char *out, size_t cap)
{
	char path[64], *status, *line;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	status = read_file(path, NULL);
	assert_non_null(status);
	line = strstr(status, field);
	assert_non_null(line);
	snprintf(out, cap, "%.*s", (int)strcspn(line, "\n"), line);
	free(status);
}

static void test_user_drops_root_after_binding(void **state)
{
	const char *args[] = {"--bind", "127.0.0.1", "--port", "0", "--user", "nobody", NULL};
	char uid[64], gid[64], groups[64];
	struct server s;
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: dropping privileges needs root (CI runs as root)\n");
		skip();
		return;
	}
	assert_int_equal(server_start(&s, args), 0);
	read_ids(s.proc.pid, "Uid:", uid, sizeof(uid));
	read_ids(s.proc.pid, "Gid:", gid, sizeof(gid));
	read_ids(s.proc.pid, "Groups:", groups, sizeof(groups));
	assert_string_equal(uid, "Uid:\t65534\t65534\t65534\t65534");
	assert_string_equal(gid, "Gid:\t65534\t65534\t65534\t65534");
	assert_string_equal(groups, "Groups:\t65534 ");
	fd = udp_bound("127.0.0.1", 0);
	expect_exact_echo(fd, "127.0.0.1", s.port, MAX_V4);
	close(fd);
	assert_int_equal(server_stop(&s, SIGTERM), 0);
	proc_cleanup(&s.proc);
}

/* Runs the server with bad arguments: exit 2, exactly one line on stderr holding want. */
static void expect_usage_error(const char *const *args, const char *want)
{
	const char *argv[HARNESS_MAX_ARGS];
	struct proc p;
	char *err, *out;
	int n = 0;

	argv[n++] = harness_server_bin;
	while (*args != NULL)
		argv[n++] = *args++;
	argv[n] = NULL;
	assert_int_equal(proc_run(&p, argv, HARNESS_WAIT_MS), 2);
	err = proc_stderr(&p);
	out = proc_stdout(&p);
	if (strstr(err, want) == NULL || count_lines(err) != 1)
		fail_msg("stderr was '%s', wanted one line with '%s'", err, want);
	assert_string_equal(out, "");
	free(err);
	free(out);
	proc_cleanup(&p);
}

static void test_bad_arguments_exit_2_with_one_line(void **state)
{
	const char *port_range[] = {"--port", "70000", NULL};
	const char *port_text[] = {"--port", "x", NULL};
	const char *bad_v4[] = {"--bind", "300.1.2.3", NULL};
	const char *bad_v6[] = {"--bind", "::zz", NULL};
	const char *too_big_v4[] = {"--bind", "127.0.0.1", "--max-size", "65508", NULL};
	const char *too_big[] = {"--max-size", "65528", NULL};
	const char *unknown[] = {"--frobnicate", NULL};
	const char *stray[] = {"extra", NULL};
	const char *missing[] = {"--port", NULL};
	const char *user[] = {"--port", "0", "--user", "no-such-user-here", NULL};
	const char *rate[] = {"--rate-limit", "0", NULL};
	const char *rate_text[] = {"--rate-limit", "fast", NULL};
	const char *allow[] = {"--allow", "198.18.0.1/15", NULL};
	const char *allow_second[] = {"--allow", "fd00::/8,10.0.0.1/8", NULL};
	const char *allow_v6[] = {"--allow", "fd00::1/8", NULL};
	const char *allow_text[] = {"--allow", "x,10.0.0.1/8", NULL};
	const char *with_port[] = {"--bind", "127.0.0.1:7", NULL};
	const char *bracketed[] = {"--bind", "[::1]", NULL};
	const char *group_v4[] = {"--bind", "224.0.0.1", "--port", "0", NULL};
	const char *group_v6[] = {"--bind", "ff02::1", "--port", "0", NULL};

	(void)state;
	expect_usage_error(port_range, "udpecho-server: --port: '70000' is out of range (0-65535)");
	expect_usage_error(port_text, "udpecho-server: --port: 'x' is not a port number");
	expect_usage_error(bad_v4, "udpecho-server: --bind '300.1.2.3': not a valid IPv4 address");
	expect_usage_error(bad_v6, "udpecho-server: --bind '::zz': not a valid IPv6 address");
	expect_usage_error(with_port, "udpecho-server: --bind '127.0.0.1:7': not an address (the "
				      "port goes in its own argument)");
	expect_usage_error(group_v4, "udpecho-server: --bind '224.0.0.1': a multicast or broadcast "
				     "address; an echo server answers unicast requests only");
	expect_usage_error(group_v6, "udpecho-server: --bind 'ff02::1': a multicast or broadcast "
				     "address; an echo server answers unicast requests only");
	expect_usage_error(bracketed, "udpecho-server: --bind '[::1]': not an address (write IPv6 "
				      "addresses without brackets)");
	expect_usage_error(too_big_v4, "--max-size 65508 is larger than the IPv4 maximum of 65507");
	expect_usage_error(too_big, "--max-size: '65528' is out of range (0-65527)");
	expect_usage_error(unknown, "udpecho-server: unknown option '--frobnicate'");
	expect_usage_error(stray, "udpecho-server: unexpected argument 'extra'");
	expect_usage_error(missing, "udpecho-server: option '--port' needs a value");
	expect_usage_error(user, "udpecho-server: --user no-such-user-here: no such user");
	expect_usage_error(rate, "udpecho-server: --rate-limit: '0' is out of range (1-10000000)");
	expect_usage_error(rate_text,
			   "udpecho-server: --rate-limit: 'fast' is not PPS or PPS,BURST");
	expect_usage_error(allow, "udpecho-server: --allow: host bits set in '198.18.0.1/15' "
				  "(198.18.0.0/15?) (try --help)");
	expect_usage_error(allow_second, "udpecho-server: --allow: host bits set in '10.0.0.1/8' "
					 "(10.0.0.0/8?) (try --help)");
	expect_usage_error(allow_v6, "udpecho-server: --allow: host bits set in 'fd00::1/8' "
				     "(fd00::/8?) (try --help)");
	expect_usage_error(allow_text, "udpecho-server: --allow: 'x,10.0.0.1/8' is not a list of "
				       "prefixes like 198.18.0.0/15,fd00::/8");
}

/* A value too long to quote whole is cut, so that the reason still shows. */
static void test_long_value_is_cut_and_the_reason_kept(void **state)
{
	char list[65 * 16] = "", want[160];
	const char *allow[] = {"--allow", list, NULL};

	(void)state;
	for (int i = 0; i < 65; i++) /* one more prefix than the table holds */
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s198.18.%d.0/24",
			 i ? "," : "", i);
	snprintf(want, sizeof(want),
		 "udpecho-server: --allow: '%.64s...' is out of range (at most "
		 "64 prefixes) (try --help)",
		 list);
	expect_usage_error(allow, want);
}

/*
 * A second server on a port the first holds is refused, however many threads
 * either runs: SO_REUSEPORT lets sockets of one user share a port, so a
 * --threads server that bound every socket with it would let a second one
 * in, and the two would split the clients between them without a word.
 */
static void expect_in_use(const char *first_threads, const char *second_threads)
{
	const char *args[] = {"--bind",    "127.0.0.1",   "--port", "0",
			      "--threads", first_threads, NULL};
	struct server s;
	char port[16], want[96];

	assert_int_equal(server_start(&s, args), 0);
	snprintf(port, sizeof(port), "%u", s.port);
	snprintf(want, sizeof(want), "udpecho-server: bind 127.0.0.1:%u: Address already in use",
		 s.port);
	const char *again[] = {"--bind",    "127.0.0.1",    "--port", port,
			       "--threads", second_threads, NULL};

	expect_usage_error(again, want);
	/* The first still answers on every worker: clients from many ports. */
	for (int i = 0; i < 8; i++) {
		int fd = udp_bound("127.0.0.1", 0);

		expect_exact_echo(fd, "127.0.0.1", s.port, 42);
		close(fd);
	}
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
}

static void test_address_in_use_exits_2(void **state)
{
	(void)state;
	expect_in_use("1", "1");
	expect_in_use("1", "2");
	expect_in_use("2", "1");
	expect_in_use("2", "2");
}

static void test_help_and_version(void **state)
{
	const char *help[] = {harness_server_bin, "--help", NULL};
	const char *version[] = {harness_server_bin, "--version", NULL};
	struct proc p;
	char *out;

	(void)state;
	assert_int_equal(proc_run(&p, help, HARNESS_WAIT_MS), 0);
	out = proc_stdout(&p);
	assert_non_null(strstr(out, "usage: udpecho-server"));
	assert_non_null(strstr(out, "--max-size"));
	free(out);
	proc_cleanup(&p);
	assert_int_equal(proc_run(&p, version, HARNESS_WAIT_MS), 0);
	out = proc_stdout(&p);
	assert_true(strncmp(out, "udpecho-server ", 15) == 0);
	free(out);
	proc_cleanup(&p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_echo_every_size_ipv4),
		cmocka_unit_test(test_exact_echo_every_size_ipv6),
		cmocka_unit_test(test_exact_echo_every_size_dual_stack),
		cmocka_unit_test(test_wildcard_reply_comes_from_request_address_ipv4),
		cmocka_unit_test(test_wildcard_reply_comes_from_request_address_dual_stack),
		cmocka_unit_test(test_max_size_drops_and_counts),
		cmocka_unit_test(test_summary_counts_on_sigterm),
		cmocka_unit_test(test_idle_server_stops_on_sigint),
		cmocka_unit_test(test_sighup_prints_the_summary_and_serves_on),
		cmocka_unit_test(test_foreign_wake_signal_is_harmless),
		cmocka_unit_test(test_wake_signal_outside_the_workers_is_harmless),
		cmocka_unit_test(test_vanished_clients_do_not_stop_the_server),
		cmocka_unit_test(test_loop_source_ports_are_dropped),
		cmocka_unit_test(test_user_drops_root_after_binding),
		cmocka_unit_test(test_stop_with_a_stalled_transcript_reader),
		cmocka_unit_test(test_sighup_with_a_stalled_transcript_reader),
		cmocka_unit_test(test_own_port_is_denied_as_a_source),
		cmocka_unit_test(test_broadcast_requests_are_dropped),
		cmocka_unit_test(test_allow_list_answers_only_its_prefixes),
		cmocka_unit_test(test_rate_limit_per_source),
		cmocka_unit_test(test_bad_arguments_exit_2_with_one_line),
		cmocka_unit_test(test_long_value_is_cut_and_the_reason_kept),
		cmocka_unit_test(test_address_in_use_exits_2),
		cmocka_unit_test(test_help_and_version),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
