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

/* A report of `nmissing` missing resources and `nchanged` changed ones of
 * `nfields` fields each, made by hand. */
static void big_report(struct lf_drift *dr, size_t nmissing, size_t nchanged, size_t nfields)
{
	memset(dr, 0, sizeof(*dr));
	dr->n = nmissing + nchanged;
	dr->v = lf_xcalloc(dr->n, sizeof(*dr->v));
	for (size_t i = 0; i < dr->n; i++) {
		struct lf_drift_finding *f = &dr->v[i];

		f->type = lf_xstrdup(i < nmissing ? "compute.network" : "storage.policy");
		f->address = lf_xasprintf("%s/r%05zu", f->type, i);
		if (i < nmissing) {
			f->kind = LF_DRIFT_MISSING;
			dr->missing++;
			continue;
		}
		f->kind = LF_DRIFT_CHANGED;
		dr->changed++;
		f->nfields = nfields;
		f->fields = lf_xcalloc(nfields, sizeof(*f->fields));
		for (size_t k = 0; k < nfields; k++) {
			f->fields[k].path = lf_xasprintf("statements[%zu].access", k);
			f->fields[k].recorded = json_string("write");
			f->fields[k].real = k % 2 ? json_string("read|<b>") : NULL;
		}
	}
	dr->checked = dr->n;
}

static size_t lines_starting(const char *s, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += strncmp(l, prefix, len) == 0;
	return n;
}

static void markdown_whole_sections(void **unused)
{
	struct lf_drift dr;
	struct lf_drift_meta meta = {
	    "0.1.0", "2026-01-01T00:00:00Z", "0123456789abcdef0123456789abcdef01234567", "", 7,
	    NULL};
	struct lf_buf b = LF_BUF_INIT;
	const char *md;
	size_t rows, sections, rest_rows = 0, rest_sections = 0;

	/* small: everything is there, in one fold */
	big_report(&dr, 12, 2, 3);
	lf_drift_markdown(&b, &dr, &meta, "config", 65535);
	md = lf_buf_cstr(&b);
	assert_non_null(strstr(md, "### lakeform drift: 14 findings\n\n**Directory** "
	                           "<code>config</code> · **Commit** <code>0123456789ab</code> · "
	                           "**State serial** 7\n"));
	assert_non_null(strstr(md, "> **Warning:** 12 recorded resources no longer exist;"));
	assert_non_null(strstr(md, "> - and 2 more, in the details below\n"));
	assert_int_equal(lines_starting(md, "> - <code>compute.network/"), 10);
	assert_int_equal(lines_starting(md, "<details>"), 1);
	assert_int_equal(lines_starting(md, "| missing | "), 12);
	assert_int_equal(lines_starting(md, "#### changed <code>storage.policy/"), 2);
	assert_non_null(strstr(md, "| <code>statements[1].access</code> | <code>\"write\"</code> | "
	                           "<code>\"read&#124;&lt;b&gt;\"</code> |\n"));
	assert_non_null(strstr(md, "| <code>statements[0].access</code> | <code>\"write\"</code> | "
	                           "_absent_ |\n"));
	assert_null(strstr(md, "Left out"));
	lf_buf_release(&b);
	/* a long value is cut after 120 characters, on a character */
	char long_value[800] = "\"";
	for (int i = 0; i < 100; i++)
		strcat(long_value, "\\u00e9");
	strcat(long_value, "\"");
	json_decref(dr.v[12].fields[1].real);
	dr.v[12].fields[1].real = json_loads(long_value, JSON_DECODE_ANY, NULL);
	lf_drift_markdown(&b, &dr, &meta, NULL, 65535);
	md = lf_buf_cstr(&b);
	const char *cut = strstr(md, "<code>\"\xc3\xa9");
	assert_non_null(cut);
	/* the quote and 2-byte "é"s: byte 120 is the middle of one, so the
	 * cut steps back to 119, a whole character */
	assert_int_equal(strstr(cut, "...</code>") - (cut + strlen("<code>")), 119);
	lf_buf_release(&b);
	lf_drift_release(&dr);

	/* large: rows and sections stop whole, and are counted */
	big_report(&dr, 3000, 40, 60);
	lf_buf_truncate(&b, 0);
	lf_drift_markdown(&b, &dr, &meta, NULL, 65535);
	md = lf_buf_cstr(&b);
	assert_true(b.len <= 65535);
	rows = lines_starting(md, "| missing | <code>") + lines_starting(md, "| changed | <code>");
	sections = lines_starting(md, "#### changed ");
	assert_true(rows > 100 && rows < 3040);
	assert_non_null(strstr(md, "| _and "));
	assert_int_equal(sscanf(strstr(md, "| _and "), "| _and %zu more_", &rest_rows), 1);
	assert_int_equal(rows + rest_rows, 3040);
	const char *left = strstr(md, "_Left out to stay under 65535 characters: ");
	assert_non_null(left);
	assert_int_equal(sscanf(left,
	                        "_Left out to stay under 65535 characters: %*u finding%*s "
	                        "of the table, the fields of %zu",
	                        &rest_sections),
	                 1);
	assert_int_equal(sections + rest_sections, 40);
	/* every section is whole: its header row and all its 60 fields */
	assert_int_equal(lines_starting(md, "| <code>statements["), sections * 60);
	assert_string_equal(md + b.len - strlen("</details>\n"), "</details>\n");
	assert_null(strstr(md, "**Directory**"));
	lf_buf_release(&b);

	/* never over the limit, whatever it is */
	for (size_t max = 0; max < 20000; max += 331) {
		struct lf_buf c = LF_BUF_INIT;

		lf_drift_markdown(&c, &dr, &meta, "d", max);
		if (c.len > max)
			fail_msg("%zu bytes for a limit of %zu", c.len, max);
		lf_buf_release(&c);
	}
	lf_drift_release(&dr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(glob_wildcards),           cmocka_unit_test(ignore_last_match_wins),
	    cmocka_unit_test(ignore_errors_have_lines), cmocka_unit_test(ignore_pattern_round_trip),
	    cmocka_unit_test(fields_one_by_one),        cmocka_unit_test(markdown_whole_sections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
