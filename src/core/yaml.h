/*
 * yaml.h - YAML text to jansson values that remember where they came from.
 *
 * libyaml's event stream is turned into plain jansson values (objects,
 * arrays, strings, integers, reals, booleans, null).  Scalars resolve by the
 * YAML 1.2 core schema: `no`, `on` and `yes` stay strings; `0o17`, `0x1F`,
 * `1e3`, `~` and `null` resolve as 1.2 says.  JSON cannot carry infinities
 * or NaN, so `.inf`, `-.inf` and `.nan` become the strings ".inf", "-.inf"
 * and ".nan".
 *
 * A document's root position is kept in struct lf_yaml_doc; positions of
 * the nodes inside are recorded only on request, by path (struct
 * lf_yaml_posindex below).
 *
 * Anchors and aliases are expanded by copying; the total number of nodes that
 * aliases add to one file is bounded (LF_YAML_MAX_ALIAS_NODES), so a "billion
 * laughs" file is an error, not an out-of-memory.  Duplicate mapping keys,
 * nesting deeper than LF_YAML_MAX_DEPTH and documents larger than
 * LF_YAML_MAX_DOC_BYTES are errors too.
 */
#ifndef LF_CORE_YAML_H
#define LF_CORE_YAML_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "../util/map.h"

#define LF_YAML_MAX_ALIAS_NODES 100000
#define LF_YAML_MAX_DEPTH 256
#define LF_YAML_MAX_DOC_BYTES (16u * 1024 * 1024)

/*
 * One step of a path into a document: an object member (`key` set) or an
 * array item (`key` NULL, `index`).
 */
struct lf_yaml_pathseg {
	const char *key;
	size_t index;
};

/*
 * Positions by path.  Recording a position for every node of a large
 * manifest set costs more than the parse itself, and positions are only
 * needed for diagnostics, so a normal load records none: when a diagnostic
 * needs one, the file is parsed again with an index (see source.c).
 */
struct lf_yaml_posent {
	unsigned line, col;   /* the value */
	unsigned kline, kcol; /* its key, for object members */
};

struct lf_yaml_posindex {
	struct lf_map map; /* path key -> index + 1 into v */
	struct lf_yaml_posent *v;
	size_t n, alloc;
};

#define LF_YAML_POSINDEX_INIT           \
	{                               \
		LF_MAP_INIT, NULL, 0, 0 \
	}

/*
 * Position of the node at `path` (`depth` steps) in document `doc` (0-based
 * within its file).  Returns the number of steps matched: `depth` when the
 * node itself was found, fewer when only an ancestor was (then *val is the
 * ancestor's position).  *key_pos (optional) gets the key's position of an
 * object member, else the value's.  `file` fields are left NULL.
 */
size_t lf_yaml_posindex_get(const struct lf_yaml_posindex *idx, unsigned doc,
                            const struct lf_yaml_pathseg *path, size_t depth, struct lf_pos *val,
                            struct lf_pos *key_pos);
void lf_yaml_posindex_release(struct lf_yaml_posindex *idx);

struct lf_yaml_doc {
	json_t *root;      /* owned reference */
	struct lf_pos pos; /* where the document's content starts */
	unsigned index;    /* 0-based position in its file */
};

/*
 * Parse `len` bytes of `data` as a YAML stream.  `file` names it in
 * diagnostics and must outlive the documents' positions.  Documents are
 * appended to *docs / *ndocs (the caller frees them with
 * lf_yaml_docs_free()).  When `idx` is not NULL the position of every node
 * is recorded in it.  Returns 0, or -1 after adding at least one error to
 * `d` (documents parsed before the error are still returned).
 */
int lf_yaml_parse(struct lf_yaml_doc **docs, size_t *ndocs, const char *file, const char *data,
                  size_t len, struct lf_yaml_posindex *idx, struct lf_diags *d);

/*
 * The content digest of a YAML stream: SHA-256 of libyaml's events, each
 * event's type and its tag, anchor, value, style and implicit flags (all
 * lf_yaml_parse() turns into values or errors), with no position, so that
 * comments, blank lines and spacing do not count.  0, or -EINVAL when the
 * text does not parse or holds a document larger than
 * LF_YAML_MAX_DOC_BYTES (a parse reports those: no digest stands for
 * them).  Its encoding is that of .lakeform/cache/inputs' version: change
 * one, change both (session.c).
 */
int lf_yaml_content_digest(unsigned char md[32], const char *data, size_t len);

/*
 * lf_yaml_parse() (without positions) that also computes, from the same
 * events, the content digest `md` of the text: the one
 * lf_yaml_content_digest() gives when the parse succeeds (when it fails,
 * `md` means nothing).
 */
int lf_yaml_parse_digest(struct lf_yaml_doc **docs, size_t *ndocs, const char *file,
                         const char *data, size_t len, struct lf_diags *d, unsigned char md[32]);

void lf_yaml_docs_free(struct lf_yaml_doc *docs, size_t n);

#endif
