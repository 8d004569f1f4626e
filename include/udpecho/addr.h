/*
 * addr.h: printing peers the way people read them.
 *
 * Pure formatting of struct echo_peer: no resolver, no socket calls.  IPv6
 * text follows glibc's inet_ntop (RFC 5952 zero compression, embedded IPv4
 * for mapped and compatible addresses) because that is what Python prints.
 */
#ifndef UDPECHO_ADDR_H
#define UDPECHO_ADDR_H

#include <stddef.h>

#include "udpecho/peer.h"

/* Enough for any formatted peer, NUL included. */
#define ADDR_STR_MAX 96

/* "127.0.0.1", "::1", "::ffff:127.0.0.1", "fe80::2". */
size_t addr_format_host(char *out, size_t cap, const struct echo_peer *peer);

/* Python's str() of recvfrom's address: "('127.0.0.1', 57870)", "('::1', 57870, 0, 0)". */
size_t addr_format_python(char *out, size_t cap, const struct echo_peer *peer);

/* For messages: "127.0.0.1:10000", "[::1]:10000", "[fe80::2%3]:7". */
size_t addr_format_hostport(char *out, size_t cap, const struct echo_peer *peer);

/* Same family, address, port (flowinfo and scope ignored). */
int addr_peer_equal(const struct echo_peer *a, const struct echo_peer *b);

#endif
