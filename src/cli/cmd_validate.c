/* lakeform validate: every problem of a manifest set, with its position. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/expand.h"
#include "core/manifest.h"
#include "core/policy.h"
#include "core/source.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

static void print_summary(struct lf_cli *cli, const struct lf_manifest *m,
                          const struct lf_source *src)
{
	struct lf_buf b = LF_BUF_INIT;

	/* kinds in the order of DESIGN.md: account first, grants last */
	/* clang-format off */
	static const char *const order[] = {
	    "Account",   "User",      "Group",   "ServicePrincipal",
	    "Workspace", "Metastore", "Catalog", "Schema",
	    "Volume",    "Table",     "Grant",   "SSO",
	    "Policy", "ComputePolicy",
	    "PriceList", "Budget",
	};
	/* clang-format on */
	/* resources by kind (index in m->kinds), counted in one pass */
	size_t *by_kind = lf_xcalloc(m->kinds ? m->kinds->n + 1 : 1, sizeof(*by_kind));

	for (size_t j = 0; j < m->nres; j++)
		by_kind[m->res[j].kind - m->kinds->v]++;
	for (size_t i = 0; i < sizeof(order) / sizeof(*order); i++) {
		const struct lf_kind *k = m->kinds ? lf_kinds_find(m->kinds, order[i]) : NULL;
		size_t n = k ? by_kind[k - m->kinds->v] : 0;
		if (n)
			lf_buf_addf(&b, "%s%zu %s", b.len ? ", " : "", n, order[i]);
	}
	fprintf(cli->out, "valid: %zu resource%s in %zu file%s (%s)\n", m->nres,
	        m->nres == 1 ? "" : "s", src->nfiles, src->nfiles == 1 ? "" : "s",
	        b.len ? lf_buf_cstr(&b) : "none");
	lf_buf_release(&b);
	free(by_kind);
}

/*
 * The diagnostics in the shape of `terraform validate -json`: valid,
 * error_count, warning_count and one object per problem with severity,
 * summary, detail and, when it has a line, its range.
 */
static void print_json(struct lf_cli *cli, struct lf_diags *d)
{
	json_t *diags = json_array();

	lf_diags_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		const struct lf_diag *e = &d->v[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "severity",
		                      e->severity == LF_SEV_ERROR ? "error" : "warning", "summary",
		                      e->msg, "detail", "");
		if (e->file && e->line)
			json_object_set_new(
			    o, "range",
			    json_pack("{s:s, s:{s:i, s:i}, s:{s:i, s:i}}", "filename", e->file,
			              "start", "line", (json_int_t)e->line, "column",
			              (json_int_t)e->col, "end", "line", (json_int_t)e->line,
			              "column", (json_int_t)e->col + 1));
		else if (e->file)
			json_object_set_new(o, "detail", json_pack("s", e->file));
		json_array_append_new(diags, o);
	}
	json_t *j = json_pack("{s:s, s:b, s:i, s:i, s:o}", "format_version", "1.0", "valid",
	                      d->errors == 0, "error_count", (json_int_t)d->errors, "warning_count",
	                      (json_int_t)d->warnings, "diagnostics", diags);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fprintf(cli->out, "%s\n", text);
	free(text);
	json_decref(j);
}

/* The policies, over the expansion too when a rule or a compute policy
 * looks at provider resources (no state: as a first plan would expand). */
static void check_policies(const struct lf_manifest *m, struct lf_diags *d)
{
	struct lf_policies p = LF_POLICIES_INIT;
	struct lf_desired ds = LF_DESIRED_INIT;

	if (lf_policies_load(&p, m, d) == 0) {
		int expanded = lf_policies_need_expansion(&p) && lf_expand(&ds, m, d) == 0;
		lf_policies_check(&p, m, expanded ? &ds : NULL, NULL, d);
	}
	lf_desired_release(&ds);
	lf_policies_release(&p);
}

static int run(struct lf_cli *cli)
{
	struct lf_source src = LF_SOURCE_INIT;
	struct lf_kinds kinds = LF_KINDS_INIT;
	struct lf_manifest m = LF_MANIFEST_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	const char *path = cli->nargs ? cli->args[0] : ".";
	struct lf_session s;
	int rc = LF_EXIT_OK;

	if (cli->git && cli->nargs)
		return lf_cli_usage_error(cli, "with --git the directory is named in "
		                               "REPO@REV:PATH, not as an argument");

	if (lf_kinds_load(&kinds, cli->schema_dir, &d) != 0) {
		if (lf_cli_flag(cli, "json"))
			print_json(cli, &d);
		else
			lf_cli_print_diags(cli, &d);
		rc = LF_EXIT_ERROR;
		goto out;
	}
	lf_cli_session_init(cli, &s);
	src.no_content = 1; /* no inputs cache to compare with */
	lf_session_load_source(&s, &src, cli->nargs ? path : NULL, &d);
	if (src.nfiles == 0 && !d.errors)
		lf_diag_error(&d, NULL, "no manifests (*.yaml, *.yml) in '%s'", path);
	/* lakeform.yaml (of the directory validated) may add the regions of a
	 * private cloud */
	if (!d.errors &&
	    lf_session_settings_in(&s, cli->nargs && lf_is_dir(path) > 0 ? path : ".", &d) == 0)
		lf_kinds_add_regions(&kinds, json_object_get(s.settings, "regions"));
	lf_session_close(&s);
	lf_manifest_build(&m, &src, &kinds, &d);
	/* cross-document rules only make sense over a set that loaded whole */
	if (!d.errors)
		lf_manifest_check(&m, &d);
	if (!d.errors)
		check_policies(&m, &d);
	if (lf_cli_flag(cli, "json")) {
		print_json(cli, &d);
		rc = d.errors ? LF_EXIT_ERROR : LF_EXIT_OK;
	} else if (lf_cli_print_diags(cli, &d))
		rc = LF_EXIT_ERROR;
	else
		print_summary(cli, &m, &src);
out:
#if !defined(__SANITIZE_ADDRESS__) && !defined(LF_SESSION_FREE_ALL)
	/* The process ends right after (lf_session_close() says why the model
	 * is not freed value by value: here a tenth of validate's time) */
	if (1) {
		fflush(cli->out);
		return rc;
	}
#endif
	lf_manifest_release(&m);
	lf_kinds_release(&kinds);
	lf_source_release(&src);
	lf_diags_release(&d);
	return rc;
}

static const struct lf_option options[] = {
    {"json", 0, NULL, "print the result as JSON in Terraform's validate shape"},
    {0},
};

const struct lf_command lf_cmd_validate = {
    .name = "validate",
    .summary = "check the manifests and report every problem",
    .usage = "validate [--json] [PATH]",
    .description = "Read the manifests of PATH (a file or a directory tree; the\n"
                   "configuration directory by default), check each document against\n"
                   "its kind's schema and every rule that spans documents: one account,\n"
                   "unique names, references, regions, networks, principals, privileges\n"
                   "and cycles.  Every problem is listed as FILE:LINE:COL: message, then\n"
                   "a count, and the exit status is 1.  A valid set prints a one-line\n"
                   "summary of its resources by kind and exits 0.  Nothing is changed.\n"
                   "With --json, the result in the shape of 'terraform validate -json'\n"
                   "on standard output: valid, error_count, warning_count, and\n"
                   "diagnostics with severity, summary, detail and range (filename,\n"
                   "start and end line and column); the exit status is the same.",
    .options = options,
    .min_args = 0,
    .max_args = 1,
    .run = run,
};
