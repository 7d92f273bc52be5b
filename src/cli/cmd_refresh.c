/* lakeform refresh: record what the providers report. */
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/apply.h"

static int run(struct lf_cli *cli)
{
	struct lf_config c;
	struct lf_providers pv = {0};
	json_t *settings = NULL;
	size_t refreshed = 0, gone = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = lf_cli_open_for_write(cli, &c, "refresh", &settings, &pv);
	if (rc != LF_EXIT_OK)
		goto out;
	long timeout = lf_cli_provider_timeout(settings, "storage");
	if (lf_refresh(&c.st, c.backend, &pv, timeout, &refreshed, &gone, &c.d))
		rc = LF_EXIT_ERROR;
	if (c.d.n)
		lf_cli_print_diags(cli, &c.d);
	int werr = lf_state_write(c.backend, &c.st);
	if (werr) {
		lf_cli_error(cli, "cannot write the state: %s", lf_state_strerror(werr));
		rc = LF_EXIT_ERROR;
	}
	fprintf(cli->out, "Refreshed %zu resource%s; %zu no longer exist%s and %s forgotten.\n",
	        refreshed, refreshed == 1 ? "" : "s", gone, gone == 1 ? "s" : "",
	        gone == 1 ? "was" : "were");
out:
	lf_provider_stop(pv.storage, 5000);
	lf_provider_stop(pv.compute, 5000);
	if (c.backend)
		lf_state_unlock(c.backend);
	json_decref(settings);
	lf_config_release(&c);
	return rc;
}

static const struct lf_option options[] = {
    {"lock-timeout", 0, "DURATION", "wait this long for the state lock (30s, 2m)"},
    {0},
};

const struct lf_command lf_cmd_refresh = {
    .name = "refresh",
    .summary = "update recorded attributes from the providers",
    .usage = "refresh [--lock-timeout DURATION]",
    .description = "Read every recorded provider resource and record what the provider\n"
                   "reports: its attributes, and the fields it was applied with as they\n"
                   "are now, so that the next plan shows what changed behind lakeform's\n"
                   "back.  What no longer exists is forgotten (the next plan creates\n"
                   "it again).  Takes the state lock; changes nothing but the state.",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
