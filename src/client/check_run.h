/*
 * check_run.h: running the conformance checks against a live target.
 */
#ifndef UDPECHO_CLIENT_CHECK_RUN_H
#define UDPECHO_CLIENT_CHECK_RUN_H

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
};

/* Why a run stopped early: a network error that makes further checks meaningless. */
struct check_abort {
	int error; /* -errno: -ECONNREFUSED means nothing listening */
};

/* Runs the selected checks into rep.  Returns 0, or -1 with *why set (exit status 2). */
int check_run(const struct check_config *config, struct report *rep, struct check_abort *why);

#endif
