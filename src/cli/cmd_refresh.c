/* lakeform refresh: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_refresh = {
    .name = "refresh",
    .summary = "update recorded attributes from the providers (not in this release)",
    .usage = "refresh [options]",
    .description = "Read every recorded resource and record what is real.\n"
                   "This release of lakeform does not carry out 'refresh' yet: it\n"
                   "exits with status 1 and changes nothing.",
    .options = NULL,
    .min_args = 0,
    .max_args = -1,
    .run = run,
};
