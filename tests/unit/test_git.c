/*
 * Unit tests for src/core/git.c: splitting REPO@REV[:PATH], and loading the
 * manifests of a commit from a repository this test writes with libgit2
 * (blobs, trees and a commit, no git process) in a scratch directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/git.h"
#include "core/source.h"
#include "util/mem.h"

/* ---- REPO@REV[:PATH] ----------------------------------------------------------- */

static void expect_split(const char *text, const char *repo, const char *rev, const char *path)
{
	struct lf_git_spec s = LF_GIT_SPEC_INIT;
	char *why = NULL;

	if (lf_git_spec_parse(&s, text, &why) != 0)
		fail_msg("'%s' refused: %s", text, why);
	assert_string_equal(s.repo, repo);
	assert_string_equal(s.rev, rev);
	assert_string_equal(s.path, path);
	lf_git_spec_release(&s);
}

static void expect_refused(const char *text, const char *because)
{
	struct lf_git_spec s = LF_GIT_SPEC_INIT;
	char *why = NULL;

	if (lf_git_spec_parse(&s, text, &why) == 0)
		fail_msg("'%s' accepted", text);
	if (!strstr(why, because))
		fail_msg("'%s': '%s' does not say '%s'", text, why, because);
	assert_null(s.repo);
	free(why);
}

static void test_spec_split(void **unused)
{
	(void)unused;
	expect_split("repo@main", "repo", "main", "");
	expect_split("../r.git@v1.2:config/prod/", "../r.git", "v1.2", "config/prod");
	expect_split("r@HEAD~2:./a//b/.", "r", "HEAD~2", "a/b");
	expect_split("r@main:.", "r", "main", "");
	expect_split("r@main:/", "r", "main", "");
	/* '@' as a revision is HEAD; a reflog suffix is part of REV */
	expect_split("r@@", "r", "@", "");
	expect_split("r@main@{1}:c", "r", "main@{1}", "c");
	/* a ':' inside braces is no PATH separator */
	expect_split("r@main@{2026-01-01 10:00}:c", "r", "main@{2026-01-01 10:00}", "c");
	expect_split("/srv/repo@0123abc", "/srv/repo", "0123abc", "");
}

static void test_spec_refused(void **unused)
{
	(void)unused;
	expect_refused("repo", "is not REPO@REV");
	expect_refused("repo@", "no revision after '@'");
	expect_refused("@main", "no repository before '@'");
	expect_refused("repo@:config", "no revision after '@'");
	expect_refused("repo@main:../x", "may not climb out");
	expect_refused("repo@main:a/../b", "may not climb out");
	/* two '@' and neither "no-such-x" nor "no-such-x@y" is a directory */
	expect_refused("no-such-x@y@main", "ambiguous");
}

/* ---- a repository written with libgit2 --------------------------------------- */

struct entry {
	const char *name;
	const char *text; /* NULL: a subtree given by `sub` */
	const struct entry *sub;
};

static const struct entry sub_entries[] = {{"c.yml", "kind: Group\n", NULL}, {NULL, NULL, NULL}};
static const struct entry a_entries[] = {{"z.yaml", "kind: Group\n", NULL}, {NULL, NULL, NULL}};
static const struct entry hidden_entries[] = {{"h.yaml", "kind: Group\n", NULL},
                                              {NULL, NULL, NULL}};
static const struct entry config_entries[] = {
    {"b.yaml", "kind: Group\n---\nkind: User\n", NULL},
    {"a.yaml",
     "apiVersion: lakeform/v1\nkind: Group\nmetadata:\n  name: g\nspec:\n  display_name: G\n",
     NULL},
    {"a-x.yaml", "kind: Group\n", NULL},
    {"a", NULL, a_entries},
    {".hidden.yaml", "kind: Group\n", NULL},
    {".dir", NULL, hidden_entries},
    {"lakeform.yaml", "backend: {type: local}\n", NULL},
    {"notes.txt", "not yaml\n", NULL},
    {"sub", NULL, sub_entries},
    {NULL, NULL, NULL},
};
static const struct entry root_entries[] = {
    {"README.md", "# readme\n", NULL},
    {"top.yaml", "kind: Group\n", NULL},
    {"config", NULL, config_entries},
    {NULL, NULL, NULL},
};

static git_oid write_tree(git_repository *repo, const struct entry *e)
{
	git_treebuilder *tb = NULL;
	git_oid id;

	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	for (; e->name; e++) {
		git_oid child;
		if (e->text) {
			assert_int_equal(
			    git_blob_create_from_buffer(&child, repo, e->text, strlen(e->text)), 0);
			assert_int_equal(
			    git_treebuilder_insert(NULL, tb, e->name, &child, GIT_FILEMODE_BLOB),
			    0);
		} else {
			child = write_tree(repo, e->sub);
			assert_int_equal(
			    git_treebuilder_insert(NULL, tb, e->name, &child, GIT_FILEMODE_TREE),
			    0);
		}
	}
	assert_int_equal(git_treebuilder_write(&id, tb), 0);
	git_treebuilder_free(tb);
	return id;
}

static char scratch[64];
static char commit_hex[41];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int make_repo(void **unused)
{
	git_repository *repo = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id;

	(void)unused;
	snprintf(scratch, sizeof(scratch), "/var/tmp/lf-test-git.XXXXXX");
	if (!mkdtemp(scratch)) {
		snprintf(scratch, sizeof(scratch), "/tmp/lf-test-git.XXXXXX");
		if (!mkdtemp(scratch))
			return -1;
	}
	git_libgit2_init();
	if (git_repository_init(&repo, scratch, 0) != 0)
		return -1;
	tree_id = write_tree(repo, root_entries);
	git_tree_lookup(&tree, repo, &tree_id);
	git_signature_new(&sig, "lakeform tests", "tests@lakeform.invalid", 1700000000, 0);
	if (git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL, "one", tree, 0, NULL))
		return -1;
	git_oid_tostr(commit_hex, sizeof(commit_hex), &commit_id);
	git_signature_free(sig);
	git_tree_free(tree);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return 0;
}

static int remove_repo(void **unused)
{
	(void)unused;
	return nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void load(struct lf_source *src, struct lf_diags *d, char *commit, const char *rev,
                 const char *path, enum lf_git_what what, int want)
{
	struct lf_git_spec s = {scratch, (char *)rev, (char *)path};

	assert_int_equal(lf_git_load(src, commit, &s, what, d), want);
}

static void test_load_order_and_names(void **unused)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	char commit[41] = "";
	static const char *const want[] = {"config/a-x.yaml", "config/a.yaml", "config/a/z.yaml",
	                                   "config/b.yaml", "config/sub/c.yml"};

	(void)unused;
	load(&src, &d, commit, "HEAD", "config", LF_GIT_MANIFESTS, 0);
	assert_string_equal(commit, commit_hex);
	/* bytewise path order; hidden, lakeform.yaml and non-YAML left out */
	assert_int_equal(src.nfiles, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(src.files[i].path, want[i]);
	assert_int_equal(src.ndocs, 6);
	lf_source_release(&src);
	lf_diags_release(&d);
}

static void test_positions_of_blobs(void **unused)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	(void)unused;
	load(&src, &d, NULL, commit_hex, "config", LF_GIT_MANIFESTS, 0);
	/* config/a.yaml is the second file and holds one document */
	const struct lf_source_doc *doc = &src.docs[src.files[1].first_doc];
	struct lf_pos p = lf_source_path_pos(&src, doc, "spec.display_name", (size_t)-1);
	assert_string_equal(p.file, "config/a.yaml");
	assert_int_equal(p.line, 6);
	assert_int_equal(p.col, 17);
	lf_source_release(&src);
	lf_diags_release(&d);
}

static void test_root_and_settings(void **unused)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	(void)unused;
	/* from the root: top.yaml, and config/lakeform.yaml is a manifest
	 * there (only the top one is the settings) */
	load(&src, &d, NULL, "HEAD", "", LF_GIT_MANIFESTS, 0);
	assert_int_equal(src.nfiles, 7);
	assert_string_equal(src.files[2].path, "config/a/z.yaml");
	assert_string_equal(src.files[4].path, "config/lakeform.yaml");
	assert_string_equal(src.files[6].path, "top.yaml");
	lf_source_release(&src);

	load(&src, &d, NULL, "HEAD", "config", LF_GIT_SETTINGS, 0);
	assert_int_equal(src.nfiles, 1);
	assert_string_equal(src.files[0].path, "config/lakeform.yaml");
	lf_source_release(&src);
	load(&src, &d, NULL, "HEAD", "config/sub", LF_GIT_SETTINGS, 0);
	assert_int_equal(src.nfiles, 0);
	assert_int_equal(d.errors, 0);
	lf_source_release(&src);
	lf_diags_release(&d);
}

static void expect_error(const char *rev, const char *path, enum lf_git_what what, const char *says)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	load(&src, &d, NULL, rev, path, what, -1);
	assert_int_equal(d.errors, 1);
	if (!strstr(d.v[0].msg, says))
		fail_msg("'%s' does not say '%s'", d.v[0].msg, says);
	assert_int_equal(src.nfiles, 0);
	lf_source_release(&src);
	lf_diags_release(&d);
}

static void test_errors(void **unused)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;

	(void)unused;
	expect_error("no-such-branch", "", LF_GIT_MANIFESTS, "unknown revision 'no-such-branch'");
	expect_error("HEAD", "nodir", LF_GIT_MANIFESTS, "no 'nodir' in the tree of 'HEAD'");
	expect_error("HEAD", "top.yaml", LF_GIT_MANIFESTS, "is not a directory");
	expect_error("HEAD^{tree}", "", LF_GIT_MANIFESTS, "names a tree, not a commit");
	/* a directory the commit lacks is an empty set when asked so */
	load(&src, &d, NULL, "HEAD", "nodir", LF_GIT_MANIFESTS_IF_ANY, 0);
	assert_int_equal(src.nfiles, 0);
	assert_int_equal(d.errors, 0);

	struct lf_git_spec s = {"/nonexistent/lf-test", "HEAD", ""};
	assert_int_equal(lf_git_load(&src, NULL, &s, LF_GIT_MANIFESTS, &d), -1);
	assert_non_null(strstr(d.v[0].msg, "no such directory"));
	lf_source_release(&src);
	lf_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec_split),           cmocka_unit_test(test_spec_refused),
	    cmocka_unit_test(test_load_order_and_names), cmocka_unit_test(test_positions_of_blobs),
	    cmocka_unit_test(test_root_and_settings),    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, make_repo, remove_repo);
}
