/*
 * overlay.h - environments without copying files: bases, patches and
 * variables (docs/environments.md).
 *
 * A configuration directory's lakeform.yaml may name a `base` directory,
 * whose manifests (after its own base and patches) come first; `patches`
 * change documents found by kind and name, as JSON merge patches (RFC 7386,
 * `merge:`) or JSON patches (RFC 6902, `json:`); `variables` declares the
 * names a manifest may write as `${var.NAME}`, each with a type and an
 * optional default.
 *
 * Positions survive: a node a patch wrote points into the lakeform.yaml
 * that holds the patch, every other node of a patched document into the
 * file it was read from (struct lf_source_origin), so a diagnostic about a
 * patched or substituted value names the file and line it came from.
 *
 * Like the rest of core this never prints and reads no environment
 * variable: files come through `struct lf_overlay_io` (the disk, or a git
 * commit), LAKEFORM_VAR_NAME through a getenv callback.
 */
#ifndef LF_CORE_OVERLAY_H
#define LF_CORE_OVERLAY_H

#include <jansson.h>

#include "diag.h"
#include "source.h"

/* How many bases a chain may hold before it is refused. */
#define LF_OVERLAY_MAX_DEPTH 16

struct lf_overlay_io {
	/* The manifests of directory `dir` into `src`: `dir` is relative to
	 * the configuration directory ("." for itself, "../base"), lexically
	 * normalised.  0, or -1 with errors in `d`. */
	int (*load_dir)(void *arg, struct lf_source *src, const char *dir, struct lf_diags *d);
	/* The lakeform.yaml of `dir` into `src`, nothing when there is none. */
	int (*load_settings)(void *arg, struct lf_source *src, const char *dir, struct lf_diags *d);
	void *arg;
	/* where bases may lie: the configuration directory's path from the
	 * top of that reach ("" for the top itself, "config/prod"), and the
	 * top's name for messages ("the git work tree '/src/infra'") */
	const char *top;
	const char *reach_name;
};

/* A value on the command line: -var NAME=VALUE, or -var-file FILE. */
struct lf_var_arg {
	int is_file;
	const char *text;
};

struct lf_overlay_vars {
	const struct lf_var_arg *args; /* in command-line order */
	size_t nargs;
	/* LAKEFORM_VAR_NAME as the front end sees it, or NULL */
	const char *(*getenv)(const char *name, void *arg);
	void *getenv_arg;
};

/* Whether lakeform.yaml's checked settings name a base, patches or
 * variables. */
int lf_overlay_active(const json_t *settings);

/*
 * Check the `base`, `patches` and `variables` of the lakeform.yaml document
 * `doc` (the other settings are session.c's), every problem added to `d`
 * at its position.
 */
void lf_overlay_check_settings(const struct lf_source *src, const struct lf_source_doc *doc,
                               struct lf_diags *d);

/*
 * Read the configuration directory into `out` (empty): its bases first,
 * then its own manifests, each level's patches applied, then every
 * `${var.NAME}` substituted by the variables' values (defaults, then
 * LAKEFORM_VAR_NAME, then -var and -var-file in order).  The lakeform.yaml
 * files and var files read go to out->aux.  0, or -1 with errors in `d`.
 */
int lf_overlay_load(struct lf_source *out, const struct lf_overlay_io *io,
                    const struct lf_overlay_vars *vars, struct lf_diags *d);

struct lf_git_spec;

/*
 * lf_overlay_load() of the configuration directory (`prefix` NULL) or of
 * directory `prefix`, read from the disk, or from the commit `git` names
 * (its rev already the commit to read, `rev_name` the rev as the user wrote
 * it, for messages).  Bases lie within the git work tree holding the
 * directory (outside any, within its parent), or within the commit's tree.
 */
int lf_overlay_load_config(struct lf_source *out, const struct lf_git_spec *git,
                           const char *rev_name, const char *prefix,
                           const struct lf_overlay_vars *vars, struct lf_diags *d);

/* Whether directory `dir` on disk has a lakeform.yaml naming a base,
 * patches or variables (read only to know; checked when loaded). */
int lf_overlay_dir_is_overlay(const char *dir);

/*
 * Substitute `${var.NAME}` in every document of `src` from `values` (an
 * object, borrowed; NULL: none declared).  A value that is only
 * `${var.NAME}` takes the variable's type; inside a longer string a
 * string, number or bool is written as text; `$${` is a literal `${`.  An
 * undeclared name, a list or map inside a string, an unterminated `${var.`
 * are errors at the value's position.  0 or -1.
 */
int lf_vars_substitute(struct lf_source *src, const json_t *values, struct lf_diags *d);

/*
 * Convert `text` (from -var or the environment) to a value of `type`
 * (string, number, bool, list, map: a list or map is written in YAML's
 * flow style, [a, b] or {k: v}).  A new reference, or NULL with the reason
 * in *why (malloc'ed).
 */
json_t *lf_var_from_text(const char *type, const char *text, char **why);

/* The path in a commit's tree of directory `dir` (as the io names it) of
 * the configuration at `top` ("" for the root); malloc'ed. */
char *lf_overlay_git_path(const char *top, const char *dir);

/* `path` (a file's path in a commit's tree) as seen from directory `top`
 * of that tree: "envs/base/a.yaml" from "envs/prod" is "../base/a.yaml";
 * malloc'ed. */
char *lf_overlay_relative(const char *top, const char *path);

#endif
