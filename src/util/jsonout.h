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

/*
 * How jansson writes byte `c` of a string that needs escaping (a quote, a
 * backslash, a control character): \" for a quote, \n for a newline ...
 * or \u00XX made in `seq`.  Every writer of lakeform's canonical JSON (the state's records,
 * the digests, the protocol) escapes through it, so their bytes agree.
 */
const char *lf_json_escape(unsigned char c, char seq[8]);

#endif
