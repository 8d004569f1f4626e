/*
 * verdict.c: how `udpecho check` reaches a verdict (see verdict.h).
 */
#include "udpecho/verdict.h"

#include <string.h>

static int same_bytes(const struct verdict_tx *t, const uint8_t *rep, size_t len)
{
	return t->len == len && (len == 0 || memcmp(t->data, rep, len) == 0);
}

/* Is a[0..alen) a proper prefix of b[0..blen)? */
static int proper_prefix(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen < blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* The transmission (not empty) that rep[off..len) starts with, or n. */
static size_t next_piece(const struct verdict_tx *tx, size_t n, const uint8_t *rep, size_t len,
			 size_t off)
{
	for (size_t i = 0; i < n; i++) {
		if (tx[i].len > 0 && tx[i].len <= len - off &&
		    memcmp(tx[i].data, rep + off, tx[i].len) == 0)
			return i;
	}
	return n;
}

/* How many whole transmissions rep is, back to back; 0 if it is not only that. */
static size_t count_pieces(const struct verdict_tx *tx, size_t n, const uint8_t *rep, size_t len,
			   size_t *first)
{
	size_t off = 0, pieces = 0, i;

	while (off < len && (i = next_piece(tx, n, rep, len, off)) < n) {
		if (pieces++ == 0)
			*first = i;
		off += tx[i].len;
	}
	return off == len ? pieces : 0;
}

size_t verdict_pieces(const struct verdict_tx *tx, size_t n, const uint8_t *rep, size_t len,
		      size_t *out, size_t max)
{
	size_t off = 0, k = 0, i;

	while (off < len && k < max && (i = next_piece(tx, n, rep, len, off)) < n) {
		out[k++] = i;
		off += tx[i].len;
	}
	return k;
}

/* Bytes equal in place over the shorter of the two, and where the first difference is. */
static size_t kept_in_place(const struct verdict_tx *t, const uint8_t *rep, size_t len,
			    size_t *first_diff)
{
	size_t common = t->len < len ? t->len : len, kept = 0;

	*first_diff = common;
	for (size_t i = 0; i < common; i++) {
		if (t->data[i] == rep[i])
			kept++;
		else if (*first_diff == common)
			*first_diff = i;
	}
	return kept;
}

static struct verdict_match match(enum verdict_kind kind, size_t tx, size_t at)
{
	struct verdict_match m = {kind, tx, at, kind == VERDICT_MERGED ? 0 : 1};

	return m;
}

static int find_prefix(const struct verdict_tx *tx, size_t n, size_t hint, const uint8_t *rep,
		       size_t len, struct verdict_match *m)
{
	size_t trunc = n, ext = n;

	for (size_t i = 0; i < n; i++) {
		/* An empty reply is a prefix of everything: it names no request but the hint. */
		if ((len > 0 || i == hint) && proper_prefix(rep, len, tx[i].data, tx[i].len) &&
		    (trunc == n || i == hint))
			trunc = i;
		if ((tx[i].len > 0 || i == hint) &&
		    proper_prefix(tx[i].data, tx[i].len, rep, len) &&
		    (ext == n || i == hint || (ext != hint && tx[i].len > tx[ext].len)))
			ext = i;
	}
	if (trunc < n && (ext == n || trunc == hint || ext != hint)) {
		*m = match(VERDICT_TRUNCATED, trunc, len);
		return 1;
	}
	if (ext < n) {
		*m = match(VERDICT_EXTENDED, ext, len - tx[ext].len);
		return 1;
	}
	return 0;
}

struct verdict_match verdict_attribute(const struct verdict_tx *tx, size_t n, size_t hint,
				       const uint8_t *rep, size_t len)
{
	struct verdict_match m = {VERDICT_FOREIGN, n, 0, 0};
	size_t best = n, best_kept = 0, best_at = 0, first = n, pieces;

	if (hint < n && same_bytes(&tx[hint], rep, len))
		return match(VERDICT_EXACT, hint, 0);
	for (size_t i = 0; i < n; i++) {
		if (same_bytes(&tx[i], rep, len))
			return match(VERDICT_EXACT, i, 0);
	}
	pieces = count_pieces(tx, n, rep, len, &first);
	if (pieces >= 2) {
		m = match(VERDICT_MERGED, first, 0);
		m.pieces = pieces;
		return m;
	}
	if (find_prefix(tx, n, hint, rep, len, &m))
		return m;
	for (size_t i = 0; i < n; i++) {
		size_t at, kept = kept_in_place(&tx[i], rep, len, &at);
		size_t longer = tx[i].len > len ? tx[i].len : len;

		/* Most bytes kept in place: that request, altered (of several, the most kept). */
		if (2 * kept > longer &&
		    (best == n || kept > best_kept || (kept == best_kept && i == hint))) {
			best = i;
			best_kept = kept;
			best_at = at;
		}
	}
	if (best < n)
		return match(VERDICT_ALTERED, best, best_at);
	/* Else only the hint explains it. */
	if (hint < n) {
		kept_in_place(&tx[hint], rep, len, &best_at);
		return match(VERDICT_ALTERED, hint, best_at);
	}
	return m;
}

/*
 * Tries of an untagged request carry the same bytes, so a reply matches
 * the first of them: give it to the first identical transmission not yet
 * answered instead, so that two tries answered once each are not a
 * duplicate.  Once all are answered, the extra goes to the first of them,
 * whichever one the reply matched (the hint or not), so that the counts do
 * not depend on the order of the replies.  Returns the transmission to count.
 */
static size_t spread(const struct verdict_log *log, const uint32_t *answers, size_t i)
{
	const struct verdict_tx *t = &log->tx[i];
	size_t first = i;

	if (answers[i] == 0)
		return i;
	for (size_t j = 0; j < log->ntx; j++) {
		if (log->tx[j].client != t->client || !same_bytes(&log->tx[j], t->data, t->len))
			continue;
		if (answers[j] == 0)
			return j;
		if (j < first)
			first = j;
	}
	return first;
}

/*
 * Orders defects by request, then kind, then position, then length, then
 * transmission and pieces (two tries of a request can break alike): never
 * by arrival.
 */
static int worse(const struct verdict_tally *t, uint32_t request, const struct verdict_match *m,
		 size_t len)
{
	if (!t->defect || request != t->worst_request)
		return !t->defect || request < t->worst_request;
	if (m->kind != t->worst.kind)
		return m->kind < t->worst.kind;
	if (m->at != t->worst.at)
		return m->at < t->worst.at;
	if (len != t->worst_len)
		return len < t->worst_len;
	if (m->tx != t->worst.tx)
		return m->tx < t->worst.tx;
	return m->pieces < t->worst.pieces;
}

/* Marks each piece of a merged reply answered; returns 1 if all are tries of one request. */
static int count_merged(const struct verdict_log *log, uint32_t *answers, const uint8_t *rep,
			size_t len)
{
	size_t off = 0, i;
	int one_request = 1;
	uint32_t request = 0;

	while (off < len && (i = next_piece(log->tx, log->ntx, rep, len, off)) < log->ntx) {
		if (off == 0)
			request = log->tx[i].request;
		one_request &= log->tx[i].request == request;
		answers[spread(log, answers, i)]++;
		off += log->tx[i].len;
	}
	return one_request;
}

static void note_crossing(struct verdict_tally *t, uint16_t victim, uint16_t owner)
{
	if (t->crossed++ == 0 || victim < t->cross_victim ||
	    (victim == t->cross_victim && owner < t->cross_owner)) {
		t->cross_victim = victim;
		t->cross_owner = owner;
	}
}

static void tally_reply(const struct verdict_log *log, uint32_t *answers, struct verdict_tally *t,
			size_t k)
{
	const struct verdict_rx *rx = &log->rx[k];
	struct verdict_match m = verdict_attribute(log->tx, log->ntx, log->hint, rx->data, rx->len);
	uint32_t request = m.kind == VERDICT_FOREIGN ? log->requests : log->tx[m.tx].request;
	int self_merged = 0;

	t->replies++;
	t->kinds[m.kind]++;
	t->wrong_source += rx->wrong_source != 0;
	if (m.kind == VERDICT_MERGED)
		self_merged = count_merged(log, answers, rx->data, rx->len);
	else if (m.kind != VERDICT_FOREIGN)
		answers[spread(log, answers, m.tx)]++;
	if (m.kind != VERDICT_FOREIGN && log->tx[m.tx].client != rx->client)
		note_crossing(t, rx->client, log->tx[m.tx].client);
	if (self_merged)
		t->self_merged++;
	else if (m.kind != VERDICT_EXACT && worse(t, request, &m, rx->len)) {
		t->defect = 1;
		t->worst = m;
		t->worst_request = request;
		t->worst_len = rx->len;
		t->worst_rx = k;
	}
}

void verdict_tally(const struct verdict_log *log, uint32_t *answers, struct verdict_tally *t)
{
	memset(t, 0, sizeof(*t));
	t->requests = log->requests;
	t->dup_request = log->requests;
	if (log->ntx > 0)
		memset(answers, 0, log->ntx * sizeof(answers[0]));
	for (size_t k = 0; k < log->nrx; k++)
		tally_reply(log, answers, t, k);
	for (uint32_t r = 0; r < log->requests; r++) {
		int judged = 0;

		for (size_t i = 0; i < log->ntx; i++) {
			if (log->tx[i].request != r)
				continue;
			judged |= answers[i] > 0;
			if (answers[i] > 1) {
				t->duplicates += answers[i] - 1;
				if (t->dup_request == log->requests) {
					t->dup_request = r;
					t->dup_count = answers[i];
				}
			}
		}
		t->judged += (uint32_t)judged;
	}
}

int verdict_rule_defect(enum verdict_rule rule, const struct verdict_tally *t)
{
	switch (rule) {
	case VERDICT_RULE_ECHO:
		return t->defect;
	case VERDICT_RULE_ONCE:
		return t->duplicates > 0;
	case VERDICT_RULE_BOUNDARIES:
		return t->kinds[VERDICT_EXACT] < t->replies;
	case VERDICT_RULE_ISOLATION:
		return t->crossed > 0;
	case VERDICT_RULE_SOURCE:
		return t->wrong_source > 0;
	case VERDICT_RULE_LOSS:
	default:
		return 0;
	}
}

enum check_status verdict_judge(enum verdict_rule rule, const struct verdict_tally *t,
				int silence_confirmed)
{
	if (rule == VERDICT_RULE_LOSS) {
		if (t->requests == 0 || (t->judged == 0 && !silence_confirmed))
			return CHECK_INCONCLUSIVE;
		/* Corrupt replies are replies: only what never came back is lost. */
		return (uint64_t)(t->requests - t->judged) * 1000u >
				       (uint64_t)t->requests * VERDICT_LOSS_WARN_PERMILLE
			       ? CHECK_WARN
			       : CHECK_PASS;
	}
	if (verdict_rule_defect(rule, t))
		return CHECK_FAIL;
	if (t->requests > 0 && t->judged == t->requests)
		return CHECK_PASS;
	if (rule == VERDICT_RULE_ECHO && silence_confirmed && t->judged < t->requests)
		return CHECK_FAIL;
	return CHECK_INCONCLUSIVE;
}

enum verdict_life verdict_life(const struct verdict_life_obs *o)
{
	int home = o->home == VERDICT_PROBE_ANSWERED, fresh = o->fresh == VERDICT_PROBE_ANSWERED;

	if (o->answered == 0 && o->refused && o->sent <= 1)
		return VERDICT_NOTHING_LISTENING;
	if (home && o->fresh == VERDICT_PROBE_REFUSED)
		return VERDICT_REFUSES_NEW;
	if (home && o->fresh == VERDICT_PROBE_SILENT)
		return VERDICT_IGNORES_NEW;
	if (home || fresh)
		return VERDICT_ALIVE;
	if (o->refused || o->home == VERDICT_PROBE_REFUSED || o->fresh == VERDICT_PROBE_REFUSED)
		return VERDICT_CLOSED;
	if (o->home == VERDICT_PROBE_NONE && o->fresh == VERDICT_PROBE_NONE)
		return VERDICT_ALIVE; /* nothing asked, nothing wrong seen */
	if (o->late > 0)
		return VERDICT_SLOW;
	return o->answered > 0 ? VERDICT_HUNG : VERDICT_SILENT;
}

int verdict_life_ends_run(enum verdict_life life)
{
	return life != VERDICT_ALIVE;
}

const char *verdict_life_name(enum verdict_life life)
{
	static const char *const names[] = {"alive",
					    "nothing-listening",
					    "closed",
					    "hung",
					    "silent",
					    "slow",
					    "refuses-new-clients",
					    "ignores-new-clients"};

	return (unsigned)life < sizeof(names) / sizeof(names[0]) ? names[life] : "?";
}

int verdict_clients_stop(const uint8_t *state, size_t n)
{
	if (n < VERDICT_LIMIT_RUN)
		return 0;
	for (size_t i = n - VERDICT_LIMIT_RUN; i < n; i++) {
		if (state[i] == VERDICT_CLIENT_SERVED)
			return 0;
	}
	return 1;
}

void verdict_clients_judge(const uint8_t *state, size_t n, int limit_seen,
			   struct verdict_clients *out)
{
	size_t first = n;

	memset(out, 0, sizeof(*out));
	out->clients = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		if (state[i] == VERDICT_CLIENT_SERVED)
			out->served++;
		else if (first == n)
			first = i;
	}
	if (n == 0) {
		out->status = CHECK_INCONCLUSIVE;
		return;
	}
	if (first == n) {
		out->status = CHECK_PASS;
		return;
	}
	out->first_unserved = (uint32_t)first + 1;
	out->refused = state[first] == VERDICT_CLIENT_REFUSED;
	/* A limit: from the first unserved client on, nobody new got an echo. */
	out->status = limit_seen && out->served == first && n - first >= VERDICT_LIMIT_RUN
			      ? CHECK_FAIL
			      : CHECK_INCONCLUSIVE;
}

void verdict_rto_init(struct verdict_rto *t, uint64_t min_us, uint64_t max_us)
{
	memset(t, 0, sizeof(*t));
	t->min_us = min_us < max_us ? min_us : max_us;
	t->max_us = max_us;
	t->rto_us = max_us;
}

void verdict_rto_sample(struct verdict_rto *t, uint64_t us)
{
	if (t->srtt_us == 0) {
		t->srtt_us = us > 0 ? us : 1;
		t->rttvar_us = us / 2;
	} else {
		uint64_t dev = t->srtt_us > us ? t->srtt_us - us : us - t->srtt_us;

		t->rttvar_us = (3 * t->rttvar_us + dev) / 4;
		/* Never back to 0, "nothing measured yet": the next sample would restart. */
		t->srtt_us = (7 * t->srtt_us + us) / 8;
		if (t->srtt_us == 0)
			t->srtt_us = 1;
	}
	t->rto_us = t->srtt_us + 4 * t->rttvar_us;
	if (t->rto_us < t->min_us)
		t->rto_us = t->min_us;
	if (t->rto_us > t->max_us)
		t->rto_us = t->max_us;
}
