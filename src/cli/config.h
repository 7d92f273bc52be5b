/*
 * config.h - what the commands share around a session (core/session.h):
 * opening it from the command line, and saying its failures, the
 * providers' reads and the lock's holder the same way everywhere.
 */
#ifndef LF_CLI_CONFIG_H
#define LF_CLI_CONFIG_H

#include <pthread.h>
#include "cli.h"
#include "core/changed.h"
#include "core/refresh.h"
#include "core/session.h"
#include "util/clock.h"

struct lf_sso_cache;

/* Where init keeps its -backend-config overrides for later runs. */
#define LF_CLI_BACKEND_CONFIG ".lakeform/backend-config.json"
const json_t *lf_cli_saved_backend_config(struct lf_cli *cli);

/* A session on the configuration the command line names: -C's directory
 * or --git's commit, the bundled schemas, the process environment. */
void lf_cli_session_init(struct lf_cli *cli, struct lf_session *s);
/* lf_session_close(), saying with --verbose what the run did not keep
 * (the providers' logs on a read-only directory). */
void lf_cli_session_close(struct lf_cli *cli, struct lf_session *s);

/* Say why a session call failed: s->error when set (then cleared), else
 * the diagnostics `d` with their count. */
void lf_cli_session_error(struct lf_cli *cli, struct lf_session *s, struct lf_diags *d);

/* The estimate (core/cost.h) into p->cost, an exceeded budget said on
 * stderr: LF_EXIT_ERROR when one denies, else LF_EXIT_OK (cmd_cost.c). */
struct lf_plan;
int lf_cli_plan_cost(struct lf_cli *cli, struct lf_session *s, struct lf_plan *p);

/* The same with an estimate made earlier (lf_cost_estimate(), its
 * diagnostics in `d`, released here): for apply, which releases the
 * manifests the estimate reads before it builds the plan. */
struct lf_diags;
int lf_cli_plan_cost_made(struct lf_cli *cli, struct lf_plan *p, json_t *cost, struct lf_diags *d);

/* Load and check the manifests.  LF_EXIT_OK or LF_EXIT_ERROR (said). */
int lf_cli_load(struct lf_cli *cli, struct lf_session *s);

/* Open the backend and read the state (lazily); LF_EXIT_OK or ERROR. */
int lf_cli_load_state(struct lf_cli *cli, struct lf_session *s);

/* Apply ignore_changes and expand; LF_EXIT_OK or LF_EXIT_ERROR (said). */
int lf_cli_expand(struct lf_cli *cli, struct lf_session *s);

/*
 * The policies (lf_session_check_policies()): on a denied violation their
 * diagnostics are printed and LF_EXIT_ERROR returned; else LF_EXIT_OK, the
 * warnings printed when `print_warnings`, else added to s->d (plan prints
 * those with the others).
 */
int lf_cli_check_policies(struct lf_cli *cli, struct lf_session *s, int print_warnings);

/* lf_session_open_backend(), the error said; LF_EXIT_OK or ERROR. */
int lf_cli_open_backend(struct lf_cli *cli, struct lf_session *s, struct lf_backend **out);

/*
 * For refresh, import and drift: --lock-timeout, then
 * lf_session_open_for_write().  Returns LF_EXIT_OK or the exit code (said).
 */
int lf_cli_open_for_write(struct lf_cli *cli, struct lf_session *s, const char *operation);
/* The same, the manifests loaded only when the state does not record
 * exactly them (lf_session_open_for_write_lazy(): *loaded). */
int lf_cli_open_for_write_lazy(struct lf_cli *cli, struct lf_session *s, const char *operation,
                               int *loaded);

/*
 * plan --changed-since REV: compare the manifests of REV (same repository
 * and directory as those loaded: --git's, or the configuration
 * directory's work tree) with those in `s` (loaded and expanded), fill
 * `out`, and print the list (on stderr when stdout carries --json or
 * --markdown).  LF_EXIT_OK, or LF_EXIT_ERROR (said).
 */
int lf_cli_changed_since(struct lf_cli *cli, struct lf_session *s, const char *rev,
                         struct lf_changed *out);

/*
 * Read every recorded provider resource (lf_session_observe), with a live
 * count on stderr when it is a terminal, and print the resources that
 * could not be read.  LF_EXIT_OK, or LF_EXIT_ERROR when any could not be
 * read.
 */
int lf_cli_observe(struct lf_cli *cli, struct lf_session *s, int parallelism,
                   struct lf_observations *obs);

/*
 * plan's and drift's check of the SSO document's OIDC provider (core/sso.h),
 * on manifests loaded: its discovery document fetched and compared, each
 * mismatch printed with its position.  LF_EXIT_OK (nothing to check, or
 * all agrees) or LF_EXIT_ERROR.  `cache` keeps what was fetched for the
 * rest of the run (core/sso.h).
 */
int lf_cli_check_sso(struct lf_cli *cli, struct lf_session *s, struct lf_sso_cache *cache);

/*
 * The same check on the SSO document the state records, for a state that
 * records exactly the manifests (which then need not be loaded): 1 when
 * there is none or the provider agrees without a word, 0 when anything is
 * to be said (nothing is printed: load the manifests and call
 * lf_cli_check_sso(), which says it at the fields' positions).
 */
int lf_cli_sso_recorded_ok(struct lf_cli *cli, struct lf_session *s, struct lf_sso_cache *cache);

/*
 * plan's (and apply's) refresh: when the state records provider resources,
 * start the providers, read them all and fold what was read into s->st in
 * memory.  `obs` is the caller's to release.  LF_EXIT_OK or the exit code.
 */
int lf_cli_refresh_for_plan(struct lf_cli *cli, struct lf_session *s, int parallelism,
                            struct lf_observations *obs);

/*
 * lf_cli_refresh_for_plan() in two halves, the reads on a thread of their
 * own between them: begin starts the providers and the reads of the
 * provider records (picked here), end waits for them, then says and
 * folds what they found exactly as lf_cli_refresh_for_plan() would, and
 * stops the providers.  Meanwhile the caller may work on the manifest
 * records of s->st (the reads change no record) and read the provider
 * records, but change none.  After begin, `begun` is set until end or
 * cancel, one of which must follow.
 */
struct lf_cli_refresh {
	int begun;
	char *account; /* the providers are configured for (lf_session_account()) */
	int apply;     /* apply's: launched by the caller, readied and kept here */
	int none;      /* no provider record: nothing read */
	int failed;    /* the providers did not start: `d` says why */
	int running;   /* the thread was started */
	pthread_t thread;
	struct lf_session *s;
	int parallelism;
	struct lf_observe_pick pick;
	struct lf_observations obs;
	struct lf_diags d;
	FILE *err;
	int tty;
};
void lf_cli_refresh_begin(struct lf_cli *cli, struct lf_session *s, int parallelism,
                          struct lf_cli_refresh *r);
int lf_cli_refresh_end(struct lf_cli *cli, struct lf_session *s, struct lf_cli_refresh *r,
                       struct lf_observations *obs);
/*
 * apply's begin: the providers launched already (lf_session_launch_providers)
 * are readied (configured for the account the state records) on the
 * thread, then read; end then keeps them running.  Not with changes
 * pending in the state (they are resolved before anything is read).
 */
void lf_cli_refresh_begin_apply(struct lf_cli *cli, struct lf_session *s, int parallelism,
                                struct lf_cli_refresh *r);

/* end without a word and without folding: what was read is dropped (and
 * apply's providers stopped: they are to be launched again).  Nothing
 * when none is begun. */
void lf_cli_refresh_cancel(struct lf_session *s, struct lf_cli_refresh *r);

/* After the manifests load: whether the refresh begun still stands, its
 * providers configured for the account they name; else it is cancelled
 * (renamed: the providers are configured again) and 0. */
int lf_cli_refresh_holds(struct lf_session *s, struct lf_cli_refresh *r);

/* The same with providers already started (apply). */
int lf_cli_refresh_with(struct lf_cli *cli, struct lf_session *s, int parallelism,
                        struct lf_observations *obs);

/* "Objects changed outside lakeform..." before a text plan, when any did. */
void lf_cli_print_observed(struct lf_cli *cli, const struct lf_observations *obs);

/* -lock=false is for the local backend only: 0, or LF_EXIT_ERROR (said)
 * for another (the settings read already). */
int lf_cli_check_no_lock(struct lf_cli *cli, struct lf_session *s);

/* A record's inputs and attributes, copied with sorted keys and each
 * sensitive value as "(sensitive)" (the caller's; NULL when absent). */
void lf_cli_masked_values(const struct lf_state_res *r, json_t **inputs, json_t **attrs);

/* LAKEFORM_LOG: each started provider's name and version. */
void lf_cli_log_providers(struct lf_cli *cli, struct lf_session *s);

/* --parallelism N (1 to 256, default 10): 0 with *out, or the usage exit. */
int lf_cli_parallelism(struct lf_cli *cli, int *out);

/* Terraform's "Lock Info:" block about a lock holder, on stderr. */
void lf_cli_print_lock_info(struct lf_cli *cli, const struct lf_lock_info *i);

#endif
