#include "drift.h"

#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/mem.h"

/* ---- .lakeformignore ------------------------------------------------------ */

int lf_glob_match(const char *p, const char *s)
{
	const char *star = NULL, *back = NULL;

	/* iterative, with one backtrack point: linear-ish, no recursion */
	while (*s) {
		if (*p == '*') {
			star = p++;
			back = s;
		} else if (*p == '\\' && p[1] && p[1] == *s) {
			p += 2;
			s++;
		} else if ((*p == '?' || *p == *s) && *p != '\\') {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++back;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* A field pattern's characters: those of field paths, and the wildcards. */
static int field_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '/' || c == '[' || c == ']' || c == '*' ||
	       c == '?';
}

static void add_rule(struct lf_ignore *ig, char *address, char *field, int negate, unsigned line)
{
	LF_GROW(ig->v, ig->n + 1, ig->alloc);
	ig->v[ig->n].address = address;
	ig->v[ig->n].field = field;
	ig->v[ig->n].negate = negate;
	ig->v[ig->n].line = line;
	ig->n++;
}

/* One line, without its newline and surrounding blanks. */
static void parse_line(struct lf_ignore *ig, const char *s, size_t len, const char *file,
                       unsigned line, struct lf_diags *d)
{
	struct lf_pos pos = {file, line, 1};
	struct lf_buf addr = LF_BUF_INIT, field = LF_BUF_INIT;
	int negate = 0, in_field = 0;
	size_t i = 0;

	if (s[0] == '!') {
		negate = 1;
		i = 1;
	}
	for (; i < len; i++) {
		char c = s[i];
		if (c == '\\') {
			if (++i == len) {
				lf_diag_error(d, &pos, "a pattern cannot end with '\\'");
				goto bad;
			}
			/* a wildcard stays escaped, for lf_glob_match() */
			if (s[i] == '*' || s[i] == '?' || s[i] == '\\')
				lf_buf_addc(in_field ? &field : &addr, '\\');
			lf_buf_addc(in_field ? &field : &addr, s[i]);
			continue;
		}
		if (c == ' ' || c == '\t') {
			pos.col = (unsigned)i + 1;
			lf_diag_error(d, &pos,
			              "a pattern holds no blanks (one pattern per line; '\\ ' for "
			              "a blank)");
			goto bad;
		}
		if (c == ':' && !in_field) {
			in_field = 1;
			continue;
		}
		if (in_field && !field_char(c)) {
			pos.col = (unsigned)i + 1;
			lf_diag_error(d, &pos,
			              "'%c' cannot be in a field path (write labels.team, "
			              "statements[2].access)",
			              c);
			goto bad;
		}
		lf_buf_addc(in_field ? &field : &addr, c);
	}
	if (addr.len == 0) {
		lf_diag_error(d, &pos, "a pattern needs an address before ':' ('*' for any)");
		goto bad;
	}
	if (in_field && field.len == 0) {
		lf_diag_error(d, &pos, "a field path is missing after ':'");
		goto bad;
	}
	add_rule(ig, lf_buf_detach(&addr), in_field ? lf_buf_detach(&field) : NULL, negate, line);
	return;
bad:
	lf_buf_release(&addr);
	lf_buf_release(&field);
}

int lf_ignore_parse(struct lf_ignore *ig, const char *text, size_t len, const char *file,
                    struct lf_diags *d)
{
	size_t errors = d->errors;
	unsigned line = 0;

	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t a = at, b = end;

		line++;
		while (a < b && (text[a] == ' ' || text[a] == '\t'))
			a++;
		while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r'))
			b--;
		if (a < b && text[a] != '#') {
			if (memchr(text + a, '\0', b - a)) {
				struct lf_pos pos = {file, line, 1};
				lf_diag_error(d, &pos, "a NUL byte in a pattern");
			} else {
				parse_line(ig, text + a, b - a, file, line, d);
			}
		}
		at = end + 1;
	}
	return d->errors > errors ? -1 : 0;
}

/* `pattern` matches `field` or a field it holds ("labels" holds
 * "labels.team", "statements" holds "statements[2].access"). */
static int field_match(const char *pattern, const char *field)
{
	if (lf_glob_match(pattern, field))
		return 1;
	for (const char *p = field; *p; p++) {
		if (*p != '.' && *p != '[')
			continue;
		char *head = lf_xstrndup(field, (size_t)(p - field));
		int ok = lf_glob_match(pattern, head);
		free(head);
		if (ok)
			return 1;
	}
	return 0;
}

int lf_ignore_match(const struct lf_ignore *ig, const char *address, const char *field,
                    unsigned *line)
{
	int ignored = 0;

	if (line)
		*line = 0;
	for (size_t i = 0; ig && i < ig->n; i++) {
		const struct lf_ignore_rule *r = &ig->v[i];

		if (r->field && (!field || !field_match(r->field, field)))
			continue;
		if (!lf_glob_match(r->address, address))
			continue;
		ignored = !r->negate;
		if (line)
			*line = r->line;
	}
	return ignored;
}

static void add_escaped(struct lf_buf *b, const char *s, int field)
{
	for (const char *p = s; *p; p++) {
		if (*p == '*' || *p == '?' || *p == '\\' || (*p == ':' && !field) ||
		    (p == s && !field && (*p == '!' || *p == '#')) || *p == ' ' || *p == '\t')
			lf_buf_addc(b, '\\');
		lf_buf_addc(b, *p);
	}
}

char *lf_ignore_pattern(const char *address, const char *field)
{
	struct lf_buf b = LF_BUF_INIT;

	add_escaped(&b, address, 0);
	if (field) {
		lf_buf_addc(&b, ':');
		add_escaped(&b, field, 1);
	}
	return lf_buf_detach(&b);
}

void lf_ignore_release(struct lf_ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++) {
		free(ig->v[i].address);
		free(ig->v[i].field);
	}
	free(ig->v);
	memset(ig, 0, sizeof(*ig));
}

/* ---- the comparison ------------------------------------------------------- */

const char *lf_drift_kind_name(enum lf_drift_kind k)
{
	switch (k) {
	case LF_DRIFT_CHANGED:
		return "changed";
	case LF_DRIFT_MISSING:
		return "missing";
	case LF_DRIFT_UNMANAGED:
		return "unmanaged";
	case LF_DRIFT_NOT_APPLIED:
		return "not_applied";
	case LF_DRIFT_NOT_DECLARED:
		return "not_declared";
	}
	return "unknown";
}

static struct lf_drift_finding *add_finding(struct lf_drift *dr, enum lf_drift_kind kind,
                                            const char *address, const char *type)
{
	LF_GROW(dr->v, dr->n + 1, dr->alloc);
	struct lf_drift_finding *f = &dr->v[dr->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->address = lf_xstrdup(address);
	f->type = lf_xstrdup(type ? type : "");
	return f;
}

struct fields {
	struct lf_drift_field *v;
	size_t n, alloc;
};

static void add_field(struct fields *fs, const char *path, json_t *recorded, json_t *real)
{
	LF_GROW(fs->v, fs->n + 1, fs->alloc);
	struct lf_drift_field *f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	f->path = lf_xstrdup(*path ? path : "(value)");
	f->recorded = recorded ? json_deep_copy(recorded) : NULL;
	f->real = real ? json_deep_copy(real) : NULL;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Field by field: objects by key, arrays by index, anything else whole. */
static void diff(struct fields *fs, struct lf_buf *path, json_t *a, json_t *b)
{
	size_t mark = path->len;

	if (json_is_object(a) && json_is_object(b)) {
		size_t n = json_object_size(a) + json_object_size(b), k = 0;
		const char **keys = lf_xcalloc(n + 1, sizeof(*keys));
		const char *key;
		json_t *v;

		json_object_foreach (a, key, v)
			keys[k++] = key;
		json_object_foreach (b, key, v)
			if (!json_object_get(a, key))
				keys[k++] = key;
		if (k)
			qsort(keys, k, sizeof(*keys), cmp_keys);
		for (size_t i = 0; i < k; i++) {
			if (mark)
				lf_buf_addc(path, '.');
			lf_buf_adds(path, keys[i]);
			diff(fs, path, json_object_get(a, keys[i]), json_object_get(b, keys[i]));
			lf_buf_truncate(path, mark);
		}
		free(keys);
		return;
	}
	if (json_is_array(a) && json_is_array(b)) {
		size_t na = json_array_size(a), nb = json_array_size(b);
		for (size_t i = 0; i < (na > nb ? na : nb); i++) {
			lf_buf_addf(path, "[%zu]", i);
			diff(fs, path, json_array_get(a, i), json_array_get(b, i));
			lf_buf_truncate(path, mark);
		}
		return;
	}
	if (a && b && json_equal(a, b))
		return;
	if (!a && !b)
		return;
	add_field(fs, lf_buf_cstr(path), a, b);
}

/* A field under one of the record's sensitive paths shows no value. */
static void hide_sensitive(struct lf_drift_field *f, json_t *sensitive)
{
	size_t i;
	json_t *s;

	json_array_foreach (sensitive, i, s) {
		const char *p = json_string_value(s);
		size_t n = p ? strlen(p) : 0;
		if (!n || strncmp(f->path, p, n) ||
		    (f->path[n] && f->path[n] != '.' && f->path[n] != '['))
			continue;
		if (f->recorded) {
			json_decref(f->recorded);
			f->recorded = json_string("(sensitive)");
		}
		if (f->real) {
			json_decref(f->real);
			f->real = json_string("(sensitive)");
		}
		return;
	}
}

/*
 * ignore_changes names fields of the manifest resource ("spec.tags",
 * "spec.node_pool.nodes"); a provider resource it made has the same field
 * under the path's last parts ("tags"; "node_pool.nodes" or "nodes").
 */
static int ignored_by_lifecycle(json_t *ign, const char *field)
{
	size_t i;
	json_t *v;

	json_array_foreach (ign, i, v) {
		const char *p = json_string_value(v);
		if (!p || !strncmp(p, "metadata.lifecycle", 18))
			continue;
		if (!strncmp(p, "spec.", 5))
			p += 5;
		for (const char *c = p; c; c = strchr(c, '.') ? strchr(c, '.') + 1 : NULL) {
			size_t n = strlen(c);
			if (!strncmp(field, c, n) &&
			    (field[n] == '\0' || field[n] == '.' || field[n] == '['))
				return 1;
		}
	}
	return 0;
}

static void changed_finding(struct lf_drift *dr, const struct lf_drift_input *in,
                            const struct lf_observation *ob)
{
	struct lf_state_res *rec = lf_state_get(in->st, ob->address);
	struct fields fs = {NULL, 0, 0};
	struct lf_buf path = LF_BUF_INIT;
	json_t *ign = NULL;

	if (!rec)
		return;
	lf_state_res_parse(rec);
	diff(&fs, &path, rec->inputs, ob->seen);
	lf_buf_release(&path);
	if (fs.n == 0) {
		/* same value, other digest (key order of an older writer) */
		free(fs.v);
		dr->in_sync++;
		return;
	}
	if (in->m && rec->parent) {
		const struct lf_resource *mr = lf_manifest_get(in->m, rec->parent);
		if (mr)
			ign = lf_json_path(mr->value, "metadata.lifecycle.ignore_changes");
	}
	struct lf_drift_finding *f = add_finding(dr, LF_DRIFT_CHANGED, ob->address, ob->type);
	size_t ignored = 0;
	for (size_t i = 0; i < fs.n; i++) {
		struct lf_drift_field *fl = &fs.v[i];
		hide_sensitive(fl, rec->sensitive);
		if (lf_ignore_match(in->ignore, ob->address, fl->path, &fl->line)) {
			fl->ignored = 1;
			fl->why = ".lakeformignore";
		} else if (ignored_by_lifecycle(ign, fl->path)) {
			fl->ignored = 1;
			fl->why = "ignore_changes";
			fl->line = 0;
		}
		ignored += fl->ignored;
	}
	f->fields = fs.v;
	f->nfields = fs.n;
	if (ignored == fs.n) {
		f->ignored = 1;
		f->why = fs.v[0].why;
		f->line = fs.v[0].line;
	}
}

/* A whole-resource finding: ignored when .lakeformignore says so. */
static void whole_finding(struct lf_drift *dr, const struct lf_drift_input *in,
                          enum lf_drift_kind kind, const char *address, const char *type,
                          const char *id)
{
	struct lf_drift_finding *f = add_finding(dr, kind, address, type);

	if (id)
		f->id = lf_xstrdup(id);
	if (lf_ignore_match(in->ignore, address, NULL, &f->line)) {
		f->ignored = 1;
		f->why = ".lakeformignore";
	}
}

static int cmp_findings(const void *a, const void *b)
{
	const struct lf_drift_finding *x = a, *y = b;
	int c = strcmp(x->address, y->address);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

int lf_drift_build(struct lf_drift *out, const struct lf_drift_input *in)
{
	const struct lf_observations *obs = in->obs;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; obs && i < obs->n; i++) {
		const struct lf_observation *ob = &obs->v[i];

		switch (ob->status) {
		case LF_OBS_SAME:
			out->checked++;
			out->in_sync++;
			break;
		case LF_OBS_CHANGED:
			out->checked++;
			changed_finding(out, in, ob);
			break;
		case LF_OBS_GONE:
			out->checked++;
			whole_finding(out, in, LF_DRIFT_MISSING, ob->address, ob->type, NULL);
			break;
		case LF_OBS_ERROR:
			out->errors++;
			break;
		}
	}
	for (size_t i = 0; i < in->num; i++)
		whole_finding(out, in, LF_DRIFT_UNMANAGED, in->um[i].address, in->um[i].type,
		              in->um[i].id);
	out->managed_objects = in->managed;
	out->unmanaged_objects = in->num;
	out->unlisted_types = in->unlisted;

	if (in->ds) {
		for (size_t i = 0; i < in->ds->n; i++) {
			const struct lf_dres *r = in->ds->v[i];
			if (!lf_state_get(in->st, r->address))
				whole_finding(out, in, LF_DRIFT_NOT_APPLIED, r->address, r->type,
				              NULL);
		}
		for (size_t i = 0; i < in->st->nres; i++) {
			const struct lf_state_res *r = &in->st->res[i];
			if (!r->removed && !lf_desired_get(in->ds, r->address))
				whole_finding(out, in, LF_DRIFT_NOT_DECLARED, r->address, r->type,
				              NULL);
		}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_findings);

	for (size_t i = 0; i < out->n; i++) {
		const struct lf_drift_finding *f = &out->v[i];
		if (f->ignored) {
			out->ignored++;
			if (f->kind == LF_DRIFT_CHANGED || f->kind == LF_DRIFT_MISSING)
				out->in_sync++;
			continue;
		}
		switch (f->kind) {
		case LF_DRIFT_CHANGED:
			out->changed++;
			break;
		case LF_DRIFT_MISSING:
			out->missing++;
			break;
		case LF_DRIFT_UNMANAGED:
			out->unmanaged++;
			break;
		case LF_DRIFT_NOT_APPLIED:
			out->not_applied++;
			break;
		case LF_DRIFT_NOT_DECLARED:
			out->not_declared++;
			break;
		}
	}
	return 0;
}

int lf_drift_found(const struct lf_drift *dr)
{
	return dr->changed + dr->missing + dr->unmanaged + dr->not_applied + dr->not_declared > 0;
}

/* ---- the JSON report ------------------------------------------------------ */

static json_t *ignored_by(const char *why, unsigned line)
{
	if (!why)
		return json_null();
	if (line)
		return json_pack("{s:s, s:i}", "source", why, "line", (json_int_t)line);
	return json_pack("{s:s}", "source", why);
}

static json_t *finding_json(const struct lf_drift_finding *f)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "kind", lf_drift_kind_name(f->kind),
	                      "address", f->address, "type", f->type, "ignored", f->ignored);

	if (f->ignored)
		json_object_set_new(o, "ignored_by", ignored_by(f->why, f->line));
	if (f->id)
		json_object_set_new(o, "id", json_string(f->id));
	if (f->kind == LF_DRIFT_CHANGED) {
		json_t *fields = json_array();
		for (size_t i = 0; i < f->nfields; i++) {
			const struct lf_drift_field *fl = &f->fields[i];
			json_t *x = json_pack("{s:s}", "path", fl->path);
			if (fl->recorded)
				json_object_set(x, "recorded", fl->recorded);
			if (fl->real)
				json_object_set(x, "real", fl->real);
			json_object_set_new(x, "ignored", json_boolean(fl->ignored));
			if (fl->ignored)
				json_object_set_new(x, "ignored_by", ignored_by(fl->why, fl->line));
			json_array_append_new(fields, x);
		}
		json_object_set_new(o, "fields", fields);
	}
	return o;
}

json_t *lf_drift_to_json(const struct lf_drift *dr, const struct lf_drift_meta *meta)
{
	size_t listed = dr->managed_objects + dr->unmanaged_objects;
	json_t *summary = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "checked",
	    (json_int_t)dr->checked, "in_sync", (json_int_t)dr->in_sync, "changed",
	    (json_int_t)dr->changed, "missing", (json_int_t)dr->missing, "unmanaged",
	    (json_int_t)dr->unmanaged, "not_applied", (json_int_t)dr->not_applied, "not_declared",
	    (json_int_t)dr->not_declared, "ignored", (json_int_t)dr->ignored, "errors",
	    (json_int_t)dr->errors, "managed_objects", (json_int_t)dr->managed_objects,
	    "unmanaged_objects", (json_int_t)dr->unmanaged_objects, "unlisted_types",
	    (json_int_t)dr->unlisted_types);
	json_object_set_new(summary, "managed_share",
	                    listed ? json_real((double)dr->managed_objects / (double)listed)
	                           : json_null());

	json_t *findings = json_array();
	for (size_t i = 0; i < dr->n; i++)
		json_array_append_new(findings, finding_json(&dr->v[i]));

	json_t *errors = json_array();
	for (size_t i = 0; meta->obs && i < meta->obs->n; i++) {
		const struct lf_observation *ob = &meta->obs->v[i];
		if (ob->status == LF_OBS_ERROR)
			json_array_append_new(
			    errors, json_pack("{s:s, s:s, s:s}", "address", ob->address, "type",
			                      ob->type, "message", ob->error ? ob->error : ""));
	}

	const char *status = dr->errors ? "error" : lf_drift_found(dr) ? "drift" : "in_sync";
	return json_pack(
	    "{s:i, s:s, s:s, s:s, s:o, s:{s:o, s:I}, s:o, s:o, s:o}", "format_version", 1,
	    "lakeform_version", meta->version, "timestamp", meta->timestamp, "status", status,
	    "git_commit", meta->git_commit ? json_string(meta->git_commit) : json_null(), "state",
	    "lineage", *meta->lineage ? json_string(meta->lineage) : json_null(), "serial",
	    (json_int_t)meta->serial, "summary", summary, "findings", findings, "errors", errors);
}

void lf_drift_release(struct lf_drift *dr)
{
	for (size_t i = 0; i < dr->n; i++) {
		struct lf_drift_finding *f = &dr->v[i];
		for (size_t k = 0; k < f->nfields; k++) {
			free(f->fields[k].path);
			json_decref(f->fields[k].recorded);
			json_decref(f->fields[k].real);
		}
		free(f->fields);
		free(f->address);
		free(f->type);
		free(f->id);
	}
	free(dr->v);
	memset(dr, 0, sizeof(*dr));
}
