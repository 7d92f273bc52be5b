/* lakeform version */
#include <jansson.h>
#include <stdlib.h>
#include <yaml.h>

#include "cli.h"

#if defined(__linux__) && defined(__x86_64__)
#define LF_PLATFORM "linux_amd64"
#elif defined(__linux__) && defined(__aarch64__)
#define LF_PLATFORM "linux_arm64"
#elif defined(__linux__)
#define LF_PLATFORM "linux"
#else
#define LF_PLATFORM "unknown"
#endif

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

static int run(struct lf_cli *cli)
{
	if (lf_cli_flag(cli, "json")) {
		/* in the manner of `terraform version -json` */
		json_t *j = json_pack("{s:s, s:s, s:{s:s, s:s}}", "lakeform_version", LF_VERSION,
		                      "platform", LF_PLATFORM, "libraries", "libyaml",
		                      yaml_get_version_string(), "jansson", JANSSON_VERSION);
		char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		fprintf(cli->out, "%s\n", text);
		free(text);
		json_decref(j);
		return LF_EXIT_OK;
	}
	fprintf(cli->out, "lakeform %s\n", LF_VERSION);
	if (cli->verbose)
		fprintf(cli->out, "libyaml %s, jansson %s\n", yaml_get_version_string(),
		        JANSSON_VERSION);
	return LF_EXIT_OK;
}

static const struct lf_option options[] = {
    {"json", 0, NULL, "print the versions as JSON"},
    {0},
};

const struct lf_command lf_cmd_version = {
    .name = "version",
    .summary = "print lakeform's version",
    .usage = "version [--json]",
    .description = "Print lakeform's version (with --verbose, its libraries' too).\n"
                   "With --json, as 'terraform version -json' does: an object with\n"
                   "lakeform_version, platform and the libraries' versions.",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
