/*
 * check_multi.c: the checks of many requests: reply.once, burst.boundaries,
 * clients.isolation, burst.loss and clients.many.
 *
 * A MUST here passes only on the full sample: whatever a burst loses is
 * retried afterwards one request at a time (paced), and a request still
 * unanswered leaves the check inconclusive.  Loss is burst.loss's business
 * alone; a reply with the wrong bytes is a reply, in every check.
 */
#include "check_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONCE_REQUESTS 8
#define BURST_REQUESTS 32
#define CLIENTS 8u
#define CLIENT_ROUNDS 4u
#define CLIENT_REQUESTS 32u /* CLIENTS * CLIENT_ROUNDS */
#define LOSS_REQUESTS 128
#define LOSS_WINDOW 32
#define MANY_CLIENTS 200

static const struct tagged_request once_request = {STREAM_ONCE, 64};
static const struct tagged_request loss_request = {STREAM_LOSS, 64};
static const struct tagged_request many_request = {STREAM_MANY, 64};

/*
 * Retries, one request in flight at a time, of every request a burst left
 * unanswered, unless a defect of the rule already decides the check.  The
 * first request still unanswered after its retries ends them: the check
 * can no longer pass on a full sample, and waiting out the rest would
 * only cost time.
 */
static void paced_retries(struct run *r, struct engine *e, struct slot *slots, size_t n,
			  enum verdict_rule rule)
{
	struct engine one = *e;
	struct verdict_tally t;

	if (xlog_tally(e->log, e->log->ntx, &t) == 0 && verdict_rule_defect(rule, &t))
		return;
	one.n = 1;
	one.window = 0;
	one.patience = PATIENCE_FULL;
	for (size_t i = 0; i < n && !r->interrupted && r->error == 0 && !e->log->refused; i++) {
		if (slots[i].state != SLOT_SILENT)
			continue;
		slots[i].state = SLOT_WAITING;
		slots[i].max_tries = slots[i].tries + r->cfg->tries;
		one.slots = &slots[i];
		engine_run(r, &one);
		if (slots[i].state != SLOT_ANSWERED)
			break;
	}
}

/* A last listen on the check's sockets, for duplicates and stragglers. */
static void linger_pass(struct run *r, const struct engine *e)
{
	struct engine last = *e;

	last.linger = 1;
	engine_run(r, &last);
}

static size_t count_state(const struct slot *slots, size_t n, enum slot_state state)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += slots[i].state == state;
	return k;
}

/*
 * reply.once: the requests one after another on one socket, each sent
 * once and waited for, so that a server cannot merge them; then the ones
 * lost retried, and a last listen for late duplicates.
 */
void run_reply_once(struct run *r, struct check_result *res)
{
	struct xlog log = {.requests = ONCE_REQUESTS};
	struct slot slots[ONCE_REQUESTS];
	struct engine e = {&log,           slots, 1, build_tagged, (void *)&once_request,
			   PATIENCE_QUICK, 0,     0, NULL};
	struct verdict_tally t;
	int sock = run_socket(r);
	enum check_status status;

	for (uint32_t seq = 0; seq < ONCE_REQUESTS; seq++)
		slots[seq] = slot_new(sock, seq, 1);
	for (uint32_t seq = 0; seq < ONCE_REQUESTS && sock >= 0; seq++) {
		e.slots = &slots[seq];
		if (engine_run(r, &e) != 0 || log.refused)
			break;
		/* Two requests without any reply: a silent server, no need to wait out eight. */
		if (seq == 1 && count_state(slots, 2, SLOT_ANSWERED) == 0)
			break;
	}
	e.slots = slots;
	e.n = ONCE_REQUESTS;
	paced_retries(r, &e, slots, ONCE_REQUESTS, VERDICT_RULE_ONCE);
	linger_pass(r, &e);
	xlog_tally(&log, log.ntx, &t);
	status = verdict_judge(VERDICT_RULE_ONCE, &t, 0);
	run_evidence_sample(res, &t);
	report_evidence_int(res, "replies", t.replies);
	report_evidence_int(res, "duplicates", t.duplicates);
	if (status == CHECK_FAIL) {
		report_set(res, CHECK_FAIL,
			   "request %u was answered %u times (%u replies to %u requests)",
			   t.dup_request + 1, t.dup_count, t.replies, ONCE_REQUESTS);
		report_evidence_str(res, "failure", "duplicate");
	} else if (status == CHECK_PASS) {
		report_set(res, CHECK_PASS, "each of %u requests was answered exactly once%s",
			   ONCE_REQUESTS,
			   t.kinds[VERDICT_EXACT] < t.replies ? " (some replies altered)" : "");
	} else {
		report_set(
			res, CHECK_INCONCLUSIVE,
			"%u of %u requests answered, even retried one at a time: too few to judge",
			t.judged, ONCE_REQUESTS);
	}
	run_keep_log(r, &log);
}

/* Burst sizes vary from 64 to 512 bytes: small enough that truncation is not the question. */
static size_t burst_len(uint32_t seq)
{
	return 64 + (seq * 97u) % 449u;
}

static size_t build_burst(struct run *r, void *ctx, uint32_t request, unsigned attempt,
			  uint8_t *buf)
{
	(void)ctx;
	run_tag_payload(r, buf, burst_len(request), STREAM_BURST, request, attempt);
	return burst_len(request);
}

/* Words for the defect of the lowest request: what a person reads first. */
static void burst_defect(const struct xlog *l, const struct verdict_tally *t, char *out, size_t cap,
			 const char **failure)
{
	const struct verdict_tx *tx = &l->tx[t->worst.tx];
	const struct verdict_rx *rx = &l->rx[t->worst_rx];
	char why[REPORT_DETAIL_MAX - 32];

	switch (t->worst.kind) {
	case VERDICT_MERGED:
		*failure = "merged";
		snprintf(out, cap, "requests %u to %u came back merged into one %zu-byte datagram",
			 t->worst_request + 1, t->worst_request + (uint32_t)t->worst.pieces,
			 t->worst_len);
		break;
	case VERDICT_TRUNCATED:
		*failure = "size";
		snprintf(out, cap, "request %u (%zu bytes) came back as its first %zu: split",
			 t->worst_request + 1, tx->len, t->worst_len);
		break;
	case VERDICT_EXTENDED:
		*failure = "size";
		snprintf(out, cap, "request %u came back %zu bytes longer than the %zu sent",
			 t->worst_request + 1, t->worst.at, tx->len);
		break;
	case VERDICT_ALTERED:
		*failure = "bytes";
		check_describe(why, sizeof(why), tx->data, tx->len, rx->data, rx->len);
		snprintf(out, cap, "request %u came back %s", t->worst_request + 1, why);
		break;
	case VERDICT_FOREIGN:
	default:
		*failure = "bytes";
		snprintf(out, cap,
			 "a %zu-byte reply is no request: a piece of a split or merged datagram",
			 t->worst_len);
		break;
	}
}

void run_burst_boundaries(struct run *r, struct check_result *res)
{
	struct xlog log = {.requests = BURST_REQUESTS};
	struct slot slots[BURST_REQUESTS];
	struct engine e = {&log, slots, BURST_REQUESTS, build_burst, NULL, PATIENCE_QUICK, 1,
			   0,    NULL};
	struct verdict_tally t;
	int sock = run_socket(r);
	enum check_status status;

	for (uint32_t seq = 0; seq < BURST_REQUESTS; seq++)
		slots[seq] = slot_new(sock, seq, 1);
	if (sock >= 0 && engine_run(r, &e) == 0)
		paced_retries(r, &e, slots, BURST_REQUESTS, VERDICT_RULE_BOUNDARIES);
	xlog_tally(&log, log.ntx, &t);
	status = verdict_judge(VERDICT_RULE_BOUNDARIES, &t, 0);
	run_evidence_sample(res, &t);
	report_evidence_int(res, "exact", t.kinds[VERDICT_EXACT]);
	report_evidence_int(res, "merged", t.kinds[VERDICT_MERGED]);
	report_evidence_int(res, "split", t.kinds[VERDICT_TRUNCATED]);
	report_evidence_int(res, "altered", t.kinds[VERDICT_ALTERED] + t.kinds[VERDICT_EXTENDED]);
	report_evidence_int(res, "unrecognised", t.kinds[VERDICT_FOREIGN]);
	report_evidence_int(res, "retries_merged_elsewhere", (long long)r->self_merged);
	if (status == CHECK_FAIL) {
		char what[REPORT_DETAIL_MAX];
		const char *failure = "bytes";

		burst_defect(&log, &t, what, sizeof(what), &failure);
		report_set(res, CHECK_FAIL, "%s", what);
		report_evidence_str(res, "failure", failure);
	} else if (r->self_merged > 0) {
		report_set(res, CHECK_FAIL,
			   "%llu earlier requests came back merged with their own retries into one "
			   "datagram",
			   (unsigned long long)r->self_merged);
		report_evidence_str(res, "failure", "merged");
	} else if (status == CHECK_PASS) {
		report_set(res, CHECK_PASS,
			   "%u distinct datagrams came back as %u datagrams, each whole and exact",
			   BURST_REQUESTS, t.replies);
	} else {
		report_set(res, CHECK_INCONCLUSIVE,
			   "%u of %u distinct datagrams came back, each whole and exact; the rest "
			   "not even retried one at a time: too few to judge",
			   t.judged, BURST_REQUESTS);
	}
	run_keep_log(r, &log);
}

static size_t build_client(struct run *r, void *ctx, uint32_t request, unsigned attempt,
			   uint8_t *buf)
{
	(void)ctx;
	run_tag_payload(r, buf, 64, STREAM_CLIENT0 + request % CLIENTS, request / CLIENTS, attempt);
	return 64;
}

void run_clients_isolation(struct run *r, struct check_result *res)
{
	struct xlog log = {.requests = CLIENT_REQUESTS};
	struct slot slots[CLIENT_REQUESTS];
	struct engine e = {&log, slots, CLIENT_REQUESTS, build_client, NULL, PATIENCE_QUICK, 1,
			   0,    NULL};
	struct verdict_tally t;
	int socks[CLIENTS];
	enum check_status status;

	for (size_t c = 0; c < CLIENTS; c++) {
		if ((socks[c] = run_socket(r)) < 0)
			return;
	}
	/* Round-robin (request = round * CLIENTS + client): every client has requests in flight. */
	for (uint32_t q = 0; q < CLIENT_REQUESTS; q++)
		slots[q] = slot_new(socks[q % CLIENTS], q, 1);
	if (engine_run(r, &e) == 0)
		paced_retries(r, &e, slots, CLIENT_REQUESTS, VERDICT_RULE_ISOLATION);
	xlog_tally(&log, log.ntx, &t);
	status = verdict_judge(VERDICT_RULE_ISOLATION, &t, 0);
	run_evidence_sample(res, &t);
	report_evidence_int(res, "clients", CLIENTS);
	report_evidence_int(res, "misdelivered", t.crossed);
	if (status == CHECK_FAIL) {
		unsigned victim = 0, owner = 0;

		for (unsigned c = 0; c < CLIENTS; c++) {
			victim = socks[c] == t.cross_victim ? c : victim;
			owner = socks[c] == t.cross_owner ? c : owner;
		}
		report_set(res, CHECK_FAIL, "client %u received client %u's data (%u misdelivered)",
			   victim + 1, owner + 1, t.crossed);
		report_evidence_str(res, "failure", "crosstalk");
	} else if (status == CHECK_PASS) {
		report_set(res, CHECK_PASS,
			   "%u concurrent clients each got only their own data (%u of %u requests "
			   "answered)",
			   CLIENTS, t.judged, CLIENTS * CLIENT_ROUNDS);
	} else {
		report_set(res, CHECK_INCONCLUSIVE,
			   "%u of %u requests of %u clients answered, even retried one at a time: "
			   "too few to judge",
			   t.judged, CLIENTS * CLIENT_ROUNDS, CLIENTS);
	}
	run_keep_log(r, &log);
}

/* LOSS_WINDOW requests in flight until LOSS_REQUESTS were sent, each once: this measures loss. */
void run_burst_loss(struct run *r, struct check_result *res)
{
	struct xlog log = {.requests = LOSS_REQUESTS};
	struct slot slots[LOSS_REQUESTS];
	struct engine e = {&log,           slots, LOSS_WINDOW, build_tagged, (void *)&loss_request,
			   PATIENCE_QUICK, 0,     LOSS_WINDOW, NULL};
	struct verdict_tally t;
	int sock = run_socket(r);
	unsigned altered;
	double loss;

	for (uint32_t seq = 0; seq < LOSS_REQUESTS; seq++)
		slots[seq] = slot_new(sock, seq, 1);
	/* A first window with nothing back: the server is silent, no need to wait out the rest. */
	if (sock >= 0 && engine_run(r, &e) == 0 && count_state(slots, LOSS_WINDOW, SLOT_ANSWERED)) {
		e.slots = slots + LOSS_WINDOW;
		e.n = LOSS_REQUESTS - LOSS_WINDOW;
		engine_run(r, &e);
	}
	log.requests = (uint32_t)log.ntx;
	xlog_tally(&log, log.ntx, &t);
	altered = t.replies - t.kinds[VERDICT_EXACT];
	loss = t.requests > 0 ? 100.0 * (double)(t.requests - t.judged) / t.requests : 0.0;
	report_evidence_int(res, "sent", t.requests);
	report_evidence_int(res, "echoed", t.judged);
	report_evidence_int(res, "altered", altered);
	report_evidence_num(res, "loss_pct", loss);
	report_evidence_int(res, "window", LOSS_WINDOW);
	report_set(res, verdict_judge(VERDICT_RULE_LOSS, &t, t.judged > 0),
		   "%u of %u echoed (%.1f%% loss, window %u, no retries)%s", t.judged, t.requests,
		   loss, LOSS_WINDOW,
		   altered > 0 ? "; some echoes came back altered, which is no loss" : "");
	run_keep_log(r, &log);
}

static void many_words(struct check_result *res, const struct verdict_clients *v, uint32_t earlier)
{
	report_evidence_int(res, "clients", v->clients);
	report_evidence_int(res, "served", v->served);
	report_evidence_int(res, "first_unserved", v->first_unserved);
	report_evidence_int(res, "earlier_clients", earlier);
	report_evidence_int(res, "requests", v->clients);
	report_evidence_int(res, "judged", v->served);
	if (v->status == CHECK_PASS) {
		report_set(res, CHECK_PASS,
			   "%u distinct clients (source ports), one request each, each got their "
			   "echo",
			   v->clients);
	} else if (v->status == CHECK_FAIL) {
		report_set(res, CHECK_FAIL,
			   "the server stopped serving new clients after %u: client %u of this "
			   "check was %s, while its first client still gets echoes (%u served "
			   "here, %u earlier in the run)",
			   v->served + earlier, v->first_unserved,
			   v->refused ? "refused (ICMP port unreachable)" : "ignored", v->served,
			   earlier);
		report_evidence_str(res, "failure", v->refused ? "refused" : "unserved");
	} else {
		report_set(res, CHECK_INCONCLUSIVE,
			   "%u of %u clients got their echo, the first without at client %u: too "
			   "few to judge",
			   v->served, v->clients, v->first_unserved);
	}
}

static enum verdict_client client_state(const struct slot *s)
{
	switch (s->state) {
	case SLOT_ANSWERED:
		return VERDICT_CLIENT_SERVED;
	case SLOT_REFUSED:
		return VERDICT_CLIENT_REFUSED;
	case SLOT_WAITING:
		return VERDICT_CLIENT_WAITING;
	default:
		return VERDICT_CLIENT_UNSERVED;
	}
}

static void client_states(const struct slot *slots, size_t n, uint8_t *state)
{
	for (size_t i = 0; i < n; i++)
		state[i] = (uint8_t)client_state(&slots[i]);
}

/* How many new clients may wait for their echo at once: enough to cover a long round trip. */
#define MANY_WINDOW 8

/* The first clients in order whose fate is known: none waiting before them. */
static size_t settled(const struct engine *e, uint8_t *state)
{
	size_t k = 0;

	while (k < e->n && e->slots[k].state != SLOT_WAITING) {
		state[k] = (uint8_t)client_state(&e->slots[k]);
		k++;
	}
	return k;
}

/* Enough new clients: the last VERDICT_LIMIT_RUN settled got nothing. */
static int limit_suspected(const struct engine *e)
{
	uint8_t state[MANY_CLIENTS];

	return verdict_clients_stop(state, settled(e, state));
}

/*
 * New clients from slot n on, each on a socket of its own with one
 * request, at most MANY_WINDOW waiting at once and each waited for twice
 * the measured round trip, until all were tried or the last
 * VERDICT_LIMIT_RUN got nothing.  Every socket of the check is listened
 * to throughout, so a slow echo still counts.  Returns how many clients
 * have been tried.
 */
static size_t open_clients(struct run *r, struct xlog *log, struct slot *slots, size_t n,
			   size_t clients)
{
	struct engine e = {log,           slots, clients,     build_tagged,   (void *)&many_request,
			   PATIENCE_PACE, 0,     MANY_WINDOW, limit_suspected};
	size_t tried = n;

	engine_run(r, &e);
	while (tried < clients && slots[tried].tries > 0)
		tried++;
	/* The ones never sent wait for the next round: their sockets have not been used. */
	for (size_t i = tried; i < clients; i++)
		slots[i].state = SLOT_WAITING;
	return tried;
}

/*
 * The clients without an echo yet: their paced retries, one at a time, in
 * order.  VERDICT_LIMIT_RUN in a row still without one are a limit: the
 * ones after them need no retry to say so.
 */
static void retry_clients(struct run *r, struct xlog *log, struct slot *slots, size_t n)
{
	struct engine e = {log, NULL, 1,   build_tagged, (void *)&many_request, PATIENCE_QUICK,
			   0,   0,    NULL};
	size_t in_a_row = 0;

	for (size_t i = 0; i < n && in_a_row < VERDICT_LIMIT_RUN; i++) {
		if (slots[i].state == SLOT_ANSWERED) {
			in_a_row = 0;
			continue;
		}
		if (slots[i].state == SLOT_SILENT && !r->interrupted && r->error == 0) {
			slots[i].state = SLOT_WAITING;
			slots[i].max_tries = slots[i].tries + r->cfg->tries;
			e.slots = &slots[i];
			engine_run(r, &e);
		}
		in_a_row = slots[i].state == SLOT_ANSWERED ? 0 : in_a_row + 1;
	}
}

void run_clients_many(struct run *r, struct check_result *res)
{
	struct xlog log = {.requests = MANY_CLIENTS};
	struct slot *slots = calloc(MANY_CLIENTS, sizeof(*slots));
	uint8_t state[MANY_CLIENTS];
	struct verdict_clients v;
	uint32_t earlier = r->clients_served;
	size_t n = 0, clients = 0;
	int limit_seen = 0;

	if (slots == NULL)
		return;
	/* Every client's socket at once: a round that stops early leaves the rest for the next. */
	while (clients < MANY_CLIENTS &&
	       (slots[clients] = slot_new(run_socket(r), (uint32_t)clients, 1)).sock >= 0)
		clients++;
	r->error = 0; /* out of sockets: fewer clients, said in the evidence */
	/* Retried, a tail of unserved clients that still get nothing is a limit: stop there. */
	do {
		n = open_clients(r, &log, slots, n, clients);
		retry_clients(r, &log, slots, n);
		client_states(slots, n, state);
	} while (n > 0 && n < clients && !verdict_clients_stop(state, n) && !r->interrupted &&
		 r->error == 0);
	if (count_state(slots, n, SLOT_ANSWERED) < n && !r->interrupted && r->error == 0) {
		enum verdict_life life = run_probe_life(r, -1, NULL);

		limit_seen = life == VERDICT_IGNORES_NEW || life == VERDICT_REFUSES_NEW;
		/* The limit is this check's finding: the run goes on to judge server.alive. */
		if (life == VERDICT_IGNORES_NEW || life == VERDICT_REFUSES_NEW)
			r->life_known = 0;
	}
	log.requests = (uint32_t)n;
	verdict_clients_judge(state, n, limit_seen, &v);
	many_words(res, &v, earlier);
	run_keep_log(r, &log);
	free(slots);
}

void run_clients_many_early(struct run *r, struct check_result *res)
{
	struct verdict_clients v;

	memset(&v, 0, sizeof(v));
	v.status = CHECK_FAIL;
	v.clients = r->clients_served + 1;
	v.served = r->clients_served;
	v.first_unserved = r->clients_served + 1;
	v.refused = r->life == VERDICT_REFUSES_NEW;
	report_set(res, CHECK_FAIL,
		   "the server stopped serving new clients after %u: a new client was %s, while "
		   "its first client still gets echoes",
		   v.served, v.refused ? "refused (ICMP port unreachable)" : "ignored");
	report_evidence_int(res, "clients", v.clients);
	report_evidence_int(res, "served", v.served);
	report_evidence_int(res, "first_unserved", v.first_unserved);
	report_evidence_int(res, "requests", v.clients);
	report_evidence_int(res, "judged", v.clients);
	report_evidence_str(res, "failure", v.refused ? "refused" : "unserved");
}
