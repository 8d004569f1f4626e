/*
 * udpecho: the client.  One binary, one subcommand per job.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "check.h"
#include "fuzz.h"
#include "ping.h"
#include "send.h"
#include "udpecho/version.h"

static const char usage[] =
	"usage: udpecho COMMAND [ARGS]\n"
	"\n"
	"A client for UDP echo servers (RFC 862).\n"
	"\n"
	"Commands:\n"
	"  send      send one datagram and check the echo (the classic client)\n"
	"  check     check any UDP echo server against RFC 862 and name each defect\n"
	"  bench     load an echo server: echoes/s, loss, latency percentiles\n"
	"  ping      probe an echo server like ping: RTT, loss, UDPEchoPlus by direction\n"
	"  fuzz      fuzz a live echo server, RFC 862 the oracle; minimised findings\n"
	"\n"
	"Run 'udpecho COMMAND --help' for a command's options.\n"
	"  -h, --help     show this help\n"
	"  --version      show the version\n";

typedef int command_fn(int argc, char *const *argv, int first);

/* The subcommand cmd names, or NULL. */
static command_fn *find_command(const char *cmd)
{
	static const struct {
		const char *name;
		command_fn *run;
	} commands[] = {
		{"send", send_main}, {"check", check_main}, {"bench", bench_main},
		{"ping", ping_main}, {"fuzz", fuzz_main},
	};

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run;
	}
	return NULL;
}

/*
 * A report that could not be written is not a result: a full disk or a
 * closed pipe turns any status into 2 with a line saying so.
 */
static int flush_stdout(int rc)
{
	int failed = fflush(stdout) != 0;
	int err = errno;

	if (!failed && !ferror(stdout))
		return rc;
	if (failed)
		fprintf(stderr, "udpecho: writing to stdout: %s\n", strerror(err));
	else
		fputs("udpecho: writing to stdout failed\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	command_fn *run;
	int help, version;

	if (cmd == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	help = strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0;
	version = strcmp(cmd, "--version") == 0;
	if ((help || version) && argc > 2) {
		fprintf(stderr, "udpecho: unexpected argument '%s' after %s (try --help)\n",
			argv[2], cmd);
		return 2;
	}
	if (help) {
		fputs(usage, stdout);
		return flush_stdout(0);
	}
	if (version) {
		printf("udpecho %s\n", UDPECHO_VERSION);
		return flush_stdout(0);
	}
	run = find_command(cmd);
	if (run == NULL) {
		fprintf(stderr, "udpecho: unknown command '%s' (try --help)\n", cmd);
		return 2;
	}
	return flush_stdout(run(argc, argv, 2));
}
