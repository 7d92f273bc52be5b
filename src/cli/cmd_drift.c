/* lakeform drift: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_drift = {
    .name = "drift",
    .summary = "report what changed behind lakeform's back (not in this release)",
    .usage = "drift [options]",
    .description = "Refresh every recorded resource and report differences.\n"
                   "This release of lakeform does not carry out 'drift' yet: it\n"
                   "exits with status 1 and changes nothing.",
    .options = NULL,
    .min_args = 0,
    .max_args = -1,
    .run = run,
};
