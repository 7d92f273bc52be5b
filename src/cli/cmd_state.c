/* lakeform state: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_state = {
	.name = "state",
	.summary = "inspect and edit the recorded state (not in this release)",
	.usage = "state (list|show|rm|mv|pull|push) [args]",
	.description = "Inspect and edit the recorded state.\n"
		       "This release of lakeform does not carry out 'state' yet: it\n"
		       "exits with status 1 and changes nothing.  'validate' and\n"
		       "'export' are complete.",
	.options = NULL,
	.min_args = 0,
	.max_args = -1,
	.run = run,
};
