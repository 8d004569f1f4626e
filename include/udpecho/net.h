/*
 * net.h: the thin socket layer.  Each function does one syscall-sized thing
 * and reports failure as a negative errno; callers at the edge explain it.
 */
#ifndef UDPECHO_NET_H
#define UDPECHO_NET_H

#include <netinet/udp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "udpecho/echo.h"

/* UDP GSO and GRO (Linux 4.18 and 5.0), for C libraries whose headers predate them. */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Which families a name may resolve to. */
enum net_family_pref {
	NET_PREFER_V4 = 0, /* the classic example's AF_INET, IPv6 only when no IPv4 exists */
	NET_ONLY_V4,
	NET_ONLY_V6,
};

/*
 * -4 or -6 on a command line: *pref becomes only, or -1 with err set when
 * the other one was given before.
 */
int net_family_only(enum net_family_pref *pref, enum net_family_pref only, char *err,
		    size_t errlen);

/*
 * Resolve host (a name or a numeric literal) and port.  Returns 0, or -1
 * with *why set to a static explanation ("not a valid IPv4 address",
 * "Name or service not known").  Literals never reach DNS.
 */
int net_resolve(const char *host, uint16_t port, enum net_family_pref pref, struct net_addr *out,
		const char **why);

/* sockaddr <-> echo_peer. */
void net_to_peer(const struct sockaddr *sa, struct echo_peer *peer);
void net_from_peer(const struct echo_peer *peer, struct net_addr *out);

/* "127.0.0.1:10000" / "[::1]:10000" for messages. */
size_t net_format(char *out, size_t cap, const struct net_addr *addr);

/*
 * A UDP socket bound to addr, ready to serve: dual-stack when addr is the
 * IPv6 wildcard, with the request's destination address delivered (PKTINFO)
 * so replies can leave from it.
 * Returns the fd or -errno.
 */
int net_bind_server(const struct net_addr *addr);

/*
 * --threads: several sockets on one address, the kernel spreading senders
 * over them by their address hash.  net_bind_server_first binds alone, so a
 * port that another process holds is "in use" even when that process
 * shares it too, then opens it (SO_REUSEPORT after bind);
 * net_bind_server_shared joins it.  Both return the fd or -errno.
 */
int net_bind_server_first(const struct net_addr *addr);
int net_bind_server_shared(const struct net_addr *addr);

/* UDP_GRO on or off: runs of same-size datagrams from one sender arrive as one buffer. */
int net_set_gro(int fd, int on);

/*
 * The datagrams the kernel dropped on fd's receive queue so far (SO_MEMINFO,
 * Linux 4.6): read once, when a worker stops, instead of a control message
 * with every datagram.  Returns 0 or -errno.
 */
int net_socket_drops(int fd, uint64_t *drops);

/* The drop count with every datagram (SO_RXQ_OVFL): for kernels without SO_MEMINFO. */
int net_set_rxq_ovfl(int fd);

/*
 * Receives on fd wait for a datagram as long as it takes: O_NONBLOCK off
 * (an inherited socket may have it on) and no SO_RCVTIMEO.  Returns 0 or
 * -errno.
 */
int net_set_blocking(int fd);

/*
 * SO_RCVBUF of bytes: SO_RCVBUFFORCE first (root, CAP_NET_ADMIN: past
 * net.core.rmem_max), SO_RCVBUF when that is not permitted.  *granted is
 * what the kernel then reports divided by two (it doubles the request for
 * its bookkeeping), so it compares with bytes.  Returns 0 or -errno.
 */
int net_set_rcvbuf(int fd, size_t bytes, size_t *granted);

/*
 * Empties fd's error queue.  An ICMP report (IP_RECVERR) stays queued
 * after recv has returned its error, and poll reports the socket ready
 * until it is read: call this after every -ECONNREFUSED.
 */
void net_clear_error_queue(int fd);

/*
 * An unbound client socket for addr's family that reports ICMP errors
 * (port unreachable) on an unconnected socket (IP_RECVERR).  Returns the fd
 * or -errno.
 */
int net_client_socket(const struct net_addr *addr);

/*
 * Is a UDP socket of this network namespace bound to port, on any address
 * (/proc/net/udp and /proc/net/udp6)?  1 yes, 0 no, -errno when neither
 * file can be read.  Sends nothing: a server that dies on its first
 * datagram is seen ready without being sent one.
 */
int net_udp_port_bound(uint16_t port);

/* systemd passes activated sockets from this descriptor on (sd_listen_fds(3)). */
#define NET_LISTEN_FDS_START 3

/* The most sockets net_listen_fds takes over. */
#define NET_LISTEN_FDS_MAX 1024

/*
 * Socket activation the systemd way, without libsystemd: when LISTEN_PID is
 * this process and LISTEN_FDS is n >= 1, fds 3 .. 3 + n - 1 are sockets bound
 * for us.  Checks that each is a bound IPv4 or IPv6 datagram socket, marks it
 * close-on-exec and enables PKTINFO on it as net_bind_server
 * does.  Returns NET_LISTEN_FDS_START (*count = n), 0 when not activated
 * (*count = 0), or -errno on a bad handoff with *bad_fd the descriptor at
 * fault.  Unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES.  count and bad_fd
 * may be NULL.
 */
int net_listen_fds(int *count, int *bad_fd);

/* The locally bound address of fd. */
int net_local_addr(int fd, struct net_addr *out);

/* 1 when fd is bound to 0.0.0.0 or :: (or its address cannot be read), 0 otherwise. */
int net_is_wildcard(int fd);

/* Family maximum payload of an address (65,507 / 65,527; v4-mapped is IPv4). */
size_t net_family_max(const struct net_addr *addr);

/* "IPv4" or "IPv6": the family net_family_max went by, for messages. */
const char *net_family_name(const struct net_addr *addr);

/*
 * The host's interfaces, read once at start-up: the index of the loopback
 * interface (0 if none) and the IPv4 subnet broadcast addresses (up to max;
 * returns how many, or -errno).
 */
unsigned net_loopback_ifindex(void);
int net_broadcast_addresses(uint8_t (*out)[4], size_t max);

/*
 * The one clock every command times with: CLOCK_MONOTONIC, in
 * nanoseconds and in microseconds.  Not wall time: it never jumps.
 */
uint64_t net_now_ns(void);
uint64_t net_now_us(void);

#endif
