/*
 * ping.c: `udpecho ping` flags.  The probe itself is ping_run.c, its
 * output ping_report.c.
 */
#include "ping.h"

#include <stdio.h>
#include <string.h>

#include "udpecho/cli.h"
#include "udpecho/echo.h"
#include "udpecho/echoplus.h"
#include "udpecho/parse.h"

#define PROG "udpecho"

enum {
	OPT_COUNT,
	OPT_INTERVAL,
	OPT_SIZE,
	OPT_TIMEOUT,
	OPT_DEADLINE,
	OPT_QUIET,
	OPT_TIMESTAMPS,
	OPT_V4,
	OPT_V6,
	OPT_PLUS,
	OPT_RFC,
	OPT_FORMAT,
	OPT_HELP
};

/* One option per line, as the other commands' tables. */
/* clang-format off */
static const struct cli_option options[] = {
	{NULL, 'c', 1, OPT_COUNT},
	{NULL, 'i', 1, OPT_INTERVAL},
	{NULL, 's', 1, OPT_SIZE},
	{NULL, 'W', 1, OPT_TIMEOUT},
	{NULL, 'w', 1, OPT_DEADLINE},
	{NULL, 'q', 0, OPT_QUIET},
	{NULL, 'D', 0, OPT_TIMESTAMPS},
	{NULL, '4', 0, OPT_V4},
	{NULL, '6', 0, OPT_V6},
	{"plus", 0, 0, OPT_PLUS},
	{"rfc", 0, 0, OPT_RFC},
	{"format", 0, 1, OPT_FORMAT},
	{"help", 'h', 0, OPT_HELP},
	{NULL, 0, 0, 0},
};
/* clang-format on */

const char ping_usage[] =
	"usage: udpecho ping HOST [PORT] [-c COUNT] [-i DUR] [-s SIZE] [-W DUR] [-w DUR]\n"
	"                    [-q] [-D] [-4|-6] [--plus|--rfc] [--format text|json]\n"
	"\n"
	"Probe a UDP echo server the way ping probes a host: one request every interval,\n"
	"one line per reply, and the summary on the end or on Ctrl-C (SIGQUIT: a status\n"
	"line on stderr, and it goes on).  Speaks RFC 862 and TR-143 UDPEchoPlus, which\n"
	"splits loss and delay by direction.\n"
	"\n"
	"  HOST [PORT]    the server (PORT defaults to 7, the echo service)\n"
	"  -c COUNT       stop after COUNT requests (default: until interrupted)\n"
	"  -i DUR         interval between requests, 1ms to 3600s (default 1s)\n"
	"  -s SIZE        payload bytes, 0 to the family maximum (default 64)\n"
	"  -W DUR         how long to wait for each reply, 1ms to 60s (default 1s)\n"
	"  -w DUR         deadline: stop after DUR, 1ms to 86400s, whatever the count\n"
	"  -q             quiet: only the header line and the summary\n"
	"  -D             print the Unix time ([1733540000.123456]) before each line\n"
	"  -4, -6         resolve HOST to IPv4 / IPv6 only\n"
	"  --plus         UDPEchoPlus: needs SIZE >= 24; a server that is not one fails\n"
	"                 the run (exit 1), with a line that says so\n"
	"  --rfc          plain RFC 862: every byte must come back unchanged\n"
	"                 (default: auto-detect from the replies; SIZE < 20 is RFC 862)\n"
	"  --format F     text (default) or json (one object at the end)\n"
	"\n"
	"Exit status: 0 a reply came back, 1 none did (or --plus and the server is not a\n"
	"UDPEchoPlus responder), 2 usage or network error (no reply and an ICMP error\n"
	"such as port unreachable: nothing listening).\n";

static int duration(const char *flag, const char *value, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t errlen)
{
	char lo[32], hi[32];

	if (parse_duration(value, out) == 0 && *out >= min && *out <= max)
		return 0;
	parse_format_seconds(lo, sizeof(lo), min);
	parse_format_seconds(hi, sizeof(hi), max);
	snprintf(err, errlen,
		 "%s: " CLI_QUOTED " is not a duration from %s s to %s s (0.2, 250ms, 2s)", flag,
		 CLI_QUOTE(value), lo, hi);
	return -1;
}

static int set_mode(struct ping_opts *o, enum ping_mode mode, char *err, size_t errlen)
{
	if (o->mode != PING_AUTO && o->mode != mode) {
		snprintf(err, errlen, "give --plus or --rfc, not both");
		return -1;
	}
	o->mode = mode;
	return 0;
}

static int apply(struct ping_opts *o, int id, const char *value, char *err, size_t errlen)
{
	size_t n = 0;

	switch (id) {
	case OPT_COUNT:
		if (parse_size(value, PING_MAX_COUNT, &n) == 0 && n >= 1) {
			o->count = n;
			return 0;
		}
		snprintf(err, errlen, "-c: " CLI_QUOTED " is not a count from 1 to %u",
			 CLI_QUOTE(value), PING_MAX_COUNT);
		return -1;
	case OPT_INTERVAL:
		return duration("-i", value, PING_MIN_INTERVAL_US, PING_MAX_INTERVAL_US,
				&o->interval_us, err, errlen);
	case OPT_TIMEOUT:
		return duration("-W", value, PING_MIN_TIMEOUT_US, PING_MAX_TIMEOUT_US,
				&o->timeout_us, err, errlen);
	case OPT_DEADLINE:
		return duration("-w", value, PING_MIN_DEADLINE_US, PING_MAX_DEADLINE_US,
				&o->deadline_us, err, errlen);
	case OPT_QUIET:
		o->quiet = 1;
		return 0;
	case OPT_TIMESTAMPS:
		o->timestamps = 1;
		return 0;
	case OPT_SIZE:
		if (parse_size(value, ECHO_MAX_PAYLOAD, &o->size) == 0)
			return 0;
		snprintf(err, errlen, "-s: " CLI_QUOTED " is not a size from 0 to %u",
			 CLI_QUOTE(value), ECHO_MAX_PAYLOAD);
		return -1;
	case OPT_V4:
	case OPT_V6:
		return net_family_only(&o->family, id == OPT_V4 ? NET_ONLY_V4 : NET_ONLY_V6, err,
				       errlen);
	case OPT_PLUS:
	case OPT_RFC:
		return set_mode(o, id == OPT_PLUS ? PING_PLUS : PING_RFC, err, errlen);
	case OPT_FORMAT:
		o->json = strcmp(value, "json") == 0;
		if (o->json || strcmp(value, "text") == 0)
			return 0;
		snprintf(err, errlen, "--format: " CLI_QUOTED " is not text or json",
			 CLI_QUOTE(value));
		return -1;
	case OPT_HELP:
	default:
		o->help = 1;
		return 0;
	}
}

static int check_combination(const struct ping_opts *o, char *err, size_t errlen)
{
	if (o->host == NULL) {
		snprintf(err, errlen, "give HOST");
		return -1;
	}
	if (o->mode == PING_PLUS && o->size < ECHOPLUS_HEADER_LEN) {
		snprintf(err, errlen, "--plus needs -s of at least %u (the UDPEchoPlus header)",
			 ECHOPLUS_HEADER_LEN);
		return -1;
	}
	return 0;
}

int ping_parse_args(int argc, char *const *argv, int first, struct ping_opts *o, char *err,
		    size_t errlen)
{
	struct cli_scan scan;
	const char *value = NULL;
	int id, port_given = 0;

	memset(o, 0, sizeof(*o));
	o->port = PING_DEFAULT_PORT;
	o->size = PING_DEFAULT_SIZE;
	o->interval_us = PING_DEFAULT_INTERVAL_US;
	o->timeout_us = PING_DEFAULT_TIMEOUT_US;
	o->mode = PING_AUTO;
	o->family = NET_PREFER_V4;
	cli_scan_init(&scan, argc, argv, first);
	while ((id = cli_next(&scan, options, &value, err, errlen)) != CLI_END) {
		if (id == CLI_ERROR)
			return -1;
		if (id == CLI_POSITIONAL
			    ? cli_host_port(value, &o->host, &o->port, &port_given, err, errlen)
			    : apply(o, id, value, err, errlen))
			return -1;
	}
	return o->help ? 0 : check_combination(o, err, errlen);
}

int ping_main(int argc, char *const *argv, int first)
{
	struct ping_opts o;
	char err[256];

	if (ping_parse_args(argc, argv, first, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s ping: %s (try --help)\n", PROG, err);
		return 2;
	}
	if (o.help) {
		fputs(ping_usage, stdout);
		return 0;
	}
	return ping_run(&o);
}
