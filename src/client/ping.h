/*
 * ping.h: `udpecho ping HOST [PORT]`, ping-like probing of any echo server,
 * RFC 862 or TR-143 UDPEchoPlus.
 */
#ifndef UDPECHO_CLIENT_PING_H
#define UDPECHO_CLIENT_PING_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/net.h"

#define PING_DEFAULT_PORT 7
#define PING_DEFAULT_SIZE 64u
#define PING_DEFAULT_INTERVAL_US 1000000u
#define PING_DEFAULT_TIMEOUT_US 1000000u
/* -i: 1 ms (ping's floor for users is 2 ms; this is loopback-friendly) to 3600 s. */
#define PING_MIN_INTERVAL_US 1000u
#define PING_MAX_INTERVAL_US 3600000000u
/* -W: 1 ms to 60 s, as for check --timeout. */
#define PING_MIN_TIMEOUT_US 1000u
#define PING_MAX_TIMEOUT_US 60000000u
/* -c: TestGenSN is 32 bits; a run never reuses one. */
#define PING_MAX_COUNT 4294967295u
/* -w: 1 ms to a day, as bench --duration. */
#define PING_MIN_DEADLINE_US 1000u
#define PING_MAX_DEADLINE_US 86400000000u

enum ping_mode {
	PING_AUTO, /* UDPEchoPlus if the replies say so, else RFC 862 */
	PING_PLUS, /* --plus */
	PING_RFC,  /* --rfc */
};

struct ping_opts {
	int help, json;
	const char *host;
	uint16_t port;
	uint64_t count; /* 0: until interrupted */
	uint64_t interval_us, timeout_us;
	uint64_t deadline_us; /* -w: the run ends this long after it starts; 0: no deadline */
	int quiet;            /* -q: no line per request, only the header and the summary */
	int timestamps;       /* -D: each line per request starts with the Unix time */
	size_t size;
	enum ping_mode mode;
	enum net_family_pref family;
};

/* argv[first..] are ping's own arguments.  Returns 0, or -1 with a reason in err. */
int ping_parse_args(int argc, char *const *argv, int first, struct ping_opts *opts, char *err,
		    size_t errlen);

/* argv[first] is the first argument after "ping".  Exit status as ping: 0, 1 or 2. */
int ping_main(int argc, char *const *argv, int first);

/* Runs the probe with parsed options; returns the exit status. */
int ping_run(const struct ping_opts *opts);

extern const char ping_usage[];

#endif
