/*
 * options.c: udpecho-server's flags, as udpecho-server(8) documents them.
 */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "udpecho/addr.h"
#include "udpecho/cli.h"
#include "udpecho/echo.h"
#include "udpecho/parse.h"
#include "udpecho/ratelimit.h"

enum {
	OPT_BIND,
	OPT_PORT,
	OPT_VERBOSE,
	OPT_MAX_SIZE,
	OPT_DENY_PORTS,
	OPT_USER,
	OPT_RATE_LIMIT,
	OPT_ALLOW,
	OPT_THREADS,
	OPT_RCVBUF,
	OPT_ECHO_PLUS,
	OPT_HELP,
	OPT_VERSION
};

static const struct cli_option options[] = {
	{"bind", 0, 1, OPT_BIND},
	{"port", 0, 1, OPT_PORT},
	{"verbose", 'v', 0, OPT_VERBOSE},
	{"max-size", 0, 1, OPT_MAX_SIZE},
	{"deny-ports", 0, 1, OPT_DENY_PORTS},
	{"user", 0, 1, OPT_USER},
	{"rate-limit", 0, 1, OPT_RATE_LIMIT},
	{"allow", 0, 1, OPT_ALLOW},
	{"threads", 0, 1, OPT_THREADS},
	{"rcvbuf", 0, 1, OPT_RCVBUF},
	{"echo-plus", 0, 0, OPT_ECHO_PLUS},
	{"help", 'h', 0, OPT_HELP},
	{"version", 0, 0, OPT_VERSION},
	{NULL, 0, 0, 0},
};

const char server_usage[] =
	"usage: udpecho-server [--bind ADDR] [--port N] [-v|--verbose] [--threads N]\n"
	"                      [--max-size N] [--deny-ports LIST] [--rate-limit PPS[,BURST]]\n"
	"                      [--user NAME] [--rcvbuf BYTES] [--echo-plus] [--allow PREFIXES]\n"
	"                      [--help] [--version]\n"
	"\n"
	"A UDP echo server (RFC 862): every datagram, 0 to 65,507 bytes (IPv4) or\n"
	"65,527 bytes (IPv6), goes back byte for byte from the address it was sent to.\n"
	"\n"
	"  --bind ADDR        address or name to serve on (default localhost; :: is dual-stack)\n"
	"  --port N           UDP port, 0 for an ephemeral one (default 10000)\n"
	"  -v, --verbose      print the classic per-datagram transcript\n"
	"  --threads N        N workers (1-64, default 1), each with its own SO_REUSEPORT\n"
	"                     socket on the same address\n"
	"  --max-size N       drop (never truncate) datagrams larger than N bytes\n"
	"                     (0 to the family maximum; default the family maximum)\n"
	"  --deny-ports LIST  source ports to drop, e.g. 0,7,13-19 or none\n"
	"                     (default " POLICY_DEFAULT_DENY_PORTS
	": loops with other small services)\n"
	"  --rate-limit PPS[,BURST]\n"
	"                     per source address, at most PPS echoes a second, bursts\n"
	"                     of BURST (default PPS); the table of sources has fixed size\n"
	"  --allow PREFIXES   answer only these sources: 198.18.0.0/15,fd00::/8 (CIDR)\n"
	"  --user NAME        once bound, drop to this user and its group; refuse to\n"
	"                     run if that fails (bind port 7 as root, then serve as NAME)\n"
	"  --rcvbuf BYTES     socket receive buffer (SO_RCVBUF; past net.core.rmem_max as\n"
	"                     root); says on stderr when the kernel granted less\n"
	"  --echo-plus        answer as a TR-143 UDPEchoPlus responder (fills the sequence,\n"
	"                     time stamp and failure fields of requests of 20 bytes or more)\n"
	"  -h, --help         show this help\n"
	"  --version          show the version\n"
	"\n"
	"SIGINT or SIGTERM stops the server and prints a summary of counters; SIGHUP\n"
	"prints it and the server goes on.\n"
	"Exit status: 0 after a signal, 1 on a fatal runtime error, 2 on a usage or setup error.\n";

/* "--port: '70000' is out of range (0-65535)" or "--port: 'x' is not a port number". */
static int bad_value(char *err, size_t errlen, const char *flag, const char *value, int rc,
		     const char *range, const char *kind)
{
	if (rc == -ERANGE || rc == -ENOSPC)
		snprintf(err, errlen, "%s: " CLI_QUOTED " is out of range (%s)", flag,
			 CLI_QUOTE(value), range);
	else
		snprintf(err, errlen, "%s: " CLI_QUOTED " is not %s", flag, CLI_QUOTE(value), kind);
	return -1;
}

/* "--allow: host bits set in '10.0.0.1/8' (10.0.0.0/8?)", or what bad_value says. */
static int bad_allow(char *err, size_t errlen, const char *value, int rc)
{
	char item[ADDR_STR_MAX], masked[ADDR_STR_MAX + 8];

	if (rc == -EINVAL &&
	    policy_allow_host_bits(value, item, sizeof(item), masked, sizeof(masked))) {
		snprintf(err, errlen, "--allow: host bits set in " CLI_QUOTED " (%s?)",
			 CLI_QUOTE(item), masked);
		return -1;
	}
	return bad_value(err, errlen, "--allow", value, rc, "at most 64 prefixes",
			 "a list of prefixes like 198.18.0.0/15,fd00::/8");
}

static int apply(struct server_opts *opts, int id, const char *value, char *err, size_t errlen)
{
	size_t n = 0;
	int rc = 0;

	switch (id) {
	case OPT_BIND:
		opts->bind = value;
		break;
	case OPT_PORT:
		if ((rc = parse_port(value, &opts->port)) != 0)
			return bad_value(err, errlen, "--port", value, rc, "0-65535",
					 "a port number");
		break;
	case OPT_VERBOSE:
		opts->verbose = 1;
		break;
	case OPT_MAX_SIZE:
		if ((rc = parse_size(value, ECHO_MAX_PAYLOAD, &opts->policy.max_size)) != 0)
			return bad_value(err, errlen, "--max-size", value, rc, "0-65527",
					 "a size in bytes");
		opts->max_size_given = 1;
		break;
	case OPT_DENY_PORTS:
		if ((rc = policy_set_deny_ports(&opts->policy, value)) != 0)
			return bad_value(err, errlen, "--deny-ports", value, rc, "ports 0-65535",
					 "a port list like 0,7,13-19 or none");
		break;
	case OPT_USER:
		if (value[0] == '\0') {
			snprintf(err, errlen, "--user: needs a user name");
			return -1;
		}
		opts->user = value;
		break;
	case OPT_RATE_LIMIT:
		if ((rc = ratelimit_parse(value, &opts->rate_pps, &opts->rate_burst)) != 0)
			return bad_value(err, errlen, "--rate-limit", value, rc, "1-10000000",
					 "PPS or PPS,BURST");
		break;
	case OPT_ALLOW:
		if ((rc = policy_set_allow(&opts->policy, value)) != 0)
			return bad_allow(err, errlen, value, rc);
		break;
	case OPT_THREADS:
		if ((rc = parse_size(value, SERVER_MAX_THREADS, &n)) != 0 || n == 0)
			return bad_value(err, errlen, "--threads", value, rc == 0 ? -ERANGE : rc,
					 "1-64", "a number of threads");
		opts->threads = (unsigned)n;
		break;
	case OPT_RCVBUF:
		if ((rc = parse_size(value, SERVER_MAX_RCVBUF, &n)) != 0 || n < SERVER_MIN_RCVBUF)
			return bad_value(err, errlen, "--rcvbuf", value, rc == 0 ? -ERANGE : rc,
					 "65536-1073741823", "a size in bytes");
		opts->rcvbuf = n;
		break;
	case OPT_ECHO_PLUS:
		opts->echo_plus = 1;
		break;
	case OPT_HELP:
		opts->action = SERVER_HELP;
		break;
	case OPT_VERSION:
		opts->action = SERVER_VERSION;
		break;
	default:
		break;
	}
	return 0;
}

int server_parse_args(int argc, char *const *argv, struct server_opts *opts, char *err,
		      size_t errlen)
{
	struct cli_scan scan;
	const char *value = NULL;
	int id;

	memset(opts, 0, sizeof(*opts));
	opts->action = SERVER_RUN;
	opts->bind = SERVER_DEFAULT_BIND;
	opts->port = SERVER_DEFAULT_PORT;
	opts->threads = 1;
	policy_init(&opts->policy);
	cli_scan_init(&scan, argc, argv, 1);
	while ((id = cli_next(&scan, options, &value, err, errlen)) != CLI_END) {
		if (id == CLI_ERROR)
			return -1;
		if (id == CLI_POSITIONAL) {
			snprintf(err, errlen, "unexpected argument " CLI_QUOTED, CLI_QUOTE(value));
			return -1;
		}
		if (apply(opts, id, value, err, errlen) != 0)
			return -1;
	}
	return 0;
}
