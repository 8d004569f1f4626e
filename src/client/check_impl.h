/*
 * check_impl.h: what the files of `udpecho check` share.  check_engine.c
 * owns the sockets, the clock and the one retry loop (the engine);
 * check_run.c the order of the run and the liveness probes; the check
 * files build requests and turn the core's verdicts into words.
 */
#ifndef UDPECHO_CLIENT_CHECK_IMPL_H
#define UDPECHO_CLIENT_CHECK_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "check_run.h"
#include "udpecho/addr.h"
#include "udpecho/echo.h"
#include "udpecho/hist.h"
#include "udpecho/verdict.h"

#define RUN_BUF_SIZE 65536u
/* clients.many's 200 clients and every other check's sockets, open to the end of the run. */
#define RUN_MAX_SOCKETS 320
#define RUN_MAX_RTT 4096
/*
 * The shortest wait before a retry.  A retry sent too soon costs one more
 * datagram and never a verdict (every try is told apart), so this follows
 * the round trip down to a few milliseconds.
 */
#define RUN_MIN_RTO_US 5000u
/*
 * Giving up on a reply, and listening for duplicates, is another matter:
 * below these, scheduling noise on a busy host would look like loss.
 */
#define RUN_MIN_GIVE_UP_US 400000u
#define RUN_MIN_LINGER_US 50000u
/* The shortest pace of clients.many's new clients: a round trip on loopback and then some. */
#define RUN_MIN_PACE_US 2000u
#define CLASSIC "This is the message.  It will be repeated."
#define CLASSIC_LEN 42

/* Streams: which check a tagged request belongs to. */
enum {
	STREAM_SIZES = 1,
	STREAM_SOURCE,
	STREAM_ONCE,
	STREAM_BURST,
	STREAM_LOSS,
	STREAM_PROBE,
	STREAM_MANY,
	STREAM_CLIENT0 /* clients.isolation's clients: STREAM_CLIENT0 + c */
};

struct tracked {
	int fd;
	int answered; /* something came back on it: what comes after its check is extra, not late */
	uint16_t port; /* its local port, once it has sent (for --evidence) */
};

/* ---- A check's exchange log: the bytes behind the core's verdict_log ---- */

struct xlog {
	struct verdict_tx *tx;
	uint64_t *tx_at;
	size_t ntx, txcap;
	struct verdict_rx *rx;
	uint64_t *rx_at;
	struct echo_peer *rx_from;
	size_t nrx, rxcap;
	uint32_t requests;
	int refused; /* an ICMP port unreachable arrived during the check */
};

/* A point in the run: the check and its request (1-based), for server.alive's evidence. */
struct run_point {
	enum check_id check;
	uint32_t request;
	size_t len;
	int set;
};

/* The run: fields ordered by size, so that none pads (clang-tidy's padding check). */
struct run {
	const struct check_config *cfg;
	uint8_t *req, *rep; /* a datagram's room each */
	size_t family_max;

	uint64_t bytes_sent, bytes_received, datagrams_sent, datagrams_received;
	uint64_t longer_replies; /* replies longer than their request */
	uint64_t self_merged;    /* replies that were one request merged with its own retries */
	uint64_t wrong_sources;
	uint64_t late, extra; /* counted when sockets are drained */
	size_t rtt_count;
	size_t nsocks;
	uint64_t refused;        /* ICMP port unreachable reports */
	uint64_t refused_before; /* ... before the current check */
	uint64_t wall_offset_us; /* --evidence: realtime minus monotonic, for packet times */
	size_t nladder;
	uint64_t plus_zeroed; /* replies whose bytes 4..19 were zeroed on arrival */

	struct run_point last_answer, suspect; /* the last answered request, the first after it */
	struct verdict_rto rto;
	struct xlog logs[CHECK_COUNT];                /* --evidence: each check's log */
	struct report_size ladder[REPORT_LADDER_MAX]; /* echo.sizes, for the report */
	struct check_result plus_result;
	struct hist rtt; /* every round trip, for latency (ns) */

	uint32_t run_id;
	int error; /* -errno of a network error that ends the run */
	int interrupted;
	enum check_id current; /* the check now running */
	int trouble;           /* a request of the current check went unanswered or was refused */
	int probed;            /* the current check already asked whether the server is alive */
	int home; /* the first socket that got a reply: a client the server knows; -1 none */
	enum verdict_life life;
	int life_known;          /* life was judged by a probe and ends the run */
	int life_current;        /* the last check ended with a probe: life is up to date */
	uint32_t clients_served; /* sockets answered at least once */
	int plus;                /* the target is a UDPEchoPlus responder */

	struct echo_peer target;
	struct echo_peer wrong_source;
	struct echo_peer local; /* --evidence: the address the kernel sends to the target from */
	struct echo_peer from;  /* the sender of the datagram receive() just read */
	struct tracked socks[RUN_MAX_SOCKETS];
	uint32_t rtt_us[RUN_MAX_RTT]; /* the first round trips, as they came, for the report */
	char target_text[ADDR_STR_MAX];
};

void xlog_free(struct xlog *l);

/* The check is done with its log: kept for --evidence, freed otherwise. */
void run_keep_log(struct run *r, struct xlog *l);

/* Tallies the log (hint: see verdict_log).  Returns -1 out of memory. */
int xlog_tally(const struct xlog *l, size_t hint, struct verdict_tally *t);

/* ---- The engine: the one retry loop ------------------------------------ */

enum slot_state { SLOT_WAITING, SLOT_ANSWERED, SLOT_REFUSED, SLOT_SILENT };

/* One request in flight on one socket, tried until answered or given up. */
struct slot {
	int sock;         /* index into run.socks */
	uint32_t request; /* in the log */
	unsigned tries;   /* sent so far (kept across engine runs: the paced retries go on) */
	unsigned max_tries;
	uint64_t next_at, wait, give_up;
	enum slot_state state;
	size_t reply_rx; /* the log index of its first reply */
	size_t reply_tx; /* the transmission that reply answers */
	uint64_t answered_at;
	size_t last_tx; /* the log index of its last try */
};

/* Fills buf with the request's bytes for this try; returns the length. */
typedef size_t (*build_fn)(struct run *r, void *ctx, uint32_t request, unsigned attempt,
			   uint8_t *buf);

enum patience {
	PATIENCE_FULL,  /* give up after the full wait --timeout and --retries allow */
	PATIENCE_QUICK, /* a burst's single tries: a few round trips, at most the full wait */
	PATIENCE_PACE,  /* clients.many's first tries: twice the smoothed round trip */
};

struct engine {
	struct xlog *log;
	struct slot *slots;
	size_t n;
	build_fn build;
	void *ctx;
	enum patience patience;
	int linger;    /* after the last answer, listen a little longer for duplicates */
	size_t window; /* at most this many first tries unanswered at once (0: no limit) */
	/* Optional: stop early once this says so (it sees the slots as they stand). */
	int (*enough)(const struct engine *e);
};

/* A new slot for request on sock, max_tries tries. */
struct slot slot_new(int sock, uint32_t request, unsigned max_tries);

/*
 * Sends every slot's tries when due and receives until each is answered,
 * refused or given up.  Returns 0, or -1 when the run must stop (an
 * interruption, or a network error other than a refusal).  A refusal
 * ends the engine early and is in e->log->refused.
 */
int engine_run(struct run *r, struct engine *e);

/* A fresh client socket, open to the end of the run.  Returns its index, or -1. */
int run_socket(struct run *r);

/* Some traffic for the checks that judge the run so far, when they run alone. */
void run_ensure_traffic(struct run *r);

/* Drains every socket, counting what it held as late or extra. */
void run_drain_all(struct run *r);

/*
 * After a check saw silence or a refusal: probes the run's first client,
 * a new one and (cur >= 0) the check's own socket with the classic
 * message, and judges whether the server is alive.  *cur_answered says if
 * cur was answered.  A state that ends the run is kept in r.
 */
enum verdict_life run_probe_life(struct run *r, int cur, int *cur_answered);

/*
 * One request on its own socket went unanswered after every try: is that
 * silence the server's answer to it?  Yes when the socket's classic
 * message is answered and one more try of the request is not.
 */
int run_confirm_silence(struct run *r, struct engine *e, struct slot *s);

/* The builders every check uses. */
struct fixed_request {
	const uint8_t *data;
	size_t len;
};
size_t build_fixed(struct run *r, void *ctx, uint32_t request, unsigned attempt, uint8_t *buf);

/* A tagged request of len bytes on a stream: the request is its sequence number. */
struct tagged_request {
	unsigned stream;
	size_t len;
};
size_t build_tagged(struct run *r, void *ctx, uint32_t request, unsigned attempt, uint8_t *buf);

/* In UDPEchoPlus mode, a tagged payload carries its tag after the 20-byte header. */
void run_tag_payload(struct run *r, uint8_t *buf, size_t len, unsigned stream, uint32_t seq,
		     unsigned attempt);

/* Evidence every MUST carries: what it sent and what its verdict rests on. */
void run_evidence_sample(struct check_result *res, const struct verdict_tally *t);

/* Marks a result inconclusive because the run ended before or while it ran. */
void run_not_judged(const struct run *r, struct check_result *res);

const char *run_tries_word(unsigned n);
uint64_t run_now_us(void);
uint64_t run_full_wait(const struct run *r);

/* The checks, one function each (check_echo.c, check_multi.c, check_plus.c, check_totals.c). */
void run_echo_basic(struct run *r, struct check_result *res);
void run_echo_empty(struct run *r, struct check_result *res);
void run_echo_bytes(struct run *r, struct check_result *res);
void run_echo_sizes(struct run *r, struct check_result *res);
void run_reply_source(struct run *r, struct check_result *res);
void run_reply_once(struct run *r, struct check_result *res);
void run_burst_boundaries(struct run *r, struct check_result *res);
void run_clients_isolation(struct run *r, struct check_result *res);
void run_burst_loss(struct run *r, struct check_result *res);
void run_clients_many(struct run *r, struct check_result *res);
void run_safety_amplification(struct run *r, struct check_result *res);
void run_safety_loop(struct run *r, struct check_result *res);
void run_latency(struct run *r, struct check_result *res);
void run_server_alive(struct run *r, struct check_result *res);
void run_clients_many_early(struct run *r, struct check_result *res);
void probe_echoplus(struct run *r);

/* check_evidence.c: ID.pcap and ID.txt for each failing or inconclusive check. */
void run_write_evidence(struct run *r, const struct report *rep);

#endif
