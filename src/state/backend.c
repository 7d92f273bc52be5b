/*
 * backend.c - what every backend shares: the working copy (a directory with
 * state.json, journal.jsonl and state.lock), opening a backend by its
 * lakeform.yaml settings through the list in backends/registry.c, freeing
 * one, and the helpers the state code and the backends use (UUIDs, times,
 * whole-file reads, the words of a remote error).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state_internal.h"
#include "../util/fs.h"
#include "../util/mem.h"

/* ---- the registry ---------------------------------------------------------- */

const struct lf_backend_ops *lf_backend_find(const char *name)
{
	for (const struct lf_backend_entry *e = lf_backends; name && e->name; e++)
		if (!strcmp(e->name, name))
			return e->ops;
	return NULL;
}

void lf_backend_check_settings(const json_t *conf, lf_backend_pos_fn pos, void *pos_arg,
                               struct lf_diags *d)
{
	const char *type = json_string_value(json_object_get(conf, "type"));
	const struct lf_backend_ops *ops = lf_backend_find(type);

	if (!json_is_object(conf) || !ops) {
		/* "backend: write {type: local} or ...", every usage in the list */
		struct lf_buf msg = LF_BUF_INIT;
		struct lf_pos p = pos(pos_arg, "backend");

		lf_buf_adds(&msg, "backend: write ");
		for (const struct lf_backend_entry *e = lf_backends; e->name; e++) {
			if (e != lf_backends)
				lf_buf_adds(&msg, " or ");
			lf_buf_adds(&msg, e->ops->usage);
		}
		lf_diag_error(d, &p, "%s", msg.ptr);
		lf_buf_release(&msg);
		return;
	}
	ops->check(conf, pos, pos_arg, d);
}

int lf_backend_open_settings(struct lf_backend **out, const json_t *conf, const char *dir,
                             lf_backend_getenv_fn getenv_fn, void *env_arg, struct lf_diags *d)
{
	const char *type = json_string_value(json_object_get(conf, "type"));
	const struct lf_backend_ops *ops = lf_backend_find(type ? type : "local");

	*out = NULL;
	if (!ops) {
		lf_diag_error(d, NULL, "unknown backend type '%s'", type);
		return -EINVAL;
	}
	return ops->open(out, conf, dir, getenv_fn, env_arg, d);
}

/* ---- the working copy ------------------------------------------------------- */

struct lf_backend *lf_backend__new(const struct lf_backend_ops *ops, const char *dir)
{
	struct lf_backend *b = lf_xcalloc(1, sizeof(*b));

	b->ops = ops;
	b->dir = lf_xstrdup(dir);
	b->state_path = lf_xasprintf("%s/%s", dir, LF_STATE_FILE);
	b->journal_path = lf_xasprintf("%s/%s", dir, LF_JOURNAL_FILE);
	b->lock_path = lf_xasprintf("%s/%s", dir, LF_LOCK_FILE);
	b->lock_fd = -1;
	b->jfd = -1;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	return b;
}

void lf_backend_set_notice(struct lf_backend *b, lf_backend_notice_fn fn, void *arg)
{
	b->notice_arg = arg;
	b->notice = fn;
}

void lf_backend_free(struct lf_backend *b)
{
	if (!b)
		return;
	lf_state_unlock(b);
	lf_state__journal_reset(b);
	if (b->ops->free)
		b->ops->free(b);
	lf_buf_release(&b->queue);
	lf_buf_release(&b->spare);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b->info);
	free(b->dir);
	free(b->state_path);
	free(b->journal_path);
	free(b->lock_path);
	memset(&b->key, 0, sizeof(b->key));
	free(b);
}

void lf_backend_set_key(struct lf_backend *b, const struct lf_state_key *key)
{
	b->has_key = key != NULL;
	if (key)
		b->key = *key;
	else
		memset(&b->key, 0, sizeof(b->key));
}

const char *lf_backend_info(const struct lf_backend *b)
{
	return b ? b->info : NULL;
}

unsigned lf_backend_capabilities(const struct lf_backend *b)
{
	return b->ops->capabilities ? b->ops->capabilities(b) : 0;
}

int lf_backend_is_remote(const struct lf_backend *b)
{
	return b && (lf_backend_capabilities(b) & LF_BACKEND_CAP_REMOTE) != 0;
}

void lf_backend_journal_stats(const struct lf_backend *b, struct lf_journal_stats *out)
{
	/* the mutex guards the counters, but the caller's view is const */
	pthread_mutex_lock((pthread_mutex_t *)&b->mu);
	*out = b->stats;
	pthread_mutex_unlock((pthread_mutex_t *)&b->mu);
}

void lf_state__journal_reset(struct lf_backend *b)
{
	if (b->jfd >= 0)
		close(b->jfd);
	b->jfd = -1;
	b->jserial = 0;
	b->jerr = 0;
	b->flushing = 0;
	b->nqueued = b->ndurable = 0;
	lf_buf_truncate(&b->queue, 0);
}

/* ---- helpers ---------------------------------------------------------------- */

/* One for the process: a run opens one backend, and the words are read
 * right after the call that failed. */
static char backend_error[512] = "the state backend failed";
static pthread_mutex_t backend_error_mu = PTHREAD_MUTEX_INITIALIZER;

void lf_backend__set_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&backend_error_mu);
	va_start(ap, fmt);
	vsnprintf(backend_error, sizeof(backend_error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&backend_error_mu);
}

const char *lf_backend__error(void)
{
	return backend_error;
}

int lf_state__refuse_link(const char *path, int err)
{
	if (err != -ELOOP)
		return err;
	char *link = lf_symlink_in(path);
	lf_backend__set_error("'%s' is a symbolic link, which lakeform refuses to follow",
	                      link ? link : path);
	free(link);
	return LF_STATE_ESYMLINK;
}

int lf_state__mkdir(const struct lf_backend *b)
{
	return lf_state__refuse_link(b->dir, lf_mkdirs_nofollow(AT_FDCWD, b->dir, 0700));
}

/* A version 4 (random) UUID, as Terraform makes its lineages and lock IDs. */
void lf_state__uuid(char out[37])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* no entropy source: time and pid are unique enough
			 * for a lineage, which is no secret */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			for (size_t i = got; i < sizeof(r); i++)
				r[i] = (unsigned char)((ts.tv_nsec >> (i % 4 * 8)) ^
				                       (getpid() >> (i % 2 * 8)) ^
				                       (ts.tv_sec >> (i % 3 * 8)) ^ i);
			break;
		}
		got += (size_t)n;
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
	         r[13], r[14], r[15]);
}

void lf_state__now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int lf_state__read(char **out, size_t *len, const char *path)
{
	/* a state is read whole; 4 GiB is far beyond any real one */
	return lf_read_file(out, len, path, (size_t)4 << 30);
}

/* ---- leftovers of runs that died ------------------------------------------ */

/* 1 when no process of this machine has `pid` (a pid reused since counts as
 * alive: the leftover then waits for a later run). */
static int pid_dead(long pid)
{
	return pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* lf_write_file_atomic()'s temporary files are NAME.tmp.PID.RANDOM (and
 * were NAME.tmp.PID): the pid of a file so named, else 0. */
static long tmp_writer(const char *name)
{
	const char *t = NULL, *q = name;
	char *end;
	long pid;

	while ((q = strstr(q, ".tmp.")) != NULL)
		t = q++;
	if (!t || !t[5])
		return 0;
	pid = strtol(t + 5, &end, 10);
	if (end == t + 5)
		return 0;
	if (*end == '.') { /* the random part: digits only */
		const char *r = end + 1;
		if (!*r)
			return 0;
		for (; *r; r++)
			if (*r < '0' || *r > '9')
				return 0;
		return pid;
	}
	return *end ? 0 : pid;
}

/* Deeper than this, a directory is not looked into (the local providers'
 * prefixes are a few levels; nftw(), used before, had no limit but the
 * stack). */
#define SWEEP_DEPTH 128

/*
 * The directory open at `fd` (closed here) and below it.  Only names that
 * could be a temporary (tmp_writer()) are looked at more closely, and a
 * directory is known by the type its entry gives: no stat of each of the
 * ~32,000 entries of the local providers' trees at 100,000 resources,
 * which was most of nftw()'s time, and the entries are read with
 * getdents64() into a buffer on the stack, without opendir()'s fstat,
 * fcntl and allocation for each of the 17,000 directories.  Nothing is
 * followed: a symbolic link is neither a directory to enter nor a regular
 * file to remove.
 */
static void clean_dir(int fd, int depth)
{
	char buf[8192];
	ssize_t got;

	while ((got = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t at = 0; at < got;) {
			struct dirent64 *e = (struct dirent64 *)(void *)(buf + at);
			const char *name = e->d_name;
			unsigned char type = e->d_type;
			struct stat sb;
			long pid;

			at += e->d_reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			pid = tmp_writer(name);
			if (type == DT_UNKNOWN && (pid || depth < SWEEP_DEPTH)) {
				if (fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				type = S_ISDIR(sb.st_mode)   ? DT_DIR
				       : S_ISREG(sb.st_mode) ? DT_REG
				                             : DT_LNK;
			}
			if (type == DT_REG && pid_dead(pid)) {
				unlinkat(fd, name, 0);
			} else if (type == DT_DIR && depth < SWEEP_DEPTH) {
				int sub = openat(fd, name,
				                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub >= 0)
					clean_dir(sub, depth + 1);
			}
		}
	}
	close(fd);
}

void lf_state__clean_leftovers(const char *dir)
{
	/* the state's and, below it, the local providers' (whose writers
	 * also write by rename); symbolic links are not followed */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		clean_dir(fd, 0);
}
