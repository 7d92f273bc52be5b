/* Unit tests for src/core/incr.c's split of YAML text into its documents by
 * their markers, and for lf_plan_order() (the order the documents cache
 * records), which must be the order lf_plan_build() shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/incr.h"
#include "core/planner.h"
#include "util/mem.h"

/* split `text`: the number of pieces, or -1; their starts in `out` */
static int split(const char *text, size_t *out, size_t max)
{
	size_t *starts = NULL, n = 0;
	int rc = lf_incr_split(text, strlen(text), &starts, &n);

	if (rc == 0)
		for (size_t i = 0; i < n && i < max; i++)
			out[i] = starts[i];
	free(starts);
	return rc ? -1 : (int)n;
}

static void test_split_by_markers(void **state)
{
	size_t s[8];
	(void)state;

	/* no marker: one piece, the whole text */
	assert_int_equal(split("a: 1\nb: 2\n", s, 8), 1);
	assert_int_equal(s[0], 0);
	/* a first "---": an empty piece before it */
	assert_int_equal(split("---\na: 1\n---\nb: 2\n", s, 8), 3);
	assert_int_equal(s[0], 0);
	assert_int_equal(s[1], 0);
	assert_int_equal(s[2], 9);
	/* "---" followed by a space, a tab, content or the end */
	assert_int_equal(split("a: 1\n--- !x\nb\n---\tc\n---", s, 8), 4);
	assert_int_equal(s[1], 5);
	assert_int_equal(s[2], 14);
	assert_int_equal(s[3], 20);
	/* not markers: "----", "---x", indented, inside a line */
	assert_int_equal(split("a: |\n  ---\n----\n---x: 1\nb: ---\n", s, 8), 1);
	/* text before the first marker: a comment */
	assert_int_equal(split("# top\n---\na: 1\n", s, 8), 2);
	assert_int_equal(s[1], 6);
}

static void test_split_refuses_what_it_cannot_be_sure_of(void **state)
{
	size_t s[8];
	(void)state;

	assert_int_equal(split("a: 1\n...\n---\nb: 2\n", s, 8), -1);
	assert_int_equal(split("a: 1\n... # end\n", s, 8), -1);
	assert_int_equal(split("%YAML 1.1\n---\na: 1\n", s, 8), -1);
	assert_int_equal(split("\xef\xbb\xbf"
	                       "a: 1\n",
	                       s, 8),
	                 -1);
	assert_int_equal(split("a: 1\r\n---\r\nb: 2\r\n", s, 8), -1);
	/* "...x" is not an end marker, "%" inside a line is not a directive */
	assert_int_equal(split("a: ...x\n...x: 1\nb: 50%\n", s, 8), 1);
}

static struct lf_dres *dres(struct lf_desired *ds, const char *address, const char *parent)
{
	struct lf_dres *r = lf_xcalloc(1, sizeof(*r));

	r->address = lf_xstrdup(address);
	r->type = lf_xstrndup(address, strcspn(address, "/"));
	r->name = lf_xstrdup(strchr(address, '/') + 1);
	r->provider = lf_xstrdup(parent ? "storage" : "lakeform");
	r->parent = parent ? lf_xstrdup(parent) : NULL;
	r->inputs = json_object();
	LF_GROW(ds->v, ds->n + 1, ds->alloc);
	ds->v[ds->n++] = r;
	lf_map_put(&ds->index, r->address, (void *)(uintptr_t)ds->n);
	return r;
}

static void dep(struct lf_dres *r, const char *address)
{
	LF_GROW(r->deps, r->ndeps + 1, r->deps_alloc);
	r->deps[r->ndeps++] = lf_xstrdup(address);
}

static void test_order_is_the_plans(void **state)
{
	struct lf_desired ds = LF_DESIRED_INIT;
	struct lf_state st;
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_plan_opts o;
	struct lf_diags d = LF_DIAGS_INIT;
	(void)state;

	/* a grant needs its table, which needs its schema, whose part (a
	 * prefix) comes right after it; the addresses sort otherwise */
	struct lf_dres *g = dres(&ds, "grant/a", NULL);
	struct lf_dres *t = dres(&ds, "table/z", NULL);
	struct lf_dres *sc = dres(&ds, "schema/m", NULL);
	struct lf_dres *pre = dres(&ds, "storage.prefix/p", "schema/m");
	dres(&ds, "catalog/c", NULL);
	dep(g, "table/z");
	dep(t, "schema/m");
	dep(pre, "schema/m");
	(void)sc;
	size_t *rank = lf_xcalloc(ds.n, sizeof(*rank));
	assert_int_equal(lf_plan_order(&ds, rank), 0);
	/* catalog/c first by address; then grant/a, after what it needs:
	 * schema/m, its prefix, table/z */
	assert_int_equal(rank[4], 0); /* catalog/c */
	assert_int_equal(rank[2], 1); /* schema/m */
	assert_int_equal(rank[3], 2); /* storage.prefix/p */
	assert_int_equal(rank[1], 3); /* table/z */
	assert_int_equal(rank[0], 4); /* grant/a */
	/* lf_plan_build() against an empty state: every node desired, the
	 * same order, shown as such */
	memset(&st, 0, sizeof(st));
	memset(&o, 0, sizeof(o));
	assert_int_equal(lf_plan_build(&p, &ds, &st, &o, &d), 0);
	assert_non_null(p.desired_rank);
	for (size_t i = 0; i < ds.n; i++)
		assert_int_equal(p.desired_rank[i], rank[i]);
	assert_string_equal(p.v[0].address, "catalog/c");
	assert_string_equal(p.v[4].address, "grant/a");
	lf_plan_release(&p);
	/* a cycle has no order */
	dep(sc, "grant/a");
	assert_int_equal(lf_plan_order(&ds, rank), -1);
	free(rank);
	lf_desired_release(&ds);
	lf_diags_release(&d);
}

/* lf_plan_order_graph() of the graph lf_plan_order() walks says what it
 * says: a part waits for what it needs, and an index out of range or a
 * cycle has no order */
static void test_order_of_a_graph(void **state)
{
	struct lf_desired ds = LF_DESIRED_INIT;
	(void)state;

	/* a workspace with two parts: a schema, and a grant that needs it and
	 * a user; the user sorts after the grant */
	struct lf_dres *w = dres(&ds, "workspace/w", NULL);
	struct lf_dres *s = dres(&ds, "schema/s", "workspace/w");
	struct lf_dres *g = dres(&ds, "grant/g", "workspace/w");
	dres(&ds, "user/u", NULL);
	dres(&ds, "catalog/c", NULL);
	dep(s, "workspace/w");
	dep(g, "schema/s");
	dep(g, "user/u");
	dep(w, "catalog/c");
	size_t want[5], got[5];
	assert_int_equal(lf_plan_order(&ds, want), 0);
	size_t d_s[] = {0}, d_g[] = {1, 3}, d_w[] = {4};
	struct lf_graph_node v[5] = {
	    {"workspace/w", (size_t)-1, d_w, 1}, {"schema/s", 0, d_s, 1},
	    {"grant/g", 0, d_g, 2},              {"user/u", (size_t)-1, NULL, 0},
	    {"catalog/c", (size_t)-1, NULL, 0},
	};
	assert_int_equal(lf_plan_order_graph(v, 5, got), 0);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(got[i], want[i]);
	/* catalog, workspace, its schema; the grant waits for the user */
	assert_int_equal(got[4], 0);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 2);
	assert_int_equal(got[3], 3);
	assert_int_equal(got[2], 4);
	/* the workspace needs the user too: its grant comes right after
	 * its schema, and the user before the workspace */
	size_t d_w2[] = {4, 3};
	v[0].deps = d_w2;
	v[0].ndeps = 2;
	dep(w, "user/u");
	assert_int_equal(lf_plan_order(&ds, want), 0);
	assert_int_equal(lf_plan_order_graph(v, 5, got), 0);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(got[i], want[i]);
	assert_int_equal(got[2], got[1] + 1);
	assert_true(got[3] < got[0]);
	/* an index out of range, a cycle */
	size_t bad[] = {7};
	v[1].deps = bad;
	assert_int_equal(lf_plan_order_graph(v, 5, got), -1);
	size_t back[] = {2};
	v[1].deps = back;
	assert_int_equal(lf_plan_order_graph(v, 5, got), -1);
	lf_desired_release(&ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_by_markers),
	    cmocka_unit_test(test_split_refuses_what_it_cannot_be_sure_of),
	    cmocka_unit_test(test_order_is_the_plans),
	    cmocka_unit_test(test_order_of_a_graph),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
