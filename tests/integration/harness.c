/*
 * harness.c: process and socket helpers for the integration tests.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *harness_server_bin;
const char *harness_client_bin;
const char *harness_golden_dir;
const char *harness_zoo_bin;
const char *harness_relay_bin;

/*
 * Every child not yet waited for.  A test that fails (cmocka jumps out of
 * it) leaves its servers running: they are killed when the test program
 * exits, however it exits (a normal exit: reap_children; a crash: each
 * child's PR_SET_PDEATHSIG).
 */
#define HARNESS_MAX_CHILDREN 256
static pid_t children[HARNESS_MAX_CHILDREN];
static size_t nchildren;

static void forget_child(pid_t pid)
{
	for (size_t i = 0; i < nchildren; i++) {
		if (children[i] == pid) {
			children[i] = children[--nchildren];
			return;
		}
	}
}

static void reap_children(void)
{
	for (size_t i = 0; i < nchildren; i++) {
		/* Only a child still ours and running: one a test reaped itself is gone. */
		if (waitpid(children[i], NULL, WNOHANG) != 0)
			continue;
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
		fprintf(stderr, "harness: pid %d was still running at exit, killed\n",
			(int)children[i]);
	}
	nchildren = 0;
}

int harness_init(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s SERVER_BIN CLIENT_BIN GOLDEN_DIR\n", argv[0]);
		return -1;
	}
	harness_server_bin = argv[1];
	harness_client_bin = argv[2];
	harness_golden_dir = argv[3];
	harness_zoo_bin = argc > 4 ? argv[4] : NULL;
	harness_relay_bin = argc > 5 ? argv[5] : NULL;
	/* A test must never die because a child closed a pipe. */
	signal(SIGPIPE, SIG_IGN);
	atexit(reap_children);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int temp_file(char *path, size_t cap, const char *tag)
{
	int fd;

	snprintf(path, cap, "/tmp/udpecho-test-%s-XXXXXX", tag);
	fd = mkstemp(path);
	return fd;
}

int proc_spawn(struct proc *p, const char *const *argv)
{
	return proc_spawn_with(p, argv, NULL, NULL);
}

int proc_spawn_with(struct proc *p, const char *const *argv, void (*setup)(void *ctx), void *ctx)
{
	pid_t parent;
	int out = temp_file(p->out_path, sizeof(p->out_path), "out");
	int err = temp_file(p->err_path, sizeof(p->err_path), "err");

	p->status = -1;
	if (out < 0 || err < 0)
		return -1;
	parent = getpid();
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		/* Dies with the test program, even one that crashed. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(127);

		dup2(devnull, 0);
		dup2(out, 1);
		dup2(err, 2);
		if (setup != NULL)
			setup(ctx);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (nchildren < HARNESS_MAX_CHILDREN)
		children[nchildren++] = p->pid;
	close(out);
	close(err);
	return 0;
}

int proc_wait(struct proc *p, int timeout_ms)
{
	int status;

	for (int waited = 0;; waited += 5) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid)
			break;
		if (r < 0 || waited >= timeout_ms) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			forget_child(p->pid);
			fprintf(stderr, "harness: pid %d did not exit within %d ms, killed\n",
				(int)p->pid, timeout_ms);
			return -1;
		}
		sleep_ms(5);
	}
	forget_child(p->pid);
	p->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (WIFSIGNALED(status))
		fprintf(stderr, "harness: pid %d died of signal %d\n", (int)p->pid,
			WTERMSIG(status));
	return p->status;
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *grown = realloc(buf, cap = (cap + 4096) * 2);

			if (grown == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		size_t got = fread(buf + n, 1, 4096, f);

		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

char *proc_stdout(const struct proc *p)
{
	return read_file(p->out_path, NULL);
}

char *proc_stderr(const struct proc *p)
{
	return read_file(p->err_path, NULL);
}

void proc_cleanup(struct proc *p)
{
	unlink(p->out_path);
	unlink(p->err_path);
}

int proc_run(struct proc *p, const char *const *argv, int timeout_ms)
{
	if (proc_spawn(p, argv) != 0)
		return -1;
	return proc_wait(p, timeout_ms);
}

int harness_startup_port(const char *out, uint16_t *port)
{
	const char *nl = strchr(out, '\n');
	const char *at = strstr(out, " port ");
	char *end;
	unsigned long v;

	if (nl == NULL || at == NULL || at > nl)
		return -1;
	v = strtoul(at + 6, &end, 10);
	if (end == at + 6 || *end != '\n' || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int server_start(struct server *s, const char *const *args)
{
	return server_start_bin(s, harness_server_bin, args);
}

int server_start_bin(struct server *s, const char *bin, const char *const *args)
{
	const char *argv[HARNESS_MAX_ARGS];
	int n = 0;

	argv[n++] = bin;
	while (*args != NULL && n < HARNESS_MAX_ARGS - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (proc_spawn(&s->proc, argv) != 0)
		return -1;
	for (int waited = 0; waited < HARNESS_WAIT_MS; waited += 5) {
		char *out = proc_stdout(&s->proc);
		int found = out != NULL && harness_startup_port(out, &s->port) == 0;

		free(out);
		if (found)
			return 0;
		if (waitpid(s->proc.pid, NULL, WNOHANG) == s->proc.pid) {
			s->proc.status = -1;
			return -1; /* exited before announcing itself */
		}
		sleep_ms(5);
	}
	kill(s->proc.pid, SIGKILL);
	waitpid(s->proc.pid, NULL, 0);
	return -1;
}

int server_stop(struct server *s, int sig)
{
	kill(s->proc.pid, sig);
	return proc_wait(&s->proc, HARNESS_WAIT_MS);
}

socklen_t udp_addr(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return 0;
		return sizeof(*sin6);
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return 0;
	return sizeof(*sin);
}

int udp_bound(const char *host, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = udp_addr(host, port, &ss);
	int fd;

	if (len == 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

ssize_t udp_recv(int fd, void *buf, size_t cap, struct sockaddr_storage *from, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	socklen_t fromlen = sizeof(*from);

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	return recvfrom(fd, buf, cap, MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr *)from, &fromlen);
}

uint16_t udp_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void udp_format(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, cap, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, cap, "%s:%u", host, ntohs(sin->sin_port));
	}
}

char *str_replace_all(const char *s, const char *from, const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to), count = 0;
	const char *p;
	char *out, *w;

	for (p = s; (p = strstr(p, from)) != NULL; p += flen)
		count++;
	out = malloc(strlen(s) + count * tlen + 1);
	if (out == NULL)
		return NULL;
	for (w = out, p = s;;) {
		const char *hit = strstr(p, from);

		if (hit == NULL)
			break;
		w = mempcpy(w, p, (size_t)(hit - p));
		w = mempcpy(w, to, tlen);
		p = hit + flen;
	}
	memcpy(w, p, strlen(p) + 1);
	return out;
}

int count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

unsigned long long summary_counter(const char *summary, const char *key)
{
	char pattern[40];
	const char *at;

	snprintf(pattern, sizeof(pattern), " %s=", key);
	at = strstr(summary, pattern);
	if (at == NULL) {
		fprintf(stderr, "no '%s' in the summary: %s\n", pattern, summary);
		abort();
	}
	return strtoull(at + strlen(pattern), NULL, 10);
}
