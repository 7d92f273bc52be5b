/*
 * changed.h - which manifest resources changed between two manifest sets
 * (two commits, or a commit and the working directory), and what depends
 * on them: what `plan --changed-since REV` plans.
 *
 * Resources are matched by address and compared by their documents after
 * defaults, so moving a document to another file, reordering keys or
 * editing comments is no change.  A dependant is a resource that refers to
 * a changed one, directly or through others (the dependencies expansion
 * computed from the schemas' x-lakeform-refs, principals and grant
 * securables), or a part expanded from one (a workspace's catalog).
 */
#ifndef LF_CORE_CHANGED_H
#define LF_CORE_CHANGED_H

#include "expand.h"
#include "manifest.h"
#include "../state/state.h"

enum lf_change_how {
	LF_CHANGED_ADDED,
	LF_CHANGED_MODIFIED,
	LF_CHANGED_REMOVED,
	LF_CHANGED_DEPENDANT,
};

struct lf_changed_res {
	char *address; /* owned */
	enum lf_change_how how;
	char *via;   /* owned: for a dependant, the resource it needs on the way
	              * to a change; NULL otherwise */
	int planned; /* declared now or recorded: a --target the planner knows */
};

struct lf_changed {
	struct lf_changed_res *v; /* sorted by address */
	size_t n, alloc;
	const char **targets; /* owned array, addresses borrowed from v: the
	                       * planned ones, for lf_plan_opts.targets */
	size_t ntargets;
};

#define LF_CHANGED_INIT             \
	{                           \
		NULL, 0, 0, NULL, 0 \
	}

/*
 * Compare `before` (the older set; resources that failed to build in it
 * count as absent) with `after`, whose expansion is `ds`; `st` tells which
 * removed resources are still recorded.  Fills `out`.  Returns 0.
 */
int lf_changed_find(struct lf_changed *out, const struct lf_manifest *before,
                    const struct lf_manifest *after, const struct lf_desired *ds,
                    const struct lf_state *st);

/* "added", "changed", "removed", "dependant". */
const char *lf_change_how_str(enum lf_change_how how);

void lf_changed_release(struct lf_changed *c);

#endif
