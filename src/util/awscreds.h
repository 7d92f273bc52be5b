/*
 * awscreds.h - AWS credentials and region found as AWS's own tools find
 * them (botocore's chain), for lakeform-provider-s3 and the s3 state
 * backend alike.
 *
 * Keys, in this order, from the first source that has them:
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and
 *      AWS_SESSION_TOKEN);
 *   2. keys the caller was given (the provider's settings), when any;
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (and
 *      AWS_ROLE_SESSION_NAME), else the profile's web_identity_token_file
 *      and role_arn (and role_session_name), exchanged for temporary keys
 *      with STS AssumeRoleWithWebIdentity, an unsigned POST to
 *      AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else
 *      https://sts.REGION.amazonaws.com;
 *   4. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 *      ~/.aws/credentials), section [PROFILE];
 *   5. the config file (AWS_CONFIG_FILE, else ~/.aws/config), section
 *      [profile PROFILE] ([default] for the default profile).
 * PROFILE is AWS_PROFILE, else "default".  A profile named by AWS_PROFILE
 * that neither file has is an error naming both files.
 *
 * The region: AWS_REGION, AWS_DEFAULT_REGION, the caller's (lakeform.yaml),
 * the profile's `region` in the config file; NULL when none says.
 *
 * The environment is read only through the caller's callback, so the core
 * stays environment-free; files and STS are read by this module.
 */
#ifndef AWSCREDS_H
#define AWSCREDS_H

typedef const char *(*aws_getenv_fn)(void *arg, const char *name);

struct aws_creds_opts {
	aws_getenv_fn getenv_fn;
	void *env_arg;
	/* keys from the caller's settings, tried after the environment's */
	const char *access_key, *secret_key, *session_token;
	const char *keys_source; /* how to name them: "settings 'access_key_id'" */
	const char *region;      /* the caller's region, after the environment's */
	const char *region_source;
	long timeout_ms; /* of the STS request; 0: 30 s */
};

struct aws_creds {
	char *access_key, *secret_key, *session_token; /* owned; token may be NULL */
	char *region;                                  /* owned, or NULL: none named */
	char *source;        /* where the keys came from, never a secret: for --verbose */
	char *region_source; /* where the region came from, or NULL */
};

#define AWS_CREDS_INIT                             \
	{                                          \
		NULL, NULL, NULL, NULL, NULL, NULL \
	}

/*
 * Find the keys and the region.  0 with keys in *out; 1 when no source has
 * keys (out->region still set; the caller says what to set); -1 with the
 * reason in *err (a new string): a profile not found, a web identity token
 * file that cannot be read, STS refusing or unreachable.
 */
int aws_creds_resolve(struct aws_creds *out, const struct aws_creds_opts *o, char **err);

/* One line for --verbose: where the keys and the region came from. */
char *aws_creds_describe(const struct aws_creds *c);

void aws_creds_release(struct aws_creds *c);

#endif
