/*
 * parser.c - recursive descent over the token array, building the model and
 * checking it as it goes.  Declarations must come before their use (types
 * before the fns that use them, errclasses before errors), which keeps the
 * parser one pass and the IDL readable top to bottom.
 */
#include "parser.h"
#include "lexer.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *path;
    const struct token *toks;
    size_t pos;
    struct model *m;
    /* Per fn, per parameter: the tokens naming other parameters (its
     * [LEN], the buffer after "fills" or "partial"), resolved once every
     * parameter is known; kept here because the model has no use for
     * tokens. */
    struct param_refs *refs;
    size_t nrefs;
};

struct param_refs {
    const struct token *len;     /* NAME[LEN] */
    const struct token *fills;   /* fills BUF */
    const struct token *partial; /* partial BUF */
};

/* ---- Token access and diagnostics ----------------------------------- */

static const struct token *cur(const struct parser *p)
{
    return &p->toks[p->pos];
}

static const struct token *advance(struct parser *p)
{
    const struct token *t = cur(p);

    if (t->kind != TOK_EOF)
        p->pos++;
    return t;
}

static int error_at(const struct parser *p, const struct token *t,
                    const char *fmt, ...) GEN_PRINTF(3, 4);

static int error_at(const struct parser *p, const struct token *t,
                    const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdiag(p->path, t->line, t->col, fmt, ap);
    va_end(ap);
    return -1;
}

/* "expected WHAT, got TOKEN" at the current token. */
static int expected(const struct parser *p, const char *what)
{
    const struct token *t = cur(p);
    char d[64];

    if (t->kind == TOK_EOF)
        return error_at(p, t, "unexpected end of file: expected %s", what);
    return error_at(p, t, "expected %s, got %s", what,
                    token_describe(t, d, sizeof d));
}

static int expect_punct(struct parser *p, const char *punct, const char *what)
{
    if (!tok_is(cur(p), punct))
        return expected(p, what);
    advance(p);
    return 0;
}

/* Consume an identifier; *name gets a copy, *tok (if not NULL) the token. */
static int expect_ident(struct parser *p, const char *what, char **name,
                        const struct token **tok)
{
    const struct token *t = cur(p);

    /* Outputs are set on failure too, so no caller reads garbage. */
    *name = NULL;
    if (tok != NULL)
        *tok = t;
    if (t->kind != TOK_IDENT)
        return expected(p, what);
    advance(p);
    *name = xstrndup(t->start, t->len);
    return 0;
}

/* ---- Names ------------------------------------------------------------ */

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "float", "for", "goto", "if",
    "inline", "int", "long", "register", "restrict", "return", "short",
    "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
    "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local", NULL,
};

/* The builtin type names, in the IDL's spelling. */
static const struct {
    const char *name;
    enum type_kind kind;
} builtin_types[] = {
    {"void", TY_VOID}, {"int", TY_INT}, {"i32", TY_I32}, {"i64", TY_I64},
    {"u16", TY_U16}, {"u32", TY_U32}, {"u64", TY_U64}, {"size", TY_SIZE},
    {"double", TY_DOUBLE}, {"string", TY_STRING}, {"bytes", TY_BYTES},
    {"char", TY_CHAR},
};

#define NBUILTINS (sizeof builtin_types / sizeof builtin_types[0])

static int builtin_kind(const char *name)
{
    size_t i;

    for (i = 0; i < NBUILTINS; i++)
        if (strcmp(builtin_types[i].name, name) == 0)
            return (int)builtin_types[i].kind;
    return -1;
}

/* Names are spelled in generated C (prototypes, docs), so a C keyword
 * would make the generated text invalid. */
static int check_not_c_keyword(const struct parser *p, const struct token *t,
                               const char *name, const char *what)
{
    size_t i;

    for (i = 0; c_keywords[i] != NULL; i++)
        if (strcmp(c_keywords[i], name) == 0)
            return error_at(p, t, "'%s' is a C keyword and cannot name %s",
                            name, what);
    return 0;
}

/* A new type name (record or handle) must not shadow a builtin type or a
 * parameter keyword (it would make "out optional T name" ambiguous), nor
 * another type. */
static int check_type_name(const struct parser *p, const struct token *t,
                           const char *name, const char *what)
{
    int r = model_find_record(p->m, name), h = model_find_handle(p->m, name);

    if (builtin_kind(name) >= 0 || strcmp(name, "in") == 0 ||
        strcmp(name, "out") == 0 || strcmp(name, "optional") == 0)
        return error_at(p, t, "'%s' is a built-in type or keyword and cannot "
                        "name %s", name, what);
    if (r >= 0)
        return error_at(p, t, "duplicate type name '%s': already a record "
                        "at %d:%d", name, p->m->records[r].loc.line,
                        p->m->records[r].loc.col);
    if (h >= 0)
        return error_at(p, t, "duplicate type name '%s': already a handle "
                        "at %d:%d", name, p->m->handles[h].loc.line,
                        p->m->handles[h].loc.col);
    return check_not_c_keyword(p, t, name, what);
}

/* fns and records share the C namespace polysock_NAME, and polysock_handle
 * is taken by the header's handle typedef. */
static int check_c_name_free(const struct parser *p, const struct token *t,
                             const char *name)
{
    int r = model_find_record(p->m, name), f = model_find_fn(p->m, name);

    if (strcmp(name, "handle") == 0)
        return error_at(p, t, "'handle' cannot name a fn or record: "
                        "polysock_handle is the handle type");
    if (r >= 0)
        return error_at(p, t, "'%s' would be named polysock_%s like the "
                        "record at %d:%d", name, name,
                        p->m->records[r].loc.line, p->m->records[r].loc.col);
    if (f >= 0)
        return error_at(p, t, "duplicate fn '%s' (first declared at %d:%d)",
                        name, p->m->fns[f].loc.line, p->m->fns[f].loc.col);
    return 0;
}

static struct location loc_of(const struct token *t)
{
    struct location l = {t->line, t->col};

    return l;
}

/* ---- Doc comments ------------------------------------------------------ */

/* Collect consecutive "///" lines into one string (lines joined by '\n');
 * NULL when there are none.  *first gets the first doc token. */
static char *take_doc(struct parser *p, const struct token **first)
{
    struct sbuf b;

    *first = cur(p);
    if (cur(p)->kind != TOK_DOC)
        return NULL;
    sb_init(&b);
    sb_puts(&b, "");
    while (cur(p)->kind == TOK_DOC) {
        if (b.len > 0)
            sb_putc(&b, '\n');
        sb_putn(&b, cur(p)->start, cur(p)->len);
        advance(p);
    }
    return sb_take(&b);
}

static int require_doc(const struct parser *p, const struct token *kw,
                       const char *doc, const char *what, const char *name)
{
    const char *s = doc;

    /* A doc of blank "///" lines says nothing: treat it as missing. */
    while (s != NULL && (*s == '\n' || *s == ' '))
        s++;
    if (s == NULL || *s == '\0')
        return error_at(p, kw, "missing doc comment for %s '%s'", what, name);
    return 0;
}

/* ---- library, errclass, error, constgroup, handle ----------------------- */

static int check_version(const struct parser *p, const struct token *t,
                         const char *v)
{
    int parts = 0;

    /* MAJOR.MINOR.PATCH exactly: the C check compares each part with the
     * header's POLYSOCK_VERSION_* macros. */
    while (parts < 3) {
        if (*v < '0' || *v > '9')
            break;
        while (*v >= '0' && *v <= '9')
            v++;
        parts++;
        if (parts < 3 && *v++ != '.')
            break;
    }
    if (parts != 3 || *v != '\0')
        return error_at(p, t, "library version must be MAJOR.MINOR.PATCH, "
                        "got \"%.*s\"", (int)t->len, t->start);
    return 0;
}

static int parse_library(struct parser *p, const struct token *kw, char **doc)
{
    const struct token *v;
    char *name;

    if (expect_ident(p, "a library name after 'library'", &name, NULL))
        return -1;
    p->m->name = name;
    if (require_doc(p, kw, *doc, "library", name))
        return -1;
    p->m->doc = *doc;
    *doc = NULL;
    v = cur(p);
    if (v->kind != TOK_STRING)
        return expected(p, "a version string after the library name, "
                        "e.g. \"1.0.0\"");
    advance(p);
    p->m->version = token_string_value(v);
    if (check_version(p, v, p->m->version))
        return -1;
    return expect_punct(p, ";", "';' after library declaration");
}

static int parse_int(struct parser *p, const char *what, long long *v,
                     const struct token **tok)
{
    *tok = cur(p);
    *v = 0;
    if (cur(p)->kind != TOK_INT)
        return expected(p, what);
    *tok = advance(p);
    *v = (*tok)->ival;
    return 0;
}

static int parse_errclass(struct parser *p, const struct token *kw, char **doc)
{
    const struct token *name_tok, *val_tok;
    struct errclass *c;
    long long value;
    char *name;
    size_t i;

    if (expect_ident(p, "an errclass name after 'errclass'", &name, &name_tok))
        return -1;
    p->m->errclasses = xpush(p->m->errclasses, &p->m->nerrclasses,
                             sizeof *c);
    c = &p->m->errclasses[p->m->nerrclasses - 1];
    c->name = name;
    c->loc = loc_of(kw);
    if (require_doc(p, kw, *doc, "errclass", name))
        return -1;
    c->doc = *doc;
    *doc = NULL;
    for (i = 0; i + 1 < p->m->nerrclasses; i++)
        if (strcmp(p->m->errclasses[i].name, name) == 0)
            return error_at(p, name_tok, "duplicate errclass '%s' (first "
                            "declared at %d:%d)", name,
                            p->m->errclasses[i].loc.line,
                            p->m->errclasses[i].loc.col);
    if (expect_punct(p, "=", "'=' after errclass name") ||
        parse_int(p, "an integer value for the errclass", &value, &val_tok))
        return -1;
    if (value < 0 || value > INT32_MAX)
        return error_at(p, val_tok, "errclass value must be between 0 and "
                        "%d, got %lld", INT32_MAX, value);
    for (i = 0; i + 1 < p->m->nerrclasses; i++)
        if (p->m->errclasses[i].value == value)
            return error_at(p, val_tok, "duplicate errclass value %lld: "
                            "already used by '%s'", value,
                            p->m->errclasses[i].name);
    c->value = value;
    return expect_punct(p, ";", "';' after errclass declaration");
}

static int check_error_unique(const struct parser *p, const struct token *t,
                              const struct error *e, size_t n, bool by_value)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const struct error *o = &p->m->errors[i];

        if (!by_value && strcmp(o->name, e->name) == 0)
            return error_at(p, t, "duplicate error '%s' (first declared at "
                            "%d:%d)", e->name, o->loc.line, o->loc.col);
        if (by_value && o->value == e->value)
            return error_at(p, t, "duplicate error code value %lld: already "
                            "used by '%s'", e->value, o->name);
    }
    return 0;
}

static int parse_error(struct parser *p, const struct token *kw, char **doc)
{
    const struct token *name_tok, *val_tok, *class_tok;
    struct error *e;
    char *name, *cls;
    size_t n = p->m->nerrors;

    if (expect_ident(p, "an error name after 'error'", &name, &name_tok))
        return -1;
    p->m->errors = xpush(p->m->errors, &p->m->nerrors, sizeof *e);
    e = &p->m->errors[n];
    e->name = name;
    e->loc = loc_of(kw);
    if (require_doc(p, kw, *doc, "error", name))
        return -1;
    e->doc = *doc;
    *doc = NULL;
    if (check_error_unique(p, name_tok, e, n, false) ||
        expect_punct(p, "=", "'=' after error name") ||
        parse_int(p, "a negative error code after '='", &e->value, &val_tok))
        return -1;
    if (e->value >= 0 || e->value < INT32_MIN)
        return error_at(p, val_tok, "error code must be a negative int, got "
                        "%lld", e->value);
    if (check_error_unique(p, val_tok, e, n, true) ||
        expect_ident(p, "an errclass name after the error code", &cls,
                     &class_tok))
        return -1;
    e->errclass = model_find_errclass(p->m, cls);
    free(cls);
    if (e->errclass < 0)
        return error_at(p, class_tok, "unknown errclass '%.*s'",
                        (int)class_tok->len, class_tok->start);
    return expect_punct(p, ";", "';' after error declaration");
}

static int parse_constgroup(struct parser *p, const struct token *kw,
                            char **doc)
{
    const struct token *name_tok;
    struct constgroup *g;
    char *prefix;
    size_t i;

    if (expect_ident(p, "a constant name prefix after 'constgroup'", &prefix,
                     &name_tok))
        return -1;
    p->m->constgroups = xpush(p->m->constgroups, &p->m->nconstgroups,
                              sizeof *g);
    g = &p->m->constgroups[p->m->nconstgroups - 1];
    g->prefix = prefix;
    g->loc = loc_of(kw);
    if (require_doc(p, kw, *doc, "constgroup", prefix))
        return -1;
    g->doc = *doc;
    *doc = NULL;
    for (i = 0; i + 1 < p->m->nconstgroups; i++)
        if (strcmp(p->m->constgroups[i].prefix, prefix) == 0)
            return error_at(p, name_tok, "duplicate constgroup '%s' (first "
                            "declared at %d:%d)", prefix,
                            p->m->constgroups[i].loc.line,
                            p->m->constgroups[i].loc.col);
    return expect_punct(p, ";", "';' after constgroup declaration");
}

static int parse_handle(struct parser *p, const struct token *kw, char **doc)
{
    const struct token *name_tok;
    struct handle *h;
    char *name;

    if (expect_ident(p, "a handle name after 'handle'", &name, &name_tok))
        return -1;
    if (check_type_name(p, name_tok, name, "a handle")) {
        free(name);
        return -1;
    }
    p->m->handles = xpush(p->m->handles, &p->m->nhandles, sizeof *h);
    h = &p->m->handles[p->m->nhandles - 1];
    h->name = name;
    h->loc = loc_of(kw);
    if (require_doc(p, kw, *doc, "handle", name))
        return -1;
    h->doc = *doc;
    *doc = NULL;
    return expect_punct(p, ";", "';' after handle declaration");
}

/* ---- Types ------------------------------------------------------------- */

/* Resolve an identifier token to a type; "unknown type" if it is none. */
static int resolve_type(const struct parser *p, const struct token *t,
                        struct type_ref *out)
{
    char *name = xstrndup(t->start, t->len);
    int k = builtin_kind(name);

    out->index = -1;
    if (k >= 0) {
        out->kind = (enum type_kind)k;
    } else if ((out->index = model_find_record(p->m, name)) >= 0) {
        out->kind = TY_RECORD;
    } else if ((out->index = model_find_handle(p->m, name)) >= 0) {
        out->kind = TY_HANDLE;
    } else {
        error_at(p, t, "unknown type '%s'", name);
        free(name);
        return -1;
    }
    free(name);
    return 0;
}

/* ---- Records -------------------------------------------------------------- */

static int check_field(const struct parser *p, const struct record *r,
                       const struct field *fd, const struct token *type_tok,
                       const struct token *name_tok)
{
    enum type_kind k = fd->type.kind;
    size_t i;

    for (i = 0; i + 1 < r->nfields; i++)
        if (strcmp(r->fields[i].name, fd->name) == 0)
            return error_at(p, name_tok, "duplicate field '%s' in record "
                            "'%s' (first declared at %d:%d)", fd->name,
                            r->name, r->fields[i].loc.line,
                            r->fields[i].loc.col);
    if (k == TY_STRING || k == TY_BYTES)
        return error_at(p, type_tok, "type '%s' is not allowed in a record "
                        "field: use char %s[N]", model_kind_name(k),
                        fd->name);
    if (k == TY_RECORD)
        return error_at(p, type_tok, "a record field cannot be a record: "
                        "records are flat");
    if (k == TY_VOID)
        return error_at(p, type_tok, "'void' is not a field type");
    if (k == TY_CHAR && fd->array_len == 0)
        return error_at(p, name_tok, "char field '%s' must be an array: "
                        "char %s[N]", fd->name, fd->name);
    if (k != TY_CHAR && fd->array_len > 0)
        return error_at(p, name_tok, "only char fields can be arrays");
    return 0;
}

static int parse_array_len(struct parser *p, long long *len)
{
    const struct token *t;

    if (!tok_is(cur(p), "["))
        return 0;
    advance(p);
    if (parse_int(p, "an array length inside [ ]", len, &t))
        return -1;
    if (*len <= 0 || *len > 1 << 20)
        return error_at(p, t, "array length must be between 1 and %d, got "
                        "%lld", 1 << 20, *len);
    return expect_punct(p, "]", "']' after array length");
}

static int parse_field(struct parser *p, struct record *r)
{
    const struct token *doc_tok, *type_tok, *name_tok = NULL;
    char *doc = take_doc(p, &doc_tok);
    char qualified[256];
    struct field *fd;

    type_tok = cur(p);
    if (type_tok->kind != TOK_IDENT) {
        bool stray = doc != NULL && tok_is(type_tok, "}");

        free(doc);
        if (stray)
            return error_at(p, doc_tok, "doc comment is not followed by a "
                            "field");
        return expected(p, "a field type or '}'");
    }
    advance(p);
    r->fields = xpush(r->fields, &r->nfields, sizeof *fd);
    fd = &r->fields[r->nfields - 1];
    fd->doc = doc;
    fd->loc = loc_of(type_tok);
    if (resolve_type(p, type_tok, &fd->type) ||
        expect_ident(p, "a field name", &fd->name, &name_tok) ||
        check_not_c_keyword(p, name_tok, fd->name, "a field") ||
        parse_array_len(p, &fd->array_len) ||
        check_field(p, r, fd, type_tok, name_tok))
        return -1;
    snprintf(qualified, sizeof qualified, "%s.%s", r->name, fd->name);
    if (require_doc(p, type_tok, doc, "field", qualified))
        return -1;
    return expect_punct(p, ";", "';' after record field");
}

static int parse_record(struct parser *p, const struct token *kw, char **doc)
{
    const struct token *name_tok;
    struct record *r;
    char *name;

    if (expect_ident(p, "a record name after 'record'", &name, &name_tok))
        return -1;
    if (check_type_name(p, name_tok, name, "a record") ||
        check_c_name_free(p, name_tok, name)) {
        free(name);
        return -1;
    }
    p->m->records = xpush(p->m->records, &p->m->nrecords, sizeof *r);
    r = &p->m->records[p->m->nrecords - 1];
    r->name = name;
    r->loc = loc_of(kw);
    if (require_doc(p, kw, *doc, "record", name))
        return -1;
    r->doc = *doc;
    *doc = NULL;
    if (expect_punct(p, "{", "'{' after record name"))
        return -1;
    while (!tok_is(cur(p), "}")) {
        if (parse_field(p, r))
            return -1;
    }
    advance(p);
    if (r->nfields == 0)
        return error_at(p, name_tok, "record '%s' has no fields", name);
    return 0;
}

/* ---- Functions ------------------------------------------------------------ */

/* Is an integer default representable in the parameter's C type? */
static bool int_fits(enum type_kind k, long long v)
{
    switch (k) {
    case TY_INT:
    case TY_I32:
        return v >= INT32_MIN && v <= INT32_MAX;
    case TY_U16:
        return v >= 0 && v <= UINT16_MAX;
    case TY_U32:
        return v >= 0 && v <= (long long)UINT32_MAX;
    case TY_U64:
    case TY_SIZE:
        return v >= 0;
    default:
        return true;
    }
}

static bool constant_in_group(const struct model *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->nconstgroups; i++) {
        const char *prefix = m->constgroups[i].prefix;

        if (strncmp(name, prefix, strlen(prefix)) == 0)
            return true;
    }
    return false;
}

static int check_default(const struct parser *p, const struct param *pa,
                         const struct token *t)
{
    enum type_kind k = pa->type.kind;

    if (pa->dir == DIR_OUT)
        return error_at(p, t, "default value on out parameter '%s'",
                        pa->name);
    if (!model_kind_is_number(k))
        return error_at(p, t, "default value on %s parameter '%s': only "
                        "number parameters take defaults",
                        model_type_name(p->m, pa->type), pa->name);
    if (pa->def.kind == DEF_DOUBLE && k != TY_DOUBLE)
        return error_at(p, t, "default %s of %s parameter '%s' is not an "
                        "integer", pa->def.text, model_kind_name(k), pa->name);
    if (pa->def.kind == DEF_INT && !int_fits(k, pa->def.i))
        return error_at(p, t, "default %s is out of range for %s parameter "
                        "'%s'", pa->def.text, model_kind_name(k), pa->name);
    if (pa->def.kind == DEF_CONST && k == TY_DOUBLE)
        return error_at(p, t, "constant default %s on double parameter '%s': "
                        "constants are integers", pa->def.text, pa->name);
    if (pa->def.kind == DEF_CONST && !constant_in_group(p->m, pa->def.text))
        return error_at(p, t, "unknown constant '%s': no constgroup prefix "
                        "matches it", pa->def.text);
    return 0;
}

static int parse_default(struct parser *p, struct param *pa)
{
    const struct token *t;

    if (!tok_is(cur(p), "="))
        return 0;
    advance(p);
    t = cur(p);
    if (t->kind == TOK_INT) {
        pa->def.kind = DEF_INT;
        pa->def.i = t->ival;
    } else if (t->kind == TOK_DOUBLE) {
        pa->def.kind = DEF_DOUBLE;
        pa->def.d = t->dval;
    } else if (t->kind == TOK_IDENT) {
        pa->def.kind = DEF_CONST;
    } else {
        return expected(p, "a default value (an integer, a double or a "
                        "constant name) after '='");
    }
    advance(p);
    pa->def.text = xstrndup(t->start, t->len);
    return check_default(p, pa, t);
}

/* Rules on one parameter that need only the parameter itself. */
static int check_param(const struct parser *p, const struct param *pa,
                       size_t index, const struct token *type_tok,
                       const struct token *name_tok,
                       const struct token *len_tok)
{
    enum type_kind k = pa->type.kind;

    if (k == TY_VOID)
        return error_at(p, type_tok, "'void' is not a parameter type");
    if (k == TY_CHAR)
        return error_at(p, type_tok, "type 'char' is only allowed in record "
                        "array fields");
    if (pa->optional && !(k == TY_STRING && pa->dir == DIR_IN))
        return error_at(p, type_tok, "'optional' is only allowed on an in "
                        "string parameter");
    if (len_tok != NULL && k != TY_BYTES && k != TY_STRING && k != TY_RECORD)
        return error_at(p, len_tok, "%s parameter '%s' cannot have a length "
                        "parameter: only bytes, string and record parameters "
                        "are buffers", model_type_name(p->m, pa->type),
                        pa->name);
    if (len_tok != NULL && k == TY_STRING && pa->dir == DIR_IN)
        return error_at(p, len_tok, "in string parameter '%s' cannot have a "
                        "length parameter: in strings are NUL-terminated",
                        pa->name);
    if (len_tok == NULL && k == TY_BYTES)
        return error_at(p, name_tok, "bytes parameter '%s' needs a length "
                        "parameter: bytes %s[LEN]", pa->name, pa->name);
    if (len_tok == NULL && k == TY_STRING && pa->dir == DIR_OUT)
        return error_at(p, name_tok, "out string parameter '%s' needs a "
                        "capacity parameter: out string %s[CAP]", pa->name,
                        pa->name);
    if (strcmp(pa->name, "self") != 0)
        return 0;
    if (index != 0)
        return error_at(p, name_tok, "'self' must be the first parameter");
    if (k != TY_HANDLE)
        return error_at(p, type_tok, "'self' must be of a handle type, got "
                        "'%s'", model_type_name(p->m, pa->type));
    if (pa->dir != DIR_IN)
        return error_at(p, name_tok, "'self' must be an in parameter");
    return 0;
}

/* "null VALUE": a negative number the host language's null stands for. */
static int parse_null(struct parser *p, struct param *pa,
                      const struct token *kw)
{
    enum type_kind k = pa->type.kind;
    const struct token *t = cur(p);

    if (pa->null_value.kind != DEF_NONE)
        return error_at(p, kw, "duplicate 'null' on parameter '%s'",
                        pa->name);
    if (k != TY_DOUBLE && k != TY_INT && k != TY_I32 && k != TY_I64)
        return error_at(p, kw, "'null' on %s parameter '%s': only double "
                        "and signed integer parameters take it",
                        model_type_name(p->m, pa->type), pa->name);
    if (t->kind == TOK_INT) {
        pa->null_value.kind = DEF_INT;
        pa->null_value.i = t->ival;
        pa->null_value.d = (double)t->ival;
    } else if (t->kind == TOK_DOUBLE && k == TY_DOUBLE) {
        pa->null_value.kind = DEF_DOUBLE;
        pa->null_value.d = t->dval;
    } else {
        return expected(p, k == TY_DOUBLE ? "a number after 'null'"
                                          : "an integer after 'null'");
    }
    advance(p);
    pa->null_value.text = xstrndup(t->start, t->len);
    /* Negative, so that every value the parameter really takes is >= 0 and
     * a binding can refuse explicit negatives before the call. */
    if (pa->null_value.d >= 0)
        return error_at(p, t, "null value %s of parameter '%s' must be "
                        "negative", pa->null_value.text, pa->name);
    if (pa->null_value.kind == DEF_INT && !int_fits(k, pa->null_value.i))
        return error_at(p, t, "null value %s is out of range for %s "
                        "parameter '%s'", pa->null_value.text,
                        model_kind_name(k), pa->name);
    return 0;
}

/* "fills BUF" / "partial BUF": remember the buffer's name for later. */
static int parse_buffer_ref(struct parser *p, const struct param *pa,
                            const struct token *kw,
                            const struct token **ref)
{
    if (*ref != NULL)
        return error_at(p, kw, "duplicate '%.*s' on parameter '%s'",
                        (int)kw->len, kw->start, pa->name);
    if (pa->dir != DIR_OUT || pa->type.kind != TY_SIZE)
        return error_at(p, kw, "'%.*s' is only allowed on an out size "
                        "parameter", (int)kw->len, kw->start);
    if (cur(p)->kind != TOK_IDENT)
        return expected(p, "a buffer parameter name");
    *ref = advance(p);
    return 0;
}

/* The annotations after a parameter, in any order: "fills BUF",
 * "partial BUF", "null VALUE". */
static int parse_annotations(struct parser *p, struct param *pa,
                             size_t index)
{
    struct param_refs *r = &p->refs[index];

    for (;;) {
        const struct token *kw = cur(p);
        int rc;

        if (tok_is(kw, "fills")) {
            advance(p);
            rc = parse_buffer_ref(p, pa, kw, &r->fills);
        } else if (tok_is(kw, "partial")) {
            advance(p);
            rc = parse_buffer_ref(p, pa, kw, &r->partial);
        } else if (tok_is(kw, "null")) {
            advance(p);
            rc = parse_null(p, pa, kw);
        } else {
            return 0;
        }
        if (rc != 0)
            return rc;
        if (r->fills != NULL && r->partial != NULL)
            return error_at(p, kw, "parameter '%s' cannot both fill and "
                            "report progress", pa->name);
    }
}

/* The direction and 'optional' keywords, in this order, both optional. */
static void parse_param_flags(struct parser *p, struct param *pa)
{
    pa->dir = DIR_IN;
    if (tok_is(cur(p), "in") || tok_is(cur(p), "out")) {
        pa->dir = tok_is(cur(p), "out") ? DIR_OUT : DIR_IN;
        advance(p);
    }
    if (tok_is(cur(p), "optional")) {
        pa->optional = true;
        advance(p);
    }
}

static int parse_param(struct parser *p, struct fn *f)
{
    const struct token *doc_tok, *type_tok, *name_tok = NULL, *len_tok = NULL;
    char *doc = take_doc(p, &doc_tok);
    struct param *pa;
    size_t index = f->nparams;
    int dup;

    f->params = xpush(f->params, &f->nparams, sizeof *pa);
    pa = &f->params[index];
    pa->doc = doc;
    pa->len_param = -1;
    pa->len_of = -1;
    pa->fills = -1;
    pa->partial = -1;
    pa->filled_by = -1;
    pa->loc = loc_of(cur(p));
    p->refs = xpush(p->refs, &p->nrefs, sizeof *p->refs);
    memset(&p->refs[index], 0, sizeof p->refs[index]);
    parse_param_flags(p, pa);
    type_tok = cur(p);
    if (type_tok->kind != TOK_IDENT)
        return expected(p, "a parameter type");
    advance(p);
    if (resolve_type(p, type_tok, &pa->type) ||
        expect_ident(p, "a parameter name", &pa->name, &name_tok) ||
        check_not_c_keyword(p, name_tok, pa->name, "a parameter"))
        return -1;
    dup = model_find_param(f, pa->name);
    if (dup >= 0 && (size_t)dup < index)
        return error_at(p, name_tok, "duplicate parameter '%s' in fn '%s'",
                        pa->name, f->name);
    if (tok_is(cur(p), "[")) {
        advance(p);
        len_tok = cur(p);
        if (len_tok->kind != TOK_IDENT)
            return expected(p, "the name of a size parameter inside [ ]");
        advance(p);
        if (expect_punct(p, "]", "']' after the length parameter name"))
            return -1;
    }
    p->refs[index].len = len_tok;
    if (check_param(p, pa, index, type_tok, name_tok, len_tok) ||
        parse_default(p, pa))
        return -1;
    return parse_annotations(p, pa, index);
}

/* Resolve each buffer's [LEN] now that every parameter is known (the length
 * usually comes right after its buffer). */
static int link_buffers(const struct parser *p, struct fn *f)
{
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        const struct token *t = p->refs[i].len;
        struct param *buf = &f->params[i], *len;
        char *name;
        int j;

        if (t == NULL)
            continue;
        name = xstrndup(t->start, t->len);
        j = model_find_param(f, name);
        free(name);
        if (j < 0)
            return error_at(p, t, "length parameter '%.*s' of '%s' is not a "
                            "parameter of fn '%s'", (int)t->len, t->start,
                            buf->name, f->name);
        len = &f->params[j];
        if ((size_t)j == i)
            return error_at(p, t, "parameter '%s' cannot be its own length",
                            buf->name);
        if (len->type.kind != TY_SIZE)
            return error_at(p, t, "length parameter '%s' of '%s' must be of "
                            "type size, got '%s'", len->name, buf->name,
                            model_type_name(p->m, len->type));
        if (len->dir != DIR_IN)
            return error_at(p, t, "length parameter '%s' of '%s' must be an "
                            "in parameter", len->name, buf->name);
        if (len->len_of >= 0)
            return error_at(p, t, "length parameter '%s' already measures "
                            "'%s'", len->name, f->params[len->len_of].name);
        /* The default of an out buffer's capacity is how much a binding
         * allocates when the caller does not say; an in buffer's length is
         * always the buffer's own. */
        if (len->def.kind != DEF_NONE && buf->dir == DIR_IN)
            return error_at(p, t, "length parameter '%s' of in buffer '%s' "
                            "cannot have a default", len->name, buf->name);
        if (len->def.kind != DEF_NONE &&
            (len->def.kind != DEF_INT || len->def.i <= 0))
            return error_at(p, t, "capacity '%s' of '%s' must default to a "
                            "positive integer", len->name, buf->name);
        buf->len_param = j;
        len->len_of = (int)i;
    }
    return 0;
}

/* Resolve "fills BUF" and "partial BUF" (BUF may come after the size). */
static int link_progress(const struct parser *p, struct fn *f)
{
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        const struct token *t = p->refs[i].fills ? p->refs[i].fills
                                                 : p->refs[i].partial;
        bool fills = p->refs[i].fills != NULL;
        struct param *size = &f->params[i], *buf;
        char *name;
        int j;

        if (t == NULL)
            continue;
        name = xstrndup(t->start, t->len);
        j = model_find_param(f, name);
        free(name);
        if (j < 0)
            return error_at(p, t, "'%.*s' is not a parameter of fn '%s'",
                            (int)t->len, t->start, f->name);
        buf = &f->params[j];
        if (fills && (buf->dir != DIR_OUT || buf->len_param < 0 ||
                      buf->type.kind == TY_STRING))
            return error_at(p, t, "'%s' fills '%s', which is not an out "
                            "bytes or record buffer", size->name, buf->name);
        if (!fills && (buf->dir != DIR_IN || buf->type.kind != TY_BYTES))
            return error_at(p, t, "'%s' reports the progress of '%s', which "
                            "is not an in bytes buffer", size->name,
                            buf->name);
        if (buf->filled_by >= 0)
            return error_at(p, t, "'%s' is already %s by '%s'", buf->name,
                            fills ? "filled" : "reported",
                            f->params[buf->filled_by].name);
        if (fills)
            size->fills = j;
        else
            size->partial = j;
        buf->filled_by = (int)i;
    }
    return 0;
}

static int parse_params(struct parser *p, struct fn *f)
{
    p->nrefs = 0;
    if (expect_punct(p, "(", "'(' after fn name"))
        return -1;
    if (tok_is(cur(p), ")")) {
        advance(p);
        return 0;
    }
    for (;;) {
        if (parse_param(p, f))
            return -1;
        if (tok_is(cur(p), ")"))
            break;
        if (expect_punct(p, ",", "',' or ')' after a parameter"))
            return -1;
    }
    advance(p);
    if (link_buffers(p, f))
        return -1;
    return link_progress(p, f);
}

static int parse_return(struct parser *p, struct fn *f)
{
    static const enum type_kind allowed[] = {TY_VOID, TY_INT, TY_I64,
                                             TY_SIZE, TY_STRING};
    const struct token *t;
    size_t i;

    f->returns_status = true;
    f->ret = TY_INT;
    if (cur(p)->kind != TOK_ARROW)
        return 0;
    advance(p);
    t = cur(p);
    if (t->kind != TOK_IDENT)
        return expected(p, "a return type after '->'");
    advance(p);
    for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (tok_is(t, model_kind_name(allowed[i]))) {
            f->returns_status = false;
            f->ret = allowed[i];
            return 0;
        }
    }
    return error_at(p, t, "unknown return type '%.*s': expected void, int, "
                    "i64, size or string", (int)t->len, t->start);
}

/* A fn whose first parameter is "self" is a method of self's handle type,
 * named without the "<handle>_" prefix: poller_wait -> poller.wait. */
static int make_method(const struct parser *p, struct fn *f,
                       const struct token *name_tok)
{
    const char *h, *rest = f->name;
    size_t i, hl;

    if (f->nparams == 0 || strcmp(f->params[0].name, "self") != 0)
        return 0;
    f->method_of = f->params[0].type.index;
    h = p->m->handles[f->method_of].name;
    hl = strlen(h);
    if (strncmp(f->name, h, hl) == 0 && f->name[hl] == '_' &&
        f->name[hl + 1] != '\0')
        rest = f->name + hl + 1;
    f->method_name = xstrdup(rest);
    for (i = 0; i + 1 < p->m->nfns; i++) {
        const struct fn *o = &p->m->fns[i];

        if (o->method_of == f->method_of &&
            strcmp(o->method_name, f->method_name) == 0)
            return error_at(p, name_tok, "fn '%s' would be method %s.%s, "
                            "which fn '%s' already is", f->name, h,
                            f->method_name, o->name);
    }
    return 0;
}

static int parse_fn(struct parser *p, const struct token *kw, char **doc)
{
    const struct token *name_tok;
    struct fn *f;
    char *name;

    if (expect_ident(p, "a fn name after 'fn'", &name, &name_tok))
        return -1;
    if (check_not_c_keyword(p, name_tok, name, "a fn") ||
        check_c_name_free(p, name_tok, name)) {
        free(name);
        return -1;
    }
    p->m->fns = xpush(p->m->fns, &p->m->nfns, sizeof *f);
    f = &p->m->fns[p->m->nfns - 1];
    f->name = name;
    f->method_of = -1;
    f->loc = loc_of(kw);
    if (require_doc(p, kw, *doc, "fn", name))
        return -1;
    f->doc = *doc;
    *doc = NULL;
    if (parse_params(p, f) || parse_return(p, f))
        return -1;
    if (tok_is(cur(p), "blocking")) {
        advance(p);
        f->blocking = true;
    }
    if (expect_punct(p, ";", "';' after fn declaration"))
        return -1;
    return make_method(p, f, name_tok);
}

/* ---- File ------------------------------------------------------------------ */

typedef int (*decl_parser)(struct parser *p, const struct token *kw,
                           char **doc);

static const struct {
    const char *keyword;
    decl_parser parse;
} decls[] = {
    {"library", parse_library},       {"errclass", parse_errclass},
    {"error", parse_error},           {"constgroup", parse_constgroup},
    {"record", parse_record},         {"handle", parse_handle},
    {"fn", parse_fn},
};

static decl_parser find_decl(const struct token *kw)
{
    size_t i;

    for (i = 0; i < sizeof decls / sizeof decls[0]; i++)
        if (tok_is(kw, decls[i].keyword))
            return decls[i].parse;
    return NULL;
}

/* One declaration with its doc comment.  Returns 1 at end of file. */
static int parse_decl(struct parser *p)
{
    const struct token *doc_tok, *kw;
    char *doc = take_doc(p, &doc_tok);
    decl_parser parse;
    int rc;

    kw = cur(p);
    parse = find_decl(kw);
    if (kw->kind == TOK_EOF && doc != NULL)
        rc = error_at(p, doc_tok, "doc comment at end of file documents "
                      "nothing");
    else if (kw->kind == TOK_EOF && p->m->name != NULL)
        rc = 1;
    else if (p->m->name == NULL && !tok_is(kw, "library"))
        rc = expected(p, "'library NAME \"VERSION\";' as the first "
                      "declaration");
    else if (p->m->name != NULL && tok_is(kw, "library"))
        rc = error_at(p, kw, "duplicate library declaration");
    else if (parse == NULL)
        rc = expected(p, "a declaration (library, errclass, error, "
                      "constgroup, record, handle or fn)");
    else
        rc = parse(p, advance(p), &doc);
    free(doc);
    return rc;
}

int parse_idl(const char *path, const char *src, size_t len, struct model *m)
{
    struct token_list tl;
    struct parser p;
    int rc;

    memset(m, 0, sizeof *m);
    m->path = xstrdup(path);
    if (lex(path, src, len, &tl) != 0) {
        model_free(m);
        return -1;
    }
    memset(&p, 0, sizeof p);
    p.path = path;
    p.toks = tl.v;
    p.m = m;
    while ((rc = parse_decl(&p)) == 0)
        ;
    free(p.refs);
    token_list_free(&tl);
    if (rc < 0) {
        model_free(m);
        return -1;
    }
    return 0;
}

int parse_idl_file(const char *path, struct model *m)
{
    FILE *fp = fopen(path, "rb");
    struct sbuf b;
    char chunk[8192];
    size_t n;
    int rc;

    if (fp == NULL) {
        fprintf(stderr, "polysock-gen: cannot open %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    sb_init(&b);
    sb_puts(&b, "");
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        sb_putn(&b, chunk, n);
    if (ferror(fp)) {
        fprintf(stderr, "polysock-gen: cannot read %s: %s\n", path,
                strerror(errno));
        fclose(fp);
        sb_free(&b);
        return -1;
    }
    fclose(fp);
    rc = parse_idl(path, b.s, b.len, m);
    sb_free(&b);
    return rc;
}
