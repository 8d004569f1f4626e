/*
 * test_ping.c: `udpecho ping` against real servers on loopback: udpecho-server
 * plain (RFC 862, auto-detected) and with --echo-plus (UDPEchoPlus), zoo
 * servers that drop, duplicate or say nothing, a port nobody listens on,
 * Ctrl-C mid-run, and the JSON report.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Every run here is -c 3 or so at -i 0.05: done in well under this. */
#define RUN_MS 5000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Starts `udpecho ping ARGS...` (ARGS ends with NULL). */
static void spawn_ping(struct proc *p, const char *const *args)
{
	const char *argv[HARNESS_MAX_ARGS];
	int n = 0;

	argv[n++] = harness_client_bin;
	argv[n++] = "ping";
	while (*args != NULL && n < HARNESS_MAX_ARGS - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	assert_int_equal(proc_spawn(p, argv), 0);
}

static int run_ping(struct proc *p, const char *const *args)
{
	spawn_ping(p, args);
	return proc_wait(p, RUN_MS);
}

static void expect_in(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("wanted '%s' in:\n%s", want, text);
}

/* Servers the running test started; stop_all stops what a failed assertion left behind. */
static struct server servers[2];
static size_t nservers;

static struct server *start_bin(const char *bin, const char *const *args)
{
	struct server *s = &servers[nservers];

	assert_true(nservers < sizeof(servers) / sizeof(servers[0]));
	assert_int_equal(server_start_bin(s, bin, args), 0);
	nservers++;
	return s;
}

static struct server *start_zoo(const char *defect)
{
	const char *args[] = {"--bind", "127.0.0.1", "--port", "0", defect, NULL};

	assert_non_null(harness_zoo_bin);
	return start_bin(harness_zoo_bin, args);
}

/* A zoo defect that takes a number (flip-at N, ...). */
static struct server *start_zoo_arg(const char *defect, const char *arg)
{
	const char *args[] = {"--bind", "127.0.0.1", "--port", "0", defect, arg, NULL};

	assert_non_null(harness_zoo_bin);
	return start_bin(harness_zoo_bin, args);
}

static struct server *start_server(const char *bind, const char *extra)
{
	const char *args[] = {"--bind", bind, "--port", "0", extra, NULL};

	return start_bin(harness_server_bin, args);
}

static void stop(struct server *s)
{
	if (s->proc.pid <= 0)
		return;
	server_stop(s, SIGTERM);
	proc_cleanup(&s->proc);
	s->proc.pid = 0;
}

static int stop_all(void **state)
{
	(void)state;
	while (nservers > 0)
		stop(&servers[--nservers]);
	return 0;
}

/*
 * Runs `udpecho ping HOST PORT ARGS...` (ARGS ends with NULL) to completion
 * in c and checks its exit status; the caller reads c and cleans it up.
 */
static void ping_proc(struct proc *c, const char *host, uint16_t port, const char *const *args,
		      int status)
{
	const char *argv[HARNESS_MAX_ARGS];
	char port_text[16];
	int n = 0;

	snprintf(port_text, sizeof(port_text), "%u", port);
	argv[n++] = host;
	argv[n++] = port_text;
	while (*args != NULL && n < HARNESS_MAX_ARGS - 3)
		argv[n++] = *args++;
	argv[n] = NULL;
	assert_int_equal(run_ping(c, argv), status);
}

/* The same, returning what it printed on stdout (caller frees). */
static char *ping_out(const char *host, uint16_t port, const char *const *args, int status)
{
	struct proc c;
	char *out;

	ping_proc(&c, host, port, args, status);
	out = proc_stdout(&c);
	proc_cleanup(&c);
	return out;
}

static void test_plain_server_is_rfc862_and_answers_every_request(void **state)
{
	static const char *const args[] = {"-c", "3", "-i", "0.05", NULL};
	struct server *s;
	struct proc c;
	char line[128];
	char *out, *err;
	uint64_t t0;

	(void)state;
	s = start_server("127.0.0.1", NULL);
	t0 = now_ms();
	ping_proc(&c, "127.0.0.1", s->port, args, 0);
	assert_true(now_ms() - t0 < 2000);
	out = proc_stdout(&c);
	err = proc_stderr(&c);
	snprintf(line, sizeof(line), "UDPECHO 127.0.0.1 port %u: 64 data bytes (auto-detect)\n",
		 s->port);
	assert_true(strncmp(out, line, strlen(line)) == 0);
	expect_in(out, "\nmode: RFC 862: the replies are plain echoes\n");
	for (int seq = 0; seq < 3; seq++) {
		snprintf(line, sizeof(line),
			 "\n64 bytes from 127.0.0.1 port %u: seq=%d time=", s->port, seq);
		expect_in(out, line);
	}
	expect_in(out, "\n--- 127.0.0.1 udp echo statistics ---\n"
		       "3 requests sent, 3 replies received, 0% loss, time ");
	expect_in(out, "\nrtt min/avg/max/mdev = ");
	assert_null(strstr(out, "UDPEchoPlus:"));
	assert_string_equal(err, "");
	free(out);
	free(err);
	proc_cleanup(&c);
	stop(s);
}

static void test_ipv6_literal(void **state)
{
	static const char *const args[] = {"-c", "2", "-i", "0.05", "-6", NULL};
	struct server *s;
	char line[128];
	char *out;

	(void)state;
	s = start_server("::1", NULL);
	out = ping_out("::1", s->port, args, 0);
	snprintf(line, sizeof(line), "64 bytes from ::1 port %u: seq=1 time=", s->port);
	expect_in(out, line);
	expect_in(out, "2 requests sent, 2 replies received, 0% loss");
	free(out);
	stop(s);
}

/* Runs ping with args against a fresh zoo server with that defect; returns stdout. */
static char *ping_zoo(const char *defect, const char *const *args, int status)
{
	struct server *s;
	char *out;

	s = start_zoo(defect);
	out = ping_out("127.0.0.1", s->port, args, status);
	stop(s);
	return out;
}

static void test_every_other_dropped_is_half_loss(void **state)
{
	static const char *const args[] = {"-c", "4", "-i", "0.05", "-W", "0.3", NULL};
	char *out = ping_zoo("drop-every-other", args, 0);

	(void)state;
	expect_in(out, "no reply for seq=0 within 0.3 s\n");
	expect_in(out, "no reply for seq=2 within 0.3 s\n");
	expect_in(out, ": seq=1 time=");
	expect_in(out, ": seq=3 time=");
	expect_in(out, "4 requests sent, 2 replies received, 50% loss");
	free(out);
}

static void test_duplicates_are_called_out_not_counted(void **state)
{
	static const char *const args[] = {"-c", "2", "-i", "0.05", NULL};
	char *out = ping_zoo("twice", args, 0);

	(void)state;
	expect_in(out, ": seq=0 time=");
	expect_in(out, " (DUP!)\n");
	/* The run ends with the last first reply: its duplicate may come too late to count. */
	if (strstr(out, "2 requests sent, 2 replies received, +1 duplicate, 0% loss") == NULL)
		expect_in(out, "2 requests sent, 2 replies received, +2 duplicates, 0% loss");
	free(out);
}

static void test_silent_server_exits_1(void **state)
{
	static const char *const args[] = {"-c", "2", "-i", "0.05", "-W", "0.2", NULL};
	char *out = ping_zoo("silent", args, 1);

	(void)state;
	expect_in(out, "no reply for seq=1 within 0.2 s\n");
	expect_in(out, "2 requests sent, 0 replies received, 100% loss");
	assert_null(strstr(out, "rtt min"));
	free(out);
}

/* Every size a request can have matches its replies, in both modes that fit it. */
static void test_every_size_from_empty_to_the_maximum(void **state)
{
	static const char *const sizes[] = {"0",  "1",  "3",  "4",    "19",
					    "20", "23", "24", "1472", "65507"};
	struct server *s;

	(void)state;
	s = start_server("127.0.0.1", NULL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int rfc = 0; rfc < 2; rfc++) {
			const char *args[] = {
				"-c", "2", "-i", "0.01", "-s", sizes[i], rfc ? "--rfc" : NULL,
				NULL};
			char *out = ping_out("127.0.0.1", s->port, args, 0);
			char line[64];

			snprintf(line, sizeof(line), "%s bytes from 127.0.0.1 port ", sizes[i]);
			expect_in(out, line);
			expect_in(out, "2 requests sent, 2 replies received, 0% loss");
			assert_null(strstr(out, "corrupt"));
			free(out);
		}
	}
	stop(s);
}

/* A port nothing listens on (bound, then freed): the kernel answers with port unreachable. */
static uint16_t closed_port(void)
{
	int fd = udp_bound("127.0.0.1", 0);
	uint16_t port;

	assert_true(fd >= 0);
	port = udp_local_port(fd);
	close(fd);
	return port;
}

/* A port nobody listens on: one ICMP port unreachable per request, exit 2, at once. */
static void test_nothing_listening_is_a_network_error(void **state)
{
	static const char *const args[] = {"-c", "3", "-i", "0.05", NULL};
	uint16_t port = closed_port();
	char line[160];
	char *out;
	uint64_t t0;

	(void)state;
	t0 = now_ms();
	out = ping_out("127.0.0.1", port, args, 2);
	assert_true(now_ms() - t0 < 1000); /* errors end each request; no -W wait */
	for (int seq = 0; seq < 3; seq++) {
		snprintf(line, sizeof(line),
			 "From 127.0.0.1: seq=%d Port Unreachable (nothing listening on port %u)\n",
			 seq, port);
		expect_in(out, line);
	}
	expect_in(out, "3 requests sent, 0 replies received, +3 errors, 100% loss");
	assert_null(strstr(out, "no reply for"));
	free(out);
}

static void test_sigint_prints_the_summary(void **state)
{
	struct server *s;
	struct proc c;
	char port[16];
	char *out, *end;
	unsigned long sent, received;
	const char *at;

	(void)state;
	s = start_server("127.0.0.1", NULL);
	snprintf(port, sizeof(port), "%u", s->port);
	const char *args[] = {"127.0.0.1", port, "-i", "0.05", NULL};

	spawn_ping(&c, args);
	/* Bounded: wait for the third reply line, at most HARNESS_WAIT_MS. */
	for (int waited = 0; waited < HARNESS_WAIT_MS; waited += 10) {
		out = proc_stdout(&c);
		at = strstr(out, ": seq=2 time=");
		free(out);
		if (at != NULL)
			break;
		usleep(10000);
	}
	kill(c.pid, SIGINT);
	assert_int_equal(proc_wait(&c, RUN_MS), 0);
	out = proc_stdout(&c);
	at = strstr(out, "--- 127.0.0.1 udp echo statistics ---\n");
	assert_non_null(at);
	sent = strtoul(strchr(at, '\n') + 1, &end, 10);
	assert_true(strncmp(end, " requests sent, ", 16) == 0);
	received = strtoul(end + 16, &end, 10);
	assert_true(strncmp(end, " replies received", 17) == 0);
	assert_true(sent >= 3 && received >= 3 && sent - received <= 1);
	expect_in(out, "\nrtt min/avg/max/mdev = ");
	free(out);
	proc_cleanup(&c);
	stop(s);
}

/* jq -e FILTER over what c printed (jq: ci/deps.sh installs it); 0 when it holds. */
static int jq_check(const struct proc *c, const char *filter)
{
	const char *argv[] = {"/usr/bin/jq", "-e", filter, c->out_path, NULL};
	struct proc p;
	int rc = proc_run(&p, argv, HARNESS_WAIT_MS);

	if (rc != 0) {
		char *out = proc_stdout(&p), *err = proc_stderr(&p);

		print_message("jq -e '%s' gave %d: %s%s\n", filter, rc, out, err);
		free(out);
		free(err);
	}
	proc_cleanup(&p);
	return rc;
}

/*
 * Empty requests carry no sequence number, so each error goes to the oldest
 * request that has had neither a reply nor an error: one error per request,
 * none left to time out.
 */
static void test_empty_requests_each_get_their_own_error(void **state)
{
	static const char *const text[] = {"-c", "3", "-i", "0.05", "-s", "0", NULL};
	static const char *const json[] = {"-c", "3", "-i",       "0.05", "-s", "0",
					   "-W", "1", "--format", "json", NULL};
	uint16_t port = closed_port();
	struct proc c;
	char line[160];
	char *out;
	uint64_t t0;

	(void)state;
	t0 = now_ms();
	out = ping_out("127.0.0.1", port, text, 2);
	assert_true(now_ms() - t0 < 1000); /* no -W wait for a request already failed */
	for (int seq = 0; seq < 3; seq++) {
		snprintf(line, sizeof(line), "From 127.0.0.1: seq=%d Port Unreachable", seq);
		expect_in(out, line);
	}
	expect_in(out, "3 requests sent, 0 replies received, +3 errors, 100% loss");
	assert_null(strstr(out, "no reply for"));
	free(out);
	ping_proc(&c, "127.0.0.1", port, json, 2);
	assert_int_equal(jq_check(&c, "[.errors[].seq] == [0, 1, 2] and .timeouts == []"), 0);
	proc_cleanup(&c);
}

static void test_json_is_one_object_with_the_same_numbers(void **state)
{
	static const char *const args[] = {"-c",  "4",        "-i",   "0.05", "-W",
					   "0.2", "--format", "json", NULL};
	struct server *s;
	struct proc c;
	char filter[1024];
	char *out;

	(void)state;
	s = start_zoo("drop-every-other");
	ping_proc(&c, "127.0.0.1", s->port, args, 0);
	out = proc_stdout(&c);
	assert_int_equal(count_lines(out), 1); /* no per-reply text lines */
	snprintf(filter, sizeof(filter),
		 ".tool == \"udpecho\" and .command == \"ping\" and .target == {\"host\": "
		 "\"127.0.0.1\", \"port\": %u, \"family\": \"ipv4\"} and .mode == \"rfc862\""
		 " and [.replies[].seq] == [1, 3] and [.timeouts[].seq] == [0, 2]"
		 " and .errors == [] and .corrupt == []"
		 " and .summary.sent == 4 and .summary.received == 2"
		 " and .summary.loss_pct == 50 and .summary.duplicates == 0"
		 " and (.summary.rtt_ms | .min > 0 and .min <= .avg and .avg <= .max"
		 " and .mdev >= 0) and .summary.echoplus == null",
		 s->port);
	assert_int_equal(jq_check(&c, filter), 0);
	free(out);
	proc_cleanup(&c);
	stop(s);
}

/*
 * A plain echo that corrupts byte 14 (a reply time stamp's place) of every
 * second reply: the first reply shows RFC 862, so the others are corrupt,
 * not UDPEchoPlus replies with 23 ms of server time.
 */
static void test_plain_echo_stays_plain_once_detected(void **state)
{
	static const char *const args[] = {"-c", "4", "-i", "0.05", "-W", "0.1", NULL};
	static const char *const plus[] = {"-c", "4", "-i", "0.05", "-W", "0.1", "--plus", NULL};
	struct server *s;

	(void)state;
	s = start_zoo_arg("xor-every-other", "14");
	for (int i = 0; i < 2; i++) {
		/* --plus against a plain echo fails the run, whatever the replies. */
		char *out = ping_out("127.0.0.1", s->port, i ? plus : args, i ? 1 : 0);
		expect_in(out, "\nmode: RFC 862: the replies are plain echoes\n");
		expect_in(out, ": seq=1 corrupt: byte 14 differs (sent 0x00, got 0x5a)\n");
		expect_in(out, ": seq=3 corrupt: byte 14 differs (sent 0x00, got 0x5a)\n");
		expect_in(out, "4 requests sent, 2 replies received, 2 corrupt, 50% loss");
		assert_null(strstr(out, "server="));
		assert_null(strstr(out, "UDPEchoPlus:"));
		free(out);
	}
	stop(s);
}

/* A reply whose server time is longer than its round trip was not written by a server. */
static void test_server_time_beyond_the_round_trip_is_corrupt(void **state)
{
	static const char *const args[] = {"-c", "2", "-i", "0.05", "-W", "0.2", NULL};
	struct server *s;
	char *out;

	(void)state;
	/* Bit 0 of byte 12: TestRespReplyTimeStamp 2^24 us (16.8 s) after a zero receive stamp. */
	s = start_zoo_arg("flip-at", "12");
	out = ping_out("127.0.0.1", s->port, args, 1);
	stop(s);
	expect_in(out, ": seq=0 corrupt: UDPEchoPlus server time 16777216 us exceeds the round "
		       "trip ");
	expect_in(out, "2 requests sent, 0 replies received, 2 corrupt, 100% loss");
	assert_null(strstr(out, "mode: UDPEchoPlus"));
	free(out);
}

static void test_plus_against_plain_server_exits_1_saying_it_is_not_echoplus(void **state)
{
	static const char *const args[] = {"-c", "2", "-i", "0.05", "--plus", NULL};
	struct server *s;
	struct proc c;
	char line[160];
	char *out, *err;

	(void)state;
	s = start_server("127.0.0.1", NULL);
	/* --plus requires a responder: the replies came back, yet the run failed (it exited 0). */
	ping_proc(&c, "127.0.0.1", s->port, args, 1);
	out = proc_stdout(&c);
	err = proc_stderr(&c);
	snprintf(line, sizeof(line),
		 "udpecho ping: 127.0.0.1 port %u is not a UDPEchoPlus responder: its replies "
		 "are plain echoes (TestRespSN and the time stamps left zero)\n",
		 s->port);
	assert_string_equal(err, line);
	expect_in(out, "(UDPEchoPlus)\n");
	expect_in(out, "2 requests sent, 2 replies received, 0% loss");
	assert_null(strstr(out, "resp_sn="));
	free(out);
	free(err);
	proc_cleanup(&c);
	stop(s);
}

/* udpecho-server --echo-plus is newer than ping: skip, saying why, where it is missing. */
static int echo_plus_missing(void)
{
	const char *argv[] = {harness_server_bin, "--echo-plus", "--help", NULL};
	struct proc p;
	int rc = proc_run(&p, argv, HARNESS_WAIT_MS);

	proc_cleanup(&p);
	if (rc == 2)
		print_message("skipped: udpecho-server refuses --echo-plus (exit 2)\n");
	return rc == 2;
}

static void test_echo_plus_server_shows_fields_and_directions(void **state)
{
	static const char *const text[] = {"-c", "3", "-i", "0.05", NULL};
	static const char *const json[] = {"-c", "3", "-i", "0.05", "--format", "json", NULL};
	static const char *const rfc[] = {"-c", "2", "-i", "0.05", "-W", "0.2", "--rfc", NULL};
	struct server *s;
	struct proc c;
	char *out;

	(void)state;
	if (echo_plus_missing())
		skip();
	s = start_server("127.0.0.1", "--echo-plus");
	out = ping_out("127.0.0.1", s->port, text, 0);
	expect_in(out, "\nmode: UDPEchoPlus (TR-143): the server fills in TestRespSN and its "
		       "time stamps\n");
	expect_in(out, ": seq=0 time=");
	expect_in(out, " ms resp_sn=0\n"); /* a fresh server: nothing answered before */
	expect_in(out, " ms resp_sn=2\n");
	expect_in(out, " server=");
	expect_in(out, " net=");
	expect_in(out, "3 requests sent, 3 replies received, 0% loss");
	expect_in(out, "\nUDPEchoPlus: the server answered 3 of our 3 requests seq=0..2\n");
	expect_in(out, "\nupstream (client->server): 0 lost (0%), delay variation mdev ");
	expect_in(out, "\ndownstream (server->client): 0 lost (0%), delay variation mdev ");
	expect_in(out, "\nserver time min/avg/max = ");
	free(out);

	/* The same numbers in JSON, with the UDPEchoPlus fields of every reply. */
	ping_proc(&c, "127.0.0.1", s->port, json, 0);
	assert_int_equal(jq_check(&c, ".mode == \"echoplus\" and [.replies[].resp_sn] == [3, 4, 5]"
				      " and all(.replies[]; .server_ms >= 0"
				      " and .net_rtt_ms <= .rtt_ms)"
				      " and (.summary.echoplus | .window == 3 and .answered == 3"
				      " and .upstream.lost == 0 and .downstream.lost == 0"
				      " and .unknown_direction == 0 and .shared == false"
				      " and .upstream.delay_variation_ms.range >= 0)"),
			 0);
	proc_cleanup(&c);

	/* --rfc insists on exact echoes: every reply differs in the fields, so none counts. */
	out = ping_out("127.0.0.1", s->port, rfc, 1);
	expect_in(out, ": seq=0 corrupt: differs only in the UDPEchoPlus fields");
	expect_in(out, "2 requests sent, 0 replies received, 2 corrupt, 100% loss");
	free(out);
	stop(s);
}

/*
 * Loss by direction through a relay that drops every third datagram each way.
 * Nine requests: seq 2, 5 and 8 never reach the server; it answers 0, 1, 3,
 * 4, 6, 7 (TestRespSN 0..5) and the 3rd and 6th replies (seq 3 and 7) are
 * lost on the way back.  Between the first and last reply (seq 0..6) that is
 * 2 lost upstream of 7 and 1 downstream of the 5 answered; 7 and 8 come after
 * the last reply, so their direction is unknown.
 */
static void test_echo_plus_loss_by_direction_through_a_lossy_relay(void **state)
{
	static const char *const args[] = {"-c", "9", "-i", "0.02", "-W", "0.2", NULL};
	struct server *s, *relay;
	char port[16];
	char *out;

	(void)state;
	if (echo_plus_missing())
		skip();
	assert_non_null(harness_relay_bin);
	s = start_server("127.0.0.1", "--echo-plus");
	snprintf(port, sizeof(port), "%u", s->port);
	const char *relay_args[] = {
		"--target", "127.0.0.1", "--target-port", port, "--bind", "127.0.0.1",
		"--port",   "0",         "--drop",        "3",  NULL};

	relay = start_bin(harness_relay_bin, relay_args);
	out = ping_out("127.0.0.1", relay->port, args, 0);
	expect_in(out, "9 requests sent, 4 replies received, 55.6% loss");
	expect_in(out, "\nUDPEchoPlus: the server answered 5 of our 7 requests seq=0..6\n");
	expect_in(out, "\nupstream (client->server): 2 lost (28.6%), ");
	expect_in(out, "\ndownstream (server->client): 1 lost (20%), ");
	expect_in(out, "\n2 lost before the first or after the last reply: direction unknown\n");
	free(out);
	stop(relay);
	stop(s);
}

/* One of a thing reads as one: "1 request sent, 1 reply received". */
static void test_singular_counts(void **state)
{
	static const char *const one[] = {"-c", "1", NULL};
	uint16_t closed = closed_port();
	struct server *s;
	char *out;

	(void)state;
	s = start_server("127.0.0.1", NULL);
	out = ping_out("127.0.0.1", s->port, one, 0);
	expect_in(out, "\n1 request sent, 1 reply received, 0% loss, time ");
	free(out);
	stop(s);
	out = ping_out("127.0.0.1", closed, one, 2);
	expect_in(out, "\n1 request sent, 0 replies received, +1 error, 100% loss, time ");
	free(out);
	if (echo_plus_missing())
		return;
	s = start_server("127.0.0.1", "--echo-plus");
	out = ping_out("127.0.0.1", s->port, one, 0);
	expect_in(out, "\nUDPEchoPlus: the server answered 1 of our 1 request seq=0..0\n");
	free(out);
	stop(s);
}

/* A server that answers from another port: no reply, but the summary says what came instead. */
static void test_replies_from_another_address_are_counted(void **state)
{
	static const char *const text[] = {"-c", "2", "-i", "0.05", "-W", "0.2", NULL};
	static const char *const json[] = {"-c",  "2",        "-i",   "0.05", "-W",
					   "0.2", "--format", "json", NULL};
	struct server *s;
	struct proc c;
	char *out;

	(void)state;
	s = start_zoo("other-port");
	out = ping_out("127.0.0.1", s->port, text, 1);
	expect_in(out, "2 requests sent, 0 replies received, 2 from another address, 100% loss");
	free(out);
	ping_proc(&c, "127.0.0.1", s->port, json, 1);
	assert_int_equal(jq_check(&c, ".summary.foreign == 2 and .summary.received == 0"), 0);
	proc_cleanup(&c);
	stop(s);
	/* None: the summary line does not mention it. */
	s = start_server("127.0.0.1", NULL);
	out = ping_out("127.0.0.1", s->port, text, 0);
	assert_null(strstr(out, "another address"));
	free(out);
	stop(s);
}

/* How many times want occurs in text. */
static int occurrences(const char *text, const char *want)
{
	int n = 0;

	for (const char *at = strstr(text, want); at != NULL; at = strstr(at + 1, want))
		n++;
	return n;
}

/*
 * A server that reads into a 4096-byte buffer answers a 5000-byte request
 * with its first 4096 bytes: one reply, truncated, said once and counted
 * once (it was "corrupt: 4096 bytes, request was 5000", then "no reply" for
 * the same request, counted as a timeout too).
 */
static void test_truncated_reply_is_said_and_counted_once(void **state)
{
	static const char *const text[] = {"-c",   "2",  "-i",  "0.05", "-s",
					   "5000", "-W", "0.2", NULL};
	static const char *const json[] = {"-c", "2",   "-i", "0.05",     "-s",   "5000",
					   "-W", "0.2", "-q", "--format", "json", NULL};
	struct server *s;
	struct proc c;
	char line[160];
	char *out;

	(void)state;
	s = start_zoo_arg("truncate", "4096");
	out = ping_out("127.0.0.1", s->port, text, 1);
	snprintf(line, sizeof(line),
		 "4096 bytes from 127.0.0.1 port %u: seq=0 corrupt: truncated to 4096 bytes "
		 "(request was 5000)\n",
		 s->port);
	expect_in(out, line);
	assert_int_equal(occurrences(out, "truncated to 4096"), 2); /* seq=0, seq=1 */
	assert_null(strstr(out, "no reply"));
	expect_in(out, "2 requests sent, 0 replies received, 2 corrupt, 100% loss");
	free(out);
	ping_proc(&c, "127.0.0.1", s->port, json, 1);
	assert_int_equal(jq_check(&c,
				  "[.corrupt[].seq] == [0, 1] and .timeouts == [] and"
				  " (.corrupt[0].detail | startswith(\"truncated to 4096 bytes\"))"
				  " and .summary.corrupt == 2 and .summary.timeouts == 0"),
			 0);
	proc_cleanup(&c);
	stop(s);
}

/* Reads what c wrote on fd's file until want shows up (bounded); returns it (caller frees). */
static char *wait_for(const struct proc *c, int err, const char *want)
{
	for (int waited = 0; waited < HARNESS_WAIT_MS; waited += 10) {
		char *text = err ? proc_stderr(c) : proc_stdout(c);

		if (strstr(text, want) != NULL)
			return text;
		free(text);
		usleep(10000);
	}
	fail_msg("'%s' did not show up", want);
	return NULL;
}

/*
 * SIGQUIT prints a status line on stderr, as ping(8) does, and the run
 * goes on (it used to end it with a core dump).
 */
static void test_sigquit_prints_status_and_goes_on(void **state)
{
	struct server *s;
	struct proc c;
	char port[16];
	char *out, *err, *end;
	unsigned long received, sent;
	double v[4];

	(void)state;
	s = start_server("127.0.0.1", NULL);
	snprintf(port, sizeof(port), "%u", s->port);
	const char *args[] = {"127.0.0.1", port, "-i", "0.05", NULL};

	spawn_ping(&c, args);
	free(wait_for(&c, 0, ": seq=2 time="));
	kill(c.pid, SIGQUIT);
	err = wait_for(&c, 1, " ms\n");
	received = strtoul(err, &end, 10);
	assert_true(*end == '/');
	sent = strtoul(end + 1, &end, 10);
	assert_true(received >= 3 && sent >= received && sent - received <= 1);
	assert_true(strncmp(end, " packets, ", 10) == 0);
	end = strstr(end, "% loss, min/avg/ewma/max = ");
	assert_non_null(end);
	end += strlen("% loss, min/avg/ewma/max = ");
	for (int i = 0; i < 4; i++) {
		char *after;

		v[i] = strtod(end, &after);
		assert_true(after > end && *after == (i < 3 ? '/' : ' '));
		end = after + 1;
	}
	assert_true(v[0] > 0 && v[0] <= v[1] && v[1] <= v[3] && v[0] <= v[2] && v[2] <= v[3]);
	assert_int_equal(count_lines(err), 1);
	free(err);
	/* Still probing: more replies after the status line. */
	out = wait_for(&c, 0, ": seq=5 time=");
	assert_null(strstr(out, "statistics"));
	free(out);
	kill(c.pid, SIGINT);
	assert_int_equal(proc_wait(&c, RUN_MS), 0);
	out = proc_stdout(&c);
	expect_in(out, "\n--- 127.0.0.1 udp echo statistics ---\n");
	free(out);
	proc_cleanup(&c);
	stop(s);
}

/* -q: the header and the summary, nothing per request (as ping -q). */
static void test_quiet_prints_only_the_summary(void **state)
{
	static const char *const args[] = {"-c", "3", "-i", "0.05", "-q", NULL};
	static const char *const lossy[] = {"-c", "4", "-i", "0.05", "-W", "0.1", "-q", NULL};
	struct server *s;
	char *out;

	(void)state;
	s = start_server("127.0.0.1", NULL);
	out = ping_out("127.0.0.1", s->port, args, 0);
	assert_true(strncmp(out, "UDPECHO 127.0.0.1 port ", 23) == 0);
	assert_null(strstr(out, "bytes from"));
	assert_null(strstr(out, "mode:"));
	expect_in(out, "\n\n--- 127.0.0.1 udp echo statistics ---\n"
		       "3 requests sent, 3 replies received, 0% loss, time ");
	expect_in(out, "\nrtt min/avg/max/mdev = ");
	assert_int_equal(count_lines(out), 5); /* header, blank, statistics, counts, rtt */
	free(out);
	stop(s);
	out = ping_zoo("drop-every-other", lossy, 0);
	assert_null(strstr(out, "no reply"));
	assert_null(strstr(out, "bytes from"));
	expect_in(out, "4 requests sent, 2 replies received, 50% loss");
	free(out);
}

/* The number before " requests sent" in a summary (or " request sent"). */
static unsigned long requests_sent(const char *out)
{
	const char *at = strstr(out, "udp echo statistics ---\n");

	assert_non_null(at);
	return strtoul(at + strlen("udp echo statistics ---\n"), NULL, 10);
}

/* -w: the run ends after DEADLINE whatever the count, with the summary. */
static void test_deadline_ends_the_run(void **state)
{
	static const char *const forever[] = {"-i", "0.05", "-w", "0.5", NULL};
	static const char *const counted[] = {"-c", "1000", "-i", "0.05", "-w", "0.5", NULL};
	static const char *const waiting[] = {"-c", "1", "-W", "5", "-w", "0.3", NULL};
	struct server *s;
	uint64_t t0, ms;
	char *out;

	(void)state;
	s = start_server("127.0.0.1", NULL);
	for (int i = 0; i < 2; i++) {
		unsigned long sent;

		t0 = now_ms();
		out = ping_out("127.0.0.1", s->port, i ? counted : forever, 0);
		ms = now_ms() - t0;
		sent = requests_sent(out);
		print_message("-w 0.5: %lu sent in %llu ms\n", sent, (unsigned long long)ms);
		assert_true(ms >= 450 && ms < 2000);
		assert_true(sent >= 5 && sent <= 12);
		expect_in(out, "% loss, time ");
		free(out);
	}
	stop(s);
	/* Nor does it wait out -W past the deadline. */
	t0 = now_ms();
	out = ping_zoo("silent", waiting, 1);
	ms = now_ms() - t0;
	assert_true(ms < 2000);
	expect_in(out, "1 request sent, 0 replies received, 100% loss");
	free(out);
}

/* -D: "[1733540000.123456] " before every line about a request, as ping -D. */
static void test_timestamps_before_each_line(void **state)
{
	static const char *const args[] = {"-c", "2", "-i", "0.05", "-D", NULL};
	struct server *s;
	char *out, *next;
	int stamped = 0;
	time_t t0 = time(NULL);

	(void)state;
	s = start_server("127.0.0.1", NULL);
	out = ping_out("127.0.0.1", s->port, args, 0);
	assert_true(strncmp(out, "UDPECHO ", 8) == 0); /* the header and summary as without */
	for (char *line = out; line != NULL && *line != '\0'; line = next) {
		unsigned long long sec;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strstr(line, "bytes from") == NULL)
			continue;
		/* Ten digits of seconds until 2286, then six of microseconds. */
		{
			char *after;
			unsigned long usec;

			assert_true(line[0] == '[');
			sec = strtoull(line + 1, &after, 10);
			assert_true(after == line + 11 && *after == '.');
			usec = strtoul(after + 1, &after, 10);
			assert_true(after == line + 18 && usec < 1000000u);
		}
		assert_true(line[11] == '.' && strncmp(line + 18, "] 64 bytes from ", 16) == 0);
		assert_true(sec + 5 >= (unsigned long long)t0 &&
			    sec <= (unsigned long long)time(NULL) + 5);
		stamped++;
	}
	assert_int_equal(stamped, 2);
	free(out);
	stop(s);
}

static void test_usage_errors_exit_2(void **state)
{
	static const char *const bad[][6] = {
		{"127.0.0.1", "-i", "0", NULL},
		{"127.0.0.1", "-i", "3601", NULL},
		{"127.0.0.1", "-c", "0", NULL},
		{"127.0.0.1", "--plus", "-s", "20", NULL},
		{"127.0.0.1", "--plus", "--rfc", NULL},
		{"127.0.0.1", "-W", "61", NULL},
		{"-c", "3", NULL},
		{"127.0.0.1", "7", "8", NULL},
		{"127.0.0.1", "-w", "0", NULL},
		{"127.0.0.1", "-w", "soon", NULL},
	};
	struct proc c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err;

		assert_int_equal(run_ping(&c, bad[i]), 2);
		err = proc_stderr(&c);
		assert_true(strncmp(err, "udpecho ping: ", 14) == 0);
		assert_int_equal(count_lines(err), 1);
		free(err);
		proc_cleanup(&c);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_plain_server_is_rfc862_and_answers_every_request,
					  stop_all),
		cmocka_unit_test_teardown(test_ipv6_literal, stop_all),
		cmocka_unit_test_teardown(test_every_other_dropped_is_half_loss, stop_all),
		cmocka_unit_test_teardown(test_duplicates_are_called_out_not_counted, stop_all),
		cmocka_unit_test_teardown(test_silent_server_exits_1, stop_all),
		cmocka_unit_test_teardown(test_every_size_from_empty_to_the_maximum, stop_all),
		cmocka_unit_test_teardown(test_nothing_listening_is_a_network_error, stop_all),
		cmocka_unit_test_teardown(test_sigint_prints_the_summary, stop_all),
		cmocka_unit_test_teardown(test_json_is_one_object_with_the_same_numbers, stop_all),
		cmocka_unit_test_teardown(
			test_plus_against_plain_server_exits_1_saying_it_is_not_echoplus, stop_all),
		cmocka_unit_test_teardown(test_echo_plus_server_shows_fields_and_directions,
					  stop_all),
		cmocka_unit_test_teardown(test_echo_plus_loss_by_direction_through_a_lossy_relay,
					  stop_all),
		cmocka_unit_test_teardown(test_plain_echo_stays_plain_once_detected, stop_all),
		cmocka_unit_test_teardown(test_server_time_beyond_the_round_trip_is_corrupt,
					  stop_all),
		cmocka_unit_test_teardown(test_empty_requests_each_get_their_own_error, stop_all),
		cmocka_unit_test_teardown(test_singular_counts, stop_all),
		cmocka_unit_test_teardown(test_replies_from_another_address_are_counted, stop_all),
		cmocka_unit_test_teardown(test_truncated_reply_is_said_and_counted_once, stop_all),
		cmocka_unit_test_teardown(test_sigquit_prints_status_and_goes_on, stop_all),
		cmocka_unit_test_teardown(test_quiet_prints_only_the_summary, stop_all),
		cmocka_unit_test_teardown(test_deadline_ends_the_run, stop_all),
		cmocka_unit_test_teardown(test_timestamps_before_each_line, stop_all),
		cmocka_unit_test_teardown(test_usage_errors_exit_2, stop_all),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
