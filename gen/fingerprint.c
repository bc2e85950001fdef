/*
 * fingerprint.c - the canonical ABI text of a model and its FNV-1a hash.
 */
#include "fingerprint.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One top-level declaration's canonical lines, sorted as a whole. */
struct item {
    char *text;
};

struct items {
    struct item *v;
    size_t n;
};

static void add_item(struct items *it, struct sbuf *b)
{
    it->v = xpush(it->v, &it->n, sizeof *it->v);
    it->v[it->n - 1].text = sb_take(b);
}

static void type_text(const struct model *m, struct type_ref t,
                      struct sbuf *b)
{
    /* Records and handles are named by kind too, so a record and a handle
     * swapping names cannot hash alike. */
    if (t.kind == TY_RECORD)
        sb_printf(b, "record:%s", m->records[t.index].name);
    else if (t.kind == TY_HANDLE)
        sb_printf(b, "handle:%s", m->handles[t.index].name);
    else
        sb_puts(b, model_kind_name(t.kind));
}

static void fn_text(const struct model *m, const struct fn *f,
                    struct sbuf *b)
{
    size_t i;

    sb_printf(b, "fn %s -> %s\n", f->name,
              f->returns_status ? "status" : model_kind_name(f->ret));
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];

        sb_printf(b, "  param %s ", p->dir == DIR_OUT ? "out" : "in");
        type_text(m, p->type, b);
        if (p->len_param >= 0)
            sb_printf(b, " [%d]", p->len_param);
        sb_putc(b, '\n');
    }
}

static void record_text(const struct model *m, const struct record *r,
                        struct sbuf *b)
{
    size_t i;

    sb_printf(b, "record %s\n", r->name);
    for (i = 0; i < r->nfields; i++) {
        sb_puts(b, "  field ");
        type_text(m, r->fields[i].type, b);
        if (r->fields[i].array_len > 0)
            sb_printf(b, "[%lld]", r->fields[i].array_len);
        sb_putc(b, '\n');
    }
}

static void collect(const struct model *m, struct items *it)
{
    struct sbuf b;
    size_t i;

    sb_init(&b);
    for (i = 0; i < m->nerrclasses; i++) {
        sb_printf(&b, "errclass %s = %lld\n", m->errclasses[i].name,
                  m->errclasses[i].value);
        add_item(it, &b);
    }
    for (i = 0; i < m->nerrors; i++) {
        const struct error *e = &m->errors[i];

        sb_printf(&b, "error %s = %lld %s\n", e->name, e->value,
                  m->errclasses[e->errclass].name);
        add_item(it, &b);
    }
    for (i = 0; i < m->nhandles; i++) {
        sb_printf(&b, "handle %s\n", m->handles[i].name);
        add_item(it, &b);
    }
    for (i = 0; i < m->nrecords; i++) {
        record_text(m, &m->records[i], &b);
        add_item(it, &b);
    }
    for (i = 0; i < m->nfns; i++) {
        fn_text(m, &m->fns[i], &b);
        add_item(it, &b);
    }
}

/* Byte order (strcmp), so the order does not depend on the locale. */
static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const struct item *)a)->text,
                  ((const struct item *)b)->text);
}

char *fingerprint_text(const struct model *m)
{
    struct items it = {NULL, 0};
    struct sbuf b;
    size_t i;

    collect(m, &it);
    if (it.n > 0) /* a model with no items has it.v NULL: qsort(NULL) is UB */
        qsort(it.v, it.n, sizeof *it.v, cmp_item);
    sb_init(&b);
    sb_puts(&b, "polysock-abi 1\n");
    for (i = 0; i < it.n; i++) {
        sb_puts(&b, it.v[i].text);
        free(it.v[i].text);
    }
    free(it.v);
    return sb_take(&b);
}

uint64_t fingerprint_fnv1a(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

void fingerprint_hex(const struct model *m, char *out)
{
    char *text = fingerprint_text(m);

    snprintf(out, FINGERPRINT_HEX_LEN + 1, "%016" PRIx64,
             fingerprint_fnv1a(text));
    free(text);
}
