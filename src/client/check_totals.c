/*
 * check_totals.c: the checks that judge the run as a whole:
 * safety.amplification, safety.loop, latency and server.alive.
 */
#include "check_impl.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void run_safety_amplification(struct run *r, struct check_result *res)
{
	run_ensure_traffic(r);
	run_drain_all(r);
	report_evidence_int(res, "request_bytes", (long long)r->bytes_sent);
	report_evidence_int(res, "reply_bytes", (long long)r->bytes_received);
	report_evidence_int(res, "requests", (long long)r->datagrams_sent);
	report_evidence_int(res, "replies", (long long)r->datagrams_received);
	report_evidence_int(res, "judged", (long long)r->datagrams_received);
	if (r->bytes_received > r->bytes_sent) {
		report_set(res, CHECK_FAIL, "replies carried %llu bytes for %llu sent (%.2fx)",
			   (unsigned long long)r->bytes_received, (unsigned long long)r->bytes_sent,
			   r->bytes_sent ? (double)r->bytes_received / (double)r->bytes_sent : 0.0);
	} else if (r->datagrams_received > r->datagrams_sent) {
		report_set(res, CHECK_FAIL, "%llu replies for %llu requests",
			   (unsigned long long)r->datagrams_received,
			   (unsigned long long)r->datagrams_sent);
	} else if (r->longer_replies > 0) {
		report_set(res, CHECK_FAIL, "%llu replies were longer than their requests",
			   (unsigned long long)r->longer_replies);
	} else if (r->datagrams_received == 0) {
		report_set(res, CHECK_INCONCLUSIVE, "no reply came back to weigh (%llu requests)",
			   (unsigned long long)r->datagrams_sent);
	} else {
		report_set(res, CHECK_PASS,
			   "replies carried %llu bytes for %llu sent, %llu datagram%s for %llu",
			   (unsigned long long)r->bytes_received, (unsigned long long)r->bytes_sent,
			   (unsigned long long)r->datagrams_received,
			   r->datagrams_received == 1 ? "" : "s",
			   (unsigned long long)r->datagrams_sent);
	}
}

#define LOOP_PORTS 2

/* A socket bound to a privileged source port; -EACCES without privilege. */
static int bind_source_port(struct run *r, uint16_t port)
{
	struct net_addr local;
	int i = run_socket(r), one = 1;

	if (i < 0)
		return r->error;
	memset(&local, 0, sizeof(local));
	local.ss.ss_family = r->cfg->target.ss.ss_family;
	local.len = r->cfg->target.len;
	if (local.ss.ss_family == AF_INET)
		((struct sockaddr_in *)&local.ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&local.ss)->sin6_port = htons(port);
	(void)setsockopt(r->socks[i].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->socks[i].fd, (const struct sockaddr *)&local.ss, local.len) != 0)
		return -errno;
	return i;
}

/*
 * Sends the classic message from each bound port, retried on the measured
 * round trip.  Silence is the right answer here and the server has just
 * shown it is alive: a few round trips are wait enough.
 */
static size_t probe_loop_ports(struct run *r, const int *socks, size_t n)
{
	static const struct fixed_request classic = {(const uint8_t *)CLASSIC, CLASSIC_LEN};
	struct xlog log = {.requests = LOOP_PORTS};
	struct slot slots[LOOP_PORTS];
	struct engine e = {&log,           slots, n, build_fixed, (void *)&classic,
			   PATIENCE_QUICK, 0,     0, NULL};
	size_t hit = LOOP_PORTS;

	for (size_t p = 0; p < n; p++)
		slots[p] = slot_new(socks[p], (uint32_t)p, r->cfg->tries);
	engine_run(r, &e);
	for (size_t p = n; p-- > 0;) {
		if (slots[p].state == SLOT_ANSWERED)
			hit = p;
	}
	xlog_free(&log);
	/* Silence is the right answer here: no reason to ask whether the server is alive. */
	r->trouble = 0;
	return hit;
}

void run_safety_loop(struct run *r, struct check_result *res)
{
	static const uint16_t ports[LOOP_PORTS] = {7, 19};
	static const char *const names[LOOP_PORTS] = {"echo", "chargen"};
	uint16_t bound[LOOP_PORTS];
	int socks[LOOP_PORTS];
	size_t n = 0, hit;

	run_ensure_traffic(r);
	if (r->datagrams_received == 0) {
		report_set(res, CHECK_SKIP,
			   "the server answered nothing, so silence here proves nothing");
		return;
	}
	for (size_t p = 0; p < LOOP_PORTS; p++) {
		int i = bind_source_port(r, ports[p]);

		if (i == -EACCES || i == -EPERM) {
			report_set(res, CHECK_SKIP,
				   "needs privilege to send from port %u (run as root)", ports[p]);
			return;
		}
		if (i >= 0) { /* else in use on this host: try the other port */
			bound[n] = ports[p];
			socks[n++] = i;
		}
	}
	if (n == 0) {
		report_set(res, CHECK_SKIP, "source ports 7 and 19 are both in use on this host");
		return;
	}
	hit = probe_loop_ports(r, socks, n);
	if (hit < n) {
		report_set(res, CHECK_WARN,
			   "answers requests from source port %u (%s): two such services can loop "
			   "forever",
			   bound[hit], names[bound[hit] == 7 ? 0 : 1]);
		report_evidence_int(res, "answered_port", bound[hit]);
	} else if (r->error == 0 && !r->interrupted) {
		report_set(res, CHECK_PASS, "ignores requests from source port%s %u%s",
			   n > 1 ? "s" : "", bound[0], n > 1 ? " (echo) and 19 (chargen)" : "");
	}
}

/* Percentile pct of the run's round trips, in ms (hist.h: at most 1% above the true value). */
static double percentile_ms(const struct hist *h, double pct)
{
	return (double)hist_percentile(h, pct) / 1e6;
}

void run_latency(struct run *r, struct check_result *res)
{
	const struct hist *h = &r->rtt;
	size_t n;

	run_ensure_traffic(r);
	run_drain_all(r);
	n = (size_t)h->total;
	report_evidence_int(res, "samples", (long long)n);
	report_evidence_int(res, "late_replies", (long long)r->late);
	if (n == 0 && r->late > 0) {
		report_set(res, CHECK_WARN,
			   "no reply came within the wait; %llu came later, too late to count: "
			   "raise --timeout above the round trip",
			   (unsigned long long)r->late);
		return;
	}
	if (n == 0) {
		report_set(res, CHECK_SKIP, "no reply to time");
		return;
	}
	report_evidence_num(res, "p50_ms", percentile_ms(h, 50));
	report_evidence_num(res, "p90_ms", percentile_ms(h, 90));
	report_evidence_num(res, "p99_ms", percentile_ms(h, 99));
	report_evidence_num(res, "max_ms", percentile_ms(h, 100));
	report_set(res, r->late > 0 ? CHECK_WARN : CHECK_PASS,
		   "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms over %zu repl%s%s",
		   percentile_ms(h, 50), percentile_ms(h, 90), percentile_ms(h, 99),
		   percentile_ms(h, 100), n, n == 1 ? "y" : "ies",
		   r->late > 0 ? "; some replies came only after their check stopped waiting" : "");
}

/* "echo.sizes request 12 (4096 bytes)": the request after which the server stopped. */
static void point_words(const struct run *r, char *out, size_t cap)
{
	const struct run_point *p = r->suspect.set ? &r->suspect : &r->last_answer;

	if (!p->set)
		snprintf(out, cap, "the first request");
	else
		snprintf(out, cap, "%s request %u (%zu byte%s)", check_info(p->check)->name,
			 p->request, p->len, p->len == 1 ? "" : "s");
}

static void alive_evidence(const struct run *r, struct check_result *res)
{
	const struct run_point *p = r->suspect.set ? &r->suspect : &r->last_answer;

	report_evidence_str(res, "how", verdict_life_name(r->life));
	if ((r->life == VERDICT_CLOSED || r->life == VERDICT_HUNG || r->life == VERDICT_SLOW) &&
	    p->set) {
		report_evidence_str(res, "after_check", check_info(p->check)->name);
		report_evidence_int(res, "after_request", p->request);
		report_evidence_int(res, "request_bytes", (long long)p->len);
	}
	report_evidence_int(res, "requests", (long long)r->datagrams_sent);
	report_evidence_int(res, "judged", (long long)r->datagrams_received);
}

void run_server_alive(struct run *r, struct check_result *res)
{
	char where[REPORT_DETAIL_MAX];

	if (r->interrupted) {
		report_set(res, CHECK_INCONCLUSIVE, "not judged: interrupted");
		return;
	}
	if (!r->life_known && !r->life_current && r->error == 0)
		run_probe_life(r, -1, NULL);
	point_words(r, where, sizeof(where));
	alive_evidence(r, res);
	switch (r->life) {
	case VERDICT_ALIVE:
		report_set(res, CHECK_PASS,
			   "answered for the whole run: %llu replies, the last probe included",
			   (unsigned long long)r->datagrams_received);
		break;
	case VERDICT_REFUSES_NEW:
	case VERDICT_IGNORES_NEW:
		report_set(res, CHECK_PASS,
			   "still answers the run's first client, but no new one (see "
			   "clients.many)");
		break;
	case VERDICT_CLOSED:
	case VERDICT_NOTHING_LISTENING:
		report_set(
			res, CHECK_FAIL,
			"its port closed (ICMP port unreachable) after %s: it exited or crashed%s",
			where, r->datagrams_received == 0 ? " before answering anything" : "");
		report_evidence_str(res, "failure", "closed");
		break;
	case VERDICT_HUNG:
		report_set(res, CHECK_FAIL,
			   "silent since %s: it answered %llu requests, then nothing, not even a "
			   "probe from a client it knows",
			   where, (unsigned long long)r->datagrams_received);
		report_evidence_str(res, "failure", "hang");
		break;
	case VERDICT_SILENT:
		report_set(res, CHECK_FAIL,
			   "answered nothing: none of %llu requests got a reply, probes retried "
			   "included",
			   (unsigned long long)r->datagrams_sent);
		report_evidence_str(res, "failure", "silence");
		break;
	case VERDICT_SLOW:
	default:
		report_set(
			res, CHECK_INCONCLUSIVE,
			"replies come only after every wait gave up (%llu late): raise --timeout "
			"above the round trip",
			(unsigned long long)r->late);
		break;
	}
}
