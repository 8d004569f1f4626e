/*
 * udpecho-server: parse, resolve, bind, announce, serve, summarise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "privilege.h"
#include "udpecho/addr.h"
#include "udpecho/net.h"
#include "udpecho/ratelimit.h"
#include "udpecho/serve.h"
#include "udpecho/version.h"

#define PROG "udpecho-server"
/* 16,384 sources (640 KiB): the rate-limit table never grows beyond this. */
#define SERVER_RATELIMIT_SLOTS 16384u

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * SIGINT/SIGTERM stay blocked except while the loop sleeps in ppoll(), so a
 * signal can neither be lost between a check and a sleep nor interrupt a
 * half-written transcript.  *waitmask is the mask to sleep with.
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
	if (sigprocmask(SIG_BLOCK, &block, waitmask) != 0)
		return -errno;
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -errno;
	/* A transcript reader that goes away must not kill the server: writes just fail. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -errno;
	return 0;
}

static int check_max_size(const struct server_opts *opts, const struct net_addr *addr)
{
	if (opts->max_size_given && opts->policy.max_size > net_family_max(addr)) {
		fprintf(stderr, "%s: --max-size %zu is larger than the IPv4 maximum of %zu bytes\n",
			PROG, opts->policy.max_size, net_family_max(addr));
		return -1;
	}
	return 0;
}

/*
 * Socket activation: the first socket systemd handed over (more are not
 * served yet), its address in *bound and its host text in name.  Returns the
 * fd, 0 when not activated, or -1 after printing why (a setup error).
 */
static int inherit_socket(const struct server_opts *opts, struct net_addr *bound, char *name,
			  size_t cap)
{
	struct echo_peer local;
	int count = 0;
	int fd = net_listen_fds(&count);

	if (fd < 0) {
		fprintf(stderr, "%s: socket activation: fd %d: %s\n", PROG, NET_LISTEN_FDS_START,
			strerror(-fd));
		return -1;
	}
	if (fd == 0)
		return 0;
	if (count > 1)
		fprintf(stderr, "%s: socket activation: serving the first of %d sockets only\n",
			PROG, count);
	if (net_local_addr(fd, bound) != 0 || check_max_size(opts, bound) != 0) {
		close(fd);
		return -1;
	}
	net_to_peer((const struct sockaddr *)&bound->ss, &local);
	addr_format_host(name, cap, &local);
	return fd;
}

/* Resolve and bind; returns the fd, or -1 after printing why (a setup error). */
static int open_socket(struct server_opts *opts, struct net_addr *bound)
{
	struct net_addr addr;
	const char *why = NULL;
	int fd;

	if (net_resolve(opts->bind, opts->port, NET_PREFER_V4, &addr, &why) != 0) {
		fprintf(stderr, "%s: --bind '%s': %s\n", PROG, opts->bind, why);
		return -1;
	}
	if (check_max_size(opts, &addr) != 0)
		return -1;
	fd = net_bind_server(&addr);
	if (fd < 0) {
		char where[ADDR_STR_MAX];

		net_format(where, sizeof(where), &addr);
		fprintf(stderr, "%s: bind %s: %s\n", PROG, where, strerror(-fd));
		return -1;
	}
	if (net_local_addr(fd, bound) != 0)
		*bound = addr;
	return fd;
}

/* What the host says about sources: its loopback interface and its subnet broadcasts. */
static void learn_host(struct server_opts *opts, struct serve_config *config)
{
	uint8_t broadcast[POLICY_MAX_BROADCAST][4];
	int n = net_broadcast_addresses(broadcast, POLICY_MAX_BROADCAST);

	for (int i = 0; i < n; i++)
		(void)policy_add_broadcast(&opts->policy, broadcast[i]);
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

static int serve(struct server_opts *opts)
{
	struct serve_config config = {&opts->policy, NULL, opts->verbose ? stdout : NULL, 0};
	struct serve_counters counters;
	struct ratelimit limiter;
	struct ratelimit_slot *slots = NULL;
	struct net_addr bound;
	struct echo_peer local;
	sigset_t waitmask;
	char summary[512], inherited[ADDR_STR_MAX];
	const char *name = opts->bind;
	int fd, rc;

	if (install_signals(&waitmask) != 0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	/* Activated by systemd: serve its socket; --bind and --port do not apply. */
	fd = inherit_socket(opts, &bound, inherited, sizeof(inherited));
	if (fd > 0)
		name = inherited;
	else if (fd == 0)
		fd = open_socket(opts, &bound);
	if (fd < 0)
		return 2;
	learn_host(opts, &config);
	if ((rc = make_limiter(opts, &limiter, &slots)) != 0) {
		fprintf(stderr, "%s: --rate-limit: %s\n", PROG, strerror(-rc));
		close(fd);
		return 1;
	}
	if (slots != NULL)
		config.limiter = &limiter;
	/* Bound (port 7 needs root); now give root up before touching any datagram. */
	if (opts->user != NULL && privilege_drop(opts->user, summary, sizeof(summary)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, summary);
		close(fd);
		free(slots);
		return 2;
	}
	net_to_peer((const struct sockaddr *)&bound.ss, &local);
	printf("starting up on %s port %u\n", name, local.port);
	fflush(stdout);
	memset(&counters, 0, sizeof(counters));
	rc = serve_run(fd, &config, &counters, &stop_requested, &waitmask);
	close(fd);
	free(slots);
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
