/*
 * udpecho-server: parse, resolve, bind, announce, serve, summarise.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "privilege.h"
#include "transcript.h"
#include "udpecho/addr.h"
#include "udpecho/net.h"
#include "udpecho/plusserve.h"
#include "udpecho/policy.h"
#include "udpecho/ratelimit.h"
#include "udpecho/serve.h"
#include "udpecho/version.h"

#define PROG "udpecho-server"
/* 16,384 sources (640 KiB): the rate-limit table never grows beyond this. */
#define SERVER_RATELIMIT_SLOTS 16384u

static volatile sig_atomic_t stop_requested, report_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_report(int sig)
{
	(void)sig;
	report_requested = 1;
}

/*
 * SIGINT/SIGTERM (stop) and SIGHUP (report) stay blocked except while the
 * loop sleeps in ppoll(), so a signal can neither be lost between a check
 * and a sleep nor interrupt a half-written transcript.  *waitmask is the
 * mask to sleep with.
 */
static int install_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &block, waitmask) != 0)
		return -errno;
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGHUP);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -errno;
	sa.sa_handler = on_report;
	if (sigaction(SIGHUP, &sa, NULL) != 0)
		return -errno;
	/* A transcript reader that goes away must not kill the server: writes just fail. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -errno;
	/* Nor a wake signal while no worker runs (before the first starts, after the last ends). */
	if (sigaction(SERVE_WAKE_SIGNAL, &sa, NULL) != 0)
		return -errno;
	return 0;
}

static int check_max_size(const struct server_opts *opts, const struct net_addr *addr)
{
	if (opts->max_size_given && opts->policy.max_size > net_family_max(addr)) {
		fprintf(stderr, "%s: --max-size %zu is larger than the %s maximum of %zu bytes\n",
			PROG, opts->policy.max_size, net_family_name(addr), net_family_max(addr));
		return -1;
	}
	return 0;
}

/* The sockets served, one worker each, and the text each startup line names. */
struct sockets {
	int fds[SERVE_MAX_WORKERS];
	const char *names[SERVE_MAX_WORKERS]; /* --bind as given, or formatted[i] */
	char formatted[SERVE_MAX_WORKERS][ADDR_STR_MAX];
	uint16_t ports[SERVE_MAX_WORKERS];
	size_t n;     /* sockets open */
	size_t lines; /* startup lines: one per inherited socket, one for --threads */
};

static void close_sockets(struct sockets *sk)
{
	for (size_t i = 0; i < sk->n; i++)
		close(sk->fds[i]);
	sk->n = 0;
}

/* Takes fd into sk with its bound address's port; name is the startup line's host text. */
static void add_socket(struct sockets *sk, int fd, const struct net_addr *bound, const char *name)
{
	struct echo_peer local;

	net_to_peer((const struct sockaddr *)&bound->ss, &local);
	sk->fds[sk->n] = fd;
	sk->ports[sk->n] = local.port;
	sk->names[sk->n] = name;
	sk->n++;
}

/*
 * Socket activation: every socket systemd handed over, one worker each.
 * Returns how many (0 when not activated), or -1 after printing why (a setup
 * error).
 */
static int inherit_sockets(const struct server_opts *opts, struct sockets *sk)
{
	int count = 0, bad = NET_LISTEN_FDS_START;
	int rc = net_listen_fds(&count, &bad);

	if (rc < 0) {
		fprintf(stderr, "%s: socket activation: fd %d: %s\n", PROG, bad, strerror(-rc));
		return -1;
	}
	if (count > SERVE_MAX_WORKERS) {
		fprintf(stderr, "%s: socket activation: %d sockets, at most %d are served\n", PROG,
			count, SERVE_MAX_WORKERS);
		return -1;
	}
	if (count > 0 && opts->threads > 1)
		fprintf(stderr,
			"%s: socket activation: one worker per inherited socket (%d), "
			"--threads is ignored\n",
			PROG, count);
	for (int i = 0; i < count; i++) {
		struct net_addr bound;
		struct echo_peer local;
		char *name = sk->formatted[sk->n];
		int fd = NET_LISTEN_FDS_START + i;

		if (net_local_addr(fd, &bound) != 0 || check_max_size(opts, &bound) != 0) {
			close_sockets(sk);
			return -1;
		}
		net_to_peer((const struct sockaddr *)&bound.ss, &local);
		if (local.port == 0) {
			/* Unbound: it would serve a port nobody can name. */
			fprintf(stderr, "%s: socket activation: fd %d: not bound to a port\n", PROG,
				fd);
			close_sockets(sk);
			return -1;
		}
		addr_format_host(name, sizeof(sk->formatted[0]), &local);
		add_socket(sk, fd, &bound, name);
	}
	sk->lines = sk->n;
	return count;
}

/*
 * Binds --threads sockets to the resolved address.  The first binds alone, so
 * a port another server holds, shared or not, is refused as in use; the
 * others join it through SO_REUSEPORT.
 */
static int bind_sockets(const struct server_opts *opts, struct net_addr *addr, struct sockets *sk)
{
	for (unsigned i = 0; i < opts->threads; i++) {
		struct net_addr bound;
		int fd;

		if (opts->threads == 1)
			fd = net_bind_server(addr);
		else if (i == 0)
			fd = net_bind_server_first(addr);
		else
			fd = net_bind_server_shared(addr);
		if (fd < 0) {
			char where[ADDR_STR_MAX];

			net_format(where, sizeof(where), addr);
			fprintf(stderr, "%s: bind %s: %s\n", PROG, where, strerror(-fd));
			close_sockets(sk);
			return -1;
		}
		if (net_local_addr(fd, &bound) != 0)
			bound = *addr;
		/* --port 0: the others join the port the first one got. */
		*addr = bound;
		add_socket(sk, fd, &bound, opts->bind);
	}
	sk->lines = 1;
	return 0;
}

/* Resolve and bind; returns 0, or -1 after printing why (a setup error). */
static int open_sockets(const struct server_opts *opts, struct sockets *sk)
{
	struct net_addr addr;
	struct echo_peer local;
	const char *why = NULL;

	if (net_resolve(opts->bind, opts->port, NET_PREFER_V4, &addr, &why) != 0) {
		fprintf(stderr, "%s: --bind '%s': %s\n", PROG, opts->bind, why);
		return -1;
	}
	if (check_max_size(opts, &addr) != 0)
		return -1;
	net_to_peer((const struct sockaddr *)&addr.ss, &local);
	if (policy_group_address(&local)) {
		fprintf(stderr,
			"%s: --bind '%s': a multicast or broadcast address; an echo server answers "
			"unicast requests only\n",
			PROG, opts->bind);
		return -1;
	}
	return bind_sockets(opts, &addr, sk);
}

/* --rcvbuf on every socket; says once when the kernel granted less than asked. */
static int size_buffers(const struct server_opts *opts, const struct sockets *sk)
{
	size_t granted = 0;

	if (opts->rcvbuf == 0)
		return 0;
	for (size_t i = 0; i < sk->n; i++) {
		int rc = net_set_rcvbuf(sk->fds[i], opts->rcvbuf, &granted);

		if (rc != 0) {
			fprintf(stderr, "%s: --rcvbuf %zu: %s\n", PROG, opts->rcvbuf,
				strerror(-rc));
			return -1;
		}
	}
	if (granted < opts->rcvbuf)
		fprintf(stderr,
			"%s: --rcvbuf %zu: the kernel granted %zu bytes (net.core.rmem_max; "
			"root can go past it)\n",
			PROG, opts->rcvbuf, granted);
	return 0;
}

/*
 * What the host says about sources: its loopback interface and its subnet
 * broadcasts.  And the server's own ports: a request from one comes from
 * another echo server on the same port, or is forged to look so, and
 * answering would start an echo that never ends (between two servers with
 * the default port, or a server and itself).
 */
static void learn_host(struct server_opts *opts, const struct sockets *sk,
		       struct serve_config *config)
{
	uint8_t broadcast[POLICY_MAX_BROADCAST][4];
	int n = net_broadcast_addresses(broadcast, POLICY_MAX_BROADCAST);

	for (int i = 0; i < n; i++)
		(void)policy_add_broadcast(&opts->policy, broadcast[i]);
	for (size_t i = 0; i < sk->n; i++)
		policy_deny_port(&opts->policy, sk->ports[i]);
	config->loopback_ifindex = net_loopback_ifindex();
}

/* The --rate-limit table, in fixed memory allocated once; its hash keyed at random. */
static int make_limiter(const struct server_opts *opts, struct ratelimit *rl,
			struct ratelimit_slot **slots)
{
	uint64_t seed;

	if (opts->rate_pps == 0)
		return 0;
	*slots = calloc(SERVER_RATELIMIT_SLOTS, sizeof(**slots));
	if (*slots == NULL)
		return -ENOMEM;
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	return ratelimit_init(rl, *slots, SERVER_RATELIMIT_SLOTS, opts->rate_pps, opts->rate_burst,
			      seed);
}

/* Shared by the workers when there are several; --rate-limit is per process. */
static pthread_mutex_t limiter_lock = PTHREAD_MUTEX_INITIALIZER;

/* Startup lines, then the workers until a signal; returns serve_run's result. */
static int run(const struct sockets *sk, struct serve_config *config, const sigset_t *waitmask,
	       struct serve_counters *counters)
{
	for (size_t i = 0; i < sk->lines; i++)
		printf("starting up on %s port %u\n", sk->names[i], sk->ports[i]);
	fflush(stdout);
	if (config->on_event != NULL)
		transcript_waiting(config->event_ctx);
	memset(counters, 0, sizeof(*counters));
	if (sk->n == 1)
		return serve_run(sk->fds[0], config, counters, &stop_requested, waitmask);
	if (config->limiter != NULL)
		config->limiter_lock = &limiter_lock;
	return serve_run_workers(sk->fds, sk->n, config, counters, &stop_requested, waitmask);
}

/*
 * A worker is stuck writing the transcript to a reader that stopped
 * reading, holding stdout's lock: exit() would flush stdout and wait with
 * it.  Say so on stderr if it can take the line now (it may be the same
 * pipe), and leave.
 */
static _Noreturn void abandon_stdout(void)
{
	static const char line[] = PROG ": stopped, but the transcript's reader stopped "
					"reading: exiting without the summary\n";
	struct pollfd err = {.fd = 2, .events = POLLOUT};

	if (poll(&err, 1, 0) == 1 && (err.revents & POLLOUT))
		(void)!write(2, line, sizeof(line) - 1);
	_exit(1);
}

/*
 * SIGHUP: the summary line a stop prints, now, and serving goes on.  With
 * no totals a worker holds stdout, stuck writing its transcript: say so on
 * stderr if it can take the line now (it may be the same pipe).
 */
static void print_summary(const struct serve_counters *totals, void *ctx)
{
	static const char stuck[] = PROG ": SIGHUP: no summary: a worker is stuck writing its "
					 "transcript (its reader stopped reading)\n";
	struct pollfd err = {.fd = 2, .events = POLLOUT};
	char summary[512];

	(void)ctx;
	if (totals == NULL) {
		if (poll(&err, 1, 0) == 1 && (err.revents & POLLOUT))
			(void)!write(2, stuck, sizeof(stuck) - 1);
		return;
	}
	serve_format_summary(summary, sizeof(summary), totals);
	printf("%s\n", summary);
	fflush(stdout);
}

static int serve(struct server_opts *opts)
{
	struct serve_config config = {
		.policy = &opts->policy, .report = &report_requested, .on_report = print_summary};
	struct serve_counters counters;
	struct ratelimit limiter;
	struct ratelimit_slot *slots = NULL;
	struct plusserve plus;
	struct transcript transcript;
	struct sockets sk;
	sigset_t waitmask;
	char summary[512];
	int rc;

	if (install_signals(&waitmask) != 0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	memset(&sk, 0, sizeof(sk));
	/* Activated by systemd: serve its sockets; --bind, --port and --threads do not apply. */
	rc = inherit_sockets(opts, &sk);
	if (rc == 0)
		rc = open_sockets(opts, &sk);
	if (rc < 0)
		return 2;
	if (size_buffers(opts, &sk) != 0) {
		close_sockets(&sk);
		return 2;
	}
	learn_host(opts, &sk, &config);
	if ((rc = make_limiter(opts, &limiter, &slots)) != 0) {
		fprintf(stderr, "%s: --rate-limit: %s\n", PROG, strerror(-rc));
		close_sockets(&sk);
		return 1;
	}
	if (slots != NULL)
		config.limiter = &limiter;
	/* Bound (port 7 needs root); now give root up before touching any datagram. */
	if (opts->user != NULL && privilege_drop(opts->user, summary, sizeof(summary)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, summary);
		close_sockets(&sk);
		free(slots);
		return 2;
	}
	if (opts->echo_plus) {
		plusserve_init(&plus); /* the service starts now: the time stamps' origin */
		config.plus = &plus;
	}
	if (opts->verbose) {
		if (transcript_init(&transcript, stdout) != 0) {
			fprintf(stderr, "%s: %s\n", PROG, strerror(ENOMEM));
			close_sockets(&sk);
			free(slots);
			return 1;
		}
		config.on_event = transcript_event;
		config.event_ctx = &transcript;
	}
	rc = run(&sk, &config, &waitmask, &counters);
	if (rc == -ETIMEDOUT)
		abandon_stdout();
	close_sockets(&sk);
	free(slots);
	if (opts->verbose)
		transcript_free(&transcript);
	serve_format_summary(summary, sizeof(summary), &counters);
	printf("%s\n", summary);
	fflush(stdout);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", PROG, strerror(-rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct server_opts opts;
	char err[256];

	if (server_parse_args(argc, argv, &opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s (try --help)\n", PROG, err);
		return 2;
	}
	switch (opts.action) {
	case SERVER_HELP:
		fputs(server_usage, stdout);
		return 0;
	case SERVER_VERSION:
		printf("%s %s\n", PROG, UDPECHO_VERSION);
		return 0;
	case SERVER_RUN:
	default:
		return serve(&opts);
	}
}
