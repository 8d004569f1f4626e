/*
 * transcript.c: "received N bytes from ('127.0.0.1', 50000)", the bytes'
 * repr, "sent N bytes back to ...", as the classic Python server prints.
 */
#include "transcript.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "udpecho/addr.h"
#include "udpecho/echo.h"
#include "udpecho/repr.h"

/* The largest datagram the loop can report: its receive buffer. */
#define TRANSCRIPT_MAX_DATAGRAM 65536u

int transcript_init(struct transcript *t, FILE *out)
{
	t->out = out;
	t->repr = malloc(REPR_MAX_LEN(TRANSCRIPT_MAX_DATAGRAM) + 1);
	return t->repr != NULL ? 0 : -ENOMEM;
}

void transcript_free(struct transcript *t)
{
	free(t->repr);
	t->repr = NULL;
}

void transcript_waiting(struct transcript *t)
{
	fputs("\nwaiting to receive message\n", t->out);
	fflush(t->out);
}

void transcript_event(const struct serve_event *event, void *ctx)
{
	struct transcript *t = ctx;
	char who[ADDR_STR_MAX];

	addr_format_python(who, sizeof(who), event->peer);
	if (event->kind == SERVE_EVENT_RECEIVED) {
		flockfile(t->out);
		repr_bytes(t->repr, REPR_MAX_LEN(TRANSCRIPT_MAX_DATAGRAM) + 1, event->data,
			   event->captured);
		fprintf(t->out, "received %zu bytes from %s\n%s\n", event->len, who, t->repr);
		return;
	}
	if (event->verdict == ECHO_VERDICT_COUNT)
		fputs("dropped: truncated\n", t->out);
	else if (event->verdict != ECHO_VERDICT_ECHO)
		fprintf(t->out, "dropped: %s\n", echo_verdict_name(event->verdict));
	else if (event->send_rc != 0)
		fprintf(t->out, "send to %s failed: %s\n", who, strerror(-event->send_rc));
	else
		fprintf(t->out, "sent %zu bytes back to %s\n", event->len, who);
	fputs("\nwaiting to receive message\n", t->out);
	fflush(t->out);
	funlockfile(t->out);
}
