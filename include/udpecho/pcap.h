/*
 * pcap.h: datagrams as a pcap capture file, built from what the socket
 * API tells (addresses, ports, payloads, times), so that no privilege to
 * capture is needed.  Each record is a whole IPv4 or IPv6 packet with its
 * UDP header (link type RAW), checksums right, so that tcpdump and
 * Wireshark read it as a capture.  Pure: bytes into buffers.
 */
#ifndef UDPECHO_PCAP_H
#define UDPECHO_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/peer.h"

#define PCAP_FILE_HEADER_LEN 24u
#define PCAP_RECORD_HEADER_LEN 16u
#define PCAP_LINKTYPE_RAW 101u /* packets begin with their IP header */
#define PCAP_SNAPLEN 262144u   /* more than any UDP datagram with its headers */
/* The largest record: header, IPv6 header, UDP header, the IPv6 maximum payload. */
#define PCAP_RECORD_MAX (PCAP_RECORD_HEADER_LEN + 40u + 8u + ECHO_MAX_PAYLOAD_V6)

/* The file header (microsecond time stamps, little-endian). */
void pcap_file_header(uint8_t out[PCAP_FILE_HEADER_LEN]);

/*
 * One datagram from src to dst at ts_us (microseconds since the epoch):
 * the record header, then the packet.  Both peers must be of one family
 * (a v4-mapped IPv6 address counts as IPv4).  Returns the bytes written,
 * or 0 when out is too small, the families differ or the payload is
 * longer than the family allows.
 */
size_t pcap_udp_record(uint8_t *out, size_t cap, uint64_t ts_us, const struct echo_peer *src,
		       const struct echo_peer *dst, const uint8_t *payload, size_t len);

/* The Internet checksum (RFC 1071) of data, continuing from sum; fold with pcap_fold. */
uint32_t pcap_sum(uint32_t sum, const uint8_t *data, size_t len);
uint16_t pcap_fold(uint32_t sum);

#endif
