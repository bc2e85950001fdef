/*
 * backend_c.c - the C backend: proves at compile time that polysock.h says
 * what the IDL says, and gives the library its ABI fingerprint.
 *
 * core/generated/polysock_idl_check.c holds only _Static_asserts, so
 * compiling it (even with -fsyntax-only) is the whole test: a header that
 * drifted from the IDL fails the build with a message naming the function,
 * field or code that disagrees and what the IDL expects.
 */
#include "backends.h"
#include "fingerprint.h"

#include <stdlib.h>

#define CHECK_FILE "core/generated/polysock_idl_check.c"
#define FINGERPRINT_FILE "core/generated/polysock_fingerprint.h"

static void check_version(const struct model *m, struct sbuf *b)
{
    static const char *const parts[] = {"MAJOR", "MINOR", "PATCH"};
    const char *v = m->version;
    size_t i;

    /* The parser guarantees MAJOR.MINOR.PATCH, all digits. */
    sb_puts(b, "/* ---- Version ---- */\n\n");
    for (i = 0; i < 3; i++) {
        long n = strtol(v, (char **)&v, 10);

        sb_printf(b, "_Static_assert(POLYSOCK_VERSION_%s == %ld,\n"
                  "               \"POLYSOCK_VERSION_%s: header and IDL "
                  "disagree (IDL: %s)\");\n", parts[i], n, parts[i],
                  m->version);
        if (*v == '.')
            v++;
    }
    /* Every handle type is a polysock_handle, and the IDL spells the raw
     * handle value u64 (list_free, event.handle). */
    sb_puts(b, "_Static_assert(__builtin_types_compatible_p(polysock_handle, "
            "uint64_t),\n               \"polysock_handle: must be uint64_t "
            "(IDL handles are u64)\");\n\n");
}

static void check_errors(const struct model *m, struct sbuf *b)
{
    struct sbuf name;
    size_t i;

    sb_init(&name);
    sb_puts(b, "/* ---- Error classes and codes ---- */\n\n");
    for (i = 0; i < m->nerrclasses; i++) {
        sb_clear(&name);
        model_c_errclass_name(&m->errclasses[i], &name);
        sb_printf(b, "_Static_assert(%s == %lld,\n               \"%s: header "
                  "and IDL disagree (IDL: %lld)\");\n", name.s,
                  m->errclasses[i].value, name.s, m->errclasses[i].value);
    }
    for (i = 0; i < m->nerrors; i++) {
        sb_clear(&name);
        model_c_error_name(&m->errors[i], &name);
        sb_printf(b, "_Static_assert(%s == %lld,\n               \"%s: header "
                  "and IDL disagree (IDL: %lld)\");\n", name.s,
                  m->errors[i].value, name.s, m->errors[i].value);
    }
    sb_putc(b, '\n');
    sb_free(&name);
}

/* The IDL's own layout of a record as a plain struct: comparing offsets
 * and size with it catches reordered, retyped, missing and extra fields. */
static void record_mirror(const struct model *m, const struct record *r,
                          struct sbuf *b)
{
    struct sbuf t;
    size_t i;

    sb_init(&t);
    sb_printf(b, "struct polysock_idl_%s {\n", r->name);
    for (i = 0; i < r->nfields; i++) {
        const struct field *fd = &r->fields[i];

        sb_clear(&t);
        model_c_field_type(m, fd, &t);
        sb_printf(b, "    %s %s", t.s, fd->name);
        if (fd->array_len > 0)
            sb_printf(b, "[%lld]", fd->array_len);
        sb_puts(b, ";\n");
    }
    sb_puts(b, "};\n");
    sb_free(&t);
}

static void check_field(const struct model *m, const struct record *r,
                        size_t i, struct sbuf *b)
{
    const struct field *fd = &r->fields[i];
    struct sbuf t;

    sb_init(&t);
    model_c_field_type(m, fd, &t);
    if (fd->array_len > 0)
        sb_printf(&t, "[%lld]", fd->array_len);
    sb_printf(b, "_Static_assert(__builtin_types_compatible_p(__typeof__(((polysock_%s *)0)->%s), %s),\n"
              "               \"polysock_%s.%s: header and IDL disagree on "
              "its type (IDL: %s)\");\n", r->name, fd->name, t.s, r->name,
              fd->name, t.s);
    if (i > 0)
        sb_printf(b, "_Static_assert(offsetof(polysock_%s, %s) > "
                  "offsetof(polysock_%s, %s),\n               \"polysock_%s.%s: "
                  "must come after %s (IDL field order)\");\n", r->name,
                  fd->name, r->name, r->fields[i - 1].name, r->name,
                  fd->name, r->fields[i - 1].name);
    sb_printf(b, "_Static_assert(offsetof(polysock_%s, %s) == "
              "offsetof(struct polysock_idl_%s, %s),\n               "
              "\"polysock_%s.%s: offset differs from the IDL layout\");\n",
              r->name, fd->name, r->name, fd->name, r->name, fd->name);
    sb_free(&t);
}

static void check_records(const struct model *m, struct sbuf *b)
{
    size_t i, j;

    sb_puts(b, "/* ---- Records: field types, order and layout ---- */\n\n");
    for (i = 0; i < m->nrecords; i++) {
        const struct record *r = &m->records[i];

        record_mirror(m, r, b);
        for (j = 0; j < r->nfields; j++)
            check_field(m, r, j, b);
        sb_printf(b, "_Static_assert(sizeof(polysock_%s) == sizeof(struct "
                  "polysock_idl_%s),\n               \"polysock_%s: size "
                  "differs from the IDL layout (a field added or removed?)\");\n\n",
                  r->name, r->name, r->name);
    }
}

static void check_fns(const struct model *m, struct sbuf *b)
{
    struct sbuf name, type, proto;
    size_t i;

    sb_init(&name);
    sb_init(&type);
    sb_init(&proto);
    sb_puts(b, "/* ---- Functions: the exact type of each ---- */\n\n");
    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];

        sb_clear(&name);
        sb_clear(&type);
        sb_clear(&proto);
        model_c_fn_name(f, &name);
        model_c_fn_pointer_type(m, f, &type);
        model_c_prototype(m, f, &proto);
        sb_printf(b, "_Static_assert(__builtin_types_compatible_p(__typeof__(&%s),\n"
                  "                                           %s),\n"
                  "               \"%s: header and IDL disagree (IDL: %s)\");\n",
                  name.s, type.s, name.s, proto.s);
    }
    sb_free(&name);
    sb_free(&type);
    sb_free(&proto);
}

static int write_check(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, CHECK_FILE);

    sb_printf(b,
              "/* Generated by polysock-gen from %s: do not edit.\n"
              " *\n"
              " * Compiling this file proves that polysock.h declares what the "
              "IDL says:\n"
              " * each function's exact type, each record's field types, order "
              "and\n"
              " * layout, each error code and error class.  A mismatch fails "
              "the build\n"
              " * naming what disagrees.  It holds no code and no data.\n"
              " */\n"
              "#include <stddef.h>\n"
              "#include <stdint.h>\n\n"
              "#include \"polysock.h\"\n\n",
              path_basename(m->path));
    check_version(m, b);
    check_errors(m, b);
    check_records(m, b);
    check_fns(m, b);
    return emit_end(out);
}

static int write_fingerprint(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, FINGERPRINT_FILE);
    char fp[FINGERPRINT_HEX_LEN + 1];

    fingerprint_hex(m, fp);
    sb_printf(b,
              "/* Generated by polysock-gen from %s: do not edit.\n"
              " *\n"
              " * The ABI fingerprint of the IDL (docs/idl.md): the library "
              "returns it\n"
              " * from polysock_abi_fingerprint(), and each generated binding "
              "refuses a\n"
              " * library whose fingerprint is not the one it was generated "
              "with.\n"
              " */\n"
              "#ifndef POLYSOCK_FINGERPRINT_H\n"
              "#define POLYSOCK_FINGERPRINT_H\n\n"
              "#define POLYSOCK_ABI_FINGERPRINT \"%s\"\n\n"
              "#endif\n",
              path_basename(m->path), fp);
    return emit_end(out);
}

static int generate(const struct model *m, struct emitter *out)
{
    if (write_check(m, out) != 0)
        return -1;
    return write_fingerprint(m, out);
}

const struct backend backend_c = {
    "c",
    "core/generated: the header-vs-IDL compile-time check and the ABI "
    "fingerprint header",
    generate,
};
