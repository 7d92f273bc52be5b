/*
 * git.h - what git knows about the configuration directory, read with
 * libgit2 (no git process, no checkout).
 */
#ifndef LF_CORE_GIT_H
#define LF_CORE_GIT_H

/*
 * The commit checked out in the repository containing `path` (searched
 * upwards), as 40 hex digits in `out`.  Returns 0, or -1 when `path` is not
 * in a git repository or HEAD names no commit yet.
 */
int lf_git_head(char out[41], const char *path);

#endif
