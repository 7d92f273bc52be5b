#include "source.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/mem.h"
#include "../util/par.h"
#include "../util/sha256.h"

static struct lf_source_file *add_file(struct lf_source *src, const char *path)
{
	struct lf_source_file *f;

	LF_GROW(src->files, src->nfiles + 1, src->files_alloc);
	f = &src->files[src->nfiles++];
	f->path = lf_xstrdup(path);
	f->data = NULL;
	f->len = 0;
	f->pos = NULL;
	f->first_doc = src->ndocs;
	f->ndocs = 0;
	f->failed = 0;
	f->has_content = 0;
	return f;
}

/* Take the documents `docs` parsed from `data` (both owned, data kept for
 * positions) as the text of `f`; `err`: the parse's result. */
static int take_docs(struct lf_source *src, struct lf_source_file *f, char *data, size_t len,
                     struct lf_yaml_doc *docs, size_t n, int err)
{
	f->data = data;
	f->len = len;
	LF_GROW(src->docs, src->ndocs + n, src->docs_alloc);
	for (size_t i = 0; i < n; i++) {
		struct lf_source_doc *sd = &src->docs[src->ndocs++];
		sd->root = docs[i].root;
		sd->file = (size_t)(f - src->files);
		sd->pos = docs[i].pos;
		sd->pos.file = f->path;
		sd->index = docs[i].index;
		sd->origins = NULL;
	}
	free(docs); /* the roots moved into src */
	f->ndocs = n;
	if (err)
		f->failed = 1;
	return err;
}

/* Parse `data` (owned, kept for positions) as the text of `f`. */
static int load_text(struct lf_source *src, struct lf_source_file *f, char *data, size_t len,
                     struct lf_diags *d)
{
	struct lf_yaml_doc *docs = NULL;
	size_t n = 0;
	int err = lf_yaml_parse(&docs, &n, f->path, data, len, NULL, d);

	return take_docs(src, f, data, len, docs, n, err);
}

int lf_source_load_buffer(struct lf_source *src, const char *name, const char *data, size_t len,
                          struct lf_diags *d)
{
	return load_text(src, add_file(src, name), lf_xstrndup(data, len), len, d);
}

/* A file read and parsed, possibly on another thread, not yet in a source. */
struct loaded {
	const char *path; /* borrowed */
	char *data;
	size_t len;
	int read_err;   /* lf_read_file's */
	int no_content; /* the source's: parse without the content digest */
	struct lf_yaml_doc *docs;
	size_t ndocs;
	int parse_err;
	struct lf_diags d;                    /* the parse's, moved to the caller's in file order */
	unsigned char content[LF_SHA256_LEN]; /* lf_yaml_content_digest() */
};

static void read_and_parse(struct loaded *l)
{
	l->read_err = lf_read_file(&l->data, &l->len, l->path, LF_SOURCE_MAX_FILE_BYTES);
	if (l->read_err)
		return;
	if (l->no_content)
		l->parse_err =
		    lf_yaml_parse(&l->docs, &l->ndocs, l->path, l->data, l->len, NULL, &l->d);
	else
		l->parse_err = lf_yaml_parse_digest(&l->docs, &l->ndocs, l->path, l->data, l->len,
		                                    &l->d, l->content);
}

/* Add the file `l` describes to `src` (its path `path`), its diagnostics
 * to `d`, as load_one() would have. */
static int add_loaded(struct lf_source *src, const char *path, struct loaded *l, struct lf_diags *d)
{
	struct lf_source_file *f = add_file(src, path);
	int err = l->read_err;

	if (err == -EFBIG) {
		lf_diag_file_error(d, f->path, "file is larger than the limit of %u MiB",
		                   LF_SOURCE_MAX_FILE_BYTES >> 20);
		f->failed = 1;
		return -1;
	}
	if (err) {
		lf_diag_file_error(d, f->path, "cannot read: %s", strerror(-err));
		f->failed = 1;
		return -1;
	}
	lf_diags_append(d, &l->d);
	memcpy(f->content, l->content, sizeof(f->content));
	f->has_content = !l->parse_err && !l->no_content;
	return take_docs(src, f, l->data, l->len, l->docs, l->ndocs, l->parse_err);
}

static int load_one(struct lf_source *src, const char *path, struct lf_diags *d)
{
	struct loaded l = {path, NULL, 0, 0, src->no_content, NULL, 0, 0, LF_DIAGS_INIT, {0}};

	read_and_parse(&l);
	return add_loaded(src, path, &l, d);
}

/* lf_par_for's item: file i of `arg`, a struct loaded[] */
static void read_and_parse_item(void *arg, size_t i)
{
	read_and_parse(&((struct loaded *)arg)[i]);
}

int lf_source_load(struct lf_source *src, const char *path, struct lf_diags *d)
{
	static const char *const suffixes[] = {".yaml", ".yml", NULL};
	char **paths = NULL;
	size_t n = 0;
	int isdir = lf_is_dir(path), err = 0;

	if (isdir < 0) {
		lf_diag_error(d, NULL, "cannot read '%s': %s", path, strerror(-isdir));
		return -1;
	}
	if (!isdir)
		return load_one(src, path, d);
	/* "m/" and "m" name the same tree: no "m//a.yaml" in messages */
	char *dir = lf_xstrdup(path);
	for (size_t l = strlen(dir); l > 1 && dir[l - 1] == '/'; l--)
		dir[l - 1] = '\0';
	int werr = lf_walk_files(&paths, &n, dir, suffixes);
	if (werr) {
		lf_diag_error(d, NULL, "cannot read directory '%s': %s", path, strerror(-werr));
		err = -1;
	}
	size_t plen = strlen(dir);
	/* files are read and parsed on every core, then added in their
	 * order: documents and diagnostics come out as one thread's would */
	struct loaded *v = lf_xcalloc(n + 1, sizeof(*v));
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rel = paths[i] + plen + 1;
		if (!strcmp(rel, "lakeform.yaml") || !strcmp(rel, "lakeform.yml"))
			continue;
		/* files of "." are named as the user sees them: "a.yaml" */
		v[nv].no_content = src->no_content;
		v[nv++].path = strcmp(dir, ".") ? paths[i] : rel;
	}
	/* jansson seeds its hash function on first use: do that here, once */
	json_decref(json_object());
	lf_par_for(nv, read_and_parse_item, v);
	for (size_t i = 0; i < nv; i++)
		if (add_loaded(src, v[i].path, &v[i], d))
			err = -1;
	free(v);
	lf_strv_free(paths, n);
	free(dir);
	return err;
}

static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct lf_yaml_posindex *file_index(const struct lf_source *csrc, size_t fi)
{
	/* the index is a cache: filling it does not change what src means */
	struct lf_source *src = (struct lf_source *)csrc;
	struct lf_source_file *f = &src->files[fi];

	/* the checks across documents look positions up on several threads */
	pthread_mutex_lock(&index_lock);
	if (!f->pos) {
		struct lf_diags ignored = LF_DIAGS_INIT;
		struct lf_yaml_doc *docs = NULL;
		size_t n = 0;

		f->pos = lf_xcalloc(1, sizeof(*f->pos));
		lf_yaml_parse(&docs, &n, f->path, f->data ? f->data : "", f->len, f->pos, &ignored);
		lf_yaml_docs_free(docs, n);
		lf_diags_release(&ignored);
	}
	const struct lf_yaml_posindex *idx = f->pos;
	pthread_mutex_unlock(&index_lock);
	return idx;
}

static void origin_key(char key[32], const json_t *node)
{
	snprintf(key, 32, "%p", (const void *)node);
}

void lf_source_origin_set(struct lf_source_doc *doc, const json_t *node,
                          const struct lf_source_origin *o)
{
	char key[32];
	struct lf_source_origins *os = doc->origins;

	if (!os) {
		os = doc->origins = lf_xcalloc(1, sizeof(*os));
	}
	origin_key(key, node);
	size_t at = (size_t)(uintptr_t)lf_map_get(&os->map, key);
	struct lf_source_origin *e;
	if (at) {
		e = &os->v[at - 1];
		for (size_t i = 0; i < e->nsegs; i++)
			free((char *)e->segs[i].key);
		free(e->segs);
		json_decref(e->node);
	} else {
		LF_GROW(os->v, os->n + 1, os->alloc);
		e = &os->v[os->n++];
		lf_map_put(&os->map, key, (void *)(uintptr_t)os->n);
	}
	*e = *o;
	e->node = json_incref((json_t *)node);
	e->segs = lf_xcalloc(o->nsegs ? o->nsegs : 1, sizeof(*e->segs));
	for (size_t i = 0; i < o->nsegs; i++) {
		e->segs[i].key = o->segs[i].key ? lf_xstrdup(o->segs[i].key) : NULL;
		e->segs[i].index = o->segs[i].index;
	}
}

const struct lf_source_origin *lf_source_origin_get(const struct lf_source_doc *doc,
                                                    const json_t *node)
{
	char key[32];

	if (!doc->origins)
		return NULL;
	origin_key(key, node);
	size_t at = (size_t)(uintptr_t)lf_map_get(&doc->origins->map, key);
	return at ? &doc->origins->v[at - 1] : NULL;
}

static void origins_free(struct lf_source_origins *os)
{
	if (!os)
		return;
	for (size_t i = 0; i < os->n; i++) {
		for (size_t j = 0; j < os->v[i].nsegs; j++)
			free((char *)os->v[i].segs[j].key);
		free(os->v[i].segs);
		json_decref(os->v[i].node);
	}
	free(os->v);
	lf_map_release(&os->map);
	free(os);
}

/* A patched document: the deepest node along `path` whose origin is known
 * names the file, and the rest of the path is followed there. */
static int origin_pos(struct lf_pos *out, const struct lf_source_doc *doc,
                      const struct lf_yaml_pathseg *path, size_t depth, int want_key)
{
	const struct lf_source_origin *best = lf_source_origin_get(doc, doc->root);
	size_t at = 0;
	json_t *node = doc->root;

	for (size_t i = 0; i < depth && node; i++) {
		node = path[i].key ? json_object_get(node, path[i].key)
		                   : json_array_get(node, path[i].index);
		const struct lf_source_origin *o = node ? lf_source_origin_get(doc, node) : NULL;
		if (o) {
			best = o;
			at = i + 1;
		}
	}
	if (!best)
		return 0;
	size_t n = best->nsegs + depth - at;
	struct lf_yaml_pathseg *segs = lf_xcalloc(n ? n : 1, sizeof(*segs));
	memcpy(segs, best->segs, best->nsegs * sizeof(*segs));
	memcpy(segs + best->nsegs, path + at, (depth - at) * sizeof(*segs));
	struct lf_pos val = best->doc_pos, kp = best->doc_pos;
	const struct lf_yaml_posindex *idx = file_index(best->src, best->file);
	size_t got = lf_yaml_posindex_get(idx, best->doc, segs, n, &val, &kp);
	free(segs);
	val.file = kp.file = best->src->files[best->file].path;
	if (got == 0 && n > 0)
		*out = best->doc_pos;
	else
		*out = want_key && got == n ? kp : val;
	return 1;
}

struct lf_pos lf_source_pos(const struct lf_source *src, const struct lf_source_doc *doc,
                            const struct lf_yaml_pathseg *path, size_t depth, int want_key)
{
	struct lf_pos val = doc->pos, kp = doc->pos;
	if (doc->origins && origin_pos(&val, doc, path, depth, want_key))
		return val;
	const struct lf_yaml_posindex *idx = file_index(src, doc->file);
	size_t got = lf_yaml_posindex_get(idx, doc->index, path, depth, &val, &kp);

	val.file = kp.file = doc->pos.file;
	if (got == 0 && depth > 0)
		return doc->pos;
	return want_key && got == depth ? kp : val;
}

struct lf_pos lf_source_path_pos(const struct lf_source *src, const struct lf_source_doc *doc,
                                 const char *path, size_t index)
{
	struct lf_yaml_pathseg segs[32];
	char *copy = lf_xstrdup(path);
	size_t n = 0;

	for (char *p = copy; *p && n < 31;) {
		char *dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		segs[n].key = p;
		segs[n].index = 0;
		n++;
		if (!dot)
			break;
		p = dot + 1;
	}
	if (index != (size_t)-1) {
		segs[n].key = NULL;
		segs[n].index = index;
		n++;
	}
	struct lf_pos pos = lf_source_pos(src, doc, segs, n, 0);
	free(copy);
	return pos;
}

void lf_source_release(struct lf_source *src)
{
	for (size_t i = 0; i < src->nfiles; i++) {
		free(src->files[i].path);
		free(src->files[i].data);
		if (src->files[i].pos) {
			lf_yaml_posindex_release(src->files[i].pos);
			free(src->files[i].pos);
		}
	}
	for (size_t i = 0; i < src->ndocs; i++) {
		json_decref(src->docs[i].root);
		origins_free(src->docs[i].origins);
	}
	if (src->aux) {
		lf_source_release(src->aux);
		free(src->aux);
	}
	free(src->files);
	free(src->docs);
	memset(src, 0, sizeof(*src));
}

void lf_source_release_trees(struct lf_source *src)
{
	for (size_t i = 0; i < src->ndocs; i++) {
		json_decref(src->docs[i].root);
		src->docs[i].root = NULL;
		origins_free(src->docs[i].origins);
		src->docs[i].origins = NULL;
	}
	if (src->aux)
		lf_source_release_trees(src->aux);
}

static int hash_files(struct lf_sha256 *h, const char *dir, const char *const *suffixes,
                      int skip_settings)
{
	char **paths = NULL;
	size_t n = 0, plen;
	int err = lf_walk_files(&paths, &n, dir, suffixes);

	plen = strlen(dir);
	for (size_t i = 0; !err && i < n; i++) {
		const char *rel = paths[i] + plen + 1;
		char *data = NULL;
		size_t len = 0;

		if (skip_settings &&
		    (!strcmp(rel, "lakeform.yaml") || !strcmp(rel, "lakeform.yml")))
			continue;
		err = lf_read_file(&data, &len, paths[i], LF_SOURCE_MAX_FILE_BYTES);
		if (err)
			break;
		lf_sha256_update(h, rel, strlen(rel) + 1);
		lf_sha256_update(h, &len, sizeof(len));
		lf_sha256_update(h, data, len);
		free(data);
	}
	lf_strv_free(paths, n);
	return err;
}

/* ---- the content fingerprint: what the files say, not how -------------- */

static int content_digest(unsigned char md[LF_SHA256_LEN], const char *data, size_t len)
{
	return lf_yaml_content_digest(md, data, len);
}

/* A manifest file read and digested, possibly on another thread. */
struct digested {
	const char *path; /* borrowed */
	const char *rel;  /* borrowed: the name hashed */
	char *data;
	size_t len;
	int err;
	unsigned char bytes[LF_SHA256_LEN];
	unsigned char md[LF_SHA256_LEN];
	/* what is known of this file (the same name), or NULL */
	const struct lf_source_file_digest *known;
};

/* lf_par_for's job over the manifest files */
struct digest_job {
	struct digested *v;
	/* set when a file's content is not the one known: the rest need
	 * not be parsed (lf_source_same_content()); every worker reads and
	 * may set it, so atomically (lf_par_for's join orders the last read) */
	int differs;
	int stop_on_difference;
};

static void digest_item(void *arg, size_t i)
{
	struct digest_job *job = arg;
	struct digested *f = &job->v[i];

	if (job->stop_on_difference && __atomic_load_n(&job->differs, __ATOMIC_RELAXED)) {
		f->err = -ESTALE;
		return;
	}
	f->err = lf_read_file(&f->data, &f->len, f->path, LF_SOURCE_MAX_FILE_BYTES);
	if (f->err)
		return;
	lf_sha256(f->bytes, f->data, f->len);
	/* the bytes known: the content known, without parsing */
	if (f->known && !memcmp(f->bytes, f->known->bytes, LF_SHA256_LEN))
		memcpy(f->md, f->known->content, LF_SHA256_LEN);
	else
		f->err = content_digest(f->md, f->data, f->len);
	if (!f->err && f->known && memcmp(f->md, f->known->content, LF_SHA256_LEN))
		__atomic_store_n(&job->differs, 1, __ATOMIC_RELAXED);
	if (job->stop_on_difference) {
		free(f->data);
		f->data = NULL;
	}
}

/* The manifest files of `path` (not lakeform.yaml), relative names. */
static int manifest_files(char ***paths, size_t *n, struct digested **v, size_t *nv,
                          const char *path)
{
	static const char *const yaml[] = {".yaml", ".yml", NULL};
	size_t plen = strlen(path);
	int err;

	*paths = NULL;
	*n = *nv = 0;
	err = lf_is_dir(path) > 0 ? lf_walk_files(paths, n, path, yaml) : -ENOTDIR;
	*v = lf_xcalloc(*n + 1, sizeof(**v));
	for (size_t i = 0; !err && i < *n; i++) {
		const char *rel = (*paths)[i] + plen + 1;
		if (!strcmp(rel, "lakeform.yaml") || !strcmp(rel, "lakeform.yml"))
			continue;
		(*v)[*nv].path = (*paths)[i];
		(*v)[(*nv)++].rel = rel;
	}
	return err;
}

int lf_source_hash_base(struct lf_sha256 *h, const char *schema_dir, const char *version)
{
	static const char *const json[] = {".schema.json", NULL};

	lf_sha256_init(h);
	lf_sha256_update(h, version, strlen(version) + 1);
	return hash_files(h, schema_dir, json, 0);
}

static void hash_content(struct lf_sha256 *hc, const struct digested *f)
{
	lf_sha256_update(hc, f->rel, strlen(f->rel) + 1);
	lf_sha256_update(hc, f->md, sizeof(f->md));
}

int lf_source_digests(struct lf_source_digests *out, const char *path, const char *schema_dir,
                      const char *version, const struct lf_source_digests *known)
{
	struct lf_sha256 hb, hc;
	struct digest_job job = {NULL, 0, 0};
	char **paths;
	size_t n, nv;
	int err;

	memset(out, 0, sizeof(*out));
	err = lf_source_hash_base(&hb, schema_dir, version);
	/* the content's digest begins as the bytes' (version and schemas) */
	hc = hb;
	lf_sha256_update(&hb, "\0manifests\0", 11);
	lf_sha256_update(&hc, "\0content\0", 9);
	if (!err)
		err = manifest_files(&paths, &n, &job.v, &nv, path);
	else
		paths = NULL, n = nv = 0, job.v = lf_xcalloc(1, sizeof(*job.v));
	/* a file whose bytes are those known says what was known */
	if (!err && known && known->nfiles) {
		struct lf_map byname = LF_MAP_INIT;
		for (size_t i = 0; i < known->nfiles; i++)
			lf_map_put(&byname, known->files[i].name, &known->files[i]);
		for (size_t i = 0; i < nv; i++)
			job.v[i].known = lf_map_get(&byname, job.v[i].rel);
		lf_map_release(&byname);
	}
	if (!err)
		lf_par_for(nv, digest_item, &job);
	if (!err)
		out->files = lf_xcalloc(nv + 1, sizeof(*out->files));
	for (size_t i = 0; !err && i < nv; i++) {
		struct digested *f = &job.v[i];
		if ((err = f->err) != 0)
			break;
		lf_sha256_update(&hb, f->rel, strlen(f->rel) + 1);
		lf_sha256_update(&hb, &f->len, sizeof(f->len));
		lf_sha256_update(&hb, f->data, f->len);
		hash_content(&hc, f);
		struct lf_source_file_digest *fd = &out->files[out->nfiles++];
		fd->name = lf_xstrdup(f->rel);
		memcpy(fd->bytes, f->bytes, LF_SHA256_LEN);
		memcpy(fd->content, f->md, LF_SHA256_LEN);
	}
	for (size_t i = 0; i < nv; i++)
		free(job.v[i].data);
	free(job.v);
	lf_strv_free(paths, n);
	lf_sha256_final_hex(&hb, out->bytes);
	lf_sha256_final_hex(&hc, out->content);
	if (err)
		lf_source_digests_release(out);
	return err;
}

int lf_source_digests_loaded(struct lf_source_digests *out, const struct lf_source *src,
                             const char *schema_dir, const char *version)
{
	struct lf_sha256 hb, hc;
	int err;

	memset(out, 0, sizeof(*out));
	err = lf_source_hash_base(&hb, schema_dir, version);
	hc = hb;
	lf_sha256_update(&hb, "\0manifests\0", 11);
	lf_sha256_update(&hc, "\0content\0", 9);
	out->files = lf_xcalloc(src->nfiles + 1, sizeof(*out->files));
	for (size_t i = 0; !err && i < src->nfiles; i++) {
		const struct lf_source_file *f = &src->files[i];
		struct digested one;
		if (f->failed || !f->has_content) {
			err = -EINVAL;
			break;
		}
		memset(&one, 0, sizeof(one));
		one.rel = f->path;
		memcpy(one.md, f->content, LF_SHA256_LEN);
		lf_sha256_update(&hb, f->path, strlen(f->path) + 1);
		lf_sha256_update(&hb, &f->len, sizeof(f->len));
		lf_sha256_update(&hb, f->data, f->len);
		hash_content(&hc, &one);
		struct lf_source_file_digest *fd = &out->files[out->nfiles++];
		fd->name = lf_xstrdup(f->path);
		lf_sha256(fd->bytes, f->data, f->len);
		memcpy(fd->content, f->content, LF_SHA256_LEN);
	}
	lf_sha256_final_hex(&hb, out->bytes);
	lf_sha256_final_hex(&hc, out->content);
	if (err)
		lf_source_digests_release(out);
	return err;
}

void lf_source_digests_release(struct lf_source_digests *d)
{
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i].name);
	free(d->files);
	memset(d, 0, sizeof(*d));
}

int lf_source_content_fingerprint(char out[65], const char *path, const char *schema_dir,
                                  const char *version)
{
	struct lf_source_digests d;
	int err = lf_source_digests(&d, path, schema_dir, version, NULL);

	if (!err)
		memcpy(out, d.content, 65);
	lf_source_digests_release(&d);
	return err;
}

int lf_source_same_content(const struct lf_source_digests *known, const char *path,
                           const char *schema_dir, const char *version)
{
	struct lf_sha256 hc;
	struct digest_job job = {NULL, 0, 1};
	char **paths = NULL, now[65];
	size_t n = 0, nv = 0;
	int err = lf_source_hash_base(&hc, schema_dir, version), same = 0;

	lf_sha256_update(&hc, "\0content\0", 9);
	if (!err)
		err = manifest_files(&paths, &n, &job.v, &nv, path);
	/* the names are part of the content: another set of files differs */
	same = !err && nv == known->nfiles;
	for (size_t i = 0; same && i < nv; i++) {
		same = !strcmp(job.v[i].rel, known->files[i].name);
		job.v[i].known = &known->files[i];
	}
	if (same) {
		lf_par_for(nv, digest_item, &job);
		for (size_t i = 0; same && i < nv; i++) {
			same = !job.v[i].err;
			hash_content(&hc, &job.v[i]);
		}
		same = same && !job.differs;
	}
	lf_sha256_final_hex(&hc, now);
	for (size_t i = 0; i < nv; i++)
		free(job.v[i].data);
	free(job.v);
	lf_strv_free(paths, n);
	return same && !strcmp(now, known->content);
}

int lf_source_fingerprint(char out[65], const char *path, const char *schema_dir,
                          const char *version)
{
	static const char *const yaml[] = {".yaml", ".yml", NULL};
	struct lf_sha256 h;
	int err;

	err = lf_source_hash_base(&h, schema_dir, version);
	lf_sha256_update(&h, "\0manifests\0", 11);
	if (!err)
		err = lf_is_dir(path) > 0 ? hash_files(&h, path, yaml, 1) : -ENOTDIR;
	lf_sha256_final_hex(&h, out);
	return err;
}
