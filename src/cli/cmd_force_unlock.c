/*
 * lakeform force-unlock: remove a lock description left by a run that is
 * gone.  On the local backend the lock itself (an flock) ends with its
 * process, so what can be left behind is only the description; a lock held
 * by a live process cannot be taken away from it (exit status 3).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "state/state.h"

#define STATE_DIR ".lakeform"

static const struct lf_option options[] = {
    {"force", 0, NULL, "do not ask for confirmation"},
    {0},
};

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "(unknown)";
}

/* Ask on the terminal, as terraform force-unlock does; 1 for "yes". */
static int confirm(struct lf_cli *cli, const char *id)
{
	char answer[64];

	fprintf(cli->err,
	        "Do you really want to force-unlock?\n"
	        "  lakeform will remove the lock on the state in '%s':\n"
	        "  %s\n"
	        "  Only do this when the run that took it is gone: another run could\n"
	        "  then change the state at the same time.  Only 'yes' will be\n"
	        "  accepted to confirm.\n"
	        "\n"
	        "  Enter a value: ",
	        STATE_DIR, id);
	fflush(cli->err);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	answer[strcspn(answer, "\r\n")] = '\0';
	return !strcmp(answer, "yes");
}

static int run(struct lf_cli *cli)
{
	const char *id = cli->args[0];
	struct lf_session s;
	struct lf_backend *b;
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_lock_info info;
	int held, has, err, rc = LF_EXIT_ERROR;

	lf_cli_session_init(cli, &s);
	if (lf_cli_open_backend(cli, &s, &b) != LF_EXIT_OK) {
		lf_session_close(&s);
		return LF_EXIT_ERROR;
	}
	/* look first, so that nobody is asked to confirm something that
	 * cannot be done */
	has = lf_state_lock_read(b, &info, &held);
	if (has < 0) {
		lf_cli_error(cli, "cannot read the lock in '%s': %s", STATE_DIR,
		             lf_state_strerror(has));
		goto out;
	}
	if (!has) {
		lf_cli_error(cli, "the state is not locked");
		goto out;
	}
	if (strcmp(info.id, id)) {
		lf_cli_error(cli, "lock ID '%s' does not match the lock's ID '%s'", id, info.id);
		goto out;
	}
	/* a remote lock cannot tell whether its holder still runs: its lease
	 * says so at best, and removing it is what force-unlock is for */
	if (held && !lf_backend_is_remote(b)) {
		lf_cli_error(cli,
		             "the lock is held by process %ld (%s), which is still "
		             "running",
		             info.pid, or_unknown(info.who));
		lf_cli_print_lock_info(cli, &info);
		fprintf(cli->err, "A local lock ends with its process: wait for that run "
		                  "to end, or stop it.\n");
		rc = LF_EXIT_LOCKED;
		goto out;
	}
	if (!lf_cli_flag(cli, "force")) {
		if (!isatty(STDIN_FILENO)) {
			lf_cli_error(cli, "force-unlock asks for confirmation on a terminal; "
			                  "pass --force to remove the lock without asking");
			goto out;
		}
		if (!confirm(cli, id)) {
			lf_cli_error(cli, "force-unlock cancelled: the lock is left as it is");
			goto out;
		}
	}
	err = lf_state_force_unlock(b, id, &d);
	if (err < 0) {
		lf_cli_print_diags(cli, &d);
		rc = err == LF_STATE_ELOCKED ? LF_EXIT_LOCKED : LF_EXIT_ERROR;
		goto out;
	}
	fprintf(cli->out,
	        "lakeform: the lock '%s' is removed; the state can be "
	        "locked again\n",
	        id);
	rc = LF_EXIT_OK;
out:
	lf_diags_release(&d);
	lf_backend_free(b);
	lf_session_close(&s);
	return rc;
}

const struct lf_command lf_cmd_force_unlock = {
    .name = "force-unlock",
    .summary = "remove a lock left by a vanished run",
    .usage = "force-unlock [--force] ID",
    .description = "Remove the description of the state lock with the given ID, left by\n"
                   "a run that is gone.  The ID is the one printed by the run that found\n"
                   "the state locked.  On a terminal lakeform asks for confirmation\n"
                   "('yes'); elsewhere --force is needed.\n"
                   "\n"
                   "The local backend's lock (an flock on .lakeform/state.lock) is\n"
                   "released by the kernel when its process ends, however it ends, so a\n"
                   "lock held by a running process cannot be removed: force-unlock then\n"
                   "fails with exit status 3 and says which process holds it.\n"
                   "On the s3 backend the lock is an object with a lease: a run that\n"
                   "died leaves it until the lease ends (the next run then takes it\n"
                   "over); force-unlock removes it at once, whether or not its holder\n"
                   "still runs - make sure it does not.\n"
                   "Exit status: 0 removed, 1 error (no lock, another ID, not confirmed),\n"
                   "3 held by a live process, 64 usage.",
    .options = options,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
