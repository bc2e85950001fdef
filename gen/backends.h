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

/* The API references of the bindings, which the docs backend writes
 * (docs/api/python.md, ruby.md, node.md): each is rendered by its language's
 * backend, which knows how that language spells a fn.  0 or -1 after
 * printing why. */
int python_reference(const struct model *m, struct sbuf *b);
int ruby_reference(const struct model *m, struct sbuf *b);
int node_reference(const struct model *m, struct sbuf *b);

/* backend_docs.c: doc text as one Markdown table cell (one line, '|'
 * escaped; empty text gives a blank cell). */
void docs_cell(struct sbuf *b, const char *text);

/* The doc of a binding's argument: the param's own, else for the capacity
 * of an out buffer that the caller gives "How many bytes at most." (or
 * "How many at most." for records); NULL when there is none. */
const char *docs_param_doc(const struct fn *f, const struct param *p);

/* Does the timeout mode of a handle f takes apply to f: is one of its in
 * handles of a type with a settimeout method (a socket)?  Then f can time
 * out, or fail at once in non-blocking mode. */
bool docs_fn_has_timeout_mode(const struct model *m, const struct fn *f);

extern const struct backend *const backends[];
extern const size_t nbackends;

/* The backend called name, or NULL. */
const struct backend *backend_find(const char *name);

#endif
