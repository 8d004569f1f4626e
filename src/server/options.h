/*
 * options.h: udpecho-server's command line, parsed without side effects.
 */
#ifndef UDPECHO_SERVER_OPTIONS_H
#define UDPECHO_SERVER_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/policy.h"

#define SERVER_DEFAULT_BIND "localhost"
#define SERVER_DEFAULT_PORT 10000
#define SERVER_MAX_THREADS 64 /* SERVE_MAX_WORKERS */
/* --rcvbuf: at least a 64 KiB datagram's worth; at most what SO_RCVBUF's int can double. */
#define SERVER_MIN_RCVBUF 65536u
#define SERVER_MAX_RCVBUF 1073741823u

enum server_action { SERVER_RUN, SERVER_HELP, SERVER_VERSION };

struct server_opts {
	enum server_action action;
	const char *bind;
	uint16_t port;
	int verbose;
	int max_size_given;            /* checked against the bound family once it is known */
	const char *user;              /* --user: drop to this user once bound, or NULL */
	uint32_t rate_pps, rate_burst; /* --rate-limit; 0: none */
	unsigned threads;              /* --threads: workers, each with its own socket */
	size_t rcvbuf;                 /* --rcvbuf: SO_RCVBUF in bytes; 0: the kernel's default */
	int echo_plus;                 /* --echo-plus: TR-143 UDPEchoPlus replies */
	struct echo_policy policy;
};

/* Returns 0, or -1 with a one-line reason in err (a usage error: exit 2). */
int server_parse_args(int argc, char *const *argv, struct server_opts *opts, char *err,
		      size_t errlen);

extern const char server_usage[];

#endif
