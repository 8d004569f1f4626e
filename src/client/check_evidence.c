/*
 * check_evidence.c: --evidence DIR.  For each check that failed or could
 * not be judged: DIR/ID.pcap, the datagrams it exchanged as the client
 * saw them, as packets a capture tool reads (built from the socket
 * addresses: no privilege to capture is needed); DIR/ID.txt, what was
 * expected and what came, in hex around the first difference, and a
 * `udpecho send` command that sends the request again.
 */
#include "check_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udpecho/pcap.h"

/* Hex shown around the first difference, before and after it. */
#define CONTEXT 32u
#define HEX_LINE 16u
/* Requests up to this size are reproduced with --hex; larger ones with --file. */
#define HEX_ARG_MAX 256u

static uint64_t wall_us(const struct run *r, uint64_t monotonic_us)
{
	return monotonic_us + r->wall_offset_us;
}

/* The client end of socket sock: the local address with its port. */
static struct echo_peer client_end(const struct run *r, uint16_t sock)
{
	struct echo_peer me = r->local;

	me.port = r->socks[sock].port;
	return me;
}

/* Every transmission and reply of the log, in the order of their times. */
static int write_packets(const struct run *r, const struct xlog *l, FILE *f, uint8_t *buf)
{
	size_t i = 0, j = 0;

	pcap_file_header(buf);
	fwrite(buf, 1, PCAP_FILE_HEADER_LEN, f);
	while (i < l->ntx || j < l->nrx) {
		int tx = j >= l->nrx || (i < l->ntx && l->tx_at[i] <= l->rx_at[j]);
		struct echo_peer me;
		size_t n;

		if (tx) {
			me = client_end(r, l->tx[i].client);
			n = pcap_udp_record(buf, PCAP_RECORD_MAX, wall_us(r, l->tx_at[i]), &me,
					    &r->target, l->tx[i].data, l->tx[i].len);
			i++;
		} else {
			me = client_end(r, l->rx[j].client);
			n = pcap_udp_record(buf, PCAP_RECORD_MAX, wall_us(r, l->rx_at[j]),
					    &l->rx_from[j], &me, l->rx[j].data, l->rx[j].len);
			j++;
		}
		if (n > 0)
			fwrite(buf, 1, n, f);
	}
	return ferror(f) ? -1 : 0;
}

static int write_pcap(const struct run *r, const struct xlog *l, const char *path)
{
	uint8_t *buf = malloc(PCAP_RECORD_MAX);
	FILE *f = fopen(path, "wb");
	int rc = -1;

	if (buf != NULL && f != NULL)
		rc = write_packets(r, l, f, buf);
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	free(buf);
	return rc;
}

/* One line of hex: 16 bytes from off, or blanks where the datagram has ended. */
static void hex_line(FILE *f, const uint8_t *data, size_t len, size_t off, size_t mark)
{
	for (size_t k = off; k < off + HEX_LINE; k++) {
		if (k < len)
			fprintf(f, "%c%02x", k == mark ? '[' : ' ', data[k]);
		else
			fputs("   ", f);
	}
}

/* Expected and received side by side, around the first byte where they part. */
static void hex_window(FILE *f, const struct verdict_tx *tx, const struct verdict_rx *rx, size_t at)
{
	size_t longer = tx->len > rx->len ? tx->len : rx->len;
	size_t from = at > CONTEXT ? (at - CONTEXT) / HEX_LINE * HEX_LINE : 0;
	size_t to = at + CONTEXT < longer ? at + CONTEXT : longer;

	fprintf(f,
		"first difference at byte %zu ([ marks it); offset, then expected over "
		"received:\n",
		at);
	for (size_t off = from; off < to || off == from; off += HEX_LINE) {
		fprintf(f, "%8zu  expected", off);
		hex_line(f, tx->data, tx->len, off, at);
		fprintf(f, "\n%8s  received", "");
		hex_line(f, rx->data, rx->len, off, at);
		fputc('\n', f);
	}
}

/* Where expected and received part, for each kind of reply. */
static size_t first_difference(const struct verdict_tally *t, const struct verdict_tx *tx)
{
	switch (t->worst.kind) {
	case VERDICT_ALTERED:
	case VERDICT_TRUNCATED:
		return t->worst.at;
	case VERDICT_EXTENDED:
		return tx->len;
	default:
		return 0;
	}
}

/* The command that sends request tx again; a large request is saved beside the report. */
static void reproduce(const struct run *r, FILE *f, const struct verdict_tx *tx,
		      const char *request_path)
{
	char host[ADDR_STR_MAX];
	FILE *req;

	addr_format_host(host, sizeof(host), &r->target);
	fprintf(f, "reproduce: udpecho send --host %s --port %u", host, r->target.port);
	if (tx->len <= HEX_ARG_MAX) {
		fputs(" --hex '", f);
		for (size_t k = 0; k < tx->len; k++)
			fprintf(f, "%02x", tx->data[k]);
		fputs("'\n", f);
		return;
	}
	req = fopen(request_path, "wb");
	if (req != NULL) {
		fwrite(tx->data, 1, tx->len, req);
		if (fclose(req) == 0) {
			fprintf(f, " --file '%s'\n", request_path);
			return;
		}
	}
	fprintf(f, " (the %zu-byte request could not be saved: %s)\n", tx->len, strerror(errno));
}

/* The first transmission of a request no reply answered, or ntx. */
static size_t first_unanswered(const struct xlog *l, const uint32_t *answers)
{
	for (size_t i = 0; i < l->ntx; i++) {
		int answered = 0;

		for (size_t k = 0; k < l->ntx; k++)
			answered |= l->tx[k].request == l->tx[i].request && answers[k] > 0;
		if (!answered)
			return i;
	}
	return l->ntx;
}

static void describe_exchange(const struct run *r, const struct check_result *res,
			      const struct xlog *l, FILE *f, const char *request_path)
{
	struct verdict_log log = {l->tx, l->ntx, l->rx, l->nrx, l->requests, l->ntx};
	uint32_t *answers = calloc(l->ntx > 0 ? l->ntx : 1, sizeof(*answers));
	struct verdict_tally t;
	size_t lost;

	if (answers == NULL)
		return;
	verdict_tally(&log, answers, &t);
	fprintf(f,
		"exchange: %u requests, %zu transmissions, %zu replies (%u exact), %u judged\n\n",
		l->requests, l->ntx, l->nrx, t.kinds[VERDICT_EXACT], t.judged);
	if (t.defect && t.worst.kind != VERDICT_FOREIGN) {
		const struct verdict_tx *tx = &l->tx[t.worst.tx];

		fprintf(f, "request %u (%zu bytes) came back as %zu bytes:\n", t.worst_request + 1,
			tx->len, t.worst_len);
		hex_window(f, tx, &l->rx[t.worst_rx], first_difference(&t, tx));
		reproduce(r, f, tx, request_path);
	} else if ((lost = first_unanswered(l, answers)) < l->ntx) {
		fprintf(f, "request %u (%zu bytes) got no reply%s\n", l->tx[lost].request + 1,
			l->tx[lost].len,
			res->status == CHECK_INCONCLUSIVE ? "" : ", though others did");
		reproduce(r, f, &l->tx[lost], request_path);
	} else if (t.defect) {
		fprintf(f, "a %zu-byte reply matched no request\n", t.worst_len);
	}
	free(answers);
}

static int write_text(const struct run *r, const struct report *rep, const struct check_result *res,
		      const struct xlog *l, const char *path, const char *request_path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "%s %s %s: %s\n", res->info->name, check_status_name(res->status),
		check_level_name(res->info->level), res->detail);
	fprintf(f, "target: %s port %u (%s)\n", rep->host, rep->port, rep->family);
	if (res->evidence[0] != '\0')
		fprintf(f, "evidence: {%s}\n", res->evidence);
	describe_exchange(r, res, l, f, request_path);
	return fclose(f) == 0 ? 0 : -1;
}

void run_write_evidence(struct run *r, const struct report *rep)
{
	const char *dir = r->cfg->evidence_dir;
	char path[4096], text[4096], request[4096];

	for (size_t i = 0; i < rep->count; i++) {
		const struct check_result *res = &rep->results[i];
		const struct xlog *l = &r->logs[res->info->id];
		const char *name = res->info->name;

		/* server.alive: the exchange of the check the server stopped answering in. */
		if (res->info->id == CHECK_SERVER_ALIVE) {
			const struct run_point *p = r->suspect.set ? &r->suspect : &r->last_answer;

			l = &r->logs[p->set ? p->check : CHECK_ECHOPLUS_FIELDS];
		}
		if ((res->status != CHECK_FAIL && res->status != CHECK_INCONCLUSIVE) || l->ntx == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
		snprintf(text, sizeof(text), "%s/%s.txt", dir, name);
		snprintf(request, sizeof(request), "%s/%s.request", dir, name);
		if (write_pcap(r, l, path) != 0 || write_text(r, rep, res, l, text, request) != 0)
			fprintf(stderr, "udpecho: --evidence: %s: %s\n", name, strerror(errno));
	}
}
