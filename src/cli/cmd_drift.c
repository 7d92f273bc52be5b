/*
 * lakeform drift: read every recorded resource and the account's labelled
 * objects under the state lock, compare them with the state and the
 * manifests (core/drift.h), and report: text, --json, --markdown, a
 * --report file, a --webhook.  Never writes the state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "core/drift.h"
#include "core/provider.h"
#include "core/render.h"
#include "core/sso.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/webhook.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

#define IGNORE_FILE ".lakeformignore"
#define MARKDOWN_MAX 65535

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* .lakeformignore of the configuration directory; absent is empty. */
static int read_ignore(struct lf_cli *cli, struct lf_ignore *ig, char **text, size_t *len)
{
	struct lf_diags d = LF_DIAGS_INIT;
	int err = lf_read_file(text, len, IGNORE_FILE, 1 << 20);

	if (err == -ENOENT) {
		*text = NULL;
		*len = 0;
		return 0;
	}
	if (err) {
		lf_cli_error(cli, "%s: cannot read it: %s", IGNORE_FILE, strerror(-err));
		return -1;
	}
	if (lf_ignore_parse(ig, *text, *len, IGNORE_FILE, &d)) {
		lf_cli_print_diags(cli, &d);
		lf_diags_release(&d);
		return -1;
	}
	lf_diags_release(&d);
	return 0;
}

/* A value on one line, cut to `max` bytes; "(absent)" for none. */
static char *show_value(json_t *v, size_t max)
{
	if (!v)
		return lf_xstrdup("(absent)");
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (s && strlen(s) > max) {
		s[max - 3] = '\0';
		char *t = lf_xasprintf("%s...", s);
		free(s);
		return t;
	}
	return s ? s : lf_xstrdup("?");
}

static char symbol(enum lf_drift_kind k)
{
	switch (k) {
	case LF_DRIFT_CHANGED:
		return '~';
	case LF_DRIFT_MISSING:
		return '-';
	case LF_DRIFT_UNMANAGED:
		return '?';
	case LF_DRIFT_NOT_APPLIED:
		return '+';
	case LF_DRIFT_NOT_DECLARED:
		return '!';
	}
	return ' ';
}

/* What a finding means, in words, after its address. */
static void describe(struct lf_buf *b, const struct lf_drift_finding *f)
{
	switch (f->kind) {
	case LF_DRIFT_CHANGED:
		lf_buf_addf(b, "changed outside lakeform");
		break;
	case LF_DRIFT_MISSING:
		lf_buf_addf(b, "missing: recorded, no longer exists");
		break;
	case LF_DRIFT_UNMANAGED:
		lf_buf_addf(b,
		            "unmanaged: %s '%s' carries this account's labels, no state records it",
		            f->type, f->id ? f->id : "");
		break;
	case LF_DRIFT_NOT_APPLIED:
		lf_buf_addf(b, "not applied: declared in the manifests, never applied");
		break;
	case LF_DRIFT_NOT_DECLARED:
		lf_buf_addf(b, "not declared: recorded, no longer in the manifests");
		break;
	}
}

static void summary_line(struct lf_buf *b, const struct lf_drift *dr)
{
	if (!lf_drift_found(dr) && dr->errors) {
		lf_buf_addf(b,
		            "No drift found, but the check is incomplete: %zu resource%s could not "
		            "be read",
		            dr->errors, plural(dr->errors, "", "s"));
	} else if (!lf_drift_found(dr)) {
		lf_buf_addf(
		    b, "No drift: the real objects match the recorded state and the manifests");
	} else {
		lf_buf_addf(
		    b,
		    "Drift: %zu changed, %zu missing, %zu unmanaged, %zu not applied, %zu not "
		    "declared",
		    dr->changed, dr->missing, dr->unmanaged, dr->not_applied, dr->not_declared);
	}
	lf_buf_addf(b, " (ignored: %zu).", dr->ignored);
}

static void share_line(struct lf_buf *b, const struct lf_drift *dr)
{
	size_t listed = dr->managed_objects + dr->unmanaged_objects;

	lf_buf_addf(b, "Read %zu recorded resource%s, %zu in sync", dr->checked,
	            plural(dr->checked, "", "s"), dr->in_sync);
	if (dr->errors)
		lf_buf_addf(b, ", %zu could not be read", dr->errors);
	if (listed)
		lf_buf_addf(b, "; lakeform manages %zu of %zu labelled objects (%.1f%%)",
		            dr->managed_objects, listed,
		            100.0 * (double)dr->managed_objects / (double)listed);
	lf_buf_addf(b, ".\n");
}

static void render_text(struct lf_buf *b, const struct lf_drift *dr)
{
	for (size_t i = 0; i < dr->n; i++) {
		const struct lf_drift_finding *f = &dr->v[i];
		if (f->ignored)
			continue;
		lf_buf_addf(b, "%c %s  ", symbol(f->kind), f->address);
		describe(b, f);
		lf_buf_addc(b, '\n');
		for (size_t k = 0; k < f->nfields; k++) {
			const struct lf_drift_field *fl = &f->fields[k];
			if (fl->ignored)
				continue;
			char *was = show_value(fl->recorded, 200), *now = show_value(fl->real, 200);
			lf_buf_addf(b, "    ~ %s: %s -> %s\n", fl->path, was, now);
			free(was);
			free(now);
		}
	}
	if (dr->n > dr->ignored)
		lf_buf_addc(b, '\n');
	summary_line(b, dr);
	lf_buf_addc(b, '\n');
	share_line(b, dr);
}

/* ---- --write-ignore ------------------------------------------------------- */

static int write_ignore(struct lf_cli *cli, const struct lf_drift *dr, const char *old,
                        size_t oldlen, const char *today)
{
	struct lf_buf b = LF_BUF_INIT;
	size_t added = 0;

	lf_buf_add(&b, old ? old : "", oldlen);
	if (oldlen && old[oldlen - 1] != '\n')
		lf_buf_addc(&b, '\n');
	lf_buf_addf(&b, "%s# baseline of 'lakeform drift --write-ignore', %s\n", oldlen ? "\n" : "",
	            today);
	for (size_t i = 0; i < dr->n; i++) {
		const struct lf_drift_finding *f = &dr->v[i];
		if (f->ignored)
			continue;
		if (f->kind == LF_DRIFT_CHANGED) {
			for (size_t k = 0; k < f->nfields; k++) {
				if (f->fields[k].ignored)
					continue;
				char *p = lf_ignore_pattern(f->address, f->fields[k].path);
				lf_buf_addf(&b, "%s\n", p);
				free(p);
				added++;
			}
		} else {
			char *p = lf_ignore_pattern(f->address, NULL);
			lf_buf_addf(&b, "%s\n", p);
			free(p);
			added++;
		}
	}
	if (!added) {
		lf_buf_release(&b);
		fprintf(cli->out, "Nothing to add to %s: no drift found.\n", IGNORE_FILE);
		return LF_EXIT_OK;
	}
	int err = lf_write_file_atomic(IGNORE_FILE, b.ptr, b.len, 0644);
	lf_buf_release(&b);
	if (err) {
		lf_cli_error(cli, "cannot write %s: %s", IGNORE_FILE, strerror(-err));
		return LF_EXIT_ERROR;
	}
	fprintf(cli->out, "Added %zu pattern%s to %s: drift ignores what it found today.\n", added,
	        plural(added, "", "s"), IGNORE_FILE);
	return LF_EXIT_OK;
}

/* ---- reading, under the lock ---------------------------------------------- */

static int post_webhook(struct lf_cli *cli, const char *url, const char *body)
{
	struct lf_webhook_opts o = {10000, 30000, 4, 500, "lakeform/" LF_VERSION};
	const char *b = getenv("LAKEFORM_WEBHOOK_BACKOFF_MS"); /* tests: not 3.5 s of waiting */
	char err[256];
	long status;
	int tries;

	if (b && *b)
		o.backoff_ms = strtol(b, NULL, 10);
	if (lf_webhook_post(url, body, strlen(body), &o, &status, &tries, err, sizeof(err))) {
		lf_cli_error(cli, "cannot post the report to the webhook: %s (%d attempt%s)", err,
		             tries, plural((size_t)tries, "", "s"));
		return LF_EXIT_ERROR;
	}
	return LF_EXIT_OK;
}

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_observations obs = {0};
	struct lf_ignore ig = LF_IGNORE_INIT;
	struct lf_drift dr = LF_DRIFT_INIT;
	struct lf_unmanaged *um = NULL;
	struct lf_listing *listing = NULL;
	struct lf_sso_cache sso = LF_SSO_CACHE_INIT;
	size_t num = 0, managed = 0, unlisted = 0, ignore_len = 0;
	char *ignore_text = NULL, *body = NULL;
	json_t *report = NULL;
	int parallelism, rc, read_rc, loaded = 1;
	const char *report_file = lf_cli_opt(cli, "report");
	const char *webhook = lf_cli_opt(cli, "webhook");
	int as_json = lf_cli_flag(cli, "json"), as_md = lf_cli_flag(cli, "markdown");
	int baseline = lf_cli_flag(cli, "write-ignore");

	lf_cli_session_init(cli, &s);
	if ((rc = lf_cli_parallelism(cli, &parallelism)) != 0)
		return rc;
	if (as_json + as_md + baseline > 1)
		return lf_cli_usage_error(cli, "--json, --markdown and --write-ignore exclude each "
		                               "other");
	if (webhook && strncmp(webhook, "http://", 7) && strncmp(webhook, "https://", 8))
		return lf_cli_usage_error(cli, "--webhook takes an http:// or https:// URL");
	if (read_ignore(cli, &ig, &ignore_text, &ignore_len)) {
		rc = LF_EXIT_ERROR;
		goto out;
	}

	/* the lock: never compare with a state an apply is halfway through */
	/* When the state records exactly these manifests, applied, the
	 * expansion would find nothing not applied or not declared: it is
	 * made only if an object changed (its ignore_changes are needed). */
	rc = lf_cli_open_for_write_lazy(cli, &s, "drift", &loaded);
	if (rc != LF_EXIT_OK)
		goto out;
	if (!loaded)
		lf_cli_log(cli, LF_LOG_DEBUG,
		           "drift: the state records these manifests (loaded only if an "
		           "object changed)");
	/* the labelled objects are listed while the recorded ones are read */
	listing = lf_list_start(&s.pv, lf_session_provider_timeout(&s, LF_FAMILY_DEFAULT));
	if (loaded && lf_cli_expand(cli, &s) != LF_EXIT_OK) {
		rc = LF_EXIT_ERROR;
		goto out;
	}
	read_rc = lf_cli_observe(cli, &s, parallelism, &obs);
	int listed = lf_list_finish(listing, &s.st, &um, &num, &managed, &unlisted, &s.d);
	listing = NULL;
	if (listed) {
		lf_cli_print_diags(cli, &s.d);
		read_rc = LF_EXIT_ERROR;
	}
	lf_session_stop_providers(&s);
	if (!loaded && obs.changed) {
		if (lf_cli_load(cli, &s) != LF_EXIT_OK || lf_cli_expand(cli, &s) != LF_EXIT_OK) {
			rc = LF_EXIT_ERROR;
			goto out;
		}
		loaded = 1;
	}
	/* the SSO provider: against the recorded document when the manifests
	 * are what the state records, unless it has something to say, which
	 * is said at the manifests' positions */
	if (!loaded && !lf_cli_sso_recorded_ok(cli, &s, &sso)) {
		if (lf_cli_load(cli, &s) != LF_EXIT_OK || lf_cli_expand(cli, &s) != LF_EXIT_OK) {
			rc = LF_EXIT_ERROR;
			goto out;
		}
		loaded = 1;
	}
	if (loaded && lf_cli_check_sso(cli, &s, &sso) != LF_EXIT_OK)
		read_rc = LF_EXIT_ERROR;

	struct lf_drift_input in = {
	    &s.st,    &obs, loaded ? &s.ds : NULL, loaded ? &s.m : NULL, um, num, managed,
	    unlisted, &ig};
	lf_drift_build(&dr, &in);

	char stamp[32], today[16];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	struct lf_drift_meta meta = {LF_VERSION,   stamp,       lf_session_commit(&s),
	                             s.st.lineage, s.st.serial, &obs};
	/* the state is read: let a waiting apply go on while we report */
	lf_session_unlock(&s);

	if (baseline) {
		rc = read_rc != LF_EXIT_OK ? read_rc
		                           : write_ignore(cli, &dr, ignore_text, ignore_len, today);
		goto out;
	}
	report = lf_drift_to_json(&dr, &meta);
	body = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);

	struct lf_buf text = LF_BUF_INIT;
	if (as_json) {
		fprintf(cli->out, "%s\n", body);
	} else if (as_md) {
		lf_drift_markdown(&text, &dr, &meta, cli->chdir ? cli->chdir : ".", MARKDOWN_MAX);
		fputs(lf_buf_cstr(&text), cli->out);
	} else {
		render_text(&text, &dr);
		fputs(lf_buf_cstr(&text), cli->out);
	}
	lf_buf_release(&text);

	rc = read_rc != LF_EXIT_OK ? read_rc : lf_drift_found(&dr) ? LF_EXIT_CHANGES : LF_EXIT_OK;
	if (report_file) {
		struct lf_buf doc = LF_BUF_INIT;
		lf_buf_addf(&doc, "%s\n", body);
		/* like a saved plan: it names the account's objects and their fields */
		int err = lf_write_file_atomic(report_file, doc.ptr, doc.len, 0600);
		lf_buf_release(&doc);
		if (err) {
			lf_cli_error(cli, "cannot write the report '%s': %s", report_file,
			             strerror(-err));
			rc = LF_EXIT_ERROR;
		}
	}
	if (webhook && post_webhook(cli, webhook, body) != LF_EXIT_OK)
		rc = LF_EXIT_ERROR;
out:
	if (listing) { /* given up: the lists end before their providers stop */
		struct lf_diags d = LF_DIAGS_INIT;
		lf_list_finish(listing, &s.st, &um, &num, &managed, &unlisted, &d);
		lf_diags_release(&d);
	}
	lf_sso_cache_release(&sso);
	free(body);
	json_decref(report);
	lf_drift_release(&dr);
	lf_unmanaged_release(um, num);
	lf_observations_release(&obs);
	lf_cli_session_close(cli, &s);
	lf_ignore_release(&ig);
	free(ignore_text);
	return rc;
}

static const struct lf_option options[] = {
    {"json", 0, NULL, "print the report as JSON (docs/drift-format.md)"},
    {"markdown", 0, NULL, "print the report as Markdown, for an issue or pull request"},
    {"report", 0, "FILE", "also write the JSON report to FILE (atomically)"},
    {"webhook", 0, "URL", "also POST the JSON report to URL (retried on 5xx)"},
    {"write-ignore", 0, NULL, "append what is found to .lakeformignore, as a baseline"},
    {"parallelism", 0, "N", "read up to N resources at once (default 10)"},
    {"lock-timeout", 0, "DURATION", "wait this long for the state lock (30s, 2m)"},
    {"lock", 0, NULL, "take the state lock (default; -lock=false: not, local backend only)"},
    {"input", 0, NULL, "accepted for Terraform's -input=false: never asks"},
    {0},
};

const struct lf_command lf_cmd_drift = {
    .name = "drift",
    .summary = "report what changed behind lakeform's back",
    .usage = "drift [--json | --markdown | --write-ignore] [--report FILE] [--webhook URL]\n"
             "       [--parallelism N] [--lock-timeout DURATION]",
    .description = "Read every recorded resource through its provider and every object\n"
                   "carrying this account's labels, and compare them with the recorded\n"
                   "state and the manifests.  Findings: changed (field by field, recorded\n"
                   "and real values), missing (recorded, gone), unmanaged (labelled, in no\n"
                   "state), not applied (declared, never applied) and not declared\n"
                   "(recorded, no longer declared).  .lakeformignore and the manifests'\n"
                   "metadata.lifecycle.ignore_changes say what is expected to drift:\n"
                   "those findings are counted as ignored.  Holds the state lock while\n"
                   "reading; never writes the state ('lakeform refresh' records).\n"
                   "An SSO document's OIDC provider is checked too: its discovery\n"
                   "document and key set against the manifest.\n"
                   "Exit status: 0 in sync, 2 drift found, 1 error (a resource that\n"
                   "could not be read, an SSO provider that disagrees, a report or\n"
                   "webhook that failed), 3 locked.",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
