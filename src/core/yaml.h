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
 * Every value's position is kept in a struct lf_posmap, keyed by the
 * container that holds the value and its key or index (jansson's true, false
 * and null are shared singletons, so the value's own address cannot be the
 * key).  A document's root position is kept in struct lf_yaml_doc.
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

#define LF_YAML_MAX_ALIAS_NODES 100000
#define LF_YAML_MAX_DEPTH 256
#define LF_YAML_MAX_DOC_BYTES (16u * 1024 * 1024)

/* Positions of values, keyed by (container, key) or (container, index). */
struct lf_posent;
struct lf_posmap {
	struct lf_posent *v;
	size_t n, cap;
};

#define LF_POSMAP_INIT {NULL, 0, 0}

/*
 * Position of the value at `key` (object) or `index` (array, key NULL) in
 * `container`.  Fills *val (and *key_pos when not NULL, for object members:
 * where the key is written).  The `file` fields are left NULL: the caller
 * knows the file.  Returns 0, or -1 when the position is unknown.
 */
int lf_posmap_get(const struct lf_posmap *m, const json_t *container,
		  const char *key, size_t index, struct lf_pos *val,
		  struct lf_pos *key_pos);
void lf_posmap_release(struct lf_posmap *m);

struct lf_yaml_doc {
	json_t *root;      /* owned reference */
	struct lf_pos pos; /* where the document's content starts */
	unsigned index;    /* 0-based position in its file */
};

/*
 * Parse `len` bytes of `data` as a YAML stream.  `file` names it in
 * diagnostics and must outlive the documents' positions.  Documents are
 * appended to *docs / *ndocs (the caller frees them with
 * lf_yaml_docs_free()); positions go into `pm`.  Returns 0, or -1 after
 * adding at least one error to `d` (documents parsed before the error are
 * still returned).
 */
int lf_yaml_parse(struct lf_yaml_doc **docs, size_t *ndocs, const char *file,
		  const char *data, size_t len, struct lf_posmap *pm,
		  struct lf_diags *d);

void lf_yaml_docs_free(struct lf_yaml_doc *docs, size_t n);

#endif
