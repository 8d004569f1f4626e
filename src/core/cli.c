/*
 * cli.c: the command-line scanner.
 */
#include "udpecho/cli.h"

#include <stdio.h>
#include <string.h>

#include "udpecho/parse.h"

void cli_scan_init(struct cli_scan *scan, int argc, char *const *argv, int first)
{
	scan->argc = argc;
	scan->argv = argv;
	scan->next = first;
	scan->only_positional = 0;
}

static const struct cli_option *find_long(const struct cli_option *opts, const char *name,
					  size_t len)
{
	for (; opts->long_name != NULL || opts->short_name != 0; opts++) {
		if (opts->long_name != NULL && strlen(opts->long_name) == len &&
		    strncmp(opts->long_name, name, len) == 0)
			return opts;
	}
	return NULL;
}

static const struct cli_option *find_short(const struct cli_option *opts, char c)
{
	for (; opts->long_name != NULL || opts->short_name != 0; opts++) {
		if (opts->short_name == c)
			return opts;
	}
	return NULL;
}

/* The value of an option that takes one: inline text, or the next argument. */
static int take_value(struct cli_scan *scan, const struct cli_option *opt, const char *inline_value,
		      const char *shown, const char **value, char *err, size_t errlen)
{
	if (inline_value != NULL) {
		*value = inline_value;
		return opt->id;
	}
	if (scan->next >= scan->argc) {
		snprintf(err, errlen, "option '%s' needs a value", shown);
		return CLI_ERROR;
	}
	*value = scan->argv[scan->next++];
	return opt->id;
}

static int scan_long(struct cli_scan *scan, const struct cli_option *opts, const char *arg,
		     const char **value, char *err, size_t errlen)
{
	const char *name = arg + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_option *opt = find_long(opts, name, len);
	char shown[72];

	if (opt == NULL) {
		snprintf(err, errlen, "unknown option '--%.*s'", (int)(len > 64 ? 64 : len), name);
		return CLI_ERROR;
	}
	if (!opt->takes_value) {
		if (eq != NULL) {
			snprintf(err, errlen, "option '--%s' takes no value", opt->long_name);
			return CLI_ERROR;
		}
		return opt->id;
	}
	snprintf(shown, sizeof(shown), "--%s", opt->long_name);
	return take_value(scan, opt, eq ? eq + 1 : NULL, shown, value, err, errlen);
}

static int scan_short(struct cli_scan *scan, const struct cli_option *opts, const char *arg,
		      const char **value, char *err, size_t errlen)
{
	const struct cli_option *opt = find_short(opts, arg[1]);
	char shown[3] = {'-', arg[1], '\0'};

	if (opt == NULL) {
		snprintf(err, errlen, "unknown option '%s'", shown);
		return CLI_ERROR;
	}
	if (!opt->takes_value) {
		if (arg[2] != '\0') {
			snprintf(err, errlen, "option '%s' takes no value", shown);
			return CLI_ERROR;
		}
		return opt->id;
	}
	return take_value(scan, opt, arg[2] != '\0' ? arg + 2 : NULL, shown, value, err, errlen);
}

int cli_next(struct cli_scan *scan, const struct cli_option *opts, const char **value, char *err,
	     size_t errlen)
{
	const char *arg;

	if (scan->next >= scan->argc)
		return CLI_END;
	arg = scan->argv[scan->next++];
	/* "-" alone is a positional (conventionally stdin); "--" ends the options. */
	if (scan->only_positional || arg[0] != '-' || arg[1] == '\0') {
		*value = arg;
		return CLI_POSITIONAL;
	}
	if (arg[1] == '-' && arg[2] == '\0') {
		scan->only_positional = 1;
		return cli_next(scan, opts, value, err, errlen);
	}
	if (arg[1] == '-')
		return scan_long(scan, opts, arg, value, err, errlen);
	return scan_short(scan, opts, arg, value, err, errlen);
}

int cli_host_port(const char *value, const char **host, uint16_t *port, int *port_given, char *err,
		  size_t errlen)
{
	uint16_t p;

	if (*host == NULL) {
		*host = value;
		return 0;
	}
	if (*port_given) {
		snprintf(err, errlen, "unexpected argument " CLI_QUOTED, CLI_QUOTE(value));
		return -1;
	}
	if (parse_port(value, &p) != 0 || p == 0) {
		snprintf(err, errlen, "PORT: " CLI_QUOTED " is not a port number (1-65535)",
			 CLI_QUOTE(value));
		return -1;
	}
	*port = p;
	*port_given = 1;
	return 0;
}
