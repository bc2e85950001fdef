/*
 * backend_docs.c - the API references: docs/api/c.md, and those of the
 * bindings, docs/api/python.md, ruby.md and node.md (each rendered by its
 * language's backend, which knows how that language spells a fn).
 *
 * One entry per fn (prototype, doc, parameter table, what it returns),
 * grouped as a reader looks for them: module functions, then one section
 * per handle type (the fns that create it, then its methods), then records,
 * error classes, errors and constant groups.  Everything is derived from
 * the model, so the reference cannot disagree with the header check.
 */
#include "backends.h"
#include "fingerprint.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DOCS_FILE "docs/api/c.md"

/* The bindings' references, in the order they are written. */
static const struct {
    const char *path;
    int (*render)(const struct model *m, struct sbuf *b);
} binding_references[] = {
    {"docs/api/python.md", python_reference},
    {"docs/api/ruby.md", ruby_reference},
    {"docs/api/node.md", node_reference},
};

/* ---- Markdown helpers ---------------------------------------------------- */

/* Doc text inside a table cell: one line, '|' escaped. */
void docs_cell(struct sbuf *b, const char *s)
{
    if (s == NULL || *s == '\0') {
        sb_puts(b, " ");
        return;
    }
    for (; *s; s++) {
        if (*s == '\n')
            sb_putc(b, ' ');
        else if (*s == '|')
            sb_puts(b, "\\|");
        else
            sb_putc(b, *s);
    }
}

/* The anchor GitHub gives a heading made of [a-z0-9_] words and spaces. */
static void md_anchor(struct sbuf *b, const char *heading)
{
    for (; *heading; heading++) {
        char c = *heading;

        if (c == ' ')
            sb_putc(b, '-');
        else if (c >= 'A' && c <= 'Z')
            sb_putc(b, (char)(c - 'A' + 'a'));
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-')
            sb_putc(b, c);
    }
}

const char *docs_param_doc(const struct fn *f, const struct param *p)
{
    const struct param *buf;

    if (p->doc != NULL || p->len_of < 0)
        return p->doc;
    buf = &f->params[p->len_of];
    if (buf->dir != DIR_OUT)
        return NULL;
    return buf->type.kind == TY_RECORD ? "How many at most."
                                       : "How many bytes at most.";
}

static bool handle_has_settimeout(const struct model *m, int handle)
{
    for (size_t k = 0; k < m->nfns; k++)
        if (m->fns[k].method_of == handle &&
            strcmp(m->fns[k].method_name, "settimeout") == 0)
            return true;
    return false;
}

/* A handle obeys a timeout mode when it has settimeout, or when it is made
 * from one that has (a TLS connection runs under its socket's mode). */
static bool handle_has_timeout_mode(const struct model *m, int handle)
{
    if (handle_has_settimeout(m, handle))
        return true;
    for (size_t k = 0; k < m->nfns; k++) {
        const struct fn *g = &m->fns[k];
        bool makes = false, from_timed = false;

        for (size_t i = 0; i < g->nparams; i++) {
            const struct param *p = &g->params[i];

            if (p->type.kind != TY_HANDLE)
                continue;
            if (p->dir != DIR_IN && p->type.index == handle)
                makes = true;
            else if (p->dir == DIR_IN && handle_has_settimeout(m, p->type.index))
                from_timed = true;
        }
        if (makes && from_timed)
            return true;
    }
    return false;
}

bool docs_fn_has_timeout_mode(const struct model *m, const struct fn *f)
{
    for (size_t i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];

        if (p->dir == DIR_IN && p->type.kind == TY_HANDLE &&
            handle_has_timeout_mode(m, p->type.index))
            return true;
    }
    return false;
}

static void md_fn_link(struct sbuf *b, const struct fn *f)
{
    sb_printf(b, "[`polysock_%s`](#polysock_%s)", f->name, f->name);
}

/* ---- Grouping ------------------------------------------------------------ */

/* The handle section a fn belongs to: its method owner, else the first
 * handle type it creates (an out handle parameter), else -1 (module). */
static int fn_section(const struct fn *f)
{
    size_t i;

    if (f->method_of >= 0)
        return f->method_of;
    for (i = 0; i < f->nparams; i++)
        if (f->params[i].dir == DIR_OUT && f->params[i].type.kind == TY_HANDLE)
            return f->params[i].type.index;
    return -1;
}

/* ---- One fn ---------------------------------------------------------------- */

/* Append one sentence to a table cell, a space apart from the last. */
static void cell_add(struct sbuf *cell, const char *fmt, ...) GEN_PRINTF(2, 3);

static void cell_add(struct sbuf *cell, const char *fmt, ...)
{
    va_list ap;

    if (cell->len > 0)
        sb_putc(cell, ' ');
    va_start(ap, fmt);
    sb_vprintf(cell, fmt, ap);
    va_end(ap);
}

/* What a parameter is for: its doc, then what the IDL says about it (the
 * buffer it measures or is measured by, NULL, the bindings' default). */
static void param_meaning(const struct fn *f, const struct param *p,
                          struct sbuf *b)
{
    static const char *const units[] = {
        [TY_BYTES] = "bytes", [TY_STRING] = "bytes, room for the NUL included",
        [TY_RECORD] = "elements",
    };
    struct sbuf cell;

    sb_init(&cell);
    sb_puts(&cell, "");
    if (p->doc != NULL)
        docs_cell(&cell, p->doc);
    if (f->method_of >= 0 && p == &f->params[0])
        cell_add(&cell, "The handle the method `%s` is called on.",
                 f->method_name);
    else if (p->len_param >= 0)
        cell_add(&cell, "%s `%s` %s.",
                 p->dir == DIR_OUT ? "Buffer; its capacity is"
                                   : "Its length is",
                 f->params[p->len_param].name, units[p->type.kind]);
    else if (p->len_of >= 0)
        cell_add(&cell, "%s of `%s`, in %s.",
                 f->params[p->len_of].dir == DIR_OUT ? "Capacity" : "Length",
                 f->params[p->len_of].name,
                 units[f->params[p->len_of].type.kind]);
    if (p->optional)
        cell_add(&cell, "May be NULL.");
    if (p->def.kind != DEF_NONE)
        cell_add(&cell, "Default in bindings: `%s`.", p->def.text);
    sb_puts(b, cell.s);
    sb_free(&cell);
}

static void param_table(const struct model *m, const struct fn *f,
                        struct sbuf *b)
{
    struct sbuf c;
    size_t i;

    if (f->nparams == 0)
        return;
    sb_init(&c);
    sb_puts(b, "| Parameter | Direction | Type | C type | Meaning |\n"
            "| --- | --- | --- | --- | --- |\n");
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];

        sb_clear(&c);
        model_c_param_type(m, p, &c);
        sb_printf(b, "| `%s` | %s | `%s%s` | `%s` | ", p->name,
                  p->dir == DIR_OUT ? "out" : "in",
                  p->optional ? "optional " : "",
                  model_type_name(m, p->type), c.s);
        param_meaning(f, p, b);
        sb_puts(b, " |\n");
    }
    sb_putc(b, '\n');
    sb_free(&c);
}

/* Append "`a`, `b` or `c`" for the params that match; returns how many. */
static size_t list_params(const struct fn *f,
                          bool (*match)(const struct param *), struct sbuf *b)
{
    size_t i, n = 0, total = 0;

    for (i = 0; i < f->nparams; i++)
        total += match(&f->params[i]);
    for (i = 0; i < f->nparams; i++) {
        if (!match(&f->params[i]))
            continue;
        n++;
        sb_printf(b, "%s`%s`", n == 1 ? "" : n == total ? " or " : ", ",
                  f->params[i].name);
    }
    return total;
}

static bool is_in_handle(const struct param *p)
{
    return p->dir == DIR_IN && p->type.kind == TY_HANDLE;
}

static bool is_required_pointer(const struct param *p)
{
    enum type_kind k = p->type.kind;

    if (p->optional)
        return false;
    return p->dir == DIR_OUT || k == TY_STRING || k == TY_BYTES ||
           k == TY_RECORD;
}

static bool is_out_text(const struct param *p)
{
    return p->dir == DIR_OUT && p->type.kind == TY_STRING;
}

static void error_item(struct sbuf *b, const char *code, const struct fn *f,
                       bool (*match)(const struct param *), const char *tail)
{
    struct sbuf names;

    sb_init(&names);
    if (list_params(f, match, &names) > 0)
        sb_printf(b, "- `%s` when %s %s\n", code, names.s, tail);
    sb_free(&names);
}

static void returns(const struct fn *f, struct sbuf *b)
{
    struct sbuf items;

    if (!f->returns_status) {
        if (f->ret == TY_VOID)
            sb_puts(b, "**Returns** nothing.\n\n");
        else if (f->ret == TY_STRING)
            sb_puts(b, "**Returns** a `const char *` owned by the library: "
                    "do not free it.\n\n");
        else
            sb_printf(b, "**Returns** the `%s` result; it cannot fail.\n\n",
                      model_c_scalar(f->ret));
        return;
    }
    sb_init(&items);
    error_item(&items, "POLYSOCK_EBADHANDLE", f, is_in_handle,
               "is closed, stale or forged");
    error_item(&items, "POLYSOCK_EWRONGKIND", f, is_in_handle,
               "is a handle of another kind");
    error_item(&items, "POLYSOCK_ENULL", f, is_required_pointer, "is NULL");
    error_item(&items, "POLYSOCK_ETOOSMALL", f, is_out_text,
               "cannot hold the result");
    if (f->blocking)
        sb_puts(&items, "- `POLYSOCK_ETIMEOUT` in timeout mode, when the "
                "deadline passes\n"
                "- `-EINTR` when a signal interrupts it and the thread "
                "opted in with `polysock_set_interrupt_mode(1)`\n");
    sb_printf(b, "**Returns** 0 on success, or a negative `POLYSOCK_E*` / "
              "-errno code%s\n\n", items.len > 0 ? ", among them:" : ".");
    if (items.len > 0)
        sb_printf(b, "%s\n", items.s);
    sb_free(&items);
}

static void fn_entry(const struct model *m, const struct fn *f,
                     struct sbuf *b)
{
    struct sbuf proto;

    sb_init(&proto);
    model_c_prototype(m, f, &proto);
    sb_printf(b, "### polysock_%s\n\n```c\n%s;\n```\n\n%s\n\n", f->name,
              proto.s, f->doc);
    if (f->method_of >= 0)
        sb_printf(b, "Method `%s.%s` in the bindings.",
                  m->handles[f->method_of].name, f->method_name);
    if (f->blocking)
        sb_printf(b, "%s**Blocking**: it may wait, so bindings release the "
                  "GIL/GVL and Node offers it asynchronously.",
                  f->method_of >= 0 ? " " : "");
    if (f->method_of >= 0 || f->blocking)
        sb_puts(b, "\n\n");
    param_table(m, f, b);
    returns(f, b);
    sb_free(&proto);
}

/* ---- Sections ---------------------------------------------------------------- */

/* A line of links to the fns of a section, then their entries. */
static void fn_group(const struct model *m, int section, bool methods,
                     const char *label, struct sbuf *b)
{
    bool any = false;
    size_t i;

    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];

        if (fn_section(f) != section || (f->method_of >= 0) != methods)
            continue;
        sb_puts(b, any ? ", " : label);
        md_fn_link(b, f);
        any = true;
    }
    if (!any)
        return;
    sb_puts(b, "\n\n");
    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];

        if (fn_section(f) == section && (f->method_of >= 0) == methods)
            fn_entry(m, f, b);
    }
}

static void handle_section(const struct model *m, size_t h, struct sbuf *b)
{
    sb_printf(b, "## Handle %s\n\n%s\n\nIn C a `%s` is a `polysock_handle`, "
              "an integer below 2^53; a closed, stale or forged handle is "
              "refused with `POLYSOCK_EBADHANDLE`.\n\n", m->handles[h].name,
              m->handles[h].doc, m->handles[h].name);
    fn_group(m, (int)h, false, "Created by: ", b);
    fn_group(m, (int)h, true, "Methods: ", b);
}

static void record_section(const struct model *m, struct sbuf *b)
{
    struct sbuf c;
    size_t i, k;

    sb_init(&c);
    sb_puts(b, "## Records\n\nRecords are flat structs passed by pointer; "
            "`char` arrays hold text or bytes in place.\n\n");
    for (i = 0; i < m->nrecords; i++) {
        const struct record *r = &m->records[i];

        sb_printf(b, "### polysock_%s\n\n%s\n\n| Field | Type | C type | "
                  "Meaning |\n| --- | --- | --- | --- |\n", r->name, r->doc);
        for (k = 0; k < r->nfields; k++) {
            const struct field *fd = &r->fields[k];

            sb_clear(&c);
            model_c_field_type(m, fd, &c);
            if (fd->array_len > 0)
                sb_printf(&c, "[%lld]", fd->array_len);
            sb_printf(b, "| `%s` | `%s` | `%s` | ", fd->name,
                      model_type_name(m, fd->type), c.s);
            docs_cell(b, fd->doc);
            sb_puts(b, " |\n");
        }
        sb_putc(b, '\n');
    }
    sb_free(&c);
}

static void error_sections(const struct model *m, struct sbuf *b)
{
    struct sbuf c;
    size_t i;

    sb_init(&c);
    sb_puts(b, "## Error classes\n\n`polysock_errclass(code)` tells the class "
            "of any code; each binding raises one exception type per class."
            "\n\n| Class | C name | Value | Meaning |\n"
            "| --- | --- | --- | --- |\n");
    for (i = 0; i < m->nerrclasses; i++) {
        sb_clear(&c);
        model_c_errclass_name(&m->errclasses[i], &c);
        sb_printf(b, "| `%s` | `%s` | %lld | ", m->errclasses[i].name, c.s,
                  m->errclasses[i].value);
        docs_cell(b, m->errclasses[i].doc);
        sb_puts(b, " |\n");
    }
    sb_puts(b, "\n## Errors\n\nThe library's own codes.  OS errors come back "
            "as -errno, getaddrinfo and h_errno errors in their own ranges "
            "(see `polysock.h`); `polysock_strerror` and `polysock_errname` "
            "describe any code.\n\n| Code | Value | Class | Meaning |\n"
            "| --- | --- | --- | --- |\n");
    for (i = 0; i < m->nerrors; i++) {
        const struct error *e = &m->errors[i];

        sb_clear(&c);
        model_c_error_name(e, &c);
        sb_printf(b, "| `%s` | %lld | `%s` | ", c.s, e->value,
                  m->errclasses[e->errclass].name);
        docs_cell(b, e->doc);
        sb_puts(b, " |\n");
    }
    sb_putc(b, '\n');
    sb_free(&c);
}

static void constant_section(const struct model *m, struct sbuf *b)
{
    size_t i;

    sb_puts(b, "## Constant groups\n\nPlatform constants are not fixed here: "
            "bindings read every name that starts with one of these prefixes "
            "from the library's table at load (`polysock_constant_count`, "
            "`polysock_constant_name`, `polysock_constant_value`).\n\n"
            "| Prefix | Meaning |\n| --- | --- |\n");
    for (i = 0; i < m->nconstgroups; i++) {
        sb_printf(b, "| `%s` | ", m->constgroups[i].prefix);
        docs_cell(b, m->constgroups[i].doc);
        sb_puts(b, " |\n");
    }
}

static void contents(const struct model *m, struct sbuf *b)
{
    static const char *const tail[] = {"Records", "Error classes", "Errors",
                                       "Constant groups"};
    struct sbuf heading;
    size_t i;

    sb_init(&heading);
    sb_puts(b, "## Contents\n\n- [Module functions](#module-functions)\n");
    for (i = 0; i < m->nhandles; i++) {
        sb_clear(&heading);
        sb_printf(&heading, "Handle %s", m->handles[i].name);
        sb_printf(b, "- [%s](#", heading.s);
        md_anchor(b, heading.s);
        sb_puts(b, ")\n");
    }
    for (i = 0; i < sizeof tail / sizeof tail[0]; i++) {
        sb_printf(b, "- [%s](#", tail[i]);
        md_anchor(b, tail[i]);
        sb_puts(b, ")\n");
    }
    sb_putc(b, '\n');
    sb_free(&heading);
}

static void preamble(const struct model *m, struct sbuf *b)
{
    char fp[FINGERPRINT_HEX_LEN + 1];

    fingerprint_hex(m, fp);
    sb_printf(b, "# %s C API reference\n\n"
              "<!-- Generated by polysock-gen from %s: do not edit. -->\n\n"
              "%s\n\nVersion %s, ABI fingerprint `%s`.  Declared in "
              "`polysock.h`; link with `-lpolysock` (`pkg-config %s`).\n\n"
              "Conventions: a function without a return type in the IDL "
              "returns `int`, 0 on success or a negative code; results come "
              "back through out-parameters.  Strings are NUL-terminated; "
              "bytes are a pointer and a length; output text and bytes go to "
              "caller buffers with their capacity.  Sockets, pollers and "
              "result lists are `polysock_handle` values.  \"Default in "
              "bindings\" is the value a binding passes when the caller "
              "leaves a parameter out; C callers always pass every "
              "argument.\n\n",
              m->name, path_basename(m->path), m->doc, m->version, fp,
              m->name);
}

static int generate(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, DOCS_FILE);
    size_t h, i;

    preamble(m, b);
    contents(m, b);
    sb_puts(b, "## Module functions\n\n");
    fn_group(m, -1, false, "", b);
    for (h = 0; h < m->nhandles; h++)
        handle_section(m, h, b);
    record_section(m, b);
    error_sections(m, b);
    constant_section(m, b);
    if (emit_end(out) != 0)
        return -1;
    for (i = 0; i < sizeof binding_references / sizeof binding_references[0];
         i++) {
        b = emit_begin(out, binding_references[i].path);
        if (binding_references[i].render(m, b) != 0 || emit_end(out) != 0)
            return -1;
    }
    return 0;
}

const struct backend backend_docs = {
    "docs",
    "docs/api/c.md, python.md, ruby.md and node.md: the C, Python, Ruby and "
    "Node API references",
    generate,
};
