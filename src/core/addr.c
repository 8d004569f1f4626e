/*
 * addr.c: text forms of struct echo_peer.
 */
#include "udpecho/addr.h"

#include <stdio.h>
#include <string.h>

static size_t format_v4(char *out, size_t cap, const uint8_t a[4])
{
	int n = snprintf(out, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);

	return n < 0 ? 0 : (size_t)n;
}

struct zero_run {
	int base;
	int len;
};

/* The longest run of zero words, first one on a tie, as glibc's inet_ntop6 picks it. */
static struct zero_run longest_zero_run(const unsigned words[8])
{
	struct zero_run best = {-1, 0}, cur = {-1, 0};

	for (int i = 0; i < 8; i++) {
		if (words[i] == 0) {
			if (cur.base == -1)
				cur = (struct zero_run){i, 1};
			else
				cur.len++;
			continue;
		}
		if (cur.base != -1 && (best.base == -1 || cur.len > best.len))
			best = cur;
		cur.base = -1;
	}
	if (cur.base != -1 && (best.base == -1 || cur.len > best.len))
		best = cur;
	/* RFC 5952 4.2.2: a single zero word is not compressed. */
	if (best.len < 2)
		best.base = -1;
	return best;
}

/* Mirrors glibc inet_ntop6 so that addresses print exactly as Python shows them. */
static void format_v6(char *tmp, const uint8_t a[16])
{
	unsigned words[8];
	struct zero_run best;
	const uint8_t *w = a;
	char *tp = tmp;

	for (int i = 0; i < 8; i++, w += 2)
		words[i] = (unsigned)w[0] << 8 | w[1];
	best = longest_zero_run(words);
	for (int i = 0; i < 8; i++) {
		if (best.base != -1 && i >= best.base && i < best.base + best.len) {
			if (i == best.base)
				*tp++ = ':';
			continue;
		}
		if (i != 0)
			*tp++ = ':';
		/* Mapped (::ffff:a.b.c.d) and compatible (::a.b.c.d) addresses end in IPv4 form. */
		if (i == 6 && best.base == 0 &&
		    (best.len == 6 || (best.len == 5 && words[5] == 0xffff))) {
			format_v4(tp, 16, a + 12);
			return;
		}
		tp += sprintf(tp, "%x", words[i]);
	}
	if (best.base != -1 && best.base + best.len == 8)
		*tp++ = ':';
	*tp = '\0';
}

size_t addr_format_host(char *out, size_t cap, const struct echo_peer *peer)
{
	char tmp[64];

	switch (peer->family) {
	case ECHO_FAMILY_IPV4:
		format_v4(tmp, sizeof(tmp), peer->addr);
		break;
	case ECHO_FAMILY_IPV6:
		format_v6(tmp, peer->addr);
		break;
	case ECHO_FAMILY_NONE:
	default:
		strcpy(tmp, "?");
		break;
	}
	return (size_t)snprintf(out, cap, "%s", tmp);
}

size_t addr_format_python(char *out, size_t cap, const struct echo_peer *peer)
{
	char host[64];

	addr_format_host(host, sizeof(host), peer);
	/* socketmodule.c makesockaddr: (host, port) or (host, port, flowinfo, scope_id). */
	if (peer->family == ECHO_FAMILY_IPV6)
		return (size_t)snprintf(out, cap, "('%s', %u, %lu, %lu)", host, peer->port,
					(unsigned long)peer->flowinfo,
					(unsigned long)peer->scope_id);
	return (size_t)snprintf(out, cap, "('%s', %u)", host, peer->port);
}

size_t addr_format_hostport(char *out, size_t cap, const struct echo_peer *peer)
{
	char host[64];

	addr_format_host(host, sizeof(host), peer);
	if (peer->family != ECHO_FAMILY_IPV6)
		return (size_t)snprintf(out, cap, "%s:%u", host, peer->port);
	if (peer->scope_id != 0)
		return (size_t)snprintf(out, cap, "[%s%%%lu]:%u", host,
					(unsigned long)peer->scope_id, peer->port);
	return (size_t)snprintf(out, cap, "[%s]:%u", host, peer->port);
}

int addr_peer_equal(const struct echo_peer *a, const struct echo_peer *b)
{
	size_t n = a->family == ECHO_FAMILY_IPV4 ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, n) == 0;
}
