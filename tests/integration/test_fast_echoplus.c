/*
 * test_fast_echoplus.c: udpecho-server --echo-plus, a TR-143 UDPEchoPlus
 * responder, over real loopback sockets: the server fields are filled, the
 * client's fields and the data are kept, short requests are plain echoes,
 * and TestRespSN is unique per process with several workers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define MAX_V4 65507
#define REPLY_WAIT_MS 2000

/* TR-143 field offsets: TestGenSN, TestRespSN, recv stamp, reply stamp, failures, iteration. */
enum { GEN_SN = 0, RESP_SN = 4, RECV_TS = 8, REPLY_TS = 12, FAILURES = 16, ITERATION = 20 };

static uint8_t request[MAX_V4 + 1];
static uint8_t reply[MAX_V4 + 2];

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return ntohl(v);
}

static void put32(uint8_t *p, size_t off, uint32_t value)
{
	uint32_t v = htonl(value);

	memcpy(p + off, &v, sizeof(v));
}

/* A request: TestGenSN gen, server fields zero, TestIterationNumber 9, patterned data after. */
static void make_request(size_t len, uint32_t gen)
{
	for (size_t i = 0; i < len; i++)
		request[i] = (uint8_t)(i * 7 + 3);
	if (len >= 24) {
		memset(request, 0, 24);
		put32(request, GEN_SN, gen);
		put32(request, ITERATION, 9);
	}
}

/* Sends the request, returns the reply's length (asserting one came, from the server). */
static size_t exchange(int fd, uint16_t port, size_t len)
{
	struct sockaddr_storage to, from;
	socklen_t tolen = udp_addr("127.0.0.1", port, &to);
	ssize_t n;

	assert_int_equal(sendto(fd, request, len, 0, (struct sockaddr *)&to, tolen), (ssize_t)len);
	n = udp_recv(fd, reply, sizeof(reply), &from, REPLY_WAIT_MS);
	if (n < 0)
		fail_msg("no reply to a %zu-byte request", len);
	return (size_t)n;
}

static void start_plus(struct server *s, const char *threads)
{
	const char *args[] = {"--bind",    "127.0.0.1", "--port",     "0",     "--echo-plus",
			      "--threads", threads,     "--max-size", "65000", NULL};

	assert_int_equal(server_start(s, args), 0);
}

static void stop(struct server *s)
{
	assert_int_equal(server_stop(s, SIGTERM), 0);
	proc_cleanup(&s->proc);
}

/* Stamps in order: reply - recv, mod 2^32, below 2^31. */
static int stamps_in_order(const uint8_t *r)
{
	return get32(r, REPLY_TS) - get32(r, RECV_TS) < 0x80000000u;
}

static void test_fields_filled_and_kept(void **state)
{
	struct server s;
	int fd = udp_bound("127.0.0.1", 0);

	(void)state;
	start_plus(&s, "1");
	for (uint32_t i = 0; i < 3; i++) {
		make_request(24, 7);
		assert_int_equal(exchange(fd, s.port, 24), 24);
		assert_int_equal(get32(reply, GEN_SN), 7);
		assert_int_equal(get32(reply, RESP_SN), i);
		assert_true(stamps_in_order(reply));
		assert_int_equal(get32(reply, FAILURES), 0);
		assert_int_equal(get32(reply, ITERATION), 9);
	}
	close(fd);
	stop(&s);
}

static void test_short_request_is_a_plain_echo(void **state)
{
	struct server s;
	int fd = udp_bound("127.0.0.1", 0);

	(void)state;
	start_plus(&s, "1");
	make_request(19, 0);
	assert_int_equal(exchange(fd, s.port, 19), 19);
	assert_memory_equal(reply, request, 19);
	make_request(0, 0);
	assert_int_equal(exchange(fd, s.port, 0), 0);
	close(fd);
	stop(&s);
}

/* Only bytes 4..19 change: TestGenSN, TestIterationNumber and every data byte are kept. */
static void expect_only_fields_change(int fd, uint16_t port, size_t len)
{
	make_request(len, 0xdeadbeef);
	assert_int_equal(exchange(fd, port, len), len);
	assert_memory_equal(reply, request, 4);
	assert_memory_equal(reply + 20, request + 20, len - 20);
	assert_true(stamps_in_order(reply));
}

static void test_data_after_the_header_is_unchanged(void **state)
{
	struct server s;
	int fd = udp_bound("127.0.0.1", 0);
	const char *args[] = {"--bind", "127.0.0.1", "--port", "0", "--echo-plus", NULL};

	(void)state;
	assert_int_equal(server_start(&s, args), 0);
	expect_only_fields_change(fd, s.port, 1400);
	expect_only_fields_change(fd, s.port, MAX_V4);
	close(fd);
	stop(&s);
}

/* A request dropped as too big counts as a failure in the next reply. */
static void test_too_big_counts_as_a_failure(void **state)
{
	struct sockaddr_storage to, from;
	socklen_t tolen;
	struct server s;
	int fd = udp_bound("127.0.0.1", 0);

	(void)state;
	start_plus(&s, "1");
	tolen = udp_addr("127.0.0.1", s.port, &to);
	make_request(65100, 1);
	assert_int_equal(sendto(fd, request, 65100, 0, (struct sockaddr *)&to, tolen), 65100);
	assert_true(udp_recv(fd, reply, sizeof(reply), &from, 300) < 0);
	make_request(24, 2);
	assert_int_equal(exchange(fd, s.port, 24), 24);
	assert_int_equal(get32(reply, FAILURES), 1);
	assert_int_equal(get32(reply, RESP_SN), 0);
	close(fd);
	stop(&s);
}

/* One GSO run of 10 requests goes back in one send: one reply stamp, consecutive TestRespSN. */
static void test_gso_run_shares_one_reply_stamp(void **state)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} control;
	struct sockaddr_storage to, from;
	struct server s;
	int fd = udp_bound("127.0.0.1", 0);
	uint16_t seg = 100;
	struct iovec iov = {request, (size_t)10 * 100};
	struct msghdr msg = {.msg_name = &to,
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	uint32_t first_ts = 0;

	(void)state;
	start_plus(&s, "1");
	msg.msg_namelen = udp_addr("127.0.0.1", s.port, &to);
	memset(request, 0, sizeof(request));
	for (uint32_t i = 0; i < 10; i++)
		put32(request + (size_t)i * 100, GEN_SN, 100 + i);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	assert_int_equal(sendmsg(fd, &msg, 0), 1000);
	for (uint32_t i = 0; i < 10; i++) {
		assert_int_equal(udp_recv(fd, reply, sizeof(reply), &from, REPLY_WAIT_MS), 100);
		assert_int_equal(get32(reply, GEN_SN), 100 + i);
		assert_int_equal(get32(reply, RESP_SN), i);
		if (i == 0)
			first_ts = get32(reply, REPLY_TS);
		assert_int_equal(get32(reply, REPLY_TS), first_ts);
	}
	close(fd);
	stop(&s);
}

#define CLIENTS 6
#define PER_CLIENT 50

/* Two workers, six clients: every TestRespSN is distinct and they are exactly 0..N-1. */
static void test_threads_share_one_sequence(void **state)
{
	static uint8_t seen[CLIENTS * PER_CLIENT];
	int fds[CLIENTS];
	struct server s;

	(void)state;
	start_plus(&s, "2");
	for (int c = 0; c < CLIENTS; c++)
		fds[c] = udp_bound("127.0.0.1", 0);
	for (int r = 0; r < PER_CLIENT; r++) {
		for (int c = 0; c < CLIENTS; c++) {
			uint32_t sn;

			make_request(24, (uint32_t)c);
			assert_int_equal(exchange(fds[c], s.port, 24), 24);
			sn = get32(reply, RESP_SN);
			assert_true(sn < CLIENTS * PER_CLIENT);
			assert_int_equal(seen[sn], 0);
			seen[sn] = 1;
		}
	}
	for (int c = 0; c < CLIENTS; c++)
		close(fds[c]);
	stop(&s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_filled_and_kept),
		cmocka_unit_test(test_short_request_is_a_plain_echo),
		cmocka_unit_test(test_data_after_the_header_is_unchanged),
		cmocka_unit_test(test_too_big_counts_as_a_failure),
		cmocka_unit_test(test_gso_run_shares_one_reply_stamp),
		cmocka_unit_test(test_threads_share_one_sequence),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
