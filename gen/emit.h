/*
 * emit.h - how a backend writes its files.
 *
 * A backend renders each file into a string buffer between emit_begin and
 * emit_end.  In list mode (--list-outputs) emit_end only prints the path, so
 * the list the build system sees is produced by the very code that writes
 * the files and can never drift from it.
 */
#ifndef POLYSOCK_GEN_EMIT_H
#define POLYSOCK_GEN_EMIT_H

#include "util.h"

#include <stdbool.h>

struct emitter {
    const char *outdir; /* NULL: list mode */
    struct sbuf buf;
    char *relpath;      /* the file being rendered */
};

/* outdir NULL selects list mode. */
void emitter_init(struct emitter *e, const char *outdir);
void emitter_free(struct emitter *e);

/* Start rendering relpath (relative to outdir, '/'-separated); returns the
 * buffer to append the content to. */
struct sbuf *emit_begin(struct emitter *e, const char *relpath);

/* Finish the file: write it under outdir (creating directories, replacing
 * the old file atomically), or print its path in list mode.  Returns 0, or
 * -1 after printing why. */
int emit_end(struct emitter *e);

#endif
