/* lakeform import: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_import = {
    .name = "import",
    .summary = "adopt an existing object into the state (not in this release)",
    .usage = "import ADDR ID",
    .description = "Record an object that exists outside lakeform under an address.\n"
                   "This release of lakeform does not carry out 'import' yet: it\n"
                   "exits with status 1 and changes nothing.",
    .options = NULL,
    .min_args = 0,
    .max_args = -1,
    .run = run,
};
