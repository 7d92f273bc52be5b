/*
 * s3.c - the s3 backend: the state in an S3 bucket, shared by every pipeline that
 * points at it.
 *
 * Three objects under the configured key:
 *
 *   KEY           the snapshot, as the local backend's state.json
 *   KEY.journal   the journal since that snapshot, as journal.jsonl
 *   KEY.lock      the lock: the holder's description (JSON), created with
 *                 If-None-Match: * so that exactly one writer gets it
 *
 * Each process works on a copy of the snapshot and journal in a directory
 * of its own under .lakeform/s3/, so the state code (lazy loads, group
 * commit, compaction) serves unchanged: this file's operations add the
 * remote step to each of its steps.
 *
 * - lock: the local lock, then the lock object.  Its description carries
 *   `expires`, the end of a lease that a thread renews every third of it
 *   while the lock is held; a lock whose lease ended (its holder crashed or
 *   lost the network) is taken over by the next writer, and force-unlock
 *   removes one at once.  The lock object is replaced and removed only with
 *   If-Match on its ETag, so a taken-over lock is never removed by its old
 *   holder.
 * - load: the snapshot and journal are fetched (after the lock, when one is
 *   taken, so what is read is what the last writer left).
 * - journal: each durable batch wakes the same thread, which uploads the
 *   journal object (a batch that arrives while an upload runs goes up with
 *   the next one); unlock waits for the last upload.  The intent of a
 *   provider call is durable on local disk before the call, as on the local
 *   backend; on the remote it may lag by one upload, which a create that
 *   finds its labelled object (docs/providers.md) makes harmless.
 * - write: the snapshot is uploaded with If-Match on the ETag it was read
 *   with (If-None-Match: * for the first), so that a writer whose lock was
 *   taken over fails (LF_STATE_ECONFLICT) instead of overwriting a newer
 *   state; then the journal object is deleted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../state_internal.h"
#include "../../util/clock.h"
#include "../../util/fs.h"
#include "../../util/mem.h"
#include "../../util/s3http.h"
#include "../../util/awscreds.h"

#define REQUEST_DEADLINE_MS 60000L

struct lf_s3_backend_conf {
	const char *bucket;   /* required: an existing bucket */
	const char *key;      /* required: "lakeform/prod.json" */
	const char *region;   /* signing region; NULL: us-east-1 */
	const char *endpoint; /* "http://127.0.0.1:9000"; NULL: AWS */
	int virtual_host;     /* bucket in the host name instead of the path */
	int tls_verify;
	const char *access_key, *secret_key, *session_token;
	long lease_ms; /* of the lock; 0: 60 s */
};

static int open_conf(struct lf_backend **out, const struct lf_s3_backend_conf *c,
                     const char *local_dir);
static int remote_unlock(struct lf_backend *b);
static char *run_dir_template(const char *base);
static int clean_dead_runs(struct lf_backend *b);

extern const struct lf_backend_ops lf_backend_s3_ops;

struct lf_remote {
	struct s3_conf conf;
	char *bucket;
	char *key, *journal_key, *lock_key;
	long lease_ms;
	char *workdir; /* this process's copy: removed at the end */
	int pulled;

	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;
	char snap_etag[128];    /* of the snapshot as read or written; "" none */
	char lock_etag[128];    /* of our lock object; "" when not held */
	struct lf_lock_info me; /* our description, for renewals */
	int journal_dirty;      /* a durable batch not uploaded yet */
	int uploading;          /* the keeper is uploading the journal */
	int stop;               /* the keeper should end */
	int keeper_running;
	int err; /* sticky: the first failed upload or renewal */
	pthread_t keeper;
	int etag_bare; /* the store compares If-Match with the ETag unquoted (Ceph) */
	int probed;    /* conditional creates are known to be honoured */
};

/* Why a request failed, as a person should read it. */
static int request_error(struct lf_remote *r, const char *what, const char *key,
                         const struct s3_resp *resp)
{
	if (!resp->status)
		lf_backend__set_error("cannot reach the s3 state backend at %s (%s s3://%s/%s): %s",
		                      r->conf.endpoint ? r->conf.endpoint : "aws", what, r->bucket,
		                      key, resp->transport);
	else if (!strcmp(resp->code, "SignatureDoesNotMatch") ||
	         !strcmp(resp->code, "InvalidAccessKeyId"))
		lf_backend__set_error(
		    "the s3 state backend refused the credentials (%s s3://%s/%s: %s): "
		    "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		    what, r->bucket, key, resp->code);
	else if (!strcmp(resp->code, "NoSuchBucket"))
		lf_backend__set_error(
		    "the state bucket '%s' does not exist (create it first: lakeform "
		    "does not make the bucket its own state lives in)",
		    r->bucket);
	else if (!strcmp(resp->code, "AccessDenied"))
		lf_backend__set_error("access denied to s3://%s/%s (%s)", r->bucket, key, what);
	else
		lf_backend__set_error("%s s3://%s/%s: HTTP %ld%s%s%s%s", what, r->bucket, key,
		                      resp->status, *resp->code ? " " : "", resp->code,
		                      *resp->message ? ": " : "", resp->message);
	return LF_STATE_EREMOTE;
}

static int s3_send(struct lf_remote *r, const char *method, const char *key, const char *body,
                   size_t len, const char *if_match, const char *if_none_match, struct s3_resp *out)
{
	struct s3_req req = {0};

	req.method = method;
	req.bucket = r->bucket;
	req.key = key;
	req.body = body;
	req.body_len = len;
	req.content_type = "application/json";
	req.if_match = if_match && *if_match ? if_match : NULL;
	req.if_none_match = if_none_match;
	return s3_request(&r->conf, REQUEST_DEADLINE_MS, &req, out);
}

/*
 * A request with If-Match on `etag` (as S3 gives it, in quotes).  Ceph
 * compares If-Match with the ETag unquoted and answers 412 to the quoted
 * form: a 412 is asked again once with the other form, and the form that
 * worked is kept for the rest of the run.  A true mismatch fails in both.
 */
static int s3_send_if_match(struct lf_remote *r, const char *method, const char *key,
                            const char *body, size_t len, const char *etag, struct s3_resp *out)
{
	char bare[128];
	size_t n = strlen(etag);
	int quoted = n >= 2 && etag[0] == '"' && etag[n - 1] == '"';

	if (quoted)
		snprintf(bare, sizeof(bare), "%.*s", (int)(n - 2), etag + 1);
	else
		snprintf(bare, sizeof(bare), "\"%s\"", etag);
	pthread_mutex_lock(&r->mu);
	int use_bare = r->etag_bare;
	pthread_mutex_unlock(&r->mu);
	const char *first = quoted && use_bare ? bare : etag;
	const char *second = first == bare ? etag : bare;

	if (s3_send(r, method, key, body, len, first, NULL, out) < 0 || out->status != 412 ||
	    !quoted)
		return out->status ? 0 : -1;
	s3_resp_release(out);
	*out = (struct s3_resp)S3_RESP_INIT;
	if (s3_send(r, method, key, body, len, second, NULL, out) < 0)
		return -1;
	if (out->status != 412) {
		pthread_mutex_lock(&r->mu);
		r->etag_bare = second == bare;
		pthread_mutex_unlock(&r->mu);
	}
	return 0;
}

/*
 * Whether the store honours If-None-Match: * on PUT, on which the lock
 * rests (s3rver ignores it: two runs would both hold the lock).  Proved
 * once per state key: a probe object created twice must fail the second
 * time; then KEY.conditional-writes records the proof, so later runs make
 * one request.  0, or LF_STATE_EREMOTE with the store's shortcoming.
 */
static int probe_conditional(struct lf_remote *r)
{
	struct s3_resp resp = S3_RESP_INIT;
	char *proof = lf_xasprintf("%s.conditional-writes", r->key);
	char *probe = lf_xasprintf("%s.probe-%ld-%d", r->key, (long)time(NULL), (int)getpid());
	const char *note = "{\"if_none_match\":\"honoured\"}\n";
	int err = 0, second;

	if (r->probed)
		goto out;
	if (s3_send(r, "GET", proof, NULL, 0, NULL, NULL, &resp) < 0 ||
	    (resp.status != 200 && resp.status != 404)) {
		err = request_error(r, "GET", proof, &resp);
		goto out;
	}
	if (resp.status == 200) {
		r->probed = 1;
		goto out;
	}
	s3_resp_release(&resp);
	resp = (struct s3_resp)S3_RESP_INIT;
	if (s3_send(r, "PUT", probe, "1", 1, NULL, "*", &resp) < 0 || resp.status != 200) {
		err = request_error(r, "PUT", probe, &resp);
		goto out;
	}
	s3_resp_release(&resp);
	resp = (struct s3_resp)S3_RESP_INIT;
	if (s3_send(r, "PUT", probe, "2", 1, NULL, "*", &resp) < 0) {
		err = request_error(r, "PUT", probe, &resp);
		goto out;
	}
	second = (int)resp.status;
	s3_resp_release(&resp);
	resp = (struct s3_resp)S3_RESP_INIT;
	s3_send(r, "DELETE", probe, NULL, 0, NULL, NULL, &resp);
	if (second != 412 && second != 409) {
		lf_backend__set_error(
		    "the s3 store at %s does not honour conditional writes: a second create of "
		    "s3://%s/%s with If-None-Match: * answered %d instead of 412, so a lock "
		    "there would not lock; keep the state on a store that honours them",
		    r->conf.endpoint ? r->conf.endpoint : "aws", r->bucket, probe, second);
		err = LF_STATE_EREMOTE;
		goto out;
	}
	s3_resp_release(&resp);
	resp = (struct s3_resp)S3_RESP_INIT;
	if (s3_send(r, "PUT", proof, note, strlen(note), NULL, NULL, &resp) < 0 ||
	    resp.status != 200) {
		err = request_error(r, "PUT", proof, &resp);
		goto out;
	}
	r->probed = 1;
out:
	s3_resp_release(&resp);
	free(proof);
	free(probe);
	return err;
}

/* ---- settings ------------------------------------------------------------- */

/* Whether `url` names this machine (TLS checks may be turned off only for it). */
static int local_endpoint(const char *url)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	return !strncmp(h, "127.", 4) || !strncmp(h, "localhost", 9) || !strncmp(h, "[::1]", 5);
}

/* backend: {type: s3, bucket, key, region, endpoint, addressing, tls_verify, lease} */
static void s3_check(const json_t *backend, lf_backend_pos_fn pos, void *pos_arg,
                     struct lf_diags *d)
{
	const char *k;
	json_t *v;

#define AT(path) pos(pos_arg, (path))
	/* jansson iterates a const object, but its macro takes no const */
	json_object_foreach ((json_t *)backend, k, v) {
		char path[64];
		snprintf(path, sizeof(path), "backend.%s", k);
		struct lf_pos p = AT(path);
		long ms;

		if (!strcmp(k, "type")) {
			continue;
		} else if (!strcmp(k, "bucket") || !strcmp(k, "key") || !strcmp(k, "region") ||
		           !strcmp(k, "endpoint")) {
			if (!json_is_string(v) || !json_string_length(v))
				lf_diag_error(d, &p, "%s must be a non-empty string", path);
			else if (!strcmp(k, "key") && (json_string_value(v)[0] == '/' ||
			                               strstr(json_string_value(v), "..")))
				lf_diag_error(d, &p, "%s: a key has no leading '/' and no '..'",
				              path);
		} else if (!strcmp(k, "addressing")) {
			const char *a = json_string_value(v);
			if (!a || (strcmp(a, "path") && strcmp(a, "virtual")))
				lf_diag_error(d, &p, "%s is 'path' or 'virtual'", path);
		} else if (!strcmp(k, "tls_verify")) {
			const char *ep = json_string_value(json_object_get(backend, "endpoint"));
			if (!json_is_boolean(v))
				lf_diag_error(d, &p, "%s is true or false", path);
			else if (json_is_false(v) && (!ep || !local_endpoint(ep)))
				lf_diag_error(d, &p,
				              "%s: false only for an endpoint on this machine "
				              "(127.0.0.1, localhost, [::1])",
				              path);
		} else if (!strcmp(k, "lease")) {
			if (!json_is_string(v) || lf_duration_parse(json_string_value(v), &ms) ||
			    ms < 10000)
				lf_diag_error(d, &p,
				              "%s: write a duration of at least 10s, such as 2m",
				              path);
		} else {
			lf_diag_error(d, &p,
			              "unknown key '%s' in backend (type, bucket, key, region, "
			              "endpoint, addressing, tls_verify, lease)",
			              k);
		}
	}
	if (!json_object_get(backend, "bucket") || !json_object_get(backend, "key")) {
		struct lf_pos p = AT("backend");
		lf_diag_error(d, &p, "backend: an s3 backend needs a bucket and a key");
	}
#undef AT
}

/* An environment variable, or NULL when unset or empty. */
static const char *env(lf_backend_getenv_fn getenv_fn, void *arg, const char *name)
{
	const char *v = getenv_fn(arg, name);
	return v && *v ? v : NULL;
}

static int s3_open(struct lf_backend **out, const json_t *be, const char *dir,
                   lf_backend_getenv_fn getenv_fn, void *env_arg, struct lf_diags *d)
{
#define ENV(name) env(getenv_fn, env_arg, (name))
	/* the environment as AWS's own tools read it wins over the file */
	struct lf_s3_backend_conf c;
	const char *addressing = json_string_value(json_object_get(be, "addressing"));
	const char *lease = json_string_value(json_object_get(be, "lease"));
	json_t *tls = json_object_get(be, "tls_verify");

	memset(&c, 0, sizeof(c));
	c.bucket = json_string_value(json_object_get(be, "bucket"));
	c.key = json_string_value(json_object_get(be, "key"));
	c.endpoint = ENV("AWS_ENDPOINT_URL_S3") ? ENV("AWS_ENDPOINT_URL_S3")
	             : ENV("AWS_ENDPOINT_URL")  ? ENV("AWS_ENDPOINT_URL")
	                                       : json_string_value(json_object_get(be, "endpoint"));
	c.virtual_host = addressing && !strcmp(addressing, "virtual");
	c.tls_verify = !json_is_false(tls);
#undef ENV
	if (lease)
		lf_duration_parse(lease, &c.lease_ms);
	if (!c.tls_verify && c.endpoint && !local_endpoint(c.endpoint)) {
		lf_diag_error(d, NULL,
		              "lakeform.yaml: backend.tls_verify is false, but the endpoint "
		              "'%s' is not on this machine",
		              c.endpoint);
		return -EINVAL;
	}
	/* keys and region as AWS's tools find them (src/util/awscreds.h) */
	struct aws_creds_opts ao = {
	    .getenv_fn = getenv_fn,
	    .env_arg = env_arg,
	    .region = json_string_value(json_object_get(be, "region")),
	    .region_source = "lakeform.yaml (backend.region)",
	};
	struct aws_creds creds = AWS_CREDS_INIT;
	char *why = NULL;
	int found = aws_creds_resolve(&creds, &ao, &why);
	if (found < 0) {
		lf_diag_error(d, NULL, "the s3 backend: %s", why);
		free(why);
		return -EINVAL;
	}
	if (found > 0) {
		aws_creds_release(&creds);
		lf_diag_error(
		    d, NULL,
		    "the s3 backend needs credentials: set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or "
		    "name a profile of the shared files with AWS_PROFILE");
		return -EINVAL;
	}
	c.region = creds.region;
	c.access_key = creds.access_key;
	c.secret_key = creds.secret_key;
	c.session_token = creds.session_token;
	if (!creds.region) {
		free(creds.region_source);
		creds.region = lf_xstrdup("us-east-1");
		creds.region_source = lf_xstrdup("the default");
		c.region = creds.region;
	}
	int err = open_conf(out, &c, dir);
	if (err) {
		lf_diag_error(d, NULL, "cannot open the s3 state: %s", lf_state_strerror(err));
	} else {
		char *what = aws_creds_describe(&creds);
		(*out)->info = lf_xasprintf("s3 state backend: %s", what);
		free(what);
	}
	aws_creds_release(&creds);
	return err;
}

/* ---- opening ------------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
	return s && *s ? lf_xstrdup(s) : NULL;
}

/*
 * Open the state at s3://bucket/key, working in a directory of this
 * process's own under `local_dir`/s3/ (removed by lf_backend_free()).
 * Nothing is sent until the state is locked or loaded.  0 or -errno.
 */
static int open_conf(struct lf_backend **out, const struct lf_s3_backend_conf *c,
                     const char *local_dir)
{
	struct lf_remote *r = lf_xcalloc(1, sizeof(*r));
	char *base = lf_xasprintf("%s/s3", local_dir);
	char *tmpl = run_dir_template(base);
	int err = 0;

	/* .lakeform/s3 is made without following a link, as the local state */
	if ((err = lf_mkdirs_nofollow(AT_FDCWD, base, 0700)) == -ELOOP) {
		err = lf_state__refuse_link(base, err);
	} else if (!mkdtemp(tmpl)) {
		err = errno ? -errno : -EIO;
		lf_backend__set_error("cannot make a working directory under '%s': %s", base,
		                      strerror(errno));
	} else {
		err = 0;
	}
	if (err) {
		free(base);
		free(tmpl);
		free(r);
		return err;
	}
	free(base);
	r->conf.endpoint = dup_or_null(c->endpoint);
	if (r->conf.endpoint) {
		size_t n = strlen(r->conf.endpoint);
		while (n && r->conf.endpoint[n - 1] == '/')
			r->conf.endpoint[--n] = '\0';
	}
	r->conf.region = lf_xstrdup(c->region && *c->region ? c->region : "us-east-1");
	r->conf.virtual_host = c->virtual_host;
	r->conf.tls_verify = c->tls_verify;
	r->conf.access_key = dup_or_null(c->access_key);
	r->conf.secret_key = dup_or_null(c->secret_key);
	r->conf.session_token = dup_or_null(c->session_token);
	r->bucket = lf_xstrdup(c->bucket);
	r->key = lf_xstrdup(c->key);
	r->journal_key = lf_xasprintf("%s.journal", c->key);
	r->lock_key = lf_xasprintf("%s.lock", c->key);
	r->lease_ms = c->lease_ms > 0 ? c->lease_ms : 60000;
	r->workdir = tmpl;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);

	*out = lf_backend__new(&lf_backend_s3_ops, r->workdir);
	(*out)->impl = r;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void s3_free(struct lf_backend *b)
{
	struct lf_remote *r = b->impl;

	if (!r)
		return;
	/* lf_state_unlock() ran before: the keeper has stopped */
	nftw(r->workdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(r->conf.endpoint);
	free(r->conf.region);
	free(r->conf.access_key);
	free(r->conf.secret_key);
	free(r->conf.session_token);
	free(r->bucket);
	free(r->key);
	free(r->journal_key);
	free(r->lock_key);
	free(r->workdir);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
	b->impl = NULL;
}

/* ---- fetching ----------------------------------------------------------- */

/* GET `key` into `path` (removed when the object does not exist). */
static int fetch(struct lf_remote *r, const char *key, const char *path, char *etag,
                 size_t etag_size)
{
	struct s3_resp resp = S3_RESP_INIT;
	int err = 0;

	if (s3_send(r, "GET", key, NULL, 0, NULL, NULL, &resp) < 0 ||
	    (resp.status != 200 && resp.status != 404)) {
		err = request_error(r, "GET", key, &resp);
	} else if (resp.status == 404) {
		if (unlink(path) < 0 && errno != ENOENT)
			err = -errno;
		if (etag)
			etag[0] = '\0';
	} else {
		err = lf_write_file_atomic_nofollow(
		    AT_FDCWD, path, resp.body.ptr ? resp.body.ptr : "", resp.body.len, 0600, 1);
		if (etag)
			snprintf(etag, etag_size, "%s", resp.etag);
	}
	s3_resp_release(&resp);
	return err;
}

static int s3_pull(struct lf_backend *b)
{
	struct lf_remote *r = b->impl;
	char etag[128];
	int err;

	if (!r || r->pulled)
		return 0;
	err = fetch(r, r->key, b->state_path, etag, sizeof(etag));
	if (!err)
		err = fetch(r, r->journal_key, b->journal_path, NULL, 0);
	if (err)
		return err;
	pthread_mutex_lock(&r->mu);
	snprintf(r->snap_etag, sizeof(r->snap_etag), "%s", etag);
	pthread_mutex_unlock(&r->mu);
	r->pulled = 1;
	return 0;
}

/* ---- the keeper: journal uploads and lease renewals ---------------------- */

static void expiry(char out[32], long lease_ms)
{
	/* rounded up: the lease lasts at least its length, in whole seconds */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t t = ts.tv_sec + (ts.tv_nsec / 1000000 + lease_ms + 999) / 1000;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int expired(const struct lf_lock_info *i)
{
	char now[32];

	if (!i->expires[0])
		return 0; /* no lease: only force-unlock removes it */
	lf_state__now(now);
	return strcmp(now, i->expires) > 0; /* both UTC RFC 3339: text order is time order */
}

/* Upload the journal file as it is now.  Called without r->mu. */
static int upload_journal(struct lf_backend *b)
{
	struct lf_remote *r = b->impl;
	struct s3_resp resp = S3_RESP_INIT;
	char *data = NULL;
	size_t len = 0;
	int err = lf_state__read(&data, &len, b->journal_path);

	if (err == -ENOENT)
		return 0; /* compacted meanwhile */
	if (err)
		return err;
	if (s3_send(r, "PUT", r->journal_key, data, len, NULL, NULL, &resp) < 0 ||
	    resp.status != 200)
		err = request_error(r, "PUT", r->journal_key, &resp);
	s3_resp_release(&resp);
	free(data);
	return err;
}

/* Renew the lease: replace our lock object, only if it is still ours. */
static int renew(struct lf_remote *r)
{
	struct s3_resp resp = S3_RESP_INIT;
	char etag[128];
	int err = 0;

	pthread_mutex_lock(&r->mu);
	expiry(r->me.expires, r->lease_ms);
	char *text = lf_state__lock_text(&r->me);
	snprintf(etag, sizeof(etag), "%s", r->lock_etag);
	pthread_mutex_unlock(&r->mu);
	if (s3_send_if_match(r, "PUT", r->lock_key, text, strlen(text), etag, &resp) < 0)
		err = request_error(r, "PUT", r->lock_key, &resp);
	else if (resp.status == 412)
		err = LF_STATE_ECONFLICT;
	else if (resp.status != 200)
		err = request_error(r, "PUT", r->lock_key, &resp);
	if (!err) {
		pthread_mutex_lock(&r->mu);
		snprintf(r->lock_etag, sizeof(r->lock_etag), "%s", resp.etag);
		pthread_mutex_unlock(&r->mu);
	}
	s3_resp_release(&resp);
	free(text);
	return err;
}

/* The lease is proved until `lease_ms` from now (a lock or renewal that
 * just succeeded); 0 ends the lease's watch, -1 says it is lost. */
static void lease_proved(struct lf_backend *b, long until)
{
	__atomic_store_n(&b->lease_until_ms, until, __ATOMIC_RELEASE);
}

/* Say what happened to the lease as it happens (the CLI prints it). */
static void lease_notice(struct lf_backend *b, int err, long proved_until)
{
	struct lf_remote *r = b->impl;
	char *msg;

	if (!b->notice)
		return;
	if (err == LF_STATE_ECONFLICT)
		msg = lf_xasprintf("the lock s3://%s/%s was taken over by another run: no new "
		                   "change starts",
		                   r->bucket, r->lock_key);
	else if (proved_until > lf_now_ms())
		msg = lf_xasprintf("cannot renew the lease of s3://%s/%s: %s; it ends in %ld s "
		                   "unless a renewal succeeds",
		                   r->bucket, r->lock_key, lf_state_strerror(err),
		                   (proved_until - lf_now_ms()) / 1000);
	else
		msg = lf_xasprintf("cannot renew the lease of s3://%s/%s: %s; it has ended: no new "
		                   "change starts",
		                   r->bucket, r->lock_key, lf_state_strerror(err));
	b->notice(b->notice_arg, msg);
	free(msg);
}

static void *keeper(void *arg)
{
	struct lf_backend *b = arg;
	struct lf_remote *r = b->impl;
	struct timespec next;

	long proved = __atomic_load_n(&b->lease_until_ms, __ATOMIC_ACQUIRE);

	clock_gettime(CLOCK_REALTIME, &next);
	next.tv_sec += r->lease_ms / 3000 ? r->lease_ms / 3000 : 1;
	pthread_mutex_lock(&r->mu);
	while (!r->stop || r->journal_dirty) {
		if (r->journal_dirty) {
			r->journal_dirty = 0;
			r->uploading = 1;
			pthread_mutex_unlock(&r->mu);
			int err = upload_journal(b);
			pthread_mutex_lock(&r->mu);
			r->uploading = 0;
			if (err && !r->err)
				r->err = err;
			pthread_cond_broadcast(&r->cv);
			continue;
		}
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec >= next.tv_sec) {
			pthread_mutex_unlock(&r->mu);
			long asked = lf_now_ms();
			int err = renew(r);
			if (!err) {
				proved = asked + r->lease_ms;
				lease_proved(b, proved);
			} else {
				if (err == LF_STATE_ECONFLICT)
					proved = -1;
				lease_proved(b, proved);
				lease_notice(b, err, proved);
			}
			pthread_mutex_lock(&r->mu);
			if (err && !r->err)
				r->err = err;
			next = now;
			next.tv_sec += r->lease_ms / 3000 ? r->lease_ms / 3000 : 1;
			continue;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &next);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void s3_journal_synced(struct lf_backend *b)
{
	struct lf_remote *r = b->impl;

	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->journal_dirty = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Wait until no journal upload is queued or running. */
static void drain(struct lf_remote *r)
{
	pthread_mutex_lock(&r->mu);
	while (r->keeper_running && (r->journal_dirty || r->uploading))
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

/* ---- the lock ------------------------------------------------------------ */

/* The lock object's description and ETag: 1 when it exists, 0 when not. */
static int read_lock(struct lf_remote *r, struct lf_lock_info *info, char *etag, size_t n, int *err)
{
	struct s3_resp resp = S3_RESP_INIT;
	int has = 0;

	*err = 0;
	memset(info, 0, sizeof(*info));
	if (s3_send(r, "GET", r->lock_key, NULL, 0, NULL, NULL, &resp) < 0 ||
	    (resp.status != 200 && resp.status != 404)) {
		*err = request_error(r, "GET", r->lock_key, &resp);
	} else if (resp.status == 200) {
		has = 1;
		lf_state__lock_parse(info, resp.body.ptr ? resp.body.ptr : "", resp.body.len);
		if (etag)
			snprintf(etag, n, "%s", resp.etag);
	}
	s3_resp_release(&resp);
	return has;
}

static int remote_lock(struct lf_backend *b, long timeout_ms, struct lf_lock_info *holder)
{
	struct lf_remote *r = b->impl;
	struct timespec start;
	long delay = 1000;
	long asked;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (!r)
		return 0;
	/* a lock on a store that ignores If-None-Match would not lock */
	if ((err = probe_conditional(r)) != 0)
		return err;
	r->me = b->lock;
	snprintf(r->me.path, sizeof(r->me.path), "s3://%s/%s", r->bucket, r->key);
	for (;;) {
		struct s3_resp resp = S3_RESP_INIT;

		expiry(r->me.expires, r->lease_ms);
		char *text = lf_state__lock_text(&r->me);
		asked = lf_now_ms();
		int sent = s3_send(r, "PUT", r->lock_key, text, strlen(text), NULL, "*", &resp);
		free(text);
		if (sent == 0 && resp.status == 200) {
			snprintf(r->lock_etag, sizeof(r->lock_etag), "%s", resp.etag);
			s3_resp_release(&resp);
			break;
		}
		if (sent < 0 || (resp.status != 412 && resp.status != 409)) {
			err = request_error(r, "PUT", r->lock_key, &resp);
			s3_resp_release(&resp);
			return err;
		}
		s3_resp_release(&resp);

		/* someone holds it: whom, and is their lease over? */
		struct lf_lock_info other;
		char etag[128] = "";
		if (!read_lock(r, &other, etag, sizeof(etag), &err)) {
			if (err)
				return err;
			continue; /* released meanwhile: try again at once */
		}
		if (expired(&other)) {
			/* its holder stopped renewing: take it over, only as it
			 * is now (another taker may be quicker) */
			struct s3_resp del = S3_RESP_INIT;
			s3_send_if_match(r, "DELETE", r->lock_key, NULL, 0, etag, &del);
			s3_resp_release(&del);
			continue;
		}
		long waited = lf_ms_since(&start);
		if (waited >= timeout_ms) {
			if (holder)
				*holder = other;
			return LF_STATE_ELOCKED;
		}
		lf_sleep_ms(delay < timeout_ms - waited ? delay : timeout_ms - waited);
		delay = delay * 2 > 16000 ? 16000 : delay * 2;
	}
	b->lock = r->me;
	/* what the last writer left, read under the lock */
	r->pulled = 0;
	if ((err = s3_pull(b)) != 0 || (err = clean_dead_runs(b)) != 0) {
		remote_unlock(b);
		return err;
	}
	r->stop = 0;
	r->err = 0;
	lease_proved(b, asked + r->lease_ms);
	if (pthread_create(&r->keeper, NULL, keeper, b) == 0)
		r->keeper_running = 1;
	return 0;
}

static int remote_unlock(struct lf_backend *b)
{
	struct lf_remote *r = b->impl;
	struct s3_resp resp = S3_RESP_INIT;
	int err;

	if (!r || !r->lock_etag[0])
		return 0;
	if (r->keeper_running) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->keeper, NULL); /* uploads what is left first */
		r->keeper_running = 0;
	}
	err = r->err;
	lease_proved(b, 0);
	/* only our own lock object: not one taken over after our lease */
	if (s3_send_if_match(r, "DELETE", r->lock_key, NULL, 0, r->lock_etag, &resp) < 0 ||
	    (resp.status != 204 && resp.status != 200 && resp.status != 412 &&
	     resp.status != 404)) {
		if (!err)
			err = request_error(r, "DELETE", r->lock_key, &resp);
	}
	s3_resp_release(&resp);
	r->lock_etag[0] = '\0';
	return err;
}

static int s3_lock_read(struct lf_backend *b, struct lf_lock_info *info, int *held)
{
	int err, has = read_lock(b->impl, info, NULL, 0, &err);

	if (err)
		return err;
	*held = has && !expired(info);
	return has;
}

static int s3_force_unlock(struct lf_backend *b, const char *id, struct lf_diags *d)
{
	struct lf_remote *r = b->impl;
	struct lf_lock_info info;
	struct s3_resp resp = S3_RESP_INIT;
	char etag[128] = "";
	int err;

	if (!read_lock(r, &info, etag, sizeof(etag), &err)) {
		if (err) {
			lf_diag_error(d, NULL, "%s", lf_state_strerror(err));
			return err;
		}
		lf_diag_error(d, NULL, "the state is not locked");
		return LF_STATE_ENOLOCK;
	}
	if (strcmp(info.id, id)) {
		lf_diag_error(d, NULL, "lock ID '%s' does not match the lock's ID '%s'", id,
		              info.id);
		return LF_STATE_ELOCKID;
	}
	if (s3_send_if_match(r, "DELETE", r->lock_key, NULL, 0, etag, &resp) < 0 ||
	    (resp.status != 204 && resp.status != 200)) {
		err = resp.status == 412 ? LF_STATE_ECONFLICT
		                         : request_error(r, "DELETE", r->lock_key, &resp);
		lf_diag_error(d, NULL, "%s", lf_state_strerror(err));
	}
	s3_resp_release(&resp);
	return err;
}

/* ---- writing the snapshot ------------------------------------------------ */

static int s3_push(struct lf_backend *b)
{
	struct lf_remote *r = b->impl;
	struct s3_resp resp = S3_RESP_INIT;
	char *data = NULL;
	size_t len = 0;
	char etag[128];
	int err;

	if (!r)
		return 0;
	/* a lock taken over is another run's: its state is not ours to write */
	if (__atomic_load_n(&b->lease_until_ms, __ATOMIC_ACQUIRE) < 0)
		return LF_STATE_ELEASE;
	/* a journal upload in flight finishes first; none is needed after */
	drain(r);
	pthread_mutex_lock(&r->mu);
	if (r->err) {
		err = r->err;
		pthread_mutex_unlock(&r->mu);
		return err;
	}
	snprintf(etag, sizeof(etag), "%s", r->snap_etag);
	pthread_mutex_unlock(&r->mu);
	if ((err = lf_state__read(&data, &len, b->state_path)) != 0)
		return err;
	if ((etag[0] ? s3_send_if_match(r, "PUT", r->key, data, len, etag, &resp)
	             : s3_send(r, "PUT", r->key, data, len, NULL, "*", &resp)) < 0)
		err = request_error(r, "PUT", r->key, &resp);
	else if (resp.status == 412)
		err = LF_STATE_ECONFLICT;
	else if (resp.status != 200)
		err = request_error(r, "PUT", r->key, &resp);
	free(data);
	if (!err) {
		pthread_mutex_lock(&r->mu);
		snprintf(r->snap_etag, sizeof(r->snap_etag), "%s", resp.etag);
		r->journal_dirty = 0;
		pthread_mutex_unlock(&r->mu);
		s3_resp_release(&resp);
		/* the snapshot holds the journal now */
		struct s3_resp del = S3_RESP_INIT;
		if (s3_send(r, "DELETE", r->journal_key, NULL, 0, NULL, NULL, &del) < 0 ||
		    (del.status != 204 && del.status != 200 && del.status != 404))
			err = request_error(r, "DELETE", r->journal_key, &del);
		s3_resp_release(&del);
		return err;
	}
	s3_resp_release(&resp);
	return err;
}

/* ---- the operations ----------------------------------------------------- */

/* The working copy's lock, then the lock object, within the same wait. */
static int s3_lock(struct lf_backend *b, const char *operation, long timeout_ms,
                   struct lf_lock_info *holder)
{
	struct timespec start;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	err = lf_local__lock(b, operation, timeout_ms, holder);

	if (err)
		return err;
	long left = timeout_ms - lf_ms_since(&start);
	err = remote_lock(b, left > 0 ? left : 0, holder);
	if (err) {
		remote_unlock(b);
		lf_local__unlock(b);
	}
	return err;
}

static int s3_unlock(struct lf_backend *b)
{
	int err = remote_unlock(b);

	lf_local__unlock(b);
	return err;
}

static int s3_renew(struct lf_backend *b)
{
	return renew(b->impl);
}

static unsigned s3_capabilities(const struct lf_backend *b)
{
	return LF_BACKEND_CAP_REMOTE | LF_BACKEND_CAP_LEASE;
}

const struct lf_backend_ops lf_backend_s3_ops = {
    .version = LF_BACKEND_OPS_VERSION,
    .usage = "{type: s3, bucket: NAME, key: PATH, ...}",
    .check = s3_check,
    .open = s3_open,
    .pull = s3_pull,
    .journal_synced = s3_journal_synced,
    .push = s3_push,
    .lock = s3_lock,
    .renew = s3_renew,
    .unlock = s3_unlock,
    .lock_read = s3_lock_read,
    .force_unlock = s3_force_unlock,
    .capabilities = s3_capabilities,
    .free = s3_free,
};

/* ---- leftovers of runs that died on this machine ---------------------------
 *
 * Each run works in .lakeform/s3/run.HOST.PID.RANDOM (made by mkdtemp), removed when it ends.
 * A run killed (kill -9, a crash) leaves its directory behind, and in it
 * the journal of its last steps, whose last batch may never have reached
 * the journal object.  The next run on the same machine that holds the
 * lock removes the directories of runs whose process is gone; first, when
 * the dead run's journal continues the journal object (same lineage, the
 * serial after the snapshot's, the object's bytes a prefix of it), it is
 * taken as this run's journal and uploaded, so that its intents are
 * settled by reading the provider instead of being sent again.
 */

static char *run_dir_template(const char *base)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) != 0 || !*host)
		snprintf(host, sizeof(host), "localhost");
	for (char *c = host; *c; c++)
		if (*c == '/' || *c == '.')
			*c = '_';
	return lf_xasprintf("%s/run.%s.%ld.XXXXXX", base, host, (long)getpid());
}

/* The pid of a run directory's name when the run was on this machine and
 * its process is gone, else 0. */
static long dead_run(const char *name)
{
	char host[256] = "", mine[256] = "";
	const char *dot, *last;
	long pid;
	char *end;

	if (strncmp(name, "run.", 4))
		return 0;
	last = strrchr(name, '.');
	if (last == name + 3)
		return 0;
	for (dot = last - 1; dot > name + 3 && *dot != '.'; dot--)
		;
	if (dot <= name + 3 || (size_t)(dot - name - 4) >= sizeof(host))
		return 0;
	memcpy(host, name + 4, (size_t)(dot - name - 4));
	pid = strtol(dot + 1, &end, 10);
	if (end != last || pid <= 0 || pid == (long)getpid())
		return 0;
	if (gethostname(mine, sizeof(mine) - 1) != 0 || !*mine)
		snprintf(mine, sizeof(mine), "localhost");
	for (char *c = mine; *c; c++)
		if (*c == '/' || *c == '.')
			*c = '_';
	if (strcmp(host, mine) || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return 0;
	return pid;
}

/* Lineage and serial of the first record of a journal's text. */
static int journal_head(const char *text, size_t len, char lineage[37], long long *serial)
{
	const char *nl = memchr(text, '\n', len);
	json_t *rec = nl ? json_loadb(text, (size_t)(nl - text), 0, NULL) : NULL;
	const char *l = json_string_value(json_object_get(rec, "lineage"));
	int ok = l && strlen(l) == 36 && json_is_integer(json_object_get(rec, "serial"));

	if (ok) {
		memcpy(lineage, l, 37);
		*serial = json_integer_value(json_object_get(rec, "serial"));
	}
	json_decref(rec);
	return ok ? 0 : -1;
}

/* Lineage ("" for none) and serial (0) of the working copy's snapshot. */
static void snapshot_head(const struct lf_backend *b, char lineage[37], long long *serial)
{
	char *text = NULL;
	size_t len = 0;
	json_t *h = NULL;

	lineage[0] = '\0';
	*serial = 0;
	if (lf_state__read(&text, &len, b->state_path) != 0)
		return;
	/* the header line, closed, is a document of its own */
	const char *nl = memchr(text, '\n', len);
	if (nl && nl - text > 14 && !memcmp(nl - 14, ",\"resources\":[", 14)) {
		struct lf_buf hb = LF_BUF_INIT;
		lf_buf_add(&hb, text, (size_t)(nl - text));
		lf_buf_adds(&hb, "]}");
		h = json_loadb(hb.ptr, hb.len, 0, NULL);
		lf_buf_release(&hb);
	} else {
		h = json_loadb(text, len, 0, NULL);
	}
	const char *l = json_string_value(json_object_get(h, "lineage"));
	if (l && strlen(l) == 36)
		memcpy(lineage, l, 37);
	*serial = json_integer_value(json_object_get(h, "serial"));
	json_decref(h);
	free(text);
}

/* Take a dead run's journal when it continues the one just pulled. */
static int adopt_journal(struct lf_backend *b, const char *dead_dir)
{
	char *path = lf_xasprintf("%s/%s", dead_dir, LF_JOURNAL_FILE);
	char *dead = NULL, *ours = NULL, lineage[37], snap_lineage[37];
	size_t dlen = 0, olen = 0;
	long long serial, snap_serial;
	int err = 0;

	if (lf_state__read(&dead, &dlen, path) != 0 || !dlen ||
	    journal_head(dead, dlen, lineage, &serial) != 0)
		goto out;
	snapshot_head(b, snap_lineage, &snap_serial);
	if (serial != snap_serial + 1 || (snap_lineage[0] && strcmp(lineage, snap_lineage)))
		goto out; /* compacted since, or another state's */
	if (lf_state__read(&ours, &olen, b->journal_path) != 0)
		olen = 0;
	if (olen >= dlen || (olen && memcmp(ours, dead, olen)))
		goto out; /* nothing more than the object holds, or not its sequel */
	if ((err = lf_write_file_atomic(b->journal_path, dead, dlen, 0600)) == 0)
		err = upload_journal(b);
out:
	free(path);
	free(dead);
	free(ours);
	return err;
}

static int clean_dead_runs(struct lf_backend *b)
{
	struct lf_remote *r = b->impl;
	char *base = lf_xstrdup(r->workdir);
	char *slash = strrchr(base, '/');
	DIR *d;
	struct dirent *e;
	int err = 0;

	if (slash)
		*slash = '\0';
	/* .lakeform/s3 -> .lakeform: what killed writers left beside it */
	slash = strrchr(base, '/');
	if (slash) {
		*slash = '\0';
		lf_state__clean_leftovers(base);
		*slash = '/';
	}
	if (!(d = opendir(base))) {
		free(base);
		return 0;
	}
	while (!err && (e = readdir(d)) != NULL) {
		if (!dead_run(e->d_name))
			continue;
		char *dir = lf_xasprintf("%s/%s", base, e->d_name);
		err = adopt_journal(b, dir);
		if (!err)
			nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(dir);
	}
	closedir(d);
	free(base);
	return err;
}
