/* Unit tests for src/util/sha256.c: FIPS 180-2 appendix B and block edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "util/sha256.h"

static void hex_of(char out[65], const void *data, size_t n)
{
	unsigned char md[LF_SHA256_LEN];

	lf_sha256(md, data, n);
	lf_sha256_hex(out, md);
}

/* FIPS 180-2 appendix B.1: one block */
static void test_fips_abc(void **state)
{
	char hex[65];
	(void)state;

	hex_of(hex, "abc", 3);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
}

/* FIPS 180-2 appendix B.2: two blocks (the padding spills over) */
static void test_fips_two_blocks(void **state)
{
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[65];
	(void)state;

	hex_of(hex, m, strlen(m));
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039"
	                         "a33ce45964ff2167f6ecedd419db06c1");
}

/* FIPS 180-2 appendix B.3: one million 'a', fed in uneven pieces */
static void test_fips_million_a(void **state)
{
	struct lf_sha256 c;
	char hex[65], chunk[997];
	size_t left = 1000000;
	(void)state;

	memset(chunk, 'a', sizeof(chunk));
	lf_sha256_init(&c);
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
		lf_sha256_update(&c, chunk, n);
		left -= n;
	}
	lf_sha256_final_hex(&c, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
	                         "f1809a48a497200e046d39ccc7112cd0");
}

static void test_empty_and_896_bits(void **state)
{
	const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	                "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char hex[65];
	(void)state;

	hex_of(hex, "", 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	                         "27ae41e4649b934ca495991b7852b855");
	hex_of(hex, m, strlen(m));
	assert_string_equal(hex, "cf5b16a778af8380036ce59e7b049237"
	                         "0b249b11e8f07a51afac45037afee9d1");
}

/*
 * Lengths around the padding boundaries (55/56 bytes need one or two final
 * blocks), each also fed one byte at a time and split at every offset, so the
 * buffering in lf_sha256_update() is exercised.  Expected values: sha256sum.
 */
static void test_block_edges(void **state)
{
	static const struct {
		size_t n;
		const char *hex;
	} cases[] = {
	    {55, "595615dbe4f0f407ae397d08b4c2cb870cb9b0e11937416f950c5160acf9c005"},
	    {56, "784f623b787495078e93ff28a25b581df0584055a7e71d8cd90c454716b92f51"},
	    {57, "808f0738aa4401bdee842e5a15a7baad5809f976d8eb6f9bd2683cebd2e8d671"},
	    {63, "5ca3e1ef5207490eac01a795e5cc94d59582a5118bf9534665c8668d87aa647c"},
	    {64, "2fcd5a0d60e4c941381fcc4e00a4bf8be422c3ddfafb93c809e8d1e2bfffae8e"},
	    {65, "1b3cd1877ab2f2f19f7be001722554f336cb799df0329de0bb4c118dc6abc06d"},
	    {119, "faef67da856d6fd9c8d12f9ed0a4fefd3cf0ce085ab43e2907418d457e3c354b"},
	    {120, "c9512b08619c19fbb503c7da6b46ef20301e5f7a7a5f43989182398536f5c5c8"},
	    {128, "6c05be2c4268843ae47e68e611277ce62c02153f2f4d2e1e2a1a4b44f766cf74"},
	};
	char msg[128], hex[65];
	(void)state;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		size_t n = cases[k].n;
		unsigned char md[LF_SHA256_LEN];
		struct lf_sha256 c;

		hex_of(hex, msg, n);
		assert_string_equal(hex, cases[k].hex);

		lf_sha256_init(&c);
		for (size_t i = 0; i < n; i++)
			lf_sha256_update(&c, msg + i, 1);
		lf_sha256_final(&c, md);
		lf_sha256_hex(hex, md);
		assert_string_equal(hex, cases[k].hex);

		for (size_t cut = 0; cut <= n; cut++) {
			lf_sha256_init(&c);
			lf_sha256_update(&c, msg, cut);
			lf_sha256_update(&c, msg + cut, 0);
			lf_sha256_update(&c, msg + cut, n - cut);
			lf_sha256_final(&c, md);
			lf_sha256_hex(hex, md);
			assert_string_equal(hex, cases[k].hex);
		}
	}
}

/* lf_unhex() reads what lf_sha256_hex() writes, and refuses anything else */
static void test_unhex_round_trip(void **state)
{
	unsigned char md[LF_SHA256_LEN], back[LF_SHA256_LEN];
	char hex[65];

	(void)state;
	lf_sha256(md, "abc", 3);
	lf_sha256_hex(hex, md);
	assert_int_equal(lf_unhex(back, hex, LF_SHA256_LEN), 0);
	assert_memory_equal(back, md, LF_SHA256_LEN);
	hex[10] = 'A'; /* the caches write lowercase only */
	assert_int_equal(lf_unhex(back, hex, LF_SHA256_LEN), -1);
	hex[10] = 'g';
	assert_int_equal(lf_unhex(back, hex, LF_SHA256_LEN), -1);
}

/* a cache's "WORD HEX\n" line: read and passed, or refused with *p kept */
static void test_hex_line(void **state)
{
	const char *hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	char text[200], out[65];
	const char *p = text;

	(void)state;
	snprintf(text, sizeof(text), "bytes %s\nenv %s\n", hex, hex);
	assert_int_equal(lf_sha256_hex_line(&p, text + strlen(text), "bytes", out), 0);
	assert_string_equal(out, hex);
	assert_ptr_equal(p, text + 6 + 64 + 1);
	/* another word, a short text, no line end: refused, nothing moved */
	assert_int_equal(lf_sha256_hex_line(&p, text + strlen(text), "bytes", out), -1);
	assert_int_equal(lf_sha256_hex_line(&p, text + strlen(text) - 2, "env", out), -1);
	assert_ptr_equal(p, text + 6 + 64 + 1);
	assert_int_equal(lf_sha256_hex_line(&p, text + strlen(text), "env", out), 0);
	snprintf(text, sizeof(text), "env %s ", hex);
	p = text;
	assert_int_equal(lf_sha256_hex_line(&p, text + strlen(text), "env", out), -1);
	assert_ptr_equal(p, text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fips_abc),       cmocka_unit_test(test_fips_two_blocks),
	    cmocka_unit_test(test_fips_million_a), cmocka_unit_test(test_empty_and_896_bits),
	    cmocka_unit_test(test_block_edges),    cmocka_unit_test(test_unhex_round_trip),
	    cmocka_unit_test(test_hex_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
