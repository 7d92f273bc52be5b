/*
 * apply.h - carry out a plan through the providers, recording every step.
 *
 * Each change becomes one or two steps: a delete step (deletes, and the
 * first half of a replacement) and a create-or-update step.  A create or
 * update waits for the steps of what the resource needs; a delete waits
 * for the deletions of what needs the resource; a replacement's create
 * waits for its own delete.  Up to `parallelism` steps run at once.
 *
 * Before every provider call an intent goes to the journal and after it an
 * outcome (lf_state_journal_*): a crash at any instant leaves a journal
 * from which the next run knows what was asked and resolves an intent
 * without an outcome by reading the provider (lf_apply_resolve_pending),
 * never by creating twice.  Manifest resources (provider "lakeform") are
 * recorded without a call.  A failed step fails alone: what needs it is
 * skipped, independent work goes on.  Errors the provider marks retryable
 * are retried with backoff.
 */
#ifndef LF_CORE_APPLY_H
#define LF_CORE_APPLY_H

#include <signal.h>

#include "expand.h"
#include "family.h"
#include "plan.h"
#include "provider.h"
#include "../state/state.h"

enum lf_step_event { LF_STEP_START, LF_STEP_DONE, LF_STEP_FAILED, LF_STEP_SKIPPED, LF_STEP_RETRY };

struct lf_apply_opts {
	int parallelism; /* default 10 */
	/* per call to each family's provider; 0: the default family's */
	long deadline_ms[LF_NFAMILIES];
	int max_attempts;                /* for retryable errors */
	volatile sig_atomic_t *stopping; /* set: start nothing new */
	/* called from the executor's thread, which calls lf_apply() */
	void (*progress)(void *ctx, enum lf_step_event ev, const char *verb, const char *address,
	                 const char *message, size_t done, size_t total);
	void *ctx;
	/* called after each turn's events, before the executor waits for
	 * answers (at least every 100 ms while work runs): the place to flush
	 * output or redraw a live line.  NULL: nothing. */
	void (*turn)(void *ctx);
	/* set: once a resource is recorded, its desired inputs (in `ds`) and
	 * its change's `after` are released, so that the state of a large
	 * apply is built in the memory they held; the caller reads neither
	 * after lf_apply().  0: both are left as they were. */
	int release_values;
};

struct lf_apply_result {
	size_t done, failed, skipped, not_started;
	char **failures; /* "address: why", owned */
	size_t nfailures;
};

/*
 * Carry out `plan` (its changes; desired resources from `ds`, records from
 * `st`).  Records go to the journal as they happen; the caller writes the
 * snapshot afterwards.  Returns 0 when every step succeeded, -1 otherwise
 * (details in *res).  `plan` and `ds` change only with o->release_values.
 */
int lf_apply(struct lf_apply_result *res, struct lf_plan *plan, struct lf_desired *ds,
             struct lf_state *st, struct lf_backend *b, const struct lf_providers *pv,
             const struct lf_apply_opts *o);

/*
 * Resolve every intent without an outcome by reading the provider (by the
 * resource's ownership label): what exists is recorded, what does not is
 * forgotten.  Returns 0, or -1 with errors in `d`.
 */
int lf_apply_resolve_pending(struct lf_state *st, struct lf_backend *b,
                             const struct lf_providers *pv, long deadline_ms, struct lf_diags *d);

/*
 * What a provider reports, as the inputs it was applied with: the recorded
 * `inputs` with each key the provider also reports taken from `attrs`, so
 * that a field changed behind lakeform's back shows in the next plan.  A
 * key named in `attrs.unknown` (the provider read it but cannot say what it
 * is: docs/providers.md) keeps its recorded value: not knowing is no
 * change, and never a replacement.  New reference.
 */
json_t *lf_observed_inputs(json_t *inputs, json_t *attrs);

void lf_apply_result_release(struct lf_apply_result *res);

#endif
