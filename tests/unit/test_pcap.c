/*
 * test_pcap.c: datagrams as pcap records (pcap.h), read back field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/pcap.h"

static uint8_t buf[PCAP_RECORD_MAX];

static struct echo_peer v4(uint8_t last, uint16_t port)
{
	struct echo_peer p;

	memset(&p, 0, sizeof(p));
	p.family = ECHO_FAMILY_IPV4;
	p.addr[0] = 127;
	p.addr[3] = last;
	p.port = port;
	return p;
}

static struct echo_peer v6(uint8_t last, uint16_t port)
{
	struct echo_peer p;

	memset(&p, 0, sizeof(p));
	p.family = ECHO_FAMILY_IPV6;
	p.addr[15] = last;
	p.port = port;
	return p;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void test_the_file_header_names_raw_ip(void **state)
{
	(void)state;
	pcap_file_header(buf);
	assert_int_equal(le32(buf), 0xa1b2c3d4u);
	assert_int_equal(buf[4] | buf[5] << 8, 2);
	assert_int_equal(buf[6] | buf[7] << 8, 4);
	assert_int_equal(le32(buf + 16), PCAP_SNAPLEN);
	assert_int_equal(le32(buf + 20), PCAP_LINKTYPE_RAW);
}

/* The UDP checksum over the pseudo-header and the datagram sums to all ones. */
static void assert_udp_sum_ok(const uint8_t *src, const uint8_t *dst, size_t alen,
			      const uint8_t *udp, size_t udplen)
{
	uint8_t pseudo[8] = {0, 0, (uint8_t)(udplen >> 8), (uint8_t)udplen, 0, 0, 0, 17};
	uint32_t sum = pcap_sum(0, src, alen);

	sum = pcap_sum(sum, dst, alen);
	sum = pcap_sum(sum, pseudo, 8);
	sum = pcap_sum(sum, udp, udplen);
	assert_int_equal(pcap_fold(sum), 0);
}

static void test_an_ipv4_datagram_reads_back(void **state)
{
	const struct echo_peer src = v4(1, 41000), dst = v4(2, 7);
	const uint8_t payload[] = "This is the message.  It will be repeated.";
	size_t n = pcap_udp_record(buf, sizeof(buf), 1733540000123456u, &src, &dst, payload, 42);
	const uint8_t *ip = buf + PCAP_RECORD_HEADER_LEN;

	(void)state;
	assert_int_equal(n, 16 + 20 + 8 + 42);
	assert_int_equal(le32(buf), 1733540000u);
	assert_int_equal(le32(buf + 4), 123456u);
	assert_int_equal(le32(buf + 8), 70);
	assert_int_equal(le32(buf + 12), 70);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(be16(ip + 2), 70);
	assert_int_equal(ip[9], 17);
	assert_int_equal(pcap_fold(pcap_sum(0, ip, 20)), 0); /* the header checksum holds */
	assert_memory_equal(ip + 12, src.addr, 4);
	assert_memory_equal(ip + 16, dst.addr, 4);
	assert_int_equal(be16(ip + 20), 41000);
	assert_int_equal(be16(ip + 22), 7);
	assert_int_equal(be16(ip + 24), 50);
	assert_memory_equal(ip + 28, payload, 42);
	assert_udp_sum_ok(src.addr, dst.addr, 4, ip + 20, 50);
}

static void test_an_ipv6_datagram_of_odd_length_reads_back(void **state)
{
	const struct echo_peer src = v6(1, 7), dst = v6(1, 52000);
	const uint8_t payload[3] = {0xff, 0x00, 0x7f};
	size_t n = pcap_udp_record(buf, sizeof(buf), 0, &src, &dst, payload, 3);
	const uint8_t *ip = buf + PCAP_RECORD_HEADER_LEN;

	(void)state;
	assert_int_equal(n, 16 + 40 + 8 + 3);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(be16(ip + 4), 11);
	assert_int_equal(ip[6], 17);
	assert_memory_equal(ip + 8, src.addr, 16);
	assert_memory_equal(ip + 24, dst.addr, 16);
	assert_udp_sum_ok(src.addr, dst.addr, 16, ip + 40, 11);
}

static void test_an_empty_datagram_and_the_largest_fit(void **state)
{
	static uint8_t big[ECHO_MAX_PAYLOAD_V6];
	const struct echo_peer a4 = v4(1, 1), b4 = v4(2, 2), a6 = v6(1, 1), b6 = v6(2, 2);

	(void)state;
	assert_int_equal(pcap_udp_record(buf, sizeof(buf), 0, &a4, &b4, NULL, 0), 16 + 28);
	assert_int_equal(pcap_udp_record(buf, sizeof(buf), 0, &a4, &b4, big, ECHO_MAX_PAYLOAD_V4),
			 16 + 28 + ECHO_MAX_PAYLOAD_V4);
	assert_int_equal(
		pcap_udp_record(buf, sizeof(buf), 0, &a4, &b4, big, ECHO_MAX_PAYLOAD_V4 + 1), 0);
	assert_int_equal(pcap_udp_record(buf, sizeof(buf), 0, &a6, &b6, big, ECHO_MAX_PAYLOAD_V6),
			 PCAP_RECORD_MAX);
	assert_int_equal(be16(buf + 16 + 4), 8 + ECHO_MAX_PAYLOAD_V6);
}

static void test_what_does_not_fit_is_refused(void **state)
{
	const struct echo_peer a4 = v4(1, 1), a6 = v6(1, 1);
	struct echo_peer mapped = v6(0, 9), none;

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(pcap_udp_record(buf, sizeof(buf), 0, &a4, &a6, NULL, 0), 0);
	assert_int_equal(pcap_udp_record(buf, sizeof(buf), 0, &none, &none, NULL, 0), 0);
	assert_int_equal(pcap_udp_record(buf, 16 + 28 + 9, 0, &a4, &a4, buf, 10), 0);
	/* A v4-mapped address is an IPv4 packet's. */
	mapped.addr[10] = mapped.addr[11] = 0xff;
	mapped.addr[12] = 127;
	mapped.addr[15] = 3;
	assert_int_equal(pcap_udp_record(buf, sizeof(buf), 0, &mapped, &a4, NULL, 0), 16 + 28);
	assert_int_equal(buf[16] >> 4, 4);
	assert_int_equal(buf[16 + 12], 127);
	assert_int_equal(buf[16 + 15], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_file_header_names_raw_ip),
		cmocka_unit_test(test_an_ipv4_datagram_reads_back),
		cmocka_unit_test(test_an_ipv6_datagram_of_odd_length_reads_back),
		cmocka_unit_test(test_an_empty_datagram_and_the_largest_fit),
		cmocka_unit_test(test_what_does_not_fit_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
