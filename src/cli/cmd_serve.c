/*
 * lakeform serve: the account as web pages and a JSON API, read-only, over
 * the state of the configuration directory (libmicrohttpd).
 *
 * The state is loaded and indexed once (core/browse.h) into a *model*;
 * requests read the current model, which a new one replaces when the state
 * changes (after a scheduled drift check or a heal, or when the local
 * state's files change).  With --drift-every, a thread runs `lakeform drift
 * --json` on that schedule (the child takes the state lock as drift always
 * does), keeps the report for the pages, posts it to --webhook, and with
 * --heal runs `lakeform apply -auto-approve` when drift was found, every
 * heal recorded.  SIGINT and SIGTERM stop it: the running child is told to
 * stop too, the server is stopped, everything freed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "core/access.h"
#include "core/browse.h"
#include "serve.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/map.h"
#include "util/mem.h"
#include "util/sha256.h"
#include "util/webhook.h"

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

extern char **environ;

#define DEFAULT_LISTEN "127.0.0.1:8470"
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define GRAPH_MAX_NODES 300
#define GRAPH_FOCUS_MAX_NODES 80
#define GRAPH_CACHE 64 /* drawings of focused graphs kept per state */
#define HISTORY_FILE ".lakeform/serve-history.jsonl"
#define OUTPUT_MAX (256 * 1024)
#define KEEP_HEALS 100

/* ---- the model: one state, indexed ------------------------------------------ */

struct model {
	int refs;
	struct lf_session s;
	struct lf_browse b;
	struct lf_kinds kinds; /* the Grant kind's privileges, for access */
	struct lf_access *acc; /* effective access of the state's records */
	char *graph_svg;       /* the whole graph's drawing, made at load; NULL: none */
	char *graph_note;
	/* focused graphs drawn since: query -> SVG, at most GRAPH_CACHE */
	pthread_mutex_t cache_mu;
	struct lf_map cache;
	char *cached[GRAPH_CACHE];
	size_t ncached;
	long loaded_ms;
};

struct server {
	struct lf_cli *cli;
	char self[PATH_MAX]; /* this lakeform, for drift and apply */
	unsigned char token_sha[32];
	int need_token;
	pthread_mutex_t mu; /* everything below */
	pthread_cond_t cond;
	int stopping;
	pid_t child;
	struct model *model;
	json_t *drift;   /* {"checked_at", "exit", "report" | "error"} or NULL */
	json_t *history; /* [entries], newest last */
	json_t *heals;   /* [heals], newest last */
	json_t *schedule;
	struct timespec files; /* the local state's files, as last seen */
	long drift_every_ms;
	const char *webhook;
	int heal;
	int checks;
};

static void model_unref(struct model *m)
{
	if (!m || --m->refs > 0)
		return;
	lf_browse_release(&m->b);
	if (m->acc)
		lf_access_free(m->acc);
	lf_kinds_release(&m->kinds);
	lf_session_close(&m->s);
	free(m->graph_svg);
	free(m->graph_note);
	for (size_t i = 0; i < m->ncached; i++)
		free(m->cached[i]);
	lf_map_release(&m->cache);
	pthread_mutex_destroy(&m->cache_mu);
	free(m);
}

static struct model *model_get(struct server *sv)
{
	pthread_mutex_lock(&sv->mu);
	struct model *m = sv->model;
	if (m)
		m->refs++;
	pthread_mutex_unlock(&sv->mu);
	return m;
}

static void model_put(struct server *sv, struct model *m)
{
	pthread_mutex_lock(&sv->mu);
	model_unref(m);
	pthread_mutex_unlock(&sv->mu);
}

/* Run `argv` with `input` on its stdin, its stdout into *out (cut at
 * OUTPUT_MAX), its stderr to ours; the child's exit status or -1.  The
 * child is remembered in sv->child while it runs, so that a stop can
 * signal it. */
static int run_child(struct server *sv, char *const argv[], const char *input, char **out)
{
	int in[2], o[2];
	pid_t pid;
	posix_spawn_file_actions_t fa;
	struct lf_buf buf = LF_BUF_INIT;

	*out = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	/* the child gets the signals this server blocks (SIGINT stops it)
	 * and the default SIGPIPE this server ignores */
	posix_spawnattr_t at;
	sigset_t none, pipe_sig;
	sigemptyset(&none);
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &pipe_sig);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pthread_mutex_lock(&sv->mu);
	int err = sv->stopping ? ECANCELED : posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	if (!err)
		sv->child = pid;
	pthread_mutex_unlock(&sv->mu);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(o[1]);
	if (err) {
		close(in[1]);
		close(o[0]);
		return -1;
	}
	if (input) {
		size_t n = strlen(input);
		while (n) {
			ssize_t w = write(in[1], input, n);
			if (w <= 0)
				break;
			input += w;
			n -= (size_t)w;
		}
	}
	close(in[1]);
	char chunk[8192];
	ssize_t r;
	while ((r = read(o[0], chunk, sizeof(chunk))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (buf.len < OUTPUT_MAX)
			lf_buf_add(&buf, chunk, (size_t)r);
	}
	close(o[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&sv->mu);
	sv->child = 0;
	pthread_mutex_unlock(&sv->mu);
	*out = lf_buf_detach(&buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The whole graph drawn by Graphviz (`dot -Tsvg`), links to each node's page. */
static char *draw_graph(struct server *sv, const json_t *graph)
{
	struct lf_buf dot = LF_BUF_INIT;
	char *svg = NULL;
	char *argv[] = {"dot", "-Tsvg", NULL};
	char *path = NULL;

	lf_browse_graph_dot(graph, "/resource?address=", &dot);
	/* dot from PATH */
	const char *p = getenv("PATH");
	char *copy = lf_xstrdup(p ? p : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(copy, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		char *cand = lf_xasprintf("%s/dot", d);
		if (access(cand, X_OK) == 0) {
			path = cand;
			break;
		}
		free(cand);
	}
	free(copy);
	if (path) {
		argv[0] = path;
		int rc = run_child(sv, argv, lf_buf_cstr(&dot), &svg);
		if (rc != 0) {
			free(svg);
			svg = NULL;
		}
	}
	free(path);
	lf_buf_release(&dot);
	/* the drawing goes inside a page: from its <svg> element on */
	if (svg) {
		char *start = strstr(svg, "<svg");
		if (!start) {
			free(svg);
			return NULL;
		}
		memmove(svg, start, strlen(start) + 1);
	}
	return svg;
}

/* Load the state and index it: a new model, or NULL with the reason
 * printed. */
static struct model *model_load(struct server *sv)
{
	struct model *m = lf_xcalloc(1, sizeof(*m));
	const char *why = NULL;

	m->refs = 1;
	pthread_mutex_init(&m->cache_mu, NULL);
	lf_cli_session_init(sv->cli, &m->s);
	if (lf_cli_load_state(sv->cli, &m->s) != LF_EXIT_OK) {
		lf_session_close(&m->s);
		pthread_mutex_destroy(&m->cache_mu);
		free(m);
		return NULL;
	}
	if (lf_browse_build(&m->b, &m->s.st, &why) != 0) {
		lf_cli_error(sv->cli, "%s", why);
		lf_browse_release(&m->b);
		lf_session_close(&m->s);
		pthread_mutex_destroy(&m->cache_mu);
		free(m);
		return NULL;
	}
	struct lf_diags d = LF_DIAGS_INIT;
	if (lf_kinds_load(&m->kinds, sv->cli->schema_dir, &d) != 0) {
		lf_cli_print_diags(sv->cli, &d);
		lf_diags_release(&d);
		m->refs = 1;
		model_unref(m);
		return NULL;
	}
	lf_diags_release(&d);
	m->acc = lf_access_from_state(&m->s.st, &m->kinds);
	json_t *g = lf_browse_graph(&m->b, NULL, 0, 0, GRAPH_MAX_NODES);
	m->graph_svg = draw_graph(sv, g);
	if (!m->graph_svg)
		m->graph_note = lf_xstrdup("Graphviz's dot could not draw the graph");
	json_decref(g);
	m->loaded_ms = lf_now_ms();
	return m;
}

static void stamp_now(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void stamp_of(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- history ---------------------------------------------------------------- */

/* What changed from `old` to `new`: records created, updated (another
 * digest), deleted. */
static json_t *changes(const struct lf_state *old, const struct lf_state *new)
{
	json_t *created = json_array(), *updated = json_array(), *deleted = json_array();
	size_t i = 0, j = 0;

	while (i < old->nres || j < new->nres) {
		int c = i == old->nres   ? 1
		        : j == new->nres ? -1
		                         : strcmp(old->res[i].address, new->res[j].address);
		if (c < 0) {
			json_array_append_new(deleted, json_string(old->res[i++].address));
		} else if (c > 0) {
			json_array_append_new(created, json_string(new->res[j++].address));
		} else {
			if (strcmp(old->res[i].digest, new->res[j].digest))
				json_array_append_new(updated, json_string(new->res[j].address));
			i++;
			j++;
		}
	}
	return json_pack("{s:o, s:o, s:o}", "created", created, "updated", updated, "deleted",
	                 deleted);
}

/* The local state's snapshot time: state.json's modification time. */
static time_t snapshot_time(void)
{
	struct stat sb;
	return stat(".lakeform/state.json", &sb) == 0 ? sb.st_mtime : 0;
}

/* The journal of the local state (what an apply recorded since the last
 * snapshot, when it did not compact it: a crash), as [{op, action, address}]. */
static json_t *journal_entries(void)
{
	char *text = NULL;
	size_t len = 0;
	json_t *a = json_array();

	if (lf_read_file(&text, &len, ".lakeform/journal.jsonl", 64 << 20) != 0)
		return a;
	for (char *line = text, *nl; line < text + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(text + len - line));
		if (!nl)
			break;
		json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
		if (j) {
			json_array_append_new(a, json_pack("{s:O?, s:O?, s:O?, s:O?}", "op",
			                                   json_object_get(j, "op"), "action",
			                                   json_object_get(j, "action"), "address",
			                                   json_object_get(j, "address"), "error",
			                                   json_object_get(j, "error")));
			json_decref(j);
		}
	}
	free(text);
	return a;
}

/* Append `entry` to the history, in memory and in HISTORY_FILE. */
static void history_add(struct server *sv, json_t *entry)
{
	char *line = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
	int fd = open(HISTORY_FILE, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && line) {
		struct lf_buf b = LF_BUF_INIT;
		lf_buf_addf(&b, "%s\n", line);
		if (write(fd, b.ptr, b.len) != (ssize_t)b.len)
			lf_cli_error(sv->cli, "cannot append to %s: %s", HISTORY_FILE,
			             strerror(errno));
		lf_buf_release(&b);
	}
	if (fd >= 0)
		close(fd);
	free(line);
	pthread_mutex_lock(&sv->mu);
	json_array_append_new(sv->history, entry);
	pthread_mutex_unlock(&sv->mu);
}

/* The history kept by earlier runs of serve, then this state as loaded. */
static void history_start(struct server *sv, const struct model *m)
{
	char *text = NULL;
	size_t len = 0;
	uint64_t last = 0;
	const char *last_lineage = "";

	if (lf_read_file(&text, &len, HISTORY_FILE, 64 << 20) == 0) {
		for (char *line = text, *nl; line < text + len; line = nl + 1) {
			nl = memchr(line, '\n', (size_t)(text + len - line));
			if (!nl)
				break;
			json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
			if (json_is_object(j))
				json_array_append(sv->history, j);
			json_decref(j);
		}
		free(text);
		json_t *e = json_array_get(sv->history, json_array_size(sv->history) - 1);
		last = (uint64_t)json_integer_value(json_object_get(e, "serial"));
		last_lineage = json_string_value(json_object_get(e, "lineage"));
	}
	const struct lf_state *st = &m->s.st;
	if (!st->exists ||
	    (last == st->serial && last_lineage && !strcmp(last_lineage, st->lineage)))
		return;
	char when[32];
	stamp_of(snapshot_time(), when);
	json_t *entry = json_pack(
	    "{s:s, s:I, s:s, s:s, s:o, s:o, s:I, s:o, s:o}", "source", "snapshot", "serial",
	    (json_int_t)st->serial, "lineage", st->lineage, "time", when, "git_commit",
	    st->git_commit ? json_string(st->git_commit) : json_null(), "generator",
	    st->generator ? json_string(st->generator) : json_null(), "resources",
	    (json_int_t)st->nres, "changes", json_null(), "journal", journal_entries());
	history_add(sv, entry);
}

/* Replace the model by `m` (a state just loaded), recording what changed
 * when its serial moved. */
static void model_swap(struct server *sv, struct model *m, const char *source, json_t *applied)
{
	struct model *old = model_get(sv);
	const struct lf_state *a = old ? &old->s.st : NULL, *z = &m->s.st;

	if (a && (a->serial != z->serial || strcmp(a->lineage, z->lineage))) {
		char when[32];
		stamp_now(when);
		json_t *entry = json_pack(
		    "{s:s, s:I, s:s, s:s, s:o, s:o, s:I, s:o, s:o}", "source", source, "serial",
		    (json_int_t)z->serial, "lineage", z->lineage, "time", when, "git_commit",
		    z->git_commit ? json_string(z->git_commit) : json_null(), "generator",
		    z->generator ? json_string(z->generator) : json_null(), "resources",
		    (json_int_t)z->nres, "changes", changes(a, z), "journal", journal_entries());
		if (applied)
			json_object_set(entry, "applied", applied);
		history_add(sv, entry);
	}
	pthread_mutex_lock(&sv->mu);
	struct model *prev = sv->model;
	sv->model = m;
	model_unref(prev);
	pthread_mutex_unlock(&sv->mu);
	model_put(sv, old);
}

/* The local state's files changed since last seen. */
static int files_changed(struct server *sv)
{
	struct stat a, b;
	struct timespec t = {0, 0};

	if (stat(".lakeform/state.json", &a) == 0)
		t = a.st_mtim;
	if (stat(".lakeform/journal.jsonl", &b) == 0 && lf_ts_before(&t, &b.st_mtim))
		t = b.st_mtim;
	int changed = t.tv_sec != sv->files.tv_sec || t.tv_nsec != sv->files.tv_nsec;
	sv->files = t;
	return changed;
}

static void reload(struct server *sv, const char *source, json_t *applied)
{
	struct model *m = model_load(sv);
	if (m)
		model_swap(sv, m, source, applied);
}

/* ---- the schedule: drift, webhook, heal ------------------------------------ */

static json_t *drift_summary(const json_t *report)
{
	return json_deep_copy(json_object_get(report, "summary"));
}

/* One drift check: the child's report (or why there is none) kept for
 * the pages, posted to the webhook.  Returns the child's exit status. */
static int check_drift(struct server *sv, json_t **report_out)
{
	char *argv[] = {sv->self, "drift", "--json", NULL};
	char *out = NULL, when[32];
	int rc = run_child(sv, argv, NULL, &out);
	json_t *report = out ? json_loads(out, 0, NULL) : NULL;
	json_t *d;

	stamp_now(when);
	if (report && (rc == 0 || rc == 2))
		d = json_pack("{s:s, s:i, s:O}", "checked_at", when, "exit", rc, "report", report);
	else
		d = json_pack("{s:s, s:i, s:s, s:o}", "checked_at", when, "exit", rc, "error",
		              rc == 3 ? "the state lock is held by another run"
		                      : "the check failed (see the server's log)",
		              "report", report ? json_incref(report) : json_null());
	free(out);
	pthread_mutex_lock(&sv->mu);
	json_decref(sv->drift);
	sv->drift = d;
	sv->checks++;
	pthread_mutex_unlock(&sv->mu);
	fprintf(sv->cli->err, "lakeform: serve: drift checked at %s: %s\n", when,
	        rc == 0   ? "in sync"
	        : rc == 2 ? "drift found"
	                  : "failed");
	if (sv->webhook && report && (rc == 0 || rc == 2)) {
		struct lf_webhook_opts o = {10000, 30000, 4, 500, "lakeform/" LF_VERSION};
		const char *bo = getenv("LAKEFORM_WEBHOOK_BACKOFF_MS");
		char body_err[256];
		long status;
		int tries;
		if (bo && *bo)
			o.backoff_ms = strtol(bo, NULL, 10);
		char *body = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (lf_webhook_post(sv->webhook, body, strlen(body), &o, &status, &tries, body_err,
		                    sizeof(body_err)))
			lf_cli_error(sv->cli, "serve: cannot post the drift report: %s", body_err);
		free(body);
	}
	*report_out = report;
	return rc;
}

/* What apply's output says it did: its lines "ADDRESS: created" (updated,
 * replaced, destroyed), as [{"address", "action"}]. */
static json_t *applied_lines(const char *out)
{
	static const char *const actions[] = {"created", "updated", "replaced", "destroyed"};
	json_t *a = json_array();

	for (const char *line = out; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		for (size_t k = 0; k < sizeof(actions) / sizeof(actions[0]); k++) {
			size_t al = strlen(actions[k]);
			if (n > al + 2 && !memcmp(line + n - al, actions[k], al) &&
			    !memcmp(line + n - al - 2, ": ", 2) && !memchr(line, ' ', n - al - 2))
				json_array_append_new(a,
				                      json_pack("{s:s%, s:s}", "address", line,
				                                n - al - 2, "action", actions[k]));
		}
		line = nl ? nl + 1 : NULL;
	}
	return a;
}

/* Apply to heal the drift found in `before`; the heal recorded.  Returns
 * what apply did (applied_lines()). */
static json_t *heal(struct server *sv, const json_t *before)
{
	char *argv[] = {sv->self, "apply", "-auto-approve", "-input=false", NULL};
	char *out = NULL, started[32], ended[32];

	stamp_now(started);
	int rc = run_child(sv, argv, NULL, &out);
	stamp_now(ended);
	/* the last lines of apply's output: what it did */
	const char *tail = out ? out : "";
	size_t len = strlen(tail), lines = 0;
	for (size_t i = len; i > 0; i--)
		if (tail[i - 1] == '\n' && ++lines > 40) {
			tail += i;
			break;
		}
	json_t *did = applied_lines(out);
	json_t *h =
	    json_pack("{s:s, s:s, s:i, s:o, s:O, s:s}", "started_at", started, "ended_at", ended,
	              "exit", rc, "drift", drift_summary(before), "applied", did, "output", tail);
	free(out);
	fprintf(sv->cli->err, "lakeform: serve: heal at %s: apply exited %d\n", started, rc);
	pthread_mutex_lock(&sv->mu);
	json_array_append_new(sv->heals, h);
	while (json_array_size(sv->heals) > KEEP_HEALS)
		json_array_remove(sv->heals, 0);
	pthread_mutex_unlock(&sv->mu);
	return did;
}

static void *schedule(void *arg)
{
	struct server *sv = arg;
	long next = sv->drift_every_ms ? lf_now_ms() : -1;

	pthread_mutex_lock(&sv->mu);
	while (!sv->stopping) {
		long now = lf_now_ms();
		if (next >= 0 && now >= next) {
			pthread_mutex_unlock(&sv->mu);
			json_t *report = NULL;
			int rc = check_drift(sv, &report);
			if (rc == 2 && sv->heal) {
				json_t *did = heal(sv, report);
				reload(sv, "heal", did);
				json_decref(did);
				json_decref(report);
				report = NULL;
				/* the page shows the state after the heal */
				check_drift(sv, &report);
			}
			/* a remote state (s3) has no local files to watch: the
			 * report says which serial the check read */
			int moved = 0;
			struct model *cur = model_get(sv);
			json_t *seen = json_object_get(report, "state");
			if (cur && seen &&
			    ((uint64_t)json_integer_value(json_object_get(seen, "serial")) !=
			         cur->s.st.serial ||
			     strcmp(json_string_value(json_object_get(seen, "lineage"))
			                ? json_string_value(json_object_get(seen, "lineage"))
			                : "",
			            cur->s.st.lineage)))
				moved = 1;
			model_put(sv, cur);
			json_decref(report);
			if (files_changed(sv) || moved)
				reload(sv, "apply", NULL);
			pthread_mutex_lock(&sv->mu);
			next = lf_now_ms() + sv->drift_every_ms;
			continue;
		}
		/* the local state's files are looked at every second */
		pthread_mutex_unlock(&sv->mu);
		if (files_changed(sv))
			reload(sv, "apply", NULL);
		pthread_mutex_lock(&sv->mu);
		long wait = 1000;
		if (next >= 0 && next - lf_now_ms() < wait)
			wait = next - lf_now_ms();
		if (wait > 0 && !sv->stopping) {
			struct timespec until = lf_ts_in_ms(CLOCK_MONOTONIC, wait);
			pthread_cond_timedwait(&sv->cond, &sv->mu, &until);
		}
	}
	pthread_mutex_unlock(&sv->mu);
	return NULL;
}

/* ---- requests ---------------------------------------------------------------- */

static size_t arg_size(struct MHD_Connection *c, const char *name, size_t dflt, size_t max)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	if (!v || !*v)
		return dflt;
	unsigned long long n = strtoull(v, &end, 10);
	if (*end || v[0] == '-')
		return dflt;
	return n > max ? max : (size_t)n;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* The token, bearer or basic (any user name, the token as the password),
 * compared in constant time: digests of both. */
static int authorized(struct server *sv, struct MHD_Connection *c)
{
	unsigned char got[32];
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

	if (!sv->need_token)
		return 1;
	if (!h)
		return 0;
	if (!strncasecmp(h, "Bearer ", 7)) {
		lf_sha256(got, h + 7, strlen(h + 7));
		return CRYPTO_memcmp(got, sv->token_sha, 32) == 0;
	}
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(c, &pass);
	int ok = 0;
	if (user && pass) {
		lf_sha256(got, pass, strlen(pass));
		ok = CRYPTO_memcmp(got, sv->token_sha, 32) == 0;
	}
	if (user)
		MHD_free(user);
	if (pass)
		MHD_free(pass);
	return ok;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate",
		                        "Bearer realm=\"lakeform\", Basic realm=\"lakeform\"");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	struct lf_buf b = LF_BUF_INIT;
	lf_buf_addf(&b, "%s\n", text);
	free(text);
	size_t len = b.len;
	return respond(c, status, "application/json", lf_buf_detach(&b), len);
}

static enum MHD_Result error(struct MHD_Connection *c, int api, unsigned status,
                             const char *message)
{
	if (api)
		return respond_json(c, status,
		                    json_pack("{s:i, s:s}", "status", status, "error", message));
	struct lf_buf b = LF_BUF_INIT;
	lf_serve_html_error(&b, (int)status, message);
	size_t len = b.len;
	return respond(c, status, "text/html; charset=utf-8", lf_buf_detach(&b), len);
}

/* The drift, history and heals documents, copied under the lock. */
static json_t *copy_of(struct server *sv, json_t *const *what)
{
	pthread_mutex_lock(&sv->mu);
	json_t *j = *what ? json_deep_copy(*what) : json_null();
	pthread_mutex_unlock(&sv->mu);
	return j;
}

static json_t *schedule_doc(struct server *sv)
{
	pthread_mutex_lock(&sv->mu);
	json_t *j =
	    json_pack("{s:I, s:b, s:b, s:i}", "drift_every_ms", (json_int_t)sv->drift_every_ms,
	              "heal", sv->heal, "webhook", sv->webhook != NULL, "checks", sv->checks);
	pthread_mutex_unlock(&sv->mu);
	return j;
}

/* The drift page's document: the last check and the schedule. */
static json_t *drift_doc(struct server *sv)
{
	json_t *d = copy_of(sv, &sv->drift);
	json_t *j = json_pack("{s:o, s:o}", "schedule", schedule_doc(sv), "last", d);
	return j;
}

/*
 * The effective access on a securable or of a principal (core/access.h)
 * into doc's "effective": {"total", "offset", "limit", "access": [...]},
 * sliced by the request's offset and limit.
 */
static void effective(struct model *m, struct MHD_Connection *c, json_t *doc, int on_securable,
                      const char *subject)
{
	struct lf_access_list l = LF_ACCESS_LIST_INIT;
	char *err = NULL;
	size_t offset = arg_size(c, "offset", 0, SIZE_MAX / 2);
	size_t limit = arg_size(c, "limit", PAGE_DEFAULT, PAGE_MAX);

	if (!m->acc || !subject)
		return;
	size_t total = 0;
	int rc = on_securable
	             ? lf_access_securable_page(&l, m->acc, subject, offset, limit, &total, &err)
	             : lf_access_principal_page(&l, m->acc, subject, offset, limit, &total, &err);
	if (rc != 0) {
		json_object_set_new(doc, "effective",
		                    json_pack("{s:s}", "error", err ? err : "unknown"));
		free(err);
		lf_access_list_release(&l);
		return;
	}
	/* the page's lines and the memberships they go through, each once */
	json_t *all = lf_access_json(&l, m->acc);
	json_object_set_new(doc, "effective",
	                    json_pack("{s:I, s:I, s:I, s:O, s:O}", "total", (json_int_t)total,
	                              "offset", (json_int_t)offset, "limit", (json_int_t)limit,
	                              "access", json_object_get(all, "access"), "memberships",
	                              json_object_get(all, "memberships")));
	json_decref(all);
	lf_access_list_release(&l);
}

/* The document of `page` for the request, or NULL (404, with *why). */
static json_t *page_doc(struct server *sv, struct model *m, enum lf_page page,
                        struct MHD_Connection *c, const char **why)
{
	size_t offset = arg_size(c, "offset", 0, SIZE_MAX / 2);
	size_t limit = arg_size(c, "limit", PAGE_DEFAULT, PAGE_MAX);
	json_t *doc = NULL;

	*why = "not found";
	switch (page) {
	case LF_PAGE_HOME:
		doc = lf_browse_summary(&m->b);
		json_object_set_new(doc, "drift", drift_doc(sv));
		pthread_mutex_lock(&sv->mu);
		json_object_set_new(doc, "heals",
		                    json_integer((json_int_t)json_array_size(sv->heals)));
		pthread_mutex_unlock(&sv->mu);
		break;
	case LF_PAGE_ACCOUNT:
		doc = lf_browse_account(&m->b, offset, limit);
		break;
	case LF_PAGE_NAMESPACE:
		doc = lf_browse_namespace(&m->b, arg(c, "path"), offset, limit);
		*why = "no such securable in the state";
		break;
	case LF_PAGE_PRINCIPALS:
		doc = lf_browse_principals(&m->b, offset, limit);
		break;
	case LF_PAGE_ACCESS: {
		const char *on = arg(c, "on"), *who = arg(c, "principal");
		if ((on && *on) == (who && *who)) {
			*why = "name one: on=SECURABLE or principal=PRINCIPAL";
			break;
		}
		doc = json_pack("{s:s, s:s}", on && *on ? "on" : "principal", on && *on ? on : who,
		                "subject", on && *on ? on : who);
		effective(m, c, doc, on && *on, on && *on ? on : who);
		if (json_object_get(json_object_get(doc, "effective"), "error")) {
			*why = "no such securable or principal in the state";
			json_decref(doc);
			doc = NULL;
		}
		break;
	}
	case LF_PAGE_PRINCIPAL:
		doc = lf_browse_principal(&m->b, arg(c, "name"), offset, limit);
		*why = "no such principal in the state (name=user:..., group:..., "
		       "service_principal:...)";
		break;
	case LF_PAGE_RESOURCES:
		doc = lf_browse_resources(&m->b, arg(c, "type"), arg(c, "prefix"), offset, limit);
		break;
	case LF_PAGE_RESOURCE:
		doc = lf_browse_resource(&m->b, arg(c, "address"), lf_cli_masked_values);
		*why = "no such resource in the state";
		break;
	case LF_PAGE_HISTORY: {
		json_t *all = copy_of(sv, &sv->history);
		size_t n = json_array_size(all);
		json_t *list = json_array();
		/* newest first */
		for (size_t k = offset; k < n && k - offset < limit; k++)
			json_array_append(list, json_array_get(all, n - 1 - k));
		json_decref(all);
		doc = json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)n, "offset",
		                (json_int_t)offset, "limit", (json_int_t)limit, "applies", list);
		break;
	}
	case LF_PAGE_DRIFT:
		doc = drift_doc(sv);
		break;
	case LF_PAGE_HEALS: {
		json_t *all = copy_of(sv, &sv->heals);
		json_t *list = json_array();
		for (size_t k = json_array_size(all); k > 0; k--)
			json_array_append(list, json_array_get(all, k - 1));
		json_decref(all);
		doc = json_pack("{s:o, s:o}", "schedule", schedule_doc(sv), "heals", list);
		break;
	}
	case LF_PAGE_GRAPH: {
		const char *focus = arg(c, "focus");
		int depth = (int)arg_size(c, "depth", 1, 5);
		int expanded = arg(c, "expanded") && !strcmp(arg(c, "expanded"), "1");
		doc = lf_browse_graph(&m->b, focus, depth, expanded,
		                      focus && *focus ? GRAPH_FOCUS_MAX_NODES : GRAPH_MAX_NODES);
		*why = "no such resource in the state";
		break;
	}
	}
	return doc;
}

/* A focused graph's drawing (owned copy), from the model's cache or
 * drawn now and kept. */
static char *focused_graph(struct server *sv, struct model *m, struct MHD_Connection *c,
                           const json_t *graph)
{
	const char *focus = arg(c, "focus"), *exp = arg(c, "expanded");
	char *key = lf_xasprintf("%s\x1f%d\x1f%d", focus ? focus : "",
	                         (int)json_integer_value(json_object_get(graph, "depth")),
	                         exp && !strcmp(exp, "1"));
	pthread_mutex_lock(&m->cache_mu);
	const char *hit = lf_map_get(&m->cache, key);
	char *svg = hit ? lf_xstrdup(hit) : NULL;
	pthread_mutex_unlock(&m->cache_mu);
	if (!svg) {
		svg = draw_graph(sv, graph);
		pthread_mutex_lock(&m->cache_mu);
		if (svg && m->ncached < GRAPH_CACHE && !lf_map_get(&m->cache, key)) {
			m->cached[m->ncached] = lf_xstrdup(svg);
			lf_map_put(&m->cache, key, m->cached[m->ncached++]);
		}
		pthread_mutex_unlock(&m->cache_mu);
	}
	free(key);
	return svg;
}

static const struct {
	const char *path;
	enum lf_page page;
} routes[] = {
    {"/", LF_PAGE_HOME},
    {"/summary", LF_PAGE_HOME},
    {"/account", LF_PAGE_ACCOUNT},
    {"/namespace", LF_PAGE_NAMESPACE},
    {"/principals", LF_PAGE_PRINCIPALS},
    {"/principal", LF_PAGE_PRINCIPAL},
    {"/access", LF_PAGE_ACCESS},
    {"/resources", LF_PAGE_RESOURCES},
    {"/resource", LF_PAGE_RESOURCE},
    {"/history", LF_PAGE_HISTORY},
    {"/drift", LF_PAGE_DRIFT},
    {"/heals", LF_PAGE_HEALS},
    {"/graph", LF_PAGE_GRAPH},
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req)
{
	struct server *sv = cls;
	int api = !strncmp(url, "/api/", 5) || !strcmp(url, "/api");
	const char *path = api ? url + 4 : url;

	if (!*req) { /* the headers: answer once the body (if any) is read */
		*req = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) { /* no write endpoint: a body is ignored */
		*upload_size = 0;
		return MHD_YES;
	}
	if (!authorized(sv, c))
		return error(c, api, MHD_HTTP_UNAUTHORIZED, "a token is required");
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return error(c, api, MHD_HTTP_METHOD_NOT_ALLOWED,
		             "read-only: GET and HEAD are the only methods");
	if (!*path)
		path = "/";
	if (!strcmp(url, "/favicon.ico")) /* none: say so without an error page */
		return respond(c, MHD_HTTP_NO_CONTENT, "text/plain", NULL, 0);
	int svg = !api && !strcmp(path, "/graph.svg");
	int dot = api && !strcmp(path, "/graph.dot");
	size_t r;
	for (r = 0; r < sizeof(routes) / sizeof(routes[0]); r++)
		if (!strcmp(path, routes[r].path))
			break;
	if (r == sizeof(routes) / sizeof(routes[0]) && !svg && !dot)
		return error(c, api, MHD_HTTP_NOT_FOUND, "no such page");
	enum lf_page page = svg || dot ? LF_PAGE_GRAPH : routes[r].page;

	struct model *m = model_get(sv);
	if (!m)
		return error(c, api, MHD_HTTP_SERVICE_UNAVAILABLE, "the state is not loaded yet");
	const char *why;
	json_t *doc = page_doc(sv, m, page, c, &why);
	enum MHD_Result ret;
	if (!doc) {
		ret = error(c, api, MHD_HTTP_NOT_FOUND, why);
	} else if (dot) {
		struct lf_buf b = LF_BUF_INIT;
		lf_browse_graph_dot(doc, NULL, &b);
		json_decref(doc);
		size_t len = b.len;
		ret = respond(c, MHD_HTTP_OK, "text/vnd.graphviz; charset=utf-8", lf_buf_detach(&b),
		              len);
	} else if (api) {
		ret = respond_json(c, MHD_HTTP_OK, doc);
	} else {
		/* the whole graph was drawn at load; a focused one now */
		char *drawn = NULL;
		const char *picture = NULL;
		if (page == LF_PAGE_GRAPH) {
			const char *focus = arg(c, "focus");
			const char *exp = arg(c, "expanded");
			if ((focus && *focus) || (exp && !strcmp(exp, "1")))
				picture = drawn = focused_graph(sv, m, c, doc);
			else
				picture = m->graph_svg;
			if (!picture)
				json_object_set_new(doc, "note",
				                    json_string("Graphviz's dot could not draw the "
				                                "graph"));
		}
		struct lf_buf b = LF_BUF_INIT;
		if (svg && picture) {
			lf_buf_adds(&b, picture);
			size_t len = b.len;
			ret = respond(c, MHD_HTTP_OK, "image/svg+xml", lf_buf_detach(&b), len);
		} else if (svg) {
			ret = error(c, 0, MHD_HTTP_SERVICE_UNAVAILABLE, "dot could not draw it");
		} else {
			lf_serve_html(&b, page, doc, picture);
			size_t len = b.len;
			ret = respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", lf_buf_detach(&b),
			              len);
		}
		free(drawn);
		json_decref(doc);
	}
	model_put(sv, m);
	return ret;
}

/* ---- start and stop ----------------------------------------------------------- */

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, int *loopback)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		*loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return -1;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	*len = sizeof(*a);
	*loopback = a->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	return 0;
}

/* The token: the file's first line, or LAKEFORM_SERVE_TOKEN. */
static int read_token(struct lf_cli *cli, struct server *sv)
{
	const char *file = lf_cli_opt(cli, "token-file");
	const char *env = getenv("LAKEFORM_SERVE_TOKEN");
	char *text = NULL;
	size_t len = 0;

	if (file) {
		int err = lf_read_file(&text, &len, file, 1 << 16);
		if (err) {
			lf_cli_error(cli, "--token-file %s: cannot read it: %s", file,
			             strerror(-err));
			return -1;
		}
		char *nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		size_t n = strlen(text);
		if (n && text[n - 1] == '\r')
			text[n - 1] = '\0';
	} else if (env && *env) {
		text = lf_xstrdup(env);
	}
	if (!text)
		return 0;
	if (strlen(text) < 16) {
		lf_cli_error(cli, "%s: the token is shorter than 16 characters",
		             file ? file : "LAKEFORM_SERVE_TOKEN");
		free(text);
		return -1;
	}
	lf_sha256(sv->token_sha, text, strlen(text));
	sv->need_token = 1;
	free(text);
	return 0;
}

static int run(struct lf_cli *cli)
{
	struct server sv = {0};
	const char *listen = lf_cli_opt(cli, "listen");
	const char *every = lf_cli_opt(cli, "drift-every");
	struct sockaddr_storage ss;
	socklen_t sslen;
	int loopback, rc = LF_EXIT_OK;

	if (!listen)
		listen = DEFAULT_LISTEN;
	if (parse_listen(listen, &ss, &sslen, &loopback))
		return lf_cli_usage_error(cli,
		                          "--listen takes ADDRESS:PORT (127.0.0.1:8470, "
		                          "[::1]:8470), not '%s'",
		                          listen);
	if (every && (lf_duration_parse(every, &sv.drift_every_ms) || sv.drift_every_ms < 1000))
		return lf_cli_usage_error(cli,
		                          "--drift-every takes a duration of 1s or more "
		                          "(30s, 5m, 1h), not '%s'",
		                          every);
	sv.webhook = lf_cli_opt(cli, "webhook");
	if (sv.webhook && strncmp(sv.webhook, "http://", 7) && strncmp(sv.webhook, "https://", 8))
		return lf_cli_usage_error(cli, "--webhook takes an http:// or https:// URL");
	sv.heal = lf_cli_flag(cli, "heal");
	if ((sv.webhook || sv.heal) && !every)
		return lf_cli_usage_error(cli, "--webhook and --heal act on the drift checks of "
		                               "--drift-every");
	sv.cli = cli;
	if (read_token(cli, &sv))
		return LF_EXIT_ERROR;
	if (!loopback && !sv.need_token) {
		lf_cli_error(cli,
		             "serving on %s, not on the loopback address, needs a token: set "
		             "LAKEFORM_SERVE_TOKEN or give --token-file",
		             listen);
		return LF_EXIT_USAGE;
	}
	ssize_t n = readlink("/proc/self/exe", sv.self, sizeof(sv.self) - 1);
	if (n <= 0) {
		lf_cli_error(cli, "cannot find this lakeform (/proc/self/exe)");
		return LF_EXIT_ERROR;
	}
	sv.self[n] = '\0';
	pthread_mutex_init(&sv.mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sv.cond, &ca);
	pthread_condattr_destroy(&ca);
	sv.history = json_array();
	sv.heals = json_array();

	/* the signals that stop it, taken by this thread alone */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	/* a child (dot) that exits before reading all its input, a client
	 * gone: an error from write(), not the end of the server */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	sigaction(SIGPIPE, &ign, &old_pipe);

	long t0 = lf_now_ms();
	files_changed(&sv);
	struct model *m = model_load(&sv);
	if (!m) {
		rc = LF_EXIT_ERROR;
		goto out;
	}
	sv.model = m;
	history_start(&sv, m);
	fprintf(cli->err, "lakeform: serve: %zu resources indexed in %ld ms\n", m->s.st.nres,
	        lf_now_ms() - t0);

	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, &sv,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!d) {
		lf_cli_error(cli, "cannot listen on %s: %s", listen, strerror(errno));
		rc = LF_EXIT_ERROR;
		goto out;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char host[64];
	const char *colon = strrchr(listen, ':');
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	fprintf(cli->out, "lakeform: serving http://%s:%u/ (read-only%s%s%s)\n", host,
	        info ? (unsigned)info->port : 0, sv.need_token ? ", token required" : "",
	        every ? ", drift every " : "", every ? every : "");
	if (sv.heal)
		fprintf(cli->out, "lakeform: drift found is healed: apply runs when a check finds "
		                  "drift\n");
	fflush(cli->out);

	pthread_t th;
	pthread_create(&th, NULL, schedule, &sv);
	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	fprintf(cli->err, "lakeform: serve: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	pthread_mutex_lock(&sv.mu);
	sv.stopping = 1;
	if (sv.child)
		kill(sv.child, SIGINT);
	pthread_cond_broadcast(&sv.cond);
	pthread_mutex_unlock(&sv.mu);
	pthread_join(th, NULL);
	MHD_stop_daemon(d);
out:
	sigaction(SIGPIPE, &old_pipe, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	model_unref(sv.model);
	json_decref(sv.drift);
	json_decref(sv.history);
	json_decref(sv.heals);
	pthread_cond_destroy(&sv.cond);
	pthread_mutex_destroy(&sv.mu);
	return rc;
}

static const struct lf_option options[] = {
    {"listen", 0, "ADDR:PORT", "where to listen (default " DEFAULT_LISTEN "; port 0: any)"},
    {"token-file", 0, "FILE", "require this token (first line of FILE), bearer or basic"},
    {"drift-every", 0, "DURATION", "check drift on this schedule (30s, 5m, 1h)"},
    {"webhook", 0, "URL", "POST each drift report to URL (with --drift-every)"},
    {"heal", 0, NULL, "apply when a check finds drift, and record it (off by default)"},
    {0},
};

const struct lf_command lf_cmd_serve = {
    .name = "serve",
    .summary = "serve the account as web pages and a JSON API, read-only",
    .usage = "serve [--listen ADDR:PORT] [--token-file FILE] [--drift-every DURATION]\n"
             "       [--webhook URL] [--heal]",
    .description =
        "Serve the state of the configuration directory over HTTP, read-only:\n"
        "the account map, the namespace with each securable's grants, the\n"
        "principals, effective access, the resources (sensitive values masked),\n"
        "the history of applies, the drift report and the dependency graph,\n"
        "as HTML pages and as JSON under /api/ (docs/serve.md).  Listens on\n"
        "127.0.0.1:8470 unless told; any other address needs a token, from\n"
        "--token-file or LAKEFORM_SERVE_TOKEN (16 characters at least), sent\n"
        "as a bearer token or as the password of basic authentication.  Only\n"
        "GET and HEAD are answered (405 otherwise).  With --drift-every, 'lakeform drift'\n"
        "runs on that schedule (taking the state lock as it does), its report\n"
        "shown and posted to --webhook; with --heal, drift found is healed by\n"
        "'lakeform apply -auto-approve', each heal recorded.  SIGINT or\n"
        "SIGTERM stops it.",
    .options = options,
    .min_args = 0,
    .max_args = 0,
    .run = run,
};
