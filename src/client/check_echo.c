/*
 * check_echo.c: the checks of one request at a time: echo.basic,
 * echo.empty, echo.bytes, echo.sizes and reply.source.
 *
 * A request that stays unanswered after every try is silence only when
 * the server answers the classic message on the same socket and one more
 * try of the request is still not answered (run_confirm_silence).  Short
 * of that the check is inconclusive: the server may just be losing
 * datagrams, or gone, and server.alive says which.
 */
#include "check_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "udpecho/echoplus.h"

/* One request alone on a socket, its tries, and the confirmation of its silence. */
struct single {
	struct xlog *log;
	struct slot slot;
	int confirmed; /* its silence is the server's answer to it */
};

static int single_run(struct run *r, struct single *x, int sock, uint32_t request, build_fn build,
		      void *ctx)
{
	struct engine e = {x->log, &x->slot, 1, build, ctx, PATIENCE_FULL, 0, 0, NULL};

	x->confirmed = 0;
	x->slot = slot_new(sock, request, r->cfg->tries);
	if (sock < 0 || engine_run(r, &e) != 0)
		return -1;
	if (x->slot.state == SLOT_SILENT)
		x->confirmed = run_confirm_silence(r, &e, &x->slot);
	return r->interrupted || r->error != 0 ? -1 : 0;
}

/* Is the slot's reply nothing but its own tries merged (a stream-like server's doing)? */
static int merged_own_tries(const struct xlog *l, const struct slot *s)
{
	struct verdict_tx own[CHECK_MAX_TRIES + 1];
	const struct verdict_rx *rx = &l->rx[s->reply_rx];
	size_t n = 0;

	for (size_t i = 0; i < l->ntx && n < sizeof(own) / sizeof(own[0]); i++) {
		if (l->tx[i].request == s->request && l->tx[i].client == s->sock)
			own[n++] = l->tx[i];
	}
	return verdict_attribute(own, n, n, rx->data, rx->len).kind == VERDICT_MERGED;
}

/* The slot's reply and the try it answers: 1 exact, 0 not (why says how), -1 no reply. */
static int single_reply(struct run *r, const struct xlog *l, const struct slot *s, char *why,
			size_t cap, size_t *rep_len)
{
	const struct verdict_tx *tx;
	const struct verdict_rx *rx;

	if (s->state != SLOT_ANSWERED || l->tx == NULL || l->rx == NULL)
		return -1;
	tx = &l->tx[s->reply_tx];
	rx = &l->rx[s->reply_rx];
	*rep_len = rx->len;
	if (merged_own_tries(l, s)) {
		/* The bytes are fine, the boundary is not: burst.boundaries' verdict. */
		r->self_merged++;
		*rep_len = tx->len;
		return 1;
	}
	if (check_classify(tx->data, tx->len, rx->data, rx->len).kind == CHECK_MATCH_EXACT)
		return 1;
	check_describe(why, cap, tx->data, tx->len, rx->data, rx->len);
	return 0;
}

static void no_reply(const struct single *x, struct check_result *res, const char *what)
{
	if (x->confirmed) {
		report_set(res, CHECK_FAIL,
			   "no reply to %s (%u %s), while a probe from the same socket was "
			   "answered",
			   what, x->slot.tries, run_tries_word(x->slot.tries));
		report_evidence_str(res, "failure", "silence");
	} else {
		report_set(res, CHECK_INCONCLUSIVE, "no reply to %s (%u %s)", what, x->slot.tries,
			   run_tries_word(x->slot.tries));
	}
}

/* Common verdict for one exact-echo exchange. */
static void judge_single(struct run *r, struct check_result *res, struct single *x,
			 const char *what, const char *pass)
{
	const struct xlog *l = x->log;
	const struct verdict_tx *tx;
	char why[REPORT_DETAIL_MAX];
	size_t rep_len = 0;
	int exact;

	if (l->ntx == 0 || l->tx == NULL)
		return; /* nothing was sent: the run's error says why */
	tx = &l->tx[x->slot.last_tx];
	exact = single_reply(r, l, &x->slot, why, sizeof(why), &rep_len);
	report_evidence_int(res, "sent", (long long)tx->len);
	report_evidence_int(res, "tries", x->slot.tries);
	report_evidence_int(res, "requests", 1);
	report_evidence_int(res, "judged", exact >= 0);
	if (exact < 0) {
		no_reply(x, res, what);
		return;
	}
	report_evidence_int(res, "received", (long long)rep_len);
	if (exact) {
		report_set(res, CHECK_PASS, "%s", pass);
		return;
	}
	tx = &l->tx[x->slot.reply_tx];
	if (r->plus && echoplus_differs_only_in_fields(tx->data, tx->len,
						       l->rx[x->slot.reply_rx].data, rep_len)) {
		report_set(res, CHECK_WARN,
			   "%s: differs only in the UDPEchoPlus fields (bytes 4-19), as a TR-143 "
			   "responder's reply must",
			   what);
		report_evidence_str(res, "failure", "echoplus");
		return;
	}
	if (tx->len == 0)
		report_set(res, CHECK_FAIL, "%s came back as %zu bytes", what, rep_len);
	else
		report_set(res, CHECK_FAIL, "%s: %s", what, why);
	report_evidence_str(res, "failure", rep_len != tx->len ? "size" : "bytes");
}

static void run_fixed(struct run *r, struct check_result *res, const uint8_t *data, size_t len,
		      const char *what, const char *pass)
{
	struct fixed_request q = {data, len};
	struct xlog log = {.requests = 1};
	struct single x = {&log, {0}, 0};

	if (single_run(r, &x, run_socket(r), 0, build_fixed, &q) == 0 ||
	    x.slot.state != SLOT_WAITING)
		judge_single(r, res, &x, what, pass);
	if (log.refused && res->status != CHECK_FAIL)
		report_set(res, CHECK_INCONCLUSIVE, "%s was refused (ICMP port unreachable)", what);
	run_keep_log(r, &log);
}

void run_echo_basic(struct run *r, struct check_result *res)
{
	run_fixed(r, res, (const uint8_t *)CLASSIC, CLASSIC_LEN, "the classic 42-byte message",
		  "the classic 42-byte message came back exactly");
}

void run_echo_empty(struct run *r, struct check_result *res)
{
	static const uint8_t none[1];

	run_fixed(r, res, none, 0, "a 0-byte datagram",
		  "a 0-byte datagram came back as a 0-byte datagram");
}

void run_echo_bytes(struct run *r, struct check_result *res)
{
	uint8_t every[257];

	/* 0x00, 0x01 ... 0xff, 0x00: every value, NULs first and last (257 bytes). */
	for (size_t i = 0; i < 256; i++)
		every[i] = (uint8_t)i;
	every[256] = 0;
	run_fixed(r, res, every, sizeof(every), "the 257-byte datagram of every byte value",
		  "every byte value 0x00-0xff came back exactly (NULs first and last)");
}

#define MAX_TRIED 64

struct sizes {
	struct xlog log;
	int sock;
	size_t tried[MAX_TRIED], ntried;
	int confirmed_silence; /* one size's silence was confirmed: no more confirmation needed */
};

struct size_probe {
	size_t size;
	int replied, exact, silence;
	size_t rep_len;
	enum check_match_kind kind;
	char why[REPORT_DETAIL_MAX];
};

static size_t build_size(struct run *r, void *ctx, uint32_t request, unsigned attempt, uint8_t *buf)
{
	const struct sizes *z = ctx;
	size_t size = z->tried[request];

	run_tag_payload(r, buf, size, STREAM_SIZES, (uint32_t)size, attempt);
	return size;
}

/* What the report draws of one size. */
static void note_size(struct run *r, const struct size_probe *p)
{
	struct report_size *l = &r->ladder[r->nladder];

	if (r->nladder == REPORT_LADDER_MAX)
		return;
	r->nladder++;
	l->size = p->size;
	l->received = p->replied ? p->rep_len : 0;
	if (!p->replied)
		l->result = REPORT_SIZE_SILENT;
	else if (p->exact)
		l->result = REPORT_SIZE_EXACT;
	else
		l->result = p->kind == CHECK_MATCH_TRUNCATED ? REPORT_SIZE_TRUNCATED
							     : REPORT_SIZE_ALTERED;
}

static int probe_size(struct run *r, struct sizes *z, size_t size, struct size_probe *p)
{
	struct single x = {&z->log, {0}, 0};
	uint32_t request = (uint32_t)z->ntried;

	memset(p, 0, sizeof(p[0]));
	p->size = size;
	z->tried[z->ntried++] = size;
	z->log.requests = (uint32_t)z->ntried;
	x.slot = slot_new(z->sock, request, r->cfg->tries);
	{
		struct engine e = {&z->log, &x.slot, 1, build_size, z, PATIENCE_FULL, 0, 0, NULL};

		if (engine_run(r, &e) != 0)
			return -1;
		if (x.slot.state == SLOT_SILENT && !z->confirmed_silence)
			z->confirmed_silence = x.confirmed = run_confirm_silence(r, &e, &x.slot);
	}
	if (r->interrupted || r->error != 0 || r->life_known || z->log.refused)
		return -1;
	if (x.slot.state != SLOT_ANSWERED) {
		if (!x.confirmed && !z->confirmed_silence)
			return -1; /* silence the server did not confirm: no verdict */
		p->silence = 1;
		snprintf(p->why, sizeof(p->why), "no reply to a %zu-byte datagram (%u %s)", size,
			 x.slot.tries, run_tries_word(x.slot.tries));
		note_size(r, p);
		return 0;
	}
	p->replied = 1;
	p->exact = single_reply(r, &z->log, &x.slot, p->why, sizeof(p->why), &p->rep_len) == 1;
	p->kind = p->exact ? CHECK_MATCH_EXACT
			   : check_classify(z->log.tx[x.slot.reply_tx].data, size,
					    z->log.rx[x.slot.reply_rx].data, p->rep_len)
				     .kind;
	note_size(r, p);
	return 0;
}

static const char *failure_kind(const struct size_probe *p)
{
	if (!p->replied)
		return "silence";
	return p->kind == CHECK_MATCH_DIFFERS ? "bytes" : "size";
}

/* Walks the ladder up to the first size not echoed exactly; 1 if found, 0 if none, -1 stopped. */
static int walk_ladder(struct run *r, struct sizes *z, struct check_bisect *b,
		       struct size_probe *bad)
{
	for (size_t i = 0; i < check_size_ladder_len(); i++) {
		size_t size = check_size_ladder(i, r->family_max);
		struct size_probe p;

		if (probe_size(r, z, size, &p) != 0)
			return -1;
		if (!p.exact) {
			*bad = p;
			b->bad = size;
			return 1;
		}
		b->good = size;
	}
	return 0;
}

static void sizes_evidence(struct check_result *res, const struct sizes *z)
{
	struct verdict_tally t;

	xlog_tally(&z->log, z->log.ntx, &t);
	run_evidence_sample(res, &t);
	report_evidence_sizes(res, "tried", z->tried, z->ntried);
}

static void sizes_verdict(struct run *r, struct check_result *res, struct sizes *z,
			  struct check_bisect *b, const struct size_probe *bad)
{
	size_t next;
	struct size_probe p;

	while ((next = check_bisect_next(b)) != 0 && z->ntried < MAX_TRIED) {
		if (probe_size(r, z, next, &p) != 0)
			break;
		check_bisect_update(b, next, p.exact);
	}
	if (bad->replied && bad->kind == CHECK_MATCH_TRUNCATED && bad->rep_len == b->good)
		report_set(res, CHECK_FAIL, "%s", bad->why);
	else if (b->good == 0)
		report_set(res, CHECK_FAIL, "%s; no size came back exactly", bad->why);
	else
		report_set(res, CHECK_FAIL, "%s; largest exact echo %zu bytes", bad->why, b->good);
	report_evidence_int(res, "max_exact", (long long)b->good);
	if (bad->replied && bad->kind == CHECK_MATCH_TRUNCATED)
		report_evidence_int(res, "truncated_to", (long long)bad->rep_len);
	report_evidence_str(res, "failure", failure_kind(bad));
	sizes_evidence(res, z);
}

void run_echo_sizes(struct run *r, struct check_result *res)
{
	struct sizes *z = calloc(1, sizeof(*z));
	struct check_bisect b = {0, 0};
	struct size_probe bad;
	int found;

	if (z == NULL)
		return;
	z->sock = run_socket(r);
	found = z->sock < 0 ? -1 : walk_ladder(r, z, &b, &bad);
	if (found > 0) {
		sizes_verdict(r, res, z, &b, &bad);
	} else if (found == 0) {
		report_set(res, CHECK_PASS,
			   "every size up to %zu bytes came back exactly (%zu sizes)",
			   r->family_max, z->ntried);
		report_evidence_int(res, "max_exact", (long long)r->family_max);
		sizes_evidence(res, z);
	} else {
		report_set(res, CHECK_INCONCLUSIVE,
			   "no reply to a %zu-byte datagram: sizes up to %zu came back exactly",
			   z->ntried > 0 ? z->tried[z->ntried - 1] : 0, b.good);
		report_evidence_int(res, "max_exact", (long long)b.good);
		sizes_evidence(res, z);
	}
	run_keep_log(r, &z->log);
	free(z);
}

static const struct tagged_request source_request = {STREAM_SOURCE, 64};

void run_reply_source(struct run *r, struct check_result *res)
{
	struct xlog log = {.requests = 3};
	struct verdict_tally t;
	struct single x = {&log, {0}, 0};
	int sock = run_socket(r);
	enum check_status status;

	/* Three replies to judge, one after another on one socket. */
	for (uint32_t seq = 0; seq < log.requests && sock >= 0; seq++) {
		struct engine e = {&log,          &x.slot, 1, build_tagged, (void *)&source_request,
				   PATIENCE_FULL, 0,       0, NULL};

		x.slot = slot_new(sock, seq, r->cfg->tries);
		if (engine_run(r, &e) != 0 || x.slot.state != SLOT_ANSWERED)
			break;
	}
	xlog_tally(&log, log.ntx, &t);
	status = verdict_judge(VERDICT_RULE_SOURCE, &t, 0);
	if (status != CHECK_FAIL && r->wrong_sources > 0)
		status = CHECK_FAIL; /* an earlier check's reply came from elsewhere */
	run_evidence_sample(res, &t);
	report_evidence_int(res, "replies", (long long)r->datagrams_received);
	report_evidence_int(res, "wrong_source", (long long)r->wrong_sources);
	if (status == CHECK_FAIL) {
		char from[ADDR_STR_MAX];

		addr_format_hostport(from, sizeof(from), &r->wrong_source);
		report_set(res, CHECK_FAIL, "reply came from %s, request went to %s", from,
			   r->target_text);
		report_evidence_str(res, "failure", "sender");
		report_evidence_str(res, "replied_from", from);
	} else if (status == CHECK_PASS) {
		report_set(res, CHECK_PASS, "all %llu replies so far came from %s",
			   (unsigned long long)r->datagrams_received, r->target_text);
	} else {
		report_set(res, CHECK_INCONCLUSIVE, "%u of %u requests answered: too few to judge",
			   t.judged, t.requests);
	}
	run_keep_log(r, &log);
}
