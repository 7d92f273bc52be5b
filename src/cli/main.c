/*
 * main.c - option parsing, --help, dispatch.
 *
 * Options may be written --name, --name=VALUE, --name VALUE, and with one
 * dash as Terraform users do (-out FILE, -auto-approve); one-letter options
 * as -C DIR.  Global options (-C, --git, --no-color, --verbose) may stand
 * before or after the command name.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "core/git.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif
#define LF_VERSION_TEXT LF_VERSION

const struct lf_command *const lf_commands[] = {
    &lf_cmd_init,         &lf_cmd_validate, &lf_cmd_plan,   &lf_cmd_apply, &lf_cmd_destroy,
    &lf_cmd_drift,        &lf_cmd_refresh,  &lf_cmd_import, &lf_cmd_state, &lf_cmd_show,
    &lf_cmd_providers,    &lf_cmd_graph,    &lf_cmd_access, &lf_cmd_serve, &lf_cmd_export,
    &lf_cmd_force_unlock, &lf_cmd_version,  &lf_cmd_cost,   &lf_cmd_usage, &lf_cmd_completion,
    &lf_cmd_complete,     &lf_cmd_man,
};
const size_t lf_ncommands = sizeof(lf_commands) / sizeof(lf_commands[0]);
#define commands lf_commands
#define NCOMMANDS lf_ncommands
#define global_options lf_global_options

const struct lf_option lf_global_options[] = {
    {"chdir", 'C', "DIR", "read the configuration in DIR (as if started there)"},
    {"git", 0, "REPO@REV[:PATH]", "read the manifests of a git commit (no checkout)"},
    {"var", 0, "NAME=VALUE", "set variable NAME, as LAKEFORM_VAR_NAME does (repeatable)"},
    {"var-file", 0, "FILE", "set variables from a YAML file of NAME: VALUE (repeatable)"},
    {"no-color", 0, NULL, "never colour the output"},
    {"verbose", 'v', NULL, "say more about what is happening"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

const char *lf_cli_opt(const struct lf_cli *cli, const char *name)
{
	for (int i = 0; cli->cmd->options && cli->cmd->options[i].name; i++)
		if (!strcmp(cli->cmd->options[i].name, name) && cli->opt_set[i])
			return cli->opt_value[i] ? cli->opt_value[i] : "";
	return NULL;
}

const char **lf_cli_opt_all(const struct lf_cli *cli, const char *name, size_t *n)
{
	for (int i = 0; cli->cmd->options && cli->cmd->options[i].name; i++)
		if (!strcmp(cli->cmd->options[i].name, name)) {
			*n = (size_t)cli->opt_set[i];
			return cli->opt_all[i];
		}
	*n = 0;
	return NULL;
}

int lf_cli_flag(const struct lf_cli *cli, const char *name)
{
	return lf_cli_bool(cli, name, 0);
}

int lf_cli_bool(const struct lf_cli *cli, const char *name, int dflt)
{
	const char *v = lf_cli_opt(cli, name);

	if (!v)
		return dflt;
	return strcmp(v, "false") != 0; /* --flag, --flag=true; --flag=false */
}

void lf_cli_error(struct lf_cli *cli, const char *fmt, ...)
{
	struct lf_buf raw = LF_BUF_INIT, msg = LF_BUF_INIT;
	va_list ap;

	/* what the message quotes (a provider's answer, a file) is shown with
	 * its control bytes escaped, not sent to the terminal */
	va_start(ap, fmt);
	lf_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	lf_buf_add_escaped(&msg, lf_buf_cstr(&raw), raw.len);
	fprintf(cli->err, "lakeform: error: %s\n", lf_buf_cstr(&msg));
	lf_buf_release(&raw);
	lf_buf_release(&msg);
}

size_t lf_cli_print_diags(struct lf_cli *cli, struct lf_diags *d)
{
	lf_diags_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		const struct lf_diag *e = &d->v[i];
		const char *sev = e->severity == LF_SEV_ERROR ? "error" : "warning";

		if (e->file && e->line)
			fprintf(cli->err, "lakeform: %s: %s:%u:%u: %s\n", sev, e->file, e->line,
			        e->col, e->msg);
		else if (e->file)
			fprintf(cli->err, "lakeform: %s: %s: %s\n", sev, e->file, e->msg);
		else
			fprintf(cli->err, "lakeform: %s: %s\n", sev, e->msg);
	}
	if (d->errors)
		fprintf(cli->err, "lakeform: %zu error%s\n", d->errors, d->errors == 1 ? "" : "s");
	return d->errors;
}

/* The commands that read manifests, and so take --git. */
static int reads_manifests(const struct lf_command *c)
{
	static const char *const names[] = {"validate", "plan",   "apply", "destroy", "drift",
	                                    "refresh",  "import", "graph", "export",  "access"};

	for (size_t i = 0; c && i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(c->name, names[i]))
			return 1;
	return 0;
}

/* `for_cmd`: a command's help, which lists --git only where it applies */
static void print_options(FILE *f, const struct lf_option *opts, const struct lf_command *for_cmd)
{
	for (int i = 0; opts && opts[i].name; i++) {
		struct lf_buf b = LF_BUF_INIT;

		if (for_cmd && opts == global_options &&
		    (!strcmp(opts[i].name, "git") || !strncmp(opts[i].name, "var", 3)) &&
		    !reads_manifests(for_cmd))
			continue;
		if (opts[i].short_name)
			lf_buf_addf(&b, "-%c, ", opts[i].short_name);
		lf_buf_addf(&b, "--%s", opts[i].name);
		if (opts[i].value)
			lf_buf_addf(&b, " %s", opts[i].value);
		fprintf(f, "  %-26s %s\n", lf_buf_cstr(&b), opts[i].help);
		lf_buf_release(&b);
	}
}

static void main_help(FILE *f)
{
	fprintf(f, "usage: lakeform [-C DIR] [--no-color] <command> [options] [args]\n\n"
	           "lakeform reconciles a lakehouse account (identities, workspaces,\n"
	           "metastores, catalogs and grants) with YAML manifests.\n\n"
	           "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!commands[i]->hidden)
			fprintf(f, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nglobal options:\n");
	print_options(f, global_options, NULL);
	fprintf(f, "\nenvironment:\n");
	for (size_t i = 0; lf_environment[i].name; i++)
		fprintf(f, "  %-26s %s\n", lf_environment[i].name, lf_environment[i].help);
	fprintf(f, "\nexit codes: 0 success, 1 error, 2 changes or drift found,\n"
	           "3 state locked by another run, 64 usage error.\n"
	           "'lakeform <command> --help' describes one command.\n");
}

static void command_help(FILE *f, const struct lf_command *c)
{
	fprintf(f, "usage: lakeform %s\n\n%s\n", c->usage, c->description);
	if (c->options && c->options[0].name) {
		fprintf(f, "\noptions:\n");
		print_options(f, c->options, NULL);
	}
	fprintf(f, "\nglobal options:\n");
	print_options(f, global_options, c);
}

static void vusage_error(const struct lf_command *c, const char *fmt, va_list ap)
{
	fputs("lakeform: usage error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (c)
		fprintf(stderr, "usage: lakeform %s\n(see 'lakeform %s --help')\n", c->usage,
		        c->name);
	else
		fprintf(stderr, "(see 'lakeform --help')\n");
}

static int usage_error(const struct lf_command *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const struct lf_command *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(c, fmt, ap);
	va_end(ap);
	return LF_EXIT_USAGE;
}

int lf_cli_usage_error(struct lf_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(cli->cmd, fmt, ap);
	va_end(ap);
	return LF_EXIT_USAGE;
}

static const struct lf_command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/*
 * Match `arg` (starting with '-') against `opts`.  Returns the index, -1 when
 * unknown.  *inline_value gets the text after '=' when present.
 */
static int match_option(const struct lf_option *opts, const char *arg, const char **inline_value)
{
	const char *name = arg + 1;
	size_t len;

	*inline_value = NULL;
	if (*name == '-')
		name++;
	const char *eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	for (int i = 0; opts && opts[i].name; i++) {
		int is_long =
		    strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len) && len > 1;
		int is_short = arg[1] != '-' && opts[i].short_name &&
		               name[0] == opts[i].short_name && (len == 1 || opts[i].value);
		if (is_long) {
			if (eq)
				*inline_value = eq + 1;
			return i;
		}
		if (is_short) {
			/* -CDIR as well as -C DIR */
			if (name[1])
				*inline_value = name + 1;
			return i;
		}
	}
	return -1;
}

/* Where the bundled schemas are, whichever way lakeform was installed. */
static char *find_schema_dir(const char *argv0)
{
	const char *env = getenv("LAKEFORM_SCHEMA_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return lf_xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		if (!realpath(argv0, exe))
			return lf_xstrdup("schemas");
		n = (ssize_t)strlen(exe);
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	/* installed: PREFIX/bin/lakeform and PREFIX/share/lakeform/schemas;
	 * in the source tree: build/bin/lakeform or build/san/bin/lakeform */
	static const char *const candidates[] = {
	    "%s/../share/lakeform/schemas",
	    "%s/../../schemas",
	    "%s/../../../schemas",
	};
	for (size_t i = 0; i < sizeof(candidates) / sizeof(*candidates); i++) {
		char *p = lf_xasprintf(candidates[i], exe);
		char *probe = lf_xasprintf("%s/Account.schema.json", p);
		int ok = access(probe, R_OK) == 0;
		free(probe);
		if (ok) {
			char *real = realpath(p, NULL);
			free(p);
			return real ? real : lf_xstrdup("schemas");
		}
		free(p);
	}
	return lf_xstrdup("schemas");
}

/*
 * Where the command name is in argv (0: none): the first word that is not
 * a global option or its value.
 */
static int command_index(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *inl;
		int idx;

		if (!strcmp(a, "--"))
			return 0;
		if (a[0] != '-' || !a[1])
			return find_command(a) ? i : 0;
		if ((idx = match_option(global_options, a, &inl)) >= 0) {
			if (global_options[idx].value && !inl)
				i++;
			continue;
		}
		return 0; /* -version, or an option before any command */
	}
	return 0;
}

/*
 * LAKEFORM_CLI_ARGS and LAKEFORM_CLI_ARGS_<command> (a '-' in the name
 * written '_'), as Terraform's TF_CLI_ARGS: their words go right after the
 * command name, the general ones first, so that the command line's own
 * options come last and win.  *argvp is replaced when any were added (the
 * new array and its words are in *owned, freed by free_words()).
 */
static int add_env_args(int *argcp, char ***argvp, char ***owned, size_t *nowned)
{
	int ci = command_index(*argcp, *argvp);
	char **words = NULL;
	size_t n = 0;
	const char *why = NULL;

	if (!ci)
		return 0;
	char *var = lf_xasprintf("LAKEFORM_CLI_ARGS_%s", (*argvp)[ci]);
	for (char *c = var; *c; c++)
		if (*c == '-')
			*c = '_';
	const char *names[2] = {"LAKEFORM_CLI_ARGS", var};
	for (int k = 0; k < 2; k++) {
		const char *v = getenv(names[k]);
		if (v && lf_cli_split_words(v, &words, &n, &why)) {
			fprintf(stderr, "lakeform: usage error: %s: %s\n", names[k], why);
			for (size_t i = 0; i < n; i++)
				free(words[i]);
			free(words);
			free(var);
			return LF_EXIT_USAGE;
		}
	}
	free(var);
	*owned = words;
	*nowned = n;
	if (!n)
		return 0;
	char **nv = lf_xcalloc((size_t)*argcp + n + 1, sizeof(*nv));
	int j = 0;
	for (int i = 0; i <= ci; i++)
		nv[j++] = (*argvp)[i];
	for (size_t i = 0; i < n; i++)
		nv[j++] = words[i];
	for (int i = ci + 1; i < *argcp; i++)
		nv[j++] = (*argvp)[i];
	*argcp = j;
	*argvp = nv;
	return 0;
}

static void free_words(char **words, size_t n, char **argv, char **orig)
{
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
	if (argv != orig)
		free(argv);
}

static void release(struct lf_cli *cli, char **args)
{
	for (int i = 0; i < LF_MAX_OPTS; i++)
		free(cli->opt_all[i]);
	free(cli->vars);
	free(args);
}

static int run_main(int argc, char **argv, struct lf_cli *clip);

int main(int argc, char **argv)
{
	struct lf_cli cli;
	char **orig = argv, **words = NULL;
	size_t nwords = 0;
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
#ifdef M_MMAP_THRESHOLD
	/* glibc maps a block of 128 KiB or more on its own and unmaps it when
	 * freed, but raises that threshold to the size of each such block
	 * freed (up to 32 MiB); after the megabytes of a large bucket policy's
	 * texts had come and gone, the next ones were carved from the heap and
	 * stayed there: an apply of 100,000 resources peaked 40 MiB higher.
	 * Set, the threshold stays where it is. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	memset(&cli, 0, sizeof(cli));
	cli.log_level = LF_LOG_OFF;
	if ((rc = add_env_args(&argc, &argv, &words, &nwords)) != 0)
		return rc;
	if ((rc = lf_cli_log_open(&cli)) != 0) {
		free_words(words, nwords, argv, orig);
		return rc;
	}
	{
		struct lf_buf line = LF_BUF_INIT;
		for (int i = 1; i < argc; i++)
			lf_buf_addf(&line, "%s%s", i > 1 ? " " : "", argv[i]);
		lf_cli_log(&cli, LF_LOG_INFO, "lakeform %s started: %s", LF_VERSION_TEXT,
		           lf_buf_cstr(&line));
		lf_buf_release(&line);
		if (nwords) {
			struct lf_buf added = LF_BUF_INIT;
			for (size_t i = 0; i < nwords; i++)
				lf_buf_addf(&added, "%s%s", i ? " " : "", words[i]);
			lf_cli_log(&cli, LF_LOG_DEBUG,
			           "LAKEFORM_CLI_ARGS added after the command name: %s",
			           lf_buf_cstr(&added));
			lf_buf_release(&added);
		}
	}
	rc = run_main(argc, argv, &cli);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lf_cli_log(&cli, LF_LOG_INFO, "exit status %d after %ld ms", rc,
	           (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	lf_cli_log_close(&cli);
	free_words(words, nwords, argv, orig);
	return rc;
}

static int run_main(int argc, char **argv, struct lf_cli *clip)
{
	struct lf_cli cli = *clip;
	const struct lf_command *cmd = NULL;
	char **args = lf_xcalloc((size_t)argc + 1, sizeof(*args));
	int want_help = 0, no_color = 0, only_args = 0, rc;
	char *schema_dir;
	const char *git_text = NULL;
	struct lf_git_spec git = LF_GIT_SPEC_INIT;

	cli.out = stdout;
	cli.err = stderr;
	const char *auto_env = getenv("LAKEFORM_IN_AUTOMATION");
	cli.automation = auto_env && *auto_env;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *inl;
		int idx;

		if (only_args || a[0] != '-' || !a[1]) {
			if (!cmd && !only_args) {
				cmd = find_command(a);
				if (!cmd) {
					release(&cli, args);
					return usage_error(NULL, "unknown command '%s'", a);
				}
				cli.cmd = cmd;
				continue;
			}
			args[cli.nargs++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if ((idx = match_option(global_options, a, &inl)) >= 0) {
			const char *name = global_options[idx].name;
			const char *val = inl;
			if (global_options[idx].value && !val) {
				if (i + 1 >= argc) {
					release(&cli, args);
					return usage_error(cmd, "option '%s' needs a value (%s)", a,
					                   global_options[idx].value);
				}
				val = argv[++i];
			} else if (!global_options[idx].value && inl) {
				release(&cli, args);
				return usage_error(cmd, "option '%s' takes no value", a);
			}
			if (!strcmp(name, "chdir"))
				cli.chdir = val;
			else if (!strcmp(name, "git"))
				git_text = val;
			else if (!strcmp(name, "var") || !strcmp(name, "var-file")) {
				cli.vars =
				    lf_xrealloc(cli.vars, (cli.nvars + 1) * sizeof(*cli.vars));
				cli.vars[cli.nvars].is_file = !strcmp(name, "var-file");
				cli.vars[cli.nvars++].text = val;
			} else if (!strcmp(name, "no-color"))
				no_color = 1;
			else if (!strcmp(name, "verbose"))
				cli.verbose = 1;
			else if (!strcmp(name, "help"))
				want_help = 1;
			continue;
		}
		if (a[1] != '-' && !strcmp(a, "-version") && !cmd) {
			cmd = &lf_cmd_version;
			cli.cmd = cmd;
			continue;
		}
		if (!strcmp(a, "--version") && !cmd) {
			cmd = &lf_cmd_version;
			cli.cmd = cmd;
			continue;
		}
		if (!cmd) {
			release(&cli, args);
			return usage_error(NULL, "unknown option '%s'", a);
		}
		if ((idx = match_option(cmd->options, a, &inl)) < 0) {
			release(&cli, args);
			return usage_error(cmd, "unknown option '%s' for '%s'", a, cmd->name);
		}
		const struct lf_option *o = &cmd->options[idx];
		if (o->value && !inl) {
			if (i + 1 >= argc) {
				release(&cli, args);
				return usage_error(cmd, "option '%s' needs a value (%s)", a,
				                   o->value);
			}
			inl = argv[++i];
		} else if (!o->value && inl) {
			/* --flag=true / --flag=false, as Terraform's -refresh=false */
			if (strcmp(inl, "true") && strcmp(inl, "false")) {
				release(&cli, args);
				return usage_error(cmd,
				                   "option '--%s' takes true or false, not '%s'",
				                   o->name, inl);
			}
		}
		cli.opt_all[idx] =
		    lf_xrealloc(cli.opt_all[idx], ((size_t)cli.opt_set[idx] + 1) * sizeof(char *));
		cli.opt_all[idx][cli.opt_set[idx]++] = inl;
		cli.opt_value[idx] = inl;
	}

	if (!cmd) {
		release(&cli, args);
		if (want_help) {
			main_help(stdout);
			return LF_EXIT_OK;
		}
		main_help(stderr);
		return LF_EXIT_USAGE;
	}
	if (want_help) {
		command_help(stdout, cmd);
		release(&cli, args);
		return LF_EXIT_OK;
	}
	if (cli.nargs < cmd->min_args || (cmd->max_args >= 0 && cli.nargs > cmd->max_args)) {
		release(&cli, args);
		if (cmd->max_args == 0)
			return usage_error(cmd, "'%s' takes no arguments", cmd->name);
		return usage_error(cmd, "wrong number of arguments for '%s'", cmd->name);
	}
	cli.args = args;
	if (git_text && !reads_manifests(cmd)) {
		release(&cli, args);
		return usage_error(cmd, "--git does not apply to '%s', which reads no manifests",
		                   cmd->name);
	}
	if (cli.nvars && !reads_manifests(cmd)) {
		release(&cli, args);
		return usage_error(cmd, "-var does not apply to '%s', which reads no manifests",
		                   cmd->name);
	}

	schema_dir = find_schema_dir(argv[0]);
	char exe_dir[PATH_MAX];
	ssize_t en = readlink("/proc/self/exe", exe_dir, sizeof(exe_dir) - 1);
	exe_dir[en > 0 ? en : 0] = '\0';
	char *slash = strrchr(exe_dir, '/');
	if (slash)
		*slash = '\0';
	cli.exe_dir = exe_dir;
	cli.schema_dir = schema_dir;
	/* the configuration directory holds .lakeform: reached through
	 * another user's link, its state and logs would be theirs to move */
	char *link = NULL;
	long owner = 0;
	if (cli.chdir && lf_foreign_symlink(&link, &owner, cli.chdir) == 1) {
		lf_cli_error(
		    &cli,
		    "cannot use '%s' as the configuration directory: '%s' is a symbolic "
		    "link owned by another user (uid %ld), which lakeform refuses to follow",
		    cli.chdir, link, owner);
		free(link);
		free(schema_dir);
		release(&cli, args);
		return LF_EXIT_ERROR;
	}
	if (cli.chdir && chdir(cli.chdir) != 0) {
		lf_cli_error(&cli, "cannot use '%s' as the configuration directory: %s", cli.chdir,
		             strerror(errno));
		free(schema_dir);
		release(&cli, args);
		return LF_EXIT_ERROR;
	}
	/* after -C: REPO is a path from the configuration directory, like
	 * every other path on the command line */
	if (git_text) {
		char *why = NULL;
		if (lf_git_spec_parse(&git, git_text, &why)) {
			rc = usage_error(cmd, "--git: %s", why);
			free(why);
			free(schema_dir);
			release(&cli, args);
			return rc;
		}
		cli.git = &git;
	}
	const char *nc = getenv("NO_COLOR");
	cli.color = !no_color && !(nc && *nc) && isatty(STDOUT_FILENO);

	rc = cmd->run(&cli);
	fflush(stdout);
	lf_git_spec_release(&git);
	free(schema_dir);
	release(&cli, args);
	return rc;
}
