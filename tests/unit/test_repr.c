/*
 * test_repr.c: the bytes repr against Python's own outputs (tests/golden/repr.tsv).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "udpecho/parse.h"
#include "udpecho/repr.h"

static void check_one(const uint8_t *data, size_t len, const char *want)
{
	char out[1024];
	size_t n = repr_bytes(out, sizeof(out), data, len);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(repr_bytes_len(data, len), n);
}

static void test_matches_python_golden_table(void **state)
{
	FILE *f = fopen(UDPECHO_GOLDEN_DIR "/repr.tsv", "r");
	char line[2048];
	int rows = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tab = strchr(line, '\t');
		uint8_t data[512];
		size_t len;

		if (line[0] == '#' || tab == NULL)
			continue;
		*tab = '\0';
		tab[strcspn(tab + 1, "\n") + 1] = '\0';
		assert_int_equal(parse_hex(line, data, sizeof(data), &len), 0);
		check_one(data, len, tab + 1);
		rows++;
	}
	fclose(f);
	assert_true(rows >= 256 + 15); /* every byte value plus the named cases */
}

static void test_quote_choice(void **state)
{
	(void)state;
	check_one((const uint8_t *)"it's", 4, "b\"it's\"");
	check_one((const uint8_t *)"say \"hi\"", 8, "b'say \"hi\"'");
	check_one((const uint8_t *)"'\"", 2, "b'\\'\"'");
	check_one((const uint8_t *)"", 0, "b''");
}

static void test_output_never_holds_a_raw_control_byte(void **state)
{
	uint8_t all[256];
	char out[REPR_MAX_LEN(256) + 1];
	size_t n;

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	n = repr_bytes(out, sizeof(out), all, sizeof(all));
	assert_true(n <= REPR_MAX_LEN(256));
	for (size_t i = 0; i < n; i++)
		assert_true(out[i] >= 0x20 && out[i] < 0x7f);
}

static void test_short_buffer_is_cut_and_terminated(void **state)
{
	char out[6];
	size_t n = repr_bytes(out, sizeof(out), (const uint8_t *)"\x01\x02", 2);

	(void)state;
	assert_int_equal(n, strlen("b'\\x01\\x02'"));
	assert_string_equal(out, "b'\\x0");
	assert_int_equal(repr_bytes(NULL, 0, (const uint8_t *)"ab", 2), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_python_golden_table),
		cmocka_unit_test(test_quote_choice),
		cmocka_unit_test(test_output_never_holds_a_raw_control_byte),
		cmocka_unit_test(test_short_buffer_is_cut_and_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
