/*
 * check.h: the pure parts of `udpecho check`: the catalogue of checks, the
 * classification of a reply against its request, request tags and
 * payloads, and the bisection that finds the largest exact echo.  No
 * sockets and no clock here, so every rule is unit-tested and fuzzed.
 */
#ifndef UDPECHO_CHECK_H
#define UDPECHO_CHECK_H

#include <stddef.h>
#include <stdint.h>

enum check_level { CHECK_MUST, CHECK_SHOULD, CHECK_INFO };

/*
 * INCONCLUSIVE: a check that could not be judged, because too few of its
 * requests were answered even after paced retries, or because the run
 * ended (the server stopped answering, or the user interrupted) first.
 */
enum check_status { CHECK_PASS, CHECK_FAIL, CHECK_WARN, CHECK_SKIP, CHECK_INCONCLUSIVE };

#define CHECK_STATUSES 5

enum check_id {
	CHECK_ECHO_BASIC,
	CHECK_ECHO_EMPTY,
	CHECK_ECHO_BYTES,
	CHECK_ECHO_SIZES,
	CHECK_REPLY_SOURCE,
	CHECK_REPLY_ONCE,
	CHECK_BURST_BOUNDARIES,
	CHECK_CLIENTS_ISOLATION,
	CHECK_SAFETY_AMPLIFICATION,
	CHECK_BURST_LOSS,
	CHECK_SAFETY_LOOP,
	CHECK_LATENCY,
	CHECK_ECHOPLUS_FIELDS,
	CHECK_CLIENTS_MANY,
	CHECK_SERVER_ALIVE,
	CHECK_COUNT
};

struct check_info {
	const char *name; /* the stable dotted ID: "echo.sizes" */
	const char *what; /* one line for --list */
	enum check_id id;
	enum check_level level;
};

/*
 * The catalogue, in the order the checks are reported.  They run in this
 * order too, except that echoplus.fields runs first: what it finds (a
 * TR-143 UDPEchoPlus responder) changes how the others build requests.
 * clients.many comes last but one because it may spend a server's
 * per-client state for good, and server.alive last because it judges the
 * whole run.
 */
const struct check_info *check_info(enum check_id id);

/* By dotted name; NULL when there is no such check. */
const struct check_info *check_find(const char *name);

const char *check_level_name(enum check_level level);    /* "MUST" */
const char *check_status_name(enum check_status status); /* "PASS" */

/*
 * Parse an --only list ("echo.basic,echo.sizes") into selected[CHECK_COUNT].
 * Returns 0, or -1 with the offending item copied into bad (NUL-terminated).
 */
int check_parse_only(const char *list, unsigned char selected[CHECK_COUNT], char *bad,
		     size_t badlen);

/* How a reply compares with its request. */
enum check_match_kind {
	CHECK_MATCH_EXACT,
	CHECK_MATCH_TRUNCATED, /* the reply is the request's first `at` bytes */
	CHECK_MATCH_EXTENDED,  /* the reply is the request plus more bytes */
	CHECK_MATCH_DIFFERS,   /* bytes differ, first at offset `at` */
};

struct check_match {
	enum check_match_kind kind;
	size_t at;
};

struct check_match check_classify(const uint8_t *req, size_t req_len, const uint8_t *rep,
				  size_t rep_len);

/*
 * Words a network engineer reads: "truncates to 4096 bytes (sent 4097, got
 * the first 4096)", "stops at the first NUL byte (sent 257, got the first
 * 0)", "altered at byte 30000 of 32768 (sent 0x41, got 0x61)", "2 bytes
 * longer than the 42 sent".  Returns snprintf's count.
 */
size_t check_describe(char *out, size_t cap, const uint8_t *req, size_t req_len, const uint8_t *rep,
		      size_t rep_len);

/*
 * Tags let a reply name its request: 16 bytes at the start of every request
 * big enough to carry one.  The rest of a tagged payload is a pseudo-random
 * function of the tag, so any reply can be checked byte for byte without
 * keeping the request.
 */
#define CHECK_TAG_LEN 16u

struct check_tag {
	uint32_t run;     /* random per run (check_run_id): replies from another run are foreign */
	uint16_t stream;  /* which check, and which client within it: 0..16383 */
	uint16_t attempt; /* which try of the request: 0..16383 */
	uint32_t seq;     /* 0..2^28-1 */
};

/* A run id from any seed: no byte is 0. */
uint32_t check_run_id(uint32_t seed);

/*
 * Fill buf[0..len) with the tagged payload (len >= CHECK_TAG_LEN).  No byte
 * of it is NUL.  Fields beyond their ranges are cut to them.
 */
void check_payload(uint8_t *buf, size_t len, const struct check_tag *tag);

/* Read a tag; returns 0 when buf starts with a well-formed one. */
int check_tag_read(const uint8_t *buf, size_t len, struct check_tag *tag);

/*
 * Bisection between a size known to echo exactly (good) and one known not
 * to (bad).  check_bisect_next returns the next size to try, or 0 when
 * good + 1 == bad and good is the answer.
 */
struct check_bisect {
	size_t good;
	size_t bad;
};

size_t check_bisect_next(const struct check_bisect *b);

/*
 * echo.sizes' ladder of sizes, where real servers cut datagrams (fixed
 * buffers, the path MTUs), ending with the family maximum: size i of
 * check_size_ladder_len(), family_max for the last.
 */
size_t check_size_ladder_len(void);
size_t check_size_ladder(size_t i, size_t family_max);
void check_bisect_update(struct check_bisect *b, size_t size, int exact);

/*
 * Waiting for a reply: each retry waits twice as long as the try before,
 * as TCP's retransmission timer does, and like it never more than
 * CHECK_MAX_WAIT_US (RFC 6298's upper bound), so that the largest --timeout
 * and --retries still end: 10 tries of 60 s at most.
 */
#define CHECK_MAX_WAIT_US 60000000u

/* The wait after a try that waited wait_us. */
uint64_t check_next_wait(uint64_t wait_us);

/* The whole wait of tries tries, the first waiting first_us: when a reply counts as missing. */
uint64_t check_full_wait(uint64_t first_us, unsigned tries);

#endif
