/*
 * ratelimit.c: per-source token buckets in a set-associative table.
 */
#include "udpecho/ratelimit.h"

#include <errno.h>
#include <string.h>

#include "udpecho/parse.h"

int ratelimit_init(struct ratelimit *rl, struct ratelimit_slot *slots, size_t nslots, uint32_t pps,
		   uint32_t burst, uint64_t seed)
{
	if (nslots < RATELIMIT_WAYS || (nslots & (nslots - 1)) != 0 || pps == 0 ||
	    pps > RATELIMIT_MAX_PPS || burst == 0 || burst > RATELIMIT_MAX_PPS)
		return -EINVAL;
	memset(slots, 0, nslots * sizeof(*slots));
	memset(rl, 0, sizeof(*rl));
	rl->slots = slots;
	rl->nsets = nslots / RATELIMIT_WAYS;
	rl->pps = pps;
	rl->burst = burst;
	rl->seed = seed;
	return 0;
}

static void make_key(const struct echo_peer *peer, uint8_t key[17])
{
	memset(key, 0, 17);
	if (peer->family == ECHO_FAMILY_IPV4 || echo_peer_is_v4mapped(peer)) {
		key[0] = 4;
		memcpy(key + 1, peer->family == ECHO_FAMILY_IPV4 ? peer->addr : peer->addr + 12, 4);
	} else {
		key[0] = 6;
		memcpy(key + 1, peer->addr, 16);
	}
}

/* A keyed 64-bit mix (multiply-xorshift); not cryptographic, but the key is secret. */
static uint64_t hash_key(const uint8_t key[17], uint64_t seed)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15u;

	for (size_t i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	return h ^ (h >> 29);
}

static void refill(const struct ratelimit *rl, struct ratelimit_slot *s, uint64_t now_us)
{
	uint64_t cap = rl->burst * RATELIMIT_UNIT;
	uint64_t elapsed = now_us > s->last_us ? now_us - s->last_us : 0;

	/* Past the time a bucket takes to fill, it is full: no multiplication to overflow. */
	if (elapsed >= cap / rl->pps + 1 || s->tokens + elapsed * rl->pps > cap)
		s->tokens = cap;
	else
		s->tokens += elapsed * rl->pps;
	s->last_us = now_us;
}

/* The slot for key in its set: found, free, or the least recently seen (evicted). */
static struct ratelimit_slot *find_slot(struct ratelimit *rl, const uint8_t key[17], int *found)
{
	struct ratelimit_slot *set =
		rl->slots + (hash_key(key, rl->seed) & (rl->nsets - 1)) * RATELIMIT_WAYS;
	struct ratelimit_slot *victim = &set[0];

	for (size_t w = 0; w < RATELIMIT_WAYS; w++) {
		if (set[w].key[0] != 0 && memcmp(set[w].key, key, 17) == 0) {
			*found = 1;
			return &set[w];
		}
	}
	*found = 0;
	for (size_t w = 0; w < RATELIMIT_WAYS; w++) {
		if (set[w].key[0] == 0)
			return &set[w];
		if (set[w].last_us < victim->last_us)
			victim = &set[w];
	}
	rl->evictions++;
	return victim;
}

int ratelimit_allow(struct ratelimit *rl, const struct echo_peer *peer, uint64_t now_us)
{
	uint8_t key[17];
	int found;
	struct ratelimit_slot *s;

	make_key(peer, key);
	s = find_slot(rl, key, &found);
	if (!found) {
		memcpy(s->key, key, 17);
		s->tokens = rl->burst * RATELIMIT_UNIT;
		s->last_us = now_us;
	} else {
		refill(rl, s, now_us);
	}
	if (s->tokens < RATELIMIT_UNIT)
		return 0;
	s->tokens -= RATELIMIT_UNIT;
	return 1;
}

int ratelimit_parse(const char *text, uint32_t *pps, uint32_t *burst)
{
	const char *comma = strchr(text, ',');
	char first[16];
	size_t n = comma ? (size_t)(comma - text) : strlen(text), a, b;
	int rc;

	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(first)) /* too long to be in range, if a number at all */
		return strspn(text, "0123456789") >= n ? -ERANGE : -EINVAL;
	memcpy(first, text, n);
	first[n] = '\0';
	rc = parse_size(first, RATELIMIT_MAX_PPS, &a);
	if (rc == 0 && a == 0)
		rc = -ERANGE;
	b = a;
	if (rc == 0 && comma != NULL) {
		rc = parse_size(comma + 1, RATELIMIT_MAX_PPS, &b);
		if (rc == 0 && b == 0)
			rc = -ERANGE;
	}
	if (rc != 0)
		return rc;
	*pps = (uint32_t)a;
	*burst = (uint32_t)b;
	return 0;
}
