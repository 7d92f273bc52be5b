/*
 * drift.h - what differs between the real objects, the recorded state and
 * the manifests, and which of it is expected (.lakeformignore and
 * metadata.lifecycle.ignore_changes).
 *
 * The module only compares: the observations (refresh.h) and the list of
 * unmanaged objects are the caller's, read under the state lock; nothing
 * here reads providers, writes state or prints.  docs/drift-format.md
 * describes the JSON report lf_drift_to_json() makes; its fields are a
 * promise to other tools.
 *
 * Kinds of finding:
 *   changed       recorded inputs differ from what the provider reports,
 *                 listed field by field ("labels.lakeform/address",
 *                 "statements[2].access")
 *   missing       recorded, the provider says it does not exist
 *   unmanaged     carries the account's labels, no state records it
 *   not_applied   declared in the manifests, never recorded
 *   not_declared  recorded, no longer declared in the manifests
 */
#ifndef LF_CORE_DRIFT_H
#define LF_CORE_DRIFT_H

#include <jansson.h>
#include <stddef.h>

#include "diag.h"
#include "expand.h"
#include "manifest.h"
#include "refresh.h"
#include "../state/state.h"
#include "../util/buf.h"

/* ---- .lakeformignore ------------------------------------------------------ */

struct lf_ignore_rule {
	char *address; /* owned, for lf_glob_match(): '\' only before '*', '?', '\' */
	char *field;   /* owned, or NULL: the whole resource */
	int negate;    /* written with a leading '!' */
	unsigned line;
};

struct lf_ignore {
	struct lf_ignore_rule *v;
	size_t n, alloc;
};

#define LF_IGNORE_INIT     \
	{                  \
		NULL, 0, 0 \
	}

/*
 * Parse the text of an ignore file (`len` bytes; `file` names it in
 * errors, borrowed for as long as `d` lives).  One pattern per line;
 * blank lines and lines starting with '#' are skipped; "ADDRESS" or
 * "ADDRESS:FIELD", '*' and '?' wildcards in both; a leading '!' negates;
 * '\' escapes the next character (an address holding ':' writes it
 * "\:").  Every bad line is an error in `d` with its line; returns 0, or
 * -1 when there was any.
 */
int lf_ignore_parse(struct lf_ignore *ig, const char *text, size_t len, const char *file,
                    struct lf_diags *d);

/*
 * Whether the last rule matching decides to ignore: the resource as a
 * whole (`field` NULL: only rules without a field count), or one field of
 * it (rules without a field count too; a field rule also covers the
 * fields under it).  0 or 1; `*line` (may be NULL) gets the deciding
 * rule's line, 0 when none matched.
 */
int lf_ignore_match(const struct lf_ignore *ig, const char *address, const char *field,
                    unsigned *line);

/* "ADDRESS" or "ADDRESS:FIELD" as a pattern matching exactly that: '*',
 * '?', '\', ':' and a leading '!' or '#' escaped.  New string. */
char *lf_ignore_pattern(const char *address, const char *field);

void lf_ignore_release(struct lf_ignore *ig);

/* Shell-style match: '*' any run of characters, '?' one, '\' makes the
 * next character literal; nothing else is special.  1 or 0. */
int lf_glob_match(const char *pattern, const char *s);

/* ---- the comparison ------------------------------------------------------- */

enum lf_drift_kind {
	LF_DRIFT_CHANGED,
	LF_DRIFT_MISSING,
	LF_DRIFT_UNMANAGED,
	LF_DRIFT_NOT_APPLIED,
	LF_DRIFT_NOT_DECLARED,
};

/* "changed", "missing", ...: as the JSON report writes it. */
const char *lf_drift_kind_name(enum lf_drift_kind k);

struct lf_drift_field {
	char *path;       /* owned: "labels.team", "statements[2].access" */
	json_t *recorded; /* owned, NULL when the state has no such field */
	json_t *real;     /* owned, NULL when the provider reports none */
	int ignored;
	const char *why; /* static: "ignore_changes", ".lakeformignore" or NULL */
	unsigned line;   /* of .lakeformignore, when that decided */
};

struct lf_drift_finding {
	enum lf_drift_kind kind;
	char *address;                 /* owned */
	char *type;                    /* owned */
	char *id;                      /* owned, unmanaged objects only, else NULL */
	struct lf_drift_field *fields; /* changed: the differing fields */
	size_t nfields;
	int ignored;     /* the whole finding (changed: every field) */
	const char *why; /* as for fields */
	unsigned line;
};

struct lf_drift {
	struct lf_drift_finding *v; /* sorted by address, then kind */
	size_t n, alloc;
	/* counts of findings not ignored, by kind, and of those ignored */
	size_t changed, missing, unmanaged, not_applied, not_declared, ignored;
	size_t checked; /* recorded provider resources read */
	size_t in_sync; /* of those, as recorded (or their drift ignored) */
	size_t errors;  /* could not be read */
	size_t managed_objects, unmanaged_objects, unlisted_types;
};

#define LF_DRIFT_INIT \
	{             \
		0     \
	}

/* What to compare; every pointer borrowed. */
struct lf_drift_input {
	struct lf_state *st;
	const struct lf_observations *obs;
	const struct lf_desired *ds;   /* NULL: the manifests are not compared */
	const struct lf_manifest *m;   /* for ignore_changes, may be NULL */
	const struct lf_unmanaged *um; /* lf_list_unmanaged()'s result */
	size_t num, managed, unlisted;
	const struct lf_ignore *ignore; /* may be NULL */
};

/* Compare and classify into `out` (LF_DRIFT_INIT).  Returns 0. */
int lf_drift_build(struct lf_drift *out, const struct lf_drift_input *in);

/* Whether anything not ignored was found. */
int lf_drift_found(const struct lf_drift *dr);

/* What the report holds beside the findings; every pointer borrowed. */
struct lf_drift_meta {
	const char *version;    /* of lakeform */
	const char *timestamp;  /* RFC 3339, UTC */
	const char *git_commit; /* or NULL */
	const char *lineage;    /* "" for a state never written */
	unsigned long long serial;
	const struct lf_observations *obs; /* for the errors, may be NULL */
};

/* The report of docs/drift-format.md; new reference. */
json_t *lf_drift_to_json(const struct lf_drift *dr, const struct lf_drift_meta *meta);

/*
 * The report as an issue or pull-request comment (Markdown), appended to
 * `out`: the counts, where it was checked (`dir` as given, or NULL; the
 * commit and serial of `meta`), a warning naming what no longer exists or
 * could not be read, then one <details> fold with a row per finding and a
 * table of fields per changed resource.  Never longer than `max` bytes:
 * rows and sections are left out whole, and a line counts them.
 */
void lf_drift_markdown(struct lf_buf *out, const struct lf_drift *dr,
                       const struct lf_drift_meta *meta, const char *dir, size_t max);

void lf_drift_release(struct lf_drift *dr);

#endif
