/*
 * udpecho-server: parse, resolve, bind, announce, serve, summarise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "privilege.h"
#include "udpecho/addr.h"
#include "udpecho/net.h"
#include "udpecho/serve.h"
#include "udpecho/version.h"

#define PROG "udpecho-server"

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
	if (opts->max_size_given && opts->policy.max_size > net_family_max(&addr)) {
		fprintf(stderr, "%s: --max-size %zu is larger than the IPv4 maximum of %zu bytes\n",
			PROG, opts->policy.max_size, net_family_max(&addr));
		return -1;
	}
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

static int serve(struct server_opts *opts)
{
	struct serve_config config = {&opts->policy, opts->verbose ? stdout : NULL};
	struct serve_counters counters;
	struct net_addr bound;
	struct echo_peer local;
	sigset_t waitmask;
	char summary[512];
	int fd, rc;

	if (install_signals(&waitmask) != 0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	fd = open_socket(opts, &bound);
	if (fd < 0)
		return 2;
	/* Bound (port 7 needs root); now give root up before touching any datagram. */
	if (opts->user != NULL && privilege_drop(opts->user, summary, sizeof(summary)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, summary);
		close(fd);
		return 2;
	}
	net_to_peer((const struct sockaddr *)&bound.ss, &local);
	printf("starting up on %s port %u\n", opts->bind, local.port);
	fflush(stdout);
	memset(&counters, 0, sizeof(counters));
	rc = serve_run(fd, &config, &counters, &stop_requested, &waitmask);
	close(fd);
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
