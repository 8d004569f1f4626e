/*
 * verdict.h: how `udpecho check` reaches a verdict.  Which request a reply
 * answers and how it differs; what a check's exchange log adds up to; when
 * that sample is enough for a MUST to pass; whether the server is still
 * alive; where a server stops serving new clients; and the retry timer.
 *
 * The I/O layer sends, receives and reads the clock; everything it then
 * concludes is decided here, from data, so that every rule is unit-tested
 * and fuzzed without a socket.
 */
#ifndef UDPECHO_VERDICT_H
#define UDPECHO_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/check.h"

/* One transmission: a try of a request, as it left one of the check's client sockets. */
struct verdict_tx {
	const uint8_t *data;
	size_t len;
	uint32_t request; /* the request it is a try of: 0 .. requests-1 */
	uint16_t client;  /* the socket it left from */
};

/* How a reply relates to what was sent. */
enum verdict_kind {
	VERDICT_EXACT,     /* byte for byte a transmission */
	VERDICT_MERGED,    /* two or more whole transmissions back to back */
	VERDICT_TRUNCATED, /* a transmission's first `at` bytes (or a split's first piece) */
	VERDICT_EXTENDED,  /* a transmission followed by `at` more bytes */
	VERDICT_ALTERED,   /* a transmission with bytes changed, the first at `at` */
	VERDICT_FOREIGN,   /* none of them: another run's data, a split's later piece, noise */
	VERDICT_KINDS
};

struct verdict_match {
	enum verdict_kind kind;
	size_t tx;     /* the transmission it answers (MERGED: the first piece); n when FOREIGN */
	size_t at;     /* see the kinds */
	size_t pieces; /* MERGED: how many whole transmissions */
};

/*
 * Which of tx[0..n) the reply answers.  Exact first, then merged, then a
 * prefix either way, then the transmission most of whose bytes it keeps in
 * place.  hint is the transmission the caller has in flight alone on that
 * socket (n for none): it wins ties, and a reply that resembles nothing
 * still answers it, altered, since nothing else could have caused it.
 */
struct verdict_match verdict_attribute(const struct verdict_tx *tx, size_t n, size_t hint,
				       const uint8_t *rep, size_t len);

/*
 * The transmissions a MERGED reply is made of, in order: their indexes in
 * out[0..max).  Returns how many (at most max).
 */
size_t verdict_pieces(const struct verdict_tx *tx, size_t n, const uint8_t *rep, size_t len,
		      size_t *out, size_t max);

/* One datagram that came back during the check, on the socket `client`. */
struct verdict_rx {
	const uint8_t *data;
	size_t len;
	uint16_t client;
	uint8_t wrong_source; /* it came from another address or port than the target's */
};

/* A check's exchange log. */
struct verdict_log {
	const struct verdict_tx *tx;
	size_t ntx;
	const struct verdict_rx *rx;
	size_t nrx;
	uint32_t requests; /* the requests the check judges, retries apart */
	size_t hint;       /* as verdict_attribute's, for every reply (ntx for none) */
};

/*
 * What the log adds up to.  Everything here is independent of the order
 * the replies were read in: the defect a detail names is the one of the
 * lowest request, not the first to arrive.
 */
struct verdict_tally {
	size_t worst_len;           /* the length of the worst reply (below) */
	size_t worst_rx;            /* its index in the log */
	struct verdict_match worst; /* a reply not exact, of the lowest request */
	uint32_t worst_request;     /* its request */
	int defect;                 /* there is such a reply */
	uint32_t requests;
	uint32_t judged;                    /* requests with at least one reply, exact or not */
	uint32_t replies;                   /* datagrams that came back */
	uint32_t duplicates;                /* replies beyond one per transmission */
	uint32_t self_merged;               /* merged replies of one request's own tries */
	uint32_t crossed;                   /* replies carrying another client's request */
	uint32_t wrong_source;              /* replies from another address */
	uint32_t dup_request, dup_count;    /* the lowest request answered more than once per try */
	uint32_t kinds[VERDICT_KINDS];      /* replies by kind */
	uint16_t cross_victim, cross_owner; /* the lowest crossed: whose socket, whose data */
};

/*
 * Tallies the log.  answers[ntx] is scratch the caller provides (the
 * replies each transmission got), filled here.
 */
void verdict_tally(const struct verdict_log *log, uint32_t *answers, struct verdict_tally *t);

/* What a check's verdict turns on. */
enum verdict_rule {
	VERDICT_RULE_ECHO,       /* every reply exact: echo.basic, echo.bytes, each size */
	VERDICT_RULE_ONCE,       /* one reply per transmission: reply.once */
	VERDICT_RULE_BOUNDARIES, /* every reply one whole request: burst.boundaries */
	VERDICT_RULE_ISOLATION,  /* every reply the client's own: clients.isolation */
	VERDICT_RULE_SOURCE,     /* every reply from the target: reply.source */
	VERDICT_RULE_LOSS,       /* the share answered, corruption apart: burst.loss (SHOULD) */
};

/* Loss above this share (in thousandths) warns in burst.loss. */
#define VERDICT_LOSS_WARN_PERMILLE 10u

/*
 * The status a tally earns.  A MUST fails on a defect its rule names, and
 * passes only on the full sample: every request judged.  silence_confirmed
 * says that the server answered a known-good request on the same socket
 * while these stayed unanswered (after their retries and one more try):
 * only then is silence itself a defect, and only for VERDICT_RULE_ECHO.
 * Anything less is inconclusive, never a guess.
 */
enum check_status verdict_judge(enum verdict_rule rule, const struct verdict_tally *t,
				int silence_confirmed);

/* The defect the rule names, if any (the reply kinds it forbids, crossing, duplicates). */
int verdict_rule_defect(enum verdict_rule rule, const struct verdict_tally *t);

/* ---- Liveness ---------------------------------------------------------- */

/* A liveness probe: a known-good request, retried, from some client socket. */
enum verdict_probe {
	VERDICT_PROBE_NONE,     /* not sent */
	VERDICT_PROBE_ANSWERED, /* any datagram came back */
	VERDICT_PROBE_REFUSED,  /* ICMP port unreachable */
	VERDICT_PROBE_SILENT,   /* nothing, after every try */
};

struct verdict_life_obs {
	uint64_t sent;            /* datagrams the run has sent, probes included */
	uint64_t answered;        /* datagrams that came back from the target, probes included */
	int refused;              /* an ICMP port unreachable arrived during the check */
	uint64_t late;            /* replies that came only after their wait, during this check */
	enum verdict_probe home;  /* from the run's first client socket, which the server knows */
	enum verdict_probe fresh; /* from a new socket: a client the server has never seen */
};

enum verdict_life {
	VERDICT_ALIVE,
	VERDICT_NOTHING_LISTENING, /* the very first request was refused: no report to make */
	VERDICT_CLOSED,            /* it answered or took requests, then its port closed */
	VERDICT_HUNG,              /* it answered, then stopped answering anyone */
	VERDICT_SILENT,            /* it never answered anything */
	VERDICT_SLOW,              /* replies come, but only after every wait gave up */
	VERDICT_REFUSES_NEW,       /* answers its old clients, refuses new ones (ICMP) */
	VERDICT_IGNORES_NEW,       /* answers its old clients, ignores new ones */
};

/*
 * What the observations say.  "Nothing listening" only when the run's one
 * and only datagram was refused: once anything was answered, or a request
 * went out and unanswered before the refusal, the server was there.
 */
enum verdict_life verdict_life(const struct verdict_life_obs *o);

/* Does this state end the run (every check not yet judged is inconclusive)? */
int verdict_life_ends_run(enum verdict_life life);

const char *verdict_life_name(enum verdict_life life); /* "closed", "hung", ... */

/* ---- clients.many ------------------------------------------------------ */

/* Unserved clients in a row after which the server's limit is taken as found. */
#define VERDICT_LIMIT_RUN 5u

enum verdict_client {
	VERDICT_CLIENT_WAITING,
	VERDICT_CLIENT_SERVED,
	VERDICT_CLIENT_UNSERVED,
	VERDICT_CLIENT_REFUSED
};

/* Stop opening new clients: the last VERDICT_LIMIT_RUN are all waiting, unserved or refused. */
int verdict_clients_stop(const uint8_t *state, size_t n);

struct verdict_clients {
	enum check_status status;
	uint32_t clients;        /* clients tried */
	uint32_t served;         /* clients that got their echo */
	uint32_t first_unserved; /* 1-based; 0 when every one was served */
	int refused;             /* the first unserved was refused (ICMP), not ignored */
};

/*
 * clients.many's verdict from each client's final state (none waiting).
 * limit_seen says that afterwards the run's first client was still served
 * while a new one was not: the server is alive, but not for new clients.
 * Every one served passes; a tail of at least VERDICT_LIMIT_RUN unserved
 * with limit_seen is a limit and fails; anything else, scattered misses,
 * a server that stopped answering everyone or one that answers a new
 * probe but not these clients, is inconclusive.
 */
void verdict_clients_judge(const uint8_t *state, size_t n, int limit_seen,
			   struct verdict_clients *out);

/* ---- The retry timer (RFC 6298) ---------------------------------------- */

struct verdict_rto {
	uint64_t srtt_us, rttvar_us, rto_us;
	uint64_t min_us, max_us; /* rto stays within these */
};

/* Starts with rto = max_us (the user's --timeout) until a round trip is measured. */
void verdict_rto_init(struct verdict_rto *t, uint64_t min_us, uint64_t max_us);

void verdict_rto_sample(struct verdict_rto *t, uint64_t rtt_us);

#endif
