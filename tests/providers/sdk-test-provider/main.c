/*
 * lakeform-provider-sdktest - a provider built on providers/sdk for
 * tests/unit/test_sdk.c.  Its types:
 *
 *   test.item   objects kept in memory, the same behaviour as the Perl
 *               provider tests/providers/lakeform-provider-perlmem: the id
 *               is inputs.name, ownership labels, idempotent create, read
 *               by id or by label
 *   test.slow   create sleeps inputs.sleep_ms, then reports the deadline
 *               left (remaining_ms) and when it ran; it has no update
 *   test.broken create fails without lfp_error(), read answers a number
 */
#include "../../../providers/sdk/lfp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct item {
	char *id;
	json_t *attributes;
};

struct store {
	pthread_mutex_t lock;
	struct item *items;
	size_t n, alloc;
};

static struct store store = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static const char *label(const json_t *attributes, const char *key)
{
	return json_string_value(json_object_get(json_object_get(attributes, "labels"), key));
}

static int ours(struct lfp_call *call, const json_t *attributes, const char *address)
{
	const char *a = label(attributes, "lakeform/address");
	const char *acc = label(attributes, "lakeform/account");

	return a && acc && !strcmp(a, address) && !strcmp(acc, lfp_call_account(call));
}

static int name_ok(const char *s)
{
	if (!s || !*s || *s == '.' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", *s))
			return 0;
	return 1;
}

/* Index of the item with id `id`, or -1; store.lock held. */
static long find_id(const char *id)
{
	for (size_t i = 0; i < store.n; i++)
		if (!strcmp(store.items[i].id, id))
			return (long)i;
	return -1;
}

static int item_validate(struct lfp_call *call, const json_t *params, json_t **result)
{
	json_t *inputs = json_object_get(params, "inputs");
	json_t *diags = json_array();
	json_t *name = json_object_get(inputs, "name");

	if (!json_is_string(name))
		json_array_append_new(diags, json_pack("{s:s, s:s}", "path", "name", "message",
		                                       "'name' is required"));
	else if (!name_ok(json_string_value(name)))
		json_array_append_new(diags, json_pack("{s:s, s:s}", "path", "name", "message",
		                                       "'name' must be 1 to 64 of a-z 0-9 . _ -"));
	*result = json_pack("{s:o}", "diagnostics", diags);
	return 0;
}

static int item_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = json_string_value(json_object_get(params, "id"));
	const char *address = json_string_value(json_object_get(params, "address"));
	long i = -1;

	pthread_mutex_lock(&store.lock);
	if (id) {
		i = find_id(id);
	} else {
		for (size_t k = 0; k < store.n && i < 0; k++)
			if (ours(call, store.items[k].attributes, address))
				i = (long)k;
	}
	if (i < 0)
		*result = json_pack("{s:b, s:n, s:n}", "exists", 0, "id", "attributes");
	else
		*result = json_pack("{s:b, s:s, s:o}", "exists", 1, "id", store.items[i].id,
		                    "attributes", json_deep_copy(store.items[i].attributes));
	pthread_mutex_unlock(&store.lock);
	return 0;
}

static json_t *attributes_of(const json_t *inputs, const char *id)
{
	json_t *a = json_deep_copy(inputs);

	json_object_set_new(a, "id", json_string(id));
	return a;
}

static int item_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address = json_string_value(json_object_get(params, "address"));
	json_t *inputs = json_object_get(params, "inputs");
	const char *name = json_string_value(json_object_get(inputs, "name"));
	int rc = 0;
	long i;

	if (!name_ok(name)) {
		lfp_error(call, LFP_E_INVALID, 0, "'name' must be 1 to 64 of a-z 0-9 . _ -");
		return -1;
	}
	if (!ours(call, inputs, address)) {
		lfp_error(call, LFP_E_INVALID, 0,
		          "inputs.labels must hold this call's ownership labels");
		return -1;
	}
	pthread_mutex_lock(&store.lock);
	i = find_id(name);
	if (i >= 0 && !ours(call, store.items[i].attributes, address)) {
		lfp_error(call, LFP_E_CONFLICT, 0,
		          "name '%s' is taken by an object not owned by '%s'", name, address);
		rc = -1;
	} else if (i < 0) {
		if (store.n == store.alloc) {
			store.alloc = store.alloc ? store.alloc * 2 : 8;
			store.items = realloc(store.items, store.alloc * sizeof(*store.items));
			if (!store.items)
				abort();
		}
		i = (long)store.n++;
		store.items[i].id = strdup(name);
		store.items[i].attributes = attributes_of(inputs, name);
	}
	if (rc == 0)
		*result = json_pack("{s:s, s:o}", "id", store.items[i].id, "attributes",
		                    json_deep_copy(store.items[i].attributes));
	pthread_mutex_unlock(&store.lock);
	return rc;
}

static int item_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = json_string_value(json_object_get(params, "id"));
	json_t *inputs = json_object_get(params, "inputs");
	const char *name = json_string_value(json_object_get(inputs, "name"));
	int rc = 0;
	long i;

	if (!name || strcmp(name, id)) {
		lfp_error(call, LFP_E_INVALID, 0, "'name' cannot be changed in place");
		return -1;
	}
	pthread_mutex_lock(&store.lock);
	i = find_id(id);
	if (i < 0) {
		lfp_error(call, LFP_E_NOT_FOUND, 0, "no test.item '%s'", id);
		rc = -1;
	} else {
		json_decref(store.items[i].attributes);
		store.items[i].attributes = attributes_of(inputs, id);
		*result =
		    json_pack("{s:o}", "attributes", json_deep_copy(store.items[i].attributes));
	}
	pthread_mutex_unlock(&store.lock);
	return rc;
}

static int item_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = json_string_value(json_object_get(params, "id"));
	long i;

	pthread_mutex_lock(&store.lock);
	i = find_id(id);
	if (i >= 0) {
		free(store.items[i].id);
		json_decref(store.items[i].attributes);
		store.items[i] = store.items[--store.n];
	}
	pthread_mutex_unlock(&store.lock);
	*result = json_object();
	return 0;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int slow_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	json_t *inputs = json_object_get(params, "inputs");
	json_int_t ms = json_integer_value(json_object_get(inputs, "sleep_ms"));
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
	long long started = now_ms();

	lfp_log("sleeping %lld ms for '%s'", (long long)ms,
	        json_string_value(json_object_get(params, "address")));
	if (ms > 0)
		nanosleep(&ts, NULL);
	*result = json_pack("{s:s, s:{s:I, s:I, s:I, s:I}}", "id",
	                    json_string_value(json_object_get(params, "address")), "attributes",
	                    "sleep_ms", (json_int_t)ms, "remaining_ms",
	                    (json_int_t)lfp_call_remaining_ms(call), "started_ms",
	                    (json_int_t)started, "ended_ms", (json_int_t)now_ms());
	return 0;
}

static int slow_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	*result = json_pack("{s:b}", "exists", 0);
	return 0;
}

static int slow_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	*result = NULL;
	return 0;
}

static int broken_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	return -1;
}

static int broken_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	*result = json_integer(42);
	return 0;
}

static int configure(struct lfp_call *call, const json_t *settings)
{
	if (json_is_true(json_object_get(settings, "refuse"))) {
		lfp_error(call, LFP_E_INVALID, 0, "settings refused");
		return -1;
	}
	return 0;
}

#define ITEM_SCHEMA                                                                        \
	"{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":" \
	"\"string\"},\"value\":{},\"labels\":{\"type\":\"object\"}}}"

static const struct lfp_type types[] = {
    {"test.item", ITEM_SCHEMA, item_read, item_create, item_update, item_delete, item_validate,
     NULL, NULL},
    {"test.slow", NULL, slow_read, slow_create, NULL, slow_delete, NULL, NULL, NULL},
    {"test.broken", NULL, broken_read, broken_create, NULL, slow_delete, NULL, NULL, NULL},
};

static const struct lfp_provider provider = {
    LFP_VERSION, "sdktest", types,   sizeof(types) / sizeof(types[0]), 4, configure,
    NULL,        0,         "1.4.2", /* release: what initialize reports as its version */
    0,                               /* reads_ignore_inputs: its reads get them */
    0,                               /* updates_ignore_prior: its updates get it */
};

/* the same with inline_reads, when LFP_TEST_INLINE_READS=1: test.item and
 * test.slow reads answer at once from memory */
static const struct lfp_provider provider_inline = {
    LFP_VERSION, "sdktest", types, sizeof(types) / sizeof(types[0]), 4, configure, NULL,
    1,           "1.4.2",   0, 0,
};

int main(int argc, char **argv)
{
	const char *inl = getenv("LFP_TEST_INLINE_READS");
	int rc = lfp_main(inl && !strcmp(inl, "1") ? &provider_inline : &provider, argc, argv);

	for (size_t i = 0; i < store.n; i++) {
		free(store.items[i].id);
		json_decref(store.items[i].attributes);
	}
	free(store.items);
	return rc;
}
