/* Unit tests for src/util/jsondigest.c: its text is jansson's
 * JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY dump, byte for byte, and
 * its digest the SHA-256 of that dump (what state records keep). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsondigest.h"
#include "util/mem.h"
#include "util/sha256.h"

#define FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY)

/* The text and the digest agree with jansson's dump of `v`. */
static void same_as_jansson(const json_t *v)
{
	char *want = json_dumps(v, FLAGS);
	char *got = lf_json_canonical(v);
	unsigned char md[LF_SHA256_LEN];
	char want_hex[65], got_hex[65];

	assert_non_null(want);
	assert_string_equal(got, want);
	lf_sha256(md, want, strlen(want));
	lf_sha256_hex(want_hex, md);
	lf_json_sha256_hex(v, got_hex);
	assert_string_equal(got_hex, want_hex);
	free(want);
	free(got);
}

static void test_literals(void **state)
{
	(void)state;
	json_t *v[] = {json_true(),
	               json_false(),
	               json_null(),
	               json_integer(0),
	               json_integer(-42),
	               json_integer(LLONG_MAX),
	               json_integer(LLONG_MIN),
	               json_string(""),
	               json_object(),
	               json_array(),
	               json_real(0.1),
	               json_real(3.0),
	               json_real(-1e300)};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		same_as_jansson(v[i]);
		json_decref(v[i]);
	}
}

/* the null pointer is digested as the text "null", as lf_json_digest did */
static void test_null_pointer(void **state)
{
	char hex[65], want[65];
	unsigned char md[LF_SHA256_LEN];
	char *text = lf_json_canonical(NULL);
	(void)state;

	assert_string_equal(text, "null");
	free(text);
	lf_sha256(md, "null", 4);
	lf_sha256_hex(want, md);
	lf_json_sha256_hex(NULL, hex);
	assert_string_equal(hex, want);
}

/* every control character, quote, backslash, slash and DEL */
static void test_escapes(void **state)
{
	char s[160];
	size_t n = 0;
	(void)state;

	for (int c = 0; c < 0x20; c++) {
		s[n++] = 'a';
		s[n++] = (char)c;
	}
	memcpy(s + n, "\"\\/\x7f end", 8);
	n += 8;
	json_t *v = json_stringn(s, n);
	assert_non_null(v);
	char *text = lf_json_canonical(v);
	assert_non_null(strstr(text, "a\\u0000a\\u0001"));
	assert_non_null(strstr(text, "a\\ba\\ta\\na\\u000Ba\\fa\\r"));
	assert_non_null(strstr(text, "a\\u001F\\\"\\\\/\x7f end\""));
	free(text);
	same_as_jansson(v);
	/* as a key too */
	json_t *o = json_object();
	json_object_set_new(o, "k\"\\\x01/", json_string("x\ny"));
	same_as_jansson(o);
	json_decref(o);
	json_decref(v);
}

/* keys in byte order: prefixes first, capitals before lower case,
 * '_' between; objects of few keys (insertion sort), of many (qsort),
 * of more than fit on the stack */
static void test_key_order(void **state)
{
	(void)state;
	const char *few[] = {"b", "a", "ab", "a b", "A", "_", "aa", ""};
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(few) / sizeof(*few); i++)
		json_object_set_new(o, few[i], json_integer((json_int_t)i));
	same_as_jansson(o);
	char *text = lf_json_canonical(o);
	assert_string_equal(text, "{\"\":7,\"A\":4,\"_\":5,\"a\":1,\"a b\":3,\"aa\":6,\"ab\":2,"
	                          "\"b\":0}");
	free(text);
	json_decref(o);
	for (size_t n = 9; n <= 100; n += 91) {
		o = json_object();
		for (size_t i = 0; i < n; i++) {
			char k[32];
			snprintf(k, sizeof(k), "key-%zu", (i * 37) % n);
			json_object_set_new(
			    o, k, json_pack("{s:i, s:[s, b]}", "z", (int)i, "a", k, (int)(i & 1)));
		}
		same_as_jansson(o);
		json_decref(o);
	}
}

/* what the writer leaves to jansson: reals, text that is not ASCII,
 * a key holding a NUL; and a string holding one, which it writes */
static void test_handed_over(void **state)
{
	(void)state;
	json_t *o = json_pack("{s:f, s:s, s:[s, f]}", "rate", 0.25, "comment", "caf\xc3\xa9",
	                      "list", "\xe2\x82\xac 5", 1.5);
	same_as_jansson(o);
	json_object_set_new(o, "\xc3\xa9t\xc3\xa9", json_true());
	same_as_jansson(o);
	json_decref(o);
	o = json_object();
	json_object_setn_new(o, "a\0b", 3, json_integer(1));
	json_object_set_new(o, "a", json_stringn("x\0y", 3));
	same_as_jansson(o);
	json_decref(o);
	o = json_pack("{s:s%}", "nul", "p\0q", (size_t)3);
	same_as_jansson(o);
	json_decref(o);
}

/* appended to a buffer that holds text already: what was there stays,
 * also when the value is handed to jansson whole (a real) */
static void test_appended(void **state)
{
	(void)state;
	struct lf_buf b = LF_BUF_INIT;
	json_t *plain = json_pack("{s:s, s:i}", "b", "x", "a", 1);
	json_t *real = json_pack("{s:f}", "rate", 0.25);
	char *p = json_dumps(plain, FLAGS), *r = json_dumps(real, FLAGS);
	char *want = lf_xasprintf("head|%s|%s", p, r);

	lf_buf_adds(&b, "head|");
	lf_json_canonical_add(&b, plain);
	lf_buf_addc(&b, '|');
	lf_json_canonical_add(&b, real);
	assert_string_equal(lf_buf_cstr(&b), want);
	free(want);
	free(p);
	free(r);
	json_decref(plain);
	json_decref(real);
	lf_buf_release(&b);
}

/* texts longer than the writer's block: one long string, many short
 * tokens across block edges */
static void test_long(void **state)
{
	(void)state;
	size_t n = 10000;
	char *s = lf_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	s[n] = 0;
	s[4095] = '\n';
	json_t *o = json_pack("{s:s, s:[]}", "long", s, "many");
	for (size_t i = 0; i < 3000; i++)
		json_array_append_new(json_object_get(o, "many"),
		                      json_pack("{s:i, s:s}", "i", (int)i, "t", i % 7 ? "\t" : ""));
	same_as_jansson(o);
	json_decref(o);
	free(s);
}

/* random values: 3,000 of them, depth up to 5, from a fixed seed */
static unsigned long long seed = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)(seed % n);
}

static void rnd_text(char *s, size_t cap)
{
	static const char alphabet[] = "ab_-./ \"\\\t\n\x01\x1f\x7fXYZ09:,{}";
	size_t n = rnd((unsigned)cap);
	for (size_t i = 0; i < n; i++)
		s[i] = alphabet[rnd(sizeof(alphabet) - 1)];
	s[n] = 0;
}

static json_t *rnd_value(int depth)
{
	char text[24];
	switch (rnd(depth ? 9 : 6)) {
	case 0:
		return json_integer((json_int_t)rnd(2000000) - 1000000);
	case 1:
		return rnd(2) ? json_true() : json_false();
	case 2:
		return json_null();
	case 3:
	case 4:
		rnd_text(text, sizeof(text));
		return json_string(text);
	case 5:
		return rnd(8) ? json_string("plain") : json_real(rnd(1000) / 8.0);
	case 6:
	case 7: {
		json_t *o = json_object();
		size_t n = rnd(14);
		for (size_t i = 0; i < n; i++) {
			rnd_text(text, 6);
			json_object_set_new(o, text, rnd_value(depth - 1));
		}
		return o;
	}
	default: {
		json_t *a = json_array();
		size_t n = rnd(6);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, rnd_value(depth - 1));
		return a;
	}
	}
}

static void test_random(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		json_t *v = rnd_value(5);
		same_as_jansson(v);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literals),    cmocka_unit_test(test_null_pointer),
	    cmocka_unit_test(test_escapes),     cmocka_unit_test(test_key_order),
	    cmocka_unit_test(test_handed_over), cmocka_unit_test(test_long),
	    cmocka_unit_test(test_random),      cmocka_unit_test(test_appended),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
