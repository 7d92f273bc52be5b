#include "awscreds.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fs.h"
#include "mem.h"
#include "s3http.h"

/* ---- the shared files ---------------------------------------------------- */

/* One section of an INI file: its keys and values, both owned. */
struct section {
	char **keys, **values;
	size_t n, alloc;
	int found;
};

static const char *section_get(const struct section *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i], key))
			return *s->values[i] ? s->values[i] : NULL;
	return NULL;
}

static void section_release(struct section *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->keys[i]);
		free(s->values[i]);
	}
	free(s->keys);
	free(s->values);
	memset(s, 0, sizeof(*s));
}

static char *trim(char *p, char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return p;
}

/*
 * Read section `name` (or `alt`, when not NULL) of the INI file `path` into
 * *s as AWS's tools do: "[name]" headers, "key = value" lines, '#' and ';'
 * comment lines, indented lines (nested settings) skipped.  Returns 0, or
 * -errno when the file cannot be read (-ENOENT: it does not exist).
 */
static int read_section(struct section *s, const char *path, const char *name, const char *alt)
{
	char *text = NULL, *line, *next;
	size_t len;
	int in = 0, err = lf_read_file(&text, &len, path, 1 << 20);

	memset(s, 0, sizeof(*s));
	if (err)
		return err;
	for (line = text; line && *line; line = next) {
		char *nl = strchr(line, '\n');
		next = nl ? nl + 1 : NULL;
		char *end = nl ? nl : line + strlen(line);
		if (line < end && (*line == ' ' || *line == '\t'))
			continue; /* a nested setting (s3 = ...) */
		char *p = trim(line, end);
		if (!*p || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			char *close = strchr(p, ']');
			char *h = close ? trim(p + 1, close) : p;
			in = !strcmp(h, name) || (alt && !strcmp(h, alt));
			if (in)
				s->found = 1;
			continue;
		}
		char *eq = strchr(p, '=');
		if (!in || !eq)
			continue;
		char *k = trim(p, eq);
		char *v = trim(eq + 1, eq + 1 + strlen(eq + 1));
		LF_GROW(s->keys, s->n + 1, s->alloc);
		s->values = lf_xrealloc(s->values, s->alloc * sizeof(*s->values));
		s->keys[s->n] = lf_xstrdup(k);
		s->values[s->n++] = lf_xstrdup(v);
	}
	free(text);
	return 0;
}

/* ---- web identity --------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	lf_buf_add(arg, data, size * n);
	return size * n;
}

static void form_add(struct lf_buf *b, const char *key, const char *value)
{
	lf_buf_addf(b, "%s%s=", b->len ? "&" : "", key);
	s3_uri_encode(b, value, 0);
}

/*
 * Temporary keys for `role_arn` from STS AssumeRoleWithWebIdentity, given
 * the token in `token_file`.  0, or -1 with *err.
 */
static int assume_role_web_identity(struct aws_creds *out, const char *endpoint,
                                    const char *role_arn, const char *session,
                                    const char *token_file, long timeout_ms, char **err)
{
	char *token = NULL, *errbuf = lf_xcalloc(1, CURL_ERROR_SIZE);
	size_t len;
	struct lf_buf form = LF_BUF_INIT, body = LF_BUF_INIT;
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL;
	long status = 0;
	int rc = -1, e;

	if ((e = lf_read_file(&token, &len, token_file, 1 << 20)) != 0) {
		*err = lf_xasprintf("cannot read the web identity token file '%s': %s", token_file,
		                    strerror(-e));
		goto out;
	}
	while (len && isspace((unsigned char)token[len - 1]))
		token[--len] = '\0';
	form_add(&form, "Action", "AssumeRoleWithWebIdentity");
	form_add(&form, "RoleArn", role_arn);
	form_add(&form, "RoleSessionName", session);
	form_add(&form, "Version", "2011-06-15");
	form_add(&form, "WebIdentityToken", token);
	h = curl_easy_init();
	if (!h) {
		*err = lf_xstrdup("cannot start a request to STS");
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
	hdrs = curl_slist_append(hdrs, "Accept: application/xml");
	curl_easy_setopt(h, CURLOPT_URL, endpoint);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, lf_buf_cstr(&form));
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form.len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		*err = lf_xasprintf("cannot reach STS at '%s' for web identity: %s", endpoint,
		                    *errbuf ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	const char *xml = lf_buf_cstr(&body);
	if (status != 200) {
		char *code = s3_xml_text(xml, "Code", NULL);
		char *msg = s3_xml_text(xml, "Message", NULL);
		*err = lf_xasprintf("STS at '%s' refused AssumeRoleWithWebIdentity for role '%s': "
		                    "%ld%s%s%s%s",
		                    endpoint, role_arn, status, code ? " " : "", code ? code : "",
		                    msg ? ": " : "", msg ? msg : "");
		free(code);
		free(msg);
		goto out;
	}
	const char *creds = strstr(xml, "<Credentials>");
	out->access_key = creds ? s3_xml_text(creds, "AccessKeyId", NULL) : NULL;
	out->secret_key = creds ? s3_xml_text(creds, "SecretAccessKey", NULL) : NULL;
	out->session_token = creds ? s3_xml_text(creds, "SessionToken", NULL) : NULL;
	if (!out->access_key || !out->secret_key) {
		*err = lf_xasprintf("STS at '%s' answered AssumeRoleWithWebIdentity without "
		                    "credentials",
		                    endpoint);
		goto out;
	}
	rc = 0;
out:
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	lf_buf_release(&form);
	lf_buf_release(&body);
	free(errbuf);
	free(token);
	return rc;
}

/* ---- the chain -------------------------------------------------------------- */

static const char *env(const struct aws_creds_opts *o, const char *name)
{
	const char *v = o->getenv_fn(o->env_arg, name);
	return v && *v ? v : NULL;
}

static char *file_path(const struct aws_creds_opts *o, const char *var, const char *base)
{
	const char *home = env(o, "HOME");

	if (env(o, var))
		return lf_xstrdup(env(o, var));
	return lf_xasprintf("%s/.aws/%s", home ? home : "", base);
}

static void set_keys(struct aws_creds *out, const char *id, const char *secret, const char *token)
{
	out->access_key = lf_xstrdup(id);
	out->secret_key = lf_xstrdup(secret);
	out->session_token = token && *token ? lf_xstrdup(token) : NULL;
}

int aws_creds_resolve(struct aws_creds *out, const struct aws_creds_opts *o, char **err)
{
	const char *profile = env(o, "AWS_PROFILE");
	char *cred_path = file_path(o, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char *conf_path = file_path(o, "AWS_CONFIG_FILE", "config");
	char *conf_name = lf_xasprintf("profile %s", profile ? profile : "default");
	struct section cred, conf;
	int rc = -1, ce, fe;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	ce = read_section(&cred, cred_path, profile ? profile : "default", NULL);
	fe = read_section(&conf, conf_path, conf_name,
	                  !profile || !strcmp(profile, "default") ? "default" : NULL);
	if (ce && ce != -ENOENT) {
		*err = lf_xasprintf("cannot read the shared credentials file '%s': %s", cred_path,
		                    strerror(-ce));
		goto out;
	}
	if (fe && fe != -ENOENT) {
		*err =
		    lf_xasprintf("cannot read the config file '%s': %s", conf_path, strerror(-fe));
		goto out;
	}
	if (profile && !cred.found && !conf.found) {
		*err = lf_xasprintf("profile '%s' (AWS_PROFILE) is not in the shared credentials "
		                    "file '%s'%s nor in the config file '%s'%s",
		                    profile, cred_path, ce ? " (no such file)" : "", conf_path,
		                    fe ? " (no such file)" : "");
		goto out;
	}
	const char *pname = profile ? profile : "default";

	/* the region */
	if (env(o, "AWS_REGION")) {
		out->region = lf_xstrdup(env(o, "AWS_REGION"));
		out->region_source = lf_xstrdup("AWS_REGION");
	} else if (env(o, "AWS_DEFAULT_REGION")) {
		out->region = lf_xstrdup(env(o, "AWS_DEFAULT_REGION"));
		out->region_source = lf_xstrdup("AWS_DEFAULT_REGION");
	} else if (o->region && *o->region) {
		out->region = lf_xstrdup(o->region);
		out->region_source = lf_xstrdup(o->region_source ? o->region_source : "settings");
	} else if (section_get(&conf, "region")) {
		out->region = lf_xstrdup(section_get(&conf, "region"));
		out->region_source =
		    lf_xasprintf("profile '%s' in the config file '%s'", pname, conf_path);
	}

	/* the keys */
	const char *role = env(o, "AWS_ROLE_ARN"),
	           *token_file = env(o, "AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *session = env(o, "AWS_ROLE_SESSION_NAME"),
	           *wi_from = "AWS_WEB_IDENTITY_TOKEN_FILE";
	char *wi_where = NULL;
	if (!role || !token_file) {
		role = section_get(&conf, "role_arn");
		token_file = section_get(&conf, "web_identity_token_file");
		session = section_get(&conf, "role_session_name");
		wi_from = NULL;
		if (role && token_file)
			wi_where =
			    lf_xasprintf("profile '%s' in the config file '%s'", pname, conf_path);
	}
	if (env(o, "AWS_ACCESS_KEY_ID") && env(o, "AWS_SECRET_ACCESS_KEY")) {
		set_keys(out, env(o, "AWS_ACCESS_KEY_ID"), env(o, "AWS_SECRET_ACCESS_KEY"),
		         env(o, "AWS_SESSION_TOKEN"));
		out->source = lf_xstrdup("the environment (AWS_ACCESS_KEY_ID)");
	} else if (o->access_key && *o->access_key && o->secret_key && *o->secret_key) {
		set_keys(out, o->access_key, o->secret_key, o->session_token);
		out->source = lf_xstrdup(o->keys_source ? o->keys_source : "settings");
	} else if (role && token_file) {
		const char *ep = env(o, "AWS_ENDPOINT_URL_STS") ? env(o, "AWS_ENDPOINT_URL_STS")
		                                                : env(o, "AWS_ENDPOINT_URL");
		char *url = ep ? lf_xstrdup(ep)
		               : lf_xasprintf("https://sts.%s.amazonaws.com",
		                              out->region ? out->region : "us-east-1");
		char *sname = session ? lf_xstrdup(session)
		                      : lf_xasprintf("lakeform-%lld", (long long)time(NULL));
		int e =
		    assume_role_web_identity(out, url, role, sname, token_file, o->timeout_ms, err);
		if (!e)
			out->source =
			    lf_xasprintf("web identity (%s): role '%s' assumed through STS at '%s'",
			                 wi_from ? wi_from : wi_where, role, url);
		free(url);
		free(sname);
		if (e) {
			free(wi_where);
			goto out;
		}
	} else if (section_get(&cred, "aws_access_key_id") &&
	           section_get(&cred, "aws_secret_access_key")) {
		set_keys(out, section_get(&cred, "aws_access_key_id"),
		         section_get(&cred, "aws_secret_access_key"),
		         section_get(&cred, "aws_session_token"));
		out->source = lf_xasprintf("profile '%s' in the shared credentials file '%s'",
		                           pname, cred_path);
	} else if (section_get(&conf, "aws_access_key_id") &&
	           section_get(&conf, "aws_secret_access_key")) {
		set_keys(out, section_get(&conf, "aws_access_key_id"),
		         section_get(&conf, "aws_secret_access_key"),
		         section_get(&conf, "aws_session_token"));
		out->source =
		    lf_xasprintf("profile '%s' in the config file '%s'", pname, conf_path);
	}
	free(wi_where);
	rc = out->access_key ? 0 : 1;
out:
	if (rc < 0) {
		char *keep = *err;
		aws_creds_release(out);
		*err = keep;
	}
	section_release(&cred);
	section_release(&conf);
	free(cred_path);
	free(conf_path);
	free(conf_name);
	return rc;
}

char *aws_creds_describe(const struct aws_creds *c)
{
	return lf_xasprintf("credentials from %s; region %s%s%s%s",
	                    c->source ? c->source : "nowhere", c->region ? "'" : "",
	                    c->region ? c->region : "not set", c->region ? "' from " : "",
	                    c->region ? c->region_source : "");
}

void aws_creds_release(struct aws_creds *c)
{
	free(c->access_key);
	free(c->secret_key);
	free(c->session_token);
	free(c->region);
	free(c->source);
	free(c->region_source);
	memset(c, 0, sizeof(*c));
}
