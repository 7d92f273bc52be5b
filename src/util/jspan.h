/*
 * jspan.h - JSON text walked without being parsed: where a value ends, and
 * where an object's members are, as spans of the text.
 *
 * For the paths that only need to find a piece of JSON text and compare or
 * copy its bytes (refresh's reads of records that are as recorded): nothing
 * allocates, nothing is decoded.  The text is checked as it is walked, to
 * RFC 8259's grammar (strings with their escapes, numbers, literals,
 * nesting), never read past `end`, and nested at most LF_JSPAN_MAX_DEPTH
 * deep (jansson's own limit); anything else is "cannot tell" (-1 or NULL),
 * on which the caller parses the text instead.  UTF-8 is not checked.
 */
#ifndef LF_UTIL_JSPAN_H
#define LF_UTIL_JSPAN_H

#include <stddef.h>

#define LF_JSPAN_MAX_DEPTH 2048

/*
 * The end of the JSON value whose text starts at `p` (whitespace before it
 * skipped): one past its last byte, or NULL when the text up to `end` is
 * not one whole value.
 */
const char *lf_jspan_skip(const char *p, const char *end);

/* The members of an object's text, in their order. */
struct lf_jspan_iter {
	const char *p, *end;
	int state; /* 0: before the first member, 1: after one, 2: done */
};

/*
 * Start walking the object whose text is p[0..len) (whitespace around it
 * allowed): 0, or -1 when it does not start with '{'.
 */
int lf_jspan_object(struct lf_jspan_iter *it, const char *p, size_t len);

/*
 * The next member: 1 with its key's text between the quotes (`*key`,
 * `*klen`, escapes left as they are: `*escaped` is 1 when it has some) and
 * its value's text (`*val`, `*vlen`); 0 after the last one, when the object
 * closed and only whitespace follows it; -1 when the text is not an object.
 */
int lf_jspan_next(struct lf_jspan_iter *it, const char **key, size_t *klen, int *escaped,
                  const char **val, size_t *vlen);

/*
 * The value's text of the object's member named `key` (NUL-terminated, no
 * escapes needed to write it), the whole object checked: 1 with `*val` and
 * `*vlen`, 0 when it has no such member, -1 when the text is not an object,
 * has that member twice, or has a key with escapes (which might spell it).
 */
int lf_jspan_member(const char *p, size_t len, const char *key, const char **val, size_t *vlen);

#endif
