/*
 * jsondigest.h - the SHA-256 of a JSON value's canonical text.
 *
 * The text is jansson's json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT |
 * JSON_ENCODE_ANY), byte for byte: keys in byte order, no spaces, strings
 * escaped as jansson escapes them ("\\u001F" for a control character,
 * "/" and DEL as they are).  State records keep these digests, so the text
 * must never change: tests/unit/test_jsondigest.c compares it with
 * jansson's own dump.  It is written here into a buffer on the stack and
 * hashed a block at a time, where jansson's dump calls back for each token
 * and sorts each object's keys on the heap; values this writer does not
 * spell itself (a real, a string or key that is not ASCII, a key with a
 * NUL) are handed to jansson whole.
 */
#ifndef LF_UTIL_JSONDIGEST_H
#define LF_UTIL_JSONDIGEST_H

#include <jansson.h>

/* Lowercase hex of the digest of `v`'s canonical text ("null" for NULL). */
void lf_json_sha256_hex(const json_t *v, char out[65]);

/* The canonical text itself, for tests: a string to free(). */
char *lf_json_canonical(const json_t *v);

struct lf_buf;
/* The canonical text appended to `b` (no malloc of its own: the planner
 * compares the items of large lists by it). */
void lf_json_canonical_add(struct lf_buf *b, const json_t *v);

#endif
