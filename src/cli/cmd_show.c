/* lakeform show: print a saved plan. */
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/plan.h"
#include "state/state.h"
#include "util/fs.h"

/*
 * A saved plan is applied only to the state it was made from: say so now
 * when the state of this directory moved since (apply will refuse it).
 * Without a state here there is nothing to compare with: no warning.
 */
static void warn_if_stale(struct lf_cli *cli, const struct lf_plan *p)
{
	struct lf_session s;
	struct lf_backend *b = NULL;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	char *why = NULL;

	lf_cli_session_init(cli, &s);
	if (lf_cli_open_backend(cli, &s, &b) == LF_EXIT_OK && lf_state_load(&st, b, 1, &d) == 0 &&
	    st.exists && lf_plan_check_current(p, st.exists, st.lineage, st.serial, &why) != 0)
		fprintf(cli->err,
		        "lakeform: warning: %s; 'lakeform apply' would refuse this plan\n", why);
	free(why);
	lf_state_release(&st);
	if (b)
		lf_backend_free(b);
	lf_diags_release(&d);
	lf_session_close(&s);
}

static int run(struct lf_cli *cli)
{
	struct lf_plan p = LF_PLAN_INIT;
	json_error_t jerr;
	char *err = NULL;
	int rc = LF_EXIT_OK;

	if (lf_cli_flag(cli, "json") && lf_cli_flag(cli, "markdown")) {
		return lf_cli_usage_error(cli, "choose one of --json and --markdown");
	}
	const char *path = cli->args[0];
	int isdir = lf_is_dir(path);
	if (isdir != 0) {
		lf_cli_error(cli, "%s: %s", path,
		             isdir > 0 ? "is a directory, not a saved plan" : strerror(-isdir));
		return LF_EXIT_ERROR;
	}
	json_t *doc = json_load_file(path, 0, &jerr);
	if (!doc) {
		if (jerr.line > 0)
			lf_cli_error(cli, "%s:%d:%d: not a saved plan: %s", path, jerr.line,
			             jerr.column, jerr.text);
		else
			lf_cli_error(cli, "%s: not a saved plan: %s", path, jerr.text);
		return LF_EXIT_ERROR;
	}
	if (lf_plan_from_json(&p, doc, &err) != 0) {
		lf_cli_error(cli, "%s: not a saved plan: %s", cli->args[0], err ? err : "?");
		free(err);
		rc = LF_EXIT_ERROR;
	} else if (lf_plan_check_digest(doc, &err) != 0) {
		/* an edited plan is not shown as if it were the one saved */
		lf_cli_error(cli, "%s: %s", cli->args[0], err);
		free(err);
		rc = LF_EXIT_ERROR;
	} else {
		rc = lf_cli_render_plan(cli, &p);
		warn_if_stale(cli, &p);
	}
	json_decref(doc);
	lf_plan_release(&p);
	return rc;
}

static const struct lf_option options[] = {
    {"json", 0, NULL, "print the plan as JSON in Terraform's plan shape"},
    {"markdown", 0, NULL, "print the plan as a pull-request comment"},
    {0},
};

const struct lf_command lf_cmd_show = {
    .name = "show",
    .summary = "print a saved plan",
    .usage = "show [--json | --markdown] PLANFILE",
    .description = "Print a plan saved with 'lakeform plan -out PLANFILE', as text (the\n"
                   "default), as JSON in Terraform's plan shape, or as Markdown.\n"
                   "Sensitive values were never saved: they print as (sensitive).\n"
                   "When the state of the configuration directory moved since the\n"
                   "plan was made (another lineage, another serial, or a state written\n"
                   "since a plan made from none), a warning says so: apply refuses\n"
                   "such a plan.  A plan edited since it was saved (its digest does\n"
                   "not match) is refused.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
