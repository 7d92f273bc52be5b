/*
 * plan.h - what apply would do: an ordered list of changes.
 *
 * A plan is built from the desired resources (manifests, expanded into the
 * provider resources of DESIGN.md section 3) and the recorded state.  It
 * holds both levels: manifest resources ("workspace/analytics", provider
 * "lakeform", recorded only) and the provider resources they expand to
 * ("storage.bucket/acme-default", provider "storage" or "compute"), each
 * provider resource naming its manifest parent.
 *
 * Changes are in execution order: creates, updates and replacements in
 * topological order of the dependency graph, deletes in reverse.  Renderers
 * (render_text.c, render_json.c, render_markdown.c) print a plan; they never
 * reorder it.
 *
 * Sensitive fields: `sensitive` lists the dotted paths of a change whose
 * values must never be shown; renderers print "(sensitive)" for them (and
 * for anything below them), and a saved plan stores them masked.
 */
#ifndef LF_CORE_PLAN_H
#define LF_CORE_PLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum lf_action {
	LF_ACT_NOOP,
	LF_ACT_CREATE,
	LF_ACT_UPDATE,
	LF_ACT_REPLACE, /* delete then create (create first when the schema says) */
	LF_ACT_DELETE,
};

/* Why a resource is replaced or deleted (Terraform's action_reason). */
enum lf_reason {
	LF_REASON_NONE,
	LF_REASON_CANNOT_UPDATE, /* a force-new field changed */
	LF_REASON_BY_REQUEST,    /* --replace ADDR */
	LF_REASON_NO_CONFIG,     /* recorded, no longer declared */
	LF_REASON_DESTROY,       /* plan --destroy */
	LF_REASON_REPLACED_WITH, /* what it lives in or on is replaced */
	LF_REASON_KEPT,          /* a no-op: it would go, but survives (see note) */
};

/* One field that differs: a dotted path ("spec.node_pool.nodes"). */
struct lf_field_diff {
	char *path;     /* owned */
	json_t *before; /* owned reference, NULL when absent */
	json_t *after;  /* owned reference, NULL when absent */
	int force_new;  /* this field forces the replacement */
	int sensitive;
};

struct lf_change {
	enum lf_action action;
	enum lf_reason reason;
	int create_before_destroy;   /* for LF_ACT_REPLACE */
	char *address;               /* owned: "workspace/analytics" */
	char *type;                  /* owned: "workspace", "storage.bucket" */
	char *name;                  /* owned: the address after the type and '/' */
	char *provider;              /* owned: "lakeform", "storage", "compute" */
	char *parent;                /* owned: manifest address, NULL for manifest level */
	json_t *before;              /* owned: recorded inputs, NULL for a create */
	json_t *after;               /* owned: desired inputs, NULL for a delete */
	struct lf_field_diff *diffs; /* owned: for updates and replacements */
	size_t ndiffs;
	char **sensitive; /* owned: dotted paths never to print */
	size_t nsensitive;
	char *note;    /* owned: why it is kept or goes, one sentence, or NULL */
	char *cause;   /* owned: the change it is shown under (a grant), or NULL */
	char *file;    /* owned: manifest file of the resource, or NULL */
	unsigned line; /* and its line */
};

struct lf_plan {
	struct lf_change *v; /* in execution order */
	size_t n, alloc;
	/* counts over provider AND manifest resources */
	size_t ncreate, nupdate, nreplace, ndelete, nnoop;
	int destroy;     /* plan --destroy */
	int partial;     /* --target or --exclude was used */
	char **warnings; /* owned, shown before the summary */
	size_t nwarnings;
	json_t *violations; /* owned: the policies' warnings (policy.h), or NULL */
	/* what a saved plan must match at apply time */
	char lineage[37]; /* "" when made from an empty state */
	uint64_t serial;
	char manifests_digest[65];
	char *git_commit; /* or NULL */
	char *created;    /* UTC, RFC 3339 */
	char *version;    /* lakeform version that made it */
	json_t *cost;     /* owned: lf_cost_estimate()'s, or NULL (no PriceList) */
	/* owned, or NULL: when every node of the planner's graph was desired
	 * (nothing recorded beyond the desired set), each desired resource's
	 * place in its order: lf_plan_order() of it, for the documents cache
	 * (incr.h) */
	size_t *desired_rank;
};

#define LF_PLAN_INIT \
	{            \
		0    \
	}

/* 1 when the plan changes anything. */
int lf_plan_has_changes(const struct lf_plan *p);

/* "create", "update", "replace", "delete", "no-op". */
const char *lf_action_name(enum lf_action a);
/*
 * Terraform's action_reason text, or NULL when Terraform gives none:
 * LF_REASON_NONE, and LF_REASON_DESTROY (terraform destroy has no reason).
 */
const char *lf_reason_name(enum lf_reason r);

/*
 * 1 when `path` is, or lies under, one of the change's sensitive paths or
 * the path of one of its diffs marked sensitive.  Paths are dotted; an
 * array element's step is its decimal index ("spec.keys.0"); "" is the
 * whole value.
 */
int lf_change_is_sensitive(const struct lf_change *c, const char *path);

/* What every output prints in place of a sensitive value. */
#define LF_SENSITIVE_TEXT "(sensitive)"

/*
 * `v`, found at dotted `path` of change `c`, with every sensitive value in
 * it replaced by the string "(sensitive)".  New reference (NULL for NULL);
 * `v` itself (one more reference) when nothing in it is sensitive.
 */
json_t *lf_change_mask(const struct lf_change *c, const char *path, json_t *v);

/*
 * Helpers for whoever fills a plan.  lf_plan_add() appends a change with
 * `action`, the address "type/name", `provider` and `parent` (NULL at
 * manifest level) copied and everything else zero, and counts it in the
 * plan's counters.  The pointer is borrowed from the plan and valid until
 * the next lf_plan_add().  Set c->action afterwards only with
 * lf_plan_recount() to follow.
 */
/* Move change `c` (of another plan, left empty) to the end of `p`. */
void lf_plan_take(struct lf_plan *p, struct lf_change *c);

struct lf_change *lf_plan_add(struct lf_plan *p, enum lf_action action, const char *type,
                              const char *name, const char *provider, const char *parent);
/* Recompute ncreate ... nnoop from the changes. */
void lf_plan_recount(struct lf_plan *p);
/* `before` and `after` are borrowed (the diff takes its own reference). */
void lf_change_add_diff(struct lf_change *c, const char *path, json_t *before, json_t *after,
                        int force_new, int sensitive);
void lf_change_add_sensitive(struct lf_change *c, const char *path);
void lf_plan_add_warning(struct lf_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A saved plan (plan -out FILE): everything above as one JSON document,
 * {"format": "lakeform-plan", "version": 1, ...} (docs/plan-format.md),
 * sensitive values masked.  lf_plan_to_json() returns a new reference.
 * lf_plan_from_json() reads it back into `out` (which it initialises; on
 * failure `out` is left empty) and returns 0, or -1 with a message in *err
 * (owned by the caller).  The counters are recomputed from the changes.
 */
#define LF_PLAN_FORMAT "lakeform-plan"
#define LF_PLAN_FORMAT_VERSION 1
json_t *lf_plan_to_json(const struct lf_plan *p);
int lf_plan_from_json(struct lf_plan *out, const json_t *doc, char **err);

/*
 * A saved plan's "digest", which lf_plan_to_json() adds: the SHA-256 (hex)
 * of the canonical JSON (compact, keys sorted) of every other member of the
 * document.  lf_plan_check_digest() returns 0 when `doc` (a saved plan as
 * read) matches its digest, else -1 with the reason in *why (owned by the
 * caller): no digest, or one that does not match (the file was edited).
 */
int lf_plan_check_digest(const json_t *doc, char **why);

/*
 * Whether every change of a saved plan (read back) is, value for value as
 * the saved plan shows it (secrets masked; all but `file`, which names
 * the same file differently with --git), the change `now` makes at the
 * same address: 0, or -1 with *address (borrowed from `saved`) the first
 * that differs or that `now` lacks.  `now` may hold changes `saved` does
 * not (the no-ops a partial plan leaves out).  A digest anyone can compute
 * does not bind a plan to what apply does; this does, apply having built
 * `now` from the manifests again.
 */
int lf_plan_same_values(const struct lf_plan *saved, const struct lf_plan *now,
                        const char **address);

/* Free everything the plan owns and leave it as LF_PLAN_INIT. */
/*
 * Whether a saved plan may still be applied to the state as it is now
 * (`state_exists`: a state was ever written; its `lineage` and `serial`).
 * Refused, with the reason in *why (owned by the caller): a state of
 * another lineage ("does not match"), a serial that moved since the plan
 * was made ("stale"), and a plan made from an empty state once a state
 * exists (Terraform lets that one through: its issue 24078).  Returns 0
 * when the plan is current, -1 otherwise.
 */
int lf_plan_check_current(const struct lf_plan *p, int state_exists, const char *lineage,
                          uint64_t serial, char **why);

void lf_plan_release(struct lf_plan *p);

/* Free `n` field differences: their paths and values, then `v`. */
void lf_field_diffs_free(struct lf_field_diff *v, size_t n);

#endif
