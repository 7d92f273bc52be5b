#include "family.h"

#include <string.h>

const struct lf_family lf_families[LF_NFAMILIES] = {
    [LF_FAMILY_STORAGE] = {"storage", "storage.", "local-storage"},
    [LF_FAMILY_COMPUTE] = {"compute", "compute.", "local-compute"},
};

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
