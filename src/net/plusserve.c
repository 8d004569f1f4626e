/*
 * plusserve.c: UDPEchoPlus counters and clock, shared by the workers.
 */
#include "udpecho/plusserve.h"

#include <time.h>

#include "udpecho/echoplus.h"
#include "udpecho/net.h"

void plusserve_init(struct plusserve *ps)
{
	atomic_init(&ps->answered, 0);
	atomic_init(&ps->failures, 0);
	ps->start_us = net_now_us();
}

uint32_t plusserve_now(const struct plusserve *ps)
{
	return echoplus_clock(net_now_us(), ps->start_us);
}

int plusserve_stamp(struct plusserve *ps, uint8_t *data, size_t len, uint32_t recv_ts,
		    uint32_t reply_ts)
{
	struct echoplus_stamp s;

	if (len < ECHOPLUS_MIN_LEN)
		return 0;
	/* Relaxed: the values only need to be unique and counted, not ordered with other memory. */
	s.resp_sn = (uint32_t)atomic_fetch_add_explicit(&ps->answered, 1, memory_order_relaxed);
	s.recv_ts = recv_ts;
	s.reply_ts = reply_ts;
	s.failures = (uint32_t)atomic_load_explicit(&ps->failures, memory_order_relaxed);
	return echoplus_rewrite(data, len, &s);
}

void plusserve_failed(struct plusserve *ps, size_t len)
{
	if (len >= ECHOPLUS_MIN_LEN)
		atomic_fetch_add_explicit(&ps->failures, 1, memory_order_relaxed);
}
