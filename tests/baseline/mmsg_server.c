/*
 * mmsg_server.c: the plain batched echo loop, a baseline for ci/bench.sh.
 * recvmmsg up to 64 datagrams, sendmmsg them back from the same array: no
 * GRO, no GSO, no policy, no PKTINFO (correct on a specific address only).
 *
 *   mmsg_server [--bind ADDR] [--port N]
 *
 * Prints "mmsg: starting up on ADDR port N" once bound; SIGINT or SIGTERM
 * stops it with exit status 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp_bind.h"

#define BATCH 64
#define BUF 65536

static volatile sig_atomic_t stop;
static unsigned char bufs[BATCH][BUF];
static struct mmsghdr msgs[BATCH];
static struct iovec iovs[BATCH];
static struct sockaddr_storage peers[BATCH];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* One batch in, the same batch out; a datagram the kernel refuses is skipped. */
static void echo_batch(int fd, int n)
{
	for (int i = 0; i < n; i++)
		iovs[i].iov_len = msgs[i].msg_len;
	for (int done = 0; done < n;) {
		int sent = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);

		done += sent > 0 ? sent : 1;
	}
	for (int i = 0; i < n; i++) {
		iovs[i].iov_len = BUF;
		msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
	}
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
		fprintf(stderr, "mmsg_server: bind %s port %d: %s\n", host, port, strerror(errno));
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < BATCH; i++) {
		iovs[i] = (struct iovec){bufs[i], BUF};
		msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i],
						  .msg_namelen = sizeof(peers[i]),
						  .msg_iov = &iovs[i],
						  .msg_iovlen = 1};
	}
	printf("mmsg: starting up on %s port %d\n", host, udp_bound_port(fd));
	fflush(stdout);
	while (!stop) {
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);

		if (n > 0)
			echo_batch(fd, n);
		else if (n < 0 && errno != EINTR && errno != EAGAIN)
			perror("mmsg_server: recvmmsg");
	}
	close(fd);
	return 0;
}
