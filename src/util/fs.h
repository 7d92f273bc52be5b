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
/* The same, `path` relative to the directory open at `dirfd` (or AT_FDCWD). */
int lf_read_file_at(int dirfd, char **out, size_t *len, const char *path, size_t max);

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
 * directory (`path`.tmp.PID.RANDOM, made with O_EXCL and O_NOFOLLOW, so its name
 * cannot be guessed and planted beforehand), fsync, rename, fsync of the
 * directory.  `mode` is the new file's mode.  The directory is reached as
 * `path` names it: for files the user named (plan -out).  Returns 0 or
 * -errno; on failure `path` is untouched.
 */
int lf_write_file_atomic(const char *path, const void *data, size_t len, int mode);
/* The same; with `durable` 0 nothing is fsynced (still never half-written
 * after a crash of the process, but a power loss may lose the file). */
int lf_write_file_atomic_sync(const char *path, const void *data, size_t len, int mode,
                              int durable);

/*
 * Files lakeform and its local providers keep for themselves (.lakeform/,
 * a provider's root) are reached without following a symbolic link: from
 * `dirfd` (AT_FDCWD: the working directory, the configuration directory) or
 * from "/" when `path` is absolute, each component is opened on its own with
 * O_NOFOLLOW, so that a link anywhere in `path` fails with -ELOOP instead of
 * sending the write elsewhere.  Each returns 0 (a descriptor for
 * lf_open_nofollow(), O_CLOEXEC) or -errno.
 */
int lf_open_nofollow(int dirfd, const char *path, int flags, int mode);
/* The directories of `path` that are missing, `path` included, made with
 * `mode`; one that exists must be a directory, not a link to one. */
int lf_mkdirs_nofollow(int dirfd, const char *path, int mode);
/* mkdirat(2) of `path`'s last component: -EEXIST when something is there
 * (-ELOOP for a link), so the directory is this caller's own. */
int lf_mkdir_new_nofollow(int dirfd, const char *path, int mode);
/* unlinkat(2) of `path`'s last component (`flags`: AT_REMOVEDIR for a
 * directory); a link there is removed, not followed. */
int lf_unlink_nofollow(int dirfd, const char *path, int flags);
/* renameat2(2) (`flags`: RENAME_NOREPLACE or 0); either name's last
 * component may be a link, which is moved or replaced, never followed. */
int lf_rename_nofollow(int dirfd, const char *from, const char *to, unsigned flags);
/* Remove `path` and everything under it (rm -rf) without following a link;
 * 0 when it does not exist. */
int lf_remove_tree_nofollow(int dirfd, const char *path);
/* lf_write_file_atomic_sync() into a directory reached without links. */
int lf_write_file_atomic_nofollow(int dirfd, const char *path, const void *data, size_t len,
                                  int mode, int durable);
/*
 * The same written in pieces, for a file too large to hold whole in memory:
 * lf_atomic_begin_nofollow() makes the temporary, lf_atomic_write() appends
 * (an error is kept and returned by every later call), lf_atomic_commit()
 * syncs and renames it into place (0 or -errno; on failure `path` is
 * untouched and the temporary removed), lf_atomic_abort() removes it.
 */
struct lf_atomic {
	int dfd, fd, own_dfd, durable, err;
	char *tmp, *name;
};
int lf_atomic_begin_nofollow(struct lf_atomic *a, int dirfd, const char *path, int mode,
                             int durable);
int lf_atomic_write(struct lf_atomic *a, const void *data, size_t len);
int lf_atomic_commit(struct lf_atomic *a);
void lf_atomic_abort(struct lf_atomic *a);
/* A random number for a temporary's name, which nobody can then guess and
 * plant beforehand. */
unsigned long long lf_random_suffix(void);
/* For a message after -ELOOP: the first part of `path` (relative to the
 * working directory) that is a symbolic link, a new string, or NULL. */
char *lf_symlink_in(const char *path);

/*
 * Whether `path` (made absolute from the working directory) is reached
 * through a symbolic link owned by another user than the effective user
 * and root, following the links that are not: 1 with the link (a new string
 * in *link) and its owner's uid in *owner, 0 when none is, or -errno.  A
 * component that does not exist ends the walk.
 */
int lf_foreign_symlink(char **link, long *owner, const char *path);

#endif
