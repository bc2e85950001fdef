/*
 * backends.h - the table of backends.
 *
 * A backend is one file (gen/backend_<name>.c) that defines one
 * `const struct backend` and renders the model into files through an
 * emitter.  Adding a language = that file, its extern line below and one
 * row in the table in backends.c.
 */
#ifndef POLYSOCK_GEN_BACKENDS_H
#define POLYSOCK_GEN_BACKENDS_H

#include "emit.h"
#include "model.h"

#include <stddef.h>

struct backend {
    const char *name;    /* as given on the command line */
    const char *summary; /* one line for --help */
    /* Render every output file; 0 or -1 (after printing why). */
    int (*generate)(const struct model *m, struct emitter *out);
};

extern const struct backend backend_c;
extern const struct backend backend_json;
extern const struct backend backend_docs;
extern const struct backend backend_python;
extern const struct backend backend_node;
extern const struct backend backend_ruby;

/* backend_python.c: the Python API reference (docs/api/python.md), which
 * the docs backend writes; 0 or -1 after printing why. */
int python_reference(const struct model *m, struct sbuf *b);

extern const struct backend *const backends[];
extern const size_t nbackends;

/* The backend called name, or NULL. */
const struct backend *backend_find(const char *name);

#endif
