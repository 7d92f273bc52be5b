/*
 * backend_s3.h - the state kept in an S3 bucket (backend_s3.c says how).
 */
#ifndef LF_STATE_BACKENDS_S3_H
#define LF_STATE_BACKENDS_S3_H

#include "../state.h"

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

/*
 * Open the state at s3://bucket/key, working in a directory of this
 * process's own under `local_dir`/s3/ (removed by lf_backend_free()).
 * Nothing is sent until the state is locked or loaded.  0 or -errno.
 */
int lf_backend_s3_open(struct lf_backend **out, const struct lf_s3_backend_conf *c,
                       const char *local_dir);

#endif
