/*
 * jsonout.h - JSON text straight into a struct lf_buf.
 *
 * json_dumps() allocates a string that the caller then copies; on the
 * paths that write a line per resource (the journal, the provider
 * protocol) that copy was a tenth of the work.
 */
#ifndef LF_UTIL_JSONOUT_H
#define LF_UTIL_JSONOUT_H

#include <jansson.h>

#include "buf.h"

/* Append `v` encoded with jansson's `flags` (JSON_COMPACT, ...); returns 0,
 * or -1 when jansson cannot encode it (the buffer keeps what came before). */
int lf_buf_add_json(struct lf_buf *b, const json_t *v, size_t flags);

#endif
