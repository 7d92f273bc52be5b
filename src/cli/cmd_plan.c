/* lakeform plan: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_plan = {
	.name = "plan",
	.summary = "show what apply would change (not in this release)",
	.usage = "plan [options]",
	.description = "Compare the manifests with the recorded state and print the ordered changes.\n"
		       "This release of lakeform does not carry out 'plan' yet: it\n"
		       "exits with status 1 and changes nothing.  'validate' and\n"
		       "'export' are complete.",
	.options = NULL,
	.min_args = 0,
	.max_args = -1,
	.run = run,
};
