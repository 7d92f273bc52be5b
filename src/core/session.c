#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "git.h"
#include "incr.h"
#include "overlay.h"
#include "planner.h"
#include "policy.h"
#include "provider.h"
#include "../state/backend.h"
#include "../util/buf.h"
#include "../util/clock.h"
#include "../util/fs.h"
#include "../util/mem.h"
#include "../util/sha256.h"
#include "../util/version.h"

static json_t *family_conf(const struct lf_session *s, int family);

#ifndef LF_VERSION
#define LF_VERSION "0.0.0"
#endif

void lf_session_init(struct lf_session *s, const struct lf_session_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->opts = *opts;
}

/* Why the call that fails now failed, in one sentence. */
__attribute__((format(printf, 2, 3))) static void set_error(struct lf_session *s, const char *fmt,
                                                            ...)
{
	struct lf_buf b = LF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	lf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(s->error);
	lf_buf_cstr(&b);
	s->error = lf_buf_detach(&b);
}

/* An environment variable as the front end gives it, or NULL when unset or
 * empty. */
static const char *env(const struct lf_session *s, const char *name)
{
	const char *v = s->opts.getenv ? s->opts.getenv(name, s->opts.getenv_arg) : NULL;
	return v && *v ? v : NULL;
}

/* ---- the configuration ---------------------------------------------------- */

/* Read `what` from --git's commit: the one resolved first, every time. */
static int load_git(struct lf_session *s, struct lf_source *src, enum lf_git_what what,
                    struct lf_diags *d)
{
	struct lf_git_spec pinned = *s->opts.git;
	char commit[41];
	int err;

	if (s->git_commit[0])
		pinned.rev = s->git_commit;
	err = lf_git_load(src, commit, &pinned, what, d);
	if (err == 0 && !s->git_commit[0])
		memcpy(s->git_commit, commit, sizeof(commit));
	return err;
}

/* ---- overlays: the directories of bases, on disk or in the commit ---- */

/* An overlay of the configuration directory, or of directory `prefix`. */
static int load_overlay(struct lf_session *s, struct lf_source *src, const char *prefix,
                        struct lf_diags *d)
{
	struct lf_overlay_vars vars = {s->opts.vars, s->opts.nvars, s->opts.getenv,
	                               s->opts.getenv_arg};
	struct lf_git_spec pinned;

	if (s->opts.git) {
		pinned = *s->opts.git;
		if (s->git_commit[0])
			pinned.rev = s->git_commit;
	}
	return lf_overlay_load_config(src, s->opts.git ? &pinned : NULL,
	                              s->opts.git ? s->opts.git->rev : NULL, prefix, &vars, d);
}

int lf_session_load_source(struct lf_session *s, struct lf_source *src, const char *path,
                           struct lf_diags *d)
{
	const struct lf_git_spec *git = s->opts.git;

	/* settings that fail are reported; the manifests are still read (as
	 * they are, without an overlay) for their own errors */
	if (!path && !s->settings) {
		/* with --git the commit's problems would be said twice */
		struct lf_diags sd = LF_DIAGS_INIT;
		lf_session_settings(s, git ? &sd : d);
		lf_diags_release(&sd);
	}
	if (!path && lf_overlay_active(s->settings)) {
		if (git && !s->git_commit[0] && load_git(s, src, LF_GIT_SETTINGS, d))
			return -1; /* pins the commit */
		lf_source_release(src);
		/* what is not patched and substituted whole is not checked */
		if (load_overlay(s, src, NULL, d) == 0)
			return 0;
		lf_source_release(src);
		return -1;
	}
	if (path && !git && lf_overlay_dir_is_overlay(path)) {
		if (load_overlay(s, src, path, d) == 0)
			return 0;
		lf_source_release(src);
		return -1;
	}
	if (!git) {
		int err = lf_source_load(src, path ? path : ".", d);
		/* ${var.NAME} without declared variables is an error */
		if (!path && !err && lf_vars_substitute(src, NULL, d)) {
			lf_source_release(src);
			err = -1;
		}
		return err;
	}
	if (load_git(s, src, LF_GIT_MANIFESTS, d))
		return -1;
	if (lf_vars_substitute(src, NULL, d)) {
		lf_source_release(src);
		return -1;
	}
	if (src->nfiles == 0) {
		lf_diag_error(d, NULL,
		              "no manifests (*.yaml, *.yml) in '%s' of '%s' (commit %.12s)",
		              *git->path ? git->path : "/", git->rev, s->git_commit);
		return -1;
	}
	return 0;
}

int lf_session_load_settings_source(struct lf_session *s, struct lf_source *src, struct lf_diags *d)
{
	return load_git(s, src, LF_GIT_SETTINGS, d);
}

const char *lf_session_commit(struct lf_session *s)
{
	if (!s->git_commit[0] && !s->opts.git && lf_git_head(s->git_commit, ".") != 0)
		s->git_commit[0] = '\0';
	return s->git_commit[0] ? s->git_commit : NULL;
}

/* Whether the manifests are the files of '.' alone (no --git, no bases,
 * patches or variables), so that their fingerprint describes them. */
static int fingerprintable(struct lf_session *s)
{
	struct lf_diags ignored = LF_DIAGS_INIT;
	int settings = s->settings || lf_session_settings(s, &ignored) == 0;
	lf_diags_release(&ignored);
	return !s->opts.git && !s->opts.nvars && settings && !lf_overlay_active(s->settings);
}

int lf_session_fingerprint(struct lf_session *s, char out[65])
{
	if (!fingerprintable(s))
		return -1;
	return lf_source_fingerprint(out, ".", s->opts.schema_dir, LF_VERSION);
}

/* ---- the inputs cache: what the recorded files said ---------------------- */

/*
 * .lakeform/cache/inputs, written by apply:
 *
 *   lakeform inputs cache 2
 *   bytes HEX                 the inputs' fingerprint (lf_source_fingerprint)
 *   content HEX               their content's (lf_source_content_fingerprint)
 *   file HEX HEX NAME         per manifest file, in order: the digests of its
 *   ...                       bytes and of its content, its name
 *
 * Every line is a fact about the files apply read, not about the state:
 * which state it serves is the `bytes` line, equal to the state's
 * fingerprint.
 */
#define INPUTS_CACHE_DIR ".lakeform/cache"
#define INPUTS_CACHE INPUTS_CACHE_DIR "/inputs"
#define INPUTS_CACHE_HEAD "lakeform inputs cache 2\n"
#define INPUTS_CACHE_MAX (64u << 20)

/*
 * What the cache remembers of the files whose fingerprint is `bytes` (NULL:
 * whatever it is): 1 and `out` filled, or 0 (no cache, another fingerprint, or anything but the
 * exact format: a cache that cannot be trusted costs a full load, no more).
 */
static int cached_inputs(const char *bytes, struct lf_source_digests *out)
{
	static const char head[] = INPUTS_CACHE_HEAD;
	char *data = NULL;
	size_t len = 0, alloc = 0;
	int ok;

	memset(out, 0, sizeof(*out));
	if (lf_read_file(&data, &len, INPUTS_CACHE, INPUTS_CACHE_MAX) != 0)
		return 0;
	const char *p = data, *end = data + len;
	ok = len >= sizeof(head) - 1 && !memcmp(p, head, sizeof(head) - 1);
	p += ok ? sizeof(head) - 1 : 0;
	ok = ok && lf_sha256_hex_line(&p, end, "bytes", out->bytes) == 0 &&
	     (!bytes || !strcmp(out->bytes, bytes)) &&
	     lf_sha256_hex_line(&p, end, "content", out->content) == 0;
	while (ok && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct lf_source_file_digest f;
		/* file HEX HEX NAME */
		ok = nl && nl - p > 5 + 64 + 1 + 64 + 1 && !memcmp(p, "file ", 5) &&
		     lf_unhex(f.bytes, p + 5, LF_SHA256_LEN) == 0 && p[5 + 64] == ' ' &&
		     lf_unhex(f.content, p + 5 + 65, LF_SHA256_LEN) == 0 && p[5 + 65 + 64] == ' ';
		if (!ok)
			break;
		const char *name = p + 5 + 65 + 65;
		f.name = lf_xstrndup(name, (size_t)(nl - name));
		LF_GROW(out->files, out->nfiles + 1, alloc);
		out->files[out->nfiles++] = f;
		p = nl + 1;
	}
	free(data);
	if (!ok)
		lf_source_digests_release(out);
	return ok;
}

int lf_session_record_fingerprint(struct lf_session *s)
{
	struct lf_source_digests d, known;
	struct lf_buf b = LF_BUF_INIT;
	int named = 1, err;

	if (!fingerprintable(s))
		return -1;
	if (s->incr) {
		/* the files as the plan of the changed documents read them;
		 * their content digests would cost a parse of every changed
		 * file: the inputs cache goes (the documents cache serves a
		 * comment added as well) */
		char fp[65];
		unlink(INPUTS_CACHE);
		if (lf_incr_fingerprint(fp, s->incr, s->opts.schema_dir, LF_VERSION) != 0) {
			unlink(LF_INCR_CACHE);
			return -1;
		}
		free(s->st.fingerprint);
		s->st.fingerprint = lf_xstrdup(fp);
		lf_state_normalize(&s->st);
		return lf_incr_record(fp, s->opts.schema_dir, LF_VERSION, &s->src, NULL, &s->ds,
		                      NULL, &s->st, s->incr) == 0
		           ? 0
		           : -1;
	}
	/* the files as loaded, planned and applied (their content digests
	 * came with the parse); else as the disk holds them now, where those
	 * an earlier apply read and that did not change since are not parsed
	 * again (a damaged line costs a wrong digest of its file, never a
	 * wrong answer: a later plan parses what it compares) */
	err = s->src.nfiles && !s->src.aux
	          ? lf_source_digests_loaded(&d, &s->src, s->opts.schema_dir, LF_VERSION)
	          : -EINVAL;
	if (err) {
		if (!cached_inputs(NULL, &known))
			memset(&known, 0, sizeof(known));
		err = lf_source_digests(&d, ".", s->opts.schema_dir, LF_VERSION, &known);
		lf_source_digests_release(&known);
	}
	if (err)
		return -1;
	free(s->st.fingerprint);
	s->st.fingerprint = lf_xstrdup(d.bytes);
	/* the lines are facts about these files, whatever the state says: a
	 * cache that cannot be written costs later runs time, no more */
	lf_buf_addf(&b, INPUTS_CACHE_HEAD "bytes %s\ncontent %s\n", d.bytes, d.content);
	for (size_t i = 0; i < d.nfiles; i++) {
		char hb[65], hc[65];
		lf_sha256_hex(hb, d.files[i].bytes);
		lf_sha256_hex(hc, d.files[i].content);
		named = named && !strchr(d.files[i].name, '\n');
		lf_buf_addf(&b, "file %s %s %s\n", hb, hc, d.files[i].name);
	}
	if (named && lf_mkdirs_nofollow(AT_FDCWD, INPUTS_CACHE_DIR, 0700) == 0)
		lf_write_file_atomic_nofollow(AT_FDCWD, INPUTS_CACHE, lf_buf_cstr(&b), b.len, 0600,
		                              0);
	lf_buf_release(&b);
	/* and document by document, for the plans that change a few
	 * (incr.h): its records all in res[] first, as the write will */
	lf_state_normalize(&s->st);
	if (!s->doc_addr_taken) {
		s->doc_addr = lf_incr_doc_addresses(&s->src, &s->m, &s->ds);
		s->doc_addr_taken = 1;
	}
	lf_incr_record(d.bytes, s->opts.schema_dir, LF_VERSION, &s->src, s->doc_addr, &s->ds,
	               s->ds_rank, &s->st, s->incr);
	lf_source_digests_release(&d);
	return 0;
}

int lf_session_incremental(struct lf_session *s, const char **why)
{
	struct lf_incr *inc;

	*why = "the manifests are not the files of this directory alone";
	if (s->incr)
		return 1;
	if (!fingerprintable(s))
		return 0;
	inc = lf_xcalloc(1, sizeof(*inc));
	if (!lf_incr_prepare(inc, &s->st, s->settings, s->opts.schema_dir, LF_VERSION)) {
		*why = inc->why;
		lf_incr_release(inc);
		free(inc);
		return 0;
	}
	*why = NULL;
	s->incr = inc;
	return 1;
}

int lf_session_incremental_plan(struct lf_session *s, struct lf_plan *p)
{
	struct lf_diags d = LF_DIAGS_INIT;
	int rc = lf_incr_plan(p, s->incr, &s->st, &d);

	lf_diags_release(&d);
	return rc;
}

size_t lf_session_incremental_changed(const struct lf_session *s)
{
	return s->incr ? s->incr->nchanged : 0;
}

void lf_session_incremental_drop(struct lf_session *s)
{
	if (!s->incr)
		return;
	lf_incr_release(s->incr);
	free(s->incr);
	s->incr = NULL;
}

int lf_session_load(struct lf_session *s)
{
	if (lf_kinds_load(&s->kinds, s->opts.schema_dir, &s->d) != 0)
		return -1;
	/* lakeform.yaml's regions are part of what the manifests may name */
	if (!s->settings && lf_session_settings(s, &s->d) != 0)
		return -1;
	lf_kinds_add_regions(&s->kinds, json_object_get(s->settings, "regions"));
	lf_session_load_source(s, &s->src, NULL, &s->d);
	if (s->opts.git && *s->opts.git->path)
		s->root_len = strlen(s->opts.git->path) + 1;
	if (s->src.nfiles == 0 && !s->d.errors)
		lf_diag_error(&s->d, NULL, "no manifests (*.yaml, *.yml) in this directory");
	lf_manifest_build(&s->m, &s->src, &s->kinds, &s->d);
	if (!s->d.errors)
		lf_manifest_check(&s->m, &s->d);
	return s->d.errors ? -1 : 0;
}

int lf_session_expand(struct lf_session *s)
{
	lf_planner_ignore_changes(&s->m, &s->st);
	/* identities become provider resources only where a provider serves
	 * them (lakeform.yaml providers.identity); else they stay records */
	s->ds.identities = lf_family_provider(s->settings, LF_FAMILY_IDENTITY) != NULL;
	if (lf_expand_recorded(&s->ds, &s->m, &s->st, &s->d) != 0)
		return -1;
	/* a bucket policy the store would refuse fails the plan, not the apply */
	return lf_expand_check_policies(&s->ds, s->settings, &s->d) != 0 ? -1 : 0;
}

int lf_session_check_policies(struct lf_session *s, struct lf_diags *d)
{
	struct lf_policies p = LF_POLICIES_INIT;
	int rc = -1;

	if (!s->violations)
		s->violations = json_array();
	if (lf_policies_load(&p, &s->m, d) == 0)
		rc = lf_policies_check(&p, &s->m, &s->ds, s->violations, d) ? -1 : 0;
	lf_policies_release(&p);
	return rc;
}

void lf_session_digest(const struct lf_session *s, char out[65])
{
	struct lf_sha256 h;

	lf_sha256_init(&h);
	for (size_t i = 0; i < s->src.nfiles; i++) {
		const struct lf_source_file *f = &s->src.files[i];
		/* names from the configuration directory: a plan made with
		 * --git REPO@REV:PATH applies in a checkout of PATH */
		const char *name = strlen(f->path) > s->root_len ? f->path + s->root_len : f->path;
		/* a base's file as the checkout names it: "../base/a.yaml" */
		char *rel = NULL;
		if (s->root_len && (strncmp(f->path, s->opts.git->path, s->root_len - 1) ||
		                    f->path[s->root_len - 1] != '/'))
			name = rel = lf_overlay_relative(s->opts.git->path, f->path);
		lf_sha256_update(&h, name, strlen(name) + 1);
		free(rel);
		lf_sha256_update(&h, f->data ? f->data : "", f->len);
	}
	/* with an overlay, what the files make: patches and variables */
	if (s->src.aux) {
		for (size_t i = 0; i < s->src.ndocs; i++) {
			char *j = json_dumps(s->src.docs[i].root,
			                     JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
			lf_sha256_update(&h, j ? j : "", j ? strlen(j) + 1 : 0);
			free(j);
		}
	}
	unsigned char md[LF_SHA256_LEN];
	lf_sha256_final(&h, md);
	lf_sha256_hex(out, md);
}

void lf_session_release_manifests(struct lf_session *s)
{
	/* the documents cache needs what each document declares, which the
	 * manifests say: taken first (a plan of the changed documents records
	 * from what it read instead) */
	if (!s->incr && !s->doc_addr_taken) {
		s->doc_addr = lf_incr_doc_addresses(&s->src, &s->m, &s->ds);
		s->doc_addr_taken = 1;
	}
	lf_manifest_release(&s->m);
	lf_source_release_trees(&s->src);
	/* half of the trees were parsed on another thread, in an arena of
	 * its own that this one does not allocate from again: its pages go
	 * back now rather than stay in the peak */
	lf_mem_give_back();
}

const char *lf_session_account(const struct lf_session *s)
{
	for (size_t i = 0; i < s->m.nres; i++)
		if (!strcmp(s->m.res[i].kind->name, "Account"))
			return s->m.res[i].name;
	/* manifests not loaded (a plan whose inputs the state's fingerprint
	 * matches): the account the state records */
	for (size_t i = 0; !s->m.nres && i < s->st.nres; i++) {
		const struct lf_state_res *r = &s->st.res[i];
		if (!r->removed && !strcmp(r->type, "account") && strchr(r->address, '/'))
			return strchr(r->address, '/') + 1;
	}
	return "";
}

/* ---- lakeform.yaml -------------------------------------------------------- */

/* Where a setting of lakeform.yaml is written, for the backend's check. */
struct settings_at {
	const struct lf_source *src;
	const struct lf_source_doc *doc;
};

static struct lf_pos settings_pos(void *arg, const char *path)
{
	struct settings_at *at = arg;

	return lf_source_path_pos(at->src, at->doc, path, (size_t)-1);
}

/* The bounds of providers.<family>.max_answer, and how it is written. */
#define MAX_ANSWER_MIN ((size_t)64 << 10)
#define MAX_ANSWER_MAX ((size_t)1 << 30)

/*
 * A size in bytes: an integer, or a string of digits with a unit B, KiB,
 * MiB or GiB ("8MiB", "512KiB").  0 with *out, or -1.
 */
static int parse_size(const json_t *v, size_t *out)
{
	static const struct {
		const char *unit;
		int shift;
	} units[] = {{"", 0}, {"B", 0}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}};
	unsigned long long n = 0;
	const char *p;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return -1;
		*out = (size_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	p = json_string_value(v);
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > MAX_ANSWER_MAX)
			return -1; /* out of range whatever the unit */
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(p, units[i].unit)) {
			*out = (size_t)(n << units[i].shift);
			return 0;
		}
	return -1;
}

/* lakeform.yaml: the providers and their settings (defaults: local). */
/*
 * lakeform.yaml's shape: a mistake must not fall back silently to the
 * local providers.
 *   providers: {storage|compute: {name: NAME, settings: {...}, timeout: 30s,
 *                                 max_answer: 16MiB}}
 *   backend: {type: local}
 *   state: {encryption: {key_file: PATH}}
 */
static void check_settings(const struct lf_source *src, struct lf_diags *d)
{
	const struct lf_source_doc *doc = &src->docs[0];
	const char *key;
	json_t *v;

#define AT(path) lf_source_path_pos(src, doc, (path), (size_t)-1)
	json_object_foreach (doc->root, key, v) {
		if (strcmp(key, "providers") && strcmp(key, "backend") && strcmp(key, "regions") &&
		    strcmp(key, "state") && strcmp(key, "base") && strcmp(key, "patches") &&
		    strcmp(key, "variables")) {
			struct lf_pos p = AT(key);
			lf_diag_error(d, &p,
			              "unknown setting '%s' (providers, backend, regions, state, "
			              "base, patches, variables)",
			              key);
		}
	}
	lf_overlay_check_settings(src, doc, d);
	/* regions: [my-private-1]: a private cloud's regions, beside the
	 * cloud's own (schemas/regions.json) */
	json_t *regions = json_object_get(doc->root, "regions");
	if (regions && !json_is_array(regions)) {
		struct lf_pos p = AT("regions");
		lf_diag_error(d, &p,
		              "regions must be a list of region names such as "
		              "[my-private-1]");
	}
	size_t ri;
	json_array_foreach (regions, ri, v) {
		const char *r = json_string_value(v);
		int ok = r && *r && strlen(r) <= 32;
		for (const char *c = r; ok && *c; c++)
			ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-';
		if (!ok) {
			struct lf_pos p = lf_source_path_pos(src, doc, "regions", ri);
			lf_diag_error(d, &p,
			              "regions[%zu]: a region is 1 to 32 lowercase letters, digits "
			              "and '-', such as 'my-private-1'",
			              ri);
		}
	}
	json_t *state = json_object_get(doc->root, "state");
	if (state) {
		json_t *enc = json_object_get(state, "encryption");
		const char *k;
		json_t *e;
		if (!json_is_object(state) || json_object_size(state) != 1 || !enc) {
			struct lf_pos p = AT("state");
			lf_diag_error(d, &p, "state must be a mapping with encryption");
		} else if (!json_is_object(enc) || !json_object_get(enc, "key_file")) {
			struct lf_pos p = AT("state.encryption");
			lf_diag_error(d, &p, "state.encryption must be a mapping with key_file");
		} else {
			json_object_foreach (enc, k, e) {
				char path[64];
				snprintf(path, sizeof(path), "state.encryption.%s", k);
				struct lf_pos p = AT(path);
				if (strcmp(k, "key_file"))
					lf_diag_error(d, &p,
					              "unknown key '%s' in state.encryption "
					              "(key_file)",
					              k);
				else if (!json_is_string(e) || !json_string_length(e))
					lf_diag_error(d, &p, "%s must be a file name", path);
			}
		}
	}
	json_t *backend = json_object_get(doc->root, "backend");
	if (backend) {
		struct settings_at at = {src, doc};
		lf_backend_check_settings(backend, settings_pos, &at, d);
	}
	json_t *providers = json_object_get(doc->root, "providers");
	char families[128] = "";
	for (int f = 0; f < LF_NFAMILIES; f++)
		snprintf(families + strlen(families), sizeof(families) - strlen(families), "%s%s",
		         f ? ", " : "", lf_families[f].name);
	if (providers && !json_is_object(providers)) {
		struct lf_pos p = AT("providers");
		lf_diag_error(d, &p, "providers must be a mapping of families (%s)", families);
		return;
	}
	json_object_foreach (providers, key, v) {
		char path[64];
		snprintf(path, sizeof(path), "providers.%s", key);
		if (lf_family_find(key) < 0) {
			struct lf_pos p = AT(path);
			lf_diag_error(d, &p, "unknown provider family '%s' (%s)", key, families);
			continue;
		}
		if (!json_is_object(v)) {
			struct lf_pos p = AT(path);
			lf_diag_error(d, &p,
			              "%s must be a mapping with name, version, settings, timeout, "
			              "max_answer",
			              path);
			continue;
		}
		if (!lf_families[lf_family_find(key)].provider &&
		    !json_string_value(json_object_get(v, "name"))) {
			struct lf_pos p = AT(path);
			lf_diag_error(d, &p,
			              "%s needs a name: this family has no default provider "
			              "(name: scim, for instance)",
			              path);
		}
		const char *k;
		json_t *f;
		json_object_foreach (v, k, f) {
			char fpath[96];
			snprintf(fpath, sizeof(fpath), "%s.%s", path, k);
			struct lf_pos p = AT(fpath);
			long ms;
			size_t size;
			if (!strcmp(k, "name")) {
				const char *n = json_string_value(f);
				int ok = n && *n;
				for (const char *c = n; ok && *c; c++)
					ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
					     *c == '-' || *c == '_';
				if (!ok)
					lf_diag_error(
					    d, &p,
					    "%s: a provider name is lowercase letters, digits, '-' "
					    "and '_' (lakeform-provider-NAME)",
					    fpath);
			} else if (!strcmp(k, "settings")) {
				if (!json_is_object(f) && !json_is_null(f))
					lf_diag_error(d, &p, "%s must be a mapping", fpath);
			} else if (!strcmp(k, "timeout")) {
				if (!json_is_string(f) ||
				    lf_duration_parse(json_string_value(f), &ms) || ms <= 0)
					lf_diag_error(
					    d, &p, "%s: write a duration such as 30s or 2m", fpath);
			} else if (!strcmp(k, "version")) {
				struct lf_constraint c;
				const char *why = NULL;
				if (!json_is_string(f))
					lf_diag_error(d, &p,
					              "%s: write a version constraint such as "
					              "\">= 1.2, < 2\"",
					              fpath);
				else if (lf_constraint_parse(&c, json_string_value(f), &why))
					lf_diag_error(d, &p,
					              "%s: '%s' is not a version constraint: %s",
					              fpath, json_string_value(f), why);
			} else if (!strcmp(k, "max_answer")) {
				if (parse_size(f, &size) || size < MAX_ANSWER_MIN ||
				    size > MAX_ANSWER_MAX)
					lf_diag_error(
					    d, &p,
					    "%s: write a size from 64KiB to 1GiB, such as "
					    "16MiB",
					    fpath);
			} else {
				lf_diag_error(d, &p,
				              "unknown key '%s' in %s (name, version, settings, "
				              "timeout, max_answer)",
				              k, path);
			}
		}
	}
#undef AT
}

static struct lf_pos override_pos(void *arg, const char *path)
{
	struct lf_pos p = {arg, 0, 0};
	(void)path;
	return p;
}

/* opts.backend_config over lakeform.yaml's backend, checked as a whole. */
static int override_backend(struct lf_session *s, struct lf_diags *d)
{
	json_t *merged = json_deep_copy(json_object_get(s->settings, "backend"));
	size_t errors = d->errors;

	if (!json_is_object(merged)) {
		json_decref(merged);
		merged = json_object();
	}
	if (!json_object_get(merged, "type") && !json_object_get(s->opts.backend_config, "type"))
		json_object_set_new(merged, "type", json_string("local"));
	json_object_update(merged, (json_t *)s->opts.backend_config);
	lf_backend_check_settings(merged, override_pos,
	                          (void *)(s->opts.backend_config_source
	                                       ? s->opts.backend_config_source
	                                       : "backend settings"),
	                          d);
	if (d->errors != errors) {
		json_decref(merged);
		return -1;
	}
	json_t *copy = json_deep_copy(s->settings);
	json_object_set_new(copy, "backend", merged);
	json_decref(s->settings);
	s->settings = copy;
	return 0;
}

int lf_session_settings(struct lf_session *s, struct lf_diags *d)
{
	return lf_session_settings_in(s, ".", d);
}

int lf_session_settings_in(struct lf_session *s, const char *dir, struct lf_diags *d)
{
	struct lf_source src = LF_SOURCE_INIT;
	size_t errors = d->errors;

	if (s->settings)
		return 0;
	/* "lakeform.yaml" in the configuration directory, as messages say it */
	char *path =
	    strcmp(dir, ".") ? lf_xasprintf("%s/lakeform.yaml", dir) : lf_xstrdup("lakeform.yaml");
	if (s->opts.git) {
		/* lakeform.yaml of the same commit */
		if (lf_session_load_settings_source(s, &src, d) == 0 && src.nfiles == 0) {
			s->settings = json_object();
			goto out;
		}
	} else {
		if (access(path, F_OK) != 0) {
			s->settings = json_object();
			goto out;
		}
		lf_source_load(&src, path, d);
	}
	if (d->errors == errors && (src.ndocs != 1 || !json_is_object(src.docs[0].root)))
		lf_diag_file_error(d, src.files[0].path, "must hold one mapping of settings");
	if (d->errors == errors)
		check_settings(&src, d);
	if (d->errors == errors) {
		s->settings = json_incref(src.docs[0].root);
		/* where each provider version is required, for the message
		 * when a provider does not satisfy it (after this source is
		 * gone) */
		for (int f = 0; f < LF_NFAMILIES; f++) {
			char vpath[96];
			snprintf(vpath, sizeof(vpath), "providers.%s.version", lf_families[f].name);
			if (!json_object_get(family_conf(s, f), "version"))
				continue;
			struct lf_pos p = lf_source_path_pos(&src, &src.docs[0], vpath, (size_t)-1);
			free(s->version_at[f].file);
			s->version_at[f].file = lf_xstrdup(p.file ? p.file : path);
			s->version_at[f].line = p.line;
			s->version_at[f].col = p.col;
		}
	}
out:
	if (s->settings && s->opts.backend_config && override_backend(s, d)) {
		json_decref(s->settings);
		s->settings = NULL;
	}
	lf_source_release(&src);
	free(path);
	return s->settings ? 0 : -1;
}

/* ---- the state ------------------------------------------------------------ */

/* The front end's environment, in the shape the backends ask for it. */
static const char *backend_env(void *arg, const char *name)
{
	return env(arg, name);
}

/*
 * The key of the state's sensitive values: the front end's (opts.state_key,
 * from its environment), else lakeform.yaml's state.encryption.key_file,
 * else none (salted digests).
 */
static int open_key(struct lf_session *s, struct lf_backend *b)
{
	const char *file = json_string_value(json_object_get(
	    json_object_get(json_object_get(s->settings, "state"), "encryption"), "key_file"));
	struct lf_state_key key;
	int err;

	if (s->opts.state_key) {
		if (lf_state_key_from_base64(&key, s->opts.state_key, strlen(s->opts.state_key))) {
			set_error(s,
			          "%s is not a key: write 32 bytes in base64 (44 characters, "
			          "such as the output of 'openssl rand -base64 32')",
			          s->opts.state_key_name ? s->opts.state_key_name
			                                 : "the state key");
			return -1;
		}
	} else if (file) {
		if ((err = lf_state_key_from_file(&key, file)) == -EINVAL) {
			set_error(s,
			          "state.encryption.key_file '%s' does not hold a key: write 32 "
			          "bytes in base64 (44 characters, such as the output of 'openssl "
			          "rand -base64 32')",
			          file);
			return -1;
		} else if (err) {
			set_error(s, "cannot read state.encryption.key_file '%s': %s", file,
			          strerror(-err));
			return -1;
		}
	} else {
		return 0;
	}
	lf_backend_set_key(b, &key);
	memset(&key, 0, sizeof(key));
	return 0;
}

int lf_session_open_backend(struct lf_backend **out, struct lf_session *s, struct lf_diags *d)
{
	*out = NULL;
	if (!s->settings && lf_session_settings(s, d))
		return -1;
	if (lf_backend_open_settings(out, json_object_get(s->settings, "backend"), ".lakeform",
	                             backend_env, s, d) != 0)
		return -1;
	if (open_key(s, *out) != 0) {
		lf_backend_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int lf_session_lock(struct lf_session *s, const char *operation, long timeout_ms)
{
	struct lf_lock_info mine;
	int lrc = lf_state_lock(s->backend, operation, timeout_ms, &mine, &s->holder);

	if (lrc == LF_STATE_ELOCKED) {
		set_error(s, "the state is locked by another run");
		return LF_SESSION_ELOCKED;
	} else if (lrc) {
		set_error(s, "cannot lock the state: %s", lf_state_strerror(lrc));
		return -1;
	}
	return 0;
}

int lf_session_unlock(struct lf_session *s)
{
	return s->backend ? lf_state_unlock(s->backend) : 0;
}

int lf_session_load_state(struct lf_session *s)
{
	return lf_state_load(&s->st, s->backend, 1, &s->d) != 0 ? -1 : 0;
}

int lf_session_inputs_recorded(struct lf_session *s)
{
	struct lf_source_digests known;
	char fp[65];
	int same;

	if (!s->st.fingerprint || s->st.npending || s->st.torn_tail ||
	    lf_session_fingerprint(s, fp) != 0)
		return 0;
	if (!strcmp(fp, s->st.fingerprint))
		return 1;
	/* other bytes: the same content, written differently (a comment
	 * added, lines moved)?  Only the cache knows what the recorded
	 * files said; without it this is a full load. */
	if (!cached_inputs(s->st.fingerprint, &known))
		return 0;
	same = lf_source_same_content(&known, ".", s->opts.schema_dir, LF_VERSION);
	lf_source_digests_release(&known);
	return same ? 2 : 0;
}

static int open_for_write(struct lf_session *s, const char *operation, long lock_timeout_ms,
                          int *loaded, struct lf_diags *d)
{
	int err, load;

	if (lf_session_settings(s, d) || lf_session_open_backend(&s->backend, s, d))
		return -1;
	if (operation && (err = lf_session_lock(s, operation, lock_timeout_ms)) != 0)
		return err;
	if (lf_session_load_state(s))
		return -1;
	load = !loaded || !lf_session_inputs_recorded(s);
	if (loaded)
		*loaded = load;
	if (load && lf_session_load(s))
		return -1;
	return lf_session_start_providers(s, d);
}

int lf_session_open_for_write(struct lf_session *s, const char *operation, long lock_timeout_ms,
                              struct lf_diags *d)
{
	return open_for_write(s, operation, lock_timeout_ms, NULL, d);
}

int lf_session_open_for_write_lazy(struct lf_session *s, const char *operation,
                                   long lock_timeout_ms, int *loaded, struct lf_diags *d)
{
	return open_for_write(s, operation, lock_timeout_ms, loaded, d);
}

/* ---- the providers -------------------------------------------------------- */

/* lakeform-provider-NAME beside lakeform, else on PATH; owned, or NULL. */
static char *find_provider(const struct lf_session *s, const char *name)
{
	char *p = lf_xasprintf("%s/lakeform-provider-%s", s->opts.exe_dir, name);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	const char *path = s->opts.getenv ? s->opts.getenv("PATH", s->opts.getenv_arg) : NULL;
	char *copy = lf_xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *dir = copy, *next; dir; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = '\0';
		p = lf_xasprintf("%s/lakeform-provider-%s", *dir ? dir : ".", name);
		if (access(p, X_OK) == 0) {
			free(copy);
			return p;
		}
		free(p);
	}
	free(copy);
	return NULL;
}

/* providers.<family> in lakeform.yaml, or NULL */
static json_t *family_conf(const struct lf_session *s, int family)
{
	return json_object_get(json_object_get(s->settings, "providers"), lf_families[family].name);
}

long lf_session_provider_timeout(const struct lf_session *s, int family)
{
	const char *t = json_string_value(json_object_get(family_conf(s, family), "timeout"));
	long ms;

	if (t && lf_duration_parse(t, &ms) == 0 && ms > 0)
		return ms;
	return LF_PROVIDER_TIMEOUT_MS;
}

size_t lf_session_provider_max_answer(const struct lf_session *s, int family)
{
	size_t n;

	if (parse_size(json_object_get(family_conf(s, family), "max_answer"), &n) == 0 &&
	    n >= MAX_ANSWER_MIN && n <= MAX_ANSWER_MAX)
		return n;
	return LF_PROVIDER_MAX_ANSWER;
}

static const char *provider_name(const struct lf_session *s, int family)
{
	return lf_family_provider(s->settings, family);
}

/*
 * Where a provider's stderr goes: appended to .lakeform/logs/NAME.log, made
 * without following a symbolic link (a link is an error).  Where that
 * cannot be written (a read-only file system, no permission) no log is kept:
 * *out is NULL and s->log_note says why, so that commands that only read
 * need no write access.  0, or -1 with s->error.
 */
static int provider_log(struct lf_session *s, const char *name, char **out)
{
	char *path = lf_xasprintf(".lakeform/logs/%s.log", name);
	int fd = lf_mkdirs_nofollow(AT_FDCWD, ".lakeform/logs", 0700);

	*out = NULL;
	if (fd == 0)
		fd = lf_open_nofollow(AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		close(fd);
		*out = path;
		return 0;
	}
	if (fd == -EROFS || fd == -EACCES || fd == -EPERM) {
		if (!s->log_note)
			s->log_note = lf_xasprintf("the providers' logs are not kept: cannot write "
			                           "'%s': %s",
			                           path, strerror(-fd));
		free(path);
		return 0;
	}
	if (fd == -ELOOP) {
		char *link = lf_symlink_in(path);
		set_error(s,
		          "cannot open the provider log: '%s' is a symbolic link, which "
		          "lakeform refuses to follow",
		          link ? link : path);
		free(link);
	} else {
		set_error(s, "cannot open the provider log '%s': %s", path, strerror(-fd));
	}
	free(path);
	return -1;
}

static int launch_provider(struct lf_session *s, int family, struct lf_diags *d)
{
	const char *name = provider_name(s, family);
	const char *fam = lf_families[family].name;

	if (!name)
		return 0; /* an optional family lakeform.yaml does not configure */
	char *exe = find_provider(s, name);
	if (!exe) {
		set_error(s,
		          "no provider 'lakeform-provider-%s' beside lakeform or on PATH (%s "
		          "resources, lakeform.yaml providers.%s.name)",
		          name, fam, fam);
		return -1;
	}
	char *log = NULL;
	if (provider_log(s, name, &log)) {
		free(exe);
		return -1;
	}
	char *source = lf_xasprintf("lakeform.yaml providers.%s.max_answer", fam);
	struct lf_provider_opts po = {
	    .timeout_ms = lf_session_provider_timeout(s, family),
	    .max_answer = lf_session_provider_max_answer(s, family),
	    .max_answer_source = source,
	};
	int rc = lf_provider_launch(&s->pv.v[family], exe, log, LF_VERSION, &po, d);
	free(exe);
	free(log);
	free(source);
	return rc ? -1 : 0;
}

/* The provider's version against providers.F.version: 0, or -1 with the
 * reason at the constraint's position in lakeform.yaml. */
static int check_version(struct lf_session *s, int family, struct lf_diags *d)
{
	const char *want = json_string_value(json_object_get(family_conf(s, family), "version"));
	const char *have = lf_provider_version(s->pv.v[family]);
	const char *fam = lf_families[family].name, *why = NULL;
	struct lf_pos at = {s->version_at[family].file, s->version_at[family].line,
	                    s->version_at[family].col};
	struct lf_constraint c;
	struct lf_version v;

	if (!want || lf_constraint_parse(&c, want, &why))
		return 0; /* checked with the settings */
	if (!have) {
		lf_diag_error(d, &at,
		              "providers.%s.version: provider '%s' reports no version, and '%s' "
		              "is required",
		              fam, provider_name(s, family), want);
		return -1;
	}
	if (lf_version_parse(&v, have, strlen(have))) {
		lf_diag_error(d, &at,
		              "providers.%s.version: provider '%s' reports version '%s', which is "
		              "not numbers with dots, and '%s' is required",
		              fam, provider_name(s, family), have, want);
		return -1;
	}
	if (!lf_constraint_match(&c, &v)) {
		lf_diag_error(d, &at,
		              "providers.%s.version: provider '%s' is version %s, which does not "
		              "satisfy '%s'",
		              fam, provider_name(s, family), have, want);
		return -1;
	}
	return 0;
}

static int ready_provider(struct lf_session *s, int family, const char *account, struct lf_diags *d)
{
	struct lf_provider *p = s->pv.v[family];
	struct lf_provider_error err;

	if (!p)
		return 0; /* not started: an optional family not configured */
	if (lf_provider_await(p, d) || check_version(s, family, d))
		return -1;
	if (lf_provider_configure(p, json_object_get(family_conf(s, family), "settings"), account,
	                          &err)) {
		/* one that died did not refuse: the words say so, and name its
		 * log already */
		if (err.code == LF_PROVIDER_EGONE)
			set_error(s, "%s", err.message);
		else if (!lf_provider_log(p))
			set_error(s, "provider '%s' refused its settings: %s",
			          provider_name(s, family), err.message);
		else
			set_error(s, "provider '%s' refused its settings: %s (its log: %s)",
			          provider_name(s, family), err.message, lf_provider_log(p));
		return -1;
	}
	return 0;
}

int lf_session_launch_providers(struct lf_session *s, struct lf_diags *d)
{
	if (lf_session_settings(s, d))
		return -1;
	/* all start at once: each spends most of its start-up on its own */
	for (int f = 0; f < LF_NFAMILIES; f++)
		if (launch_provider(s, f, d))
			return -1;
	return 0;
}

int lf_session_ready_providers(struct lf_session *s, struct lf_diags *d)
{
	return lf_session_ready_providers_as(s, lf_session_account(s), d);
}

int lf_session_ready_providers_as(struct lf_session *s, const char *account, struct lf_diags *d)
{
	for (int f = 0; f < LF_NFAMILIES; f++)
		if (ready_provider(s, f, account, d))
			return -1;
	return 0;
}

int lf_session_initialize_providers(struct lf_session *s, struct lf_diags *d)
{
	if (lf_session_launch_providers(s, d))
		return -1;
	for (int f = 0; f < LF_NFAMILIES; f++)
		if (s->pv.v[f] && (lf_provider_await(s->pv.v[f], d) || check_version(s, f, d)))
			return -1;
	return 0;
}

struct lf_provider *lf_session_provider(const struct lf_session *s, int family)
{
	return s->pv.v[family];
}

int lf_session_start_providers(struct lf_session *s, struct lf_diags *d)
{
	if (lf_session_launch_providers(s, d))
		return -1;
	return lf_session_ready_providers(s, d);
}

void lf_session_stop_providers(struct lf_session *s)
{
	for (int f = 0; f < LF_NFAMILIES; f++) {
		lf_provider_stop(s->pv.v[f], 5000);
		s->pv.v[f] = NULL;
	}
}

int lf_session_has_provider_records(struct lf_session *s)
{
	for (size_t i = 0; i < s->st.nres; i++) {
		struct lf_state_res *r = &s->st.res[i];
		char name[64];
		int has;

		if (r->removed)
			continue;
		/* scanned, not parsed: most records are the manifests' */
		has = lf_state_res_provider(r, name, sizeof(name));
		if (has < 0 && lf_state_res_parse(r) == 0 && r->provider) {
			snprintf(name, sizeof(name), "%s", r->provider);
			has = 1;
		}
		if (has > 0 && strcmp(name, "lakeform"))
			return 1;
	}
	return 0;
}

/* One deadline for every read: the longest of the families'. */
static long read_deadline(struct lf_session *s)
{
	long deadline = 0;

	for (int f = 0; f < LF_NFAMILIES; f++) {
		long t = lf_session_provider_timeout(s, f);
		deadline = t > deadline ? t : deadline;
	}
	return deadline;
}

int lf_session_observe(struct lf_session *s, int parallelism,
                       void (*progress)(size_t done, size_t total, void *arg), void *arg,
                       struct lf_observations *obs)
{
	lf_observe(obs, &s->st, &s->pv, parallelism, read_deadline(s), progress, arg);
	return obs->errors ? -1 : 0;
}

int lf_session_observe_picked(struct lf_session *s, const struct lf_observe_pick *pick,
                              int parallelism,
                              void (*progress)(size_t done, size_t total, void *arg), void *arg,
                              struct lf_observations *obs)
{
	lf_observe_picked(obs, pick, &s->pv, parallelism, read_deadline(s), progress, arg);
	return obs->errors ? -1 : 0;
}

void lf_session_fold(struct lf_session *s, const struct lf_observations *obs)
{
	lf_observations_fold(obs, &s->st);
	lf_state_normalize(&s->st);
}

/* ---- closing -------------------------------------------------------------- */

void lf_session_close(struct lf_session *s)
{
	lf_session_stop_providers(s);
	lf_session_unlock(s);
	free(s->error);
	s->error = NULL;
	free(s->log_note);
	s->log_note = NULL;
	free(s->doc_addr);
	s->doc_addr = NULL;
	for (int f = 0; f < LF_NFAMILIES; f++) {
		free(s->version_at[f].file);
		s->version_at[f].file = NULL;
	}
	json_decref(s->settings);
	s->settings = NULL;
	json_decref(s->violations);
	s->violations = NULL;
#if !defined(__SANITIZE_ADDRESS__)
	/* The process ends right after: freeing a few hundred thousand values
	 * one by one costs a tenth of a large plan, and exit() frees it all.
	 * The sanitizer builds (the tests) free everything, so leaks still
	 * show.  A long-lived front end (a server) builds with
	 * LF_SESSION_FREE_ALL. */
#if !defined(LF_SESSION_FREE_ALL)
	if (1) {
		if (s->backend)
			lf_backend_free(s->backend); /* releases the lock */
		s->backend = NULL;
		return;
	}
#endif
#endif
	if (s->incr) {
		lf_incr_release(s->incr);
		free(s->incr);
		s->incr = NULL;
	}
	lf_desired_release(&s->ds);
	lf_manifest_release(&s->m);
	lf_state_release(&s->st);
	if (s->backend)
		lf_backend_free(s->backend);
	s->backend = NULL;
	lf_source_release(&s->src);
	lf_kinds_release(&s->kinds);
	lf_diags_release(&s->d);
}
