/* lakeform apply: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_apply = {
    .name = "apply",
    .summary = "create, update and delete to match the manifests (not in this release)",
    .usage = "apply [options] [PLANFILE]",
    .description = "Carry out a plan through the providers.\n"
                   "This release of lakeform does not carry out 'apply' yet: it\n"
                   "exits with status 1 and changes nothing.",
    .options = NULL,
    .min_args = 0,
    .max_args = -1,
    .run = run,
};
