/* lakeform cost and lakeform usage: the estimate, and what is really used. */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "core/cost.h"
#include "core/family.h"
#include "core/plan.h"

int lf_cli_plan_cost_made(struct lf_cli *cli, struct lf_plan *p, json_t *cost, struct lf_diags *d)
{
	int rc = d->errors ? LF_EXIT_ERROR : LF_EXIT_OK;

	p->cost = cost;
	if (d->n)
		lf_cli_print_diags(cli, d);
	lf_diags_release(d);
	return rc;
}

int lf_cli_plan_cost(struct lf_cli *cli, struct lf_session *s, struct lf_plan *p)
{
	struct lf_diags d = LF_DIAGS_INIT;
	json_t *cost = lf_cost_estimate(&s->m, &s->ds, &s->st, &d);

	return lf_cli_plan_cost_made(cli, p, cost, &d);
}

static int no_pricelist(struct lf_cli *cli)
{
	lf_cli_error(cli, "no PriceList is declared: lakeform prices only with the prices the "
	                  "manifests give (docs/usage.md, 'Price lists and budgets')");
	return LF_EXIT_ERROR;
}

static int run_cost(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_diags d = LF_DIAGS_INIT;
	json_t *cost = NULL;
	int rc;

	if (lf_cli_flag(cli, "json") && lf_cli_flag(cli, "markdown"))
		return lf_cli_usage_error(cli, "choose one of --json and --markdown");
	lf_cli_session_init(cli, &s);
	if ((rc = lf_cli_load_state(cli, &s)) != LF_EXIT_OK)
		goto out;
	if ((rc = lf_cli_load(cli, &s)) != LF_EXIT_OK)
		goto out;
	if ((rc = lf_cli_expand(cli, &s)) != LF_EXIT_OK)
		goto out;
	if (!lf_cost_has_pricelist(&s.m)) {
		rc = no_pricelist(cli);
		goto out;
	}
	cost = lf_cost_estimate(&s.m, &s.ds, &s.st, &d);
	if (lf_cli_flag(cli, "json")) {
		char *text = json_dumps(cost, JSON_INDENT(2) | JSON_SORT_KEYS);
		fprintf(cli->out, "%s\n", text);
		free(text);
	} else {
		struct lf_buf out = LF_BUF_INIT;
		if (lf_cli_flag(cli, "markdown"))
			lf_cost_render_markdown(&out, cost);
		else
			lf_cost_render_text(&out, cost);
		fwrite(lf_buf_cstr(&out), 1, out.len, cli->out);
		lf_buf_release(&out);
	}
	/* an exceeded budget is said on stderr as plan says it, and one
	 * that denies fails the command as it fails plan */
	if (d.n)
		lf_cli_print_diags(cli, &d);
	rc = d.errors ? LF_EXIT_ERROR : LF_EXIT_OK;
out:
	json_decref(cost);
	lf_diags_release(&d);
	lf_cli_session_close(cli, &s);
	return rc;
}

static const struct lf_option cost_options[] = {
    {"json", 0, NULL, "print the breakdown as JSON"},
    {"markdown", 0, NULL, "print the breakdown as a pull-request comment section"},
    {0},
};

const struct lf_command lf_cmd_cost = {
    .name = "cost",
    .summary = "estimate the monthly cost, before and after the manifests",
    .usage = "cost [--json | --markdown]",
    .description = "Estimate what the account costs a month with the manifests' PriceList:\n"
                   "per workspace, before (what the state records) and after (what the\n"
                   "manifests declare), the total, and each Budget.  The estimate is the\n"
                   "compute of node pools (nodes x CPUs x the CPU-hour price, plus nodes x\n"
                   "memory in GiB x the GiB-hour price, for 730 hours); storage and\n"
                   "requests are not estimated ('lakeform usage' measures storage).  A\n"
                   "workspace in a region the price list does not price is listed as\n"
                   "unpriced.  Reads no object; exit 1 when a budget with enforcement:\n"
                   "deny is exceeded, or without a PriceList.",
    .options = cost_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_cost,
};

static int run_usage(struct lf_cli *cli)
{
	struct lf_session s;
	json_t *measures = NULL, *usage = NULL;
	long deadline[LF_NFAMILIES];
	int rc;

	lf_cli_session_init(cli, &s);
	if ((rc = lf_cli_load_state(cli, &s)) != LF_EXIT_OK)
		goto out;
	if ((rc = lf_cli_load(cli, &s)) != LF_EXIT_OK)
		goto out;
	if (lf_session_has_provider_records(&s) && lf_session_start_providers(&s, &s.d) != 0) {
		lf_cli_session_error(cli, &s, &s.d);
		rc = LF_EXIT_ERROR;
		goto out;
	}
	for (int f = 0; f < LF_NFAMILIES; f++)
		deadline[f] = lf_session_provider_timeout(&s, f);
	measures = lf_usage_measure(&s.st, &s.pv, deadline);
	usage = lf_usage_price(&s.m, measures, &s.st, (long long)time(NULL));
	if (lf_cli_flag(cli, "json")) {
		char *text = json_dumps(usage, JSON_INDENT(2) | JSON_SORT_KEYS);
		fprintf(cli->out, "%s\n", text);
		free(text);
	} else {
		struct lf_buf out = LF_BUF_INIT;
		lf_usage_render_text(&out, usage);
		fwrite(lf_buf_cstr(&out), 1, out.len, cli->out);
		lf_buf_release(&out);
	}
	rc = LF_EXIT_OK;
out:
	json_decref(measures);
	json_decref(usage);
	lf_cli_session_close(cli, &s);
	return rc;
}

static const struct lf_option usage_options[] = {
    {"json", 0, NULL, "print the measures as JSON"},
    {0},
};

const struct lf_command lf_cmd_usage = {
    .name = "usage",
    .summary = "measure what each workspace really uses, priced",
    .usage = "usage [--json]",
    .description = "Ask the providers what each recorded workspace really uses: the bytes\n"
                   "and objects under its storage (its bucket or its prefix) and its\n"
                   "running nodes with their uptime; priced with the manifests' PriceList\n"
                   "when there is one (a month of the stored bytes and of the running\n"
                   "nodes, and the running nodes' uptime so far).  A provider that does\n"
                   "not answer 'usage' is named in a note, not an error.  Changes nothing.",
    .options = usage_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_usage,
};
