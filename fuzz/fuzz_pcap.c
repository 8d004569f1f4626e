/*
 * fuzz_pcap: datagrams as pcap records (pcap.h).  Input: two peers (family
 * byte, 16 address bytes, port u16 each), a capacity choice (u16), then the
 * payload (the rest).  Properties:
 *   - a record is written only when both peers are of one IP version and
 *     the payload fits the family, and then it is exactly the record
 *     header, the IP header (20 or 40), the UDP header and the payload;
 *   - it never writes past the capacity it is given (an exact-size heap
 *     buffer: ASan sees any overflow), and refuses when that is too small;
 *   - the IPv4 header checksum and the UDP checksum over the pseudo-header
 *     hold, the lengths in every header agree, and the payload is copied
 *     byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/pcap.h"

static size_t take_peer(const uint8_t *data, size_t size, struct echo_peer *p)
{
	uint8_t raw[19] = {0};

	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	memset(p, 0, sizeof(*p));
	p->family = (enum echo_family)(raw[0] % 3);
	memcpy(p->addr, raw + 1, 16);
	p->port = (uint16_t)(raw[17] << 8 | raw[18]);
	return size < sizeof(raw) ? size : sizeof(raw);
}

/* The address bytes an IP packet carries for p: 4 (IPv4 or v4-mapped), 16, or 0. */
static size_t ip_bytes(const struct echo_peer *p, const uint8_t **out)
{
	if (p->family == ECHO_FAMILY_IPV4) {
		*out = p->addr;
		return 4;
	}
	if (p->family != ECHO_FAMILY_IPV6)
		return 0;
	if (echo_peer_is_v4mapped(p)) {
		*out = p->addr + 12;
		return 4;
	}
	*out = p->addr;
	return 16;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int check_record(const uint8_t *rec, size_t n, const uint8_t *s, const uint8_t *d,
			size_t alen, const struct echo_peer *src, const struct echo_peer *dst,
			const uint8_t *payload, size_t len)
{
	size_t header = alen == 4 ? 20 : 40;
	const uint8_t *ip = rec + PCAP_RECORD_HEADER_LEN, *udp = ip + header;
	uint8_t pseudo[8] = {0, 0, (uint8_t)((len + 8) >> 8), (uint8_t)(len + 8), 0, 0, 0, 17};
	uint32_t sum;

	FUZZ_REQUIRE(n == PCAP_RECORD_HEADER_LEN + header + 8 + len, "pcap.length", "%zu for %zu",
		     n, len);
	if (alen == 4) {
		FUZZ_REQUIRE(ip[0] == 0x45 && be16(ip + 2) == header + 8 + len &&
				     pcap_fold(pcap_sum(0, ip, 20)) == 0 &&
				     memcmp(ip + 12, s, 4) == 0 && memcmp(ip + 16, d, 4) == 0,
			     "pcap.ipv4", "a wrong IPv4 header");
	} else {
		FUZZ_REQUIRE(ip[0] >> 4 == 6 && be16(ip + 4) == 8 + len && ip[6] == 17 &&
				     memcmp(ip + 8, s, 16) == 0 && memcmp(ip + 24, d, 16) == 0,
			     "pcap.ipv6", "a wrong IPv6 header");
	}
	FUZZ_REQUIRE(be16(udp) == src->port && be16(udp + 2) == dst->port &&
			     be16(udp + 4) == 8 + len && be16(udp + 6) != 0,
		     "pcap.udp", "a wrong UDP header");
	sum = pcap_sum(pcap_sum(pcap_sum(0, s, alen), d, alen), pseudo, 8);
	sum = pcap_sum(sum, udp, 8 + len);
	FUZZ_REQUIRE(pcap_fold(sum) == 0 || (be16(udp + 6) == 0xffff && pcap_fold(sum) == 0xffff),
		     "pcap.checksum", "the UDP checksum does not hold");
	FUZZ_REQUIRE(len == 0 || memcmp(udp + 8, payload, len) == 0, "pcap.payload",
		     "the payload was not copied");
	return 0;
}

/* The file header: the magic of microsecond stamps and the link type of raw IP. */
static int check_file_header(void)
{
	uint8_t h[PCAP_FILE_HEADER_LEN];

	pcap_file_header(h);
	FUZZ_REQUIRE(h[0] == 0xd4 && h[1] == 0xc3 && h[2] == 0xb2 && h[3] == 0xa1 &&
			     h[20] == PCAP_LINKTYPE_RAW && h[21] == 0,
		     "pcap.file_header", "a wrong file header");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct echo_peer src, dst;
	const uint8_t *s = NULL, *d = NULL, *payload;
	size_t off = 0, len, alen, need, cap, n;
	uint16_t choice = 0;
	uint8_t *out;
	int rc = 0;

	off += take_peer(data, size, &src);
	off += take_peer(data + off, size - off, &dst);
	if (size - off >= 2) {
		choice = (uint16_t)(data[off] << 8 | data[off + 1]);
		off += 2;
	}
	if (check_file_header() != 0)
		return -1;
	payload = data + off;
	len = size - off;
	alen = ip_bytes(&src, &s);
	need = PCAP_RECORD_HEADER_LEN + (alen == 4 ? 20 : 40) + 8 + len;
	/* Mostly the exact need; sometimes a byte or more short. */
	cap = choice % 4 == 0 ? need - 1 - choice / 4 % need : need;
	out = malloc(cap > 0 ? cap : 1);
	if (out == NULL)
		return 0;
	n = pcap_udp_record(out, cap, 0, &src, &dst, payload, len);
	if (alen == 0 || ip_bytes(&dst, &d) != alen ||
	    len > (alen == 4 ? ECHO_MAX_PAYLOAD_V4 : ECHO_MAX_PAYLOAD_V6) || cap < need)
		FUZZ_REQUIRE(n == 0, "pcap.refused", "a record that cannot be was written");
	else
		rc = check_record(out, n, s, d, alen, &src, &dst, payload, len);
	free(out);
	return rc;
}
