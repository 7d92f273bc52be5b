/* lakeform graph: its help is here; the command is not in this release. */
#include "cli.h"

static int run(struct lf_cli *cli)
{
	return lf_cli_unavailable(cli);
}

const struct lf_command lf_cmd_graph = {
	.name = "graph",
	.summary = "print the dependency graph as DOT (not in this release)",
	.usage = "graph [--expanded]",
	.description = "Print the dependency graph of the manifests in Graphviz DOT.\n"
		       "This release of lakeform does not carry out 'graph' yet: it\n"
		       "exits with status 1 and changes nothing.  'validate' and\n"
		       "'export' are complete.",
	.options = NULL,
	.min_args = 0,
	.max_args = -1,
	.run = run,
};
