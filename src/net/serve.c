/*
 * serve.c: receive, decide, reply.  One datagram at a time for now; the
 * structure (receive slot, decision, reply) is what batching will repeat.
 */
#include "udpecho/serve.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "udpecho/addr.h"
#include "udpecho/net.h"
#include "udpecho/repr.h"

/* Larger than any UDP payload (65,527), so MSG_TRUNC can only mean a kernel surprise. */
#define SERVE_BUF_SIZE 65536u
/* How long one reply may wait for room in a full socket buffer before it counts as lost. */
#define SERVE_SEND_WAIT_MS 50

union control {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

struct datagram {
	uint8_t *data;
	size_t len; /* real length, even when truncated */
	int truncated;
	struct sockaddr_storage from;
	socklen_t fromlen;
	union control control;
	size_t controllen;
};

struct loop {
	int fd;
	const struct serve_config *config;
	struct serve_counters *counters;
	const sigset_t *waitmask;
	char *repr; /* transcript buffer, only with a transcript */
};

enum { RX_EMPTY = 0, RX_DATAGRAM, RX_SKIPPED };

/* Returns RX_DATAGRAM, RX_EMPTY when the socket is drained, RX_SKIPPED, or -errno when fatal. */
static int receive(struct loop *lp, struct datagram *dg)
{
	struct iovec iov = {dg->data, SERVE_BUF_SIZE};
	struct msghdr msg = {
		.msg_name = &dg->from,
		.msg_namelen = sizeof(dg->from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = dg->control.buf,
		.msg_controllen = sizeof(dg->control.buf),
	};
	ssize_t n = recvmsg(lp->fd, &msg, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0) {
		switch (errno) {
		case EAGAIN:
		case EINTR:
			return RX_EMPTY;
		case EBADF:
		case EFAULT:
		case EINVAL:
		case ENOTSOCK:
			return -errno;
		default:
			/* An ICMP error reported for an earlier reply, ENOMEM: never fatal. */
			lp->counters->recv_errors++;
			return RX_SKIPPED;
		}
	}
	dg->len = (size_t)n;
	dg->truncated = (msg.msg_flags & MSG_TRUNC) != 0;
	dg->fromlen = msg.msg_namelen;
	dg->controllen = (msg.msg_flags & MSG_CTRUNC) ? 0 : msg.msg_controllen;
	return RX_DATAGRAM;
}

/*
 * Turn the request's PKTINFO into the reply's, so the reply leaves from the
 * address the request was sent to.  IPv4: ipi_spec_dst is the local address
 * the kernel matched; the interface is left to routing.  IPv6: the
 * destination and its interface (needed for link-local scope), unless the
 * request went to a multicast group, which cannot be a source.
 */
static size_t reply_control(const struct datagram *dg, union control *out)
{
	struct msghdr in = {.msg_control = (void *)dg->control.buf,
			    .msg_controllen = dg->controllen};
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(&in); c != NULL; c = CMSG_NXTHDR(&in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_ifindex = 0;
			pi.ipi_addr.s_addr = 0;
			memcpy(out->buf, c, CMSG_LEN(0));
			memcpy(CMSG_DATA((struct cmsghdr *)out->buf), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
				return 0;
			memcpy(out->buf, c, CMSG_SPACE(sizeof(pi)));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

static int wait_writable(struct loop *lp)
{
	struct pollfd pfd = {.fd = lp->fd, .events = POLLOUT};
	struct timespec ts = {0, SERVE_SEND_WAIT_MS * 1000000L};

	return ppoll(&pfd, 1, &ts, lp->waitmask) > 0;
}

/* Returns 0 or -errno; a full buffer gets one short wait and one retry. */
static int send_reply(struct loop *lp, const struct datagram *dg, const struct echo_reply *reply)
{
	union control control;
	struct iovec iov = {(void *)reply->data, reply->len};
	struct msghdr msg = {
		.msg_name = (void *)&dg->from,
		.msg_namelen = dg->fromlen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	size_t clen = reply_control(dg, &control);

	if (clen > 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = clen;
	}
	for (int attempt = 0;; attempt++) {
		if (sendmsg(lp->fd, &msg, MSG_DONTWAIT) >= 0)
			return 0;
		if ((errno != EAGAIN && errno != ENOBUFS) || attempt > 0 || !wait_writable(lp))
			return -errno;
	}
}

static void log_received(struct loop *lp, const struct datagram *dg, const struct echo_peer *peer)
{
	char who[ADDR_STR_MAX];
	size_t shown = dg->len < SERVE_BUF_SIZE ? dg->len : SERVE_BUF_SIZE;

	addr_format_python(who, sizeof(who), peer);
	repr_bytes(lp->repr, REPR_MAX_LEN(SERVE_BUF_SIZE) + 1, dg->data, shown);
	fprintf(lp->config->transcript, "received %zu bytes from %s\n%s\n", dg->len, who, lp->repr);
}

static void log_outcome(struct loop *lp, const struct echo_peer *peer, const char *dropped,
			size_t sent, int send_rc)
{
	FILE *out = lp->config->transcript;
	char who[ADDR_STR_MAX];

	addr_format_python(who, sizeof(who), peer);
	if (dropped != NULL)
		fprintf(out, "dropped: %s\n", dropped);
	else if (send_rc != 0)
		fprintf(out, "send to %s failed: %s\n", who, strerror(-send_rc));
	else
		fprintf(out, "sent %zu bytes back to %s\n", sent, who);
	fputs("\nwaiting to receive message\n", out);
	fflush(out);
}

static uint64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * How the datagram arrived, from its PKTINFO: on which interface, and as
 * which IP version (a dual-stack socket reports IPv4 packets with
 * IP_PKTINFO, IPv6 ones with IPV6_PKTINFO).
 */
static void note_arrival(const struct loop *lp, const struct datagram *dg, struct echo_peer *peer)
{
	struct msghdr in = {.msg_control = (void *)dg->control.buf,
			    .msg_controllen = dg->controllen};
	unsigned ifindex = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&in); c != NULL; c = CMSG_NXTHDR(&in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ifindex = (unsigned)pi.ipi_ifindex;
			peer->arrival_ipv6 = 0;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ifindex = pi.ipi6_ifindex;
			peer->arrival_ipv6 = 1;
		} else {
			continue;
		}
		peer->arrival_known = lp->config->loopback_ifindex != 0;
		peer->arrival_loopback = ifindex == lp->config->loopback_ifindex;
	}
}

static void serve_one(struct loop *lp, const struct datagram *dg)
{
	struct serve_counters *ct = lp->counters;
	struct echo_peer peer;
	struct echo_reply reply = {NULL, 0};
	const char *dropped = NULL;
	int rc = 0;

	net_to_peer((const struct sockaddr *)&dg->from, &peer);
	note_arrival(lp, dg, &peer);
	ct->received++;
	ct->bytes_in += dg->len;
	if (lp->repr != NULL)
		log_received(lp, dg, &peer);
	if (dg->truncated) {
		ct->truncated++;
		dropped = "truncated";
	} else {
		/* The clock is read only when a limiter needs it. */
		uint64_t now = lp->config->limiter != NULL ? monotonic_us() : 0;
		enum echo_verdict verdict = echo_decide(lp->config->policy, lp->config->limiter,
							now, &peer, dg->data, dg->len, &reply);
		if (verdict != ECHO_VERDICT_ECHO) {
			ct->dropped[verdict]++;
			dropped = echo_verdict_name(verdict);
		} else if ((rc = send_reply(lp, dg, &reply)) != 0) {
			ct->send_errors++;
		} else {
			ct->echoed++;
			ct->bytes_out += reply.len;
		}
	}
	if (lp->repr != NULL)
		log_outcome(lp, &peer, dropped, reply.len, rc);
}

static int wait_readable(struct loop *lp)
{
	struct pollfd pfd = {.fd = lp->fd, .events = POLLIN};

	if (ppoll(&pfd, 1, NULL, lp->waitmask) < 0 && errno != EINTR)
		return -errno;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	return 0;
}

static int drain(struct loop *lp, struct datagram *dg, const volatile sig_atomic_t *stop)
{
	while (!*stop) {
		int rc = receive(lp, dg);

		if (rc <= RX_EMPTY)
			return rc;
		if (rc == RX_DATAGRAM)
			serve_one(lp, dg);
	}
	return 0;
}

int serve_run(int fd, const struct serve_config *config, struct serve_counters *counters,
	      const volatile sig_atomic_t *stop, const sigset_t *waitmask)
{
	struct loop lp = {fd, config, counters, waitmask, NULL};
	struct datagram *dg = calloc(1, sizeof(*dg));
	int rc = -ENOMEM;

	if (dg == NULL || (dg->data = malloc(SERVE_BUF_SIZE)) == NULL)
		goto out;
	if (config->transcript != NULL) {
		lp.repr = malloc(REPR_MAX_LEN(SERVE_BUF_SIZE) + 1);
		if (lp.repr == NULL)
			goto out;
		fputs("\nwaiting to receive message\n", config->transcript);
		fflush(config->transcript);
	}
	rc = 0;
	while (rc == 0 && !*stop) {
		rc = drain(&lp, dg, stop);
		if (rc == 0 && !*stop)
			rc = wait_readable(&lp);
	}
out:
	free(lp.repr);
	if (dg != NULL)
		free(dg->data);
	free(dg);
	return rc;
}

uint64_t serve_dropped_total(const struct serve_counters *counters)
{
	uint64_t total = counters->truncated + counters->send_errors;

	for (int v = ECHO_VERDICT_ECHO + 1; v < ECHO_VERDICT_COUNT; v++)
		total += counters->dropped[v];
	return total;
}

void serve_format_summary(char *out, size_t cap, const struct serve_counters *counters)
{
	const struct serve_counters *ct = counters;

	size_t n = (size_t)snprintf(out, cap,
				    "summary: received=%" PRIu64 " bytes_in=%" PRIu64
				    " echoed=%" PRIu64 " bytes_out=%" PRIu64 " dropped=%" PRIu64,
				    ct->received, ct->bytes_in, ct->echoed, ct->bytes_out,
				    serve_dropped_total(ct));

	for (int v = ECHO_VERDICT_ECHO + 1; v < ECHO_VERDICT_COUNT && n < cap; v++)
		n += (size_t)snprintf(out + n, cap - n, " %s=%" PRIu64,
				      echo_verdict_name((enum echo_verdict)v), ct->dropped[v]);
	if (n < cap)
		snprintf(out + n, cap - n,
			 " truncated=%" PRIu64 " send_errors=%" PRIu64 " recv_errors=%" PRIu64,
			 ct->truncated, ct->send_errors, ct->recv_errors);
}
