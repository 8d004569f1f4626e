/*
 * fuzz_handle_datagram: the input is one raw datagram, up to the 65,507-byte
 * IPv4 limit (run libFuzzer with -max_len=65507), handed to the same
 * handle_datagram() the server runs, with the default policy, from an
 * allowed source port.  Asserts the echo invariants on every input:
 *   - an echo reply is byte-for-byte the request (the very bytes, no copy);
 *   - no reply is longer than its request;
 *   - the verdict is a pure function of its arguments: the same call twice,
 *     and on a copy of the input, decides the same and reads no global;
 *   - with the default policy every datagram up to the peer family's
 *     maximum is echoed, the empty one included, and a larger one dropped
 *     as too_big (never truncated).
 * The datagram goes through from three peers: IPv4, IPv6 and an IPv4 client
 * on a dual-stack socket (v4-mapped), each from source port 40000.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "udpecho/echo.h"
#include "udpecho/policy.h"

#define PEER_PORT 40000 /* not in the default deny list */

struct fixed_peer {
	struct echo_peer peer;
	size_t family_max; /* from RFC 768 and the IP headers, not from the code under test */
};

static const struct fixed_peer peers[] = {
	/* Loopback clients as the server sees them, arriving on the loopback interface. */
	{{ECHO_FAMILY_IPV4, {127, 0, 0, 1}, PEER_PORT, 0, 0, 1, 1, 0, 0}, 65507},
	{{ECHO_FAMILY_IPV6, {[15] = 1}, PEER_PORT, 0, 0, 1, 1, 1, 0}, 65527},
	{{ECHO_FAMILY_IPV6, {[10] = 0xff, [11] = 0xff, 127, 0, 0, 1}, PEER_PORT, 0, 0, 1, 1, 0, 0},
	 65507},
};

/* What a reply must be for a verdict on data[0..len). */
static int check_reply(enum echo_verdict v, const struct echo_reply *r, const uint8_t *data,
		       size_t len)
{
	FUZZ_REQUIRE(r->len <= len, "reply.not_longer", "reply of %zu bytes to a %zu-byte request",
		     r->len, len);
	if (v != ECHO_VERDICT_ECHO) {
		FUZZ_REQUIRE(r->data == NULL && r->len == 0, "reply.empty_on_drop",
			     "verdict %s but reply %p/%zu", echo_verdict_name(v),
			     (const void *)r->data, r->len);
		return 0;
	}
	FUZZ_REQUIRE(r->len == len, "reply.is_request", "echo of %zu bytes to a %zu-byte request",
		     r->len, len);
	FUZZ_REQUIRE(len == 0 || r->data == data, "reply.is_request",
		     "echo reply points to %p, request is at %p", (const void *)r->data,
		     (const void *)data);
	FUZZ_REQUIRE(len == 0 || memcmp(r->data, data, len) == 0, "reply.is_request",
		     "echo reply differs from the request");
	return 0;
}

/* Field by field: the struct has padding, which memcmp would compare too. */
static int peer_same(const struct echo_peer *a, const struct echo_peer *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 &&
	       a->port == b->port && a->flowinfo == b->flowinfo && a->scope_id == b->scope_id;
}

/* One verdict, with the reply pre-filled with garbage so that an unset reply shows. */
static enum echo_verdict decide(const struct echo_policy *policy, const struct echo_peer *peer,
				const uint8_t *data, size_t len, struct echo_reply *reply)
{
	static const uint8_t garbage[1] = {0};

	reply->data = garbage;
	reply->len = (size_t)-1;
	return handle_datagram(policy, peer, data, len, reply);
}

static int check_peer(const struct echo_policy *policy, const struct fixed_peer *fp,
		      const uint8_t *data, size_t len, const uint8_t *copy)
{
	struct echo_policy policy_copy = *policy;
	struct echo_peer peer_copy = fp->peer;
	struct echo_reply r1, r2, r3;
	enum echo_verdict v1, v2, v3;
	enum echo_verdict want = len <= fp->family_max ? ECHO_VERDICT_ECHO : ECHO_DROP_TOO_BIG;

	v1 = decide(policy, &fp->peer, data, len, &r1);
	FUZZ_REQUIRE(v1 == want, "verdict.default_policy", "%zu bytes from family %d: %s, want %s",
		     len, (int)fp->peer.family, echo_verdict_name(v1), echo_verdict_name(want));
	if (check_reply(v1, &r1, data, len) != 0)
		return -1;

	v2 = decide(policy, &fp->peer, data, len, &r2);
	FUZZ_REQUIRE(v2 == v1 && r2.data == r1.data && r2.len == r1.len, "verdict.pure",
		     "second call on the same arguments: %s/%zu, first %s/%zu",
		     echo_verdict_name(v2), r2.len, echo_verdict_name(v1), r1.len);

	v3 = decide(&policy_copy, &peer_copy, copy, len, &r3);
	FUZZ_REQUIRE(v3 == v1 && r3.len == r1.len, "verdict.pure",
		     "on copies of the arguments: %s/%zu, on the originals %s/%zu",
		     echo_verdict_name(v3), r3.len, echo_verdict_name(v1), r1.len);
	if (check_reply(v3, &r3, copy, len) != 0)
		return -1;

	FUZZ_REQUIRE(memcmp(&policy_copy, policy, sizeof(*policy)) == 0 &&
			     peer_same(&peer_copy, &fp->peer),
		     "verdict.pure", "handle_datagram wrote to its policy or peer");
	FUZZ_REQUIRE(len == 0 || memcmp(copy, data, len) == 0, "verdict.pure",
		     "handle_datagram wrote to the datagram");
	return 0;
}

/* The empty datagram may come as a NULL pointer (echo.h) and is echoed as one. */
static int check_null_empty(const struct echo_policy *policy)
{
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		struct echo_reply r;
		enum echo_verdict v = decide(policy, &peers[i].peer, NULL, 0, &r);

		FUZZ_REQUIRE(v == ECHO_VERDICT_ECHO && r.len == 0, "verdict.empty_echoed",
			     "empty datagram (NULL data) from family %d: %s/%zu",
			     (int)peers[i].peer.family, echo_verdict_name(v), r.len);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct echo_policy policy;
	uint8_t *copy = fuzz_memdup(data, size);

	policy_init(&policy);
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		if (check_peer(&policy, &peers[i], data, size, copy) != 0)
			break;
	}
	if (size == 0)
		(void)check_null_empty(&policy);
	free(copy);
	return 0;
}
