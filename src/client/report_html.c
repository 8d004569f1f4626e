/*
 * report_html.c: `udpecho check --format html`, one self-contained page:
 * no scripts, no external assets, the drawings inline SVG.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "udpecho/version.h"

/* The drawings' viewBox and the plot area inside it. */
#define SVG_W 960
#define SVG_H 220
#define PLOT_L 70.0
#define PLOT_R 930.0
#define PLOT_T 30.0
#define PLOT_B 175.0
/* The largest IPv4 payload is 65507 bytes: 2^16 bounds every size axis. */
#define SIZE_LOG_MAX 4.8165 /* log10(65536) */
/* Ten bins a decade: wide enough to fill with a few hundred round trips. */
#define BINS_PER_DECADE 10
#define MAX_BINS 100          /* uint32 microseconds span at most 10 decades */
#define BAR_TOP (PLOT_T + 44) /* the fullest bin's top: above it, the percentiles' labels */

static const char css[] =
	":root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--mute:#59636e;--line:#d1d9e0;"
	"--code:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#6e7781;"
	"--inc:#8250df;--known:#0969da}\n"
	"@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mute:#9198a1;"
	"--line:#3d444d;--code:#151b23;--pass:#2da44e;--fail:#e5534b;--warn:#c69026;"
	"--skip:#768390;--inc:#986ee2;--known:#4184e4}}\n"
	"body{font:15px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg);"
	"max-width:1100px;margin:1.5em auto;padding:0 1em}\n"
	"h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.3em 0 .3em}\n"
	"h3{font-size:1em;margin:1.2em 0 .3em}a{color:var(--known)}\n"
	"p{margin:.4em 0}.meta,.what{color:var(--mute)}.verdict{font-size:1.1em;font-weight:600}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;padding:.2em .6em;border-bottom:1px solid var(--line);"
	"vertical-align:top}\n"
	"code,pre{font:13px/1.4 ui-monospace,monospace}\n"
	"pre{background:var(--code);padding:.6em;overflow-x:auto;white-space:pre-wrap}\n"
	".badge{display:inline-block;min-width:3.2em;text-align:center;padding:0 .5em;"
	"border-radius:.8em;color:#fff;font-weight:600;font-size:.8em}\n"
	".PASS{background:var(--pass)}.FAIL{background:var(--fail)}"
	".WARN{background:var(--warn)}.SKIP{background:var(--skip)}"
	".INCONCLUSIVE{background:var(--inc)}.known{background:var(--known)}\n"
	"svg{width:100%;height:auto}svg text{fill:var(--fg);font:12px system-ui,sans-serif;"
	"paint-order:stroke;stroke:var(--bg);stroke-width:3px}\n"
	".axis{stroke:var(--mute)}.grid{stroke:var(--line)}.diag{stroke:var(--mute);"
	"stroke-dasharray:4 4}\n"
	".exact{fill:var(--pass)}.truncated{fill:var(--fail)}.altered{fill:var(--inc)}"
	".silent{fill:var(--skip)}.bar{fill:var(--known)}.pct{stroke:var(--fail)}\n";

/* Text and attribute values alike: the five characters HTML gives a meaning. */
static void escc(FILE *out, char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c == '&')
		fputs("&amp;", out);
	else if (c == '<')
		fputs("&lt;", out);
	else if (c == '>')
		fputs("&gt;", out);
	else if (c == '"')
		fputs("&quot;", out);
	else if (c == '\'')
		fputs("&#39;", out);
	else if (c >= 0x20 || c == '\n' || c == '\t') /* HTML allows no other controls */
		fputc(c, out);
}

static void esc(FILE *out, const char *s)
{
	for (; *s != '\0'; s++)
		escc(out, *s);
}

static void head(FILE *out, const struct report *rep, const char *what)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>udpecho check ",
	      out);
	esc(out, rep->host);
	fprintf(out, " port %u: %s</title>\n<style>\n%s</style>\n</head>\n<body>\n", rep->port,
		what, css);
}

static void target(FILE *out, const struct report *rep)
{
	fputs("<h1>udpecho check: ", out);
	if (rep->label != NULL) {
		esc(out, rep->label);
		fputs(" at ", out);
	}
	esc(out, rep->host);
	fprintf(out, " port %u (%s)</h1>\n<p class=\"meta\">Started ", rep->port, rep->family);
	esc(out, rep->started);
}

/* The exit status and what it means, as `check --help` says it. */
static const char *verdict(const struct report *rep, int *status)
{
	*status = rep->interrupted ? 130 : report_must_failed(rep);
	if (rep->interrupted)
		return "interrupted: the report holds the checks done so far";
	if (*status != 0)
		return rep->strict ? "FAIL: a MUST failed or could not be judged, or a SHOULD "
				     "warned (--strict)"
				   : "FAIL: a MUST failed or could not be judged";
	return "PASS: every MUST holds";
}

static void summary(FILE *out, const struct report *rep)
{
	struct report_counts c = report_count(rep);
	int status;
	const char *v = verdict(rep, &status);

	target(out, rep);
	fprintf(out, ", took %.1f s; udpecho %s.</p>\n", (double)rep->elapsed_us / 1e6,
		UDPECHO_VERSION);
	fprintf(out,
		"<p class=\"verdict\"><span class=\"badge %s\">exit %d</span> %s</p>\n"
		"<p>%u passed, %u failed, %u warned, %u skipped, %u inconclusive",
		status == 0   ? "PASS"
		: status == 1 ? "FAIL"
			      : "INCONCLUSIVE",
		status, v, c.passed, c.failed, c.warned, c.skipped, c.inconclusive);
	if (c.known > 0)
		fprintf(out, " (%u known from the baseline)", c.known);
	fputs(".</p>\n", out);
}

static void badge(FILE *out, const struct check_result *r)
{
	const char *s = check_status_name(r->status);

	fprintf(out, "<span class=\"badge %s\">%s</span>", s, s);
	if (r->known)
		fputs(" <span class=\"badge known\">known</span>", out);
}

static void table(FILE *out, const struct report *rep)
{
	fputs("<h2>Verdicts</h2>\n<table>\n<thead><tr><th>Check</th><th>Level</th>"
	      "<th>Status</th><th>Detail</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *r = &rep->results[i];

		fprintf(out, "<tr><td><a href=\"#%s\"><code>%s</code></a></td><td>%s</td><td>",
			r->info->name, r->info->name, check_level_name(r->info->level));
		badge(out, r);
		fputs("</td><td>", out);
		esc(out, r->detail);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
}

/* JSON members, one a line: a comma outside strings and brackets ends one. */
static void evidence(FILE *out, const char *e)
{
	int depth = 0, quoted = 0;

	fputs("<pre>{\n  ", out);
	for (; *e != '\0'; e++) {
		if (quoted && *e == '\\' && e[1] != '\0') {
			escc(out, *e++);
		} else if (*e == '"') {
			quoted = !quoted;
		} else if (!quoted && (*e == '[' || *e == '{')) {
			depth++;
		} else if (!quoted && (*e == ']' || *e == '}')) {
			depth--;
		} else if (!quoted && depth == 0 && *e == ',') {
			fputs(",\n ", out);
			continue; /* with the space after it, the next member is indented */
		}
		escc(out, *e);
	}
	fputs("\n}</pre>\n", out);
}

static void details(FILE *out, const struct report *rep)
{
	fputs("<h2>Details</h2>\n", out);
	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *r = &rep->results[i];

		fprintf(out, "<section id=\"%s\">\n<h3><code>%s</code> ", r->info->name,
			r->info->name);
		badge(out, r);
		fprintf(out,
			"</h3>\n<p class=\"what\">%s, %.3f s: ", check_level_name(r->info->level),
			(double)r->elapsed_us / 1e6);
		esc(out, r->info->what);
		fputs("</p>\n<p>", out);
		esc(out, r->detail);
		fputs("</p>\n", out);
		if (r->evidence[0] != '\0')
			evidence(out, r->evidence);
		fputs("</section>\n", out);
	}
}

static void svg_open(FILE *out, const char *label)
{
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
		"height=\"%d\" role=\"img\" aria-label=\"%s\">\n"
		"<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n"
		"<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n",
		SVG_W, SVG_H, SVG_W, SVG_H, label, PLOT_L, PLOT_B, PLOT_R, PLOT_B, PLOT_L, PLOT_T,
		PLOT_L, PLOT_B);
}

/* x of a value on a log10 axis from lo to hi (both logs). */
static double xlog(double v, double lo, double hi)
{
	return PLOT_L + (log10(v) - lo) / (hi - lo) * (PLOT_R - PLOT_L);
}

/* Sizes received: the band under y(1) is for silence. */
static double ysize(size_t received)
{
	if (received == 0)
		return PLOT_B - 8;
	return PLOT_B - 24 - log10((double)received) / SIZE_LOG_MAX * (PLOT_B - 24 - PLOT_T);
}

static void size_axes(FILE *out)
{
	for (size_t v = 1; v < 65536; v *= 10) {
		double x = xlog((double)v, 0, SIZE_LOG_MAX), y = ysize(v);

		fprintf(out,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%zu</text>\n"
			"<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%zu</text>\n",
			x, PLOT_T, x, PLOT_B, x, PLOT_B + 16, v, PLOT_L, y, PLOT_R, y, PLOT_L - 6,
			y + 4, v);
	}
	fprintf(out,
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">none</text>\n"
		"<line class=\"diag\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>\n"
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">bytes sent (log scale)</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\">bytes received; the dashed line is an exact "
		"echo</text>\n",
		PLOT_L - 6, PLOT_B - 4, PLOT_L, ysize(1), PLOT_R, ysize(65536),
		(PLOT_L + PLOT_R) / 2, PLOT_B + 36, PLOT_L, PLOT_T - 12);
}

static const char *const size_class[] = {"exact", "truncated", "altered", "silent"};

/* "4097 bytes: truncated to 4096": a mark's tooltip, and the note beside the first of a kind. */
static void size_words(FILE *out, const struct report_size *s)
{
	static const char *const how[] = {"exact", "truncated to", "altered,", "silent, no reply"};

	fprintf(out, "%zu byte%s: %s", s->size, s->size == 1 ? "" : "s", how[s->result]);
	if (s->result == REPORT_SIZE_TRUNCATED)
		fprintf(out, " %zu", s->received);
	else if (s->result == REPORT_SIZE_ALTERED)
		fprintf(out, " %zu bytes back", s->received);
}

static void size_mark(FILE *out, const struct report_size *s, int note)
{
	double x = xlog((double)s->size, 0, SIZE_LOG_MAX), y = ysize(s->received);
	int left = x > PLOT_R - 200; /* a note near the right edge goes on the left */

	fprintf(out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"><title>",
		size_class[s->result], x, y);
	size_words(out, s);
	fputs("</title></circle>\n", out);
	if (!note)
		return;
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", left ? x - 8 : x + 8, y - 9,
		left ? "end" : "start");
	size_words(out, s);
	fputs("</text>\n", out);
}

static void legend(FILE *out)
{
	for (int i = 0; i < 4; i++) {
		double x = PLOT_R - 400 + 100 * i;

		fprintf(out,
			"<circle class=\"%s\" cx=\"%.0f\" cy=\"%.0f\" r=\"5\"/>"
			"<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
			size_class[i], x, PLOT_T - 16, x + 9, PLOT_T - 12, size_class[i]);
	}
}

static void ladder(FILE *out, const struct report *rep)
{
	unsigned noted[4] = {0, 0, 0, 0};

	fputs("<h2>Size ladder (echo.sizes)</h2>\n<p class=\"what\">Each size tried, by the "
	      "length that came back; hover a mark for its numbers.</p>\n",
	      out);
	svg_open(out, "the sizes echo.sizes tried and what came back");
	size_axes(out);
	legend(out);
	for (size_t i = 0; i < rep->nladder; i++) {
		const struct report_size *s = &rep->ladder[i];

		/* The first of each defect is named beside it, for a reader who cannot hover. */
		size_mark(out, s, s->result != REPORT_SIZE_EXACT && !noted[s->result]++);
	}
	fputs("</svg>\n", out);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The nearest rank, as the latency check takes it (check_totals.c). */
static double pct_us(const uint32_t *sorted, size_t n, double pct)
{
	return sorted[(size_t)(pct / 100.0 * (double)(n - 1) + 0.5)];
}

struct rtt_axis {
	int lo, hi; /* log10 of the microseconds the x axis spans: whole decades */
	unsigned bins[MAX_BINS];
	size_t nbins;
	unsigned top; /* the fullest bin */
};

static void rtt_bins(struct rtt_axis *a, const uint32_t *sorted, size_t n)
{
	a->lo = (int)floor(log10(sorted[0] > 0 ? sorted[0] : 1));
	a->hi = (int)floor(log10(sorted[n - 1] > 0 ? sorted[n - 1] : 1)) + 1;
	a->nbins = (size_t)(a->hi - a->lo) * BINS_PER_DECADE;
	memset(a->bins, 0, sizeof(a->bins));
	a->top = 1;
	for (size_t i = 0; i < n; i++) {
		double v = log10(sorted[i] > 0 ? sorted[i] : 1);
		size_t b = (size_t)((v - a->lo) * BINS_PER_DECADE);

		b = b < a->nbins ? b : a->nbins - 1;
		a->bins[b]++;
		a->top = a->bins[b] > a->top ? a->bins[b] : a->top;
	}
}

static void rtt_bars(FILE *out, const struct rtt_axis *a)
{
	double w = (PLOT_R - PLOT_L) / (double)a->nbins;

	for (size_t b = 0; b < a->nbins; b++) {
		double h = (PLOT_B - BAR_TOP) * a->bins[b] / a->top;
		double from = pow(10, a->lo + (double)b / BINS_PER_DECADE) / 1000;

		if (a->bins[b] == 0)
			continue;
		fprintf(out,
			"<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			"<title>%.3g to %.3g ms: %u round trip%s</title></rect>\n",
			PLOT_L + w * (double)b + 0.5, PLOT_B - h, w - 1, h, from,
			from * pow(10, 1.0 / BINS_PER_DECADE), a->bins[b],
			a->bins[b] == 1 ? "" : "s");
	}
}

static void rtt_axes(FILE *out, const struct rtt_axis *a)
{
	for (int d = a->lo; d <= a->hi; d++) {
		double x = xlog(pow(10, d), a->lo, a->hi);

		fprintf(out,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%g ms</text>\n",
			x, PLOT_T, x, PLOT_B, x, PLOT_B + 16, pow(10, d) / 1000);
	}
	fprintf(out,
		"<line class=\"grid\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%u</text>"
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">round-trip time (log "
		"scale)</text>\n<text x=\"%.0f\" y=\"%.0f\">round trips per bin</text>\n",
		PLOT_L, BAR_TOP, PLOT_R, BAR_TOP, PLOT_L - 6, BAR_TOP + 4, a->top, PLOT_L - 6,
		PLOT_B, (PLOT_L + PLOT_R) / 2, PLOT_B + 36, PLOT_L, PLOT_T - 12);
}

static void rtt_marks(FILE *out, const struct rtt_axis *a, const uint32_t *sorted, size_t n)
{
	static const double pcts[] = {50, 90, 99};

	for (int i = 0; i < 3; i++) {
		double us = pct_us(sorted, n, pcts[i]);
		double x = xlog(us > 1 ? us : 1, a->lo, a->hi);
		int left = x > PLOT_R - 110; /* a label near the right edge goes on the left */

		fprintf(out,
			"<line class=\"pct\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">p%.0f %.3f ms</text>\n",
			x, PLOT_T, x, PLOT_B, left ? x - 4 : x + 4, PLOT_T + 12 + 14 * i,
			left ? "end" : "start", pcts[i], us / 1000);
	}
}

static void latency(FILE *out, const struct report *rep)
{
	static uint32_t sorted[REPORT_RTT_MAX]; /* 16 KiB: off the stack */
	struct rtt_axis a;
	size_t n = rep->nrtt;

	memcpy(sorted, rep->rtt_us, n * sizeof(sorted[0]));
	qsort(sorted, n, sizeof(sorted[0]), cmp_u32);
	rtt_bins(&a, sorted, n);
	fprintf(out,
		"<h2>Latency</h2>\n<p class=\"what\">All %zu round trip%s of the run, from %.3f to "
		"%.3f ms; p50, p90 and p99 marked.</p>\n",
		n, n == 1 ? "" : "s", sorted[0] / 1000.0, sorted[n - 1] / 1000.0);
	svg_open(out, "histogram of the round-trip times");
	rtt_axes(out, &a);
	rtt_bars(out, &a);
	rtt_marks(out, &a, sorted, n);
	fputs("</svg>\n", out);
}

void report_write_html(FILE *out, const struct report *rep)
{
	head(out, rep, "report");
	summary(out, rep);
	table(out, rep);
	if (rep->nladder > 0)
		ladder(out, rep);
	if (rep->nrtt > 0)
		latency(out, rep);
	details(out, rep);
	fputs("</body>\n</html>\n", out);
}

void report_write_html_error(FILE *out, const struct report *rep, const char *error)
{
	head(out, rep, "error");
	target(out, rep);
	fputs(".</p>\n<p class=\"verdict\"><span class=\"badge FAIL\">exit 2</span> The run "
	      "could not start: ",
	      out);
	esc(out, error);
	fputs("</p>\n</body>\n</html>\n", out);
}
