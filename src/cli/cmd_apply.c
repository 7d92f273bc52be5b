#include <time.h>
/* lakeform apply and destroy: carry out a plan through the providers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "state/backend.h"
#include "core/apply.h"
#include "core/cost.h"
#include "core/incr.h"
#include "core/planner.h"
#include "core/render.h"
#include "core/source.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/map.h"
#include "util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

static volatile sig_atomic_t stopping;

/* The first Ctrl-C stops starting new work and waits for the calls in
 * flight; the second leaves at once: every call started has its intent in
 * the journal, so the next run resolves it. */
static void on_sigint(int sig)
{
	static const char first[] = "\nlakeform: stopping: no new changes start; waiting for "
	                            "those in flight (Ctrl-C again to leave now)\n";
	static const char second[] = "\nlakeform: leaving now; the next run resolves the "
	                             "changes that were in flight\n";
	(void)sig;
	if (stopping) {
		ssize_t w = write(2, second, sizeof(second) - 1);
		(void)w;
		_exit(130);
	}
	stopping = 1;
	ssize_t w = write(2, first, sizeof(first) - 1);
	(void)w;
}

struct progress {
	struct lf_cli *cli;
	int tty;
	int width;       /* of the terminal */
	char **inflight; /* addresses being changed now, owned */
	size_t ninflight, alloc;
	size_t done, total; /* as of the last event */
	int live_shown;     /* the live line is on the screen */
	int changed;        /* events since the live line was drawn */
};

static const char *done_word(const char *verb)
{
	return !strcmp(verb, "destroying") ? "destroyed"
	       : !strcmp(verb, "updating") ? "updated"
	                                   : "created";
}

static void inflight_update(struct progress *pr, enum lf_step_event ev, const char *address)
{
	if (ev == LF_STEP_START) {
		LF_GROW(pr->inflight, pr->ninflight + 1, pr->alloc);
		pr->inflight[pr->ninflight++] = lf_xstrdup(address);
		return;
	}
	if (ev != LF_STEP_DONE && ev != LF_STEP_FAILED)
		return;
	for (size_t i = 0; i < pr->ninflight; i++)
		if (!strcmp(pr->inflight[i], address)) {
			free(pr->inflight[i]);
			pr->inflight[i] = pr->inflight[--pr->ninflight];
			return;
		}
}

/* The live line: "[12/40] 3 in flight: a, b (+1)", cut to the width. */
static void live_line(struct progress *pr, size_t done, size_t total)
{
	struct lf_buf b = LF_BUF_INIT;
	size_t width = pr->width > 20 ? (size_t)pr->width - 1 : 79;

	lf_buf_addf(&b, "[%zu/%zu] %zu in flight", done, total, pr->ninflight);
	for (size_t i = 0; i < pr->ninflight; i++) {
		size_t need = strlen(pr->inflight[i]) + 2;
		if (b.len + need + 8 > width) {
			lf_buf_addf(&b, " (+%zu)", pr->ninflight - i);
			break;
		}
		lf_buf_addf(&b, "%s%s", i ? ", " : ": ", pr->inflight[i]);
	}
	fprintf(pr->cli->out, "%.*s", (int)(b.len < width ? b.len : width), lf_buf_cstr(&b));
	lf_buf_release(&b);
}

static void print_progress(void *ctx, enum lf_step_event ev, const char *verb, const char *address,
                           const char *message, size_t done, size_t total)
{
	struct progress *pr = ctx;
	FILE *f = pr->cli->out;

	if (pr->tty) {
		/* results scroll above one live line, drawn again at the end
		 * of each turn of the executor (on_turn) */
		inflight_update(pr, ev, address);
		pr->done = done;
		pr->total = total;
		pr->changed = 1;
		if (ev == LF_STEP_START)
			return;
		if (pr->live_shown) {
			fprintf(f, "\r\033[K");
			pr->live_shown = 0;
		}
		if (ev == LF_STEP_DONE)
			fprintf(f, "%s: %s\n", address, done_word(verb));
		else if (ev == LF_STEP_FAILED)
			fprintf(f, "%s: failed: %s\n", address, message ? message : "");
		else if (ev == LF_STEP_SKIPPED)
			fprintf(f, "%s: skipped: %s\n", address, message ? message : "");
		else if (ev == LF_STEP_RETRY)
			fprintf(f, "%s: %s\n", address, message ? message : "");
		return;
	}
	switch (ev) {
	case LF_STEP_START:
		fprintf(f, "%s: %s...\n", address, verb);
		break;
	case LF_STEP_DONE:
		fprintf(f, "%s: %s\n", address, done_word(verb));
		break;
	case LF_STEP_FAILED:
		fprintf(f, "%s: failed: %s\n", address, message ? message : "");
		break;
	case LF_STEP_SKIPPED:
		fprintf(f, "%s: skipped: %s\n", address, message ? message : "");
		break;
	case LF_STEP_RETRY:
		fprintf(f, "%s: %s\n", address, message ? message : "");
		break;
	}
}

static void on_progress(void *ctx, enum lf_step_event ev, const char *verb, const char *address,
                        const char *message, size_t done, size_t total)
{
	/* a provider's words are shown with their control bytes escaped */
	struct lf_buf esc = LF_BUF_INIT;

	if (message)
		lf_buf_add_escaped(&esc, message, strlen(message));
	print_progress(ctx, ev, verb, address, message ? lf_buf_cstr(&esc) : NULL, done, total);
	lf_buf_release(&esc);
}

/* The end of a turn of the executor: what its events printed goes out
 * (once a turn, not once a line: 2,000 steps made 4,000 writes). */
static void on_turn(void *ctx)
{
	struct progress *pr = ctx;
	FILE *f = pr->cli->out;

	if (pr->tty && pr->changed) {
		fprintf(f, "\r\033[K");
		live_line(pr, pr->done, pr->total);
		pr->live_shown = 1;
		pr->changed = 0;
	}
	fflush(f);
}

static void progress_release(struct progress *pr)
{
	for (size_t i = 0; i < pr->ninflight; i++)
		free(pr->inflight[i]);
	free(pr->inflight);
}

/* The backend's word while the run goes on (a lease renewal that failed),
 * from its own thread. */
static void print_notice(void *arg, const char *msg)
{
	struct lf_cli *cli = arg;

	fprintf(cli->err, "lakeform: warning: %s\n", msg);
	fflush(cli->err);
}

/* Where each provider's log ended before this run: --verbose prints what
 * they logged during it. */
struct log_mark {
	char path[256];
	long from;
};

static void mark_log(struct log_mark *m, json_t *settings, int family)
{
	const char *name = lf_family_provider(settings, family);
	struct stat st;

	if (!name)
		return; /* an optional family not configured: no provider, no log */
	snprintf(m->path, sizeof(m->path), ".lakeform/logs/%s.log", name);
	m->from = stat(m->path, &st) == 0 ? (long)st.st_size : 0;
}

static void show_log(struct lf_cli *cli, const struct log_mark *m)
{
	/* not through a link: its target is not a provider's log */
	int fd = m->path[0] ? lf_open_nofollow(AT_FDCWD, m->path, O_RDONLY, 0) : -1;
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char line[1024];

	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	fseek(f, m->from, SEEK_SET);
	while (fgets(line, sizeof(line), f))
		fprintf(cli->err, "%s: %s", m->path, line);
	fclose(f);
}

/* Whether two plans make the same changes (address and action, in any order
 * of equal rank): a saved plan is applied only as it was shown. */
static int same_changes(const struct lf_plan *a, const struct lf_plan *b)
{
	struct lf_map m = LF_MAP_INIT;
	size_t na = 0, nb = 0;
	int same = 1;

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].action != LF_ACT_NOOP) {
			lf_map_put(&m, a->v[i].address, (void *)&a->v[i]);
			na++;
		}
	for (size_t i = 0; i < b->n && same; i++) {
		if (b->v[i].action == LF_ACT_NOOP)
			continue;
		const struct lf_change *x = lf_map_get(&m, b->v[i].address);
		same = x && x->action == b->v[i].action;
		nb++;
	}
	lf_map_release(&m);
	return same && na == nb;
}

static int confirm(struct lf_cli *cli, int destroy)
{
	char answer[64];

	if (!lf_cli_bool(cli, "input", 1)) {
		lf_cli_error(cli,
		             "refusing to %s without confirmation: -input=false; pass "
		             "--auto-approve",
		             destroy ? "destroy" : "apply");
		return 0;
	}
	if (!isatty(STDIN_FILENO)) {
		lf_cli_error(cli,
		             "refusing to %s without confirmation: standard input is not a "
		             "terminal; pass --auto-approve",
		             destroy ? "destroy" : "apply");
		return 0;
	}
	fprintf(cli->out, "\nDo you want to %s? Only 'yes' will be accepted: ",
	        destroy ? "destroy all these resources" : "perform these actions");
	fflush(cli->out);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	answer[strcspn(answer, "\n")] = '\0';
	return !strcmp(answer, "yes");
}

/* A price list makes the plan show an estimate, from the manifests. */
static int has_pricelist(const struct lf_session *s)
{
	for (size_t i = 0; i < s->st.nres; i++)
		if (!strcmp(s->st.res[i].type, "pricelist"))
			return 1;
	return 0;
}

static int run_apply(struct lf_cli *cli, int destroy)
{
	struct lf_session s;
	struct lf_plan p = LF_PLAN_INIT;
	struct lf_plan saved = LF_PLAN_INIT;
	struct lf_plan_opts o;
	struct lf_apply_result res = {0};
	struct lf_diags d = LF_DIAGS_INIT;
	struct log_mark marks[LF_NFAMILIES];
	struct lf_observations obs = {0};
	struct lf_diags cost_d = LF_DIAGS_INIT; /* the estimate's, said after the plan */
	json_t *cost = NULL;
	const char *planfile = cli->nargs ? cli->args[0] : NULL;
	int rc = LF_EXIT_ERROR;

	memset(&o, 0, sizeof(o));
	memset(marks, 0, sizeof(marks));
	lf_cli_session_init(cli, &s);
	o.targets = lf_cli_opt_all(cli, "target", &o.ntargets);
	o.excludes = lf_cli_opt_all(cli, "exclude", &o.nexcludes);
	o.replaces = lf_cli_opt_all(cli, "replace", &o.nreplaces);
	o.destroy = destroy;
	if (o.ntargets && o.nexcludes)
		return lf_cli_usage_error(cli, "--target and --exclude cannot be used together");
	if (planfile && (o.ntargets || o.nexcludes || o.nreplaces))
		return lf_cli_usage_error(
		    cli, "a saved plan is applied as it is: no --target, --exclude or --replace");
	int parallelism, refresh = lf_cli_bool(cli, "refresh", 1);
	struct lf_cli_refresh rr; /* the refresh begun before the documents are read */

	memset(&rr, 0, sizeof(rr));
	if ((rc = lf_cli_parallelism(cli, &parallelism)) != 0)
		return rc;
	rc = LF_EXIT_ERROR;
	const char *lt = lf_cli_opt(cli, "lock-timeout");
	long lock_ms = 0;
	if (lt && lf_duration_parse(lt, &lock_ms))
		return lf_cli_usage_error(
		    cli, "invalid duration '%s' for --lock-timeout (write it as 30s, 2m or 1m30s)",
		    lt);

	if (lf_session_settings(&s, &d)) {
		lf_cli_print_diags(cli, &d);
		goto out;
	}
	for (int f = 0; f < LF_NFAMILIES; f++)
		mark_log(&marks[f], s.settings, f);
	if (lf_cli_open_backend(cli, &s, &s.backend) != LF_EXIT_OK)
		goto out;
	lf_backend_set_notice(s.backend, print_notice, cli);
	int lrc = 0;
	if (!lf_cli_bool(cli, "lock", 1)) {
		if (lf_cli_check_no_lock(cli, &s))
			goto out;
	} else {
		lrc = lf_session_lock(&s, destroy ? "destroy" : "apply", lock_ms);
	}
	if (!lrc && lf_cli_bool(cli, "lock", 1))
		lf_cli_log(cli, LF_LOG_INFO, "state lock taken for %s",
		           destroy ? "destroy" : "apply");
	if (lrc) {
		lf_cli_session_error(cli, &s, NULL);
		if (lrc == LF_SESSION_ELOCKED) {
			lf_cli_print_lock_info(cli, &s.holder);
			rc = LF_EXIT_LOCKED;
		}
		goto out;
	}
	if (lf_session_load_state(&s) != 0) {
		lf_cli_print_diags(cli, &s.d);
		goto out;
	}
	/* the providers start while the manifests load (they need them only
	 * for configure's account name) */
	if (lf_session_launch_providers(&s, &d)) {
		lf_cli_session_error(cli, &s, &d);
		goto out;
	}
	/* the providers made ready and the objects read on a thread of their
	 * own while the documents are read (when there are objects to read,
	 * and no change pending: those are resolved first); what it found is
	 * said where it always was */
	if (refresh && !s.st.npending && lf_session_has_provider_records(&s))
		lf_cli_refresh_begin_apply(cli, &s, parallelism, &rr);
	/* only the documents changed since the last complete apply, when
	 * that plan is exact (incr.h); else, or after a refresh that finds
	 * an object changed, all of them */
	const char *not_incr = NULL;
	int incr = !planfile && !destroy && !o.ntargets && !o.nexcludes && !o.nreplaces &&
	           !lf_cli_flag(cli, "json") && lf_cli_bool(cli, "incremental", 1) &&
	           !has_pricelist(&s);
	if (incr && !lf_session_incremental(&s, &not_incr)) {
		lf_cli_log(cli, LF_LOG_DEBUG, "apply: all documents (%s)", not_incr);
		incr = 0;
	}
	if (incr)
		lf_cli_log(cli, LF_LOG_DEBUG, "apply: %zu changed documents alone",
		           lf_session_incremental_changed(&s));
	if (!incr && lf_cli_load(cli, &s) != LF_EXIT_OK)
		goto out;
	/* the providers were made ready for the state's account: for
	 * manifests that name another, again */
	if (rr.begun && !lf_cli_refresh_holds(&s, &rr) && lf_session_launch_providers(&s, &d)) {
		lf_cli_session_error(cli, &s, &d);
		goto out;
	}
	if (rr.begun) {
		if (lf_cli_refresh_end(cli, &s, &rr, &obs) != LF_EXIT_OK)
			goto out;
		goto refreshed;
	}
	if (lf_session_ready_providers(&s, &d)) {
		lf_cli_session_error(cli, &s, &d);
		goto out;
	}
	lf_cli_log_providers(cli, &s);
	if (s.st.npending) {
		fprintf(cli->out, "Resolving %zu change%s interrupted by an earlier run...\n",
		        s.st.npending, s.st.npending == 1 ? "" : "s");
		/* the default family's deadline, for every family's reads */
		if (lf_apply_resolve_pending(&s.st, s.backend, &s.pv,
		                             lf_session_provider_timeout(&s, LF_FAMILY_DEFAULT),
		                             &s.d)) {
			lf_cli_print_diags(cli, &s.d);
			goto out;
		}
		/* the settled records join the others before planning */
		lf_state_normalize(&s.st);
	}
	/* plan against the objects as they are now */
	if (refresh && lf_cli_refresh_with(cli, &s, parallelism, &obs) != LF_EXIT_OK)
		goto out;
refreshed:
	if (incr && (obs.changed || obs.gone || lf_session_incremental_plan(&s, &p) != 0)) {
		lf_plan_release(&p);
		lf_session_incremental_drop(&s);
		lf_cli_log(cli, LF_LOG_DEBUG, "apply: all documents after all");
		incr = 0;
		if (lf_cli_load(cli, &s) != LF_EXIT_OK)
			goto out;
	}
	if (incr)
		goto planned;
	/* what the policies are compiled from, for the documents cache */
	s.ds.keep_reach = 1;
	if (lf_cli_expand(cli, &s) != LF_EXIT_OK)
		goto out;
	o.kinds = &s.kinds;
	if (planfile) {
		json_error_t jerr;
		char *why = NULL;
		json_t *doc = json_load_file(planfile, 0, &jerr);
		if (!doc || lf_plan_from_json(&saved, doc, &why)) {
			lf_cli_error(cli, "%s: not a saved plan: %s", planfile,
			             doc ? why : jerr.text);
			free(why);
			json_decref(doc);
			goto out;
		}
		/* what the file shows is what it held when saved */
		int altered = lf_plan_check_digest(doc, &why);
		json_decref(doc);
		if (altered) {
			lf_cli_error(cli, "%s: %s", planfile, why);
			free(why);
			goto out;
		}
		if (lf_plan_check_current(&saved, s.st.exists, s.st.lineage, s.st.serial, &why)) {
			lf_cli_error(cli, "%s: %s", planfile, why);
			free(why);
			goto out;
		}
		char digest[65];
		lf_session_digest(&s, digest);
		if (strcmp(digest, saved.manifests_digest)) {
			lf_cli_error(
			    cli, "%s: the manifests changed since this plan was made; plan again",
			    planfile);
			goto out;
		}
		o.destroy = saved.destroy;
	}
	/* the policies judge what would be made, not what would go */
	if (!o.destroy && lf_cli_check_policies(cli, &s, 1) != LF_EXIT_OK)
		goto out;
	p.violations = json_incref(s.violations);
	/* the estimate reads the manifests; what is left of them once
	 * expanded (the documents' trees, beside the records expansion made)
	 * is released now, before the plan's peak rather than after it */
	int costed = !destroy && !o.destroy;
	if (costed)
		cost = lf_cost_estimate(&s.m, &s.ds, &s.st, &cost_d);
	lf_session_release_manifests(&s);
	long planned_at = lf_now_ms();
	if (lf_plan_build(&p, &s.ds, &s.st, &o, &s.d) != 0) {
		lf_cli_print_diags(cli, &s.d);
		goto out;
	}
	lf_cli_log(cli, LF_LOG_DEBUG, "apply: planned in %ld ms", lf_now_ms() - planned_at);
	/* a budget that denies stops apply as it stops plan */
	if (costed) {
		int crc = lf_cli_plan_cost_made(cli, &p, cost, &cost_d);
		cost = NULL;
		if (crc != LF_EXIT_OK)
			goto out;
	}
planned:
	if (planfile && !same_changes(&saved, &p)) {
		lf_cli_error(cli,
		             "%s: the real objects changed since this plan was made (it would do "
		             "something else now); plan again",
		             planfile);
		goto out;
	}
	/* and with the values it shows: a digest anyone can recompute does
	 * not tell an edited plan from the one saved, this does */
	const char *differs;
	if (planfile && lf_plan_same_values(&saved, &p, &differs)) {
		lf_cli_error(cli,
		             "%s: '%s' is not what apply would do now with the manifests and the "
		             "real objects: the plan was altered, or they changed since; plan "
		             "again",
		             planfile, differs);
		goto out;
	}
	lf_cli_print_observed(cli, &obs);
	lf_cli_render_plan(cli, &p);
	if (!lf_plan_has_changes(&p)) {
		rc = LF_EXIT_OK;
		goto out;
	}
	if (!planfile && !lf_cli_flag(cli, "auto-approve") && !confirm(cli, destroy)) {
		fprintf(cli->out, "%s cancelled.\n", destroy ? "Destroy" : "Apply");
		goto out;
	}
	fputc('\n', cli->out);

	struct progress pr = {cli, isatty(fileno(cli->out)), 80, NULL, 0, 0, 0, 0, 0, 0};
	struct winsize ws;
	if (pr.tty && ioctl(fileno(cli->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		pr.width = ws.ws_col;
	struct lf_apply_opts ao;
	memset(&ao, 0, sizeof(ao));
	ao.parallelism = parallelism;
	for (int f = 0; f < LF_NFAMILIES; f++)
		ao.deadline_ms[f] = lf_session_provider_timeout(&s, f);
	ao.max_attempts = 4;
	ao.stopping = &stopping;
	ao.progress = on_progress;
	ao.ctx = &pr;
	ao.turn = on_turn;
	/* the plan's values make room for the state the apply builds (the
	 * manifests were released before the plan was built) */
	ao.release_values = 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	long applied_at = lf_now_ms();
	int arc = lf_apply(&res, &p, s.incr ? &s.incr->ds : &s.ds, &s.st, s.backend, &s.pv, &ao);
	lf_cli_log(cli, LF_LOG_DEBUG, "apply: the changes made and journaled in %ld ms",
	           lf_now_ms() - applied_at);
	if (pr.tty)
		fprintf(cli->out, "\r\033[K");
	progress_release(&pr);
	/* a complete apply of every change is what the fingerprint says */
	if (arc == 0 && !p.partial && !destroy) {
		long at = lf_now_ms();
		s.ds_rank = p.desired_rank;
		lf_session_record_fingerprint(&s);
		lf_cli_log(cli, LF_LOG_DEBUG, "apply: the inputs recorded in %ld ms",
		           lf_now_ms() - at);
	}
	/* the commit whose manifests the state now carries out: the saved
	 * plan's, else the one read (--git's, or HEAD of the directory) */
	const char *commit =
	    planfile && saved.git_commit ? saved.git_commit : lf_session_commit(&s);
	if (arc == 0 && !destroy) {
		free(s.st.git_commit);
		s.st.git_commit = commit ? lf_xstrdup(commit) : NULL;
	}
	long written_at = lf_now_ms();
	int werr = lf_state_write(s.backend, &s.st);
	lf_cli_log(cli, LF_LOG_DEBUG, "apply: the state compacted in %ld ms",
	           lf_now_ms() - written_at);
	if (werr)
		lf_cli_error(cli, "cannot compact the state: %s (the journal holds every change)",
		             lf_state_strerror(werr));
	/* the state is saved only once the lock is released (a remote backend
	 * uploads then): a run that exits non-zero never says complete */
	if (arc == 0 && !werr) {
		werr = lf_session_unlock(&s);
		if (werr)
			lf_cli_error(cli, "cannot save the state: %s", lf_state_strerror(werr));
	}
	if (arc == 0 && werr) {
		lf_cli_error(cli,
		             "%s incomplete: every change was made, but the state was not saved",
		             destroy ? "destroy" : "apply");
		rc = LF_EXIT_ERROR;
	} else if (arc == 0) {
		lf_cli_log(cli, LF_LOG_INFO, "%s complete: %zu added, %zu changed, %zu destroyed",
		           destroy ? "destroy" : "apply", p.ncreate + p.nreplace, p.nupdate,
		           p.ndelete + p.nreplace);
		fprintf(cli->out,
		        "\n%s complete! Resources: %zu added, %zu changed, %zu destroyed.\n",
		        destroy ? "Destroy" : "Apply", p.ncreate + p.nreplace, p.nupdate,
		        p.ndelete + p.nreplace);
		rc = LF_EXIT_OK;
	} else {
		fprintf(cli->err, "\n");
		for (size_t i = 0; i < res.nfailures; i++)
			lf_cli_error(cli, "%s", res.failures[i]);
		lf_cli_error(cli,
		             "%s incomplete: %zu done, %zu failed, %zu skipped, %zu not started%s",
		             destroy ? "destroy" : "apply", res.done, res.failed, res.skipped,
		             res.not_started, stopping ? " (interrupted)" : "");
		rc = LF_EXIT_ERROR;
	}
out:
	lf_cli_refresh_cancel(&s, &rr);
	lf_session_stop_providers(&s);
	/* stopped first: what they log while stopping is shown too */
	if (cli->verbose && s.settings)
		for (int f = 0; f < LF_NFAMILIES; f++)
			show_log(cli, &marks[f]);
	lf_apply_result_release(&res);
	lf_observations_release(&obs);
	lf_plan_release(&p);
	lf_plan_release(&saved);
	lf_diags_release(&d);
	json_decref(cost);
	lf_diags_release(&cost_d);
	lf_cli_session_close(cli, &s);
	return rc;
}

/*
 * apply -refresh-only, as Terraform's: read every recorded resource, show
 * what changed outside lakeform, and on approval record it in the state;
 * nothing is created, changed or deleted.
 */
static int run_refresh_only(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_observations obs = {0};
	int parallelism, rc;

	if (cli->nargs)
		return lf_cli_usage_error(cli, "-refresh-only applies no saved plan");
	if (!lf_cli_bool(cli, "refresh", 1))
		return lf_cli_usage_error(cli, "-refresh-only reads the real objects: not with "
		                               "--refresh=false");
	if (lf_cli_opt(cli, "target") || lf_cli_opt(cli, "exclude") || lf_cli_opt(cli, "replace"))
		return lf_cli_usage_error(cli, "-refresh-only records every resource: no --target, "
		                               "--exclude or --replace");
	if ((rc = lf_cli_parallelism(cli, &parallelism)) != 0)
		return rc;
	lf_cli_session_init(cli, &s);
	if ((rc = lf_cli_open_for_write(cli, &s, "apply")) != LF_EXIT_OK)
		goto out;
	if ((rc = lf_cli_observe(cli, &s, parallelism, &obs)) != LF_EXIT_OK) {
		lf_cli_error(cli, "nothing recorded: every resource must be read");
		goto out;
	}
	if (!obs.changed && !obs.gone) {
		fprintf(cli->out,
		        "No changes outside lakeform: the %zu recorded resource%s %s as "
		        "recorded.\n",
		        obs.n, obs.n == 1 ? "" : "s", obs.n == 1 ? "is" : "are");
		goto out;
	}
	lf_cli_print_observed(cli, &obs);
	fprintf(cli->out, "This records those changes in the state; no object is changed.\n");
	rc = LF_EXIT_ERROR;
	if (!lf_cli_flag(cli, "auto-approve") && !confirm(cli, 0)) {
		fprintf(cli->out, "Apply cancelled.\n");
		goto out;
	}
	if (lf_observations_record(&obs, &s.st, s.backend, &s.d)) {
		lf_cli_print_diags(cli, &s.d);
		goto out;
	}
	long written_at = lf_now_ms();
	int werr = lf_state_write(s.backend, &s.st);
	lf_cli_log(cli, LF_LOG_DEBUG, "apply: the state compacted in %ld ms",
	           lf_now_ms() - written_at);
	if (!werr)
		werr = lf_session_unlock(&s);
	if (werr) {
		lf_cli_error(cli, "cannot write the state: %s", lf_state_strerror(werr));
		goto out;
	}
	fprintf(cli->out, "\nApply complete! Recorded %zu changed and %zu gone resource%s.\n",
	        obs.changed, obs.gone, obs.gone == 1 ? "" : "s");
	rc = LF_EXIT_OK;
out:
	lf_observations_release(&obs);
	lf_cli_session_close(cli, &s);
	return rc;
}

static int run(struct lf_cli *cli)
{
	if (lf_cli_flag(cli, "refresh-only"))
		return run_refresh_only(cli);
	return run_apply(cli, 0);
}

static int run_destroy(struct lf_cli *cli)
{
	return run_apply(cli, 1);
}

static const struct lf_option options[] = {
    {"auto-approve", 0, NULL, "do not ask for confirmation"},
    {"parallelism", 0, "N", "run up to N changes at once (default 10)"},
    {"target", 0, "ADDR", "only ADDR, its parts and what it needs (repeatable)"},
    {"exclude", 0, "ADDR", "all but ADDR, its parts and what needs it (repeatable)"},
    {"replace", 0, "ADDR", "replace ADDR even if it did not change (repeatable)"},
    {"lock-timeout", 0, "DURATION", "wait this long for the state lock (30s, 2m)"},
    {"refresh", 0, NULL, "read the real objects before planning (default; =false skips)"},
    {"incremental", 0, NULL,
     "plan only the documents changed since the last apply when that is exact (default; "
     "--incremental=false: all)"},
    {"json", 0, NULL, "print the plan as JSON before applying"},
    {"markdown", 0, NULL, "print the plan as Markdown before applying"},
    {"refresh-only", 0, NULL, "only record what changed outside lakeform"},
    {"lock", 0, NULL, "take the state lock (default; -lock=false: not, local backend only)"},
    {"input", 0, NULL, "ask for confirmation (default; -input=false: never ask)"},
    {0},
};

const struct lf_command lf_cmd_apply = {
    .name = "apply",
    .summary = "create, update and delete to match the manifests",
    .usage = "apply [options] [PLANFILE]",
    .description = "Plan, show the plan, ask for confirmation (not with --auto-approve\n"
                   "or a PLANFILE), then carry the changes out through the providers:\n"
                   "independent changes at once (--parallelism), a change only after\n"
                   "what it needs.  Every provider call is written to the journal\n"
                   "before and after it happens, so an interrupted apply is resumed\n"
                   "by the next one without doing anything twice.  A failed change\n"
                   "fails alone: what needs it is skipped, the rest goes on.\n"
                   "Ctrl-C once: no new changes start; twice: leave at once.\n"
                   "Before planning, every recorded resource is read through its\n"
                   "provider (--refresh=false skips it), so what changed behind\n"
                   "lakeform's back is put back.\n"
                   "With PLANFILE (from 'plan -out'), exactly that plan is applied,\n"
                   "and refused if the state, the manifests or the real objects\n"
                   "moved since.\n"
                   "-refresh-only reads every recorded resource, shows what changed\n"
                   "outside lakeform and, once confirmed, records it in the state:\n"
                   "no object is created, changed or deleted.  -input=false refuses\n"
                   "to ask (pass --auto-approve); -lock=false runs without the state\n"
                   "lock (the local backend only: no other run may write meanwhile).",
    .options = options,
    .min_args = 0,
    .max_args = 1,
    .run = run,
};

static const struct lf_option destroy_options[] = {
    {"auto-approve", 0, NULL, "do not ask for confirmation"},
    {"parallelism", 0, "N", "run up to N deletions at once (default 10)"},
    {"target", 0, "ADDR", "only ADDR, its parts and what needs it (repeatable)"},
    {"exclude", 0, "ADDR", "all but ADDR, its parts and what it needs (repeatable)"},
    {"lock-timeout", 0, "DURATION", "wait this long for the state lock (30s, 2m)"},
    {"refresh", 0, NULL, "read the real objects before planning (default; =false skips)"},
    {"lock", 0, NULL, "take the state lock (default; -lock=false: not, local backend only)"},
    {"input", 0, NULL, "ask for confirmation (default; -input=false: never ask)"},
    {0},
};

const struct lf_command lf_cmd_destroy = {
    .name = "destroy",
    .summary = "delete everything lakeform manages",
    .usage = "destroy [options]",
    .description = "Plan the deletion of every recorded resource (what needs a\n"
                   "resource first), show it, ask for confirmation (not with\n"
                   "--auto-approve) and carry it out.  prevent_destroy refuses it.",
    .options = destroy_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_destroy,
};
