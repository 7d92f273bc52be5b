/*
 * fuzz_jspan - the span scanner (src/util/jspan.c) and refresh's settled
 * check (lf_observe_settled) under libFuzzer.
 *
 * One input is two texts, the first line and the rest (no newline: the
 * whole input is both): a record's inputs and its attrs, as refresh finds
 * them in a state line.  The seeds (tests/fuzz/corpus/jspan/) are written
 * by hand: seed.sh does not make them.  Each is copied into a buffer of its exact size, so
 * that a read past its end is caught.
 *
 * Besides what the sanitizers catch, checked:
 *   - every span lies inside its text, and a value skipped again from its
 *     start ends at the same place;
 *   - the members walked are the members lf_jspan_member() finds;
 *   - "settled" is never said of a record that is not: when both texts
 *     parse, lf_observe_settled() with the digest of the first is 1 only if
 *     lf_json_digest(lf_observed_inputs(inputs, attrs)) is that digest
 *     (the texts are taken to be UTF-8, as a state line's are).
 * A broken promise aborts with what differs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/refresh.h"
#include "util/jspan.h"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_jspan: %s\n", what);
	abort();
}

static void walk(const char *t, size_t n)
{
	const char *end = lf_jspan_skip(t, t + n);
	struct lf_jspan_iter it;
	const char *k, *v;
	size_t kl, vl;
	int esc, rc;

	if (end && (end < t || end > t + n))
		fail("a value ends outside its text");
	if (lf_jspan_object(&it, t, n))
		return;
	while ((rc = lf_jspan_next(&it, &k, &kl, &esc, &v, &vl)) == 1) {
		if (k < t || k + kl > t + n || v < t || v + vl > t + n)
			fail("a member's span is outside its text");
		if (lf_jspan_skip(v, v + vl) != v + vl)
			fail("a member's value does not skip to its end");
		if (!esc && kl < 64 && !memchr(k, '\0', kl)) {
			char key[64];
			const char *fv;
			size_t fl;
			memcpy(key, k, kl);
			key[kl] = '\0';
			int found = lf_jspan_member(t, n, key, &fv, &fl);
			if (found == 1 && (fv < t || fv + fl > t + n))
				fail("lf_jspan_member's span is outside its text");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t il = nl ? (size_t)(nl - (const char *)data) : size;
	const char *at_src = nl ? nl + 1 : (const char *)data;
	size_t al = nl ? size - il - 1 : size;
	char *in = malloc(il ? il : 1), *at = malloc(al ? al : 1);

	memcpy(in, data, il);
	memcpy(at, at_src, al);
	walk(in, il);
	walk(at, al);

	json_t *ij = json_loadb(in, il, 0, NULL), *aj = json_loadb(at, al, 0, NULL);
	char digest[65] = "";
	if (ij)
		lf_json_digest(ij, digest);
	int settled = lf_observe_settled(in, il, at, al, digest);
	if (settled && !json_is_object(ij))
		fail("settled said of inputs that are not an object");
	/* attrs that jansson refuses (not UTF-8, a number too big) are none
	 * that a state line or an answer lakeform takes can hold */
	if (settled && json_is_object(aj)) {
		char seen_digest[65];
		json_t *seen = lf_observed_inputs(ij, aj);
		lf_json_digest(seen, seen_digest);
		json_decref(seen);
		if (strcmp(seen_digest, digest))
			fail("settled said of a record that is observed changed");
	}
	json_decref(ij);
	json_decref(aj);
	free(in);
	free(at);
	return 0;
}
