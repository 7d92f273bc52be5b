/*
 * buf.h - a growable, always NUL-terminated byte string.
 *
 * Invariant: `ptr` is never NULL after any call, and ptr[len] == '\0'.  A
 * struct lf_buf initialised with LF_BUF_INIT may be released without use.
 */
#ifndef LF_UTIL_BUF_H
#define LF_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct lf_buf {
	char *ptr;
	size_t len;
	size_t alloc;
};

#define LF_BUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}

void lf_buf_grow(struct lf_buf *b, size_t extra);
void lf_buf_add(struct lf_buf *b, const void *data, size_t n);
void lf_buf_adds(struct lf_buf *b, const char *s);
void lf_buf_addc(struct lf_buf *b, char c);
void lf_buf_addf(struct lf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lf_buf_vaddf(struct lf_buf *b, const char *fmt, va_list ap);
void lf_buf_truncate(struct lf_buf *b, size_t len);
/*
 * Append `n` bytes of `s` with every control byte (below 0x20, and 0x7f)
 * written as \xNN, other bytes (UTF-8 included) as they are: for messages
 * that quote input (a YAML or JSON file, a provider's answer), so that what
 * they quote cannot move the terminal's cursor, recolour it or hide text.
 */
void lf_buf_add_escaped(struct lf_buf *b, const char *s, size_t n);
/* Returns a C string (never NULL), borrowed from the buffer. */
const char *lf_buf_cstr(struct lf_buf *b);
/* Hands the string to the caller, who frees it; the buffer is reset. */
char *lf_buf_detach(struct lf_buf *b);
void lf_buf_release(struct lf_buf *b);

#endif
