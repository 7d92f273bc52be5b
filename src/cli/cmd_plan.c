/* lakeform plan: what apply would change, in the order it would. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "core/planner.h"
#include "core/render.h"
#include "core/source.h"
#include "util/fs.h"
#include "util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

/* Print `p` in the format the options ask for. */
int lf_cli_render_plan(struct lf_cli *cli, const struct lf_plan *p)
{
	struct lf_render_opts ro = LF_RENDER_OPTS_INIT;
	struct lf_buf out = LF_BUF_INIT;

	ro.color = cli->color;
	if (lf_cli_flag(cli, "json")) {
		json_t *j = lf_render_json(p);
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(cli->out, "%s\n", s);
		free(s);
		json_decref(j);
		return LF_EXIT_OK;
	}
	if (lf_cli_flag(cli, "markdown"))
		lf_render_markdown(&out, p, &ro);
	else
		lf_render_text(&out, p, &ro);
	fwrite(lf_buf_cstr(&out), 1, out.len, cli->out);
	lf_buf_release(&out);
	return LF_EXIT_OK;
}

static void now_utc(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * When the state records exactly the expansion of these very inputs (its
 * fingerprint: lakeform's version, the schemas, the manifest files) and
 * nothing happened since, the plan is all no-ops: answer it from digests
 * without parsing a manifest or a record.  Returns 1 when the state is so.
 */
static int unchanged_since_recorded(struct lf_cli *cli, struct lf_session *s)
{
	/* The JSON plan and a saved plan show every resource's values (and
	 * mask its secrets): those take the full path.  Text and Markdown
	 * show no no-op at all. */
	if (lf_cli_flag(cli, "json") || lf_cli_opt(cli, "out"))
		return 0;
	return lf_session_inputs_recorded(s);
}

/* The plan of a state unchanged_since_recorded(): every record a no-op. */
static void plan_noops(struct lf_session *s, struct lf_plan *p)
{
	for (size_t i = 0; i < s->st.nres; i++) {
		const struct lf_state_res *r = &s->st.res[i];
		const char *slash = strchr(r->address, '/');
		char provider[64];

		/* the provider's name is scanned from a lazy record, not parsed */
		if (lf_state_res_provider(r, provider, sizeof(provider)) <= 0)
			snprintf(provider, sizeof(provider), "%s",
			         r->provider ? r->provider : "lakeform");
		lf_plan_add(p, LF_ACT_NOOP, r->type, slash ? slash + 1 : r->address, provider,
		            r->parent);
	}
	snprintf(p->lineage, sizeof(p->lineage), "%s", s->st.lineage);
	p->serial = s->st.serial;
}

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_plan_opts o;
	struct lf_observations obs = {0};
	int refresh = lf_cli_bool(cli, "refresh", 1), refreshed = 0, parallelism;
	struct lf_changed changed = LF_CHANGED_INIT;
	const char *since = lf_cli_opt(cli, "changed-since");
	int rc;

	if ((rc = lf_cli_parallelism(cli, &parallelism)) != 0)
		return rc;

	memset(&o, 0, sizeof(o));
	o.targets = lf_cli_opt_all(cli, "target", &o.ntargets);
	o.excludes = lf_cli_opt_all(cli, "exclude", &o.nexcludes);
	o.replaces = lf_cli_opt_all(cli, "replace", &o.nreplaces);
	o.destroy = lf_cli_flag(cli, "destroy");
	if (o.ntargets && o.nexcludes) {
		return lf_cli_usage_error(cli, "--target and --exclude cannot be used together");
	}
	if (since && (o.ntargets || o.nexcludes || o.destroy))
		return lf_cli_usage_error(
		    cli,
		    "--changed-since chooses the targets: no --target, --exclude or --destroy");
	if (lf_cli_flag(cli, "json") && lf_cli_flag(cli, "markdown")) {
		return lf_cli_usage_error(cli, "choose one of --json and --markdown");
	}
	lf_cli_session_init(cli, &s);
	if ((rc = lf_cli_load_state(cli, &s)) != LF_EXIT_OK)
		goto out;
	if (!o.ntargets && !o.nexcludes && !o.nreplaces && !o.destroy && !since &&
	    unchanged_since_recorded(cli, &s)) {
		/* The manifests are what the state records.  Unless a real
		 * object changed since (a refresh finds that out, reading only
		 * the provider records), the plan is all no-ops. */
		if (refresh &&
		    (rc = lf_cli_refresh_for_plan(cli, &s, parallelism, &obs)) != LF_EXIT_OK)
			goto out;
		refreshed = refresh;
		if (!obs.changed && !obs.gone) {
			plan_noops(&s, &p);
			goto render;
		}
	}
	if ((rc = lf_cli_load(cli, &s)) != LF_EXIT_OK)
		goto out;
	if (refresh && !refreshed &&
	    (rc = lf_cli_refresh_for_plan(cli, &s, parallelism, &obs)) != LF_EXIT_OK)
		goto out;
	if ((rc = lf_cli_expand(cli, &s)) != LF_EXIT_OK)
		goto out;
	o.kinds = &s.kinds;
	if (since) {
		/* as if each changed resource and dependant were a --target */
		if ((rc = lf_cli_changed_since(cli, &s, since, &changed)) != LF_EXIT_OK)
			goto out;
		o.targets = changed.targets;
		o.ntargets = changed.ntargets;
		if (!o.ntargets) {
			p.partial = 1;
			snprintf(p.lineage, sizeof(p.lineage), "%s", s.st.lineage);
			p.serial = s.st.serial;
			goto render;
		}
	}
	if (lf_plan_build(&p, &s.ds, &s.st, &o, &s.d) != 0) {
		lf_cli_print_diags(cli, &s.d);
		rc = LF_EXIT_ERROR;
		goto out;
	}
render:
	/* warnings of loading (a torn journal tail) are shown too */
	if (s.d.n)
		lf_cli_print_diags(cli, &s.d);

	char created[32];
	now_utc(created, sizeof(created));
	if (!p.manifests_digest[0])
		lf_session_digest(&s, p.manifests_digest);
	const char *commit = lf_session_commit(&s);
	if (commit)
		p.git_commit = lf_xstrdup(commit);
	p.created = lf_xstrdup(created);
	p.version = lf_xstrdup(LF_VERSION);

	const char *outfile = lf_cli_opt(cli, "out");
	if (outfile) {
		json_t *j = lf_plan_to_json(&p);
		char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
		int err = lf_write_file_atomic(outfile, text, strlen(text), 0600);
		free(text);
		json_decref(j);
		if (err) {
			lf_cli_error(cli, "cannot write the plan to '%s': %s", outfile,
			             strerror(-err));
			rc = LF_EXIT_ERROR;
			goto out;
		}
	}
	if (!lf_cli_flag(cli, "json") && !lf_cli_flag(cli, "markdown"))
		lf_cli_print_observed(cli, &obs);
	lf_cli_render_plan(cli, &p);
	if (outfile && !lf_cli_flag(cli, "json"))
		fprintf(cli->out,
		        "\nSaved the plan to '%s'. Apply exactly this plan with:\n"
		        "  lakeform apply %s\n",
		        outfile, outfile);
	rc = lf_cli_flag(cli, "detailed-exitcode") && lf_plan_has_changes(&p) ? LF_EXIT_CHANGES
	                                                                      : LF_EXIT_OK;
out:
	lf_observations_release(&obs);
	lf_changed_release(&changed);
	lf_plan_release(&p);
	lf_cli_session_close(cli, &s);
	return rc;
}

static const struct lf_option options[] = {
    {"out", 'o', "FILE", "also save the plan to FILE, for 'lakeform apply FILE'"},
    {"json", 0, NULL, "print the plan as JSON in Terraform's plan shape"},
    {"markdown", 0, NULL, "print the plan as a pull-request comment"},
    {"detailed-exitcode", 0, NULL, "exit 0 without changes, 2 with changes, 1 on error"},
    {"target", 0, "ADDR", "plan only ADDR, its parts and what it needs (repeatable)"},
    {"exclude", 0, "ADDR", "leave out ADDR, its parts and what needs it (repeatable)"},
    {"replace", 0, "ADDR", "replace ADDR even if it did not change (repeatable)"},
    {"destroy", 0, NULL, "plan to delete everything recorded"},
    {"refresh", 0, NULL, "read the real objects first (default; --refresh=false skips it)"},
    {"parallelism", 0, "N", "read up to N resources at once (default 10)"},
    {"changed-since", 0, "REV", "plan only what changed since git REV and what needs it"},
    {0},
};

const struct lf_command lf_cmd_plan = {
    .name = "plan",
    .summary = "show what apply would change",
    .usage = "plan [options]",
    .description = "Compare the manifests with the recorded state (.lakeform/) and print\n"
                   "the changes apply would make, in the order it would make them: what\n"
                   "a resource needs comes first, deletions before creations.  Each\n"
                   "manifest resource is shown with the provider resources it expands to\n"
                   "(buckets, prefixes, policies, networks, node pools).\n"
                   "Symbols: + create, ~ update in place, -/+ replace, - delete.\n"
                   "First every recorded provider resource is read through its\n"
                   "provider, so that what changed behind lakeform's back (a field\n"
                   "changed, an object deleted) is planned back; --refresh=false plans\n"
                   "from the recorded state alone.  Nothing is changed, not even the\n"
                   "state.",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
