/*
 * check.h: `udpecho check`, the conformance suite for any UDP echo server.
 */
#ifndef UDPECHO_CLIENT_CHECK_H
#define UDPECHO_CLIENT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "udpecho/check.h"
#include "udpecho/net.h"

#define CHECK_DEFAULT_PORT 7 /* RFC 862: the echo service */
#define CHECK_DEFAULT_TIMEOUT_US 250000u
#define CHECK_DEFAULT_TRIES 3u
#define CHECK_MAX_TRIES 10u

struct check_opts {
	int help, list;
	const char *host; /* NULL: the built-in server */
	uint16_t port;
	int port_given;
	enum report_format format;
	unsigned char selected[CHECK_COUNT]; /* what runs: --only's union (or all) minus --skip's */
	unsigned char skipped[CHECK_COUNT];  /* --skip's union */
	int only_given;
	uint64_t timeout_us;
	unsigned tries;
	enum net_family_pref family;
	int strict;           /* a SHOULD that warns fails the run */
	const char *baseline; /* an earlier JSON report: its failures are known */
	const char *output;   /* the report goes there, not to stdout */
	const char *evidence; /* a directory for each failing check's pcap and text */
};

/* argv[first..] are check's own arguments.  Returns 0, or -1 with a reason in err. */
int check_parse_args(int argc, char *const *argv, int first, struct check_opts *opts, char *err,
		     size_t errlen);

/* Runs `udpecho check`; returns the exit status. */
int check_main(int argc, char *const *argv, int first);

extern const char check_usage[];

#endif
