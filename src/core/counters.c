/*
 * counters.c: summing and printing the server's counters.
 */
#include "udpecho/counters.h"

#include <inttypes.h>
#include <stdio.h>

void serve_counters_add(struct serve_counters *total, const struct serve_counters *c)
{
	total->received += c->received;
	total->bytes_in += c->bytes_in;
	total->echoed += c->echoed;
	total->bytes_out += c->bytes_out;
	for (int v = 0; v < ECHO_VERDICT_COUNT; v++)
		total->dropped[v] += c->dropped[v];
	total->truncated += c->truncated;
	total->send_errors += c->send_errors;
	total->recv_errors += c->recv_errors;
	total->kernel_drops += c->kernel_drops;
}

uint64_t serve_dropped_total(const struct serve_counters *counters)
{
	uint64_t total = counters->truncated + counters->send_errors;

	for (int v = ECHO_VERDICT_ECHO + 1; v < ECHO_VERDICT_COUNT; v++)
		total += counters->dropped[v];
	return total;
}

void serve_format_summary(char *out, size_t cap, const struct serve_counters *counters)
{
	const struct serve_counters *ct = counters;
	size_t n = (size_t)snprintf(out, cap,
				    "summary: received=%" PRIu64 " bytes_in=%" PRIu64
				    " echoed=%" PRIu64 " bytes_out=%" PRIu64 " dropped=%" PRIu64,
				    ct->received, ct->bytes_in, ct->echoed, ct->bytes_out,
				    serve_dropped_total(ct));

	for (int v = ECHO_VERDICT_ECHO + 1; v < ECHO_VERDICT_COUNT && n < cap; v++)
		n += (size_t)snprintf(out + n, cap - n, " %s=%" PRIu64,
				      echo_verdict_name((enum echo_verdict)v), ct->dropped[v]);
	if (n < cap)
		snprintf(out + n, cap - n,
			 " truncated=%" PRIu64 " send_errors=%" PRIu64 " recv_errors=%" PRIu64
			 " kernel_drops=%" PRIu64,
			 ct->truncated, ct->send_errors, ct->recv_errors, ct->kernel_drops);
}
