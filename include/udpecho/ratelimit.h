/*
 * ratelimit.h: a token bucket per source address, in fixed memory.
 *
 * Pure: the caller owns the slot array (allocated once) and passes the time
 * in.  Sources live in a set-associative table; when a set is full the
 * source seen longest ago is evicted, so memory never grows with the number
 * of senders.  An evicted source comes back with a full bucket: a flood of
 * distinct (spoofed) sources can make the limiter forget, never make it
 * drop a legitimate sender sooner.
 */
#ifndef UDPECHO_RATELIMIT_H
#define UDPECHO_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "udpecho/peer.h"

#define RATELIMIT_WAYS 4
#define RATELIMIT_MAX_PPS 10000000u
/* Tokens are counted in millionths of a datagram, refilled every microsecond. */
#define RATELIMIT_UNIT 1000000u

struct ratelimit_slot {
	uint64_t tokens;  /* RATELIMIT_UNIT per datagram */
	uint64_t last_us; /* when this source was last seen */
	uint8_t key[17];  /* 4 or 6, then the address (IPv4 clients of dual-stack as 4); 0: free */
};

struct ratelimit {
	struct ratelimit_slot *slots;
	size_t nsets; /* a power of two; slots holds nsets * RATELIMIT_WAYS */
	uint64_t pps, burst;
	uint64_t seed; /* keys the hash, so senders cannot aim at one set */
	uint64_t evictions;
};

/*
 * Use slots[0..nslots) (nslots a power of two, at least RATELIMIT_WAYS) for
 * pps datagrams per second per source with bursts of up to burst.  Returns
 * 0 or -EINVAL.
 */
int ratelimit_init(struct ratelimit *rl, struct ratelimit_slot *slots, size_t nslots, uint32_t pps,
		   uint32_t burst, uint64_t seed);

/* 1: the datagram may pass (a token is spent); 0: over the limit. */
int ratelimit_allow(struct ratelimit *rl, const struct echo_peer *peer, uint64_t now_us);

/* "PPS" or "PPS,BURST" (BURST defaults to PPS, one second's worth). 0 or -EINVAL/-ERANGE. */
int ratelimit_parse(const char *text, uint32_t *pps, uint32_t *burst);

#endif
