#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/provider.h"
#include "core/sso.h"
#include "state/backend.h"
#include "util/clock.h"
#include "util/mem.h"

static const char *process_env(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

/* init -backend-config's overrides, kept for the runs after it: read
 * once; NULL when there are none (kept for the process: its sessions
 * point at it). */
static json_t *saved_backend_config;
static int saved_read;

const json_t *lf_cli_saved_backend_config(struct lf_cli *cli)
{
	json_error_t jerr;

	if (!saved_read) {
		saved_read = 1;
		if (access(LF_CLI_BACKEND_CONFIG, F_OK) == 0) {
			saved_backend_config = json_load_file(LF_CLI_BACKEND_CONFIG, 0, &jerr);
			if (!json_is_object(saved_backend_config)) {
				fprintf(cli->err,
				        "lakeform: warning: %s: ignored, not a JSON object (run "
				        "'lakeform init' again)\n",
				        LF_CLI_BACKEND_CONFIG);
				json_decref(saved_backend_config);
				saved_backend_config = NULL;
			}
		}
	}
	return saved_backend_config;
}

void lf_cli_session_init(struct lf_cli *cli, struct lf_session *s)
{
	struct lf_session_opts o = {.schema_dir = cli->schema_dir,
	                            .exe_dir = cli->exe_dir,
	                            .git = cli->git,
	                            .getenv = process_env};

	/* the key of the state's sensitive values, from the environment */
	o.state_key = getenv("LAKEFORM_STATE_KEY");
	if (o.state_key && !*o.state_key)
		o.state_key = NULL;
	o.state_key_name = "LAKEFORM_STATE_KEY";
	o.backend_config = lf_cli_saved_backend_config(cli);
	o.backend_config_source = LF_CLI_BACKEND_CONFIG " (from 'lakeform init -backend-config')";
	o.vars = cli->vars;
	o.nvars = cli->nvars;

	lf_session_init(s, &o);
}

void lf_cli_session_close(struct lf_cli *cli, struct lf_session *s)
{
	if (cli->verbose && s->log_note)
		fprintf(cli->err, "lakeform: note: %s\n", s->log_note);
	lf_session_close(s);
}

void lf_cli_session_error(struct lf_cli *cli, struct lf_session *s, struct lf_diags *d)
{
	if (s->error) {
		lf_cli_error(cli, "%s", s->error);
		free(s->error);
		s->error = NULL;
	} else if (d) {
		lf_cli_print_diags(cli, d);
	}
}

int lf_cli_load(struct lf_cli *cli, struct lf_session *s)
{
	if (lf_session_load(s) != 0) {
		lf_cli_print_diags(cli, &s->d);
		return LF_EXIT_ERROR;
	}
	return LF_EXIT_OK;
}

int lf_cli_check_policies(struct lf_cli *cli, struct lf_session *s, int print_warnings)
{
	struct lf_diags d = LF_DIAGS_INIT;
	int rc = LF_EXIT_OK;
	long start = lf_now_ms();
	int failed = lf_session_check_policies(s, &d) != 0;

	lf_cli_log(cli, LF_LOG_DEBUG, "policies: %zu violations (%zu errors) in %ld ms",
	           json_array_size(s->violations), d.errors, lf_now_ms() - start);
	if (failed) {
		lf_cli_print_diags(cli, &d);
		rc = LF_EXIT_ERROR;
	} else if (print_warnings) {
		lf_cli_print_diags(cli, &d);
	} else {
		lf_diags_append(&s->d, &d); /* printed with the others */
	}
	lf_diags_release(&d);
	return rc;
}

int lf_cli_open_backend(struct lf_cli *cli, struct lf_session *s, struct lf_backend **out)
{
	struct lf_diags d = LF_DIAGS_INIT;
	int rc = LF_EXIT_OK;

	if (lf_session_open_backend(out, s, &d) != 0) {
		lf_cli_session_error(cli, s, &d);
		rc = LF_EXIT_ERROR;
	} else {
		const char *type = json_string_value(
		    json_object_get(json_object_get(s->settings, "backend"), "type"));
		lf_cli_log(cli, LF_LOG_INFO, "state backend: %s", type ? type : "local");
		if (lf_backend_info(*out))
			lf_cli_log(cli, LF_LOG_DEBUG, "%s", lf_backend_info(*out));
		if (cli->verbose && lf_backend_info(*out))
			fprintf(cli->err, "lakeform: %s\n", lf_backend_info(*out));
	}
	lf_diags_release(&d);
	return rc;
}

int lf_cli_load_state(struct lf_cli *cli, struct lf_session *s)
{
	if (lf_cli_open_backend(cli, s, &s->backend) != LF_EXIT_OK)
		return LF_EXIT_ERROR;
	if (lf_session_load_state(s) != 0) {
		lf_cli_print_diags(cli, &s->d);
		return LF_EXIT_ERROR;
	}
	return LF_EXIT_OK;
}

int lf_cli_expand(struct lf_cli *cli, struct lf_session *s)
{
	if (lf_session_expand(s) != 0) {
		lf_cli_print_diags(cli, &s->d);
		return LF_EXIT_ERROR;
	}
	return LF_EXIT_OK;
}

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "(unknown)";
}

void lf_cli_print_lock_info(struct lf_cli *cli, const struct lf_lock_info *i)
{
	fprintf(cli->err, "Lock Info:\n");
	fprintf(cli->err, "  ID:        %s\n", or_unknown(i->id));
	fprintf(cli->err, "  Path:      %s\n", or_unknown(i->path));
	fprintf(cli->err, "  Operation: %s\n", or_unknown(i->operation));
	fprintf(cli->err, "  Who:       %s\n", or_unknown(i->who));
	fprintf(cli->err, "  Version:   %s\n", or_unknown(i->version));
	if (i->pid)
		fprintf(cli->err, "  PID:       %ld\n", i->pid);
	else
		fprintf(cli->err, "  PID:       (unknown)\n");
	fprintf(cli->err, "  Created:   %s\n", or_unknown(i->created));
	if (i->expires[0])
		fprintf(cli->err, "  Expires:   %s (unless its holder renews it)\n", i->expires);
}

void lf_cli_log_providers(struct lf_cli *cli, struct lf_session *s)
{
	for (int f = 0; f < LF_NFAMILIES; f++) {
		struct lf_provider *p = lf_session_provider(s, f);
		if (p)
			lf_cli_log(cli, LF_LOG_INFO, "provider %s %s serves %s",
			           lf_provider_name(p),
			           lf_provider_version(p) ? lf_provider_version(p) : "(no version)",
			           lf_families[f].name);
	}
}

int lf_cli_open_for_write(struct lf_cli *cli, struct lf_session *s, const char *operation)
{
	return lf_cli_open_for_write_lazy(cli, s, operation, NULL);
}

int lf_cli_open_for_write_lazy(struct lf_cli *cli, struct lf_session *s, const char *operation,
                               int *loaded)
{
	struct lf_diags d = LF_DIAGS_INIT;
	long lock_ms = 0;
	const char *lt = lf_cli_opt(cli, "lock-timeout");
	int err, rc = LF_EXIT_OK;

	if (lt && lf_duration_parse(lt, &lock_ms))
		return lf_cli_usage_error(cli, "invalid duration '%s' for --lock-timeout", lt);
	if (!lf_cli_bool(cli, "lock", 1)) {
		/* -lock=false: only where the state is local files */
		if (lf_session_settings(s, &d) == 0 && (rc = lf_cli_check_no_lock(cli, s)) != 0) {
			lf_diags_release(&d);
			return rc;
		}
		operation = NULL;
	}
	err = loaded ? lf_session_open_for_write_lazy(s, operation, lock_ms, loaded, &d)
	             : lf_session_open_for_write(s, operation, lock_ms, &d);
	if (!err) {
		if (operation)
			lf_cli_log(cli, LF_LOG_INFO, "state lock taken for %s", operation);
		lf_cli_log_providers(cli, s);
	}
	if (err == LF_SESSION_ELOCKED) {
		lf_cli_session_error(cli, s, NULL);
		lf_cli_print_lock_info(cli, &s->holder);
		rc = LF_EXIT_LOCKED;
	} else if (err) {
		lf_cli_session_error(cli, s, d.errors ? &d : &s->d);
		rc = LF_EXIT_ERROR;
	}
	lf_diags_release(&d);
	return rc;
}

int lf_cli_check_no_lock(struct lf_cli *cli, struct lf_session *s)
{
	const char *type =
	    json_string_value(json_object_get(json_object_get(s->settings, "backend"), "type"));

	if (type && strcmp(type, "local")) {
		lf_cli_error(cli,
		             "-lock=false: the %s backend keeps its journal and state consistent "
		             "only under its lock; run without -lock=false",
		             type);
		return LF_EXIT_ERROR;
	}
	lf_cli_log(cli, LF_LOG_WARN, "-lock=false: the state lock is not taken");
	return 0;
}

int lf_cli_parallelism(struct lf_cli *cli, int *out)
{
	const char *par = lf_cli_opt(cli, "parallelism");
	char *end = NULL;
	long n = par ? strtol(par, &end, 10) : 10;

	if ((par && (!*par || *end)) || n < 1 || n > 256)
		return lf_cli_usage_error(cli, "--parallelism takes a number from 1 to 256");
	*out = (int)n;
	return 0;
}

struct observe_progress {
	FILE *f;
	int tty;
};

static void observe_progress(size_t done, size_t total, void *arg)
{
	struct observe_progress *op = arg;

	if (op->tty && (done == total || done % 64 == 0)) {
		fprintf(op->f, "\r\033[KReading %zu of %zu recorded resources", done, total);
		fflush(op->f);
	}
}

/* After the reads: the progress line cleared, each error and each value
 * a provider could not interpret said.  LF_EXIT_OK or LF_EXIT_ERROR. */
static int report_observed(struct lf_cli *cli, const struct lf_observations *obs)
{
	if (isatty(fileno(cli->err)) && obs->n)
		fprintf(cli->err, "\r\033[K");
	for (size_t i = 0; i < obs->n; i++) {
		const char *k;
		json_t *v;
		if (obs->v[i].status == LF_OBS_ERROR)
			lf_cli_error(cli, "%s: %s", obs->v[i].address, obs->v[i].error);
		json_object_foreach (json_object_get(obs->v[i].attrs, "unknown"), k, v)
			fprintf(cli->err, "lakeform: warning: %s: %s\n", obs->v[i].address,
			        json_is_string(v) ? json_string_value(v) : k);
	}
	return obs->errors ? LF_EXIT_ERROR : LF_EXIT_OK;
}

int lf_cli_observe(struct lf_cli *cli, struct lf_session *s, int parallelism,
                   struct lf_observations *obs)
{
	struct observe_progress op = {cli->err, isatty(fileno(cli->err))};

	lf_session_observe(s, parallelism, observe_progress, &op, obs);
	return report_observed(cli, obs);
}

/* What was read folded into s->st when `rc` (of reading it) is
 * LF_EXIT_OK; else why the plan stops said.  `rc`. */
static int fold_or_say(struct lf_cli *cli, struct lf_session *s, const struct lf_observations *obs,
                       int rc)
{
	if (rc == LF_EXIT_OK)
		lf_session_fold(s, obs);
	else
		lf_cli_error(cli, "cannot plan without reading every resource; run with "
		                  "--refresh=false to plan from the recorded state alone");
	return rc;
}

int lf_cli_refresh_with(struct lf_cli *cli, struct lf_session *s, int parallelism,
                        struct lf_observations *obs)
{
	return fold_or_say(cli, s, obs, lf_cli_observe(cli, s, parallelism, obs));
}

int lf_cli_check_sso(struct lf_cli *cli, struct lf_session *s, struct lf_sso_cache *cache)
{
	struct lf_diags d = LF_DIAGS_INIT;
	const struct lf_resource *r = lf_sso_find(&s->m);
	int rc = LF_EXIT_OK;

	if (!r || !lf_json_path(r->value, "spec.oidc.issuer"))
		return LF_EXIT_OK;
	lf_cli_log(cli, LF_LOG_INFO, "sso: checking the discovery document of '%s'",
	           json_string_value(lf_json_path(r->value, "spec.oidc.issuer")));
	if (lf_sso_verify(&s->m, lf_sso_fetch_cached, cache, &d) != 0)
		rc = LF_EXIT_ERROR;
	if (d.n)
		lf_cli_print_diags(cli, &d);
	lf_diags_release(&d);
	return rc;
}

int lf_cli_sso_recorded_ok(struct lf_cli *cli, struct lf_session *s, struct lf_sso_cache *cache)
{
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_state_res *r = NULL;
	int ok;

	for (size_t i = 0; i < s->st.nres && !r; i++)
		if (s->st.res[i].type && !strcmp(s->st.res[i].type, "sso"))
			r = &s->st.res[i];
	if (!r)
		return 1;
	if (lf_state_res_parse(r) != 0 || !r->inputs)
		return 0;
	const char *issuer = json_string_value(lf_json_path(r->inputs, "spec.oidc.issuer"));
	if (!issuer)
		return 1; /* SAML */
	lf_cli_log(cli, LF_LOG_INFO, "sso: checking the discovery document of '%s'", issuer);
	ok = lf_sso_verify_value(r->inputs, lf_sso_fetch_cached, cache, &d) == 0 && d.n == 0;
	lf_diags_release(&d);
	return ok;
}

int lf_cli_refresh_for_plan(struct lf_cli *cli, struct lf_session *s, int parallelism,
                            struct lf_observations *obs)
{
	struct lf_diags d = LF_DIAGS_INIT;
	int rc;

	memset(obs, 0, sizeof(*obs));
	if (!lf_session_has_provider_records(s))
		return LF_EXIT_OK;
	if (lf_session_start_providers(s, &d) != 0) {
		lf_cli_session_error(cli, s, &d);
		rc = LF_EXIT_ERROR;
	} else {
		lf_cli_log_providers(cli, s);
		rc = lf_cli_refresh_with(cli, s, parallelism, obs);
	}
	lf_session_stop_providers(s);
	lf_diags_release(&d);
	return rc;
}

static void *refresh_main(void *arg)
{
	struct lf_cli_refresh *r = arg;
	struct observe_progress op = {r->err, r->tty};

	if (r->apply && lf_session_ready_providers_as(r->s, r->account, &r->d) != 0) {
		r->failed = 1;
		return NULL;
	}
	if (r->pick.n)
		lf_session_observe_picked(r->s, &r->pick, r->parallelism, observe_progress, &op,
		                          &r->obs);
	return NULL;
}

/* What begin and begin_apply share: the records to read picked, read in
 * copies, for the account the session names now. */
static void refresh_init(struct lf_cli *cli, struct lf_session *s, int parallelism,
                         struct lf_cli_refresh *r)
{
	memset(r, 0, sizeof(*r));
	r->begun = 1;
	r->d = (struct lf_diags)LF_DIAGS_INIT;
	r->s = s;
	r->parallelism = parallelism;
	r->err = cli->err;
	r->tty = isatty(fileno(cli->err));
	r->account = lf_xstrdup(lf_session_account(s));
	lf_observe_pick(&r->pick, &s->st);
	r->pick.copies = 1;
}

static void refresh_spawn(struct lf_cli_refresh *r)
{
	r->running = pthread_create(&r->thread, NULL, refresh_main, r) == 0;
	if (!r->running)
		refresh_main(r); /* no thread: here, at once */
}

/* The thread waited for and what begin made released; the providers
 * stopped when `stop`. */
static void refresh_done(struct lf_session *s, struct lf_cli_refresh *r, int stop)
{
	if (r->running)
		pthread_join(r->thread, NULL);
	if (stop)
		lf_session_stop_providers(s);
	lf_observations_release(&r->obs);
	lf_observe_pick_release(&r->pick);
	lf_diags_release(&r->d);
	free(r->account);
	memset(r, 0, sizeof(*r));
}

void lf_cli_refresh_begin_apply(struct lf_cli *cli, struct lf_session *s, int parallelism,
                                struct lf_cli_refresh *r)
{
	refresh_init(cli, s, parallelism, r);
	r->apply = 1;
	refresh_spawn(r);
}

void lf_cli_refresh_begin(struct lf_cli *cli, struct lf_session *s, int parallelism,
                          struct lf_cli_refresh *r)
{
	/* picked and started here: the thread reads those records alone,
	 * and changes none (a record it must parse, it parses in a copy) */
	refresh_init(cli, s, parallelism, r);
	if (!lf_session_has_provider_records(s))
		r->none = 1;
	else if (lf_session_start_providers(s, &r->d) != 0)
		r->failed = 1;
	else
		refresh_spawn(r);
}

int lf_cli_refresh_end(struct lf_cli *cli, struct lf_session *s, struct lf_cli_refresh *r,
                       struct lf_observations *obs)
{
	int rc = LF_EXIT_OK;

	memset(obs, 0, sizeof(*obs));
	if (r->running)
		pthread_join(r->thread, NULL);
	r->running = 0;
	if (r->failed) {
		lf_cli_session_error(cli, s, &r->d);
		rc = LF_EXIT_ERROR;
	} else if (!r->none) {
		/* what lf_cli_refresh_for_plan() says, in its order */
		lf_cli_log_providers(cli, s);
		*obs = r->obs;
		memset(&r->obs, 0, sizeof(r->obs));
		rc = fold_or_say(cli, s, obs, report_observed(cli, obs));
	}
	refresh_done(s, r, !r->apply && !r->none);
	return rc;
}

void lf_cli_refresh_cancel(struct lf_session *s, struct lf_cli_refresh *r)
{
	if (r->begun)
		refresh_done(s, r, !r->none);
}

int lf_cli_refresh_holds(struct lf_session *s, struct lf_cli_refresh *r)
{
	if (r->begun && strcmp(r->account, lf_session_account(s)))
		lf_cli_refresh_cancel(s, r);
	return r->begun;
}

void lf_cli_print_observed(struct lf_cli *cli, const struct lf_observations *obs)
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
