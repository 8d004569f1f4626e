/*
 * check_run.c: the conformance checks against a live echo server: the
 * order of the run, the liveness probes and what a run that ended early
 * reports.  The sockets and the retry loop are in check_engine.c; what a
 * reply is, what a check's log adds up to and whether the server is alive
 * are decided in the core (verdict.h).
 *
 * Each check sends on sockets of its own, so a late reply to one check
 * can never be taken for another's.  Sockets stay open to the end of the
 * run: what arrives on them afterwards is counted as late or extra, and
 * every byte received counts against amplification.
 *
 * echoplus.fields runs first.  When it finds a TR-143 UDPEchoPlus responder
 * (which rewrites bytes 4..19 of every datagram of 20 bytes or more), the
 * other checks speak its dialect: requests carry zeros there and their tag
 * after the 20-byte header, and replies have those bytes zeroed on arrival.
 */
#include "check_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void run_ensure_traffic(struct run *r)
{
	static const struct fixed_request classic = {(const uint8_t *)CLASSIC, CLASSIC_LEN};

	for (int i = 0; i < 3 && r->datagrams_sent == 0 && r->error == 0 && !r->life_known; i++) {
		struct xlog log = {.requests = 1};
		struct slot s = slot_new(run_socket(r), 0, r->cfg->tries);
		struct engine e = {&log,          &s, 1, build_fixed, (void *)&classic,
				   PATIENCE_FULL, 0,  0, NULL};

		if (s.sock >= 0)
			engine_run(r, &e);
		xlog_free(&log);
	}
}

void run_evidence_sample(struct check_result *res, const struct verdict_tally *t)
{
	report_evidence_int(res, "requests", t->requests);
	report_evidence_int(res, "judged", t->judged);
}

/* ---- Liveness ------------------------------------------------------------- */

static const char *life_cause(const struct run *r)
{
	if (r->interrupted)
		return "interrupted";
	switch (r->life) {
	case VERDICT_REFUSES_NEW:
	case VERDICT_IGNORES_NEW:
		return "the server serves no new client (see clients.many)";
	case VERDICT_SLOW:
		return "replies come only after the wait (see server.alive)";
	default:
		return "the server stopped answering (see server.alive)";
	}
}

void run_not_judged(const struct run *r, struct check_result *res)
{
	char why[REPORT_DETAIL_MAX];

	snprintf(why, sizeof(why), "%s", res->detail);
	if (why[0] != '\0')
		report_set(res, CHECK_INCONCLUSIVE, "not judged: %s; so far: %s", life_cause(r),
			   why);
	else
		report_set(res, CHECK_INCONCLUSIVE, "not judged: %s", life_cause(r));
}

static enum verdict_probe probe_result(const struct slot *s)
{
	switch (s->state) {
	case SLOT_ANSWERED:
		return VERDICT_PROBE_ANSWERED;
	case SLOT_REFUSED:
		return VERDICT_PROBE_REFUSED;
	default:
		return VERDICT_PROBE_SILENT;
	}
}

/*
 * Probes are the classic message's length, which every echo server has
 * seen, and carry tags of their own: a reply says which probe it answers.
 */
static const struct tagged_request probe_request = {STREAM_PROBE, CLASSIC_LEN};

enum verdict_life run_probe_life(struct run *r, int cur, int *cur_answered)
{
	/* A refusal long ago, followed by answers, says nothing about now. */
	struct verdict_life_obs obs = {.refused = r->refused > r->refused_before};
	struct slot slots[3];
	struct xlog log = {.requests = 3};
	struct engine e = {&log,          slots, 0, build_tagged, (void *)&probe_request,
			   PATIENCE_FULL, 0,     0, NULL};
	uint64_t late_before = r->late;
	int home = -1, mine = -1, fresh;
	enum check_id was = r->current;

	r->probed = 1;
	r->life_current = 1;
	/* Before sending anything more: was the run's one datagram refused? */
	obs.sent = r->datagrams_sent;
	obs.answered = r->datagrams_received;
	if (verdict_life(&obs) == VERDICT_NOTHING_LISTENING) {
		r->life = VERDICT_NOTHING_LISTENING;
		r->life_known = 1;
		return r->life;
	}
	r->current = CHECK_SERVER_ALIVE;
	if (r->home >= 0 && r->home != cur)
		slots[home = (int)e.n++] = slot_new(r->home, 0, r->cfg->tries);
	if (cur >= 0)
		slots[mine = (int)e.n++] = slot_new(cur, 1, r->cfg->tries);
	fresh = (int)e.n;
	slots[e.n++] = slot_new(run_socket(r), 2, r->cfg->tries);
	if (slots[fresh].sock < 0) {
		e.n--;
		fresh = -1;
		r->error = 0; /* out of sockets: judge without a new client */
	}
	engine_run(r, &e);
	run_drain_all(r);
	obs.sent = r->datagrams_sent;
	obs.answered = r->datagrams_received;
	obs.late = r->late - late_before;
	if (home >= 0)
		obs.home = probe_result(&slots[home]);
	else if (mine >= 0 && cur == r->home)
		obs.home = probe_result(&slots[mine]);
	obs.fresh = fresh >= 0 ? probe_result(&slots[fresh]) : VERDICT_PROBE_NONE;
	if (cur_answered != NULL)
		*cur_answered = mine >= 0 && slots[mine].state == SLOT_ANSWERED;
	xlog_free(&log);
	r->current = was;
	r->life = verdict_life(&obs);
	if (verdict_life_ends_run(r->life))
		r->life_known = 1;
	return r->life;
}

int run_confirm_silence(struct run *r, struct engine *e, struct slot *s)
{
	int answered = 0;

	if (s->sock < 0 || run_probe_life(r, s->sock, &answered) != VERDICT_ALIVE || !answered)
		return 0;
	/*
	 * The server answers this socket, and its round trip is measured: one
	 * more try of the request, alone, waited for a few round trips.
	 */
	s->state = SLOT_WAITING;
	s->max_tries = s->tries + 1;
	e->slots = s;
	e->n = 1;
	e->patience = PATIENCE_QUICK;
	engine_run(r, e);
	return s->state == SLOT_SILENT;
}

/* ---- The run -------------------------------------------------------------- */

typedef void (*check_fn)(struct run *r, struct check_result *res);

/* Found before the other checks ran (run_all), reported in its place. */
static void run_echoplus_fields(struct run *r, struct check_result *res)
{
	*res = r->plus_result;
}

static const check_fn runners[CHECK_COUNT] = {
	[CHECK_ECHO_BASIC] = run_echo_basic,
	[CHECK_ECHO_EMPTY] = run_echo_empty,
	[CHECK_ECHO_BYTES] = run_echo_bytes,
	[CHECK_ECHO_SIZES] = run_echo_sizes,
	[CHECK_REPLY_SOURCE] = run_reply_source,
	[CHECK_REPLY_ONCE] = run_reply_once,
	[CHECK_BURST_BOUNDARIES] = run_burst_boundaries,
	[CHECK_CLIENTS_ISOLATION] = run_clients_isolation,
	[CHECK_SAFETY_AMPLIFICATION] = run_safety_amplification,
	[CHECK_BURST_LOSS] = run_burst_loss,
	[CHECK_SAFETY_LOOP] = run_safety_loop,
	[CHECK_LATENCY] = run_latency,
	[CHECK_ECHOPLUS_FIELDS] = run_echoplus_fields,
	[CHECK_CLIENTS_MANY] = run_clients_many,
	[CHECK_SERVER_ALIVE] = run_server_alive,
};

/* "[3/15] echo.bytes ..." on stderr; done 0 and no name clears the line. */
static void show_progress(const struct check_config *cfg, size_t done, size_t total,
			  const char *name)
{
	if (!cfg->progress)
		return;
	if (name == NULL)
		fputs("\r\033[K", stderr);
	else if (done == 0)
		fprintf(stderr, "\r\033[K%s ...", name); /* not counted: not selected */
	else
		fprintf(stderr, "\r\033[K[%zu/%zu] %s ...", done, total, name);
	fflush(stderr);
}

static void judge_one(struct run *r, int id, struct check_result *res)
{
	uint64_t t0 = run_now_us();

	memset(res, 0, sizeof(*res));
	res->info = check_info((enum check_id)id);
	res->status = CHECK_SKIP;
	if (id == CHECK_ECHOPLUS_FIELDS) {
		run_echoplus_fields(r, res);
		return;
	}
	/* server.alive and the totals judge the run as it went, however it ended. */
	if ((r->life_known || r->interrupted || r->error != 0) && id != CHECK_SERVER_ALIVE &&
	    id != CHECK_SAFETY_AMPLIFICATION && id != CHECK_LATENCY) {
		if (id == CHECK_CLIENTS_MANY && r->life_known &&
		    (r->life == VERDICT_REFUSES_NEW || r->life == VERDICT_IGNORES_NEW))
			run_clients_many_early(r, res);
		else
			run_not_judged(r, res);
		return;
	}
	r->current = (enum check_id)id;
	r->trouble = 0;
	r->probed = 0;
	r->refused_before = r->refused;
	if (id != CHECK_SERVER_ALIVE)
		r->life_current = 0;
	runners[id](r, res);
	if (r->trouble && !r->probed && !r->life_known && !r->interrupted && r->error == 0)
		run_probe_life(r, -1, NULL);
	if ((r->life_known || r->interrupted) && res->status == CHECK_INCONCLUSIVE &&
	    id != CHECK_SERVER_ALIVE)
		run_not_judged(r, res);
	res->elapsed_us = run_now_us() - t0;
}

/* Nothing answered and the first request refused, or the network said no: no report. */
static int cannot_start(const struct run *r)
{
	return r->datagrams_received == 0 &&
	       ((r->life_known && r->life == VERDICT_NOTHING_LISTENING) || r->error != 0);
}

static int run_all(struct run *r, struct report *rep)
{
	size_t total = 0, done = 0;
	uint64_t start = run_now_us();

	for (int id = 0; id < CHECK_COUNT; id++)
		total += r->cfg->selected[id] != 0;
	/*
	 * Always first: the other checks speak UDPEchoPlus to a UDPEchoPlus
	 * responder.  It counts as a step only when it was selected.
	 */
	if (r->cfg->selected[CHECK_ECHOPLUS_FIELDS])
		done++;
	show_progress(r->cfg, done, total,
		      done ? "echoplus.fields" : "looking for a UDPEchoPlus responder");
	r->current = CHECK_ECHOPLUS_FIELDS;
	probe_echoplus(r);
	if (r->trouble && !r->life_known && !r->interrupted && r->error == 0)
		run_probe_life(r, -1, NULL);
	if (cannot_start(r))
		return -1;
	for (int id = 0; id < CHECK_COUNT; id++) {
		struct check_result *res = &rep->results[rep->count];

		if (!r->cfg->selected[id])
			continue;
		if (id != CHECK_ECHOPLUS_FIELDS)
			show_progress(r->cfg, ++done, total, check_info((enum check_id)id)->name);
		judge_one(r, id, res);
		rep->count++;
		rep->elapsed_us = run_now_us() - start;
		if (r->cfg->on_result != NULL) {
			show_progress(r->cfg, 0, 0, NULL);
			r->cfg->on_result(r->cfg->ctx, rep, rep->count - 1);
		}
	}
	show_progress(r->cfg, 0, 0, NULL);
	rep->interrupted = r->interrupted;
	rep->elapsed_us = run_now_us() - start;
	memcpy(rep->ladder, r->ladder, r->nladder * sizeof(r->ladder[0]));
	rep->nladder = r->nladder;
	rep->nrtt = r->rtt_count < REPORT_RTT_MAX ? r->rtt_count : REPORT_RTT_MAX;
	memcpy(rep->rtt_us, r->rtt_us, rep->nrtt * sizeof(rep->rtt_us[0]));
	if (r->cfg->evidence_dir != NULL)
		run_write_evidence(r, rep);
	return 0;
}

/*
 * For --evidence: the address the kernel sends to the target from (a
 * connected socket's own address names it), and the offset from the
 * monotonic clock the run times with to the wall clock packets carry.
 */
static void note_evidence_basis(struct run *r)
{
	int fd = socket(r->cfg->target.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct net_addr local;
	struct timespec ts;

	r->local = r->target; /* unknown: the target's own address stands in */
	r->local.port = 0;
	if (fd >= 0 &&
	    connect(fd, (const struct sockaddr *)&r->cfg->target.ss, r->cfg->target.len) == 0 &&
	    net_local_addr(fd, &local) == 0) {
		net_to_peer((const struct sockaddr *)&local.ss, &r->local);
		r->local.port = 0;
	}
	if (fd >= 0)
		close(fd);
	clock_gettime(CLOCK_REALTIME, &ts);
	r->wall_offset_us =
		(uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u - run_now_us();
}

int check_run(const struct check_config *config, struct report *rep, struct check_abort *why)
{
	struct run *r = calloc(1, sizeof(*r));
	struct timespec ts;
	int rc = -1;

	why->error = -ENOMEM;
	if (r == NULL)
		return -1;
	r->cfg = config;
	r->home = -1;
	hist_init(&r->rtt);
	verdict_rto_init(&r->rto, RUN_MIN_RTO_US, config->timeout_us);
	r->req = malloc(RUN_BUF_SIZE);
	r->rep = malloc(RUN_BUF_SIZE);
	if (r->req != NULL && r->rep != NULL) {
		net_to_peer((const struct sockaddr *)&config->target.ss, &r->target);
		addr_format_hostport(r->target_text, sizeof(r->target_text), &r->target);
		r->family_max = net_family_max(&config->target);
		clock_gettime(CLOCK_REALTIME, &ts);
		r->run_id = check_run_id((uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^
					 (uint32_t)getpid());
		if (config->evidence_dir != NULL)
			note_evidence_basis(r);
		rc = run_all(r, rep);
		why->error = r->error != 0 ? r->error : -ECONNREFUSED;
	}
	for (size_t i = 0; i < r->nsocks; i++)
		close(r->socks[i].fd);
	for (size_t i = 0; i < CHECK_COUNT; i++)
		xlog_free(&r->logs[i]);
	free(r->req);
	free(r->rep);
	free(r);
	return rc;
}
