/*
 * check.c: the pure parts of `udpecho check`.
 */
#include "udpecho/check.h"

#include <stdio.h>
#include <string.h>

static const struct check_info catalogue[CHECK_COUNT] = {
	{.id = CHECK_ECHO_BASIC,
	 .name = "echo.basic",
	 .level = CHECK_MUST,
	 .what = "the classic 42-byte message comes back exactly"},
	{.id = CHECK_ECHO_EMPTY,
	 .name = "echo.empty",
	 .level = CHECK_MUST,
	 .what = "a 0-byte datagram comes back as a 0-byte datagram"},
	{.id = CHECK_ECHO_BYTES,
	 .name = "echo.bytes",
	 .level = CHECK_MUST,
	 .what = "every byte value 0x00-0xff, NULs first and last"},
	{.id = CHECK_ECHO_SIZES,
	 .name = "echo.sizes",
	 .level = CHECK_MUST,
	 .what = "a size ladder up to the family maximum, then bisection to the largest exact "
		 "echo"},
	{.id = CHECK_REPLY_SOURCE,
	 .name = "reply.source",
	 .level = CHECK_MUST,
	 .what = "the reply comes from the address and port the request was sent to"},
	{.id = CHECK_REPLY_ONCE,
	 .name = "reply.once",
	 .level = CHECK_MUST,
	 .what = "exactly one reply per request"},
	{.id = CHECK_BURST_BOUNDARIES,
	 .name = "burst.boundaries",
	 .level = CHECK_MUST,
	 .what = "a burst of distinct datagrams comes back as the same datagrams: none merged, "
		 "split "
		 "or altered"},
	{.id = CHECK_CLIENTS_ISOLATION,
	 .name = "clients.isolation",
	 .level = CHECK_MUST,
	 .what = "concurrent clients each get only their own data"},
	{.id = CHECK_SAFETY_AMPLIFICATION,
	 .name = "safety.amplification",
	 .level = CHECK_MUST,
	 .what = "total reply bytes never exceed request bytes"},
	{.id = CHECK_BURST_LOSS,
	 .name = "burst.loss",
	 .level = CHECK_SHOULD,
	 .what = "share of a windowed burst echoed (loss above 1% warns)"},
	{.id = CHECK_SAFETY_LOOP,
	 .name = "safety.loop",
	 .level = CHECK_INFO,
	 .what = "whether the server answers requests from the echo/chargen ports (needs "
		 "privilege)"},
	{.id = CHECK_LATENCY,
	 .name = "latency",
	 .level = CHECK_INFO,
	 .what = "round-trip percentiles of the run"},
	{.id = CHECK_ECHOPLUS_FIELDS,
	 .name = "echoplus.fields",
	 .level = CHECK_INFO,
	 .what = "a TR-143 UDPEchoPlus responder fills its header fields right and echoes the "
		 "rest (MUST once detected)"},
	{.id = CHECK_CLIENTS_MANY,
	 .name = "clients.many",
	 .level = CHECK_MUST,
	 .what = "many distinct clients (source ports), one paced request each, each get their "
		 "echo"},
	{.id = CHECK_SERVER_ALIVE,
	 .name = "server.alive",
	 .level = CHECK_MUST,
	 .what = "the server keeps answering for the whole run: no exit, crash, closed port or "
		 "hang"},
};

const struct check_info *check_info(enum check_id id)
{
	return (unsigned)id < CHECK_COUNT ? &catalogue[id] : NULL;
}

const struct check_info *check_find(const char *name)
{
	for (size_t i = 0; i < CHECK_COUNT; i++) {
		if (strcmp(catalogue[i].name, name) == 0)
			return &catalogue[i];
	}
	return NULL;
}

const char *check_level_name(enum check_level level)
{
	static const char *const names[] = {"MUST", "SHOULD", "INFO"};

	return (unsigned)level < 3 ? names[level] : "?";
}

const char *check_status_name(enum check_status status)
{
	static const char *const names[CHECK_STATUSES] = {"PASS", "FAIL", "WARN", "SKIP",
							  "INCONCLUSIVE"};

	return (unsigned)status < CHECK_STATUSES ? names[status] : "?";
}

/* Marks the checks one item names: an exact ID, or a group such as "echo.*". */
static int select_item(const char *item, size_t len, unsigned char selected[CHECK_COUNT])
{
	int found = 0;

	for (size_t i = 0; i < CHECK_COUNT; i++) {
		const char *name = catalogue[i].name;
		int hit;

		if (len >= 2 && item[len - 1] == '*' && item[len - 2] == '.')
			hit = strncmp(name, item, len - 1) == 0;
		else
			hit = strlen(name) == len && strncmp(name, item, len) == 0;
		if (hit) {
			selected[i] = 1;
			found = 1;
		}
	}
	return found;
}

int check_parse_only(const char *list, unsigned char selected[CHECK_COUNT], char *bad,
		     size_t badlen)
{
	const char *p = list;

	memset(selected, 0, CHECK_COUNT);
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == 0 || !select_item(p, len, selected)) {
			snprintf(bad, badlen, "%.*s", (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

struct check_match check_classify(const uint8_t *req, size_t req_len, const uint8_t *rep,
				  size_t rep_len)
{
	size_t common = req_len < rep_len ? req_len : rep_len;
	size_t i = 0;
	struct check_match m;

	while (i < common && req[i] == rep[i])
		i++;
	m.at = i;
	if (i < common)
		m.kind = CHECK_MATCH_DIFFERS;
	else if (rep_len < req_len)
		m.kind = CHECK_MATCH_TRUNCATED;
	else if (rep_len > req_len)
		m.kind = CHECK_MATCH_EXTENDED;
	else
		m.kind = CHECK_MATCH_EXACT;
	return m;
}

size_t check_describe(char *out, size_t cap, const uint8_t *req, size_t req_len, const uint8_t *rep,
		      size_t rep_len)
{
	struct check_match m = check_classify(req, req_len, rep, rep_len);
	const uint8_t *nul = req_len > 0 ? memchr(req, 0, req_len) : NULL;
	int n;

	switch (m.kind) {
	case CHECK_MATCH_EXACT:
		n = snprintf(out, cap, "exact (%zu bytes)", req_len);
		break;
	case CHECK_MATCH_TRUNCATED:
		/* A reply that ends where the first NUL was is C string handling. */
		if (nul != NULL && (size_t)(nul - req) == rep_len)
			n = snprintf(out, cap,
				     "stops at the first NUL byte (sent %zu, got the first %zu)",
				     req_len, rep_len);
		else
			n = snprintf(out, cap,
				     "truncates to %zu byte%s (sent %zu, got the first %zu)",
				     rep_len, rep_len == 1 ? "" : "s", req_len, rep_len);
		break;
	case CHECK_MATCH_EXTENDED:
		n = snprintf(out, cap, "%zu byte%s longer than the %zu sent", rep_len - req_len,
			     rep_len - req_len == 1 ? "" : "s", req_len);
		break;
	case CHECK_MATCH_DIFFERS:
	default:
		if (rep_len == req_len)
			n = snprintf(out, cap,
				     "altered at byte %zu of %zu (sent 0x%02x, got 0x%02x)", m.at,
				     req_len, req[m.at], rep[m.at]);
		else
			n = snprintf(out, cap,
				     "altered at byte %zu (sent 0x%02x, got 0x%02x); %zu bytes "
				     "sent, %zu came back",
				     m.at, req[m.at], rep[m.at], req_len, rep_len);
		break;
	}
	return n < 0 ? 0 : (size_t)n;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Tag layout, 16 bytes, none of them NUL (so that only echo.bytes tests NUL
 * handling): 'u' 'e' 0x5e, a check byte, the run id (4 bytes, each non-zero
 * by construction), then stream (14 bits), attempt (14 bits) and seq
 * (28 bits) in 7-bit groups with the top bit set.
 */
static const uint8_t tag_magic[3] = {'u', 'e', 0x5e};

static void put7(uint8_t *p, uint32_t v, int groups)
{
	for (int i = groups - 1; i >= 0; i--, v >>= 7)
		p[i] = (uint8_t)(0x80u | (v & 0x7fu));
}

/* Returns -1 when a byte lacks its top bit (not a tag). */
static int get7(const uint8_t *p, int groups, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < groups; i++) {
		if ((p[i] & 0x80u) == 0)
			return -1;
		*v = *v << 7 | (p[i] & 0x7fu);
	}
	return 0;
}

/* A check byte over the tag (never 0), so that an altered tag reads as altered. */
static uint8_t tag_check(const uint8_t *tag)
{
	uint32_t h = 0x5e;

	for (size_t i = 4; i < CHECK_TAG_LEN; i++)
		h = (h * 31u + tag[i]) % 255u;
	return (uint8_t)(h + 1);
}

/* xorshift32: cheap and deterministic. */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

void check_payload(uint8_t *buf, size_t len, const struct check_tag *tag)
{
	/* The attempt is not part of the seed: every try of a request carries the same data. */
	uint32_t state = tag->run ^ (uint32_t)tag->stream * 0x9e3779b9u ^ tag->seq * 0x85ebca6bu;

	if (state == 0)
		state = 0x035e; /* xorshift's one forbidden seed */
	memcpy(buf, tag_magic, sizeof(tag_magic));
	for (int i = 0; i < 4; i++) {
		uint8_t b = (uint8_t)(tag->run >> (24 - 8 * i));

		buf[4 + i] = b != 0 ? b : 1;
	}
	put7(buf + 8, tag->stream & 0x3fffu, 2);
	put7(buf + 10, tag->attempt & 0x3fffu, 2);
	put7(buf + 12, tag->seq & 0xfffffffu, 4);
	buf[3] = tag_check(buf);
	/* Bytes 1..255: a NUL would make every check a test of string handling. */
	for (size_t i = CHECK_TAG_LEN; i < len; i++)
		buf[i] = (uint8_t)(next_random(&state) % 255u + 1u);
}

uint32_t check_run_id(uint32_t seed)
{
	uint32_t id = 0;

	for (int i = 0; i < 4; i++) {
		uint8_t b = (uint8_t)(seed >> (8 * i));

		id = id << 8 | (b != 0 ? b : 0x5e);
	}
	return id;
}

int check_tag_read(const uint8_t *buf, size_t len, struct check_tag *tag)
{
	uint32_t stream, attempt, seq;

	/* Tags are NUL-free by construction; a NUL is damage (and the check byte, a sum mod
	 * 255, cannot tell 0x00 from 0xff). */
	if (len < CHECK_TAG_LEN || memchr(buf, 0, CHECK_TAG_LEN) != NULL ||
	    memcmp(buf, tag_magic, sizeof(tag_magic)) != 0 || buf[3] != tag_check(buf))
		return -1;
	if (get7(buf + 8, 2, &stream) != 0 || get7(buf + 10, 2, &attempt) != 0 ||
	    get7(buf + 12, 4, &seq) != 0)
		return -1;
	tag->run = get32(buf + 4);
	tag->stream = (uint16_t)stream;
	tag->attempt = (uint16_t)attempt;
	tag->seq = seq;
	return 0;
}

size_t check_bisect_next(const struct check_bisect *b)
{
	if (b->bad <= b->good + 1)
		return 0;
	return b->good + (b->bad - b->good) / 2;
}

void check_bisect_update(struct check_bisect *b, size_t size, int exact)
{
	if (exact && size > b->good)
		b->good = size;
	else if (!exact && size < b->bad)
		b->bad = size;
}

uint64_t check_next_wait(uint64_t wait_us)
{
	return wait_us >= CHECK_MAX_WAIT_US / 2 ? CHECK_MAX_WAIT_US : 2 * wait_us;
}

uint64_t check_full_wait(uint64_t first_us, unsigned tries)
{
	uint64_t total = 0, wait = first_us < CHECK_MAX_WAIT_US ? first_us : CHECK_MAX_WAIT_US;

	for (unsigned i = 0; i < tries; i++) {
		total += wait;
		wait = check_next_wait(wait);
	}
	return total;
}

/* The ladder of echo.sizes, then the family maximum (0 here). */
static const size_t ladder[] = {1,    2,    4,    8,    16,    32,    64,   128,  256,
				512,  548,  576,  1232, 1280,  1472,  1473, 2048, 2049,
				4096, 4097, 8192, 8193, 16384, 32768, 0};

size_t check_size_ladder_len(void)
{
	return sizeof(ladder) / sizeof(ladder[0]);
}

size_t check_size_ladder(size_t i, size_t family_max)
{
	return i < check_size_ladder_len() && ladder[i] != 0 ? ladder[i] : family_max;
}
