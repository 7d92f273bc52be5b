#include "git.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/mem.h"

/*
 * Whether `path` or a directory above it holds a ".git": initializing
 * libgit2 parses every system CA certificate (its TLS setup), 10 ms and
 * more, which a directory outside any repository need not pay.
 */
static int in_git_tree(const char *path)
{
	char *dir = realpath(path, NULL);
	int found = 0;

	while (dir && !found) {
		struct stat st;
		char *dotgit = lf_xasprintf("%s/.git", strcmp(dir, "/") ? dir : "");
		found = lstat(dotgit, &st) == 0;
		free(dotgit);
		char *slash = strrchr(dir, '/');
		if (found || !slash || (slash == dir && !dir[1]))
			break;
		if (slash == dir)
			slash[1] = '\0'; /* "/a" -> "/" */
		else
			*slash = '\0';
	}
	free(dir);
	return found;
}

int lf_git_head(char out[41], const char *path)
{
	git_repository *repo = NULL;
	git_oid oid;
	int err = -1;

	if (!in_git_tree(path))
		return -1;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, path, 0, NULL) == 0 &&
	    git_reference_name_to_id(&oid, repo, "HEAD") == 0) {
		git_oid_tostr(out, 41, &oid);
		err = 0;
	}
	git_repository_free(repo);
	git_libgit2_shutdown();
	return err;
}

/* ---- REPO@REV[:PATH] ------------------------------------------------------ */

/* "a//./b/" -> "a/b"; NULL for a path that climbs out with "..". */
static char *clean_path(const char *p)
{
	struct lf_buf b = LF_BUF_INIT;

	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2)) {
			lf_buf_release(&b);
			return NULL;
		}
		if (n && !(n == 1 && *p == '.')) {
			if (b.len)
				lf_buf_addc(&b, '/');
			lf_buf_add(&b, p, n);
		}
		p += n;
		while (*p == '/')
			p++;
	}
	char *out = lf_xstrdup(lf_buf_cstr(&b));
	lf_buf_release(&b);
	return out;
}

/* Fill `out` from REPO (`text` up to `at`) and REV[:PATH] after it. */
static int split_at(struct lf_git_spec *out, const char *text, size_t at, char **why)
{
	const char *rest = text + at + 1;
	size_t revlen = 0;
	int depth = 0;

	for (; rest[revlen]; revlen++) {
		if (rest[revlen] == '{')
			depth++;
		else if (rest[revlen] == '}' && depth > 0)
			depth--;
		else if (rest[revlen] == ':' && depth == 0)
			break;
	}
	if (revlen == 0) {
		*why = lf_xasprintf("no revision after '@' in '%s' (REPO@REV[:PATH])", text);
		return -1;
	}
	char *path = clean_path(rest[revlen] == ':' ? rest + revlen + 1 : "");
	if (!path) {
		*why = lf_xasprintf("the path in '%s' may not climb out with '..'", text);
		return -1;
	}
	out->repo = lf_xstrndup(text, at);
	out->rev = lf_xstrndup(rest, revlen);
	out->path = path;
	return 0;
}

int lf_git_spec_parse(struct lf_git_spec *out, const char *text, char **why)
{
	size_t *cand = NULL, ncand = 0, alloc = 0, pick = 0, ndirs = 0;
	int any_at = 0;

	*why = NULL;
	memset(out, 0, sizeof(*out));
	/* every '@' that could end REPO: not a reflog suffix "@{", with
	 * something on either side */
	for (size_t i = 0; text[i]; i++) {
		if (text[i] != '@' || text[i + 1] == '{')
			continue;
		any_at = 1;
		if (i == 0 || !text[i + 1])
			continue;
		LF_GROW(cand, ncand + 1, alloc);
		cand[ncand++] = i;
	}
	if (ncand == 0) {
		if (!any_at)
			*why = lf_xasprintf("'%s' is not REPO@REV[:PATH] (a repository, '@', a "
			                    "branch, tag or commit)",
			                    text);
		else if (text[0] == '@')
			*why = lf_xasprintf("no repository before '@' in '%s' (REPO@REV[:PATH]; "
			                    "'.@%s' for the current directory)",
			                    text, text + 1);
		else
			*why =
			    lf_xasprintf("no revision after '@' in '%s' (REPO@REV[:PATH])", text);
		free(cand);
		return -1;
	}
	if (ncand > 1) {
		/* "/srv/a@b/repo@main": the split whose REPO exists */
		for (size_t k = 0; k < ncand; k++) {
			char *repo = lf_xstrndup(text, cand[k]);
			if (lf_is_dir(repo) > 0) {
				pick = k;
				ndirs++;
			}
			free(repo);
		}
		if (ndirs != 1) {
			*why = lf_xasprintf(
			    "'%s' is ambiguous: it holds %zu '@' and %s of the paths before them "
			    "is a directory; name the repository by a path without '@'",
			    text, ncand, ndirs ? "more than one" : "none");
			free(cand);
			return -1;
		}
	}
	int err = split_at(out, text, cand[pick], why);
	free(cand);
	return err;
}

void lf_git_spec_release(struct lf_git_spec *s)
{
	free(s->repo);
	free(s->rev);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

int lf_git_spec_of_dir(struct lf_git_spec *out, const char *dir, const char *rev,
                       struct lf_diags *d)
{
	git_repository *repo = NULL;
	char *top = NULL, *here = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	git_libgit2_init();
	if (git_repository_open_ext(&repo, dir, 0, NULL) != 0 || !git_repository_workdir(repo)) {
		lf_diag_error(d, NULL,
		              "the configuration directory is not in a git work tree: name the "
		              "repository with --git REPO@REV");
		goto out;
	}
	top = realpath(git_repository_workdir(repo), NULL);
	here = realpath(dir, NULL);
	size_t n = top ? strlen(top) : 0;
	if (!top || !here || strncmp(here, top, n) || (here[n] && here[n] != '/' && n > 1)) {
		lf_diag_error(d, NULL, "cannot place '%s' in the work tree of its repository", dir);
		goto out;
	}
	out->repo = lf_xstrdup(top);
	out->rev = lf_xstrdup(rev);
	out->path = clean_path(here + n);
	rc = 0;
out:
	free(top);
	free(here);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/* ---- reading a commit ------------------------------------------------------ */

struct found {
	char **paths; /* relative to the tree walked */
	git_oid *ids;
	size_t n, alloc, ids_alloc;
};

static int has_yaml_suffix(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static int collect(const char *root, const git_tree_entry *e, void *payload)
{
	struct found *f = payload;
	const char *name = git_tree_entry_name(e);
	git_filemode_t mode = git_tree_entry_filemode(e);

	/* hidden entries, and what is under a hidden directory, are skipped */
	if (name[0] == '.')
		return 1;
	/* symbolic links and submodules have no manifest text in this tree */
	if ((mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) ||
	    !has_yaml_suffix(name))
		return 0;
	if (!*root && (!strcmp(name, "lakeform.yaml") || !strcmp(name, "lakeform.yml")))
		return 0;
	LF_GROW(f->paths, f->n + 1, f->alloc);
	LF_GROW(f->ids, f->n + 1, f->ids_alloc);
	f->paths[f->n] = lf_xasprintf("%s%s", root, name);
	git_oid_cpy(&f->ids[f->n], git_tree_entry_id(e));
	f->n++;
	return 0;
}

static int cmp_found(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

static const char *last_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

/* Add the blob `id` as `name` to `src`. */
static int load_blob(struct lf_source *src, git_repository *repo, const git_oid *id,
                     const char *name, struct lf_diags *d)
{
	git_blob *blob = NULL;
	int err;

	if (git_blob_lookup(&blob, repo, id) != 0) {
		lf_diag_file_error(d, name, "cannot read from git: %s", last_message());
		return -1;
	}
	git_object_size_t size = git_blob_rawsize(blob);
	if (size > LF_SOURCE_MAX_FILE_BYTES) {
		lf_diag_file_error(d, name, "file is larger than the limit of %u MiB",
		                   LF_SOURCE_MAX_FILE_BYTES >> 20);
		err = -1;
	} else {
		err = lf_source_load_buffer(src, name, git_blob_rawcontent(blob), (size_t)size, d);
	}
	git_blob_free(blob);
	return err ? -1 : 0;
}

/* The tree of the commit `rev` names, at `path`; -1 with a message in `d`.
 * With `missing_ok`, a `path` the commit lacks is 0 with *out NULL. */
static int resolve(git_tree **out, char *commit, git_repository *repo,
                   const struct lf_git_spec *spec, int missing_ok, struct lf_diags *d)
{
	git_object *obj = NULL, *peeled = NULL;
	git_tree *root = NULL;
	git_tree_entry *entry = NULL;
	char id[GIT_OID_HEXSZ + 1];
	int err = git_revparse_single(&obj, repo, spec->rev), rc = -1;

	*out = NULL;
	if (err == GIT_EAMBIGUOUS) {
		lf_diag_error(d, NULL,
		              "revision '%s' is ambiguous in '%s': several objects start with "
		              "it; give more digits",
		              spec->rev, spec->repo);
		goto out;
	}
	if (err) {
		lf_diag_error(d, NULL, "unknown revision '%s' in '%s' (a branch, tag or commit)",
		              spec->rev, spec->repo);
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0) {
		lf_diag_error(d, NULL, "revision '%s' in '%s' names a %s, not a commit", spec->rev,
		              spec->repo, git_object_type2string(git_object_type(obj)));
		goto out;
	}
	git_oid_tostr(id, sizeof(id), git_object_id(peeled));
	if (commit)
		memcpy(commit, id, sizeof(id));
	if (git_commit_tree(&root, (git_commit *)peeled) != 0) {
		lf_diag_error(d, NULL, "cannot read the tree of commit %s: %s", id, last_message());
		goto out;
	}
	if (!*spec->path) {
		*out = root;
		root = NULL;
		rc = 0;
		goto out;
	}
	if (git_tree_entry_bypath(&entry, root, spec->path) != 0) {
		if (missing_ok) {
			rc = 0; /* *out stays NULL: nothing there */
			goto out;
		}
		lf_diag_error(d, NULL, "no '%s' in the tree of '%s' (commit %.12s)", spec->path,
		              spec->rev, id);
		goto out;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
		lf_diag_error(d, NULL,
		              "'%s' in the tree of '%s' is not a directory; --git takes "
		              "REPO@REV:DIRECTORY",
		              spec->path, spec->rev);
		goto out;
	}
	if (git_tree_lookup(out, repo, git_tree_entry_id(entry)) != 0) {
		lf_diag_error(d, NULL, "cannot read '%s' of commit %s: %s", spec->path, id,
		              last_message());
		goto out;
	}
	rc = 0;
out:
	git_tree_entry_free(entry);
	git_tree_free(root);
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

int lf_git_load(struct lf_source *src, char *commit, const struct lf_git_spec *spec,
                enum lf_git_what what, struct lf_diags *d)
{
	git_repository *repo = NULL;
	git_tree *tree = NULL;
	struct found f = {NULL, NULL, 0, 0, 0};
	const char *sep = *spec->path ? "/" : "";
	int err, rc = -1;

	git_libgit2_init();
	err = git_repository_open_ext(&repo, spec->repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	/* libgit2 1.5 reports a repository of another user as ENOTFOUND with
	 * a message about safe.directory; later versions as EOWNER */
	if (err == GIT_EOWNER || (err && strstr(last_message(), "safe.directory"))) {
		/* safe.directory takes absolute paths */
		char *abs = realpath(spec->repo, NULL);
		lf_diag_error(d, NULL,
		              "'%s' belongs to another user and git refuses to read it; trust "
		              "it with: git config --global --add safe.directory '%s'",
		              spec->repo, abs ? abs : spec->repo);
		free(abs);
		goto out;
	}
	if (err) {
		int isdir = lf_is_dir(spec->repo);
		if (isdir <= 0)
			lf_diag_error(d, NULL, "no repository '%s': %s", spec->repo,
			              isdir == 0 ? "not a directory" : "no such directory");
		else
			lf_diag_error(d, NULL,
			              "'%s' is not a git repository (a work tree or a bare "
			              "repository)",
			              spec->repo);
		goto out;
	}
	if (resolve(&tree, commit, repo, spec, what == LF_GIT_MANIFESTS_IF_ANY, d))
		goto out;
	if (!tree) {
		rc = 0;
		goto out;
	}

	if (what == LF_GIT_SETTINGS) {
		const git_tree_entry *e = git_tree_entry_byname(tree, "lakeform.yaml");
		rc = 0;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
			char *name = lf_xasprintf("%s%slakeform.yaml", spec->path, sep);
			rc = load_blob(src, repo, git_tree_entry_id(e), name, d);
			free(name);
		}
		goto out;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, collect, &f) != 0) {
		lf_diag_error(d, NULL, "cannot walk the tree of '%s': %s", spec->rev,
		              last_message());
		goto out;
	}
	/* sort the paths and their ids together: bytewise, as on disk */
	char ***order = lf_xcalloc(f.n + 1, sizeof(*order));
	for (size_t i = 0; i < f.n; i++)
		order[i] = &f.paths[i];
	qsort(order, f.n, sizeof(*order), cmp_found);
	rc = 0;
	for (size_t k = 0; k < f.n; k++) {
		size_t i = (size_t)(order[k] - f.paths);
		char *name = lf_xasprintf("%s%s%s", spec->path, sep, f.paths[i]);
		if (load_blob(src, repo, &f.ids[i], name, d))
			rc = -1;
		free(name);
	}
	free(order);
out:
	lf_strv_free(f.paths, f.n);
	free(f.ids);
	git_tree_free(tree);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
