/*
 * lakeform-provider-docker - compute.network and compute.node_pool on a
 * Docker Engine (Docker itself, or Podman's `podman system service`),
 * through its HTTP API (engine.h).
 *
 * - A compute.network is a Docker network named PREFIX<name>: internal (no
 *   route out) for a serverless workspace's boundary, with the customer's
 *   CIDR as its IPAM subnet for a classic one.  Its id is the engine's id.
 * - A compute.node_pool is a set of containers PREFIX<pool>-<n> (n from 1)
 *   of the pool's image with its CPU (NanoCpus) and memory limits, attached
 *   to the pool's network.  The engine keeps no pool object: the pool is
 *   the containers labelled with its address, and its id is its name.
 *
 * Invariants:
 * - everything made carries lakeform/account and lakeform/address (the
 *   inputs' labels), plus lakeform/plane and lakeform/region on networks
 *   and lakeform/workspace, lakeform/pool and lakeform/node on containers;
 *   an object is ours when account and address match, and an object whose
 *   name we want but which is not ours is never changed (1002, or for a
 *   node, its index is skipped);
 * - create is "make it so": it finds what exists by the labels first, so a
 *   create sent again after a crash never makes a second object, and a
 *   pool create that failed half way is finished by the next one;
 * - a pool is changed one node at a time: surplus nodes (highest index
 *   first) are removed, a running node that is only on another network
 *   (the pool moved to a new one) is connected to the pool's network and
 *   disconnected from the old one, without a restart; nodes whose image,
 *   limits, network or labels differ otherwise are replaced in place one
 *   by one, stopped ones are started, missing ones are added; nodes that
 *   match are never touched;
 * - read reports what the engine has, keyed like the inputs, so that the
 *   core sees drift: `nodes` is the count of running nodes.
 * Calls for different addresses run in parallel; they touch different
 * objects (the SDK never runs two calls for one address at once).
 */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sdk/lfp.h"
#include "../sdk/lfp_files.h"
#include "engine.h"
#include "util/buf.h"
#include "util/mem.h"

#define LABEL_ACCOUNT "lakeform/account"
#define LABEL_ADDRESS "lakeform/address"
#define LABEL_PLANE "lakeform/plane"
#define LABEL_REGION "lakeform/region"
#define LABEL_WORKSPACE "lakeform/workspace"
#define LABEL_POOL "lakeform/pool"
#define LABEL_NODE "lakeform/node"
#define LABEL_TAGS "lakeform/tags" /* which other labels are the user's tags */
#define DEFAULT_PREFIX "lf-"
#define MAX_NODES 1000
#define MIB (1024LL * 1024LL)
#define DEFAULT_WIDTH 4 /* nodes made or removed at once */
#define MAX_WIDTH 32

/* busybox as PID 1 ignores SIGTERM: the default command exits on it */
#define DEFAULT_COMMAND "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"

struct docker {
	struct engine engine;
	char *prefix;    /* of every name the provider gives; owned */
	json_t *command; /* the nodes' Cmd, or json null: the image's own */
	int width;       /* nodes made or removed at once */
};

static struct docker docker_state = {ENGINE_INIT, NULL, NULL, DEFAULT_WIDTH};

static struct docker *state_of(struct lfp_call *call)
{
	return lfp_call_state(call);
}

static const struct engine *engine_of(struct lfp_call *call)
{
	return &state_of(call)->engine;
}

static char *docker_name(struct lfp_call *call, const char *name)
{
	return lf_xasprintf("%s%s", state_of(call)->prefix, name);
}

/* `dname` without the prefix (borrowed from dname). */
static const char *strip_prefix(struct lfp_call *call, const char *dname)
{
	const char *p = state_of(call)->prefix;
	size_t n = strlen(p);

	if (dname && *dname == '/')
		dname++;
	return dname && !strncmp(dname, p, n) ? dname + n : dname;
}

/* A GET that must succeed or be 404: 1 found (*out set), 0 not, -1 failed. */
static int engine_get(struct lfp_call *call, const char *path, const char *what, json_t **out)
{
	long status;

	if (engine_call(call, engine_of(call), "GET", path, NULL, &status, out) < 0)
		return -1;
	if (status == 200)
		return 1;
	if (status == 404) {
		json_decref(*out);
		*out = NULL;
		return 0;
	}
	engine_fail(call, status, *out, what);
	json_decref(*out);
	*out = NULL;
	return -1;
}

/* The query `filters={"label":["k=v",...]}` for the account and address. */
static char *label_filter(struct lfp_call *call, const char *address)
{
	json_t *want = json_array(), *filters;
	char *text, *esc, *q;

	json_array_append_new(want, json_sprintf("%s=%s", LABEL_ACCOUNT, lfp_call_account(call)));
	if (address)
		json_array_append_new(want, json_sprintf("%s=%s", LABEL_ADDRESS, address));
	filters = json_pack("{s:o}", "label", want);
	text = json_dumps(filters, JSON_COMPACT);
	json_decref(filters);
	esc = engine_escape(text);
	q = lf_xasprintf("filters=%s", esc);
	free(esc);
	free(text);
	return q;
}

/* The lakeform/ labels but the provider's own bookkeeping: the ownership. */
static json_t *ownership_labels(const json_t *labels)
{
	static const char *const own[] = {LABEL_PLANE, LABEL_REGION, LABEL_WORKSPACE,
	                                  LABEL_POOL,  LABEL_NODE,   LABEL_TAGS};
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach ((json_t *)labels, k, v) {
		size_t i;

		if (strncmp(k, "lakeform/", 9) || !json_is_string(v))
			continue;
		for (i = 0; i < sizeof(own) / sizeof(own[0]) && strcmp(k, own[i]); i++)
			;
		if (i == sizeof(own) / sizeof(own[0]))
			json_object_set(out, k, v);
	}
	return out;
}

/*
 * The user's tags among a container's labels: those LABEL_TAGS names (an
 * image's own labels are not tags).  Tag keys hold no comma.
 */
static json_t *tags_of_labels(const json_t *labels)
{
	const char *list = lfp_get_str(labels, LABEL_TAGS);
	json_t *tags = json_object();

	while (list && *list) {
		const char *comma = strchr(list, ',');
		size_t n = comma ? (size_t)(comma - list) : strlen(list);
		char *k = lf_xstrndup(list, n);
		const char *v = lfp_get_str(labels, k);

		if (v)
			json_object_set_new(tags, k, json_string(v));
		free(k);
		list = comma ? comma + 1 : "";
	}
	return tags;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Put the user's `tags` on `labels`, and LABEL_TAGS naming them (sorted). */
static void label_tags(json_t *labels, const json_t *tags)
{
	struct lf_buf keys = LF_BUF_INIT;
	const char **names = lf_xcalloc(json_object_size(tags) + 1, sizeof(*names));
	size_t n = 0;
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)tags, k, v) {
		json_object_set(labels, k, v);
		names[n++] = k;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++)
		lf_buf_addf(&keys, "%s%s", i ? "," : "", names[i]);
	free(names);
	if (keys.len)
		json_object_set_new(labels, LABEL_TAGS, json_string(lf_buf_cstr(&keys)));
	lf_buf_release(&keys);
}

static int str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Whether engine labels say the object is `address`'s in this account. */
static int labels_own(struct lfp_call *call, const json_t *labels, const char *address)
{
	const char *have = lfp_get_str(labels, LABEL_ADDRESS);
	const char *acct = lfp_get_str(labels, LABEL_ACCOUNT);

	return have && acct && !strcmp(have, address) && !strcmp(acct, lfp_call_account(call));
}

static const char *owner_or_none(const json_t *labels)
{
	const char *a = lfp_get_str(labels, LABEL_ADDRESS);

	return a ? a : "(no lakeform labels)";
}

/* ---- compute.network -------------------------------------------------- */

struct network_inputs {
	const char *name, *region, *plane, *cidr;
	int internal;
};

static int network_inputs(struct lfp_call *call, const json_t *inputs, struct network_inputs *in)
{
	json_t *internal = json_object_get(inputs, "internal");
	json_t *cidr = json_object_get(inputs, "cidr");

	if (lfp_need_str(call, inputs, "name", &in->name) < 0 ||
	    lfp_need_str(call, inputs, "region", &in->region) < 0 ||
	    lfp_need_str(call, inputs, "plane", &in->plane) < 0)
		return -1;
	if (strcmp(in->plane, "serverless") && strcmp(in->plane, "classic")) {
		dk_error(call, LFP_E_INVALID, 0, "network plane must be 'serverless' or 'classic'");
		return -1;
	}
	if (!json_is_boolean(internal)) {
		dk_error(call, LFP_E_INVALID, 0, "'internal' must be a boolean");
		return -1;
	}
	in->internal = json_is_true(internal);
	in->cidr = cidr && !json_is_null(cidr) ? json_string_value(cidr) : NULL;
	if (cidr && !json_is_null(cidr) && !in->cidr) {
		dk_error(call, LFP_E_INVALID, 0, "'cidr' must be a string");
		return -1;
	}
	if (!strcmp(in->plane, "classic") && !in->cidr) {
		dk_error(call, LFP_E_INVALID, 0, "classic network '%s' needs a cidr", in->name);
		return -1;
	}
	if (!strcmp(in->plane, "serverless") && in->cidr) {
		dk_error(call, LFP_E_INVALID, 0,
		         "serverless network '%s' gets its subnet from the engine, it cannot be "
		         "given a cidr",
		         in->name);
		return -1;
	}
	return 0;
}

/* Attributes of a network from the engine's inspect answer. */
static json_t *network_attributes(struct lfp_call *call, const json_t *net)
{
	const json_t *labels = json_object_get(net, "Labels");
	const char *dname = lfp_get_str(net, "Name");
	const char *subnet = lfp_get_str(
	    json_array_get(json_object_get(json_object_get(net, "IPAM"), "Config"), 0), "Subnet");
	const char *plane = lfp_get_str(labels, LABEL_PLANE);
	const char *region = lfp_get_str(labels, LABEL_REGION);
	json_t *a = json_pack("{s:s?, s:s?, s:s?, s:b, s:o}", "id", lfp_get_str(net, "Id"), "name",
	                      strip_prefix(call, dname), "docker_name", dname, "internal",
	                      json_is_true(json_object_get(net, "Internal")), "labels",
	                      ownership_labels(labels));

	if (plane)
		json_object_set_new(a, "plane", json_string(plane));
	if (region)
		json_object_set_new(a, "region", json_string(region));
	if (subnet)
		json_object_set_new(a, "cidr", json_string(subnet));
	return a;
}

/* GET /<collection>/<id><tail> of an object, `noun` naming it in errors:
 * 1 found, 0 not, -1 failed. */
static int inspect(struct lfp_call *call, const char *collection, const char *noun, const char *id,
                   const char *tail, json_t **out)
{
	char *esc = engine_escape(id);
	char *path = lf_xasprintf("/%s/%s%s", collection, esc, tail);
	char *what = lf_xasprintf("inspecting %s '%s'", noun, id);
	int r = engine_get(call, path, what, out);

	free(what);
	free(path);
	free(esc);
	return r;
}

/* Inspect a network by id or name: 1 found, 0 not, -1 failed. */
static int network_inspect(struct lfp_call *call, const char *id_or_name, json_t **out)
{
	return inspect(call, "networks", "network", id_or_name, "", out);
}

/* The networks carrying the account's (and the address's) labels. */
static int network_find(struct lfp_call *call, const char *address, json_t **out)
{
	char *q = label_filter(call, address);
	char *path = lf_xasprintf("/networks?%s", q);
	int r = engine_get(call, path, "listing networks", out);

	free(path);
	free(q);
	if (r == 0)
		*out = json_array();
	return r < 0 ? -1 : 0;
}

static int network_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = lfp_get_str(params, "id"), *address;
	json_t *net = NULL, *found = NULL;
	int r;

	if (lfp_need_str(call, params, "address", &address) < 0)
		return -1;
	if (id) {
		r = network_inspect(call, id, &net);
		/*
		 * Podman derives a network's id from its name: a network made by
		 * hand in place of ours has our id.  It is not what we made.
		 */
		if (r > 0 && !labels_own(call, json_object_get(net, "Labels"), address)) {
			lfp_log("network '%s' is no longer '%s' (it belongs to %s)",
			        lfp_get_str(net, "Name"), address,
			        owner_or_none(json_object_get(net, "Labels")));
			r = 0;
		}
	} else {
		if (network_find(call, address, &found) < 0)
			return -1;
		/* the list does not always hold every detail: inspect the first */
		id = lfp_get_str(json_array_get(found, 0), "Id");
		r = id ? network_inspect(call, id, &net) : 0;
	}
	if (r < 0) {
		json_decref(found);
		return -1;
	}
	*result = r ? lfp_read_found(lfp_get_str(net, "Id"), network_attributes(call, net))
	            : lfp_read_missing();
	json_decref(net);
	json_decref(found);
	return 0;
}

static int network_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	json_t *found = NULL, *net, *objects = json_array();
	size_t i;

	(void)params;
	if (network_find(call, NULL, &found) < 0) {
		json_decref(objects);
		return -1;
	}
	json_array_foreach (found, i, net) {
		const char *id = lfp_get_str(net, "Id");

		if (id)
			lfp_list_add(call, objects, id, network_attributes(call, net));
	}
	json_decref(found);
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

static int network_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	struct network_inputs in;
	const char *address, *id;
	json_t *inputs = json_object_get(params, "inputs"), *labels, *net = NULL, *body = NULL,
	       *answer = NULL;
	char *dname = NULL, *what = NULL;
	long status;
	int r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    network_inputs(call, inputs, &in) < 0)
		return -1;
	labels = lfp_labels_for(call, address, inputs);
	if (!labels)
		return -1;
	json_object_set_new(labels, LABEL_PLANE, json_string(in.plane));
	json_object_set_new(labels, LABEL_REGION, json_string(in.region));
	dname = docker_name(call, in.name);
	what = lf_xasprintf("creating network '%s'", dname);
	for (int attempt = 0; attempt < 2; attempt++) {
		r = network_inspect(call, dname, &net);
		if (r < 0)
			goto out;
		if (r > 0) {
			json_t *have = json_object_get(net, "Labels");

			if (!labels_own(call, have, address)) {
				dk_error(
				    call, LFP_E_CONFLICT, 0,
				    "network '%s' exists and is not lakeform's '%s' (it belongs "
				    "to %s): remove it or choose another name",
				    dname, address, owner_or_none(have));
				goto out;
			}
			lfp_log("network '%s' exists already for '%s'", dname, address);
			goto done;
		}
		body = json_pack("{s:s, s:s, s:b, s:O}", "Name", dname, "Driver", "bridge",
		                 "Internal", in.internal, "Labels", labels);
		/* from 1.44 the engine always refuses a second network of one name */
		if (engine_of(call)->api < 44)
			json_object_set_new(body, "CheckDuplicate", json_true());
		if (in.cidr)
			json_object_set_new(body, "IPAM",
			                    json_pack("{s:s, s:[{s:s}]}", "Driver", "default",
			                              "Config", "Subnet", in.cidr));
		if (engine_call(call, engine_of(call), "POST", "/networks/create", body, &status,
		                &answer) < 0)
			goto out;
		if (status == 200 || status == 201)
			break;
		/* made meanwhile by someone else: look again, once */
		if (attempt == 0 && strstr(engine_message(answer), "already exists")) {
			json_decref(body);
			json_decref(answer);
			body = answer = NULL;
			continue;
		}
		engine_fail(call, status, answer, what);
		goto out;
	}
	id = lfp_get_str(answer, "Id");
	if (!id) {
		dk_error(call, LFP_E_INTERNAL, 0, "the engine created network '%s' without an id",
		         dname);
		goto out;
	}
	r = network_inspect(call, id, &net);
	if (r <= 0) {
		if (r == 0)
			dk_error(call, LFP_E_UNAVAILABLE, 1,
			         "network '%s' vanished right after it was created", dname);
		goto out;
	}
	lfp_log("created network '%s' (%s%s)", dname, in.internal ? "internal, " : "",
	        in.cidr ? in.cidr : "subnet from the engine");
done:
	*result = json_pack("{s:s, s:o}", "id", lfp_get_str(net, "Id"), "attributes",
	                    network_attributes(call, net));
	err = 0;
out:
	json_decref(labels);
	json_decref(net);
	json_decref(body);
	json_decref(answer);
	free(dname);
	free(what);
	return err;
}

static int network_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	struct network_inputs in;
	const char *address, *id, *field = NULL;
	json_t *inputs = json_object_get(params, "inputs"), *labels, *net = NULL, *attrs = NULL,
	       *own = NULL;
	int r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0 || network_inputs(call, inputs, &in) < 0)
		return -1;
	labels = lfp_labels_for(call, address, inputs);
	if (!labels)
		return -1;
	r = network_inspect(call, id, &net);
	if (r <= 0) {
		if (r == 0)
			dk_error(call, LFP_E_NOT_FOUND, 0, "network '%s' does not exist", id);
		goto out;
	}
	attrs = network_attributes(call, net);
	own = json_object_get(attrs, "labels");
	/* a docker network keeps what it was made with: only a no-op is in place */
	if (!lfp_get_str(attrs, "name") || strcmp(lfp_get_str(attrs, "name"), in.name))
		field = "name";
	else if (!lfp_get_str(attrs, "region") || strcmp(lfp_get_str(attrs, "region"), in.region))
		field = "region";
	else if (!lfp_get_str(attrs, "plane") || strcmp(lfp_get_str(attrs, "plane"), in.plane))
		field = "plane";
	else if (json_is_true(json_object_get(attrs, "internal")) != in.internal)
		field = "internal";
	else if (in.cidr &&
	         (!lfp_get_str(attrs, "cidr") || strcmp(lfp_get_str(attrs, "cidr"), in.cidr)))
		field = "cidr";
	else if (!json_equal(own, labels))
		field = "labels";
	if (field) {
		dk_error(call, LFP_E_INVALID, 0,
		         "network '%s': '%s' of a docker network cannot change in place", in.name,
		         field);
		goto out;
	}
	*result = json_pack("{s:O}", "attributes", attrs);
	err = 0;
out:
	json_decref(labels);
	json_decref(net);
	json_decref(attrs);
	return err;
}

static int network_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address, *id;
	json_t *net = NULL, *answer = NULL;
	char *path = NULL, *what = NULL, *esc = NULL;
	long status;
	int r, err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    lfp_need_str(call, params, "id", &id) < 0)
		return -1;
	r = network_inspect(call, id, &net);
	if (r < 0)
		goto out;
	if (r == 0) {
		lfp_log("network '%s' is gone already", id);
		goto done;
	}
	if (!labels_own(call, json_object_get(net, "Labels"), address)) {
		dk_error(call, LFP_E_CONFLICT, 0, "network '%s' belongs to %s, not '%s'",
		         lfp_get_str(net, "Name"), owner_or_none(json_object_get(net, "Labels")),
		         address);
		goto out;
	}
	esc = engine_escape(id);
	path = lf_xasprintf("/networks/%s", esc);
	what = lf_xasprintf("deleting network '%s'", lfp_get_str(net, "Name"));
	if (engine_call(call, engine_of(call), "DELETE", path, NULL, &status, &answer) < 0)
		goto out;
	if (status != 204 && status != 200 && status != 404) {
		engine_fail(call, status, answer, what);
		goto out;
	}
	lfp_log("deleted network '%s'", lfp_get_str(net, "Name"));
done:
	*result = json_object();
	err = 0;
out:
	json_decref(net);
	json_decref(answer);
	free(esc);
	free(path);
	free(what);
	return err;
}

/* ---- compute.node_pool ------------------------------------------------ */

struct pool_inputs {
	const char *name, *network, *image;
	long nodes;
	json_t *cpus, *memory_mb; /* borrowed */
	long long nano_cpus, memory;
};

static int pool_inputs(struct lfp_call *call, const json_t *inputs, struct pool_inputs *in)
{
	json_t *nodes = json_object_get(inputs, "nodes");

	if (lfp_need_str(call, inputs, "name", &in->name) < 0 ||
	    lfp_need_str(call, inputs, "network", &in->network) < 0 ||
	    lfp_need_str(call, inputs, "image", &in->image) < 0)
		return -1;
	in->cpus = json_object_get(inputs, "cpus");
	in->memory_mb = json_object_get(inputs, "memory_mb");
	if (!json_is_integer(nodes) || json_integer_value(nodes) < 0 ||
	    json_integer_value(nodes) > MAX_NODES) {
		dk_error(call, LFP_E_INVALID, 0, "'nodes' must be an integer from 0 to %d",
		         MAX_NODES);
		return -1;
	}
	in->nodes = (long)json_integer_value(nodes);
	if (!json_is_number(in->cpus) || json_number_value(in->cpus) <= 0 ||
	    json_number_value(in->cpus) > 1024) {
		dk_error(call, LFP_E_INVALID, 0, "'cpus' must be a positive number");
		return -1;
	}
	if (!json_is_integer(in->memory_mb) || json_integer_value(in->memory_mb) < 6) {
		dk_error(call, LFP_E_INVALID, 0,
		         "'memory_mb' must be an integer of at least 6 (the engine's minimum)");
		return -1;
	}
	if (!*in->image) {
		dk_error(call, LFP_E_INVALID, 0, "'image' must not be empty");
		return -1;
	}
	in->nano_cpus = llround(json_number_value(in->cpus) * 1e9);
	in->memory = (long long)json_integer_value(in->memory_mb) * MIB;
	return 0;
}

/* A container of a pool as the engine has it. */
struct node {
	char *id, *name, *image, *network, *state; /* network: the first one, or "" */
	char *started;                             /* State.StartedAt, or "" */
	long index; /* from its lakeform/node label; -1 when it has none */
	int running;
	long long nano_cpus, memory;
	json_t *labels; /* all of them */
	json_t *nets;   /* NetworkSettings.Networks: docker name -> endpoint */
};

struct pool {
	struct node *v;
	size_t n, alloc;
};

static void pool_release(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct node *x = &p->v[i];

		free(x->id);
		free(x->name);
		free(x->image);
		free(x->network);
		free(x->state);
		free(x->started);
		json_decref(x->labels);
		json_decref(x->nets);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static int by_index(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static char *dup_or_empty(const char *s)
{
	return lf_xstrdup(s ? s : "");
}

/* A node from a container's inspect answer. */
static void node_from(struct lfp_call *call, struct node *x, const json_t *c)
{
	const json_t *cfg = json_object_get(c, "Config");
	const json_t *host = json_object_get(c, "HostConfig");
	const json_t *st = json_object_get(c, "State");
	const json_t *nets = json_object_get(json_object_get(c, "NetworkSettings"), "Networks");
	const char *node = lfp_get_str(json_object_get(cfg, "Labels"), LABEL_NODE);
	const char *netname = NULL;
	json_t *v;
	char *end = NULL;

	memset(x, 0, sizeof(*x));
	x->id = dup_or_empty(lfp_get_str(c, "Id"));
	x->name = dup_or_empty(lfp_get_str(c, "Name"));
	if (x->name[0] == '/')
		memmove(x->name, x->name + 1, strlen(x->name));
	x->image = dup_or_empty(lfp_get_str(cfg, "Image"));
	x->state = dup_or_empty(lfp_get_str(st, "Status"));
	x->running = json_is_true(json_object_get(st, "Running"));
	x->started = dup_or_empty(lfp_get_str(st, "StartedAt"));
	x->nano_cpus = json_integer_value(json_object_get(host, "NanoCpus"));
	x->memory = json_integer_value(json_object_get(host, "Memory"));
	x->labels = json_incref(json_object_get(cfg, "Labels"));
	if (!x->labels)
		x->labels = json_object();
	x->nets = json_is_object(nets) ? json_incref((json_t *)nets) : json_object();
	x->index = node ? strtol(node, &end, 10) : -1;
	if (!node || *end || x->index < 1)
		x->index = -1;
	json_object_foreach ((json_t *)nets, netname, v) {
		x->network = lf_xstrdup(netname);
		break;
	}
	if (!x->network)
		x->network = lf_xstrdup("");
}

static int container_inspect(struct lfp_call *call, const char *id, json_t **out)
{
	return inspect(call, "containers", "container", id, "/json", out);
}

/*
 * Whether a node is on the network `dnet` (a docker name) and on no other:
 * a node disconnected by hand, or connected to a second network, is not
 * one the pool can count on, and a change rolls it.
 */
static int node_in(const struct node *x, const char *dnet)
{
	return dnet && json_object_size(x->nets) == 1 && json_object_get(x->nets, dnet);
}

/*
 * The containers labelled with `address` (every pool of the account when
 * NULL), inspected, sorted by node index.  0 or -1 after dk_error().
 */
static int pool_gather(struct lfp_call *call, const char *address, struct pool *out)
{
	char *q = label_filter(call, address);
	char *path = lf_xasprintf("/containers/json?all=1&%s", q);
	json_t *list = NULL, *c;
	size_t i;
	int r = engine_get(call, path, "listing containers", &list), err = -1;

	if (r <= 0) {
		err = r;
		goto out;
	}
	json_array_foreach (list, i, c) {
		const char *id = lfp_get_str(c, "Id");
		json_t *full = NULL;

		if (!id)
			continue;
		r = container_inspect(call, id, &full);
		if (r < 0)
			goto out;
		if (r == 0)
			continue; /* removed meanwhile */
		LF_GROW(out->v, out->n + 1, out->alloc);
		node_from(call, &out->v[out->n++], full);
		json_decref(full);
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_index);
	err = 0;
out:
	json_decref(list);
	free(path);
	free(q);
	return err;
}

/* cpus as JSON: `want` itself when the engine agrees with it (1 stays 1). */
static json_t *cpus_json(long long nano, const json_t *want)
{
	if (want && llround(json_number_value(want) * 1e9) == nano)
		return json_deep_copy(want);
	if (nano % 1000000000LL == 0)
		return json_integer(nano / 1000000000LL);
	return json_real((double)nano / 1e9);
}

/*
 * The attributes of a pool: keyed like its inputs, each field as the nodes
 * have it.  Image, cpus and memory_mb are what every node has or, when the
 * nodes disagree, "mixed: A, B" whatever `want` says: a value that no
 * manifest asks for, so the plan shows an update (which rolls the odd
 * nodes) and reading again gives the same answer (a choice made by
 * `want`, the recorded inputs, would flip once a refresh recorded it).
 * Labels show the node that disagrees with `want`.
 *
 * The network is the pool's, never one node's: `want`'s network (without
 * `want`, the first node's).  It is force-new, so a node disconnected by
 * hand must not show there, or the plan would replace every node of the
 * pool; such a node is not counted in `nodes` instead, and the update
 * that brings `nodes` back rolls that node alone (node_in()).
 */
static json_t *pool_attributes(struct lfp_call *call, const char *name, const struct pool *p,
                               const json_t *want)
{
	const char *want_image = lfp_get_str(want, "image");
	const char *want_net = lfp_get_str(want, "network");
	const json_t *want_cpus = json_object_get(want, "cpus");
	const json_t *want_mem = json_object_get(want, "memory_mb");
	long long wnano = want_cpus ? llround(json_number_value(want_cpus) * 1e9) : -1;
	long long wmem = want_mem ? json_integer_value(want_mem) * MIB : -1;
	const struct node *img = NULL, *cpu = NULL, *mem = NULL;
	json_t *instances = json_array(), *a, *wlabels = json_object_get(want, "labels");
	json_t *lab = NULL; /* the ownership labels shown */
	json_t *tags = NULL, *wtags = json_object_get(want, "tags"); /* the user's tags shown */
	char *pnet = want_net ? docker_name(call, want_net) : NULL;  /* the pool's network */
	long running = 0;

	for (size_t i = 0; !pnet && i < p->n; i++)
		if (*p->v[i].network)
			pnet = lf_xstrdup(p->v[i].network);
	for (size_t i = 0; i < p->n; i++) {
		const struct node *x = &p->v[i];
		json_t *own = ownership_labels(x->labels);
		int in = node_in(x, pnet);
		const char *ip =
		    in ? lfp_get_str(json_object_get(x->nets, pnet), "IPAddress") : NULL;

		running += x->running && in;
		if (!img || (want_image && !strcmp(img->image, want_image)))
			img = x;
		if (!cpu || cpu->nano_cpus == wnano)
			cpu = x;
		if (!mem || mem->memory == wmem)
			mem = x;
		if (!lab || (wlabels && json_equal(lab, wlabels))) {
			json_decref(lab);
			lab = json_incref(own);
		}
		json_decref(own);
		json_t *mine = tags_of_labels(x->labels);
		if (!tags || (wtags && json_equal(tags, wtags))) {
			json_decref(tags);
			tags = json_incref(mine);
		}
		json_decref(mine);
		json_array_append_new(
		    instances, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "name", x->name,
		                         "id", x->id, "index", (json_int_t)x->index, "state",
		                         x->state, "network", in ? strip_prefix(call, pnet) : "",
		                         "ip", ip ? ip : "", "image", x->image));
	}
	a = json_pack("{s:s, s:s, s:I, s:o}", "id", name, "name", name, "nodes",
	              (json_int_t)running, "instances", instances);
	const struct node *odd_img = NULL, *odd_cpu = NULL, *odd_mem = NULL;
	for (size_t i = 1; i < p->n; i++) {
		if (!odd_img && strcmp(p->v[i].image, p->v[0].image))
			odd_img = &p->v[i];
		if (!odd_cpu && p->v[i].nano_cpus != p->v[0].nano_cpus)
			odd_cpu = &p->v[i];
		if (!odd_mem && p->v[i].memory != p->v[0].memory)
			odd_mem = &p->v[i];
	}
	if (odd_img)
		json_object_set_new(a, "image",
		                    json_sprintf("mixed: %s, %s", p->v[0].image, odd_img->image));
	else if (img)
		json_object_set_new(a, "image", json_string(img->image));
	else if (want_image)
		json_object_set_new(a, "image", json_string(want_image));
	if (odd_cpu)
		json_object_set_new(a, "cpus",
		                    json_sprintf("mixed: %g, %g", (double)p->v[0].nano_cpus / 1e9,
		                                 (double)odd_cpu->nano_cpus / 1e9));
	else if (cpu)
		json_object_set_new(a, "cpus", cpus_json(cpu->nano_cpus, want_cpus));
	else if (want_cpus)
		json_object_set(a, "cpus", (json_t *)want_cpus);
	if (odd_mem)
		json_object_set_new(
		    a, "memory_mb",
		    json_sprintf("mixed: %lld, %lld", p->v[0].memory / MIB, odd_mem->memory / MIB));
	else if (mem)
		json_object_set_new(a, "memory_mb", json_integer(mem->memory / MIB));
	else if (want_mem)
		json_object_set(a, "memory_mb", (json_t *)want_mem);
	if (pnet)
		json_object_set_new(a, "network", json_string(strip_prefix(call, pnet)));
	if (lab)
		json_object_set_new(a, "labels", lab);
	else if (wlabels)
		json_object_set(a, "labels", wlabels);
	if (tags)
		json_object_set_new(a, "tags", tags);
	else if (wtags)
		json_object_set(a, "tags", wtags);
	free(pnet);
	return a;
}

static int pool_read(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *id = lfp_get_str(params, "id"), *address, *name, *network;
	json_t *inputs = json_object_get(params, "inputs"), *net = NULL;
	struct pool p = {NULL, 0, 0};
	int exists;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    pool_gather(call, address, &p) < 0)
		return -1;
	name = id ? id : lfp_get_str(inputs, "name");
	if (!name && p.n)
		name = lfp_get_str(p.v[0].labels, LABEL_POOL);
	exists = p.n > 0 && name;
	/*
	 * A pool without a node (resized to 0, or every node removed behind
	 * lakeform's back) still exists while its network does: it reads as
	 * nodes 0, which the plan shows as a change rather than a new pool.
	 */
	network = lfp_get_str(inputs, "network");
	if (!exists && name && network) {
		char *dnet = docker_name(call, network);
		int r = network_inspect(call, dnet, &net);

		free(dnet);
		json_decref(net);
		if (r < 0) {
			pool_release(&p);
			return -1;
		}
		exists = r;
	}
	*result =
	    exists ? lfp_read_found(name, pool_attributes(call, name, &p,
	                                                  json_is_object(inputs) ? inputs : NULL))
	           : lfp_read_missing();
	pool_release(&p);
	return 0;
}

/* Every pool of the account: its containers grouped by address. */
static int pool_list(struct lfp_call *call, const json_t *params, json_t **result)
{
	struct pool all = {NULL, 0, 0};
	json_t *objects = json_array();

	(void)params;
	if (pool_gather(call, NULL, &all) < 0) {
		json_decref(objects);
		return -1;
	}
	for (size_t i = 0; i < all.n; i++) {
		const char *addr = lfp_get_str(all.v[i].labels, LABEL_ADDRESS);
		const char *name = lfp_get_str(all.v[i].labels, LABEL_POOL);
		struct pool one = {NULL, 0, 0};
		int seen = 0;

		if (!addr || !name)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = str_eq(lfp_get_str(all.v[j].labels, LABEL_ADDRESS), addr);
		if (seen)
			continue;
		/* the nodes of this address, borrowed from `all` */
		for (size_t j = i; j < all.n; j++) {
			if (str_eq(lfp_get_str(all.v[j].labels, LABEL_ADDRESS), addr)) {
				LF_GROW(one.v, one.n + 1, one.alloc);
				one.v[one.n++] = all.v[j];
			}
		}
		lfp_list_add(call, objects, name, pool_attributes(call, name, &one, NULL));
		free(one.v);
	}
	pool_release(&all);
	*result = json_pack("{s:o}", "objects", objects);
	return 0;
}

/* Remove a container, running or not; a missing one is fine. */
static int container_remove(struct lfp_call *call, const char *id, const char *name)
{
	char *esc = engine_escape(id);
	char *path = lf_xasprintf("/containers/%s?force=1&v=1", esc);
	char *what = lf_xasprintf("removing node '%s'", name);
	json_t *answer = NULL;
	long status;
	int err = engine_call(call, engine_of(call), "DELETE", path, NULL, &status, &answer);

	if (err == 0 && status != 204 && status != 200 && status != 404)
		err = engine_fail(call, status, answer, what);
	json_decref(answer);
	free(what);
	free(path);
	free(esc);
	return err;
}

static int container_start(struct lfp_call *call, const char *id, const char *name)
{
	char *esc = engine_escape(id);
	char *path = lf_xasprintf("/containers/%s/start", esc);
	char *what = lf_xasprintf("starting node '%s'", name);
	json_t *answer = NULL;
	long status;
	int err = engine_call(call, engine_of(call), "POST", path, NULL, &status, &answer);

	if (err == 0 && status != 204 && status != 304)
		err = engine_fail(call, status, answer, what);
	json_decref(answer);
	free(what);
	free(path);
	free(esc);
	return err;
}

struct pool_plan {
	const struct pool_inputs *in;
	const char *address;
	const json_t *labels; /* ownership, from the inputs */
	const json_t *tags;   /* the user's, from the inputs */
	char *dnet;           /* the network's docker name */
};

/*
 * Make node `index` and start it: 0, 1 when its name is taken by another
 * container (the caller takes the next index), -1 after dk_error().  A
 * node that cannot be started is removed again: nothing half made stays.
 */
static int node_create(struct lfp_call *call, const struct pool_plan *pp, long index)
{
	char *base = lf_xasprintf("%s-%ld", pp->in->name, index);
	char *dname = docker_name(call, base);
	char *esc = engine_escape(dname);
	char *path = lf_xasprintf("/containers/create?name=%s", esc);
	char *what = lf_xasprintf("creating node '%s'", dname);
	json_t *labels = json_deep_copy(pp->labels), *body = NULL, *answer = NULL, *have = NULL;
	const json_t *cmd = state_of(call)->command;
	const char *id;
	long status;
	int r, err = -1;

	r = container_inspect(call, dname, &have);
	if (r != 0) {
		if (r > 0) {
			lfp_log("node name '%s' is taken by a container that is not '%s' (%s): "
			        "skipping index %ld",
			        dname, pp->address,
			        owner_or_none(
			            json_object_get(json_object_get(have, "Config"), "Labels")),
			        index);
			err = 1;
		}
		goto out;
	}
	json_object_set_new(labels, LABEL_WORKSPACE, json_string(pp->in->name));
	json_object_set_new(labels, LABEL_POOL, json_string(pp->in->name));
	json_object_set_new(labels, LABEL_NODE, json_sprintf("%ld", index));
	label_tags(labels, pp->tags);
	body = json_pack("{s:s, s:s, s:O, s:{s:I, s:I, s:s}, s:{s:{s:{}}}}", "Image", pp->in->image,
	                 "Hostname", base, "Labels", labels, "HostConfig", "NanoCpus",
	                 (json_int_t)pp->in->nano_cpus, "Memory", (json_int_t)pp->in->memory,
	                 "NetworkMode", pp->dnet, "NetworkingConfig", "EndpointsConfig", pp->dnet);
	if (json_is_array(cmd))
		json_object_set(body, "Cmd", (json_t *)cmd);
	if (engine_call(call, engine_of(call), "POST", path, body, &status, &answer) < 0)
		goto out;
	if (status != 201 && status != 200) {
		engine_fail(call, status, answer, what);
		goto out;
	}
	id = lfp_get_str(answer, "Id");
	if (!id) {
		dk_error(call, LFP_E_INTERNAL, 0, "the engine created node '%s' without an id",
		         dname);
		goto out;
	}
	if (container_start(call, id, dname) < 0) {
		/* the start's error stands, unless the engine cannot even be reached */
		free(path);
		path = lf_xasprintf("/containers/%s?force=1&v=1", id);
		json_decref(have);
		have = NULL;
		if (engine_call(call, engine_of(call), "DELETE", path, NULL, &status, &have) == 0)
			lfp_log("removed node '%s' again: it did not start", dname);
		goto out;
	}
	lfp_log("created node '%s'", dname);
	err = 0;
out:
	json_decref(labels);
	json_decref(body);
	json_decref(answer);
	json_decref(have);
	free(base);
	free(dname);
	free(esc);
	free(path);
	free(what);
	return err;
}

/*
 * Several nodes made or removed at once: `n` jobs on up to `width`
 * threads.  Each job's rc is set; returns -1 when one failed (its error
 * is the call's), else 0.  Only independent nodes go through here: new
 * ones and ones being removed; a roll stays one node at a time.
 */
struct job {
	int (*fn)(struct lfp_call *call, struct job *job);
	const struct pool_plan *pp;
	long index;             /* node_job: the node to make */
	const struct node *del; /* remove_job: the node to remove */
	int rc;
};

struct jobs {
	struct lfp_call *call;
	struct job *v;
	size_t n, next;
	pthread_mutex_t lock;
};

static void *jobs_worker(void *arg)
{
	struct jobs *js = arg;

	for (;;) {
		struct job *j = NULL;

		pthread_mutex_lock(&js->lock);
		if (js->next < js->n)
			j = &js->v[js->next++];
		pthread_mutex_unlock(&js->lock);
		if (!j)
			return NULL;
		j->rc = j->fn(js->call, j);
	}
}

static int run_jobs(struct lfp_call *call, struct job *v, size_t n, int width)
{
	struct jobs js = {call, v, n, 0, PTHREAD_MUTEX_INITIALIZER};
	pthread_t threads[MAX_WIDTH];
	size_t started = 0;
	int err = 0;

	if (width > MAX_WIDTH)
		width = MAX_WIDTH;
	for (; started + 1 < (size_t)width && started + 1 < n; started++) {
		if (pthread_create(&threads[started], NULL, jobs_worker, &js) != 0)
			break;
	}
	jobs_worker(&js); /* this thread works too */
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < n; i++)
		if (v[i].rc < 0)
			err = -1;
	return err;
}

static int node_job(struct lfp_call *call, struct job *j)
{
	return node_create(call, j->pp, j->index);
}

static int remove_job(struct lfp_call *call, struct job *j)
{
	int rc = container_remove(call, j->del->id, j->del->name);

	if (rc == 0)
		lfp_log("removed node '%s'", j->del->name);
	return rc;
}

/* Whether a node runs what the inputs ask for. */
static int node_matches(const struct pool_plan *pp, const struct node *x)
{
	json_t *own = ownership_labels(x->labels), *tags = tags_of_labels(x->labels);
	int same = !strcmp(x->image, pp->in->image) && x->nano_cpus == pp->in->nano_cpus &&
	           x->memory == pp->in->memory && node_in(x, pp->dnet) &&
	           json_equal(own, pp->labels) && json_equal(tags, pp->tags);

	json_decref(own);
	json_decref(tags);
	return same;
}

/*
 * Whether a running node differs from the inputs only by being on other
 * networks, not on the pool's (the pool moved): one on no network at all,
 * or on the pool's and another, is rolled instead.
 */
static int node_elsewhere(const struct pool_plan *pp, const struct node *x)
{
	json_t *own = ownership_labels(x->labels);
	int same = x->running && !strcmp(x->image, pp->in->image) &&
	           x->nano_cpus == pp->in->nano_cpus && x->memory == pp->in->memory &&
	           json_equal(own, pp->labels) && json_object_size(x->nets) > 0 &&
	           !json_object_get(x->nets, pp->dnet);

	json_decref(own);
	return same;
}

/* POST /networks/NET/{connect,disconnect} for container `id`. */
static int network_attach(struct lfp_call *call, const char *net, const char *verb, const char *id,
                          const char *name)
{
	char *esc = engine_escape(net);
	char *path = lf_xasprintf("/networks/%s/%s", esc, verb);
	char *what = lf_xasprintf("%s node '%s' %s network '%s'",
	                          !strcmp(verb, "connect") ? "connecting" : "disconnecting", name,
	                          !strcmp(verb, "connect") ? "to" : "from", net);
	json_t *body = json_pack("{s:s}", "Container", id), *answer = NULL;
	long status;
	int err = engine_call(call, engine_of(call), "POST", path, body, &status, &answer);

	if (err == 0 && status != 200 && status != 204)
		err = engine_fail(call, status, answer, what);
	json_decref(body);
	json_decref(answer);
	free(what);
	free(path);
	free(esc);
	return err;
}

/*
 * Move a running node to the pool's network without stopping it: connect
 * it to the new network, then disconnect it from every other one.  0, or
 * -1 after dk_error(); a node left on both is rolled by the next update.
 */
static int node_move(struct lfp_call *call, const struct pool_plan *pp, const struct node *x)
{
	const char *net;
	json_t *v;

	if (network_attach(call, pp->dnet, "connect", x->id, x->name) < 0)
		return -1;
	json_object_foreach (x->nets, net, v) {
		if (strcmp(net, pp->dnet) &&
		    network_attach(call, net, "disconnect", x->id, x->name) < 0)
			return -1;
	}
	lfp_log("node pool '%s': moved node '%s' from network '%s' to '%s'", pp->in->name, x->name,
	        *x->network ? x->network : "(none)", pp->dnet);
	return 0;
}

static int index_used(const struct pool *p, long index)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].index == index)
			return 1;
	return 0;
}

/* Drop p->v[i] from the list (after its container was removed). */
static void pool_forget(struct pool *p, size_t i)
{
	struct node *x = &p->v[i];

	free(x->id);
	free(x->name);
	free(x->image);
	free(x->network);
	free(x->state);
	json_decref(x->labels);
	json_decref(x->nets);
	memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(*p->v));
	p->n--;
}

/*
 * Bring the pool's containers to the inputs, one node at a time (see the
 * invariants at the top).  Appends the names of replaced nodes to
 * `rolled`.  0 or -1 after dk_error(); what was done before a failure
 * stays done and labelled, so the next create or update carries on.
 */
static int pool_converge(struct lfp_call *call, const struct pool_plan *pp, json_t *rolled)
{
	const struct pool_inputs *in = pp->in;
	struct pool p = {NULL, 0, 0};
	json_t *got = NULL;
	struct job *jobs = NULL;
	char *path = NULL;
	long have = 0;
	int r, err = -1;

	r = network_inspect(call, pp->dnet, &got);
	json_decref(got);
	got = NULL;
	if (r <= 0) {
		if (r == 0)
			dk_error(call, LFP_E_NOT_FOUND, 0,
			         "network '%s' of node pool '%s' does not exist", pp->dnet,
			         in->name);
		goto out;
	}
	/* docker routes /images/{name}/json with the name's slashes as they are */
	path = lf_xasprintf("/images/%s/json", in->image);
	r = engine_get(call, path, "inspecting the node image", &got);
	json_decref(got);
	if (r <= 0) {
		if (r == 0)
			dk_error(
			    call, LFP_E_INVALID, 0,
			    "image '%s' is not in the docker engine at '%s': pull it "
			    "('docker pull %s' or 'podman pull %s') or build it (for a busybox "
			    "node: tar -C ROOTFS -c . | podman import - %s), see docs/docker.md",
			    in->image, engine_of(call)->where, in->image, in->image, in->image);
		goto out;
	}
	if (pool_gather(call, pp->address, &p) < 0)
		goto out;

	/* nodes without an index or with one taken twice, then the surplus */
	for (size_t i = 0; i < p.n;) {
		struct node *x = &p.v[i];

		if (x->index < 1 || (i > 0 && p.v[i - 1].index == x->index)) {
			if (container_remove(call, x->id, x->name) < 0)
				goto out;
			lfp_log("removed stray node '%s'", x->name);
			pool_forget(&p, i);
		} else {
			i++;
		}
	}
	if ((long)p.n > in->nodes) {
		size_t keep = (size_t)in->nodes, k = 0;

		jobs = lf_xcalloc(p.n - keep, sizeof(*jobs));
		for (size_t i = keep; i < p.n; i++)
			jobs[k++] = (struct job){remove_job, pp, 0, &p.v[i], 0};
		if (run_jobs(call, jobs, k, state_of(call)->width) < 0)
			goto out;
		while (p.n > keep)
			pool_forget(&p, p.n - 1);
		free(jobs);
		jobs = NULL;
	}

	/* roll what differs, start what stopped: one node at a time */
	for (size_t i = 0; i < p.n; i++) {
		struct node *x = &p.v[i];
		int roll = !node_matches(pp, x);

		if (!roll && x->running)
			continue;
		if (!roll && container_start(call, x->id, x->name) == 0) {
			lfp_log("node pool '%s': started node '%s' again", in->name, x->name);
			continue;
		}
		/* on another network only (the pool moves): it keeps running */
		if (node_elsewhere(pp, x)) {
			if (node_move(call, pp, x) < 0)
				goto out;
			continue;
		}
		if (container_remove(call, x->id, x->name) < 0)
			goto out;
		r = node_create(call, pp, x->index);
		if (r < 0)
			goto out;
		if (roll) {
			lfp_log("node pool '%s': rolled node '%s'", in->name, x->name);
			if (rolled)
				json_array_append_new(rolled, json_string(x->name));
		}
	}

	/*
	 * The missing nodes last, at the lowest free indices, several at once;
	 * an index whose name another container holds is skipped and the
	 * next round takes another.
	 */
	have = (long)p.n;
	jobs = lf_xcalloc((size_t)in->nodes, sizeof(*jobs));
	for (long index = 1; have < in->nodes;) {
		size_t k = 0;

		for (; have + (long)k < in->nodes; index++) {
			if (!index_used(&p, index))
				jobs[k++] = (struct job){node_job, pp, index, NULL, 0};
		}
		if (run_jobs(call, jobs, k, state_of(call)->width) < 0)
			goto out;
		for (size_t i = 0; i < k; i++)
			have += jobs[i].rc == 0;
	}
	err = 0;
out:
	pool_release(&p);
	free(jobs);
	free(path);
	return err;
}

/* The pool's attributes after a change, read back from the engine. */
static int pool_result(struct lfp_call *call, const struct pool_plan *pp, const json_t *inputs,
                       json_t *rolled, int with_id, json_t **result)
{
	struct pool p = {NULL, 0, 0};
	json_t *a;

	if (pool_gather(call, pp->address, &p) < 0)
		return -1;
	a = pool_attributes(call, pp->in->name, &p, inputs);
	if (rolled)
		json_object_set(a, "rolled", rolled);
	*result = with_id ? json_pack("{s:s, s:o}", "id", pp->in->name, "attributes", a)
	                  : json_pack("{s:o}", "attributes", a);
	pool_release(&p);
	return 0;
}

static int pool_change(struct lfp_call *call, const json_t *params, int creating, json_t **result)
{
	struct pool_inputs in;
	struct pool_plan pp = {&in, NULL, NULL, NULL, NULL};
	const json_t *inputs = json_object_get(params, "inputs");
	json_t *labels = NULL, *tags = NULL, *rolled = json_array();
	const char *id = NULL;
	int err = -1;

	if (lfp_need_str(call, params, "address", &pp.address) < 0 ||
	    (!creating && lfp_need_str(call, params, "id", &id) < 0) ||
	    pool_inputs(call, inputs, &in) < 0)
		goto out;
	if (id && strcmp(id, in.name)) {
		dk_error(call, LFP_E_INVALID, 0, "node pool '%s': 'name' cannot change in place",
		         id);
		goto out;
	}
	labels = lfp_labels_for(call, pp.address, inputs);
	if (!labels || !(tags = lfp_tags_for(call, inputs)))
		goto out;
	pp.labels = labels;
	pp.tags = tags;
	pp.dnet = docker_name(call, in.network);
	if (pool_converge(call, &pp, creating ? NULL : rolled) < 0 ||
	    pool_result(call, &pp, inputs, creating ? NULL : rolled, creating, result) < 0)
		goto out;
	err = 0;
out:
	json_decref(labels);
	json_decref(tags);
	json_decref(rolled);
	free(pp.dnet);
	return err;
}

static int pool_create(struct lfp_call *call, const json_t *params, json_t **result)
{
	return pool_change(call, params, 1, result);
}

static int pool_update(struct lfp_call *call, const json_t *params, json_t **result)
{
	return pool_change(call, params, 0, result);
}

static int pool_delete(struct lfp_call *call, const json_t *params, json_t **result)
{
	struct pool p = {NULL, 0, 0};
	struct job *jobs = NULL;
	const char *address;
	int err = -1;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    pool_gather(call, address, &p) < 0)
		return -1;
	jobs = lf_xcalloc(p.n + 1, sizeof(*jobs));
	for (size_t i = 0; i < p.n; i++)
		jobs[i] = (struct job){remove_job, NULL, 0, &p.v[i], 0};
	if (run_jobs(call, jobs, p.n, state_of(call)->width) < 0)
		goto out;
	*result = json_object();
	err = 0;
out:
	pool_release(&p);
	free(jobs);
	return err;
}

/* ---- the provider ----------------------------------------------------- */

/* usage of a node pool: its containers, whether each runs and since when
 * (the engine's State.StartedAt) */
static int pool_usage(struct lfp_call *call, const json_t *params, json_t **result)
{
	const char *address;
	struct pool p = {NULL, 0, 0};
	json_t *nodes;

	if (lfp_need_str(call, params, "address", &address) < 0 ||
	    pool_gather(call, address, &p) < 0)
		return -1;
	nodes = json_array();
	for (size_t i = 0; i < p.n; i++) {
		const struct node *x = &p.v[i];
		json_array_append_new(nodes, json_pack("{s:s,s:b,s:s?}", "id", x->name, "running",
		                                       x->running, "started_at",
		                                       *x->started ? x->started : NULL));
	}
	pool_release(&p);
	*result = json_pack("{s:o}", "nodes", nodes);
	return 0;
}

static int configure(struct lfp_call *call, const json_t *settings)
{
	struct docker *st = state_of(call);
	struct engine e = ENGINE_INIT;
	const char *host = NULL, *prefix = DEFAULT_PREFIX, *key;
	int width = DEFAULT_WIDTH;
	json_t *command = NULL, *v, *answer = NULL;
	long status;
	int err = -1;

	if (settings && !json_is_object(settings) && !json_is_null(settings)) {
		dk_error(call, LFP_E_INVALID, 0, "settings must be an object");
		return -1;
	}
	json_object_foreach ((json_t *)settings, key, v) {
		if (!strcmp(key, "host")) {
			host = json_string_value(v);
			if (!host || !*host) {
				dk_error(call, LFP_E_INVALID, 0,
				         "setting 'host' must be unix:///path or tcp://host:port");
				goto out;
			}
		} else if (!strcmp(key, "prefix")) {
			prefix = json_string_value(v);
			if (!prefix || strspn(prefix, "abcdefghijklmnopqrstuvwxyz0123456789-_.") !=
			                   strlen(prefix)) {
				dk_error(
				    call, LFP_E_INVALID, 0,
				    "setting 'prefix' must be lowercase letters, digits, '-', '_' "
				    "or '.'");
				goto out;
			}
		} else if (!strcmp(key, "parallel_nodes")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > MAX_WIDTH) {
				dk_error(call, LFP_E_INVALID, 0,
				         "setting 'parallel_nodes' must be an integer from 1 to %d",
				         MAX_WIDTH);
				goto out;
			}
			width = (int)json_integer_value(v);
		} else if (!strcmp(key, "command")) {
			size_t i;
			json_t *arg;

			if (!json_is_null(v) && (!json_is_array(v) || !json_array_size(v))) {
				dk_error(call, LFP_E_INVALID, 0,
				         "setting 'command' must be a list of strings, or null");
				goto out;
			}
			json_array_foreach (v, i, arg) {
				if (!json_is_string(arg)) {
					dk_error(call, LFP_E_INVALID, 0,
					         "setting 'command' must be a list of strings");
					goto out;
				}
			}
			command = json_incref(v);
		} else {
			lfp_log("ignoring unknown setting '%s'", key);
		}
	}
	if (!command)
		command = json_pack("[s, s, s]", "/bin/sh", "-c", DEFAULT_COMMAND);
	if (engine_resolve(call, &e, getenv("DOCKER_HOST"), host, getenv("XDG_RUNTIME_DIR")) < 0)
		goto out;
	if (engine_call(call, &e, "GET", "/_ping", NULL, &status, &answer) < 0)
		goto out;
	if (status != 200) {
		engine_fail(call, status, answer, "the docker engine's ping");
		goto out;
	}
	if (engine_negotiate(call, &e, getenv("DOCKER_API_VERSION")) < 0)
		goto out;
	engine_release(&st->engine);
	st->engine = e;
	memset(&e, 0, sizeof(e));
	free(st->prefix);
	st->prefix = lf_xstrdup(prefix);
	json_decref(st->command);
	st->command = command;
	command = NULL;
	st->width = width;
	err = 0;
out:
	engine_release(&e);
	json_decref(command);
	json_decref(answer);
	return err;
}

static const struct lfp_type types[] = {
    {"compute.network", NULL, network_read, network_create, network_update, network_delete, NULL,
     network_list, NULL},
    {"compute.node_pool", NULL, pool_read, pool_create, pool_update, pool_delete, NULL, pool_list,
     pool_usage},
};

static const struct lfp_provider provider = {
    .version = LFP_VERSION,
    .name = "docker",
    .types = types,
    .ntypes = sizeof(types) / sizeof(types[0]),
    .concurrency = 4, /* calls for different addresses touch different objects */
    .configure = configure,
    .state = &docker_state,
};

int main(int argc, char **argv)
{
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "docker: cannot initialise libcurl\n");
		return 1;
	}
	rc = lfp_main(&provider, argc, argv);
	engine_release(&docker_state.engine);
	free(docker_state.prefix);
	json_decref(docker_state.command);
	curl_global_cleanup();
	return rc;
}
