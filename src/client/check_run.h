/*
 * check_run.h: running the conformance checks against a live target.
 */
#ifndef UDPECHO_CLIENT_CHECK_RUN_H
#define UDPECHO_CLIENT_CHECK_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "udpecho/check.h"
#include "udpecho/net.h"

struct check_config {
	struct net_addr target;
	uint64_t timeout_us; /* the first try's wait; each further try waits twice as long */
	unsigned tries;
	unsigned char selected[CHECK_COUNT];
	int progress; /* show which check runs, on stderr (a terminal) */
	/* Set from a signal handler: stop, report what is done, the rest inconclusive. */
	const volatile sig_atomic_t *interrupted;
	/* Called as each result is final, in report order (text streams its lines). */
	void (*on_result)(void *ctx, const struct report *rep, size_t index);
	void *ctx;
	/* --evidence: where to write ID.pcap and ID.txt of each failing check (NULL: none). */
	const char *evidence_dir;
};

/* Why a run could not start: a network error before the server answered anything. */
struct check_abort {
	int error; /* -errno: -ECONNREFUSED means nothing listening */
};

/*
 * Runs the selected checks into rep.  Returns 0 with a report (whatever
 * the server did once it was there), or -1 with *why set: nothing was
 * listening, or the network refused the very first request (exit 2).
 */
int check_run(const struct check_config *config, struct report *rep, struct check_abort *why);

#endif
