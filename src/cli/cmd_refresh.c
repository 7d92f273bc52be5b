/* lakeform refresh: record what the providers report. */
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/refresh.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Objects carrying lakeform's labels that no state records. */
static int report_unmanaged(struct lf_cli *cli, struct lf_session *s)
{
	struct lf_unmanaged *u = NULL;
	size_t n = 0, managed = 0, unlisted = 0;

	if (lf_list_unmanaged(&s->st, &s->pv, lf_session_provider_timeout(s, LF_FAMILY_DEFAULT), &u,
	                      &n, &managed, &unlisted, &s->d)) {
		lf_cli_print_diags(cli, &s->d);
		lf_unmanaged_release(u, n);
		return LF_EXIT_ERROR;
	}
	if (n) {
		fprintf(cli->out,
		        "\n%zu unmanaged object%s carr%s lakeform's labels but no state records "
		        "%s:\n",
		        n, plural(n, "", "s"), plural(n, "ies", "y"), plural(n, "it", "them"));
		for (size_t i = 0; i < n; i++)
			fprintf(cli->out, "  %s '%s' (labelled %s)\n", u[i].type, u[i].id,
			        u[i].address);
		if (!cli->automation)
			fprintf(cli->out,
			        "Import one with 'lakeform import ADDR ID', or delete it.\n");
	}
	lf_unmanaged_release(u, n);
	return LF_EXIT_OK;
}

static int run(struct lf_cli *cli)
{
	struct lf_session s;
	struct lf_observations obs = {0};

	int parallelism, rc;

	if ((rc = lf_cli_parallelism(cli, &parallelism)) != 0)
		return rc;
	lf_cli_session_init(cli, &s);
	rc = lf_cli_open_for_write(cli, &s, "refresh");
	if (rc != LF_EXIT_OK)
		goto out;
	rc = lf_cli_observe(cli, &s, parallelism, &obs);
	/* what could be read is recorded, even when some could not */
	if (lf_observations_record(&obs, &s.st, s.backend, &s.d)) {
		lf_cli_print_diags(cli, &s.d);
		rc = LF_EXIT_ERROR;
	}
	int werr = lf_state_write(s.backend, &s.st);
	if (werr) {
		lf_cli_error(cli, "cannot write the state: %s", lf_state_strerror(werr));
		rc = LF_EXIT_ERROR;
	}
	fprintf(cli->out, "Read %zu resource%s: %zu as recorded, %zu changed outside lakeform",
	        obs.n - obs.errors, plural(obs.n - obs.errors, "", "s"), obs.same, obs.changed);
	if (obs.gone)
		fprintf(cli->out, ", %zu no longer exist%s and %s forgotten", obs.gone,
		        plural(obs.gone, "s", ""), plural(obs.gone, "was", "were"));
	if (obs.errors)
		fprintf(cli->out, ", %zu could not be read", obs.errors);
	fprintf(cli->out, ".\n");
	for (size_t i = 0; i < obs.n; i++) {
		if (obs.v[i].status == LF_OBS_CHANGED)
			fprintf(cli->out, "  changed: %s\n", obs.v[i].address);
		else if (obs.v[i].status == LF_OBS_GONE)
			fprintf(cli->out, "  gone:    %s\n", obs.v[i].address);
	}
	if (report_unmanaged(cli, &s) != LF_EXIT_OK)
		rc = LF_EXIT_ERROR;
out:
	lf_observations_release(&obs);
	lf_cli_session_close(cli, &s);
	return rc;
}

static const struct lf_option options[] = {
    {"parallelism", 0, "N", "read up to N resources at once (default 10)"},
    {"lock-timeout", 0, "DURATION", "wait this long for the state lock (30s, 2m)"},
    {"lock", 0, NULL, "take the state lock (default; -lock=false: not, local backend only)"},
    {"input", 0, NULL, "accepted for Terraform's -input=false: never asks"},
    {0},
};

const struct lf_command lf_cmd_refresh = {
    .name = "refresh",
    .summary = "update recorded attributes from the providers",
    .usage = "refresh [--parallelism N] [--lock-timeout DURATION]",
    .description = "Read every recorded provider resource and record what the provider\n"
                   "reports: its attributes, and the fields it was applied with as they\n"
                   "are now, so that the next plan shows what changed behind lakeform's\n"
                   "back.  What no longer exists is forgotten (the next plan creates it\n"
                   "again).  Then ask the providers for every object carrying this\n"
                   "account's labels and list those no state records (unmanaged).\n"
                   "Takes the state lock; changes nothing but the state.",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
