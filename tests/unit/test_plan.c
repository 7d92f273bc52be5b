/* Unit tests for src/core/plan.c: names, sensitivity, helpers, saved plans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan.h"

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (!v)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return v;
}

static void assert_json(const json_t *v, const char *text)
{
	json_t *want = J(text);
	char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!json_equal(v, want))
		fail_msg("got %s\nwant %s", got ? got : "NULL", text);
	free(got);
	json_decref(want);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(lf_action_name(LF_ACT_NOOP), "no-op");
	assert_string_equal(lf_action_name(LF_ACT_CREATE), "create");
	assert_string_equal(lf_action_name(LF_ACT_UPDATE), "update");
	assert_string_equal(lf_action_name(LF_ACT_REPLACE), "replace");
	assert_string_equal(lf_action_name(LF_ACT_DELETE), "delete");
	assert_null(lf_reason_name(LF_REASON_NONE));
	assert_string_equal(lf_reason_name(LF_REASON_CANNOT_UPDATE),
	                    "replace_because_cannot_update");
	assert_string_equal(lf_reason_name(LF_REASON_BY_REQUEST), "replace_by_request");
	assert_string_equal(lf_reason_name(LF_REASON_NO_CONFIG),
	                    "delete_because_no_resource_config");
	/* terraform destroy gives no action_reason */
	assert_null(lf_reason_name(LF_REASON_DESTROY));
}

static void test_add_and_counts(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	(void)state;

	assert_int_equal(lf_plan_has_changes(&p), 0);
	c = lf_plan_add(&p, LF_ACT_NOOP, "catalog", "main-use1/sales", "lakeform", NULL);
	assert_string_equal(c->address, "catalog/main-use1/sales");
	assert_string_equal(c->name, "main-use1/sales");
	assert_null(c->parent);
	assert_null(c->before);
	assert_int_equal(lf_plan_has_changes(&p), 0);
	c = lf_plan_add(&p, LF_ACT_UPDATE, "storage.prefix", "main-use1-sales", "storage",
	                "catalog/main-use1/sales");
	assert_string_equal(c->address, "storage.prefix/main-use1-sales");
	assert_string_equal(c->provider, "storage");
	assert_string_equal(c->parent, "catalog/main-use1/sales");
	assert_int_equal(lf_plan_has_changes(&p), 1);
	for (int i = 0; i < 20; i++)
		lf_plan_add(&p, LF_ACT_CREATE, "storage.bucket", "b", "storage", NULL);
	assert_int_equal(p.n, 22);
	assert_int_equal(p.nnoop, 1);
	assert_int_equal(p.nupdate, 1);
	assert_int_equal(p.ncreate, 20);
	p.v[1].action = LF_ACT_REPLACE;
	lf_plan_recount(&p);
	assert_int_equal(p.nupdate, 0);
	assert_int_equal(p.nreplace, 1);
	lf_plan_add_warning(&p, "catalog '%s' has %d grants", "sales", 3);
	assert_int_equal(p.nwarnings, 1);
	assert_string_equal(p.warnings[0], "catalog 'sales' has 3 grants");
	lf_plan_release(&p);
	assert_int_equal(p.n, 0);
	assert_null(p.v);
}

static void test_is_sensitive(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	json_t *one = json_integer(1);
	(void)state;

	c = lf_plan_add(&p, LF_ACT_UPDATE, "service_principal", "etl-bot", "lakeform", NULL);
	assert_int_equal(lf_change_is_sensitive(c, "spec.secret"), 0);
	lf_change_add_sensitive(c, "spec.secret");
	assert_int_equal(lf_change_is_sensitive(c, "spec.secret"), 1);
	assert_int_equal(lf_change_is_sensitive(c, "spec.secret.value"), 1);
	assert_int_equal(lf_change_is_sensitive(c, "spec.secret.0"), 1);
	/* a prefix of the name is not a parent of it */
	assert_int_equal(lf_change_is_sensitive(c, "spec.secretive"), 0);
	assert_int_equal(lf_change_is_sensitive(c, "spec"), 0);
	assert_int_equal(lf_change_is_sensitive(c, ""), 0);
	assert_int_equal(lf_change_is_sensitive(c, NULL), 0);
	/* a diff marked sensitive counts too */
	lf_change_add_diff(c, "spec.token", one, NULL, 0, 1);
	assert_int_equal(lf_change_is_sensitive(c, "spec.token"), 1);
	lf_change_add_diff(c, "spec.size", one, one, 0, 0);
	assert_int_equal(lf_change_is_sensitive(c, "spec.size"), 0);
	/* "" makes the whole value sensitive */
	lf_change_add_sensitive(c, "");
	assert_int_equal(lf_change_is_sensitive(c, "spec.size"), 1);
	json_decref(one);
	lf_plan_release(&p);
}

static void test_mask(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_change *c;
	json_t *v = J("{\"spec\": {\"secret\": {\"a\": 1}, \"keys\": [\"k1\", "
	              "{\"pw\": \"x\", \"id\": 2}], \"name\": \"bot\"}, "
	              "\"plain\": [1, 2]}");
	json_t *m;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_CREATE, "service_principal", "etl-bot", "lakeform", NULL);
	m = lf_change_mask(c, "", v);
	assert_ptr_equal(m, v); /* nothing sensitive: the same value */
	json_decref(m);
	lf_change_add_sensitive(c, "spec.secret");
	lf_change_add_sensitive(c, "spec.keys.0");
	lf_change_add_sensitive(c, "spec.keys.1.pw");
	m = lf_change_mask(c, "", v);
	assert_json(m, "{\"spec\": {\"secret\": \"(sensitive)\", \"keys\": "
	               "[\"(sensitive)\", {\"pw\": \"(sensitive)\", \"id\": 2}], "
	               "\"name\": \"bot\"}, \"plain\": [1, 2]}");
	/* the original is untouched, and untouched parts are shared */
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(v, "spec"), "secret"), "a")),
	                 1);
	assert_ptr_equal(json_object_get(m, "plain"), json_object_get(v, "plain"));
	json_decref(m);
	/* a value below the root, masked at its own path */
	m = lf_change_mask(c, "spec.secret", json_object_get(json_object_get(v, "spec"), "secret"));
	assert_json(m, "\"(sensitive)\"");
	json_decref(m);
	assert_null(lf_change_mask(c, "", NULL));
	json_decref(v);
	lf_plan_release(&p);
}

/* A plan with every field set, no sensitive values. */
static void full_plan(struct lf_plan *p)
{
	struct lf_change *c;
	json_t *a, *b;

	memset(p, 0, sizeof(*p));
	p->destroy = 0;
	p->partial = 1;
	memcpy(p->lineage, "0b7e3c52-8a4f-4d2e-9a55-3f1c2b9e7d10", 37);
	p->serial = 4294967301ULL;
	memset(p->manifests_digest, 'a', 64);
	p->git_commit = strdup("3f786850e387550fdab836ed7e6dc881de23001b");
	p->created = strdup("2024-05-01T12:00:00Z");
	p->version = strdup("0.1.0");
	lf_plan_add_warning(p, "targeting is in effect: the plan may be partial");

	c = lf_plan_add(p, LF_ACT_CREATE, "workspace", "analytics", "lakeform", NULL);
	c->after = J("{\"spec\": {\"region\": \"us-east-1\", \"ratio\": 0.1, "
	             "\"tags\": {\"team\": \"data\"}, \"users\": [\"a\", \"b\"], "
	             "\"none\": null}}");
	c->file = strdup("manifests/workspaces.yaml");
	c->line = 12;

	c = lf_plan_add(p, LF_ACT_REPLACE, "compute.network", "analytics", "compute",
	                "workspace/analytics");
	c->reason = LF_REASON_CANNOT_UPDATE;
	c->create_before_destroy = 1;
	c->before = J("{\"cidr\": \"10.0.0.0/16\"}");
	c->after = J("{\"cidr\": \"10.1.0.0/16\"}");
	a = json_string("10.0.0.0/16");
	b = json_string("10.1.0.0/16");
	lf_change_add_diff(c, "cidr", a, b, 1, 0);
	json_decref(a);
	json_decref(b);
	a = json_integer(2);
	lf_change_add_diff(c, "nodes", NULL, a, 0, 0);
	lf_change_add_diff(c, "old", a, NULL, 0, 0);
	json_decref(a);

	c = lf_plan_add(p, LF_ACT_DELETE, "storage.bucket", "old", "storage", NULL);
	c->reason = LF_REASON_NO_CONFIG;
	c->before = json_null(); /* a JSON null, which is not "absent" */

	c = lf_plan_add(p, LF_ACT_NOOP, "group", "analysts", "lakeform", NULL);
	c->before = J("{\"members\": []}");
	c->after = J("{\"members\": []}");
}

static void assert_same_json(const json_t *a, const json_t *b)
{
	if (!a || !b)
		assert_true(a == b);
	else
		assert_true(json_equal(a, b));
}

static void assert_str_or_null(const char *a, const char *b)
{
	if (!a || !b)
		assert_true(a == b);
	else
		assert_string_equal(a, b);
}

static void assert_same_plan(const struct lf_plan *a, const struct lf_plan *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->ncreate, b->ncreate);
	assert_int_equal(a->nupdate, b->nupdate);
	assert_int_equal(a->nreplace, b->nreplace);
	assert_int_equal(a->ndelete, b->ndelete);
	assert_int_equal(a->nnoop, b->nnoop);
	assert_int_equal(a->destroy, b->destroy);
	assert_int_equal(a->partial, b->partial);
	assert_int_equal(a->nwarnings, b->nwarnings);
	for (size_t i = 0; i < a->nwarnings; i++)
		assert_string_equal(a->warnings[i], b->warnings[i]);
	assert_string_equal(a->lineage, b->lineage);
	assert_true(a->serial == b->serial);
	assert_string_equal(a->manifests_digest, b->manifests_digest);
	assert_str_or_null(a->git_commit, b->git_commit);
	assert_str_or_null(a->created, b->created);
	assert_str_or_null(a->version, b->version);
	for (size_t i = 0; i < a->n; i++) {
		const struct lf_change *x = &a->v[i], *y = &b->v[i];

		assert_int_equal(x->action, y->action);
		assert_int_equal(x->reason, y->reason);
		assert_int_equal(x->create_before_destroy, y->create_before_destroy);
		assert_string_equal(x->address, y->address);
		assert_string_equal(x->type, y->type);
		assert_string_equal(x->name, y->name);
		assert_string_equal(x->provider, y->provider);
		assert_str_or_null(x->parent, y->parent);
		assert_same_json(x->before, y->before);
		assert_same_json(x->after, y->after);
		assert_str_or_null(x->file, y->file);
		assert_int_equal(x->line, y->line);
		assert_int_equal(x->ndiffs, y->ndiffs);
		for (size_t j = 0; j < x->ndiffs; j++) {
			assert_string_equal(x->diffs[j].path, y->diffs[j].path);
			assert_same_json(x->diffs[j].before, y->diffs[j].before);
			assert_same_json(x->diffs[j].after, y->diffs[j].after);
			assert_int_equal(x->diffs[j].force_new, y->diffs[j].force_new);
			assert_int_equal(x->diffs[j].sensitive, y->diffs[j].sensitive);
		}
		assert_int_equal(x->nsensitive, y->nsensitive);
		for (size_t j = 0; j < x->nsensitive; j++)
			assert_string_equal(x->sensitive[j], y->sensitive[j]);
	}
}

/* to_json, through text, from_json. */
static void round_trip(const struct lf_plan *in, struct lf_plan *out, char **text)
{
	json_t *doc = lf_plan_to_json(in), *back;
	char *err = NULL;

	*text = json_dumps(doc, JSON_INDENT(2));
	back = J(*text);
	assert_int_equal(lf_plan_from_json(out, back, &err), 0);
	assert_null(err);
	json_decref(back);
	json_decref(doc);
}

static void test_saved_round_trip(void **state)
{
	struct lf_plan p, q;
	json_t *d1, *d2;
	char *text;
	(void)state;

	full_plan(&p);
	round_trip(&p, &q, &text);
	assert_same_plan(&p, &q);
	/* a JSON null kept as null, and "absent" kept as absent */
	assert_true(json_is_null(q.v[2].before));
	assert_null(q.v[2].after);
	assert_null(q.v[0].before);
	/* the float survives exactly */
	assert_true(json_real_value(
	                json_object_get(json_object_get(q.v[0].after, "spec"), "ratio")) == 0.1);
	d1 = lf_plan_to_json(&p);
	d2 = lf_plan_to_json(&q);
	assert_true(json_equal(d1, d2));
	assert_string_equal(json_string_value(json_object_get(d1, "format")), "lakeform-plan");
	assert_int_equal(json_integer_value(json_object_get(d1, "version")), 1);
	assert_json(json_object_get(d1, "counts"), "{\"create\": 1, \"update\": 0, \"replace\": 1, "
	                                           "\"delete\": 1, \"no-op\": 1}");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(d1, "changes"), 2), "reason")),
	                    "no_config");
	json_decref(d1);
	json_decref(d2);
	free(text);
	lf_plan_release(&p);
	lf_plan_release(&q);
}

/* The digest: a saved plan read back matches it, through text; any edit
 * of a value, or of the digest, or its removal, does not.  Then the
 * comparison apply makes with the plan built again. */
static void test_saved_digest(void **state)
{
	struct lf_plan p, q;
	json_t *doc, *back;
	char *text, *why = NULL;
	const char *address;
	(void)state;

	full_plan(&p);
	doc = lf_plan_to_json(&p);
	assert_int_equal(json_string_length(json_object_get(doc, "digest")), 64);
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	back = J(text);
	assert_int_equal(lf_plan_check_digest(back, &why), 0);
	assert_null(why);

	/* a nested value (the real 0.1 survives the text exactly) */
	json_t *spec = json_object_get(
	    json_object_get(json_array_get(json_object_get(back, "changes"), 0), "after"), "spec");
	json_object_set_new(spec, "ratio", json_real(0.2));
	assert_int_equal(lf_plan_check_digest(back, &why), -1);
	assert_string_equal(why, "the plan was altered after it was saved: its digest does not "
	                         "match what it holds; plan again");
	free(why);
	json_object_set_new(spec, "ratio", json_real(0.1));
	assert_int_equal(lf_plan_check_digest(back, &why), 0);
	/* a top-level member, the digest, no digest */
	json_object_set_new(back, "destroy", json_true());
	assert_int_equal(lf_plan_check_digest(back, &why), -1);
	free(why);
	json_object_set_new(back, "destroy", json_false());
	json_object_set_new(back, "digest", json_string("00"));
	assert_int_equal(lf_plan_check_digest(back, &why), -1);
	free(why);
	json_object_del(back, "digest");
	assert_int_equal(lf_plan_check_digest(back, &why), -1);
	assert_non_null(strstr(why, "has no digest"));
	free(why);
	json_decref(back);
	free(text);
	json_decref(doc);

	/* the values shown against the plan built again */
	round_trip(&p, &q, &text);
	free(text);
	assert_int_equal(lf_plan_same_values(&q, &p, &address), 0);
	json_object_set_new(json_object_get(q.v[0].after, "spec"), "region",
	                    json_string("eu-west-1"));
	assert_int_equal(lf_plan_same_values(&q, &p, &address), -1);
	assert_string_equal(address, "workspace/analytics");
	lf_plan_release(&q);
	/* a change the plan built again lacks; it may have more (no-ops) */
	doc = lf_plan_to_json(&p);
	json_array_remove(json_object_get(doc, "changes"),
	                  json_array_size(json_object_get(doc, "changes")) - 1);
	assert_int_equal(lf_plan_from_json(&q, doc, &why), 0);
	json_decref(doc);
	assert_int_equal(lf_plan_same_values(&q, &p, &address), 0);
	assert_int_equal(lf_plan_same_values(&p, &q, &address), -1);
	assert_string_equal(address, p.v[p.n - 1].address);
	lf_plan_release(&q);
	lf_plan_release(&p);
}

static void test_saved_empty_state(void **state)
{
	struct lf_plan p = LF_PLAN_INIT, q;
	char *text;
	(void)state;

	/* a plan made from an empty state: lineage "", serial 0 */
	p.destroy = 1;
	round_trip(&p, &q, &text);
	assert_same_plan(&p, &q);
	assert_string_equal(q.lineage, "");
	assert_true(q.serial == 0);
	assert_int_equal(q.destroy, 1);
	assert_null(q.version);
	free(text);
	lf_plan_release(&q);
}

static void test_saved_masks_secrets(void **state)
{
	struct lf_plan p = LF_PLAN_INIT, q;
	struct lf_change *c;
	json_t *a, *b;
	char *text;
	(void)state;

	c = lf_plan_add(&p, LF_ACT_UPDATE, "service_principal", "etl-bot", "lakeform", NULL);
	lf_change_add_sensitive(c, "spec.secret");
	c->before = J("{\"spec\": {\"secret\": \"hunter2\", \"name\": \"bot\", "
	              "\"token\": \"tok-OLD\"}}");
	c->after = J("{\"spec\": {\"secret\": \"correct-horse\", \"name\": "
	             "\"bot2\", \"token\": \"tok-NEW\"}}");
	a = json_string("hunter2");
	b = json_string("correct-horse");
	lf_change_add_diff(c, "spec.secret", a, b, 0, 1);
	json_decref(a);
	json_decref(b);
	/* marked on the diff only: masked everywhere all the same */
	a = json_string("tok-OLD");
	b = json_string("tok-NEW");
	lf_change_add_diff(c, "spec.token", a, b, 0, 1);
	json_decref(a);
	json_decref(b);
	/* a diff on a parent object holding the secret */
	lf_change_add_diff(c, "spec", json_object_get(c->before, "spec"),
	                   json_object_get(c->after, "spec"), 0, 0);

	round_trip(&p, &q, &text);
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "correct-horse"));
	assert_null(strstr(text, "tok-"));
	assert_non_null(strstr(text, "bot2"));
	assert_json(q.v[0].before, "{\"spec\": {\"secret\": \"(sensitive)\", "
	                           "\"name\": \"bot\", \"token\": \"(sensitive)\"}}");
	assert_json(q.v[0].after, "{\"spec\": {\"secret\": \"(sensitive)\", "
	                          "\"name\": \"bot2\", \"token\": \"(sensitive)\"}}");
	assert_json(q.v[0].diffs[0].before, "\"(sensitive)\"");
	assert_json(q.v[0].diffs[1].after, "\"(sensitive)\"");
	assert_json(q.v[0].diffs[2].after, "{\"secret\": \"(sensitive)\", "
	                                   "\"name\": \"bot2\", \"token\": \"(sensitive)\"}");
	assert_int_equal(q.v[0].diffs[0].sensitive, 1);
	assert_int_equal(q.v[0].nsensitive, 1);
	assert_string_equal(q.v[0].sensitive[0], "spec.secret");
	/* the plan in memory still holds the real value */
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(p.v[0].after, "spec"), "secret")),
	    "correct-horse");
	free(text);
	lf_plan_release(&p);
	lf_plan_release(&q);
}

static void expect_error(const char *doc_text, const char *want)
{
	struct lf_plan q;
	json_t *doc = J(doc_text);
	char *err = NULL;

	assert_int_equal(lf_plan_from_json(&q, doc, &err), -1);
	assert_non_null(err);
	if (strcmp(err, want) != 0)
		fail_msg("got '%s'\nwant '%s'", err, want);
	assert_int_equal(q.n, 0);
	assert_null(q.v);
	free(err);
	json_decref(doc);
}

#define HEAD                                                                 \
	"\"format\": \"lakeform-plan\", \"version\": 1, \"lineage\": \"\", " \
	"\"serial\": 0, \"manifests_digest\": \"\", \"destroy\": false, "    \
	"\"partial\": false, \"warnings\": [], "

static void test_saved_errors(void **state)
{
	(void)state;
	expect_error("[]", "not a lakeform saved plan "
	                   "(no \"format\": \"lakeform-plan\")");
	expect_error("{\"format\": \"tfplan\"}", "not a lakeform saved plan "
	                                         "(no \"format\": \"lakeform-plan\")");
	expect_error("{\"format\": \"lakeform-plan\", \"version\": 2}",
	             "format version 2 is not supported "
	             "(this lakeform reads version 1)");
	expect_error("{\"format\": \"lakeform-plan\", \"version\": \"1\"}",
	             "'version' must be an integer");
	expect_error("{" HEAD "\"changes\": {}}", "'changes' must be an array");
	expect_error("{\"format\": \"lakeform-plan\", \"version\": 1, \"lineage\": "
	             "\"0123456789012345678901234567890123456789\"}",
	             "'lineage' is longer than 36 characters");
	expect_error("{\"format\": \"lakeform-plan\", \"version\": 1, "
	             "\"lineage\": \"\", \"serial\": -1}",
	             "'serial' is out of range");
	expect_error("{" HEAD "\"changes\": [{\"address\": \"a/b\", \"type\": \"a\", "
	             "\"name\": \"b\", \"provider\": \"lakeform\", \"action\": "
	             "\"explode\"}]}",
	             "change 1: unknown action 'explode'");
	expect_error("{" HEAD "\"changes\": [{\"address\": \"a/b\", \"type\": \"a\", "
	             "\"name\": \"b\", \"provider\": \"lakeform\", \"action\": "
	             "\"delete\", \"reason\": \"whim\"}]}",
	             "change 1: unknown reason 'whim'");
	expect_error("{" HEAD "\"changes\": [{\"address\": \"a/b\", \"type\": \"a\", "
	             "\"name\": \"b\", \"provider\": \"lakeform\", \"action\": "
	             "\"create\", \"create_before_destroy\": false, \"line\": 0, "
	             "\"sensitive\": [], \"diffs\": []}, {\"type\": \"a\"}]}",
	             "change 2: missing 'address'");
	expect_error("{" HEAD "\"changes\": [{\"address\": \"a/b\", \"type\": \"a\", "
	             "\"name\": \"b\", \"provider\": \"lakeform\", \"action\": "
	             "\"create\", \"create_before_destroy\": false, \"line\": 0, "
	             "\"sensitive\": [], \"diffs\": [{\"path\": \"x\", "
	             "\"force_new\": 1, \"sensitive\": false}]}]}",
	             "change 1: 'force_new' must be true or false");
}

static void test_check_current(void **state)
{
	struct lf_plan p = LF_PLAN_INIT;
	const char *lin = "6e06a28a-2986-41fd-a4c0-117995bcec40";
	char *why = NULL;
	(void)state;

	/* made from an empty state: fine while none exists, refused after */
	assert_int_equal(lf_plan_check_current(&p, 0, "", 0, &why), 0);
	assert_null(why);
	assert_int_equal(lf_plan_check_current(&p, 1, lin, 1, &why), -1);
	assert_non_null(strstr(why, "made from an empty state"));
	free(why);

	snprintf(p.lineage, sizeof(p.lineage), "%s", lin);
	p.serial = 4;
	assert_int_equal(lf_plan_check_current(&p, 1, lin, 4, &why), 0);
	assert_int_equal(lf_plan_check_current(&p, 1, lin, 5, &why), -1);
	assert_non_null(strstr(why, "stale"));
	free(why);
	assert_int_equal(
	    lf_plan_check_current(&p, 1, "0a06a28a-2986-41fd-a4c0-117995bcec40", 4, &why), -1);
	assert_non_null(strstr(why, "does not match"));
	free(why);
	/* the state was removed since */
	assert_int_equal(lf_plan_check_current(&p, 0, "", 0, &why), -1);
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_check_current),
	    cmocka_unit_test(test_add_and_counts),
	    cmocka_unit_test(test_is_sensitive),
	    cmocka_unit_test(test_mask),
	    cmocka_unit_test(test_saved_round_trip),
	    cmocka_unit_test(test_saved_digest),
	    cmocka_unit_test(test_saved_empty_state),
	    cmocka_unit_test(test_saved_masks_secrets),
	    cmocka_unit_test(test_saved_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
