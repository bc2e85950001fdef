/*
 * fingerprint.h - the ABI fingerprint of a model.
 *
 * FNV-1a 64-bit over a canonical text of everything that decides whether a
 * binding generated from one IDL can call a library built from another:
 * functions (name, parameter types, directions and buffer links, return
 * type), records (field types and array sizes, in order), handle names,
 * errors (name, value, class) and errclasses (name, value).  Docs, defaults,
 * parameter and field names, 'optional', 'blocking' and constgroups are left
 * out: they change what a binding offers, not what the library accepts.
 * Top-level declarations are sorted by name, so moving one in the file does
 * not change the fingerprint.  docs/idl.md gives the exact canonical text.
 */
#ifndef POLYSOCK_GEN_FINGERPRINT_H
#define POLYSOCK_GEN_FINGERPRINT_H

#include "model.h"

#include <stdint.h>

#define FINGERPRINT_HEX_LEN 16

/* The canonical text (the caller frees it): exposed so tests and curious
 * maintainers can see exactly what is hashed. */
char *fingerprint_text(const struct model *m);

uint64_t fingerprint_fnv1a(const char *s);

/* 16 lowercase hex digits into out (at least FINGERPRINT_HEX_LEN + 1). */
void fingerprint_hex(const struct model *m, char *out);

#endif
