/*
 * yaml_suite - run lakeform's loader over the YAML test suite.
 *
 * usage: yaml_suite LAKEFORM SUITE_DIR KNOWN_FAILURES
 *
 * Every case of the suite's data (a directory with in.yaml, or with numbered
 * sub-cases) falls in one group:
 *   error  it has a file named `error`: loading must fail (a non-zero exit);
 *   json   it has in.json: `lakeform export --json in.yaml` must print the
 *          same JSON values, one document per line (compared as values);
 *   load   neither: loading must succeed.
 * KNOWN_FAILURES lists, one per line, "ID reason" for cases that fail
 * because of libyaml itself.  Such a case is reported as skipped with its
 * reason; if it passes, that is a failure, so the list stays exact.
 */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

extern char **environ;

struct known {
	char *id, *reason;
	int seen;
};

static struct known *known;
static size_t nknown;

static void load_known(const char *path)
{
	char *data;
	size_t len;

	if (lf_read_file(&data, &len, path, 1 << 20) != 0)
		return;
	char *p = data;
	while (*p) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[0] != '#') {
			char *line = lf_xstrndup(p, n);
			char *sp = strchr(line, ' ');
			known = lf_xrealloc(known, (nknown + 1) * sizeof(*known));
			known[nknown].id = lf_xstrndup(line, sp ? (size_t)(sp - line) : n);
			known[nknown].reason = lf_xstrdup(sp ? sp + 1 : "(no reason given)");
			known[nknown].seen = 0;
			nknown++;
			free(line);
		}
		p += n + (nl ? 1 : 0);
	}
	free(data);
}

static struct known *find_known(const char *id)
{
	for (size_t i = 0; i < nknown; i++)
		if (!strcmp(known[i].id, id))
			return &known[i];
	return NULL;
}

/* Run LAKEFORM export --json FILE; stdout into *out; returns the exit code. */
static int run_export(const char *lakeform, const char *file, struct lf_buf *out,
		      struct lf_buf *err)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], errfd[2], status = 0;
	pid_t pid;
	char *argv[] = {(char *)lakeform, "export", "--json", (char *)file, NULL};

	if (pipe(pipefd) != 0)
		return -1;
	/* stderr goes to a file: reading two pipes in turn could deadlock */
	FILE *ef = tmpfile();
	if (!ef)
		return -1;
	errfd[0] = fileno(ef);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_adddup2(&fa, errfd[0], 2);
	if (posix_spawn(&pid, lakeform, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		fclose(ef);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	char buf[65536];
	ssize_t n;
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0)
		lf_buf_add(out, buf, (size_t)n);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	rewind(ef);
	while ((n = (ssize_t)fread(buf, 1, sizeof(buf), ef)) > 0)
		lf_buf_add(err, buf, (size_t)n);
	fclose(ef);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* JSON values equal as values: 1 == 1.0, object key order ignored. */
static int value_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v) {
			json_t *w = json_object_get(b, k);
			if (!w || !value_equal(v, w))
				return 0;
		}
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!value_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

/* Parse a stream of JSON values; returns an array (new reference) or NULL. */
static json_t *parse_stream(const char *s, size_t len)
{
	json_t *all = json_array();
	size_t off = 0;

	for (;;) {
		while (off < len && strchr(" \t\r\n", s[off]))
			off++;
		if (off >= len)
			return all;
		json_error_t err;
		json_t *v = json_loadb(s + off, len - off,
				       JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK |
					       JSON_ALLOW_NUL,
				       &err);
		if (!v) {
			json_decref(all);
			return NULL;
		}
		json_array_append_new(all, v);
		off += (size_t)err.position;
	}
}

static int exists(const char *dir, const char *name)
{
	char *p = lf_xasprintf("%s/%s", dir, name);
	int ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

enum group { G_JSON, G_ERROR, G_LOAD, NGROUPS };
static const char *const group_names[] = {"json", "error", "load"};
static unsigned pass[NGROUPS], fail[NGROUPS], skip[NGROUPS];

/* The first line lakeform printed on stderr, for the report. */
static char first_error[512];

/*
 * Returns NULL when the case passes, else why not (static text).  A case
 * without in.json may hold keys JSON cannot carry (a mapping as a key):
 * lakeform refuses those with a clear error, and that counts as a pass.
 */
static const char *run_case(const char *lakeform, const char *dir, enum group g)
{
	struct lf_buf out = LF_BUF_INIT, err = LF_BUF_INIT;
	char *yaml = lf_xasprintf("%s/in.yaml", dir);
	int rc = run_export(lakeform, yaml, &out, &err);
	const char *why = NULL;
	const char *e = lf_buf_cstr(&err), *nl = strchr(e, '\n');
	size_t n = nl ? (size_t)(nl - e) : strlen(e);

	if (n >= sizeof(first_error))
		n = sizeof(first_error) - 1;
	memcpy(first_error, e, n);
	first_error[n] = '\0';
	if (g == G_LOAD && rc == 1 && strstr(e, "mapping keys must be scalars")) {
		rc = 0;
	}
	free(yaml);
	if (rc < 0 || rc >= 128)
		why = "lakeform crashed or could not be started";
	else if (g == G_ERROR)
		why = rc != 0 ? NULL : "loaded an invalid document without an error";
	else if (rc != 0)
		why = "failed to load a valid document";
	else if (g == G_JSON) {
		char *path = lf_xasprintf("%s/in.json", dir), *data = NULL;
		size_t len = 0;
		json_t *want = NULL, *got = NULL;

		if (lf_read_file(&data, &len, path, 1 << 24) == 0)
			want = parse_stream(data, len);
		got = parse_stream(out.ptr ? out.ptr : "", out.len);
		if (!want)
			why = "cannot read in.json";
		else if (!got)
			why = "export printed something that is not JSON";
		else if (json_array_size(want) != json_array_size(got))
			why = "a different number of documents";
		else if (!value_equal(want, got))
			why = "different values";
		json_decref(want);
		json_decref(got);
		free(data);
		free(path);
	}
	lf_buf_release(&out);
	lf_buf_release(&err);
	return why;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_dirs(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = lf_xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			v = lf_xrealloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = lf_xstrdup(e->d_name);
		}
		free(p);
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_name);
	return v;
}

static unsigned unexpected_pass;

static void one(const char *lakeform, const char *dir, const char *id)
{
	/* `error` wins: an in.json beside it holds what came before the error */
	enum group g = exists(dir, "error")     ? G_ERROR
		       : exists(dir, "in.json") ? G_JSON
						: G_LOAD;
	const char *why = run_case(lakeform, dir, g);
	struct known *k = find_known(id);

	if (k)
		k->seen = 1;
	if (!why && k) {
		printf("FAIL %s (%s): listed as a known failure but passes: remove it from the list\n",
		       id, group_names[g]);
		fail[g]++;
		unexpected_pass++;
	} else if (!why) {
		pass[g]++;
	} else if (k) {
		printf("skip %s (%s): %s [%s%s%s]\n", id, group_names[g], k->reason, why,
		       *first_error ? ": " : "", first_error);
		skip[g]++;
	} else {
		printf("FAIL %s (%s): %s%s%s\n", id, group_names[g], why,
		       *first_error ? ": " : "", first_error);
		fail[g]++;
	}
}

int main(int argc, char **argv)
{
	size_t n;
	char **cases;

	if (argc != 4) {
		fprintf(stderr, "usage: yaml_suite LAKEFORM SUITE_DIR KNOWN_FAILURES\n");
		return 64;
	}
	load_known(argv[3]);
	cases = list_dirs(argv[2], &n);
	if (!cases) {
		fprintf(stderr, "yaml_suite: cannot read '%s'\n", argv[2]);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *dir = lf_xasprintf("%s/%s", argv[2], cases[i]);
		if (exists(dir, "in.yaml")) {
			one(argv[1], dir, cases[i]);
		} else {
			size_t m;
			char **subs = list_dirs(dir, &m);
			for (size_t j = 0; j < m; j++) {
				char *sub = lf_xasprintf("%s/%s", dir, subs[j]);
				char *id = lf_xasprintf("%s/%s", cases[i], subs[j]);
				if (exists(sub, "in.yaml"))
					one(argv[1], sub, id);
				free(id);
				free(sub);
				free(subs[j]);
			}
			free(subs);
		}
		free(dir);
		free(cases[i]);
	}
	free(cases);

	unsigned tp = 0, tf = 0, ts = 0;
	for (size_t i = 0; i < nknown; i++)
		if (!known[i].seen) {
			printf("FAIL %s: listed as a known failure but not in the suite\n",
			       known[i].id);
			tf++;
		}
	printf("yaml test suite, by group:\n");
	for (int g = 0; g < NGROUPS; g++) {
		printf("  %-5s %u/%u passed, %u skipped (libyaml limitations, listed above)\n",
		       group_names[g], pass[g], pass[g] + fail[g] + skip[g], skip[g]);
		tp += pass[g];
		tf += fail[g];
		ts += skip[g];
	}
	printf("yaml: %u passed, %u failed, %u skipped\n", tp, tf, ts);
	return tf ? 1 : 0;
}
