/*
 * lakeform init: make the configuration directory ready, as Terraform's
 * init does: check lakeform.yaml, reach the state backend (creating nothing
 * remote), start each provider once for its name and version, create
 * .lakeform/ and say what to keep out of git.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "core/family.h"
#include "core/provider.h"
#include "core/source.h"
#include "state/backend.h"
#include "util/fs.h"
#include "util/mem.h"

/* "VALUE" of -backend-config KEY=VALUE: true, false and integers as such
 * (durable=false, max_attempts=3), anything else a string. */
static json_t *scalar(const char *v)
{
	char *end = NULL;
	long long n;

	if (!strcmp(v, "true") || !strcmp(v, "false"))
		return json_boolean(!strcmp(v, "true"));
	if (*v && (*v != '0' || !v[1])) {
		n = strtoll(v, &end, 10);
		if (!*end && errno != ERANGE)
			return json_integer(n);
	}
	return json_string(v);
}

/* Every -backend-config, in order: KEY=VALUE, or a file holding a mapping
 * of backend settings (YAML or JSON).  NULL after saying why. */
static json_t *backend_overrides(struct lf_cli *cli, int *rc)
{
	size_t n;
	const char **given = lf_cli_opt_all(cli, "backend-config", &n);
	json_t *all = json_object();

	*rc = LF_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(given[i], '=');
		if (eq && eq != given[i] && access(given[i], F_OK) != 0) {
			char *key = lf_xstrdup(given[i]);
			key[eq - given[i]] = '\0';
			errno = 0;
			json_object_set_new(all, key, scalar(eq + 1));
			free(key);
			continue;
		}
		struct lf_source src = LF_SOURCE_INIT;
		struct lf_diags d = LF_DIAGS_INIT;
		if (access(given[i], F_OK) != 0) {
			lf_cli_error(
			    cli, "-backend-config '%s': neither KEY=VALUE nor a file that exists",
			    given[i]);
			*rc = LF_EXIT_ERROR;
		} else if (lf_source_load(&src, given[i], &d) != 0) {
			lf_cli_print_diags(cli, &d);
			*rc = LF_EXIT_ERROR;
		} else if (src.ndocs != 1 || !json_is_object(src.docs[0].root)) {
			lf_cli_error(
			    cli, "-backend-config %s: must hold one mapping of backend settings",
			    given[i]);
			*rc = LF_EXIT_ERROR;
		} else {
			json_object_update(all, src.docs[0].root);
		}
		lf_source_release(&src);
		lf_diags_release(&d);
		if (*rc) {
			json_decref(all);
			return NULL;
		}
	}
	return all;
}

/* Whether .gitignore has a line ignoring .lakeform/ at the top. */
static int gitignore_has_lakeform(void)
{
	FILE *f = fopen(".gitignore", "r");
	char line[512];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		found = !strcmp(line, ".lakeform") || !strcmp(line, ".lakeform/") ||
		        !strcmp(line, "/.lakeform") || !strcmp(line, "/.lakeform/");
	}
	fclose(f);
	return found;
}

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_backend *b = NULL;
	struct lf_state st = LF_STATE_INIT;
	int rc = LF_EXIT_ERROR, rc2;
	json_t *overrides = backend_overrides(cli, &rc2);
	int existed = lf_is_dir(".lakeform") > 0;

	if (!overrides)
		return rc2;
	lf_cli_session_init(cli, &s);
	/* the overrides given now, not those of an earlier init */
	s.opts.backend_config = json_object_size(overrides) ? overrides : NULL;
	s.opts.backend_config_source = "-backend-config";

	/* lakeform.yaml */
	if (lf_session_settings(&s, &d)) {
		lf_cli_print_diags(cli, &d);
		goto out;
	}
	if (access("lakeform.yaml", F_OK) == 0 || cli->git)
		fprintf(cli->out, "lakeform.yaml: valid\n");
	else
		fprintf(cli->out, "lakeform.yaml: none here; the defaults apply\n");

	/* .lakeform/, where the providers' logs and the local state go */
	int err = lf_mkdirs_nofollow(AT_FDCWD, ".lakeform", 0700);
	if (err) {
		lf_cli_error(cli, "cannot create .lakeform/: %s", strerror(-err));
		goto out;
	}

	/* the backend: opened and read, nothing created remote */
	if (lf_cli_open_backend(cli, &s, &b) != LF_EXIT_OK)
		goto out;
	const char *type =
	    json_string_value(json_object_get(json_object_get(s.settings, "backend"), "type"));
	if (lf_state_load(&st, b, 1, &d) != 0) {
		lf_cli_print_diags(cli, &d);
		lf_cli_error(cli, "cannot read the state of the %s backend", type ? type : "local");
		goto out;
	}
	lf_cli_log(cli, LF_LOG_INFO, "init: the %s backend read (%zu records)",
	           type ? type : "local", st.nres);
	if (st.exists)
		fprintf(cli->out, "backend: %s, state of %zu resource%s (serial %llu)\n",
		        type ? type : "local", st.nres, st.nres == 1 ? "" : "s",
		        (unsigned long long)st.serial);
	else
		fprintf(cli->out, "backend: %s, no state yet (the first apply writes it)\n",
		        type ? type : "local");

	/* the providers, started for their answer to initialize */
	if (lf_session_initialize_providers(&s, &d)) {
		lf_cli_session_error(cli, &s, &d);
		goto out;
	}
	for (int f = 0; f < LF_NFAMILIES; f++) {
		struct lf_provider *p = lf_session_provider(&s, f);
		if (!p)
			continue; /* an optional family lakeform.yaml does not configure */
		const char *v = lf_provider_version(p);
		fprintf(cli->out, "provider %s: %s %s\n", lf_families[f].name, lf_provider_name(p),
		        v ? v : "(no version reported)");
	}
	lf_cli_log_providers(cli, &s);

	/* what init was given is what later runs use; none: none */
	if (s.opts.backend_config) {
		char *text = json_dumps(overrides, JSON_INDENT(1) | JSON_SORT_KEYS);
		err = lf_write_file_atomic(LF_CLI_BACKEND_CONFIG, text, strlen(text), 0600);
		free(text);
		if (err) {
			lf_cli_error(cli, "cannot write %s: %s", LF_CLI_BACKEND_CONFIG,
			             strerror(-err));
			goto out;
		}
		fprintf(cli->out, "backend settings from -backend-config kept in %s\n",
		        LF_CLI_BACKEND_CONFIG);
	} else if (unlink(LF_CLI_BACKEND_CONFIG) == 0) {
		fprintf(cli->out, "backend settings of an earlier -backend-config dropped\n");
	}

	fprintf(cli->out, "%s .lakeform/\n", existed ? "kept" : "created");
	if (!gitignore_has_lakeform()) {
		fprintf(cli->out, "\nAdd this line to .gitignore: .lakeform/\n");
		if (!type || !strcmp(type, "local"))
			fprintf(
			    cli->out,
			    "(with the local backend the state is in .lakeform/: keep it out of "
			    "git\nand backed up, or share it through the s3 backend)\n");
	}
	fprintf(cli->out, "\nlakeform is initialized.\n");
	if (!cli->automation)
		fprintf(cli->out, "Next, run 'lakeform plan' to see what apply would change.\n");
	rc = LF_EXIT_OK;
out:
	lf_state_release(&st);
	if (b)
		lf_backend_free(b);
	lf_diags_release(&d);
	lf_cli_session_close(cli, &s);
	json_decref(overrides);
	return rc;
}

static const struct lf_option options[] = {
    {"backend-config", 0, "KEY=VALUE|FILE", "override a backend setting (repeatable)"},
    {"input", 0, NULL, "accepted for Terraform's -input=false: init never asks"},
    {0},
};

const struct lf_command lf_cmd_init = {
    .name = "init",
    .summary = "check the configuration, reach the backend and the providers",
    .usage = "init [-backend-config KEY=VALUE | -backend-config FILE]...",
    .description = "Prepare the configuration directory for plan and apply: check\n"
                   "lakeform.yaml, open the state backend and read its state (nothing\n"
                   "is created there), start each provider once and print its name and\n"
                   "version (checked against providers.NAME.version), create .lakeform/\n"
                   "and say what to add to .gitignore.  Anything missing (a provider, a\n"
                   "backend's bucket, a key) is an error with the reason: exit 1.\n"
                   "-backend-config KEY=VALUE sets backend.KEY; -backend-config FILE\n"
                   "reads a YAML or JSON mapping of backend settings.  They override\n"
                   "lakeform.yaml's backend and are kept in .lakeform/backend-config.json\n"
                   "for every later run; an init without them drops that file.",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
