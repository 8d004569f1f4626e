/*
 * send_opts.c: `udpecho send` flags.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "send.h"
#include "udpecho/cli.h"
#include "udpecho/parse.h"

enum { OPT_HOST, OPT_PORT, OPT_TIMEOUT, OPT_HEX, OPT_FILE, OPT_HELP };

static const struct cli_option options[] = {
	{"host", 0, 1, OPT_HOST}, {"port", 0, 1, OPT_PORT}, {"timeout", 0, 1, OPT_TIMEOUT},
	{"hex", 0, 1, OPT_HEX},   {"file", 0, 1, OPT_FILE}, {"help", 'h', 0, OPT_HELP},
	{NULL, 0, 0, 0},
};

const char send_usage[] =
	"usage: udpecho send [--host H] [--port P] [--timeout DUR] [--hex HEX | --file PATH | "
	"MESSAGE]\n"
	"\n"
	"Send one datagram to a UDP echo server and check that the echo is exact.\n"
	"\n"
	"  --host H         server name or address (default localhost, IPv4 first)\n"
	"  --port P         server port (default 10000)\n"
	"  --timeout DUR    how long to wait for the echo: 2, 0.25, 250ms, 2s (default 2s)\n"
	"  --hex HEX        the datagram as hex digits (\"\" sends an empty datagram)\n"
	"  --file PATH      the datagram is the file's content, up to 65,507 bytes (IPv4)\n"
	"                   or 65,527 bytes (IPv6)\n"
	"  MESSAGE          the datagram as text (default: the classic 42-byte message)\n"
	"\n"
	"Exit status: 0 the echo is exact, 1 it is missing or differs, 2 usage or network\n"
	"error (an ICMP error such as port unreachable: nothing listening).\n";

static int set_source(struct send_opts *opts, enum send_source source, const char *value, char *err,
		      size_t errlen)
{
	if (opts->source != SEND_CLASSIC) {
		snprintf(err, errlen, "give one message: MESSAGE, --hex or --file");
		return -1;
	}
	opts->source = source;
	opts->message = value;
	return 0;
}

static int apply(struct send_opts *opts, int id, const char *value, char *err, size_t errlen)
{
	int rc;

	switch (id) {
	case OPT_HOST:
		opts->host = value;
		return 0;
	case OPT_PORT:
		rc = parse_port(value, &opts->port);
		if (rc == 0 && opts->port == 0)
			rc = -ERANGE;
		if (rc != 0)
			snprintf(err, errlen,
				 "--port: " CLI_QUOTED " is not a port number (1-65535)",
				 CLI_QUOTE(value));
		return rc == 0 ? 0 : -1;
	case OPT_TIMEOUT:
		if (parse_duration(value, &opts->timeout_us) != 0) {
			snprintf(err, errlen,
				 "--timeout: " CLI_QUOTED
				 " is not a duration (seconds such as 2 or 0.25, "
				 "or 250ms; more than 0, at most a day)",
				 CLI_QUOTE(value));
			return -1;
		}
		return 0;
	case OPT_HEX:
		return set_source(opts, SEND_HEX, value, err, errlen);
	case OPT_FILE:
		return set_source(opts, SEND_FILE, value, err, errlen);
	case OPT_HELP:
		opts->help = 1;
		return 0;
	case CLI_POSITIONAL:
		return set_source(opts, SEND_TEXT, value, err, errlen);
	default:
		return 0;
	}
}

int send_parse_args(int argc, char *const *argv, int first, struct send_opts *opts, char *err,
		    size_t errlen)
{
	struct cli_scan scan;
	const char *value = NULL;
	int id;

	memset(opts, 0, sizeof(*opts));
	opts->host = SEND_DEFAULT_HOST;
	opts->port = SEND_DEFAULT_PORT;
	opts->timeout_us = SEND_DEFAULT_TIMEOUT_US;
	opts->source = SEND_CLASSIC;
	opts->message = SEND_CLASSIC_MESSAGE;
	cli_scan_init(&scan, argc, argv, first);
	while ((id = cli_next(&scan, options, &value, err, errlen)) != CLI_END) {
		if (id == CLI_ERROR || apply(opts, id, value, err, errlen) != 0)
			return -1;
	}
	return 0;
}
