/*
 * test_activation.c: udpecho-server started the way systemd socket
 * activation starts it: bound UDP sockets from fd 3 on, LISTEN_FDS=n and
 * LISTEN_PID set to the server's own pid (sd_listen_fds(3)).
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
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define MAX_V4 65507
#define MAX_V6 65527
#define REPLY_WAIT_MS 2000
#define LISTEN_FD 3

/* What LISTEN_PID says in the child: its own pid, or someone else's. */
enum listen_pid { PID_SELF, PID_OTHER };

static uint8_t request[MAX_V6 + 1];
static uint8_t reply[MAX_V6 + 2];

#define MAX_HANDED 2

struct handoff {
	int socks[MAX_HANDED]; /* handed over on fd 3 on; socks[0] -1: nothing there */
	int n;
	enum listen_pid who;
};

/* In the child, after stdio: socks on fd 3 on and the LISTEN_* variables, as systemd sets them. */
static void hand_over(void *ctx)
{
	const struct handoff *h = ctx;
	int moved[MAX_HANDED];
	char pid[32], count[16];

	/* Out of the way of fds 3.., then into place (dup2 leaves copies without FD_CLOEXEC). */
	for (int i = 0; i < h->n; i++)
		moved[i] = h->socks[i] >= 0 ? fcntl(h->socks[i], F_DUPFD, 100) : -1;
	for (int i = 0; i < h->n; i++) {
		if (moved[i] >= 0)
			dup2(moved[i], LISTEN_FD + i);
		else
			close(LISTEN_FD + i);
	}
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + (h->who == PID_SELF ? 0 : 1));
	snprintf(count, sizeof(count), "%d", h->n);
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", count, 1);
}

/* Like proc_spawn, with sock (or nothing, when -1) handed over on fd 3. */
static int spawn_activated(struct proc *p, int sock, enum listen_pid who, const char *const *argv)
{
	struct handoff h = {{sock, -1}, 1, who};

	return proc_spawn_with(p, argv, hand_over, &h);
}

/* Waits for the startup line; returns it (malloc'd, without newline) or NULL. */
static char *startup_line(struct proc *p)
{
	struct timespec tick = {0, 5000000L};

	for (int waited = 0; waited < HARNESS_WAIT_MS; waited += 5) {
		char *out = proc_stdout(p);
		char *nl = out != NULL ? strchr(out, '\n') : NULL;

		if (nl != NULL) {
			*nl = '\0';
			return out;
		}
		free(out);
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid)
			return NULL;
		nanosleep(&tick, NULL);
	}
	return NULL;
}

/* Starts udpecho-server with --bind/--port that activation must override. */
static void start_activated(struct server *s, int sock, const char *want_line)
{
	const char *argv[] = {harness_server_bin, "--bind", "127.0.0.1", "--port", "1", NULL};
	char *line;

	assert_int_equal(spawn_activated(&s->proc, sock, PID_SELF, argv), 0);
	line = startup_line(&s->proc);
	if (line == NULL) {
		char *err = proc_stderr(&s->proc);

		fail_msg("no startup line; stderr: %s", err != NULL ? err : "");
	}
	assert_string_equal(line, want_line);
	free(line);
	s->port = 0;
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 131 + (size_t)seed * 17 + (i >> 8)) & 0xff);
}

/* Sends len patterned bytes to host:port and asserts an exact echo from host:port. */
static void expect_exact_echo(const char *from_host, const char *host, uint16_t port, size_t len)
{
	struct sockaddr_storage to, from;
	socklen_t tolen = udp_addr(host, port, &to);
	char want[64], got[64];
	int fd = udp_bound(from_host, 0);
	ssize_t n;

	assert_true(fd >= 0);
	fill(request, len, (unsigned)len);
	assert_int_equal(sendto(fd, request, len, 0, (struct sockaddr *)&to, tolen), (ssize_t)len);
	n = udp_recv(fd, reply, sizeof(reply), &from, REPLY_WAIT_MS);
	close(fd);
	if (n < 0)
		fail_msg("no echo of %zu bytes from %s port %u", len, host, port);
	if ((size_t)n != len)
		fail_msg("echo of %zu bytes came back as %zd bytes", len, n);
	assert_memory_equal(reply, request, len);
	udp_format(&to, want, sizeof(want));
	udp_format(&from, got, sizeof(got));
	assert_string_equal(got, want);
}

/* An IPv6 wildcard socket as systemd's BindIPv6Only=both binds it. */
static int dual_stack_socket(void)
{
	struct sockaddr_in6 any;
	int off = 0;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)), 0);
	memset(&any, 0, sizeof(any));
	any.sin6_family = AF_INET6;
	any.sin6_addr = in6addr_any;
	assert_int_equal(bind(fd, (struct sockaddr *)&any, sizeof(any)), 0);
	return fd;
}

static void stop_cleanly(struct server *s)
{
	char *out;

	assert_int_equal(server_stop(s, SIGTERM), 0);
	out = proc_stdout(&s->proc);
	assert_non_null(out);
	assert_non_null(strstr(out, "\nsummary: received="));
	free(out);
	proc_cleanup(&s->proc);
}

static void test_serves_the_inherited_ipv4_socket(void **state)
{
	static const size_t sizes[] = {0, 1, 42, 4097, MAX_V4};
	int sock = udp_bound("127.0.0.1", 0);
	uint16_t port = udp_local_port(sock);
	char want[64];
	struct server s;

	(void)state;
	assert_true(sock >= 0 && port != 0);
	snprintf(want, sizeof(want), "starting up on 127.0.0.1 port %u", port);
	start_activated(&s, sock, want);
	close(sock); /* the server holds the only copy now */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		expect_exact_echo("127.0.0.1", "127.0.0.1", port, sizes[i]);
	stop_cleanly(&s);
}

/* PKTINFO must be on for inherited sockets too: replies leave from the address asked. */
static void test_inherited_dual_stack_wildcard_replies_from_request_address(void **state)
{
	int sock = dual_stack_socket();
	uint16_t port = udp_local_port(sock);
	char want[64];
	struct server s;

	(void)state;
	snprintf(want, sizeof(want), "starting up on :: port %u", port);
	start_activated(&s, sock, want);
	close(sock);
	expect_exact_echo("127.0.0.1", "127.0.0.2", port, 42);
	expect_exact_echo("127.0.0.1", "127.1.2.3", port, 0);
	expect_exact_echo("::1", "::1", port, 42);
	expect_exact_echo("::1", "::1", port, MAX_V6);
	expect_exact_echo("127.0.0.1", "127.0.0.1", port, MAX_V4);
	stop_cleanly(&s);
}

/* LISTEN_PID names another process: the variables are not ours, bind as told. */
static void test_listen_pid_of_another_process_is_ignored(void **state)
{
	const char *argv[] = {harness_server_bin, "--bind", "127.0.0.1", "--port", "0", NULL};
	int sock = udp_bound("127.0.0.1", 0);
	uint16_t inherited = udp_local_port(sock);
	const char *prefix = "starting up on 127.0.0.1 port ";
	struct server s;
	char *line;
	unsigned long port;

	(void)state;
	assert_int_equal(spawn_activated(&s.proc, sock, PID_OTHER, argv), 0);
	close(sock);
	line = startup_line(&s.proc);
	assert_non_null(line);
	assert_true(strncmp(line, prefix, strlen(prefix)) == 0);
	port = strtoul(line + strlen(prefix), NULL, 10);
	assert_true(port > 0 && port <= 65535);
	assert_int_not_equal(port, inherited);
	free(line);
	expect_exact_echo("127.0.0.1", "127.0.0.1", (uint16_t)port, 42);
	stop_cleanly(&s);
}

/* Two sockets, IPv4 and IPv6, as a unit with two ListenDatagram= lines passes them: both served. */
static void test_serves_every_inherited_socket(void **state)
{
	const char *argv[] = {harness_server_bin, "--bind", "127.0.0.1", "--port", "1", NULL};
	int v4 = udp_bound("127.0.0.1", 0);
	int v6 = udp_bound("::1", 0);
	uint16_t p4 = udp_local_port(v4), p6 = udp_local_port(v6);
	struct handoff h = {{v4, v6}, 2, PID_SELF};
	char want[128], *out;
	struct server s;

	(void)state;
	assert_true(v4 >= 0 && v6 >= 0);
	assert_int_equal(proc_spawn_with(&s.proc, argv, hand_over, &h), 0);
	free(startup_line(&s.proc));
	close(v4);
	close(v6);
	out = proc_stdout(&s.proc);
	snprintf(want, sizeof(want),
		 "starting up on 127.0.0.1 port %u\nstarting up on ::1 port %u\n", p4, p6);
	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("startup lines '%s', wanted '%s'", out, want);
	free(out);
	for (int round = 0; round < 2; round++) {
		expect_exact_echo("127.0.0.1", "127.0.0.1", p4, 42);
		expect_exact_echo("::1", "::1", p6, 42);
		expect_exact_echo("::1", "::1", p6, MAX_V6);
		expect_exact_echo("127.0.0.1", "127.0.0.1", p4, MAX_V4);
	}
	assert_int_equal(server_stop(&s, SIGTERM), 0);
	out = proc_stdout(&s.proc);
	assert_non_null(strstr(out, "\nsummary: received=8 bytes_in="));
	assert_non_null(strstr(out, " echoed=8 "));
	free(out);
	proc_cleanup(&s.proc);
}

/* A bad handoff is a setup error: exit 2 with one line naming it. */
static void expect_bad_handoff(int sock, const char *cause)
{
	const char *argv[] = {harness_server_bin, "--port", "0", NULL};
	struct proc p;
	char *err;

	assert_int_equal(spawn_activated(&p, sock, PID_SELF, argv), 0);
	assert_int_equal(proc_wait(&p, HARNESS_WAIT_MS), 2);
	err = proc_stderr(&p);
	assert_non_null(err);
	assert_int_equal(count_lines(err), 1);
	assert_non_null(strstr(err, "udpecho-server: socket activation: fd 3: "));
	if (strstr(err, cause) == NULL)
		fail_msg("stderr '%s' does not say '%s'", err, cause);
	free(err);
	proc_cleanup(&p);
}

/* CPU time of every thread of pid so far, in ns, from the scheduler's own clock. */
static unsigned long long cpu_ns(pid_t pid)
{
	char path[320]; /* room for a d_name of NAME_MAX */
	unsigned long long sum = 0;
	DIR *tasks;
	struct dirent *t;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	tasks = opendir(path);
	assert_non_null(tasks);
	while ((t = readdir(tasks)) != NULL) {
		char *stat;

		if (t->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/schedstat", (long)pid, t->d_name);
		stat = read_file(path, NULL);
		if (stat == NULL)
			continue; /* the thread has gone meanwhile */
		sum += strtoull(stat, NULL, 10);
		free(stat);
	}
	closedir(tasks);
	return sum;
}

/*
 * systemd hands a socket over as it was given, perhaps non-blocking or
 * with a receive timeout.  The workers sleep in their receive calls, so
 * the server must make it blocking; otherwise it would spin on EAGAIN.
 * The test shares the open file, so it sees the flag and the timeout go,
 * and the idle server's CPU time shows that nothing spins.
 */
static void test_inherited_nonblocking_socket_is_made_blocking(void **state)
{
	struct timeval tick = {0, 1000}, timeo = {1, 1};
	socklen_t len = sizeof(timeo);
	int sock = udp_bound("127.0.0.1", 0);
	uint16_t port = udp_local_port(sock);
	unsigned long long before, idle;
	char want[64];
	struct server s;

	(void)state;
	assert_true(sock >= 0 && port != 0);
	assert_int_equal(fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK), 0);
	assert_int_equal(setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)), 0);
	snprintf(want, sizeof(want), "starting up on 127.0.0.1 port %u", port);
	start_activated(&s, sock, want);
	/* An echo: the worker has set its socket up by now. */
	expect_exact_echo("127.0.0.1", "127.0.0.1", port, 42);
	assert_int_equal(fcntl(sock, F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(getsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeo, &len), 0);
	assert_true(timeo.tv_sec == 0 && timeo.tv_usec == 0);
	before = cpu_ns(s.proc.pid);
	usleep(300000);
	idle = cpu_ns(s.proc.pid) - before;
	print_message("idle 300 ms: %llu us of CPU\n", idle / 1000);
	/* Spinning would take the whole 300 ms; sleeping takes nothing measurable. */
	assert_true(idle < 30000000ull);
	expect_exact_echo("127.0.0.1", "127.0.0.1", port, MAX_V4);
	close(sock);
	stop_cleanly(&s);
}

static void test_bad_handoff_exits_2(void **state)
{
	int tcp = socket(AF_INET, SOCK_STREAM, 0);
	int unix_dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
	int unbound = socket(AF_INET, SOCK_DGRAM, 0);

	(void)state;
	assert_true(tcp >= 0 && unix_dgram >= 0 && unbound >= 0);
	expect_bad_handoff(tcp, "Socket type not supported");
	expect_bad_handoff(unix_dgram, "Address family not supported");
	expect_bad_handoff(-1, "Bad file descriptor");
	/* A UDP socket nobody bound would serve port 0, which no client can reach. */
	expect_bad_handoff(unbound, "not bound to a port");
	close(tcp);
	close(unix_dgram);
	close(unbound);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serves_the_inherited_ipv4_socket),
		cmocka_unit_test(test_inherited_dual_stack_wildcard_replies_from_request_address),
		cmocka_unit_test(test_serves_every_inherited_socket),
		cmocka_unit_test(test_listen_pid_of_another_process_is_ignored),
		cmocka_unit_test(test_inherited_nonblocking_socket_is_made_blocking),
		cmocka_unit_test(test_bad_handoff_exits_2),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
