/*
 * baseline.h: what the baseline servers of ci/bench.sh share around their
 * loop: the --bind ADDR / --port N arguments, the bound socket, SIGINT and
 * SIGTERM setting a stop flag (no SA_RESTART: a blocked receive returns
 * EINTR), and the "NAME: starting up on ADDR port N" line bench.sh reads.
 */
#ifndef UDPECHO_TESTS_BASELINE_H
#define UDPECHO_TESTS_BASELINE_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udp_bind.h"

static volatile sig_atomic_t baseline_stop;

static void baseline_on_signal(int sig)
{
	(void)sig;
	baseline_stop = 1;
}

/* The bound socket, ready to serve; on a bad address, a line on stderr and exit 2. */
static int baseline_start(int argc, char **argv, const char *name)
{
	const char *host = "127.0.0.1";
	int port = 0, fd;
	struct sigaction sa;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--bind") == 0)
			host = argv[i + 1];
		else if (strcmp(argv[i], "--port") == 0)
			port = (int)strtol(argv[i + 1], NULL, 10);
	}
	fd = udp_bind(host, port);
	if (fd < 0) {
		fprintf(stderr, "%s_server: bind %s port %d: %s\n", name, host, port,
			strerror(errno));
		exit(2);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = baseline_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("%s: starting up on %s port %d\n", name, host, udp_bound_port(fd));
	fflush(stdout);
	return fd;
}

#endif
