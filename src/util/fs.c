#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"

int lf_read_file(char **out, size_t *len, const char *path, size_t max)
{
	struct stat st;
	char *data = NULL;
	size_t alloc = 0, n = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
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
	alloc = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
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

static int fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? lf_xstrndup(path, (size_t)(slash - path)) : lf_xstrdup(".");
	int err;

	if (!*dir) {
		free(dir);
		dir = lf_xstrdup("/");
	}
	err = lf_fsync_dir(dir);
	free(dir);
	return err;
}

int lf_write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	return lf_write_file_atomic_sync(path, data, len, mode, 1);
}

int lf_write_file_atomic_sync(const char *path, const void *data, size_t len, int mode, int durable)
{
	char *tmp = lf_xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, err = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (!err && durable && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	else if (durable)
		err = fsync_dir_of(path);
	free(tmp);
	return err;
}
