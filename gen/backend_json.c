/*
 * backend_json.c - the whole model as JSON (docs/api/polysock.json), so
 * that a backend for another language can be written in that language
 * without touching C.  Keys come in a fixed order and arrays in
 * declaration order, so the output is byte-for-byte reproducible.
 * docs/idl.md describes the schema.
 */
#include "backends.h"
#include "fingerprint.h"

#include <stdio.h>
#include <stdlib.h>

#define JSON_FILE "docs/api/polysock.json"
#define JSON_FORMAT_VERSION 2
#define MAX_DEPTH 16

/* A streaming pretty-printer: it only has to remember, per nesting level,
 * whether a member was written already (for commas and newlines). */
struct json {
    struct sbuf *b;
    int depth;
    int count[MAX_DEPTH];
};

static void j_indent(struct json *j)
{
    int i;

    sb_putc(j->b, '\n');
    for (i = 0; i < j->depth; i++)
        sb_puts(j->b, "  ");
}

/* Start the next array element or object member. */
static void j_next(struct json *j)
{
    if (j->count[j->depth]++ > 0)
        sb_putc(j->b, ',');
    j_indent(j);
}

static void j_open(struct json *j, char c)
{
    sb_putc(j->b, c);
    j->depth++;
    j->count[j->depth] = 0;
}

static void j_close(struct json *j, char c)
{
    int had_members = j->count[j->depth] > 0;

    j->depth--;
    if (had_members)
        j_indent(j);
    sb_putc(j->b, c);
}

static void j_string(struct json *j, const char *s)
{
    if (s == NULL) {
        sb_puts(j->b, "null");
        return;
    }
    sb_putc(j->b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            sb_printf(j->b, "\\%c", c);
        else if (c == '\n')
            sb_puts(j->b, "\\n");
        else if (c == '\t')
            sb_puts(j->b, "\\t");
        else if (c < 0x20)
            sb_printf(j->b, "\\u%04x", c);
        else
            sb_putc(j->b, (char)c); /* UTF-8 passes through (lexer-checked) */
    }
    sb_putc(j->b, '"');
}

static void j_key(struct json *j, const char *key)
{
    j_next(j);
    j_string(j, key);
    sb_puts(j->b, ": ");
}

static void j_kstr(struct json *j, const char *key, const char *value)
{
    j_key(j, key);
    j_string(j, value);
}

static void j_kint(struct json *j, const char *key, long long value)
{
    j_key(j, key);
    sb_printf(j->b, "%lld", value);
}

static void j_kbool(struct json *j, const char *key, bool value)
{
    j_key(j, key);
    sb_puts(j->b, value ? "true" : "false");
}

/* The shortest %g text that reads back as the same double: valid JSON,
 * unlike some IDL spellings ("01.5"). */
static void j_double(struct json *j, double d)
{
    char buf[40];
    int prec;

    for (prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    sb_puts(j->b, buf);
}

/* Append a C spelling produced by one of the model_c_* helpers. */
static void j_kc(struct json *j, const char *key, struct sbuf *scratch)
{
    j_kstr(j, key, scratch->s);
    sb_clear(scratch);
}

static void json_errclasses(const struct model *m, struct json *j,
                            struct sbuf *c)
{
    size_t i;

    j_key(j, "errclasses");
    j_open(j, '[');
    for (i = 0; i < m->nerrclasses; i++) {
        j_next(j);
        j_open(j, '{');
        j_kstr(j, "name", m->errclasses[i].name);
        j_kint(j, "value", m->errclasses[i].value);
        model_c_errclass_name(&m->errclasses[i], c);
        j_kc(j, "c_name", c);
        j_kstr(j, "doc", m->errclasses[i].doc);
        j_close(j, '}');
    }
    j_close(j, ']');
}

static void json_errors(const struct model *m, struct json *j,
                        struct sbuf *c)
{
    size_t i;

    j_key(j, "errors");
    j_open(j, '[');
    for (i = 0; i < m->nerrors; i++) {
        const struct error *e = &m->errors[i];

        j_next(j);
        j_open(j, '{');
        j_kstr(j, "name", e->name);
        j_kint(j, "value", e->value);
        j_kstr(j, "errclass", m->errclasses[e->errclass].name);
        model_c_error_name(e, c);
        j_kc(j, "c_name", c);
        j_kstr(j, "doc", e->doc);
        j_close(j, '}');
    }
    j_close(j, ']');
}

static void json_constgroups(const struct model *m, struct json *j)
{
    size_t i;

    j_key(j, "constgroups");
    j_open(j, '[');
    for (i = 0; i < m->nconstgroups; i++) {
        j_next(j);
        j_open(j, '{');
        j_kstr(j, "prefix", m->constgroups[i].prefix);
        j_kstr(j, "doc", m->constgroups[i].doc);
        j_close(j, '}');
    }
    j_close(j, ']');
}

static void json_field(const struct model *m, const struct field *fd,
                       struct json *j, struct sbuf *c)
{
    j_next(j);
    j_open(j, '{');
    j_kstr(j, "name", fd->name);
    j_kstr(j, "type", model_type_name(m, fd->type));
    j_kstr(j, "type_kind", model_kind_name(fd->type.kind));
    j_key(j, "array_len");
    if (fd->array_len > 0)
        sb_printf(j->b, "%lld", fd->array_len);
    else
        sb_puts(j->b, "null");
    model_c_field_type(m, fd, c);
    j_kc(j, "c_type", c);
    j_kstr(j, "doc", fd->doc);
    j_close(j, '}');
}

static void json_records(const struct model *m, struct json *j,
                         struct sbuf *c)
{
    size_t i, k;

    j_key(j, "records");
    j_open(j, '[');
    for (i = 0; i < m->nrecords; i++) {
        const struct record *r = &m->records[i];

        j_next(j);
        j_open(j, '{');
        j_kstr(j, "name", r->name);
        model_c_record_name(r, c);
        j_kc(j, "c_name", c);
        j_kstr(j, "doc", r->doc);
        j_key(j, "fields");
        j_open(j, '[');
        for (k = 0; k < r->nfields; k++)
            json_field(m, &r->fields[k], j, c);
        j_close(j, ']');
        j_close(j, '}');
    }
    j_close(j, ']');
}

static void json_handles(const struct model *m, struct json *j)
{
    size_t i, k;

    j_key(j, "handles");
    j_open(j, '[');
    for (i = 0; i < m->nhandles; i++) {
        j_next(j);
        j_open(j, '{');
        j_kstr(j, "name", m->handles[i].name);
        j_kstr(j, "c_type", "polysock_handle");
        j_kstr(j, "doc", m->handles[i].doc);
        /* Methods by name with the fn behind each, in declaration order. */
        j_key(j, "methods");
        j_open(j, '[');
        for (k = 0; k < m->nfns; k++) {
            if (m->fns[k].method_of != (int)i)
                continue;
            j_next(j);
            j_open(j, '{');
            j_kstr(j, "name", m->fns[k].method_name);
            j_kstr(j, "fn", m->fns[k].name);
            j_close(j, '}');
        }
        j_close(j, ']');
        j_close(j, '}');
    }
    j_close(j, ']');
}

static void json_default(const char *key, const struct default_value *d,
                         struct json *j)
{
    static const char *const kinds[] = {
        [DEF_NONE] = NULL, [DEF_INT] = "int", [DEF_DOUBLE] = "double",
        [DEF_CONST] = "constant",
    };

    j_key(j, key);
    if (d->kind == DEF_NONE) {
        sb_puts(j->b, "null");
        return;
    }
    j_open(j, '{');
    j_kstr(j, "kind", kinds[d->kind]);
    j_key(j, "value");
    if (d->kind == DEF_INT)
        sb_printf(j->b, "%lld", d->i);
    else if (d->kind == DEF_DOUBLE)
        j_double(j, d->d);
    else
        j_string(j, d->text);
    j_kstr(j, "text", d->text);
    j_close(j, '}');
}

static void json_param(const struct model *m, const struct fn *f,
                       const struct param *p, struct json *j, struct sbuf *c)
{
    j_next(j);
    j_open(j, '{');
    j_kstr(j, "name", p->name);
    j_kstr(j, "direction", p->dir == DIR_OUT ? "out" : "in");
    j_kstr(j, "type", model_type_name(m, p->type));
    j_kstr(j, "type_kind", model_kind_name(p->type.kind));
    j_kbool(j, "optional", p->optional);
    json_default("default", &p->def, j);
    j_kstr(j, "length_param",
           p->len_param >= 0 ? f->params[p->len_param].name : NULL);
    j_kstr(j, "length_of", p->len_of >= 0 ? f->params[p->len_of].name : NULL);
    j_kstr(j, "fills", p->fills >= 0 ? f->params[p->fills].name : NULL);
    j_kstr(j, "partial", p->partial >= 0 ? f->params[p->partial].name : NULL);
    json_default("null", &p->null_value, j);
    model_c_param_type(m, p, c);
    j_kc(j, "c_type", c);
    j_kstr(j, "doc", p->doc);
    j_close(j, '}');
}

static void json_fn(const struct model *m, const struct fn *f,
                    struct json *j, struct sbuf *c)
{
    size_t k;

    j_next(j);
    j_open(j, '{');
    j_kstr(j, "name", f->name);
    model_c_fn_name(f, c);
    j_kc(j, "c_name", c);
    j_kstr(j, "doc", f->doc);
    j_key(j, "returns");
    j_open(j, '{');
    j_kstr(j, "kind", f->returns_status ? "status" : model_kind_name(f->ret));
    model_c_return_type(f, c);
    j_kc(j, "c_type", c);
    j_close(j, '}');
    j_kbool(j, "blocking", f->blocking);
    j_kstr(j, "method_of",
           f->method_of >= 0 ? m->handles[f->method_of].name : NULL);
    j_kstr(j, "method_name", f->method_name);
    j_key(j, "params");
    j_open(j, '[');
    for (k = 0; k < f->nparams; k++)
        json_param(m, f, &f->params[k], j, c);
    j_close(j, ']');
    model_c_prototype(m, f, c);
    j_kc(j, "c_prototype", c);
    j_close(j, '}');
}

static void json_model(const struct model *m, struct json *j)
{
    char fp[FINGERPRINT_HEX_LEN + 1];
    struct sbuf c;
    size_t i;

    sb_init(&c);
    fingerprint_hex(m, fp);
    j_open(j, '{');
    j_kstr(j, "generator", "polysock-gen");
    j_kint(j, "format_version", JSON_FORMAT_VERSION);
    j_kstr(j, "source", path_basename(m->path));
    j_key(j, "library");
    j_open(j, '{');
    j_kstr(j, "name", m->name);
    j_kstr(j, "version", m->version);
    j_kstr(j, "doc", m->doc);
    j_close(j, '}');
    j_kstr(j, "fingerprint", fp);
    json_errclasses(m, j, &c);
    json_errors(m, j, &c);
    json_constgroups(m, j);
    json_records(m, j, &c);
    json_handles(m, j);
    j_key(j, "functions");
    j_open(j, '[');
    for (i = 0; i < m->nfns; i++)
        json_fn(m, &m->fns[i], j, &c);
    j_close(j, ']');
    j_close(j, '}');
    sb_putc(j->b, '\n');
    sb_free(&c);
}

static int generate(const struct model *m, struct emitter *out)
{
    struct json j = {NULL, 0, {0}};

    j.b = emit_begin(out, JSON_FILE);
    json_model(m, &j);
    return emit_end(out);
}

const struct backend backend_json = {
    "json",
    "docs/api/polysock.json: the whole model, for backends written in "
    "other languages",
    generate,
};
