/*
 * session.h - one configuration opened for a run: what every front end (the
 * CLI, a server, a program linking liblakeform) needs before it can plan,
 * apply or refresh.
 *
 * A session reads the configuration of the current directory, or of a
 * commit named with --git REPO@REV[:PATH]: lakeform.yaml (checked, with
 * positions), the kinds, the manifests and their expansion; it opens the
 * state backend, takes the state lock, loads the state and, on demand,
 * starts the providers of every family (family.h).  lf_session_close()
 * stops, unlocks and frees all of it in one call.
 *
 * Like the rest of core, a session never prints, never exits and reads no
 * environment variable: what it needs from the environment (PATH to find
 * providers, AWS_* for the s3 backend) it asks the front end through
 * `opts.getenv`.  A call that fails returns -1 and says why in one of two
 * ways: diagnostics (added to the `d` it was given, or to s->d for the
 * configuration's files and state, as noted), or one sentence in s->error
 * (owned by the session until the next failure or lf_session_close()).
 */
#ifndef LF_CORE_SESSION_H
#define LF_CORE_SESSION_H

#include <jansson.h>

#include "expand.h"
#include "family.h"
#include "manifest.h"
#include "refresh.h"
#include "source.h"
#include "../state/state.h"

struct lf_git_spec;
struct lf_var_arg;
struct lf_incr;
struct lf_plan;

struct lf_session_opts {
	const char *schema_dir;        /* the schemas of the kinds and types */
	const char *exe_dir;           /* providers beside lakeform come first */
	const struct lf_git_spec *git; /* the manifests of a commit, or NULL */
	/* the environment as the front end sees it (PATH, AWS_*): a value or
	 * NULL; NULL here: an empty environment */
	const char *(*getenv)(const char *name, void *arg);
	void *getenv_arg;
	/* the key of the state's sensitive values, base64 of 32 bytes, as
	 * the front end found it (the CLI: LAKEFORM_STATE_KEY), and the name
	 * to give it in messages; NULL: lakeform.yaml's
	 * state.encryption.key_file, else no key (salted digests) */
	const char *state_key;
	const char *state_key_name;
	/* backend settings that override lakeform.yaml's backend.KEY (init
	 * -backend-config, kept for the runs after it), and the name to give
	 * them in messages; NULL: none */
	const json_t *backend_config;
	const char *backend_config_source;
	/* -var NAME=VALUE and -var-file FILE in command-line order
	 * (overlay.h); LAKEFORM_VAR_NAME is asked of `getenv` */
	const struct lf_var_arg *vars;
	size_t nvars;
};

struct lf_session {
	struct lf_session_opts opts;
	json_t *settings; /* lakeform.yaml, checked; NULL until read */
	struct lf_kinds kinds;
	struct lf_source src;
	struct lf_manifest m;
	struct lf_desired ds;
	struct lf_backend *backend; /* the state's, once opened */
	struct lf_state st;
	struct lf_providers pv;     /* started on demand */
	struct lf_diags d;          /* the configuration's and the state's */
	json_t *violations;         /* of the policies (policy.h), once checked */
	char *error;                /* why the last call failed, or NULL */
	struct lf_lock_info holder; /* after LF_SESSION_ELOCKED */
	size_t root_len;            /* with --git REPO@REV:PATH, strlen("PATH/") */
	char git_commit[41];        /* the commit read, or "" */
	char *log_note;             /* why the providers' logs are not kept, or NULL */
	/* where lakeform.yaml requires each family's provider version
	 * (providers.F.version); file NULL when it does not */
	struct {
		char *file;
		unsigned line, col;
	} version_at[LF_NFAMILIES];
	/* the changed documents, when a plan is made of them alone
	 * (lf_session_incremental()), else NULL */
	struct lf_incr *incr;
	/* the order of s->ds its plan found (lf_plan.desired_rank), borrowed,
	 * for lf_session_record_fingerprint(); NULL: made there */
	const size_t *ds_rank;
	/* the resource each document declares (lf_incr_doc_addresses()),
	 * taken as lf_session_release_manifests() releases the manifests; NULL
	 * when not taken, or when they cannot be recorded */
	const char **doc_addr;
	int doc_addr_taken;
};

/* The state lock is held by another run: s->holder describes it. */
#define LF_SESSION_ELOCKED -2

/* Start a session on `opts` (copied; what it points to must outlive it). */
void lf_session_init(struct lf_session *s, const struct lf_session_opts *opts);

/* Stop the providers, release the state lock, free everything. */
void lf_session_close(struct lf_session *s);

/* ---- the configuration ---------------------------------------------------- */

/*
 * The manifests: those of the --git commit (then `path` must be NULL), or
 * lf_source_load() of `path` ("." when NULL).  For the configuration
 * directory (`path` NULL) lakeform.yaml is read first and its base, patches
 * and variables applied (overlay.h).  With --git an empty tree is
 * an error here, said with the commit's name.  The first read of a commit
 * pins it: every later read takes that same commit, even if the branch
 * moved meanwhile.  0, or -1 with errors in `d`.
 */
int lf_session_load_source(struct lf_session *s, struct lf_source *src, const char *path,
                           struct lf_diags *d);

/* lakeform.yaml of the --git commit into `src` (nothing added when that
 * tree has none).  0, or -1 with errors in `d`. */
int lf_session_load_settings_source(struct lf_session *s, struct lf_source *src,
                                    struct lf_diags *d);

/*
 * lakeform.yaml at the top of the configuration (an empty mapping when
 * absent) into s->settings, checked, once.  0, or -1 with errors in `d`.
 */
int lf_session_settings(struct lf_session *s, struct lf_diags *d);
/* The same, from the lakeform.yaml of directory `dir` (validate DIR). */
int lf_session_settings_in(struct lf_session *s, const char *dir, struct lf_diags *d);

/*
 * Load and check the kinds and the manifests of the configuration
 * directory.  0, or -1 with errors in s->d.
 */
int lf_session_load(struct lf_session *s);

/*
 * Instead of lf_session_load() and lf_session_expand(), with the state
 * loaded: 1 when the plan can be made of the documents changed since the
 * state's last complete apply alone (incr.h: each still declares the same
 * resource, and differs at most in fields only its own record reads),
 * with those documents parsed and checked into s->incr; else 0 and *why says why not (a
 * constant string), nothing loaded.  Only for the files of this directory
 * (no --git, overlay or variables).
 */
int lf_session_incremental(struct lf_session *s, const char **why);

/* The plan of s->incr (lf_incr_plan()): 0, or -1 when the planner found
 * an error (the full path then says it, at its place among the others). */
int lf_session_incremental_plan(struct lf_session *s, struct lf_plan *p);

/* How many documents s->incr holds (0 when none). */
size_t lf_session_incremental_changed(const struct lf_session *s);

/* Forget s->incr (the full path is taken after all). */
void lf_session_incremental_drop(struct lf_session *s);

/* Apply ignore_changes (from the state) and expand.  0, or -1 (s->d). */
int lf_session_expand(struct lf_session *s);

/*
 * Check the manifests and their expansion (lf_session_expand() first)
 * against their Policy and ComputePolicy documents (policy.h): each
 * violation is added to s->violations (an array, made here) and to `d`,
 * an error under enforcement deny and a compute policy, else a warning.
 * 0, or -1 when an error was added.
 */
int lf_session_check_policies(struct lf_session *s, struct lf_diags *d);

/*
 * For a run that has planned and only applies now: release the manifests
 * (lf_manifest) and their documents' trees, which the expansion no longer
 * shares once lf_apply() releases its values (lf_apply_opts); the files,
 * their digests (lf_session_record_fingerprint()), each document's position,
 * the resource each declares (for the documents cache) and the expansion
 * stay.  lf_session_account() then answers from the state.
 */
void lf_session_release_manifests(struct lf_session *s);

/* Hex SHA-256 of every manifest file's name and bytes, in order. */
void lf_session_digest(const struct lf_session *s, char out[65]);

/*
 * lf_source_fingerprint() of the configuration directory, or -1 with --git
 * (the manifests then are not those on disk: nothing is short-cut).
 */
int lf_session_fingerprint(struct lf_session *s, char out[65]);

/*
 * After an apply that recorded the complete expansion of the inputs: set
 * the state's fingerprint (s->st.fingerprint, written by the caller) and
 * remember in .lakeform/cache/inputs the content fingerprint of the same
 * files (lf_source_content_fingerprint()), so that a later run finds the
 * inputs recorded when only comments or layout changed.  The cache is
 * rebuildable: missing, stale or damaged, it only costs a full load.
 * 0, or -1 when the inputs have no fingerprint (--git, an overlay,
 * variables) or a file could not be read or parsed.
 */
int lf_session_record_fingerprint(struct lf_session *s);

/*
 * The commit of the configuration read: --git's (resolved), or HEAD of the
 * repository holding the configuration directory; NULL when there is none.
 * Borrowed from the session, which caches it.
 */
const char *lf_session_commit(struct lf_session *s);

/* The account the manifests declare ("" when none), borrowed. */
const char *lf_session_account(const struct lf_session *s);

/* ---- the state ------------------------------------------------------------ */

/*
 * Open the backend the settings select (read first when they are not):
 * the local one in .lakeform/, or s3 with credentials from the
 * environment.  *out is the caller's (lf_backend_free()).  0, or -1 with
 * the settings' errors in `d` or s->error.
 */
int lf_session_open_backend(struct lf_backend **out, struct lf_session *s, struct lf_diags *d);

/*
 * Take the state lock for `operation`, waiting up to `timeout_ms`, on
 * s->backend (lf_session_open_backend() into it first).  0,
 * LF_SESSION_ELOCKED, or -1 (s->error).
 */
int lf_session_lock(struct lf_session *s, const char *operation, long timeout_ms);

/* Release the state lock when held (before lf_session_close()): 0, or the
 * first error of the backend's remote steps (a remote backend saves the
 * state then), the lock released anyway. */
int lf_session_unlock(struct lf_session *s);

/* Read the state of s->backend into s->st.  0, or -1 (s->d). */
int lf_session_load_state(struct lf_session *s);

/*
 * What refresh, import and drift share: the settings, the backend, the
 * lock for `operation` (none when NULL: Terraform's -lock=false), the
 * state, the manifests and the providers.  0,
 * LF_SESSION_ELOCKED, or -1: s->error, else errors in `d` (settings,
 * providers) when it has any, else in s->d (state, manifests).
 */
int lf_session_open_for_write(struct lf_session *s, const char *operation, long lock_timeout_ms,
                              struct lf_diags *d);

/*
 * 1 when the state records exactly the expansion of the inputs as they are
 * now, applied: its fingerprint (lakeform's version, the schemas, the
 * manifest files) is theirs, no intent is pending, no journal tail was torn,
 * and the configuration is a directory (not --git).  The state must be
 * loaded.  Nothing is parsed: the files are hashed.  2 when the bytes
 * differ but what they say does not: the content fingerprint of the files
 * (lf_source_content_fingerprint(), which runs libyaml's parser and no
 * more) is the one .lakeform/cache/inputs pairs with the state's.  0
 * otherwise.
 */
int lf_session_inputs_recorded(struct lf_session *s);

/*
 * lf_session_open_for_write(), except that when lf_session_inputs_recorded()
 * the manifests are not loaded: *loaded says whether they were (the caller
 * may still lf_session_load() them).  What drift uses: in the common case,
 * nothing drifted, the expansion would only say what the state says.
 */
int lf_session_open_for_write_lazy(struct lf_session *s, const char *operation,
                                   long lock_timeout_ms, int *loaded, struct lf_diags *d);

/* ---- the providers -------------------------------------------------------- */

/*
 * Start every family's provider in two halves: launch (the processes
 * start and initialize in the background, found beside lakeform or on
 * PATH, their stderr appended to .lakeform/logs/NAME.log), then ready
 * (their initialize answer, then configure with the account of the loaded
 * manifests), so that other work overlaps their start-up.  0, or -1 with
 * s->error or errors in `d`; what was launched is stopped by
 * lf_session_stop_providers() or lf_session_close() in any case.
 */
int lf_session_launch_providers(struct lf_session *s, struct lf_diags *d);
int lf_session_ready_providers(struct lf_session *s, struct lf_diags *d);
/* lf_session_ready_providers() for account `account`, named by the
 * caller (the session is not read for it: another thread may be working
 * on the state meanwhile). */
int lf_session_ready_providers_as(struct lf_session *s, const char *account, struct lf_diags *d);
/* Both halves at once. */
int lf_session_start_providers(struct lf_session *s, struct lf_diags *d);

/*
 * What `init` does: launch every family's provider and take its answer to
 * initialize (its name and version, checked against providers.F.version),
 * without configuring it.  0, or -1 with s->error or errors in `d`.
 */
int lf_session_initialize_providers(struct lf_session *s, struct lf_diags *d);

/* The provider serving family f, once launched (NULL before). */
struct lf_provider *lf_session_provider(const struct lf_session *s, int family);

/* Stop the providers started (5 s each at most). */
void lf_session_stop_providers(struct lf_session *s);

/* The deadline of each call to family f's provider (providers.F.timeout;
 * default 60 s). */
long lf_session_provider_timeout(const struct lf_session *s, int family);

/* The longest line read from family f's provider, in bytes
 * (providers.F.max_answer; default 16 MiB, LF_PROVIDER_MAX_ANSWER). */
size_t lf_session_provider_max_answer(const struct lf_session *s, int family);

/* Whether the state records any provider resource (parses lazy records). */
int lf_session_has_provider_records(struct lf_session *s);

/*
 * Read every recorded provider resource (lf_observe) through the started
 * providers, `progress` called as reads finish.  0, or -1 when any could
 * not be read (each one's error in `obs`).
 */
int lf_session_observe(struct lf_session *s, int parallelism,
                       void (*progress)(size_t done, size_t total, void *arg), void *arg,
                       struct lf_observations *obs);

/* lf_session_observe() of the records `pick` names (lf_observe_picked()). */
int lf_session_observe_picked(struct lf_session *s, const struct lf_observe_pick *pick,
                              int parallelism,
                              void (*progress)(size_t done, size_t total, void *arg), void *arg,
                              struct lf_observations *obs);

/* Fold what was read into s->st, in memory: what plan compares with. */
void lf_session_fold(struct lf_session *s, const struct lf_observations *obs);

#endif
