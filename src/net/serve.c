/*
 * serve.c: receive, reply, in batches: the system calls around batch.h's
 * planner, which decides every datagram and plans every reply.
 *
 * One worker owns one socket and memory allocated once at start: SERVE_BATCH
 * receive slots of 64 KiB (every one can hold the largest datagram or a
 * whole GRO run), their addresses and control messages, and the messages
 * of one plan.  Nothing is allocated per datagram.  A reply is a view into
 * its slot: the request's own bytes (stamped in place with --echo-plus),
 * never a copy.
 */
#include "udpecho/serve.h"

#include <errno.h>
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

#include "udpecho/batch.h"
#include "udpecho/net.h"
#include "udpecho/plusserve.h"

/* Larger than any UDP payload (65,527) and any GRO run (64 KiB), so MSG_TRUNC means a surprise. */
#define SERVE_BUF_SIZE 65536u
/* The slots' alignment: a page (SERVE_BUF_SIZE is a multiple of it, as aligned_alloc wants). */
#define SERVE_BUF_ALIGN 4096u
/*
 * Receive slots per recvmmsg: 32 x 64 KiB = 2 MiB per worker (the figures
 * behind the number are in docs/benchmarks.md).
 */
#ifndef SERVE_BATCH
#define SERVE_BATCH 32u
#endif
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
	union reply_control reply; /* the reply's PKTINFO: route.sourcelen bytes of it */
	struct echo_peer peer;
	struct batch_route route; /* from, reply and peer, for the planner */
	size_t seg;               /* GRO segment size; 0 when the message is one datagram */
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
	unsigned batch;   /* slots used per recvmmsg: 1 with events */
	unsigned written; /* slots the last receive filled: their lengths need resetting */
	int wildcard;     /* bound to 0.0.0.0 or ::: replies need the request's PKTINFO */
	int drops_at_end; /* kernel drops read with SO_MEMINFO when the worker stops */
	uint8_t *bufs;    /* batch x SERVE_BUF_SIZE */
	struct slot *slots;
	struct mmsghdr *rx;
	struct iovec *rxiov;
	struct batch_plan plan;
	struct batch_rules rules;
	struct mmsghdr tx[BATCH_SPANS];         /* the plan's sends */
	union reply_control txctl[BATCH_SPANS]; /* a GSO send's PKTINFO and UDP_SEGMENT */
	struct iovec txiov[BATCH_SPANS];        /* the plan's spans */
	uint32_t recv_ts;                       /* --echo-plus: the batch's receive time */
	int rc;                                 /* a worker thread's result */
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

/* Peer, arrival, route, GRO segment size and the kernel's drop count of one message. */
static void read_slot(struct worker *w, struct slot *s, const struct msghdr *msg)
{
	struct msghdr in = *msg;
	size_t reply_len = 0;

	net_to_peer((const struct sockaddr *)&s->from, &s->peer);
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
			if (reply_len == 0 && w->wildcard)
				reply_len = reply_pktinfo(c, &s->reply);
		}
	}
	s->route = (struct batch_route){.peer = &s->peer,
					.name = &s->from,
					.source = s->reply.buf,
					.namelen = msg->msg_namelen,
					.sourcelen = (uint32_t)reply_len};
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

/* Slot i's bytes from off on: requests, and the replies sent from them in place. */
static uint8_t *slot_data(const struct worker *w, unsigned slot, size_t off)
{
	return w->bufs + (size_t)slot * SERVE_BUF_SIZE + off;
}

/* The datagrams of send i lost: counted, and for --echo-plus each one a failure. */
static void lose(struct worker *w, unsigned i)
{
	const struct batch_send *s = &w->plan.sends[i];
	struct batch_cursor cur = {0, 0};
	struct batch_span d;

	batch_count_lost(&w->counters, s->segs);
	while (w->config->plus != NULL && batch_next(&w->plan, s, &cur, &d))
		plusserve_failed(w->config->plus, d.len);
}

/* Control messages for a GSO send: the reply's PKTINFO (plain bytes of it), then UDP_SEGMENT. */
static size_t gso_control(union reply_control *out, const struct batch_route *route, size_t seg)
{
	uint16_t size = (uint16_t)seg;
	struct cmsghdr *c;

	memset(out, 0, sizeof(*out));
	memcpy(out->buf, route->source, route->sourcelen);
	c = (struct cmsghdr *)(out->buf + route->sourcelen);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	return route->sourcelen + CMSG_SPACE(sizeof(size));
}

/* Send i's msghdr: its spans as iovecs, its route, and UDP_SEGMENT when it is a run. */
static void build(struct worker *w, unsigned i)
{
	const struct batch_send *s = &w->plan.sends[i];
	const struct batch_route *route = s->route;
	struct msghdr *m = &w->tx[i].msg_hdr;

	for (unsigned k = s->first; k < s->first + s->nspans; k++) {
		const struct batch_span *span = &w->plan.spans[k];

		w->txiov[k] = (struct iovec){slot_data(w, span->slot, span->off), span->len};
	}
	*m = (struct msghdr){
		.msg_name = (void *)route->name,
		.msg_namelen = route->namelen,
		.msg_iov = &w->txiov[s->first],
		.msg_iovlen = s->nspans,
		.msg_control = route->sourcelen > 0 ? (void *)route->source : NULL,
		.msg_controllen = route->sourcelen,
	};
	if (s->segs > 1) {
		m->msg_control = w->txctl[i].buf;
		m->msg_controllen = gso_control(&w->txctl[i], route, s->seg);
	}
}

/* --echo-plus: every reply of the plan gets the batch's receive time and this send time. */
static void stamp(struct worker *w)
{
	uint32_t reply_ts = plusserve_now(w->config->plus);

	for (unsigned i = 0; i < w->plan.nsends; i++) {
		struct batch_cursor cur = {0, 0};
		struct batch_span d;

		while (batch_next(&w->plan, &w->plan.sends[i], &cur, &d))
			plusserve_stamp(w->config->plus, slot_data(w, d.slot, d.off), d.len,
					w->recv_ts, reply_ts);
	}
}

/* The datagrams of send i, one plain send each: the path refused them as one run. */
static void send_split(struct worker *w, unsigned i)
{
	const struct batch_send *s = &w->plan.sends[i];
	struct batch_cursor cur = {0, 0};
	struct batch_span d;
	struct iovec iov;
	struct msghdr m = {
		.msg_name = (void *)s->route->name,
		.msg_namelen = s->route->namelen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = s->route->sourcelen > 0 ? (void *)s->route->source : NULL,
		.msg_controllen = s->route->sourcelen,
	};

	while (batch_next(&w->plan, s, &cur, &d)) {
		iov = (struct iovec){slot_data(w, d.slot, d.off), d.len};
		if (sendmsg(w->fd, &m, MSG_DONTWAIT) >= 0 ||
		    ((errno == EAGAIN || errno == ENOBUFS) && wait_writable(w) &&
		     sendmsg(w->fd, &m, MSG_DONTWAIT) >= 0)) {
			batch_count_sent(&w->counters, 1, d.len);
		} else {
			batch_count_lost(&w->counters, 1);
			if (w->config->plus != NULL)
				plusserve_failed(w->config->plus, d.len);
		}
	}
}

/*
 * One message: without sendmmsg's loop around it, and as a plain sendto
 * when it is one datagram without control messages (a specific bind).
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
 * Send the plan with sendmmsg, and empty it.  A full buffer gets one short
 * wait per flush; a refused message is triaged by the planner: sent again
 * datagram by datagram, or counted lost.  Returns 0, or the last refusal's
 * -errno.
 */
static int flush(struct worker *w)
{
	struct batch_plan *p = &w->plan;
	unsigned done = 0;
	int waited = 0, rc = 0;

	if (p->nsends == 0)
		return 0;
	for (unsigned i = 0; i < p->nsends; i++)
		build(w, i);
	if (w->config->plus != NULL)
		stamp(w);
	while (done < p->nsends) {
		int n = p->nsends - done == 1
				? send_one(w, &w->tx[done].msg_hdr)
				: sendmmsg(w->fd, w->tx + done, p->nsends - done, MSG_DONTWAIT);

		for (int i = 0; i < n; i++, done++)
			batch_count_sent(&w->counters, p->sends[done].segs, p->sends[done].bytes);
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
		if (batch_refused(p, &p->sends[done], -rc))
			send_split(w, done);
		else
			lose(w, done);
		done++;
	}
	batch_plan_clear(p);
	return rc;
}

/* One received message, slot i, as the planner sees it. */
static struct batch_msg message(const struct worker *w, unsigned i)
{
	size_t len = w->rx[i].msg_len;

	return (struct batch_msg){
		.route = &w->slots[i].route,
		.data = slot_data(w, i, 0),
		.len = len,
		.captured = (w->rx[i].msg_hdr.msg_flags & MSG_TRUNC) ? SERVE_BUF_SIZE : len,
		.seg = w->slots[i].seg,
		.slot = i,
	};
}

/* The rate limiter is shared by the workers, under its lock. */
static void lock_limiter(const struct worker *w, int lock)
{
	pthread_mutex_t *m = w->config->limiter_lock;

	if (m != NULL)
		(void)(lock ? pthread_mutex_lock(m) : pthread_mutex_unlock(m));
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
 * One datagram at a time, reported before it is decided and after its
 * reply is sent, all of it without the wake signal (a stop waits for the
 * event calls).
 */
static void serve_reported(struct worker *w, const struct batch_msg *msg)
{
	struct serve_event ev = {.kind = SERVE_EVENT_RECEIVED,
				 .peer = msg->route->peer,
				 .data = msg->data,
				 .len = msg->len,
				 .captured = msg->len < msg->captured ? msg->len : msg->captured};

	hold_wake(1);
	w->config->on_event(&ev, w->config->event_ctx);
	lock_limiter(w, 1);
	ev.verdict = batch_decide(&w->rules, &w->counters, msg->route->peer, msg->data, msg->len,
				  msg->len > msg->captured);
	lock_limiter(w, 0);
	if (ev.verdict == ECHO_VERDICT_ECHO) {
		(void)batch_plan_add(&w->plan, msg, 0, msg->len);
		ev.send_rc = flush(w);
	}
	ev.kind = SERVE_EVENT_DONE;
	w->config->on_event(&ev, w->config->event_ctx);
	hold_wake(0);
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

/* --echo-plus: a request too big or rate limited counts as a failure. */
static void unanswered(void *ctx, size_t len)
{
	plusserve_failed(ctx, len);
}

static void serve_batch(struct worker *w, unsigned n)
{
	if (w->config->plus != NULL)
		w->recv_ts = plusserve_now(w->config->plus);
	/* The clock is read only when a limiter needs it. */
	w->rules.now_us = w->config->limiter != NULL ? net_now_us() : 0;
	for (unsigned i = 0; i < n; i++) {
		struct batch_msg msg;
		size_t next = 0;

		read_slot(w, &w->slots[i], &w->rx[i].msg_hdr);
		msg = message(w, i);
		if (w->config->on_event != NULL) {
			serve_reported(w, &msg);
			continue;
		}
		lock_limiter(w, 1);
		while (batch_plan_message(&w->plan, &w->rules, &w->counters, &msg, &next)) {
			lock_limiter(w, 0);
			(void)flush(w);
			lock_limiter(w, 1);
		}
		lock_limiter(w, 0);
	}
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
 * Receive, plan, send until the halt flag is set.  The worker sleeps in
 * the receive call itself, one system call per wake-up: a ppoll before
 * every receive, or a receive timeout (to look at the flag now and then),
 * costs CPU per echo (docs/benchmarks.md).
 */
static int worker_loop(struct worker *w)
{
	struct batch_rhythm rhythm;
	int rc = 0;

	batch_rhythm_init(&rhythm);
	while (rc == 0 && !stopped(w)) {
		int batch = batch_rhythm_batch(&rhythm);
		int n = receive_batch(w, batch ? w->batch : 1, MSG_WAITFORONE);

		if (n > 0)
			batch_rhythm_note(&rhythm, batch, (unsigned)n);
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
}

/* Everything the worker will ever use, allocated and touched now (RSS does not grow later). */
static int worker_init(struct worker *w, int fd, const struct serve_config *config)
{
	uint64_t drops;
	int rc, batched;

	memset(w, 0, sizeof(*w));
	/* The worker sleeps in its receive calls: they must block. */
	rc = net_set_blocking(fd);
	if (rc != 0)
		return rc;
	w->fd = fd;
	w->wake_fd = -1;
	w->config = config;
	atomic_init(&w->done_gen, 0);
	w->batch = config->on_event != NULL ? 1 : SERVE_BATCH;
	/*
	 * Page-aligned, so every slot starts on a cache line: malloc's 16-byte
	 * offset makes each 64 KiB copy in and out of a slot straddle lines.
	 */
	w->bufs = aligned_alloc(SERVE_BUF_ALIGN, (size_t)w->batch * SERVE_BUF_SIZE);
	w->slots = calloc(w->batch, sizeof(*w->slots));
	w->rx = calloc(w->batch, sizeof(*w->rx));
	w->rxiov = calloc(w->batch, sizeof(*w->rxiov));
	if (w->bufs == NULL || w->slots == NULL || w->rx == NULL || w->rxiov == NULL) {
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
	 * GRO and GSO only on the batched path: events show datagrams one at a
	 * time.  No UDP_GRO (before Linux 5.0): no UDP_SEGMENT either, perhaps,
	 * and a kernel that ignores the control message would send a run as
	 * one datagram.  Plain replies only, then.
	 */
	batched = config->on_event == NULL;
	batch_plan_init(&w->plan, net_set_gro(fd, batched) == 0 && batched);
	w->rules = (struct batch_rules){.policy = config->policy,
					.limiter = config->limiter,
					.unanswered = config->plus != NULL ? unanswered : NULL,
					.ctx = config->plus};
	/*
	 * The kernel's drop count is read once at the end.  SO_RXQ_OVFL, the
	 * count with every datagram, costs a call per receive in the kernel
	 * and misses the drops after the last datagram; it stays only for
	 * kernels without SO_MEMINFO.
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
	 * reference to its file.  The copy holds what the worker uses: its
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
	serve_counters_add(totals, done == SERVE_REPORT_ENDED ? &w->counters : &w->snapshot);
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
		serve_counters_add(counters, &g.workers[i].counters);
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
