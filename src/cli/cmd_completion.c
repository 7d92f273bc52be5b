/*
 * Shell completion and the man page, both made from the command table
 * main.c parses options with and prints --help from:
 *   lakeform completion bash|zsh|fish   a script for the shell to load
 *   lakeform __complete -- WORD...      (hidden) the candidates for the last
 *                                       WORD: commands, options, and
 *                                       resource addresses from the state
 *   lakeform __man                      (hidden) lakeform.1 in troff
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "core/access.h"
#include "state/backend.h"
#include "util/buf.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

static const char bash_script[] =
    "# bash completion for lakeform; load it with\n"
    "#   source <(lakeform completion bash)\n"
    "_lakeform() {\n"
    "\tlocal IFS=$'\\n' w=() i pre\n"
    "\t# bash cuts words at ':' and '@' (COMP_WORDBREAKS): user:al@ac comes\n"
    "\t# as user, :, al, @, ac; join them again\n"
    "\tfor ((i = 1; i <= COMP_CWORD; i++)); do\n"
    "\t\tif ((i > 1)) && [[ $COMP_WORDBREAKS == *[:@]* &&\n"
    "\t\t\t( ${COMP_WORDS[i]} == [:@] || ${COMP_WORDS[i-1]} == [:@] ) ]]; then\n"
    "\t\t\tw[${#w[@]}-1]+=${COMP_WORDS[i]}\n"
    "\t\telse\n"
    "\t\t\tw+=(\"${COMP_WORDS[i]}\")\n"
    "\t\tfi\n"
    "\tdone\n"
    "\tCOMPREPLY=($(\"${COMP_WORDS[0]}\" __complete -- \"${w[@]}\" 2>/dev/null))\n"
    "\t# and bash replaces only what follows the word's last ':' or '@'\n"
    "\tpre=${w[${#w[@]}-1]}\n"
    "\tif [[ $COMP_WORDBREAKS == *[:@]* && $pre == *[:@]* ]]; then\n"
    "\t\tpre=${pre%\"${pre##*[:@]}\"}\n"
    "\t\tCOMPREPLY=(\"${COMPREPLY[@]#\"$pre\"}\")\n"
    "\tfi\n"
    "}\n"
    "complete -o default -F _lakeform lakeform\n";

static const char zsh_script[] =
    "#compdef lakeform\n"
    "# zsh completion for lakeform; put it in a directory of $fpath as\n"
    "# _lakeform, or load it with: source <(lakeform completion zsh)\n"
    "_lakeform() {\n"
    "\tlocal -a candidates\n"
    "\tcandidates=(\"${(@f)$(${words[1]} __complete -- \"${(@)words[2,CURRENT]}\" "
    "2>/dev/null)}\")\n"
    "\tif (( ${#candidates} )) && [[ -n ${candidates[1]} ]]; then\n"
    "\t\tcompadd -a candidates\n"
    "\telse\n"
    "\t\t_files\n"
    "\tfi\n"
    "}\n"
    "if [[ ${funcstack[1]} == _lakeform ]]; then\n"
    "\t_lakeform \"$@\"\n"
    "else\n"
    "\tcompdef _lakeform lakeform\n"
    "fi\n";

static const char fish_script[] =
    "# fish completion for lakeform; put it in ~/.config/fish/completions/\n"
    "# as lakeform.fish, or load it with: lakeform completion fish | source\n"
    "function __lakeform_complete\n"
    "    set -l words (commandline -opc) (commandline -ct)\n"
    "    lakeform __complete -- $words[2..-1] 2>/dev/null\n"
    "end\n"
    "complete -c lakeform -f -a '(__lakeform_complete)'\n";

static int run_completion(struct lf_cli *cli)
{
	const char *shell = cli->args[0];

	if (!strcmp(shell, "bash"))
		fputs(bash_script, cli->out);
	else if (!strcmp(shell, "zsh"))
		fputs(zsh_script, cli->out);
	else if (!strcmp(shell, "fish"))
		fputs(fish_script, cli->out);
	else
		return lf_cli_usage_error(cli, "no completion for '%s' (bash, zsh, fish)", shell);
	return LF_EXIT_OK;
}

const struct lf_command lf_cmd_completion = {
    .name = "completion",
    .summary = "print a shell completion script (bash, zsh, fish)",
    .usage = "completion bash|zsh|fish",
    .description = "Print a script that makes the shell complete lakeform's commands,\n"
                   "options, and the resource addresses recorded in the state (for\n"
                   "--target, --exclude, --replace, state show|rm|mv and import).\n"
                   "access completes principals, and access --on securables, from the\n"
                   "manifests.\n"
                   "  bash:  source <(lakeform completion bash)\n"
                   "  zsh:   source <(lakeform completion zsh)\n"
                   "  fish:  lakeform completion fish | source\n"
                   "'make install' installs all three where the shells look for them.",
    .options = NULL,
    .min_args = 1,
    .max_args = 1,
    .run = run_completion,
};

/* ---- __complete ----------------------------------------------------------- */

static void say(struct lf_cli *cli, const char *cand, const char *prefix)
{
	if (!strncmp(cand, prefix, strlen(prefix)))
		fprintf(cli->out, "%s\n", cand);
}

static void say_options(struct lf_cli *cli, const struct lf_option *opts, const char *prefix)
{
	for (int i = 0; opts && opts[i].name; i++) {
		char buf[96];
		snprintf(buf, sizeof(buf), "--%s", opts[i].name);
		say(cli, buf, prefix);
	}
}

/* The addresses the state records, read without the lock; nothing when
 * there is no state or it cannot be read. */
static void say_addresses(struct lf_cli *cli, const char *prefix)
{
	struct lf_session s;
	struct lf_backend *b = NULL;
	struct lf_state st = LF_STATE_INIT;
	struct lf_diags d = LF_DIAGS_INIT;
	FILE *err = cli->err;

	/* quiet: a completion prints no error */
	cli->err = fopen("/dev/null", "w");
	if (!cli->err)
		cli->err = err;
	lf_cli_session_init(cli, &s);
	if (lf_cli_open_backend(cli, &s, &b) == LF_EXIT_OK && lf_state_load(&st, b, 1, &d) == 0)
		for (size_t i = 0; i < st.nres; i++)
			say(cli, st.res[i].address, prefix);
	lf_state_release(&st);
	if (b)
		lf_backend_free(b);
	lf_diags_release(&d);
	lf_session_close(&s);
	if (cli->err != err)
		fclose(cli->err);
	cli->err = err;
}

/* access's principals (`securables` 0) or securables' addresses, from the
 * manifests; nothing when they do not load. */
static void say_access(struct lf_cli *cli, const char *prefix, int securables)
{
	struct lf_session s;
	FILE *err = cli->err;

	cli->err = fopen("/dev/null", "w");
	if (!cli->err)
		cli->err = err;
	lf_cli_session_init(cli, &s);
	if (lf_cli_load(cli, &s) == LF_EXIT_OK && lf_expand(&s.ds, &s.m, &s.d) == 0) {
		struct lf_access *a = lf_access_from_desired(&s.m, &s.ds);
		size_t n;
		if (securables) {
			const struct lf_access_securable *v = lf_access_securables(a, &n);
			for (size_t i = 0; i < n; i++)
				say(cli, v[i].address, prefix);
		} else {
			const char *const *v = lf_access_principals(a, &n);
			for (size_t i = 0; i < n; i++)
				say(cli, v[i], prefix);
		}
		lf_access_free(a);
	}
	lf_session_close(&s);
	if (cli->err != err)
		fclose(cli->err);
	cli->err = err;
}

static const struct lf_command *command_named(const char *name)
{
	for (size_t i = 0; i < lf_ncommands; i++)
		if (!lf_commands[i]->hidden && !strcmp(lf_commands[i]->name, name))
			return lf_commands[i];
	return NULL;
}

static const struct lf_option *option_named(const struct lf_option *opts, const char *word)
{
	const char *name = word + 1 + (word[1] == '-');

	for (int i = 0; opts && opts[i].name; i++)
		if (!strcmp(opts[i].name, name) ||
		    (word[1] != '-' && !name[1] && name[0] == opts[i].short_name))
			return &opts[i];
	return NULL;
}

static int run_complete(struct lf_cli *cli)
{
	const struct lf_command *cmd = NULL;
	const char *cur = cli->nargs ? cli->args[cli->nargs - 1] : "";
	const char *sub = NULL;
	const struct lf_option *pending = NULL; /* the option whose value `cur` is */
	int positional = 0;

	for (int i = 0; i + 1 < cli->nargs; i++) {
		const char *w = cli->args[i];
		const struct lf_option *o;
		pending = NULL;
		if (w[0] == '-' && w[1]) {
			if (strchr(w, '='))
				continue;
			if ((o = option_named(lf_global_options, w)) ||
			    (cmd && (o = option_named(cmd->options, w)))) {
				if (o->value && i + 2 < cli->nargs) {
					/* -C DIR: addresses are those of DIR's state */
					if (o->short_name == 'C' && chdir(cli->args[i + 1]) != 0)
						return LF_EXIT_OK;
					i++;
				} else if (o->value) {
					pending = o;
				}
			}
			continue;
		}
		if (!cmd) {
			cmd = command_named(w);
			continue;
		}
		if (!positional++)
			sub = w;
	}
	if (pending) {
		if (!strcmp(pending->value, "ADDR"))
			say_addresses(cli, cur);
		else if (!strcmp(pending->value, "SECURABLE"))
			say_access(cli, cur, 1);
		return LF_EXIT_OK; /* a file or a duration: the shell's own */
	}
	if (cur[0] == '-') {
		if (cmd)
			say_options(cli, cmd->options, cur);
		say_options(cli, lf_global_options, cur);
		return LF_EXIT_OK;
	}
	if (!cmd) {
		for (size_t i = 0; i < lf_ncommands; i++)
			if (!lf_commands[i]->hidden)
				say(cli, lf_commands[i]->name, cur);
		return LF_EXIT_OK;
	}
	if (!strcmp(cmd->name, "state")) {
		static const char *const subs[] = {"list", "show", "rm",   "mv",
		                                   "pull", "push", "rekey"};
		if (!sub) {
			for (size_t i = 0; i < sizeof(subs) / sizeof(*subs); i++)
				say(cli, subs[i], cur);
		} else if (!strcmp(sub, "list") || !strcmp(sub, "show") || !strcmp(sub, "rm") ||
		           !strcmp(sub, "mv")) {
			say_addresses(cli, cur);
		}
	} else if (!strcmp(cmd->name, "completion") && !positional) {
		say(cli, "bash", cur);
		say(cli, "fish", cur);
		say(cli, "zsh", cur);
	} else if (!strcmp(cmd->name, "import") && !positional) {
		say_addresses(cli, cur);
	} else if (!strcmp(cmd->name, "access") && !positional) {
		say_access(cli, cur, 0);
	}
	return LF_EXIT_OK;
}

const struct lf_command lf_cmd_complete = {
    .name = "__complete",
    .summary = "the candidates for completing the last word (for the scripts)",
    .usage = "__complete -- WORD...",
    .description = "Print, one a line, what the last WORD (the words after 'lakeform')\n"
                   "can be completed to.",
    .options = NULL,
    .min_args = 0,
    .max_args = -1,
    .run = run_complete,
    .hidden = 1,
};

/* ---- __man ---------------------------------------------------------------- */

/* troff text: a backslash doubled, a leading '.' or '\'' escaped, '-' as \- */
static void roff(FILE *f, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

static void man_options(FILE *f, const struct lf_option *opts)
{
	for (int i = 0; opts && opts[i].name; i++) {
		fputs(".TP\n.B ", f);
		if (opts[i].short_name)
			fprintf(f, "\\-%c, ", opts[i].short_name);
		fputs("\\-\\-", f);
		roff(f, opts[i].name);
		if (opts[i].value) {
			fputs(" \\fI", f);
			roff(f, opts[i].value);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff(f, opts[i].help);
		fputc('\n', f);
	}
}

static int run_man(struct lf_cli *cli)
{
	FILE *f = cli->out;

	fprintf(f, ".TH LAKEFORM 1 \"\" \"lakeform %s\" \"User Commands\"\n", LF_VERSION);
	fputs(".SH NAME\nlakeform \\- reconcile a lakehouse account with YAML manifests\n", f);
	fputs(".SH SYNOPSIS\n.B lakeform\n[\\fB\\-C\\fR \\fIDIR\\fR] [\\fB\\-\\-no\\-color\\fR] "
	      "\\fIcommand\\fR [\\fIoptions\\fR] [\\fIargs\\fR]\n",
	      f);
	fputs(".SH DESCRIPTION\nlakeform reconciles a lakehouse account (identities, workspaces,\n"
	      "metastores, catalogs and grants) with YAML manifests.  Options are written\n"
	      "\\-\\-name, \\-\\-name=VALUE, \\-\\-name VALUE, or with one dash as Terraform\n"
	      "users write them.\n",
	      f);
	fputs(".SH COMMANDS\n", f);
	for (size_t i = 0; i < lf_ncommands; i++) {
		const struct lf_command *c = lf_commands[i];
		if (c->hidden)
			continue;
		fputs(".SS \"lakeform ", f);
		roff(f, c->usage);
		fputs("\"\n", f);
		roff(f, c->description);
		fputc('\n', f);
		if (c->options && c->options[0].name) {
			fputs(".PP\nOptions:\n", f);
			man_options(f, c->options);
		}
	}
	fputs(".SH GLOBAL OPTIONS\n", f);
	man_options(f, lf_global_options);
	fputs(".SH ENVIRONMENT\n", f);
	for (size_t i = 0; lf_environment[i].name; i++) {
		fputs(".TP\n.B ", f);
		roff(f, lf_environment[i].name);
		fputc('\n', f);
		roff(f, lf_environment[i].help);
		fputc('\n', f);
	}
	fputs(".SH EXIT STATUS\n0 success, 1 error, 2 changes or drift found, 3 state locked by\n"
	      "another run, 64 usage error.\n",
	      f);
	fputs(".SH SEE ALSO\nThe documentation in docs/ of lakeform's source, docs/cli.md first.\n",
	      f);
	return LF_EXIT_OK;
}

const struct lf_command lf_cmd_man = {
    .name = "__man",
    .summary = "print the man page, lakeform.1 (for the build)",
    .usage = "__man",
    .description = "Print lakeform.1 in troff, made from the command table.",
    .options = NULL,
    .min_args = 0,
    .max_args = 0,
    .run = run_man,
    .hidden = 1,
};
