/*
 * builtin.c: the built-in server that `udpecho check` and `udpecho fuzz`
 * run when given no host: udpecho-server's own serve loop, default policy,
 * in a child process on an ephemeral loopback port.
 */
#include "builtin.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "udpecho/policy.h"
#include "udpecho/serve.h"

static volatile sig_atomic_t stop_requested;

static void on_builtin_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The child side: the same serve loop udpecho-server runs. */
static void serve_builtin(int fd)
{
	static struct echo_policy policy;
	struct serve_config config = {.policy = &policy};
	struct serve_counters counters;
	struct sigaction sa;
	sigset_t block, waitmask;

	/* Never outlive the check that started it, however it ends. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	policy_init(&policy);
	config.loopback_ifindex = net_loopback_ifindex();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_builtin_stop;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigaction(SIGTERM, &sa, NULL);
	memset(&counters, 0, sizeof(counters));
	_exit(serve_run(fd, &config, &counters, &stop_requested, &waitmask) == 0 ? 0 : 1);
}

/* Binds the built-in server on an ephemeral loopback port and forks it. */
int builtin_start(enum net_family_pref family, struct net_addr *target, pid_t *pid)
{
	const char *why = NULL;
	int fd;

	if (net_resolve(family == NET_ONLY_V6 ? "::1" : "127.0.0.1", 0, family, target, &why) != 0)
		return -EINVAL;
	fd = net_bind_server(target);
	if (fd < 0)
		return fd;
	if (net_local_addr(fd, target) != 0 || (*pid = fork()) < 0) {
		close(fd);
		return -errno;
	}
	if (*pid == 0)
		serve_builtin(fd);
	close(fd);
	return 0;
}

void builtin_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}
