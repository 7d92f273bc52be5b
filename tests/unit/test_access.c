/*
 * Unit tests for src/core/access.c: effective access on hand-worked
 * manifests, loaded through the real loader (kinds from schemas/,
 * manifests, checks, expansion), with every expected line worked out by
 * hand from the rules of access.h.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/access.h"
#include "core/expand.h"
#include "core/manifest.h"
#include "core/source.h"
#include "state/state.h"
#include "util/buf.h"
#include "util/map.h"
#include "util/mem.h"
#include "fixture.h"

struct world {
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	struct lf_diags d;
	struct lf_access *a;
};

static void world_yaml(struct world *w, const char *yaml)
{
	char *schemas = repo_path("schemas");

	memset(w, 0, sizeof(*w));
	if (lf_kinds_load(&w->kinds, schemas, &w->d) != 0)
		fail_with_diags(&w->d, "lf_kinds_load");
	free(schemas);
	if (lf_source_load_buffer(&w->src, "t.yaml", yaml, strlen(yaml), &w->d) != 0)
		fail_with_diags(&w->d, "lf_source_load_buffer");
	if (lf_manifest_build(&w->m, &w->src, &w->kinds, &w->d) != 0)
		fail_with_diags(&w->d, "lf_manifest_build");
	if (lf_manifest_check(&w->m, &w->d) != 0)
		fail_with_diags(&w->d, "lf_manifest_check");
	if (lf_expand(&w->ds, &w->m, &w->d) != 0)
		fail_with_diags(&w->d, "lf_expand");
	w->a = lf_access_from_desired(&w->m, &w->ds);
}

/* examples/NAME, found beside the schemas */
static void world_example(struct world *w, const char *name)
{
	char *schemas = repo_path("schemas");
	char *dir = lf_xasprintf("%s/../examples/%s", schemas, name);

	memset(w, 0, sizeof(*w));
	if (lf_kinds_load(&w->kinds, schemas, &w->d) != 0)
		fail_with_diags(&w->d, "lf_kinds_load");
	free(schemas);
	if (lf_source_load(&w->src, dir, &w->d) != 0)
		fail_with_diags(&w->d, "lf_source_load");
	free(dir);
	if (lf_manifest_build(&w->m, &w->src, &w->kinds, &w->d) != 0 ||
	    lf_manifest_check(&w->m, &w->d) != 0 || lf_expand(&w->ds, &w->m, &w->d) != 0)
		fail_with_diags(&w->d, "loading the example");
	w->a = lf_access_from_desired(&w->m, &w->ds);
}

static void world_release(struct world *w)
{
	lf_access_free(w->a);
	lf_desired_release(&w->ds);
	lf_manifest_release(&w->m);
	lf_source_release(&w->src);
	lf_kinds_release(&w->kinds);
	lf_diags_release(&w->d);
}

/* The line of `l` for (principal, securable, privilege), or NULL. */
static const struct lf_access_line *line_of(const struct lf_access_list *l, const char *principal,
                                            const char *securable, const char *privilege)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].principal, principal) &&
		    !strcmp(l->v[i].securable, securable) && !strcmp(l->v[i].privilege, privilege))
			return &l->v[i];
	return NULL;
}

/* The privileges of `l` on `securable` for `principal`, sorted, joined with ' '. */
static char *privileges_on(const struct lf_access_list *l, const char *principal,
                           const char *securable)
{
	struct lf_buf b = LF_BUF_INIT;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].principal, principal) && !strcmp(l->v[i].securable, securable))
			lf_buf_addf(&b, "%s%s", b.len ? " " : "", l->v[i].privilege);
	return lf_buf_detach(&b);
}

static void assert_privileges(const struct lf_access_list *l, const char *principal,
                              const char *securable, const char *want)
{
	char *got = privileges_on(l, principal, securable);
	if (strcmp(got, want))
		fail_msg("%s on %s:\n got  '%s'\n want '%s'", principal, securable, got, want);
	free(got);
}

/* Every via of a line as text, joined with " | ". */
static char *vias(const struct lf_access_line *ln)
{
	struct lf_buf b = LF_BUF_INIT;
	for (size_t k = 0; ln && k < ln->nvia; k++) {
		char *t = lf_access_via_text(&ln->via[k], ln->principal, ln->securable);
		lf_buf_addf(&b, "%s%s", k ? " | " : "", t);
		free(t);
	}
	return lf_buf_detach(&b);
}

static void assert_vias(const struct lf_access_list *l, const char *principal,
                        const char *securable, const char *privilege, const char *want)
{
	const struct lf_access_line *ln = line_of(l, principal, securable, privilege);
	if (!ln)
		fail_msg("no line %s %s %s", principal, securable, privilege);
	char *got = vias(ln);
	if (strcmp(got, want))
		fail_msg("%s %s %s:\n got  '%s'\n want '%s'", principal, securable, privilege, got,
		         want);
	free(got);
}

/*
 * The hand-worked account.  alice is in interns, interns in engineers
 * (nested); etl is in engineers; carol in admins.  Grants: engineers on the
 * catalog (inherited down, APPLY_TAG and CREATE_SCHEMA not), alice
 * ALL_PRIVILEGES on the schema, admins CREATE_CATALOG on the metastore.
 * Owners: admins the metastore, bob the catalog, etl the schema.
 */
static const char account[] =
    "apiVersion: lakeform/v1\nkind: Account\nmetadata: {name: acme}\n"
    "spec: {default_storage: {bucket: acme-default, region: us-east-1}}\n"
    "---\napiVersion: lakeform/v1\nkind: User\nmetadata: {name: alice@acme.com}\n"
    "---\napiVersion: lakeform/v1\nkind: User\nmetadata: {name: bob@acme.com}\n"
    "---\napiVersion: lakeform/v1\nkind: User\nmetadata: {name: carol@acme.com}\n"
    "---\napiVersion: lakeform/v1\nkind: User\nmetadata: {name: dave@acme.com}\n"
    "---\napiVersion: lakeform/v1\nkind: ServicePrincipal\nmetadata: {name: etl}\n"
    "---\napiVersion: lakeform/v1\nkind: Group\nmetadata: {name: interns}\n"
    "spec: {members: [user:alice@acme.com]}\n"
    "---\napiVersion: lakeform/v1\nkind: Group\nmetadata: {name: engineers}\n"
    "spec: {members: [group:interns, service_principal:etl]}\n"
    "---\napiVersion: lakeform/v1\nkind: Group\nmetadata: {name: admins}\n"
    "spec: {members: [user:carol@acme.com]}\n"
    "---\napiVersion: lakeform/v1\nkind: Metastore\nmetadata: {name: main}\n"
    "spec: {region: us-east-1, owner: 'group:admins'}\n"
    "---\napiVersion: lakeform/v1\nkind: Catalog\nmetadata: {name: sales}\n"
    "spec: {metastore: main, owner: 'user:bob@acme.com'}\n"
    "---\napiVersion: lakeform/v1\nkind: Schema\nmetadata: {name: raw}\n"
    "spec: {metastore: main, catalog: sales, owner: 'service_principal:etl'}\n"
    "---\napiVersion: lakeform/v1\nkind: Table\nmetadata: {name: orders}\n"
    "spec: {metastore: main, catalog: sales, schema: raw, columns: [{name: id, type: "
    "BIGINT}]}\n"
    "---\napiVersion: lakeform/v1\nkind: Volume\nmetadata: {name: files}\n"
    "spec: {metastore: main, catalog: sales, schema: raw}\n"
    "---\napiVersion: lakeform/v1\nkind: Workspace\nmetadata: {name: w1}\n"
    "spec: {region: us-east-1, compute: serverless, metastore: main,\n"
    "  workspace_catalog: false, users: ['group:engineers'], admins: "
    "['user:carol@acme.com']}\n"
    "---\napiVersion: lakeform/v1\nkind: Grant\nmetadata: {name: engineers-read}\n"
    "spec:\n  principal: group:engineers\n"
    "  securable: {type: catalog, metastore: main, name: sales}\n"
    "  privileges: [USE_CATALOG, use schema, SELECT, APPLY_TAG, CREATE_SCHEMA]\n"
    "---\napiVersion: lakeform/v1\nkind: Grant\nmetadata: {name: alice-all}\n"
    "spec:\n  principal: user:alice@acme.com\n"
    "  securable: {type: schema, metastore: main, name: sales.raw}\n"
    "  privileges: [ALL_PRIVILEGES]\n"
    "---\napiVersion: lakeform/v1\nkind: Grant\nmetadata: {name: admins-ms}\n"
    "spec:\n  principal: group:admins\n"
    "  securable: {type: metastore, name: main}\n"
    "  privileges: [CREATE_CATALOG]\n";

#define SCHEMA_ALL                                                                      \
	"APPLY_TAG CREATE_FUNCTION CREATE_MATERIALIZED_VIEW CREATE_MODEL CREATE_TABLE " \
	"CREATE_VOLUME EXECUTE MODIFY READ_VOLUME REFRESH SELECT USE_SCHEMA "           \
	"WRITE_VOLUME"

/* Nested groups, inheritance, ALL_PRIVILEGES, privileges that stay put. */
static void test_principal_nested_and_inherited(void **state)
{
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;

	world_yaml(&w, account);
	assert_int_equal(lf_access_principal(&l, w.a, "user:alice@acme.com", &err), 0);
	assert_null(err);
	assert_string_equal(l.subject, "user:alice@acme.com");
	/* a user of the workspace through interns, then engineers */
	assert_privileges(&l, "user:alice@acme.com", "workspace/w1", "USER");
	assert_vias(&l, "user:alice@acme.com", "workspace/w1", "USER",
	            "user of workspace/w1 (t.yaml:70:37); member of group:engineers via "
	            "group:interns");
	/* the catalog: what engineers were given, as given */
	assert_privileges(&l, "user:alice@acme.com", "catalog/main/sales",
	                  "APPLY_TAG CREATE_SCHEMA SELECT USE_CATALOG USE_SCHEMA");
	/* the schema: SELECT and USE_SCHEMA inherited from the catalog (not
	 * APPLY_TAG, which stays put, nor CREATE_SCHEMA, not a schema's), and
	 * ALL_PRIVILEGES on it: every schema privilege but
	 * EXTERNAL_USE_SCHEMA and MANAGE */
	assert_privileges(&l, "user:alice@acme.com", "schema/main/sales/raw", SCHEMA_ALL);
	assert_vias(&l, "user:alice@acme.com", "schema/main/sales/raw", "SELECT",
	            "grant/engineers-read (t.yaml:72:1) on catalog/main/sales; member of "
	            "group:engineers via group:interns | grant/alice-all (t.yaml:80:1) as "
	            "ALL_PRIVILEGES");
	assert_null(
	    line_of(&l, "user:alice@acme.com", "schema/main/sales/raw", "EXTERNAL_USE_SCHEMA"));
	/* the table: SELECT from both, MODIFY from ALL_PRIVILEGES above; no
	 * APPLY_TAG or MANAGE (not inherited) */
	assert_privileges(&l, "user:alice@acme.com", "table/main/sales/raw/orders",
	                  "MODIFY SELECT");
	assert_vias(&l, "user:alice@acme.com", "table/main/sales/raw/orders", "MODIFY",
	            "grant/alice-all (t.yaml:80:1) on schema/main/sales/raw as ALL_PRIVILEGES");
	assert_privileges(&l, "user:alice@acme.com", "volume/main/sales/raw/files",
	                  "READ_VOLUME WRITE_VOLUME");
	/* nothing on the metastore: its grant is to admins */
	assert_privileges(&l, "user:alice@acme.com", "metastore/main", "");
	assert_int_equal(l.n, 1 + 5 + 13 + 2 + 2);
	/* sorted: the workspace, then the namespace depth first */
	assert_string_equal(l.v[0].securable, "workspace/w1");
	assert_string_equal(l.v[1].securable, "catalog/main/sales");
	assert_string_equal(l.v[6].securable, "schema/main/sales/raw");
	/* the schema's objects by name: files before orders */
	assert_string_equal(l.v[20].securable, "volume/main/sales/raw/files");
	assert_string_equal(l.v[22].securable, "table/main/sales/raw/orders");
	lf_access_list_release(&l);
	world_release(&w);
}

/* An owner holds every privilege on what it owns, and nothing below. */
static void test_owner_not_inherited(void **state)
{
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;

	world_yaml(&w, account);
	assert_int_equal(lf_access_principal(&l, w.a, "user:bob@acme.com", &err), 0);
	assert_privileges(&l, "user:bob@acme.com", "catalog/main/sales",
	                  "APPLY_TAG BROWSE CREATE_FUNCTION CREATE_MATERIALIZED_VIEW CREATE_MODEL "
	                  "CREATE_SCHEMA CREATE_TABLE CREATE_VOLUME EXECUTE MANAGE MODIFY "
	                  "READ_VOLUME REFRESH SELECT USE_CATALOG USE_SCHEMA WRITE_VOLUME");
	assert_vias(&l, "user:bob@acme.com", "catalog/main/sales", "SELECT",
	            "owner of catalog/main/sales (t.yaml:49:32)");
	assert_int_equal(l.n, 17);
	lf_access_list_release(&l);

	/* carol: the metastore through admins (owner and grant, not
	 * inherited by the catalog), admin of the workspace */
	assert_int_equal(lf_access_principal(&l, w.a, "user:carol@acme.com", &err), 0);
	assert_privileges(&l, "user:carol@acme.com", "metastore/main",
	                  "CREATE_CATALOG CREATE_CONNECTION CREATE_EXTERNAL_LOCATION "
	                  "CREATE_PROVIDER CREATE_RECIPIENT CREATE_SHARE CREATE_STORAGE_CREDENTIAL "
	                  "MANAGE_ALLOWLIST SET_SHARE_PERMISSION USE_MARKETPLACE_ASSETS "
	                  "USE_PROVIDER USE_RECIPIENT USE_SHARE");
	assert_vias(&l, "user:carol@acme.com", "metastore/main", "CREATE_CATALOG",
	            "grant/admins-ms (t.yaml:88:1); member of group:admins | owner of "
	            "metastore/main (t.yaml:44:34); member of group:admins");
	assert_privileges(&l, "user:carol@acme.com", "workspace/w1", "ADMIN USER");
	assert_int_equal(l.n, 13 + 2);
	lf_access_list_release(&l);

	/* dave: declared, nothing given */
	assert_int_equal(lf_access_principal(&l, w.a, "user:dave@acme.com", &err), 0);
	assert_int_equal(l.n, 0);
	lf_access_list_release(&l);
	world_release(&w);
}

/* Who can do what on the table: groups and their members, nested. */
static void test_securable(void **state)
{
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;

	world_yaml(&w, account);
	assert_int_equal(lf_access_securable(&l, w.a, "sales.raw.orders", &err), 0);
	assert_string_equal(l.subject, "table/main/sales/raw/orders");
	assert_int_equal(l.on_securable, 1);
	assert_int_equal(l.n, 5);
	/* sorted by principal, then privilege */
	static const char *const want[][2] = {
	    {"group:engineers", "SELECT"},       {"group:interns", "SELECT"},
	    {"service_principal:etl", "SELECT"}, {"user:alice@acme.com", "MODIFY"},
	    {"user:alice@acme.com", "SELECT"},
	};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(l.v[i].principal, want[i][0]);
		assert_string_equal(l.v[i].privilege, want[i][1]);
	}
	/* the same ways as asked from the principal's side */
	assert_vias(&l, "user:alice@acme.com", "table/main/sales/raw/orders", "SELECT",
	            "grant/engineers-read (t.yaml:72:1) on catalog/main/sales; member of "
	            "group:engineers via group:interns | grant/alice-all (t.yaml:80:1) on "
	            "schema/main/sales/raw as ALL_PRIVILEGES");
	assert_vias(&l, "service_principal:etl", "table/main/sales/raw/orders", "SELECT",
	            "grant/engineers-read (t.yaml:72:1) on catalog/main/sales; member of "
	            "group:engineers");
	lf_access_list_release(&l);

	/* the metastore: its grant and owner reach admins and carol only */
	assert_int_equal(lf_access_securable(&l, w.a, "metastore/main", &err), 0);
	for (size_t i = 0; i < l.n; i++)
		assert_true(!strcmp(l.v[i].principal, "group:admins") ||
		            !strcmp(l.v[i].principal, "user:carol@acme.com"));
	assert_int_equal(l.n, 2 * 13);
	lf_access_list_release(&l);

	/* a bucket by its provider address */
	assert_int_equal(lf_access_securable(&l, w.a, "storage.bucket/acme-default", &err), 0);
	assert_string_equal(l.subject, "bucket/acme-default");
	assert_int_equal(l.n, 0);
	lf_access_list_release(&l);
	world_release(&w);
}

static void test_errors(void **state)
{
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;

	world_yaml(&w, account);
	assert_int_equal(lf_access_principal(&l, w.a, "alice", &err), -1);
	assert_string_equal(err, "'alice' is not a principal: write user:NAME, group:NAME or "
	                         "service_principal:NAME");
	free(err);
	assert_int_equal(lf_access_principal(&l, w.a, "user:alice@acme.org", &err), -1);
	assert_string_equal(err, "unknown principal 'user:alice@acme.org' (did you mean "
	                         "'user:alice@acme.com'?)");
	free(err);
	assert_int_equal(lf_access_principal(&l, w.a, "group:nobody-at-all", &err), -1);
	assert_string_equal(err, "unknown principal 'group:nobody-at-all'");
	free(err);
	assert_int_equal(lf_access_securable(&l, w.a, "sales.raw.order", &err), -1);
	assert_string_equal(err, "unknown securable 'sales.raw.order' (did you mean "
	                         "'sales.raw.orders'?)");
	free(err);
	/* 'main' is the metastore only; 'w1' the workspace */
	assert_int_equal(lf_access_securable(&l, w.a, "main", &err), 0);
	assert_string_equal(l.subject, "metastore/main");
	lf_access_list_release(&l);
	assert_int_equal(l.n, 0);
	world_release(&w);
}

/* A name two securables have is refused with both addresses. */
static void test_ambiguous(void **state)
{
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;
	struct lf_buf y = LF_BUF_INIT;

	lf_buf_adds(&y, account);
	lf_buf_adds(&y, "---\napiVersion: lakeform/v1\nkind: Catalog\nmetadata: {name: w1}\n"
	                "spec: {metastore: main}\n");
	world_yaml(&w, lf_buf_cstr(&y));
	assert_int_equal(lf_access_securable(&l, w.a, "w1", &err), -1);
	assert_string_equal(err, "'w1' names 2 securables: 'workspace/w1', 'catalog/main/w1'; "
	                         "give the address of one");
	free(err);
	/* namespace names without case, as Unity Catalog folds them */
	assert_int_equal(lf_access_securable(&l, w.a, "SALES.Raw", &err), 0);
	assert_string_equal(l.subject, "schema/main/sales/raw");
	lf_access_list_release(&l);
	lf_buf_release(&y);
	world_release(&w);
}

/* A workspace catalog: users' grants from expansion, admins own it. */
static void test_workspace_catalog(void **state)
{
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;
	struct lf_buf y = LF_BUF_INIT;

	lf_buf_adds(&y, account);
	lf_buf_adds(&y, "---\napiVersion: lakeform/v1\nkind: Workspace\nmetadata: {name: w-two}\n"
	                "spec: {region: us-east-1, compute: serverless, metastore: main,\n"
	                "  users: ['user:dave@acme.com'], admins: ['user:bob@acme.com']}\n");
	world_yaml(&w, lf_buf_cstr(&y));
	assert_int_equal(lf_access_principal(&l, w.a, "user:dave@acme.com", &err), 0);
	assert_privileges(&l, "user:dave@acme.com", "workspace/w-two", "USER");
	assert_privileges(&l, "user:dave@acme.com", "catalog/main/w_two", "USE_CATALOG");
	assert_privileges(&l, "user:dave@acme.com", "schema/main/w_two/default",
	                  "CREATE_FUNCTION CREATE_TABLE CREATE_VOLUME USE_SCHEMA");
	assert_vias(&l, "user:dave@acme.com", "schema/main/w_two/default", "CREATE_TABLE",
	            "grant/workspace:w-two:user:dave@acme.com (t.yaml:100:11)");
	assert_int_equal(l.n, 6);
	lf_access_list_release(&l);
	assert_int_equal(lf_access_securable(&l, w.a, "catalog/main/w_two", &err), 0);
	assert_vias(&l, "user:bob@acme.com", "catalog/main/w_two", "USE_CATALOG",
	            "grant/workspace:w-two:user:bob@acme.com (t.yaml:100:43) | owner of "
	            "catalog/main/w_two (t.yaml:100:43)");
	assert_privileges(&l, "user:bob@acme.com", "catalog/main/w_two",
	                  "APPLY_TAG BROWSE CREATE_FUNCTION CREATE_MATERIALIZED_VIEW CREATE_MODEL "
	                  "CREATE_SCHEMA CREATE_TABLE CREATE_VOLUME EXECUTE MANAGE MODIFY "
	                  "READ_VOLUME REFRESH SELECT USE_CATALOG USE_SCHEMA WRITE_VOLUME");
	lf_access_list_release(&l);
	lf_buf_release(&y);
	world_release(&w);
}

/* The state's model gives the same lines, without positions. */
static void test_from_state(void **state)
{
	struct world w;
	struct lf_state st = LF_STATE_INIT;
	struct lf_access_list want = LF_ACCESS_LIST_INIT, got = LF_ACCESS_LIST_INIT;
	char *err = NULL;

	world_yaml(&w, account);
	for (size_t i = 0; i < w.ds.n; i++) {
		const struct lf_dres *r = w.ds.v[i];
		struct lf_state_res rec;
		memset(&rec, 0, sizeof(rec));
		rec.address = r->address;
		rec.type = r->type;
		rec.provider = r->provider;
		rec.parent = r->parent;
		rec.inputs = r->inputs;
		lf_state_put(&st, &rec);
	}
	lf_state_normalize(&st);
	struct lf_access *sa = lf_access_from_state(&st, &w.kinds);
	const char *who[] = {"user:alice@acme.com", "user:bob@acme.com", "user:carol@acme.com",
	                     "service_principal:etl"};
	for (size_t p = 0; p < 4; p++) {
		assert_int_equal(lf_access_principal(&want, w.a, who[p], &err), 0);
		assert_int_equal(lf_access_principal(&got, sa, who[p], &err), 0);
		assert_int_equal(got.n, want.n);
		for (size_t i = 0; i < got.n; i++) {
			assert_string_equal(got.v[i].securable, want.v[i].securable);
			assert_string_equal(got.v[i].privilege, want.v[i].privilege);
			assert_int_equal(got.v[i].nvia, want.v[i].nvia);
			for (size_t k = 0; k < got.v[i].nvia; k++) {
				assert_null(got.v[i].via[k].file);
				assert_string_equal(got.v[i].via[k].source,
				                    want.v[i].via[k].source);
			}
		}
		lf_access_list_release(&want);
		lf_access_list_release(&got);
	}
	lf_access_free(sa);
	lf_state_release(&st);
	world_release(&w);
}

/* The JSON: every field, for one line. */
static void test_json(void **state)
{
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;

	world_yaml(&w, account);
	assert_int_equal(lf_access_securable(&l, w.a, "volume/main/sales/raw/files", &err), 0);
	json_t *j = lf_access_json(&l, w.a);
	json_t *first = json_array_get(json_object_get(j, "access"), 0);
	char *got = json_dumps(first, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(
	    got,
	    "{\"principal\":\"user:alice@acme.com\",\"privilege\":\"READ_VOLUME\",\"securable\":"
	    "{\"address\":\"volume/main/sales/raw/files\",\"metastore\":\"main\",\"name\":"
	    "\"sales.raw.files\",\"type\":\"volume\"},\"via\":[{\"at\":{\"column\":1,"
	    "\"file\":\"t.yaml\",\"line\":80},\"given\":\"ALL_PRIVILEGES\","
	    "\"holder\":\"user:alice@acme.com\",\"kind\":\"grant\",\"on\":\"schema/main/"
	    "sales/raw\",\"source\":\"grant/alice-all\"}]}");
	free(got);
	assert_string_equal(json_string_value(json_object_get(j, "format_version")), "1");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "securable"), "address")),
	    "volume/main/sales/raw/files");
	assert_int_equal(json_array_size(json_object_get(j, "memberships")), 0);
	json_decref(j);
	lf_access_list_release(&l);

	/* each chain of membership once, at the top, sorted */
	assert_int_equal(lf_access_securable(&l, w.a, "sales.raw.orders", &err), 0);
	j = lf_access_json(&l, w.a);
	got = json_dumps(json_object_get(j, "memberships"), JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(got,
	                    "[{\"groups\":[\"group:engineers\"],\"holder\":\"group:engineers\","
	                    "\"principal\":\"group:interns\"},{\"groups\":[\"group:"
	                    "engineers\"],\"holder\":\"group:engineers\",\"principal\":"
	                    "\"service_principal:etl\"},{\"groups\":[\"group:interns\",\"group:"
	                    "engineers\"],\"holder\":\"group:engineers\",\"principal\":\"user:"
	                    "alice@acme.com\"}]");
	free(got);
	json_decref(j);
	lf_access_list_release(&l);
	world_release(&w);
}

/* The manifests of `account` and groups g1 .. g6, g1 holding dave, each
 * next one the one before (and g6 also g3 when `shortcut`), g6 given
 * BROWSE on the catalog. */
static void world_nested(struct world *w, int shortcut)
{
	struct lf_buf y = LF_BUF_INIT;

	lf_buf_adds(&y, account);
	for (int i = 1; i <= 6; i++) {
		lf_buf_addf(
		    &y, "---\napiVersion: lakeform/v1\nkind: Group\nmetadata: {name: g%d}\n", i);
		if (i == 1)
			lf_buf_adds(&y, "spec: {members: ['user:dave@acme.com']}\n");
		else if (i == 6 && shortcut)
			lf_buf_adds(&y, "spec: {members: ['group:g5', 'group:g3']}\n");
		else
			lf_buf_addf(&y, "spec: {members: ['group:g%d']}\n", i - 1);
	}
	lf_buf_adds(&y, "---\napiVersion: lakeform/v1\nkind: Grant\nmetadata: {name: g6-sales}\n"
	                "spec: {principal: 'group:g6', securable: {type: catalog, metastore: main, "
	                "name: sales}, privileges: [BROWSE]}\n");
	world_yaml(w, lf_buf_cstr(&y));
	lf_buf_release(&y);
}

/* A deep nesting: the shortest chain is shown, and the text is cut after
 * three groups. */
static void test_deep_nesting(void **state)
{
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;

	world_nested(&w, 1);
	assert_int_equal(lf_access_principal(&l, w.a, "user:dave@acme.com", &err), 0);
	assert_vias(&l, "user:dave@acme.com", "catalog/main/sales", "BROWSE",
	            "grant/g6-sales (t.yaml:126:1); member of group:g6 via group:g1, group:g2, "
	            "group:g3");
	lf_access_list_release(&l);
	world_release(&w);

	world_nested(&w, 0);
	assert_int_equal(lf_access_principal(&l, w.a, "user:dave@acme.com", &err), 0);
	assert_vias(&l, "user:dave@acme.com", "catalog/main/sales", "BROWSE",
	            "grant/g6-sales (t.yaml:126:1); member of group:g6 via group:g1, group:g2, "
	            "group:g3 and 2 more groups");
	const struct lf_access_line *ln =
	    line_of(&l, "user:dave@acme.com", "catalog/main/sales", "BROWSE");
	assert_int_equal(ln->via[0].ngroups, 6);
	assert_string_equal(ln->via[0].groups[4], "group:g5");
	lf_access_list_release(&l);
	/* from the securable's side: the same chain for dave, and g1 .. g5
	 * each through the groups above it */
	assert_int_equal(lf_access_securable(&l, w.a, "sales", &err), 0);
	assert_vias(&l, "user:dave@acme.com", "catalog/main/sales", "BROWSE",
	            "grant/g6-sales (t.yaml:126:1); member of group:g6 via group:g1, group:g2, "
	            "group:g3 and 2 more groups");
	assert_vias(&l, "group:g4", "catalog/main/sales", "BROWSE",
	            "grant/g6-sales (t.yaml:126:1); member of group:g6 via group:g5");
	lf_access_list_release(&l);
	world_release(&w);
}

/* A line with its ways, as text: "principal securable privilege: via | via". */
static char *line_text(const struct lf_access_line *ln)
{
	char *v = vias(ln);
	char *t = lf_xasprintf("%s %s %s: %s", ln->principal, ln->securable, ln->privilege, v);
	free(v);
	return t;
}

/* Asked from either side, the answers agree: every line of every
 * principal's answer is in the answer on its securable, with the same
 * ways, and the answers on all securables hold no other line. */
static void both_ways_agree(struct world *w)
{
	size_t np, ns, total = 0;
	const char *const *ps = lf_access_principals(w->a, &np);
	const struct lf_access_securable *ss = lf_access_securables(w->a, &ns);
	struct lf_map by_securable = LF_MAP_INIT;
	char *err = NULL;

	for (size_t i = 0; i < ns; i++) {
		struct lf_access_list l = LF_ACCESS_LIST_INIT;
		assert_int_equal(lf_access_securable(&l, w->a, ss[i].address, &err), 0);
		for (size_t k = 0; k < l.n; k++) {
			char *t = line_text(&l.v[k]);
			lf_map_put(&by_securable, t, (void *)1);
			free(t);
		}
		total += l.n;
		lf_access_list_release(&l);
	}
	size_t seen = 0;
	for (size_t i = 0; i < np; i++) {
		struct lf_access_list l = LF_ACCESS_LIST_INIT;
		assert_int_equal(lf_access_principal(&l, w->a, ps[i], &err), 0);
		for (size_t k = 0; k < l.n; k++) {
			char *t = line_text(&l.v[k]);
			if (!lf_map_get(&by_securable, t))
				fail_msg("only from the principal's side: %s", t);
			free(t);
		}
		seen += l.n;
		lf_access_list_release(&l);
	}
	assert_int_equal(seen, total);
	assert_true(total > 0);
	lf_map_release(&by_securable);
}

static void test_both_ways_agree(void **state)
{
	static const char *const examples[] = {"quickstart", "classic", "multi-region"};
	struct world w;

	world_yaml(&w, account);
	both_ways_agree(&w);
	world_release(&w);
	world_nested(&w, 1);
	both_ways_agree(&w);
	world_release(&w);
	for (size_t i = 0; i < 3; i++) {
		world_example(&w, examples[i]);
		both_ways_agree(&w);
		world_release(&w);
	}
}

/* A line with its ways and every group of their chains, as text. */
static char *line_full_text(const struct lf_access_line *ln)
{
	struct lf_buf b = LF_BUF_INIT;
	char *t = line_text(ln);
	lf_buf_adds(&b, t);
	free(t);
	for (size_t k = 0; k < ln->nvia; k++) {
		lf_buf_addf(&b, " [%zu:", k);
		for (size_t g = 0; g < ln->via[k].ngroups; g++)
			lf_buf_addf(&b, " %s", ln->via[k].groups[g]);
		lf_buf_adds(&b, "]");
	}
	return lf_buf_detach(&b);
}

/* The page (offset, limit) of one answer is the same slice of the whole
 * answer, line for line and way for way, and counts all its lines. */
static void page_is_slice(const struct lf_access *a, const char *subject, int on_securable,
                          const struct lf_access_list *whole, size_t offset, size_t limit)
{
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	size_t total = 12345;
	char *err = NULL;
	int rc = on_securable
	             ? lf_access_securable_page(&l, a, subject, offset, limit, &total, &err)
	             : lf_access_principal_page(&l, a, subject, offset, limit, &total, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(total, whole->n);
	assert_string_equal(l.subject, whole->subject);
	size_t want = offset >= whole->n          ? 0
	              : whole->n - offset < limit ? whole->n - offset
	                                          : limit;
	assert_int_equal(l.n, want);
	for (size_t k = 0; k < l.n; k++) {
		char *got = line_full_text(&l.v[k]), *exp = line_full_text(&whole->v[offset + k]);
		assert_string_equal(got, exp);
		free(got);
		free(exp);
	}
	/* the JSON of a page lists the memberships its lines go through */
	json_t *j = lf_access_json(&l, a);
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(j, "memberships"), i, m)
		assert_true(json_array_size(json_object_get(m, "groups")) > 0);
	json_decref(j);
	lf_access_list_release(&l);
}

static void pages_agree(const struct lf_access *a, const char *subject, int on_securable)
{
	struct lf_access_list whole = LF_ACCESS_LIST_INIT;
	char *err = NULL;
	int rc = on_securable ? lf_access_securable(&whole, a, subject, &err)
	                      : lf_access_principal(&whole, a, subject, &err);
	assert_int_equal(rc, 0);
	size_t n = whole.n;
	page_is_slice(a, subject, on_securable, &whole, 0, SIZE_MAX);
	page_is_slice(a, subject, on_securable, &whole, 0, 1);
	page_is_slice(a, subject, on_securable, &whole, n + 3, 2);
	page_is_slice(a, subject, on_securable, &whole, n ? n - 1 : 0, 5);
	for (size_t off = 0; off < n; off += 3)
		page_is_slice(a, subject, on_securable, &whole, off, 3);
	lf_access_list_release(&whole);
}

static void pages_of(struct world *w)
{
	size_t np, ns;
	const char *const *ps = lf_access_principals(w->a, &np);
	const struct lf_access_securable *ss = lf_access_securables(w->a, &ns);

	for (size_t i = 0; i < np; i++)
		pages_agree(w->a, ps[i], 0);
	for (size_t i = 0; i < ns; i++)
		pages_agree(w->a, ss[i].address, 1);
}

/* lakeform serve's pages of an answer are slices of the whole answer,
 * and a question the whole answer refuses is refused the same way. */
static void test_pages(void **state)
{
	static const char *const examples[] = {"quickstart", "classic", "multi-region"};
	struct world w;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL, *whole_err = NULL;
	size_t total = 7;

	world_yaml(&w, account);
	pages_of(&w);
	assert_int_equal(lf_access_principal(&l, w.a, "user:alice@acme.co", &whole_err), -1);
	assert_int_equal(
	    lf_access_principal_page(&l, w.a, "user:alice@acme.co", 0, 10, &total, &err), -1);
	assert_string_equal(err, whole_err);
	assert_int_equal(total, 0);
	free(err);
	free(whole_err);
	assert_int_equal(lf_access_securable(&l, w.a, "nowhere", &whole_err), -1);
	assert_int_equal(lf_access_securable_page(&l, w.a, "nowhere", 0, 10, &total, &err), -1);
	assert_string_equal(err, whole_err);
	free(err);
	free(whole_err);
	lf_access_list_release(&l);
	world_release(&w);
	world_nested(&w, 0);
	pages_of(&w);
	world_release(&w);
	for (size_t i = 0; i < 3; i++) {
		world_example(&w, examples[i]);
		pages_of(&w);
		world_release(&w);
	}
}

/* Every answer on every securable of a model, as one text. */
static char *all_answers(const struct lf_access *a)
{
	struct lf_buf b = LF_BUF_INIT;
	size_t ns;
	const struct lf_access_securable *ss = lf_access_securables(a, &ns);
	char *err = NULL;

	for (size_t i = 0; i < ns; i++) {
		struct lf_access_list l = LF_ACCESS_LIST_INIT;
		if (lf_access_securable(&l, a, ss[i].address, &err) != 0) {
			free(err);
			lf_buf_adds(&b, "error\n");
			continue;
		}
		for (size_t k = 0; k < l.n; k++) {
			char *t = line_text(&l.v[k]);
			lf_buf_addf(&b, "%s\n", t);
			free(t);
		}
		lf_access_list_release(&l);
	}
	return lf_buf_detach(&b);
}

static void *asker(void *arg)
{
	return all_answers(arg);
}

/* Four threads asking one model at once get what one thread gets. */
static void test_threads(void **state)
{
	struct world w;
	pthread_t t[4];

	world_example(&w, "multi-region");
	char *want = all_answers(w.a);
	assert_true(strlen(want) > 1000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, asker, w.a), 0);
	for (int i = 0; i < 4; i++) {
		void *got;
		assert_int_equal(pthread_join(t[i], &got), 0);
		assert_string_equal(got, want);
		free(got);
	}
	free(want);
	world_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_principal_nested_and_inherited),
	    cmocka_unit_test(test_owner_not_inherited),
	    cmocka_unit_test(test_securable),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_ambiguous),
	    cmocka_unit_test(test_workspace_catalog),
	    cmocka_unit_test(test_from_state),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_both_ways_agree),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
