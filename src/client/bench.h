/*
 * bench.h: `udpecho bench`, load and latency against any UDP echo server.
 */
#ifndef UDPECHO_CLIENT_BENCH_H
#define UDPECHO_CLIENT_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/net.h"

/* Below this a datagram cannot carry its sequence number and send time. */
#define BENCH_HEADER 16u
#define BENCH_MAX_SOCKETS 64u
#define BENCH_MAX_WINDOW 4096u
#define BENCH_DEFAULT_WINDOW 32u

struct bench_opts {
	int help, json;
	const char *host;
	uint16_t port;
	size_t size;
	uint64_t duration_us;
	unsigned window, sockets; /* window: closed loop only, 0 in the open loop */
	uint64_t rate;            /* datagrams per second in all; 0: closed loop */
	int gso;
	int sleep; /* closed loop: wait for echoes in poll() rather than busy-poll */
	enum net_family_pref family;
};

int bench_parse_args(int argc, char *const *argv, int first, struct bench_opts *opts, char *err,
		     size_t errlen);
int bench_main(int argc, char *const *argv, int first);

extern const char bench_usage[];

#endif
