/*
 * send.h: `udpecho send`, one datagram and the classic client transcript.
 */
#ifndef UDPECHO_CLIENT_SEND_H
#define UDPECHO_CLIENT_SEND_H

#include <stddef.h>
#include <stdint.h>

/* The classic example's message: two spaces after the first period, 42 bytes. */
#define SEND_CLASSIC_MESSAGE "This is the message.  It will be repeated."
#define SEND_DEFAULT_HOST "localhost"
#define SEND_DEFAULT_PORT 10000
#define SEND_DEFAULT_TIMEOUT_US 2000000u

enum send_source { SEND_CLASSIC, SEND_TEXT, SEND_HEX, SEND_FILE };

struct send_opts {
	int help;
	const char *host;
	uint16_t port;
	uint64_t timeout_us;
	enum send_source source;
	const char *message; /* the text, hex digits or file path */
};

/* argv[first..] are send's own arguments.  Returns 0, or -1 with a reason in err. */
int send_parse_args(int argc, char *const *argv, int first, struct send_opts *opts, char *err,
		    size_t errlen);

/* Runs `udpecho send`; returns the exit status (0 exact echo, 1 not, 2 usage or network error). */
int send_main(int argc, char *const *argv, int first);

extern const char send_usage[];

#endif
