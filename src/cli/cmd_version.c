/* lakeform version */
#include <jansson.h>
#include <yaml.h>

#include "cli.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

static int run(struct lf_cli *cli)
{
	fprintf(cli->out, "lakeform %s\n", LF_VERSION);
	if (cli->verbose)
		fprintf(cli->out, "libyaml %s, jansson %s\n", yaml_get_version_string(),
		        JANSSON_VERSION);
	return LF_EXIT_OK;
}

const struct lf_command lf_cmd_version = {
    .name = "version",
    .summary = "print lakeform's version",
    .usage = "version",
    .description = "Print lakeform's version (with --verbose, its libraries' too).",
    .options = NULL,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
