/*
 * check_engine.c: the sockets, the clock and the one retry loop of
 * `udpecho check`.  Every request any check sends goes through
 * engine_run: tried on the measured round trip until answered, refused or
 * given up, every reply logged and attributed by the core (verdict.h).
 */
#include "check_impl.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "udpecho/echoplus.h"

uint64_t run_now_us(void)
{
	return net_now_us();
}

/*
 * Retries follow the round trip the run has measured (RFC 6298, clamped
 * between RUN_MIN_RTO_US and --timeout), so loss costs little time.
 * Giving up does not: nothing is called missing before the full wait the
 * user's --timeout and --retries allow (t + 2t + 4t ..., each at most 60 s).
 */
uint64_t run_full_wait(const struct run *r)
{
	return check_full_wait(r->cfg->timeout_us, r->cfg->tries);
}

static uint64_t quick_wait(const struct run *r)
{
	uint64_t quick =
		8 * r->rto.rto_us < RUN_MIN_GIVE_UP_US ? RUN_MIN_GIVE_UP_US : 8 * r->rto.rto_us;

	return quick < run_full_wait(r) ? quick : run_full_wait(r);
}

/* Long enough for a reply on the measured round trip, short enough to pace clients by. */
static uint64_t pace_wait(const struct run *r)
{
	uint64_t pace = 2 * r->rto.srtt_us;

	if (pace < RUN_MIN_PACE_US)
		pace = RUN_MIN_PACE_US;
	return pace < r->rto.rto_us ? pace : r->rto.rto_us;
}

static uint64_t patience_wait(const struct run *r, enum patience p)
{
	switch (p) {
	case PATIENCE_FULL:
		return run_full_wait(r);
	case PATIENCE_QUICK:
		return quick_wait(r);
	case PATIENCE_PACE:
	default:
		return pace_wait(r);
	}
}

const char *run_tries_word(unsigned n)
{
	return n == 1 ? "try" : "tries";
}

/* ---- The log ------------------------------------------------------------ */

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	q = realloc(p, n * size);
	if (q != NULL)
		*cap = n;
	return q;
}

static uint8_t *copy_bytes(const uint8_t *data, size_t len)
{
	uint8_t *p = malloc(len > 0 ? len : 1);

	if (p != NULL && len > 0)
		memcpy(p, data, len);
	return p;
}

static int xlog_push_tx(struct xlog *l, const uint8_t *data, size_t len, uint32_t request,
			int client, uint64_t at)
{
	size_t cap = l->txcap;
	struct verdict_tx *tx = grow(l->tx, &cap, l->ntx + 1, sizeof(*tx));
	uint64_t *tx_at;
	uint8_t *copy;

	if (tx == NULL)
		return -1;
	l->tx = tx;
	tx_at = realloc(l->tx_at, cap * sizeof(*tx_at));
	if (tx_at == NULL)
		return -1;
	l->tx_at = tx_at;
	l->txcap = cap;
	if ((copy = copy_bytes(data, len)) == NULL)
		return -1;
	l->tx[l->ntx] = (struct verdict_tx){copy, len, request, (uint16_t)client};
	l->tx_at[l->ntx++] = at;
	return 0;
}

static int xlog_push_rx(struct xlog *l, const uint8_t *data, size_t len, int client, int wrong,
			const struct echo_peer *from, uint64_t at)
{
	size_t cap = l->rxcap;
	struct verdict_rx *rx = grow(l->rx, &cap, l->nrx + 1, sizeof(*rx));
	uint64_t *rx_at;
	struct echo_peer *rx_from;
	uint8_t *copy;

	if (rx == NULL)
		return -1;
	l->rx = rx;
	if ((rx_at = realloc(l->rx_at, cap * sizeof(*rx_at))) == NULL)
		return -1;
	l->rx_at = rx_at;
	if ((rx_from = realloc(l->rx_from, cap * sizeof(*rx_from))) == NULL)
		return -1;
	l->rx_from = rx_from;
	l->rxcap = cap;
	if ((copy = copy_bytes(data, len)) == NULL)
		return -1;
	l->rx_at[l->nrx] = at;
	l->rx_from[l->nrx] = *from;
	l->rx[l->nrx++] = (struct verdict_rx){copy, len, (uint16_t)client, (uint8_t)wrong};
	return 0;
}

void xlog_free(struct xlog *l)
{
	for (size_t i = 0; i < l->ntx; i++)
		free((void *)l->tx[i].data);
	for (size_t i = 0; i < l->nrx; i++)
		free((void *)l->rx[i].data);
	free(l->tx);
	free(l->tx_at);
	free(l->rx);
	free(l->rx_at);
	free(l->rx_from);
	memset(l, 0, sizeof(*l));
}

void run_keep_log(struct run *r, struct xlog *l)
{
	if (r->cfg->evidence_dir != NULL && r->logs[r->current].ntx == 0) {
		r->logs[r->current] = *l;
		memset(l, 0, sizeof(*l));
		return;
	}
	xlog_free(l);
}

int xlog_tally(const struct xlog *l, size_t hint, struct verdict_tally *t)
{
	struct verdict_log log = {l->tx, l->ntx, l->rx, l->nrx, l->requests, hint};
	uint32_t *answers = calloc(l->ntx > 0 ? l->ntx : 1, sizeof(*answers));

	if (answers == NULL) {
		memset(t, 0, sizeof(*t));
		return -1;
	}
	verdict_tally(&log, answers, t);
	free(answers);
	return 0;
}

/* ---- Sockets ------------------------------------------------------------- */

int run_socket(struct run *r)
{
	int fd;

	if (r->nsocks == RUN_MAX_SOCKETS) {
		r->error = -EMFILE;
		return -1;
	}
	fd = net_client_socket(&r->cfg->target);
	if (fd < 0) {
		r->error = fd;
		return -1;
	}
	r->socks[r->nsocks] = (struct tracked){fd, 0, 0};
	return (int)r->nsocks++;
}

static void note_answer(struct run *r, int sock)
{
	if (!r->socks[sock].answered) {
		r->socks[sock].answered = 1;
		r->clients_served++;
	}
	if (r->home < 0)
		r->home = sock;
	r->suspect.set = 0;
}

/*
 * Reads one datagram into r->rep.  Returns its length, -EAGAIN when none
 * is queued, or another -errno (-ECONNREFUSED: an ICMP port unreachable).
 */
static ssize_t receive(struct run *r, int sock, int *wrong)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct echo_peer peer;
	int fd = r->socks[sock].fd;
	ssize_t n = recvfrom(fd, r->rep, RUN_BUF_SIZE, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);

	if (n < 0) {
		int err = errno;

		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
			return -EAGAIN;
		if (err == ECONNREFUSED)
			net_clear_error_queue(fd);
		return -err;
	}
	r->bytes_received += (uint64_t)n;
	r->datagrams_received++;
	net_to_peer((const struct sockaddr *)&from, &peer);
	r->from = peer;
	*wrong = !addr_peer_equal(&peer, &r->target);
	if (*wrong && r->wrong_sources++ == 0)
		r->wrong_source = peer;
	note_answer(r, sock);
	if (n > (ssize_t)RUN_BUF_SIZE)
		n = (ssize_t)RUN_BUF_SIZE;
	if (r->plus && (size_t)n >= ECHOPLUS_MIN_LEN) {
		static const uint8_t zeros[ECHOPLUS_REWRITE_END - ECHOPLUS_REWRITE_OFF];

		if (memcmp(r->rep + ECHOPLUS_REWRITE_OFF, zeros, sizeof(zeros)) != 0) {
			memset(r->rep + ECHOPLUS_REWRITE_OFF, 0, sizeof(zeros));
			r->plus_zeroed++;
		}
	}
	return n;
}

static void drain(struct run *r, int sock)
{
	int wrong, answered = r->socks[sock].answered;
	ssize_t n;

	/* A late ICMP report on a finished socket changes nothing now. */
	while ((n = receive(r, sock, &wrong)) >= 0 || n == -ECONNREFUSED) {
		if (n < 0)
			continue;
		if (answered)
			r->extra++;
		else
			r->late++;
	}
}

void run_drain_all(struct run *r)
{
	for (size_t i = 0; i < r->nsocks; i++)
		drain(r, (int)i);
}

/* ---- The engine ----------------------------------------------------------- */

struct slot slot_new(int sock, uint32_t request, unsigned max_tries)
{
	struct slot s;

	memset(&s, 0, sizeof(s));
	s.sock = sock;
	s.request = request;
	s.max_tries = max_tries;
	s.state = SLOT_WAITING;
	return s;
}

/* The port the kernel gave the socket at its first send: the packets of --evidence need it. */
static void note_local_port(struct tracked *t)
{
	struct net_addr local;
	struct echo_peer peer;

	if (net_local_addr(t->fd, &local) == 0) {
		net_to_peer((const struct sockaddr *)&local.ss, &peer);
		t->port = peer.port;
	}
}

static void add_rtt(struct run *r, uint64_t us)
{
	hist_record(&r->rtt, us * 1000u);
	if (r->rtt_count < RUN_MAX_RTT)
		r->rtt_us[r->rtt_count++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	verdict_rto_sample(&r->rto, us);
}

static void refuse(struct engine *e, struct run *r, int sock)
{
	e->log->refused = 1;
	r->refused++;
	for (size_t i = 0; i < e->n; i++) {
		if (e->slots[i].sock == sock && e->slots[i].state == SLOT_WAITING)
			e->slots[i].state = SLOT_REFUSED;
	}
}

static void slot_send(struct run *r, struct engine *e, struct slot *s, uint64_t now,
		      unsigned *sent_here)
{
	size_t len = e->build(r, e->ctx, s->request, s->tries, r->req);
	int fd = r->socks[s->sock].fd;

	if (xlog_push_tx(e->log, r->req, len, s->request, s->sock, now) != 0) {
		r->error = -ENOMEM;
		return;
	}
	s->last_tx = e->log->ntx - 1;
	if (sendto(fd, r->req, len, 0, (const struct sockaddr *)&r->cfg->target.ss,
		   r->cfg->target.len) < 0) {
		if (errno == ECONNREFUSED) {
			net_clear_error_queue(fd);
			refuse(e, r, s->sock);
			return;
		}
		/* A full send buffer drops the datagram as the network would: loss. */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			r->error = -errno;
			return;
		}
	} else {
		r->bytes_sent += len;
		r->datagrams_sent++;
		if (r->cfg->evidence_dir != NULL && r->socks[s->sock].port == 0)
			note_local_port(&r->socks[s->sock]);
	}
	/* A probe is no suspect: it asks about the requests before it. */
	if (!r->suspect.set && r->current != CHECK_SERVER_ALIVE)
		r->suspect = (struct run_point){r->current, s->request + 1, len, 1};
	s->tries++;
	if ((*sent_here)++ == 0) {
		s->wait = r->rto.rto_us;
		s->give_up = now + patience_wait(r, e->patience);
	}
	s->next_at = now + s->wait;
	s->wait = check_next_wait(s->wait);
}

/* The transmission a reply on sock most likely answers alone: its one waiting slot's. */
static size_t hint_for(const struct engine *e, int sock)
{
	size_t hint = e->log->ntx, waiting = 0;

	for (size_t i = 0; i < e->n; i++) {
		if (e->slots[i].sock == sock && e->slots[i].state == SLOT_WAITING &&
		    e->slots[i].tries > 0) {
			hint = e->slots[i].last_tx;
			waiting++;
		}
	}
	return waiting == 1 ? hint : e->log->ntx;
}

/* The slot of transmission tx's request, if it is this engine's, is answered. */
static void answer_slots(struct run *r, struct engine *e, size_t tx, uint64_t now)
{
	const struct xlog *l = e->log;

	for (size_t i = 0; i < e->n; i++) {
		struct slot *s = &e->slots[i];

		if (s->sock != (int)l->tx[tx].client || s->request != l->tx[tx].request)
			continue;
		if (s->state == SLOT_WAITING || s->state == SLOT_SILENT) {
			s->state = SLOT_ANSWERED;
			s->reply_rx = l->nrx - 1;
			s->reply_tx = tx;
			s->answered_at = now;
			add_rtt(r, now - l->tx_at[tx]);
		}
		r->last_answer = (struct run_point){r->current, s->request + 1, l->tx[tx].len, 1};
	}
}

static void take_reply(struct run *r, struct engine *e, int sock, size_t len, int wrong)
{
	struct xlog *l = e->log;
	struct verdict_match m;
	uint64_t now = run_now_us();

	if (xlog_push_rx(l, r->rep, len, sock, wrong, &r->from, now) != 0) {
		r->error = -ENOMEM;
		return;
	}
	m = verdict_attribute(l->tx, l->ntx, hint_for(e, sock), r->rep, len);
	if (m.kind == VERDICT_FOREIGN)
		return;
	if (m.kind == VERDICT_EXTENDED)
		r->longer_replies++;
	/*
	 * A reply on another client's socket still answers its request: the
	 * server served it, and misdelivery is clients.isolation's verdict.
	 * So does each request merged into one reply: boundaries are
	 * burst.boundaries' verdict.
	 */
	if (m.kind == VERDICT_MERGED) {
		size_t pieces[64], k = verdict_pieces(l->tx, l->ntx, r->rep, len, pieces, 64);

		for (size_t j = 0; j < k; j++)
			answer_slots(r, e, pieces[j], now);
	} else {
		answer_slots(r, e, m.tx, now);
	}
}

static void receive_all(struct run *r, struct engine *e, int sock)
{
	int wrong = 0;
	ssize_t n;

	while ((n = receive(r, sock, &wrong)) >= 0 && r->error == 0)
		take_reply(r, e, sock, (size_t)n, wrong);
	if (n == -ECONNREFUSED)
		refuse(e, r, sock);
	else if (n < 0 && n != -EAGAIN)
		r->error = (int)n;
}

/* Slots whose every try was waited out are silent. */
static void expire(struct engine *e, uint64_t now)
{
	for (size_t i = 0; i < e->n; i++) {
		struct slot *s = &e->slots[i];

		if (s->state == SLOT_WAITING && s->tries >= s->max_tries && now >= s->give_up)
			s->state = SLOT_SILENT;
	}
}

/* Sends what is due and gives up what is over; returns the next deadline (0: all done). */
static uint64_t step(struct run *r, struct engine *e, uint64_t now, unsigned *sent_here)
{
	uint64_t deadline = 0;
	size_t inflight = 0;

	expire(e, now);
	for (size_t i = 0; i < e->n; i++)
		inflight += e->slots[i].state == SLOT_WAITING && sent_here[i] > 0;
	for (size_t i = 0; i < e->n && r->error == 0; i++) {
		struct slot *s = &e->slots[i];
		uint64_t due;

		if (s->state != SLOT_WAITING)
			continue;
		if (sent_here[i] == 0) {
			/* Its turn comes when one in flight is answered or given up. */
			if (e->window > 0 && inflight >= e->window)
				continue;
			inflight++;
		}
		if (s->tries < s->max_tries && now >= s->next_at)
			slot_send(r, e, s, now, &sent_here[i]);
		if (s->state != SLOT_WAITING)
			continue;
		if (sent_here[i] == 0) {
			s->state = SLOT_SILENT; /* no try left to send */
			continue;
		}
		due = s->tries < s->max_tries && s->next_at < s->give_up ? s->next_at : s->give_up;
		if (deadline == 0 || due < deadline)
			deadline = due;
	}
	return deadline;
}

/* Waits for any of the engine's sockets until deadline; receives what came. */
static int wait_and_receive(struct run *r, struct engine *e, uint64_t deadline)
{
	struct pollfd pfd[RUN_MAX_SOCKETS];
	int idx[RUN_MAX_SOCKETS];
	unsigned char seen[RUN_MAX_SOCKETS] = {0};
	uint64_t now = run_now_us();
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < e->n; i++) {
		int s = e->slots[i].sock;

		if (!seen[s]) {
			seen[s] = 1;
			idx[n] = s;
			pfd[n++] = (struct pollfd){.fd = r->socks[s].fd, .events = POLLIN};
		}
	}
	rc = poll(pfd, n, deadline > now ? (int)((deadline - now + 999) / 1000) : 0);
	if (rc < 0 && errno != EINTR) {
		r->error = -errno;
		return -1;
	}
	for (size_t i = 0; rc > 0 && i < n; i++) {
		if (pfd[i].revents != 0)
			receive_all(r, e, idx[i]);
	}
	return 0;
}

static int interrupted(struct run *r)
{
	if (r->cfg->interrupted != NULL && *r->cfg->interrupted)
		r->interrupted = 1;
	return r->interrupted;
}

int engine_run(struct run *r, struct engine *e)
{
	unsigned *sent_here = calloc(e->n > 0 ? e->n : 1, sizeof(*sent_here));
	uint64_t linger_until = 0;
	int rc = 0;

	if (sent_here == NULL) {
		r->error = -ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < e->n; i++)
		e->slots[i].next_at = 0;
	for (;;) {
		uint64_t now = run_now_us(), deadline;

		if (interrupted(r) || r->error != 0) {
			rc = -1;
			break;
		}
		deadline = step(r, e, now, sent_here);
		if (r->error != 0)
			continue;
		if (e->enough != NULL && e->enough(e))
			break;
		if (deadline == 0) {
			if (!e->linger || (linger_until != 0 && now >= linger_until))
				break;
			if (linger_until == 0)
				linger_until = now + (2 * r->rto.rto_us < RUN_MIN_LINGER_US
							      ? RUN_MIN_LINGER_US
							      : 2 * r->rto.rto_us);
			deadline = linger_until;
		}
		if (wait_and_receive(r, e, deadline) != 0)
			continue;
	}
	free(sent_here);
	for (size_t i = 0; i < e->n; i++) {
		if (e->slots[i].state == SLOT_WAITING)
			e->slots[i].state = SLOT_SILENT;
		if (e->slots[i].state != SLOT_ANSWERED)
			r->trouble = 1;
	}
	return rc;
}

/* ---- Requests ------------------------------------------------------------- */

size_t build_fixed(struct run *r, void *ctx, uint32_t request, unsigned attempt, uint8_t *buf)
{
	const struct fixed_request *q = ctx;

	(void)r;
	(void)request;
	(void)attempt;
	if (q->len > 0)
		memcpy(buf, q->data, q->len);
	return q->len;
}

size_t build_tagged(struct run *r, void *ctx, uint32_t request, unsigned attempt, uint8_t *buf)
{
	const struct tagged_request *q = ctx;

	run_tag_payload(r, buf, q->len, q->stream, request, attempt);
	return q->len;
}

void run_tag_payload(struct run *r, uint8_t *buf, size_t len, unsigned stream, uint32_t seq,
		     unsigned attempt)
{
	struct check_tag tag = {r->run_id, (uint16_t)stream, (uint16_t)attempt, seq};

	if (r->plus && len >= ECHOPLUS_MIN_LEN + CHECK_TAG_LEN) {
		/* A UDPEchoPlus request: TestGenSN, zeros for the server, then the tag. */
		const struct echoplus_header h = {.gen_sn = seq};

		echoplus_encode(buf, len, &h);
		check_payload(buf + ECHOPLUS_MIN_LEN, len - ECHOPLUS_MIN_LEN, &tag);
		return;
	}
	if (r->plus && len >= ECHOPLUS_MIN_LEN) {
		/* Too short for a tag after the header: filler around the server's zeros. */
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)((i * 73 + len * 31 + seq + attempt) % 255 + 1);
		memset(buf + ECHOPLUS_REWRITE_OFF, 0, ECHOPLUS_REWRITE_END - ECHOPLUS_REWRITE_OFF);
		return;
	}
	if (len >= CHECK_TAG_LEN) {
		check_payload(buf, len, &tag);
		return;
	}
	/* Below a tag's length: non-NUL filler (NULs are echo.bytes' business). */
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 73 + len * 31 + seq) % 255 + 1);
}
