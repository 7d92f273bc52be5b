/*
 * mem.h - allocation that cannot fail.
 *
 * lakeform is a command line program: when memory runs out there is nothing
 * sensible to do but stop, so these wrappers abort with a message instead of
 * returning NULL (git and tmux do the same).  This removes an error path from
 * every caller.
 */
#ifndef LF_UTIL_MEM_H
#define LF_UTIL_MEM_H

#include <stddef.h>

/* Each returns memory owned by the caller, to be released with free(). */
void *lf_xmalloc(size_t n);
void *lf_xcalloc(size_t count, size_t size);
void *lf_xrealloc(void *ptr, size_t n);
char *lf_xstrdup(const char *s);
char *lf_xstrndup(const char *s, size_t n);

/* Give the pages of freed memory back to the system, in every thread's
 * arena (glibc's malloc_trim; nothing elsewhere): for the point where a
 * large model was released and memory another thread allocated would
 * otherwise stay resident, unused, until exit. */
void lf_mem_give_back(void);

/* printf into a new string owned by the caller. */
char *lf_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow an array so that it holds at least `need` elements of `size` bytes. */
#define LF_GROW(ptr, need, alloc)                                                \
	do {                                                                     \
		if ((need) > (alloc)) {                                          \
			size_t lf_grow_n_ = (alloc) ? (alloc)*2 : 8;             \
			while (lf_grow_n_ < (need))                              \
				lf_grow_n_ *= 2;                                 \
			(ptr) = lf_xrealloc((ptr), lf_grow_n_ * sizeof(*(ptr))); \
			(alloc) = lf_grow_n_;                                    \
		}                                                                \
	} while (0)

#endif
