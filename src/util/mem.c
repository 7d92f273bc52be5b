#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__ /* known once a libc header is in */
#include <malloc.h>
#endif

static void die_oom(size_t n)
{
	fprintf(stderr, "lakeform: fatal: out of memory (%zu bytes)\n", n);
	abort();
}

void *lf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *lf_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		die_oom(count * size);
	return p;
}

void *lf_xrealloc(void *ptr, size_t n)
{
	void *p = realloc(ptr, n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

char *lf_xstrdup(const char *s)
{
	return lf_xstrndup(s, strlen(s));
}

char *lf_xstrndup(const char *s, size_t n)
{
	char *p = lf_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *lf_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	if (n < 0)
		die_oom(0);
	return out;
}

void lf_mem_give_back(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}
