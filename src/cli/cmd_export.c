/* lakeform export: the loaded documents as JSON, one per line. */
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/source.h"

static int run(struct lf_cli *cli)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	const char *path = cli->nargs ? cli->args[0] : ".";
	struct lf_session s;
	int rc = LF_EXIT_OK;

	if (cli->git && cli->nargs)
		return lf_cli_usage_error(cli, "with --git the directory is named in "
		                               "REPO@REV:PATH, not as an argument");

	lf_cli_session_init(cli, &s);
	lf_session_load_source(&s, &src, cli->nargs ? path : NULL, &d);
	lf_session_close(&s);
	if (d.errors) {
		/* nothing is printed from a set that did not load whole */
		lf_cli_print_diags(cli, &d);
		rc = LF_EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < src.ndocs; i++) {
		if (json_dumpf(src.docs[i].root, cli->out, JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
			lf_cli_error(cli, "cannot write to standard output");
			rc = LF_EXIT_ERROR;
			goto out;
		}
		fputc('\n', cli->out);
	}
	if (fflush(cli->out) != 0) {
		lf_cli_error(cli, "cannot write to standard output");
		rc = LF_EXIT_ERROR;
	}
out:
	lf_diags_release(&d);
	lf_source_release(&src);
	return rc;
}

static const struct lf_option options[] = {
    {"json", 0, NULL, "print JSON, one document per line (the default)"},
    {0},
};

const struct lf_command lf_cmd_export = {
    .name = "export",
    .summary = "print the loaded manifests as JSON",
    .usage = "export [--json] [PATH]",
    .description = "Load the YAML documents of PATH (a file or a directory tree; the\n"
                   "configuration directory by default) exactly as lakeform reads them:\n"
                   "anchors and aliases expanded, scalars resolved by the YAML 1.2 core\n"
                   "schema.  Each document is printed as one line of JSON, in the order\n"
                   "read (files in sorted path order).  For the configuration directory,\n"
                   "its base, patches and variables are applied first: what validate,\n"
                   "plan and apply see (docs/environments.md).  Nothing is printed when any\n"
                   "file fails to load; the errors are listed instead.\n"
                   "JSON has no infinities: '.inf', '-.inf' and '.nan' print as strings.",
    .options = options,
    .min_args = 0,
    .max_args = 1,
    .run = run,
};
