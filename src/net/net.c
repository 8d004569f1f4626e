/*
 * net.c: resolving, binding and converting addresses.
 */
#include "udpecho/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/sock_diag.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>
#include <unistd.h>

#include "udpecho/addr.h"
#include "udpecho/parse.h"

/* A string made only of digits and dots is meant as an IPv4 literal, never a name. */
static int looks_v4_literal(const char *host)
{
	return host[0] != '\0' && strspn(host, "0123456789.") == strlen(host);
}

static int lookup(const char *host, uint16_t port, int family, int flags, struct net_addr *out)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = flags;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		return rc;
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	if (out->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&out->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&out->ss)->sin6_port = htons(port);
	freeaddrinfo(res);
	return 0;
}

static int resolve_literal(const char *host, uint16_t port, enum net_family_pref pref,
			   struct net_addr *out, const char **why)
{
	const char *colon = strchr(host, ':');
	int v6 = colon != NULL;
	int family = v6 ? AF_INET6 : AF_INET;

	if (host[0] == '[') {
		*why = "not an address (write IPv6 addresses without brackets)";
		return -1;
	}
	/* An IPv6 address has two colons at least: "127.0.0.1:7" holds a port. */
	if (v6 && strchr(colon + 1, ':') == NULL) {
		*why = "not an address (the port goes in its own argument)";
		return -1;
	}
	if ((v6 && pref == NET_ONLY_V4) || (!v6 && pref == NET_ONLY_V6)) {
		*why = v6 ? "is an IPv6 address, but IPv4 was asked for"
			  : "is an IPv4 address, but IPv6 was asked for";
		return -1;
	}
	if (lookup(host, port, family, AI_NUMERICHOST, out) != 0) {
		*why = v6 ? "not a valid IPv6 address" : "not a valid IPv4 address";
		return -1;
	}
	return 0;
}

/*
 * glibc answers "Name or service not known" both for a name that does not
 * exist and for one with addresses of the other family only (localhost
 * with no ::1 in /etc/hosts): asking for the other family tells them apart.
 */
static const char *lookup_failure(const char *host, enum net_family_pref pref, int rc)
{
	struct net_addr other;

	if (pref == NET_ONLY_V4 && lookup(host, 0, AF_INET6, 0, &other) == 0)
		return "no IPv4 address for this name";
	if (pref == NET_ONLY_V6 && lookup(host, 0, AF_INET, 0, &other) == 0)
		return "no IPv6 address for this name";
	return gai_strerror(rc);
}

int net_resolve(const char *host, uint16_t port, enum net_family_pref pref, struct net_addr *out,
		const char **why)
{
	int rc;

	if (host[0] == '\0') {
		*why = "empty address";
		return -1;
	}
	if (strchr(host, ':') != NULL || looks_v4_literal(host))
		return resolve_literal(host, port, pref, out, why);
	rc = lookup(host, port, pref == NET_ONLY_V6 ? AF_INET6 : AF_INET, 0, out);
	/* Like Python asking for AF_INET, but a name with only IPv6 addresses still works. */
	if (rc != 0 && pref == NET_PREFER_V4)
		rc = lookup(host, port, AF_INET6, 0, out);
	if (rc != 0) {
		*why = lookup_failure(host, pref, rc);
		return -1;
	}
	return 0;
}

void net_to_peer(const struct sockaddr *sa, struct echo_peer *peer)
{
	memset(peer, 0, sizeof(*peer));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		peer->family = ECHO_FAMILY_IPV4;
		memcpy(peer->addr, &sin->sin_addr, 4);
		peer->port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		peer->family = ECHO_FAMILY_IPV6;
		memcpy(peer->addr, &sin6->sin6_addr, 16);
		peer->port = ntohs(sin6->sin6_port);
		peer->flowinfo = ntohl(sin6->sin6_flowinfo);
		peer->scope_id = sin6->sin6_scope_id;
	}
}

void net_from_peer(const struct echo_peer *peer, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (peer->family == ECHO_FAMILY_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, peer->addr, 4);
		sin->sin_port = htons(peer->port);
		out->len = sizeof(*sin);
	} else if (peer->family == ECHO_FAMILY_IPV6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, peer->addr, 16);
		sin6->sin6_port = htons(peer->port);
		sin6->sin6_flowinfo = htonl(peer->flowinfo);
		sin6->sin6_scope_id = peer->scope_id;
		out->len = sizeof(*sin6);
	}
}

size_t net_format(char *out, size_t cap, const struct net_addr *addr)
{
	struct echo_peer peer;

	net_to_peer((const struct sockaddr *)&addr->ss, &peer);
	return addr_format_hostport(out, cap, &peer);
}

int net_family_only(enum net_family_pref *pref, enum net_family_pref only, char *err, size_t errlen)
{
	if (*pref != NET_PREFER_V4 && *pref != only) {
		snprintf(err, errlen, "give -4 or -6, not both");
		return -1;
	}
	*pref = only;
	return 0;
}

size_t net_family_max(const struct net_addr *addr)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&addr->ss;

	/* A v4-mapped address is IPv4 on the wire. */
	return addr->ss.ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)
		       ? ECHO_MAX_PAYLOAD_V6
		       : ECHO_MAX_PAYLOAD_V4;
}

const char *net_family_name(const struct net_addr *addr)
{
	return net_family_max(addr) == ECHO_MAX_PAYLOAD_V6 ? "IPv6" : "IPv4";
}

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) == 0 ? 0 : -errno;
}

/* Ask for each request's destination address, to reply from it (wildcard binds). */
static int enable_recv_pktinfo(int fd, int family)
{
	int rc = 0;

	if (family == AF_INET6)
		rc = set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	/* On an IPv6 socket this covers the IPv4 clients of a dual-stack bind. */
	if (rc == 0)
		rc = set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	return rc;
}

static int enable_pktinfo(int fd, int family)
{
	int rc = 0;

	if (family == AF_INET6)
		rc = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	if (rc == 0)
		rc = enable_recv_pktinfo(fd, family);
	return rc;
}

/* How a server socket meets SO_REUSEPORT. */
enum share {
	SHARE_NONE, /* bound alone, and stays so */
	SHARE_OPEN, /* bound alone (a port held by anyone is in use), then opened to joiners */
	SHARE_JOIN, /* joins a port opened so */
};

static int bind_server(const struct net_addr *addr, enum share share)
{
	int family = addr->ss.ss_family;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	/* IPV6_V6ONLY only applies to the wildcard, but setting it 0 is harmless elsewhere. */
	rc = enable_pktinfo(fd, family);
	if (rc == 0 && share == SHARE_JOIN)
		rc = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (rc == 0 && bind(fd, (const struct sockaddr *)&addr->ss, addr->len) != 0)
		rc = -errno;
	if (rc == 0 && share == SHARE_OPEN)
		rc = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int net_bind_server(const struct net_addr *addr)
{
	return bind_server(addr, SHARE_NONE);
}

int net_bind_server_first(const struct net_addr *addr)
{
	return bind_server(addr, SHARE_OPEN);
}

int net_bind_server_shared(const struct net_addr *addr)
{
	return bind_server(addr, SHARE_JOIN);
}

int net_set_blocking(int fd)
{
	struct timeval forever = {0, 0};
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || ((flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0))
		return -errno;
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof(forever)) == 0 ? 0 : -errno;
}

int net_set_gro(int fd, int on)
{
	return set_int(fd, SOL_UDP, UDP_GRO, on != 0);
}

int net_socket_drops(int fd, uint64_t *drops)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0)
		return -errno;
	if (len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		return -ENOPROTOOPT;
	*drops = mem[SK_MEMINFO_DROPS];
	return 0;
}

int net_set_rxq_ovfl(int fd)
{
	return set_int(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
}

void net_clear_error_queue(int fd)
{
	uint8_t buf[512], control[512];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg;

	for (int i = 0; i < 64; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
	}
}

int net_set_rcvbuf(int fd, size_t bytes, size_t *granted)
{
	int value = bytes > INT_MAX / 2 ? INT_MAX / 2 : (int)bytes;
	socklen_t len = sizeof(value);

	if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, value) != 0 &&
	    set_int(fd, SOL_SOCKET, SO_RCVBUF, value) != 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, &len) != 0)
		return -errno;
	*granted = (size_t)value / 2;
	return 0;
}

int net_client_socket(const struct net_addr *addr)
{
	int family = addr->ss.ss_family;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	/* Without RECVERR, Linux reports ICMP errors only on connected sockets. */
	if (family == AF_INET6)
		rc = set_int(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
	else
		rc = set_int(fd, IPPROTO_IP, IP_RECVERR, 1);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int net_udp_port_bound(uint16_t port)
{
	static const char *const files[] = {"/proc/net/udp", "/proc/net/udp6"};
	int readable = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "r");
		char line[512];
		uint16_t p;

		if (f == NULL)
			continue;
		readable = 1;
		while (fgets(line, sizeof(line), f) != NULL) {
			if (parse_proc_udp_port(line, &p) == 0 && p == port) {
				fclose(f);
				return 1;
			}
		}
		fclose(f);
	}
	return readable ? 0 : -ENOENT;
}

int net_local_addr(int fd, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getsockname(fd, (struct sockaddr *)&out->ss, &out->len) != 0)
		return -errno;
	return 0;
}

int net_is_wildcard(int fd)
{
	struct net_addr local;

	if (net_local_addr(fd, &local) != 0)
		return 1;
	if (local.ss.ss_family == AF_INET)
		return ((struct sockaddr_in *)&local.ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (local.ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&local.ss)->sin6_addr);
	return 1;
}

unsigned net_loopback_ifindex(void)
{
	struct ifaddrs *list, *ifa;
	unsigned index = 0;

	if (getifaddrs(&list) != 0)
		return 0;
	for (ifa = list; ifa != NULL && index == 0; ifa = ifa->ifa_next) {
		if (ifa->ifa_flags & IFF_LOOPBACK)
			index = if_nametoindex(ifa->ifa_name);
	}
	freeifaddrs(list);
	return index;
}

int net_broadcast_addresses(uint8_t (*out)[4], size_t max)
{
	struct ifaddrs *list, *ifa;
	size_t n = 0;

	if (getifaddrs(&list) != 0)
		return -errno;
	for (ifa = list; ifa != NULL && n < max; ifa = ifa->ifa_next) {
		const struct sockaddr_in *b = (const struct sockaddr_in *)ifa->ifa_broadaddr;

		if ((ifa->ifa_flags & IFF_BROADCAST) && b != NULL && b->sin_family == AF_INET &&
		    ifa->ifa_addr != NULL && ifa->ifa_addr->sa_family == AF_INET)
			memcpy(out[n++], &b->sin_addr, 4);
	}
	freeifaddrs(list);
	return (int)n;
}

/* LISTEN_PID / LISTEN_FDS as decimal numbers; -EINVAL for anything else. */
static int env_number(const char *value, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-')
		return -EINVAL;
	return 0;
}

/* How many sockets systemd passed to this process: 0 when none were. */
static int listen_count(void)
{
	const char *pid_text = getenv("LISTEN_PID");
	const char *fds_text = getenv("LISTEN_FDS");
	unsigned long pid, n;

	if (pid_text == NULL || fds_text == NULL)
		return 0;
	if (env_number(pid_text, &pid) != 0 || env_number(fds_text, &n) != 0)
		return -EINVAL;
	/* Inherited from an activated parent that forked us: not meant for this process. */
	if (pid != (unsigned long)getpid())
		return 0;
	if (n == 0 || n > NET_LISTEN_FDS_MAX)
		return -EINVAL;
	return (int)n;
}

/* An inherited UDP socket of family AF_INET or AF_INET6, made ready to serve. */
static int adopt_socket(int fd)
{
	struct net_addr local;
	socklen_t len = sizeof(int);
	int type = 0, rc;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return -errno;
	if (type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if ((rc = net_local_addr(fd, &local)) != 0)
		return rc;
	if (local.ss.ss_family != AF_INET && local.ss.ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	/* Already bound: IPV6_V6ONLY is systemd's (BindIPv6Only=) and can no longer change. */
	return enable_recv_pktinfo(fd, local.ss.ss_family);
}

int net_listen_fds(int *count, int *bad_fd)
{
	int n = listen_count();
	int rc = n < 0 ? n : 0;

	if (bad_fd != NULL)
		*bad_fd = NET_LISTEN_FDS_START;
	for (int i = 0; i < n && rc == 0; i++) {
		rc = adopt_socket(NET_LISTEN_FDS_START + i);
		if (rc != 0 && bad_fd != NULL)
			*bad_fd = NET_LISTEN_FDS_START + i;
	}
	/* Children (none today) must not take the sockets for theirs. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (count != NULL)
		*count = n > 0 ? n : 0;
	if (rc < 0)
		return rc;
	return n > 0 ? NET_LISTEN_FDS_START : 0;
}

uint64_t net_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t net_now_us(void)
{
	return net_now_ns() / 1000u;
}
