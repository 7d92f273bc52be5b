/* test_awscreds: the order of the credential chain, the shared files as
 * AWS's tools read them, a missing profile; and the compact policy
 * document (util/s3policy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/awscreds.h"
#include "util/mem.h"
#include "util/s3policy.h"

/* A fake environment: NAME=VALUE strings, NULL-terminated. */
static const char *fake_env(void *arg, const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = arg; *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static char dir[64];
static char creds_path[128], conf_path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lf-awscreds.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(creds_path, sizeof(creds_path), "%s/credentials", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/config", dir);
	FILE *f = fopen(creds_path, "w");
	fputs("# a comment\n[default]\naws_access_key_id = AKIDEFAULT\n"
	      "aws_secret_access_key = s-default\n\n[dev]\naws_access_key_id=AKIDEV\n"
	      "aws_secret_access_key=s-dev\naws_session_token = t-dev\n",
	      f);
	fclose(f);
	f = fopen(conf_path, "w");
	fputs("[default]\nregion = eu-west-1\n[profile dev]\nregion = us-west-2\n"
	      "s3 =\n  addressing_style = path\n[profile confonly]\n"
	      "aws_access_key_id = AKICONF\naws_secret_access_key = s-conf\n"
	      "region = ap-south-1\n[dev]\nregion = wrong\n",
	      f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(creds_path);
	unlink(conf_path);
	rmdir(dir);
	return 0;
}

static int resolve(struct aws_creds *c, const char **env, char **err)
{
	struct aws_creds_opts o = {.getenv_fn = fake_env, .env_arg = (void *)env};
	return aws_creds_resolve(c, &o, err);
}

static void test_env_first(void **state)
{
	struct aws_creds c;
	char *err = NULL;
	char cf[160], sf[160];
	(void)state;
	snprintf(cf, sizeof(cf), "AWS_CONFIG_FILE=%s", conf_path);
	snprintf(sf, sizeof(sf), "AWS_SHARED_CREDENTIALS_FILE=%s", creds_path);
	const char *env[] = {
	    cf,  sf, "AWS_ACCESS_KEY_ID=AKIENV", "AWS_SECRET_ACCESS_KEY=s-env", "AWS_PROFILE=dev",
	    NULL};

	assert_int_equal(resolve(&c, env, &err), 0);
	assert_string_equal(c.access_key, "AKIENV");
	assert_null(c.session_token);
	assert_string_equal(c.source, "the environment (AWS_ACCESS_KEY_ID)");
	/* the profile still gives the region */
	assert_string_equal(c.region, "us-west-2");
	aws_creds_release(&c);
}

static void test_profiles(void **state)
{
	struct aws_creds c;
	char *err = NULL;
	char cf[160], sf[160];
	(void)state;
	snprintf(cf, sizeof(cf), "AWS_CONFIG_FILE=%s", conf_path);
	snprintf(sf, sizeof(sf), "AWS_SHARED_CREDENTIALS_FILE=%s", creds_path);
	const char *dflt[] = {cf, sf, NULL};
	const char *dev[] = {cf, sf, "AWS_PROFILE=dev", "AWS_REGION=ca-central-1", NULL};
	const char *conf[] = {cf, sf, "AWS_PROFILE=confonly", NULL};

	assert_int_equal(resolve(&c, dflt, &err), 0);
	assert_string_equal(c.access_key, "AKIDEFAULT");
	assert_string_equal(c.region, "eu-west-1");
	aws_creds_release(&c);

	assert_int_equal(resolve(&c, dev, &err), 0);
	assert_string_equal(c.access_key, "AKIDEV");
	assert_string_equal(c.session_token, "t-dev");
	assert_non_null(strstr(c.source, "profile 'dev' in the shared credentials file"));
	assert_string_equal(c.region, "ca-central-1");
	assert_string_equal(c.region_source, "AWS_REGION");
	aws_creds_release(&c);

	assert_int_equal(resolve(&c, conf, &err), 0);
	assert_string_equal(c.access_key, "AKICONF");
	assert_non_null(strstr(c.source, "profile 'confonly' in the config file"));
	assert_string_equal(c.region, "ap-south-1");
	char *line = aws_creds_describe(&c);
	assert_null(strstr(line, "s-conf")); /* never the secret */
	free(line);
	aws_creds_release(&c);
}

static void test_missing_profile(void **state)
{
	struct aws_creds c;
	char *err = NULL;
	char cf[160], sf[160];
	(void)state;
	snprintf(cf, sizeof(cf), "AWS_CONFIG_FILE=%s", conf_path);
	snprintf(sf, sizeof(sf), "AWS_SHARED_CREDENTIALS_FILE=%s/none", dir);
	const char *env[] = {cf, sf, "AWS_PROFILE=nope", NULL};
	const char *none[] = {sf, "AWS_CONFIG_FILE=/nonexistent/config", NULL};

	assert_int_equal(resolve(&c, env, &err), -1);
	assert_non_null(strstr(err, "profile 'nope' (AWS_PROFILE) is not in the shared "
	                            "credentials file"));
	assert_non_null(strstr(err, "(no such file)"));
	assert_non_null(strstr(err, conf_path));
	free(err);
	/* no profile named, no files: no keys, not an error */
	assert_int_equal(resolve(&c, none, &err), 1);
	aws_creds_release(&c);
}

static const char *arn_of(void *arg, const char *p)
{
	(void)arg;
	return strcmp(p, "user:x") ? "arn:aws:iam::1:role/g" : "arn:aws:iam::1:user/x";
}

static void test_policy_compact(void **state)
{
	(void)state;
	json_t *st =
	    json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s}]", "principal",
	              "user:x", "access", "read", "path", "a/", "principal", "user:x", "access",
	              "read", "path", "b/", "principal", "group:g", "access", "write", "path", "",
	              "principal", "user:x", "access", "read", "path", "a/");
	json_t *doc = s3_policy_compile("bk", "id", st, arn_of, NULL, NULL);
	char *text = s3_policy_text(doc);

	/* user:x: one read statement of two resources and one list; group:g:
	 * one write and one list without a condition */
	assert_string_equal(
	    text,
	    "{\"Version\":\"2012-10-17\",\"Id\":\"id\",\"Statement\":["
	    "{\"Sid\":\"LakeformRead0\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::"
	    "1:user/x\"},\"Action\":[\"s3:GetObject\"],\"Resource\":[\"arn:aws:s3:::bk/a/*\","
	    "\"arn:aws:s3:::bk/b/*\"]},"
	    "{\"Sid\":\"LakeformList0\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::"
	    "1:user/x\"},\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::bk\","
	    "\"Condition\":{\"StringLike\":{\"s3:prefix\":[\"a/*\",\"b/*\"]}}},"
	    "{\"Sid\":\"LakeformWrite1\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam:"
	    ":"
	    "1:role/g\"},\"Action\":[\"s3:GetObject\",\"s3:PutObject\",\"s3:DeleteObject\","
	    "\"s3:AbortMultipartUpload\"],\"Resource\":\"arn:aws:s3:::bk/*\"},"
	    "{\"Sid\":\"LakeformList1\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::"
	    "1:role/g\"},\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::bk\"}]}");
	free(text);
	json_decref(doc);
	json_decref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_env_first),
	    cmocka_unit_test(test_profiles),
	    cmocka_unit_test(test_missing_profile),
	    cmocka_unit_test(test_policy_compact),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
