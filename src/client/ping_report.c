/*
 * ping_report.c: what `udpecho ping` prints.  Text as ping(8) prints it,
 * one line per event as it happens and flushed at once, so that nothing is
 * lost in a pipe when the run is interrupted; JSON as one object at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "ping_run.h"
#include "udpecho/echoplus.h"
#include "udpecho/parse.h"
#include "udpecho/version.h"

#define PROG "udpecho"

static double ms(double ns)
{
	return ns / 1e6;
}

/* Like ping(8): three significant digits for short times, whole ms for long ones. */
static void format_ms(char *out, size_t cap, uint64_t ns)
{
	double v = ms((double)ns);

	if (v >= 100)
		snprintf(out, cap, "%.0f", v);
	else if (v >= 10)
		snprintf(out, cap, "%.1f", v);
	else if (v >= 1)
		snprintf(out, cap, "%.2f", v);
	else
		snprintf(out, cap, "%.3f", v);
}

static const char *mode_requested(const struct ping *p)
{
	if (p->o->mode == PING_RFC)
		return "RFC 862";
	if (p->o->mode == PING_PLUS)
		return "UDPEchoPlus";
	if (p->o->size < ECHOPLUS_MIN_LEN)
		return "RFC 862: too small for UDPEchoPlus";
	return "auto-detect";
}

static int family_v6(const struct ping *p)
{
	return p->target_peer.family == ECHO_FAMILY_IPV6;
}

void ping_report_header(const struct ping *p)
{
	if (p->o->json)
		return;
	printf("UDPECHO %s", p->o->host);
	if (strcmp(p->o->host, p->addr) != 0)
		printf(" (%s)", p->addr);
	printf(" port %u: %zu data bytes (%s)\n", p->target_peer.port, p->o->size,
	       mode_requested(p));
	fflush(stdout);
}

void ping_report_detected(const struct ping *p)
{
	if (p->o->mode == PING_PLUS && p->detected == PING_SEEN_RFC)
		fprintf(stderr,
			"%s ping: %s port %u is not a UDPEchoPlus responder: its replies are plain "
			"echoes (TestRespSN and the time stamps left zero)\n",
			PROG, p->addr, p->target_peer.port);
	if (p->o->json || p->o->quiet || p->o->mode == PING_RFC)
		return;
	if (p->detected == PING_SEEN_PLUS)
		printf("mode: UDPEchoPlus (TR-143): the server fills in TestRespSN and its time "
		       "stamps\n");
	else
		printf("mode: RFC 862: the replies are plain echoes\n");
	fflush(stdout);
}

static void text_reply(const struct ping *p, const struct ping_event *ev)
{
	char t[32];

	format_ms(t, sizeof(t), ev->rtt_ns);
	printf("%zu bytes from %s port %u: seq=%llu time=%s ms", ev->bytes, p->addr,
	       p->target_peer.port, (unsigned long long)ev->seq, t);
	if (ev->plus && ev->server_ok) {
		uint64_t server_ns = (uint64_t)ev->server_us * 1000u;
		char s[32], n[32];

		format_ms(s, sizeof(s), server_ns);
		format_ms(n, sizeof(n), ev->rtt_ns > server_ns ? ev->rtt_ns - server_ns : 0);
		printf(" server=%s ms net=%s ms", s, n);
	}
	if (ev->plus)
		printf(" resp_sn=%lu", (unsigned long)ev->resp_sn);
	if (ev->class == PINGSTAT_DUPLICATE)
		printf(" (DUP!)");
	else if (ev->class == PINGSTAT_OUT_OF_ORDER)
		printf(" (out of order)");
	if (ev->late)
		printf(" (late)");
	printf("\n");
}

static void text_error(const struct ping *p, const struct ping_event *ev)
{
	char seq[32] = "";

	if (ev->seq != UINT64_MAX)
		snprintf(seq, sizeof(seq), "seq=%llu ", (unsigned long long)ev->seq);
	if (ev->from[0] == '\0')
		printf("%ssend to %s port %u: %s\n", seq, p->addr, p->target_peer.port,
		       strerror(ev->error));
	else if (ev->error == ECONNREFUSED)
		printf("From %s: %sPort Unreachable (nothing listening on port %u)\n", ev->from,
		       seq, p->target_peer.port);
	else
		printf("From %s: %s%s\n", ev->from, seq, strerror(ev->error));
}

/* -D: "[1733540000.123456] ", the Unix time with microseconds, as ping -D prints it. */
static void timestamp(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("[%lld.%06ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

void ping_report_event(struct ping *p, const struct ping_event *ev)
{
	char w[32];

	if (p->o->json || p->o->quiet)
		return;
	if (p->o->timestamps)
		timestamp();
	switch (ev->kind) {
	case PING_EV_REPLY:
		text_reply(p, ev);
		break;
	case PING_EV_TIMEOUT:
		parse_format_seconds(w, sizeof(w), p->o->timeout_us);
		printf("no reply for seq=%llu within %s s\n", (unsigned long long)ev->seq, w);
		break;
	case PING_EV_ERROR:
		text_error(p, ev);
		break;
	case PING_EV_CORRUPT:
	default:
		printf("%zu bytes from %s port %u: ", ev->bytes, p->addr, p->target_peer.port);
		if (ev->seq != UINT64_MAX)
			printf("seq=%llu ", (unsigned long long)ev->seq);
		printf("corrupt: %s\n", ev->why);
		break;
	}
	fflush(stdout);
}

struct pct_text {
	char text[16];
};

/*
 * Loss as people read it: three significant digits (0, 50, 33.3, 0.25), but
 * never 0 or 100 unless it is exactly that: one reply in 100,000 is not
 * "100% loss".
 */
static struct pct_text pct(uint64_t lost_n, uint64_t of)
{
	struct pct_text t;
	double v = pingstat_loss_pct(lost_n, of);

	if (v > 0 && v < 0.01)
		snprintf(t.text, sizeof(t.text), "<0.01");
	else if (v > 99.9 && v < 100)
		snprintf(t.text, sizeof(t.text), ">99.9");
	else
		snprintf(t.text, sizeof(t.text), "%.3g", v);
	return t;
}

static uint64_t lost(const struct ping *p)
{
	return p->seqs->sent - p->seqs->received;
}

static unsigned long long elapsed_ms(const struct ping *p)
{
	return (unsigned long long)((p->end_ns - p->start_ns) / 1000000u);
}

/* "1 request", "2 requests": the summary reads as a sentence. */
static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void text_counts(const struct ping *p)
{
	const struct pingstat_seqs *s = p->seqs;

	printf("--- %s udp echo statistics ---\n", p->o->host);
	printf("%llu %s sent, %llu %s received", (unsigned long long)s->sent,
	       plural(s->sent, "request", "requests"), (unsigned long long)s->received,
	       plural(s->received, "reply", "replies"));
	if (s->duplicates)
		printf(", +%llu %s", (unsigned long long)s->duplicates,
		       plural(s->duplicates, "duplicate", "duplicates"));
	if (p->corrupt)
		printf(", %llu corrupt", (unsigned long long)p->corrupt);
	if (p->errors)
		printf(", +%llu %s", (unsigned long long)p->errors,
		       plural(p->errors, "error", "errors"));
	/* Not replies (the socket is unconnected); a server that answers from elsewhere. */
	if (p->foreign)
		printf(", %llu from another address", (unsigned long long)p->foreign);
	printf(", %s%% loss, time %llu ms\n", pct(lost(p), s->sent).text, elapsed_ms(p));
}

static void text_rtt(const struct ping *p)
{
	struct pingstat_summary r;

	pingstat_acc_summary(&p->rtt, &r);
	if (r.n == 0)
		return;
	printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", ms(r.min), ms(r.avg), ms(r.max),
	       ms(r.mdev));
}

/* "mdev 0.012 ms, range 0.050 ms" of one direction's one-way delay (samples in us). */
static void text_variation(const struct pingstat_owd *o)
{
	struct pingstat_summary v;

	pingstat_acc_summary(&o->acc, &v);
	printf("delay variation mdev %.3f ms, range %.3f ms", v.mdev / 1e3, (v.max - v.min) / 1e3);
}

static void text_plus(const struct ping *p)
{
	struct pingstat_dir_loss d;
	struct pingstat_summary srv;

	if (p->plus_replies == 0)
		return;
	pingstat_dir_loss(&p->dir, p->seqs->sent, &d);
	printf("UDPEchoPlus: the server answered %llu of our %llu %s seq=%llu..%llu\n",
	       (unsigned long long)d.answered, (unsigned long long)d.window,
	       plural(d.window, "request", "requests"), (unsigned long long)p->dir.gen_lo,
	       (unsigned long long)p->dir.gen_hi);
	printf("upstream (client->server): %llu lost (%s%%), ", (unsigned long long)d.up_lost,
	       pct(d.up_lost, d.window).text);
	text_variation(&p->up);
	printf("\ndownstream (server->client): %llu lost (%s%%), ", (unsigned long long)d.down_lost,
	       pct(d.down_lost, d.answered).text);
	text_variation(&p->down);
	printf("\n");
	if (d.unknown)
		printf("%llu lost before the first or after the last reply: direction unknown\n",
		       (unsigned long long)d.unknown);
	if (d.shared)
		printf("TestRespSN advanced by %llu over our %llu requests: other clients share "
		       "the server, upstream loss is a lower bound\n",
		       (unsigned long long)d.answered_raw, (unsigned long long)d.window);
	pingstat_acc_summary(&p->server, &srv);
	if (srv.n)
		printf("server time min/avg/max = %.3f/%.3f/%.3f ms\n", srv.min / 1e3,
		       srv.avg / 1e3, srv.max / 1e3);
}

static const char *mode_name(const struct ping *p)
{
	if (p->detected == PING_SEEN_PLUS)
		return "echoplus";
	if (p->detected == PING_SEEN_RFC || p->o->mode == PING_RFC || p->o->size < ECHOPLUS_MIN_LEN)
		return "rfc862";
	return "unknown";
}

static const char *requested_name(enum ping_mode mode)
{
	return mode == PING_PLUS ? "plus" : mode == PING_RFC ? "rfc" : "auto";
}

static void json_reply(struct jsonw *w, const struct ping_event *ev)
{
	jsonw_object(w, NULL);
	jsonw_uint(w, "seq", ev->seq);
	jsonw_uint(w, "bytes", ev->bytes);
	jsonw_double(w, "rtt_ms", ms((double)ev->rtt_ns), 3);
	jsonw_bool(w, "duplicate", ev->class == PINGSTAT_DUPLICATE);
	jsonw_bool(w, "out_of_order", ev->class == PINGSTAT_OUT_OF_ORDER);
	jsonw_bool(w, "late", ev->late);
	if (ev->plus) {
		jsonw_uint(w, "resp_sn", ev->resp_sn);
		if (ev->server_ok) {
			double server_ns = (double)ev->server_us * 1e3;
			double net = (double)ev->rtt_ns - server_ns;

			jsonw_double(w, "server_ms", ms(server_ns), 3);
			jsonw_double(w, "net_rtt_ms", ms(net > 0 ? net : 0), 3);
		}
	}
	jsonw_end_object(w);
}

static void json_other(struct jsonw *w, const struct ping_event *ev)
{
	jsonw_object(w, NULL);
	if (ev->seq == UINT64_MAX)
		jsonw_null(w, "seq");
	else
		jsonw_uint(w, "seq", ev->seq);
	if (ev->kind == PING_EV_ERROR) {
		jsonw_string(w, "from", ev->from);
		jsonw_int(w, "errno", ev->error);
		jsonw_string(w, "error",
			     ev->error == ECONNREFUSED ? "port unreachable" : strerror(ev->error));
	} else if (ev->kind == PING_EV_CORRUPT) {
		jsonw_uint(w, "bytes", ev->bytes);
		jsonw_string(w, "detail", ev->why);
	}
	jsonw_end_object(w);
}

static void json_events(struct jsonw *w, const struct ping *p, enum ping_event_kind kind,
			const char *name)
{
	jsonw_array(w, name);
	for (size_t i = 0; i < p->nevents; i++) {
		if (p->events[i].kind != kind)
			continue;
		if (kind == PING_EV_REPLY)
			json_reply(w, &p->events[i]);
		else
			json_other(w, &p->events[i]);
	}
	jsonw_end_array(w);
}

static void json_summary_of(struct jsonw *w, const char *name, const struct pingstat_summary *s,
			    double scale)
{
	if (s->n == 0) {
		jsonw_null(w, name);
		return;
	}
	jsonw_object(w, name);
	jsonw_double(w, "min", s->min / scale, 3);
	jsonw_double(w, "avg", s->avg / scale, 3);
	jsonw_double(w, "max", s->max / scale, 3);
	jsonw_double(w, "mdev", s->mdev / scale, 3);
	jsonw_end_object(w);
}

static void json_direction(struct jsonw *w, const char *name, uint64_t lost_n, uint64_t of,
			   const struct pingstat_owd *o)
{
	struct pingstat_summary v;

	pingstat_acc_summary(&o->acc, &v);
	jsonw_object(w, name);
	jsonw_uint(w, "lost", lost_n);
	jsonw_double(w, "loss_pct", pingstat_loss_pct(lost_n, of), 3);
	jsonw_object(w, "delay_variation_ms");
	jsonw_double(w, "mdev", v.mdev / 1e3, 3);
	jsonw_double(w, "range", (v.max - v.min) / 1e3, 3);
	jsonw_end_object(w);
	jsonw_end_object(w);
}

static void json_plus(struct jsonw *w, const struct ping *p)
{
	struct pingstat_dir_loss d;
	struct pingstat_summary srv;

	if (p->plus_replies == 0) {
		jsonw_null(w, "echoplus");
		return;
	}
	pingstat_dir_loss(&p->dir, p->seqs->sent, &d);
	pingstat_acc_summary(&p->server, &srv);
	jsonw_object(w, "echoplus");
	jsonw_uint(w, "replies", p->plus_replies);
	jsonw_uint(w, "window", d.window);
	jsonw_uint(w, "answered", d.answered);
	jsonw_uint(w, "answered_raw", d.answered_raw);
	jsonw_bool(w, "shared", d.shared);
	json_direction(w, "upstream", d.up_lost, d.window, &p->up);
	json_direction(w, "downstream", d.down_lost, d.answered, &p->down);
	jsonw_uint(w, "unknown_direction", d.unknown);
	json_summary_of(w, "server_ms", &srv, 1e3);
	jsonw_end_object(w);
}

static void json_counts(struct jsonw *w, const struct ping *p)
{
	const struct pingstat_seqs *s = p->seqs;
	struct pingstat_summary r;

	jsonw_object(w, "summary");
	jsonw_uint(w, "sent", s->sent);
	jsonw_uint(w, "received", s->received);
	jsonw_uint(w, "duplicates", s->duplicates);
	jsonw_uint(w, "corrupt", p->corrupt);
	jsonw_uint(w, "errors", p->errors);
	jsonw_uint(w, "timeouts", p->timeouts);
	jsonw_uint(w, "foreign", p->foreign);
	jsonw_double(w, "loss_pct", pingstat_loss_pct(lost(p), s->sent), 3);
	jsonw_uint(w, "time_ms", elapsed_ms(p));
	pingstat_acc_summary(&p->rtt, &r);
	json_summary_of(w, "rtt_ms", &r, 1e6);
	json_plus(w, p);
	jsonw_end_object(w);
}

static void json_report(const struct ping *p)
{
	char interval[32], timeout[32];
	struct jsonw w;

	parse_format_seconds(interval, sizeof(interval), p->o->interval_us);
	parse_format_seconds(timeout, sizeof(timeout), p->o->timeout_us);
	jsonw_init(&w, stdout);
	jsonw_object(&w, NULL);
	jsonw_string(&w, "tool", "udpecho");
	jsonw_string(&w, "command", "ping");
	jsonw_string(&w, "version", UDPECHO_VERSION);
	jsonw_target(&w, p->addr, p->target_peer.port, family_v6(p) ? "ipv6" : "ipv4");
	jsonw_string(&w, "mode", mode_name(p));
	jsonw_string(&w, "requested_mode", requested_name(p->o->mode));
	jsonw_uint(&w, "size", p->o->size);
	jsonw_raw(&w, "interval_s", interval);
	jsonw_raw(&w, "timeout_s", timeout);
	json_events(&w, p, PING_EV_REPLY, "replies");
	json_events(&w, p, PING_EV_TIMEOUT, "timeouts");
	json_events(&w, p, PING_EV_ERROR, "errors");
	json_events(&w, p, PING_EV_CORRUPT, "corrupt");
	json_counts(&w, p);
	jsonw_end_object(&w);
	putchar('\n');
}

/* Interim, on stderr: received/sent as ping(8) has it, loss counting requests still in flight. */
void ping_report_status(const struct ping *p)
{
	const struct pingstat_seqs *s = p->seqs;
	struct pingstat_summary r;

	pingstat_acc_summary(&p->rtt, &r);
	fprintf(stderr, "%llu/%llu packets, %s%% loss", (unsigned long long)s->received,
		(unsigned long long)s->sent, pct(lost(p), s->sent).text);
	if (r.n > 0)
		fprintf(stderr, ", min/avg/ewma/max = %.3f/%.3f/%.3f/%.3f ms", ms(r.min), ms(r.avg),
			ms(r.ewma), ms(r.max));
	fputc('\n', stderr);
}

void ping_report_summary(const struct ping *p)
{
	if (p->o->json) {
		json_report(p);
	} else {
		printf("\n");
		text_counts(p);
		text_rtt(p);
		text_plus(p);
	}
	fflush(stdout);
}
