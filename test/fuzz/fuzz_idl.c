/*
 * fuzz_idl.c - the generator's IDL front end (gen/lexer.c, parser.c,
 * model.c) on arbitrary text.
 *
 * Properties: parse_idl never crashes, never reads past the len bytes it
 * was given (the input is copied to an exact-size buffer without a NUL),
 * never leaks (libFuzzer's leak detection is on under AddressSanitizer);
 * a refused input is reported as one "path:line:col: message" diagnostic
 * pointing into the input, an accepted one is reported silently; and an
 * accepted model keeps the promise of gen/parser.h that backends can trust
 * it: every cross-reference is in range.
 */
#ifdef HAVE_CONFIG_H
#include "config.h" /* first: _GNU_SOURCE for inet_aton, strnlen, open_memstream */
#endif
#include "fuzz.h"

#include "fingerprint.h"
#include "model.h"
#include "parser.h"

#include <stdbool.h>

#define IDL_PATH "fuzz.idl"

/* i is -1 (none) or an index into an array of n. */
static bool optional_index(int i, size_t n)
{
    return i == -1 || (i >= 0 && (size_t)i < n);
}

static void check_type_ref(const struct model *m, struct type_ref t)
{
    if (t.kind == TY_RECORD)
        FUZZ_CHECK(t.index >= 0 && (size_t)t.index < m->nrecords);
    else if (t.kind == TY_HANDLE)
        FUZZ_CHECK(t.index >= 0 && (size_t)t.index < m->nhandles);
    else
        FUZZ_CHECK(t.index == -1);
}

static void check_fn(const struct model *m, const struct fn *f)
{
    FUZZ_CHECK(f->name != NULL);
    FUZZ_CHECK(optional_index(f->method_of, m->nhandles));
    FUZZ_CHECK((f->method_of >= 0) == (f->method_name != NULL));
    for (size_t i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        FUZZ_CHECK(p->name != NULL);
        check_type_ref(m, p->type);
        FUZZ_CHECK(optional_index(p->len_param, f->nparams));
        FUZZ_CHECK(optional_index(p->len_of, f->nparams));
        FUZZ_CHECK(optional_index(p->fills, f->nparams));
        FUZZ_CHECK(optional_index(p->partial, f->nparams));
        FUZZ_CHECK(optional_index(p->filled_by, f->nparams));
        /* The buffer <-> length links go both ways. */
        if (p->len_param >= 0)
            FUZZ_CHECK(f->params[p->len_param].len_of == (int)i);
        if (p->len_of >= 0)
            FUZZ_CHECK(f->params[p->len_of].len_param == (int)i);
        FUZZ_CHECK((p->def.kind == DEF_NONE) == (p->def.text == NULL));
    }
}

static void check_model(const struct model *m)
{
    FUZZ_CHECK(m->name != NULL && m->version != NULL);
    for (size_t i = 0; i < m->nerrors; i++) {
        FUZZ_CHECK(m->errors[i].value < 0);
        FUZZ_CHECK(m->errors[i].errclass >= 0 &&
                   (size_t)m->errors[i].errclass < m->nerrclasses);
    }
    for (size_t i = 0; i < m->nrecords; i++) {
        const struct record *r = &m->records[i];
        for (size_t j = 0; j < r->nfields; j++) {
            const struct field *fd = &r->fields[j];
            check_type_ref(m, fd->type);
            /* char exists only as "char name[N]". */
            FUZZ_CHECK((fd->type.kind == TY_CHAR) == (fd->array_len > 0));
        }
    }
    for (size_t i = 0; i < m->nfns; i++)
        check_fn(m, &m->fns[i]);

    /* A walk over the whole model, as every binding's fingerprint check
     * makes it. */
    char fingerprint[FINGERPRINT_HEX_LEN + 1];
    fingerprint_hex(m, fingerprint);
    FUZZ_CHECK(strlen(fingerprint) == FINGERPRINT_HEX_LEN);
}

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    return lines;
}

/* One diagnostic, "fuzz.idl:LINE:COL: message\n", at a place in the input
 * (end of file is on the last line). */
static void check_diagnostic(const char *diag, size_t lines)
{
    const char *prefix = IDL_PATH ":";
    FUZZ_CHECK(strncmp(diag, prefix, strlen(prefix)) == 0);
    unsigned long line = 0, col = 0;
    int used = 0;
    FUZZ_CHECK(sscanf(diag + strlen(prefix), "%lu:%lu: %n", &line, &col,
                      &used) == 2);
    FUZZ_CHECK(used > 0);
    FUZZ_CHECK(line >= 1 && line <= lines);
    FUZZ_CHECK(col >= 1);
    const char *message = diag + strlen(prefix) + used;
    /* One line: parsing stops at the first error. */
    FUZZ_CHECK(strlen(message) > 1);
    FUZZ_CHECK(strchr(message, '\n') == message + strlen(message) - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly size bytes: no NUL after them for the lexer to lean on. */
    char *src = malloc(size > 0 ? size : 1);
    FUZZ_CHECK(src != NULL);
    if (size > 0)
        memcpy(src, data, size);

    /* The diagnostics go to stderr; catch them to check them.  glibc's
     * stderr is an assignable variable; libFuzzer and the sanitizers write
     * to the descriptor or their own copy of the stream, not to this. */
    char *diag = NULL;
    size_t diag_len = 0;
    FILE *captured = open_memstream(&diag, &diag_len);
    FUZZ_CHECK(captured != NULL);
    FILE *saved_stderr = stderr;
    stderr = captured;
    struct model m;
    int rc = parse_idl(IDL_PATH, src, size, &m);
    stderr = saved_stderr;
    FUZZ_CHECK(fclose(captured) == 0);

    if (rc == 0) {
        FUZZ_CHECK(diag_len == 0);
        check_model(&m);
        model_free(&m);
    } else {
        FUZZ_CHECK(rc == -1);
        check_diagnostic(diag, count_lines(data, size));
    }
    free(diag);
    free(src);
    return 0;
}
