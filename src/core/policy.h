/*
 * policy.h - compliance policies (kind Policy) and compute policies (kind
 * ComputePolicy), checked before anything is applied.
 *
 * A Policy holds rules; each matches resources by kind (a manifest kind
 * such as "Workspace" or a provider type such as "storage.bucket"), by a
 * glob on the name and by labels, and carries a JSON Schema (draft-07,
 * checked by jsonschema.c) that every resource it matches must satisfy: a
 * manifest resource as its document (defaults applied), a provider
 * resource as its desired inputs after expansion.  Its enforcement says
 * whether a violation is an error ("deny") or a warning ("warn").
 *
 * A ComputePolicy is attached to workspaces by name (spec.workspaces) and
 * by labels (spec.workspace_labels) and limits their node pools: nodes,
 * CPUs and memory per node, images.  Its violations are always errors.
 *
 * Every violation is added to a struct lf_diags at the violating resource's
 * position (the failing field's where it is written) and names the rule's
 * position in its message; it is also appended, as an object, to a JSON
 * array for the plan's outputs (docs/plan-format.md):
 *   {"policy", "kind", "rule", "enforcement", "address", "message",
 *    "detail", "file", "line", "column", "rule_file", "rule_line",
 *    "rule_column"}
 */
#ifndef LF_CORE_POLICY_H
#define LF_CORE_POLICY_H

#include <jansson.h>

#include "diag.h"
#include "expand.h"
#include "jsonschema.h"
#include "manifest.h"

struct lf_policy_rule {
	const struct lf_resource *policy; /* borrowed: the Policy document */
	size_t index;                     /* in spec.rules */
	int deny;                         /* enforcement */
	const char *message;              /* borrowed, or NULL */
	const json_t *kinds;              /* borrowed: array of strings */
	const char *name;                 /* borrowed glob, or NULL */
	const json_t *labels;             /* borrowed object, or NULL */
	struct lf_schema *schema;         /* owned */
	int on_types;                     /* some kind is a provider type */
};

struct lf_policies {
	struct lf_policy_rule *rules;
	size_t nrules;
	const struct lf_resource **compute; /* the ComputePolicy documents */
	size_t ncompute;
};

#define LF_POLICIES_INIT         \
	{                        \
		NULL, 0, NULL, 0 \
	}

/*
 * Read the Policy and ComputePolicy documents of `m` (lf_manifest_check()
 * passed) and check what their schemas cannot: each rule's schema compiles
 * (an error at spec.rules[N].schema), each kind of a match exists, each
 * workspace a ComputePolicy names is declared.  0, or -1 with errors in `d`.
 */
int lf_policies_load(struct lf_policies *out, const struct lf_manifest *m, struct lf_diags *d);

/* 1 when some rule matches a provider type, or a ComputePolicy exists:
 * checking needs the expansion. */
int lf_policies_need_expansion(const struct lf_policies *p);

/*
 * Whether rule `r` matches a resource of kind or type `kind` named `name`
 * whose labels are `labels` (an object, or NULL for none).
 */
int lf_policy_rule_matches(const struct lf_policy_rule *r, const char *kind, const char *name,
                           const json_t *labels);

/*
 * Check every manifest resource of `m` against the rules on kinds, then,
 * when `ds` is not NULL, every provider resource of `ds` against the rules
 * on types and every node pool against the compute policies of its
 * workspace.  Violations go to `d` (errors or warnings) and, when
 * `violations` is not NULL, to that array.  Returns the number of errors
 * added.
 */
size_t lf_policies_check(const struct lf_policies *p, const struct lf_manifest *m,
                         const struct lf_desired *ds, json_t *violations, struct lf_diags *d);

void lf_policies_release(struct lf_policies *p);

#endif
