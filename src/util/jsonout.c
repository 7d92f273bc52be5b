#include "jsonout.h"

static int add_cb(const char *data, size_t size, void *ctx)
{
	lf_buf_add(ctx, data, size);
	return 0;
}

int lf_buf_add_json(struct lf_buf *b, const json_t *v, size_t flags)
{
	size_t before = b->len;

	if (json_dump_callback(v, add_cb, b, flags) != 0) {
		lf_buf_truncate(b, before);
		return -1;
	}
	return 0;
}
