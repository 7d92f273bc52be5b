/* lakeform plan: what apply would change, in the order it would. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "core/planner.h"
#include "core/render.h"
#include "core/source.h"
#include "core/sso.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

static void write_out(void *arg, const char *text, size_t n)
{
	fwrite(text, 1, n, arg);
}

/* Print `p` in the format the options ask for. */
int lf_cli_render_plan(struct lf_cli *cli, const struct lf_plan *p)
{
	struct lf_render_opts ro = LF_RENDER_OPTS_INIT;
	struct lf_buf out = LF_BUF_INIT;

	ro.color = cli->color;
	ro.flush = write_out;
	ro.flush_arg = cli->out;
	ro.dir = cli->chdir ? cli->chdir : ".";
	/* apply and destroy print the plan they carry out: no "merge to apply" */
	ro.applying = strcmp(cli->cmd->name, "plan") != 0 && strcmp(cli->cmd->name, "show") != 0;
	if (lf_cli_flag(cli, "json")) {
		json_t *j = lf_render_json(p);
		/* written as it is made: the text of 100,000 resources is
		 * 150 MB, which json_dumps() held whole */
		json_dumpf(j, cli->out, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', cli->out);
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
 * fingerprint: lakeform's version, the schemas, the manifest files, or the
 * same content written differently) and nothing happened since, the plan is
 * all no-ops: answer it from digests without loading a manifest or parsing
 * a record.  Returns lf_session_inputs_recorded(): 1 or 2 when the state is
 * so, else 0.
 */
static int noops_shown_alike(struct lf_cli *cli, struct lf_session *s)
{
	/* The JSON plan and a saved plan show every resource's values (and
	 * mask its secrets): those take the full path.  Text and Markdown
	 * show no no-op at all. */
	if (lf_cli_flag(cli, "json") || lf_cli_opt(cli, "out"))
		return 0;
	/* a price list makes the plan show an estimate, from the manifests */
	for (size_t i = 0; i < s->st.nres; i++)
		if (!strcmp(s->st.res[i].type, "pricelist"))
			return 0;
	return 1;
}

static int unchanged_since_recorded(struct lf_cli *cli, struct lf_session *s)
{
	return noops_shown_alike(cli, s) ? lf_session_inputs_recorded(s) : 0;
}

/*
 * When only some documents changed since the state's last complete apply,
 * each still declaring its resource and differing at most in fields only
 * its own record reads (labels and the others src/core/incr.h names), the
 * plan is the update of their records: made of those documents alone
 * (src/core/incr.h), unless a refresh finds that a real object changed.
 * 1 and `p` made (`obs` what the refresh read), else 0: the full path
 * (*refreshed says whether the refresh ran already).  --incremental=false
 * never takes it.
 */
static int plan_incremental(struct lf_cli *cli, struct lf_session *s, struct lf_plan *p,
                            int refresh, int parallelism, struct lf_observations *obs,
                            struct lf_sso_cache *sso, int *refreshed, int *rc,
                            struct lf_cli_refresh *rr)
{
	const char *why = NULL;
	long start = lf_now_ms();

	*rc = LF_EXIT_OK;
	if (!lf_cli_bool(cli, "incremental", 1))
		return 0;
	/* the refresh reads the provider records on a thread of its own while
	 * this one reads the changed documents, which touch the manifest
	 * records alone; it says what it found where it always did: here
	 * after them, or after the manifests load on the full path (run()) */
	if (refresh && !*refreshed)
		lf_cli_refresh_begin(cli, s, parallelism, rr);
	if (!lf_session_incremental(s, &why)) {
		lf_cli_log(cli, LF_LOG_DEBUG, "plan: all documents (%s)", why);
		return 0;
	}
	lf_cli_log(cli, LF_LOG_DEBUG, "plan: %zu changed documents alone, read in %ld ms",
	           lf_session_incremental_changed(s), lf_now_ms() - start);
	if (rr->begun && (*rc = lf_cli_refresh_end(cli, s, rr, obs)) != LF_EXIT_OK)
		return 0;
	*refreshed = refresh;
	if (!obs->changed && !obs->gone && (!refresh || lf_cli_sso_recorded_ok(cli, s, sso)) &&
	    lf_session_incremental_plan(s, p) == 0)
		return 1;
	lf_plan_release(p);
	lf_session_incremental_drop(s);
	lf_cli_log(cli, LF_LOG_DEBUG, "plan: all documents after all");
	return 0;
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

/*
 * plan takes no lock (it works on a read-only directory), but with
 * -lock-timeout it waits, as Terraform's plan does, up to that long for a
 * run holding the lock to finish, so that it does not plan from a state
 * that run is halfway through.  LF_EXIT_OK, or the exit code (said).
 */
static int wait_for_writer(struct lf_cli *cli, struct lf_session *s)
{
	const char *lt = lf_cli_opt(cli, "lock-timeout");
	long timeout_ms = 0, waited = 0, step = 1000;
	struct lf_lock_info info;
	int held = 0;

	if (lt && lf_duration_parse(lt, &timeout_ms))
		return lf_cli_usage_error(
		    cli, "invalid duration '%s' for --lock-timeout (write it as 30s, 2m or 1m30s)",
		    lt);
	if (!lt || !lf_cli_bool(cli, "lock", 1))
		return LF_EXIT_OK;
	for (;;) {
		memset(&info, 0, sizeof(info));
		int err = lf_state_lock_read(s->backend, &info, &held);
		if (err < 0) {
			lf_cli_error(cli, "cannot read the state lock: %s", lf_state_strerror(err));
			return LF_EXIT_ERROR;
		}
		if (!held)
			return LF_EXIT_OK;
		if (waited >= timeout_ms)
			break;
		long nap = step < timeout_ms - waited ? step : timeout_ms - waited;
		struct timespec ts = {nap / 1000, (nap % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		waited += nap;
		step = step < 16000 ? step * 2 : 16000;
	}
	lf_cli_error(cli, "the state is locked by another run (waited %s)", lt);
	lf_cli_print_lock_info(cli, &info);
	return LF_EXIT_LOCKED;
}

/* plan -refresh-only: what changed outside lakeform, nothing else. */
static int refresh_only(struct lf_cli *cli, struct lf_session *s, int parallelism)
{
	struct lf_observations obs = {0};
	struct lf_sso_cache sso = LF_SSO_CACHE_INIT;
	int rc;

	if ((rc = lf_cli_load(cli, s)) != LF_EXIT_OK)
		return rc;
	if ((rc = lf_cli_refresh_for_plan(cli, s, parallelism, &obs)) != LF_EXIT_OK)
		goto out;
	if ((rc = lf_cli_check_sso(cli, s, &sso)) != LF_EXIT_OK)
		goto out;
	if (obs.changed || obs.gone) {
		lf_cli_print_observed(cli, &obs);
		fprintf(cli->out, "-refresh-only: no object would change.%s\n",
		        cli->automation ? ""
		                        : " 'lakeform apply -refresh-only' records these in "
		                          "the state.");
	} else {
		fprintf(cli->out,
		        "No changes outside lakeform: the %zu recorded resource%s %s as "
		        "recorded.\n",
		        obs.n, obs.n == 1 ? "" : "s", obs.n == 1 ? "is" : "are");
	}
	rc = lf_cli_flag(cli, "detailed-exitcode") && (obs.changed || obs.gone) ? LF_EXIT_CHANGES
	                                                                        : LF_EXIT_OK;
out:
	lf_sso_cache_release(&sso);
	lf_observations_release(&obs);
	return rc;
}

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_plan_opts o;
	struct lf_observations obs = {0};
	int refresh = lf_cli_bool(cli, "refresh", 1), refreshed = 0, parallelism;
	struct lf_changed changed = LF_CHANGED_INIT;
	struct lf_sso_cache sso = LF_SSO_CACHE_INIT;
	const char *since = lf_cli_opt(cli, "changed-since");
	struct lf_cli_refresh rr; /* begun by plan_incremental() */
	int rc;

	if ((rc = lf_cli_parallelism(cli, &parallelism)) != 0)
		return rc;
	memset(&rr, 0, sizeof(rr));

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
	int only = lf_cli_flag(cli, "refresh-only");
	if (only && !refresh)
		return lf_cli_usage_error(cli, "-refresh-only reads the real objects: not with "
		                               "--refresh=false");
	if (only &&
	    (o.ntargets || o.nexcludes || o.nreplaces || o.destroy || since ||
	     lf_cli_opt(cli, "out") || lf_cli_flag(cli, "json") || lf_cli_flag(cli, "markdown")))
		return lf_cli_usage_error(cli, "-refresh-only plans no change: not with --target, "
		                               "--exclude, --replace, --destroy, --changed-since, "
		                               "-out, --json or --markdown");
	lf_cli_session_init(cli, &s);
	if ((rc = lf_cli_open_backend(cli, &s, &s.backend)) != LF_EXIT_OK)
		goto out;
	if ((rc = wait_for_writer(cli, &s)) != LF_EXIT_OK)
		goto out;
	if (lf_session_load_state(&s) != 0) {
		lf_cli_print_diags(cli, &s.d);
		rc = LF_EXIT_ERROR;
		goto out;
	}
	if (only) {
		rc = refresh_only(cli, &s, parallelism);
		goto out;
	}
	int recorded = 0;
	if (!o.ntargets && !o.nexcludes && !o.nreplaces && !o.destroy && !since &&
	    (recorded = unchanged_since_recorded(cli, &s)) != 0) {
		/* The manifests are what the state records.  Unless a real
		 * object changed since (a refresh finds that out, reading only
		 * the provider records), the plan is all no-ops. */
		lf_cli_log(cli, LF_LOG_DEBUG, "plan: the state records these manifests (%s)",
		           recorded == 2 ? "the same content, written differently"
		                         : "the same files");
		if (refresh &&
		    (rc = lf_cli_refresh_for_plan(cli, &s, parallelism, &obs)) != LF_EXIT_OK)
			goto out;
		refreshed = refresh;
		/* and unless the SSO provider has something to say, at the
		 * positions of the manifests, which are then loaded */
		if (!obs.changed && !obs.gone &&
		    (!refresh || lf_cli_sso_recorded_ok(cli, &s, &sso))) {
			plan_noops(&s, &p);
			goto render;
		}
	}
	if (!recorded && !o.ntargets && !o.nexcludes && !o.nreplaces && !o.destroy && !since &&
	    noops_shown_alike(cli, &s)) {
		if (plan_incremental(cli, &s, &p, refresh, parallelism, &obs, &sso, &refreshed, &rc,
		                     &rr))
			goto render;
		if (rc != LF_EXIT_OK)
			goto out;
	}
	if ((rc = lf_cli_load(cli, &s)) != LF_EXIT_OK)
		goto out;
	/* the refresh begun while the changed documents were read, ended
	 * now; unless the manifests name another account than the state,
	 * the one the providers were configured for: then again */
	if (lf_cli_refresh_holds(&s, &rr)) {
		refreshed = refresh;
		if ((rc = lf_cli_refresh_end(cli, &s, &rr, &obs)) != LF_EXIT_OK)
			goto out;
	}
	if (refresh && !refreshed &&
	    (rc = lf_cli_refresh_for_plan(cli, &s, parallelism, &obs)) != LF_EXIT_OK)
		goto out;
	if (refresh && (rc = lf_cli_check_sso(cli, &s, &sso)) != LF_EXIT_OK)
		goto out;
	if ((rc = lf_cli_expand(cli, &s)) != LF_EXIT_OK)
		goto out;
	/* the policies judge what would be made, not what would go */
	if (!o.destroy && (rc = lf_cli_check_policies(cli, &s, 0)) != LF_EXIT_OK)
		goto out;
	p.violations = json_incref(s.violations);
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
	long planned_at = lf_now_ms();
	if (lf_plan_build(&p, &s.ds, &s.st, &o, &s.d) != 0) {
		lf_cli_print_diags(cli, &s.d);
		rc = LF_EXIT_ERROR;
		goto out;
	}
	lf_cli_log(cli, LF_LOG_DEBUG, "plan: planned in %ld ms", lf_now_ms() - planned_at);
	if (!o.destroy && (rc = lf_cli_plan_cost(cli, &s, &p)) != LF_EXIT_OK)
		goto out;
render:
	lf_cli_log(cli, LF_LOG_INFO,
	           "plan: %zu to add, %zu to change, %zu to replace, %zu to destroy", p.ncreate,
	           p.nupdate, p.nreplace, p.ndelete);
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
	if (outfile && !lf_cli_flag(cli, "json") && cli->automation)
		fprintf(cli->out, "\nSaved the plan to '%s'.\n", outfile);
	else if (outfile && !lf_cli_flag(cli, "json"))
		fprintf(cli->out,
		        "\nSaved the plan to '%s'. Apply exactly this plan with:\n"
		        "  lakeform apply %s\n",
		        outfile, outfile);
	rc = lf_cli_flag(cli, "detailed-exitcode") && lf_plan_has_changes(&p) ? LF_EXIT_CHANGES
	                                                                      : LF_EXIT_OK;
out:
	lf_cli_refresh_cancel(&s, &rr);
	lf_sso_cache_release(&sso);
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
    {"incremental", 0, NULL,
     "plan only the documents changed since the last apply when that is exact (default; "
     "--incremental=false: all)"},
    {"parallelism", 0, "N", "read up to N resources at once (default 10)"},
    {"changed-since", 0, "REV", "plan only what changed since git REV and what needs it"},
    {"refresh-only", 0, NULL, "only show what changed outside lakeform; plan no change"},
    {"lock-timeout", 0, "DURATION", "first wait this long for a run holding the lock"},
    {"lock", 0, NULL, "with --lock-timeout, wait for the lock (default; -lock=false: not)"},
    {"input", 0, NULL, "accepted for Terraform's -input=false: plan never asks"},
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
                   "from the recorded state alone.  An SSO document's OIDC provider\n"
                   "is checked too (its discovery document and key set), unless\n"
                   "--refresh=false.  Nothing is changed, not even the\n"
                   "state.  plan takes no lock; -lock-timeout DURATION first waits up\n"
                   "to DURATION for a run holding the state lock to finish (exit 3 if\n"
                   "it does not).  -refresh-only shows only what changed outside\n"
                   "lakeform (-detailed-exitcode: 2 when anything did).",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
