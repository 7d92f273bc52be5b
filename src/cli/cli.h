/*
 * cli.h - the command table and what every command shares.
 *
 * Commands are data (as in libgit2's cli_cmds[] and tmux's cmd_entry): each
 * src/cli/cmd_<name>.c exports one struct lf_command with its name, summary,
 * option table and function; main.c parses options from the table and
 * generates --help from it.  Only the CLI prints and chooses exit codes.
 */
#ifndef LF_CLI_H
#define LF_CLI_H

#include <stdio.h>

#include "core/diag.h"
#include "core/overlay.h"

enum lf_exit {
	LF_EXIT_OK = 0,
	LF_EXIT_ERROR = 1,
	LF_EXIT_CHANGES = 2, /* plan --detailed-exitcode, drift found */
	LF_EXIT_LOCKED = 3,
	LF_EXIT_USAGE = 64,
};

#define LF_MAX_OPTS 24

struct lf_option {
	const char *name;  /* long name, written --name or -name */
	char short_name;   /* 0 when none */
	const char *value; /* name of its value ("DIR"), NULL for a flag */
	const char *help;
};

struct lf_cli;
struct lf_git_spec;

struct lf_command {
	const char *name;
	const char *summary; /* one line for `lakeform --help` */
	const char *usage;   /* after "usage: lakeform " */
	const char *description;
	const struct lf_option *options; /* ends with {0} */
	int min_args, max_args;          /* positional arguments; -1: any */
	int (*run)(struct lf_cli *cli);
	int hidden; /* a helper of completion and the build: not in --help */
};

/* The levels of LAKEFORM_LOG, most verbose first. */
enum lf_log_level {
	LF_LOG_TRACE = 1,
	LF_LOG_DEBUG,
	LF_LOG_INFO,
	LF_LOG_WARN,
	LF_LOG_ERROR,
	LF_LOG_OFF,
};

/* What main() parsed, handed to a command. */
struct lf_cli {
	const struct lf_command *cmd;
	const char *opt_value[LF_MAX_OPTS]; /* by index into cmd->options: the last */
	int opt_set[LF_MAX_OPTS];           /* how many times it was given */
	const char **opt_all[LF_MAX_OPTS];  /* every value, for repeatable ones */
	char **args;
	int nargs;
	const char *chdir;      /* -C DIR, already applied */
	const char *schema_dir; /* where the bundled schemas are */
	const char *exe_dir;    /* where lakeform is: its providers are beside it */
	int color;              /* stdout is a terminal and --no-color absent */
	int verbose;
	FILE *out, *err;
	const struct lf_git_spec *git; /* --git REPO@REV[:PATH], or NULL */
	int automation;                /* LAKEFORM_IN_AUTOMATION: no "next, run" hints */
	FILE *log;                     /* LAKEFORM_LOG's destination, or NULL */
	enum lf_log_level log_level;   /* what goes there */
	struct lf_var_arg *vars;       /* -var and -var-file, in order */
	size_t nvars;
};

/* The command table, in the order of --help (hidden ones last). */
extern const struct lf_command *const lf_commands[];
extern const size_t lf_ncommands;
extern const struct lf_option lf_global_options[];

/* The environment variables lakeform reads, for --help and the man page. */
struct lf_envvar {
	const char *name, *help;
};
extern const struct lf_envvar lf_environment[];

/*
 * Split `text` into words as a shell would (blanks between words; 'single'
 * and "double" quotes; a backslash escapes the next character), appending
 * copies to *words (*n of them, grown).  0, or -1 with *why (static words).
 */
int lf_cli_split_words(const char *text, char ***words, size_t *n, const char **why);

/* Open LAKEFORM_LOG's destination from the environment: 0, or
 * LF_EXIT_USAGE after saying why on stderr. */
int lf_cli_log_open(struct lf_cli *cli);
void lf_cli_log_close(struct lf_cli *cli);

/* A line of LAKEFORM_LOG at `level` (nothing when below the chosen one). */
void lf_cli_log(struct lf_cli *cli, enum lf_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Option lookup by long name; NULL/0 when not given. */
const char *lf_cli_opt(const struct lf_cli *cli, const char *name);
int lf_cli_flag(const struct lf_cli *cli, const char *name);
/* A flag that may be turned off: --x and --x=true are 1, --x=false 0,
 * absent `dflt` (plan --refresh=false). */
int lf_cli_bool(const struct lf_cli *cli, const char *name, int dflt);
/* Every value of an option given several times (--target A --target B);
 * borrowed, *n set to the count (0 when not given). */
const char **lf_cli_opt_all(const struct lf_cli *cli, const char *name, size_t *n);

/*
 * Print `d` to stderr as "lakeform: error: FILE:LINE:COL: message", sorted,
 * then "lakeform: N errors" when there were any.  Returns the error count.
 */
size_t lf_cli_print_diags(struct lf_cli *cli, struct lf_diags *d);

/* "lakeform: usage error: message", the command's usage line and where
 * its help is, on stderr; returns LF_EXIT_USAGE. */
int lf_cli_usage_error(struct lf_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "lakeform: error: message" on stderr. */
void lf_cli_error(struct lf_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct lf_plan;
/* Print a plan as text, or as --json / --markdown when the command has
 * those options set (cmd_plan.c).  Returns LF_EXIT_OK. */
int lf_cli_render_plan(struct lf_cli *cli, const struct lf_plan *p);

extern const struct lf_command lf_cmd_init, lf_cmd_providers, lf_cmd_completion, lf_cmd_complete,
    lf_cmd_man;
extern const struct lf_command lf_cmd_validate, lf_cmd_export, lf_cmd_version, lf_cmd_plan,
    lf_cmd_apply, lf_cmd_destroy, lf_cmd_drift, lf_cmd_refresh, lf_cmd_import, lf_cmd_state,
    lf_cmd_show, lf_cmd_force_unlock, lf_cmd_graph;
extern const struct lf_command lf_cmd_access;
extern const struct lf_command lf_cmd_cost, lf_cmd_usage;
extern const struct lf_command lf_cmd_serve;

#endif
