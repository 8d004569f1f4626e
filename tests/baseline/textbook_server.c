/*
 * textbook_server.c: the textbook echo loop, a baseline for ci/bench.sh.
 * A blocking recvfrom, a sendto back to the sender, nothing else: no
 * batching, no poll, no control messages, no policy (correct on a specific
 * address only).
 *
 *   textbook_server [--bind ADDR] [--port N]
 *
 * Prints "textbook: starting up on ADDR port N" once bound; SIGINT or
 * SIGTERM stops it with exit status 0 (the handler is installed without
 * SA_RESTART, so a blocked recvfrom returns EINTR).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp_bind.h"

static volatile sig_atomic_t stop;
static unsigned char buf[65536];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
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
		fprintf(stderr, "textbook_server: bind %s port %d: %s\n", host, port,
			strerror(errno));
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("textbook: starting up on %s port %d\n", host, udp_bound_port(fd));
	fflush(stdout);
	while (!stop) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);

		if (n >= 0)
			(void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fromlen);
		else if (errno != EINTR)
			perror("textbook_server: recvfrom");
	}
	close(fd);
	return 0;
}
