/*
 * Unit tests for lf_observe_settled() (src/core/refresh.c): a record read
 * back with exactly its attrs is observed the same without parsing it only
 * when today's comparison says so too, that is when
 * lf_json_digest(lf_observed_inputs(inputs, attrs)) is the record's digest.
 * Each case is checked against that comparison, computed with jansson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/refresh.h"

/* What a record's texts are: as the state writes them. */
static char *canon(const json_t *v)
{
	return json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
}

/* lf_observe_settled() on the texts of `inputs` and `attrs`, each in a
 * buffer of its exact size; *truth: today's comparison. */
static int settled(const char *inputs_json, const char *attrs_json, const char *digest_of,
                   int *truth)
{
	json_t *inputs = json_loads(inputs_json, 0, NULL);
	json_t *attrs = json_loads(attrs_json, 0, NULL);
	json_t *applied = json_loads(digest_of, 0, NULL);
	char digest[65], seen_digest[65];

	assert_non_null(inputs);
	assert_non_null(attrs);
	assert_non_null(applied);
	lf_json_digest(applied, digest);
	json_t *seen = lf_observed_inputs(inputs, attrs);
	lf_json_digest(seen, seen_digest);
	*truth = !strcmp(seen_digest, digest);
	json_decref(seen);

	char *it = canon(inputs), *at = canon(attrs);
	size_t il = strlen(it), al = strlen(at);
	char *ib = malloc(il), *ab = malloc(al);
	memcpy(ib, it, il);
	memcpy(ab, at, al);
	int r = lf_observe_settled(ib, il, ab, al, digest);
	free(ib);
	free(ab);
	free(it);
	free(at);
	json_decref(inputs);
	json_decref(attrs);
	json_decref(applied);
	/* never "settled" when it is not */
	assert_true(!r || *truth);
	return r;
}

/* The provider reports what it was given, and more: settled. */
static void test_echo(void **state)
{
	const char *in = "{\"name\":\"b\",\"region\":\"eu\",\"labels\":{\"k\":\"v\"}}";
	const char *at = "{\"id\":\"b\",\"name\":\"b\",\"region\":\"eu\",\"labels\":{\"k\":\"v\"},"
	                 "\"url\":\"file:///x\",\"zz\":[1,2]}";
	int truth;
	(void)state;

	assert_int_equal(settled(in, at, in, &truth), 1);
	assert_true(truth);
	/* an input the provider does not report: kept, still settled */
	assert_int_equal(settled("{\"a\":1,\"secret\":\"s\"}", "{\"a\":1,\"id\":\"x\"}",
	                         "{\"a\":1,\"secret\":\"s\"}", &truth),
	                 1);
	assert_true(truth);
	/* no inputs at all */
	assert_int_equal(settled("{}", "{\"id\":\"x\"}", "{}", &truth), 1);
	assert_true(truth);
}

/*
 * A provider that normalises a value: the record keeps what it was applied
 * with ("EU"), the provider reports "eu".  Read back, that is a change
 * today; never settled.  Once refresh recorded the observed value (inputs
 * "eu", digest of them), it is settled.
 */
static void test_normalised(void **state)
{
	int truth;
	(void)state;

	assert_int_equal(settled("{\"region\":\"EU\"}", "{\"id\":\"x\",\"region\":\"eu\"}",
	                         "{\"region\":\"EU\"}", &truth),
	                 0);
	assert_false(truth);
	assert_int_equal(settled("{\"region\":\"eu\"}", "{\"id\":\"x\",\"region\":\"eu\"}",
	                         "{\"region\":\"eu\"}", &truth),
	                 1);
	assert_true(truth);
	/* the same value in another form is another value (1 and 1.0) */
	assert_int_equal(settled("{\"n\":1}", "{\"n\":1.0}", "{\"n\":1}", &truth), 0);
	assert_false(truth);
	/* a nested difference */
	assert_int_equal(settled("{\"l\":{\"a\":\"1\"}}", "{\"l\":{\"a\":\"2\"}}",
	                         "{\"l\":{\"a\":\"1\"}}", &truth),
	                 0);
	assert_false(truth);
}

/* The digest is of something else (a sealed value, another writer): not
 * settled, whatever the texts. */
static void test_other_digest(void **state)
{
	int truth;
	(void)state;

	assert_int_equal(settled("{\"p\":\"sealed:abc\"}", "{\"p\":\"sealed:abc\"}",
	                         "{\"p\":\"clear\"}", &truth),
	                 0);
	assert_false(truth);
	assert_int_equal(lf_observe_settled("{}", 2, "{}", 2, ""), 0);
}

/* attrs with "unknown" (fields the provider could not read keep their
 * recorded values): left to the parsed path, which also warns. */
static void test_unknown(void **state)
{
	int truth;
	(void)state;

	assert_int_equal(settled("{\"size\":3}",
	                         "{\"size\":5,\"unknown\":{\"size\":\"cannot read it\"}}",
	                         "{\"size\":3}", &truth),
	                 0);
	assert_true(truth); /* settled in truth: only a missed shortcut */
	assert_int_equal(settled("{\"a\":1}", "{\"a\":1,\"unknown\":{}}", "{\"a\":1}", &truth), 0);
}

/* Keys that sort close to each other, and texts that are not what the
 * state writes (unsorted, escaped keys, not objects, cut): never settled. */
static void test_keys_and_bad_text(void **state)
{
	int truth;
	char digest[65];
	json_t *v = json_loads("{\"a\":1,\"b\":2}", 0, NULL);
	(void)state;

	assert_int_equal(settled("{\"a\":1,\"b\":2}", "{\"a\":1,\"aa\":9,\"b\":3,\"ba\":0}",
	                         "{\"a\":1,\"b\":2}", &truth),
	                 0);
	assert_false(truth);
	assert_int_equal(settled("{\"a\":1,\"b\":2}", "{\"a\":1,\"aa\":9,\"b\":2,\"ba\":0}",
	                         "{\"a\":1,\"b\":2}", &truth),
	                 1);
	assert_true(truth);

	lf_json_digest(v, digest);
	json_decref(v);
	assert_int_equal(lf_observe_settled("{\"a\":1,\"b\":2}", 13, "{\"a\":1}", 7, digest), 1);
	assert_int_equal(lf_observe_settled("{\"b\":2,\"a\":1}", 13, "{\"a\":1}", 7, digest), 0);
	assert_int_equal(
	    lf_observe_settled("{\"a\":1,\"b\":2}", 13, "{\"b\":2,\"a\":1}", 13, digest), 0);
	assert_int_equal(lf_observe_settled("{\"a\":1,\"b\":2}", 13, "{\"\\u0061\":1}", 12, digest),
	                 0);
	assert_int_equal(lf_observe_settled("{\"a\":1,\"b\":2}", 12, "{\"a\":1}", 7, digest), 0);
	assert_int_equal(lf_observe_settled("{\"a\":1,\"b\":2}", 13, "[1]", 3, digest), 0);
	assert_int_equal(lf_observe_settled(NULL, 0, "{}", 2, digest), 0);
}

/* Small random records: "settled" only when today's comparison agrees. */
static void test_random(void **state)
{
	static const char *keys[] = {"a", "b", "ab", "id", "unknown"};
	static const char *vals[] = {"1", "2", "1.0", "\"x\"", "{\"a\":1}", "null", "{}"};
	uint32_t x = 7;
	int hits = 0;
	(void)state;

	for (int round = 0; round < 3000; round++) {
		json_t *in = json_object(), *at = json_object();
		for (size_t k = 0; k < 5; k++) {
			x = x * 1103515245u + 12345u;
			unsigned r = x >> 16;
			if (r % 3 == 0 && strcmp(keys[k], "unknown"))
				json_object_set_new(
				    in, keys[k],
				    json_loads(vals[(r / 3) % 7], JSON_DECODE_ANY, NULL));
			if (r % 4 == 1 && json_object_get(in, keys[k]))
				json_object_set(at, keys[k], json_object_get(in, keys[k]));
			else if (r % 4 == 0)
				json_object_set_new(
				    at, keys[k],
				    json_loads(vals[(r / 7) % 7], JSON_DECODE_ANY, NULL));
		}
		char *it = canon(in), *tt = canon(at);
		int truth;
		hits += settled(it, tt, x % 2 ? it : "{\"a\":1}", &truth);
		free(it);
		free(tt);
		json_decref(in);
		json_decref(at);
	}
	assert_true(hits > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo),
	    cmocka_unit_test(test_normalised),
	    cmocka_unit_test(test_other_digest),
	    cmocka_unit_test(test_unknown),
	    cmocka_unit_test(test_keys_and_bad_text),
	    cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
