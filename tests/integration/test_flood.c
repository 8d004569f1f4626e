/*
 * test_flood.c: udpecho-server under a bounded flood.  Several sockets send
 * a mix of 0-byte, small and 65,507-byte datagrams as fast as they can for
 * a few seconds; afterwards the server's memory is where it was (within
 * 2 MiB), it still echoes exactly, and its counters add up.
 */
#include <errno.h>
#include <fcntl.h>
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

#define SENDERS 4
#define FLOOD_SECONDS 3
#define MAX_PER_SENDER 2000000 /* a count bound as well as a time bound */
#define MAX_V4 65507

static uint8_t buf[MAX_V4 + 1];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* VmRSS of a process, in KiB. */
static long rss_kib(pid_t pid)
{
	char path[64], *status, *line;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	status = read_file(path, NULL);
	if (status != NULL && (line = strstr(status, "VmRSS:")) != NULL)
		kib = strtol(line + 6, NULL, 10);
	free(status);
	return kib;
}

/* One sender: the size mix, non-blocking, replies drained and discarded. */
static void flood(uint16_t port, int id)
{
	static const size_t sizes[] = {0, 1, 64, 512, 1400, 4097, MAX_V4};
	struct sockaddr_storage to, from;
	socklen_t tolen = udp_addr("127.0.0.1", port, &to);
	int fd = udp_bound("127.0.0.1", 0);
	long long end = now_ms() + (long long)FLOOD_SECONDS * 1000;
	long sent = 0;

	memset(buf, 'a' + id, sizeof(buf));
	for (long i = 0; i < MAX_PER_SENDER && now_ms() < end; i++) {
		size_t len = sizes[i % 7];

		if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&to, tolen) >= 0)
			sent++;
		while (udp_recv(fd, buf, sizeof(buf), &from, 0) >= 0)
			;
	}
	_exit(sent > 0 ? 0 : 1);
}

static void expect_exact(int fd, uint16_t port, size_t len)
{
	struct sockaddr_storage to, from;
	socklen_t tolen = udp_addr("127.0.0.1", port, &to);
	static uint8_t reply[MAX_V4 + 1];
	ssize_t n;

	memset(buf, 0x5a, len);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to, tolen), (ssize_t)len);
	n = udp_recv(fd, reply, sizeof(reply), &from, 2000);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(reply, buf, len);
}

static void test_flood_leaves_memory_flat_and_counters_consistent(void **state)
{
	const char *args[] = {"--bind", "127.0.0.1", "--port", "0", NULL};
	static const char *const reasons[] = {
		"bad_peer",    "bad_source",  "spoofed", "not_unicast",
		"not_allowed", "denied_port", "too_big", "rate_limited",
		"truncated",   "send_errors", NULL};
	unsigned long long received, echoed, dropped, sum = 0;
	long before, after;
	pid_t senders[SENDERS];
	struct server s;
	char *out, *summary;
	int fd, status;

	(void)state;
	assert_int_equal(server_start(&s, args), 0);
	fd = udp_bound("127.0.0.1", 0);
	expect_exact(fd, s.port, MAX_V4); /* every buffer touched before measuring */
	before = rss_kib(s.proc.pid);
	for (int i = 0; i < SENDERS; i++) {
		senders[i] = fork();
		if (senders[i] == 0)
			flood(s.port, i);
	}
	for (int i = 0; i < SENDERS; i++) {
		assert_int_equal(waitpid(senders[i], &status, 0), senders[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	after = rss_kib(s.proc.pid);
	print_message("server RSS %ld KiB before the flood, %ld KiB after\n", before, after);
	assert_true(before > 0 && after > 0);
	assert_true(after - before <= 2048);
	expect_exact(fd, s.port, 0);
	expect_exact(fd, s.port, 1);
	expect_exact(fd, s.port, MAX_V4);
	close(fd);
	assert_int_equal(server_stop(&s, SIGTERM), 0);
	out = proc_stdout(&s.proc);
	summary = strstr(out, "summary:");
	assert_non_null(summary);
	received = summary_counter(summary, "received");
	echoed = summary_counter(summary, "echoed");
	dropped = summary_counter(summary, "dropped");
	for (int i = 0; reasons[i] != NULL; i++)
		sum += summary_counter(summary, reasons[i]);
	print_message("%s", summary);
	/* What the kernel dropped never reached the server: not in received, but reported. */
	print_message("kernel_drops=%llu\n", summary_counter(summary, "kernel_drops"));
	assert_true(received > 1000);
	assert_true(received == echoed + dropped);
	assert_true(dropped == sum);
	free(out);
	proc_cleanup(&s.proc);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_leaves_memory_flat_and_counters_consistent),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
