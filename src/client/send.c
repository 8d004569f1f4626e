/*
 * send.c: `udpecho send`: the classic client, with a verdict.
 *
 * The socket stays unconnected so that a reply from the wrong address is
 * seen and named rather than filtered by the kernel; IP_RECVERR still
 * reports ICMP port unreachable on it.
 */
#include "send.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "udpecho/addr.h"
#include "udpecho/echo.h"
#include "udpecho/net.h"
#include "udpecho/parse.h"
#include "udpecho/repr.h"

#define PROG "udpecho"
/* One more than any UDP payload, so that an oversized reply shows as such. */
#define SEND_BUF_SIZE (ECHO_MAX_PAYLOAD + 1)

struct exchange {
	int fd;
	struct net_addr target;
	char target_text[ADDR_STR_MAX];
	const uint8_t *request;
	size_t request_len;
	uint8_t *reply;
	size_t reply_len;
	struct net_addr from;
	char *repr; /* room for the repr of the largest datagram */
};

static int read_file(const char *path, uint8_t *buf, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	int failed, err;

	if (f == NULL) {
		fprintf(stderr, "%s: --file %s: %s\n", PROG, path, strerror(errno));
		return -1;
	}
	errno = 0;
	n = fread(buf, 1, max + 1, f);
	failed = ferror(f);
	err = errno;
	fclose(f);
	if (failed) { /* a directory opens, but reads as EISDIR */
		fprintf(stderr, "%s: --file %s: %s\n", PROG, path,
			err != 0 ? strerror(err) : "read error");
		return -1;
	}
	if (n > max) {
		fprintf(stderr, "%s: --file %s: larger than the %zu-byte maximum for this family\n",
			PROG, path, max);
		return -1;
	}
	*len = n;
	return 0;
}

/* The datagram to send, at most max bytes.  Returns 0, or -1 after a message. */
static int load_message(const struct send_opts *opts, size_t max, uint8_t *buf, size_t *len)
{
	size_t n;

	switch (opts->source) {
	case SEND_HEX:
		if (parse_hex(opts->message, buf, max, len) == 0)
			return 0;
		fprintf(stderr, "%s: --hex: not pairs of hex digits, or more than %zu bytes\n",
			PROG, max);
		return -1;
	case SEND_FILE:
		return read_file(opts->message, buf, max, len);
	case SEND_CLASSIC:
	case SEND_TEXT:
	default:
		n = strlen(opts->message);
		if (n > max) {
			fprintf(stderr,
				"%s: message is %zu bytes, more than the %zu-byte maximum\n", PROG,
				n, max);
			return -1;
		}
		memcpy(buf, opts->message, n);
		*len = n;
		return 0;
	}
}

/* Waits for one datagram until deadline.  Returns 0, -ETIMEDOUT, or -errno (ICMP among them). */
static int receive_reply(struct exchange *ex, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = ex->fd, .events = POLLIN};
		uint64_t now = net_now_us();
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)((deadline - now + 999) / 1000)) < 0 && errno != EINTR)
			return -errno;
		ex->from.len = sizeof(ex->from.ss);
		n = recvfrom(ex->fd, ex->reply, SEND_BUF_SIZE, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&ex->from.ss, &ex->from.len);
		if (n >= 0) {
			ex->reply_len = (size_t)n;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

static void explain_failure(const struct exchange *ex, int rc, uint64_t timeout_us)
{
	if (rc == -ETIMEDOUT) {
		char secs[32];

		parse_format_seconds(secs, sizeof(secs), timeout_us);
		fprintf(stderr, "%s: no reply from %s within %s s\n", PROG, ex->target_text, secs);
	} else if (rc == -ECONNREFUSED) {
		fprintf(stderr, "%s: nothing listening on %s (ICMP port unreachable)\n", PROG,
			ex->target_text);
	} else {
		fprintf(stderr, "%s: %s: %s\n", PROG, ex->target_text, strerror(-rc));
	}
}

static size_t first_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Returns 0 when the reply is exact, or prints what is wrong and returns 1. */
static int judge(const struct exchange *ex)
{
	struct echo_peer want, got;
	size_t common = ex->reply_len < ex->request_len ? ex->reply_len : ex->request_len;
	size_t diff = first_difference(ex->request, ex->reply, common);

	net_to_peer((const struct sockaddr *)&ex->target.ss, &want);
	net_to_peer((const struct sockaddr *)&ex->from.ss, &got);
	if (!addr_peer_equal(&want, &got)) {
		char from[ADDR_STR_MAX];

		addr_format_hostport(from, sizeof(from), &got);
		fprintf(stderr, "%s: reply came from %s, request went to %s\n", PROG, from,
			ex->target_text);
		return 1;
	}
	/* An empty reply has no "first 0 bytes" worth naming. */
	if (ex->reply_len == 0 && ex->request_len > 0) {
		fprintf(stderr, "%s: empty reply (request was %zu bytes)\n", PROG, ex->request_len);
		return 1;
	}
	if (ex->reply_len != ex->request_len && diff == common) {
		fprintf(stderr,
			"%s: reply is %zu bytes, request was %zu (%s the first %zu match)\n", PROG,
			ex->reply_len, ex->request_len,
			ex->reply_len < ex->request_len ? "truncated:" : "longer:", common);
		return 1;
	}
	if (diff < common) {
		fprintf(stderr,
			"%s: reply differs from request at byte %zu (sent 0x%02x, got 0x%02x)\n",
			PROG, diff, ex->request[diff], ex->reply[diff]);
		return 1;
	}
	return 0;
}

static int exchange_run(struct exchange *ex, uint64_t timeout_us)
{
	int rc;

	repr_bytes(ex->repr, REPR_MAX_LEN(SEND_BUF_SIZE) + 1, ex->request, ex->request_len);
	printf("sending %s\n", ex->repr);
	fflush(stdout);
	if (sendto(ex->fd, ex->request, ex->request_len, 0, (const struct sockaddr *)&ex->target.ss,
		   ex->target.len) < 0) {
		fprintf(stderr, "%s: send to %s: %s\n", PROG, ex->target_text, strerror(errno));
		return 2;
	}
	printf("waiting to receive\n");
	fflush(stdout);
	rc = receive_reply(ex, net_now_us() + timeout_us);
	if (rc == 0) {
		size_t shown = ex->reply_len < SEND_BUF_SIZE ? ex->reply_len : SEND_BUF_SIZE;
		repr_bytes(ex->repr, REPR_MAX_LEN(SEND_BUF_SIZE) + 1, ex->reply, shown);
		printf("received %s\n", ex->repr);
	}
	printf("closing socket\n");
	fflush(stdout);
	if (rc != 0) {
		explain_failure(ex, rc, timeout_us);
		/* No reply is 1; an ICMP error (nothing listening) is a network error, as in check.
		 */
		return rc == -ETIMEDOUT ? 1 : 2;
	}
	return judge(ex);
}

static int run(const struct send_opts *opts, struct exchange *ex, uint8_t *request)
{
	const char *why = NULL;

	if (net_resolve(opts->host, opts->port, NET_PREFER_V4, &ex->target, &why) != 0) {
		fprintf(stderr, "%s: --host '%s': %s\n", PROG, opts->host, why);
		return 2;
	}
	net_format(ex->target_text, sizeof(ex->target_text), &ex->target);
	if (load_message(opts, net_family_max(&ex->target), request, &ex->request_len) != 0)
		return 2;
	ex->request = request;
	ex->fd = net_client_socket(&ex->target);
	if (ex->fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", PROG, strerror(-ex->fd));
		return 1;
	}
	return exchange_run(ex, opts->timeout_us);
}

int send_main(int argc, char *const *argv, int first)
{
	struct send_opts opts;
	struct exchange ex;
	uint8_t *request;
	char err[256];
	int status;

	if (send_parse_args(argc, argv, first, &opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s send: %s (try --help)\n", PROG, err);
		return 2;
	}
	if (opts.help) {
		fputs(send_usage, stdout);
		return 0;
	}
	memset(&ex, 0, sizeof(ex));
	ex.fd = -1;
	request = malloc(SEND_BUF_SIZE);
	ex.reply = malloc(SEND_BUF_SIZE);
	ex.repr = malloc(REPR_MAX_LEN(SEND_BUF_SIZE) + 1);
	if (request == NULL || ex.reply == NULL || ex.repr == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		status = 1;
	} else {
		status = run(&opts, &ex, request);
	}
	if (ex.fd >= 0)
		close(ex.fd);
	free(request);
	free(ex.reply);
	free(ex.repr);
	return status;
}
