/*
 * pingstat.c: the statistics of `udpecho ping`.
 */
#include "udpecho/pingstat.h"

#include <string.h>

void pingstat_acc_init(struct pingstat_acc *a)
{
	memset(a, 0, sizeof(*a));
}

void pingstat_acc_add(struct pingstat_acc *a, int64_t value)
{
	double x = (double)value, delta;

	if (a->n == 0 || value < a->min)
		a->min = value;
	if (a->n == 0 || value > a->max)
		a->max = value;
	/* As iputils ping: rtt += triptime - rtt / 8 (kept 8 times as large), from the first. */
	a->ewma = a->n == 0 ? x : a->ewma + (x - a->ewma) / 8;
	a->n++;
	delta = x - a->mean;
	a->mean += delta / (double)a->n;
	a->m2 += delta * (x - a->mean);
}

/* Newton's iteration from above: decreases until it cannot; no libm needed. */
static double square_root(double v)
{
	double x = v > 1 ? v : 1;

	if (v <= 0)
		return 0;
	for (int i = 0; i < 200; i++) {
		double next = 0.5 * (x + v / x);

		if (next >= x)
			break;
		x = next;
	}
	return x;
}

void pingstat_acc_summary(const struct pingstat_acc *a, struct pingstat_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (a->n == 0)
		return;
	out->n = a->n;
	out->min = (double)a->min;
	out->max = (double)a->max;
	out->avg = a->mean;
	out->mdev = square_root(a->m2 / (double)a->n);
	out->ewma = a->ewma;
}

uint64_t pingstat_unwrap(uint64_t latest, uint32_t low, unsigned bits)
{
	uint64_t mask = bits >= 32 ? UINT32_MAX : (UINT64_C(1) << bits) - 1;
	uint64_t back = (latest - low) & mask;

	return back > latest ? UINT64_MAX : latest - back;
}

void pingstat_seqs_init(struct pingstat_seqs *s)
{
	memset(s, 0, sizeof(*s));
}

static size_t slot(uint64_t seq)
{
	return (size_t)(seq % PINGSTAT_WINDOW);
}

uint64_t pingstat_seqs_send(struct pingstat_seqs *s)
{
	uint64_t seq = s->sent++;

	s->answered[slot(seq) / 8] &= (uint8_t) ~(1u << (slot(seq) % 8));
	return seq;
}

static int in_window(const struct pingstat_seqs *s, uint64_t seq)
{
	return seq < s->sent && s->sent - seq <= PINGSTAT_WINDOW;
}

int pingstat_seqs_answered(const struct pingstat_seqs *s, uint64_t seq)
{
	return in_window(s, seq) && (s->answered[slot(seq) / 8] >> (slot(seq) % 8) & 1u);
}

enum pingstat_class pingstat_seqs_reply(struct pingstat_seqs *s, uint64_t seq)
{
	int late;

	if (!in_window(s, seq))
		return PINGSTAT_UNKNOWN;
	if (pingstat_seqs_answered(s, seq)) {
		s->duplicates++;
		return PINGSTAT_DUPLICATE;
	}
	s->answered[slot(seq) / 8] |= (uint8_t)(1u << (slot(seq) % 8));
	s->received++;
	late = seq + 1 < s->next_in_order;
	if (!late)
		s->next_in_order = seq + 1;
	return late ? PINGSTAT_OUT_OF_ORDER : PINGSTAT_NEW;
}

void pingstat_dir_init(struct pingstat_dir *d)
{
	memset(d, 0, sizeof(*d));
}

void pingstat_dir_add(struct pingstat_dir *d, uint64_t seq, uint32_t resp_sn)
{
	int64_t resp;

	if (d->replies == 0) {
		d->gen_lo = d->gen_hi = seq;
		d->resp_base = resp_sn;
	}
	resp = (int64_t)(int32_t)(resp_sn - d->resp_base);
	if (seq < d->gen_lo)
		d->gen_lo = seq;
	if (seq > d->gen_hi)
		d->gen_hi = seq;
	if (d->replies == 0 || resp < d->resp_lo)
		d->resp_lo = resp;
	if (d->replies == 0 || resp > d->resp_hi)
		d->resp_hi = resp;
	d->replies++;
}

void pingstat_dir_loss(const struct pingstat_dir *d, uint64_t sent, struct pingstat_dir_loss *out)
{
	memset(out, 0, sizeof(*out));
	if (d->replies == 0)
		return;
	out->window = d->gen_hi - d->gen_lo + 1;
	out->answered_raw = (uint64_t)(d->resp_hi - d->resp_lo) + 1;
	out->answered = out->answered_raw;
	if (out->answered > out->window) {
		out->answered = out->window;
		out->shared = 1;
	}
	if (out->answered < d->replies)
		out->answered = d->replies;
	/* A window wider than what was sent cannot happen; clamp rather than wrap. */
	if (out->window > sent)
		sent = out->window;
	if (out->answered > out->window)
		out->window = out->answered;
	out->up_lost = out->window - out->answered;
	out->down_lost = out->answered - d->replies;
	out->unknown = sent - out->window;
}

int pingstat_server_us(uint32_t recv_ts, uint32_t reply_ts, uint32_t *us)
{
	uint32_t diff = reply_ts - recv_ts;

	if (diff >= UINT32_C(0x80000000))
		return -1;
	*us = diff;
	return 0;
}

void pingstat_owd_init(struct pingstat_owd *o)
{
	memset(o, 0, sizeof(*o));
	pingstat_acc_init(&o->acc);
}

void pingstat_owd_add(struct pingstat_owd *o, uint32_t raw_us)
{
	if (!o->have_base) {
		o->base = raw_us;
		o->have_base = 1;
	}
	pingstat_acc_add(&o->acc, (int64_t)(int32_t)(raw_us - o->base));
}

uint32_t pingstat_owd_up(uint64_t client_send_us, uint32_t server_recv_ts)
{
	return server_recv_ts - (uint32_t)client_send_us;
}

uint32_t pingstat_owd_down(uint32_t server_reply_ts, uint64_t client_recv_us)
{
	return (uint32_t)client_recv_us - server_reply_ts;
}

double pingstat_loss_pct(uint64_t lost, uint64_t sent)
{
	return sent == 0 ? 0.0 : 100.0 * (double)lost / (double)sent;
}
