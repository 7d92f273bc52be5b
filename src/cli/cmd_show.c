/* lakeform show: print a saved plan, or the state. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/plan.h"
#include "state/state.h"
#include "util/fs.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

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

/* What a record holds as Terraform's state "values": its inputs, then what
 * the provider reported over them; secrets masked. */
static json_t *record_values(const struct lf_state_res *r)
{
	json_t *inputs, *attrs;

	lf_cli_masked_values(r, &inputs, &attrs);
	if (!json_is_object(inputs)) {
		json_decref(inputs);
		inputs = json_object();
	}
	if (json_is_object(attrs))
		json_object_update(inputs, attrs);
	json_decref(attrs);
	return inputs;
}

/*
 * show without a plan file: the state, as text or (--json) in the shape of
 * `terraform show -json` of a state: format_version, lakeform_version, and
 * values.root_module.resources[] with address, mode, type, name,
 * provider_name and values.
 */
static int show_state(struct lf_cli *cli)
{
	struct lf_session s;
	int rc = LF_EXIT_ERROR, json = lf_cli_flag(cli, "json");
	json_t *resources = json_array();

	lf_cli_session_init(cli, &s);
	if (lf_cli_load_state(cli, &s) != LF_EXIT_OK)
		goto out;
	if (s.d.n)
		lf_cli_print_diags(cli, &s.d);
	if (!s.st.exists) {
		if (json)
			fprintf(cli->out, "{\"format_version\":\"1.0\"}\n");
		else
			fprintf(cli->out, "No state.%s\n",
			        cli->automation ? "" : " 'lakeform apply' writes it.");
		rc = LF_EXIT_OK;
		goto out;
	}
	for (size_t i = 0; i < s.st.nres; i++) {
		struct lf_state_res *r = &s.st.res[i];
		if (lf_state_res_parse(r) != 0) {
			lf_cli_error(cli, "the state's record of '%s' cannot be read", r->address);
			goto out;
		}
		const char *slash = strchr(r->address, '/');
		json_t *values = record_values(r);
		if (!json) {
			char *text = json_dumps(values, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fprintf(cli->out, "%s# %s (%s, provider %s%s%s)\n%s\n", i ? "\n" : "",
			        r->address, r->type, r->provider ? r->provider : "lakeform",
			        r->parent ? ", part of " : "", r->parent ? r->parent : "", text);
			free(text);
			json_decref(values);
			continue;
		}
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "address", r->address,
		                      "mode", "managed", "type", r->type, "name",
		                      slash ? slash + 1 : r->address, "provider_name",
		                      r->provider ? r->provider : "lakeform", "values", values);
		if (r->deps && json_array_size(r->deps))
			json_object_set(o, "depends_on", r->deps);
		if (r->parent)
			json_object_set_new(o, "parent", json_string(r->parent));
		json_array_append_new(resources, o);
	}
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:{s:s, s:I}, s:{s:{s:O}}}", "format_version",
		                      "1.0", "lakeform_version", LF_VERSION, "lakeform", "lineage",
		                      s.st.lineage, "serial", (json_int_t)s.st.serial, "values",
		                      "root_module", "resources", resources);
		char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fprintf(cli->out, "%s\n", text);
		free(text);
		json_decref(j);
	}
	rc = LF_EXIT_OK;
out:
	json_decref(resources);
	lf_cli_session_close(cli, &s);
	return rc;
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
	if (!cli->nargs) {
		if (lf_cli_flag(cli, "markdown"))
			return lf_cli_usage_error(cli,
			                          "--markdown shows a plan: name its PLANFILE");
		return show_state(cli);
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
    {"json", 0, NULL, "print the plan or state as JSON in Terraform's shape"},
    {"markdown", 0, NULL, "print the plan as a pull-request comment"},
    {0},
};

const struct lf_command lf_cmd_show = {
    .name = "show",
    .summary = "print the state, or a saved plan",
    .usage = "show [--json] | show [--json | --markdown] PLANFILE",
    .description = "Without PLANFILE, print the recorded state: each resource with its\n"
                   "type, provider and values (sensitive ones as \"(sensitive)\"), or\n"
                   "with --json in the shape of 'terraform show -json' of a state\n"
                   "(format_version, lakeform_version, values.root_module.resources[]\n"
                   "with address, mode, type, name, provider_name and values).\n"
                   "Print a plan saved with 'lakeform plan -out PLANFILE', as text (the\n"
                   "default), as JSON in Terraform's plan shape, or as Markdown.\n"
                   "Sensitive values were never saved: they print as (sensitive).\n"
                   "When the state of the configuration directory moved since the\n"
                   "plan was made (another lineage, another serial, or a state written\n"
                   "since a plan made from none), a warning says so: apply refuses\n"
                   "such a plan.  A plan edited since it was saved (its digest does\n"
                   "not match) is refused.",
    .options = options,
    .min_args = 0,
    .max_args = 1,
    .run = run,
};
