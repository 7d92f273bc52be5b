/* lakeform destroy: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_destroy = {
    .name = "destroy",
    .summary = "delete everything lakeform manages (not in this release)",
    .usage = "destroy [options]",
    .description = "Delete every recorded resource, dependants first.\n"
                   "This release of lakeform does not carry out 'destroy' yet: it\n"
                   "exits with status 1 and changes nothing.",
    .options = NULL,
    .min_args = 0,
    .max_args = -1,
    .run = run,
};
