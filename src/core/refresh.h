/*
 * refresh.h - read what the providers hold now, for every recorded provider
 * resource, several calls at once; and list what carries lakeform's labels.
 *
 * lf_observe() only reads: what the caller does with the observations is
 * its own (plan folds them into its copy of the state, refresh records
 * them, drift compares them).  Manifest resources (provider "lakeform")
 * are not read.
 */
#ifndef LF_CORE_REFRESH_H
#define LF_CORE_REFRESH_H

#include "apply.h"

enum lf_obs_status {
	LF_OBS_SAME,    /* its inputs as recorded (attributes may differ: `fresh`) */
	LF_OBS_CHANGED, /* exists; the fields it was applied with differ */
	LF_OBS_GONE,    /* recorded, does not exist any more */
	LF_OBS_ERROR,   /* could not be read: `error` says why */
};

struct lf_observation {
	char *address; /* owned */
	char *type;    /* owned */
	enum lf_obs_status status;
	json_t *attrs;   /* as read, with its "id"; NULL unless SAME/CHANGED,
			  * and NULL for a SAME that is not fresh when the
			  * answer was exactly the record (nothing parsed) */
	json_t *seen;    /* observed inputs (lf_observed_inputs); same */
	char digest[65]; /* of `seen` */
	int fresh;       /* SAME, but other attributes than the inputs differ */
	char *error;     /* owned, for LF_OBS_ERROR */
};

struct lf_observations {
	struct lf_observation *v;
	size_t n;
	size_t same, changed, gone, errors;
};

/*
 * Read every recorded provider resource of `st` through `pv`, up to
 * `parallelism` calls at once, each with `deadline_ms`.  `progress`, when
 * not NULL, is called from the reading threads (serialised) after each
 * answer with the count done and the total.  Returns 0 (errors are
 * observations, not failures of the whole).
 */
int lf_observe(struct lf_observations *out, struct lf_state *st, const struct lf_providers *pv,
               int parallelism, long deadline_ms,
               void (*progress)(size_t done, size_t total, void *arg), void *arg);

/*
 * The records lf_observe() reads, picked out of `st` (every record a
 * provider serves): lf_observe_picked() then reads these and looks at no
 * other record.  Picking may parse a record whose line does not name its
 * provider; with `copies` set (by the caller, after picking), reading
 * parses a record it must parse in a copy, and changes no record at all:
 * another thread may then work on the state's other records meanwhile
 * (cmd_plan.c refreshes while it plans the changed documents).
 */
struct lf_observe_pick {
	struct lf_state_res **res;
	int *family;
	size_t n;
	int copies;
};
void lf_observe_pick(struct lf_observe_pick *out, struct lf_state *st);
int lf_observe_picked(struct lf_observations *out, const struct lf_observe_pick *pick,
                      const struct lf_providers *pv, int parallelism, long deadline_ms,
                      void (*progress)(size_t done, size_t total, void *arg), void *arg);
void lf_observe_pick_release(struct lf_observe_pick *p);

/*
 * Whether a record whose inputs and attrs are the canonical texts given
 * (as the state writes them: keys sorted, compact) is *settled*: read back
 * with exactly these attrs, it is observed the same, that is
 * lf_json_digest(lf_observed_inputs(inputs, attrs)) equals `digest`.  1
 * when it certainly is: every input the attrs also report reads the same
 * there, the attrs report nothing "unknown", and the inputs' text has
 * `digest`; 0 when it is not or the texts cannot tell (a record whose
 * provider normalises a value it was applied with).  The texts are taken
 * to be valid UTF-8, as a state line's are.  Refresh reads a settled
 * record without parsing it or its answer.
 */
int lf_observe_settled(const char *inputs, size_t inputs_len, const char *attrs, size_t attrs_len,
                       const char *digest);

/*
 * Fold the observations into `st` in memory (nothing is journaled): a
 * changed resource gets its observed inputs and attributes, a gone one is
 * removed.  What plan does before planning.
 */
void lf_observations_fold(const struct lf_observations *o, struct lf_state *st);

/*
 * Record the observations in the journal of `b` (outcome "refresh"): what
 * refresh does.  Returns 0, or -1 with an error in `d`.
 */
int lf_observations_record(const struct lf_observations *o, struct lf_state *st,
                           struct lf_backend *b, struct lf_diags *d);

void lf_observations_release(struct lf_observations *o);

/* An object carrying the account's labels that no record of `st` holds. */
struct lf_unmanaged {
	char *type;    /* owned: "storage.bucket" */
	char *id;      /* owned: the provider's id */
	char *address; /* owned: the address its label names */
};

/*
 * Ask each provider to list every type it announced (the provider's
 * `list`, asked for ids and addresses only: "attributes": false) and keep
 * what no record of `st` holds (by address and id).  A
 * provider or type that cannot list is skipped and counted in *unlisted.
 * `*managed` counts the listed objects that the state records.  Returns
 * 0, or -1 with errors in `d`.
 */
int lf_list_unmanaged(struct lf_state *st, const struct lf_providers *pv, long deadline_ms,
                      struct lf_unmanaged **out, size_t *n, size_t *managed, size_t *unlisted,
                      struct lf_diags *d);
/*
 * The same in two steps, so that the lists are made while the caller does
 * something else (drift: while it reads the recorded resources).
 * lf_list_start() sends the calls from threads of its own, up to each
 * provider's concurrency; lf_list_finish() waits for them, keeps what no
 * record of `st` holds as lf_list_unmanaged() does, and frees `l`.
 */
struct lf_listing;
struct lf_listing *lf_list_start(const struct lf_providers *pv, long deadline_ms);
int lf_list_finish(struct lf_listing *l, struct lf_state *st, struct lf_unmanaged **out, size_t *n,
                   size_t *managed, size_t *unlisted, struct lf_diags *d);
void lf_unmanaged_release(struct lf_unmanaged *u, size_t n);

#endif
