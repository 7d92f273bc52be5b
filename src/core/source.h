/*
 * source.h - the YAML documents of a manifest set, with their positions.
 *
 * A source is a file or a directory tree.  Directories are read recursively
 * in bytewise-sorted path order; only `*.yaml` and `*.yml` files are read,
 * entries whose names start with '.' are skipped (.git, .lakeform), and so is
 * `lakeform.yaml` at the top (project settings, not manifests).
 */
#ifndef LF_CORE_SOURCE_H
#define LF_CORE_SOURCE_H

#include <jansson.h>

#include "diag.h"
#include "yaml.h"
#include "../util/sha256.h"

#define LF_SOURCE_MAX_FILE_BYTES (256u * 1024 * 1024)

struct lf_source_file {
	char *path; /* owned; positions borrow it */
	char *data; /* owned: the text, parsed again for positions */
	size_t len;
	struct lf_yaml_posindex *pos; /* owned; made on the first need */
	size_t first_doc;             /* index of its first document in lf_source.docs */
	size_t ndocs;                 /* documents read from it */
	int failed;                   /* it had a read or parse error */
	/* lf_yaml_content_digest() of data, computed as lf_source_load()
	 * parsed it (has_content 0: not computed, as for a buffer) */
	unsigned char content[32];
	int has_content;
};

/*
 * Where a node of a patched or substituted document was written (overlay.h):
 * a document `doc` of file `file` of source `src` (the manifests or their
 * `aux`), at the path `segs` inside it.
 */
struct lf_source_origin {
	const struct lf_source *src;
	size_t file;
	unsigned doc;
	struct lf_pos doc_pos;
	struct lf_yaml_pathseg *segs; /* keys owned */
	size_t nsegs;
	/* the node, held so that its address is not reused while the
	 * origins live (set by lf_source_origin_set()) */
	json_t *node;
};

/* Origins by node (the json_t's address). */
struct lf_source_origins {
	struct lf_map map; /* "%p" -> index + 1 into v */
	struct lf_source_origin *v;
	size_t n, alloc;
};

struct lf_source_doc {
	json_t *root;      /* owned reference */
	size_t file;       /* index into lf_source.files */
	struct lf_pos pos; /* file borrowed from lf_source_file.path */
	unsigned index;    /* 0-based within its file */
	/* owned, NULL for a document as read: the origins of its nodes once
	 * an overlay patched it or a variable replaced a value; positions
	 * follow the deepest node that has one */
	struct lf_source_origins *origins;
};

struct lf_source {
	struct lf_source_file *files;
	size_t nfiles, files_alloc;
	struct lf_source_doc *docs;
	size_t ndocs, docs_alloc;
	/* owned, or NULL: files that positions may point into but whose
	 * documents are not manifests (an overlay's lakeform.yaml, a
	 * -var-file) */
	struct lf_source *aux;
	/* set before loading by a caller that never asks for the content
	 * digests (validate): lf_source_load() then skips them, and no file
	 * has_content */
	int no_content;
};

#define LF_SOURCE_INIT                          \
	{                                       \
		NULL, 0, 0, NULL, 0, 0, NULL, 0 \
	}

/*
 * Load `path` (a file or a directory) into `src`, which may already hold
 * documents.  Every problem goes to `d`; loading goes on past a bad file.
 * Returns 0, or -1 when at least one error was added.
 */
int lf_source_load(struct lf_source *src, const char *path, struct lf_diags *d);

/*
 * Load YAML text that did not come from the file system (git blobs, stdin);
 * `name` is the file name shown in diagnostics.
 */
int lf_source_load_buffer(struct lf_source *src, const char *name, const char *data, size_t len,
                          struct lf_diags *d);

/*
 * Position of the node at `path` (`depth` steps) in `doc`, or of its deepest
 * ancestor that exists, or of the document.  When `want_key`, an object
 * member's key position is returned instead of its value's.  The first call
 * for a file parses it again to index its positions (a normal load records
 * none: see yaml.h); the index is kept for later calls.
 */
struct lf_pos lf_source_pos(const struct lf_source *src, const struct lf_source_doc *doc,
                            const struct lf_yaml_pathseg *path, size_t depth, int want_key);

/*
 * The same for a dotted path ("spec.storage.bucket"), optionally followed by
 * an array index: lf_source_path_pos(src, doc, "spec.members", 3) is the
 * fourth member; pass (size_t)-1 for no index.
 */
struct lf_pos lf_source_path_pos(const struct lf_source *src, const struct lf_source_doc *doc,
                                 const char *path, size_t index);

void lf_source_release(struct lf_source *src);

/* Release the documents' trees and their origins, keeping the files (texts,
 * digests) and each document's position: what positions a diagnostic by a
 * document's first line (lf_source_doc.pos) still works, lf_source_pos()
 * and lf_source_path_pos() do not. */
void lf_source_release_trees(struct lf_source *src);

/* Record that `node` of `doc` was written at `o` (copied; its keys too). */
void lf_source_origin_set(struct lf_source_doc *doc, const json_t *node,
                          const struct lf_source_origin *o);
/* The origin recorded for `node`, or NULL. */
const struct lf_source_origin *lf_source_origin_get(const struct lf_source_doc *doc,
                                                    const json_t *node);

/* The start of every fingerprint of the inputs: `h` begun with lakeform's
 * `version` and every schema file of `schema_dir` (names and bytes, in
 * order).  0 or -errno. */
int lf_source_hash_base(struct lf_sha256 *h, const char *schema_dir, const char *version);

/*
 * The digest of everything a plan is computed from: `version` (lakeform's),
 * every schema file of `schema_dir`, and every manifest file that
 * lf_source_load() would read from `path` (names and bytes, in order).
 * Reads the files without parsing them.  Returns 0 or -errno.
 */
int lf_source_fingerprint(char out[65], const char *path, const char *schema_dir,
                          const char *version);

/*
 * The digest of what the same inputs say rather than how they are written:
 * `version`, the schema files' bytes, and each manifest file's name and the
 * digest of its YAML event stream (every scalar's value, tag, anchor and
 * style, the structure, aliases; no comment, position, spacing or line
 * break outside a scalar).  Two sets of files with the same content
 * fingerprint load into the same documents with the same errors, only at
 * other lines: a comment added or a blank line moved keeps it.  A file that
 * does not parse, or holds a document larger than LF_YAML_MAX_DOC_BYTES,
 * has no such digest: -EINVAL.  Files are read and digested on every core.
 * Returns 0 or -errno.
 */
int lf_source_content_fingerprint(char out[65], const char *path, const char *schema_dir,
                                  const char *version);

/* One manifest file as apply saw it. */
struct lf_source_file_digest {
	char *name;                           /* owned: relative to the directory */
	unsigned char bytes[LF_SHA256_LEN];   /* SHA-256 of its bytes */
	unsigned char content[LF_SHA256_LEN]; /* of its event stream */
};

/* What apply remembers of the inputs (session.h's inputs cache). */
struct lf_source_digests {
	char bytes[65];   /* lf_source_fingerprint() */
	char content[65]; /* lf_source_content_fingerprint() */
	struct lf_source_file_digest *files;
	size_t nfiles;
};

/*
 * Both fingerprints of the inputs and each manifest file's digests, from
 * one reading of each file.  A file whose name and bytes `known` lists (it
 * may be NULL) is not parsed: its content digest is the one listed.  0, or
 * -errno (`out` then empty).
 */
int lf_source_digests(struct lf_source_digests *out, const char *path, const char *schema_dir,
                      const char *version, const struct lf_source_digests *known);
/*
 * The same from the files `src` holds (loaded by lf_source_load() of
 * `path`, which names them as lf_source_fingerprint() does): what was
 * planned and applied, not what the disk holds now.  -EINVAL when a file
 * has no content digest or failed.
 */
int lf_source_digests_loaded(struct lf_source_digests *out, const struct lf_source *src,
                             const char *schema_dir, const char *version);
void lf_source_digests_release(struct lf_source_digests *d);

/*
 * 1 when the inputs now have `known`'s content fingerprint, else 0.  A file
 * whose bytes are those `known` lists under its name is not parsed again;
 * the first file found to say something else stops the others (a plan
 * after a real change pays for little more than that file).
 */
int lf_source_same_content(const struct lf_source_digests *known, const char *path,
                           const char *schema_dir, const char *version);

#endif
