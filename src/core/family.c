#include "family.h"

#include <string.h>

const struct lf_family lf_families[LF_NFAMILIES] = {
    [LF_FAMILY_STORAGE] = {"storage", "storage.", "local-storage"},
    [LF_FAMILY_COMPUTE] = {"compute", "compute.", "local-compute"},
    [LF_FAMILY_IDENTITY] = {"identity", "identity.", NULL},
};

const char *lf_family_provider(const json_t *settings, int f)
{
	const json_t *conf =
	    json_object_get(json_object_get(settings, "providers"), lf_families[f].name);
	const char *name = json_string_value(json_object_get(conf, "name"));

	return name ? name : lf_families[f].provider;
}

int lf_family_find(const char *name)
{
	for (int f = 0; name && f < LF_NFAMILIES; f++)
		if (!strcmp(name, lf_families[f].name))
			return f;
	return -1;
}

struct lf_provider *lf_providers_get(const struct lf_providers *pv, const char *name)
{
	int f = lf_family_find(name);

	return f < 0 ? NULL : pv->v[f];
}
