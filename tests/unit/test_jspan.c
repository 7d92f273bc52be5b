/* Unit tests for src/util/jspan.c: values skipped, members found, and bad
 * or cut text refused without reading past its end (each text is copied
 * into a buffer of its exact size, so that AddressSanitizer catches a read
 * one byte too far). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/jspan.h"

/* lf_jspan_skip() on an exact-size copy: the length skipped, or -1. */
static long skip_len(const char *s, size_t n)
{
	char *c = malloc(n ? n : 1);
	const char *e;
	long r;

	memcpy(c, s, n);
	e = lf_jspan_skip(c, c + n);
	r = e ? (long)(e - c) : -1;
	free(c);
	return r;
}

static long skip_text(const char *s)
{
	return skip_len(s, strlen(s));
}

static void test_values(void **state)
{
	(void)state;
	assert_int_equal(skip_text("0"), 1);
	assert_int_equal(skip_text("-12.5e+3,"), 8);
	assert_int_equal(skip_text("1E5"), 3);
	assert_int_equal(skip_text("  true "), 6);
	assert_int_equal(skip_text("false]"), 5);
	assert_int_equal(skip_text("null"), 4);
	assert_int_equal(skip_text("\"a\\\"b\\\\\" tail"), 8);
	assert_int_equal(skip_text("\"\\u00e9\\n\\/\""), 12);
	assert_int_equal(skip_text("{}"), 2);
	assert_int_equal(skip_text("[]x"), 2);
	assert_int_equal(skip_text("{ \"a\" : [1, {\"b\":\"]}\"}], \"c\":{} } ,"), 33);
	assert_int_equal(skip_text("[[[\"[\"]],{\"}\":\"{\"}]"), 19);
}

static void test_refused(void **state)
{
	static const char *bad[] = {
	    "",
	    " ",
	    "01",
	    "-",
	    "1.",
	    "1e",
	    ".5",
	    "+1",
	    "tru",
	    "nul",
	    "True",
	    "\"abc",
	    "\"a\\x\"",
	    "\"\\u12\"",
	    "\"\\u12g4\"",
	    "\"\x01\"",
	    "{",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{\"a\":1,}",
	    "{,}",
	    "{1:2}",
	    "[1,]",
	    "[,1]",
	    "[1 2]",
	    "{\"a\":1 \"b\":2}",
	    "]",
	    "}",
	    "[}",
	    "{]",
	    "\"\\",
	    "[\"a\"",
	    "{\"a\":1",
	    "{\"a\"",
	    "{\"a\":[}",
	    "-a",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* refused, or a shorter value before what is wrong ("0" of "01") */
		if (skip_text(bad[i]) == (long)strlen(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_null(lf_jspan_skip(NULL, NULL));
}

/* Every cut of a valid text is refused or ends no later than the cut, and
 * the whole text skips to its end; jansson agrees on the whole. */
static void test_cuts(void **state)
{
	static const char *texts[] = {
	    "{\"attrs\":{\"id\":\"b-1\",\"labels\":{\"lakeform/address\":\"x\"}},\"n\":-0.5e-7}",
	    "[true,false,null,\"\\ud83d\\ude00\",{\"\":[]},12345678901234]",
	    "{\"a\\\"b\":\"c\\\\\",\"d\":[[[[]]]]}",
	};
	(void)state;
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		size_t n = strlen(texts[t]);
		json_t *j = json_loadb(texts[t], n, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		json_decref(j);
		assert_int_equal(skip_len(texts[t], n), (long)n);
		for (size_t cut = 0; cut < n; cut++) {
			long r = skip_len(texts[t], cut);
			assert_true(r == -1 || (r > 0 && (size_t)r <= cut));
		}
	}
}

/* Nesting as deep as jansson takes, and no deeper. */
static void test_depth(void **state)
{
	size_t n = LF_JSPAN_MAX_DEPTH + 1;
	char *s = malloc(2 * n);
	(void)state;

	memset(s, '[', n);
	memset(s + n, ']', n);
	assert_int_equal(skip_len(s + 1, 2 * (n - 1)), (long)(2 * (n - 1)));
	assert_int_equal(skip_len(s, 2 * n), -1);
	free(s);

	/* objects and arrays mixed, each closed by its own bracket */
	char mixed[] = "{\"a\":[{\"b\":[[{\"c\":{}}]]}]}";
	assert_int_equal(skip_text(mixed), (long)strlen(mixed));
	mixed[strlen(mixed) - 2] = '}';
	assert_int_equal(skip_text(mixed), -1);
}

static void test_members(void **state)
{
	const char *obj = " {\"attrs\":{\"id\":\"x\"},\"id\":\"top\" , \"inputs\" : [1, 2] } ";
	struct lf_jspan_iter it;
	const char *k, *v;
	size_t kl, vl;
	int esc;
	(void)state;

	assert_int_equal(lf_jspan_object(&it, obj, strlen(obj)), 0);
	assert_int_equal(lf_jspan_next(&it, &k, &kl, &esc, &v, &vl), 1);
	assert_int_equal(kl, 5);
	assert_memory_equal(k, "attrs", 5);
	assert_int_equal(vl, 10);
	assert_memory_equal(v, "{\"id\":\"x\"}", 10);
	assert_int_equal(lf_jspan_next(&it, &k, &kl, &esc, &v, &vl), 1);
	assert_memory_equal(v, "\"top\"", vl);
	assert_int_equal(lf_jspan_next(&it, &k, &kl, &esc, &v, &vl), 1);
	assert_int_equal(esc, 0);
	assert_int_equal(vl, 6);
	assert_memory_equal(v, "[1, 2]", 6);
	assert_int_equal(lf_jspan_next(&it, &k, &kl, &esc, &v, &vl), 0);
	assert_int_equal(lf_jspan_next(&it, &k, &kl, &esc, &v, &vl), 0);

	/* the top level's "id", not the nested one */
	assert_int_equal(lf_jspan_member(obj, strlen(obj), "id", &v, &vl), 1);
	assert_memory_equal(v, "\"top\"", vl);
	assert_int_equal(lf_jspan_member(obj, strlen(obj), "nope", &v, &vl), 0);
	assert_int_equal(lf_jspan_member("{}", 2, "id", &v, &vl), 0);

	/* twice, an escaped key that might spell it, not an object, bad text */
	const char *twice = "{\"id\":1,\"id\":2}";
	assert_int_equal(lf_jspan_member(twice, strlen(twice), "id", &v, &vl), -1);
	const char *escaped = "{\"\\u0069d\":1}";
	assert_int_equal(lf_jspan_member(escaped, strlen(escaped), "id", &v, &vl), -1);
	assert_int_equal(lf_jspan_member("[1]", 3, "id", &v, &vl), -1);
	assert_int_equal(lf_jspan_member("{\"id\":1,}", 9, "id", &v, &vl), -1);
	assert_int_equal(lf_jspan_member("{\"id\":1} x", 10, "id", &v, &vl), -1);
	assert_int_equal(lf_jspan_member("{\"id\":1", 7, "id", &v, &vl), -1);
	assert_int_equal(lf_jspan_member("", 0, "id", &v, &vl), -1);

	/* a bad member stops the walk for good */
	const char *bad = "{\"a\":1,\"b\":tru}";
	assert_int_equal(lf_jspan_object(&it, bad, strlen(bad)), 0);
	assert_int_equal(lf_jspan_next(&it, &k, &kl, &esc, &v, &vl), 1);
	assert_int_equal(lf_jspan_next(&it, &k, &kl, &esc, &v, &vl), -1);
	assert_int_equal(lf_jspan_next(&it, &k, &kl, &esc, &v, &vl), -1);
}

/* Random bytes from a small alphabet: never a crash or a read too far, and
 * a whole text accepted only when jansson accepts it too. */
static void test_random(void **state)
{
	static const char alphabet[] = "{}[]\":,\\ 0123e.-+tuefalsnr\x01"
	                               "ab";
	char text[24];
	uint32_t x = 12345;
	(void)state;

	for (int round = 0; round < 200000; round++) {
		size_t n = (size_t)(round % (int)sizeof(text));
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			text[i] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
		}
		long r = skip_len(text, n);
		if (r == (long)n && n) {
			json_error_t e;
			json_t *j = json_loadb(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
			if (!j && !strstr(e.text, "too big") && !strstr(e.text, "overflow"))
				fail_msg("accepted '%.*s', which jansson refuses: %s", (int)n, text,
				         e.text);
			json_decref(j);
		}
		const char *v;
		size_t vl;
		char *c = malloc(n ? n : 1);
		memcpy(c, text, n);
		(void)lf_jspan_member(c, n, "a", &v, &vl);
		free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),  cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_cuts),    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_members), cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
