/*
 * test_check_zoo.c: `udpecho check` against the zoo of broken servers and
 * against udpecho-server.  Each broken server must get exactly its own
 * defect named (the set of failing and warning check IDs, and the key
 * evidence), run after run; a correct server passes everything.
 */
#include <arpa/inet.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Everything but safety.loop, whose verdict depends on privilege: tested on its own below. */
#define ZOO_CHECKS                                                                                 \
	"echo.*,reply.*,burst.*,clients.*,safety.amplification,latency,echoplus.*,server.*"
/* Every check a server that stopped answering early leaves unjudged, in report order. */
#define NOT_JUDGED                                                                                 \
	"echo.basic,echo.empty,echo.bytes,echo.sizes,reply.source,reply.once,burst.boundaries,"    \
	"clients.isolation,safety.amplification,burst.loss,clients.many"
#define MAX_IDS 16

struct verdicts {
	int exit_status;
	char fail[MAX_IDS][32], warn[MAX_IDS][32], inconclusive[MAX_IDS][32];
	int nfail, nwarn, npass, nskip, ninconclusive;
	char *json;
};

/* Reads the statuses from --format json: one check object per line. */
static void parse_json(struct verdicts *v)
{
	const char *line = v->json;

	while ((line = strstr(line, "{\"id\": \"")) != NULL) {
		char id[32], status[16];

		if (sscanf(line,
			   "{\"id\": \"%31[^\"]\", \"level\": \"%*[A-Z]\", \"status\": "
			   "\"%15[a-z]\"",
			   id, status) == 2) {
			if (strcmp(status, "fail") == 0 && v->nfail < MAX_IDS)
				snprintf(v->fail[v->nfail++], sizeof(v->fail[0]), "%s", id);
			else if (strcmp(status, "warn") == 0 && v->nwarn < MAX_IDS)
				snprintf(v->warn[v->nwarn++], sizeof(v->warn[0]), "%s", id);
			else if (strcmp(status, "inconclusive") == 0 && v->ninconclusive < MAX_IDS)
				snprintf(v->inconclusive[v->ninconclusive++],
					 sizeof(v->inconclusive[0]), "%s", id);
			else if (strcmp(status, "pass") == 0)
				v->npass++;
			else
				v->nskip++;
		}
		line++;
	}
}

static void run_check(struct verdicts *v, const char *host, uint16_t port, const char *only)
{
	char portbuf[16];
	struct proc p;
	const char *argv[] = {harness_client_bin,
			      "check",
			      host,
			      portbuf,
			      "--format",
			      "json",
			      only != NULL ? "--only" : NULL,
			      only,
			      NULL};

	memset(v, 0, sizeof(*v));
	snprintf(portbuf, sizeof(portbuf), "%u", port);
	v->exit_status = proc_run(&p, argv, 120000);
	v->json = proc_stdout(&p);
	parse_json(v);
	proc_cleanup(&p);
}

/* "a,b" against the collected IDs, order as the checks run. */
static void expect_ids(char ids[][32], int n, const char *want, const char *what, const char *json)
{
	char got[512] = "";
	size_t used = 0;

	for (int i = 0; i < n && used < sizeof(got); i++)
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", i > 0 ? "," : "",
					 ids[i]);
	if (strcmp(got, want) != 0) {
		/* The whole report on stderr: fail_msg keeps only its first kilobyte or so. */
		fprintf(stderr, "%s\n", json);
		fail_msg("%s checks were '%s', wanted '%s'", what, got, want);
	}
}

struct zoo_case {
	const char *defect;
	const char *arg;  /* NULL when the defect takes none */
	const char *bind; /* where the zoo server listens */
	const char *target;
	const char *fails;
	const char *warns;
	const char *evidence[4]; /* substrings the JSON must hold */
	int exit_status;
	const char *inconclusive; /* NULL: none */
};

static void run_zoo_case(const struct zoo_case *c)
{
	const char *args[] = {"--bind", c->bind, c->defect, c->arg, NULL};
	struct verdicts v;
	struct server s;

	assert_non_null(harness_zoo_bin);
	assert_int_equal(server_start_bin(&s, harness_zoo_bin, args), 0);
	run_check(&v, c->target, s.port, ZOO_CHECKS);
	kill(s.proc.pid, SIGTERM);
	proc_wait(&s.proc, HARNESS_WAIT_MS);
	proc_cleanup(&s.proc);
	expect_ids(v.fail, v.nfail, c->fails, "failing", v.json);
	expect_ids(v.warn, v.nwarn, c->warns, "warning", v.json);
	expect_ids(v.inconclusive, v.ninconclusive, c->inconclusive ? c->inconclusive : "",
		   "inconclusive", v.json);
	for (int i = 0; i < 4 && c->evidence[i] != NULL; i++) {
		if (strstr(v.json, c->evidence[i]) == NULL)
			fail_msg("no '%s' in\n%s", c->evidence[i], v.json);
	}
	assert_int_equal(v.exit_status, c->exit_status);
	free(v.json);
}

/* Runs a case `times` times on IPv4 (and once on IPv6 when v6 is given). */
static void zoo(const struct zoo_case *c, int times, const struct zoo_case *v6)
{
	for (int i = 0; i < times; i++)
		run_zoo_case(c);
	if (v6 != NULL)
		run_zoo_case(v6);
}

#define V4(defect, arg, fails, warns, ...)                                                         \
	((struct zoo_case){defect,                                                                 \
			   arg,                                                                    \
			   "127.0.0.1",                                                            \
			   "127.0.0.1",                                                            \
			   fails,                                                                  \
			   warns,                                                                  \
			   {__VA_ARGS__},                                                          \
			   strcmp(fails, "") == 0 ? 0 : 1,                                         \
			   NULL})
#define V6(defect, arg, fails, warns, ...)                                                         \
	((struct zoo_case){defect,                                                                 \
			   arg,                                                                    \
			   "::1",                                                                  \
			   "::1",                                                                  \
			   fails,                                                                  \
			   warns,                                                                  \
			   {__VA_ARGS__},                                                          \
			   strcmp(fails, "") == 0 ? 0 : 1,                                         \
			   NULL})

/* A case whose MUST checks are partly inconclusive: the run fails (exit 1) either way. */
static struct zoo_case with_inconclusive(struct zoo_case c, const char *inconclusive)
{
	c.inconclusive = inconclusive;
	c.exit_status = 1;
	return c;
}

static void test_truncating_server(void **state)
{
	const struct zoo_case v4 = V4("truncate", "4096", "echo.sizes", "",
				      "truncates to 4096 bytes (sent 4097, got the first 4096)",
				      "\"max_exact\": 4096, \"truncated_to\": 4096", NULL);
	const struct zoo_case v6 = V6("truncate", "8192", "echo.sizes", "",
				      "\"max_exact\": 8192, \"truncated_to\": 8192", NULL);

	(void)state;
	zoo(&v4, 3, &v6);
}

static void test_server_ignoring_empty_datagrams(void **state)
{
	const struct zoo_case v4 = V4(
		"ignore-empty", NULL, "echo.empty", "",
		"no reply to a 0-byte datagram (4 tries), while a probe from the same socket was "
		"answered",
		"\"failure\": \"silence\"", NULL);
	const struct zoo_case v6 = V6("ignore-empty", NULL, "echo.empty", "", NULL);

	(void)state;
	zoo(&v4, 2, &v6);
}

static void test_wildcard_server_replying_from_wrong_address(void **state)
{
	const struct zoo_case c = {"plain",
				   NULL,
				   "0.0.0.0",
				   "127.0.0.2",
				   "reply.source",
				   "",
				   {"reply came from 127.0.0.1:", "request went to 127.0.0.2:",
				    "\"failure\": \"sender\"", NULL},
				   1,
				   NULL};

	(void)state;
	zoo(&c, 3, NULL);
}

static void test_stream_server_merging_datagrams(void **state)
{
	const struct zoo_case v4 = V4("stream", NULL, "burst.boundaries", "",
				      "came back merged into one", "\"failure\": \"merged\"", NULL);
	const struct zoo_case v6 = V6("stream", NULL, "burst.boundaries", "", "merged", NULL);

	(void)state;
	zoo(&v4, 3, &v6);
}

static void test_server_replying_to_previous_sender(void **state)
{
	const struct zoo_case v4 =
		V4("previous-sender", NULL, "clients.isolation", "latency",
		   "client 1 received client 2's data", "\"failure\": \"crosstalk\"",
		   "some replies came only after their check stopped waiting", NULL);
	const struct zoo_case v6 = V6("previous-sender", NULL, "clients.isolation", "latency",
				      "received client", NULL);

	(void)state;
	zoo(&v4, 3, &v6);
}

static void test_server_replying_twice(void **state)
{
	const struct zoo_case v4 =
		V4("twice", NULL, "reply.once,safety.amplification", "",
		   "request 1 was answered 2 times", "(2.00x)", "\"failure\": \"duplicate\"", NULL);
	const struct zoo_case v6 = V6("twice", NULL, "reply.once,safety.amplification", "", NULL);

	(void)state;
	zoo(&v4, 3, &v6);
}

static void test_server_dropping_every_other_datagram(void **state)
{
	const struct zoo_case v4 = V4("drop-every-other", NULL, "", "burst.loss",
				      "(50.0% loss, window 32, no retries)", NULL);
	const struct zoo_case v6 = V6("drop-every-other", NULL, "", "burst.loss", NULL);

	(void)state;
	zoo(&v4, 1, &v6);
}

static void test_server_flipping_a_byte_deep_inside(void **state)
{
	const struct zoo_case v4 = V4(
		"flip-at", "30000", "echo.sizes", "", "altered at byte 30000 of 32768",
		"largest exact echo 30000 bytes", "\"max_exact\": 30000", "\"failure\": \"bytes\"");
	const struct zoo_case v6 =
		V6("flip-at", "20000", "echo.sizes", "", "\"max_exact\": 20000", NULL);

	(void)state;
	zoo(&v4, 3, &v6);
}

static void test_server_stopping_at_nul(void **state)
{
	const struct zoo_case v4 =
		V4("nul", NULL, "echo.bytes", "",
		   "stops at the first NUL byte (sent 257, got the first 0)", NULL);
	const struct zoo_case v6 = V6("nul", NULL, "echo.bytes", "", NULL);

	(void)state;
	zoo(&v4, 3, &v6);
}

static void test_server_adding_bytes(void **state)
{
	const struct zoo_case v4 = V4(
		"extra", "2",
		"echo.basic,echo.empty,echo.bytes,echo.sizes,burst.boundaries,safety.amplification",
		"", "2 bytes longer than the 42 sent", "a 0-byte datagram came back as 2 bytes",
		NULL);
	const struct zoo_case v6 = V6(
		"extra", "2",
		"echo.basic,echo.empty,echo.bytes,echo.sizes,burst.boundaries,safety.amplification",
		"", NULL);

	(void)state;
	zoo(&v4, 3, &v6);
}

/*
 * Replies 3 s late, after every wait has given up: no check may take a late
 * reply for its own (wrong bytes or size), and none is judged on silence:
 * server.alive says the replies come late.
 */
static void test_late_replies_are_not_mistaken_for_answers(void **state)
{
	const struct zoo_case c = with_inconclusive(
		V4("delay", "3000", "", "latency", "too late to count",
		   "replies come only after every wait gave up", NULL),
		"echo.basic,echo.empty,echo.bytes,echo.sizes,reply.source,reply.once,"
		"burst.boundaries,clients.isolation,burst.loss,clients.many,"
		"server.alive");

	(void)state;
	zoo(&c, 1, NULL);
}

/* Answers nothing: server.alive names it, and nothing else is judged on silence. */
static void test_silent_server(void **state)
{
	const struct zoo_case c = with_inconclusive(V4("silent", NULL, "server.alive", "",
						       "answered nothing: none of ",
						       "\"failure\": \"silence\"", NULL),
						    NOT_JUDGED);

	(void)state;
	zoo(&c, 1, NULL);
}

/* An inetd-style echo that exits on its first datagram: the port closes after it. */
static void test_server_exiting_on_its_first_datagram(void **state)
{
	const struct zoo_case v4 = with_inconclusive(
		V4("exit-after", "0", "server.alive", "",
		   "its port closed (ICMP port unreachable) after echoplus.fields request 1 (24 "
		   "bytes): it exited or crashed before answering anything",
		   "\"failure\": \"closed\"", "\"after_check\": \"echoplus.fields\"", NULL),
		NOT_JUDGED);
	const struct zoo_case v6 = with_inconclusive(
		V6("exit-after", "0", "server.alive", "", "\"how\": \"closed\"", NULL), NOT_JUDGED);

	(void)state;
	zoo(&v4, 2, &v6);
}

/* What ran before the crash keeps its verdict; what did not is inconclusive. */
#define AFTER_SIZES_BUT_MANY "reply.source,reply.once,burst.boundaries,clients.isolation,burst.loss"
#define AFTER_SIZES AFTER_SIZES_BUT_MANY ",clients.many"

static void test_server_exiting_mid_run(void **state)
{
	const struct zoo_case c = with_inconclusive(V4("exit-after", "30", "server.alive", "",
						       "its port closed (ICMP port unreachable) "
						       "after reply.source request 2 (64 bytes)",
						       "\"after_request\": 2", NULL),
						    AFTER_SIZES);

	(void)state;
	zoo(&c, 2, NULL);
}

static void test_server_hanging_mid_run(void **state)
{
	const struct zoo_case v4 = with_inconclusive(
		V4("hang-after", "30", "server.alive", "",
		   "silent since reply.source request 2 (64 bytes): it answered 30 requests",
		   "\"failure\": \"hang\"", NULL),
		AFTER_SIZES);
	const struct zoo_case v6 = with_inconclusive(
		V6("hang-after", "30", "server.alive", "", "\"how\": \"hung\"", NULL), AFTER_SIZES);

	(void)state;
	zoo(&v4, 1, &v6);
}

/*
 * Never answers a datagram of 64 bytes, any other it does: retries cannot
 * fill the sample of the checks that send 64-byte requests, so none of
 * them may pass, and the silence is echo.sizes' failure.
 */
static void test_no_pass_on_a_partial_sample(void **state)
{
	const struct zoo_case v4 = with_inconclusive(
		V4("ignore-size", "64", "echo.sizes", "",
		   "no reply to a 64-byte datagram (4 tries); largest exact echo 63 bytes",
		   "\"failure\": \"silence\"", NULL),
		AFTER_SIZES);
	const struct zoo_case v6 = with_inconclusive(
		V6("ignore-size", "64", "echo.sizes", "", "\"max_exact\": 63", NULL), AFTER_SIZES);

	(void)state;
	zoo(&v4, 1, &v6);
}

/* Connects its socket to its first client (nc -u -l): every other client is refused. */
#define BEFORE_TOTALS                                                                              \
	"echo.basic,echo.empty,echo.bytes,echo.sizes,reply.source,reply.once,burst.boundaries,"    \
	"clients.isolation,burst.loss"

static void test_server_serving_only_its_first_client(void **state)
{
	const struct zoo_case v4 = with_inconclusive(
		V4("connect-first", NULL, "clients.many", "",
		   "the server stopped serving new clients after 1: a new client was refused (ICMP "
		   "port unreachable)",
		   "\"served\": 1, \"first_unserved\": 2", "\"failure\": \"refused\"", NULL),
		BEFORE_TOTALS);
	const struct zoo_case v6 = with_inconclusive(
		V6("connect-first", NULL, "clients.many", "", "\"first_unserved\": 2", NULL),
		BEFORE_TOTALS);

	(void)state;
	zoo(&v4, 2, &v6);
}

/* Serves its first 30 clients only: every other check is judged first, then the limit. */
static void test_server_with_a_client_limit(void **state)
{
	const struct zoo_case v4 =
		V4("per-client", "30", "clients.many", "",
		   "the server stopped serving new clients after 30:", "\"failure\": \"unserved\"",
		   NULL);
	const struct zoo_case v6 = V6("per-client", "30", "clients.many", "",
				      "stopped serving new clients after 30:", NULL);

	(void)state;
	zoo(&v4, 2, &v6);
}

/* A limit so small that an earlier check finds it: clients.many still names it. */
static void test_server_with_a_small_client_limit(void **state)
{
	const struct zoo_case v4 = with_inconclusive(
		V4("per-client", "5", "clients.many", "",
		   "the server stopped serving new clients after 5: a new client was ignored",
		   "\"served\": 5, \"first_unserved\": 6", NULL),
		AFTER_SIZES_BUT_MANY);
	const struct zoo_case v6 = with_inconclusive(
		V6("per-client", "5", "clients.many", "", "\"first_unserved\": 6", NULL),
		AFTER_SIZES_BUT_MANY);

	(void)state;
	zoo(&v4, 1, &v6);
}

/* Alters one byte of every reply: wrong replies, never loss or silence. */
static void test_server_altering_every_reply(void **state)
{
	const struct zoo_case v4 =
		V4("alter", "0", "echo.basic,echo.bytes,echo.sizes,burst.boundaries", "",
		   "128 of 128 echoed (0.0% loss", "answered exactly once (some replies altered)",
		   "the classic 42-byte message: altered at byte 0 of 42", NULL);
	const struct zoo_case v6 =
		V6("alter", "20", "echo.basic,echo.bytes,echo.sizes,burst.boundaries", "",
		   "(0.0% loss", NULL);

	(void)state;
	zoo(&v4, 2, &v6);
}

static void expect_all_pass(const char *bind, const char *target)
{
	const char *args[] = {"--bind", bind, "--port", "0", NULL};
	struct verdicts v;
	struct server s;

	assert_int_equal(server_start(&s, args), 0);
	run_check(&v, target, s.port, NULL);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
	expect_ids(v.fail, v.nfail, "", "failing", v.json);
	expect_ids(v.warn, v.nwarn, "", "warning", v.json);
	/* safety.loop is skipped without privilege; everything else passes. */
	assert_int_equal(v.npass + v.nskip, 15);
	assert_non_null(strstr(v.json, "not a UDPEchoPlus responder"));
	assert_true(v.nskip <= (geteuid() == 0 ? 0 : 1));
	assert_non_null(strstr(v.json, "\"max_exact\": "));
	assert_int_equal(v.exit_status, 0);
	free(v.json);
}

static void test_udpecho_server_passes_everything(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		expect_all_pass("127.0.0.1", "127.0.0.1");
	expect_all_pass("::1", "::1");
	expect_all_pass("0.0.0.0", "127.0.0.2");
	expect_all_pass("::", "127.0.0.2");
	expect_all_pass("::", "::1");
}

/*
 * TR-143 UDPEchoPlus responders: a correct one is named as such (the two
 * checks with fixed RFC 862 payloads warn why they differ; everything else
 * passes in the UDPEchoPlus dialect), a wrong one gets the field named.
 */
static void test_udpechoplus_responder_is_named_as_such(void **state)
{
	const struct zoo_case v4 = V4("plus", NULL, "", "echo.basic,echo.bytes",
				      "\"level\": \"MUST\", \"status\": \"pass\", \"detail\": \"a "
				      "TR-143 UDPEchoPlus responder",
				      "differs only in the UDPEchoPlus fields (bytes 4-19)",
				      "\"detected\": \"udpechoplus\"", "\"max_exact\": 65507");
	const struct zoo_case v6 =
		V6("plus", NULL, "", "echo.basic,echo.bytes", "\"detected\": \"udpechoplus\"",
		   "\"max_exact\": 65527", NULL);

	(void)state;
	zoo(&v4, 2, &v6);
}

/* udpecho-server --echo-plus, IPv4 and IPv6, one and two threads: a correct responder. */
static void test_udpecho_server_echo_plus_passes(void **state)
{
	static const char *const binds[][2] = {
		{"127.0.0.1", "1"}, {"::1", "1"}, {"127.0.0.1", "2"}};

	(void)state;
	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		const char *args[] = {"--bind",      binds[i][0], "--port",    "0",
				      "--echo-plus", "--threads", binds[i][1], NULL};
		struct verdicts v;
		struct server s;

		assert_int_equal(server_start(&s, args), 0);
		run_check(&v, binds[i][0], s.port, ZOO_CHECKS);
		assert_int_equal(server_stop(&s, SIGINT), 0);
		proc_cleanup(&s.proc);
		expect_ids(v.fail, v.nfail, "", "failing", v.json);
		expect_ids(v.warn, v.nwarn, "echo.basic,echo.bytes", "warning", v.json);
		if (strstr(v.json, "\"status\": \"pass\", \"detail\": \"a TR-143 UDPEchoPlus "
				   "responder: 12 replies with every field right") == NULL)
			fail_msg("not named a UDPEchoPlus responder:\n%s", v.json);
		assert_non_null(strstr(v.json, "differs only in the UDPEchoPlus fields"));
		assert_int_equal(v.exit_status, 0);
		free(v.json);
	}
}

static void test_udpechoplus_little_endian_stamps(void **state)
{
	const struct zoo_case v4 = V4("plus-le", NULL, "echoplus.fields", "echo.basic,echo.bytes",
				      "\"level\": \"MUST\", \"status\": \"fail\"", "TimeStamp\"",
				      "\"detected\": \"udpechoplus\"", NULL);

	(void)state;
	zoo(&v4, 3, NULL);
}

static void test_udpechoplus_counting_received_not_answered(void **state)
{
	/* It refuses every 4th request: the refusals also show as loss, never as bad data. */
	const struct zoo_case v4 =
		V4("plus-count-received", NULL, "echoplus.fields",
		   "echo.basic,echo.bytes,burst.loss", "\"field\": \"TestRespSN\"",
		   "TestRespReplyFailureCount up by 1: it does not count answered requests", NULL);

	(void)state;
	zoo(&v4, 3, NULL);
}

static void test_plain_server_on_specific_address_passes(void **state)
{
	const struct zoo_case v4 = V4("plain", NULL, "", "", "\"max_exact\": 65507", NULL);
	const struct zoo_case v6 = V6("plain", NULL, "", "", "\"max_exact\": 65527", NULL);

	(void)state;
	zoo(&v4, 1, &v6);
}

/*
 * Impairments between check and a correct server: loss and duplication must
 * be reported as such, reordering and delay not at all, never wrong bytes.
 */
struct relay_case {
	const char *rule, *arg, *fails, *warns, *evidence;
};

static void run_relay_case(const struct relay_case *c)
{
	const char *server_args[] = {"--bind", "127.0.0.1", "--port", "0", NULL};
	char port[16];
	struct server s, relay;
	struct verdicts v;

	assert_non_null(harness_relay_bin);
	assert_int_equal(server_start(&s, server_args), 0);
	snprintf(port, sizeof(port), "%u", s.port);
	const char *relay_args[] = {"--target-port", port, c->rule, c->arg, NULL};

	assert_int_equal(server_start_bin(&relay, harness_relay_bin, relay_args), 0);
	run_check(&v, "127.0.0.1", relay.port, ZOO_CHECKS);
	kill(relay.proc.pid, SIGTERM);
	proc_wait(&relay.proc, HARNESS_WAIT_MS);
	proc_cleanup(&relay.proc);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
	expect_ids(v.fail, v.nfail, c->fails, "failing", v.json);
	expect_ids(v.warn, v.nwarn, c->warns, "warning", v.json);
	if (c->evidence != NULL && strstr(v.json, c->evidence) == NULL)
		fail_msg("no '%s' in\n%s", c->evidence, v.json);
	if (strstr(v.json, "\"failure\": \"bytes\"") != NULL ||
	    strstr(v.json, "\"failure\": \"size\"") != NULL)
		fail_msg("an impairment was reported as wrong bytes or size:\n%s", v.json);
	free(v.json);
}

static void test_impairments_are_named_as_such(void **state)
{
	static const struct relay_case cases[] = {
		{"--drop", "5", "", "burst.loss", "% loss, window 32"},
		{"--dup", "3", "reply.once,safety.amplification", "", "\"failure\": \"duplicate\""},
		{"--reorder", "3", "", "", NULL},
		{"--delay", "30", "", "", "\"p50_ms\": "},
	};

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_relay_case(&cases[i]);
	}
}

/*
 * A UDPEchoPlus responder behind a path slower than --timeout: every
 * request's first try is answered only after its retry went out.  The
 * replies to earlier tries must count, as in every other check, or the
 * responder would be taken for a plain echo that alters bytes 4-19.
 */
static void test_udpechoplus_responder_on_a_slow_path(void **state)
{
	const char *server_args[] = {"--bind", "127.0.0.1", "--port", "0", "--echo-plus", NULL};
	char port[16], relay_port[16];
	struct server s, relay;
	struct verdicts v;
	struct proc p;

	(void)state;
	assert_non_null(harness_relay_bin);
	assert_int_equal(server_start(&s, server_args), 0);
	snprintf(port, sizeof(port), "%u", s.port);
	/* 60 ms each way: a 120 ms round trip against a 100 ms --timeout. */
	const char *relay_args[] = {"--target-port", port, "--delay", "60", NULL};

	assert_int_equal(server_start_bin(&relay, harness_relay_bin, relay_args), 0);
	snprintf(relay_port, sizeof(relay_port), "%u", relay.port);
	const char *argv[] = {harness_client_bin, "check", "127.0.0.1", relay_port,
			      "--timeout",        "100ms", "--only",    ZOO_CHECKS,
			      "--format",         "json",  NULL};

	memset(&v, 0, sizeof(v));
	v.exit_status = proc_run(&p, argv, 120000);
	v.json = proc_stdout(&p);
	parse_json(&v);
	proc_cleanup(&p);
	kill(relay.proc.pid, SIGTERM);
	proc_wait(&relay.proc, HARNESS_WAIT_MS);
	proc_cleanup(&relay.proc);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
	expect_ids(v.fail, v.nfail, "", "failing", v.json);
	if (strstr(v.json, "\"detected\": \"udpechoplus\"") == NULL)
		fail_msg("the responder was not detected:\n%s", v.json);
	assert_int_equal(v.exit_status, 0);
	free(v.json);
}

static int run_client(const char *const *args, struct proc *p)
{
	const char *argv[HARNESS_MAX_ARGS];
	int n = 0;

	argv[n++] = harness_client_bin;
	argv[n++] = "check";
	while (*args != NULL)
		argv[n++] = *args++;
	argv[n] = NULL;
	return proc_run(p, argv, 120000);
}

static void test_self_check_without_host(void **state)
{
	const char *v4[] = {NULL};
	const char *v6[] = {"-6", NULL};
	struct proc p;
	char *out;

	(void)state;
	assert_int_equal(run_client(v4, &p), 0);
	out = proc_stdout(&p);
	assert_true(strncmp(out, "udpecho check: built-in server at 127.0.0.1 port ", 49) == 0);
	assert_non_null(strstr(out, "echo.sizes PASS MUST: every size up to 65507 bytes"));
	assert_non_null(strstr(out, " 0 failed, 0 warned"));
	free(out);
	proc_cleanup(&p);
	assert_int_equal(run_client(v6, &p), 0);
	out = proc_stdout(&p);
	assert_non_null(strstr(out, "built-in server at ::1 port "));
	assert_non_null(strstr(out, "every size up to 65527 bytes"));
	free(out);
	proc_cleanup(&p);
}

static void test_safety_loop(void **state)
{
	const char *zoo_args[] = {"--bind", "127.0.0.1", "plain", NULL};
	const char *ours[] = {"--bind", "127.0.0.1", "--port", "0", NULL};
	struct verdicts v;
	struct server s;

	(void)state;
	assert_int_equal(server_start_bin(&s, harness_zoo_bin, zoo_args), 0);
	run_check(&v, "127.0.0.1", s.port, "safety.loop");
	kill(s.proc.pid, SIGTERM);
	proc_wait(&s.proc, HARNESS_WAIT_MS);
	proc_cleanup(&s.proc);
	if (geteuid() != 0) {
		assert_non_null(strstr(v.json, "needs privilege to send from port 7"));
		free(v.json);
		print_message("skipped: the loop-port probe needs root (CI runs as root)\n");
		skip();
		return;
	}
	expect_ids(v.warn, v.nwarn, "safety.loop", "warning", v.json);
	assert_non_null(strstr(v.json, "answers requests from source port 7 (echo)"));
	assert_int_equal(v.exit_status, 0); /* INFO never fails a run */
	free(v.json);
	assert_int_equal(server_start(&s, ours), 0);
	run_check(&v, "127.0.0.1", s.port, "safety.loop");
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
	assert_non_null(strstr(v.json, "ignores requests from source ports 7 (echo) and 19"));
	free(v.json);
}

static void test_nothing_listening_is_a_quick_error(void **state)
{
	int fd = udp_bound("127.0.0.1", 0);
	char port[16], want[128];
	struct timespec t0, t1;
	struct proc p;
	char *err;

	(void)state;
	snprintf(port, sizeof(port), "%u", udp_local_port(fd));
	close(fd);
	const char *args[] = {"127.0.0.1", port, NULL};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run_client(args, &p), 2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	err = proc_stderr(&p);
	snprintf(want, sizeof(want),
		 "udpecho: nothing listening on 127.0.0.1:%s (ICMP port unreachable)\n", port);
	assert_string_equal(err, want);
	free(err);
	proc_cleanup(&p);
}

static void expect_usage_error(const char *const *args, const char *want)
{
	struct proc p;
	char *err;

	assert_int_equal(run_client(args, &p), 2);
	err = proc_stderr(&p);
	if (strstr(err, want) == NULL || count_lines(err) != 1)
		fail_msg("stderr was '%s', wanted one line with '%s'", err, want);
	free(err);
	proc_cleanup(&p);
}

static void test_bad_arguments(void **state)
{
	const char *format[] = {"--format", "xml", NULL};
	const char *only[] = {"--only", "echo.basic,nope", NULL};
	const char *retries[] = {"--retries", "0", NULL};
	const char *port[] = {"127.0.0.1", "0", NULL};
	const char *family[] = {"-4", "::1", NULL};
	const char *extra[] = {"127.0.0.1", "7", "8", NULL};
	const char *both[] = {"-4", "-6", NULL};
	const char *quick[] = {"--timeout", "999us", NULL};
	/* Replies come from the server's own address: reply.source cannot hold for these. */
	const char *wildcard4[] = {"0.0.0.0", "7", NULL};
	const char *wildcard6[] = {"::", "7", NULL};
	const char *multicast[] = {"224.0.0.1", "7", NULL};

	(void)state;
	expect_usage_error(format, "--format: 'xml' is not text, tap, junit, json or html");
	expect_usage_error(only, "--only: 'nope' is not a check ID (see --list)");
	expect_usage_error(retries, "--retries: '0' is not a number of tries from 1 to 10");
	expect_usage_error(port, "PORT: '0' is not a port number (1-65535)");
	expect_usage_error(family, "'::1': is an IPv6 address, but IPv4 was asked for");
	expect_usage_error(extra, "unexpected argument '8'");
	expect_usage_error(both, "give -4 or -6, not both");
	expect_usage_error(quick, "--timeout: '999us' is not a duration from 1 ms to 60 s");
	expect_usage_error(wildcard4, "'0.0.0.0' is not a unicast address: give the server's own");
	expect_usage_error(wildcard6, "'::' is not a unicast address");
	expect_usage_error(multicast, "'224.0.0.1' is not a unicast address");
}

static void test_list(void **state)
{
	const char *args[] = {"--list", NULL};
	struct proc p;
	char *out;

	(void)state;
	assert_int_equal(run_client(args, &p), 0);
	out = proc_stdout(&p);
	assert_int_equal(count_lines(out), 15);
	assert_non_null(strstr(out, "echoplus.fields        INFO "));
	assert_non_null(strstr(out, "burst.loss             SHOULD "));
	free(out);
	proc_cleanup(&p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udpecho_server_passes_everything),
		cmocka_unit_test(test_self_check_without_host),
		cmocka_unit_test(test_plain_server_on_specific_address_passes),
		cmocka_unit_test(test_udpechoplus_responder_is_named_as_such),
		cmocka_unit_test(test_udpecho_server_echo_plus_passes),
		cmocka_unit_test(test_udpechoplus_little_endian_stamps),
		cmocka_unit_test(test_udpechoplus_counting_received_not_answered),
		cmocka_unit_test(test_truncating_server),
		cmocka_unit_test(test_server_ignoring_empty_datagrams),
		cmocka_unit_test(test_wildcard_server_replying_from_wrong_address),
		cmocka_unit_test(test_stream_server_merging_datagrams),
		cmocka_unit_test(test_server_replying_to_previous_sender),
		cmocka_unit_test(test_server_replying_twice),
		cmocka_unit_test(test_server_dropping_every_other_datagram),
		cmocka_unit_test(test_server_flipping_a_byte_deep_inside),
		cmocka_unit_test(test_server_stopping_at_nul),
		cmocka_unit_test(test_server_adding_bytes),
		cmocka_unit_test(test_late_replies_are_not_mistaken_for_answers),
		cmocka_unit_test(test_silent_server),
		cmocka_unit_test(test_server_exiting_on_its_first_datagram),
		cmocka_unit_test(test_server_exiting_mid_run),
		cmocka_unit_test(test_server_hanging_mid_run),
		cmocka_unit_test(test_no_pass_on_a_partial_sample),
		cmocka_unit_test(test_server_serving_only_its_first_client),
		cmocka_unit_test(test_server_with_a_client_limit),
		cmocka_unit_test(test_server_with_a_small_client_limit),
		cmocka_unit_test(test_server_altering_every_reply),
		cmocka_unit_test(test_impairments_are_named_as_such),
		cmocka_unit_test(test_udpechoplus_responder_on_a_slow_path),
		cmocka_unit_test(test_safety_loop),
		cmocka_unit_test(test_nothing_listening_is_a_quick_error),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_list),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
