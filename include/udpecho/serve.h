/*
 * serve.h: the server loop.  It owns the receive buffers and the syscalls;
 * every datagram goes through echo_decide() (handle_datagram() and the rate
 * limiter), which owns the decision.
 *
 * Fast path (without a transcript): recvmmsg in batches with UDP_GRO on, so
 * a run of same-size datagrams from one sender arrives as one buffer and a
 * segment size; each datagram of the run is decided on its own, and the
 * consecutive echoed ones go back with one UDP_SEGMENT (GSO) send.  Single
 * replies go out together with sendmmsg.  With a transcript, one datagram
 * at a time, exactly as the classic server prints it.
 */
#ifndef UDPECHO_SERVE_H
#define UDPECHO_SERVE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "udpecho/echo.h"
#include "udpecho/policy.h"

/* The most workers --threads and socket activation may start. */
#define SERVE_MAX_WORKERS 64

struct serve_counters {
	uint64_t received;                    /* datagrams read from the socket */
	uint64_t bytes_in;                    /* their payload bytes */
	uint64_t echoed;                      /* replies the kernel accepted */
	uint64_t bytes_out;                   /* their payload bytes */
	uint64_t dropped[ECHO_VERDICT_COUNT]; /* by echo_decide's reason */
	uint64_t truncated;                   /* larger than the receive buffer: never echoed */
	uint64_t send_errors;                 /* replies decided but refused by the kernel */
	uint64_t recv_errors;  /* receive calls that failed (ICMP reports among them) */
	uint64_t kernel_drops; /* datagrams the kernel dropped before we read them (full
				  receive buffer) for the socket's life; not in received */
};

struct ratelimit;
struct plusserve;

struct serve_config {
	const struct echo_policy *policy;
	struct ratelimit *limiter;     /* --rate-limit, or NULL */
	pthread_mutex_t *limiter_lock; /* held around the limiter when workers share it, or NULL */
	FILE *transcript;              /* the classic -v transcript, or NULL */
	unsigned loopback_ifindex;     /* to tell a spoofed loopback source; 0: unknown */
	struct plusserve *plus;        /* --echo-plus: stamp every reply, or NULL */
	/*
	 * Set by a signal handler (SIGHUP) to ask for the counters so far,
	 * or NULL: the loop clears it and calls on_report with the totals of
	 * every worker, summed as at the end, and serves on.  totals is NULL
	 * when a worker did not answer within 2 s (stuck writing its
	 * transcript).  Like *stop, let through only in waitmask.
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
 * stop (stuck writing its transcript to a reader that stopped reading, with
 * the stdout lock held): the workers still run, and only _exit is safe then.
 */
int serve_run_workers(const int *fds, size_t n, const struct serve_config *config,
		      struct serve_counters *counters, const volatile sig_atomic_t *stop,
		      const sigset_t *waitmask);

/* One line: "summary: received=3 bytes_in=84 echoed=3 ..." (no newline). */
void serve_format_summary(char *out, size_t cap, const struct serve_counters *counters);

/* received == echoed + every drop + truncated + send_errors. */
uint64_t serve_dropped_total(const struct serve_counters *counters);

#endif
