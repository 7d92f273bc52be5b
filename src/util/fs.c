#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "buf.h"
#include "mem.h"

int lf_read_file(char **out, size_t *len, const char *path, size_t max)
{
	return lf_read_file_at(AT_FDCWD, out, len, path, max);
}

int lf_read_file_at(int dirfd, char **out, size_t *len, const char *path, size_t max)
{
	struct stat st;
	char *data = NULL;
	size_t alloc = 0, n = 0;
	int fd, err = 0;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	/* a regular file's size, its NUL and one byte more: the read that
	 * finds the end then has room, where a buffer full to its NUL would
	 * be doubled first (which kept every manifest's text twice over) */
	alloc = S_ISREG(st.st_mode) ? (size_t)st.st_size + 2 : 4096;
	data = lf_xmalloc(alloc);
	for (;;) {
		if (n + 1 >= alloc) {
			alloc *= 2;
			data = lf_xrealloc(data, alloc);
		}
		ssize_t r = read(fd, data + n, alloc - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			err = -EFBIG;
			goto out;
		}
	}
	data[n] = '\0';
	*out = data;
	*len = n;
	data = NULL;
out:
	free(data);
	close(fd);
	return err;
}

static int has_suffix(const char *name, const char *const *suffixes)
{
	size_t n = strlen(name);

	for (; *suffixes; suffixes++) {
		size_t m = strlen(*suffixes);
		if (n > m && !strcmp(name + n - m, *suffixes))
			return 1;
	}
	return 0;
}

struct strv {
	char **v;
	size_t n, alloc;
};

static int walk(struct strv *sv, const char *dir, const char *const *suffixes, int depth)
{
	struct dirent **ents = NULL;
	int n, err = 0;

	if (depth > 64)
		return -ELOOP;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		struct stat st;
		char *path;

		if (name[0] == '.' || err) {
			free(ents[i]);
			continue;
		}
		path = lf_xasprintf("%s/%s", dir, name);
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			/* follow links to files, never to directories */
			if (stat(path, &st) != 0 || S_ISDIR(st.st_mode)) {
				free(path);
				free(ents[i]);
				continue;
			}
		} else if (stat(path, &st) != 0) {
			err = -errno;
		}
		if (!err && S_ISDIR(st.st_mode)) {
			err = walk(sv, path, suffixes, depth + 1);
			free(path);
		} else if (!err && S_ISREG(st.st_mode) && has_suffix(name, suffixes)) {
			LF_GROW(sv->v, sv->n + 1, sv->alloc);
			sv->v[sv->n++] = path;
		} else {
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lf_walk_files(char ***paths, size_t *n, const char *dir, const char *const *suffixes)
{
	struct strv sv = {*paths, *n, *n};
	size_t first = *n;
	int err = walk(&sv, dir, suffixes, 0);

	/* alphasort uses the locale; the documented order is bytewise */
	if (sv.n > first)
		qsort(sv.v + first, sv.n - first, sizeof(*sv.v), cmp_str);
	*paths = sv.v;
	*n = sv.n;
	return err;
}

void lf_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int lf_is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 1 : 0;
}

int lf_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* ---- opening without following links ------------------------------------ */

/* A link met where none may be: ELOOP and ENOTDIR (O_DIRECTORY on a link)
 * become -ELOOP when `name` in `dirfd` is one. */
static int link_error(int dirfd, const char *name, int err)
{
	struct stat st;

	if ((err == ELOOP || err == ENOTDIR || err == EEXIST) &&
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return -err;
}

/*
 * The directory holding the last component of `path`, opened from `dirfd`
 * (or "/" for an absolute path) one component at a time with O_NOFOLLOW,
 * directories that are missing made with `dir_mode` when it is not 0.
 * *last points into `path` at that component ("" when path ends in '/').
 * A descriptor the caller closes, or -errno.
 */
/*
 * The same in one call, where the kernel has openat2(): the parent opened
 * with RESOLVE_NO_SYMLINKS (no link anywhere on the way, as the walk below
 * checks one component at a time).  A local provider's change walked about
 * 25 directories this way, an openat() and close() each.  -1 when it could
 * not: the walk then does it, and says why with the walk's own errors.
 */
static int open_parent_at_once(int dirfd, const char *path, const char **last)
{
#ifdef SYS_openat2
	static int missing; /* the kernel (or a seccomp filter) refuses openat2 */
	const char *slash = strrchr(path, '/');
	struct open_how how;
	char *dir;
	int fd;

	if (!slash || __atomic_load_n(&missing, __ATOMIC_RELAXED))
		return -1;
	dir = slash == path ? lf_xstrdup("/") : lf_xstrndup(path, (size_t)(slash - path));
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_NO_SYMLINKS;
	fd = (int)syscall(SYS_openat2, dirfd, dir, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		__atomic_store_n(&missing, 1, __ATOMIC_RELAXED);
	free(dir);
	if (fd < 0)
		return -1;
	*last = slash + 1;
	return fd;
#else
	(void)dirfd;
	(void)path;
	(void)last;
	return -1;
#endif
}

static int open_parent(int dirfd, const char *path, const char **last, int dir_mode)
{
	const char *p = path;
	int fd;

	if ((fd = open_parent_at_once(dirfd, path, last)) >= 0)
		return fd;
	fd = *p == '/' ? open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
	               : openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		while (*p == '/')
			p++;
		const char *end = strchr(p, '/');
		if (!end) {
			*last = p;
			return fd;
		}
		char *name = lf_xstrndup(p, (size_t)(end - p));
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && dir_mode) {
			if (mkdirat(fd, name, (mode_t)dir_mode) < 0 && errno != EEXIST)
				next = -1;
			else
				next = openat(fd, name,
				              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int err = link_error(fd, name, errno);
			free(name);
			close(fd);
			return err;
		}
		free(name);
		close(fd);
		fd = next;
		p = end;
	}
}

int lf_open_nofollow(int dirfd, const char *path, int flags, int mode)
{
	const char *last;
	int pfd = open_parent(dirfd, path, &last, 0), fd;

	if (pfd < 0)
		return pfd;
	fd = openat(pfd, *last ? last : ".", flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		fd = link_error(pfd, last, errno);
	close(pfd);
	return fd;
}

int lf_mkdirs_nofollow(int dirfd, const char *path, int mode)
{
	const char *last;
	int pfd = open_parent(dirfd, path, &last, mode), err = 0, fd;

	if (pfd < 0)
		return pfd;
	if (*last && mkdirat(pfd, last, (mode_t)mode) < 0 && errno != EEXIST)
		err = -errno;
	if (!err) {
		/* there already: a directory, not a link to one */
		fd = openat(pfd, *last ? last : ".",
		            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			err = link_error(pfd, last, errno);
		else
			close(fd);
	}
	close(pfd);
	return err;
}

int lf_mkdir_new_nofollow(int dirfd, const char *path, int mode)
{
	const char *last;
	int pfd = open_parent(dirfd, path, &last, 0), err = 0;

	if (pfd < 0)
		return pfd;
	if (mkdirat(pfd, *last ? last : ".", (mode_t)mode) < 0)
		err = link_error(pfd, last, errno);
	close(pfd);
	return err;
}

int lf_unlink_nofollow(int dirfd, const char *path, int flags)
{
	const char *last;
	int pfd = open_parent(dirfd, path, &last, 0), err = 0;

	if (pfd < 0)
		return pfd;
	if (unlinkat(pfd, last, flags) < 0)
		err = -errno;
	close(pfd);
	return err;
}

int lf_rename_nofollow(int dirfd, const char *from, const char *to, unsigned flags)
{
	const char *lfrom, *lto;
	int ffd = open_parent(dirfd, from, &lfrom, 0), tfd, err = 0;

	if (ffd < 0)
		return ffd;
	tfd = open_parent(dirfd, to, &lto, 0);
	if (tfd < 0) {
		close(ffd);
		return tfd;
	}
	if (renameat2(ffd, lfrom, tfd, lto, flags) < 0)
		err = -errno;
	close(ffd);
	close(tfd);
	return err;
}

static int remove_tree_at(int dirfd, const char *name, int depth)
{
	struct dirent *e;
	DIR *dir;
	int fd, err = 0;

	if (depth > 256)
		return -ELOOP;
	if (unlinkat(dirfd, name, 0) == 0)
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		err = -errno;
		close(fd);
		return err;
	}
	while (!err && (e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			err = remove_tree_at(fd, e->d_name, depth + 1);
	closedir(dir);
	if (!err && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		err = -errno;
	return err;
}

int lf_remove_tree_nofollow(int dirfd, const char *path)
{
	const char *last;
	int pfd = open_parent(dirfd, path, &last, 0), err;

	if (pfd == -ENOENT)
		return 0;
	if (pfd < 0)
		return pfd;
	err = *last ? remove_tree_at(pfd, last, 0) : -EINVAL;
	close(pfd);
	return err;
}

char *lf_symlink_in(const char *path)
{
	char *p = lf_xstrdup(path);

	for (char *s = p + 1;; s++) {
		int end = !*s;
		struct stat st;

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (lstat(p, &st) < 0)
			break;
		if (S_ISLNK(st.st_mode))
			return p;
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return NULL;
}

/* ---- roots ---------------------------------------------------------------- */

int lf_foreign_symlink(char **link, long *owner, const char *path)
{
	struct lf_buf done = LF_BUF_INIT; /* resolved so far, no link in it */
	char *left = lf_xstrdup(path);    /* what is left to resolve */
	uid_t me = geteuid();
	int links = 0, rc = 0;

	*link = NULL;
	if (*left != '/') {
		char cwd[4096];
		if (!getcwd(cwd, sizeof(cwd))) {
			rc = -errno;
			goto out;
		}
		lf_buf_adds(&done, strcmp(cwd, "/") ? cwd : "");
	}
	char *p = left;
	for (;;) {
		struct stat st;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		size_t mark = done.len;
		if (n == 1 && *p == '.') {
			p += n;
			continue;
		}
		if (n == 2 && !strncmp(p, "..", 2)) {
			char *slash = done.len ? strrchr(done.ptr, '/') : NULL;
			lf_buf_truncate(&done, slash ? (size_t)(slash - done.ptr) : 0);
			p += n;
			continue;
		}
		lf_buf_addc(&done, '/');
		lf_buf_add(&done, p, n);
		p += n;
		if (lstat(done.ptr, &st) < 0)
			break; /* not there (yet): nothing further can be a link */
		if (!S_ISLNK(st.st_mode))
			continue;
		if (st.st_uid != me && st.st_uid != 0) {
			*link = lf_xstrdup(done.ptr);
			*owner = (long)st.st_uid;
			rc = 1;
			goto out;
		}
		if (++links > 40) {
			rc = -ELOOP;
			goto out;
		}
		char target[4096];
		ssize_t tn = readlink(done.ptr, target, sizeof(target) - 1);
		if (tn < 0) {
			rc = -errno;
			goto out;
		}
		target[tn] = '\0';
		lf_buf_truncate(&done, *target == '/' ? 0 : mark);
		char *rest = lf_xasprintf("%s/%s", target, p);
		free(left);
		left = p = rest;
	}
out:
	free(left);
	lf_buf_release(&done);
	return rc;
}

/* ---- atomic writes -------------------------------------------------------- */

/* A number no other process can guess: the last part of a temporary's
 * name ("NAME.tmp.PID.DIGITS"). */
unsigned long long lf_random_suffix(void)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r ^= (unsigned long long)ts.tv_nsec * 2654435761u ^ (unsigned long long)getpid()
		                                                        << 32;
	}
	return r;
}

/* In the directory `dfd`: `name`.tmp.PID.RANDOM (the writer's pid, for the
 * cleanup of a dead writer's leftovers; a random part, so that the name
 * cannot be guessed) made with O_EXCL and no link followed; written to
 * (lf_atomic_write), then synced, renamed over `name`, the directory
 * synced (lf_atomic_commit). */
static int atomic_begin_at(struct lf_atomic *a, int dfd, const char *name, int mode, int durable)
{
	memset(a, 0, sizeof(*a));
	a->dfd = dfd;
	a->fd = -1;
	a->durable = durable;
	for (int tries = 0; a->fd < 0 && tries < 10; tries++) {
		free(a->tmp);
		a->tmp = lf_xasprintf("%s.tmp.%ld.%llu", name, (long)getpid(), lf_random_suffix());
		a->fd = openat(dfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		               (mode_t)mode);
		if (a->fd < 0 && errno != EEXIST) {
			int err = -errno;
			free(a->tmp);
			a->tmp = NULL;
			return err;
		}
	}
	if (a->fd < 0) {
		free(a->tmp);
		a->tmp = NULL;
		return -EEXIST;
	}
	a->name = lf_xstrdup(name);
	return 0;
}

int lf_atomic_write(struct lf_atomic *a, const void *data, size_t len)
{
	const char *p = data;

	while (!a->err && len > 0) {
		ssize_t w = write(a->fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			a->err = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	return a->err;
}

int lf_atomic_commit(struct lf_atomic *a)
{
	int err = a->err;

	if (!err && a->durable && fsync(a->fd) < 0)
		err = -errno;
	if (close(a->fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(a->dfd, a->tmp, a->dfd, a->name) < 0)
		err = -errno;
	if (err)
		unlinkat(a->dfd, a->tmp, 0);
	else if (a->durable && fsync(a->dfd) < 0)
		err = -errno;
	if (a->own_dfd)
		close(a->dfd);
	free(a->tmp);
	free(a->name);
	memset(a, 0, sizeof(*a));
	a->fd = a->dfd = -1;
	return err;
}

void lf_atomic_abort(struct lf_atomic *a)
{
	if (a->err == 0)
		a->err = -ECANCELED;
	lf_atomic_commit(a);
}

static int write_atomic_at(int dfd, const char *name, const void *data, size_t len, int mode,
                           int durable)
{
	struct lf_atomic a;
	int err = atomic_begin_at(&a, dfd, name, mode, durable);

	if (err)
		return err;
	lf_atomic_write(&a, data, len);
	return lf_atomic_commit(&a);
}

int lf_write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	return lf_write_file_atomic_sync(path, data, len, mode, 1);
}

int lf_write_file_atomic_sync(const char *path, const void *data, size_t len, int mode, int durable)
{
	/* the directory as the user named it, links and all */
	const char *slash = strrchr(path, '/');
	char *dir = slash ? lf_xstrndup(path, (size_t)(slash - path)) : lf_xstrdup(".");
	int dfd, err;

	dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd < 0)
		return -errno;
	err = write_atomic_at(dfd, slash ? slash + 1 : path, data, len, mode, durable);
	close(dfd);
	return err;
}

int lf_atomic_begin_nofollow(struct lf_atomic *a, int dirfd, const char *path, int mode,
                             int durable)
{
	const char *last;
	int dfd = open_parent(dirfd, path, &last, 0), err;

	if (dfd < 0)
		return dfd;
	err = *last ? atomic_begin_at(a, dfd, last, mode, durable) : -EISDIR;
	if (err) {
		close(dfd);
		return err;
	}
	a->own_dfd = 1;
	return 0;
}

int lf_write_file_atomic_nofollow(int dirfd, const char *path, const void *data, size_t len,
                                  int mode, int durable)
{
	const char *last;
	int dfd = open_parent(dirfd, path, &last, 0), err;

	if (dfd < 0)
		return dfd;
	err = *last ? write_atomic_at(dfd, last, data, len, mode, durable) : -EISDIR;
	close(dfd);
	return err;
}
