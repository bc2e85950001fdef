/*
 * model.c - freeing and querying the IDL model, and its C spelling.
 */
#include "model.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void free_fn(struct fn *f)
{
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        free(f->params[i].name);
        free(f->params[i].doc);
        free(f->params[i].def.text);
        free(f->params[i].null_value.text);
    }
    free(f->params);
    free(f->name);
    free(f->doc);
    free(f->method_name);
}

static void free_record(struct record *r)
{
    size_t i;

    for (i = 0; i < r->nfields; i++) {
        free(r->fields[i].name);
        free(r->fields[i].doc);
    }
    free(r->fields);
    free(r->name);
    free(r->doc);
}

void model_free(struct model *m)
{
    size_t i;

    for (i = 0; i < m->nerrclasses; i++) {
        free(m->errclasses[i].name);
        free(m->errclasses[i].doc);
    }
    for (i = 0; i < m->nerrors; i++) {
        free(m->errors[i].name);
        free(m->errors[i].doc);
    }
    for (i = 0; i < m->nconstgroups; i++) {
        free(m->constgroups[i].prefix);
        free(m->constgroups[i].doc);
    }
    for (i = 0; i < m->nrecords; i++)
        free_record(&m->records[i]);
    for (i = 0; i < m->nhandles; i++) {
        free(m->handles[i].name);
        free(m->handles[i].doc);
    }
    for (i = 0; i < m->nfns; i++)
        free_fn(&m->fns[i]);
    free(m->errclasses);
    free(m->errors);
    free(m->constgroups);
    free(m->records);
    free(m->handles);
    free(m->fns);
    free(m->path);
    free(m->name);
    free(m->version);
    free(m->doc);
    memset(m, 0, sizeof *m);
}

int model_find_record(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->nrecords; i++)
        if (strcmp(m->records[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_find_handle(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->nhandles; i++)
        if (strcmp(m->handles[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_find_errclass(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->nerrclasses; i++)
        if (strcmp(m->errclasses[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_find_fn(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->nfns; i++)
        if (strcmp(m->fns[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_find_param(const struct fn *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Indexed by enum type_kind: the IDL name and the C type of each kind. */
static const struct {
    const char *idl;
    const char *c;
} kinds[] = {
    [TY_VOID] = {"void", "void"},
    [TY_INT] = {"int", "int"},
    [TY_I32] = {"i32", "int32_t"},
    [TY_I64] = {"i64", "int64_t"},
    [TY_U16] = {"u16", "uint16_t"},
    [TY_U32] = {"u32", "uint32_t"},
    [TY_U64] = {"u64", "uint64_t"},
    [TY_SIZE] = {"size", "size_t"},
    [TY_DOUBLE] = {"double", "double"},
    [TY_STRING] = {"string", NULL},
    [TY_BYTES] = {"bytes", NULL},
    [TY_CHAR] = {"char", "char"},
    [TY_RECORD] = {"record", NULL},
    [TY_HANDLE] = {"handle", "polysock_handle"},
};

const char *model_kind_name(enum type_kind k)
{
    return kinds[k].idl;
}

const char *model_type_name(const struct model *m, struct type_ref t)
{
    if (t.kind == TY_RECORD)
        return m->records[t.index].name;
    if (t.kind == TY_HANDLE)
        return m->handles[t.index].name;
    return kinds[t.kind].idl;
}

bool model_kind_is_integer(enum type_kind k)
{
    return k >= TY_INT && k <= TY_SIZE;
}

bool model_kind_is_number(enum type_kind k)
{
    return model_kind_is_integer(k) || k == TY_DOUBLE;
}

bool model_param_is_buffer(const struct param *p)
{
    return p->len_param >= 0;
}

int model_into_buffer(const struct fn *f)
{
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];

        if (p->dir == DIR_OUT && p->type.kind == TY_BYTES &&
            p->len_param >= 0 && p->filled_by >= 0 &&
            f->params[p->filled_by].fills == (int)i &&
            f->params[p->len_param].def.kind == DEF_NONE)
            return (int)i;
    }
    return -1;
}

const char *model_c_scalar(enum type_kind k)
{
    return kinds[k].c;
}

void model_c_record_name(const struct record *r, struct sbuf *b)
{
    sb_printf(b, "polysock_%s", r->name);
}

/* The pointee of a pointer parameter: what the pointer points to. */
static void c_pointee(const struct model *m, const struct param *p,
                      struct sbuf *b)
{
    switch (p->type.kind) {
    case TY_STRING:
        sb_puts(b, "char");
        break;
    case TY_BYTES:
        sb_puts(b, "void");
        break;
    case TY_RECORD:
        model_c_record_name(&m->records[p->type.index], b);
        break;
    default:
        sb_puts(b, kinds[p->type.kind].c);
        break;
    }
}

void model_c_param_type(const struct model *m, const struct param *p,
                        struct sbuf *b)
{
    enum type_kind k = p->type.kind;
    bool by_pointer = k == TY_STRING || k == TY_BYTES || k == TY_RECORD;

    /* Scalars and handles go in by value and come out through a pointer;
     * strings, bytes and records always travel by pointer, const when in. */
    if (!by_pointer && p->dir == DIR_IN) {
        sb_puts(b, kinds[k].c);
        return;
    }
    if (p->dir == DIR_IN)
        sb_puts(b, "const ");
    c_pointee(m, p, b);
    sb_puts(b, " *");
}

void model_c_return_type(const struct fn *f, struct sbuf *b)
{
    sb_puts(b, f->ret == TY_STRING ? "const char *" : kinds[f->ret].c);
}

void model_c_fn_name(const struct fn *f, struct sbuf *b)
{
    sb_printf(b, "polysock_%s", f->name);
}

void model_c_error_name(const struct error *e, struct sbuf *b)
{
    sb_printf(b, "POLYSOCK_%s", e->name);
}

void model_c_errclass_name(const struct errclass *c, struct sbuf *b)
{
    const char *s;

    sb_puts(b, "POLYSOCK_ERRCLASS_");
    for (s = c->name; *s; s++)
        sb_putc(b, (char)toupper((unsigned char)*s));
}

void model_c_field_type(const struct model *m, const struct field *fd,
                        struct sbuf *b)
{
    (void)m;
    sb_puts(b, kinds[fd->type.kind].c);
}

/* "int32_t x" but "char *x": no space after a pointer star. */
static void c_declarator(struct sbuf *b, const char *type, const char *name)
{
    size_t n = strlen(type);

    sb_puts(b, type);
    if (n == 0 || type[n - 1] != '*')
        sb_putc(b, ' ');
    sb_puts(b, name);
}

static void c_param_list(const struct model *m, const struct fn *f,
                         bool with_names, struct sbuf *b)
{
    struct sbuf t;
    size_t i;

    if (f->nparams == 0) {
        sb_puts(b, "void");
        return;
    }
    sb_init(&t);
    for (i = 0; i < f->nparams; i++) {
        sb_clear(&t);
        model_c_param_type(m, &f->params[i], &t);
        if (i > 0)
            sb_puts(b, ", ");
        if (with_names)
            c_declarator(b, t.s, f->params[i].name);
        else
            sb_puts(b, t.s);
    }
    sb_free(&t);
}

void model_c_fn_pointer_type(const struct model *m, const struct fn *f,
                             struct sbuf *b)
{
    model_c_return_type(f, b);
    sb_puts(b, f->ret == TY_STRING ? "(*)(" : " (*)(");
    c_param_list(m, f, false, b);
    sb_putc(b, ')');
}

void model_c_prototype(const struct model *m, const struct fn *f,
                       struct sbuf *b)
{
    struct sbuf ret, name;

    sb_init(&ret);
    sb_init(&name);
    model_c_return_type(f, &ret);
    model_c_fn_name(f, &name);
    c_declarator(b, ret.s, name.s);
    sb_putc(b, '(');
    c_param_list(m, f, true, b);
    sb_putc(b, ')');
    sb_free(&ret);
    sb_free(&name);
}
