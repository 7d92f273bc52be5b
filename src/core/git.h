/*
 * git.h - what git knows about the configuration, read with libgit2 (no
 * git process, no checkout).
 *
 * Besides the commit checked out in a working directory, manifests can be
 * read straight from a commit of a repository (`--git REPO@REV[:PATH]`):
 * the files of the tree under PATH are chosen and ordered as
 * lf_source_load() chooses and orders the files of a directory (`*.yaml`,
 * `*.yml`, bytewise path order, names starting with '.' skipped, the
 * top-level lakeform.yaml left out), and each is named in diagnostics by its
 * path in the tree ("config/prod/catalogs.yaml").  Their text is kept in the
 * source, so positions are computed on demand as for files on disk.
 */
#ifndef LF_CORE_GIT_H
#define LF_CORE_GIT_H

#include "diag.h"
#include "source.h"

/*
 * The commit checked out in the repository containing `path` (searched
 * upwards), as 40 hex digits in `out`.  Returns 0, or -1 when `path` is not
 * in a git repository or HEAD names no commit yet.
 */
int lf_git_head(char out[41], const char *path);

/* Where manifests are read from: "REPO@REV[:PATH]", split. */
struct lf_git_spec {
	char *repo; /* owned: a path to a work tree or a bare repository */
	char *rev;  /* owned: anything git_revparse_single() accepts */
	char *path; /* owned: directory in the tree, no leading or trailing
	             * '/'; "" for the root */
};

#define LF_GIT_SPEC_INIT         \
	{                        \
		NULL, NULL, NULL \
	}

/*
 * Split `text` ("REPO@REV", "REPO@REV:PATH") into `out`.
 *
 * REV is what follows an '@' that is not the start of a reflog suffix
 * ("@{"); PATH is what follows the first ':' of REV outside braces (ref
 * names cannot hold ':').  When REPO itself holds '@' ("/srv/a@b/repo@main")
 * the split whose REPO is an existing directory is taken; when none or
 * several are, or a part is empty, the spec is refused.  PATH loses "./",
 * leading and trailing '/'; "." and "" are the root; ".." is refused.
 * Returns 0, or -1 with `*why` (malloc'ed, lowercase) saying what is wrong.
 */
int lf_git_spec_parse(struct lf_git_spec *out, const char *text, char **why);
void lf_git_spec_release(struct lf_git_spec *s);

/*
 * The spec naming directory `dir` at `rev` in the work tree that holds it
 * (searched upwards): REPO the work tree's top, PATH `dir`'s place in it.
 * Returns 0, or -1 with a message in `d` (not in a work tree).
 */
int lf_git_spec_of_dir(struct lf_git_spec *out, const char *dir, const char *rev,
                       struct lf_diags *d);

/* Which files of the tree under the spec's PATH lf_git_load() reads. */
enum lf_git_what {
	LF_GIT_MANIFESTS,        /* every manifest file, as lf_source_load() on a directory */
	LF_GIT_MANIFESTS_IF_ANY, /* the same; a PATH the tree lacks is an empty set */
	LF_GIT_SETTINGS,         /* lakeform.yaml alone (nothing when the tree has none) */
};

/*
 * Resolve the spec's REV to a commit (annotated tags and branches are
 * peeled), write its id in `commit` (40 hex digits and NUL, may be NULL) and
 * add the files `what` names to `src`.  Problems go to `d`, without a
 * position, naming the repository and revision: not a repository, an
 * unknown or ambiguous revision, one that names no commit, a PATH missing
 * from the tree or not a directory.  Returns 0, or -1 when errors were added.
 */
int lf_git_load(struct lf_source *src, char *commit, const struct lf_git_spec *spec,
                enum lf_git_what what, struct lf_diags *d);

#endif
