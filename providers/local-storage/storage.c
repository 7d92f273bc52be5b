/*
 * lakeform-provider-local-storage - the embedded default storage provider.
 *
 * A bucket is a directory ROOT/buckets/<name>/ holding its metadata file
 * .lakeform-bucket.json; a prefix is a directory inside it with a marker
 * .lakeform-prefix.json; a bucket's policy is the file .lakeform-policy.json
 * at its top.  ROOT is settings.root, by default .lakeform/local/storage
 * under the working directory (the configuration directory).
 *
 * Invariants:
 * - every name and path is checked before it is joined to ROOT, so nothing
 *   the inputs say can reach outside it, and no symbolic link is followed
 *   in ROOT or below it when writing (a relative ROOT from the
 *   configuration directory on; docs/state.md);
 * - every change happens under an exclusive flock on ROOT/.lock (so two
 *   provider processes, or two workers of one, never interleave a
 *   check-then-act), and is crash-safe: files are written to a temporary
 *   name, fsynced and renamed (a new file, a prefix's marker or a new
 *   policy, is renamed first and made durable once the lock is let go, by
 *   the SDK's group commit, before the call is answered); a bucket is
 *   assembled in ROOT/.staging and renamed into place whole; a deleted bucket is renamed into ROOT/.trash
 *   before it is removed.  Whatever a crash leaves in .staging or .trash is
 *   removed the next time the lock is taken;
 * - an object is lakeform's when it carries the label lakeform/address; an
 *   object with the same name but no such label, or another address, is a
 *   conflict (1002) and is never touched.
 * Reads take no lock: every change they could observe is a rename.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../sdk/lfp.h"
#include "../sdk/lfp_files.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

#define DEFAULT_ROOT ".lakeform/local/storage"
#define BUCKET_META ".lakeform-bucket.json"
#define PREFIX_MARKER ".lakeform-prefix.json"
#define POLICY_FILE ".lakeform-policy.json"
#define LABEL_ADDRESS "lakeform/address"
#define LABEL_ACCOUNT "lakeform/account"
#define MAX_RECORD (16u << 20)

struct storage {
	char *root; /* owned; NULL means DEFAULT_ROOT */
};

static struct storage storage_state;

static const char *root_of(struct lfp_call *call)
{
	struct storage *st = lfp_call_state(call);

	return st && st->root ? st->root : DEFAULT_ROOT;
}

/* ---- small helpers --------------------------------------------------- */

static int need_obj(struct lfp_call *call, const json_t *params, const char *key, json_t **out)
{
	*out = json_object_get(params, key);
	if (!json_is_object(*out)) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'%s' must be an object", key);
		return -1;
	}
	return 0;
}

/* A single name: a bucket.  Nothing that could leave its directory. */
static int check_name(struct lfp_call *call, const char *what, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255 || name[0] == '.' || strchr(name, '/')) {
		lfp_error(call, LFP_E_INVALID, 0, "invalid %s name '%s'", what, name);
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\') {
			lfp_error(call, LFP_E_INVALID, 0, "invalid %s name '%s'", what, name);
			return -1;
		}
	}
	return 0;
}

static int seg_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/*
 * A path inside a bucket: segments of [A-Za-z0-9_.-]+ each followed by '/'
 * ("a/b/"); the last '/' may be missing.  No "." or "..", no segment that
 * could be mistaken for lakeform's own files.  `allow_empty`: "" (the whole
 * bucket) is accepted.
 */
static int check_path(struct lfp_call *call, const char *what, const char *path, int allow_empty)
{
	const char *p = path;

	if (!*p) {
		if (allow_empty)
			return 0;
		goto bad;
	}
	while (*p) {
		const char *s = p;

		while (*p && *p != '/') {
			if (!seg_char(*p))
				goto bad;
			p++;
		}
		if (p == s || (p - s == 1 && s[0] == '.') ||
		    (p - s == 2 && s[0] == '.' && s[1] == '.') || !strncmp(s, ".lakeform", 9))
			goto bad;
		if (*p == '/')
			p++;
	}
	return 0;
bad:
	lfp_error(call, LFP_E_INVALID, 0, "invalid %s '%s'", what, path);
	return -1;
}

/* `path` with exactly one trailing '/', a new string. */
static char *dir_path(const char *path)
{
	size_t n = strlen(path);

	if (n && path[n - 1] == '/')
		return lf_xstrdup(path);
	return lf_xasprintf("%s/", path);
}

/* rm -rf, never following links; a missing path is fine. */
static int rm_rf(const char *path)
{
	return lf_remove_tree_nofollow(AT_FDCWD, path);
}

/* 1 when `path` is a real directory (not a link), 0 when absent, -1 else. */
static int real_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	return S_ISDIR(st.st_mode) ? 1 : -1;
}

static char *now_iso(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return lf_xstrdup(buf);
}

static unsigned long next_serial(void)
{
	static unsigned long serial;

	return __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED);
}

/* The lock every change takes; creates ROOT. *fd is the lock's descriptor. */
static int lock_root(struct lfp_call *call, int *fd)
{
	const char *root = root_of(call);
	char *junk;

	if (lfp_lock_root(call, root, ".lock", fd) < 0)
		return -1;
	/* under the lock, anything in .staging or .trash was left by a crash
	 * (an lstat first: nearly always neither is there, and the removal
	 * walks to the root again) */
	junk = lf_xasprintf("%s/.staging", root);
	if (real_dir(junk) != 0)
		rm_rf(junk);
	free(junk);
	junk = lf_xasprintf("%s/.trash", root);
	if (real_dir(junk) != 0)
		rm_rf(junk);
	free(junk);
	return 0;
}

/* Attributes: the record plus where it lives. */
/*
 * realpath() of ROOT/buckets, found once per root: a url below it is that
 * and the rest of the directory's path (whose directories the callers found
 * real, not links: checked names, no "." or ".."), without a readlink of
 * every component per object, which dominated reads.
 */
static pthread_mutex_t real_mu = PTHREAD_MUTEX_INITIALIZER;
static char *real_of, *real_buckets; /* ROOT/buckets and its realpath */

static char *real_path_of(struct lfp_call *call, const char *dir)
{
	char *buckets = lf_xasprintf("%s/buckets", root_of(call)), *abs = NULL;
	size_t n = strlen(buckets);

	if (strncmp(dir, buckets, n) || dir[n] != '/' || strstr(dir + n, "/.")) {
		free(buckets);
		return realpath(dir, NULL);
	}
	pthread_mutex_lock(&real_mu);
	if (!real_of || strcmp(real_of, buckets)) {
		free(real_of);
		free(real_buckets);
		real_of = lf_xstrdup(buckets);
		real_buckets = realpath(buckets, NULL);
	}
	if (real_buckets)
		abs = lf_xasprintf("%s%s", real_buckets, dir + n);
	pthread_mutex_unlock(&real_mu);
	free(buckets);
	return abs;
}

static json_t *with_url(struct lfp_call *call, const json_t *record, const char *dir)
{
	json_t *a = json_deep_copy(record);
	char *abs = real_path_of(call, dir);

	if (abs) {
		char *url = lf_xasprintf("file://%s/", abs);
		json_object_set_new(a, "url", json_string(url));
		free(url);
		free(abs);
	}
	return a;
}

/* Read-only scan: the names in ROOT/buckets that are real directories. */
static int list_buckets(struct lfp_call *call, char ***names, size_t *n)
{
	char *dir = lf_xasprintf("%s/buckets", root_of(call));
	struct dirent **ents = NULL;
	size_t alloc = 0;
	int m = scandir(dir, &ents, NULL, alphasort);

	*names = NULL;
	*n = 0;
	if (m < 0) {
		int err = -errno;
		if (err == -ENOENT) {
			free(dir);
			return 0;
		}
		lfp_fs_error(call, err, dir);
		free(dir);
		return -1;
	}
	for (int i = 0; i < m; i++) {
		char *p = lf_xasprintf("%s/%s", dir, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && real_dir(p) == 1) {
			LF_GROW(*names, *n + 1, alloc);
			(*names)[(*n)++] = lf_xstrdup(ents[i]->d_name);
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	free(dir);
	return 0;
}

static char *bucket_dir(struct lfp_call *call, const char *name)
{
	return lf_xasprintf("%s/buckets/%s", root_of(call), name);
}

/*
 * The bucket's metadata: 0 and *meta, 1 when there is no such bucket (no
 * directory, or a directory lakeform did not make), -1 after lfp_error().
 */
static int load_bucket(struct lfp_call *call, const char *name, json_t **meta)
{
	char *dir = bucket_dir(call, name);
	char *path = lf_xasprintf("%s/%s", dir, BUCKET_META);
	int r = real_dir(dir);

	*meta = NULL;
	r = r == 1 ? lfp_load_json(call, path, meta) : 1;
	free(path);
	free(dir);
	return r;
}

/* ---- storage.bucket -------------------------------------------------- */

/*
 * A record kept once per bucket (its metadata, its policy): read and list
 * are the same walk for both.  `load` is load_bucket() or load_policy();
 * `attributes` makes what read and list report (a new reference).
 */
struct bucket_record {
	int (*load)(struct lfp_call *call, const char *bucket, json_t **rec);
	json_t *(*attributes)(struct lfp_call *call, const char *bucket, const json_t *rec);
};

/* read: by id (the bucket's name), or the record labelled with the address */
static int read_bucket_record(struct lfp_call *call, const json_t *params,
                              const struct bucket_record *k, json_t **result)
{
	const char *id = lfp_get_str(params, "id");
	const char *address;
	json_t *rec = NULL;
	char **names = NULL;
	size_t n = 0;
	int r;

	if (lfp_need_str(call, params, "address", &address) < 0)
		return -1;
	if (id) {
		if (check_name(call, "bucket", id) < 0)
			return -1;
		r = k->load(call, id, &rec);
		if (r < 0)
			return -1;
		*result =
		    r == 0 ? lfp_read_found(id, k->attributes(call, id, rec)) : lfp_read_missing();
		json_decref(rec);
		return 0;
	}
	if (list_buckets(call, &names, &n) < 0)
		return -1;
	*result = NULL;
	for (size_t i = 0; i < n && !*result; i++) {
		if (k->load(call, names[i], &rec) == 0 && lfp_owned_by(call, rec, address))
			*result = lfp_read_found(names[i], k->attributes(call, names[i], rec));
		json_decref(rec);
		rec = NULL;
	}
	lf_strv_free(names, n);
	if (!*result)
		*result = lfp_read_missing();
	return 0;
}

static int list_bucket_records(struct lfp_call *call, const json_t *params,
                               const struct bucket_record *k, json_t **result)
{
	json_t *objects = json_array(), *rec = NULL;
	int with_attributes = lfp_list_attributes(params);
	char **names = NULL;
	size_t n = 0;

	if (list_buckets(call, &names, &n) < 0) {
		json_decref(objects);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int loaded = k->load(call, names[i], &rec) == 0;

		if (loaded && with_attributes)
			lfp_list_add(call, objects, names[i], k->attributes(call, names[i], rec));
		else if (loaded)
			lfp_list_add_id(call, objects, names[i], rec);
		json_decref(rec);
		rec = NULL;
	}
	lf_strv_free(names, n);
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

static json_t *bucket_attributes(struct lfp_call *call, const char *bucket, const json_t *meta)
{
	char *dir = bucket_dir(call, bucket);
	json_t *a = with_url(call, meta, dir);

	free(dir);
	return a;
}

static const struct bucket_record bucket_meta = {load_bucket, bucket_attributes};

static int bucket_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	return read_bucket_record(call, params, &bucket_meta, result);
}

static int bucket_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	return list_bucket_records(call, params, &bucket_meta, result);
}

/*
 * The inputs' encryption, recorded as asked (nothing here is encrypted: the
 * record is what read reports, so a hand edit of it shows as drift).
 */
static void record_encryption(json_t *meta, const json_t *inputs)
{
	json_t *enc = json_object_get(inputs, "encryption");

	if (json_is_object(enc))
		json_object_set_new(meta, "encryption", json_deep_copy(enc));
}

/* *versioning: 1 or 0 as the inputs say, -1 when they do not say. */
static int bucket_inputs(struct lfp_call *call, const json_t *inputs, const char **name,
                         const char **region, const char **purpose, int *force_destroy,
                         int *versioning)
{
	json_t *fd = json_object_get(inputs, "force_destroy");
	json_t *ver = json_object_get(inputs, "versioning");

	if (lfp_need_str(call, inputs, "name", name) < 0 ||
	    lfp_need_str(call, inputs, "region", region) < 0 ||
	    lfp_need_str(call, inputs, "purpose", purpose) < 0)
		return -1;
	if (fd && !json_is_boolean(fd) && !json_is_null(fd)) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'force_destroy' must be a boolean");
		return -1;
	}
	if (ver && !json_is_boolean(ver) && !json_is_null(ver)) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'versioning' must be a boolean");
		return -1;
	}
	json_t *enc = json_object_get(inputs, "encryption");
	if (enc && !json_is_null(enc) &&
	    (!json_is_object(enc) || !json_is_string(json_object_get(enc, "algorithm")))) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0,
		          "'encryption' must be an object with a string 'algorithm'");
		return -1;
	}
	*force_destroy = json_is_true(fd);
	*versioning = json_is_boolean(ver) ? json_is_true(ver) : -1;
	return check_name(call, "bucket", *name);
}

static int bucket_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *name, *region, *purpose;
	json_t *inputs, *labels = NULL, *meta = NULL, *tags = NULL;
	char *dir = NULL, *parent = NULL, *stage = NULL, *path = NULL, *created = NULL;
	struct lfp_syncs sy = {{0}, 0};
	int force_destroy, versioning, lock = -1, r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 ||
	    bucket_inputs(call, inputs, &name, &region, &purpose, &force_destroy, &versioning) < 0)
		return -1;
	labels = lfp_labels_for(call, address, inputs);
	if (!labels)
		return -1;
	if (!(tags = lfp_tags_for(call, inputs)) || lock_root(call, &lock) < 0)
		goto out;
	dir = bucket_dir(call, name);
	r = real_dir(dir);
	if (r < 0) {
		lfp_error(call, LFP_E_CONFLICT, 0, "'%s' is in the way of bucket '%s'", dir, name);
		goto out;
	}
	if (r > 0) {
		r = load_bucket(call, name, &meta);
		if (r < 0)
			goto out;
		if (r > 0) {
			lfp_error(call, LFP_E_CONFLICT, 0,
			          "bucket '%s' exists and was not made by lakeform", name);
			goto out;
		}
		if (!lfp_owned_by(call, meta, address)) {
			lfp_error(call, LFP_E_CONFLICT, 0, "bucket '%s' belongs to '%s'", name,
			          lfp_owner_of(meta));
			goto out;
		}
		lfp_log("bucket '%s' exists already for '%s'", name, address);
		*result =
		    json_pack("{s:s, s:o}", "id", name, "attributes", with_url(call, meta, dir));
		err = 0;
		goto out;
	}

	/* assemble the bucket aside, then rename it into place whole */
	created = now_iso();
	meta = json_pack("{s:s, s:s, s:s, s:b, s:O, s:s}", "name", name, "region", region,
	                 "purpose", purpose, "force_destroy", force_destroy, "labels", labels,
	                 "created", created);
	/* recorded only when asked for: there is nothing to version here */
	if (versioning >= 0)
		json_object_set_new(meta, "versioning", json_boolean(versioning));
	record_encryption(meta, inputs);
	lfp_tags_record(meta, tags);
	parent = lf_xasprintf("%s/buckets", root_of(call));
	stage = lf_xasprintf("%s/.staging/%s.%llu.%lu", root_of(call), name, lf_random_suffix(),
	                     next_serial());
	path = lf_xasprintf("%s/%s", stage, BUCKET_META);
	if ((r = lfp_mkdir_p(parent)) < 0) {
		lfp_fs_error(call, r, parent);
		goto out;
	}
	/* a name nobody could plant beforehand, made by this call alone */
	char *staging = lf_xasprintf("%s/.staging", root_of(call));
	r = lfp_mkdir_p(staging);
	free(staging);
	if (r < 0 || (r = lf_mkdir_new_nofollow(AT_FDCWD, stage, 0755)) < 0) {
		lfp_fs_error(call, r, stage);
		goto out;
	}
	if (lfp_save_json(call, path, meta) < 0)
		goto out;
	if ((r = lf_rename_nofollow(AT_FDCWD, stage, dir, RENAME_NOREPLACE)) < 0) {
		if (r == -EINVAL || r == -ENOSYS) {
			/* a file system without RENAME_NOREPLACE: the lock still holds */
			r = real_dir(dir) == 0 && lf_rename_nofollow(AT_FDCWD, stage, dir, 0) == 0
			        ? 0
			        : -EEXIST;
		}
		if (r == -EEXIST || r == -ENOTEMPTY) {
			lfp_error(call, LFP_E_CONFLICT, 0, "bucket '%s' appeared meanwhile", name);
			goto out;
		}
		if (r < 0) {
			lfp_fs_error(call, r, dir);
			goto out;
		}
	}
	/* its new entry in buckets/: after the lock, with the other changes */
	lfp_syncs_add(&sy, parent);
	lfp_log("created bucket '%s'", name);
	*result = json_pack("{s:s, s:o}", "id", name, "attributes", with_url(call, meta, dir));
	err = 0;
out:
	if (stage)
		rm_rf(stage);
	lfp_unlock_root(lock);
	/* durable before the answer */
	if (err == 0 && lfp_syncs_run(call, &sy) < 0) {
		json_decref(*result);
		*result = NULL;
		err = -1;
	}
	lfp_syncs_release(&sy);
	json_decref(labels);
	json_decref(tags);
	json_decref(meta);
	free(dir);
	free(parent);
	free(stage);
	free(path);
	free(created);
	return err;
}

static int bucket_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id, *name, *region, *purpose;
	json_t *inputs, *labels = NULL, *meta = NULL, *tags = NULL;
	char *dir = NULL, *path = NULL;
	int force_destroy, versioning, lock = -1, r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 ||
	    bucket_inputs(call, inputs, &name, &region, &purpose, &force_destroy, &versioning) <
	        0 ||
	    check_name(call, "bucket", id) < 0)
		return -1;
	if (strcmp(name, id)) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "bucket 'name' cannot change in place ('%s' to '%s')", id, name);
		return -1;
	}
	labels = lfp_labels_for(call, address, inputs);
	if (!labels || !(tags = lfp_tags_for(call, inputs)) || lock_root(call, &lock) < 0)
		goto out;
	r = load_bucket(call, id, &meta);
	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "bucket '%s' does not exist", id);
		goto out;
	}
	if (!lfp_owned_by(call, meta, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0, "bucket '%s' belongs to '%s'", id,
		          lfp_owner_of(meta));
		goto out;
	}
	if (!lfp_get_str(meta, "region") || strcmp(lfp_get_str(meta, "region"), region)) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "bucket 'region' cannot change in place ('%s' to '%s')",
		          lfp_get_str(meta, "region") ? lfp_get_str(meta, "region") : "", region);
		goto out;
	}
	json_object_set_new(meta, "purpose", json_string(purpose));
	json_object_set_new(meta, "force_destroy", json_boolean(force_destroy));
	if (versioning >= 0)
		json_object_set_new(meta, "versioning", json_boolean(versioning));
	record_encryption(meta, inputs);
	json_object_set(meta, "labels", labels);
	lfp_tags_record(meta, tags);
	dir = bucket_dir(call, id);
	path = lf_xasprintf("%s/%s", dir, BUCKET_META);
	if (lfp_save_json(call, path, meta) < 0)
		goto out;
	*result = json_pack("{s:o}", "attributes", with_url(call, meta, dir));
	err = 0;
out:
	lfp_unlock_root(lock);
	json_decref(labels);
	json_decref(tags);
	json_decref(meta);
	free(dir);
	free(path);
	return err;
}

/* A file lakeform writes: a record, or the temporary of one a crash left. */
static int own_file(const char *name, int top)
{
	const char *names[] = {PREFIX_MARKER, BUCKET_META, POLICY_FILE};

	for (size_t i = 0; i < (top ? 3u : 1u); i++) {
		size_t n = strlen(names[i]);
		if (!strcmp(name, names[i]) ||
		    (!strncmp(name, names[i], n) && !strncmp(name + n, ".tmp.", 5)))
			return 1;
	}
	return 0;
}

/*
 * Whether `dir` holds anything but lakeform's own files and empty
 * directories: 1 and the first such path in *what, 0, or -errno.
 */
static int holds_data(const char *dir, int top, char **what)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), found = 0;

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *p = lf_xasprintf("%s/%s", dir, name);
		struct stat st;

		if (found || !strcmp(name, ".") || !strcmp(name, "..")) {
			/* skip */
		} else if (lstat(p, &st) < 0) {
			found = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			found = holds_data(p, 0, what);
		} else if (!(S_ISREG(st.st_mode) && own_file(name, top))) {
			*what = p;
			p = NULL;
			found = 1;
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	return found;
}

static int bucket_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	json_t *meta = NULL, *attrs = json_object_get(params, "attributes");
	char *dir = NULL, *parent = NULL, *trash = NULL, *what = NULL;
	int lock = -1, r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || check_name(call, "bucket", id) < 0)
		return -1;
	if (lock_root(call, &lock) < 0)
		goto out;
	dir = bucket_dir(call, id);
	r = real_dir(dir);
	if (r == 0) {
		lfp_log("bucket '%s' is gone already", id);
		goto done;
	}
	if (r > 0 && (r = load_bucket(call, id, &meta)) < 0)
		goto out;
	if (r != 0) {
		lfp_error(call, LFP_E_CONFLICT, 0, "bucket '%s' was not made by lakeform", id);
		goto out;
	}
	if (!lfp_owned_by(call, meta, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0, "bucket '%s' belongs to '%s'", id,
		          lfp_owner_of(meta));
		goto out;
	}
	if (!json_is_true(json_object_get(meta, "force_destroy")) &&
	    !json_is_true(json_object_get(attrs, "force_destroy"))) {
		r = holds_data(dir, 1, &what);
		if (r < 0) {
			lfp_fs_error(call, r, dir);
			goto out;
		}
		if (r > 0) {
			lfp_log("bucket '%s' holds '%s'", id, what);
			lfp_error(call, LFP_E_CONFLICT, 0, "bucket '%s' is not empty", id);
			goto out;
		}
	}
	/* out of sight in one rename, then removed at leisure */
	parent = lf_xasprintf("%s/buckets", root_of(call));
	trash = lf_xasprintf("%s/.trash", root_of(call));
	if ((r = lfp_mkdir_p(trash)) < 0) {
		lfp_fs_error(call, r, trash);
		goto out;
	}
	free(trash);
	trash = lf_xasprintf("%s/.trash/%s.%llu.%lu", root_of(call), id, lf_random_suffix(),
	                     next_serial());
	if ((r = lf_rename_nofollow(AT_FDCWD, dir, trash, RENAME_NOREPLACE)) < 0) {
		lfp_fs_error(call, r, dir);
		goto out;
	}
	if ((r = lfp_fsync_dir(parent)) < 0) {
		lfp_fs_error(call, r, parent);
		goto out;
	}
	if ((r = rm_rf(trash)) < 0)
		lfp_log("cannot remove '%s' (removed at the next change)", trash);
	lfp_log("deleted bucket '%s'", id);
done:
	*result = json_object();
	err = 0;
out:
	lfp_unlock_root(lock);
	json_decref(meta);
	free(dir);
	free(parent);
	free(trash);
	free(what);
	return err;
}

/* ---- storage.prefix -------------------------------------------------- */

/* "bucket/path/" into its parts (new strings), or -1 after lfp_error(). */
static int split_prefix_id(struct lfp_call *call, const char *id, char **bucket, char **path)
{
	const char *slash = strchr(id, '/');

	*bucket = *path = NULL;
	if (!slash) {
		lfp_error(call, LFP_E_INVALID, 0, "invalid prefix id '%s'", id);
		return -1;
	}
	*bucket = lf_xstrndup(id, (size_t)(slash - id));
	*path = lf_xstrdup(slash + 1);
	if (check_name(call, "bucket", *bucket) < 0 ||
	    check_path(call, "prefix path", *path, 0) < 0) {
		free(*bucket);
		free(*path);
		*bucket = *path = NULL;
		return -1;
	}
	return 0;
}

static char *prefix_dir(struct lfp_call *call, const char *bucket, const char *path)
{
	char *p = dir_path(path);
	char *dir = lf_xasprintf("%s/buckets/%s/%s", root_of(call), bucket, p);

	free(p);
	dir[strlen(dir) - 1] = '\0';
	return dir;
}

static char *prefix_id(const char *bucket, const char *path)
{
	char *p = dir_path(path);
	char *id = lf_xasprintf("%s/%s", bucket, p);

	free(p);
	return id;
}

/* Whether every directory from the bucket down to `path` is a real one. */
static int prefix_dirs_real(struct lfp_call *call, const char *bucket, const char *path)
{
	char *cur = bucket_dir(call, bucket);
	const char *p = path;
	int ok = real_dir(cur) == 1;

	while (ok && *p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *next = lf_xasprintf("%s/%.*s", cur, (int)n, p);

		free(cur);
		cur = next;
		ok = real_dir(cur) == 1;
		p += n;
		if (*p == '/')
			p++;
	}
	free(cur);
	return ok;
}

/* The prefix's marker: 0 and *marker, 1 when none, -1 after lfp_error(). */
static int load_prefix(struct lfp_call *call, const char *bucket, const char *path, json_t **marker)
{
	char *dir, *file;
	int r;

	*marker = NULL;
	if (!prefix_dirs_real(call, bucket, path))
		return 1;
	dir = prefix_dir(call, bucket, path);
	file = lf_xasprintf("%s/%s", dir, PREFIX_MARKER);
	r = lfp_load_json(call, file, marker);
	free(dir);
	free(file);
	return r;
}

struct marker_scan {
	const char *address;
	char *found_path; /* path of the prefix, relative to its bucket */
	json_t *found;
};

static void scan_markers(struct lfp_call *call, struct marker_scan *s, const char *dir,
                         const char *rel, int depth)
{
	struct dirent **ents = NULL;
	int n = depth > 64 ? -1 : scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *p = lf_xasprintf("%s/%s", dir, name);

		if (s->found || name[0] == '.') {
			/* skip: lakeform's files, and every dot name */
		} else if (real_dir(p) == 1) {
			char *r = lf_xasprintf("%s%s/", rel, name);
			char *m = lf_xasprintf("%s/%s", p, PREFIX_MARKER);
			json_t *marker = NULL;

			if (lfp_load_json(call, m, &marker) == 0 &&
			    lfp_owned_by(call, marker, s->address)) {
				s->found = marker;
				s->found_path = r;
				r = NULL;
			} else {
				json_decref(marker);
				scan_markers(call, s, p, r, depth + 1);
			}
			free(m);
			free(r);
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
}

/* list: what is made of each labelled prefix of `bucket` */
struct prefix_list {
	const char *bucket;
	json_t *objects;
	int with_attributes;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * list: the labelled prefixes below the directory open at `fd` (closed
 * here), `dir` its path and `rel` its path in the bucket ("" for the
 * bucket), depth first in the order of their names, as scan_markers()
 * walks.  Each directory is opened relative to its parent and known by
 * its entry's type, its marker read relative to it: no lookup of every
 * path from the root and no lstat of each entry, which were most of the
 * list of 13,500 prefixes.
 */
static void list_prefixes(struct lfp_call *call, const struct prefix_list *l, int fd,
                          const char *dir, const char *rel, int depth)
{
	char buf[8192];
	char **names = NULL;
	size_t n = 0, alloc = 0;
	ssize_t got;

	while (depth <= 64 && (got = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t at = 0; at < got;) {
			struct dirent64 *e = (struct dirent64 *)(void *)(buf + at);
			struct stat st;
			int is_dir = e->d_type == DT_DIR;

			at += e->d_reclen;
			if (e->d_name[0] == '.') /* lakeform's files, and every dot name */
				continue;
			if (e->d_type == DT_UNKNOWN)
				is_dir = fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				         S_ISDIR(st.st_mode);
			if (is_dir) {
				LF_GROW(names, n + 1, alloc);
				names[n++] = lf_xstrdup(e->d_name);
			}
		}
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		int sub = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char *p, *r, *m;
		json_t *marker = NULL;

		if (sub < 0)
			continue;
		p = lf_xasprintf("%s/%s", dir, names[i]);
		r = lf_xasprintf("%s%s/", rel, names[i]);
		m = lf_xasprintf("%s/%s", p, PREFIX_MARKER);
		if (lfp_load_json_at(call, sub, PREFIX_MARKER, m, &marker) == 0) {
			char *pid = prefix_id(l->bucket, r);
			if (l->with_attributes)
				lfp_list_add(call, l->objects, pid, with_url(call, marker, p));
			else
				lfp_list_add_id(call, l->objects, pid, marker);
			free(pid);
		}
		json_decref(marker);
		list_prefixes(call, l, sub, p, r, depth + 1);
		free(m);
		free(r);
		free(p);
	}
	lf_strv_free(names, n);
	close(fd);
}

static int prefix_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = lfp_get_str(params, "id");
	const char *address;
	json_t *marker = NULL;
	char *bucket = NULL, *path = NULL, **names = NULL;
	size_t n = 0;
	int r;

	if (lfp_need_str(call, params, "address", &address) < 0)
		return -1;
	if (id) {
		if (split_prefix_id(call, id, &bucket, &path) < 0)
			return -1;
		r = load_prefix(call, bucket, path, &marker);
		if (r == 0) {
			char *dir = prefix_dir(call, bucket, path);
			char *pid = prefix_id(bucket, path);
			*result = lfp_read_found(pid, with_url(call, marker, dir));
			free(dir);
			free(pid);
		} else if (r > 0) {
			*result = lfp_read_missing();
		}
		json_decref(marker);
		free(bucket);
		free(path);
		return r < 0 ? -1 : 0;
	}
	if (list_buckets(call, &names, &n) < 0)
		return -1;
	*result = NULL;
	for (size_t i = 0; i < n && !*result; i++) {
		struct marker_scan s = {address, NULL, NULL};
		char *dir = bucket_dir(call, names[i]);

		scan_markers(call, &s, dir, "", 0);
		if (s.found) {
			char *pdir = prefix_dir(call, names[i], s.found_path);
			char *pid = prefix_id(names[i], s.found_path);
			*result = lfp_read_found(pid, with_url(call, s.found, pdir));
			free(pdir);
			free(pid);
		}
		json_decref(s.found);
		free(s.found_path);
		free(dir);
	}
	lf_strv_free(names, n);
	if (!*result)
		*result = lfp_read_missing();
	return 0;
}

static int prefix_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	json_t *objects = json_array();
	char **names = NULL;
	size_t n = 0;

	if (list_buckets(call, &names, &n) < 0) {
		json_decref(objects);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct prefix_list l = {names[i], objects, lfp_list_attributes(params)};
		char *dir = bucket_dir(call, names[i]);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd >= 0)
			list_prefixes(call, &l, fd, dir, "", 0);
		free(dir);
	}
	lf_strv_free(names, n);
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

static int prefix_inputs(struct lfp_call *call, const json_t *inputs, const char **bucket,
                         const char **path, const char **purpose)
{
	if (lfp_need_str(call, inputs, "bucket", bucket) < 0 ||
	    lfp_need_str(call, inputs, "path", path) < 0 ||
	    lfp_need_str(call, inputs, "purpose", purpose) < 0 ||
	    check_name(call, "bucket", *bucket) < 0 ||
	    check_path(call, "prefix path", *path, 0) < 0)
		return -1;
	return 0;
}

static int prefix_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *bucket, *path, *purpose;
	json_t *inputs, *labels = NULL, *marker = NULL, *meta = NULL, *tags = NULL;
	char *cur = NULL, *file = NULL, *id = NULL;
	const char *p;
	struct lfp_syncs sy = {{0}, 0};
	int lock = -1, r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 ||
	    prefix_inputs(call, inputs, &bucket, &path, &purpose) < 0)
		return -1;
	labels = lfp_labels_for(call, address, inputs);
	if (!labels || !(tags = lfp_tags_for(call, inputs)) || lock_root(call, &lock) < 0)
		goto out;
	r = load_bucket(call, bucket, &meta);
	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "bucket '%s' does not exist", bucket);
		goto out;
	}
	/* one directory at a time, so a link planted on the way is noticed */
	cur = bucket_dir(call, bucket);
	for (p = path; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *next = lf_xasprintf("%s/%.*s", cur, (int)n, p);

		r = real_dir(next);
		if (r == 0) {
			if ((r = lf_mkdir_new_nofollow(AT_FDCWD, next, 0755)) < 0) {
				lfp_fs_error(call, r, next);
				free(next);
				goto out;
			}
			lfp_syncs_add(&sy, cur); /* its new entry */
		} else if (r < 0) {
			lfp_error(call, LFP_E_CONFLICT, 0, "'%s' is in the way of prefix '%s/%s'",
			          next, bucket, path);
			free(next);
			goto out;
		}
		free(cur);
		cur = next;
		p += n;
		if (*p == '/')
			p++;
	}
	id = prefix_id(bucket, path);
	file = lf_xasprintf("%s/%s", cur, PREFIX_MARKER);
	r = lfp_load_json(call, file, &marker);
	if (r < 0)
		goto out;
	if (r == 0) {
		if (!lfp_owned_by(call, marker, address)) {
			lfp_error(call, LFP_E_CONFLICT, 0, "prefix '%s' belongs to '%s'", id,
			          lfp_owner_of(marker));
			goto out;
		}
		lfp_log("prefix '%s' exists already for '%s'", id, address);
	} else {
		char *dp = dir_path(path);
		marker = json_pack("{s:s, s:s, s:s, s:O}", "bucket", bucket, "path", dp, "purpose",
		                   purpose, "labels", labels);
		lfp_tags_record(marker, tags);
		free(dp);
		if (lfp_save_json_deferred(call, file, marker, &sy) < 0)
			goto out;
		lfp_log("created prefix '%s'", id);
	}
	*result = json_pack("{s:s, s:o}", "id", id, "attributes", with_url(call, marker, cur));
	err = 0;
out:
	lfp_unlock_root(lock);
	/* durable before the answer, but side by side with other changes */
	if (err == 0 && lfp_syncs_run(call, &sy) < 0) {
		json_decref(*result);
		*result = NULL;
		err = -1;
	}
	lfp_syncs_release(&sy);
	json_decref(labels);
	json_decref(tags);
	json_decref(marker);
	json_decref(meta);
	free(cur);
	free(file);
	free(id);
	return err;
}

static int prefix_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id, *bucket, *path, *purpose;
	json_t *inputs, *labels = NULL, *marker = NULL, *tags = NULL;
	char *want = NULL, *dir = NULL, *file = NULL;
	int lock = -1, r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 ||
	    prefix_inputs(call, inputs, &bucket, &path, &purpose) < 0)
		return -1;
	want = prefix_id(bucket, path);
	if (strcmp(want, id)) {
		lfp_error(call, LFP_E_INVALID, 0, "prefix cannot move in place ('%s' to '%s')", id,
		          want);
		goto out;
	}
	labels = lfp_labels_for(call, address, inputs);
	if (!labels || !(tags = lfp_tags_for(call, inputs)) || lock_root(call, &lock) < 0)
		goto out;
	r = load_prefix(call, bucket, path, &marker);
	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "prefix '%s' does not exist", id);
		goto out;
	}
	if (!lfp_owned_by(call, marker, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0, "prefix '%s' belongs to '%s'", id,
		          lfp_owner_of(marker));
		goto out;
	}
	json_object_set_new(marker, "purpose", json_string(purpose));
	json_object_set(marker, "labels", labels);
	lfp_tags_record(marker, tags);
	dir = prefix_dir(call, bucket, path);
	file = lf_xasprintf("%s/%s", dir, PREFIX_MARKER);
	if (lfp_save_json(call, file, marker) < 0)
		goto out;
	*result = json_pack("{s:o}", "attributes", with_url(call, marker, dir));
	err = 0;
out:
	lfp_unlock_root(lock);
	json_decref(labels);
	json_decref(tags);
	json_decref(marker);
	free(want);
	free(dir);
	free(file);
	return err;
}

static int prefix_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	char ebuf[128];
	const char *address, *id;
	json_t *marker = NULL;
	char *bucket = NULL, *path = NULL, *dir = NULL, *file = NULL, *top = NULL;
	int lock = -1, r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 ||
	    split_prefix_id(call, id, &bucket, &path) < 0)
		return -1;
	if (lock_root(call, &lock) < 0)
		goto out;
	r = load_prefix(call, bucket, path, &marker);
	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_log("prefix '%s' is gone already", id);
		goto done;
	}
	if (!lfp_owned_by(call, marker, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0, "prefix '%s' belongs to '%s'", id,
		          lfp_owner_of(marker));
		goto out;
	}
	dir = prefix_dir(call, bucket, path);
	file = lf_xasprintf("%s/%s", dir, PREFIX_MARKER);
	if ((r = lf_unlink_nofollow(AT_FDCWD, file, 0)) < 0 || (r = lfp_fsync_dir(dir)) < 0) {
		lfp_fs_error(call, r, file);
		goto out;
	}
	/* the directory, and the parents it alone kept, unless they hold data */
	top = bucket_dir(call, bucket);
	while (strlen(dir) > strlen(top)) {
		char *slash = strrchr(dir, '/');

		if ((r = lf_unlink_nofollow(AT_FDCWD, dir, AT_REMOVEDIR)) < 0) {
			if (r == -ENOTEMPTY || r == -EEXIST)
				lfp_log("prefix '%s': '%s' holds data, left in place", id, dir);
			else
				lfp_log("prefix '%s': cannot remove '%s': %s", id, dir,
				        lfp_errstr(r, ebuf, sizeof(ebuf)));
			break;
		}
		*slash = '\0';
		lfp_fsync_dir(dir);
	}
	lfp_log("deleted prefix '%s'", id);
done:
	*result = json_object();
	err = 0;
out:
	lfp_unlock_root(lock);
	json_decref(marker);
	free(bucket);
	free(path);
	free(dir);
	free(file);
	free(top);
	return err;
}

/* ---- storage.policy -------------------------------------------------- */

static int policy_path_ok(struct lfp_call *call, const char *path)
{
	return check_path(call, "policy path", path, 1) == 0;
}

static char *policy_file(struct lfp_call *call, const char *bucket)
{
	return lf_xasprintf("%s/buckets/%s/%s", root_of(call), bucket, POLICY_FILE);
}

/* The policy of a bucket: 0 and *policy, 1 when none, -1 after lfp_error(). */
/* A bucket's policy, whole or (`member` not NULL) that member of it alone:
 * as lfp_load_json() answers, 1 when the bucket or its policy is not
 * there. */
static int load_policy_part(struct lfp_call *call, const char *bucket, const char *member,
                            json_t **policy)
{
	char *dir = bucket_dir(call, bucket);
	char *file = policy_file(call, bucket);
	int r = real_dir(dir) != 1 ? 1
	        : member           ? lfp_load_json_member(call, file, member, policy)
	                           : lfp_load_json(call, file, policy);

	if (r)
		*policy = NULL;
	free(dir);
	free(file);
	return r;
}

static int load_policy(struct lfp_call *call, const char *bucket, json_t **policy)
{
	return load_policy_part(call, bucket, NULL, policy);
}

static json_t *policy_attributes(struct lfp_call *call, const char *bucket, const json_t *policy)
{
	(void)call;
	(void)bucket;
	return json_incref((json_t *)policy);
}

static const struct bucket_record bucket_policy = {load_policy, policy_attributes};

static int policy_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	return read_bucket_record(call, params, &bucket_policy, result);
}

static int policy_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	return list_bucket_records(call, params, &bucket_policy, result);
}

static int policy_write(struct lfp_call *call, const json_t *params, json_t **result, int create)
{
	const char *address, *bucket, *id = NULL;
	json_t *inputs, *statements, *labels = NULL, *meta = NULL, *policy = NULL;
	char *file = NULL;
	struct lfp_syncs sy = {{0}, 0};
	int lock = -1, r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 ||
	    lfp_need_str(call, inputs, "bucket", &bucket) < 0 ||
	    check_name(call, "bucket", bucket) < 0)
		return -1;
	statements = json_object_get(inputs, "statements");
	if (lfp_check_statements(call, statements, policy_path_ok) < 0)
		return -1;
	if (!create) {
		if (lfp_need_str(call, params, "id", &id) < 0)
			return -1;
		if (strcmp(id, bucket)) {
			lfp_error(call, LFP_E_INVALID, 0,
			          "policy cannot move to another bucket in place ('%s' to '%s')",
			          id, bucket);
			return -1;
		}
	}
	labels = lfp_labels_for(call, address, inputs);
	if (!labels || lock_root(call, &lock) < 0)
		goto out;
	r = load_bucket(call, bucket, &meta);
	if (r < 0)
		goto out;
	if (r > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "bucket '%s' does not exist", bucket);
		goto out;
	}
	/* a create that finds it answers with it; an update replaces it, and
	 * needs its labels alone (its statements can be megabytes) */
	r = load_policy_part(call, bucket, create ? NULL : "labels", &policy);
	if (r < 0)
		goto out;
	if (r == 0 && !lfp_owned_by(call, policy, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0, "the policy of bucket '%s' belongs to '%s'",
		          bucket, lfp_owner_of(policy));
		goto out;
	}
	if (r > 0 && !create) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "bucket '%s' has no policy", bucket);
		goto out;
	}
	if (r == 0 && create) {
		lfp_log("the policy of bucket '%s' exists already for '%s'", bucket, address);
	} else {
		json_decref(policy);
		policy = json_pack("{s:s, s:O, s:O}", "bucket", bucket, "statements", statements,
		                   "labels", labels);
		file = policy_file(call, bucket);
		/* a new policy is synced after the lock, with the other changes; one
		 * replaced is synced before its rename (the old one or the new) */
		if (r > 0 ? lfp_save_json_deferred(call, file, policy, &sy) < 0
		          : lfp_save_json(call, file, policy) < 0)
			goto out;
	}
	*result = lfp_write_answer(create ? bucket : NULL, policy);
	err = 0;
out:
	lfp_unlock_root(lock);
	/* durable before the answer */
	if (err == 0 && lfp_syncs_run(call, &sy) < 0) {
		json_decref(*result);
		*result = NULL;
		err = -1;
	}
	lfp_syncs_release(&sy);
	json_decref(labels);
	json_decref(meta);
	json_decref(policy);
	free(file);
	return err;
}

static int policy_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	return policy_write(call, params, result, 1);
}

static int policy_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	return policy_write(call, params, result, 0);
}

static int policy_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	json_t *policy = NULL;
	char *file = NULL, *dir = NULL;
	int lock = -1, r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || check_name(call, "bucket", id) < 0)
		return -1;
	if (lock_root(call, &lock) < 0)
		goto out;
	r = load_policy(call, id, &policy);
	if (r < 0)
		goto out;
	if (r == 0) {
		if (!lfp_owned_by(call, policy, address)) {
			lfp_error(call, LFP_E_CONFLICT, 0,
			          "the policy of bucket '%s' belongs to '%s'", id,
			          lfp_owner_of(policy));
			goto out;
		}
		file = policy_file(call, id);
		dir = bucket_dir(call, id);
		r = lf_unlink_nofollow(AT_FDCWD, file, 0);
		if (r < 0 || (r = lfp_fsync_dir(dir)) < 0) {
			lfp_fs_error(call, r, file);
			goto out;
		}
	}
	*result = json_object();
	err = 0;
out:
	lfp_unlock_root(lock);
	json_decref(policy);
	free(file);
	free(dir);
	return err;
}

/* ---- the provider ---------------------------------------------------- */

/* ---- usage -------------------------------------------------------------- */

/* Add the size and count of the data files under `dir` (lakeform's own
 * files left out, no symbolic link followed); 0 or -errno. */
static int measure_dir(const char *dir, int top, long long *bytes, long long *objects)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), err = 0;

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		struct stat st;
		char *p = lf_xasprintf("%s/%s", dir, name);

		if (err || !strcmp(name, ".") || !strcmp(name, "..")) {
			/* skip */
		} else if (lstat(p, &st) < 0) {
			err = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			err = measure_dir(p, 0, bytes, objects);
		} else if (S_ISREG(st.st_mode) && !own_file(name, top)) {
			*bytes += (long long)st.st_size;
			(*objects)++;
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	return err;
}

/* usage of a bucket or a prefix: the bytes and objects stored under it */
static int storage_usage(struct lfp_call *call, const json_t *params, json_t **result)
{
	const json_t *inputs = json_object_get(params, "inputs");
	const char *type = json_string_value(json_object_get(params, "type"));
	int is_bucket = !strcmp(type, "storage.bucket");
	const char *bucket =
	    json_string_value(json_object_get(inputs, is_bucket ? "name" : "bucket"));
	const char *path = json_string_value(json_object_get(inputs, "path"));
	long long bytes = 0, objects = 0;
	char *dir;

	if (!bucket || (!is_bucket && !path)) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "the inputs name no %s",
		          bucket ? "path" : "bucket");
		return -1;
	}
	if (check_name(call, "bucket", bucket) < 0 ||
	    (!is_bucket && check_path(call, "prefix path", path, 0) < 0))
		return -1;
	dir = is_bucket ? bucket_dir(call, bucket) : prefix_dir(call, bucket, path);
	if (real_dir(dir) != 1) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "'%s' does not exist", dir);
		free(dir);
		return -1;
	}
	int err = measure_dir(dir, is_bucket, &bytes, &objects);
	if (err) {
		lfp_error(call, LFP_E_UNAVAILABLE, 1, "cannot measure '%s': %s", dir,
		          strerror(-err));
		free(dir);
		return -1;
	}
	free(dir);
	*result =
	    json_pack("{s:I,s:I}", "bytes", (json_int_t)bytes, "objects", (json_int_t)objects);
	return 0;
}

static int configure(struct lfp_call *call, const json_t *settings)
{
	struct storage *st = lfp_call_state(call);

	return lfp_configure_root(call, settings, &st->root);
}

static const struct lfp_type types[] = {
    {"storage.bucket", NULL, bucket_read, bucket_create, bucket_update, bucket_delete, NULL,
     bucket_list, storage_usage},
    {"storage.prefix", NULL, prefix_read, prefix_create, prefix_update, prefix_delete, NULL,
     prefix_list, storage_usage},
    {"storage.policy", NULL, policy_read, policy_create, policy_update, policy_delete, NULL,
     policy_list, NULL},
};

static const struct lfp_provider provider = {
    .version = LFP_VERSION,
    .name = "local-storage",
    .types = types,
    .ntypes = sizeof(types) / sizeof(types[0]),
    /* changes serialise on the root's flock, but the more are queued, the
     * more one syncfs makes durable at once (the group commit) */
    .concurrency = 16,
    .configure = configure,
    .state = &storage_state,
    /* a read opens one file (or walks the tree without an id), takes no lock */
    .inline_reads = 1,
    /* a read finds its object by id or by labels: the recorded inputs
     * (a policy's statements, megabytes of them) are not decoded */
    .reads_ignore_inputs = 1,
    /* no update looks at the recorded attributes */
    .updates_ignore_prior = 1,
};

int main(int argc, char **argv)
{
	int rc = lfp_main(&provider, argc, argv);

	free(storage_state.root);
	free(real_of);
	free(real_buckets);
	return rc;
}
