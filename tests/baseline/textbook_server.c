/*
 * textbook_server.c: the textbook echo loop, a baseline for ci/bench.sh.
 * A blocking recvfrom, a sendto back to the sender, nothing else: no
 * batching, no poll, no control messages, no policy (correct on a specific
 * address only).
 *
 *   textbook_server [--bind ADDR] [--port N]
 *
 * Prints "textbook: starting up on ADDR port N" once bound; SIGINT or
 * SIGTERM stops it with exit status 0.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "baseline.h"

static unsigned char buf[65536];

int main(int argc, char **argv)
{
	int fd = baseline_start(argc, argv, "textbook");

	while (!baseline_stop) {
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
