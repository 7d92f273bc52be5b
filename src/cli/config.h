/*
 * config.h - what plan, graph and show share: loading the manifests, the
 * state, and expanding, with errors printed the same way everywhere.
 */
#ifndef LF_CLI_CONFIG_H
#define LF_CLI_CONFIG_H

#include "cli.h"
#include "core/expand.h"
#include "core/manifest.h"
#include "core/source.h"
#include "core/state.h"

struct lf_config {
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	struct lf_backend *backend;
	struct lf_state st;
	struct lf_diags d;
};

/*
 * The steps below fill a struct lf_config that starts zeroed (memset), in
 * any order; lf_config_release() frees whatever was filled.
 *
 * Load and check the manifests of the configuration directory ("." after
 * -C).  Prints the problems; returns LF_EXIT_OK or LF_EXIT_ERROR.
 */
int lf_config_load(struct lf_cli *cli, struct lf_config *c);

/* Open the backend and read the state (lazily); LF_EXIT_OK or ERROR. */
int lf_config_state(struct lf_cli *cli, struct lf_config *c);

/* Apply ignore_changes and expand; LF_EXIT_OK or LF_EXIT_ERROR. */
int lf_config_expand(struct lf_cli *cli, struct lf_config *c);

/* Hex SHA-256 of every manifest file's name and bytes, in order. */
void lf_config_digest(const struct lf_config *c, char out[65]);

void lf_config_release(struct lf_config *c);

/* "30s", "2m", "1m30s", "500ms", "1h", "0" (as Terraform's -lock-timeout):
 * 0 with *ms set, or -1. */
int lf_cli_parse_duration(const char *s, long *ms);

/* Terraform's "Lock Info:" block about a lock holder, on stderr. */
void lf_cli_print_lock_info(struct lf_cli *cli, const struct lf_lock_info *i);

#endif
