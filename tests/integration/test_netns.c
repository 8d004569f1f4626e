/*
 * test_netns.c: a host with several addresses, made in a private network
 * namespace (198.18.0.0/15 and fd00::/8 on its loopback).  A wildcard-bound
 * server must answer from the address each request was sent to; a naive
 * one answers from whatever the routing table picks.  Needs root.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define REPLY_WAIT_MS 2000

static const char *skip_reason;

/* The namespace's loopback: up, with two IPv4 and two IPv6 addresses. */
static const char *const setup[][8] = {
	{"link", "set", "lo", "up", NULL},
	{"addr", "add", "198.18.0.1/32", "dev", "lo", NULL},
	{"addr", "add", "198.18.0.2/32", "dev", "lo", NULL},
	{"addr", "add", "fd00::1/128", "dev", "lo", "nodad", NULL},
	{"addr", "add", "fd00::2/128", "dev", "lo", "nodad", NULL},
};

/* Runs `ip ARGS...`; returns its exit status. */
static int run_ip(const char *const *args)
{
	const char *argv[10] = {"/usr/sbin/ip"};
	struct proc p;
	int rc;

	for (int i = 0; i < 8 && args[i] != NULL; i++)
		argv[i + 1] = args[i];
	rc = proc_run(&p, argv, HARNESS_WAIT_MS);
	proc_cleanup(&p);
	return rc;
}

/* Moves this process (and every child it starts) into a new network namespace. */
static int enter_namespace(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip_reason = "network namespace tests need root (CI runs as root)";
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		skip_reason = "unshare(CLONE_NEWNET) is not permitted here";
		return 0;
	}
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		if (run_ip(setup[i]) != 0) {
			fprintf(stderr, "netns: 'ip %s %s %s' failed\n", setup[i][0], setup[i][1],
				setup[i][2]);
			return -1;
		}
	}
	return 0;
}

static void skip_unless_namespace(void)
{
	if (skip_reason != NULL) {
		print_message("skipped: %s\n", skip_reason);
		skip();
		return;
	}
}

/* Sends from client_addr to target:port; returns where the reply came from. */
static void exchange(const char *client_addr, const char *target, uint16_t port, char *from_text,
		     size_t cap)
{
	static const char msg[] = "This is the message.  It will be repeated.";
	struct sockaddr_storage to, from;
	socklen_t tolen = udp_addr(target, port, &to);
	char buf[128];
	int fd = udp_bound(client_addr, 0);
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, msg, 42, 0, (struct sockaddr *)&to, tolen), 42);
	n = udp_recv(fd, buf, sizeof(buf), &from, REPLY_WAIT_MS);
	close(fd);
	if (n != 42)
		fail_msg("no 42-byte echo from %s port %u (got %zd)", target, port, n);
	assert_memory_equal(buf, msg, 42);
	udp_format(&from, from_text, cap);
}

static void expect_reply_from_target(const char *bind, const char *client, const char *target)
{
	const char *args[] = {"--bind", bind, "--port", "0", NULL};
	struct sockaddr_storage want;
	char want_text[64], got[64];
	struct server s;

	assert_int_equal(server_start(&s, args), 0);
	udp_addr(target, s.port, &want);
	udp_format(&want, want_text, sizeof(want_text));
	exchange(client, target, s.port, got, sizeof(got));
	if (strcmp(got, want_text) != 0)
		fail_msg("reply came from %s, request went to %s", got, want_text);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
}

static void test_ipv4_wildcard_answers_from_each_address(void **state)
{
	(void)state;
	skip_unless_namespace();
	expect_reply_from_target("0.0.0.0", "198.18.0.1", "198.18.0.2");
	expect_reply_from_target("0.0.0.0", "198.18.0.2", "198.18.0.1");
}

static void test_ipv6_wildcard_answers_from_each_address(void **state)
{
	(void)state;
	skip_unless_namespace();
	expect_reply_from_target("::", "fd00::1", "fd00::2");
	expect_reply_from_target("::", "fd00::2", "fd00::1");
}

static void test_dual_stack_answers_ipv4_from_each_address(void **state)
{
	(void)state;
	skip_unless_namespace();
	expect_reply_from_target("::", "198.18.0.1", "198.18.0.2");
}

/*
 * The control: an echo that replies with a plain sendto() on a wildcard
 * socket answers fd00::2's request from another address here, so the tests
 * above can tell a correct server from a naive one.
 */
static void test_naive_wildcard_reply_would_be_caught(void **state)
{
	struct sockaddr_storage to, from;
	socklen_t tolen;
	int server, client;
	char buf[16], got[64];

	(void)state;
	skip_unless_namespace();
	server = udp_bound("::", 0);
	client = udp_bound("fd00::1", 0);
	assert_true(server >= 0 && client >= 0);
	tolen = udp_addr("fd00::2", udp_local_port(server), &to);
	assert_int_equal(sendto(client, "x", 1, 0, (struct sockaddr *)&to, tolen), 1);
	assert_int_equal(udp_recv(server, buf, sizeof(buf), &from, REPLY_WAIT_MS), 1);
	assert_int_equal(
		sendto(server, buf, 1, 0, (struct sockaddr *)&from, sizeof(struct sockaddr_in6)),
		1);
	assert_int_equal(udp_recv(client, buf, sizeof(buf), &from, REPLY_WAIT_MS), 1);
	udp_format(&from, got, sizeof(got));
	if (strncmp(got, "[fd00::2]:", 10) == 0)
		fail_msg("the naive reply came from %s: this host cannot tell the difference", got);
	close(server);
	close(client);
}

/* In this namespace nothing routes to 198.19.0.0/16: check must say so at once, exit 2. */
static void test_check_of_unreachable_target_is_a_quick_error(void **state)
{
	const char *argv[] = {harness_client_bin, "check", "198.19.0.1", "7", NULL};
	struct timespec t0, t1;
	struct proc p;
	char *err;

	(void)state;
	skip_unless_namespace();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(proc_run(&p, argv, HARNESS_WAIT_MS), 2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	err = proc_stderr(&p);
	assert_string_equal(err, "udpecho: 198.19.0.1:7: Network is unreachable\n");
	free(err);
	proc_cleanup(&p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_wildcard_answers_from_each_address),
		cmocka_unit_test(test_ipv6_wildcard_answers_from_each_address),
		cmocka_unit_test(test_dual_stack_answers_ipv4_from_each_address),
		cmocka_unit_test(test_naive_wildcard_reply_would_be_caught),
		cmocka_unit_test(test_check_of_unreachable_target_is_a_quick_error),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, enter_namespace, NULL);
}
