/*
 * fuzz.c: `udpecho fuzz`, the I/O around livefuzz.h: client sockets,
 * rounds sent and read, the liveness probe, the server started and
 * restarted with --exec, findings minimised and written to --out, and
 * --replay.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "jsonw.h"
#include "report.h"
#include "udpecho/addr.h"
#include "udpecho/cli.h"
#include "udpecho/livefuzz.h"
#include "udpecho/parse.h"
#include "udpecho/version.h"

#define PROG "udpecho"
#define FUZZ_BUF 65536u
/* Replies kept per round: every datagram twice, and then some. */
#define FUZZ_REPLIES (2 * LIVEFUZZ_ROUND_MAX + 8)
/*
 * How long a round waits for its last reply at least, and at most however
 * slow the rounds before were (livefuzz_rtt_wait); the probe's tries
 * together wait FUZZ_PROBE_US, each at least a round's wait.
 */
#define FUZZ_WAIT_US 250000u
#define FUZZ_WAIT_FIRST_US 1000000u /* before any reply: nothing is known of the path */
#define FUZZ_WAIT_MAX_US 10000000u
#define FUZZ_PROBE_US 500000u
#define FUZZ_PROBE_TRIES 3
/*
 * The main loop's rounds end as soon as every datagram is answered: a
 * duplicate that comes after that is found at the start of the next round
 * (strays()).  A round that reproduces a finding, or a replay, listens this
 * much longer for one.
 */
#define FUZZ_LINGER_US 20000u
#define FUZZ_SPIN_US 1000u
/*
 * Without --exec, a round not answered after twice the usual time (at
 * least this) pokes the server: a known-good request from the probe
 * socket, whose ICMP port unreachable says at once that it is gone.
 */
#define FUZZ_POKE_US 20000u
/* How long a started server may take to bind its port (or answer a probe). */
#define FUZZ_START_US 5000000u
/* A started server whose port this namespace never shows this long is probed instead. */
#define FUZZ_BLIND_US 1000000u
#define FUZZ_MINIMISE_BUDGET 400u
/*
 * Rounds whose datagrams are kept: a copy of one of them that comes back
 * during a later round is a late duplicate, not a foreign reply.
 */
#define FUZZ_HISTORY 4u
/* Past --duration, a finding is still minimised for this long at most. */
#define FUZZ_GRACE_US 10000000u
/* --corpus: at most this many files are read, each up to the maximum size. */
#define FUZZ_CORPUS_MAX 1024u
/*
 * A round stops adding datagrams past this many bytes: more than a
 * default socket buffer holds would be lost on the way, not by the
 * server's fault, and each loss costs a confirmation.
 */
#define FUZZ_ROUND_BYTES 131072u
/* The client sockets' receive buffers: a round's replies all fit. */
#define FUZZ_RCVBUF (4u << 20)
#define FUZZ_MAX_FINDINGS 16

const char fuzz_usage[] =
	"usage: udpecho fuzz [HOST PORT] [--duration DUR] [--count N] [--seed S] [--clients K]\n"
	"                    [--max-size N] [--exec CMD] [--corpus DIR] [--out DIR]\n"
	"                    [--replay DIR] [--format text|json|junit] [-4|-6]\n"
	"\n"
	"Fuzz a live UDP echo server with RFC 862 as the oracle: every datagram must\n"
	"come back exactly, once, from the address it went to, and the server must stay\n"
	"alive.  Findings are minimised and written to --out with a replay command.\n"
	"Without HOST and PORT it fuzzes the built-in server (udpecho-server's loop).\n"
	"\n"
	"  --duration DUR  how long to fuzz (default 60s)\n"
	"  --count N       stop after N datagrams\n"
	"  --seed S        repeat a run (the seed used is printed)\n"
	"  --clients K     client sockets to interleave, 1-16 (default 2)\n"
	"  --max-size N    largest datagram (default: the family maximum)\n"
	"  --exec CMD      start the server with CMD ({port} is replaced), restart it\n"
	"                  after a crash, keep its exit status and stderr\n"
	"  --corpus DIR    datagrams (one per file) to mutate\n"
	"  --out DIR       where findings go (default fuzz-findings)\n"
	"  --replay DIR    send a finding's datagrams again and judge them\n"
	"  --format F      text (default), json or junit\n"
	"\n"
	"Exit status: 0 no finding, 1 findings (--replay: it reproduced), 2 usage or\n"
	"setup error.\n";

/* The server under test when --exec starts it. */
struct child {
	pid_t pid;
	int pidfd; /* readable when it ends: a wait for replies ends with it */
	char err_path[64];
	int status; /* how it ended (waitpid's), once it has */
	int ended;
};

struct finding {
	enum livefuzz_kind kind;
	struct livefuzz_case c;
	uint64_t at_datagram; /* the run's datagram count when found */
	double at_s;          /* seconds into the run */
	int minimised;
	int not_alone; /* on a fresh server its datagrams alone do not reproduce it */
	uint8_t *owned[LIVEFUZZ_ROUND_MAX]; /* the copies of c.data, as found */
	size_t nowned;
	int child_status, child_ended;
	unsigned seen_again;           /* later findings like it (see found) */
	int first_ended, first_status; /* how the server ended when it was found */
	enum verdict_kind first_match; /* WRONG: how the reply differed when it was found */
	size_t datagram;               /* the datagram it concerns */
	uint8_t *reply; /* WRONG: what came back instead (malloc'd), and how it differs */
	size_t reply_len;
	struct verdict_match match;
};

struct fz {
	const struct fuzz_opts *o;
	struct net_addr target;
	struct echo_peer target_peer;
	size_t max_size;
	int socks[LIVEFUZZ_CLIENTS_MAX];
	int probe_sock;
	uint8_t *tx[FUZZ_HISTORY *
		    LIVEFUZZ_ROUND_MAX]; /* this round's datagrams, and earlier ones */
	uint8_t *rx[FUZZ_REPLIES];
	uint8_t *rep; /* receive buffer */
	struct child child;
	uint64_t sent, rounds, lost, late, probe_seq;
	struct livefuzz_rtt rtt; /* how long answered rounds and probes took */
	int poked;               /* the round poked the server (FUZZ_POKE_US) */
	uint64_t start_us;
	uint64_t paused_us;      /* the pauses taken before rounds (livefuzz_pause) */
	uint64_t minimise_until; /* --duration, and a grace to minimise what was found last */
	uint64_t next_progress;  /* on a terminal, the next status line */
	int blind; /* --exec: its port is not in our /proc/net/udp; probes tell it is up */
	struct finding findings[FUZZ_MAX_FINDINGS];
	unsigned nfindings;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ---- The server under test (--exec) --------------------------------------- */

/* CMD with {port} replaced, run by /bin/sh; its stderr to a file. */
static int child_start(struct fz *z)
{
	char cmd[4096], port[8];
	const char *p = z->o->exec;
	size_t n = 0;
	int fd;

	snprintf(port, sizeof(port), "%u", (unsigned)z->o->port);
	/* exec: the shell becomes the server, and its status is the server's. */
	n = (size_t)snprintf(cmd, sizeof(cmd), "exec ");
	while (*p != '\0' && n + 8 < sizeof(cmd)) {
		if (strncmp(p, "{port}", 6) == 0) {
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s", port);
			p += 6;
		} else {
			cmd[n++] = *p++;
		}
	}
	cmd[n] = '\0';
	snprintf(z->child.err_path, sizeof(z->child.err_path), "/tmp/udpecho-fuzz-XXXXXX");
	fd = mkstemp(z->child.err_path);
	if (fd < 0)
		return -errno;
	z->child.ended = 0;
	z->child.pid = fork();
	if (z->child.pid < 0) {
		close(fd);
		return -errno;
	}
	if (z->child.pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* A group of its own: a stop reaches whatever the command started. */
		setpgid(0, 0);
		dup2(null, 0);
		dup2(null, 1);
		dup2(fd, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fd);
	z->child.pidfd = pidfd_open(z->child.pid, 0); /* -1 on an old kernel: polls ignore it */
	return 0;
}

/* The fd that becomes readable when the server of --exec ends; -1 for none. */
static int child_fd(const struct fz *z)
{
	return z->o->exec != NULL && z->child.pid > 0 && !z->child.ended ? z->child.pidfd : -1;
}

/* Has it ended?  Reaps it and keeps how. */
static int child_ended(struct fz *z)
{
	int status;

	if (z->o->exec == NULL || z->child.pid <= 0 || z->child.ended)
		return z->child.ended;
	if (waitpid(z->child.pid, &status, WNOHANG) == z->child.pid) {
		z->child.ended = 1;
		z->child.status = status;
	}
	return z->child.ended;
}

static void child_stop(struct fz *z)
{
	if (z->o->exec == NULL || z->child.pid <= 0)
		return;
	if (!child_ended(z)) {
		kill(-z->child.pid, SIGKILL);
		waitpid(z->child.pid, &z->child.status, 0);
		z->child.ended = 1;
	} else {
		kill(-z->child.pid, SIGKILL); /* what it left behind */
	}
	if (z->child.pidfd >= 0)
		close(z->child.pidfd);
	z->child.pidfd = -1;
	z->child.pid = 0;
}

/* ---- Sockets ---------------------------------------------------------------- */

static uint64_t now_us(void)
{
	return net_now_us();
}

/* Reads what is queued on fd, discarding it (a round starts clean). */
static void drain(struct fz *z, int fd)
{
	while (recv(fd, z->rep, FUZZ_BUF, MSG_DONTWAIT) >= 0 || errno == ECONNREFUSED) {
	}
	net_clear_error_queue(fd);
}

/*
 * One datagram from fd: its length, -EAGAIN when none, -ECONNREFUSED for
 * an ICMP port unreachable.  *wrong: from another address than the target.
 */
static ssize_t receive(struct fz *z, int fd, int *wrong)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct echo_peer peer;
	ssize_t n = recvfrom(fd, z->rep, FUZZ_BUF, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);

	if (n < 0) {
		int err = errno;

		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
			return -EAGAIN;
		if (err == ECONNREFUSED)
			net_clear_error_queue(fd);
		return -err;
	}
	net_to_peer((const struct sockaddr *)&from, &peer);
	*wrong = !addr_peer_equal(&peer, &z->target_peer);
	return n > (ssize_t)FUZZ_BUF ? (ssize_t)FUZZ_BUF : n;
}

static int send_to(struct fz *z, int fd, const uint8_t *data, size_t len)
{
	int err;

	if (sendto(fd, data, len, 0, (const struct sockaddr *)&z->target.ss, z->target.len) >= 0)
		return 0;
	err = errno;
	if (err == ECONNREFUSED) /* an earlier request's report: its queue entry too */
		net_clear_error_queue(fd);
	return -err;
}

/* How long a round waits for replies: never less than the rounds before took. */
static uint64_t round_wait(const struct fz *z)
{
	return livefuzz_rtt_wait(&z->rtt, FUZZ_WAIT_US, FUZZ_WAIT_FIRST_US, FUZZ_WAIT_MAX_US);
}

/*
 * The known-good request: a short datagram from the probe socket, tried
 * FUZZ_PROBE_TRIES times.  Answered, refused or silent.
 */
static enum verdict_probe probe(struct fz *z, uint64_t wait_us)
{
	uint8_t req[24];
	int len = snprintf((char *)req, sizeof(req), "udpecho-fuzz %" PRIu64, ++z->probe_seq);
	uint64_t start = now_us(), per_try = wait_us / FUZZ_PROBE_TRIES;

	/* A probe is one more request: a slow path gets as long as a round. */
	if (wait_us >= FUZZ_PROBE_US && per_try < round_wait(z))
		per_try = round_wait(z);
	drain(z, z->probe_sock);
	for (int t = 0; t < FUZZ_PROBE_TRIES && !interrupted; t++) {
		uint64_t deadline = now_us() + per_try;

		if (send_to(z, z->probe_sock, req, (size_t)len) == -ECONNREFUSED)
			return VERDICT_PROBE_REFUSED;
		for (uint64_t now = now_us(); now < deadline && !interrupted; now = now_us()) {
			struct pollfd p[2] = {{z->probe_sock, POLLIN, 0}, {child_fd(z), POLLIN, 0}};
			int wrong;
			ssize_t n;

			if (poll(p, 2, (int)((deadline - now) / 1000 + 1)) <= 0)
				continue;
			if (p[1].revents != 0 && child_ended(z))
				return VERDICT_PROBE_REFUSED;
			n = receive(z, z->probe_sock, &wrong);
			if (n == -ECONNREFUSED)
				return VERDICT_PROBE_REFUSED;
			if (n == len && memcmp(z->rep, req, (size_t)len) == 0) {
				livefuzz_rtt_sample(&z->rtt, now_us() - start);
				return VERDICT_PROBE_ANSWERED;
			}
		}
		if (child_ended(z))
			return VERDICT_PROBE_REFUSED;
	}
	return VERDICT_PROBE_SILENT;
}

/* ---- One round ---------------------------------------------------------------- */

struct round_result {
	struct verdict_tx tx[LIVEFUZZ_ROUND_MAX];
	struct verdict_rx rx[FUZZ_REPLIES];
	size_t nrx;
	struct livefuzz_obs obs;
	struct livefuzz_verdict v;
	uint32_t scratch[LIVEFUZZ_ROUND_MAX];
};

/*
 * Send c as one round (each datagram from its client's socket), read what
 * comes back until every datagram is answered (then a short linger for
 * duplicates) or round_wait(), probe when something is missing, and judge.
 */
static void run_round(struct fz *z, const struct livefuzz_case *c, uint64_t linger_us,
		      struct round_result *res)
{
	uint64_t start = now_us(), deadline, spin_until, done = 0, poke_at = UINT64_MAX;
	size_t answered = 0;
	int refused = 0, poke_refused = 0;

	memset(&res->obs, 0, sizeof(res->obs));
	memset(&res->v, 0, sizeof(res->v));
	res->nrx = 0;
	if (z->poked) /* the last round's poke: its answer, or a report of its refusal */
		drain(z, z->probe_sock);
	z->poked = 0;
	if (z->o->exec == NULL)
		poke_at = start +
			  (2 * z->rtt.srtt_us > FUZZ_POKE_US ? 2 * z->rtt.srtt_us : FUZZ_POKE_US);
	for (size_t i = 0; i < c->n; i++) {
		res->tx[i] = (struct verdict_tx){c->data[i], c->len[i], (uint32_t)i, c->client[i]};
		if (send_to(z, z->socks[c->client[i]], c->data[i], c->len[i]) == -ECONNREFUSED)
			refused = 1;
		z->sent++;
	}
	deadline = now_us() + round_wait(z);
	spin_until = now_us() + FUZZ_SPIN_US;
	while (!refused && !poke_refused && !interrupted) {
		struct pollfd p[LIVEFUZZ_CLIENTS_MAX + 2];
		uint64_t now = now_us(), until;
		unsigned nk = z->o->clients;
		int ready;

		if (answered >= c->n && done == 0) {
			done = now;
			livefuzz_rtt_sample(&z->rtt, done - start);
		}
		if (answered >= c->n && deadline > now + linger_us)
			deadline = now + linger_us;
		if ((answered >= c->n && linger_us == 0) || now >= deadline)
			break;
		if (!z->poked && answered < c->n && now >= poke_at) {
			static const uint8_t poke[] = "udpecho-fuzz poke";

			poke_refused =
				send_to(z, z->probe_sock, poke, sizeof(poke) - 1) == -ECONNREFUSED;
			z->poked = 1;
		}
		until = z->poked || answered >= c->n || poke_at > deadline ? deadline : poke_at;
		until = until > now ? until : now;
		for (unsigned k = 0; k < nk; k++)
			p[k] = (struct pollfd){z->socks[k], POLLIN, 0};
		p[nk] = (struct pollfd){child_fd(z), POLLIN, 0};
		p[nk + 1] = (struct pollfd){z->poked ? z->probe_sock : -1, POLLIN, 0};
		ready = poll(p, nk + 2, now < spin_until ? 0 : (int)((until - now) / 1000 + 1));
		if (ready > 0 && p[nk + 1].revents != 0) {
			int wrong;
			ssize_t n;

			/* The poke's answer is not this round's business; its refusal is. */
			while ((n = receive(z, z->probe_sock, &wrong)) != -EAGAIN &&
			       n != -ECONNREFUSED) {
			}
			poke_refused = n == -ECONNREFUSED;
		}
		for (unsigned k = 0; ready > 0 && k < nk; k++) {
			int wrong;
			ssize_t n;

			while ((n = receive(z, z->socks[k], &wrong)) != -EAGAIN) {
				if (n == -ECONNREFUSED) {
					refused = 1;
					break;
				}
				if (n < 0 || res->nrx == FUZZ_REPLIES)
					break;
				memcpy(z->rx[res->nrx], z->rep, (size_t)n);
				res->rx[res->nrx] = (struct verdict_rx){
					z->rx[res->nrx], (size_t)n, (uint16_t)k, (uint8_t)wrong};
				res->nrx++;
				answered++;
			}
		}
		if (ready > 0 && p[nk].revents != 0 && child_ended(z))
			break; /* what it sent before it ended has been read */
	}
	res->obs = (struct livefuzz_obs){res->tx, c->n,           res->rx,           res->nrx,
					 refused, child_ended(z), VERDICT_PROBE_NONE};
	/* Everything answered: the server is alive, no probe needed. */
	if (poke_refused)
		res->obs.probe = VERDICT_PROBE_REFUSED;
	else if (!refused && !res->obs.exited && answered < c->n)
		res->obs.probe = probe(z, FUZZ_PROBE_US);
	res->obs.exited = child_ended(z);
	livefuzz_judge(&res->obs, res->scratch, &res->v);
	z->rounds++;
}

/*
 * What came after the last round ended, before the next is sent: a copy of
 * a datagram of that round, on its own socket, is a duplicate (every one
 * had its reply, or the round would have waited); anything else is a late
 * reply or noise, counted and dropped.  Returns the duplicated datagram's
 * index, or c->n.
 */
static size_t strays(struct fz *z, const struct livefuzz_case *c, int all_answered)
{
	size_t dup = c->n;

	for (unsigned k = 0; k < z->o->clients; k++) {
		int wrong;
		ssize_t n;

		while ((n = receive(z, z->socks[k], &wrong)) != -EAGAIN) {
			if (n < 0)
				continue; /* a late ICMP report: the next round meets it too */
			for (size_t i = 0; all_answered && dup == c->n && i < c->n; i++)
				if (c->client[i] == k && c->len[i] == (size_t)n &&
				    memcmp(c->data[i], z->rep, (size_t)n) == 0)
					dup = i;
			if (dup == c->n)
				z->late++;
		}
	}
	return dup;
}

/* Which datagram of c the reply r is a copy of, on its own socket; c->n for none. */
static size_t copy_in(const struct livefuzz_case *c, const struct verdict_rx *r)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->client[i] == r->client && c->len[i] == r->len &&
		    (r->len == 0 || memcmp(c->data[i], r->data, r->len) == 0))
			return i;
	return c->n;
}

/* Every client socket emptied: a round that is not the main loop's starts clean. */
static void quiet(struct fz *z)
{
	for (unsigned k = 0; k < z->o->clients; k++)
		drain(z, z->socks[k]);
}

/* Unanswered datagrams sent again alone: 1 when one still gets nothing (a finding). */
static int confirm_unanswered(struct fz *z, const struct livefuzz_case *c,
			      const struct round_result *res, size_t *which)
{
	for (size_t i = 0; i < c->n; i++) {
		struct livefuzz_case one = {.n = 1};
		struct round_result again;
		int answered = 0;

		if (res->scratch[i] != 0)
			continue;
		one.len[0] = c->len[i];
		one.data[0] = c->data[i];
		one.client[0] = c->client[i];
		for (int t = 0; t < 2 && !answered; t++) {
			quiet(z);
			run_round(z, &one, FUZZ_LINGER_US, &again);
			answered = again.v.kind == LIVEFUZZ_NONE;
		}
		if (!answered && again.v.kind == LIVEFUZZ_UNANSWERED) {
			*which = i;
			return 1;
		}
	}
	return 0;
}

/* ---- Reproducing and minimising ------------------------------------------------ */

struct repro {
	struct fz *z;
	enum livefuzz_kind kind;
};

/* Is the server fresh and answering?  With --exec, restart it first. */
/*
 * A server to fuzz: without --exec, the target answering a probe.  A server
 * of --exec is (re)started and ready once its port is bound, which
 * /proc/net/udp shows without a datagram being sent: a server that dies on
 * any datagram must meet its first one in a round, where it is judged, and
 * not in a probe.  One whose socket this namespace never shows (another
 * network namespace or host) is probed instead, from then on.
 */
static int fresh_server(struct fz *z, int restart)
{
	uint64_t start = now_us(), pause_ms = 1;

	if (z->o->exec == NULL)
		return probe(z, FUZZ_PROBE_US) == VERDICT_PROBE_ANSWERED ? 0 : -1;
	if (restart || child_ended(z)) {
		child_stop(z);
		if (child_start(z) != 0)
			return -1;
	}
	/* Not up yet: look again after 1, 2, 4 ... 32 ms, not in a spin. */
	for (; now_us() < start + FUZZ_START_US && !interrupted;
	     pause_ms = pause_ms < 32 ? pause_ms * 2 : 32) {
		if (child_ended(z))
			return -1;
		if (!z->blind) {
			int bound = net_udp_port_bound(z->o->port);

			if (bound == 1)
				return 0;
			z->blind = bound < 0 || now_us() - start > FUZZ_BLIND_US;
		}
		if (z->blind && probe(z, 200000) == VERDICT_PROBE_ANSWERED)
			return 0;
		poll(NULL, 0, (int)pause_ms);
	}
	return -1;
}

/* Why the server of --exec never answered, in one line: how it ended and its last words. */
static void start_failure(struct fz *z)
{
	char last[256] = "";
	FILE *in = fopen(z->child.err_path, "rb");
	int ended = child_ended(z), status = z->child.status;

	if (in != NULL) {
		char line[256];

		while (fgets(line, sizeof(line), in) != NULL)
			if (line[0] != '\n')
				snprintf(last, sizeof(last), "%s", line);
		fclose(in);
	}
	last[strcspn(last, "\n")] = '\0';
	fprintf(stderr, "%s fuzz: --exec %s: ", PROG, z->o->exec);
	if (ended && WIFSIGNALED(status))
		fprintf(stderr, "killed by signal %d before it answered", WTERMSIG(status));
	else if (ended && WIFEXITED(status))
		fprintf(stderr, "exited with status %d before it answered", WEXITSTATUS(status));
	else
		fprintf(stderr, "no answer on port %u within %d s", (unsigned)z->o->port,
			(int)(FUZZ_START_US / 1000000));
	fprintf(stderr, "%s%s\n", last[0] != '\0' ? ": " : "", last);
}

static int reproduces(const struct livefuzz_case *c, void *ctx)
{
	struct repro *r = ctx;
	struct round_result res;
	size_t which;

	if (interrupted || now_us() > r->z->minimise_until)
		return -1;
	/* A crash or hang leaves the server down: each try starts a new one. */
	if (fresh_server(r->z, r->kind == LIVEFUZZ_CRASH || r->kind == LIVEFUZZ_HANG) != 0)
		return -1;
	quiet(r->z);
	run_round(r->z, c, FUZZ_LINGER_US, &res);
	if (res.v.kind == LIVEFUZZ_UNANSWERED && r->kind == LIVEFUZZ_UNANSWERED)
		return confirm_unanswered(r->z, c, &res, &which);
	return res.v.kind == r->kind;
}

/* ---- Findings on disk ----------------------------------------------------------- */

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* 32 bytes of data around at, in hex, on one line. */
static void hex_window(FILE *out, const char *label, const uint8_t *data, size_t len, size_t at)
{
	size_t from = at > 16 ? at - 16 : 0, to = at + 16 < len ? at + 16 : len;

	fprintf(out, "%s bytes %zu-%zu:", label, from, to > from ? to - 1 : from);
	for (size_t i = from; i < to; i++)
		fprintf(out, i == at ? " [%02x]" : " %02x", data[i]);
	fputc('\n', out);
}

static const char *match_words(enum verdict_kind kind)
{
	static const char *const words[VERDICT_KINDS] = {
		[VERDICT_EXACT] = "exact",         [VERDICT_MERGED] = "merged with the next",
		[VERDICT_TRUNCATED] = "truncated", [VERDICT_EXTENDED] = "extended",
		[VERDICT_ALTERED] = "altered",     [VERDICT_FOREIGN] = "none of the datagrams",
	};

	return (unsigned)kind < VERDICT_KINDS ? words[kind] : "?";
}

/* Expected against received, around where they first differ. */
static void describe_wrong(FILE *txt, const struct finding *f)
{
	const uint8_t *want = f->c.data[f->datagram];
	size_t wlen = f->c.len[f->datagram], at = 0;

	while (at < wlen && at < f->reply_len && want[at] == f->reply[at])
		at++;
	fprintf(txt, "expected: datagram %zu, %zu bytes\n", f->datagram, wlen);
	fprintf(txt, "received: %zu bytes, %s, first difference at byte %zu\n", f->reply_len,
		match_words(f->match.kind), at);
	hex_window(txt, "expected", want, wlen, at);
	hex_window(txt, "received", f->reply, f->reply_len, at);
}

static void copy_stderr(const struct fz *z, const char *to)
{
	char buf[8192];
	FILE *in = fopen(z->child.err_path, "rb"), *out;
	size_t n;

	if (in == NULL)
		return;
	out = fopen(to, "wb");
	while (out != NULL && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (out != NULL)
		fclose(out);
	fclose(in);
}

/* DIR/finding-N: datagram-K.bin, clients, finding.txt, and server-stderr.txt with --exec. */
static int save(struct fz *z, const struct finding *f, unsigned n, char *dir, size_t cap)
{
	char path[4096 + 64];
	FILE *txt;

	snprintf(dir, cap, "%s/finding-%u", z->o->out, n);
	mkdir(z->o->out, 0777);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return -errno;
	for (size_t i = 0; i < f->c.n; i++) {
		snprintf(path, sizeof(path), "%s/datagram-%zu.bin", dir, i);
		if (write_file(path, f->c.data[i], f->c.len[i]) != 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/clients", dir);
	txt = fopen(path, "w");
	for (size_t i = 0; txt != NULL && i < f->c.n; i++)
		fprintf(txt, "%u\n", f->c.client[i]);
	if (txt != NULL)
		fclose(txt);
	snprintf(path, sizeof(path), "%s/finding.txt", dir);
	txt = fopen(path, "w");
	if (txt == NULL)
		return -errno;
	fprintf(txt, "kind: %s\n", livefuzz_kind_name(f->kind));
	fprintf(txt, "datagrams: %zu%s\n", f->c.n, f->minimised ? " (minimised)" : "");
	if (f->not_alone)
		fprintf(txt,
			"alone: these datagrams sent to a fresh server do not reproduce it: what "
			"the server was sent before counts (run again with the same --seed)\n");
	for (size_t i = 0; i < f->c.n; i++)
		fprintf(txt, "datagram %zu: %zu bytes from client %u\n", i, f->c.len[i],
			f->c.client[i]);
	fprintf(txt, "found: after %" PRIu64 " datagram%s, %.1f s\n", f->at_datagram,
		f->at_datagram == 1 ? "" : "s", f->at_s);
	if (f->reply != NULL && f->datagram < f->c.n)
		describe_wrong(txt, f);
	else if (f->kind == LIVEFUZZ_UNANSWERED && f->datagram < f->c.n)
		fprintf(txt,
			"unanswered: datagram %zu, sent again alone, while the server answers\n",
			f->datagram);
	if (f->child_ended) {
		if (WIFSIGNALED(f->child_status))
			fprintf(txt, "server: killed by signal %d\n", WTERMSIG(f->child_status));
		else if (WIFEXITED(f->child_status))
			fprintf(txt, "server: exited with status %d\n",
				WEXITSTATUS(f->child_status));
	} else if (f->kind == LIVEFUZZ_CRASH) {
		fprintf(txt, "server: its port closed (ICMP port unreachable)\n");
	}
	fprintf(txt, "replay: udpecho fuzz %s %u --replay %s%s%s%s\n", z->o->host,
		(unsigned)z->o->port, dir, z->o->exec ? " --exec '" : "",
		z->o->exec ? z->o->exec : "", z->o->exec ? "'" : "");
	fclose(txt);
	if (z->o->exec != NULL) {
		snprintf(path, sizeof(path), "%s/server-stderr.txt", dir);
		copy_stderr(z, path);
	}
	return 0;
}

/* ---- The run ------------------------------------------------------------------- */

static int setup(struct fz *z)
{
	const char *why = NULL;
	size_t granted;

	if (net_resolve(z->o->host, z->o->port, z->o->family, &z->target, &why) != 0) {
		fprintf(stderr, "%s fuzz: '%s': %s\n", PROG, z->o->host, why);
		return -1;
	}
	net_to_peer((const struct sockaddr *)&z->target.ss, &z->target_peer);
	z->max_size = net_family_max(&z->target);
	if (z->o->max_size != 0 && z->o->max_size < z->max_size)
		z->max_size = z->o->max_size;
	for (unsigned k = 0; k < z->o->clients; k++) {
		if ((z->socks[k] = net_client_socket(&z->target)) < 0)
			return -1;
		(void)net_set_rcvbuf(z->socks[k], FUZZ_RCVBUF, &granted);
	}
	z->probe_sock = net_client_socket(&z->target);
	z->rep = malloc(FUZZ_BUF);
	for (unsigned i = 0; i < FUZZ_HISTORY * LIVEFUZZ_ROUND_MAX; i++)
		z->tx[i] = malloc(z->max_size + 1);
	for (unsigned i = 0; i < FUZZ_REPLIES; i++)
		z->rx[i] = malloc(FUZZ_BUF);
	if (z->probe_sock < 0 || z->rep == NULL)
		return -1;
	for (unsigned i = 0; i < FUZZ_HISTORY * LIVEFUZZ_ROUND_MAX; i++)
		if (z->tx[i] == NULL)
			return -1;
	for (unsigned i = 0; i < FUZZ_REPLIES; i++)
		if (z->rx[i] == NULL)
			return -1;
	return 0;
}

static void teardown(struct fz *z)
{
	for (unsigned k = 0; k < z->o->clients; k++)
		if (z->socks[k] > 0)
			close(z->socks[k]);
	if (z->probe_sock > 0)
		close(z->probe_sock);
	free(z->rep);
	for (unsigned i = 0; i < FUZZ_HISTORY * LIVEFUZZ_ROUND_MAX; i++)
		free(z->tx[i]);
	for (unsigned i = 0; i < FUZZ_REPLIES; i++)
		free(z->rx[i]);
	child_stop(z);
	if (z->child.err_path[0] != '\0')
		unlink(z->child.err_path);
}

/* A wrong echo's reply, copied: the round's buffers are reused by the next. */
static void keep_reply(struct finding *f, const struct round_result *res)
{
	const struct verdict_rx *rx = &res->rx[res->v.reply];

	free(f->reply);
	f->reply = NULL;
	f->reply_len = 0;
	if (f->kind != LIVEFUZZ_WRONG || res->v.reply >= res->nrx)
		return;
	f->reply = malloc(rx->len + 1);
	if (f->reply == NULL)
		return;
	memcpy(f->reply, rx->data, rx->len);
	f->reply_len = rx->len;
	f->match = res->v.match;
}

/* A finding: kept (its bytes copied), minimised when the server can be had again, saved. */
static void found(struct fz *z, const struct livefuzz_case *c, const struct round_result *res,
		  enum livefuzz_kind kind)
{
	struct finding *f = &z->findings[z->nfindings];
	struct repro r = {z, kind};
	char dir[4096];

	/*
	 * Seen before: the same kind, the server ending the same way, the reply
	 * wrong the same way.  Counted with the first, not minimised again (a
	 * bug that is hit every few rounds would otherwise cost a minimisation
	 * each time).
	 */
	for (unsigned i = 0; i < z->nfindings; i++) {
		struct finding *e = &z->findings[i];

		if (e->kind == kind && e->first_ended == child_ended(z) &&
		    (!e->first_ended || e->first_status == z->child.status) &&
		    (kind != LIVEFUZZ_WRONG || e->first_match == res->v.match.kind)) {
			e->seen_again++;
			return;
		}
	}
	f->first_ended = child_ended(z);
	f->first_status = z->child.status;
	f->first_match = res->v.match.kind;
	f->kind = kind;
	f->at_datagram = z->sent;
	f->at_s = (double)(now_us() - z->start_us) / 1e6;
	f->child_ended = child_ended(z);
	f->child_status = z->child.status;
	f->c = *c;
	/* Its own copies, kept in owned: the minimiser drops datagrams from f->c. */
	for (f->nowned = 0; f->nowned < c->n; f->nowned++) {
		size_t i = f->nowned;

		f->c.data[i] = f->owned[i] = malloc(c->len[i] + 1);
		if (f->owned[i] == NULL) {
			while (f->nowned > 0)
				free(f->owned[--f->nowned]);
			return;
		}
		memcpy(f->c.data[i], c->data[i], c->len[i]);
	}
	z->nfindings++;
	f->datagram = res->v.datagram;
	keep_reply(f, res);
	/* Down for good without --exec: the finding stays as it was found. */
	if (z->o->exec != NULL || (kind != LIVEFUZZ_CRASH && kind != LIVEFUZZ_HANG)) {
		struct round_result last;

		long m = livefuzz_minimise(&f->c, reproduces, &r, FUZZ_MINIMISE_BUDGET);

		f->minimised = m >= 0;
		f->not_alone = m == LIVEFUZZ_NOT_ALONE;
		/*
		 * The minimiser's last try need not have been the case it kept:
		 * run that once more, for what came back and how the server ended.
		 */
		if (f->minimised &&
		    fresh_server(z, kind == LIVEFUZZ_CRASH || kind == LIVEFUZZ_HANG) == 0) {
			quiet(z);
			run_round(z, &f->c, FUZZ_LINGER_US, &last);
			f->child_ended = child_ended(z);
			f->child_status = z->child.status;
			if (last.v.kind == kind) {
				f->datagram = last.v.datagram;
				keep_reply(f, &last);
			}
		}
		/* The reply kept before answers a case that is no more. */
		if (f->minimised && f->datagram >= f->c.n) {
			free(f->reply);
			f->reply = NULL;
		}
	}
	/* The same bug again: the same kind and the same minimised shape. */
	for (unsigned i = 0; i + 1 < z->nfindings; i++) {
		const struct finding *e = &z->findings[i];
		int same = e->kind == f->kind && e->c.n == f->c.n;

		for (size_t k = 0; same && k < f->c.n; k++)
			same = e->c.len[k] == f->c.len[k];
		if (same) {
			z->findings[i].seen_again++;
			while (f->nowned > 0)
				free(f->owned[--f->nowned]);
			free(f->reply);
			f->reply = NULL;
			z->nfindings--;
			return;
		}
	}
	if (save(z, f, z->nfindings, dir, sizeof(dir)) != 0)
		fprintf(stderr, "%s fuzz: %s: %s\n", PROG, dir, strerror(errno));
	if (z->o->format != FUZZ_TEXT)
		return;
	printf("finding %u: %s, %zu datagram%s (%zu bytes first), after %" PRIu64
	       " datagram%s, %.1f s: %s\n",
	       z->nfindings, livefuzz_kind_name(kind), f->c.n, f->c.n == 1 ? "" : "s",
	       f->c.n > 0 ? f->c.len[0] : 0, f->at_datagram, f->at_datagram == 1 ? "" : "s",
	       f->at_s, dir);
	fflush(stdout);
}

/* How the server ended, in words ("" when it did not, or it is not ours). */
static void server_end(const struct finding *f, char *out, size_t cap)
{
	out[0] = '\0';
	if (f->child_ended && WIFSIGNALED(f->child_status))
		snprintf(out, cap, "killed by signal %d", WTERMSIG(f->child_status));
	else if (f->child_ended && WIFEXITED(f->child_status))
		snprintf(out, cap, "exited with status %d", WEXITSTATUS(f->child_status));
}

static void report_json(const struct fz *z, double secs)
{
	struct jsonw w;
	char host[ADDR_STR_MAX], end[64];

	addr_format_host(host, sizeof(host), &z->target_peer);
	jsonw_init(&w, stdout);
	jsonw_object(&w, NULL);
	jsonw_string(&w, "tool", "udpecho");
	jsonw_string(&w, "command", "fuzz");
	jsonw_string(&w, "version", UDPECHO_VERSION);
	jsonw_target(&w, host, z->target_peer.port,
		     z->target_peer.family == ECHO_FAMILY_IPV6 ? "ipv6" : "ipv4");
	jsonw_uint(&w, "seed", z->o->seed);
	jsonw_double(&w, "seconds", secs, 3);
	jsonw_uint(&w, "datagrams", z->sent);
	jsonw_uint(&w, "rounds", z->rounds);
	jsonw_uint(&w, "lost", z->lost);
	jsonw_uint(&w, "late", z->late);
	jsonw_bool(&w, "interrupted", interrupted != 0);
	jsonw_array(&w, "findings");
	for (unsigned i = 0; i < z->nfindings; i++) {
		const struct finding *f = &z->findings[i];

		jsonw_object(&w, NULL);
		jsonw_string(&w, "kind", livefuzz_kind_name(f->kind));
		jsonw_bool(&w, "minimised", f->minimised);
		jsonw_bool(&w, "reproduces_alone", !f->not_alone);
		jsonw_array(&w, "datagrams");
		for (size_t k = 0; k < f->c.n; k++) {
			jsonw_object(&w, NULL);
			jsonw_uint(&w, "bytes", f->c.len[k]);
			jsonw_uint(&w, "client", f->c.client[k]);
			jsonw_end_object(&w);
		}
		jsonw_end_array(&w);
		jsonw_uint(&w, "found_after_datagrams", f->at_datagram);
		jsonw_double(&w, "found_after_s", f->at_s, 3);
		jsonw_uint(&w, "seen_again", f->seen_again);
		server_end(f, end, sizeof(end));
		if (end[0] != '\0')
			jsonw_string(&w, "server", end);
		else
			jsonw_null(&w, "server");
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fputc('\n', stdout);
}

static void report_junit(const struct fz *z, double secs)
{
	unsigned tests = z->nfindings > 0 ? z->nfindings : 1;
	char host[ADDR_STR_MAX], end[64];

	addr_format_host(host, sizeof(host), &z->target_peer);
	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<testsuites name=\"udpecho fuzz\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
	       "skipped=\"0\" time=\"%.3f\">\n  <testsuite name=\"udpecho fuzz ",
	       tests, z->nfindings, secs);
	xml_escape(stdout, host);
	printf(" port %u\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"0\" "
	       "time=\"%.3f\">\n",
	       (unsigned)z->target_peer.port, tests, z->nfindings, secs);
	if (z->nfindings == 0)
		printf("    <testcase classname=\"fuzz\" name=\"%" PRIu64
		       " datagrams, seed %" PRIu64 ", no finding\" time=\"%.3f\"/>\n",
		       z->sent, z->o->seed, secs);
	for (unsigned i = 0; i < z->nfindings; i++) {
		const struct finding *f = &z->findings[i];

		server_end(f, end, sizeof(end));
		printf("    <testcase classname=\"fuzz\" name=\"finding-%u %s\" time=\"%.3f\">\n"
		       "      <failure type=\"%s\" message=\"%zu datagram%s, found after %" PRIu64
		       " datagram%s%s",
		       i + 1, livefuzz_kind_name(f->kind), f->at_s, livefuzz_kind_name(f->kind),
		       f->c.n, f->c.n == 1 ? "" : "s", f->at_datagram,
		       f->at_datagram == 1 ? "" : "s", end[0] ? ", server " : "");
		xml_escape(stdout, end);
		printf("\"/>\n    </testcase>\n");
	}
	printf("  </testsuite>\n</testsuites>\n");
}

/* On a terminal: one line, rewritten each second. */
static void progress(struct fz *z)
{
	double secs = (double)(now_us() - z->start_us) / 1e6;

	printf("\r%" PRIu64 " datagrams, %.0f/s, %u finding%s \033[K", z->sent,
	       secs > 0 ? (double)z->sent / secs : 0.0, z->nfindings, z->nfindings == 1 ? "" : "s");
	fflush(stdout);
	z->next_progress = now_us() + 1000000;
}

/*
 * --corpus DIR: its regular files, in name order, each one datagram (cut at
 * max bytes).  Returns how many were read, or -errno when DIR cannot be.
 */
static long load_corpus(const char *dir, size_t max, struct livefuzz_blob **out)
{
	struct dirent **names;
	struct livefuzz_blob *b;
	int n = scandir(dir, &names, NULL, alphasort);
	long kept = 0;

	if (n < 0)
		return -errno;
	b = calloc(FUZZ_CORPUS_MAX, sizeof(*b));
	for (int i = 0; i < n; i++) {
		char path[4096 + 256];
		struct stat st;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (b != NULL && kept < (long)FUZZ_CORPUS_MAX && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode) && (f = fopen(path, "rb")) != NULL) {
			size_t len = (size_t)st.st_size < max ? (size_t)st.st_size : max;
			uint8_t *data = malloc(len + 1);

			if (data != NULL && fread(data, 1, len, f) == len)
				b[kept++] = (struct livefuzz_blob){data, len};
			else
				free(data);
			fclose(f);
		}
		free(names[i]);
	}
	free(names);
	*out = b;
	return b == NULL ? -ENOMEM : kept;
}

static void free_corpus(struct livefuzz_blob *b, long n)
{
	for (long i = 0; b != NULL && i < n; i++)
		free((void *)b[i].data);
	free(b);
}

/*
 * The run's first datagram, a known-good request from client 0, judged as a
 * round: an inetd echo that exits on its first datagram is the run's first
 * finding, with that datagram.  Returns 0 to go on, 1 when the finding left
 * no server to go on with, 2 when there was no server to fuzz: the datagram
 * came back refused (it never reached one), or nothing ever answered.
 */
static int first_contact(struct fz *z)
{
	uint8_t hello[] = "udpecho fuzz: first contact";
	struct livefuzz_case c = {.n = 1, .data = {hello}, .len = {sizeof(hello) - 1}};
	struct round_result *res = calloc(1, sizeof(*res));
	int rc = 0;

	if (res == NULL)
		return 2;
	quiet(z);
	run_round(z, &c, FUZZ_LINGER_US, res);
	if (res->obs.refused && z->o->exec == NULL) {
		fprintf(stderr, "%s fuzz: %s port %u: nothing listens (ICMP port unreachable)\n",
			PROG, z->o->host, (unsigned)z->o->port);
		rc = 2;
	} else if (res->obs.refused) {
		start_failure(z);
		rc = 2;
	} else if (res->v.kind == LIVEFUZZ_HANG || (res->v.kind == LIVEFUZZ_UNANSWERED &&
						    res->obs.probe != VERDICT_PROBE_ANSWERED)) {
		fprintf(stderr,
			"%s fuzz: %s port %u answers nothing, not even a known-good request\n",
			PROG, z->o->host, (unsigned)z->o->port);
		rc = 2;
	} else if (res->v.kind != LIVEFUZZ_NONE && res->v.kind != LIVEFUZZ_UNANSWERED) {
		found(z, &c, res, res->v.kind);
		rc = fresh_server(z, z->o->exec != NULL) == 0 ? 0 : 1;
	}
	free(res);
	return rc;
}

static int fuzz_run(const struct fuzz_opts *o)
{
	struct fz *z = calloc(1, sizeof(*z));
	struct livefuzz_gen g;
	struct livefuzz_case last = {0}; /* the round before, for its late duplicates */
	int last_clean = 0;
	struct livefuzz_case hist[FUZZ_HISTORY] = {0}; /* the last rounds, for late duplicates */
	/* Replies hist[h]'s datagram i may still get late: it was sent, unanswered, up to 3 times.
	 */
	uint8_t owed[FUZZ_HISTORY][LIVEFUZZ_ROUND_MAX] = {0};
	unsigned slot = 0; /* this round's place in hist */
	struct livefuzz_blob *corpus = NULL;
	long ncorpus = 0;
	uint64_t until;
	double secs;
	int rc = 0, contact;

	if (z == NULL)
		return 2;
	z->o = o;
	if (setup(z) != 0) {
		teardown(z);
		free(z);
		return 2;
	}
	if (o->exec != NULL && fresh_server(z, 1) != 0) {
		start_failure(z);
		teardown(z);
		free(z);
		return 2;
	}
	memset(&g, 0, sizeof(g));
	if (o->corpus != NULL) {
		ncorpus = load_corpus(o->corpus, z->max_size, &corpus);
		if (ncorpus <= 0) {
			fprintf(stderr, "%s fuzz: --corpus %s: %s\n", PROG, o->corpus,
				ncorpus == 0 ? "no file in it" : strerror((int)-ncorpus));
			free_corpus(corpus, ncorpus);
			teardown(z);
			free(z);
			return 2;
		}
		g.corpus = corpus;
		g.ncorpus = (size_t)ncorpus;
	}
	livefuzz_seed(&g.rng, o->seed);
	g.max_size = z->max_size;
	g.clients = o->clients;
	if (o->format == FUZZ_TEXT) {
		printf("udpecho fuzz: %s port %u, seed %" PRIu64 ", up to %zu bytes, %u client%s\n",
		       o->host, (unsigned)o->port, o->seed, z->max_size, o->clients,
		       o->clients == 1 ? "" : "s");
		fflush(stdout);
	}
	z->start_us = now_us();
	until = z->start_us + o->duration_us;
	z->minimise_until = until + FUZZ_GRACE_US;
	z->next_progress = isatty(1) && o->format == FUZZ_TEXT ? z->start_us + 1000000 : UINT64_MAX;
	contact = first_contact(z);
	if (contact == 2) {
		free_corpus(corpus, ncorpus);
		teardown(z);
		free(z);
		return 2;
	}
	while (contact == 0 && !interrupted && now_us() < until &&
	       z->nfindings < FUZZ_MAX_FINDINGS && (o->count == 0 || z->sent < o->count)) {
		struct livefuzz_round plan;
		struct livefuzz_case c = {0};
		struct round_result res = {0};
		size_t which, dup;
		uint32_t pause;

		livefuzz_plan_round(&g, &plan);
		/* Now and then a pause, before what came during it is read as strays. */
		pause = livefuzz_pause(&plan, z->paused_us, now_us() - z->start_us);
		if (pause > 0) {
			struct timespec ts = {0, (long)pause * 1000};

			nanosleep(&ts, NULL);
			z->paused_us += pause;
		}
		/* The last round's late duplicates, while its datagrams are still in z->tx. */
		dup = strays(z, &last, last_clean);
		if (dup < last.n) {
			res.v = (struct livefuzz_verdict){.kind = LIVEFUZZ_DUPLICATE,
							  .datagram = dup};
			res.nrx = 0;
			found(z, &last, &res, LIVEFUZZ_DUPLICATE);
			if (fresh_server(z, o->exec != NULL) != 0)
				break;
		}
		last.n = 0;
		if (now_us() >= z->next_progress)
			progress(z);
		slot = (slot + 1) % FUZZ_HISTORY;
		hist[slot].n = 0;
		c.n = 0;
		for (size_t i = 0, bytes = 0; i < plan.n && bytes < FUZZ_ROUND_BYTES; i++) {
			c.data[c.n] = z->tx[(size_t)slot * LIVEFUZZ_ROUND_MAX + c.n];
			c.client[c.n] = plan.client[i];
			c.len[c.n] = livefuzz_datagram(&g, c.data[c.n], z->max_size, NULL);
			/* Equal datagrams on one socket could not be told apart: that one is not
			 * sent. */
			if (!livefuzz_distinct(&c, c.n))
				continue;
			bytes += c.len[c.n++];
		}
		run_round(z, &c, 0, &res);
		/*
		 * A reply not of this round but a copy of an earlier one's datagram:
		 * late, when that datagram went unanswered (it is set aside and the
		 * round judged without it), else a late duplicate.
		 */
		dup = LIVEFUZZ_ROUND_MAX;
		for (unsigned h = 0; h < FUZZ_HISTORY && dup == LIVEFUZZ_ROUND_MAX; h++) {
			size_t i;

			if (h == slot || res.v.kind != LIVEFUZZ_WRONG || res.v.reply >= res.nrx ||
			    (i = copy_in(&hist[h], &res.rx[res.v.reply])) >= hist[h].n)
				continue;
			if (owed[h][i] > 0) {
				owed[h][i]--;
				z->late++;
				memmove(&res.rx[res.v.reply], &res.rx[res.v.reply + 1],
					(res.nrx - res.v.reply - 1) * sizeof(res.rx[0]));
				res.obs.nrx = --res.nrx;
				livefuzz_judge(&res.obs, res.scratch, &res.v);
				h = (unsigned)-1; /* the round again, from the first earlier one */
				continue;
			}
			dup = i;
			res.v = (struct livefuzz_verdict){.kind = LIVEFUZZ_DUPLICATE,
							  .datagram = dup};
			res.nrx = 0;
			found(z, &hist[h], &res, LIVEFUZZ_DUPLICATE);
		}
		hist[slot] = c;
		for (size_t i = 0; i < c.n; i++)
			owed[slot][i] = res.v.kind != LIVEFUZZ_NONE && res.scratch[i] == 0 ? 3 : 0;
		if (dup != LIVEFUZZ_ROUND_MAX) {
			for (unsigned h = 0; h < FUZZ_HISTORY; h++)
				hist[h].n = 0;
			last.n = 0;
			if (fresh_server(z, o->exec != NULL) != 0)
				break;
			continue;
		}
		last = c;
		last_clean = res.v.kind == LIVEFUZZ_NONE;
		if (res.v.kind == LIVEFUZZ_NONE)
			continue;
		last.n = 0; /* its datagrams go to a finding or were judged lost */
		if (res.v.kind == LIVEFUZZ_UNANSWERED) {
			if (!confirm_unanswered(z, &c, &res, &which)) {
				z->lost += res.v.unanswered;
				continue;
			}
		}
		found(z, &c, &res, res.v.kind);
		/* Go on against a server that is there: restarted, or still answering. */
		if (fresh_server(z, o->exec != NULL) != 0)
			break;
	}
	secs = (double)(now_us() - z->start_us) / 1e6;
	if (z->next_progress != UINT64_MAX)
		printf("\r\033[K");
	free_corpus(corpus, ncorpus);
	if (o->format == FUZZ_JSON)
		report_json(z, secs);
	else if (o->format == FUZZ_JUNIT)
		report_junit(z, secs);
	else
		printf("summary: %" PRIu64 " datagram%s in %" PRIu64
		       " round%s, %.1f s, %u finding%s, %" PRIu64
		       " lost and answered when sent again\n",
		       z->sent, z->sent == 1 ? "" : "s", z->rounds, z->rounds == 1 ? "" : "s", secs,
		       z->nfindings, z->nfindings == 1 ? "" : "s", z->lost);
	rc = z->nfindings > 0 ? 1 : 0;
	for (unsigned i = 0; i < z->nfindings; i++) {
		for (size_t k = 0; k < z->findings[i].nowned; k++)
			free(z->findings[i].owned[k]);
		free(z->findings[i].reply);
	}
	teardown(z);
	free(z);
	return rc;
}

/* --replay DIR: its datagrams as one round; 1 when a finding reproduces. */
static int fuzz_replay(const struct fuzz_opts *o)
{
	struct fz *z = calloc(1, sizeof(*z));
	struct livefuzz_case c = {0};
	struct round_result res;
	char path[4096];
	FILE *f;
	int rc = 2;

	if (z == NULL)
		return 2;
	z->o = o;
	if (setup(z) != 0 || (o->exec != NULL && fresh_server(z, 1) != 0))
		goto out;
	snprintf(path, sizeof(path), "%s/clients", o->replay);
	f = fopen(path, "r");
	for (c.n = 0; c.n < LIVEFUZZ_ROUND_MAX; c.n++) {
		struct stat st;
		FILE *d;
		char line[32];

		snprintf(path, sizeof(path), "%s/datagram-%zu.bin", o->replay, c.n);
		if (stat(path, &st) != 0)
			break;
		d = fopen(path, "rb");
		c.len[c.n] = (size_t)st.st_size < z->max_size ? (size_t)st.st_size : z->max_size;
		c.data[c.n] = z->tx[c.n];
		if (d == NULL || fread(c.data[c.n], 1, c.len[c.n], d) != c.len[c.n]) {
			if (d != NULL)
				fclose(d);
			break;
		}
		fclose(d);
		if (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			unsigned long client = strtoul(line, NULL, 10);

			if (client < o->clients)
				c.client[c.n] = (uint8_t)client;
		}
	}
	if (f != NULL)
		fclose(f);
	if (c.n == 0) {
		fprintf(stderr, "%s fuzz: %s: no datagram-0.bin\n", PROG, o->replay);
		goto out;
	}
	quiet(z);
	run_round(z, &c, FUZZ_LINGER_US, &res);
	printf("replay: %zu datagram%s: %s\n", c.n, c.n == 1 ? "" : "s",
	       livefuzz_kind_name(res.v.kind));
	if (res.v.kind == LIVEFUZZ_UNANSWERED) {
		size_t which;

		if (!confirm_unanswered(z, &c, &res, &which))
			res.v.kind = LIVEFUZZ_NONE;
	}
	rc = res.v.kind == LIVEFUZZ_NONE ? 0 : 1;
out:
	teardown(z);
	free(z);
	return rc;
}

/* ---- Options ------------------------------------------------------------------- */

enum {
	OPT_DURATION,
	OPT_COUNT,
	OPT_SEED,
	OPT_CLIENTS,
	OPT_MAX_SIZE,
	OPT_EXEC,
	OPT_CORPUS,
	OPT_OUT,
	OPT_REPLAY,
	OPT_FORMAT,
	OPT_V4,
	OPT_V6,
	OPT_HELP
};

/* clang-format off */
static const struct cli_option options[] = {
	{"duration", 0, 1, OPT_DURATION},
	{"count", 0, 1, OPT_COUNT},
	{"seed", 0, 1, OPT_SEED},
	{"clients", 0, 1, OPT_CLIENTS},
	{"max-size", 0, 1, OPT_MAX_SIZE},
	{"exec", 0, 1, OPT_EXEC},
	{"corpus", 0, 1, OPT_CORPUS},
	{"out", 0, 1, OPT_OUT},
	{"replay", 0, 1, OPT_REPLAY},
	{"format", 0, 1, OPT_FORMAT},
	{NULL, '4', 0, OPT_V4},
	{NULL, '6', 0, OPT_V6},
	{"help", 'h', 0, OPT_HELP},
	{NULL, 0, 0, 0},
};
/* clang-format on */

static int number(const char *flag, const char *value, size_t min, size_t max, size_t *out,
		  char *err, size_t errlen)
{
	if (parse_size(value, max, out) == 0 && *out >= min)
		return 0;
	snprintf(err, errlen, "%s: " CLI_QUOTED " is not a number from %zu to %zu", flag,
		 CLI_QUOTE(value), min, max);
	return -1;
}

static int apply(struct fuzz_opts *o, int id, const char *value, char *err, size_t errlen)
{
	size_t n = 0;

	switch (id) {
	case OPT_DURATION:
		if (parse_duration(value, &o->duration_us) == 0)
			return 0;
		snprintf(err, errlen, "--duration: " CLI_QUOTED " is not a duration (60, 10s, 5m)",
			 CLI_QUOTE(value));
		return -1;
	case OPT_COUNT:
		if (number("--count", value, 1, SIZE_MAX, &n, err, errlen) != 0)
			return -1;
		o->count = n;
		return 0;
	case OPT_SEED:
		if (number("--seed", value, 0, SIZE_MAX, &n, err, errlen) != 0)
			return -1;
		o->seed = n;
		o->seed_given = 1;
		return 0;
	case OPT_CLIENTS:
		if (number("--clients", value, 1, LIVEFUZZ_CLIENTS_MAX, &n, err, errlen) != 0)
			return -1;
		o->clients = (unsigned)n;
		return 0;
	case OPT_MAX_SIZE:
		return number("--max-size", value, 0, ECHO_MAX_PAYLOAD, &o->max_size, err, errlen);
	case OPT_EXEC:
		o->exec = value;
		return 0;
	case OPT_CORPUS:
		o->corpus = value;
		return 0;
	case OPT_OUT:
		o->out = value;
		return 0;
	case OPT_REPLAY:
		o->replay = value;
		return 0;
	case OPT_FORMAT:
		if (strcmp(value, "text") == 0)
			o->format = FUZZ_TEXT;
		else if (strcmp(value, "json") == 0)
			o->format = FUZZ_JSON;
		else if (strcmp(value, "junit") == 0)
			o->format = FUZZ_JUNIT;
		else {
			snprintf(err, errlen, "--format: " CLI_QUOTED " is not text, json or junit",
				 CLI_QUOTE(value));
			return -1;
		}
		return 0;
	case OPT_V4:
	case OPT_V6:
		return net_family_only(&o->family, id == OPT_V4 ? NET_ONLY_V4 : NET_ONLY_V6, err,
				       errlen);
	default:
		o->help = 1;
		return 0;
	}
}

int fuzz_parse_args(int argc, char *const *argv, int first, struct fuzz_opts *o, char *err,
		    size_t errlen)
{
	struct cli_scan scan;
	const char *value = NULL;
	int id, port_given = 0;

	memset(o, 0, sizeof(*o));
	o->duration_us = 60000000;
	o->clients = 2;
	o->out = "fuzz-findings";
	o->family = NET_PREFER_V4;
	cli_scan_init(&scan, argc, argv, first);
	while ((id = cli_next(&scan, options, &value, err, errlen)) != CLI_END) {
		if (id == CLI_ERROR)
			return -1;
		if (id == CLI_POSITIONAL
			    ? cli_host_port(value, &o->host, &o->port, &port_given, err, errlen)
			    : apply(o, id, value, err, errlen))
			return -1;
	}
	if (!o->help && o->host != NULL && o->port == 0) {
		snprintf(err, errlen, "give HOST and PORT (neither: the built-in server)");
		return -1;
	}
	if (o->host == NULL && (o->exec != NULL || o->replay != NULL)) {
		snprintf(err, errlen, "--exec and --replay need HOST and PORT");
		return -1;
	}
	if (o->exec != NULL && strstr(o->exec, "{port}") == NULL) {
		snprintf(err, errlen,
			 "--exec: the command has no {port} to give the server its port");
		return -1;
	}
	if (!o->seed_given)
		o->seed = net_now_ns() ^ ((uint64_t)getpid() << 32);
	return 0;
}

int fuzz_main(int argc, char *const *argv, int first)
{
	struct fuzz_opts o;
	struct sigaction sa;
	char err[256];

	if (fuzz_parse_args(argc, argv, first, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s fuzz: %s (try --help)\n", PROG, err);
		return 2;
	}
	if (o.help) {
		fputs(fuzz_usage, stdout);
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.host == NULL) {
		/* No target: fuzz the built-in server, udpecho-server's own loop (a self-test). */
		struct net_addr target;
		struct echo_peer peer;
		static char host[ADDR_STR_MAX];
		pid_t pid = 0;
		int rc = builtin_start(o.family, &target, &pid);

		if (rc != 0) {
			fprintf(stderr, "%s fuzz: the built-in server: %s\n", PROG, strerror(-rc));
			return 2;
		}
		net_to_peer((const struct sockaddr *)&target.ss, &peer);
		addr_format_host(host, sizeof(host), &peer);
		o.host = host;
		o.port = peer.port;
		rc = fuzz_run(&o);
		builtin_stop(pid);
		return rc;
	}
	return o.replay != NULL ? fuzz_replay(&o) : fuzz_run(&o);
}
