/* lakeform access: effective access of a principal, or on a securable. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/access.h"
#include "util/mem.h"

/* The privilege column is as wide as the longest privilege of the list. */
static int privilege_width(const struct lf_access_list *l)
{
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i].privilege) > w)
			w = strlen(l->v[i].privilege);
	return (int)w;
}

/*
 * Text: a heading per securable (asked about a principal) or per principal
 * (asked about a securable), then one line per privilege with the first way
 * it is held, and one indented line for each other way.
 */
static void print_text(struct lf_cli *cli, const struct lf_access_list *l)
{
	int w = privilege_width(l);
	const char *heading = NULL;

	if (!l->n) {
		fprintf(cli->out, "%s: %s\n", l->subject,
		        l->on_securable ? "no principal holds a privilege on it"
		                        : "holds no privilege");
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct lf_access_line *ln = &l->v[i];
		const char *h = l->on_securable ? ln->principal : ln->securable;
		if (!heading || strcmp(heading, h))
			fprintf(cli->out, "%s\n", h);
		heading = h;
		for (size_t k = 0; k < ln->nvia; k++) {
			char *t = lf_access_via_text(&ln->via[k], ln->principal, ln->securable);
			fprintf(cli->out, "  %-*s  %s\n", w, k ? "" : ln->privilege, t);
			free(t);
		}
	}
}

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_access *a = NULL;
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	const char *on = lf_cli_opt(cli, "on");
	int from_state = lf_cli_flag(cli, "state");
	char *error = NULL;
	int rc;

	if (!on && cli->nargs != 1)
		return lf_cli_usage_error(cli, "name a principal (user:NAME, group:NAME, "
		                               "service_principal:NAME) or a securable with --on");
	if (on && cli->nargs)
		return lf_cli_usage_error(cli, "give a principal or --on SECURABLE, not both");

	lf_cli_session_init(cli, &s);
	if (from_state) {
		rc = lf_cli_load_state(cli, &s);
		if (rc == LF_EXIT_OK && lf_kinds_load(&s.kinds, cli->schema_dir, &s.d) != 0) {
			lf_cli_print_diags(cli, &s.d);
			rc = LF_EXIT_ERROR;
		}
		if (rc == LF_EXIT_OK && !s.st.exists) {
			lf_cli_error(cli, "no state: nothing is applied yet (without --state, "
			                  "access reads the manifests)");
			rc = LF_EXIT_ERROR;
		}
		if (rc == LF_EXIT_OK)
			a = lf_access_from_state(&s.st, &s.kinds);
	} else {
		rc = lf_cli_load(cli, &s);
		if (rc == LF_EXIT_OK && lf_expand(&s.ds, &s.m, &s.d) != 0) {
			lf_cli_print_diags(cli, &s.d);
			rc = LF_EXIT_ERROR;
		}
		if (rc == LF_EXIT_OK)
			a = lf_access_from_desired(&s.m, &s.ds);
	}
	if (rc != LF_EXIT_OK)
		goto out;

	if ((on ? lf_access_securable(&l, a, on, &error)
	        : lf_access_principal(&l, a, cli->args[0], &error)) != 0) {
		lf_cli_error(cli, "%s", error);
		rc = LF_EXIT_ERROR;
		goto out;
	}
	if (lf_cli_flag(cli, "json")) {
		json_t *j = lf_access_json(&l, a);
		char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fprintf(cli->out, "%s\n", text);
		free(text);
		json_decref(j);
	} else {
		print_text(cli, &l);
	}
out:
	free(error);
	lf_access_list_release(&l);
	lf_access_free(a);
	lf_session_close(&s);
	return rc;
}

static const struct lf_option options[] = {
    {"on", 0, "SECURABLE", "who can do what on SECURABLE instead"},
    {"state", 0, NULL, "read what is applied (the state) instead of the manifests"},
    {"json", 0, NULL, "print JSON (docs/access.md)"},
    {0},
};

const struct lf_command lf_cmd_access = {
    .name = "access",
    .summary = "show effective access: of a principal, or on a securable",
    .usage = "access PRINCIPAL | --on SECURABLE [--state] [--json]",
    .description = "Print every privilege PRINCIPAL (user:NAME, group:NAME or\n"
                   "service_principal:NAME) holds, on every securable, resolved as Unity\n"
                   "Catalog resolves it: grants inherited down catalog -> schema -> table\n"
                   "or volume, ALL_PRIVILEGES expanded, nested group membership, ownership\n"
                   "and workspace assignment.  Each line says what it comes from: the grant\n"
                   "(address and FILE:LINE:COL), the owned securable or the workspace, the\n"
                   "securable it is given on when inherited, and the groups it comes\n"
                   "through.  With --on, every principal (groups and their members) holding\n"
                   "a privilege on SECURABLE: an address (catalog/main-use1/sales) or a\n"
                   "name (sales.raw.orders).  By default the manifests are read; with\n"
                   "--state, what the state records as applied.  docs/access.md has the\n"
                   "rules and the JSON format.",
    .options = options,
    .min_args = 0,
    .max_args = 1,
    .run = run,
};
