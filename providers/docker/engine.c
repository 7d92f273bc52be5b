/*
 * engine.c - HTTP to the Docker Engine API with libcurl (see engine.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/mem.h"

#define MAX_ANSWER (64u << 20)
/* a refused connection (an engine restarting) is tried again for this long */
#define REFUSED_RETRY_MS 1500
#define RETRY_PAUSE_MS 150
#define MAX_ATTEMPTS 4

static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;

void dk_error(struct lfp_call *call, int code, int retryable, const char *fmt, ...)
{
	struct lf_buf m = LF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	lf_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&error_lock);
	lfp_error(call, code, retryable, "%s", lf_buf_cstr(&m));
	pthread_mutex_unlock(&error_lock);
	lf_buf_release(&m);
}

void engine_release(struct engine *e)
{
	free(e->socket);
	free(e->base);
	free(e->where);
	free(e->from);
	free(e->product);
	memset(e, 0, sizeof(*e));
}

/* Sets `e` from one address: unix:///path or tcp://host:port. */
static int parse_address(struct lfp_call *call, struct engine *e, const char *addr,
                         const char *from)
{
	if (!strncmp(addr, "unix://", 7) && addr[7] == '/') {
		e->socket = lf_xstrdup(addr + 7);
		e->base = lf_xstrdup("http://localhost");
	} else if (!strncmp(addr, "tcp://", 6) && addr[6] && !strchr(addr + 6, '/')) {
		e->base = lf_xasprintf("http://%s", addr + 6);
	} else {
		dk_error(call, LFP_E_INVALID, 0,
		         "docker engine address '%s' (from %s) must be unix:///path or "
		         "tcp://host:port",
		         addr, from);
		return -1;
	}
	e->where = lf_xstrdup(addr);
	e->from = lf_xstrdup(from);
	return 0;
}

int engine_resolve(struct lfp_call *call, struct engine *out, const char *docker_host,
                   const char *setting, const char *xdg_runtime)
{
	char *xdg =
	    xdg_runtime && *xdg_runtime ? lf_xasprintf("%s/podman/podman.sock", xdg_runtime) : NULL;
	const char *defaults[] = {"/var/run/docker.sock", "/run/podman/podman.sock", xdg};
	struct stat st;
	int err = -1;

	if (docker_host && *docker_host) {
		err = parse_address(call, out, docker_host, "DOCKER_HOST");
		goto out;
	}
	if (setting && *setting) {
		err = parse_address(call, out, setting, "settings.host");
		goto out;
	}
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		if (defaults[i] && stat(defaults[i], &st) == 0) {
			char *addr = lf_xasprintf("unix://%s", defaults[i]);
			err = parse_address(call, out, addr, "the default sockets");
			free(addr);
			goto out;
		}
	}
	dk_error(call, LFP_E_UNAVAILABLE, 0,
	         "no docker engine found: none of '/var/run/docker.sock', "
	         "'/run/podman/podman.sock'%s%s%s exists; start docker or "
	         "'podman system service', or set DOCKER_HOST or the 'host' setting",
	         xdg ? ", '" : "", xdg ? xdg : "", xdg ? "'" : "");
out:
	free(xdg);
	return err;
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct lf_buf *b = arg;

	if (b->len + size * n > MAX_ANSWER)
		return 0;
	lf_buf_add(b, data, size * n);
	return size * n;
}

/* Why a unix socket cannot be connected to, in words; NULL when unclear. */
static int socket_problem(struct lfp_call *call, const struct engine *e, long os_errno)
{
	struct stat st;

	if (!e->socket)
		return 0;
	if (stat(e->socket, &st) < 0 || os_errno == ENOENT) {
		dk_error(call, LFP_E_UNAVAILABLE, 0,
		         "docker engine socket '%s' (from %s) does not exist: start docker or "
		         "'podman system service', or point DOCKER_HOST at the engine",
		         e->socket, e->from);
		return 1;
	}
	if (os_errno == EACCES || access(e->socket, R_OK | W_OK) < 0) {
		dk_error(call, LFP_E_UNAVAILABLE, 0,
		         "permission denied on docker engine socket '%s' (from %s): run as a "
		         "member of its group (docker), or use a rootless podman socket",
		         e->socket, e->from);
		return 1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		dk_error(call, LFP_E_UNAVAILABLE, 0, "'%s' (from %s) is not a socket", e->socket,
		         e->from);
		return 1;
	}
	return 0;
}

int engine_call(struct lfp_call *call, const struct engine *e, const char *method, const char *path,
                const json_t *body, long *status, json_t **out)
{
	struct lf_buf answer = LF_BUF_INIT;
	struct curl_slist *headers = NULL;
	char *url = e->api ? lf_xasprintf("%s/v1.%d%s", e->base, e->api, path)
	                   : lf_xasprintf("%s%s", e->base, path);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	long start = lf_now_ms();
	CURL *h = curl_easy_init();
	int err = -1;

	*out = NULL;
	*status = 0;
	if (!h) {
		dk_error(call, LFP_E_INTERNAL, 0, "cannot start a curl handle");
		goto out;
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	for (int attempt = 1;; attempt++) {
		long left = lfp_call_remaining_ms(call), os_errno = 0;
		CURLcode rc;

		if (left <= 0) {
			dk_error(call, LFP_E_UNAVAILABLE, 1,
			         "the deadline passed before the docker engine at '%s' answered "
			         "'%s %s'",
			         e->where, method, path);
			goto out;
		}
		curl_easy_reset(h);
		lf_buf_truncate(&answer, 0);
		curl_easy_setopt(h, CURLOPT_URL, url);
		if (e->socket)
			curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, e->socket);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, left > 600000 ? 600000L : left);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
		if (text) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
		}
		rc = curl_easy_perform(h);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
			if ((*status == 502 || *status == 503 || *status == 504) &&
			    attempt < MAX_ATTEMPTS) {
				lfp_log("engine answered %ld to '%s %s', trying again", *status,
				        method, path);
				lf_sleep_ms(RETRY_PAUSE_MS * attempt);
				continue;
			}
			break;
		}
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
		if (rc == CURLE_COULDNT_CONNECT && socket_problem(call, e, os_errno))
			goto out;
		if (rc == CURLE_COULDNT_CONNECT && lf_now_ms() - start < REFUSED_RETRY_MS) {
			lf_sleep_ms(RETRY_PAUSE_MS);
			continue;
		}
		if (rc == CURLE_OPERATION_TIMEDOUT)
			dk_error(call, LFP_E_UNAVAILABLE, 1,
			         "the docker engine at '%s' did not answer '%s %s' in time",
			         e->where, method, path);
		else if (rc == CURLE_COULDNT_CONNECT)
			dk_error(call, LFP_E_UNAVAILABLE, 1,
			         "cannot connect to the docker engine at '%s' (from %s): %s",
			         e->where, e->from,
			         os_errno ? strerror((int)os_errno) : curl_easy_strerror(rc));
		else
			dk_error(call, LFP_E_UNAVAILABLE, 1, "docker engine at '%s': '%s %s': %s",
			         e->where, method, path, curl_easy_strerror(rc));
		goto out;
	}
	if (answer.len)
		*out = json_loadb(answer.ptr, answer.len, 0, NULL);
	err = 0;
out:
	curl_slist_free_all(headers);
	if (h)
		curl_easy_cleanup(h);
	lf_buf_release(&answer);
	free(text);
	free(url);
	return err;
}

/* The minor of "1.N" (N < 1000), or -1 when `v` is not of that form. */
static int api_minor(const char *v)
{
	char *end = NULL;
	long n;

	if (!v || strncmp(v, "1.", 2) || v[2] < '0' || v[2] > '9')
		return -1;
	n = strtol(v + 2, &end, 10);
	return *end || n > 999 ? -1 : (int)n;
}

/* "Podman 4.3.1" or "Docker 20.10.24+dfsg1" from a /version answer (owned). */
static char *product_of(const json_t *version)
{
	const char *v = json_string_value(json_object_get(version, "Version"));
	const char *kind = "Docker";
	const json_t *c;
	size_t i;

	/* podman names its component "Podman Engine", docker "Engine" */
	json_array_foreach (json_object_get(version, "Components"), i, c) {
		const char *name = json_string_value(json_object_get(c, "Name"));

		if (name && strstr(name, "Podman"))
			kind = "Podman";
	}
	return lf_xasprintf("%s %s", kind, v ? v : "(version not given)");
}

int engine_negotiate(struct lfp_call *call, struct engine *e, const char *forced)
{
	json_t *answer = NULL;
	const char *max_text, *min_text;
	int max, min, use, err = -1;
	long status;

	e->api = 0; /* GET /version is unversioned: every engine answers it */
	if (engine_call(call, e, "GET", "/version", NULL, &status, &answer) < 0)
		goto out;
	if (status != 200) {
		engine_fail(call, status, answer, "asking the docker engine its version");
		goto out;
	}
	max_text = json_string_value(json_object_get(answer, "ApiVersion"));
	min_text = json_string_value(json_object_get(answer, "MinAPIVersion"));
	max = api_minor(max_text);
	min = min_text ? api_minor(min_text) : max;
	if (max < 0 || min < 0) {
		dk_error(call, LFP_E_UNAVAILABLE, 0,
		         "the docker engine at '%s' answered /version without an API version of "
		         "the form 1.N (ApiVersion '%s', MinAPIVersion '%s')",
		         e->where, max_text ? max_text : "", min_text ? min_text : "");
		goto out;
	}
	free(e->product);
	e->product = product_of(answer);
	if (forced && *forced) {
		use = api_minor(forced);
		if (use < 0) {
			dk_error(call, LFP_E_INVALID, 0,
			         "DOCKER_API_VERSION '%s' must be an API version of the form 1.N, "
			         "like 1.44",
			         forced);
			goto out;
		}
		lfp_log("docker engine at '%s' (from %s): %s, API 1.%d to 1.%d; using API 1.%d "
		        "(from DOCKER_API_VERSION%s)",
		        e->where, e->from, e->product, min, max, use,
		        use < ENGINE_API_MIN || use > ENGINE_API_MAX
		            ? ", outside the versions lakeform has checked"
		            : "");
	} else {
		use = max < ENGINE_API_MAX ? max : ENGINE_API_MAX;
		if (use < min || use < ENGINE_API_MIN) {
			dk_error(call, LFP_E_UNAVAILABLE, 0,
			         "the docker engine at '%s' (%s) speaks API 1.%d to 1.%d, lakeform "
			         "speaks 1.%d to 1.%d: no version in common (DOCKER_API_VERSION "
			         "forces one)",
			         e->where, e->product, min, max, ENGINE_API_MIN, ENGINE_API_MAX);
			goto out;
		}
		lfp_log("docker engine at '%s' (from %s): %s, API 1.%d to 1.%d; using API 1.%d "
		        "(lakeform speaks 1.%d to 1.%d)",
		        e->where, e->from, e->product, min, max, use, ENGINE_API_MIN,
		        ENGINE_API_MAX);
	}
	e->api = use;
	err = 0;
out:
	json_decref(answer);
	return err;
}

const char *engine_message(const json_t *answer)
{
	const char *m = json_string_value(json_object_get(answer, "message"));

	return m ? m : "";
}

/* Causes of a 500 that waiting does not clear (podman answers 500 for them). */
static int lasting_cause(const char *msg, int *code)
{
	static const struct {
		const char *text;
		int code;
	} causes[] = {
	    {"already exists", LFP_E_CONFLICT},
	    {"already in use", LFP_E_CONFLICT},
	    {"is being used", LFP_E_CONFLICT},
	    {"has active endpoints", LFP_E_CONFLICT},
	    {"already used", LFP_E_CONFLICT},
	    {"overlaps", LFP_E_CONFLICT},
	    {"no command or entrypoint", LFP_E_INVALID},
	    {"invalid", LFP_E_INVALID},
	};

	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		if (strstr(msg, causes[i].text)) {
			*code = causes[i].code;
			return 1;
		}
	}
	return 0;
}

int engine_fail(struct lfp_call *call, long status, const json_t *answer, const char *what)
{
	const char *msg = engine_message(answer);
	int code = LFP_E_INVALID, retryable = 0;

	if (status == 404)
		code = LFP_E_NOT_FOUND;
	else if (status == 409 || status == 403) /* 403: a network still in use */
		code = LFP_E_CONFLICT;
	else if (status >= 500 && !lasting_cause(msg, &code)) {
		code = LFP_E_UNAVAILABLE;
		retryable = 1;
	}
	if (*msg)
		dk_error(call, code, retryable, "%s: %s", what, msg);
	else
		dk_error(call, code, retryable, "%s: the engine answered http %ld", what, status);
	return -1;
}

char *engine_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *copy = lf_xstrdup(e ? e : "");

	curl_free(e);
	return copy;
}
