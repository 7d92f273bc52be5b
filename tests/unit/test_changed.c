/*
 * Unit tests for src/core/changed.c: what plan --changed-since plans.  The
 * "before" set is examples/quickstart as it is; the "after" set is the same
 * files with documents edited in memory before they are built, as a later
 * commit would have them.
 *
 * The schema directory is $LAKEFORM_SCHEMA_DIR, else schemas/ found from the
 * working directory (the Makefile runs unit tests from the repository root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/changed.h"
#include "core/expand.h"
#include "core/manifest.h"
#include "core/source.h"
#include "state/state.h"
#include "util/mem.h"
#include "fixture.h"

struct set {
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	struct lf_diags d;
};

static struct lf_kinds kinds;

static int load_kinds(void **unused)
{
	struct lf_diags d = LF_DIAGS_INIT;
	char *dir = repo_path("schemas");
	int err = lf_kinds_load(&kinds, dir, &d);

	(void)unused;
	free(dir);
	lf_diags_release(&d);
	return err;
}

static int free_kinds(void **unused)
{
	(void)unused;
	lf_kinds_release(&kinds);
	return 0;
}

/* The document named `name` of the quickstart, borrowed. */
static json_t *doc_named(struct set *s, const char *name)
{
	for (size_t i = 0; i < s->src.ndocs; i++) {
		json_t *n =
		    json_object_get(json_object_get(s->src.docs[i].root, "metadata"), "name");
		if (json_is_string(n) && !strcmp(json_string_value(n), name))
			return s->src.docs[i].root;
	}
	fail_msg("no document named '%s'", name);
	return NULL;
}

typedef void (*edit_fn)(struct set *s);

static void set_load(struct set *s, edit_fn edit, int expand)
{
	char *dir = repo_path("examples/quickstart");

	memset(s, 0, sizeof(*s));
	assert_int_equal(lf_source_load(&s->src, dir, &s->d), 0);
	free(dir);
	if (edit)
		edit(s);
	assert_int_equal(lf_manifest_build(&s->m, &s->src, &kinds, &s->d), 0);
	if (expand) {
		assert_int_equal(lf_manifest_check(&s->m, &s->d), 0);
		assert_int_equal(lf_expand(&s->ds, &s->m, &s->d), 0);
	}
}

static void set_release(struct set *s)
{
	lf_desired_release(&s->ds);
	lf_manifest_release(&s->m);
	lf_source_release(&s->src);
	lf_diags_release(&s->d);
}

static const struct lf_changed_res *find(const struct lf_changed *c, const char *address)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].address, address))
			return &c->v[i];
	return NULL;
}

static void expect(const struct lf_changed *c, const char *address, enum lf_change_how how)
{
	const struct lf_changed_res *r = find(c, address);

	if (!r)
		fail_msg("'%s' is not listed", address);
	if (r->how != how)
		fail_msg("'%s' is %s, not %s", address, lf_change_how_str(r->how),
		         lf_change_how_str(how));
}

static void edit_catalog(struct set *s)
{
	json_object_set_new(json_object_get(doc_named(s, "sales"), "spec"), "comment",
	                    json_string("Sales, second edition"));
}

static void test_changed_catalog_brings_schemas_and_grants(void **unused)
{
	struct set before, after;
	struct lf_state st = LF_STATE_INIT;
	struct lf_changed c = LF_CHANGED_INIT;

	(void)unused;
	set_load(&before, NULL, 0);
	set_load(&after, edit_catalog, 1);
	assert_int_equal(lf_changed_find(&c, &before.m, &after.m, &after.ds, &st), 0);
	expect(&c, "catalog/main-use1/sales", LF_CHANGED_MODIFIED);
	expect(&c, "schema/main-use1/sales/raw", LF_CHANGED_DEPENDANT);
	expect(&c, "schema/main-use1/sales/curated", LF_CHANGED_DEPENDANT);
	expect(&c, "grant/analysts-use-sales", LF_CHANGED_DEPENDANT);
	expect(&c, "grant/engineers-write-raw", LF_CHANGED_DEPENDANT);
	assert_string_equal(find(&c, "grant/engineers-write-raw")->via,
	                    "schema/main-use1/sales/raw");
	/* what the catalog needs is not a dependant of it */
	assert_null(find(&c, "metastore/main-use1"));
	assert_null(find(&c, "group/engineers"));
	assert_null(find(&c, "grant/engineers-create-catalog"));
	assert_int_equal(c.n, 7);
	/* sorted, and every one is declared: all are targets */
	for (size_t i = 1; i < c.n; i++)
		assert_true(strcmp(c.v[i - 1].address, c.v[i].address) < 0);
	assert_int_equal(c.ntargets, c.n);
	lf_changed_release(&c);
	set_release(&before);
	set_release(&after);
}

static void test_nothing_changed(void **unused)
{
	struct set before, after;
	struct lf_state st = LF_STATE_INIT;
	struct lf_changed c = LF_CHANGED_INIT;

	(void)unused;
	set_load(&before, NULL, 0);
	set_load(&after, NULL, 1);
	assert_int_equal(lf_changed_find(&c, &before.m, &after.m, &after.ds, &st), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.ntargets, 0);
	lf_changed_release(&c);
	set_release(&before);
	set_release(&after);
}

/* A grant renamed: the old name removed (never applied here, so not a
 * target), the new one added; a user's display name changed. */
static void edit_rename(struct set *s)
{
	json_object_set_new(json_object_get(doc_named(s, "analysts-read-curated"), "metadata"),
	                    "name", json_string("analysts-read-curated-2"));
	json_object_set_new(json_object_get(doc_named(s, "alice@acme.com"), "spec"), "display_name",
	                    json_string("Alice M."));
}

static void test_added_removed_and_principals(void **unused)
{
	struct set before, after;
	struct lf_state st = LF_STATE_INIT;
	struct lf_changed c = LF_CHANGED_INIT;

	(void)unused;
	set_load(&before, NULL, 0);
	set_load(&after, edit_rename, 1);
	assert_int_equal(lf_changed_find(&c, &before.m, &after.m, &after.ds, &st), 0);
	expect(&c, "grant/analysts-read-curated", LF_CHANGED_REMOVED);
	expect(&c, "grant/analysts-read-curated-2", LF_CHANGED_ADDED);
	expect(&c, "user/alice@acme.com", LF_CHANGED_MODIFIED);
	/* a group with alice as a member needs her */
	expect(&c, "group/analysts", LF_CHANGED_DEPENDANT);
	assert_false(find(&c, "grant/analysts-read-curated")->planned);
	assert_true(find(&c, "grant/analysts-read-curated-2")->planned);
	assert_int_equal(c.ntargets, c.n - 1);
	lf_changed_release(&c);
	set_release(&before);
	set_release(&after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_changed_catalog_brings_schemas_and_grants),
	    cmocka_unit_test(test_nothing_changed),
	    cmocka_unit_test(test_added_removed_and_principals),
	};
	return cmocka_run_group_tests(tests, load_kinds, free_kinds);
}
