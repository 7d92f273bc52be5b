/* lakeform show: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_show = {
	.name = "show",
	.summary = "print a saved plan (not in this release)",
	.usage = "show PLANFILE",
	.description = "Print a plan saved with 'plan -out'.\n"
		       "This release of lakeform does not carry out 'show' yet: it\n"
		       "exits with status 1 and changes nothing.  'validate' and\n"
		       "'export' are complete.",
	.options = NULL,
	.min_args = 0,
	.max_args = -1,
	.run = run,
};
