/* lakeform force-unlock: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_force_unlock = {
	.name = "force-unlock",
	.summary = "remove a lock left by a vanished run (not in this release)",
	.usage = "force-unlock ID",
	.description = "Remove the state lock with the given ID.\n"
		       "This release of lakeform does not carry out 'force-unlock' yet: it\n"
		       "exits with status 1 and changes nothing.  'validate' and\n"
		       "'export' are complete.",
	.options = NULL,
	.min_args = 0,
	.max_args = -1,
	.run = run,
};
