/*
 * gro_server.c: the GRO/GSO echo loop, a baseline for ci/bench.sh: the
 * fastest known design, with no policy.  UDP_GRO on; recvmmsg up to 32
 * messages of 64 KiB, each maybe several datagrams coalesced (the UDP_GRO
 * control message names the segment size; absent, it is one datagram);
 * sendmmsg them back from the same array, a message of more than one segment
 * as one UDP_SEGMENT send.  No PKTINFO (correct on a specific address only).
 *
 *   gro_server [--bind ADDR] [--port N]
 *
 * Prints "gro: starting up on ADDR port N" once bound; SIGINT or SIGTERM
 * stops it with exit status 0.
 */
#include <errno.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "baseline.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define BATCH 32
#define BUF 65536

/* Room for the UDP_GRO int received, then for the UDP_SEGMENT uint16_t sent. */
union ctl {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

static unsigned char bufs[BATCH][BUF];
static struct mmsghdr msgs[BATCH];
static struct iovec iovs[BATCH];
static struct sockaddr_storage peers[BATCH];
static union ctl ctls[BATCH];

/* The segment size the UDP_GRO control message names, 0 if none came. */
static int gro_size(struct msghdr *h)
{
	int seg = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO)
			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
	return seg;
}

/* One batch in, the same batch out; a message the kernel refuses is skipped. */
static void echo_batch(int fd, int n)
{
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &msgs[i].msg_hdr;
		int seg = gro_size(h);

		iovs[i].iov_len = msgs[i].msg_len;
		h->msg_controllen = 0;
		if (seg > 0 && msgs[i].msg_len > (unsigned)seg) {
			uint16_t size = (uint16_t)seg;
			struct cmsghdr *c;

			h->msg_controllen = CMSG_SPACE(sizeof(size));
			c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(size));
			memcpy(CMSG_DATA(c), &size, sizeof(size));
		}
	}
	for (int done = 0; done < n;) {
		int sent = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);

		done += sent > 0 ? sent : 1;
	}
	for (int i = 0; i < n; i++) {
		iovs[i].iov_len = BUF;
		msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		msgs[i].msg_hdr.msg_controllen = sizeof(ctls[i]);
	}
}

int main(int argc, char **argv)
{
	int fd = baseline_start(argc, argv, "gro"), on = 1;

	if (setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) != 0) {
		perror("gro_server: UDP_GRO"); /* without it, not the loop it claims to be */
		return 2;
	}
	for (int i = 0; i < BATCH; i++) {
		iovs[i] = (struct iovec){bufs[i], BUF};
		msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i],
						  .msg_namelen = sizeof(peers[i]),
						  .msg_iov = &iovs[i],
						  .msg_iovlen = 1,
						  .msg_control = ctls[i].buf,
						  .msg_controllen = sizeof(ctls[i])};
	}
	while (!baseline_stop) {
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);

		if (n > 0)
			echo_batch(fd, n);
		else if (n < 0 && errno != EINTR && errno != EAGAIN)
			perror("gro_server: recvmmsg");
	}
	close(fd);
	return 0;
}
