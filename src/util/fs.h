/*
 * fs.h - file system helpers: whole-file reads, directory walks, atomic
 * writes.  Errors come back as a negative errno value and never print.
 */
#ifndef LF_UTIL_FS_H
#define LF_UTIL_FS_H

#include <stddef.h>

/*
 * Read the whole of `path` into *out (NUL-terminated, owned by the caller)
 * and its length into *len.  Files larger than `max` bytes fail with -EFBIG
 * without being read.  Returns 0 or -errno.
 */
int lf_read_file(char **out, size_t *len, const char *path, size_t max);

/*
 * Collect the regular files under `dir` (recursively, following no symbolic
 * links to directories) whose names end in one of the NULL-terminated
 * `suffixes`, skipping entries whose names start with '.'.  Paths are
 * `dir/...`, sorted bytewise, appended to *paths (an array of owned strings
 * the caller frees with lf_strv_free()).  Returns 0 or -errno.
 */
int lf_walk_files(char ***paths, size_t *n, const char *dir, const char *const *suffixes);

void lf_strv_free(char **v, size_t n);

/* fsync a directory, so that a rename or creation in it is durable.
 * 0 or -errno. */
int lf_fsync_dir(const char *dir);

/* 1 when `path` is a directory, 0 when it is something else, -errno. */
int lf_is_dir(const char *path);

/*
 * Write `len` bytes to `path` atomically: a temporary file in the same
 * directory, fsync, rename, fsync of the directory.  `mode` is the new
 * file's mode.  Returns 0 or -errno; on failure `path` is untouched.
 */
int lf_write_file_atomic(const char *path, const void *data, size_t len, int mode);
/* The same; with `durable` 0 nothing is fsynced (still never half-written
 * after a crash of the process, but a power loss may lose the file). */
int lf_write_file_atomic_sync(const char *path, const void *data, size_t len, int mode,
                              int durable);

#endif
