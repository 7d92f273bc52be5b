/*
 * manifests.c - where the manifests of a run come from: the configuration
 * directory, or a commit named with --git REPO@REV[:PATH].
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/git.h"
#include "util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

/* Read `what` from --git's commit: the one resolved first, every time. */
static int load_git(struct lf_cli *cli, struct lf_source *src, enum lf_git_what what,
                    struct lf_diags *d)
{
	struct lf_git_spec pinned = *cli->git;
	char commit[41];
	int err;

	if (cli->git_commit[0])
		pinned.rev = cli->git_commit;
	err = lf_git_load(src, commit, &pinned, what, d);
	if (err == 0 && !cli->git_commit[0])
		memcpy(cli->git_commit, commit, sizeof(commit));
	return err;
}

int lf_cli_load_source(struct lf_cli *cli, struct lf_source *src, const char *path,
                       struct lf_diags *d)
{
	if (!cli->git)
		return lf_source_load(src, path ? path : ".", d);
	if (load_git(cli, src, LF_GIT_MANIFESTS, d))
		return -1;
	if (src->nfiles == 0) {
		lf_diag_error(
		    d, NULL, "no manifests (*.yaml, *.yml) in '%s' of '%s' (commit %.12s)",
		    *cli->git->path ? cli->git->path : "/", cli->git->rev, cli->git_commit);
		return -1;
	}
	return 0;
}

int lf_cli_load_settings_source(struct lf_cli *cli, struct lf_source *src, struct lf_diags *d)
{
	return load_git(cli, src, LF_GIT_SETTINGS, d);
}

const char *lf_cli_config_commit(struct lf_cli *cli)
{
	if (!cli->git_commit[0] && !cli->git && lf_git_head(cli->git_commit, ".") != 0)
		cli->git_commit[0] = '\0';
	return cli->git_commit[0] ? cli->git_commit : NULL;
}

int lf_config_fingerprint(struct lf_cli *cli, char out[65])
{
	if (cli->git)
		return -1;
	return lf_source_fingerprint(out, ".", cli->schema_dir, LF_VERSION);
}
