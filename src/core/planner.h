/*
 * planner.h - desired resources against the recorded state: the plan.
 *
 * For each address: declared and not recorded is a create; recorded with
 * the same inputs digest a no-op (its record is not even parsed); recorded
 * with other inputs an update, or a replacement when a field the schema
 * marks x-lakeform-force-new differs; recorded and no longer declared a
 * delete.  metadata.lifecycle.prevent_destroy turns a delete or replacement
 * of the resource (or of what it expanded to) into an error, and
 * ignore_changes keeps the recorded value of the listed fields
 * (lf_planner_ignore_changes(), applied before expansion).
 *
 * Order: creates, updates and replacements follow the dependency graph
 * (what a resource needs comes first); deletes come first, in the reverse
 * order of the recorded dependencies.  A cycle is an error that names every
 * resource on it with its file and line.
 */
#ifndef LF_CORE_PLANNER_H
#define LF_CORE_PLANNER_H

#include "diag.h"
#include "expand.h"
#include "manifest.h"
#include "plan.h"
#include "../state/state.h"

struct lf_plan_opts {
	const struct lf_kinds *kinds; /* for what is only recorded: sensitive fields */
	const char **targets;         /* --target: these, their parts and what they need */
	size_t ntargets;
	const char **excludes; /* --exclude: not these, nor what needs them */
	size_t nexcludes;
	const char **replaces; /* --replace: replace even if unchanged */
	size_t nreplaces;
	int destroy; /* plan --destroy */
};

/*
 * Keep the recorded value of each field listed in a resource's
 * metadata.lifecycle.ignore_changes (the manifest documents are changed in
 * place).  Resources never recorded are left alone.
 */
void lf_planner_ignore_changes(const struct lf_manifest *m, struct lf_state *st);

/*
 * Build the plan of `ds` against `st`.  Returns 0, or -1 with errors in `d`
 * (prevent_destroy, a cycle, an unknown --target/--exclude/--replace).
 */
int lf_plan_build(struct lf_plan *out, const struct lf_desired *ds, struct lf_state *st,
                  const struct lf_plan_opts *o, struct lf_diags *d);

/*
 * The order lf_plan_build() would carry out and show `ds` in, against a
 * state that records exactly `ds` (every record desired): rank[i] is the
 * place of ds->v[i] in it.  Changes made to such a state that keep its
 * graph (the same resources, dependencies and parts) are shown in this
 * order, policies aside (lf_incr, incr.h).  0, or -1 on a cycle.
 */
int lf_plan_order(const struct lf_desired *ds, size_t *rank);

/*
 * The same order for a graph given by its nodes alone, in the desired
 * set's order: each node's address, its parent's index (or (size_t)-1) and
 * the indices of the nodes it needs (those of its dependencies that are
 * nodes, in their order): what lf_plan_order() would say of a desired set
 * with that graph.  0, or -1 on a cycle or an index out of range.
 */
struct lf_graph_node {
	const char *address;
	size_t parent;
	size_t *deps;
	size_t ndeps;
};
int lf_plan_order_graph(const struct lf_graph_node *g, size_t n, size_t *rank);

#endif
