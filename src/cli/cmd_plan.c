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
 * without parsing a manifest or a record.  Returns 1 when it did.
 */
static int unchanged_since_recorded(struct lf_cli *cli, struct lf_config *c, struct lf_plan *p)
{
	char fp[65];

	/* The JSON plan and a saved plan show every resource's values (and
	 * mask its secrets): those take the full path.  Text and Markdown
	 * show no no-op at all. */
	if (lf_cli_flag(cli, "json") || lf_cli_opt(cli, "out"))
		return 0;
	if (!c->st.fingerprint || c->st.npending || c->st.torn_tail ||
	    lf_config_fingerprint(cli, fp) != 0 || strcmp(fp, c->st.fingerprint))
		return 0;
	for (size_t i = 0; i < c->st.nres; i++) {
		const struct lf_state_res *r = &c->st.res[i];
		const char *slash = strchr(r->address, '/');

		lf_plan_add(p, LF_ACT_NOOP, r->type, slash ? slash + 1 : r->address,
		            r->provider ? r->provider : "lakeform", r->parent);
	}
	snprintf(p->lineage, sizeof(p->lineage), "%s", c->st.lineage);
	p->serial = c->st.serial;
	return 1;
}

/* Whether any record is a provider resource (lazy records are parsed). */
static int has_provider_records(struct lf_state *st)
{
	for (size_t i = 0; i < st->nres; i++) {
		struct lf_state_res *r = &st->res[i];
		if (r->removed)
			continue;
		if (r->line)
			lf_state_res_parse(r);
		if (r->provider && strcmp(r->provider, "lakeform"))
			return 1;
	}
	return 0;
}

/* In text output, what changed behind lakeform's back, before the plan. */
static void print_observed(struct lf_cli *cli, const struct lf_observations *obs)
{
	if (!obs->changed && !obs->gone)
		return;
	fprintf(cli->out, "Objects changed outside lakeform since they were recorded:\n");
	for (size_t i = 0; i < obs->n; i++) {
		if (obs->v[i].status == LF_OBS_CHANGED)
			fprintf(cli->out, "  ~ %s changed\n", obs->v[i].address);
		else if (obs->v[i].status == LF_OBS_GONE)
			fprintf(cli->out, "  - %s no longer exists\n", obs->v[i].address);
	}
	fprintf(cli->out, "\n");
}

int lf_cli_refresh_with(struct lf_cli *cli, struct lf_config *c, json_t *settings,
                        const struct lf_providers *pv, int parallelism, struct lf_observations *obs)
{
	int rc = lf_cli_observe(cli, c, settings, pv, parallelism, obs);

	if (rc == LF_EXIT_OK) {
		lf_observations_fold(obs, &c->st);
		lf_state_normalize(&c->st);
	} else {
		lf_cli_error(cli, "cannot plan without reading every resource; run with "
		                  "--refresh=false to plan from the recorded state alone");
	}
	return rc;
}

void lf_cli_print_observed(struct lf_cli *cli, const struct lf_observations *obs)
{
	print_observed(cli, obs);
}

int lf_cli_refresh_for_plan(struct lf_cli *cli, struct lf_config *c, int parallelism,
                            struct lf_observations *obs)
{
	struct lf_providers pv = {0};
	json_t *settings = NULL;
	int rc = LF_EXIT_OK;

	memset(obs, 0, sizeof(*obs));
	if (!has_provider_records(&c->st))
		return LF_EXIT_OK;
	if (lf_cli_read_settings(cli, &settings) ||
	    lf_cli_start_providers(cli, c, settings, &pv) != LF_EXIT_OK) {
		rc = LF_EXIT_ERROR;
		goto out;
	}
	rc = lf_cli_refresh_with(cli, c, settings, &pv, parallelism, obs);
out:
	lf_cli_stop_providers(&pv);
	json_decref(settings);
	return rc;
}

static int run(struct lf_cli *cli)
{
	struct lf_config c;
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_plan_opts o;
	struct lf_observations obs = {0};
	int refresh = lf_cli_bool(cli, "refresh", 1), parallelism;
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
	memset(&c, 0, sizeof(c));
	if ((rc = lf_config_state(cli, &c)) != LF_EXIT_OK)
		goto out;
	if (!refresh && !o.ntargets && !o.nexcludes && !o.nreplaces && !o.destroy && !since &&
	    unchanged_since_recorded(cli, &c, &p))
		goto render;
	if ((rc = lf_config_load(cli, &c)) != LF_EXIT_OK)
		goto out;
	if (refresh && (rc = lf_cli_refresh_for_plan(cli, &c, parallelism, &obs)) != LF_EXIT_OK)
		goto out;
	if ((rc = lf_config_expand(cli, &c)) != LF_EXIT_OK)
		goto out;
	o.kinds = &c.kinds;
	if (since) {
		/* as if each changed resource and dependant were a --target */
		if ((rc = lf_cli_changed_since(cli, &c, since, &changed)) != LF_EXIT_OK)
			goto out;
		o.targets = changed.targets;
		o.ntargets = changed.ntargets;
		if (!o.ntargets) {
			p.partial = 1;
			snprintf(p.lineage, sizeof(p.lineage), "%s", c.st.lineage);
			p.serial = c.st.serial;
			goto render;
		}
	}
	if (lf_plan_build(&p, &c.ds, &c.st, &o, &c.d) != 0) {
		lf_cli_print_diags(cli, &c.d);
		rc = LF_EXIT_ERROR;
		goto out;
	}
render:
	/* warnings of loading (a torn journal tail) are shown too */
	if (c.d.n)
		lf_cli_print_diags(cli, &c.d);

	char created[32];
	now_utc(created, sizeof(created));
	if (!p.manifests_digest[0])
		lf_config_digest(&c, p.manifests_digest);
	const char *commit = lf_cli_config_commit(cli);
	if (commit)
		p.git_commit = lf_xstrdup(commit);
	p.created = lf_xstrdup(created);
	p.version = lf_xstrdup(LF_VERSION);

	const char *outfile = lf_cli_opt(cli, "out");
	if (outfile) {
		json_t *j = lf_plan_to_json(&p);
		char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
		int err = lf_write_file_atomic(outfile, s, strlen(s), 0600);
		free(s);
		json_decref(j);
		if (err) {
			lf_cli_error(cli, "cannot write the plan to '%s': %s", outfile,
			             strerror(-err));
			rc = LF_EXIT_ERROR;
			goto out;
		}
	}
	if (!lf_cli_flag(cli, "json") && !lf_cli_flag(cli, "markdown"))
		print_observed(cli, &obs);
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
	lf_config_release(&c);
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
