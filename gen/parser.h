/*
 * parser.h - reads an IDL file into a checked model.
 *
 * Every rule of the language (docs/idl.md) is enforced here, so backends can
 * trust the model: names are unique, types resolve, buffers have their
 * length parameter, methods have a handle.  The first error is printed as
 * "path:line:col: message" and parsing stops.
 */
#ifndef POLYSOCK_GEN_PARSER_H
#define POLYSOCK_GEN_PARSER_H

#include "model.h"

#include <stddef.h>

/* Parse src (len bytes; path is used in messages).  Returns 0 with *m
 * filled (free it with model_free), or -1 with *m already freed. */
int parse_idl(const char *path, const char *src, size_t len, struct model *m);

/* Read and parse the file at path; also reports I/O errors. */
int parse_idl_file(const char *path, struct model *m);

#endif
