/*
 * harness.h: helpers for integration tests that drive the real binaries
 * over loopback.  Every wait is bounded; nothing here can hang a test run.
 */
#ifndef UDPECHO_TEST_HARNESS_H
#define UDPECHO_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define HARNESS_MAX_ARGS 32
#define HARNESS_WAIT_MS 10000 /* the most any single step may take */

/* Paths given on the test's command line. */
extern const char *harness_server_bin;
extern const char *harness_client_bin;
extern const char *harness_golden_dir;
extern const char *harness_zoo_bin;   /* the broken servers, when given */
extern const char *harness_relay_bin; /* the impairing relay, when given */

/* A child process whose stdout and stderr go to files (never a full pipe). */
struct proc {
	pid_t pid;
	char out_path[64];
	char err_path[64];
	int status; /* exit status once waited, -1 while running or if killed */
};

/* argv ends with NULL.  Returns 0 or -1. */
int proc_spawn(struct proc *p, const char *const *argv);

/* The same, calling setup(ctx) in the child after its stdio is redirected, just before exec. */
int proc_spawn_with(struct proc *p, const char *const *argv, void (*setup)(void *ctx), void *ctx);

/* Wait up to timeout_ms; kills it (SIGKILL) past that and returns -1. Else its exit status. */
int proc_wait(struct proc *p, int timeout_ms);

/* The whole of what it wrote so far (malloc'd, NUL-terminated; caller frees). */
char *proc_stdout(const struct proc *p);
char *proc_stderr(const struct proc *p);

/* Remove the output files. */
void proc_cleanup(struct proc *p);

/* Run to completion (bounded); returns the exit status or -1. */
int proc_run(struct proc *p, const char *const *argv, int timeout_ms);

/* The port a startup line ("... port N\n", the first line of out) names; 0 or -1. */
int harness_startup_port(const char *out, uint16_t *port);

/* A udpecho-server child and the port its startup line announced. */
struct server {
	struct proc proc;
	uint16_t port;
};

/* Starts udpecho-server with args (NULL-terminated) and waits for its startup line. */
int server_start(struct server *s, const char *const *args);

/* The same for any server binary that announces "... port N" on its first line. */
int server_start_bin(struct server *s, const char *bin, const char *const *args);

/* Sends sig, waits, returns the exit status (or -1). Output stays readable until cleanup. */
int server_stop(struct server *s, int sig);

/* A UDP socket bound to host:port (port 0: any); -1 on failure. */
int udp_bound(const char *host, uint16_t port);

/* Fills a sockaddr for host:port. */
socklen_t udp_addr(const char *host, uint16_t port, struct sockaddr_storage *ss);

/*
 * Waits up to timeout_ms for one datagram.  Returns its real length (may
 * exceed cap: MSG_TRUNC), -1 on timeout or error.
 */
ssize_t udp_recv(int fd, void *buf, size_t cap, struct sockaddr_storage *from, int timeout_ms);

/* The local port fd is bound to (IPv4 or IPv6); 0 if it cannot be read. */
uint16_t udp_local_port(int fd);

/* "127.0.0.1:7" / "[::1]:7" of a sockaddr. */
void udp_format(const struct sockaddr_storage *ss, char *out, size_t cap);

/* Reads a whole file (malloc'd, NUL-terminated); NULL on failure. */
char *read_file(const char *path, size_t *len);

/* Replaces every occurrence of from with to (malloc'd result). */
char *str_replace_all(const char *s, const char *from, const char *to);

/* Number of lines (newline-terminated) in s. */
int count_lines(const char *s);

/* N from " key=N" in a server's summary line; a missing key aborts the test. */
unsigned long long summary_counter(const char *summary, const char *key);

/* Parses argv: SERVER_BIN CLIENT_BIN GOLDEN_DIR [ZOO_BIN [RELAY_BIN]]. Returns 0 or -1. */
int harness_init(int argc, char **argv);

#endif
