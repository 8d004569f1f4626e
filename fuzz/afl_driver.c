/*
 * afl_driver.c: main() for AFL++, linked with one harness.  Persistent mode
 * with shared-memory test cases: afl-fuzz writes each input straight into
 * our memory and the loop runs many inputs per fork, which is what makes
 * AFL++ fast on a function as small as handle_datagram.
 *
 * Each input is copied to a heap buffer of exactly its length first, so
 * that ASan sees a read past the end instead of reading AFL's larger buffer.
 *
 * Outside afl-fuzz the same binary reproduces: with file arguments it runs
 * each once, without them it runs one input from stdin.  Built by a
 * compiler other than afl-clang-fast (no persistent-mode macros), it does
 * only that.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

#define MAX_INPUT (1u << 20) /* AFL++'s own limit on a test case */

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

/* One input from f, at most MAX_INPUT bytes, through the harness. */
static int run_stream(FILE *f, const char *name)
{
	uint8_t *buf = malloc(MAX_INPUT), *exact;
	size_t n;

	if (buf == NULL)
		return 1;
	n = fread(buf, 1, MAX_INPUT, f);
	exact = fuzz_memdup(buf, n);
	free(buf);
	printf("running %s (%zu bytes)\n", name, n);
	fflush(stdout);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int run_files(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		int rc;

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		rc = run_stream(f, argv[i]);
		fclose(f);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return run_files(argc, argv);
#ifdef __AFL_FUZZ_TESTCASE_LEN
	__AFL_INIT();
	const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;

	while (__AFL_LOOP(100000)) {
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
		uint8_t *exact = fuzz_memdup(buf, len);

		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
#else
	return run_stream(stdin, "stdin");
#endif
}
