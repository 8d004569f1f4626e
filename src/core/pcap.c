/*
 * pcap.c: datagrams as a pcap capture file (see pcap.h).
 */
#include "udpecho/pcap.h"

#include <string.h>

#define IPV4_HEADER 20u
#define IPV6_HEADER 40u
#define UDP_HEADER 8u
#define UDP_PROTOCOL 17u
#define HOP_LIMIT 64u

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* pcap's own headers are little-endian here: the magic number tells readers. */
static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void pcap_file_header(uint8_t out[PCAP_FILE_HEADER_LEN])
{
	le32(out, 0xa1b2c3d4u); /* microsecond time stamps */
	le16(out + 4, 2);       /* version 2.4 */
	le16(out + 6, 4);
	le32(out + 8, 0);  /* this zone: UTC */
	le32(out + 12, 0); /* sigfigs */
	le32(out + 16, PCAP_SNAPLEN);
	le32(out + 20, PCAP_LINKTYPE_RAW);
}

uint32_t pcap_sum(uint32_t sum, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)data[i] << 8 | data[i + 1];
	if (len % 2 != 0)
		sum += (uint32_t)data[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return sum;
}

uint16_t pcap_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The address bytes of a peer as its IP version carries them: 4 or 16. */
static size_t address(const struct echo_peer *p, const uint8_t **bytes)
{
	if (p->family == ECHO_FAMILY_IPV4) {
		*bytes = p->addr;
		return 4;
	}
	if (p->family == ECHO_FAMILY_IPV6 && echo_peer_is_v4mapped(p)) {
		*bytes = p->addr + 12;
		return 4;
	}
	if (p->family == ECHO_FAMILY_IPV6) {
		*bytes = p->addr;
		return 16;
	}
	return 0;
}

/* The UDP header, its checksum over the pseudo-header (RFC 768, RFC 8200 8.1). */
static void udp_header(uint8_t *udp, const uint8_t *src, const uint8_t *dst, size_t alen,
		       uint16_t sport, uint16_t dport, const uint8_t *payload, size_t len)
{
	uint8_t pseudo[4];
	uint32_t sum = 0;
	uint16_t check;

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint32_t)(UDP_HEADER + len));
	put16(udp + 6, 0);
	sum = pcap_sum(sum, src, alen);
	sum = pcap_sum(sum, dst, alen);
	put32(pseudo, (uint32_t)(UDP_HEADER + len)); /* IPv4's zero and protocol fit too */
	sum = pcap_sum(sum, pseudo, 4);
	put16(pseudo, 0);
	put16(pseudo + 2, UDP_PROTOCOL);
	sum = pcap_sum(sum, pseudo, 4);
	sum = pcap_sum(sum, udp, UDP_HEADER);
	sum = pcap_sum(sum, payload, len); /* last: only it may be of odd length */
	check = pcap_fold(sum);
	put16(udp + 6, check == 0 ? 0xffffu : check); /* 0 means "no checksum" */
}

static size_t ipv4_header(uint8_t *ip, const uint8_t *src, const uint8_t *dst, size_t len)
{
	memset(ip, 0, IPV4_HEADER);
	ip[0] = 0x45;
	put16(ip + 2, (uint32_t)(IPV4_HEADER + UDP_HEADER + len));
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = HOP_LIMIT;
	ip[9] = UDP_PROTOCOL;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, pcap_fold(pcap_sum(0, ip, IPV4_HEADER)));
	return IPV4_HEADER;
}

static size_t ipv6_header(uint8_t *ip, const uint8_t *src, const uint8_t *dst, size_t len)
{
	memset(ip, 0, IPV6_HEADER);
	ip[0] = 0x60;
	put16(ip + 4, (uint32_t)(UDP_HEADER + len));
	ip[6] = UDP_PROTOCOL;
	ip[7] = HOP_LIMIT;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return IPV6_HEADER;
}

size_t pcap_udp_record(uint8_t *out, size_t cap, uint64_t ts_us, const struct echo_peer *src,
		       const struct echo_peer *dst, const uint8_t *payload, size_t len)
{
	const uint8_t *s, *d;
	size_t alen = address(src, &s), header, total;

	if (alen == 0 || address(dst, &d) != alen)
		return 0;
	if (len > (alen == 4 ? ECHO_MAX_PAYLOAD_V4 : ECHO_MAX_PAYLOAD_V6))
		return 0;
	header = alen == 4 ? IPV4_HEADER : IPV6_HEADER;
	total = header + UDP_HEADER + len;
	if (cap < PCAP_RECORD_HEADER_LEN + total)
		return 0;
	le32(out, (uint32_t)(ts_us / 1000000u));
	le32(out + 4, (uint32_t)(ts_us % 1000000u));
	le32(out + 8, (uint32_t)total);
	le32(out + 12, (uint32_t)total);
	out += PCAP_RECORD_HEADER_LEN;
	if (alen == 4)
		ipv4_header(out, s, d, len);
	else
		ipv6_header(out, s, d, len);
	if (len > 0)
		memcpy(out + header + UDP_HEADER, payload, len);
	udp_header(out + header, s, d, alen, src->port, dst->port, out + header + UDP_HEADER, len);
	return PCAP_RECORD_HEADER_LEN + total;
}
