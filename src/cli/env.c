/*
 * env.c - what lakeform takes from the environment besides its options:
 * LAKEFORM_CLI_ARGS (words added to the command line, as Terraform's
 * TF_CLI_ARGS), LAKEFORM_LOG and LAKEFORM_LOG_PATH (a log of the run),
 * LAKEFORM_IN_AUTOMATION (no hints for a human).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

const struct lf_envvar lf_environment[] = {
    {"LAKEFORM_CLI_ARGS", "words added after the command name of every run"},
    {"LAKEFORM_CLI_ARGS_<cmd>", "words added to one command (LAKEFORM_CLI_ARGS_plan)"},
    {"LAKEFORM_LOG", "log the run: trace, debug, info, warn, error or off"},
    {"LAKEFORM_LOG_PATH", "append the log to this file (default: standard error)"},
    {"LAKEFORM_IN_AUTOMATION", "shorter output for pipelines: no 'next, run ...' hints"},
    {"LAKEFORM_VAR_<name>", "the value of variable <name>, below -var and -var-file"},
    {"LAKEFORM_STATE_KEY", "the key of the state's sensitive values (base64)"},
    {"LAKEFORM_SERVE_TOKEN", "the token serve requires (16 characters at least)"},
    {"NO_COLOR", "never colour the output"},
    {0},
};

int lf_cli_split_words(const char *text, char ***words, size_t *n, const char **why)
{
	const char *p = text;
	struct lf_buf w = LF_BUF_INIT;
	size_t alloc = *n;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		lf_buf_truncate(&w, 0);
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && p[1])
						p++;
					lf_buf_addc(&w, *p++);
				}
				if (!*p) {
					*why = "a quote is not closed";
					lf_buf_release(&w);
					return -1;
				}
				p++;
			} else if (*p == '\\' && p[1]) {
				lf_buf_addc(&w, p[1]);
				p += 2;
			} else {
				lf_buf_addc(&w, *p++);
			}
		}
		LF_GROW(*words, *n + 1, alloc);
		(*words)[(*n)++] = lf_xstrdup(lf_buf_cstr(&w));
	}
	lf_buf_release(&w);
	return 0;
}

static const char *const level_names[] = {"", "trace", "debug", "info", "warn", "error", "off"};

int lf_cli_log_open(struct lf_cli *cli)
{
	const char *lvl = getenv("LAKEFORM_LOG"), *path = getenv("LAKEFORM_LOG_PATH");
	int level = 0;

	cli->log = NULL;
	cli->log_level = LF_LOG_OFF;
	if (!lvl || !*lvl)
		return 0;
	for (int i = LF_LOG_TRACE; i <= LF_LOG_OFF; i++)
		if (!strcasecmp(lvl, level_names[i]))
			level = i;
	if (!level) {
		fprintf(stderr,
		        "lakeform: usage error: LAKEFORM_LOG='%s' is not a level (trace, debug, "
		        "info, warn, error, off)\n",
		        lvl);
		return LF_EXIT_USAGE;
	}
	cli->log_level = (enum lf_log_level)level;
	if (level == LF_LOG_OFF)
		return 0;
	if (!path || !*path) {
		cli->log = stderr;
		return 0;
	}
	/* not through a link: the log is lakeform's to append to */
	int fd = lf_open_nofollow(AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || !(cli->log = fdopen(fd, "a"))) {
		fprintf(stderr, "lakeform: error: cannot open LAKEFORM_LOG_PATH '%s': %s\n", path,
		        strerror(fd < 0 ? -fd : errno));
		if (fd >= 0)
			close(fd);
		return LF_EXIT_ERROR;
	}
	return 0;
}

void lf_cli_log_close(struct lf_cli *cli)
{
	if (cli->log && cli->log != stderr)
		fclose(cli->log);
	else if (cli->log)
		fflush(cli->log);
	cli->log = NULL;
}

void lf_cli_log(struct lf_cli *cli, enum lf_log_level level, const char *fmt, ...)
{
	struct lf_buf raw = LF_BUF_INIT, line = LF_BUF_INIT;
	struct timeval tv;
	struct tm tm;
	char when[32];
	va_list ap;

	if (!cli->log || level < cli->log_level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	lf_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	/* one line each, whatever a quoted value held */
	lf_buf_add_escaped(&line, lf_buf_cstr(&raw), raw.len);
	fprintf(cli->log, "%s.%03ldZ [%s] %s\n", when, (long)(tv.tv_usec / 1000),
	        level_names[level], lf_buf_cstr(&line));
	fflush(cli->log);
	lf_buf_release(&raw);
	lf_buf_release(&line);
}
