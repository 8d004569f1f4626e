/*
 * report.h: the results of `udpecho check` and the five ways to print them
 * (text, TAP 13, JUnit XML, JSON, HTML).  Writers only format; they decide nothing.
 */
#ifndef UDPECHO_CLIENT_REPORT_H
#define UDPECHO_CLIENT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "udpecho/check.h"

#define REPORT_DETAIL_MAX 320
#define REPORT_EVIDENCE_MAX 2048
#define REPORT_LADDER_MAX 64
#define REPORT_RTT_MAX 4096

/* How one size of echo.sizes came back. */
enum report_size_result {
	REPORT_SIZE_EXACT,
	REPORT_SIZE_TRUNCATED,
	REPORT_SIZE_ALTERED,
	REPORT_SIZE_SILENT
};

struct report_size {
	size_t size;     /* sent */
	size_t received; /* the reply's length (0 when silent) */
	enum report_size_result result;
};

struct check_result {
	const struct check_info *info;
	enum check_status status;
	char detail[REPORT_DETAIL_MAX];
	/* JSON object members without the braces: "\"max_exact\": 4096, \"tried\": [1, 2]". */
	char evidence[REPORT_EVIDENCE_MAX];
	uint64_t elapsed_us;
	int known; /* a failure an earlier report (--baseline) already had: it fails nothing */
};

struct report {
	char host[64]; /* as printed in the target: "127.0.0.1" */
	uint16_t port;
	const char *family; /* "ipv4" / "ipv6" */
	const char *label;  /* "built-in server" or NULL */
	struct check_result results[CHECK_COUNT];
	size_t count; /* results[0..count) ran, in order */
	uint64_t elapsed_us;
	int interrupted;  /* SIGINT or SIGTERM ended the run: the rest is inconclusive */
	int strict;       /* --strict: a SHOULD that warns fails the run */
	char started[24]; /* UTC, RFC 3339: "2026-12-07T03:12:00Z" */
	/* For drawings: echo.sizes' ladder in the order tried, and the run's round trips. */
	struct report_size ladder[REPORT_LADDER_MAX];
	size_t nladder;
	uint32_t rtt_us[REPORT_RTT_MAX];
	size_t nrtt;
};

enum report_format { REPORT_TEXT, REPORT_TAP, REPORT_JUNIT, REPORT_JSON, REPORT_HTML };

/* Set status and a printf-style detail. */
void report_set(struct check_result *r, enum check_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Evidence members, appended in order. */
void report_evidence_int(struct check_result *r, const char *key, long long value);
void report_evidence_num(struct check_result *r, const char *key, double value);
void report_evidence_str(struct check_result *r, const char *key, const char *value);
void report_evidence_sizes(struct check_result *r, const char *key, const size_t *values, size_t n);

struct report_counts {
	unsigned passed, failed, warned, skipped, inconclusive;
	unsigned known; /* of those, failures the baseline already had */
};

struct report_counts report_count(const struct report *rep);

/*
 * Does this result fail the run?  A MUST that failed or could not be
 * judged, or with strict a SHOULD that warns, unless the baseline already
 * had it (known).
 */
int report_fails_run(const struct check_result *r, int strict);

/* 1 when some result fails the run: the exit status of `check`. */
int report_must_failed(const struct report *rep);

void report_write(FILE *out, const struct report *rep, enum report_format format, int color);

/* Text as it streams: the header, one line per result as it is final, the summary. */
void report_text_header(FILE *out, const struct report *rep);
void report_text_result(FILE *out, const struct check_result *r, int color);
void report_text_summary(FILE *out, const struct report *rep);

/* One self-contained HTML page (report_html.c): verdicts, evidence, the ladder and latency drawn.
 */
void report_write_html(FILE *out, const struct report *rep);

/* A page that says the run could not start, and why. */
void report_write_html_error(FILE *out, const struct report *rep, const char *error);

/*
 * A report of a run that could not start: the error recorded in it (JSON
 * "error", a JUnit <error>, TAP "Bail out!", an HTML page).  Text has none: the one-line
 * message on stderr is the report.
 */
void report_write_error(FILE *out, const struct report *rep, enum report_format format,
			const char *error);

/* s with < > & " ' as XML entities, for JUnit documents. */
void xml_escape(FILE *out, const char *s);

#endif
