/*
 * backend.h - where the state is kept: the operations every state backend
 * implements, and opening one from lakeform.yaml's `backend:` settings.
 *
 * The state code (state.c, journal.c, lock.c) reads and writes a working
 * copy of the state in a directory: the snapshot (state.json), the journal
 * (journal.jsonl) and the lock file (state.lock), as docs/state.md
 * describes them.  A backend decides what that directory is and what else
 * happens at each step: for the local backend the working copy is the
 * state; a remote backend fetches it before a load, uploads the journal
 * after each durable batch and the snapshot after each write, and holds a
 * lock of its own beside the local one.  The state code calls a backend
 * only through its struct lf_backend_ops and never looks behind it; the
 * backends know this table, not each other, and one list
 * (backends/registry.c) names them all.
 *
 * Adding a backend: one file in src/state/backends/ that defines its
 * `const struct lf_backend_ops`, and one line in backends/registry.c
 * (docs/development.md, "State backends", says what each operation must
 * guarantee).
 *
 * Like the rest of the core, a backend never prints, never exits and never
 * reads the environment itself: problems go to a struct lf_diags, and
 * whatever the environment says (credentials) comes through the front end's
 * callback.
 */
#ifndef LF_STATE_BACKEND_H
#define LF_STATE_BACKEND_H

#include <jansson.h>

#include "../core/diag.h"
#include "state.h"

/* The version of struct lf_backend_ops this lakeform calls. */
#define LF_BACKEND_OPS_VERSION 1

/* What a backend can do (its capabilities op returns them or'ed). */
enum lf_backend_cap {
	/* The state lives elsewhere and the working copy is this run's own:
	 * whether a lock's holder still runs cannot be known, so
	 * force-unlock removes a lock even while it may be held. */
	LF_BACKEND_CAP_REMOTE = 1 << 0,
	/* A lock is a lease that ends unless renewed (renew), and the next
	 * writer takes over a lock whose lease ended. */
	LF_BACKEND_CAP_LEASE = 1 << 1,
};

/* An environment variable's value, or NULL when unset or empty: the front
 * end's getenv(3), which the core never calls itself. */
typedef const char *(*lf_backend_getenv_fn)(void *arg, const char *name);

/* Where the setting at `path` ("backend", "backend.bucket") is written in
 * lakeform.yaml, for a diagnostic. */
typedef struct lf_pos (*lf_backend_pos_fn)(void *arg, const char *path);

/*
 * The operations of one backend.  Each returns 0 or a negative code, an
 * LF_STATE_E* value or -errno (LF_STATE_EREMOTE after lf_backend__error()
 * has been given the words), unless it says otherwise.  The optional ones
 * may be NULL; the state code then does nothing at that step.
 */
struct lf_backend_ops {
	int version;       /* LF_BACKEND_OPS_VERSION */
	const char *usage; /* how lakeform.yaml selects it: "{type: local}" */

	/* Validate the `backend:` mapping (its `type` included), adding every
	 * problem to `d` at pos(pos_arg, "backend.KEY"); messages name the
	 * setting ("backend.lease: ...").  Opens nothing.  Required. */
	void (*check)(const json_t *conf, lf_backend_pos_fn pos, void *pos_arg, struct lf_diags *d);
	/* Open the backend from a checked `backend:` mapping (NULL: no
	 * settings), its working copy under `dir` (".lakeform").  Sends
	 * nothing yet.  *out is the caller's, for lf_backend_free().  On an
	 * error the reason goes to `d` (no position).  Required. */
	int (*open)(struct lf_backend **out, const json_t *conf, const char *dir,
	            lf_backend_getenv_fn getenv_fn, void *env_arg, struct lf_diags *d);

	/* Read the snapshot: make the working copy's state.json and
	 * journal.jsonl what the backend holds (either may be absent), before
	 * lf_state_load() reads them.  Optional. */
	int (*pull)(struct lf_backend *b);
	/* A journal batch is durable in the working copy (written and
	 * fdatasync'ed, b->mu held; do not block on I/O here).  A remote
	 * backend sends the journal on from a thread of its own, and has it
	 * sent at the latest by unlock.  Optional. */
	void (*journal_synced)(struct lf_backend *b);
	/* The working copy's state.json was just replaced by a new snapshot
	 * (the journal is still there): write it to the backend only if the
	 * backend still holds the snapshot this run read or wrote last, else
	 * LF_STATE_ECONFLICT and nothing is overwritten; then drop the
	 * backend's journal.  Optional (the working copy is the state). */
	int (*push)(struct lf_backend *b);

	/* Take the lock for `operation`, waiting up to `timeout_ms` as
	 * lf_state_lock() says; on success b->lock is this run's description,
	 * on LF_STATE_ELOCKED *holder (may be NULL) the holder's.  Exactly one
	 * run holds it at a time; a holder that dies without unlocking must
	 * not keep it forever (the kernel drops a flock, a lease ends).  A
	 * backend whose lock is taken after its working copy is made pulls
	 * again under the lock.  Called only when not held.  Required. */
	int (*lock)(struct lf_backend *b, const char *operation, long timeout_ms,
	            struct lf_lock_info *holder);
	/* Extend the lease of the lock held, only if it is still this run's
	 * (LF_STATE_ECONFLICT when it was taken over).  The backend calls it
	 * itself, every third of the lease; NULL for locks without a lease. */
	int (*renew)(struct lf_backend *b);
	/* Release the lock held: journal uploads still queued go first, the
	 * description goes before the lock, and a lock taken over by another
	 * run is left alone.  Returns the first error of the run's remote
	 * steps, the lock released anyway.  Called only when held.
	 * Required. */
	int (*unlock)(struct lf_backend *b);
	/* The lock's description without taking it, by someone who does not
	 * hold it: 1 (*held: a live holder, or a lease not ended), 0 for no
	 * lock, or a negative code.  Required. */
	int (*lock_read)(struct lf_backend *b, struct lf_lock_info *info, int *held);
	/* force-unlock: remove the lock whose ID is `id` (LF_STATE_ELOCKID
	 * when it is another, LF_STATE_ENOLOCK when there is none); reasons
	 * to `d` too.  Required. */
	int (*force_unlock)(struct lf_backend *b, const char *id, struct lf_diags *d);

	/* LF_BACKEND_CAP_* or'ed.  Optional (none). */
	unsigned (*capabilities)(const struct lf_backend *b);
	/* Free what open allocated beside the generic struct (b->impl) and
	 * remove a working copy of the run's own.  The lock is released and
	 * the journal closed before.  Optional. */
	void (*free)(struct lf_backend *b);
};

/* One registered backend: backends/registry.c lists them all. */
struct lf_backend_entry {
	const char *name; /* lakeform.yaml's backend.type */
	const struct lf_backend_ops *ops;
};

/* The registered backends, ending with {NULL, NULL}. */
extern const struct lf_backend_entry lf_backends[];

/* The backend named `name`, or NULL. */
const struct lf_backend_ops *lf_backend_find(const char *name);

/*
 * Check lakeform.yaml's `backend:` value (borrowed): a mapping whose `type`
 * names a registered backend, then that backend's own check.  Problems go
 * to `d` at pos(pos_arg, path).
 */
void lf_backend_check_settings(const json_t *conf, lf_backend_pos_fn pos, void *pos_arg,
                               struct lf_diags *d);

/*
 * Open the backend `conf` (lakeform.yaml's checked `backend:` value,
 * borrowed; NULL or without a type: the local one) selects, its working
 * copy under `dir`.  0, or a negative code with the reason in `d`.
 */
int lf_backend_open_settings(struct lf_backend **out, const json_t *conf, const char *dir,
                             lf_backend_getenv_fn getenv_fn, void *env_arg, struct lf_diags *d);

/*
 * What a backend says while it works, as it happens, from any thread: a
 * failed lease renewal, a lock taken over.  `msg` is borrowed for the call.
 */
typedef void (*lf_backend_notice_fn)(void *arg, const char *msg);
void lf_backend_set_notice(struct lf_backend *b, lf_backend_notice_fn fn, void *arg);

/*
 * What the backend chose when it opened, for --verbose (the s3 backend:
 * where its credentials and region came from, never a secret): borrowed,
 * or NULL when it has nothing to say.
 */
const char *lf_backend_info(const struct lf_backend *b);

/* The capabilities of an open backend (LF_BACKEND_CAP_*). */
unsigned lf_backend_capabilities(const struct lf_backend *b);

#endif
