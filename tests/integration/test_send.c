/*
 * test_send.c: `udpecho send` and the classic transcripts of both programs,
 * compared with what the Python example prints (tests/golden/).
 */
#include <arpa/inet.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define MAX_V4 65507
#define MAX_V6 65527

static char *golden(const char *name)
{
	char path[512];
	char *text;

	snprintf(path, sizeof(path), "%s/%s", harness_golden_dir, name);
	text = read_file(path, NULL);
	assert_non_null(text);
	return text;
}

/* Starts `udpecho send ARGS...` (ARGS ends with NULL). */
static void spawn_send(struct proc *p, const char *const *args)
{
	const char *argv[HARNESS_MAX_ARGS];
	int n = 0;

	argv[n++] = harness_client_bin;
	argv[n++] = "send";
	while (*args != NULL)
		argv[n++] = *args++;
	argv[n] = NULL;
	assert_int_equal(proc_spawn(p, argv), 0);
}

/* Runs `udpecho send ARGS...` to completion; returns its exit status. */
static int run_send(struct proc *p, const char *const *args)
{
	spawn_send(p, args);
	return proc_wait(p, HARNESS_WAIT_MS);
}

static void expect_stderr(const struct proc *p, const char *want)
{
	char *err = proc_stderr(p);

	if (strcmp(err, want) != 0)
		fail_msg("stderr was '%s', wanted '%s'", err, want);
	free(err);
}

/* The golden server transcript with the real ports and this family's form of the peer. */
static char *expected_server_transcript(const char *bind, const char *port, const char *peer)
{
	char *gold = golden("server-transcript.txt");
	char startup[96], *tmp, *want;

	snprintf(startup, sizeof(startup), "starting up on %s port %s", bind, port);
	tmp = str_replace_all(gold, "starting up on localhost port 10000", startup);
	want = str_replace_all(tmp, "('127.0.0.1', PORT)", peer);
	free(gold);
	free(tmp);
	return want;
}

/*
 * The classic pair, line for line: the client's transcript exactly as
 * Python prints it; the server's too (ports aside), then our summary line.
 * peer_form is how the server shows the client, with PORT for its port.
 */
static void classic_pair(const char *bind, const char *host, const char *peer_form)
{
	const char *server_args[] = {"--bind", bind, "--port", "0", "-v", NULL};
	char port[16], client_port[16], prefix[64];
	struct server s;
	struct proc c;
	char *out, *want, *gold, *peer;
	const char *at;

	assert_int_equal(server_start(&s, server_args), 0);
	snprintf(port, sizeof(port), "%u", s.port);
	const char *send_args[] = {"--host", host, "--port", port, NULL};

	assert_int_equal(run_send(&c, send_args), 0);
	out = proc_stdout(&c);
	gold = golden("client-transcript.txt");
	assert_string_equal(out, gold);
	free(out);
	free(gold);
	expect_stderr(&c, "");
	proc_cleanup(&c);

	assert_int_equal(server_stop(&s, SIGINT), 0);
	out = proc_stdout(&s.proc);
	/* The client's ephemeral port, read from the "received" line. */
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(strstr(peer_form, "PORT") - peer_form),
		 peer_form);
	at = strstr(out, prefix);
	assert_non_null(at);
	assert_int_equal(sscanf(at + strlen(prefix), "%15[0-9]", client_port), 1);
	peer = str_replace_all(peer_form, "PORT", client_port);
	want = expected_server_transcript(bind, port, peer);
	free(peer);
	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("server transcript:\n%s\nwanted it to start with:\n%s", out, want);
	assert_non_null(strstr(out + strlen(want), "summary: received=1 bytes_in=42 echoed=1"));
	assert_int_equal(count_lines(out), count_lines(want) + 1);
	free(out);
	free(want);
	proc_cleanup(&s.proc);
}

static void test_classic_transcripts_ipv4(void **state)
{
	(void)state;
	classic_pair("localhost", "localhost", "('127.0.0.1', PORT)");
}

static void test_classic_transcripts_ipv6(void **state)
{
	(void)state;
	classic_pair("::1", "::1", "('::1', PORT, 0, 0)");
}

static void test_dual_stack_shows_v4_mapped_peer(void **state)
{
	(void)state;
	classic_pair("::", "127.0.0.1", "('::ffff:127.0.0.1', PORT, 0, 0)");
}

static void write_file(const char *path, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < len; i++)
		fputc((int)((i * 7 + 1) & 0xff), f);
	fclose(f);
}

static void send_file_exact(const char *bind, size_t len)
{
	const char *server_args[] = {"--bind", bind, "--port", "0", NULL};
	char port[16], path[] = "/tmp/udpecho-test-file-XXXXXX";
	struct server s;
	struct proc c;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	write_file(path, len);
	assert_int_equal(server_start(&s, server_args), 0);
	snprintf(port, sizeof(port), "%u", s.port);
	const char *send_args[] = {"--host", bind, "--port", port, "--file", path, NULL};

	assert_int_equal(run_send(&c, send_args), 0);
	expect_stderr(&c, "");
	proc_cleanup(&c);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
	unlink(path);
}

static void test_send_file_of_family_maximum(void **state)
{
	(void)state;
	send_file_exact("127.0.0.1", MAX_V4);
	send_file_exact("::1", MAX_V6);
	send_file_exact("127.0.0.1", 0);
}

static void test_send_hex_binary_datagram(void **state)
{
	const char *server_args[] = {"--port", "0", NULL};
	char port[16];
	struct server s;
	struct proc c;
	char *out;

	(void)state;
	assert_int_equal(server_start(&s, server_args), 0);
	snprintf(port, sizeof(port), "%u", s.port);
	const char *send_args[] = {"--port", port, "--hex", "00ff1b5b324a0a27", NULL};

	assert_int_equal(run_send(&c, send_args), 0);
	out = proc_stdout(&c);
	assert_string_equal(out, "sending b\"\\x00\\xff\\x1b[2J\\n'\"\nwaiting to receive\n"
				 "received b\"\\x00\\xff\\x1b[2J\\n'\"\nclosing socket\n");
	free(out);
	proc_cleanup(&c);
	assert_int_equal(server_stop(&s, SIGINT), 0);
	proc_cleanup(&s.proc);
}

/* A silent "server": a bound socket that never answers. */
static void test_no_reply_exits_1(void **state)
{
	int fd = udp_bound("127.0.0.1", 0);
	char port[16], want[128];
	struct proc c;

	(void)state;
	snprintf(port, sizeof(port), "%u", udp_local_port(fd));
	const char *args[] = {"--host", "127.0.0.1", "--port", port, "--timeout", "0.3", NULL};

	assert_int_equal(run_send(&c, args), 1);
	snprintf(want, sizeof(want), "udpecho: no reply from 127.0.0.1:%s within 0.3 s\n", port);
	expect_stderr(&c, want);
	proc_cleanup(&c);
	close(fd);
}

static uint16_t free_port(const char *host)
{
	int fd = udp_bound(host, 0);
	uint16_t port = udp_local_port(fd);

	close(fd);
	return port;
}

/* ICMP port unreachable is a network error, exit 2, as check, bench and ping have it. */
static void test_nothing_listening_exits_2(void **state)
{
	char port[16], want[128];
	struct proc c;

	(void)state;
	snprintf(port, sizeof(port), "%u", free_port("127.0.0.1"));
	const char *v4[] = {"--host", "127.0.0.1", "--port", port, NULL};

	assert_int_equal(run_send(&c, v4), 2);
	snprintf(want, sizeof(want),
		 "udpecho: nothing listening on 127.0.0.1:%s (ICMP port unreachable)\n", port);
	expect_stderr(&c, want);
	proc_cleanup(&c);

	snprintf(port, sizeof(port), "%u", free_port("::1"));
	const char *v6[] = {"--host", "::1", "--port", port, NULL};

	assert_int_equal(run_send(&c, v6), 2);
	snprintf(want, sizeof(want),
		 "udpecho: nothing listening on [::1]:%s (ICMP port unreachable)\n", port);
	expect_stderr(&c, want);
	proc_cleanup(&c);
}

enum fault { FAULT_FLIP_BYTE_17, FAULT_TRUNCATE_4096, FAULT_OTHER_SOURCE, FAULT_EMPTY };

/* Plays a broken echo server on loopback for one `udpecho send`; returns its stderr. */
static char *broken_exchange(enum fault fault, const char *message, const char *hex)
{
	static uint8_t buf[MAX_V4 + 1];
	int fd = udp_bound("127.0.0.1", 0), other = udp_bound("127.0.0.1", 0);
	struct sockaddr_storage from;
	char port[16];
	struct proc c;
	ssize_t n;
	char *err;

	snprintf(port, sizeof(port), "%u", udp_local_port(fd));
	const char *args[] = {"--port", port, hex != NULL ? "--hex" : message, hex, NULL};

	spawn_send(&c, args);
	n = udp_recv(fd, buf, sizeof(buf), &from, HARNESS_WAIT_MS);
	assert_true(n >= 0);
	if (fault == FAULT_FLIP_BYTE_17)
		buf[17] ^= 0x20;
	if (fault == FAULT_TRUNCATE_4096 && n > 4096)
		n = 4096;
	if (fault == FAULT_EMPTY)
		n = 0;
	assert_true(sendto(fault == FAULT_OTHER_SOURCE ? other : fd, buf, (size_t)n, 0,
			   (struct sockaddr *)&from, sizeof(struct sockaddr_in)) == n);
	assert_int_equal(proc_wait(&c, HARNESS_WAIT_MS), 1);
	err = proc_stderr(&c);
	proc_cleanup(&c);
	if (fault == FAULT_OTHER_SOURCE) {
		char want[128], got_port[16];

		snprintf(got_port, sizeof(got_port), "%u", udp_local_port(other));
		snprintf(want, sizeof(want),
			 "udpecho: reply came from 127.0.0.1:%s, request went to 127.0.0.1:%s\n",
			 got_port, port);
		assert_string_equal(err, want);
	}
	close(fd);
	close(other);
	return err;
}

static void test_wrong_echoes_are_named(void **state)
{
	char hex[4097 * 2 + 1];
	char *err;

	(void)state;
	err = broken_exchange(FAULT_FLIP_BYTE_17, "This is the message.  It will be repeated.",
			      NULL);
	assert_string_equal(err, "udpecho: reply differs from request at byte 17 "
				 "(sent 0x67, got 0x47)\n");
	free(err);
	memset(hex, 'a', sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	err = broken_exchange(FAULT_TRUNCATE_4096, NULL, hex);
	assert_string_equal(err, "udpecho: reply is 4096 bytes, request was 4097 "
				 "(truncated: the first 4096 match)\n");
	free(err);
	free(broken_exchange(FAULT_OTHER_SOURCE, "hello", NULL));
	err = broken_exchange(FAULT_EMPTY, "This is the message.  It will be repeated.", NULL);
	assert_string_equal(err, "udpecho: empty reply (request was 42 bytes)\n");
	free(err);
}

static void expect_send_usage_error(const char *const *args, const char *want)
{
	struct proc c;
	char *err;

	assert_int_equal(run_send(&c, args), 2);
	err = proc_stderr(&c);
	if (strstr(err, want) == NULL || count_lines(err) != 1)
		fail_msg("stderr was '%s', wanted one line with '%s'", err, want);
	free(err);
	proc_cleanup(&c);
}

static void test_send_bad_arguments_exit_2(void **state)
{
	char path[] = "/tmp/udpecho-test-big-XXXXXX";
	int fd = mkstemp(path);
	const char *timeout[] = {"--timeout", "soon", NULL};
	const char *port[] = {"--port", "0", NULL};
	const char *host[] = {"--host", "300.1.2.3", NULL};
	const char *unknown[] = {"--nope", NULL};
	const char *missing[] = {"--file", "/nonexistent/udpecho", NULL};
	const char *big[] = {"--host", "127.0.0.1", "--file", path, NULL};
	const char *hex[] = {"--hex", "abc", NULL};
	const char *two[] = {"one", "two", NULL};
	const char *dir[] = {"--file", "/", NULL};

	(void)state;
	close(fd);
	write_file(path, MAX_V4 + 1);
	expect_send_usage_error(timeout, "udpecho send: --timeout: 'soon' is not a duration");
	expect_send_usage_error(port, "udpecho send: --port: '0' is not a port number (1-65535)");
	expect_send_usage_error(host, "udpecho: --host '300.1.2.3': not a valid IPv4 address");
	expect_send_usage_error(unknown, "udpecho send: unknown option '--nope'");
	expect_send_usage_error(missing, "udpecho: --file /nonexistent/udpecho: No such file");
	expect_send_usage_error(big, "larger than the 65507-byte maximum for this family");
	expect_send_usage_error(hex, "udpecho: --hex: not pairs of hex digits");
	expect_send_usage_error(two, "give one message: MESSAGE, --hex or --file");
	expect_send_usage_error(dir, "udpecho: --file /: Is a directory");
	unlink(path);
}

static void test_client_help_version_and_unknown_command(void **state)
{
	const char *help[] = {harness_client_bin, "--help", NULL};
	const char *version[] = {harness_client_bin, "--version", NULL};
	const char *send_help[] = {harness_client_bin, "send", "--help", NULL};
	const char *unknown[] = {harness_client_bin, "frob", NULL};
	struct proc p;
	char *out;

	(void)state;
	assert_int_equal(proc_run(&p, help, HARNESS_WAIT_MS), 0);
	proc_cleanup(&p);
	assert_int_equal(proc_run(&p, version, HARNESS_WAIT_MS), 0);
	out = proc_stdout(&p);
	assert_true(strncmp(out, "udpecho ", 8) == 0);
	free(out);
	proc_cleanup(&p);
	assert_int_equal(proc_run(&p, send_help, HARNESS_WAIT_MS), 0);
	out = proc_stdout(&p);
	assert_non_null(strstr(out, "usage: udpecho send"));
	free(out);
	proc_cleanup(&p);
	assert_int_equal(proc_run(&p, unknown, HARNESS_WAIT_MS), 2);
	expect_stderr(&p, "udpecho: unknown command 'frob' (try --help)\n");
	proc_cleanup(&p);
}

static void stdout_to_full(void *ctx)
{
	int fd = open("/dev/full", O_WRONLY);

	(void)ctx;
	if (fd >= 0)
		dup2(fd, 1);
}

/* A report that cannot be written is no result: exit 2 and say why. */
static void test_stdout_write_error_exits_2(void **state)
{
	const char *help[] = {harness_client_bin, "--help", NULL};
	const char *send_help[] = {harness_client_bin, "send", "--help", NULL};
	const char *version_extra[] = {harness_client_bin, "--version", "extra", NULL};
	struct proc p;

	(void)state;
	if (access("/dev/full", W_OK) != 0) {
		print_message(
			"SKIP: no writable /dev/full here: the write error is not exercised\n");
		return;
	}
	assert_int_equal(proc_spawn_with(&p, help, stdout_to_full, NULL), 0);
	assert_int_equal(proc_wait(&p, HARNESS_WAIT_MS), 2);
	expect_stderr(&p, "udpecho: writing to stdout: No space left on device\n");
	proc_cleanup(&p);
	assert_int_equal(proc_spawn_with(&p, send_help, stdout_to_full, NULL), 0);
	assert_int_equal(proc_wait(&p, HARNESS_WAIT_MS), 2);
	expect_stderr(&p, "udpecho: writing to stdout: No space left on device\n");
	proc_cleanup(&p);
	/* Nor is a stray argument after --version ignored. */
	assert_int_equal(proc_run(&p, version_extra, HARNESS_WAIT_MS), 2);
	expect_stderr(&p, "udpecho: unexpected argument 'extra' after --version (try --help)\n");
	proc_cleanup(&p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic_transcripts_ipv4),
		cmocka_unit_test(test_stdout_write_error_exits_2),
		cmocka_unit_test(test_classic_transcripts_ipv6),
		cmocka_unit_test(test_dual_stack_shows_v4_mapped_peer),
		cmocka_unit_test(test_send_file_of_family_maximum),
		cmocka_unit_test(test_send_hex_binary_datagram),
		cmocka_unit_test(test_no_reply_exits_1),
		cmocka_unit_test(test_nothing_listening_exits_2),
		cmocka_unit_test(test_wrong_echoes_are_named),
		cmocka_unit_test(test_send_bad_arguments_exit_2),
		cmocka_unit_test(test_client_help_version_and_unknown_command),
	};

	if (harness_init(argc, argv) != 0)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
