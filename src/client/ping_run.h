/*
 * ping_run.h: the state of one `udpecho ping` run, shared by the probe
 * (ping_run.c) and its output (ping_report.c).
 */
#ifndef UDPECHO_CLIENT_PING_RUN_H
#define UDPECHO_CLIENT_PING_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "ping.h"
#include "udpecho/addr.h"
#include "udpecho/net.h"
#include "udpecho/pingstat.h"

/* What the replies showed the server to be. */
enum ping_detected { PING_SEEN_NOTHING, PING_SEEN_RFC, PING_SEEN_PLUS };

enum ping_event_kind { PING_EV_REPLY, PING_EV_TIMEOUT, PING_EV_ERROR, PING_EV_CORRUPT };

/* One thing that happened, for the text line and the JSON array. */
struct ping_event {
	enum ping_event_kind kind;
	uint64_t seq; /* UINT64_MAX: matches no request */
	size_t bytes; /* reply length */
	uint64_t rtt_ns;
	enum pingstat_class class;
	int plus, late;
	uint32_t server_us, resp_sn; /* UDPEchoPlus replies */
	int server_ok;               /* server_us is valid */
	int error;                   /* PING_EV_ERROR: errno (ECONNREFUSED: port unreachable) */
	char from[ADDR_STR_MAX];     /* PING_EV_ERROR: who reported it */
	char why[96];                /* PING_EV_CORRUPT: what differs */
};

/* Per request, indexed by seq mod PINGSTAT_WINDOW. */
struct ping_slot {
	uint64_t sent_ns;
	uint8_t timed_out, errored;
	uint8_t corrupted; /* a reply named it but was not its echo: counted as corrupt, once */
};

struct ping {
	const struct ping_opts *o;
	struct net_addr target;
	struct echo_peer target_peer;
	char addr[ADDR_STR_MAX]; /* numeric host: "127.0.0.1", "::1" */
	int fd;
	uint32_t run_id;   /* TestIterationNumber of every request of this run */
	unsigned seq_bits; /* 32, fewer below 4 bytes, 0 for empty datagrams */
	uint8_t *req, *rep;
	size_t cap;
	struct ping_slot *slots;
	struct pingstat_seqs *seqs;
	struct pingstat_acc rtt;    /* ns, first replies only */
	struct pingstat_acc server; /* us, UDPEchoPlus replies */
	struct pingstat_dir dir;
	struct pingstat_owd up, down;
	enum ping_detected detected;
	int rfc_hint_shown;
	uint64_t corrupt, errors, foreign, timeouts, plus_replies;
	uint64_t fifo;        /* empty datagrams: the oldest request not yet answered */
	uint64_t expire_next; /* the oldest request not yet answered, failed or timed out */
	uint64_t start_ns, end_ns, next_send_ns;
	uint64_t deadline_ns;      /* -w: when the run ends; UINT64_MAX without */
	struct ping_event *events; /* kept for JSON only */
	size_t nevents, events_cap;
};

/* Output, as each thing happens (text) or at the end (JSON). */
void ping_report_header(const struct ping *p);
void ping_report_detected(const struct ping *p);
void ping_report_event(struct ping *p, const struct ping_event *ev);
void ping_report_summary(const struct ping *p);
/* SIGQUIT: one line on stderr, as ping(8)'s: "3/3 packets, 0% loss, min/avg/ewma/max = ...". */
void ping_report_status(const struct ping *p);

#endif
