/*
 * cli.h: a small, pure command-line scanner shared by every command.
 *
 * Table-driven like getopt_long, but with no global state and no messages
 * of its own, so it can be unit-tested and fuzzed: "--name value",
 * "--name=value", "-x value", "-xvalue", flags, positionals, and "--".
 */
#ifndef UDPECHO_CLI_H
#define UDPECHO_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum {
	CLI_END = -1,        /* no arguments left */
	CLI_POSITIONAL = -2, /* *value is a positional argument */
	CLI_ERROR = -3,      /* err holds a one-line reason */
};

struct cli_option {
	const char *long_name; /* without "--" */
	char short_name;       /* 0 when there is none */
	int takes_value;
	int id; /* >= 0, returned when the option is seen */
};

struct cli_scan {
	int argc;
	char *const *argv;
	int next;            /* index of the next argument */
	int only_positional; /* after "--" */
};

void cli_scan_init(struct cli_scan *scan, int argc, char *const *argv, int first);

/*
 * The next option's id (with *value set when it takes one), CLI_POSITIONAL,
 * CLI_END, or CLI_ERROR with a reason in err.  opts ends with a zeroed entry.
 */
int cli_next(struct cli_scan *scan, const struct cli_option *opts, const char **value, char *err,
	     size_t errlen);

/*
 * HOST then PORT, a client command's positional arguments: the first value
 * is the host, the next a port 1-65535 (*port_given then set), and a third
 * is an error.  Returns 0, or -1 with a one-line reason in err (*port
 * then left alone).
 */
int cli_host_port(const char *value, const char **host, uint16_t *port, int *port_given, char *err,
		  size_t errlen);

/*
 * A value quoted in a one-line error, cut to CLI_QUOTE_MAX bytes and "...",
 * so that the reason after it always fits the message buffer:
 *	snprintf(err, errlen, "--port: " CLI_QUOTED " is not a port", CLI_QUOTE(value));
 */
#define CLI_QUOTE_MAX 64
#define CLI_QUOTED "'%.*s%s'"
#define CLI_QUOTE(v) CLI_QUOTE_MAX, (v), (strlen(v) > CLI_QUOTE_MAX ? "..." : "")

#endif
