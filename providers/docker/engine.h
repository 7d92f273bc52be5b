/*
 * engine.h - the Docker Engine API through libcurl, for the docker provider:
 * where the engine is, which API version both sides speak, one HTTP request
 * with a JSON body and a JSON answer, and the engine's errors turned into
 * the protocol's codes.
 *
 * Docker and Podman (`podman system service`) both answer this API, on a
 * unix socket or on TCP.  Every function that fails has called dk_error()
 * on the call with a lowercase message that names the engine's address.
 * A `struct engine` is set by configure, which runs alone, and only read by
 * the calls after it, so it needs no lock.
 */
#ifndef LF_DOCKER_ENGINE_H
#define LF_DOCKER_ENGINE_H

#include <jansson.h>

#include "../sdk/lfp.h"

/*
 * The API versions 1.x whose requests and answers the provider has been
 * checked against (the Engine API's version history, and the engines of
 * docs/docker.md).  Only the minor number changes: the major is 1.
 */
#define ENGINE_API_MIN 41
#define ENGINE_API_MAX 47

struct engine {
	char *socket;  /* unix socket path, or NULL for TCP */
	char *base;    /* "http://localhost" or "http://host:port"; owned */
	char *where;   /* the address as written ("unix:///run/podman/podman.sock") */
	char *from;    /* where the address came from ("DOCKER_HOST"), for messages */
	char *product; /* "Podman 4.3.1", "Docker 20.10.24"; NULL before engine_negotiate() */
	int api;       /* the minor of API 1.x in every path; 0: unversioned paths */
};

#define ENGINE_INIT                             \
	{                                       \
		NULL, NULL, NULL, NULL, NULL, 0 \
	}

void engine_release(struct engine *e);

/*
 * lfp_error() that may be called for one call from several threads at once
 * (the workers of a pool change, run_jobs() in docker.c): the last message
 * stays.  Everything in this provider reports errors through it.
 */
void dk_error(struct lfp_call *call, int code, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Choose the engine: `docker_host` (DOCKER_HOST, may be NULL or ""), else
 * `setting` (settings.host), else the first of /var/run/docker.sock,
 * /run/podman/podman.sock and `xdg_runtime`/podman/podman.sock that
 * exists.  0, or -1 after dk_error() (1003 for an address that is neither
 * unix:// nor tcp://, 1004 when no socket exists).
 */
int engine_resolve(struct lfp_call *call, struct engine *out, const char *docker_host,
                   const char *setting, const char *xdg_runtime);

/*
 * Choose the API version, as the Docker CLI does: GET /version (an
 * unversioned path), then the highest version both the engine
 * (MinAPIVersion to ApiVersion) and the provider (ENGINE_API_MIN to
 * ENGINE_API_MAX) speak; `forced` (DOCKER_API_VERSION, may be NULL or "")
 * is used exactly as given, unchecked against either range, as the CLI
 * does.  Sets e->api and e->product and logs both.  0, or -1 after
 * dk_error(): 1004 when the two ranges do not meet (the message names
 * both), 1003 when `forced` is not "1.N".
 */
int engine_negotiate(struct lfp_call *call, struct engine *e, const char *forced);

/*
 * One request: `method` on "/v1.N`path`" (N is e->api; `path` alone while
 * it is 0) with `body` (borrowed, may be
 * NULL) as JSON.  On an answer of any status: 0, *status set and *out the
 * parsed body (new reference; NULL when empty or not JSON).  When the
 * engine cannot be reached: -1 after dk_error() (1004; a refused
 * connection and 502/503/504 are retried briefly first, within the call's
 * deadline).
 */
int engine_call(struct lfp_call *call, const struct engine *e, const char *method, const char *path,
                const json_t *body, long *status, json_t **out);

/*
 * Fail the call for an engine answer that is not a success: "`what`: the
 * engine's message".  404 is 1001, 409 and 403 1002, other 4xx 1003 and
 * 5xx 1004 retryable, but for causes known not to clear by themselves.
 * Returns -1.
 */
int engine_fail(struct lfp_call *call, long status, const json_t *answer, const char *what);

/* The engine's message in an error answer (borrowed), or "". */
const char *engine_message(const json_t *answer);

/* `s` escaped for a URL query (owned by the caller). */
char *engine_escape(const char *s);

#endif
