/*
 * fuzz_ratelimit: the per-source token buckets, and echo_decide, which puts
 * them after handle_datagram.
 *
 * Input layout (an exhausted input reads as zeros):
 *   u32 pps, u32 burst, u8 table size (log2), u64 seed, u8 source count,
 *   then operations of u8 source + u32 time step, until the input ends.
 *
 * Until the first eviction (never, with at most RATELIMIT_WAYS distinct
 * sources: a set holds that many) every decision must equal a slow, exact
 * token bucket kept here per source.  After one, an evicted source restarts
 * full, as documented, so only the memory bound is checked: the limiter
 * never writes outside the table it was given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/echo.h"
#include "udpecho/policy.h"
#include "udpecho/ratelimit.h"

#define MAX_SOURCES 64
#define MAX_SLOTS 256

struct ref_bucket {
	int seen;
	uint64_t tokens; /* millionths of a datagram, as the limiter documents */
	uint64_t last_us;
};

/* The token bucket, written out the slow way: refill, cap, spend. */
static int ref_allow(struct ref_bucket *b, uint64_t pps, uint64_t burst, uint64_t now)
{
	uint64_t cap = burst * RATELIMIT_UNIT;

	if (!b->seen) {
		b->seen = 1;
		b->tokens = cap;
	} else {
		uint64_t elapsed = now > b->last_us ? now - b->last_us : 0;
		unsigned __int128 t =
			(unsigned __int128)b->tokens + (unsigned __int128)elapsed * pps;

		b->tokens = t > cap ? cap : (uint64_t)t;
	}
	b->last_us = now;
	if (b->tokens < RATELIMIT_UNIT)
		return 0;
	b->tokens -= RATELIMIT_UNIT;
	return 1;
}

/* Distinct sources: IPv4, IPv6, and the v4-mapped twins of IPv4 ones (the same source). */
static void make_source(unsigned i, struct echo_peer *peer)
{
	memset(peer, 0, sizeof(*peer));
	peer->port = (uint16_t)(1024 + i);
	if (i % 3 == 2) {
		peer->family = ECHO_FAMILY_IPV6;
		peer->addr[0] = 0xfd;
		peer->addr[15] = (uint8_t)i;
		return;
	}
	peer->family = ECHO_FAMILY_IPV4;
	peer->addr[0] = 198;
	peer->addr[1] = 18;
	peer->addr[3] = (uint8_t)(i / 3);
	if (i % 3 == 1) { /* ::ffff:198.18.0.x: one key with 198.18.0.x */
		peer->family = ECHO_FAMILY_IPV6;
		memset(peer->addr, 0, 16);
		peer->addr[10] = 0xff;
		peer->addr[11] = 0xff;
		peer->addr[12] = 198;
		peer->addr[13] = 18;
		peer->addr[15] = (uint8_t)(i / 3);
	}
}

/* Sources i and i+1 (mod 3 == 0, 1) are one key: the reference buckets by key. */
static unsigned key_of(unsigned i)
{
	return i % 3 == 1 ? i - 1 : i;
}

static int check_parse(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size < 32 ? size : 32), shown[1024];
	uint32_t pps = 0, burst = 0;
	int rc = ratelimit_parse(text, &pps, &burst);
	int in_range = pps >= 1 && pps <= RATELIMIT_MAX_PPS && burst >= 1 &&
		       burst <= RATELIMIT_MAX_PPS && (strchr(text, ',') != NULL || burst == pps);

	fuzz_show(text, shown);
	free(text);
	FUZZ_REQUIRE(rc == 0 || rc == -EINVAL || rc == -ERANGE, "parse.rc", "'%s': %d", shown, rc);
	FUZZ_REQUIRE(rc != 0 || in_range, "parse.range", "'%s': pps %u burst %u", shown, pps,
		     burst);
	return 0;
}

/*
 * echo_decide = handle_datagram, then the limiter for what would be echoed:
 * returns 1 for an echo, 0 for a rate-limit drop, the reply matching.
 */
static int decide(struct ratelimit *rl, const struct echo_peer *peer, uint64_t now)
{
	static const uint8_t data[8] = "datagram";
	struct echo_policy policy;
	struct echo_reply r;
	enum echo_verdict v;

	policy_init(&policy);
	v = echo_decide(&policy, rl, now, peer, data, sizeof(data), &r);
	FUZZ_REQUIRE(v == ECHO_VERDICT_ECHO || v == ECHO_DROP_RATE_LIMITED, "decide.verdict",
		     "echo_decide said %s for a source the policy echoes", echo_verdict_name(v));
	FUZZ_REQUIRE(v == ECHO_VERDICT_ECHO ? r.data == data && r.len == sizeof(data)
					    : r.data == NULL && r.len == 0,
		     "decide.reply", "reply %p/%zu for verdict %s", (const void *)r.data, r.len,
		     echo_verdict_name(v));
	return v == ECHO_VERDICT_ECHO;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ratelimit_slot slots[MAX_SLOTS + 1];
	struct ref_bucket ref[MAX_SOURCES];
	struct fuzz_in in = {data, size};
	struct ratelimit rl;
	uint64_t pps, burst, now = 0;
	unsigned nsources, log2;
	size_t nslots;

	check_parse(data, size);
	pps = fuzz_u32(&in) % (RATELIMIT_MAX_PPS + 2);
	burst = fuzz_u32(&in) % 1000u;
	log2 = fuzz_u8(&in) % 7u;
	nslots = (size_t)RATELIMIT_WAYS << log2;
	if (ratelimit_init(&rl, slots, nslots, (uint32_t)pps, (uint32_t)burst, fuzz_u64(&in)) !=
	    0) {
		FUZZ_REQUIRE(pps == 0 || burst == 0 || pps > RATELIMIT_MAX_PPS, "init.rc",
			     "ratelimit_init refused pps %llu burst %llu slots %zu",
			     (unsigned long long)pps, (unsigned long long)burst, nslots);
		return 0;
	}
	slots[nslots].last_us = 0x5eed; /* a guard just past the table */
	nsources = 1 + fuzz_u8(&in) % MAX_SOURCES;
	memset(ref, 0, sizeof(ref));
	while (in.n > 0) {
		uint8_t op = fuzz_u8(&in);
		unsigned i = (op >> 1) % nsources;
		struct echo_peer peer;
		int got, want;

		now += fuzz_u32(&in) % 2000000u; /* up to 2 s between datagrams */
		make_source(i, &peer);
		/* Half the time through echo_decide, as the server does. */
		got = (op & 1) ? decide(&rl, &peer, now) : ratelimit_allow(&rl, &peer, now);
		want = ref_allow(&ref[key_of(i)], pps, burst, now);
		/* No eviction yet (always so with at most RATELIMIT_WAYS keys): exact. */
		if (rl.evictions == 0)
			FUZZ_REQUIRE(got == want, "allow.exact",
				     "source %u at %llu us: limiter %d, reference %d", i,
				     (unsigned long long)now, got, want);
	}
	FUZZ_REQUIRE(slots[nslots].last_us == 0x5eed && rl.slots == slots && rl.nsets * 4 == nslots,
		     "memory.fixed", "the limiter wrote outside its %zu slots", nslots);
	return 0;
}
