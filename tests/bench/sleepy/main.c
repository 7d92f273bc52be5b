/*
 * lakeform-provider-sleepy - a storage provider for benchmarks: every
 * create and delete takes SLEEPY_MS milliseconds (default 10), as a remote
 * API would, and keeps nothing; reads answer at once: an object asked for
 * by its id exists as it was recorded, one looked up by label does not.  It runs up to 256
 * calls at once, so that lakeform's --parallelism is what limits it.
 */
#include "../../../providers/sdk/lfp.h"

#include <stdlib.h>
#include <time.h>

static long pause_ms(void)
{
	const char *s = getenv("SLEEPY_MS");
	return s ? strtol(s, NULL, 10) : 10;
}

static void nap(void)
{
	long ms = pause_ms();
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int op_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	json_t *id = json_object_get(params, "id");
	json_t *inputs = json_object_get(params, "inputs");

	(void)call;
	if (!json_is_string(id)) {
		*result = json_pack("{s:b}", "exists", 0);
		return 0;
	}
	*result = json_pack("{s:b, s:O, s:o}", "exists", 1, "id", id, "attributes",
	                    json_is_object(inputs) ? json_incref(inputs) : json_object());
	return 0;
}

static int op_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	(void)call;
	nap();
	*result = json_pack("{s:O, s:O}", "id", json_object_get(params, "address"), "attributes",
	                    json_object_get(params, "inputs"));
	return 0;
}

static int op_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	(void)call;
	nap();
	*result = json_pack("{s:O}", "attributes", json_object_get(params, "inputs"));
	return 0;
}

static int op_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	(void)call;
	(void)params;
	nap();
	*result = json_object();
	return 0;
}

static const struct lfp_type types[] = {
    {"storage.bucket", NULL, op_read, op_create, op_update, op_delete, NULL, NULL, NULL},
    {"storage.prefix", NULL, op_read, op_create, op_update, op_delete, NULL, NULL, NULL},
    {"storage.policy", NULL, op_read, op_create, op_update, op_delete, NULL, NULL, NULL},
};

static const struct lfp_provider provider = {
    LFP_VERSION, "sleepy", types, sizeof(types) / sizeof(types[0]),
    256,         NULL,     NULL,  1, /* inline_reads: a read answers from its params at once */
    NULL,                            /* release: the lakeform it was built with */
    0,                               /* reads_ignore_inputs */
    0,                               /* updates_ignore_prior */
};

int main(int argc, char **argv)
{
	return lfp_main(&provider, argc, argv);
}
