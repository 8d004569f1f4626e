/*
 * udpecho: the client.  One binary, one subcommand per job.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "check.h"
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
	"\n"
	"Run 'udpecho COMMAND --help' for a command's options.\n"
	"  -h, --help     show this help\n"
	"  --version      show the version\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("udpecho %s\n", UDPECHO_VERSION);
		return 0;
	}
	if (strcmp(cmd, "send") == 0)
		return send_main(argc, argv, 2);
	if (strcmp(cmd, "check") == 0)
		return check_main(argc, argv, 2);
	if (strcmp(cmd, "bench") == 0)
		return bench_main(argc, argv, 2);
	if (strcmp(cmd, "ping") == 0)
		return ping_main(argc, argv, 2);
	fprintf(stderr, "udpecho: unknown command '%s' (try --help)\n", cmd);
	return 2;
}
