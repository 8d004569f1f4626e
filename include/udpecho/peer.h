/*
 * peer.h: who sent a datagram and how it arrived, as plain data, and the
 * largest datagram its family carries.  Every rule reads it (echo.h's
 * handle_datagram, policy.h, ratelimit.h, batch.h) and none of them needs
 * another's header for it.
 */
#ifndef UDPECHO_PEER_H
#define UDPECHO_PEER_H

#include <stddef.h>
#include <stdint.h>

/* 65,535 (IPv4 total length) - 20 (IPv4 header) - 8 (UDP header). */
#define ECHO_MAX_PAYLOAD_V4 65507u
/* 65,535 (IPv6 payload length, no jumbograms) - 8 (UDP header). */
#define ECHO_MAX_PAYLOAD_V6 65527u
/* The largest datagram any family can carry: the receive buffer's floor. */
#define ECHO_MAX_PAYLOAD ECHO_MAX_PAYLOAD_V6

enum echo_family {
	ECHO_FAMILY_NONE = 0,
	ECHO_FAMILY_IPV4,
	ECHO_FAMILY_IPV6,
};

/*
 * Who sent a datagram, as plain data (the net layer converts sockaddrs).
 * IPv4 addresses use addr[0..3]; IPv6 uses all 16 bytes, network order.
 * flowinfo and scope_id are kept so that addresses print as Python does.
 * How it arrived is known when the socket reports it (PKTINFO): whether on
 * the loopback interface, and whether as an IPv6 packet (an IPv4 client of
 * a dual-stack socket arrives as IPv4 and shows as ::ffff:a.b.c.d).
 */
struct echo_peer {
	enum echo_family family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t flowinfo;
	uint32_t scope_id;
	uint8_t arrival_known;
	uint8_t arrival_loopback;
	uint8_t arrival_ipv6;
	/* Sent to a broadcast or multicast address, as the kernel routed it. */
	uint8_t arrival_group;
};

/* 65,507 for IPv4 and v4-mapped IPv6 peers, 65,527 for IPv6, 0 otherwise. */
size_t echo_family_max(const struct echo_peer *peer);

/* True for ::ffff:a.b.c.d, an IPv4 client seen on a dual-stack socket. */
int echo_peer_is_v4mapped(const struct echo_peer *peer);

#endif
