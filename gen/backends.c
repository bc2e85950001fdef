/*
 * backends.c - the registry of backends: one row per backend.
 */
#include "backends.h"

#include <string.h>

const struct backend *const backends[] = {
    &backend_c,
    &backend_json,
    &backend_docs,
    &backend_python,
    &backend_node,
    &backend_ruby,
};

const size_t nbackends = sizeof backends / sizeof backends[0];

const struct backend *backend_find(const char *name)
{
    size_t i;

    for (i = 0; i < nbackends; i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}
