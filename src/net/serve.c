/*
 * serve.c: receive, decide, reply, in batches.
 *
 * One worker owns one socket and memory allocated once at start: SERVE_BATCH
 * receive slots of 64 KiB (every one can hold the largest datagram or a
 * whole GRO run), their addresses and control messages, and a queue of
 * SERVE_TX_MAX plain replies.  Nothing is allocated per datagram.  A reply
 * is a view into its slot: the request's own bytes (stamped in place with
 * --echo-plus), never a copy.
 */
#include "udpecho/serve.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "udpecho/addr.h"
#include "udpecho/net.h"
#include "udpecho/plusserve.h"
#include "udpecho/repr.h"

/* Larger than any UDP payload (65,527) and any GRO run (64 KiB), so MSG_TRUNC means a surprise. */
#define SERVE_BUF_SIZE 65536u
/* The slots' alignment: a page (SERVE_BUF_SIZE is a multiple of it, as aligned_alloc wants). */
#define SERVE_BUF_ALIGN 4096u
/*
 * Receive slots per recvmmsg.  32 x 64 KiB = 2 MiB per worker.  Measured on
 * loopback (2 cores): 8 slots already take every GRO run the kernel queues
 * between two calls; without GRO, 32 is within noise of 64 and half the memory.
 */
#ifndef SERVE_BATCH
#define SERVE_BATCH 32u
#endif
/* Replies (datagrams) queued for one sendmmsg. */
#define SERVE_TX_MAX 64u
/* The kernel's UDP_MAX_SEGMENTS (64 since Linux 4.18; more on newer kernels): never exceeded. */
#define SERVE_MAX_SEGMENTS 64u
/*
 * A path refusing UDP_SEGMENT sends of this size or less refuses GSO
 * itself (IPsec): every IPv4 path carries 576-byte packets.
 */
#define SERVE_GSO_MIN_SEG 548u
/*
 * Workers sleep in the receive call itself, with no timeout.  To stop one,
 * the supervisor sets the halt flag and interrupts its receive with
 * SERVE_WAKE_SIGNAL (a handler that does nothing, without SA_RESTART),
 * every SERVE_REKICK_MS until the worker has ended: a signal that lands
 * just before the worker enters recvmsg is followed by another.
 */
#define SERVE_REKICK_MS 10

/* How long a stop waits for a worker (see stop_worker), and a report for its counters. */
#define SERVE_STOP_WAIT_MS 2000u
/* A worker's done_gen once it has ended: its counters are final, read them as they are. */
#define SERVE_REPORT_ENDED UINT_MAX
/* How long one reply may wait for room in a full socket buffer before it counts as lost. */
#define SERVE_SEND_WAIT_MS 50

union control {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) +
		 CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint32_t))];
	struct cmsghdr align;
};

/* A reply's control messages: the source address (PKTINFO), then UDP_SEGMENT for a GSO send. */
union reply_control {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr align;
};

/* What one received message says beyond its bytes. */
struct slot {
	struct sockaddr_storage from;
	union control control;
	union reply_control reply; /* the reply's PKTINFO, reply_len bytes of it */
	size_t reply_len;
	struct echo_peer peer;
	size_t seg; /* GRO segment size; 0 when the message is one datagram */
};

struct worker {
	int fd;
	int wake_fd;            /* written when this worker fails: it wakes the supervisor */
	const atomic_int *halt; /* set when the workers must stop */
	const struct serve_config *config;
	struct serve_counters counters;
	const atomic_uint *report_gen; /* raised when the supervisor wants the counters */
	unsigned seen_gen;             /* the last report_gen this worker answered */
	atomic_uint done_gen;          /* ... published once snapshot holds its answer */
	struct serve_counters snapshot;
	unsigned batch;   /* slots used per recvmmsg: 1 with a transcript */
	unsigned written; /* slots the last receive filled: their lengths need resetting */
	int gso;          /* UDP_SEGMENT replies in use: the kernel has UDP_GRO, so it has those */
	size_t gso_max_seg; /* larger segments go plainly: a path refused them (its MTU) */
	int wildcard;       /* bound to 0.0.0.0 or ::: replies need the request's PKTINFO */
	int drops_at_end;   /* kernel drops read with SO_MEMINFO when the worker stops */
	uint8_t *bufs;      /* batch x SERVE_BUF_SIZE */
	struct slot *slots;
	struct mmsghdr *rx;
	struct iovec *rxiov;
	struct mmsghdr tx[SERVE_TX_MAX];         /* queued messages: a reply, or a run of them */
	union reply_control txctl[SERVE_TX_MAX]; /* a run's PKTINFO and UDP_SEGMENT */
	size_t txplain[SERVE_TX_MAX];            /* the PKTINFO bytes of a message's control */
	struct iovec txiov[SERVE_TX_MAX];        /* one per queued datagram, in order */
	uint8_t txstamped[SERVE_TX_MAX]; /* already stamped (a GSO run sent again plainly) */
	unsigned ntx, niov;
	uint32_t recv_ts; /* --echo-plus: the batch's receive time */
	uint64_t now_us;  /* the rate limiter's clock for the batch */
	char *repr;       /* transcript buffer, only with a transcript */
	int rc;           /* a worker thread's result */
	pthread_t thread;
};

static int stopped(const struct worker *w)
{
	return atomic_load_explicit(w->halt, memory_order_relaxed);
}

/*
 * Turn the request's PKTINFO into the reply's, so the reply leaves from the
 * address the request was sent to.  IPv4: ipi_spec_dst is the local address
 * the kernel matched; the interface is left to routing.  IPv6: the
 * destination and its interface (needed for link-local scope), unless the
 * request went to a multicast group, which cannot be a source.
 */
static size_t reply_pktinfo(const struct cmsghdr *c, union reply_control *out)
{
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
	return 0;
}

/*
 * How the datagram arrived, from its PKTINFO: on which interface, and as
 * which IP version (a dual-stack socket reports IPv4 packets with
 * IP_PKTINFO, IPv6 ones with IPV6_PKTINFO).
 */
static void note_arrival(const struct worker *w, const struct cmsghdr *c, struct echo_peer *peer)
{
	unsigned ifindex;

	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
		struct in_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		ifindex = (unsigned)pi.ipi_ifindex;
		peer->arrival_ipv6 = 0;
		/*
		 * The kernel's own verdict: to a local unicast address, the
		 * address a reply would leave from (ipi_spec_dst) is the one
		 * the request went to; to a broadcast or multicast address,
		 * it is another.  (0: the kernel did not say.)
		 */
		peer->arrival_group |=
			pi.ipi_spec_dst.s_addr != 0 && pi.ipi_addr.s_addr != pi.ipi_spec_dst.s_addr;
	} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
		struct in6_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		ifindex = pi.ipi6_ifindex;
		peer->arrival_ipv6 = 1;
		peer->arrival_group |= IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr);
	} else {
		return;
	}
	/*
	 * Interface 0: the datagram was queued before this socket asked for
	 * PKTINFO (the one that started a socket-activated server), and the
	 * kernel hands back an empty record.  Its arrival is unknown, not
	 * "another interface".
	 */
	peer->arrival_known = w->config->loopback_ifindex != 0 && ifindex != 0;
	peer->arrival_loopback = ifindex == w->config->loopback_ifindex;
}

/* Peer, arrival, reply source, GRO segment size and the kernel's drop count of one message. */
static void read_slot(struct worker *w, struct slot *s, const struct msghdr *msg)
{
	struct msghdr in = *msg;

	net_to_peer((const struct sockaddr *)&s->from, &s->peer);
	s->reply_len = 0;
	s->seg = 0;
	if (msg->msg_flags & MSG_CTRUNC)
		in.msg_controllen = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&in); c != NULL; c = CMSG_NXTHDR(&in, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int seg;

			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
			s->seg = seg > 0 ? (size_t)seg : 0;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t drops;

			/* Cumulative for the socket: the last value seen is the count. */
			memcpy(&drops, CMSG_DATA(c), sizeof(drops));
			w->counters.kernel_drops = drops;
		} else {
			note_arrival(w, c, &s->peer);
			if (s->reply_len == 0 && w->wildcard)
				s->reply_len = reply_pktinfo(c, &s->reply);
		}
	}
}

/* Room in the socket buffer within SERVE_SEND_WAIT_MS?  Not once the workers must stop. */
static int wait_writable(const struct worker *w)
{
	struct pollfd pfd = {.fd = w->fd, .events = POLLOUT};
	int rc;

	while ((rc = poll(&pfd, 1, SERVE_SEND_WAIT_MS)) < 0 && errno == EINTR && !stopped(w)) {
		/* Another process's signal: wait again. */
	}
	return rc > 0;
}

static void count_sent(struct worker *w, size_t len)
{
	w->counters.echoed++;
	w->counters.bytes_out += len;
}

static void count_refused(struct worker *w, size_t len)
{
	w->counters.send_errors++;
	if (w->config->plus != NULL)
		plusserve_failed(w->config->plus, len);
}

/* --echo-plus: the replies not stamped yet get the batch's receive time and this send time. */
static void stamp_queued(struct worker *w)
{
	uint32_t reply_ts;

	if (w->config->plus == NULL)
		return;
	reply_ts = plusserve_now(w->config->plus);
	for (unsigned i = 0; i < w->niov; i++) {
		if (!w->txstamped[i])
			plusserve_stamp(w->config->plus, w->txiov[i].iov_base, w->txiov[i].iov_len,
					w->recv_ts, reply_ts);
	}
}

/*
 * The kernel refused a UDP_SEGMENT send of seg-byte segments: the path's
 * MTU is smaller (EMSGSIZE; EINVAL before Linux 5.x) or it goes through
 * IPsec (EIO).  Segments of seg bytes or more go plainly from now on, and
 * if even small ones are refused, every reply does.
 */
static int gso_refused(struct worker *w, int rc, size_t seg)
{
	if (rc != -EINVAL && rc != -EIO && rc != -EMSGSIZE && rc != -ENOPROTOOPT)
		return 0;
	w->gso_max_seg = seg - 1;
	if (seg <= SERVE_GSO_MIN_SEG)
		w->gso = 0;
	return 1;
}

/* Control messages for a GSO send: the reply's PKTINFO (plain bytes of it), then UDP_SEGMENT. */
static size_t gso_control(union reply_control *out, const void *pktinfo, size_t plain, size_t seg)
{
	uint16_t size = (uint16_t)seg;
	struct cmsghdr *c;

	memset(out, 0, sizeof(*out));
	memcpy(out->buf, pktinfo, plain);
	c = (struct cmsghdr *)(out->buf + plain);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	return plain + CMSG_SPACE(sizeof(size));
}

/* The datagrams of queued message i, one plain send each: its run was refused as one. */
static void send_split(struct worker *w, unsigned i)
{
	struct msghdr m = w->tx[i].msg_hdr;
	const struct iovec *iov = m.msg_iov;
	size_t n = m.msg_iovlen;

	m.msg_iovlen = 1;
	m.msg_controllen = w->txplain[i];
	if (m.msg_controllen == 0)
		m.msg_control = NULL;
	for (size_t k = 0; k < n; k++) {
		m.msg_iov = (struct iovec *)&iov[k];
		if (sendmsg(w->fd, &m, MSG_DONTWAIT) >= 0 ||
		    ((errno == EAGAIN || errno == ENOBUFS) && wait_writable(w) &&
		     sendmsg(w->fd, &m, MSG_DONTWAIT) >= 0))
			count_sent(w, iov[k].iov_len);
		else
			count_refused(w, iov[k].iov_len);
	}
}

/*
 * One message: without sendmmsg's loop around it, and as a plain sendto
 * when it is one datagram without control messages (a specific bind):
 * sendmsg's msghdr and iovec cost 1% more CPU per 65,507-byte echo.
 * Returns 1 when sent, -1 with errno.
 */
static int send_one(const struct worker *w, const struct msghdr *m)
{
	ssize_t rc = m->msg_iovlen == 1 && m->msg_controllen == 0
			     ? sendto(w->fd, m->msg_iov[0].iov_base, m->msg_iov[0].iov_len,
				      MSG_DONTWAIT, m->msg_name, m->msg_namelen)
			     : sendmsg(w->fd, m, MSG_DONTWAIT);

	return rc >= 0 ? 1 : -1;
}

/*
 * Send the queued messages with sendmmsg.  A full buffer gets one short
 * wait per flush; a refused reply is counted and skipped, a refused run
 * sent again datagram by datagram.  Returns 0, or the last refusal's
 * -errno.
 */
static int flush(struct worker *w)
{
	unsigned done = 0;
	int waited = 0, rc = 0;

	stamp_queued(w);
	while (done < w->ntx) {
		int n = w->ntx - done == 1
				? send_one(w, &w->tx[done].msg_hdr)
				: sendmmsg(w->fd, w->tx + done, w->ntx - done, MSG_DONTWAIT);
		const struct msghdr *m;

		for (int i = 0; i < n; i++, done++) {
			m = &w->tx[done].msg_hdr;
			for (size_t k = 0; k < m->msg_iovlen; k++)
				count_sent(w, m->msg_iov[k].iov_len);
		}
		if (n > 0)
			continue;
		rc = -errno;
		if ((rc == -EAGAIN || rc == -ENOBUFS) && !waited) {
			waited = 1;
			if (wait_writable(w)) {
				rc = 0; /* not a refusal yet: the retry decides */
				continue;
			}
		}
		m = &w->tx[done].msg_hdr;
		if (m->msg_iovlen > 1 && gso_refused(w, rc, m->msg_iov[0].iov_len)) {
			send_split(w, done);
		} else {
			for (size_t k = 0; k < m->msg_iovlen; k++)
				count_refused(w, m->msg_iov[k].iov_len);
		}
		done++;
	}
	w->ntx = 0;
	w->niov = 0;
	return rc;
}

/* Slot s's bytes from off on: requests, and the replies sent from them in place. */
static uint8_t *slot_data(const struct worker *w, const struct slot *s, size_t off)
{
	return w->bufs + (size_t)(s - w->slots) * SERVE_BUF_SIZE + off;
}

/*
 * Can a reply of len bytes to slot s's peer join the last queued message
 * as one more segment?  Same peer, same source, every segment but the last
 * of one size, within the kernel's segment count and the family maximum.
 * An empty datagram never joins: it would be no segment at all.
 */
static int joins_last(const struct worker *w, const struct slot *s, size_t len)
{
	const struct msghdr *m = &w->tx[w->ntx - 1].msg_hdr;
	socklen_t namelen = w->rx[s - w->slots].msg_hdr.msg_namelen;
	size_t seg = m->msg_iov[0].iov_len;

	return len > 0 && len <= seg && seg <= w->gso_max_seg &&
	       m->msg_iovlen < SERVE_MAX_SEGMENTS && m->msg_iov[m->msg_iovlen - 1].iov_len == seg &&
	       seg * m->msg_iovlen + len <= echo_family_max(&s->peer) &&
	       m->msg_namelen == namelen && memcmp(m->msg_name, &s->from, namelen) == 0 &&
	       w->txplain[w->ntx - 1] == s->reply_len &&
	       (s->reply_len == 0 || memcmp(m->msg_control, s->reply.buf, s->reply_len) == 0);
}

/*
 * Queue one reply for the next sendmmsg.  Consecutive replies to one peer
 * become one UDP_SEGMENT message: a client that sends its datagrams one by
 * one still gets its batch back in one pass through the stack.
 */
static void queue_plain(struct worker *w, struct slot *s, size_t off, size_t len, int stamped)
{
	unsigned d = w->niov++;

	w->txiov[d] = (struct iovec){slot_data(w, s, off), len};
	w->txstamped[d] = (uint8_t)stamped;
	if (w->gso && w->ntx > 0 && joins_last(w, s, len)) {
		unsigned i = w->ntx - 1;
		struct msghdr *m = &w->tx[i].msg_hdr;

		if (m->msg_iovlen++ == 1) {
			m->msg_controllen = gso_control(&w->txctl[i], s->reply.buf, s->reply_len,
							m->msg_iov[0].iov_len);
			m->msg_control = w->txctl[i].buf;
		}
	} else {
		unsigned i = w->ntx++;

		w->txplain[i] = s->reply_len;
		w->tx[i].msg_hdr = (struct msghdr){
			.msg_name = &s->from,
			.msg_namelen = w->rx[s - w->slots].msg_hdr.msg_namelen,
			.msg_iov = &w->txiov[d],
			.msg_iovlen = 1,
			.msg_control = s->reply_len > 0 ? s->reply.buf : NULL,
			.msg_controllen = s->reply_len,
		};
	}
	if (w->niov == SERVE_TX_MAX)
		(void)flush(w);
}

/* One UDP_SEGMENT send of n >= 2 segments of seg bytes (the last may be shorter). */
static int send_gso(struct worker *w, struct slot *s, size_t off, size_t len, size_t seg)
{
	union reply_control control;
	struct iovec iov = {slot_data(w, s, off), len};
	struct msghdr msg = {
		.msg_name = &s->from,
		.msg_namelen = w->rx[s - w->slots].msg_hdr.msg_namelen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = gso_control(&control, s->reply.buf, s->reply_len, seg),
	};

	for (int attempt = 0;; attempt++) {
		int rc;

		if (sendmsg(w->fd, &msg, MSG_DONTWAIT) >= 0)
			return 0;
		rc = -errno;
		if ((rc != -EAGAIN && rc != -ENOBUFS) || attempt > 0 || !wait_writable(w))
			return rc;
	}
}

/* --echo-plus: stamp the n segments of a run that is about to leave in one send. */
static void stamp_run(struct worker *w, uint8_t *data, size_t len, size_t seg)
{
	uint32_t reply_ts = plusserve_now(w->config->plus);

	for (size_t off = 0; off < len; off += seg)
		plusserve_stamp(w->config->plus, data + off, len - off < seg ? len - off : seg,
				w->recv_ts, reply_ts);
}

/*
 * n consecutive echoed datagrams of one slot, seg bytes each but the last:
 * one GSO send when there are several and the kernel takes them, otherwise
 * queued plain replies.  Replies keep their order: the queue goes first.
 */
static void reply_run(struct worker *w, struct slot *s, size_t start, size_t len, size_t seg,
		      size_t n)
{
	int stamped = 0;

	if (n >= 2 && w->gso && seg <= w->gso_max_seg) {
		int rc;

		if (w->ntx > 0)
			(void)flush(w);
		if (w->config->plus != NULL)
			stamp_run(w, slot_data(w, s, start), len, seg);
		stamped = 1;
		rc = send_gso(w, s, start, len, seg);
		if (rc == 0) {
			w->counters.echoed += n;
			w->counters.bytes_out += len;
			return;
		}
		if (!gso_refused(w, rc, seg)) {
			for (size_t off = 0; off < len; off += seg)
				count_refused(w, len - off < seg ? len - off : seg);
			return;
		}
		/* Plain replies, which the queue no longer joins: gso_max_seg is below seg now. */
	}
	for (size_t off = 0; off == 0 || off < len; off += seg) {
		queue_plain(w, s, start + off, len - off < seg ? len - off : seg, stamped);
		if (seg == 0)
			break;
	}
}

static void log_received(struct worker *w, const struct echo_peer *peer, const uint8_t *data,
			 size_t len, size_t shown)
{
	char who[ADDR_STR_MAX];

	addr_format_python(who, sizeof(who), peer);
	repr_bytes(w->repr, REPR_MAX_LEN(SERVE_BUF_SIZE) + 1, data, shown);
	fprintf(w->config->transcript, "received %zu bytes from %s\n%s\n", len, who, w->repr);
}

static void log_outcome(struct worker *w, const struct echo_peer *peer, const char *dropped,
			size_t sent, int send_rc)
{
	FILE *out = w->config->transcript;
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

/* The decision for one datagram; the limiter is shared by the workers under its lock. */
static enum echo_verdict decide(struct worker *w, const struct echo_peer *peer, const uint8_t *data,
				size_t len, int truncated)
{
	const struct serve_config *cf = w->config;
	struct echo_reply reply;
	enum echo_verdict verdict;

	w->counters.received++;
	w->counters.bytes_in += len;
	if (truncated) {
		w->counters.truncated++;
		return ECHO_VERDICT_COUNT;
	}
	if (cf->limiter_lock != NULL)
		pthread_mutex_lock(cf->limiter_lock);
	verdict = echo_decide(cf->policy, cf->limiter, w->now_us, peer, data, len, &reply);
	if (cf->limiter_lock != NULL)
		pthread_mutex_unlock(cf->limiter_lock);
	if (verdict != ECHO_VERDICT_ECHO) {
		w->counters.dropped[verdict]++;
		if (cf->plus != NULL &&
		    (verdict == ECHO_DROP_TOO_BIG || verdict == ECHO_DROP_RATE_LIMITED))
			plusserve_failed(cf->plus, len);
	}
	return verdict;
}

/*
 * Hold the wake signal off (hold 1) or let it in again (0).  A write to a
 * full pipe is interrupted by a signal too, and stdio would lose the line.
 */
static void hold_wake(int hold)
{
	sigset_t wake;

	sigemptyset(&wake);
	sigaddset(&wake, SERVE_WAKE_SIGNAL);
	pthread_sigmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &wake, NULL);
}

/*
 * The transcript: one datagram, its lines, its reply sent before the
 * outcome is printed, all of it without the wake signal (a stop waits for
 * the lines).
 */
static void serve_logged(struct worker *w, struct slot *s, uint8_t *data, size_t len,
			 size_t captured)
{
	enum echo_verdict verdict;
	const char *dropped = NULL;
	int rc = 0;

	hold_wake(1);
	flockfile(w->config->transcript);
	log_received(w, &s->peer, data, len, len < captured ? len : captured);
	verdict = decide(w, &s->peer, data, len, len > captured);
	if (verdict == ECHO_VERDICT_COUNT) {
		dropped = "truncated";
	} else if (verdict != ECHO_VERDICT_ECHO) {
		dropped = echo_verdict_name(verdict);
	} else {
		queue_plain(w, s, 0, len, 0);
		rc = flush(w);
	}
	log_outcome(w, &s->peer, dropped, len, rc);
	funlockfile(w->config->transcript);
	hold_wake(0);
}

/*
 * Every datagram of one message (a GRO run is many), each decided on its
 * own; consecutive echoed ones are replied to as a run, split where
 * decisions differ, at SERVE_MAX_SEGMENTS and at the family maximum.  A
 * run goes out in place because an echo reply is always the whole request
 * itself (echo.h's first invariant, unit-tested and fuzzed).
 */
static void serve_slot(struct worker *w, struct slot *s, const uint8_t *base, size_t len,
		       size_t captured)
{
	size_t seg = s->seg > 0 && s->seg < len ? s->seg : len;
	size_t cap = echo_family_max(&s->peer);
	size_t start = 0, n = 0;

	for (size_t off = 0;; off += seg) {
		size_t dlen = len - off < seg ? len - off : seg;
		enum echo_verdict v = decide(w, &s->peer, base + off, dlen, off + dlen > captured);

		if (n > 0 && (v != ECHO_VERDICT_ECHO || n == SERVE_MAX_SEGMENTS ||
			      off + dlen - start > cap)) {
			reply_run(w, s, start, off - start, seg, n);
			n = 0;
		}
		if (v == ECHO_VERDICT_ECHO && n++ == 0)
			start = off;
		if (off + dlen >= len) {
			if (n > 0)
				reply_run(w, s, start, off + dlen - start, seg, n);
			return;
		}
	}
}

/*
 * Returns how many messages arrived, 0 when the socket is drained, the
 * wait timed out (or a non-fatal error was counted), or -errno when fatal.
 * flags: MSG_DONTWAIT, or MSG_WAITFORONE to block for the first message.
 * vlen 1 is one recvmsg into slot 0: recvmmsg would also try for a second
 * message after the first, and hear EAGAIN when there is none.
 */
static int receive_batch(struct worker *w, unsigned vlen, int flags)
{
	int n;

	/* The kernel wrote these lengths only in the slots that got a message. */
	for (unsigned i = 0; i < w->written; i++) {
		w->rx[i].msg_hdr.msg_namelen = sizeof(w->slots[i].from);
		w->rx[i].msg_hdr.msg_controllen = sizeof(w->slots[i].control.buf);
	}
	w->written = 0;
	if (vlen == 1) {
		ssize_t len =
			recvmsg(w->fd, &w->rx[0].msg_hdr, (flags & ~MSG_WAITFORONE) | MSG_TRUNC);

		w->rx[0].msg_len = len >= 0 ? (unsigned)len : 0;
		n = len >= 0 ? 1 : -1;
	} else {
		n = recvmmsg(w->fd, w->rx, vlen, flags | MSG_TRUNC, NULL);
	}
	if (n >= 0) {
		w->written = (unsigned)n;
		return n;
	}
	switch (errno) {
	case EAGAIN:
	case EINTR:
		return 0;
	case EBADF:
	case EFAULT:
	case EINVAL:
	case ENOTSOCK:
		return -errno;
	default:
		/* An ICMP error reported for an earlier reply, ENOMEM: never fatal. */
		w->counters.recv_errors++;
		return 0;
	}
}

static void serve_batch(struct worker *w, unsigned n)
{
	if (w->config->plus != NULL)
		w->recv_ts = plusserve_now(w->config->plus);
	/* The clock is read only when a limiter needs it. */
	w->now_us = w->config->limiter != NULL ? net_now_us() : 0;
	for (unsigned i = 0; i < n; i++) {
		struct slot *s = &w->slots[i];
		uint8_t *base = w->bufs + (size_t)i * SERVE_BUF_SIZE;
		size_t len = w->rx[i].msg_len;
		size_t captured = (w->rx[i].msg_hdr.msg_flags & MSG_TRUNC) ? SERVE_BUF_SIZE : len;

		read_slot(w, s, &w->rx[i].msg_hdr);
		if (w->repr != NULL)
			serve_logged(w, s, base, len, captured);
		else
			serve_slot(w, s, base, len, captured);
	}
	if (w->ntx > 0)
		(void)flush(w);
}

/*
 * The kernel's drops on the worker's socket, cumulative for the socket as
 * SO_RXQ_OVFL reports them: a flood that overflows it before the worker
 * starts counts too.
 */
static void read_drops(struct worker *w)
{
	if (w->drops_at_end)
		(void)net_socket_drops(w->fd, &w->counters.kernel_drops);
}

/*
 * A report (SIGHUP) asks for the counters so far: copied here, by the one
 * thread that writes them, and published with done_gen, so the supervisor
 * reads a copy that no longer moves.  One load per receive when none is asked.
 */
static void answer_report(struct worker *w)
{
	unsigned gen = atomic_load_explicit(w->report_gen, memory_order_acquire);

	if (gen == w->seen_gen)
		return;
	read_drops(w);
	w->snapshot = w->counters;
	w->seen_gen = gen;
	atomic_store_explicit(&w->done_gen, gen, memory_order_release);
}

/*
 * One receive call per wake-up: a single recvmsg, as in the textbook loop,
 * or a batch (recvmmsg) that also takes whatever else is queued.  A batch
 * that finds one datagram pays a dequeue attempt that hears EAGAIN; one
 * that finds two saves a receive and a send call (the replies leave in one
 * sendmmsg).  Which pays depends on the load, and on the host from one
 * minute to the next: with two clients of one 65,507-byte request in
 * flight each, the loop that always batches cost 4% less CPU per echo
 * than the textbook loop in one paired run and 3% more half an hour later.
 * Batching also feeds itself: replies that leave together bring the next
 * requests back together.  In that load, 35-56% of this worker's batches
 * found two when it batched on, but only 5% of the single look every 16th
 * receive did when it received singly.
 *
 * So the worker batches for as long as batches pay at all: yield is how
 * often recent batches found more than one (a moving average, 1/8 weight,
 * in 1/256ths), and it batches while that is at least 1 in 16
 * (SERVE_BATCH_WORTH).  A batch that found more than one lifts the average
 * to at least 2 in 16 by itself, so the next receive is a batch too (a
 * queue building up is emptied at once).  Otherwise, as with one client of
 * one request in flight, it receives singly and batches every
 * SERVE_SINGLE_RUN-th time, to look again.  Against the earlier rule (a
 * batch every 16th receive only): 0.993x the CPU per echo in that load
 * (six pairs, 0.977..1.007), and no change with one client.
 */
#define SERVE_SINGLE_RUN 16u
#define SERVE_YIELD_ALL 256u
#define SERVE_BATCH_WORTH (SERVE_YIELD_ALL / 16)

/*
 * Receive, decide, reply until the halt flag is set.  The worker sleeps in
 * the receive call itself, one system call per wake-up: a ppoll before
 * every receive cost 15% more CPU per 65,507-byte echo at one datagram per
 * wake-up, and a receive timeout (to look at the flag now and then) 0.7%
 * more, both measured against the textbook loop.
 */
static int worker_loop(struct worker *w)
{
	int rc = 0;
	unsigned singles = 0;             /* single receives since the last batch */
	unsigned yield = SERVE_YIELD_ALL; /* how often a batch found more than one, in 1/256ths */

	while (rc == 0 && !stopped(w)) {
		int batch = yield >= SERVE_BATCH_WORTH || singles + 1 >= SERVE_SINGLE_RUN;
		int n = receive_batch(w, batch ? w->batch : 1, MSG_WAITFORONE);

		if (n > 0 && batch) {
			yield = yield - yield / 8 + (n > 1 ? SERVE_YIELD_ALL / 8 : 0);
			singles = 0;
		} else if (n > 0) {
			singles++;
		}
		if (n < 0)
			rc = n;
		else if (n > 0)
			serve_batch(w, (unsigned)n);
		answer_report(w);
	}
	read_drops(w);
	return rc;
}

static void worker_free(struct worker *w)
{
	free(w->bufs);
	free(w->slots);
	free(w->rx);
	free(w->rxiov);
	free(w->repr);
}

/* Everything the worker will ever use, allocated and touched now (RSS does not grow later). */
static int worker_init(struct worker *w, int fd, const struct serve_config *config)
{
	uint64_t drops;
	int rc;

	memset(w, 0, sizeof(*w));
	/* The worker sleeps in its receive calls: they must block. */
	rc = net_set_blocking(fd);
	if (rc != 0)
		return rc;
	w->fd = fd;
	w->wake_fd = -1;
	w->config = config;
	atomic_init(&w->done_gen, 0);
	w->batch = config->transcript != NULL ? 1 : SERVE_BATCH;
	/*
	 * Page-aligned, so every slot starts on a cache line: malloc's 16-byte
	 * offset made each 64 KiB copy in and out of a slot straddle lines,
	 * 2.5% more CPU per 65,507-byte echo (measured against the textbook
	 * loop on one CPU).
	 */
	w->bufs = aligned_alloc(SERVE_BUF_ALIGN, (size_t)w->batch * SERVE_BUF_SIZE);
	w->slots = calloc(w->batch, sizeof(*w->slots));
	w->rx = calloc(w->batch, sizeof(*w->rx));
	w->rxiov = calloc(w->batch, sizeof(*w->rxiov));
	if (config->transcript != NULL)
		w->repr = malloc(REPR_MAX_LEN(SERVE_BUF_SIZE) + 1);
	if (w->bufs == NULL || w->slots == NULL || w->rx == NULL || w->rxiov == NULL ||
	    (config->transcript != NULL && w->repr == NULL)) {
		worker_free(w);
		return -ENOMEM;
	}
	/* Not 0: the compiler would make malloc + memset(0) a calloc that touches nothing. */
	memset(w->bufs, 0xa5, (size_t)w->batch * SERVE_BUF_SIZE);
	for (unsigned i = 0; i < w->batch; i++) {
		w->rxiov[i] = (struct iovec){w->bufs + (size_t)i * SERVE_BUF_SIZE, SERVE_BUF_SIZE};
		w->rx[i].msg_hdr = (struct msghdr){.msg_name = &w->slots[i].from,
						   .msg_iov = &w->rxiov[i],
						   .msg_iovlen = 1,
						   .msg_control = w->slots[i].control.buf};
	}
	w->written = w->batch; /* the first receive sets every slot's lengths */
	/*
	 * GRO and GSO only without a transcript, which shows datagrams one at a
	 * time.  Without GRO (an old kernel) every message is one datagram.
	 */
	w->gso = config->transcript == NULL;
	w->gso_max_seg = SERVE_BUF_SIZE;
	/*
	 * No UDP_GRO (before Linux 5.0): no UDP_SEGMENT either, perhaps, and a
	 * kernel that ignores the control message would send a run as one
	 * datagram.  Plain replies only, then.
	 */
	if (net_set_gro(fd, w->gso) != 0)
		w->gso = 0;
	/*
	 * The kernel's drop count is read once at the end.  SO_RXQ_OVFL, the
	 * count with every datagram, cost a call per receive in the kernel
	 * (1-2% of the server's CPU at 64 bytes) and missed the drops after
	 * the last datagram; it stays only for kernels without SO_MEMINFO.
	 */
	w->drops_at_end = net_socket_drops(fd, &drops) == 0;
	if (!w->drops_at_end)
		(void)net_set_rxq_ovfl(fd);
	/*
	 * On a specific address the kernel sends from it anyway: a PKTINFO per
	 * reply would only cost a source-address check per datagram.
	 */
	w->wildcard = net_is_wildcard(fd) != 0;
	return 0;
}

static void waiting(const struct serve_config *config)
{
	if (config->transcript != NULL) {
		fputs("\nwaiting to receive message\n", config->transcript);
		fflush(config->transcript);
	}
}

struct group {
	struct worker *workers;
	size_t n;
	int wake_fd; /* a failed worker writes it */
	atomic_int halt;
	atomic_uint report_gen; /* raised for each report (SIGHUP) */
};

static void ignore_signal(int sig)
{
	(void)sig; /* Its work is done: the receive it interrupted returns EINTR. */
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t one = 1;

	hold_wake(0); /* started with every signal blocked */
	/*
	 * A file table of its own: while the table is shared (a process with
	 * threads), every system call on a descriptor takes and drops a
	 * reference to its file, 0.75% of the CPU per 65,507-byte echo at one
	 * datagram per wake-up, measured against the same loop in a
	 * single-threaded process.  The copy holds what the worker uses: its
	 * socket, wake_fd and the transcript's.  Without it (ENOMEM), the
	 * shared table works the same, only slower.
	 */
	(void)unshare(CLONE_FILES);
	w->rc = worker_loop(w);
	/* Its counters are final: a report now reads them as they are. */
	atomic_store_explicit(&w->done_gen, SERVE_REPORT_ENDED, memory_order_release);
	/* A failed worker wakes the supervisor, which stops the others. */
	if (w->rc != 0 && write(w->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is already non-zero: the supervisor is awake anyway. */
	}
	return NULL;
}

/*
 * Stop a worker and wait for it to end: interrupt its receive, and again
 * every SERVE_REKICK_MS, as one signal may land between its look at the
 * halt flag and its receive call.  Waits in steps of 1 ms on the monotonic
 * clock (pthread_tryjoin_np: a timed join would follow the wall clock, and
 * ThreadSanitizer does not know pthread_clockjoin_np).  A worker ends
 * within a batch, unless it is writing its transcript to a reader that has
 * stopped reading (a paused pager): -ETIMEDOUT after SERVE_STOP_WAIT_MS.
 */
static int stop_worker(const struct worker *w)
{
	struct timespec step = {0, 1000000L};

	for (unsigned ms = 0; ms < SERVE_STOP_WAIT_MS; ms++) {
		if (ms % SERVE_REKICK_MS == 0)
			(void)pthread_kill(w->thread, SERVE_WAKE_SIGNAL);
		if (pthread_tryjoin_np(w->thread, NULL) == 0)
			return 0;
		nanosleep(&step, NULL);
	}
	return -ETIMEDOUT;
}

/* Start worker w with every signal blocked but the wake signal, whatever the caller blocks. */
static int start_worker(struct worker *w)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

static void sum_counters(struct serve_counters *total, const struct serve_counters *c)
{
	total->received += c->received;
	total->bytes_in += c->bytes_in;
	total->echoed += c->echoed;
	total->bytes_out += c->bytes_out;
	for (int v = 0; v < ECHO_VERDICT_COUNT; v++)
		total->dropped[v] += c->dropped[v];
	total->truncated += c->truncated;
	total->send_errors += c->send_errors;
	total->recv_errors += c->recv_errors;
	total->kernel_drops += c->kernel_drops;
}

/* Waits (bounded) for worker w to answer report gen; adds its counters to *totals. */
static int collect_one(struct worker *w, unsigned gen, struct serve_counters *totals)
{
	struct timespec step = {0, 1000000L};
	unsigned done;

	/* Kicked every SERVE_REKICK_MS, as a stop does: one kick may land before its receive. */
	for (unsigned ms = 0;; ms++) {
		done = atomic_load_explicit(&w->done_gen, memory_order_acquire);
		if (done == gen || done == SERVE_REPORT_ENDED)
			break;
		if (ms == SERVE_STOP_WAIT_MS)
			return -ETIMEDOUT;
		if (ms % SERVE_REKICK_MS == 0)
			(void)pthread_kill(w->thread, SERVE_WAKE_SIGNAL);
		nanosleep(&step, NULL);
	}
	sum_counters(totals, done == SERVE_REPORT_ENDED ? &w->counters : &w->snapshot);
	return 0;
}

/*
 * The counters so far, summed as at the end, to config->on_report; NULL
 * when a worker did not answer (stuck writing its transcript to a reader
 * that stopped reading, holding the lock the summary would need).
 */
static void report(struct group *g, const struct serve_config *config)
{
	unsigned gen = atomic_load_explicit(&g->report_gen, memory_order_relaxed) + 1;
	struct serve_counters totals;
	int rc = 0;

	memset(&totals, 0, sizeof(totals));
	atomic_store_explicit(&g->report_gen, gen, memory_order_release);
	for (size_t i = 0; i < g->n && rc == 0; i++)
		rc = collect_one(&g->workers[i], gen, &totals);
	config->on_report(rc == 0 ? &totals : NULL, config->report_ctx);
}

/*
 * The calling thread sleeps with the signals let through until a stop or a
 * failed worker, and reports the counters whenever config->report is set.
 */
static void supervise(struct group *g, const struct serve_config *config,
		      const volatile sig_atomic_t *stop, const sigset_t *waitmask)
{
	struct pollfd pfd = {.fd = g->wake_fd, .events = POLLIN};

	while (!*stop) {
		if (ppoll(&pfd, 1, NULL, waitmask) > 0)
			return;
		if (config->report != NULL && *config->report) {
			*config->report = 0;
			report(g, config);
		}
	}
}

int serve_run_workers(const int *fds, size_t n, const struct serve_config *config,
		      struct serve_counters *counters, const volatile sig_atomic_t *stop,
		      const sigset_t *waitmask)
{
	struct group g = {NULL, 0, -1, 0, 0};
	struct sigaction wake, saved;
	size_t started = 0;
	int rc = 0;

	memset(counters, 0, sizeof(*counters));
	if (n == 0 || n > SERVE_MAX_WORKERS)
		return -EINVAL;
	g.workers = calloc(n, sizeof(*g.workers));
	g.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g.workers == NULL || g.wake_fd < 0) {
		rc = g.workers == NULL ? -ENOMEM : -errno;
		goto out;
	}
	atomic_init(&g.halt, 0);
	atomic_init(&g.report_gen, 0);
	sigemptyset(&wake.sa_mask);
	wake.sa_handler = ignore_signal;
	wake.sa_flags = 0; /* no SA_RESTART: the receive must return */
	if (sigaction(SERVE_WAKE_SIGNAL, &wake, &saved) != 0) {
		rc = -errno;
		goto out;
	}
	waiting(config);
	for (; started < n && rc == 0; started++) {
		struct worker *w = &g.workers[started];

		rc = worker_init(w, fds[started], config);
		if (rc != 0)
			break;
		w->wake_fd = g.wake_fd;
		w->halt = &g.halt;
		w->report_gen = &g.report_gen;
		rc = start_worker(w);
		if (rc != 0) {
			worker_free(w);
			break;
		}
	}
	g.n = started;
	if (rc == 0)
		supervise(&g, config, stop, waitmask);
	atomic_store(&g.halt, 1);
	for (size_t i = 0; i < g.n; i++) {
		/* Stuck: its memory is still in use and its counters still moving; leave both. */
		if (stop_worker(&g.workers[i]) != 0)
			return -ETIMEDOUT;
		if (rc == 0)
			rc = g.workers[i].rc;
		sum_counters(counters, &g.workers[i].counters);
		worker_free(&g.workers[i]);
	}
	sigaction(SERVE_WAKE_SIGNAL, &saved, NULL);
out:
	if (g.wake_fd >= 0)
		close(g.wake_fd);
	free(g.workers);
	return rc;
}

int serve_run(int fd, const struct serve_config *config, struct serve_counters *counters,
	      const volatile sig_atomic_t *stop, const sigset_t *waitmask)
{
	return serve_run_workers(&fd, 1, config, counters, stop, waitmask);
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
			 " truncated=%" PRIu64 " send_errors=%" PRIu64 " recv_errors=%" PRIu64
			 " kernel_drops=%" PRIu64,
			 ct->truncated, ct->send_errors, ct->recv_errors, ct->kernel_drops);
}
