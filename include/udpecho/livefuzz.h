/*
 * livefuzz.h: the pure parts of `udpecho fuzz`, which fuzzes a live echo
 * server with RFC 862 as the oracle: the generator of datagrams and
 * rounds, the reading of a round (what came back, against what was sent,
 * through verdict.h's attribution and liveness rules), and the minimiser.
 *
 * The I/O layer sends, receives, starts and restarts the server and reads
 * the clock.  Everything it concludes is decided here, from data, so that
 * a generator that repeats itself for a seed, an oracle that never passes
 * a wrong echo and a minimiser that never loses its finding are tested and
 * fuzzed without a socket.
 */
#ifndef UDPECHO_LIVEFUZZ_H
#define UDPECHO_LIVEFUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/verdict.h"

/* The most datagrams in one round, and in one finding. */
#define LIVEFUZZ_ROUND_MAX 32u
/* The most client sockets a run interleaves. */
#define LIVEFUZZ_CLIENTS_MAX 16u
/* Replies judged per client in one round; more than that is itself a wrong echo. */
#define LIVEFUZZ_REPLIES_MAX (2 * LIVEFUZZ_ROUND_MAX + 16)

/* ---- Randomness: splitmix64, so that a seed repeats a run anywhere ---- */

struct livefuzz_rng {
	uint64_t state;
};

void livefuzz_seed(struct livefuzz_rng *rng, uint64_t seed);
uint64_t livefuzz_next(struct livefuzz_rng *rng);
/* Uniform in 0 .. n-1 (n > 0), without modulo bias. */
uint64_t livefuzz_below(struct livefuzz_rng *rng, uint64_t n);

/* ---- The generator ------------------------------------------------------ */

/* How a datagram's size was chosen. */
enum livefuzz_size {
	LIVEFUZZ_SIZE_BOUNDARY, /* a size of check's ladder, or one byte either side */
	LIVEFUZZ_SIZE_EDGE,     /* 0, 1, or the family maximum */
	LIVEFUZZ_SIZE_SMALL,    /* 0 .. 64 */
	LIVEFUZZ_SIZE_RANDOM,   /* anything up to the maximum */
	LIVEFUZZ_SIZE_KINDS
};

/* How its bytes were chosen. */
enum livefuzz_content {
	LIVEFUZZ_BYTES_CYCLE,    /* every byte value in turn, from a random start */
	LIVEFUZZ_BYTES_ZERO,     /* NULs */
	LIVEFUZZ_BYTES_ONE,      /* one byte value repeated */
	LIVEFUZZ_BYTES_FORMAT,   /* printf and shell metacharacters: %s%n%x, $(, `, \ */
	LIVEFUZZ_BYTES_ECHOPLUS, /* a UDPEchoPlus header, then anything */
	LIVEFUZZ_BYTES_DICT,     /* words of the dictionary, back to back */
	LIVEFUZZ_BYTES_MUTATED,  /* a corpus datagram, bit-flipped, cut, grown or spliced */
	LIVEFUZZ_BYTES_RANDOM,
	LIVEFUZZ_BYTES_KINDS
};

struct livefuzz_recipe {
	enum livefuzz_size size;
	enum livefuzz_content content;
};

/* One datagram of the --corpus, or of the dictionary. */
struct livefuzz_blob {
	const uint8_t *data;
	size_t len;
};

struct livefuzz_gen {
	struct livefuzz_rng rng;
	size_t max_size;                    /* the family maximum, or --max-size below it */
	const struct livefuzz_blob *corpus; /* --corpus: datagrams to mutate, or NULL */
	size_t ncorpus;
	unsigned clients; /* sockets to interleave: 1 .. LIVEFUZZ_CLIENTS_MAX */
};

/*
 * One datagram into buf (cap >= g->max_size): returns its length, at most
 * g->max_size; *how (may be NULL) says how it was made.  The same seed and
 * the same calls give the same datagrams.
 */
size_t livefuzz_datagram(struct livefuzz_gen *g, uint8_t *buf, size_t cap,
			 struct livefuzz_recipe *how);

/* What a round sends: n datagrams, each from one of the clients, after a pause. */
struct livefuzz_round {
	unsigned n;                         /* 1 .. LIVEFUZZ_ROUND_MAX */
	uint8_t client[LIVEFUZZ_ROUND_MAX]; /* the socket each leaves from */
	uint32_t pause_us;                  /* before the round: 0, or up to 50 ms */
};

/* The shape of the next round: one alone, a burst on one socket, or several interleaved. */
void livefuzz_plan_round(struct livefuzz_gen *g, struct livefuzz_round *round);

/*
 * The pause to take before round: all of its pause_us while the run's
 * pauses, this one included, stay within 1/LIVEFUZZ_PAUSE_SHARE of the
 * time it has run (paused_us of elapsed_us), else none.  Pauses then
 * cost a run at most that share of its datagrams.
 */
#define LIVEFUZZ_PAUSE_SHARE 50u
uint32_t livefuzz_pause(const struct livefuzz_round *round, uint64_t paused_us,
			uint64_t elapsed_us);

/* ---- How long to wait for replies ---------------------------------------- */

/*
 * How long the rounds take, so that a server behind a slow path is waited
 * for and never judged silent: RFC 6298's estimator (srtt, rttvar) fed
 * with how long each answered round or probe took.
 */
struct livefuzz_rtt {
	uint64_t srtt_us;
	uint64_t rttvar_us;
	uint64_t samples;
};

void livefuzz_rtt_sample(struct livefuzz_rtt *r, uint64_t us);

/*
 * How long to wait: srtt + 4 x rttvar, never below floor_us nor above
 * ceil_us; before any sample, first_us (as RFC 6298's first timeout of
 * 1 s: nothing is known of the path yet), within the same bounds.
 */
uint64_t livefuzz_rtt_wait(const struct livefuzz_rtt *r, uint64_t floor_us, uint64_t first_us,
			   uint64_t ceil_us);

/* ---- A finding ---------------------------------------------------------- */

enum livefuzz_kind {
	LIVEFUZZ_NONE,
	LIVEFUZZ_CRASH,        /* the port closed (ICMP port unreachable) or the process ended */
	LIVEFUZZ_HANG,         /* it answered before, and answers nothing now */
	LIVEFUZZ_WRONG,        /* a reply altered, truncated, extended, merged or foreign */
	LIVEFUZZ_DUPLICATE,    /* a datagram answered more than once */
	LIVEFUZZ_WRONG_SOURCE, /* a reply from another address or port */
	LIVEFUZZ_CROSSED,      /* a reply on another client's socket */
	LIVEFUZZ_UNANSWERED,   /* a datagram never answered, sent again alone, while the server
				  answers a known-good request */
	LIVEFUZZ_KINDS
};

const char *livefuzz_kind_name(enum livefuzz_kind kind); /* "crash", "hang", ... */

/* What one round saw. */
struct livefuzz_obs {
	const struct verdict_tx *tx; /* the round's datagrams: request i is tx[i] */
	size_t ntx;
	const struct verdict_rx *rx; /* what came back while the round waited */
	size_t nrx;
	int refused;              /* an ICMP port unreachable arrived */
	int exited;               /* --exec: the server's process ended */
	enum verdict_probe probe; /* the known-good request sent after the round */
};

struct livefuzz_verdict {
	enum livefuzz_kind kind;
	size_t datagram;            /* the datagram it concerns: the lowest affected */
	size_t reply;               /* WRONG: the reply (index in rx) */
	struct verdict_match match; /* WRONG: how the reply differs */
	uint32_t unanswered;        /* datagrams that got no reply */
};

/*
 * The round's verdict, by RFC 862: every datagram back exactly, once, from
 * the target, on its own socket, and the server alive after it.  In order:
 * a crash (refused, exited, or the probe refused), a reply on another
 * client's socket, from another address, not exact, a duplicate, a server
 * that stopped answering (the probe silent), then datagrams unanswered
 * while the probe is: UNANSWERED, which the I/O layer confirms by sending
 * each again alone before it is a finding (it may be loss).  Each client's
 * datagrams and the replies on its socket are judged apart, so equal
 * datagrams of two clients are never confused; a client's own datagrams in
 * one round must differ (livefuzz_distinct).  scratch[ntx] gets the
 * replies each datagram had.
 */
void livefuzz_judge(const struct livefuzz_obs *obs, uint32_t *scratch,
		    struct livefuzz_verdict *out);

/* ---- The minimiser ------------------------------------------------------ */

struct livefuzz_case;

/* Does datagram i differ from every earlier one of its client in c?  (Replies tell them apart.) */
int livefuzz_distinct(const struct livefuzz_case *c, size_t i);

/* A sequence of datagrams: the finding's reproduction. */
struct livefuzz_case {
	size_t n;
	size_t len[LIVEFUZZ_ROUND_MAX];
	uint8_t client[LIVEFUZZ_ROUND_MAX];
	uint8_t *data[LIVEFUZZ_ROUND_MAX]; /* each holds up to the run's maximum size */
};

/*
 * Does c still reproduce the finding (the same kind)?  The I/O layer sends
 * it to a fresh or restarted server and reads the result.  1 yes, 0 no,
 * -1 the run must stop (interrupted, the server cannot be restarted).
 */
typedef int (*livefuzz_reproduces)(const struct livefuzz_case *c, void *ctx);

/*
 * Shrink c in place, keeping it reproducing: first the fewest datagrams
 * (ddmin over the sequence), then each datagram the shortest (halves, then
 * smaller cuts from either end), then the simplest bytes ('A' for each
 * byte that can be).  At most budget calls of test.  Returns the calls
 * made, -1 when test said stop, or LIVEFUZZ_NOT_ALONE when c itself does
 * not reproduce (the first call: what the server was sent before counts),
 * c then left as it is; a c that is shrunk always still reproduces.
 */
#define LIVEFUZZ_NOT_ALONE (-2)
long livefuzz_minimise(struct livefuzz_case *c, livefuzz_reproduces test, void *ctx,
		       unsigned budget);

#endif
