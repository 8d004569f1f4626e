/*
 * serve.h: the server loop.  It owns the receive buffers and the syscalls;
 * every decision is the core's: batch.h's planner decides each datagram
 * (echo.h's rules and the rate limiter), counts it, and plans the replies;
 * the loop turns the plan into system calls.
 *
 * Fast path: recvmmsg in batches with UDP_GRO on, so a run of same-size
 * datagrams from one sender arrives as one buffer and a segment size; the
 * replies to one peer go back as UDP_SEGMENT (GSO) messages, together in
 * one sendmmsg.  With an event callback (the -v transcript), one datagram
 * at a time, each reported before it is decided and after its reply.
 */
#ifndef UDPECHO_SERVE_H
#define UDPECHO_SERVE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "udpecho/counters.h"
#include "udpecho/echo.h"
#include "udpecho/policy.h"

/* The most workers --threads and socket activation may start. */
#define SERVE_MAX_WORKERS 64

/* What the loop reports of one datagram when it serves them one at a time. */
enum serve_event_kind {
	SERVE_EVENT_RECEIVED, /* before it is decided: its bytes as they came */
	SERVE_EVENT_DONE,     /* after: its verdict, and its reply's fate */
};

struct serve_event {
	enum serve_event_kind kind;
	const struct echo_peer *peer;
	const uint8_t *data;       /* RECEIVED: the bytes received, captured of them */
	size_t len;                /* the datagram's length */
	size_t captured;           /* bytes of it received: fewer than len when truncated */
	enum echo_verdict verdict; /* DONE: ECHO_VERDICT_COUNT when truncated */
	int send_rc;               /* DONE, echoed: 0, or the reply's -errno */
};

struct ratelimit;
struct plusserve;

struct serve_config {
	const struct echo_policy *policy;
	struct ratelimit *limiter;     /* --rate-limit, or NULL */
	pthread_mutex_t *limiter_lock; /* held around the limiter when workers share it, or NULL */
	/*
	 * Called for every datagram, one at a time, on the worker's thread
	 * with the wake signal held off (a stop waits for the call), or NULL
	 * for the batched path.  The -v transcript.
	 */
	void (*on_event)(const struct serve_event *event, void *ctx);
	void *event_ctx;
	unsigned loopback_ifindex; /* to tell a spoofed loopback source; 0: unknown */
	struct plusserve *plus;    /* --echo-plus: stamp every reply, or NULL */
	/*
	 * Set by a signal handler (SIGHUP) to ask for the counters so far,
	 * or NULL: the loop clears it and calls on_report with the totals of
	 * every worker, summed as at the end, and serves on.  totals is NULL
	 * when a worker did not answer within 2 s (stuck in on_event).  Like *stop, let through
	 * only in waitmask.
	 */
	volatile sig_atomic_t *report;
	void (*on_report)(const struct serve_counters *totals, void *ctx);
	void *report_ctx;
};

/*
 * The signal that interrupts a worker's receive to stop it.  Its default
 * action ends the process: a program that runs the workers ignores it from
 * its start (before it announces itself), so that one sent while no worker
 * runs does no harm; serve_run_workers puts back what it found.
 */
#define SERVE_WAKE_SIGNAL SIGRTMIN

/*
 * Serve fd until *stop becomes non-zero: serve_run_workers with one worker.
 * Returns 0 on a requested stop, -errno on a fatal error.
 */
int serve_run(int fd, const struct serve_config *config, struct serve_counters *counters,
	      const volatile sig_atomic_t *stop, const sigset_t *waitmask);

/*
 * Serve n sockets (1..SERVE_MAX_WORKERS) with one thread each until *stop
 * becomes non-zero or a worker fails.  The calling thread sleeps in ppoll
 * with waitmask: the signals that set *stop are expected to be blocked by
 * the caller and let through only there, so a stop request is never lost
 * between a check and a sleep.  Then it stops every worker, interrupting
 * its receive with SERVE_WAKE_SIGNAL (a do-nothing handler is installed
 * for the call's duration), and joins it.  The sockets are made blocking.  The
 * workers' counters are summed into *counters.  Returns 0 or the first
 * worker's -errno; -ETIMEDOUT when a worker did not end within 2 s of the
 * stop (stuck in on_event: writing a transcript to a reader that stopped
 * reading): the workers still run, and only _exit is safe then.
 */
int serve_run_workers(const int *fds, size_t n, const struct serve_config *config,
		      struct serve_counters *counters, const volatile sig_atomic_t *stop,
		      const sigset_t *waitmask);

#endif
