/*
 * fuzz.h: `udpecho fuzz`, a live fuzzer for any UDP echo server with
 * RFC 862 as the oracle (the generator, the oracle and the minimiser are
 * the core's livefuzz.h).
 */
#ifndef UDPECHO_CLIENT_FUZZ_H
#define UDPECHO_CLIENT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/net.h"

struct fuzz_opts {
	int help;
	const char *host;
	uint16_t port;        /* 0 with --exec: a free port is chosen */
	uint64_t duration_us; /* default 60 s */
	uint64_t count;       /* datagrams to send at most; 0: no limit */
	uint64_t seed;
	int seed_given;
	unsigned clients;   /* default 2 */
	size_t max_size;    /* 0: the family maximum */
	const char *exec;   /* the server's command line, {port} in it */
	const char *corpus; /* a directory of datagrams to mutate */
	const char *out;    /* where findings go (default ./fuzz-findings) */
	const char *replay; /* a finding's directory to send again */
	enum { FUZZ_TEXT, FUZZ_JSON, FUZZ_JUNIT } format;
	enum net_family_pref family;
};

int fuzz_parse_args(int argc, char *const *argv, int first, struct fuzz_opts *opts, char *err,
		    size_t errlen);
int fuzz_main(int argc, char *const *argv, int first);

extern const char fuzz_usage[];

#endif
