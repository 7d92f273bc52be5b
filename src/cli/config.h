/*
 * config.h - what plan, graph and show share: loading the manifests, the
 * state, and expanding, with errors printed the same way everywhere.
 */
#ifndef LF_CLI_CONFIG_H
#define LF_CLI_CONFIG_H

#include "cli.h"
#include "core/changed.h"
#include "core/expand.h"
#include "core/manifest.h"
#include "core/source.h"
#include "core/refresh.h"
#include "core/state.h"

struct lf_config {
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	struct lf_backend *backend;
	struct lf_state st;
	struct lf_diags d;
	size_t root_len; /* with --git REPO@REV:PATH, strlen("PATH/") that each
	                  * file name starts with (0 without) */
};

/*
 * The steps below fill a struct lf_config that starts zeroed (memset), in
 * any order; lf_config_release() frees whatever was filled.
 *
 * Load and check the manifests of the configuration directory ("." after
 * -C).  Prints the problems; returns LF_EXIT_OK or LF_EXIT_ERROR.
 */
int lf_config_load(struct lf_cli *cli, struct lf_config *c);

/*
 * The manifests: those of --git's commit (then `path` must be NULL), or
 * lf_source_load() of `path` ("." when NULL).  With --git an empty tree is
 * an error here, said with the commit's name.  Sets cli->git_commit on the
 * first read of a commit; every later read takes that same commit, even if
 * the branch moved meanwhile.  0, or -1 with errors in `d`.
 */
int lf_cli_load_source(struct lf_cli *cli, struct lf_source *src, const char *path,
                       struct lf_diags *d);

/* lakeform.yaml of --git's commit into `src` (nothing added when that tree
 * has none).  0, or -1 with errors in `d`. */
int lf_cli_load_settings_source(struct lf_cli *cli, struct lf_source *src, struct lf_diags *d);

/*
 * The commit of the configuration read: --git's (resolved), or HEAD of the
 * repository holding the configuration directory; NULL when there is none.
 * Borrowed from `cli`, which caches it.  What plan records in a plan, apply
 * in the state, and drift reports.
 */
const char *lf_cli_config_commit(struct lf_cli *cli);

/*
 * lf_source_fingerprint() of the configuration directory, or -1 with --git
 * (the manifests then are not those on disk: nothing is short-cut).
 */
int lf_config_fingerprint(struct lf_cli *cli, char out[65]);

/*
 * plan --changed-since REV: compare the manifests of REV (same repository
 * and directory as those loaded: --git's, or the configuration
 * directory's work tree) with those in `c` (loaded and expanded), fill
 * `out`, and print the list (on stderr when stdout carries --json or
 * --markdown).  LF_EXIT_OK, or LF_EXIT_ERROR (said).
 */
int lf_cli_changed_since(struct lf_cli *cli, struct lf_config *c, const char *rev,
                         struct lf_changed *out);

/* Open the backend and read the state (lazily); LF_EXIT_OK or ERROR. */
int lf_config_state(struct lf_cli *cli, struct lf_config *c);

/* Apply ignore_changes and expand; LF_EXIT_OK or LF_EXIT_ERROR. */
int lf_config_expand(struct lf_cli *cli, struct lf_config *c);

/* Hex SHA-256 of every manifest file's name and bytes, in order. */
void lf_config_digest(const struct lf_config *c, char out[65]);

void lf_config_release(struct lf_config *c);

struct lf_provider;

/* lakeform.yaml at the top of the configuration directory (an empty object
 * when absent); prints its problems.  0 or -1. */
int lf_cli_read_settings(struct lf_cli *cli, json_t **out);

/*
 * Start and configure the provider of `family` ("storage", "compute") named
 * in the settings (default "local-<family>"), found beside lakeform or on
 * PATH, its stderr appended to .lakeform/logs/<name>.log.  0 or -1 (said).
 */
int lf_cli_start_provider(struct lf_cli *cli, json_t *settings, const char *family,
                          const char *account, struct lf_provider **out);
/* The same in two halves: launch (the process starts and initializes in
 * the background), then ready (its initialize answer, then configure), so
 * that other work overlaps a provider's start-up.  0 or -1 (said); after
 * a launch, *out is set and is stopped by the caller in any case. */
int lf_cli_launch_provider(struct lf_cli *cli, json_t *settings, const char *family,
                           struct lf_provider **out);
int lf_cli_ready_provider(struct lf_cli *cli, json_t *settings, const char *family,
                          const char *account, struct lf_provider *p);

/* Stop every started provider (5 s each at most) and forget it. */
void lf_cli_stop_providers(struct lf_providers *pv);

/* The deadline of each call to the family's provider (providers.F.timeout). */
long lf_cli_provider_timeout(json_t *settings, const char *family);

struct lf_providers;
/*
 * For refresh and import: read the settings, take the state lock for
 * `operation`, load the state and the manifests, start the providers.
 * Returns LF_EXIT_OK or the exit code (said).
 */
int lf_cli_open_for_write(struct lf_cli *cli, struct lf_config *c, const char *operation,
                          json_t **settings, struct lf_providers *pv);

/* "30s", "2m", "1m30s", "500ms", "1h", "0" (as Terraform's -lock-timeout):
 * 0 with *ms set, or -1. */
/*
 * Start both families' providers for the account the manifests (already
 * loaded in `c`) declare.  LF_EXIT_OK or the exit code, the error printed.
 */
int lf_cli_start_providers(struct lf_cli *cli, struct lf_config *c, json_t *settings,
                           struct lf_providers *pv);

/*
 * Read every recorded provider resource (lf_observe), with a live count on
 * stderr when it is a terminal, and print the resources that could not be
 * read.  LF_EXIT_OK, or LF_EXIT_ERROR when any could not be read.
 */
int lf_cli_observe(struct lf_cli *cli, struct lf_config *c, json_t *settings,
                   const struct lf_providers *pv, int parallelism, struct lf_observations *obs);

/*
 * plan's (and apply's) refresh: when the state records provider resources,
 * start the providers, read them all and fold what was read into c->st in
 * memory.  `obs` is the caller's to release.  LF_EXIT_OK or the exit code.
 */
int lf_cli_refresh_for_plan(struct lf_cli *cli, struct lf_config *c, int parallelism,
                            struct lf_observations *obs);

/* The same with providers already started (apply). */
int lf_cli_refresh_with(struct lf_cli *cli, struct lf_config *c, json_t *settings,
                        const struct lf_providers *pv, int parallelism,
                        struct lf_observations *obs);

/* "Objects changed outside lakeform..." before a text plan, when any did. */
void lf_cli_print_observed(struct lf_cli *cli, const struct lf_observations *obs);

/*
 * Open the backend lakeform.yaml selects (`settings`, or read here when
 * NULL): the local one in .lakeform/, or s3 with credentials from the
 * environment.  LF_EXIT_OK or the exit code, the error printed.
 */
int lf_cli_open_backend(struct lf_cli *cli, json_t *settings, struct lf_backend **out);

/* --parallelism N (1 to 256, default 10): 0 with *out, or the usage exit. */
int lf_cli_parallelism(struct lf_cli *cli, int *out);

int lf_cli_parse_duration(const char *s, long *ms);

/* Terraform's "Lock Info:" block about a lock holder, on stderr. */
void lf_cli_print_lock_info(struct lf_cli *cli, const struct lf_lock_info *i);

#endif
