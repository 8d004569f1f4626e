/*
 * transcript.h: the classic server's -v transcript, line for line, from
 * the events the serve loop reports (serve.h).
 */
#ifndef UDPECHO_SERVER_TRANSCRIPT_H
#define UDPECHO_SERVER_TRANSCRIPT_H

#include <stdio.h>

#include "udpecho/serve.h"

struct transcript {
	FILE *out;
	char *repr; /* one datagram's repr: used only with out's lock held */
};

/* Its buffer, allocated once.  0 or -ENOMEM. */
int transcript_init(struct transcript *t, FILE *out);
void transcript_free(struct transcript *t);

/* The first "waiting to receive message", before any datagram. */
void transcript_waiting(struct transcript *t);

/*
 * serve_config's on_event (ctx: the transcript).  A datagram's lines are
 * written under out's lock, taken at RECEIVED and released after DONE, so
 * the workers' datagrams never interleave.
 */
void transcript_event(const struct serve_event *event, void *ctx);

#endif
