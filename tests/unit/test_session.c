/* Unit tests for src/core/family.c and src/core/session.c: the family
 * table, a session that reads the environment only through its front
 * end's callback, and a front end other than the CLI that plans, applies
 * and refreshes through the session alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply.h"
#include "core/family.h"
#include "core/planner.h"
#include "core/session.h"

static void test_family_table(void **state)
{
	struct lf_providers pv;
	(void)state;

	assert_int_equal(lf_family_find("storage"), LF_FAMILY_STORAGE);
	assert_int_equal(lf_family_find("compute"), LF_FAMILY_COMPUTE);
	assert_int_equal(lf_family_find("lakeform"), -1);
	assert_int_equal(lf_family_find(NULL), -1);
	for (int f = 0; f < LF_NFAMILIES; f++) {
		size_t n = strlen(lf_families[f].name);
		assert_memory_equal(lf_families[f].type_prefix, lf_families[f].name, n);
		assert_string_equal(lf_families[f].type_prefix + n, ".");
	}
	assert_string_equal(lf_families[LF_FAMILY_COMPUTE].provider, "local-compute");
	/* identity is optional: no default provider, one only when named */
	assert_int_equal(lf_family_find("identity"), LF_FAMILY_IDENTITY);
	assert_null(lf_families[LF_FAMILY_IDENTITY].provider);
	assert_null(lf_family_provider(NULL, LF_FAMILY_IDENTITY));
	assert_string_equal(lf_family_provider(NULL, LF_FAMILY_STORAGE), "local-storage");
	json_t *conf = json_pack("{s:{s:{s:s}}}", "providers", "identity", "name", "scim");
	assert_string_equal(lf_family_provider(conf, LF_FAMILY_IDENTITY), "scim");
	json_decref(conf);
	memset(&pv, 0, sizeof(pv));
	pv.v[LF_FAMILY_COMPUTE] = (struct lf_provider *)&pv; /* any non-NULL */
	assert_ptr_equal(lf_providers_get(&pv, "compute"), &pv);
	assert_null(lf_providers_get(&pv, "storage"));
	assert_null(lf_providers_get(&pv, "nope"));
}

/* The environment a test front end gives: only what `arg` lists. */
static const char *fake_env(const char *name, void *arg)
{
	const char *const *kv = arg;

	for (; kv && kv[0]; kv += 2)
		if (!strcmp(kv[0], name))
			return kv[1];
	return NULL;
}

/* A scratch configuration directory holding `yaml` as lakeform.yaml; the
 * test runs in it. */
static char *enter_scratch(const char *yaml)
{
	char tmpl[] = "/tmp/lf-session-test.XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	assert_int_equal(chdir(dir), 0);
	FILE *f = fopen("lakeform.yaml", "w");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	return strdup(dir);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Leave the scratch directory and remove it with whatever was made in it. */
static void leave_scratch(char *dir)
{
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(dir);
}

static void test_settings_problems_have_positions(void **state)
{
	struct lf_session_opts o = {
	    .schema_dir = "schemas", .exe_dir = "/nonexistent", .getenv = fake_env};
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	(void)state;

	char *dir = enter_scratch("providers:\n  identities: {name: x}\n"
	                          "  identity: {settings: {}}\n");
	lf_session_init(&s, &o);
	assert_int_equal(lf_session_settings(&s, &d), -1);
	assert_int_equal(d.errors, 2);
	assert_int_equal(d.v[0].line, 2);
	assert_string_equal(d.v[0].msg,
	                    "unknown provider family 'identities' (storage, compute, identity)");
	/* an optional family has no default provider to fall back on */
	assert_int_equal(d.v[1].line, 3);
	assert_string_equal(d.v[1].msg, "providers.identity needs a name: this family has no "
	                                "default provider (name: scim, for instance)");
	assert_null(s.settings);
	lf_diags_release(&d);
	lf_session_close(&s);
	leave_scratch(dir);
}

static void test_s3_credentials_come_from_the_callback(void **state)
{
	const char *env[] = {"AWS_ACCESS_KEY_ID", "AKIA", NULL, NULL};
	struct lf_session_opts o = {.schema_dir = "schemas",
	                            .exe_dir = "/nonexistent",
	                            .getenv = fake_env,
	                            .getenv_arg = (void *)env};
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_backend *b = NULL;
	(void)state;

	/* the process may have AWS_SECRET_ACCESS_KEY: the session must not see it */
	setenv("AWS_SECRET_ACCESS_KEY", "from-the-process", 1);
	char *dir = enter_scratch("backend: {type: s3, bucket: b, key: k}\n");
	lf_session_init(&s, &o);
	assert_int_equal(lf_session_open_backend(&b, &s, &d), -1);
	assert_null(b);
	/* the backend says why, once, without a position */
	assert_int_equal(d.n, 1);
	assert_null(d.v[0].file);
	assert_non_null(strstr(d.v[0].msg, "the s3 backend needs credentials"));
	lf_diags_release(&d);
	lf_session_close(&s);
	leave_scratch(dir);
	unsetenv("AWS_SECRET_ACCESS_KEY");
}

/* The repository (the unit tests run from its top) and a scratch
 * configuration holding examples/quickstart's manifests, by symlink. */
static char repo[4096];

static char *enter_quickstart(void)
{
	static const char *files[] = {"00-account.yaml",   "10-identities.yaml",
	                              "20-metastore.yaml", "30-workspace.yaml",
	                              "40-catalog.yaml",   "50-grants.yaml"};
	char tmpl[] = "/tmp/lf-session-fe.XXXXXX";
	char *dir = mkdtemp(tmpl);
	char from[8192];

	assert_non_null(dir);
	dir = strdup(dir);
	assert_int_equal(chdir(dir), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(from, sizeof(from), "%s/examples/quickstart/%s", repo, files[i]);
		assert_int_equal(symlink(from, files[i]), 0);
	}
	return dir;
}

/* Plan with a fresh session: the number of changes (not no-ops). */
static size_t plan_changes(const struct lf_session_opts *o, int refresh)
{
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_plan_opts po;
	struct lf_observations obs = {0};

	lf_session_init(&s, o);
	assert_int_equal(lf_session_settings(&s, &d), 0);
	assert_int_equal(lf_session_open_backend(&s.backend, &s, &d), 0);
	assert_int_equal(lf_session_load_state(&s), 0);
	assert_int_equal(lf_session_load(&s), 0);
	if (refresh && lf_session_has_provider_records(&s)) {
		assert_int_equal(lf_session_start_providers(&s, &d), 0);
		assert_int_equal(lf_session_observe(&s, 4, NULL, NULL, &obs), 0);
		lf_session_fold(&s, &obs);
	}
	assert_int_equal(lf_session_expand(&s), 0);
	memset(&po, 0, sizeof(po));
	po.kinds = &s.kinds;
	assert_int_equal(lf_plan_build(&p, &s.ds, &s.st, &po, &s.d), 0);
	size_t n = p.ncreate + p.nupdate + p.nreplace + p.ndelete;
	assert_int_equal(d.errors, 0);
	lf_plan_release(&p);
	lf_observations_release(&obs);
	lf_session_stop_providers(&s);
	lf_session_close(&s);
	lf_diags_release(&d);
	return n;
}

static void test_a_front_end_plans_applies_and_refreshes(void **state)
{
	char *dir = enter_quickstart();
	char schemas[4160], bin[4160];
	(void)state;

	snprintf(schemas, sizeof(schemas), "%s/schemas", repo);
	snprintf(bin, sizeof(bin), "%s/build/san/bin", repo);
	struct lf_session_opts o = {.schema_dir = schemas, .exe_dir = bin, .getenv = fake_env};

	size_t before = plan_changes(&o, 1);
	assert_true(before > 0);

	/* apply, as a front end would: lock, state, manifests, providers */
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_plan_opts po;
	struct lf_apply_opts ao;
	struct lf_apply_result res;

	lf_session_init(&s, &o);
	assert_int_equal(lf_session_open_for_write(&s, "apply", 0, &d), 0);
	assert_int_equal(lf_session_expand(&s), 0);
	memset(&po, 0, sizeof(po));
	po.kinds = &s.kinds;
	assert_int_equal(lf_plan_build(&p, &s.ds, &s.st, &po, &s.d), 0);
	assert_int_equal(p.ncreate + p.nupdate + p.nreplace + p.ndelete, before);
	memset(&ao, 0, sizeof(ao));
	memset(&res, 0, sizeof(res));
	ao.parallelism = 4;
	for (int f = 0; f < LF_NFAMILIES; f++)
		ao.deadline_ms[f] = lf_session_provider_timeout(&s, f);
	assert_int_equal(lf_apply(&res, &p, &s.ds, &s.st, s.backend, &s.pv, &ao), 0);
	assert_int_equal(res.failed, 0);
	assert_int_equal(lf_state_write(s.backend, &s.st), 0);
	lf_apply_result_release(&res);
	lf_plan_release(&p);
	lf_session_stop_providers(&s);
	lf_session_close(&s);
	lf_diags_release(&d);

	/* what was applied is there: a second session, refreshing, plans nothing */
	assert_int_equal(plan_changes(&o, 1), 0);
	/* something removed behind lakeform's back is found by the refresh */
	assert_int_equal(unlink(".lakeform/local/storage/buckets/acme-lakehouse-default/"
	                        ".lakeform-policy.json"),
	                 0);
	assert_int_equal(plan_changes(&o, 1), 1);
	assert_int_equal(plan_changes(&o, 0), 0);

	assert_int_equal(chdir(repo), 0);
	assert_int_equal(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(dir);
}

int main(void)
{
	/* the tests move between scratch directories: where the repository is */
	if (!getcwd(repo, sizeof(repo)))
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_family_table),
	    cmocka_unit_test(test_settings_problems_have_positions),
	    cmocka_unit_test(test_s3_credentials_come_from_the_callback),
	    cmocka_unit_test(test_a_front_end_plans_applies_and_refreshes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
