/*
 * fuzz_common.h: what every harness shares.
 *
 * One harness source serves every engine: libFuzzer calls
 * LLVMFuzzerTestOneInput directly, afl_driver.c calls it from AFL++'s
 * persistent loop, replay_driver.c calls it once per corpus file.  A failed
 * invariant prints one line naming the check and aborts, which every engine
 * reports as a crash.
 *
 * Known bugs: a check whose id is listed in the environment variable
 * UDPECHO_FUZZ_KNOWN_BUGS (comma-separated, set by ci/fuzz.sh from
 * fuzz/known_bugs.txt) reports its failure and lets the harness go on with
 * the next input instead of aborting, so a bug that is already on file does
 * not stop a campaign from finding the next one.  The replay driver never
 * skips: it replays the known bugs' inputs and expects them to fail.
 */
#ifndef UDPECHO_FUZZ_COMMON_H
#define UDPECHO_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libFuzzer entry point every harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_KNOWN_BUGS_ENV "UDPECHO_FUZZ_KNOWN_BUGS"

/* True when ID is in the comma-separated list of known bugs to step over. */
static inline int fuzz_known_bug(const char *id)
{
	const char *list = getenv(FUZZ_KNOWN_BUGS_ENV);
	size_t idlen = strlen(id);

	while (list != NULL && *list != '\0') {
		const char *comma = strchr(list, ',');
		size_t n = comma ? (size_t)(comma - list) : strlen(list);

		if (n == idlen && strncmp(list, id, n) == 0)
			return 1;
		list = comma ? comma + 1 : NULL;
	}
	return 0;
}

/*
 * Reports a failed check and aborts, unless the check is a known bug being
 * stepped over: then it returns, after saying so for the first few hits only.
 */
__attribute__((format(printf, 4, 5))) static inline void fuzz_fail(const char *id, const char *file,
								   int line, const char *fmt, ...)
{
	static unsigned long known_hits;
	va_list ap;
	int step_over = fuzz_known_bug(id);

	if (step_over && ++known_hits > 3)
		return;
	fprintf(stderr, "fuzz check failed [%s] at %s:%d: ", id, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!step_over)
		abort();
	fprintf(stderr, "known bug %s: stepped over (%s)%s\n", id, FUZZ_KNOWN_BUGS_ENV,
		known_hits == 3 ? "; further known-bug hits are not shown" : "");
}

/*
 * Assert COND; on failure report it under check id ID and return -1 from the
 * calling function (reached only for a known bug being stepped over).
 */
#define FUZZ_REQUIRE(cond, id, ...)                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fuzz_fail((id), __FILE__, __LINE__, __VA_ARGS__);                          \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

/*
 * A reader over the fuzz input for structured harnesses: choices come off
 * the front, an exhausted input reads as zeros, so every input is valid.
 */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);

	return hi << 16 | fuzz_u16(in);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t hi = fuzz_u32(in);

	return hi << 32 | fuzz_u32(in);
}

/* Up to WANT bytes from the input, into dst; the rest of dst is zeroed. */
static inline void fuzz_bytes(struct fuzz_in *in, uint8_t *dst, size_t want)
{
	size_t n = want < in->n ? want : in->n;

	if (n > 0)
		memcpy(dst, in->p, n);
	memset(dst + n, 0, want - n);
	in->p += n;
	in->n -= n;
}

/* n bytes of heap (at least 1, so 0 is a real allocation), or abort. */
static inline void *fuzz_alloc(size_t n)
{
	void *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

/* A heap copy of exactly n bytes (ASan then sees any read past the end). */
static inline uint8_t *fuzz_memdup(const uint8_t *p, size_t n)
{
	uint8_t *copy = fuzz_alloc(n);

	if (n > 0)
		memcpy(copy, p, n);
	return copy;
}

/* A NUL-terminated heap copy of p[0..n); an embedded NUL ends the C string early. */
static inline char *fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = fuzz_alloc(n + 1);

	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* The rest of the input as a C string (heap, caller frees). */
static inline char *fuzz_rest_str(struct fuzz_in *in)
{
	char *s = fuzz_strndup(in->p, in->n);

	in->p += in->n;
	in->n = 0;
	return s;
}

/* For messages: s with every byte outside 0x20..0x7e shown as \xhh, cut at 200 bytes. */
static inline const char *fuzz_show(const char *s, char buf[1024])
{
	size_t o = 0;

	for (size_t i = 0; i < 200 && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* True when every byte of s[0..n) is printable ASCII (0x20..0x7e). */
static inline int fuzz_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	}
	return 1;
}

#endif
