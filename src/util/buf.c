#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static char empty_[1];

void lf_buf_grow(struct lf_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->alloc)
		return;
	if (b->alloc == 0)
		b->ptr = NULL;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need)
		n *= 2;
	b->ptr = lf_xrealloc(b->ptr, n);
	b->alloc = n;
	b->ptr[b->len] = '\0';
}

void lf_buf_add(struct lf_buf *b, const void *data, size_t n)
{
	lf_buf_grow(b, n);
	memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void lf_buf_adds(struct lf_buf *b, const char *s)
{
	lf_buf_add(b, s, strlen(s));
}

void lf_buf_addc(struct lf_buf *b, char c)
{
	lf_buf_add(b, &c, 1);
}

void lf_buf_vaddf(struct lf_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	lf_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void lf_buf_addf(struct lf_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lf_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void lf_buf_truncate(struct lf_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

const char *lf_buf_cstr(struct lf_buf *b)
{
	return b->alloc ? b->ptr : empty_;
}

char *lf_buf_detach(struct lf_buf *b)
{
	char *s = b->alloc ? b->ptr : lf_xstrdup("");

	b->ptr = NULL;
	b->len = b->alloc = 0;
	return s;
}

void lf_buf_release(struct lf_buf *b)
{
	if (b->alloc)
		free(b->ptr);
	b->ptr = NULL;
	b->len = b->alloc = 0;
}

void lf_buf_add_escaped(struct lf_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t from = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		lf_buf_add(b, s + from, i - from);
		char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
		lf_buf_add(b, esc, 4);
		from = i + 1;
	}
	lf_buf_add(b, s + from, n - from);
}
