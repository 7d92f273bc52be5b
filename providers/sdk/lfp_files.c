/*
 * lfp_files.c - helpers for providers that keep their objects in files
 * (the local providers): JSON records written crash-safely, ownership
 * labels, the answers of read.  See lfp_files.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lfp_files.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/map.h"
#include "util/jspan.h"
#include "util/mem.h"

#define LABEL_ADDRESS "lakeform/address"
#define LABEL_ACCOUNT "lakeform/account"
#define MAX_RECORD (16u << 20)

const char *lfp_errstr(int err, char *buf, size_t n)
{
	/* the GNU strerror_r: thread-safe, returns the message */
	return strerror_r(err < 0 ? -err : err, buf, n);
}

int lfp_fs_error(struct lfp_call *call, int err, const char *path)
{
	char buf[128];
	int retryable = err == -EAGAIN || err == -EINTR || err == -EBUSY || err == -ENOSPC;

	if (err == -ELOOP) {
		char *link = lf_symlink_in(path);
		lfp_error(call, LFP_E_CONFLICT, 0,
		          "'%s' is a symbolic link, which lakeform refuses to follow",
		          link ? link : path);
		free(link);
		return -1;
	}
	lfp_error(call, LFP_E_INTERNAL, retryable, "'%s': %s", path,
	          lfp_errstr(err, buf, sizeof(buf)));
	return -1;
}

const char *lfp_get_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int lfp_need_str(struct lfp_call *call, const json_t *o, const char *key, const char **out)
{
	*out = lfp_get_str(o, key);
	if (!*out) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'%s' must be a string", key);
		return -1;
	}
	return 0;
}

/* 0 and *out (new reference), 1 when missing, or -1 after lfp_error(). */
int lfp_load_json(struct lfp_call *call, const char *path, json_t **out)
{
	return lfp_load_json_at(call, AT_FDCWD, path, path, out);
}

/* A record's text: 0 with *data (owned), 1 when the file does not exist,
 * or -1 after lfp_error(). */
static int read_record(struct lfp_call *call, int dirfd, const char *name, const char *path,
                       char **data, size_t *len)
{
	int err = lf_read_file_at(dirfd, data, len, name, MAX_RECORD);

	if (err == -ENOENT || err == -ENOTDIR)
		return 1;
	return err < 0 ? lfp_fs_error(call, err, path) : 0;
}

/* A record's text decoded: 0 with *out (new reference), or -1 after
 * lfp_error() when it is not a JSON object. */
static int decode_record(struct lfp_call *call, const char *path, const char *data, size_t len,
                         json_t **out)
{
	json_error_t jerr;

	*out = json_loadb(data, len, 0, &jerr);
	if (json_is_object(*out))
		return 0;
	json_decref(*out);
	*out = NULL;
	lfp_error(call, LFP_E_INTERNAL, 0, "'%s': not a json object: %s", path, jerr.text);
	return -1;
}

int lfp_load_json_at(struct lfp_call *call, int dirfd, const char *name, const char *path,
                     json_t **out)
{
	char *data = NULL;
	size_t len;
	int r = read_record(call, dirfd, name, path, &data, &len);

	*out = NULL;
	if (r == 0)
		r = decode_record(call, path, data, len, out);
	free(data);
	return r;
}

int lfp_load_json_member(struct lfp_call *call, const char *path, const char *key, json_t **out)
{
	char *data = NULL;
	const char *v;
	size_t len, vl;
	int r = read_record(call, AT_FDCWD, path, path, &data, &len);

	*out = NULL;
	if (r != 0)
		return r;
	int found = lf_jspan_member(data, len, key, &v, &vl);
	json_t *value = found == 1 ? json_loadb(v, vl, 0, NULL) : NULL;
	if (found == 0 || value) {
		*out = json_object();
		if (value)
			json_object_set_new(*out, key, value);
	} else {
		/* cannot tell by the scan: decoded whole, which says what is
		 * wrong with it */
		json_t *whole;
		r = decode_record(call, path, data, len, &whole);
		if (r == 0) {
			*out = json_object();
			if ((value = json_object_get(whole, key)) != NULL)
				json_object_set(*out, key, value);
			json_decref(whole);
		}
	}
	free(data);
	return r;
}

int lfp_save_json(struct lfp_call *call, const char *path, const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	struct lf_buf b = LF_BUF_INIT;
	int err;

	if (!s) {
		lfp_error(call, LFP_E_INTERNAL, 0, "cannot encode '%s'", path);
		return -1;
	}
	lf_buf_adds(&b, s);
	lf_buf_addc(&b, '\n');
	free(s);
	err = lf_write_file_atomic_nofollow(AT_FDCWD, path, b.ptr, b.len, 0644, lfp_durable);
	lf_buf_release(&b);
	return err < 0 ? lfp_fs_error(call, err, path) : 0;
}

void lfp_syncs_add(struct lfp_syncs *s, const char *path)
{
	if (!lfp_durable)
		return;
	if (s->n < LFP_MAX_SYNCS) {
		s->paths[s->n++] = lf_xstrdup(path);
		return;
	}
	/* full: this one now, under the lock (rare: very deep paths) */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int lfp_save_json_deferred(struct lfp_call *call, const char *path, const json_t *v,
                           struct lfp_syncs *s)
{
	char *s_text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
	struct lf_buf b = LF_BUF_INIT;
	int err;

	if (!s_text) {
		lfp_error(call, LFP_E_INTERNAL, 0, "cannot encode '%s'", path);
		return -1;
	}
	lf_buf_adds(&b, s_text);
	lf_buf_addc(&b, '\n');
	free(s_text);
	err = lf_write_file_atomic_nofollow(AT_FDCWD, path, b.ptr, b.len, 0644, 0);
	lf_buf_release(&b);
	if (err < 0)
		return lfp_fs_error(call, err, path);
	lfp_syncs_add(s, path);
	const char *slash = strrchr(path, '/');
	if (slash) {
		char *dir = lf_xstrndup(path, (size_t)(slash - path));
		lfp_syncs_add(s, dir);
		free(dir);
	}
	return 0;
}

/*
 * Group commit.  A call that finished its change queues its lfp_syncs and
 * waits; one of the waiting calls at a time (the leader) takes everything
 * queued so far and makes it durable with one syncfs() of each file system
 * its paths are on (a provider's root: one), then wakes the calls of that
 * batch, which answer only then.  Calls that finish while a batch is being
 * synced queue for the next one, so under load one syncfs serves several
 * changes, where each used to fsync its file and up to three directories
 * (measured: 20% less wall time for an apply of 4,500 objects,
 * docs/performance.md).  syncfs reports the file system's writeback errors
 * since its descriptor was opened; one fails every call of the batch.
 */
struct sync_waiter {
	struct lfp_syncs *s;
	int err;           /* -errno of the first path of s that failed */
	const char *where; /* that path (in s) */
	int done;
	struct sync_waiter *next;
};

static pthread_mutex_t syncs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t syncs_cv = PTHREAD_COND_INITIALIZER;
static struct sync_waiter *syncs_queue;
static int syncs_leading;

/* syncfs the file system holding `path`; 0, or -errno (gone meanwhile: 0) */
static int syncfs_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), err = 0;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	if (syncfs(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* One syncfs per file system the batch's paths are on (nearly always one:
 * a provider's root); a path's device is told by lstat. */
static void sync_batch(struct sync_waiter *batch)
{
	dev_t *devs = NULL;
	size_t ndevs = 0, alloc = 0;
	int err = 0;
	const char *where = NULL;

	for (struct sync_waiter *w = batch; w && !err; w = w->next) {
		for (size_t i = 0; i < w->s->n && !err; i++) {
			struct stat st;
			size_t k;

			where = w->s->paths[i];
			if (lstat(where, &st) < 0) {
				if (errno != ENOENT && errno != ENOTDIR)
					err = -errno;
				continue;
			}
			for (k = 0; k < ndevs && devs[k] != st.st_dev; k++)
				;
			if (k < ndevs)
				continue;
			LF_GROW(devs, ndevs + 1, alloc);
			devs[ndevs++] = st.st_dev;
			err = syncfs_of(where);
		}
	}
	free(devs);
	for (struct sync_waiter *w = batch; w; w = w->next) {
		w->err = err;
		w->where = where;
	}
}

int lfp_syncs_run(struct lfp_call *call, struct lfp_syncs *s)
{
	struct sync_waiter me = {s, 0, NULL, 0, NULL};
	int failed = 0;

	if (s->n == 0)
		return 0;
	pthread_mutex_lock(&syncs_mu);
	me.next = syncs_queue;
	syncs_queue = &me;
	while (!me.done) {
		if (syncs_leading) {
			pthread_cond_wait(&syncs_cv, &syncs_mu);
			continue;
		}
		struct sync_waiter *batch = syncs_queue;

		syncs_queue = NULL;
		syncs_leading = 1;
		pthread_mutex_unlock(&syncs_mu);
		sync_batch(batch);
		pthread_mutex_lock(&syncs_mu);
		for (struct sync_waiter *w = batch, *next; w; w = next) {
			next = w->next; /* w may return and go once done is set */
			w->done = 1;
		}
		syncs_leading = 0;
		pthread_cond_broadcast(&syncs_cv);
	}
	pthread_mutex_unlock(&syncs_mu);
	if (me.err)
		failed = lfp_fs_error(call, me.err, me.where);
	lfp_syncs_release(s);
	return failed ? -1 : 0;
}

void lfp_syncs_release(struct lfp_syncs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	s->n = 0;
}

int lfp_mkdir_p(const char *path)
{
	return lf_mkdirs_nofollow(AT_FDCWD, path, 0755);
}

/*
 * The labels an object must carry: inputs.labels with lakeform/address set
 * to the call's address (and lakeform/account to the configured account).  New reference, or NULL after lfp_error().
 */
json_t *lfp_labels_for(struct lfp_call *call, const char *address, const json_t *inputs)
{
	const char *account = lfp_call_account(call);
	json_t *in = json_object_get(inputs, "labels");
	const char *given;
	json_t *labels;

	if (in && !json_is_object(in)) {
		lfp_error(call, LFP_E_INVALID, 0, "'labels' must be an object");
		return NULL;
	}
	given = lfp_get_str(in, LABEL_ADDRESS);
	if (given && strcmp(given, address)) {
		lfp_error(call, LFP_E_INVALID, 0, "label '%s' is '%s', not the address '%s'",
		          LABEL_ADDRESS, given, address);
		return NULL;
	}
	given = lfp_get_str(in, LABEL_ACCOUNT);
	if (given && *account && strcmp(given, account)) {
		lfp_error(call, LFP_E_INVALID, 0, "label '%s' is '%s', not the account '%s'",
		          LABEL_ACCOUNT, given, account);
		return NULL;
	}
	labels = in ? json_deep_copy(in) : json_object();
	json_object_set_new(labels, LABEL_ADDRESS, json_string(address));
	if (!given && *account)
		json_object_set_new(labels, LABEL_ACCOUNT, json_string(account));
	return labels;
}

json_t *lfp_tags_for(struct lfp_call *call, const json_t *inputs)
{
	json_t *in = json_object_get(inputs, "tags"), *v;
	const char *k;

	if (!in || json_is_null(in))
		return json_object();
	if (!json_is_object(in)) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'tags' must be an object");
		return NULL;
	}
	json_object_foreach (in, k, v) {
		if (!json_is_string(v)) {
			lfp_error(call, LFP_E_INVALID_PARAMS, 0, "tag '%s' must be a string", k);
			return NULL;
		}
		if (!strncmp(k, "lakeform/", 9) || !strncmp(k, "lakeform:", 9)) {
			lfp_error(call, LFP_E_INVALID, 0,
			          "tag '%s' is in lakeform's own namespace (lakeform/, lakeform:)",
			          k);
			return NULL;
		}
	}
	return json_deep_copy(in);
}

void lfp_tags_record(json_t *record, const json_t *tags)
{
	if (json_object_size(tags))
		json_object_set_new(record, "tags", json_deep_copy(tags));
	else
		json_object_del(record, "tags");
}

/*
 * Whether a stored object belongs to `address` (and to the configured
 * account, when both it and the object name one).
 */
int lfp_owned_by(struct lfp_call *call, const json_t *record, const char *address)
{
	const json_t *labels = json_object_get(record, "labels");
	const char *have = lfp_get_str(labels, LABEL_ADDRESS);
	const char *acct = lfp_get_str(labels, LABEL_ACCOUNT);
	const char *want_acct = lfp_call_account(call);

	if (!have || strcmp(have, address))
		return 0;
	return !acct || !want_acct || !*want_acct || !strcmp(acct, want_acct);
}

const char *lfp_owner_of(const json_t *record)
{
	const char *a = lfp_get_str(json_object_get(record, "labels"), LABEL_ADDRESS);

	return a ? a : "(none)";
}

/* The address a listed record's labels name, or NULL when it is not listed. */
static const char *listed_address(struct lfp_call *call, const json_t *record)
{
	const json_t *labels = json_object_get(record, "labels");
	const char *addr = lfp_get_str(labels, LABEL_ADDRESS);
	const char *acct = lfp_get_str(labels, LABEL_ACCOUNT);
	const char *want_acct = lfp_call_account(call);

	if (!addr || (want_acct && *want_acct && (!acct || strcmp(acct, want_acct))))
		return NULL;
	return addr;
}

int lfp_list_add(struct lfp_call *call, json_t *objects, const char *id, json_t *attributes)
{
	const char *addr = listed_address(call, attributes);

	if (!addr) {
		json_decref(attributes);
		return 0;
	}
	json_array_append_new(objects, json_pack("{s:s, s:s, s:o}", "id", id, "address", addr,
	                                         "attributes", attributes));
	return 1;
}

int lfp_list_attributes(const json_t *params)
{
	return !json_is_false(json_object_get(params, "attributes"));
}

int lfp_list_add_id(struct lfp_call *call, json_t *objects, const char *id, const json_t *record)
{
	const char *addr = listed_address(call, record);

	if (!addr)
		return 0;
	json_array_append_new(objects, json_pack("{s:s, s:s}", "id", id, "address", addr));
	return 1;
}

json_t *lfp_read_found(const char *id, json_t *attributes)
{
	return json_pack("{s:b, s:s, s:o}", "exists", 1, "id", id, "attributes", attributes);
}

json_t *lfp_read_missing(void)
{
	return json_pack("{s:b, s:n, s:n}", "exists", 0, "id", "attributes");
}

json_t *lfp_write_answer(const char *id, json_t *attributes)
{
	if (id)
		return json_pack("{s:s, s:O}", "id", id, "attributes", attributes);
	return json_pack("{s:O}", "attributes", attributes);
}

/*
 * The lock files this process has open, one entry per path, kept for the
 * process's life.  The workers of this process take the entry's mutex
 * first, so that only one of them at a time asks for the flock: before,
 * all of them polled flock(LOCK_NB) every 10 ms, and a lock let go waited
 * up to 10 ms for its next holder (32,692 refused flocks in an apply of
 * 14,766 objects, most of its wall time); and the file is opened once,
 * not walked to and opened again for every change.  The flock still keeps
 * other processes out.
 */
struct root_lock {
	char *path;
	int fd; /* -1 until opened, or after the file was found replaced */
	pthread_mutex_t mu;
	struct root_lock *next;
};

static pthread_mutex_t root_locks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct root_lock *root_locks;

static struct root_lock *root_lock_of(const char *path)
{
	struct root_lock *l;

	pthread_mutex_lock(&root_locks_mu);
	for (l = root_locks; l && strcmp(l->path, path); l = l->next)
		;
	if (!l) {
		l = lf_xcalloc(1, sizeof(*l));
		l->path = lf_xstrdup(path);
		l->fd = -1;
		pthread_mutex_init(&l->mu, NULL);
		l->next = root_locks;
		root_locks = l;
	}
	pthread_mutex_unlock(&root_locks_mu);
	return l;
}

/* Whether `fd` is still the file at `path` (not removed or replaced since
 * it was opened: a flock on a file nobody else can open excludes nobody). */
static int still_there(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && a.st_nlink > 0 && lstat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int lfp_lock_root(struct lfp_call *call, const char *root, const char *name, int *fd)
{
	char *path = lf_xasprintf("%s/%s", root, name);
	struct root_lock *l = root_lock_of(path);
	long left = lfp_call_remaining_ms(call) - 100;
	struct timespec until;
	int err;

	*fd = -1;
	clock_gettime(CLOCK_REALTIME, &until);
	if (left > 0) {
		until.tv_sec += left / 1000;
		until.tv_nsec += (left % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	if ((err = pthread_mutex_timedlock(&l->mu, &until)) != 0) {
		if (err == ETIMEDOUT)
			lfp_error(call, LFP_E_UNAVAILABLE, 1, "'%s' is locked by another call",
			          path);
		else
			lfp_fs_error(call, -err, path);
		free(path);
		return -1;
	}
	for (;;) {
		if (l->fd < 0) {
			err = lfp_mkdir_p(root);
			if (err < 0) {
				lfp_fs_error(call, err, root);
				goto fail;
			}
			int nfd = lf_open_nofollow(AT_FDCWD, path, O_RDWR | O_CREAT, 0644);
			if (nfd < 0) {
				lfp_fs_error(call, nfd, path);
				goto fail;
			}
			__atomic_store_n(&l->fd, nfd, __ATOMIC_RELAXED);
		}
		while (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK && errno != EINTR) {
				lfp_fs_error(call, -errno, path);
				goto fail;
			}
			if (lfp_call_remaining_ms(call) < 100) {
				lfp_error(call, LFP_E_UNAVAILABLE, 1,
				          "'%s' is locked by another process", path);
				goto fail;
			}
			usleep(10 * 1000);
		}
		if (still_there(l->fd, path))
			break;
		/* removed or replaced while it was closed to us: open it again */
		close(l->fd);
		__atomic_store_n(&l->fd, -1, __ATOMIC_RELAXED);
	}
	*fd = l->fd;
	free(path);
	return 0;
fail:
	if (l->fd >= 0)
		flock(l->fd, LOCK_UN);
	pthread_mutex_unlock(&l->mu);
	free(path);
	return -1;
}

int lfp_check_statements(struct lfp_call *call, const json_t *statements,
                         int (*path_ok)(struct lfp_call *call, const char *path))
{
	size_t i;
	json_t *s;

	if (!json_is_array(statements)) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'statements' must be an array");
		return -1;
	}
	json_array_foreach (statements, i, s) {
		const char *principal = lfp_get_str(s, "principal");
		const char *access = lfp_get_str(s, "access");
		const char *path = lfp_get_str(s, "path");

		if (!principal || !*principal || !access || !path ||
		    (strcmp(access, "read") && strcmp(access, "write"))) {
			lfp_error(call, LFP_E_INVALID, 0,
			          "statement %zu needs a principal, access 'read' or 'write' and a "
			          "path",
			          i);
			return -1;
		}
		if (!path_ok(call, path))
			return -1;
	}
	return 0;
}

void lfp_unlock_root(int fd)
{
	struct root_lock *l;

	if (fd < 0)
		return;
	pthread_mutex_lock(&root_locks_mu);
	for (l = root_locks; l && __atomic_load_n(&l->fd, __ATOMIC_RELAXED) != fd; l = l->next)
		;
	pthread_mutex_unlock(&root_locks_mu);
	flock(fd, LOCK_UN);
	if (l)
		pthread_mutex_unlock(&l->mu);
}

int lfp_durable = 1;

int lfp_fsync_dir(const char *dir)
{
	return lfp_durable ? lf_fsync_dir(dir) : 0;
}

/*
 * The root as the provider uses it.  A relative one stays as it is: it lies
 * under the configuration directory, where no link is followed.  An
 * absolute one may be reached through links of the user's own or root's,
 * never another user's; it is then written without them (the real path of
 * the part that exists, the rest as given), so that every later step can
 * refuse a link.  0, or -1 after lfp_error().
 */
static int root_path(struct lfp_call *call, const char *root, char **out)
{
	char *link = NULL, *head, *real;
	long owner = 0;
	size_t n;

	*out = NULL;
	if (root[0] != '/') {
		*out = lf_xstrdup(root);
		return 0;
	}
	if (lf_foreign_symlink(&link, &owner, root) == 1) {
		lfp_error(
		    call, LFP_E_INVALID, 0,
		    "setting 'root': '%s' is a symbolic link owned by another user (uid %ld), "
		    "which lakeform refuses to follow",
		    link, owner);
		free(link);
		return -1;
	}
	head = lf_xstrdup(root);
	for (n = strlen(head); n > 0; n--) {
		if (head[n] != '/' && head[n] != '\0')
			continue;
		char c = head[n];
		head[n] = '\0';
		real = realpath(head, NULL);
		head[n] = c;
		if (real) {
			*out = lf_xasprintf("%s%s", strcmp(real, "/") ? real : "", head + n);
			free(real);
			break;
		}
	}
	if (!*out)
		*out = lf_xstrdup(root);
	free(head);
	return 0;
}

int lfp_configure_root(struct lfp_call *call, const json_t *settings, char **root)
{
	const char *key;
	json_t *v;

	if (settings && !json_is_object(settings) && !json_is_null(settings)) {
		lfp_error(call, LFP_E_INVALID, 0, "settings must be an object");
		return -1;
	}
	json_object_foreach ((json_t *)settings, key, v) {
		if (!strcmp(key, "root")) {
			if (!json_is_string(v) || !*json_string_value(v)) {
				lfp_error(call, LFP_E_INVALID, 0, "setting 'root' must be a path");
				return -1;
			}
			char *real = NULL;
			if (root_path(call, json_string_value(v), &real) < 0)
				return -1;
			free(*root);
			*root = real;
		} else if (!strcmp(key, "durable")) {
			if (!json_is_boolean(v)) {
				lfp_error(call, LFP_E_INVALID, 0,
				          "setting 'durable' is true or false");
				return -1;
			}
			lfp_durable = json_is_true(v);
		} else {
			lfp_log("ignoring unknown setting '%s'", key);
		}
	}
	return 0;
}
