/*
 * echoplus.h: TR-143 UDPEchoPlus (Issue 1 Amendment 1, Annex A.1.4-A.1.7),
 * the echo that broadband gear answers.
 *
 * The first bytes of the payload are big-endian 32-bit fields:
 *
 *   offset  field                       who writes it
 *    0      TestGenSN                   client (sequence number), kept
 *    4      TestRespSN                  server: requests answered before this one
 *    8      TestRespRecvTimeStamp       server: us on a wrapping 32-bit counter
 *   12      TestRespReplyTimeStamp      server: us, same counter, as late as possible
 *   16      TestRespReplyFailureCount   server: valid requests not answered, cumulative
 *   20      TestIterationNumber         client, kept (Amendment 1; older responders
 *                                       know five fields and echo it as data)
 *
 * Everything after the fields is echoed unchanged.  The server rewrites only
 * bytes 4..19, so a request of 20 bytes or more is a UDPEchoPlus request for
 * both the five- and the six-field variant; a shorter one is a plain echo
 * request and is echoed unchanged.
 *
 * Pure code: the clock value and the counters are passed in.
 */
#ifndef UDPECHO_ECHOPLUS_H
#define UDPECHO_ECHOPLUS_H

#include <stddef.h>
#include <stdint.h>

#define ECHOPLUS_MIN_LEN 20u    /* five fields: the smallest UDPEchoPlus request */
#define ECHOPLUS_HEADER_LEN 24u /* six fields (Amendment 1) */
#define ECHOPLUS_REWRITE_OFF 4u /* the server writes bytes [4, 20) and nothing else */
#define ECHOPLUS_REWRITE_END 20u
#define ECHOPLUS_STAMPS_OFF 8u /* TestRespRecvTimeStamp, TestRespReplyTimeStamp: bytes [8, 16) */
#define ECHOPLUS_STAMPS_LEN 8u

struct echoplus_header {
	uint32_t gen_sn;    /* TestGenSN */
	uint32_t resp_sn;   /* TestRespSN */
	uint32_t recv_ts;   /* TestRespRecvTimeStamp */
	uint32_t reply_ts;  /* TestRespReplyTimeStamp */
	uint32_t failures;  /* TestRespReplyFailureCount */
	uint32_t iteration; /* TestIterationNumber (0 when only five fields fit) */
};

/*
 * Read the fields present in buf: returns 0 (len < 20, a plain echo
 * request; *h zeroed), 5 (20 to 23 bytes) or 6.
 */
unsigned echoplus_decode(const uint8_t *buf, size_t len, struct echoplus_header *h);

/* Write the fields that fit (none, five or six), as echoplus_decode reads them. */
void echoplus_encode(uint8_t *buf, size_t len, const struct echoplus_header *h);

/* What the server writes into one reply. */
struct echoplus_stamp {
	uint32_t resp_sn;
	uint32_t recv_ts;
	uint32_t reply_ts;
	uint32_t failures;
};

/*
 * The server's rewrite, in place: bytes [4, 20) from *s when len >= 20
 * (returns 1); otherwise buf is left alone (returns 0).  Never touches
 * another byte, never changes the length.
 */
int echoplus_rewrite(uint8_t *buf, size_t len, const struct echoplus_stamp *s);

/* The 32-bit microsecond counter that starts at service start and wraps. */
uint32_t echoplus_clock(uint64_t now_us, uint64_t start_us);

/*
 * Detection, as `ping` auto-detect and `check` use it: the request carried
 * zeros in bytes [4, 20), the reply has the same length and bytes outside
 * [4, 20), and a time stamp (bytes [8, 16)) is non-zero.  A plain RFC 862
 * echo never qualifies, nor does one that alters only the sequence number
 * or the failure count.
 */
int echoplus_detect(const uint8_t *req, size_t req_len, const uint8_t *rep, size_t rep_len);

/* Same length, and every byte outside [4, 20) equal (length >= 20). */
int echoplus_differs_only_in_fields(const uint8_t *req, size_t req_len, const uint8_t *rep,
				    size_t rep_len);

/* What is wrong with a UDPEchoPlus reply, first found first. */
enum echoplus_fault {
	ECHOPLUS_OK = 0,
	ECHOPLUS_FAULT_LENGTH,    /* reply length differs from the request's */
	ECHOPLUS_FAULT_GEN_SN,    /* TestGenSN not kept */
	ECHOPLUS_FAULT_ITERATION, /* TestIterationNumber not kept */
	ECHOPLUS_FAULT_DATA,      /* a byte after the header altered */
	ECHOPLUS_FAULT_STAMPS,    /* reply stamp earlier than the receive stamp, or later
				     than the round trip allows */
	ECHOPLUS_FAULT_RESP_SN,   /* TestRespSN not one more per answered request */
	ECHOPLUS_FAULT_FAILURES,  /* TestRespReplyFailureCount decreased or overcounted */
	ECHOPLUS_FAULT_CLOCK,     /* receive stamps do not advance with real time */
};

/* Stable names for reports: "ok", "length", "TestGenSN", ... */
const char *echoplus_fault_name(enum echoplus_fault fault);

/*
 * One reply against its request (both >= 20 bytes): length, the kept
 * fields, the data, and the two stamps' order.  *at gets the offending byte
 * offset for LENGTH (the reply's length) and DATA.  Stamps are in order when
 * reply_ts - recv_ts, mod 2^32, is below 2^31 (under 36 minutes).
 */
enum echoplus_fault echoplus_check_reply(const uint8_t *req, size_t req_len, const uint8_t *rep,
					 size_t rep_len, size_t *at);

/*
 * Two consecutive replies to one client that is alone on the server, with
 * `missing` requests between them that got no reply.  A missing request
 * was lost on the way in (no counter moves), refused (the failure count
 * grows) or its reply was lost on the way out (TestRespSN grows).  So:
 * the failure count never shrinks and grows by at most `missing`, and
 * TestRespSN grows by 1 plus at most the missing requests not explained
 * by a refusal.  A server that counts refused requests in TestRespSN, or
 * counts nothing, breaks this.
 */
enum echoplus_fault echoplus_check_next(const struct echoplus_header *prev,
					const struct echoplus_header *cur, uint32_t missing);

/*
 * The server's clock against the client's: between two requests sent
 * send_gap_us apart, the server's receive stamps must differ by that much,
 * give or take the two round trips (rtt_prev_us + rtt_cur_us) plus
 * ECHOPLUS_CLOCK_SLACK_US and 1% (the stamps count microseconds, not
 * something else, and are big-endian); and the server's own processing
 * time (reply - receive stamp) must fit inside the round trip the client
 * measured for that reply.  Returns ECHOPLUS_FAULT_CLOCK or _STAMPS.
 */
#define ECHOPLUS_CLOCK_SLACK_US 2000u
enum echoplus_fault echoplus_check_timing(const struct echoplus_header *prev,
					  const struct echoplus_header *cur, uint64_t send_gap_us,
					  uint64_t rtt_prev_us, uint64_t rtt_cur_us);

#endif
