#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/mem.h"

static struct lf_source_file *add_file(struct lf_source *src, const char *path)
{
	struct lf_source_file *f;

	LF_GROW(src->files, src->nfiles + 1, src->files_alloc);
	f = &src->files[src->nfiles++];
	f->path = lf_xstrdup(path);
	f->first_doc = src->ndocs;
	f->ndocs = 0;
	f->failed = 0;
	return f;
}

static int load_text(struct lf_source *src, struct lf_source_file *f,
		     const char *data, size_t len, struct lf_diags *d)
{
	struct lf_yaml_doc *docs = NULL;
	size_t n = 0;
	int err = lf_yaml_parse(&docs, &n, f->path, data, len, &src->pos, d);

	LF_GROW(src->docs, src->ndocs + n, src->docs_alloc);
	for (size_t i = 0; i < n; i++) {
		struct lf_source_doc *sd = &src->docs[src->ndocs++];
		sd->root = docs[i].root;
		sd->pos = docs[i].pos;
		sd->pos.file = f->path;
		sd->index = docs[i].index;
	}
	free(docs); /* the roots moved into src */
	f->ndocs = n;
	if (err)
		f->failed = 1;
	return err;
}

int lf_source_load_buffer(struct lf_source *src, const char *name,
			  const char *data, size_t len, struct lf_diags *d)
{
	return load_text(src, add_file(src, name), data, len, d);
}

static int load_one(struct lf_source *src, const char *path, struct lf_diags *d)
{
	struct lf_source_file *f = add_file(src, path);
	char *data = NULL;
	size_t len = 0;
	int err = lf_read_file(&data, &len, path, LF_SOURCE_MAX_FILE_BYTES);

	if (err == -EFBIG) {
		lf_diag_file_error(d, f->path, "file is larger than the limit of %u MiB",
			      LF_SOURCE_MAX_FILE_BYTES >> 20);
		f->failed = 1;
		return -1;
	}
	if (err) {
		lf_diag_file_error(d, f->path, "cannot read: %s",
			      strerror(-err));
		f->failed = 1;
		return -1;
	}
	err = load_text(src, f, data, len, d);
	free(data);
	return err;
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
	int werr = lf_walk_files(&paths, &n, path, suffixes);
	if (werr) {
		lf_diag_error(d, NULL, "cannot read directory '%s': %s", path,
			      strerror(-werr));
		err = -1;
	}
	size_t plen = strlen(path);
	for (size_t i = 0; i < n; i++) {
		const char *rel = paths[i] + plen + 1;
		if (!strcmp(rel, "lakeform.yaml") || !strcmp(rel, "lakeform.yml"))
			continue;
		if (load_one(src, paths[i], d))
			err = -1;
	}
	lf_strv_free(paths, n);
	return err;
}

struct lf_pos lf_source_pos(const struct lf_source *src,
			    const struct lf_source_doc *doc,
			    const json_t *container, const char *key,
			    size_t index, int want_key)
{
	struct lf_pos val = doc->pos, kp = doc->pos;

	if (container &&
	    lf_posmap_get(&src->pos, container, key, index, &val, &kp) == 0) {
		val.file = kp.file = doc->pos.file;
		return want_key ? kp : val;
	}
	return doc->pos;
}

struct lf_pos lf_source_path_pos(const struct lf_source *src,
				 const struct lf_source_doc *doc,
				 const char *path)
{
	struct lf_pos best = doc->pos;
	const json_t *cur = doc->root;
	const char *p = path;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char *seg = lf_xstrndup(p, n);
		const json_t *next = NULL;

		if (json_is_object(cur) && (next = json_object_get(cur, seg)))
			best = lf_source_pos(src, doc, cur, seg, 0, 0);
		free(seg);
		cur = next;
		p += n;
		if (*p == '.')
			p++;
	}
	return best;
}

void lf_source_release(struct lf_source *src)
{
	for (size_t i = 0; i < src->nfiles; i++)
		free(src->files[i].path);
	for (size_t i = 0; i < src->ndocs; i++)
		json_decref(src->docs[i].root);
	free(src->files);
	free(src->docs);
	lf_posmap_release(&src->pos);
	memset(src, 0, sizeof(*src));
}
