/*
 * lakeform-provider-s3 - storage.bucket, storage.prefix and storage.policy
 * on the S3 REST API (AWS, or any store that speaks it: MinIO, Ceph, moto).
 *
 * Where lakeform's labels live (docs/s3.md says the same for users):
 * - a bucket carries them as bucket tags, beside two tags of its own,
 *   `lakeform:purpose` and `lakeform:force_destroy`, which record the
 *   inputs of those names so that read can report them;
 * - a prefix is a marker object, the key `<path>` (ending in '/', the
 *   "folder" object S3 consoles make), whose object tags are its labels and
 *   `lakeform:purpose`;
 * - a policy is the bucket policy; its top-level `Id` holds the labels as
 *   `lakeform/account=<a>;lakeform/address=<address>`, and each grant
 *   statement compiles to statements whose Sid starts with "Lakeform".
 *
 * read reports attributes keyed like the inputs (labels from the tags,
 * versioning from the bucket's versioning status, encryption from its
 * default encryption configuration, statements decompiled
 * from the policy document), so a change made behind lakeform's back shows
 * up as a difference in the next plan.
 *
 * An object is lakeform's when its labels name this account and the
 * request's address.  A name taken by an object without them is a conflict
 * (1002) and the object is left alone; one whose labels were removed is
 * still updated by id, which is how lost tags heal.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sdk/lfp.h"
#include "../sdk/lfp_files.h"
#include "util/s3http.h"
#include "util/s3policy.h"
#include "util/awscreds.h"
#include "util/buf.h"
#include "util/mem.h"

#define LABEL_ADDRESS "lakeform/address"
#define LABEL_ACCOUNT "lakeform/account"
#define TAG_PURPOSE "lakeform:purpose"
#define TAG_FORCE "lakeform:force_destroy"
#define SID_PREFIX "Lakeform"
#define XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

/*
 * The optional parts of S3 a store may lack.  `features: {NAME: false}` in
 * the settings goes without one; a store found lacking one (501, or a 400
 * without a message to a request only that feature makes) is remembered
 * for the rest of the run, so it is asked once and named in every error.
 */
enum feature { F_TAGGING, F_ENCRYPTION, F_POLICY, F_NFEATURES };

static const char *const feature_names[F_NFEATURES] = {"tagging", "encryption", "policy"};
static const char *const feature_words[F_NFEATURES] = {"bucket tagging", "default encryption",
                                                       "bucket policies"};

struct s3 {
	struct s3_conf conf;
	json_t *principals; /* name -> ARN, owned */
	int configured;
	int off[F_NFEATURES];   /* features: {NAME: false} */
	pthread_mutex_t mu;     /* guards the two below */
	int lacks[F_NFEATURES]; /* the store answered that it has none */
	char lack_answer[F_NFEATURES][96];
};

static struct s3 s3_state = {.mu = PTHREAD_MUTEX_INITIALIZER};

static struct s3 *st(struct lfp_call *call)
{
	return lfp_call_state(call);
}

static const struct s3_conf *conf_of(struct lfp_call *call)
{
	return &st(call)->conf;
}

/* ---- requests and their errors ---------------------------------------- */

/* Send a request within the call's deadline: 0 answered, -1 not. */
static int send_req(struct lfp_call *call, const struct s3_req *q, struct s3_resp *r)
{
	return s3_request(conf_of(call), lfp_call_remaining_ms(call), q, r);
}

/*
 * Whether an answer says the store lacks what was asked: 501 or
 * NotImplemented; with `bare_400`, also a 400 without a message (Ceph's
 * answer to PutBucketEncryption), for requests only that feature makes.
 */
static int lacks_feature(int answered, const struct s3_resp *r, int bare_400)
{
	if (!answered)
		return 0;
	if (r->status == 501 || !strcmp(r->code, "NotImplemented"))
		return 1;
	return bare_400 && r->status == 400 && !*r->message &&
	       (!*r->code || !strcmp(r->code, "InvalidArgument") ||
	        !strcmp(r->code, "InvalidRequest"));
}

/*
 * Fail the call because the store lacks feature `f`; the answer that said
 * so is the first one (remembered).  Bucket tagging holds lakeform's
 * ownership labels: no setting goes without it.  Returns -1.
 */
static int feature_fail(struct lfp_call *call, enum feature f, const struct s3_resp *r,
                        const char *what)
{
	struct s3 *s = st(call);
	char answer[96];

	pthread_mutex_lock(&s->mu);
	if (r && !s->lacks[f]) {
		snprintf(s->lack_answer[f], sizeof(s->lack_answer[f]), "%ld %s", r->status,
		         *r->code ? r->code : "(no code)");
		s->lacks[f] = 1;
		lfp_log("the store does not support %s: it answered %s for %s", feature_words[f],
		        s->lack_answer[f], what);
	}
	snprintf(answer, sizeof(answer), "%s", s->lack_answer[f]);
	pthread_mutex_unlock(&s->mu);
	if (f == F_TAGGING)
		lfp_error(call, LFP_E_INVALID, 0,
		          "the store does not support %s (it answered %s for %s): lakeform keeps "
		          "its ownership labels in tags and cannot manage buckets on it",
		          feature_words[f], answer, what);
	else
		lfp_error(call, LFP_E_INVALID, 0,
		          "the store does not support %s (it answered %s for %s): set 'features: "
		          "{%s: false}' in the s3 provider's settings to go without it",
		          feature_words[f], answer, what, feature_names[f]);
	return -1;
}

/* Whether to use feature `f`: on in the settings; -1 after lfp_error() when
 * the store was found lacking it earlier in this run. */
static int use_feature(struct lfp_call *call, enum feature f, const char *what)
{
	struct s3 *s = st(call);
	int lacks;

	if (s->off[f])
		return 0;
	pthread_mutex_lock(&s->mu);
	lacks = s->lacks[f];
	pthread_mutex_unlock(&s->mu);
	return lacks ? feature_fail(call, f, NULL, what) : 1;
}

/*
 * Fail the call for an answer that is not a success (or no answer), in
 * words that name `what` ("bucket 'raw'").  Returns -1.
 */
static int s3_fail(struct lfp_call *call, int answered, const struct s3_resp *r, const char *what)
{
	const struct s3_conf *c = conf_of(call);
	const char *ep = c->endpoint ? c->endpoint : "aws";

	if (!answered) {
		lfp_error(call, LFP_E_UNAVAILABLE, 1, "cannot reach s3 at '%s' for %s: %s", ep,
		          what, r->transport);
		return -1;
	}
	if (!strcmp(r->code, "SignatureDoesNotMatch")) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "s3 rejected the request signature for %s: the secret access key does "
		          "not match access key id '%s' (SignatureDoesNotMatch)",
		          what, c->access_key);
	} else if (!strcmp(r->code, "InvalidAccessKeyId")) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "s3 does not know access key id '%s' (InvalidAccessKeyId), asked for %s",
		          c->access_key, what);
	} else if (!strcmp(r->code, "ExpiredToken") || !strcmp(r->code, "InvalidToken")) {
		lfp_error(call, LFP_E_INVALID, 0, "the session token was refused for %s (%s)", what,
		          r->code);
	} else if (!strcmp(r->code, "AccessDenied") || r->status == 403) {
		lfp_error(call, LFP_E_CONFLICT, 0,
		          "access denied to %s: the credentials may not use it, or another "
		          "account owns it (%s)",
		          what, *r->code ? r->code : "403");
	} else if (!strcmp(r->code, "NoSuchBucket")) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "%s does not exist (NoSuchBucket)", what);
	} else if (!strcmp(r->code, "BucketNotEmpty")) {
		lfp_error(call, LFP_E_CONFLICT, 0, "%s is not empty (BucketNotEmpty)", what);
	} else if (!strcmp(r->code, "BucketAlreadyExists")) {
		lfp_error(call, LFP_E_CONFLICT, 0,
		          "the name of %s is taken by another account (BucketAlreadyExists)", what);
	} else if (!strcmp(r->code, "BucketAlreadyOwnedByYou")) {
		lfp_error(
		    call, LFP_E_CONFLICT, 0,
		    "%s exists already and was not made by lakeform (BucketAlreadyOwnedByYou)",
		    what);
	} else if (s3_resp_busy(r)) {
		lfp_error(call, LFP_E_UNAVAILABLE, 1, "s3 is busy for %s: %ld %s", what, r->status,
		          *r->code ? r->code : "(no code)");
	} else {
		lfp_error(call, LFP_E_INVALID, 0, "s3 answered %ld %s for %s%s%s", r->status,
		          *r->code ? r->code : "(no code)", what, *r->message ? ": " : "",
		          r->message);
	}
	return -1;
}

static int ok_status(const struct s3_resp *r)
{
	return r->status >= 200 && r->status < 300;
}

/* ---- names and paths --------------------------------------------------- */

static int valid_bucket(const char *name)
{
	size_t n = strlen(name);

	if (n < 3 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && ((c != '.' && c != '-') || i == 0 || i == n - 1))
			return 0;
	}
	return 1;
}

/* "a/b/" segments of [A-Za-z0-9_.-], no "." or ".."; "" when allow_empty. */
static int valid_path(const char *path, int allow_empty)
{
	const char *p = path;

	if (!*p)
		return allow_empty;
	while (*p) {
		const char *s = p;
		while (*p && *p != '/') {
			char c = *p;
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
				return 0;
			p++;
		}
		if (*p != '/' || p == s || (p - s == 1 && s[0] == '.') ||
		    (p - s == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		p++;
	}
	return 1;
}

static int need_bucket(struct lfp_call *call, const char *name)
{
	if (valid_bucket(name))
		return 0;
	lfp_error(call, LFP_E_INVALID, 0, "invalid bucket name '%s'", name);
	return -1;
}

static int need_obj(struct lfp_call *call, const json_t *params, const char *key, json_t **out)
{
	*out = json_object_get(params, key);
	if (!json_is_object(*out)) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "'%s' must be an object", key);
		return -1;
	}
	return 0;
}

/* Whether labels name this account (or none is configured). */
static int ours(struct lfp_call *call, const json_t *labels)
{
	const char *acct = lfp_get_str(labels, LABEL_ACCOUNT);
	const char *want = lfp_call_account(call);

	return lfp_get_str(labels, LABEL_ADDRESS) && (!*want || (acct && !strcmp(acct, want)));
}

/*
 * Whether an object with `labels` may be changed for `address`: ours, or
 * without lakeform's labels at all (they were removed; the id says it is
 * the one).  Fails the call (1002) when they name someone else.
 */
static int may_change(struct lfp_call *call, const json_t *attrs, const char *address,
                      const char *what)
{
	const json_t *labels = json_object_get(attrs, "labels");

	if (!lfp_get_str(labels, LABEL_ADDRESS) || lfp_owned_by(call, attrs, address))
		return 0;
	lfp_error(call, LFP_E_CONFLICT, 0, "%s belongs to '%s'", what, lfp_owner_of(attrs));
	return -1;
}

/* ---- tags ------------------------------------------------------------ */

/* The TagSet of a tagging document, as an object. */
static json_t *parse_tags(const char *xml)
{
	json_t *tags = json_object();
	const char *p = xml;
	char *tag;

	while ((tag = s3_xml_text(p, "Tag", &p))) {
		char *k = s3_xml_text(tag, "Key", NULL), *v = s3_xml_text(tag, "Value", NULL);
		if (k)
			json_object_set_new(tags, k, json_string(v ? v : ""));
		free(k);
		free(v);
		free(tag);
	}
	return tags;
}

static json_t *labels_of_tags(const json_t *tags)
{
	json_t *labels = json_object(), *v;
	const char *k;

	json_object_foreach ((json_t *)tags, k, v)
		if (!strncmp(k, "lakeform/", 9))
			json_object_set(labels, k, v);
	return labels;
}

/* The user's tags among an object's tags: all but lakeform's own. */
static json_t *user_tags_of(const json_t *tags)
{
	json_t *user = json_object(), *v;
	const char *k;

	json_object_foreach ((json_t *)tags, k, v)
		if (strncmp(k, "lakeform/", 9) && strncmp(k, "lakeform:", 9))
			json_object_set(user, k, v);
	return user;
}

/* The labels an object for `address` carries with the inputs' tags (the
 * user's) beside them: what its tag set holds.  NULL after lfp_error(). */
static json_t *labels_and_tags(struct lfp_call *call, const char *address, const json_t *inputs)
{
	json_t *labels = lfp_labels_for(call, address, inputs);
	json_t *tags = labels ? lfp_tags_for(call, inputs) : NULL;

	if (!tags) {
		json_decref(labels);
		return NULL;
	}
	json_object_update(labels, tags);
	json_decref(tags);
	return labels;
}

static char *tagging_xml(const json_t *tags)
{
	struct lf_buf b = LF_BUF_INIT;
	const char *k;
	json_t *v;

	lf_buf_addf(&b, "<Tagging xmlns=\"%s\"><TagSet>", XMLNS);
	json_object_foreach ((json_t *)tags, k, v) {
		lf_buf_adds(&b, "<Tag><Key>");
		s3_xml_escape(&b, k);
		lf_buf_adds(&b, "</Key><Value>");
		s3_xml_escape(&b, json_string_value(v));
		lf_buf_adds(&b, "</Value></Tag>");
	}
	lf_buf_adds(&b, "</TagSet></Tagging>");
	return lf_buf_detach(&b);
}

/* x-amz-tagging: the tags as a URL query. */
static char *tagging_header(const json_t *tags)
{
	struct lf_buf b = LF_BUF_INIT;
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)tags, k, v) {
		if (b.len)
			lf_buf_addc(&b, '&');
		s3_uri_encode(&b, k, 0);
		lf_buf_addc(&b, '=');
		s3_uri_encode(&b, json_string_value(v), 0);
	}
	return lf_buf_detach(&b);
}

/*
 * GET ?tagging of a bucket, or of an object when `key` is given: 0 with
 * *tags, 1 when the bucket (or object) does not exist, -1 after lfp_error().
 */
static int get_tags(struct lfp_call *call, const char *bucket, const char *key, const char *what,
                    json_t **tags, char *version, size_t nversion)
{
	struct s3_req q = {.method = "GET", .bucket = bucket, .key = key, .query = "tagging="};
	struct s3_resp r = S3_RESP_INIT;
	int ok, rc = -1;

	*tags = NULL;
	if (use_feature(call, F_TAGGING, what) < 0)
		return -1;
	ok = send_req(call, &q, &r) == 0;
	if (lacks_feature(ok, &r, 0)) {
		feature_fail(call, F_TAGGING, &r, what);
	} else if (ok && ok_status(&r)) {
		*tags = parse_tags(lf_buf_cstr(&r.body));
		if (version)
			snprintf(version, nversion, "%s", r.version_id);
		rc = 0;
	} else if (ok && r.status == 404 && !strcmp(r.code, "NoSuchTagSet")) {
		*tags = json_object();
		rc = 0;
	} else if (ok && r.status == 404) {
		rc = 1; /* NoSuchBucket, NoSuchKey */
	} else {
		s3_fail(call, ok, &r, what);
	}
	s3_resp_release(&r);
	return rc;
}

static int put_tags(struct lfp_call *call, const char *bucket, const char *key, const json_t *tags,
                    const char *what)
{
	char *xml = tagging_xml(tags);
	struct s3_req q = {.method = "PUT",
	                   .bucket = bucket,
	                   .key = key,
	                   .query = "tagging=",
	                   .body = xml,
	                   .body_len = strlen(xml),
	                   .checksum = 1};
	struct s3_resp r = S3_RESP_INIT;
	int ok, rc = 0;

	if (use_feature(call, F_TAGGING, what) < 0) {
		free(xml);
		return -1;
	}
	ok = send_req(call, &q, &r) == 0;
	if (lacks_feature(ok, &r, 0))
		rc = feature_fail(call, F_TAGGING, &r, what);
	else if (!ok || !ok_status(&r))
		rc = s3_fail(call, ok, &r, what);
	s3_resp_release(&r);
	free(xml);
	return rc;
}

/* ---- storage.bucket -------------------------------------------------- */

static char *what_bucket(const char *name)
{
	return lf_xasprintf("bucket '%s'", name);
}

/*
 * GET ?<sub> of a bucket: 0 with the body in *body (new string), 1 for a
 * 404 or 501 answer (nothing configured, or not supported by the store),
 * -1 after lfp_error().
 */
static int get_sub(struct lfp_call *call, const char *bucket, const char *query, const char *what,
                   char **body)
{
	struct s3_req q = {.method = "GET", .bucket = bucket, .query = query};
	struct s3_resp r = S3_RESP_INIT;
	int ok = send_req(call, &q, &r) == 0, rc = -1;

	*body = NULL;
	if (ok && ok_status(&r)) {
		*body = lf_buf_detach(&r.body);
		rc = 0;
	} else if (ok && (r.status == 404 || r.status == 501) && strcmp(r.code, "NoSuchBucket")) {
		rc = 1;
	} else if (ok && !strcmp(r.code, "NoSuchBucket")) {
		rc = 2;
	} else {
		s3_fail(call, ok, &r, what);
	}
	s3_resp_release(&r);
	return rc;
}

/*
 * A LocationConstraint as S3 defines it: empty (or absent) is us-east-1,
 * `EU` is eu-west-1, anything else shaped like a region (`us-east-1`,
 * `us-gov-west-1`) is that region.  NULL for what is none of these (Ceph
 * answers its zonegroup's name, `default`): not known, so not a change.
 */
static const char *region_of_location(const char *loc)
{
	const char *p = loc;
	int groups = 0;

	if (!loc || !*loc)
		return "us-east-1";
	if (!strcmp(loc, "EU"))
		return "eu-west-1";
	if (!(p[0] >= 'a' && p[0] <= 'z' && p[1] >= 'a' && p[1] <= 'z'))
		return NULL;
	p += 2;
	while (*p == '-' && p[1] >= 'a' && p[1] <= 'z') {
		for (p++; *p >= 'a' && *p <= 'z'; p++)
			;
		groups++;
	}
	if (!groups || *p != '-' || !(p[1] >= '0' && p[1] <= '9'))
		return NULL;
	for (p++; *p >= '0' && *p <= '9'; p++)
		;
	return *p ? NULL : loc;
}

/* `encryption` (taken) as read: {algorithm, kms_key_id when set}; NULL: none. */
static json_t *bucket_attrs(const char *name, const char *region, const json_t *tags,
                            int versioning, json_t *encryption)
{
	const char *purpose = lfp_get_str(tags, TAG_PURPOSE);
	const char *force = lfp_get_str(tags, TAG_FORCE);
	char *url = lf_xasprintf("s3://%s/", name);
	json_t *a =
	    json_pack("{s:s, s:o, s:o, s:b, s:b, s:o, s:o, s:s}", "name", name, "region",
	              region ? json_string(region) : json_null(), "purpose",
	              purpose ? json_string(purpose) : json_null(), "force_destroy",
	              force && !strcmp(force, "true"), "versioning", versioning, "encryption",
	              encryption ? encryption : json_pack("{s:s}", "algorithm", "none"), "labels",
	              labels_of_tags(tags), "url", url);

	json_object_set_new(a, "tags", user_tags_of(tags));
	free(url);
	return a;
}

/*
 * A bucket as it is: 0 with *attrs, 1 when it does not exist, -1 after
 * lfp_error().  With `only_ours`, a bucket whose tags do not name this
 * account is reported as 1 after one request.
 */
static int bucket_load(struct lfp_call *call, const char *name, int only_ours, json_t **attrs)
{
	char *what = what_bucket(name), *body = NULL, *location = NULL, *status = NULL;
	const char *region;
	char *alg = NULL, *key = NULL;
	json_t *tags = NULL, *enc = NULL;
	int rc;

	*attrs = NULL;
	rc = get_tags(call, name, NULL, what, &tags, NULL, 0);
	if (rc)
		goto out;
	if (only_ours) {
		json_t *labels = labels_of_tags(tags);
		int mine = ours(call, labels);
		json_decref(labels);
		if (!mine) {
			rc = 1;
			goto out;
		}
	}
	if ((rc = get_sub(call, name, "location=", what, &body)) < 0)
		goto out;
	if (rc == 2) {
		rc = 1;
		goto out;
	}
	location = body ? s3_xml_text(body, "LocationConstraint", NULL) : NULL;
	region = region_of_location(location);
	free(body);
	body = NULL;
	if ((rc = get_sub(call, name, "versioning=", what, &body)) < 0)
		goto out;
	status = body ? s3_xml_text(body, "Status", NULL) : NULL;
	free(body);
	body = NULL;
	if ((rc = use_feature(call, F_ENCRYPTION, what)) < 0)
		goto out;
	if (rc && (rc = get_sub(call, name, "encryption=", what, &body)) < 0)
		goto out;
	/* no configuration (404), or features: {encryption: false}: none */
	alg = body ? s3_xml_text(body, "SSEAlgorithm", NULL) : NULL;
	key = body ? s3_xml_text(body, "KMSMasterKeyID", NULL) : NULL;
	if (alg) {
		enc = json_pack("{s:s}", "algorithm", alg);
		if (key && *key)
			json_object_set_new(enc, "kms_key_id", json_string(key));
	}
	*attrs = bucket_attrs(name, region, tags, status && !strcmp(status, "Enabled"), enc);
	if (!region) {
		/* read, but not understood: the plan keeps the recorded region
		 * (docs/providers.md, "unknown"), and lakeform warns */
		json_object_set_new(
		    *attrs, "unknown",
		    json_pack("{s:o}", "region",
		              json_sprintf("bucket '%s' answers location '%s', which is not an S3 "
		                           "region: its region is not known",
		                           name, location)));
	}
	rc = 0;
out:
	json_decref(tags);
	free(what);
	free(body);
	free(location);
	free(status);
	free(alg);
	free(key);
	return rc;
}

/* ListBuckets: the names, in *names (each and the array owned). */
static int list_bucket_names(struct lfp_call *call, char ***names, size_t *n)
{
	struct s3_req q = {.method = "GET"};
	struct s3_resp r = S3_RESP_INIT;
	int ok = send_req(call, &q, &r) == 0;
	size_t alloc = 0;
	const char *p;
	char *b;

	*names = NULL;
	*n = 0;
	if (!ok || !ok_status(&r)) {
		s3_fail(call, ok, &r, "the list of buckets");
		s3_resp_release(&r);
		return -1;
	}
	p = lf_buf_cstr(&r.body);
	while ((b = s3_xml_text(p, "Bucket", &p))) {
		char *name = s3_xml_text(b, "Name", NULL);
		if (name) {
			LF_GROW(*names, *n + 1, alloc);
			(*names)[(*n)++] = name;
		}
		free(b);
	}
	s3_resp_release(&r);
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int bucket_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = lfp_get_str(params, "id"), *address;
	const char *hint = lfp_get_str(json_object_get(params, "inputs"), "name");
	json_t *attrs = NULL;
	char **names = NULL;
	size_t n = 0;
	int rc;

	if (lfp_need_str(call, params, "address", &address) < 0)
		return -1;
	if (id || hint) {
		/* by id; by label, the inputs say where to look first */
		const char *name = id ? id : hint;
		if (need_bucket(call, name) < 0 || (rc = bucket_load(call, name, 0, &attrs)) < 0)
			return -1;
		if (rc == 0 && (id || lfp_owned_by(call, attrs, address))) {
			*result = lfp_read_found(name, attrs);
			return 0;
		}
		json_decref(attrs);
		if (id) {
			*result = lfp_read_missing();
			return 0;
		}
	}
	if (list_bucket_names(call, &names, &n) < 0)
		return -1;
	*result = NULL;
	for (size_t i = 0; i < n && !*result; i++) {
		if (hint && !strcmp(names[i], hint))
			continue;
		rc = bucket_load(call, names[i], 1, &attrs);
		if (rc < 0) {
			free_names(names, n);
			return -1;
		}
		if (rc == 0 && lfp_owned_by(call, attrs, address))
			*result = lfp_read_found(names[i], attrs);
		else
			json_decref(attrs);
	}
	free_names(names, n);
	if (!*result)
		*result = lfp_read_missing();
	return 0;
}

static int bucket_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	json_t *objects = json_array(), *attrs;
	char **names = NULL;
	size_t n = 0;

	(void)params;
	if (list_bucket_names(call, &names, &n) < 0) {
		json_decref(objects);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = bucket_load(call, names[i], 1, &attrs);
		if (rc < 0) {
			free_names(names, n);
			json_decref(objects);
			return -1;
		}
		if (rc == 0)
			lfp_list_add(call, objects, names[i], attrs);
	}
	free_names(names, n);
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

struct bucket_in {
	const char *name, *region, *purpose;
	int force_destroy;
	int versioning; /* -1: not said, leave it as it is */
	/* default encryption: "AES256", "aws:kms" (kms_key_id or NULL) or "none" */
	const char *algorithm, *kms_key_id;
};

/*
 * The inputs' encryption, checked against what the settings say the store
 * has: absent is AES256 (none with features: {encryption: false}).  0, -1
 * after lfp_error().
 */
static int encryption_inputs(struct lfp_call *call, const json_t *inputs, struct bucket_in *in)
{
	json_t *enc = json_object_get(inputs, "encryption");
	int off = st(call)->off[F_ENCRYPTION];

	in->kms_key_id = NULL;
	if (!enc || json_is_null(enc)) {
		in->algorithm = off ? "none" : "AES256";
		return 0;
	}
	in->algorithm = lfp_get_str(enc, "algorithm");
	in->kms_key_id = lfp_get_str(enc, "kms_key_id");
	if (!json_is_object(enc) || !in->algorithm ||
	    (strcmp(in->algorithm, "AES256") && strcmp(in->algorithm, "aws:kms") &&
	     strcmp(in->algorithm, "none")) ||
	    (in->kms_key_id && strcmp(in->algorithm, "aws:kms"))) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0,
		          "'encryption' must be {algorithm: AES256, aws:kms or none}, with "
		          "'kms_key_id' only for aws:kms");
		return -1;
	}
	if (off && strcmp(in->algorithm, "none")) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "bucket '%s' asks for encryption %s, but the s3 provider's settings say "
		          "'features: {encryption: false}' (the store has no default encryption): "
		          "declare 'encryption: {algorithm: none}' for it on this store",
		          in->name, in->algorithm);
		return -1;
	}
	if (!off && !strcmp(in->algorithm, "none")) {
		lfp_error(
		    call, LFP_E_INVALID, 0,
		    "bucket '%s' asks for encryption none, which only a store without default "
		    "encryption can honour (S3 encrypts every new bucket): ask for AES256 or "
		    "aws:kms, or set 'features: {encryption: false}' in the s3 provider's "
		    "settings for such a store",
		    in->name);
		return -1;
	}
	return 0;
}

static int bucket_inputs(struct lfp_call *call, const json_t *inputs, struct bucket_in *in)
{
	json_t *fd = json_object_get(inputs, "force_destroy");
	json_t *ver = json_object_get(inputs, "versioning");

	if (lfp_need_str(call, inputs, "name", &in->name) < 0 ||
	    lfp_need_str(call, inputs, "region", &in->region) < 0 ||
	    lfp_need_str(call, inputs, "purpose", &in->purpose) < 0)
		return -1;
	if ((fd && !json_is_boolean(fd) && !json_is_null(fd)) ||
	    (ver && !json_is_boolean(ver) && !json_is_null(ver))) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0,
		          "'force_destroy' and 'versioning' must be booleans");
		return -1;
	}
	in->force_destroy = json_is_true(fd);
	in->versioning = json_is_boolean(ver) ? json_is_true(ver) : -1;
	if (need_bucket(call, in->name) < 0)
		return -1;
	return encryption_inputs(call, inputs, in);
}

static json_t *bucket_tags(const json_t *labels, const struct bucket_in *in)
{
	json_t *tags = json_deep_copy(labels);

	json_object_set_new(tags, TAG_PURPOSE, json_string(in->purpose));
	json_object_set_new(tags, TAG_FORCE, json_string(in->force_destroy ? "true" : "false"));
	return tags;
}

static int put_versioning(struct lfp_call *call, const char *name, const char *region, int on,
                          const char *what)
{
	char *xml = lf_xasprintf("<VersioningConfiguration xmlns=\"%s\"><Status>%s</Status>"
	                         "</VersioningConfiguration>",
	                         XMLNS, on ? "Enabled" : "Suspended");
	struct s3_req q = {.method = "PUT",
	                   .bucket = name,
	                   .query = "versioning=",
	                   .region = region,
	                   .body = xml,
	                   .body_len = strlen(xml),
	                   .checksum = 1};
	struct s3_resp r = S3_RESP_INIT;
	int ok = send_req(call, &q, &r) == 0, rc = 0;

	if (!ok || !ok_status(&r))
		rc = s3_fail(call, ok, &r, what);
	s3_resp_release(&r);
	free(xml);
	return rc;
}

/* The encryption of the inputs, as read would report it. */
static json_t *encryption_json(const struct bucket_in *in)
{
	json_t *enc = json_pack("{s:s}", "algorithm", in->algorithm);

	if (in->kms_key_id)
		json_object_set_new(enc, "kms_key_id", json_string(in->kms_key_id));
	return enc;
}

/* Default encryption as the inputs say (PutBucketEncryption): 0 when set,
 * -1 after lfp_error(). */
static int put_encryption(struct lfp_call *call, const struct bucket_in *in, const char *what)
{
	struct lf_buf b = LF_BUF_INIT;

	lf_buf_addf(&b,
	            "<ServerSideEncryptionConfiguration xmlns=\"%s\"><Rule>"
	            "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>",
	            XMLNS);
	s3_xml_escape(&b, in->algorithm);
	lf_buf_adds(&b, "</SSEAlgorithm>");
	if (in->kms_key_id) {
		lf_buf_adds(&b, "<KMSMasterKeyID>");
		s3_xml_escape(&b, in->kms_key_id);
		lf_buf_adds(&b, "</KMSMasterKeyID>");
	}
	lf_buf_adds(&b, "</ApplyServerSideEncryptionByDefault></Rule>"
	                "</ServerSideEncryptionConfiguration>");
	char *xml = lf_buf_detach(&b);
	struct s3_req q = {.method = "PUT",
	                   .bucket = in->name,
	                   .query = "encryption=",
	                   .region = in->region,
	                   .body = xml,
	                   .body_len = strlen(xml),
	                   .checksum = 1};
	struct s3_resp r = S3_RESP_INIT;
	int ok = send_req(call, &q, &r) == 0, rc = 0;

	if (lacks_feature(ok, &r, 1))
		rc = feature_fail(call, F_ENCRYPTION, &r, what);
	else if (!ok || !ok_status(&r))
		rc = s3_fail(call, ok, &r, what);
	s3_resp_release(&r);
	free(xml);
	return rc;
}

/*
 * Bring a bucket of ours to its inputs, whatever an earlier run left of it
 * (created and tagged, then refused encryption): the tags, default
 * encryption as the inputs say (unless the settings go without it, when the
 * inputs say none), versioning when the inputs say.  `attrs` is what was read (or, for a new bucket, what it is now)
 * and is updated with each change made.  0, -1 after lfp_error(), -2 when
 * the tags could not be put.
 */
static int bucket_converge(struct lfp_call *call, const struct bucket_in *in, const json_t *labels,
                           json_t *attrs, const char *what)
{
	json_t *tags = bucket_tags(labels, in);
	int rc = put_tags(call, in->name, NULL, tags, what);

	if (rc == 0) {
		json_object_set_new(attrs, "labels", labels_of_tags(tags));
		json_object_set_new(attrs, "tags", user_tags_of(tags));
		json_object_set_new(attrs, "purpose", json_string(in->purpose));
		json_object_set_new(attrs, "force_destroy", json_boolean(in->force_destroy));
	}
	json_decref(tags);
	if (rc < 0)
		return -2;
	if ((rc = use_feature(call, F_ENCRYPTION, what)) < 0)
		return -1;
	json_t *enc = encryption_json(in);
	if (rc && !json_equal(json_object_get(attrs, "encryption"), enc) &&
	    put_encryption(call, in, what) < 0) {
		json_decref(enc);
		return -1;
	}
	json_object_set_new(attrs, "encryption", enc);
	if (in->versioning >= 0 &&
	    in->versioning != json_is_true(json_object_get(attrs, "versioning"))) {
		if (put_versioning(call, in->name, in->region, in->versioning, what) < 0)
			return -1;
		json_object_set_new(attrs, "versioning", json_boolean(in->versioning));
	}
	return 0;
}

static int bucket_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address;
	struct bucket_in in;
	json_t *inputs, *labels = NULL, *attrs = NULL, *tags = NULL;
	char *what = NULL, *body = NULL;
	struct s3_resp r = S3_RESP_INIT;
	int rc, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 || bucket_inputs(call, inputs, &in) < 0)
		return -1;
	labels = labels_and_tags(call, address, inputs);
	if (!labels)
		return -1;
	what = what_bucket(in.name);
	rc = bucket_load(call, in.name, 0, &attrs);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		if (!lfp_owned_by(call, attrs, address)) {
			const char *owner =
			    lfp_get_str(json_object_get(attrs, "labels"), LABEL_ADDRESS);
			if (owner)
				lfp_error(call, LFP_E_CONFLICT, 0, "%s belongs to '%s'", what,
				          owner);
			else
				lfp_error(call, LFP_E_CONFLICT, 0,
				          "%s exists and was not made by lakeform (it has no "
				          "lakeform labels)",
				          what);
			goto out;
		}
		/* made by an earlier run that may have stopped half way: what it
		 * did not finish is done now */
		lfp_log("%s exists already for '%s': bringing it to its inputs", what, address);
		if (bucket_converge(call, &in, labels, attrs, what) < 0)
			goto out;
		*result = json_pack("{s:s, s:O}", "id", in.name, "attributes", attrs);
		err = 0;
		goto out;
	}
	if (strcmp(in.region, "us-east-1"))
		body = lf_xasprintf("<CreateBucketConfiguration xmlns=\"%s\"><LocationConstraint>%s"
		                    "</LocationConstraint></CreateBucketConfiguration>",
		                    XMLNS, in.region);
	struct s3_req q = {.method = "PUT",
	                   .bucket = in.name,
	                   .region = in.region,
	                   .body = body,
	                   .body_len = body ? strlen(body) : 0};
	int ok = send_req(call, &q, &r) == 0;
	if (!ok || !ok_status(&r)) {
		s3_fail(call, ok, &r, what);
		goto out;
	}
	lfp_log("created %s in '%s'", what, in.region);
	/* what a read would say now, without four more requests */
	json_decref(attrs);
	tags = json_object();
	attrs = bucket_attrs(in.name, in.region, tags, 0, NULL);
	rc = bucket_converge(call, &in, labels, attrs, what);
	if (rc == -2) {
		/* untagged, it would not be lakeform's to the next run: take
		 * back the empty bucket made a moment ago */
		struct s3_req d = {.method = "DELETE", .bucket = in.name, .region = in.region};
		s3_resp_release(&r);
		int dok = send_req(call, &d, &r) == 0 && ok_status(&r);
		lfp_log("%s: %s after its tags were refused", what,
		        dok ? "deleted" : "could not delete it");
	}
	if (rc < 0)
		goto out;
	*result = json_pack("{s:s, s:O}", "id", in.name, "attributes", attrs);
	err = 0;
out:
	s3_resp_release(&r);
	json_decref(labels);
	json_decref(attrs);
	json_decref(tags);
	free(what);
	free(body);
	return err;
}

static int bucket_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	struct bucket_in in;
	json_t *inputs, *labels = NULL, *attrs = NULL, *tags = NULL;
	char *what = NULL;
	int rc, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 || bucket_inputs(call, inputs, &in) < 0)
		return -1;
	if (strcmp(in.name, id)) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "bucket 'name' cannot change in place ('%s' to '%s')", id, in.name);
		return -1;
	}
	labels = labels_and_tags(call, address, inputs);
	if (!labels)
		return -1;
	what = what_bucket(id);
	rc = bucket_load(call, id, 0, &attrs);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "%s does not exist", what);
		goto out;
	}
	if (may_change(call, attrs, address, what) < 0)
		goto out;
	/* a region not known (an unknown location) is not a change */
	if (lfp_get_str(attrs, "region") && strcmp(lfp_get_str(attrs, "region"), in.region)) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "bucket 'region' cannot change in place ('%s' to '%s')",
		          lfp_get_str(attrs, "region"), in.region);
		goto out;
	}
	/* the attributes read before, with what this update changed */
	if (bucket_converge(call, &in, labels, attrs, what) < 0)
		goto out;
	*result = json_pack("{s:O}", "attributes", attrs);
	err = 0;
out:
	json_decref(labels);
	json_decref(attrs);
	json_decref(tags);
	free(what);
	return err;
}

/* The next <Version> or <DeleteMarker> block after *p: its key and version. */
static int next_version(const char **p, char **key, char **version)
{
	const char *v = strstr(*p, "<Version>"), *d = strstr(*p, "<DeleteMarker>");
	const char *tag = v && (!d || v < d) ? "Version" : "DeleteMarker";
	char *block = (v || d) ? s3_xml_text(*p, tag, p) : NULL;

	if (!block)
		return 0;
	*key = s3_xml_text(block, "Key", NULL);
	*version = s3_xml_text(block, "VersionId", NULL);
	free(block);
	return 1;
}

/*
 * Delete every version and delete marker in a bucket, or, with `only`, those
 * of that one key (picked from the whole listing: libcurl signs a query as
 * given, and moto refuses the signature of an encoded '/' in `prefix=`).  Each by its version id: `null` for what was written
 * while versioning was off.
 */
static int delete_versions(struct lfp_call *call, const char *name, const char *only,
                           const char *what)
{
	char *key_marker = NULL, *ver_marker = NULL;
	size_t deleted = 0;
	int err = -1;

	for (;;) {
		struct lf_buf qs = LF_BUF_INIT;
		struct s3_resp r = S3_RESP_INIT;
		char *k, *v, *trunc;
		const char *p;

		if (key_marker) {
			lf_buf_adds(&qs, "key-marker=");
			s3_uri_encode(&qs, key_marker, 0);
			lf_buf_adds(&qs, "&");
		}
		if (ver_marker) {
			lf_buf_adds(&qs, "version-id-marker=");
			s3_uri_encode(&qs, ver_marker, 0);
			lf_buf_adds(&qs, "&");
		}
		lf_buf_adds(&qs, "versions=");
		struct s3_req q = {.method = "GET", .bucket = name, .query = lf_buf_cstr(&qs)};
		int ok = send_req(call, &q, &r) == 0;
		lf_buf_release(&qs);
		if (!ok || !ok_status(&r)) {
			s3_fail(call, ok, &r, what);
			s3_resp_release(&r);
			goto out;
		}
		p = lf_buf_cstr(&r.body);
		while (next_version(&p, &k, &v)) {
			struct lf_buf dq = LF_BUF_INIT;
			struct s3_resp dr = S3_RESP_INIT;
			if (only && k && strcmp(k, only)) {
				free(k);
				free(v);
				continue;
			}
			if (v) {
				lf_buf_adds(&dq, "versionId=");
				s3_uri_encode(&dq, v, 0);
			}
			struct s3_req d = {.method = "DELETE",
			                   .bucket = name,
			                   .key = k,
			                   .query = v ? lf_buf_cstr(&dq) : NULL};
			int dok = k && send_req(call, &d, &dr) == 0;
			if (k && (!dok || (!ok_status(&dr) && dr.status != 404))) {
				s3_fail(call, dok, &dr, what);
				err = -2;
			}
			deleted++;
			lf_buf_release(&dq);
			s3_resp_release(&dr);
			free(k);
			free(v);
			if (err == -2) {
				s3_resp_release(&r);
				err = -1;
				goto out;
			}
		}
		trunc = s3_xml_text(lf_buf_cstr(&r.body), "IsTruncated", NULL);
		free(key_marker);
		free(ver_marker);
		key_marker = s3_xml_text(lf_buf_cstr(&r.body), "NextKeyMarker", NULL);
		ver_marker = s3_xml_text(lf_buf_cstr(&r.body), "NextVersionIdMarker", NULL);
		int more = trunc && !strcmp(trunc, "true") && key_marker;
		free(trunc);
		s3_resp_release(&r);
		if (!more)
			break;
	}
	lfp_log("%s: deleted %zu versions and delete markers", what, deleted);
	err = 0;
out:
	free(key_marker);
	free(ver_marker);
	return err;
}

static int bucket_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	json_t *tags = NULL, *attrs = json_object_get(params, "attributes");
	char *what = NULL;
	int rc, err = -1, force;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || need_bucket(call, id) < 0)
		return -1;
	what = what_bucket(id);
	rc = get_tags(call, id, NULL, what, &tags, NULL, 0);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		lfp_log("%s is gone already", what);
		goto done;
	}
	{
		json_t *rec = json_pack("{s:o}", "labels", labels_of_tags(tags));
		rc = may_change(call, rec, address, what);
		json_decref(rec);
		if (rc < 0)
			goto out;
	}
	force = json_is_true(json_object_get(attrs, "force_destroy")) ||
	        !strcmp(lfp_get_str(tags, TAG_FORCE) ? lfp_get_str(tags, TAG_FORCE) : "", "true");
	for (int pass = 0; pass < 2; pass++) {
		struct s3_req q = {.method = "DELETE", .bucket = id};
		struct s3_resp r = S3_RESP_INIT;
		int ok = send_req(call, &q, &r) == 0;

		if (ok && (ok_status(&r) || !strcmp(r.code, "NoSuchBucket"))) {
			s3_resp_release(&r);
			break;
		}
		if (ok && !strcmp(r.code, "BucketNotEmpty") && !force) {
			lfp_error(call, LFP_E_CONFLICT, 0,
			          "%s is not empty: set 'force_destroy: true' on it to delete it "
			          "with its objects",
			          what);
			s3_resp_release(&r);
			goto out;
		}
		if (ok && !strcmp(r.code, "BucketNotEmpty") && pass == 0) {
			s3_resp_release(&r);
			if (delete_versions(call, id, NULL, what) < 0)
				goto out;
			continue;
		}
		s3_fail(call, ok, &r, what);
		s3_resp_release(&r);
		goto out;
	}
	lfp_log("deleted %s", what);
done:
	*result = json_object();
	err = 0;
out:
	json_decref(tags);
	free(what);
	return err;
}

/* ---- storage.prefix -------------------------------------------------- */

static char *prefix_id(const char *bucket, const char *path)
{
	return lf_xasprintf("%s/%s", bucket, path);
}

static int split_prefix_id(struct lfp_call *call, const char *id, char **bucket, char **path)
{
	const char *slash = strchr(id, '/');

	*bucket = *path = NULL;
	if (!slash || !valid_path(slash + 1, 0)) {
		lfp_error(call, LFP_E_INVALID, 0, "invalid prefix id '%s'", id);
		return -1;
	}
	*bucket = lf_xstrndup(id, (size_t)(slash - id));
	*path = lf_xstrdup(slash + 1);
	if (need_bucket(call, *bucket) < 0) {
		free(*bucket);
		free(*path);
		*bucket = *path = NULL;
		return -1;
	}
	return 0;
}

static json_t *prefix_attrs(const char *bucket, const char *path, const json_t *tags)
{
	const char *purpose = lfp_get_str(tags, TAG_PURPOSE);
	char *url = lf_xasprintf("s3://%s/%s", bucket, path);
	json_t *a = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s}", "bucket", bucket, "path", path,
	                      "purpose", purpose ? json_string(purpose) : json_null(), "labels",
	                      labels_of_tags(tags), "tags", user_tags_of(tags), "url", url);

	free(url);
	return a;
}

/* The marker of a prefix: 0 with *attrs, 1 when none, -1 after lfp_error(). */
static int prefix_load(struct lfp_call *call, const char *bucket, const char *path, json_t **attrs,
                       char *version, size_t nversion)
{
	char *id = prefix_id(bucket, path), *what = lf_xasprintf("prefix '%s'", id);
	json_t *tags = NULL;
	int rc = get_tags(call, bucket, path, what, &tags, version, nversion);

	*attrs = rc == 0 ? prefix_attrs(bucket, path, tags) : NULL;
	json_decref(tags);
	free(id);
	free(what);
	return rc;
}

/*
 * ListObjectsV2 of a whole bucket, page after page: `each` is given every
 * <Contents> element (its text, freed after the call).  -1 after an error
 * said on `call`.
 */
static int each_object(struct lfp_call *call, const char *bucket,
                       void (*each)(const char *contents, void *arg), void *arg)
{
	char *token = NULL, *what = what_bucket(bucket);
	int err = -1;

	for (;;) {
		struct lf_buf qs = LF_BUF_INIT;
		struct s3_resp r = S3_RESP_INIT;
		const char *p;
		char *c, *trunc;

		if (token) {
			lf_buf_adds(&qs, "continuation-token=");
			s3_uri_encode(&qs, token, 0);
			lf_buf_adds(&qs, "&");
		}
		lf_buf_adds(&qs, "list-type=2");
		struct s3_req q = {.method = "GET", .bucket = bucket, .query = lf_buf_cstr(&qs)};
		int ok = send_req(call, &q, &r) == 0;
		lf_buf_release(&qs);
		if (!ok || !ok_status(&r)) {
			s3_fail(call, ok, &r, what);
			s3_resp_release(&r);
			goto out;
		}
		p = lf_buf_cstr(&r.body);
		while ((c = s3_xml_text(p, "Contents", &p))) {
			each(c, arg);
			free(c);
		}
		trunc = s3_xml_text(lf_buf_cstr(&r.body), "IsTruncated", NULL);
		free(token);
		token = s3_xml_text(lf_buf_cstr(&r.body), "NextContinuationToken", NULL);
		int more = trunc && !strcmp(trunc, "true") && token;
		free(trunc);
		s3_resp_release(&r);
		if (!more)
			break;
	}
	err = 0;
out:
	free(token);
	free(what);
	return err;
}

struct marker_keys {
	char **v;
	size_t n, alloc;
};

static void add_marker_key(const char *contents, void *arg)
{
	struct marker_keys *mk = arg;
	char *k = s3_xml_text(contents, "Key", NULL);
	size_t kl = k ? strlen(k) : 0;

	if (kl && k[kl - 1] == '/') {
		LF_GROW(mk->v, mk->n + 1, mk->alloc);
		mk->v[mk->n++] = k;
	} else {
		free(k);
	}
}

/* The keys in a bucket ending in '/': candidate markers. */
static int list_marker_keys(struct lfp_call *call, const char *bucket, char ***keys, size_t *n)
{
	struct marker_keys mk = {0};
	int err = each_object(call, bucket, add_marker_key, &mk);

	/* on an error, what was gathered is still the caller's to free */
	*keys = mk.v;
	*n = mk.n;
	return err;
}

struct usage_sum {
	const char *path;
	long long bytes, objects;
};

static void add_usage(const char *contents, void *arg)
{
	struct usage_sum *u = arg;
	char *k = s3_xml_text(contents, "Key", NULL), *size = s3_xml_text(contents, "Size", NULL);
	size_t kl = k ? strlen(k) : 0;

	if (kl && k[kl - 1] != '/' && !strncmp(k, u->path, strlen(u->path))) {
		u->objects++;
		u->bytes += size ? strtoll(size, NULL, 10) : 0;
	}
	free(k);
	free(size);
}

/*
 * usage of a bucket or a prefix: ListObjectsV2 of the bucket, page after
 * page, the sizes of the objects under it added up; keys ending in '/'
 * (prefix markers, folders) are not data and are not counted.  The keys
 * are picked from the whole listing, not asked for with `prefix=`: moto
 * refuses the signature of an encoded '/' there (delete_versions).
 */
static int storage_usage(struct lfp_call *call, const json_t *params, json_t **result)
{
	const json_t *inputs = json_object_get(params, "inputs");
	int is_bucket = !strcmp(lfp_get_str(params, "type"), "storage.bucket");
	const char *bucket = lfp_get_str(inputs, is_bucket ? "name" : "bucket");
	struct usage_sum u = {.path = is_bucket ? "" : lfp_get_str(inputs, "path")};

	if (!bucket || !u.path) {
		lfp_error(call, LFP_E_INVALID_PARAMS, 0, "the inputs name no %s",
		          bucket ? "path" : "bucket");
		return -1;
	}
	if (need_bucket(call, bucket) < 0)
		return -1;
	if (each_object(call, bucket, add_usage, &u) < 0)
		return -1;
	*result =
	    json_pack("{s:I,s:I}", "bytes", (json_int_t)u.bytes, "objects", (json_int_t)u.objects);
	return 0;
}

/*
 * Every labelled prefix of this account: into `objects` (list), or the
 * first owned by `address` into *found (read by label).
 */
static int scan_prefixes(struct lfp_call *call, const char *address, json_t *objects,
                         json_t **found)
{
	char **names = NULL;
	size_t n = 0;
	int err = 0;

	if (list_bucket_names(call, &names, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !err && !(found && *found); i++) {
		json_t *tags = NULL;
		char **keys = NULL;
		size_t nk = 0;
		char *what = what_bucket(names[i]);
		int rc = get_tags(call, names[i], NULL, what, &tags, NULL, 0);

		free(what);
		if (rc < 0) {
			err = -1;
			break;
		}
		/* prefixes live in buckets lakeform made for this account */
		json_t *labels = rc == 0 ? labels_of_tags(tags) : NULL;
		int mine = labels && ours(call, labels);
		json_decref(labels);
		json_decref(tags);
		if (!mine)
			continue;
		if (list_marker_keys(call, names[i], &keys, &nk) < 0) {
			err = -1;
			break;
		}
		for (size_t k = 0; k < nk && !err && !(found && *found); k++) {
			json_t *attrs = NULL;
			char *id = prefix_id(names[i], keys[k]);
			rc = prefix_load(call, names[i], keys[k], &attrs, NULL, 0);
			if (rc < 0)
				err = -1;
			else if (rc == 0 && objects)
				lfp_list_add(call, objects, id, json_incref(attrs));
			else if (rc == 0 && lfp_owned_by(call, attrs, address))
				*found = lfp_read_found(id, json_incref(attrs));
			json_decref(attrs);
			free(id);
		}
		free_names(keys, nk);
	}
	free_names(names, n);
	return err;
}

static int prefix_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = lfp_get_str(params, "id"), *address;
	const json_t *inputs = json_object_get(params, "inputs");
	json_t *attrs = NULL;
	char *bucket = NULL, *path = NULL;
	int rc;

	if (lfp_need_str(call, params, "address", &address) < 0)
		return -1;
	if (id) {
		if (split_prefix_id(call, id, &bucket, &path) < 0)
			return -1;
	} else if (lfp_get_str(inputs, "bucket") && lfp_get_str(inputs, "path") &&
	           valid_bucket(lfp_get_str(inputs, "bucket")) &&
	           valid_path(lfp_get_str(inputs, "path"), 0)) {
		bucket = lf_xstrdup(lfp_get_str(inputs, "bucket"));
		path = lf_xstrdup(lfp_get_str(inputs, "path"));
	}
	*result = NULL;
	if (bucket) {
		rc = prefix_load(call, bucket, path, &attrs, NULL, 0);
		if (rc < 0) {
			free(bucket);
			free(path);
			return -1;
		}
		if (rc == 0 && (id || lfp_owned_by(call, attrs, address))) {
			char *pid = prefix_id(bucket, path);
			*result = lfp_read_found(pid, json_incref(attrs));
			free(pid);
		}
		json_decref(attrs);
		free(bucket);
		free(path);
		if (*result || id) {
			if (!*result)
				*result = lfp_read_missing();
			return 0;
		}
	}
	if (scan_prefixes(call, address, NULL, result) < 0)
		return -1;
	if (!*result)
		*result = lfp_read_missing();
	return 0;
}

static int prefix_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	json_t *objects = json_array();

	(void)params;
	if (scan_prefixes(call, NULL, objects, NULL) < 0) {
		json_decref(objects);
		return -1;
	}
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

static int prefix_inputs(struct lfp_call *call, const json_t *inputs, const char **bucket,
                         const char **path, const char **purpose)
{
	if (lfp_need_str(call, inputs, "bucket", bucket) < 0 ||
	    lfp_need_str(call, inputs, "path", path) < 0 ||
	    lfp_need_str(call, inputs, "purpose", purpose) < 0 || need_bucket(call, *bucket) < 0)
		return -1;
	if (!valid_path(*path, 0)) {
		lfp_error(call, LFP_E_INVALID, 0, "invalid prefix path '%s'", *path);
		return -1;
	}
	return 0;
}

static int prefix_write(struct lfp_call *call, const json_t *params, json_t **result, int create)
{
	const char *address, *bucket, *path, *purpose, *id = NULL;
	json_t *inputs, *labels = NULL, *attrs = NULL;
	char *pid = NULL, *what = NULL, *hdr = NULL;
	struct s3_resp r = S3_RESP_INIT;
	int rc, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 ||
	    prefix_inputs(call, inputs, &bucket, &path, &purpose) < 0)
		return -1;
	pid = prefix_id(bucket, path);
	if (!create && (lfp_need_str(call, params, "id", &id) < 0 || strcmp(id, pid))) {
		if (id)
			lfp_error(call, LFP_E_INVALID, 0,
			          "prefix cannot move in place ('%s' to '%s')", id, pid);
		goto out;
	}
	what = lf_xasprintf("prefix '%s'", pid);
	labels = labels_and_tags(call, address, inputs);
	if (!labels)
		goto out;
	json_object_set_new(labels, TAG_PURPOSE, json_string(purpose));
	rc = prefix_load(call, bucket, path, &attrs, NULL, 0);
	if (rc < 0)
		goto out;
	if (create && rc == 0) {
		if (!lfp_owned_by(call, attrs, address)) {
			lfp_error(call, LFP_E_CONFLICT, 0, "%s belongs to '%s'", what,
			          lfp_owner_of(attrs));
			goto out;
		}
		/* made by an earlier run that stopped before its answer: its
		 * tags as the inputs say now */
		if (put_tags(call, bucket, path, labels, what) < 0)
			goto out;
		lfp_log("%s exists already for '%s'", what, address);
	} else if (!create && rc > 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "%s does not exist", what);
		goto out;
	} else if (!create) {
		if (may_change(call, attrs, address, what) < 0 ||
		    put_tags(call, bucket, path, labels, what) < 0)
			goto out;
	} else {
		/* If-None-Match: a marker someone puts meanwhile is not overwritten */
		hdr = tagging_header(labels);
		struct s3_req q = {.method = "PUT",
		                   .bucket = bucket,
		                   .key = path,
		                   .body = "",
		                   .content_type = "application/x-directory",
		                   .if_none_match = "*",
		                   .tagging = hdr};
		int ok = send_req(call, &q, &r) == 0;
		if (ok && r.status == 404) {
			lfp_error(call, LFP_E_NOT_FOUND, 0, "bucket '%s' does not exist", bucket);
			goto out;
		}
		if (ok && r.status == 412) {
			lfp_error(call, LFP_E_CONFLICT, 0, "%s appeared meanwhile", what);
			goto out;
		}
		if (!ok || !ok_status(&r)) {
			s3_fail(call, ok, &r, what);
			goto out;
		}
		lfp_log("created %s", what);
	}
	json_decref(attrs);
	attrs = prefix_attrs(bucket, path, labels);
	*result = lfp_write_answer(create ? pid : NULL, attrs);
	err = 0;
out:
	s3_resp_release(&r);
	json_decref(labels);
	json_decref(attrs);
	free(pid);
	free(what);
	free(hdr);
	return err;
}

static int prefix_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	return prefix_write(call, params, result, 1);
}

static int prefix_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	return prefix_write(call, params, result, 0);
}

static int prefix_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	char *bucket = NULL, *path = NULL, *what = NULL, version[128] = "";
	json_t *attrs = NULL;
	struct lf_buf qs = LF_BUF_INIT;
	struct s3_resp r = S3_RESP_INIT;
	int rc, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 ||
	    split_prefix_id(call, id, &bucket, &path) < 0)
		return -1;
	what = lf_xasprintf("prefix '%s'", id);
	rc = prefix_load(call, bucket, path, &attrs, version, sizeof(version));
	if (rc < 0)
		goto out;
	if (rc == 0) {
		if (may_change(call, attrs, address, what) < 0)
			goto out;
		/* whether the bucket is or was versioned: its versioning status
		 * (Ceph gives no version id for a `null` version's tags) */
		char *vbody = NULL, *vstatus = NULL;
		if (!*version) {
			if (get_sub(call, bucket, "versioning=", what, &vbody) < 0)
				goto out;
			vstatus = vbody ? s3_xml_text(vbody, "Status", NULL) : NULL;
			if (vstatus && *vstatus)
				snprintf(version, sizeof(version), "null");
			free(vbody);
			free(vstatus);
		}
		if (*version) {
			/* a bucket that is or was versioned: delete every version of
			 * the marker by its id, `null` (written while versioning was
			 * off) included, and the delete markers of the key, so that
			 * nothing of it is left to keep the bucket from being empty */
			if (delete_versions(call, bucket, path, what) < 0)
				goto out;
			lfp_log("deleted %s with its versions", what);
			goto done;
		}
		struct s3_req q = {.method = "DELETE", .bucket = bucket, .key = path};
		int ok = send_req(call, &q, &r) == 0;
		if (!ok || (!ok_status(&r) && r.status != 404)) {
			s3_fail(call, ok, &r, what);
			goto out;
		}
		lfp_log("deleted %s", what);
	}
done:
	*result = json_object();
	err = 0;
out:
	lf_buf_release(&qs);
	s3_resp_release(&r);
	json_decref(attrs);
	free(bucket);
	free(path);
	free(what);
	return err;
}

/* ---- storage.policy -------------------------------------------------- */

/* The actions of a read and a write grant: the ones s3policy.c compiles. */
#define read_actions (s3_policy_actions(0))
#define write_actions (s3_policy_actions(1))

static int same_actions(const json_t *have, const char *const *want)
{
	size_t n = 0;

	while (want[n])
		n++;
	if (json_is_string(have))
		return n == 1 && !strcmp(json_string_value(have), want[0]);
	if (!json_is_array(have) || json_array_size(have) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!json_is_string(json_array_get(have, i)) ||
		    strcmp(json_string_value(json_array_get(have, i)), want[i]))
			return 0;
	return 1;
}

/* The ARN of a principal, from settings.principals (borrowed), or NULL. */
static const char *arn_of(struct lfp_call *call, const char *principal)
{
	return lfp_get_str(st(call)->principals, principal);
}

static const char *principal_of(struct lfp_call *call, const char *arn)
{
	const char *k;
	json_t *v;

	json_object_foreach (st(call)->principals, k, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), arn))
			return k;
	return NULL;
}

static char *labels_id(const json_t *labels)
{
	struct lf_buf b = LF_BUF_INIT;
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)labels, k, v)
		lf_buf_addf(&b, "%s%s=%s", b.len ? ";" : "", k, json_string_value(v));
	return lf_buf_detach(&b);
}

static json_t *labels_from_id(const char *id)
{
	json_t *labels = json_object();
	char *copy = lf_xstrdup(id ? id : ""), *p = copy;

	while (p && *p) {
		char *semi = strchr(p, ';'), *eq;
		if (semi)
			*semi = '\0';
		eq = strchr(p, '=');
		if (eq && !strncmp(p, "lakeform/", 9)) {
			*eq = '\0';
			json_object_set_new(labels, p, json_string(eq + 1));
		}
		p = semi ? semi + 1 : NULL;
	}
	free(copy);
	return labels;
}

static const char *arn_cb(void *arg, const char *principal)
{
	return arn_of(arg, principal);
}

/* The policy document for the statements (src/util/s3policy.c, the one the
 * plan measured): NULL after lfp_error(). */
static json_t *compile_policy(struct lfp_call *call, const char *bucket, const json_t *statements,
                              const json_t *labels)
{
	char *id = labels_id(labels);
	const char *missing = NULL;
	json_t *doc = s3_policy_compile(bucket, id, statements, arn_cb, call, &missing);

	free(id);
	if (!doc)
		lfp_error(call, LFP_E_INVALID, 0,
		          "principal '%s' has no ARN: add it to the s3 provider's settings "
		          "'principals'",
		          missing ? missing : "");
	return doc;
}

/* Statements in the order expand writes them: path, principal, access. */
static int cmp_statement(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	static const char *const keys[] = {"path", "principal", "access"};

	for (int i = 0; i < 3; i++) {
		int c = strcmp(lfp_get_str(x, keys[i]), lfp_get_str(y, keys[i]));
		if (c)
			return c;
	}
	return 0;
}

/*
 * The statements a policy document grants, in the inputs' words and order
 * (sorted by path, principal, access; each once): a statement with several
 * Resources gives one per Resource.  What lakeform did not write (another
 * Sid, a Deny, other actions) comes back as a statement with access
 * "other", so that it shows as a difference.
 */
static json_t *decompile_policy(struct lfp_call *call, const char *bucket, const json_t *doc)
{
	json_t *all = json_array(), *out = json_array(), *s;
	size_t i;
	char *objs = lf_xasprintf("arn:aws:s3:::%s/", bucket);

	json_array_foreach (json_object_get(doc, "Statement"), i, s) {
		const char *sid = lfp_get_str(s, "Sid");
		const char *effect = lfp_get_str(s, "Effect");
		const char *arn = lfp_get_str(json_object_get(s, "Principal"), "AWS");
		const char *who = arn ? principal_of(call, arn) : NULL;
		json_t *act = json_object_get(s, "Action");
		json_t *resv = json_object_get(s, "Resource"), *one = NULL;
		size_t j, nres;

		if (sid && !strncmp(sid, SID_PREFIX "List", strlen(SID_PREFIX "List")) && effect &&
		    !strcmp(effect, "Allow"))
			continue; /* the listing half of a grant */
		if (!json_is_array(resv)) {
			one = json_array();
			json_array_append(one, resv ? resv : json_null());
			resv = one;
		}
		nres = json_array_size(resv);
		for (j = 0; j < (nres ? nres : 1); j++) {
			const char *res = json_string_value(json_array_get(resv, j));
			size_t rn = res ? strlen(res) : 0;
			int ours_ = sid && !strncmp(sid, SID_PREFIX, strlen(SID_PREFIX)) &&
			            effect && !strcmp(effect, "Allow") && who && res &&
			            rn > strlen(objs) && !strncmp(res, objs, strlen(objs)) &&
			            res[rn - 1] == '*';
			const char *access = !ours_                             ? "other"
			                     : same_actions(act, read_actions)  ? "read"
			                     : same_actions(act, write_actions) ? "write"
			                                                        : "other";
			char *path = ours_ ? lf_xstrndup(res + strlen(objs), rn - strlen(objs) - 1)
			                   : lf_xstrdup("");
			char *p = who ? lf_xstrdup(who)
			              : lf_xasprintf("(not lakeform's: %s)", sid   ? sid
			                                                     : arn ? arn
			                                                           : "?");
			json_array_append_new(all, json_pack("{s:s, s:s, s:s}", "principal", p,
			                                     "access", access, "path", path));
			free(path);
			free(p);
		}
		json_decref(one);
	}
	free(objs);
	size_t n = json_array_size(all);
	json_t **v = lf_xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_array_get(all, i);
	qsort(v, n, sizeof(*v), cmp_statement);
	for (i = 0; i < n; i++)
		if (i == 0 || cmp_statement(&v[i - 1], &v[i]))
			json_array_append(out, v[i]);
	free(v);
	json_decref(all);
	return out;
}

/* The bucket policy: 0 with *attrs, 1 when none, -1 after lfp_error(). */
static int policy_load(struct lfp_call *call, const char *bucket, json_t **attrs)
{
	char *what = lf_xasprintf("the policy of bucket '%s'", bucket), *body = NULL;
	json_t *doc;
	int rc = get_sub(call, bucket, "policy=", what, &body);

	*attrs = NULL;
	if (rc == 0) {
		doc = json_loads(body, 0, NULL);
		*attrs = json_pack("{s:s, s:o, s:o}", "bucket", bucket, "statements",
		                   decompile_policy(call, bucket, doc), "labels",
		                   labels_from_id(lfp_get_str(doc, "Id")));
		json_decref(doc);
	} else if (rc > 0) {
		rc = 1;
	}
	free(body);
	free(what);
	return rc;
}

static int policy_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = lfp_get_str(params, "id"), *address;
	const char *hint = lfp_get_str(json_object_get(params, "inputs"), "bucket");
	json_t *attrs = NULL;
	char **names = NULL;
	size_t n = 0;
	int rc;

	if (lfp_need_str(call, params, "address", &address) < 0)
		return -1;
	*result = NULL;
	if (st(call)->off[F_POLICY]) {
		/* features: {policy: false}: what was recorded is all there is */
		const json_t *inputs = json_object_get(params, "inputs");
		json_t *labels =
		    json_is_object(inputs) ? lfp_labels_for(call, address, inputs) : NULL;
		if (labels && (id || hint))
			*result = lfp_read_found(
			    id ? id : hint,
			    json_pack("{s:s, s:O, s:o}", "bucket", hint ? hint : id, "statements",
			              json_object_get(inputs, "statements"), "labels", labels));
		else
			json_decref(labels);
		if (!*result)
			*result = lfp_read_missing();
		return 0;
	}
	if (id || (hint && valid_bucket(hint))) {
		const char *b = id ? id : hint;
		if (need_bucket(call, b) < 0 || (rc = policy_load(call, b, &attrs)) < 0)
			return -1;
		if (rc == 0 && (id || lfp_owned_by(call, attrs, address)))
			*result = lfp_read_found(b, json_incref(attrs));
		json_decref(attrs);
		if (*result || id) {
			if (!*result)
				*result = lfp_read_missing();
			return 0;
		}
	}
	if (list_bucket_names(call, &names, &n) < 0)
		return -1;
	for (size_t i = 0; i < n && !*result; i++) {
		if ((rc = policy_load(call, names[i], &attrs)) < 0) {
			free_names(names, n);
			return -1;
		}
		if (rc == 0 && lfp_owned_by(call, attrs, address))
			*result = lfp_read_found(names[i], json_incref(attrs));
		json_decref(attrs);
	}
	free_names(names, n);
	if (!*result)
		*result = lfp_read_missing();
	return 0;
}

static int policy_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	json_t *objects = json_array(), *attrs;
	char **names = NULL;
	size_t n = 0;

	(void)params;
	if (st(call)->off[F_POLICY]) {
		*result = json_pack("{s:o}", "objects", objects);
		return 0;
	}
	if (list_bucket_names(call, &names, &n) < 0) {
		json_decref(objects);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = policy_load(call, names[i], &attrs);
		if (rc < 0) {
			free_names(names, n);
			json_decref(objects);
			return -1;
		}
		if (rc == 0)
			lfp_list_add(call, objects, names[i], attrs);
	}
	free_names(names, n);
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

static int policy_path_ok(struct lfp_call *call, const char *path)
{
	if (valid_path(path, 1))
		return 1;
	lfp_error(call, LFP_E_INVALID, 0, "invalid policy path '%s'", path);
	return 0;
}

static int policy_write(struct lfp_call *call, const json_t *params, json_t **result, int create)
{
	const char *address, *bucket, *id = NULL;
	json_t *inputs, *statements, *labels = NULL, *attrs = NULL, *doc = NULL;
	char *what = NULL, *text = NULL;
	struct s3_resp r = S3_RESP_INIT;
	int rc, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    need_obj(call, params, "inputs", &inputs) < 0 ||
	    lfp_need_str(call, inputs, "bucket", &bucket) < 0 || need_bucket(call, bucket) < 0)
		return -1;
	statements = json_object_get(inputs, "statements");
	if (lfp_check_statements(call, statements, policy_path_ok) < 0)
		return -1;
	if (!create) {
		if (lfp_need_str(call, params, "id", &id) < 0)
			return -1;
		if (strcmp(id, bucket)) {
			lfp_error(call, LFP_E_INVALID, 0,
			          "policy cannot move to another bucket in place ('%s' to '%s')",
			          id, bucket);
			return -1;
		}
	}
	labels = lfp_labels_for(call, address, inputs);
	if (!labels)
		return -1;
	doc = compile_policy(call, bucket, statements, labels);
	if (!doc)
		goto out;
	what = lf_xasprintf("the policy of bucket '%s'", bucket);
	if ((rc = use_feature(call, F_POLICY, what)) < 0)
		goto out;
	if (!rc) {
		/* features: {policy: false}: recorded, never sent */
		lfp_log("%s not sent: the settings say the store has no bucket policies", what);
		goto answer;
	}
	rc = policy_load(call, bucket, &attrs);
	if (rc < 0)
		goto out;
	if (rc == 0 && create && !lfp_owned_by(call, attrs, address)) {
		const char *owner = lfp_get_str(json_object_get(attrs, "labels"), LABEL_ADDRESS);
		lfp_error(call, LFP_E_CONFLICT, 0, "%s %s", what,
		          owner ? "belongs to another address"
		                : "exists and was not made by lakeform");
		goto out;
	}
	if (rc == 0 && !create && may_change(call, attrs, address, what) < 0)
		goto out;
	if (rc > 0 && !create) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "bucket '%s' has no policy", bucket);
		goto out;
	}
	if (rc == 0 && create) {
		lfp_log("%s exists already for '%s'", what, address);
	} else {
		text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		struct s3_req q = {.method = "PUT",
		                   .bucket = bucket,
		                   .query = "policy=",
		                   .body = text,
		                   .body_len = strlen(text),
		                   .content_type = "application/json",
		                   .checksum = 1};
		int ok = send_req(call, &q, &r) == 0;
		if (ok && !strcmp(r.code, "NoSuchBucket")) {
			lfp_error(call, LFP_E_NOT_FOUND, 0, "bucket '%s' does not exist", bucket);
			goto out;
		}
		if (lacks_feature(ok, &r, 0)) {
			feature_fail(call, F_POLICY, &r, what);
			goto out;
		}
		if (!ok || !ok_status(&r)) {
			s3_fail(call, ok, &r, what);
			goto out;
		}
		lfp_log("%s %s", create ? "created" : "updated", what);
	}
answer:
	json_decref(attrs);
	attrs = json_pack("{s:s, s:O, s:O}", "bucket", bucket, "statements", statements, "labels",
	                  labels);
	*result = lfp_write_answer(create ? bucket : NULL, attrs);
	err = 0;
out:
	s3_resp_release(&r);
	json_decref(labels);
	json_decref(attrs);
	json_decref(doc);
	free(what);
	free(text);
	return err;
}

static int policy_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	return policy_write(call, params, result, 1);
}

static int policy_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	return policy_write(call, params, result, 0);
}

static int policy_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	json_t *attrs = NULL;
	char *what = NULL;
	struct s3_resp r = S3_RESP_INIT;
	int rc, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || need_bucket(call, id) < 0)
		return -1;
	what = lf_xasprintf("the policy of bucket '%s'", id);
	if (st(call)->off[F_POLICY]) {
		*result = json_object();
		err = 0;
		goto out;
	}
	rc = policy_load(call, id, &attrs);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		if (may_change(call, attrs, address, what) < 0)
			goto out;
		struct s3_req q = {.method = "DELETE", .bucket = id, .query = "policy="};
		int ok = send_req(call, &q, &r) == 0;
		if (!ok || (!ok_status(&r) && r.status != 404)) {
			s3_fail(call, ok, &r, what);
			goto out;
		}
		lfp_log("deleted %s", what);
	}
	*result = json_object();
	err = 0;
out:
	s3_resp_release(&r);
	json_decref(attrs);
	free(what);
	return err;
}

static void diag(json_t *diags, const char *path, const char *msg)
{
	json_array_append_new(diags, json_pack("{s:s, s:s}", "path", path, "message", msg));
}

/* Unmapped principals are the one thing S3 cannot take that a schema allows. */
static int policy_validate(struct lfp_call *call, const json_t *params, json_t **result)
{
	const json_t *inputs = json_object_get(params, "inputs");
	json_t *diags = json_array(), *s;
	size_t i;

	json_array_foreach (json_object_get(inputs, "statements"), i, s) {
		const char *who = lfp_get_str(s, "principal");
		const char *path = lfp_get_str(s, "path");
		char *at = lf_xasprintf("statements.%zu.principal", i);
		if (who && st(call)->configured && !arn_of(call, who)) {
			char *m = lf_xasprintf("principal '%s' has no ARN: add it to the s3 "
			                       "provider's settings 'principals'",
			                       who);
			diag(diags, at, m);
			free(m);
		}
		free(at);
		if (path && !valid_path(path, 1)) {
			at = lf_xasprintf("statements.%zu.path", i);
			diag(diags, at, "invalid policy path");
			free(at);
		}
	}
	*result = json_pack("{s:o}", "diagnostics", diags);
	return 0;
}

static int name_validate(struct lfp_call *call, const json_t *params, json_t **result)
{
	const json_t *inputs = json_object_get(params, "inputs");
	const char *name = lfp_get_str(inputs, "name");
	const char *bucket = lfp_get_str(inputs, "bucket");
	const char *path = lfp_get_str(inputs, "path");
	json_t *diags = json_array();

	(void)call;
	if (name && !valid_bucket(name))
		diag(diags, "name", "not a valid S3 bucket name");
	if (bucket && !valid_bucket(bucket))
		diag(diags, "bucket", "not a valid S3 bucket name");
	if (path && !valid_path(path, 0))
		diag(diags, "path", "not a valid prefix path (segments ending in '/')");
	*result = json_pack("{s:o}", "diagnostics", diags);
	return 0;
}

/* ---- settings -------------------------------------------------------- */

static void conf_release(struct s3_conf *c)
{
	free(c->endpoint);
	free(c->region);
	free(c->access_key);
	free(c->secret_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

/* The environment as AWS's tools read it wins over lakeform.yaml. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The process's environment, in the shape awscreds.h asks for it. */
static const char *process_env(void *arg, const char *name)
{
	(void)arg;
	return getenv(name);
}

static int local_host(const char *endpoint)
{
	const char *h = strstr(endpoint, "://");
	static const char *const locals[] = {"127.0.0.1", "localhost", "[::1]"};

	h = h ? h + 3 : endpoint;
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(locals[i]);
		if (!strncmp(h, locals[i], n) && (!h[n] || h[n] == ':' || h[n] == '/'))
			return 1;
	}
	return 0;
}

static int setting_str(struct lfp_call *call, const json_t *settings, const char *key,
                       const char *env_name, char **out)
{
	json_t *v = json_object_get(settings, key);
	const char *e = env_name ? env(env_name) : NULL;

	if (v && !json_is_string(v) && !json_is_null(v)) {
		lfp_error(call, LFP_E_INVALID, 0, "setting '%s' must be a string", key);
		return -1;
	}
	free(*out);
	*out = e ? lf_xstrdup(e) : json_is_string(v) ? lf_xstrdup(json_string_value(v)) : NULL;
	return 0;
}

static int configure(struct lfp_call *call, const json_t *settings)
{
	static const char *const known[] = {
	    "endpoint",      "region",     "addressing", "access_key_id", "secret_access_key",
	    "session_token", "tls_verify", "principals", "features",      "policy_max_bytes"};
	struct s3 *s = st(call);
	struct s3_conf c = {0};
	json_t *tls, *principals, *v;
	const char *key, *addressing;
	char *region_set = NULL, *key_set = NULL, *secret_set = NULL, *token_set = NULL;
	char *describe = NULL;
	struct aws_creds creds = AWS_CREDS_INIT;
	int err = -1;

	if (settings && !json_is_object(settings) && !json_is_null(settings)) {
		lfp_error(call, LFP_E_INVALID, 0, "settings must be an object");
		return -1;
	}
	json_object_foreach ((json_t *)settings, key, v) {
		size_t i, n = sizeof(known) / sizeof(known[0]);
		for (i = 0; i < n && strcmp(known[i], key); i++)
			;
		if (i == n)
			lfp_log("ignoring unknown setting '%s'", key);
	}
	int off[F_NFEATURES] = {0};
	json_t *features = json_object_get(settings, "features");

	if (features && !json_is_object(features) && !json_is_null(features)) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "setting 'features' must map features (tagging, encryption, policy) to "
		          "true or false");
		return -1;
	}
	json_object_foreach (features, key, v) {
		int f;
		for (f = 0; f < F_NFEATURES && strcmp(feature_names[f], key); f++)
			;
		if (f == F_NFEATURES || !json_is_boolean(v)) {
			lfp_error(call, LFP_E_INVALID, 0,
			          "setting 'features.%s': write true or false for one of tagging, "
			          "encryption, policy",
			          key);
			return -1;
		}
		off[f] = json_is_false(v);
	}
	if (off[F_TAGGING]) {
		lfp_error(
		    call, LFP_E_INVALID, 0,
		    "setting 'features.tagging: false' cannot be honoured: lakeform keeps its "
		    "ownership labels in bucket tags, and without them it cannot tell its "
		    "buckets from others'");
		return -1;
	}
	/* AWS_ENDPOINT_URL_S3 (for S3 alone) before AWS_ENDPOINT_URL, as AWS's tools */
	if (setting_str(call, settings, "endpoint",
	                env("AWS_ENDPOINT_URL_S3") ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL",
	                &c.endpoint) < 0 ||
	    setting_str(call, settings, "region", NULL, &region_set) < 0 ||
	    setting_str(call, settings, "access_key_id", NULL, &key_set) < 0 ||
	    setting_str(call, settings, "secret_access_key", NULL, &secret_set) < 0 ||
	    setting_str(call, settings, "session_token", NULL, &token_set) < 0)
		goto fail;
	/* keys and region as AWS's tools find them (src/util/awscreds.h): the
	 * environment, then these settings, web identity, the shared files */
	struct aws_creds_opts ao = {
	    .getenv_fn = process_env,
	    .access_key = key_set,
	    .secret_key = secret_set,
	    .session_token = token_set,
	    .keys_source = "the provider's settings (access_key_id)",
	    .region = region_set,
	    .region_source = "the provider's settings (region)",
	};
	char *why = NULL;
	int found = aws_creds_resolve(&creds, &ao, &why);
	if (found < 0) {
		lfp_error(call, LFP_E_INVALID, 0, "%s", why);
		free(why);
		goto fail;
	}
	if (found > 0) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "no s3 credentials: set 'access_key_id' and 'secret_access_key' in the "
		          "provider's settings, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
		          "name a profile of the shared files with AWS_PROFILE");
		goto fail;
	}
	c.access_key = lf_xstrdup(creds.access_key);
	c.secret_key = lf_xstrdup(creds.secret_key);
	c.session_token = creds.session_token ? lf_xstrdup(creds.session_token) : NULL;
	c.region = lf_xstrdup(creds.region ? creds.region : "us-east-1");
	if (!creds.region) {
		free(creds.region_source);
		creds.region = lf_xstrdup("us-east-1");
		creds.region_source = lf_xstrdup("the default");
	}
	describe = aws_creds_describe(&creds);
	if (c.endpoint) {
		size_t n = strlen(c.endpoint);
		while (n && c.endpoint[n - 1] == '/')
			c.endpoint[--n] = '\0';
		if (strncmp(c.endpoint, "http://", 7) && strncmp(c.endpoint, "https://", 8)) {
			lfp_error(call, LFP_E_INVALID, 0,
			          "setting 'endpoint' must be an http:// or https:// URL, not '%s'",
			          c.endpoint);
			goto fail;
		}
	}
	addressing = lfp_get_str(settings, "addressing");
	if (addressing && strcmp(addressing, "path") && strcmp(addressing, "virtual")) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "setting 'addressing' must be 'path' or 'virtual', not '%s'", addressing);
		goto fail;
	}
	c.virtual_host = addressing ? !strcmp(addressing, "virtual") : !c.endpoint;
	tls = json_object_get(settings, "tls_verify");
	if (tls && !json_is_boolean(tls)) {
		lfp_error(call, LFP_E_INVALID, 0, "setting 'tls_verify' must be true or false");
		goto fail;
	}
	c.tls_verify = !json_is_false(tls);
	if (!c.tls_verify && (!c.endpoint || !local_host(c.endpoint))) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "setting 'tls_verify: false' is only allowed for an endpoint on this "
		          "machine (127.0.0.1, localhost, ::1), not '%s'",
		          c.endpoint ? c.endpoint : "aws");
		goto fail;
	}
	principals = json_object_get(settings, "principals");
	if (principals && !json_is_object(principals) && !json_is_null(principals)) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "setting 'principals' must map principals to ARNs");
		goto fail;
	}
	json_object_foreach (principals, key, v) {
		if (!json_is_string(v) || strncmp(json_string_value(v), "arn:", 4)) {
			lfp_error(call, LFP_E_INVALID, 0,
			          "setting 'principals': '%s' must map to an ARN ('arn:...')", key);
			goto fail;
		}
	}
	conf_release(&s->conf);
	s->conf = c;
	json_decref(s->principals);
	s->principals = principals ? json_deep_copy(principals) : json_object();
	memcpy(s->off, off, sizeof(off));
	s->configured = 1;
	lfp_log("configured: endpoint '%s', region '%s', %s addressing",
	        c.endpoint ? c.endpoint : "aws", c.region, c.virtual_host ? "virtual" : "path");
	lfp_log("%s", describe);
	err = 0;
	goto out;
fail:
	conf_release(&c);
out:
	free(describe);
	free(region_set);
	free(key_set);
	free(secret_set);
	free(token_set);
	aws_creds_release(&creds);
	return err;
}

static const struct lfp_type types[] = {
    {"storage.bucket", NULL, bucket_read, bucket_create, bucket_update, bucket_delete,
     name_validate, bucket_list, storage_usage},
    {"storage.prefix", NULL, prefix_read, prefix_create, prefix_update, prefix_delete,
     name_validate, prefix_list, storage_usage},
    {"storage.policy", NULL, policy_read, policy_create, policy_update, policy_delete,
     policy_validate, policy_list, NULL},
};

static const struct lfp_provider provider = {
    .version = LFP_VERSION,
    .name = "s3",
    .types = types,
    .ntypes = sizeof(types) / sizeof(types[0]),
    .concurrency = 8, /* each worker keeps its own connection */
    .configure = configure,
    .state = &s3_state,
};

/* Each request's line goes to the provider's log (the benchmarks count them). */
static void log_request(const char *line)
{
	lfp_log("%s", line);
}

int main(int argc, char **argv)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	s3_http_set_log(log_request);
	rc = lfp_main(&provider, argc, argv);
	s3_http_cleanup();
	conf_release(&s3_state.conf);
	json_decref(s3_state.principals);
	curl_global_cleanup();
	return rc;
}
