/*
 * lakeform state: list, show, rm, mv, pull, push.
 *
 * The state is the local backend's, .lakeform/ in the configuration
 * directory (main.c has already changed into it).  Reading subcommands take
 * no lock; rm, mv and push take it before they read the state, and fail
 * with exit status 3 when another run holds it (or still holds it after
 * --lock-timeout).  docs/state.md describes the files and the rules.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "state/state.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/map.h"
#include "util/mem.h"

#define STATE_DIR ".lakeform"

static const struct lf_option options[] = {
    {"lock-timeout", 0, "DURATION",
     "rm, mv, push, rekey: wait this long for the lock (30s, 2m, 1m30s; default 0s)"},
    {"force", 0, NULL, "push: replace a state of another lineage or a newer serial"},
    {"dry-run", 0, NULL, "rm, mv: print what would change and change nothing"},
    {"new-key-file", 0, "PATH", "rekey: the file holding the new key (base64 of 32 bytes)"},
    {0},
};

const struct lf_command lf_cmd_state;

/* main.c's usage errors, without the cli at hand */
#define usage(...) lf_cli_usage_error(cli, __VA_ARGS__)

/* Take the lock for `operation`, or say who holds it. */
static int take_lock(struct lf_cli *cli, struct lf_backend *b, const char *operation,
                     long timeout_ms)
{
	struct lf_lock_info mine, holder;
	int err = lf_state_lock(b, operation, timeout_ms, &mine, &holder);

	if (err == LF_STATE_ELOCKED) {
		const char *waited = lf_cli_opt(cli, "lock-timeout");

		if (timeout_ms > 0)
			lf_cli_error(cli,
			             "the state is still locked by another run "
			             "after waiting %s",
			             waited);
		else
			lf_cli_error(cli, "the state is locked by another run");
		lf_cli_print_lock_info(cli, &holder);
		fprintf(cli->err,
		        "lakeform takes the lock so that two runs never change the state\n"
		        "at once.  Wait for that run to end, or pass --lock-timeout DURATION\n"
		        "to wait for it; a lock whose process died is released with it.\n");
		return LF_EXIT_LOCKED;
	}
	if (err < 0) {
		lf_cli_error(cli, "cannot lock the state in '%s': %s", STATE_DIR,
		             lf_state_strerror(err));
		return LF_EXIT_ERROR;
	}
	if (cli->verbose)
		fprintf(cli->err, "lakeform: locked the state (ID %s)\n", mine.id);
	return LF_EXIT_OK;
}

/* Load the state, print what the load found; LF_EXIT_OK or ERROR. */
static int load(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	struct lf_diags d = LF_DIAGS_INIT;
	int err = lf_state_load(st, b, 1, &d);

	lf_cli_print_diags(cli, &d);
	lf_diags_release(&d);
	if (err < 0)
		return LF_EXIT_ERROR;
	for (size_t i = 0; i < st->npending; i++)
		fprintf(cli->err,
		        "lakeform: warning: the %s of '%s' was interrupted "
		        "before its outcome was recorded; the next apply or "
		        "refresh settles it by reading the provider\n",
		        st->pending[i].action, st->pending[i].address);
	return LF_EXIT_OK;
}

static int write_state(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	int err = lf_state_write(b, st);

	if (err < 0) {
		lf_cli_error(cli, "cannot write the state to '%s': %s", STATE_DIR,
		             lf_state_strerror(err));
		return LF_EXIT_ERROR;
	}
	return LF_EXIT_OK;
}

/* A resource's address as JSON text, as it appears in a state line. */
static char *json_quoted(const char *s)
{
	json_t *j = json_string(s);
	char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	return text ? text : lf_xasprintf("\"%s\"", s);
}

/* ---- list -------------------------------------------------------------- */

/* `address` is `filter` or lies under it ("catalog/main" covers
 * "catalog/main/sales"; "storage.bucket" every bucket). */
static int matches(const char *address, const char *filter)
{
	size_t n = strlen(filter);

	if (n && filter[n - 1] == '/')
		n--;
	return !strncmp(address, filter, n) && (!address[n] || address[n] == '/');
}

static int run_list(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	int rc = load(cli, b, st);

	if (rc)
		return rc;
	for (size_t i = 0; i < st->nres; i++) {
		int show = cli->nargs == 1;
		for (int k = 1; k < cli->nargs && !show; k++)
			show = matches(st->res[i].address, cli->args[k]);
		if (show)
			fprintf(cli->out, "%s\n", st->res[i].address);
	}
	return LF_EXIT_OK;
}

/* ---- show -------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy whose objects keep their keys in sorted order (printed with
 * JSON_PRESERVE_ORDER, nested keys come out sorted whatever their source). */
static json_t *sorted_copy(json_t *v)
{
	if (json_is_object(v)) {
		size_t n = json_object_size(v), k = 0;
		const char **keys = lf_xmalloc((n + 1) * sizeof(*keys));
		json_t *out = json_object(), *e;
		const char *key;

		json_object_foreach (v, key, e)
			keys[k++] = key;
		qsort(keys, n, sizeof(*keys), cmp_str);
		for (size_t i = 0; i < n; i++)
			json_object_set_new(out, keys[i], sorted_copy(json_object_get(v, keys[i])));
		free(keys);
		return out;
	}
	if (json_is_array(v)) {
		json_t *out = json_array(), *e;
		size_t i;

		json_array_foreach (v, i, e)
			json_array_append_new(out, sorted_copy(e));
		return out;
	}
	return json_incref(v);
}

/* Replace the value at dotted `path` under `root` with "(sensitive)". */
static void mask(json_t *root, const char *path)
{
	char *copy = lf_xstrdup(path), *seg = copy, *dot;
	json_t *at = root;

	for (;;) {
		dot = strchr(seg, '.');
		if (dot)
			*dot = '\0';
		if (json_is_object(at)) {
			if (!dot) {
				if (json_object_get(at, seg))
					json_object_set_new(at, seg, json_string("(sensitive)"));
				break;
			}
			at = json_object_get(at, seg);
		} else if (json_is_array(at)) {
			char *end;
			unsigned long i = strtoul(seg, &end, 10);
			if (*end || !*seg || i >= json_array_size(at))
				break;
			if (!dot) {
				json_array_set_new(at, i, json_string("(sensitive)"));
				break;
			}
			at = json_array_get(at, i);
		} else {
			break;
		}
		seg = dot + 1;
	}
	free(copy);
}

void lf_cli_masked_values(const struct lf_state_res *r, json_t **inputs, json_t **attrs)
{
	size_t i;
	json_t *p;

	*inputs = r->inputs ? sorted_copy(r->inputs) : NULL;
	*attrs = r->attrs ? sorted_copy(r->attrs) : NULL;
	json_array_foreach (r->sensitive, i, p) {
		mask(*inputs, json_string_value(p));
		mask(*attrs, json_string_value(p));
	}
}

/* What the state is as a whole: which lineage and serial, written by which
 * lakeform, carrying out the manifests of which commit. */
static void show_header(struct lf_cli *cli, const struct lf_state *st)
{
	if (!st->exists) {
		fprintf(cli->out, "no state in '%s' yet\n", STATE_DIR);
		return;
	}
	fprintf(cli->out, "lineage:    %s\n", st->lineage);
	fprintf(cli->out, "serial:     %llu\n", (unsigned long long)st->serial);
	fprintf(cli->out, "written by: %s\n", st->generator ? st->generator : "(unknown)");
	fprintf(cli->out, "git commit: %s\n", st->git_commit ? st->git_commit : "(none)");
	fprintf(cli->out, "resources:  %zu\n", st->nres);
}

static int run_show(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	struct lf_state_res *r;
	json_t *o, *inputs, *attrs;
	char *text;
	int rc = load(cli, b, st);

	if (rc)
		return rc;
	if (cli->nargs == 1) {
		show_header(cli, st);
		return LF_EXIT_OK;
	}
	r = lf_state_get(st, cli->args[1]);
	if (!r) {
		lf_cli_error(cli, "no resource '%s' in the state", cli->args[1]);
		return LF_EXIT_ERROR;
	}
	if (lf_state_res_parse(r) != 0) {
		lf_cli_error(cli, "the state's record of '%s' cannot be read", r->address);
		return LF_EXIT_ERROR;
	}
	lf_cli_masked_values(r, &inputs, &attrs);
	o = json_object();
	json_object_set_new(o, "address", json_string(r->address));
	json_object_set_new(o, "type", json_string(r->type));
	if (r->provider)
		json_object_set_new(o, "provider", json_string(r->provider));
	if (r->parent)
		json_object_set_new(o, "parent", json_string(r->parent));
	json_object_set_new(o, "digest", json_string(r->digest));
	if (r->deps)
		json_object_set(o, "deps", r->deps);
	if (inputs)
		json_object_set_new(o, "inputs", inputs);
	if (attrs)
		json_object_set_new(o, "attrs", attrs);
	if (r->sensitive)
		json_object_set(o, "sensitive", r->sensitive);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fprintf(cli->out, "%s\n", text);
	free(text);
	json_decref(o);
	return LF_EXIT_OK;
}

/* ---- rm ---------------------------------------------------------------- */

/*
 * Records whose parent is in `set`, added to it until nothing changes: the
 * provider resources a manifest resource expanded into go with it.  Lines
 * that cannot name a member as parent are not parsed.
 */
static void add_descendants(struct lf_state *st, char ***set, size_t *n, size_t *alloc,
                            struct lf_map *in)
{
	for (size_t done = 0; done < *n;) {
		size_t upto = *n;
		char **needles = lf_xcalloc(upto - done + 1, sizeof(*needles));

		for (size_t k = done; k < upto; k++) {
			char *q = json_quoted((*set)[k]);
			needles[k - done] = lf_xasprintf("\"parent\":%s", q);
			free(q);
		}
		for (size_t i = 0; i < st->nres; i++) {
			struct lf_state_res *r = &st->res[i];
			int candidate = !r->line;

			if (r->removed || lf_map_get(in, r->address))
				continue;
			for (size_t k = 0; k < upto - done && !candidate; k++)
				candidate = memmem(r->line, r->line_len, needles[k],
				                   strlen(needles[k])) != NULL;
			if (!candidate || lf_state_res_parse(r) != 0 || !r->parent)
				continue;
			if (lf_map_get(in, r->parent)) {
				LF_GROW(*set, *n + 1, *alloc);
				(*set)[(*n)++] = r->address;
				lf_map_put(in, r->address, r->parent);
			}
		}
		for (size_t k = 0; k < upto - done; k++)
			free(needles[k]);
		free(needles);
		done = upto;
	}
}

static int run_rm(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	struct lf_map in = LF_MAP_INIT; /* address -> what it was made for */
	char **set = NULL;
	size_t n = 0, alloc = 0, missing = 0;
	int dry = lf_cli_flag(cli, "dry-run"), rc = load(cli, b, st);

	if (rc)
		return rc;
	for (int k = 1; k < cli->nargs; k++) {
		struct lf_state_res *r = lf_state_get(st, cli->args[k]);

		if (!r) {
			lf_cli_error(cli, "no resource '%s' in the state", cli->args[k]);
			missing++;
		} else if (!lf_map_get(&in, r->address)) {
			LF_GROW(set, n + 1, alloc);
			set[n++] = r->address;
			lf_map_put(&in, r->address, "");
		}
	}
	if (missing) {
		fprintf(cli->err, "lakeform: nothing was removed\n");
		rc = LF_EXIT_ERROR;
		goto out;
	}
	add_descendants(st, &set, &n, &alloc, &in);
	/* the addresses in `set` are the records'; print before removing */
	qsort(set, n, sizeof(*set), cmp_str);
	for (size_t i = 0; i < n; i++) {
		const char *made_for = lf_map_get(&in, set[i]);
		fprintf(cli->out, "%s %s", dry ? "would remove" : "removed", set[i]);
		if (*made_for)
			fprintf(cli->out, " (made for %s)", made_for);
		fputc('\n', cli->out);
	}
	if (dry) {
		fprintf(cli->out,
		        "would remove %zu resource%s from the state "
		        "(dry run: nothing changed)\n",
		        n, n == 1 ? "" : "s");
		goto out;
	}
	/* removal frees the records' fields but keeps their addresses */
	for (size_t i = 0; i < n; i++) {
		lf_state_pending_drop(st, set[i]);
		lf_state_remove(st, set[i]);
	}
	rc = write_state(cli, b, st);
	if (!rc)
		fprintf(cli->out,
		        "removed %zu resource%s from the state; nothing "
		        "was destroyed\n",
		        n, n == 1 ? "" : "s");
out:
	free(set);
	lf_map_release(&in);
	return rc;
}

/* ---- mv ---------------------------------------------------------------- */

/* Records that name `from` as parent or dependency now name `to`. */
static size_t retarget(struct lf_state *st, const char *from, const char *to)
{
	char *q = json_quoted(from);
	size_t changed = 0;

	for (size_t i = 0; i < st->nres; i++) {
		struct lf_state_res *r = &st->res[i], c;
		json_t *deps = NULL, *e;
		size_t k;
		int hit = 0;

		if (r->removed || !strcmp(r->address, to) ||
		    (r->line && !memmem(r->line, r->line_len, q, strlen(q))))
			continue;
		if (lf_state_res_parse(r) != 0)
			continue;
		c = *r;
		if (r->parent && !strcmp(r->parent, from)) {
			c.parent = (char *)to;
			hit = 1;
		}
		if (r->deps) {
			deps = json_array();
			json_array_foreach (r->deps, k, e) {
				int same = !strcmp(json_string_value(e), from);
				json_array_append_new(
				    deps, json_string(same ? to : json_string_value(e)));
				hit |= same;
			}
			c.deps = deps;
		}
		if (hit) {
			lf_state_put(st, &c); /* copies c, then replaces r */
			changed++;
		}
		json_decref(deps);
	}
	free(q);
	return changed;
}

static int run_mv(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	const char *from = cli->args[1], *to = cli->args[2];
	struct lf_state_res *r, moved;
	size_t tlen, refs;
	int dry = lf_cli_flag(cli, "dry-run"), rc = load(cli, b, st);

	if (rc)
		return rc;
	r = lf_state_get(st, from);
	if (!r) {
		lf_cli_error(cli, "no resource '%s' in the state", from);
		return LF_EXIT_ERROR;
	}
	if (lf_state_get(st, to)) {
		lf_cli_error(cli,
		             "'%s' is already in the state; 'state rm' it first "
		             "if it should go",
		             to);
		return LF_EXIT_ERROR;
	}
	tlen = strlen(r->type);
	if (strncmp(to, r->type, tlen) || to[tlen] != '/' || !to[tlen + 1]) {
		lf_cli_error(cli,
		             "cannot move '%s' to '%s': a %s's address starts "
		             "with '%s/'",
		             from, to, r->type, r->type);
		return LF_EXIT_ERROR;
	}
	for (size_t i = 0; i < st->npending; i++)
		if (!strcmp(st->pending[i].address, from)) {
			lf_cli_error(cli,
			             "cannot move '%s': its %s was interrupted and "
			             "is not settled yet; run apply or refresh first",
			             from, st->pending[i].action);
			return LF_EXIT_ERROR;
		}
	if (lf_state_res_parse(r) != 0) {
		lf_cli_error(cli, "the state's record of '%s' cannot be read", from);
		return LF_EXIT_ERROR;
	}
	if (dry) {
		fprintf(cli->out, "would move %s to %s (dry run: nothing changed)\n", from, to);
		return LF_EXIT_OK;
	}
	moved = *r;
	moved.address = (char *)to;
	lf_state_put(st, &moved); /* a copy under the new address */
	lf_state_remove(st, from);
	refs = retarget(st, from, to);
	rc = write_state(cli, b, st);
	if (!rc) {
		fprintf(cli->out, "moved %s to %s", from, to);
		if (refs)
			fprintf(cli->out, " (and %zu record%s that named it)", refs,
			        refs == 1 ? "" : "s");
		fputc('\n', cli->out);
	}
	return rc;
}

/* ---- pull and push ------------------------------------------------------ */

static int run_pull(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	struct lf_buf text = LF_BUF_INIT;
	int rc = load(cli, b, st);

	if (rc)
		return rc;
	if (!st->exists)
		return LF_EXIT_OK; /* as terraform state pull: nothing */
	int err = lf_state_format(st, &text);
	if (err) {
		lf_cli_error(cli, "%s", lf_state_strerror(err));
		lf_buf_release(&text);
		return LF_EXIT_ERROR;
	}
	fwrite(text.ptr, 1, text.len, cli->out);
	lf_buf_release(&text);
	return LF_EXIT_OK;
}

static int run_push(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	const char *path = cli->args[1];
	const char *file = strcmp(path, "-") ? path : "<stdin>";
	struct lf_diags d = LF_DIAGS_INIT;
	json_error_t je;
	json_t *doc;
	char *data = NULL;
	size_t len;
	int err, rc;

	/* the lock is taken first (the caller did), then the file is read: a
	 * push from a slow pipe holds the lock while it waits */
	err = lf_read_file(&data, &len, strcmp(path, "-") ? path : "/dev/stdin", (size_t)4 << 30);
	if (err < 0) {
		lf_cli_error(cli, "cannot read '%s': %s", file, strerror(-err));
		return LF_EXIT_ERROR;
	}
	doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	free(data);
	if (!doc) {
		/* jansson has no column for an empty input: no position then */
		struct lf_pos pos = {file, je.column > 0 ? (unsigned)je.line : 0,
		                     je.column > 0 ? (unsigned)je.column : 0};
		lf_diag_error(&d, &pos, "not valid JSON: %s", je.text);
		lf_cli_print_diags(cli, &d);
		lf_diags_release(&d);
		return LF_EXIT_ERROR;
	}
	rc = load(cli, b, st);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	err = lf_state_push(b, st, doc, lf_cli_flag(cli, "force"), &d);
	json_decref(doc);
	if (err == LF_STATE_ELINEAGE || err == LF_STATE_ESERIAL) {
		/* the core says what differs; the way round it is a CLI matter */
		char *msg =
		    lf_xasprintf("%s; 'state push --force' replaces it anyway", d.v[d.n - 1].msg);
		free(d.v[d.n - 1].msg);
		d.v[d.n - 1].msg = msg;
	} else if (err == LF_STATE_EINVALID || err == LF_STATE_EVERSION) {
		for (size_t i = 0; i < d.n; i++)
			if (!d.v[i].file)
				d.v[i].file = lf_xstrdup(file);
	}
	lf_cli_print_diags(cli, &d);
	lf_diags_release(&d);
	if (err < 0 && err != LF_STATE_ELINEAGE && err != LF_STATE_ESERIAL &&
	    err != LF_STATE_EINVALID && err != LF_STATE_EVERSION)
		lf_cli_error(cli, "cannot write the state to '%s': %s", STATE_DIR,
		             lf_state_strerror(err));
	return err < 0 ? LF_EXIT_ERROR : LF_EXIT_OK;
}

/* ---- rekey --------------------------------------------------------------- */

static int run_rekey(struct lf_cli *cli, struct lf_backend *b, struct lf_state *st)
{
	const char *file = lf_cli_opt(cli, "new-key-file");
	struct lf_diags d = LF_DIAGS_INIT;
	struct lf_state_key to;
	char was[17];
	size_t n = 0;
	int err, rc;

	err = lf_state_key_from_file(&to, file);
	if (err == -EINVAL) {
		lf_cli_error(cli,
		             "'%s' does not hold a key: write 32 bytes in base64 (44 characters, "
		             "such as the output of 'openssl rand -base64 32')",
		             file);
		return LF_EXIT_ERROR;
	} else if (err) {
		lf_cli_error(cli, "cannot read '%s': %s", file, strerror(-err));
		return LF_EXIT_ERROR;
	}
	if ((rc = load(cli, b, st)) != LF_EXIT_OK)
		return rc;
	if (!st->exists) {
		lf_cli_error(cli, "no state in '%s' yet: nothing to rekey", STATE_DIR);
		return LF_EXIT_ERROR;
	}
	memcpy(was, st->key_id, sizeof(was));
	err = lf_state_rekey(b, st, &to, &n, &d);
	lf_cli_print_diags(cli, &d);
	lf_diags_release(&d);
	memset(&to, 0, sizeof(to));
	if (err)
		return LF_EXIT_ERROR;
	fprintf(cli->out,
	        "re-encrypted %zu value%s with key %s (was %s); the journal is compacted\n", n,
	        n == 1 ? "" : "s", st->key_id, was[0] ? was : "none");
	fprintf(cli->out, "From now on give lakeform the new key (LAKEFORM_STATE_KEY or "
	                  "state.encryption.key_file).\n");
	return LF_EXIT_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

struct sub {
	const char *name;
	int min, max;       /* arguments after the subcommand; -1: any */
	const char *lock;   /* operation name when it writes, else NULL */
	int force, dry_run; /* which options apply */
	int new_key;
	int (*run)(struct lf_cli *, struct lf_backend *, struct lf_state *);
	const char *args; /* for messages */
};

static const struct sub subs[] = {
    {"list", 0, -1, NULL, 0, 0, 0, run_list, "[ADDR...]"},
    {"show", 0, 1, NULL, 0, 0, 0, run_show, "[ADDR]"},
    {"rm", 1, -1, "state rm", 0, 1, 0, run_rm, "ADDR..."},
    {"mv", 2, 2, "state mv", 0, 1, 0, run_mv, "OLD NEW"},
    {"pull", 0, 0, NULL, 0, 0, 0, run_pull, ""},
    {"push", 1, 1, "state push", 1, 0, 0, run_push, "[--force] FILE"},
    {"rekey", 0, 0, "state rekey", 0, 0, 1, run_rekey, "--new-key-file PATH"},
};

static int run(struct lf_cli *cli)
{
	const struct sub *s = NULL;
	struct lf_backend *b = NULL;
	struct lf_state st = LF_STATE_INIT;
	struct lf_session ses;
	const char *timeout = lf_cli_opt(cli, "lock-timeout");
	long timeout_ms = 0;
	int nargs, rc;

	if (cli->nargs < 1)
		return usage("'state' needs a subcommand: list, show, rm, mv, pull, push or rekey");
	for (size_t i = 0; i < sizeof(subs) / sizeof(*subs); i++)
		if (!strcmp(cli->args[0], subs[i].name))
			s = &subs[i];
	if (!s)
		return usage("unknown state subcommand '%s' (list, show, rm, mv, "
		             "pull, push or rekey)",
		             cli->args[0]);
	nargs = cli->nargs - 1;
	if (nargs < s->min || (s->max >= 0 && nargs > s->max))
		return usage("wrong number of arguments for 'state %s' (state %s%s%s)", s->name,
		             s->name, *s->args ? " " : "", s->args);
	if (lf_cli_flag(cli, "force") && !s->force)
		return usage("option '--force' does not apply to 'state %s'", s->name);
	if (lf_cli_flag(cli, "dry-run") && !s->dry_run)
		return usage("option '--dry-run' does not apply to 'state %s'", s->name);
	if (lf_cli_opt(cli, "new-key-file") && !s->new_key)
		return usage("option '--new-key-file' does not apply to 'state %s'", s->name);
	if (s->new_key && !lf_cli_opt(cli, "new-key-file"))
		return usage("'state %s' needs --new-key-file PATH", s->name);
	if (timeout && !s->lock)
		return usage("option '--lock-timeout' does not apply to 'state %s', "
		             "which takes no lock",
		             s->name);
	if (timeout && lf_duration_parse(timeout, &timeout_ms) < 0)
		return usage("invalid duration '%s' for --lock-timeout (write it as "
		             "30s, 2m or 1m30s)",
		             timeout);

	lf_cli_session_init(cli, &ses);
	if (lf_cli_open_backend(cli, &ses, &b) != LF_EXIT_OK) {
		lf_session_close(&ses);
		return LF_EXIT_ERROR;
	}
	rc = LF_EXIT_OK;
	/* dry runs change nothing, but read what a real run would read */
	if (s->lock)
		rc = take_lock(cli, b, s->lock, timeout_ms);
	if (!rc)
		rc = s->run(cli, b, &st);
	lf_state_release(&st);
	lf_backend_free(b); /* releases the lock */
	lf_session_close(&ses);
	return rc;
}

const struct lf_command lf_cmd_state = {
    .name = "state",
    .summary = "inspect and edit the recorded state",
    .usage = "state (list [ADDR...] | show [ADDR] | rm ADDR... | mv OLD NEW | pull | push "
             "[--force] FILE | rekey --new-key-file PATH)",
    .description = "Inspect and edit what lakeform has recorded in .lakeform/ of the\n"
                   "configuration directory.  Nothing here calls a provider: removing a\n"
                   "record does not destroy what it describes.\n"
                   "\n"
                   "  state list [ADDR...]\n"
                   "      Print the address of every recorded resource, sorted.  With\n"
                   "      ADDRs, only those and the addresses under them ('catalog/main'\n"
                   "      also lists 'catalog/main/sales'; 'storage.bucket' every bucket).\n"
                   "  state show [ADDR]\n"
                   "      Print one record as JSON: address, type, provider, parent,\n"
                   "      digest of the applied inputs, dependencies, inputs and the\n"
                   "      attributes the provider reported; sensitive values are shown\n"
                   "      as \"(sensitive)\".  Without ADDR, the state's header: lineage,\n"
                   "      serial, the lakeform that wrote it, the git commit whose\n"
                   "      manifests the last apply carried out, the number of records.\n"
                   "  state rm [--dry-run] ADDR...\n"
                   "      Forget resources, and the provider resources made for them, so\n"
                   "      that lakeform no longer manages them.  They keep existing.\n"
                   "  state mv [--dry-run] OLD NEW\n"
                   "      Record the resource at OLD under NEW (same type), after a\n"
                   "      rename, so that the next plan does not replace it.  Records\n"
                   "      naming OLD as parent or dependency name NEW.\n"
                   "  state pull\n"
                   "      Print the whole state as JSON (the snapshot format, with the\n"
                   "      journal applied); nothing when there is no state.\n"
                   "  state push [--force] FILE\n"
                   "      Replace the state with FILE ('-': standard input), a document\n"
                   "      as 'state pull' prints it.  Refused when its lineage differs or\n"
                   "      its serial is older than the state's, unless --force.\n"
                   "  state rekey --new-key-file PATH\n"
                   "      Re-encrypt the state's sensitive values with the key in PATH\n"
                   "      (base64 of 32 bytes); the current key is the one given as\n"
                   "      usual (LAKEFORM_STATE_KEY or state.encryption.key_file).  The\n"
                   "      journal is compacted, so no value stays under the old key.\n"
                   "\n"
                   "rm, mv, push and rekey take the state lock and fail at once, with exit\n"
                   "status 3 and the holder's description, when another run holds it;\n"
                   "--lock-timeout DURATION waits for it (retrying after 1 s, 2 s, 4 s ...\n"
                   "up to every 16 s).  Exit status: 0 done, 1 error, 3 locked, 64 usage.",
    .options = options,
    .min_args = 0,
    .max_args = -1,
    .run = run,
};
