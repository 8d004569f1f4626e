/*
 * check_main.c: `udpecho check`: options, the built-in server for the
 * self-check, and the report.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "check.h"
#include "check_run.h"
#include "udpecho/addr.h"
#include "udpecho/cli.h"
#include "udpecho/json.h"
#include "udpecho/parse.h"
#include "udpecho/policy.h"
#include "udpecho/serve.h"

#define PROG "udpecho"

enum {
	OPT_FORMAT,
	OPT_ONLY,
	OPT_SKIP,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_V4,
	OPT_V6,
	OPT_LIST,
	OPT_STRICT,
	OPT_BASELINE,
	OPT_OUTPUT,
	OPT_EVIDENCE,
	OPT_HELP
};

static const struct cli_option options[] = {
	{"format", 0, 1, OPT_FORMAT},   {"only", 0, 1, OPT_ONLY},
	{"skip", 0, 1, OPT_SKIP},       {"timeout", 0, 1, OPT_TIMEOUT},
	{"retries", 0, 1, OPT_RETRIES}, {NULL, '4', 0, OPT_V4},
	{NULL, '6', 0, OPT_V6},         {"list", 0, 0, OPT_LIST},
	{"strict", 0, 0, OPT_STRICT},   {"baseline", 0, 1, OPT_BASELINE},
	{"output", 0, 1, OPT_OUTPUT},   {"evidence", 0, 1, OPT_EVIDENCE},
	{"help", 'h', 0, OPT_HELP},     {NULL, 0, 0, 0},
};

const char check_usage[] =
	"usage: udpecho check [HOST [PORT]] [--format text|tap|junit|json|html]\n"
	"                     [--only IDS] [--skip IDS] [--timeout DUR] [--retries N]\n"
	"                     [-4|-6] [--list] [--strict] [--baseline FILE]\n"
	"                     [--output FILE] [--evidence DIR]\n"
	"\n"
	"Check any UDP echo server against RFC 862 and name each defect.  With no HOST,\n"
	"start the built-in server on an ephemeral loopback port and check that.\n"
	"\n"
	"  HOST [PORT]       the server (PORT defaults to 7, the echo service)\n"
	"  --format F        text (default), tap (TAP 13), junit (JUnit XML), json, or\n"
	"                    html (one page: the verdicts, the size ladder and latency drawn)\n"
	"  --only IDS        run only these checks: echo.basic,echo.sizes or echo.*\n"
	"                    (repeat to add more)\n"
	"  --skip IDS        do not run these checks (same form, repeatable)\n"
	"  --timeout DUR     the first wait for a reply, 1ms to 60s (default 250ms); each\n"
	"                    retry waits twice as long as the one before, up to 60s\n"
	"  --retries N       tries per request before a missing reply counts, 1 to 10\n"
	"                    (default 3)\n"
	"  -4, -6            resolve HOST to IPv4 / IPv6 only\n"
	"  --list            list the checks and exit\n"
	"  --strict          a SHOULD check that warns fails the run too\n"
	"  --baseline FILE   an earlier --format json report: failures it already had\n"
	"                    are reported as known and do not fail the run\n"
	"  --output FILE     write the report to FILE instead of standard output\n"
	"  --evidence DIR    for each failing or inconclusive check, DIR/ID.pcap (its\n"
	"                    datagrams) and DIR/ID.txt (expected vs received, a replay)\n"
	"\n"
	"Exit status: 0 every MUST holds, 1 a MUST failed or could not be judged,\n"
	"2 the run could not start (usage or network error), 130 interrupted.\n";

static int parse_format(const char *s, enum report_format *out)
{
	static const char *const names[] = {"text", "tap", "junit", "json", "html"};

	for (int i = 0; i < 5; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum report_format)i;
			return 0;
		}
	}
	return -1;
}

/* Adds the checks an --only or --skip list names to set. */
static int add_checks(const char *flag, const char *list, unsigned char set[CHECK_COUNT], char *err,
		      size_t errlen)
{
	unsigned char named[CHECK_COUNT];
	char bad[72];

	if (check_parse_only(list, named, bad, sizeof(bad)) != 0) {
		snprintf(err, errlen, "%s: " CLI_QUOTED " is not a check ID (see --list)", flag,
			 CLI_QUOTE(bad));
		return -1;
	}
	for (size_t i = 0; i < CHECK_COUNT; i++)
		set[i] |= named[i];
	return 0;
}

static int apply(struct check_opts *o, int id, const char *value, char *err, size_t errlen)
{
	size_t n;

	switch (id) {
	case OPT_FORMAT:
		if (parse_format(value, &o->format) == 0)
			return 0;
		snprintf(err, errlen,
			 "--format: " CLI_QUOTED " is not text, tap, junit, json or html",
			 CLI_QUOTE(value));
		return -1;
	case OPT_ONLY:
		if (!o->only_given)
			memset(o->selected, 0, sizeof(o->selected));
		o->only_given = 1;
		return add_checks("--only", value, o->selected, err, errlen);
	case OPT_SKIP:
		return add_checks("--skip", value, o->skipped, err, errlen);
	case OPT_TIMEOUT:
		/* Below 1 ms even a correct local server would fail for want of time. */
		if (parse_duration(value, &o->timeout_us) == 0 && o->timeout_us >= 1000u &&
		    o->timeout_us <= 60000000u)
			return 0;
		snprintf(err, errlen,
			 "--timeout: " CLI_QUOTED
			 " is not a duration from 1 ms to 60 s (250ms, 0.5, 2s)",
			 CLI_QUOTE(value));
		return -1;
	case OPT_RETRIES:
		if (parse_size(value, CHECK_MAX_TRIES, &n) == 0 && n >= 1) {
			o->tries = (unsigned)n;
			return 0;
		}
		snprintf(err, errlen,
			 "--retries: " CLI_QUOTED " is not a number of tries from 1 to %u",
			 CLI_QUOTE(value), CHECK_MAX_TRIES);
		return -1;
	case OPT_V4:
	case OPT_V6:
		if (o->family != NET_PREFER_V4) {
			snprintf(err, errlen, "give -4 or -6, not both");
			return -1;
		}
		o->family = id == OPT_V4 ? NET_ONLY_V4 : NET_ONLY_V6;
		return 0;
	case OPT_LIST:
		o->list = 1;
		return 0;
	case OPT_STRICT:
		o->strict = 1;
		return 0;
	case OPT_BASELINE:
		o->baseline = value;
		return 0;
	case OPT_OUTPUT:
		o->output = value;
		return 0;
	case OPT_EVIDENCE:
		o->evidence = value;
		return 0;
	case OPT_HELP:
	default:
		o->help = 1;
		return 0;
	}
}

/*
 * `udpecho check 17010` means a port, yet as a host the resolver would take
 * it for the IPv4 address 0.0.66.114: digits alone are never a host here.
 */
static int port_as_host(const char *value, char *err, size_t errlen)
{
	uint16_t port;

	if (strspn(value, "0123456789") != strlen(value))
		return 0;
	snprintf(err, errlen,
		 CLI_QUOTED
		 " looks like a port number, not a host: give HOST PORT, e.g. 127.0.0.1 %s",
		 CLI_QUOTE(value), parse_port(value, &port) == 0 && port != 0 ? value : "7");
	return 1;
}

static int positional(struct check_opts *o, const char *value, char *err, size_t errlen)
{
	if (o->host == NULL && port_as_host(value, err, errlen))
		return -1;
	return cli_host_port(value, &o->host, &o->port, &o->port_given, err, errlen);
}

int check_parse_args(int argc, char *const *argv, int first, struct check_opts *o, char *err,
		     size_t errlen)
{
	struct cli_scan scan;
	const char *value = NULL;
	size_t left = 0;
	int id;

	memset(o, 0, sizeof(*o));
	o->port = CHECK_DEFAULT_PORT;
	o->format = REPORT_TEXT;
	o->timeout_us = CHECK_DEFAULT_TIMEOUT_US;
	o->tries = CHECK_DEFAULT_TRIES;
	o->family = NET_PREFER_V4;
	memset(o->selected, 1, sizeof(o->selected));
	cli_scan_init(&scan, argc, argv, first);
	while ((id = cli_next(&scan, options, &value, err, errlen)) != CLI_END) {
		if (id == CLI_ERROR)
			return -1;
		if (id == CLI_POSITIONAL ? positional(o, value, err, errlen)
					 : apply(o, id, value, err, errlen))
			return -1;
	}
	/* --skip applies after every --only, whatever their order. */
	for (size_t i = 0; i < CHECK_COUNT; i++) {
		o->selected[i] &= !o->skipped[i];
		left += o->selected[i];
	}
	if (left == 0) {
		snprintf(err, errlen, "--skip: nothing left to run");
		return -1;
	}
	return 0;
}

static void list_checks(void)
{
	for (int id = 0; id < CHECK_COUNT; id++) {
		const struct check_info *c = check_info((enum check_id)id);

		printf("%-22s %-6s %s\n", c->name, check_level_name(c->level), c->what);
	}
}

/*
 * 0.0.0.0, ::, multicast or broadcast: a datagram sent there may reach a
 * server, but its reply comes from one of the server's own addresses, and
 * reply.source would blame the server for the address given here.
 */
static int unicast_target(const struct net_addr *target)
{
	struct echo_policy policy;
	struct echo_peer peer;

	policy_init(&policy);
	net_to_peer((const struct sockaddr *)&target->ss, &peer);
	return !policy_source_bad(&policy, &peer);
}

static int resolve_target(const struct check_opts *o, struct net_addr *target, pid_t *builtin,
			  char *err, size_t errlen)
{
	const char *why = NULL;

	if (o->host == NULL) {
		int rc = builtin_start(o->family, target, builtin);

		if (rc != 0)
			snprintf(err, errlen, "cannot start the built-in server: %s",
				 strerror(-rc));
		return rc;
	}
	if (net_resolve(o->host, o->port, o->family, target, &why) != 0) {
		snprintf(err, errlen, "'%s': %s", o->host, why);
		return -1;
	}
	if (!unicast_target(target)) {
		snprintf(err, errlen,
			 "'%s' is not a unicast address: give the server's own (127.0.0.1 or ::1 "
			 "on this host)",
			 o->host);
		return -1;
	}
	return 0;
}

static void explain_abort(const struct net_addr *target, const struct check_abort *why, char *err,
			  size_t errlen)
{
	char where[ADDR_STR_MAX];

	net_format(where, sizeof(where), target);
	if (why->error == -ECONNREFUSED)
		snprintf(err, errlen, "nothing listening on %s (ICMP port unreachable)", where);
	else
		snprintf(err, errlen, "%s: %s", where, strerror(-why->error));
}

static void fill_target(struct report *rep, const struct net_addr *target, int builtin)
{
	struct echo_peer peer;

	net_to_peer((const struct sockaddr *)&target->ss, &peer);
	addr_format_host(rep->host, sizeof(rep->host), &peer);
	rep->port = peer.port;
	rep->family = peer.family == ECHO_FAMILY_IPV6 ? "ipv6" : "ipv4";
	rep->label = builtin ? "built-in server" : NULL;
}

/* The target as the user named it, for a report of a run that could not resolve it. */
static void fill_named_target(struct report *rep, const struct check_opts *o)
{
	snprintf(rep->host, sizeof(rep->host), "%s", o->host != NULL ? o->host : "127.0.0.1");
	rep->port = o->port;
	rep->family = o->family == NET_ONLY_V6 ? "ipv6" : "ipv4";
}

/* A run that cannot start still leaves a report: the error in it, exit 2. */
/* Where the report goes and what colours it: one per run. */
struct sink {
	FILE *out;
	int color;
	/* --baseline: the status each check had then ("" when it had none). */
	char baseline[CHECK_COUNT][16];
	int strict;
};

/* A run that cannot start still leaves a report: the error in it, exit 2. */
static int cannot_start(const struct check_opts *o, struct sink *k, struct report *rep,
			const char *err)
{
	fprintf(stderr, "%s: %s\n", PROG, err);
	report_write_error(k->out, rep, o->format, err);
	fflush(k->out);
	return 2;
}

static void keep_baseline(void *ctx, const struct json_check *c)
{
	struct sink *k = ctx;
	const struct check_info *info = check_find(c->id);

	if (info != NULL)
		snprintf(k->baseline[info->id], sizeof(k->baseline[0]), "%s", c->status);
}

/* Reads --baseline FILE, at most BASELINE_MAX bytes.  Returns 0, or -1 with err. */
#define BASELINE_MAX (16u << 20)

static int read_baseline(const char *path, struct sink *k, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t len, at = 0;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "--baseline: '%s': %s", path, strerror(errno));
		return -1;
	}
	text = malloc(BASELINE_MAX + 1);
	len = text != NULL ? fread(text, 1, BASELINE_MAX + 1, f) : 0;
	if (text == NULL || ferror(f))
		snprintf(err, errlen, "--baseline: '%s': cannot read it", path);
	else if (len > BASELINE_MAX)
		snprintf(err, errlen, "--baseline: '%s': larger than %u MiB, not a report", path,
			 BASELINE_MAX >> 20);
	else if (json_report_checks(text, len, keep_baseline, k, &at) != 0)
		snprintf(err, errlen, "--baseline: '%s' is not JSON (at byte %zu)", path, at);
	else
		rc = 0;
	free(text);
	fclose(f);
	return rc;
}

/* A failure the baseline already had, with the same status, is known. */
static void mark_known(const struct sink *k, struct check_result *r)
{
	char status[16];
	size_t i = 0;

	for (const char *s = check_status_name(r->status); *s != '\0' && i + 1 < sizeof(status);
	     s++)
		status[i++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
	status[i] = '\0';
	r->known = report_fails_run(r, k->strict) && strcmp(k->baseline[r->info->id], status) == 0;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* SIGINT and SIGTERM end the run with a report; without SA_RESTART, poll() returns at once. */
static void catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Text streams: each line as its result is final. */
static void stream_result(void *ctx, const struct report *rep, size_t index)
{
	struct sink *k = ctx;
	struct check_result *r = (struct check_result *)&rep->results[index];

	mark_known(k, r);
	if (index == 0)
		report_text_header(k->out, rep);
	report_text_result(k->out, r, k->color);
	fflush(k->out);
}

static void finish(const struct check_opts *o, struct sink *k, struct report *rep)
{
	if (o->format != REPORT_TEXT) {
		for (size_t i = 0; i < rep->count; i++)
			mark_known(k, &rep->results[i]);
		report_write(k->out, rep, o->format, k->color);
	} else {
		if (rep->count == 0)
			report_text_header(k->out, rep);
		report_text_summary(k->out, rep);
	}
	fflush(k->out);
}

/* "2026-12-07T03:12:00Z": when the run started, for the JSON report. */
static void note_start(struct report *rep)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(rep->started, sizeof(rep->started), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(rep->started, sizeof(rep->started), "1970-01-01T00:00:00Z");
}

static int run(const struct check_opts *o, struct sink *k, struct report *rep)
{
	struct check_config cfg;
	struct check_abort why;
	char err[512];
	pid_t builtin = 0;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	fill_named_target(rep, o);
	note_start(rep);
	rep->strict = o->strict;
	if (resolve_target(o, &cfg.target, &builtin, err, sizeof(err)) != 0)
		return cannot_start(o, k, rep, err);
	cfg.timeout_us = o->timeout_us;
	cfg.tries = o->tries;
	memcpy(cfg.selected, o->selected, sizeof(cfg.selected));
	cfg.progress = isatty(STDERR_FILENO);
	cfg.interrupted = &interrupted;
	cfg.evidence_dir = o->evidence;
	if (o->format == REPORT_TEXT) {
		cfg.on_result = stream_result;
		cfg.ctx = k;
	}
	fill_target(rep, &cfg.target, builtin > 0);
	catch_interrupts();
	rc = check_run(&cfg, rep, &why);
	builtin_stop(builtin);
	if (rc != 0) {
		explain_abort(&cfg.target, &why, err, sizeof(err));
		return cannot_start(o, k, rep, err);
	}
	finish(o, k, rep);
	if (rep->interrupted)
		return 130;
	return report_must_failed(rep);
}

/* The sink: --output or stdout, --baseline read.  Returns 0, or -1 with err. */
static int open_sink(const struct check_opts *o, struct sink *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	k->strict = o->strict;
	if (o->baseline != NULL && read_baseline(o->baseline, k, err, errlen) != 0)
		return -1;
	k->out = stdout;
	if (o->output != NULL && (k->out = fopen(o->output, "w")) == NULL) {
		snprintf(err, errlen, "--output: '%s': %s", o->output, strerror(errno));
		return -1;
	}
	if (o->evidence != NULL && mkdir(o->evidence, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "--evidence: '%s': %s", o->evidence, strerror(errno));
		return -1;
	}
	k->color = o->format == REPORT_TEXT && o->output == NULL && isatty(STDOUT_FILENO) &&
		   getenv("NO_COLOR") == NULL;
	return 0;
}

int check_main(int argc, char *const *argv, int first)
{
	/* Static, not heap: the built-in server forks from inside run() and must own nothing. */
	static struct report rep;
	static struct sink k;
	struct check_opts o;
	char err[512];
	int rc;

	if (check_parse_args(argc, argv, first, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s check: %s (try --help)\n", PROG, err);
		return 2;
	}
	if (o.help) {
		fputs(check_usage, stdout);
		return 0;
	}
	if (o.list) {
		list_checks();
		return 0;
	}
	if (open_sink(&o, &k, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s check: %s\n", PROG, err);
		return 2;
	}
	rc = run(&o, &k, &rep);
	if (k.out != stdout && fclose(k.out) != 0) {
		fprintf(stderr, "%s check: --output: '%s': %s\n", PROG, o.output, strerror(errno));
		rc = 2;
	}
	return rc;
}
