/*
 * lfp.h - the lakeform provider SDK: a provider as a table of callbacks.
 *
 * A provider is an executable `lakeform-provider-<name>` that lakeform
 * starts and speaks to with JSON-RPC 2.0, one message per line, on stdin
 * and stdout; stderr is its log (docs/providers.md is the protocol).  This
 * library does the framing, the dispatch to the callbacks, several requests
 * at once on worker threads, errors and logging, so that a provider written
 * in C is its resource types and their five operations:
 *
 *   static const struct lfp_type types[] = {
 *       {"storage.bucket", BUCKET_SCHEMA, bucket_read, bucket_create,
 *        bucket_update, bucket_delete, NULL},
 *   };
 *   static const struct lfp_provider provider = {
 *       LFP_VERSION, "local-storage", types, 1, 4, configure, NULL, 0,
 *   };
 *   int main(int argc, char **argv) { return lfp_main(&provider, argc, argv); }
 *
 * Every callback gets the request's params (borrowed) and returns 0 with a
 * new reference in *result, or -1 after lfp_error().  Callbacks run on
 * worker threads: several at once when `concurrency` > 1, never two for the
 * same address at once (the second waits, calls for one address run in the
 * order they came).  `configure` runs alone: after every call before it has
 * been answered and before any after it starts.  They must not write to
 * stdout.
 *
 * The SDK checks the envelope and the params' shape before a callback runs:
 * `type` is one of the table's, `address` a non-empty string, `inputs` an
 * object (create, update, validate; object or null for read), `id` a string
 * (update, delete; string or null for read).  It answers read, create,
 * update and delete with 1005 before `configure` has succeeded, update of a
 * type without `update` with 1003, validate of a type without `validate`
 * with no diagnostics, and a call whose deadline passed while it waited
 * with 1004 (retryable).  It checks the result's shape too: read must give
 * a boolean `exists` (`id` and `attributes` default to null), create a
 * string `id` and an object `attributes`, update an object `attributes`,
 * validate an array `diagnostics`, list an array `objects`; a NULL result
 * stands for {}.  `list` (params: type) reports every object of the type
 * that carries the configured account's ownership label, whatever its
 * address: what drift detection calls unmanaged when no state records it.  A callback
 * that returns -1 without lfp_error() is answered -32603.
 */
#ifndef LFP_H
#define LFP_H

#include <jansson.h>
#include <stddef.h>

#define LFP_VERSION 1          /* of struct lfp_provider (the table) */
#define LFP_PROTOCOL_VERSION 1 /* of the wire protocol */

/* Error codes a provider returns (JSON-RPC error.code). */
enum lfp_code {
	LFP_E_PARSE = -32700,
	LFP_E_INVALID_REQUEST = -32600,
	LFP_E_NO_METHOD = -32601,
	LFP_E_INVALID_PARAMS = -32602,
	LFP_E_INTERNAL = -32603,
	LFP_E_NOT_FOUND = 1001,   /* the object does not exist */
	LFP_E_CONFLICT = 1002,    /* it exists and is not ours, or is in the way */
	LFP_E_INVALID = 1003,     /* the inputs cannot be carried out */
	LFP_E_UNAVAILABLE = 1004, /* the backend cannot be reached now */
	LFP_E_NOT_CONFIGURED = 1005,
};

struct lfp_call; /* one request, for lfp_error() and lfp_call_state() */

typedef int (*lfp_op_fn)(struct lfp_call *call, const json_t *params, json_t **result);

struct lfp_type {
	const char *name;        /* "storage.bucket" */
	const char *schema_json; /* its JSON Schema as text, or NULL */
	lfp_op_fn read;          /* {exists, id, attributes} */
	lfp_op_fn create;        /* {id, attributes} */
	lfp_op_fn update;        /* {attributes}; NULL: every change replaces */
	lfp_op_fn del;           /* {} */
	lfp_op_fn validate;      /* {diagnostics: [...]}; NULL: always valid */
	lfp_op_fn list;          /* {objects: [{id, address, attributes}]}; NULL: -32601 */
	/* what the object really uses (docs/providers.md, usage): storage
	 * {bytes, objects}, node pools {nodes: [{id, running, started_at}]};
	 * NULL: -32601, which lakeform reports as "usage not reported" */
	lfp_op_fn usage;
};

struct lfp_provider {
	int version;      /* LFP_VERSION */
	const char *name; /* "local-storage" */
	const struct lfp_type *types;
	size_t ntypes;
	int concurrency; /* worker threads; 0 means 1 */
	/* `settings` borrowed; return 0, or -1 after lfp_error().  NULL: none */
	int (*configure)(struct lfp_call *call, const json_t *settings);
	void *state; /* the provider's own, lfp_call_state() */
	/* 1: every read callback answers quickly without blocking (it never
	 * waits on a network, a lock or a sleep), so the SDK may run reads on
	 * its input thread instead of handing each to a worker; their answers
	 * are written together.  0 (the default): reads go to the workers. */
	int inline_reads;
	/* the provider's own version, reported at initialize (lakeform.yaml's
	 * providers.NAME.version is checked against it); NULL: the version of
	 * the lakeform release it was built with */
	const char *release;
	/* 1: no read callback looks at params' "inputs" (it reads by id, or by
	 * the ownership labels), so the SDK need not decode them: a read's
	 * params then hold "inputs": null.  Recorded inputs can be large (a
	 * bucket policy's statements); 0 (the default): decoded as sent. */
	int reads_ignore_inputs;
	/* 1: no update callback looks at params' "prior" (the recorded
	 * attributes), so the SDK need not decode them: an update's params
	 * then hold "prior": null.  A bucket policy's recorded attributes are
	 * its statements, megabytes of them; 0 (the default): decoded. */
	int updates_ignore_prior;
};

/* Run the provider until `shutdown` or end of input; returns the exit code. */
int lfp_main(const struct lfp_provider *p, int argc, char **argv);

/*
 * Make the call fail with `code` and a lowercase message; `retryable` tells
 * lakeform that the same call may succeed later (it retries with backoff).
 */
void lfp_error(struct lfp_call *call, int code, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The provider's state pointer, from the table. */
void *lfp_call_state(struct lfp_call *call);

/* The account given to `configure` (borrowed, "" before it), for labels. */
const char *lfp_call_account(struct lfp_call *call);

/*
 * Milliseconds left before the call's deadline, counted from the moment its
 * line was read: 0 once passed, LONG_MAX if the request carried none.
 */
long lfp_call_remaining_ms(struct lfp_call *call);

/* A line on stderr, "<provider>: message", thread-safe. */
void lfp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
