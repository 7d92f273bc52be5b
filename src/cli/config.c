#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdlib.h>

#include "core/apply.h"
#include "core/git.h"
#include "core/planner.h"
#include "core/provider.h"
#include "state/backend.h"
#include "util/mem.h"
#include "util/sha256.h"

int lf_config_load(struct lf_cli *cli, struct lf_config *c)
{
	if (lf_kinds_load(&c->kinds, cli->schema_dir, &c->d) != 0) {
		lf_cli_print_diags(cli, &c->d);
		return LF_EXIT_ERROR;
	}
	lf_cli_load_source(cli, &c->src, NULL, &c->d);
	if (cli->git && *cli->git->path)
		c->root_len = strlen(cli->git->path) + 1;
	if (c->src.nfiles == 0 && !c->d.errors)
		lf_diag_error(&c->d, NULL, "no manifests (*.yaml, *.yml) in this directory");
	lf_manifest_build(&c->m, &c->src, &c->kinds, &c->d);
	if (!c->d.errors)
		lf_manifest_check(&c->m, &c->d);
	if (c->d.errors) {
		lf_cli_print_diags(cli, &c->d);
		return LF_EXIT_ERROR;
	}
	return LF_EXIT_OK;
}

int lf_config_state(struct lf_cli *cli, struct lf_config *c)
{
	if (lf_cli_open_backend(cli, NULL, &c->backend) != LF_EXIT_OK)
		return LF_EXIT_ERROR;
	if (lf_state_load(&c->st, c->backend, 1, &c->d) != 0) {
		lf_cli_print_diags(cli, &c->d);
		return LF_EXIT_ERROR;
	}
	return LF_EXIT_OK;
}

int lf_config_expand(struct lf_cli *cli, struct lf_config *c)
{
	lf_planner_ignore_changes(&c->m, &c->st);
	if (lf_expand(&c->ds, &c->m, &c->d) != 0) {
		lf_cli_print_diags(cli, &c->d);
		return LF_EXIT_ERROR;
	}
	return LF_EXIT_OK;
}

void lf_config_digest(const struct lf_config *c, char out[65])
{
	struct lf_sha256 h;

	lf_sha256_init(&h);
	for (size_t i = 0; i < c->src.nfiles; i++) {
		const struct lf_source_file *f = &c->src.files[i];
		/* names from the configuration directory: a plan made with
		 * --git REPO@REV:PATH applies in a checkout of PATH */
		const char *name = strlen(f->path) > c->root_len ? f->path + c->root_len : f->path;
		lf_sha256_update(&h, name, strlen(name) + 1);
		lf_sha256_update(&h, f->data ? f->data : "", f->len);
	}
	unsigned char md[LF_SHA256_LEN];
	lf_sha256_final(&h, md);
	lf_sha256_hex(out, md);
}

void lf_config_release(struct lf_config *c)
{
#if !defined(__SANITIZE_ADDRESS__)
	/* The process ends right after: freeing a few hundred thousand values
	 * one by one costs a tenth of a large plan, and exit() frees it all.
	 * The sanitizer builds (the tests) free everything, so leaks still
	 * show. */
	if (1) {
		if (c->backend)
			lf_backend_free(c->backend); /* releases the lock */
		c->backend = NULL;
		return;
	}
#endif
	lf_desired_release(&c->ds);
	lf_manifest_release(&c->m);
	lf_state_release(&c->st);
	if (c->backend)
		lf_backend_free(c->backend);
	lf_source_release(&c->src);
	lf_kinds_release(&c->kinds);
	lf_diags_release(&c->d);
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

/*
 * "30s", "2m", "1m30s", "500ms", "1h", "0": as Terraform's -lock-timeout
 * (Go durations, whole numbers).  Returns 0 with *ms set, or -1.
 */
int lf_cli_parse_duration(const char *s, long *ms)
{
	long total = 0;

	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		long n = 0, unit;

		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (*s++ - '0');
			if (n > 100000000L)
				return -1;
		}
		if (!strncmp(s, "ms", 2)) {
			unit = 1;
			s += 2;
		} else if (*s == 's') {
			unit = 1000;
			s++;
		} else if (*s == 'm') {
			unit = 60 * 1000L;
			s++;
		} else if (*s == 'h') {
			unit = 3600 * 1000L;
			s++;
		} else {
			return -1;
		}
		total += n * unit;
		if (total > 7L * 24 * 3600 * 1000)
			return -1;
	}
	*ms = total;
	return 0;
}

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

/* Where `path` ("backend.key") is written in lakeform.yaml. */
struct settings_at {
	const struct lf_source *src;
	const struct lf_source_doc *doc;
};

static struct lf_pos settings_pos(void *arg, const char *path)
{
	struct settings_at *at = arg;

	return lf_source_path_pos(at->src, at->doc, path, (size_t)-1);
}

/* lakeform.yaml: the providers and their settings (defaults: local). */
/*
 * lakeform.yaml's shape: a mistake must not fall back silently to the
 * local providers.
 *   providers: {storage|compute: {name: NAME, settings: {...}, timeout: 30s}}
 *   backend: {type: local}
 */
static void check_settings(const struct lf_source *src, struct lf_diags *d)
{
	const struct lf_source_doc *doc = &src->docs[0];
	const char *key;
	json_t *v;

#define AT(path) lf_source_path_pos(src, doc, (path), (size_t)-1)
	json_object_foreach (doc->root, key, v) {
		if (strcmp(key, "providers") && strcmp(key, "backend")) {
			struct lf_pos p = AT(key);
			lf_diag_error(d, &p, "unknown setting '%s' (providers, backend)", key);
		}
	}
	json_t *backend = json_object_get(doc->root, "backend");
	if (backend) {
		struct settings_at at = {src, doc};
		lf_backend_check_settings(backend, settings_pos, &at, d);
	}
	json_t *providers = json_object_get(doc->root, "providers");
	if (providers && !json_is_object(providers)) {
		struct lf_pos p = AT("providers");
		lf_diag_error(d, &p, "providers must be a mapping of families (storage, compute)");
		return;
	}
	json_object_foreach (providers, key, v) {
		char path[64];
		snprintf(path, sizeof(path), "providers.%s", key);
		if (strcmp(key, "storage") && strcmp(key, "compute")) {
			struct lf_pos p = AT(path);
			lf_diag_error(d, &p, "unknown provider family '%s' (storage, compute)",
			              key);
			continue;
		}
		if (!json_is_object(v)) {
			struct lf_pos p = AT(path);
			lf_diag_error(d, &p, "%s must be a mapping with name, settings, timeout",
			              path);
			continue;
		}
		const char *k;
		json_t *f;
		json_object_foreach (v, k, f) {
			char fpath[96];
			snprintf(fpath, sizeof(fpath), "%s.%s", path, k);
			struct lf_pos p = AT(fpath);
			long ms;
			if (!strcmp(k, "name")) {
				const char *n = json_string_value(f);
				int ok = n && *n;
				for (const char *c = n; ok && *c; c++)
					ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
					     *c == '-' || *c == '_';
				if (!ok)
					lf_diag_error(
					    d, &p,
					    "%s: a provider name is lowercase letters, digits, '-' "
					    "and '_' (lakeform-provider-NAME)",
					    fpath);
			} else if (!strcmp(k, "settings")) {
				if (!json_is_object(f) && !json_is_null(f))
					lf_diag_error(d, &p, "%s must be a mapping", fpath);
			} else if (!strcmp(k, "timeout")) {
				if (!json_is_string(f) ||
				    lf_cli_parse_duration(json_string_value(f), &ms) || ms <= 0)
					lf_diag_error(
					    d, &p, "%s: write a duration such as 30s or 2m", fpath);
			} else {
				lf_diag_error(d, &p,
				              "unknown key '%s' in %s (name, settings, timeout)", k,
				              path);
			}
		}
	}
#undef AT
}

int lf_cli_read_settings(struct lf_cli *cli, json_t **out)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	int rc = 0;

	*out = NULL;
	if (cli->git) {
		/* lakeform.yaml of the same commit */
		if (lf_cli_load_settings_source(cli, &src, &d) == 0 && src.nfiles == 0) {
			*out = json_object();
			return 0;
		}
	} else {
		if (access("lakeform.yaml", F_OK) != 0) {
			*out = json_object();
			return 0;
		}
		lf_source_load(&src, "lakeform.yaml", &d);
	}
	if (!d.errors && (src.ndocs != 1 || !json_is_object(src.docs[0].root)))
		lf_diag_file_error(&d, src.files[0].path, "must hold one mapping of settings");
	if (!d.errors)
		check_settings(&src, &d);
	if (d.errors) {
		lf_cli_print_diags(cli, &d);
		rc = -1;
	} else {
		*out = json_incref(src.docs[0].root);
	}
	lf_diags_release(&d);
	lf_source_release(&src);
	return rc;
}

static char *find_provider(struct lf_cli *cli, const char *name)
{
	char *p = lf_xasprintf("%s/lakeform-provider-%s", cli->exe_dir, name);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	const char *path = getenv("PATH");
	char *copy = lf_xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *dir = copy, *next; dir; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = '\0';
		p = lf_xasprintf("%s/lakeform-provider-%s", *dir ? dir : ".", name);
		if (access(p, X_OK) == 0) {
			free(copy);
			return p;
		}
		free(p);
	}
	free(copy);
	return NULL;
}

/* providers.<family>.timeout in lakeform.yaml: the deadline of each call */
long lf_cli_provider_timeout(json_t *settings, const char *family)
{
	json_t *conf = json_object_get(json_object_get(settings, "providers"), family);
	const char *t = json_string_value(json_object_get(conf, "timeout"));
	long ms;

	if (t && lf_cli_parse_duration(t, &ms) == 0 && ms > 0)
		return ms;
	return 60000;
}

static const char *provider_name(json_t *settings, const char *family, char *defname, size_t size)
{
	json_t *conf = json_object_get(json_object_get(settings, "providers"), family);
	const char *name = json_string_value(json_object_get(conf, "name"));

	snprintf(defname, size, "local-%s", family);
	return name ? name : defname;
}

int lf_cli_launch_provider(struct lf_cli *cli, json_t *settings, const char *family,
                           struct lf_provider **out)
{
	char defname[32];
	const char *name = provider_name(settings, family, defname, sizeof(defname));
	struct lf_diags d = LF_DIAGS_INIT;

	*out = NULL;
	char *exe = find_provider(cli, name);
	if (!exe) {
		lf_cli_error(cli,
		             "no provider 'lakeform-provider-%s' beside lakeform or on PATH (%s "
		             "resources, lakeform.yaml providers.%s.name)",
		             name, family, family);
		return -1;
	}
	mkdir(".lakeform", 0700);
	mkdir(".lakeform/logs", 0700);
	char *log = lf_xasprintf(".lakeform/logs/%s.log", name);
	int rc = lf_provider_launch(out, exe, log, LF_VERSION, &d);
	free(exe);
	free(log);
	if (rc)
		lf_cli_print_diags(cli, &d);
	lf_diags_release(&d);
	return rc ? -1 : 0;
}

int lf_cli_ready_provider(struct lf_cli *cli, json_t *settings, const char *family,
                          const char *account, struct lf_provider *p)
{
	json_t *conf = json_object_get(json_object_get(settings, "providers"), family);
	char defname[32];
	const char *name = provider_name(settings, family, defname, sizeof(defname));
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_provider_error err;

	if (lf_provider_await(p, &d)) {
		lf_cli_print_diags(cli, &d);
		lf_diags_release(&d);
		return -1;
	}
	lf_diags_release(&d);
	if (lf_provider_configure(p, json_object_get(conf, "settings"), account, &err)) {
		lf_cli_error(cli, "provider '%s' refused its settings: %s (its log: %s)", name,
		             err.message, lf_provider_log(p));
		return -1;
	}
	return 0;
}

int lf_cli_start_provider(struct lf_cli *cli, json_t *settings, const char *family,
                          const char *account, struct lf_provider **out)
{
	if (lf_cli_launch_provider(cli, settings, family, out))
		return -1;
	return lf_cli_ready_provider(cli, settings, family, account, *out);
}

/* The account's name, for the providers' ownership labels. */
static const char *account_of(const struct lf_config *c)
{
	for (size_t i = 0; i < c->m.nres; i++)
		if (!strcmp(c->m.res[i].kind->name, "Account"))
			return c->m.res[i].name;
	return "";
}

/*
 * Lock the state, load it and the manifests, start the providers: what
 * refresh and import share.  Returns LF_EXIT_OK or the exit code.
 */
int lf_cli_open_for_write(struct lf_cli *cli, struct lf_config *c, const char *operation,
                          json_t **settings, struct lf_providers *pv)
{
	struct lf_lock_info mine, holder;
	long lock_ms = 0;
	const char *lt = lf_cli_opt(cli, "lock-timeout");

	if (lt && lf_cli_parse_duration(lt, &lock_ms))
		return lf_cli_usage_error(cli, "invalid duration '%s' for --lock-timeout", lt);
	if (lf_cli_read_settings(cli, settings))
		return LF_EXIT_ERROR;
	if (lf_cli_open_backend(cli, *settings, &c->backend) != LF_EXIT_OK)
		return LF_EXIT_ERROR;
	int lrc = lf_state_lock(c->backend, operation, lock_ms, &mine, &holder);
	if (lrc == LF_STATE_ELOCKED) {
		lf_cli_error(cli, "the state is locked by another run");
		lf_cli_print_lock_info(cli, &holder);
		return LF_EXIT_LOCKED;
	} else if (lrc) {
		lf_cli_error(cli, "cannot lock the state: %s", lf_state_strerror(lrc));
		return LF_EXIT_ERROR;
	}
	if (lf_state_load(&c->st, c->backend, 1, &c->d) != 0) {
		lf_cli_print_diags(cli, &c->d);
		return LF_EXIT_ERROR;
	}
	if (lf_config_load(cli, c) != LF_EXIT_OK)
		return LF_EXIT_ERROR;
	return lf_cli_start_providers(cli, c, *settings, pv);
}

int lf_cli_start_providers(struct lf_cli *cli, struct lf_config *c, json_t *settings,
                           struct lf_providers *pv)
{
	const char *account = account_of(c);

	/* both start at once: each spends most of its start-up on its own */
	if (lf_cli_launch_provider(cli, settings, "storage", &pv->storage) ||
	    lf_cli_launch_provider(cli, settings, "compute", &pv->compute) ||
	    lf_cli_ready_provider(cli, settings, "storage", account, pv->storage) ||
	    lf_cli_ready_provider(cli, settings, "compute", account, pv->compute))
		return LF_EXIT_ERROR;
	return LF_EXIT_OK;
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

int lf_cli_observe(struct lf_cli *cli, struct lf_config *c, json_t *settings,
                   const struct lf_providers *pv, int parallelism, struct lf_observations *obs)
{
	struct observe_progress op = {cli->err, isatty(fileno(cli->err))};
	long t1 = lf_cli_provider_timeout(settings, "storage");
	long t2 = lf_cli_provider_timeout(settings, "compute");

	lf_observe(obs, &c->st, pv, parallelism, t1 > t2 ? t1 : t2, observe_progress, &op);
	if (op.tty && obs->n)
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

/* The backend reads the environment through the front end. */
static const char *cli_getenv(void *arg, const char *name)
{
	(void)arg;
	return getenv(name);
}

int lf_cli_open_backend(struct lf_cli *cli, json_t *settings, struct lf_backend **out)
{
	struct lf_diags d = LF_DIAGS_INIT;
	json_t *own = NULL;
	int err;

	*out = NULL;
	if (!settings) {
		if (lf_cli_read_settings(cli, &own))
			return LF_EXIT_ERROR;
		settings = own;
	}
	err = lf_backend_open_settings(out, json_object_get(settings, "backend"), ".lakeform",
	                               cli_getenv, NULL, &d);
	json_decref(own);
	if (err)
		lf_cli_print_diags(cli, &d);
	lf_diags_release(&d);
	return err ? LF_EXIT_ERROR : LF_EXIT_OK;
}
