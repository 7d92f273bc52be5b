/*
 * Unit tests for src/core/drift.c: .lakeformignore patterns (parsing,
 * errors with their lines, wildcards, negation, last match wins, escaping)
 * and the comparison of recorded inputs with observed ones, field by
 * field, on a state and observations made in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/drift.h"
#include "util/mem.h"

static void glob_wildcards(void **unused)
{
	(void)unused;
	assert_true(lf_glob_match("storage.bucket/*", "storage.bucket/a/b"));
	assert_true(lf_glob_match("*", ""));
	assert_true(lf_glob_match("a?c", "abc"));
	assert_false(lf_glob_match("a?c", "ac"));
	assert_true(lf_glob_match("*.network/*-dev", "compute.network/x-dev"));
	assert_false(lf_glob_match("*.network/*-dev", "compute.network/x-dev2"));
	assert_true(lf_glob_match("a*b*c", "aXbYbZc"));
	assert_false(lf_glob_match("statements[2]", "statements2"));
	assert_true(lf_glob_match("a\\*", "a*"));
	assert_false(lf_glob_match("a\\*", "ab"));
	assert_true(lf_glob_match("a\\\\b", "a\\b"));
}

static struct lf_ignore parse(const char *text, struct lf_diags *d)
{
	struct lf_ignore ig = LF_IGNORE_INIT;

	lf_ignore_parse(&ig, text, strlen(text), ".lakeformignore", d);
	return ig;
}

static void ignore_last_match_wins(void **unused)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_ignore ig = parse("# networks\n"
	                            "compute.network/*\n"
	                            "!compute.network/prod\n"
	                            "  compute.network/prod:labels  \r\n"
	                            "\n"
	                            "storage.policy/*:statements[?].access\n",
	                            &d);
	unsigned line;

	assert_int_equal(d.errors, 0);
	assert_int_equal(ig.n, 4);
	assert_true(lf_ignore_match(&ig, "compute.network/dev", NULL, &line));
	assert_int_equal(line, 2);
	assert_false(lf_ignore_match(&ig, "compute.network/prod", NULL, &line));
	assert_int_equal(line, 3);
	/* a field rule does not ignore the resource as a whole */
	assert_false(lf_ignore_match(&ig, "compute.network/prod", "internal", NULL));
	/* and covers the fields under it */
	assert_true(lf_ignore_match(&ig, "compute.network/prod", "labels.team", &line));
	assert_int_equal(line, 4);
	assert_false(lf_ignore_match(&ig, "compute.network/prod", "labelsx", NULL));
	/* a resource rule covers every field */
	assert_true(lf_ignore_match(&ig, "compute.network/dev", "internal", NULL));
	assert_true(lf_ignore_match(&ig, "storage.policy/b", "statements[2].access", NULL));
	assert_false(lf_ignore_match(&ig, "storage.policy/b", "statements[2].path", NULL));
	assert_false(lf_ignore_match(&ig, "storage.bucket/b", NULL, &line));
	assert_int_equal(line, 0);
	lf_ignore_release(&ig);
	lf_diags_release(&d);
}

static void ignore_errors_have_lines(void **unused)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_ignore ig = parse("ok/*\n"
	                            "two words\n"
	                            "x:\n"
	                            ":field\n"
	                            "y:a{b}\n"
	                            "end\\",
	                            &d);

	assert_int_equal(d.errors, 5);
	assert_int_equal(ig.n, 1);
	unsigned want[] = {2, 3, 4, 5, 6};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(d.v[i].line, want[i]);
	lf_ignore_release(&ig);
	lf_diags_release(&d);
}

static void ignore_pattern_round_trip(void **unused)
{
	struct lf_diags d = LF_DIAGS_INIT;
	const char *addr = "grant/workspace:analytics:group:a*b?";
	char *p = lf_ignore_pattern(addr, NULL);
	char *q = lf_ignore_pattern("!odd", "labels.x");

	assert_string_equal(p, "grant/workspace\\:analytics\\:group\\:a\\*b\\?");
	assert_string_equal(q, "\\!odd:labels.x");
	char *text = lf_xasprintf("%s\n%s\n", p, q);
	struct lf_ignore ig = parse(text, &d);
	assert_int_equal(d.errors, 0);
	assert_int_equal(ig.n, 2);
	assert_string_equal(ig.v[0].address, "grant/workspace:analytics:group:a\\*b\\?");
	assert_null(ig.v[0].field);
	assert_string_equal(ig.v[1].address, "!odd");
	assert_false(ig.v[1].negate);
	assert_true(lf_ignore_match(&ig, addr, NULL, NULL));
	assert_false(lf_ignore_match(&ig, "grant/workspace:analytics:group:aXbY", NULL, NULL));
	free(text);
	free(p);
	free(q);
	lf_ignore_release(&ig);
	lf_diags_release(&d);
}

/* A state of one record and an observation of it with `seen`. */
static void record(struct lf_state *st, const char *address, const char *inputs,
                   const char *sensitive)
{
	struct lf_state_res r;

	memset(&r, 0, sizeof(r));
	r.address = (char *)address;
	r.type = (char *)"storage.policy";
	r.provider = (char *)"storage";
	r.inputs = json_loads(inputs, 0, NULL);
	r.sensitive = sensitive ? json_loads(sensitive, 0, NULL) : NULL;
	lf_json_digest(r.inputs, r.digest);
	lf_state_put(st, &r);
	json_decref(r.inputs);
	json_decref(r.sensitive);
}

static void observe(struct lf_observations *o, const char *address, enum lf_obs_status s,
                    const char *seen)
{
	o->v = lf_xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
	struct lf_observation *ob = &o->v[o->n++];
	memset(ob, 0, sizeof(*ob));
	ob->address = lf_xstrdup(address);
	ob->type = lf_xstrdup("storage.policy");
	ob->status = s;
	ob->seen = seen ? json_loads(seen, 0, NULL) : NULL;
	ob->attrs = seen ? json_object() : NULL;
}

static void fields_one_by_one(void **unused)
{
	struct lf_state st = LF_STATE_INIT;
	struct lf_observations obs = {0};
	struct lf_drift dr = LF_DRIFT_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_ignore ig = parse("storage.policy/p:labels.note\nstorage.policy/gone\n", &d);

	record(&st, "storage.policy/p",
	       "{\"labels\": {\"a\": \"1\"}, \"secret\": \"s1\", \"statements\": "
	       "[{\"access\": \"read\"}, {\"access\": \"write\"}]}",
	       "[\"secret\"]");
	record(&st, "storage.policy/gone", "{}", NULL);
	observe(&obs, "storage.policy/p", LF_OBS_CHANGED,
	        "{\"labels\": {\"a\": \"1\", \"note\": \"x\"}, \"secret\": \"s2\", \"statements\": "
	        "[{\"access\": \"read\"}, {\"access\": \"read\"}, {\"access\": \"all\"}]}");
	observe(&obs, "storage.policy/gone", LF_OBS_GONE, NULL);
	obs.changed = obs.gone = 1;

	struct lf_drift_input in = {&st, &obs, NULL, NULL, NULL, 0, 0, 0, &ig};
	assert_int_equal(lf_drift_build(&dr, &in), 0);
	assert_int_equal(dr.n, 2);
	assert_int_equal(dr.checked, 2);
	assert_int_equal(dr.changed, 1);
	assert_int_equal(dr.missing, 0);
	assert_int_equal(dr.ignored, 1);
	assert_true(lf_drift_found(&dr));

	const struct lf_drift_finding *gone = &dr.v[0];
	assert_string_equal(gone->address, "storage.policy/gone");
	assert_true(gone->ignored);

	const struct lf_drift_finding *f = &dr.v[1];
	assert_int_equal(f->kind, LF_DRIFT_CHANGED);
	assert_false(f->ignored);
	assert_int_equal(f->nfields, 4);
	assert_string_equal(f->fields[0].path, "labels.note");
	assert_true(f->fields[0].ignored);
	assert_null(f->fields[0].recorded);
	assert_string_equal(json_string_value(f->fields[0].real), "x");
	assert_string_equal(f->fields[1].path, "secret");
	assert_string_equal(json_string_value(f->fields[1].real), "(sensitive)");
	assert_string_equal(f->fields[2].path, "statements[1].access");
	assert_string_equal(json_string_value(f->fields[2].recorded), "write");
	assert_string_equal(json_string_value(f->fields[2].real), "read");
	assert_string_equal(f->fields[3].path, "statements[2]");
	assert_null(f->fields[3].recorded);

	struct lf_drift_meta meta = {"0.1.0", "2026-01-01T00:00:00Z", NULL, "", 0, &obs};
	json_t *j = lf_drift_to_json(&dr, &meta);
	assert_int_equal(json_integer_value(json_object_get(j, "format_version")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "drift");
	assert_true(json_is_null(json_object_get(j, "git_commit")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "summary"), "managed_share")));
	json_decref(j);

	lf_drift_release(&dr);
	lf_observations_release(&obs);
	lf_ignore_release(&ig);
	lf_state_release(&st);
	lf_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(glob_wildcards),           cmocka_unit_test(ignore_last_match_wins),
	    cmocka_unit_test(ignore_errors_have_lines), cmocka_unit_test(ignore_pattern_round_trip),
	    cmocka_unit_test(fields_one_by_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
