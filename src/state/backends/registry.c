/*
 * registry.c - the one list of state backends: lakeform.yaml's backend.type
 * and the operations (backend.h) of the backend it names.  A new backend
 * is a file in this folder and a line here.
 */
#include "../state_internal.h"

extern const struct lf_backend_ops lf_backend_local_ops; /* local.c */
extern const struct lf_backend_ops lf_backend_s3_ops;    /* s3.c */

const struct lf_backend_entry lf_backends[] = {
    {"local", &lf_backend_local_ops},
    {"s3", &lf_backend_s3_ops},
    {NULL, NULL},
};
