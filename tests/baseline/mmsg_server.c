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
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "baseline.h"

#define BATCH 64
#define BUF 65536

static unsigned char bufs[BATCH][BUF];
static struct mmsghdr msgs[BATCH];
static struct iovec iovs[BATCH];
static struct sockaddr_storage peers[BATCH];

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
	int fd = baseline_start(argc, argv, "mmsg");

	for (int i = 0; i < BATCH; i++) {
		iovs[i] = (struct iovec){bufs[i], BUF};
		msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i],
						  .msg_namelen = sizeof(peers[i]),
						  .msg_iov = &iovs[i],
						  .msg_iovlen = 1};
	}
	while (!baseline_stop) {
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);

		if (n > 0)
			echo_batch(fd, n);
		else if (n < 0 && errno != EINTR && errno != EAGAIN)
			perror("mmsg_server: recvmmsg");
	}
	close(fd);
	return 0;
}
