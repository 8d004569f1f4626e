/*
 * forge.c: send one UDP datagram with any source address, through a raw
 * socket (root only), to test what a server does with sources that no real
 * sender has.  Used inside network namespaces the tests create.
 *
 *   forge SRC DST PORT [PAYLOAD]     (SRC and DST both IPv4 or both IPv6)
 *
 * DST may be a broadcast address, or a multicast group with its interface
 * (ff02::1%eth0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SPORT 40000

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n % 2)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* The UDP header and payload at out; the checksum over the pseudo-header given. */
static size_t udp(uint8_t *out, const uint8_t *src, const uint8_t *dst, size_t alen, uint16_t port,
		  const char *payload)
{
	size_t plen = strlen(payload), len = 8 + plen;
	uint32_t acc;
	uint16_t c;

	out[0] = SPORT >> 8;
	out[1] = SPORT & 0xff;
	out[2] = (uint8_t)(port >> 8);
	out[3] = (uint8_t)port;
	out[4] = (uint8_t)(len >> 8);
	out[5] = (uint8_t)len;
	out[6] = out[7] = 0;
	memcpy(out + 8, payload, plen);
	acc = sum16(src, alen, 0);
	acc = sum16(dst, alen, acc);
	acc += 17 + (uint32_t)len;
	c = fold(sum16(out, len, acc));
	if (c == 0)
		c = 0xffff;
	out[6] = (uint8_t)(c >> 8);
	out[7] = (uint8_t)c;
	return len;
}

static int send4(const char *s, const char *d, uint16_t port, const char *payload)
{
	uint8_t pkt[1500] = {0};
	struct sockaddr_in to = {.sin_family = AF_INET};
	size_t n;
	int fd, one = 1;

	if (inet_pton(AF_INET, s, pkt + 12) != 1 || inet_pton(AF_INET, d, pkt + 16) != 1)
		return -EINVAL;
	n = 20 + udp(pkt + 20, pkt + 12, pkt + 16, 4, port, payload);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(n >> 8);
	pkt[3] = (uint8_t)n;
	pkt[8] = 64;
	pkt[9] = 17; /* the kernel fills id and checksum with IP_HDRINCL */
	memcpy(&to.sin_addr, pkt + 16, 4);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	/* SO_BROADCAST: a destination may be a subnet's broadcast address. */
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0)
		return -errno;
	if (sendto(fd, pkt, n, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)n)
		return -errno;
	close(fd);
	return 0;
}

/* DST may name its interface, as a link-local multicast group needs: ff02::1%eth0. */
static int send6(const char *s, const char *dst, uint16_t port, const char *payload)
{
	uint8_t pkt[1500] = {0};
	struct sockaddr_in6 to = {.sin6_family = AF_INET6};
	const char *scope = strchr(dst, '%');
	char d[INET6_ADDRSTRLEN];
	size_t n;
	int fd;

	snprintf(d, sizeof(d), "%.*s", (int)(scope ? (size_t)(scope - dst) : strlen(dst)), dst);
	if (scope != NULL && (to.sin6_scope_id = if_nametoindex(scope + 1)) == 0)
		return -ENODEV;
	if (inet_pton(AF_INET6, s, pkt + 8) != 1 || inet_pton(AF_INET6, d, pkt + 24) != 1)
		return -EINVAL;
	n = udp(pkt + 40, pkt + 8, pkt + 24, 16, port, payload);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(n >> 8);
	pkt[5] = (uint8_t)n;
	pkt[6] = 17;
	pkt[7] = 64;
	memcpy(&to.sin6_addr, pkt + 24, 16);
	/* IPPROTO_RAW on IPv6 means the header is ours, as IP_HDRINCL does for IPv4. */
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	if (sendto(fd, pkt, 40 + n, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)(40 + n))
		return -errno;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	long port;
	int rc;

	if (argc < 4 || (port = strtol(argv[3], NULL, 10)) < 1 || port > 65535) {
		fprintf(stderr, "usage: forge SRC DST PORT [PAYLOAD]\n");
		return 2;
	}
	if (strchr(argv[2], ':') != NULL)
		rc = send6(argv[1], argv[2], (uint16_t)port, argc > 4 ? argv[4] : "forged");
	else
		rc = send4(argv[1], argv[2], (uint16_t)port, argc > 4 ? argv[4] : "forged");
	if (rc != 0) {
		fprintf(stderr, "forge: %s -> %s: %s\n", argv[1], argv[2], strerror(-rc));
		return 1;
	}
	return 0;
}
