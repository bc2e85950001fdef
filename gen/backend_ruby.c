/*
 * backend_ruby.c - the Ruby binding (the ffi gem): bindings/ruby/.
 *
 * Writes, from the model alone:
 *
 *   lib/polysock/version.rb   Polysock::VERSION and the ABI fingerprint
 *   lib/polysock/native.rb    Polysock::Native: loading the library, the
 *                             fingerprint check, records as FFI::Struct,
 *                             every fn attached (blocking: true where the
 *                             IDL says blocking), error codes, and the small
 *                             runtime the generated methods share
 *   lib/polysock/errors.rb    the exception classes and the one table from
 *                             error class to Ruby exception
 *   lib/polysock/raw.rb       Polysock::Raw: every fn at the handle level
 *                             (handles are Integers)
 *   lib/polysock/api.rb       the idiomatic layer: platform constants, the
 *                             module functions (Polysock::API, extended into
 *                             Polysock), one class per handle type that has a
 *                             close method (Polysock::Socket, Polysock::Poller)
 *                             and generic record conversions
 *   sig/polysock.rbs          the RBS signatures of all of the above
 *
 * and renders docs/api/ruby.md for the docs backend (ruby_reference, at
 * the end), from the same helpers as the methods and their signatures.
 *
 * What the IDL cannot say lives in hand-written files beside these:
 * lib/polysock.rb (address arrays, list walking, getsockopt/setsockopt by
 * value type, to_io, read/write/gets, Socket.open) and sig/polysock_sugar.rbs.
 * They build on the generated layer by overriding: the generated module
 * functions are in a module Polysock extends, the generated methods in a
 * module each class includes, so a hand-written method calls `super`.
 *
 * How a call is made (the shape every generated method has):
 *
 *  - scalar out parameters go to a "frame": an Array of FFI pointers into
 *    one small block.  A socket or poller keeps one of its own, taken for
 *    the call and put back after the outputs are read (a call made
 *    meanwhile, from another thread or a signal handler, finds none and
 *    makes one); module functions take theirs from a shared pool.  So a call
 *    allocates no pointer;
 *  - out bytes buffers are Ruby Strings the C function writes into (no
 *    copy), cut to the length the library reports;
 *  - a blocking fn runs without the GVL (ffi's blocking: true).  Ruby
 *    interrupts such a call by signalling its thread, so every thread that
 *    makes one must have opted in to the core's interrupt mode: the loading
 *    thread does at load time, every thread Ruby starts later at its start
 *    (a :thread_begin TracePoint), and only threads that already ran when
 *    the library was loaded check at each blocking call.  An interrupted
 *    call comes back with -EINTR after ffi has run Ruby's pending
 *    interrupts (a trap handler, Thread#raise, Thread#kill, Timeout) on the
 *    way out; if none raised, the method calls polysock_resume() and
 *    repeats the call, which keeps its deadline (a "partial" call repeats
 *    with the data that is left);
 *  - a fn's failure is raised through Polysock::Errors.raise_code, which
 *    asks the library for the code's class, number and message.
 */
#include "backends.h"
#include "fingerprint.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RB_DIR "bindings/ruby/"

enum layer {
    LAYER_RAW, /* Polysock::Raw: handles are Integers */
    LAYER_API  /* the idiomatic layer: handles are objects */
};

/* ---- Names ----------------------------------------------------------------- */

static const char *const ruby_keywords[] = {
    "BEGIN", "END", "__ENCODING__", "__FILE__", "__LINE__", "alias", "and",
    "begin", "break", "case", "class", "def", "defined", "do", "else",
    "elsif", "end", "ensure", "false", "for", "if", "in", "module", "next",
    "nil", "not", "or", "redo", "rescue", "retry", "return", "self", "super",
    "then", "true", "undef", "unless", "until", "when", "while", "yield",
};

static bool is_keyword(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof ruby_keywords / sizeof ruby_keywords[0]; i++)
        if (strcmp(ruby_keywords[i], s) == 0)
            return true;
    return false;
}

/* "socket" -> "Socket", "addr_info" -> "AddrInfo". */
static void camel(struct sbuf *b, const char *name)
{
    bool up = true;

    for (; *name; name++) {
        if (*name == '_') {
            up = true;
            continue;
        }
        sb_putc(b, up && *name >= 'a' && *name <= 'z' ? (char)(*name - 32)
                                                      : *name);
        up = false;
    }
}

/* A doc comment, each line prefixed with indent + "# ". */
static void doc_comment(struct sbuf *b, const char *indent, const char *doc)
{
    const char *s = doc;

    if (doc == NULL || *doc == '\0')
        return;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);

        sb_printf(b, "%s#%s%.*s\n", indent, n ? " " : "", (int)n, s);
        s += n;
        if (*s == '\n')
            s++;
    }
}

/* ---- What a Ruby method makes of a fn ------------------------------------ */

struct rparam {
    bool visible;     /* an argument of the Ruby method */
    bool has_default; /* given a default in the Ruby signature */
    int slot;         /* frame slot of a scalar or handle out param, or -1 */
    char name[120];   /* the Ruby local name */
};

struct rfn {
    const struct model *m;
    const struct fn *f;
    enum layer layer;
    struct rparam *p;
    int nslots;
    int partial;      /* index of the "partial" out size, or -1 */
    int cls;          /* API method: index of the handle type, else -1 */
    int into;         /* the _into variant: the out bytes buffer the caller
                         gives (written in place), else -1 */
    char name[128];   /* the Ruby method name */
    bool self_param;  /* the first param is self */
};

/* The handle types that become classes in the idiomatic layer: those with a
 * method named close that takes only self (it frees the handle, so the class
 * can close it from a finalizer). */
static int closer_of(const struct model *m, int handle)
{
    size_t i;

    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];

        if (f->method_of == handle && strcmp(f->method_name, "close") == 0 &&
            f->nparams == 1 && f->returns_status)
            return (int)i;
    }
    return -1;
}

static bool has_class(const struct model *m, int handle)
{
    return handle >= 0 && closer_of(m, handle) >= 0;
}

/* The fn that creates a handle type: named like it (socket) or <name>_new
 * (poller_new), not a method, with that handle as its only output. */
static int ctor_of(const struct model *m, int handle)
{
    const char *h = m->handles[handle].name;
    size_t i, j;

    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];
        size_t hl = strlen(h);
        int outs = 0, mine = 0;

        if (f->method_of >= 0 || !f->returns_status)
            continue;
        if (strcmp(f->name, h) != 0 &&
            !(strncmp(f->name, h, hl) == 0 && strcmp(f->name + hl, "_new") == 0))
            continue;
        for (j = 0; j < f->nparams; j++) {
            const struct param *p = &f->params[j];

            if (p->dir != DIR_OUT)
                continue;
            outs++;
            mine += p->type.kind == TY_HANDLE && p->type.index == handle;
        }
        if (outs == 1 && mine == 1)
            return (int)i;
    }
    return -1;
}

static bool is_scalar_out(const struct param *p)
{
    return p->dir == DIR_OUT && p->len_param < 0 &&
           (model_kind_is_number(p->type.kind) || p->type.kind == TY_HANDLE);
}

/* A size param the binding fills in itself: the length of an in buffer, or
 * the capacity of an out buffer that has a default. */
static bool is_hidden_size(const struct fn *f, const struct param *p)
{
    const struct param *buf;

    if (p->len_of < 0)
        return false;
    buf = &f->params[p->len_of];
    return buf->dir == DIR_IN || p->def.kind != DEF_NONE;
}

/* into: make the _into variant (see struct rfn). */
static void rfn_init(struct rfn *r, const struct model *m, const struct fn *f,
                     enum layer layer, bool into)
{
    size_t i, n = f->nparams;
    long last = -1, first;

    r->m = m;
    r->f = f;
    r->layer = layer;
    r->p = xcalloc(n ? n : 1, sizeof *r->p);
    r->nslots = 0;
    r->partial = -1;
    r->self_param = f->method_of >= 0;
    r->cls = layer == LAYER_API && r->self_param ? f->method_of : -1;
    r->into = into ? model_into_buffer(f) : -1;
    snprintf(r->name, sizeof r->name, "%s%s",
             r->cls >= 0 ? f->method_name : f->name, into ? "_into" : "");
    for (i = 0; i < n; i++) {
        const struct param *p = &f->params[i];
        struct rparam *rp = &r->p[i];

        rp->slot = -1;
        if (i == 0 && r->self_param) {
            snprintf(rp->name, sizeof rp->name, "handle");
            rp->visible = layer == LAYER_RAW;
            continue;
        }
        snprintf(rp->name, sizeof rp->name, "%s%s", p->name,
                 is_keyword(p->name) ? "_" : "");
        if ((int)i == r->into) {
            rp->visible = true;
            continue;
        }
        if (p->dir == DIR_OUT) {
            if (is_scalar_out(p))
                rp->slot = r->nslots++;
            if (p->partial >= 0)
                r->partial = (int)i;
            continue;
        }
        rp->visible = !is_hidden_size(f, p);
        /* The capacity of an _into buffer: 0 (the default) is all of it. */
        rp->has_default = rp->visible &&
                          (p->def.kind != DEF_NONE ||
                           (r->into >= 0 && p->len_of == r->into));
    }
    /* An optional string may be left out when everything after it may. */
    for (i = n; i-- > 0;) {
        const struct param *p = &f->params[i];
        struct rparam *rp = &r->p[i];

        if (!rp->visible)
            continue;
        if (p->type.kind == TY_STRING && p->optional)
            rp->has_default = true;
        else if (!rp->has_default)
            break;
    }
    /* Ruby's rule: the optional arguments form one run.  Keep the last run
     * of defaults (sendto(data, flags = 0, address) is fine) and make any
     * default before it required. */
    for (i = 0; i < n; i++)
        if (r->p[i].visible && r->p[i].has_default)
            last = (long)i;
    first = last;
    while (first > 0) {
        long j = first - 1;

        while (j >= 0 && !r->p[j].visible)
            j--;
        if (j < 0 || !r->p[j].has_default)
            break;
        first = j;
    }
    for (i = 0; last >= 0 && (long)i < first; i++)
        r->p[i].has_default = false;
}

static void rfn_free(struct rfn *r)
{
    free(r->p);
}

/* The Ruby method name: the method name for API methods, else the fn name. */
static const char *rfn_name(const struct rfn *r)
{
    return r->name;
}

/* Would a would-block error of this fn mean "wait until readable"?  A fn
 * that produces data (an out buffer) or a connection (an out handle) reads;
 * every other blocking fn (send, connect) waits to write. */
static bool reads(const struct fn *f)
{
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];

        if (p->dir == DIR_OUT &&
            (p->len_param >= 0 || p->type.kind == TY_HANDLE))
            return true;
    }
    return false;
}

/* ---- FFI types --------------------------------------------------------------- */

static const char *ffi_scalar(enum type_kind k)
{
    switch (k) {
    case TY_INT: return ":int";
    case TY_I32: return ":int32";
    case TY_I64: return ":int64";
    case TY_U16: return ":uint16";
    case TY_U32: return ":uint32";
    case TY_U64: return ":uint64";
    case TY_SIZE: return ":size_t";
    case TY_DOUBLE: return ":double";
    case TY_HANDLE: return ":uint64";
    case TY_CHAR: return ":char";
    case TY_VOID: return ":void";
    case TY_STRING: return ":string";
    default: return ":pointer";
    }
}

static const char *ffi_param(const struct param *p)
{
    if (p->dir == DIR_OUT || p->type.kind == TY_BYTES ||
        p->type.kind == TY_RECORD)
        return ":pointer";
    return ffi_scalar(p->type.kind);
}

/* The FFI::Pointer reader of a scalar out slot. */
static const char *ffi_getter(enum type_kind k)
{
    switch (k) {
    case TY_INT:
    case TY_I32: return "get_int32";
    case TY_I64: return "get_int64";
    case TY_U16: return "get_uint16";
    case TY_U32: return "get_uint32";
    case TY_SIZE: return "get_ulong"; /* size_t is unsigned long on LP64 and ILP32 */
    case TY_DOUBLE: return "get_double";
    default: return "get_uint64";
    }
}

static void default_text(struct sbuf *b, const struct default_value *d)
{
    switch (d->kind) {
    case DEF_INT: sb_printf(b, "%lld", d->i); break;
    case DEF_DOUBLE:
    case DEF_CONST: sb_puts(b, d->text); break;
    default: sb_puts(b, "nil"); break;
    }
}

/* ---- Method signatures --------------------------------------------------- */

static void ruby_params(const struct rfn *r, struct sbuf *b)
{
    size_t i;
    bool first = true;

    for (i = 0; i < r->f->nparams; i++) {
        const struct param *p = &r->f->params[i];
        const struct rparam *rp = &r->p[i];

        if (!rp->visible)
            continue;
        sb_puts(b, first ? "" : ", ");
        first = false;
        sb_puts(b, rp->name);
        if (rp->has_default) {
            sb_puts(b, " = ");
            if (p->def.kind != DEF_NONE)
                default_text(b, &p->def);
            else
                sb_puts(b, p->len_of >= 0 ? "0" : "nil");
        }
    }
}

/* "(a, b = 1)\n", or just "\n" for a method without arguments. */
static void method_params(const struct rfn *r, struct sbuf *b)
{
    struct sbuf args;

    sb_init(&args);
    ruby_params(r, &args);
    if (args.len)
        sb_printf(b, "(%s)", args.s);
    sb_putc(b, '\n');
    sb_free(&args);
}

static void null_text(struct sbuf *b, const struct param *p)
{
    default_text(b, &p->null_value);
}

/* ---- Method bodies ------------------------------------------------------- */

/* The C argument for param i. */
static void c_arg(const struct rfn *r, size_t i, struct sbuf *b)
{
    const struct fn *f = r->f;
    const struct param *p = &f->params[i];
    const struct rparam *rp = &r->p[i];

    if (i == 0 && r->self_param) {
        sb_puts(b, r->layer == LAYER_RAW ? "handle" : "@handle");
        return;
    }
    if ((int)i == r->into) {
        sb_puts(b, rp->name);
        return;
    }
    if (p->dir == DIR_OUT) {
        if (rp->slot >= 0)
            sb_printf(b, "_f[%d]", rp->slot);
        else if (p->len_param >= 0)
            sb_printf(b, "_b_%s", rp->name);
        else
            sb_printf(b, "_r_%s", rp->name); /* a single record */
        return;
    }
    if (p->len_of >= 0 && f->params[p->len_of].dir == DIR_IN) {
        const struct param *buf = &f->params[p->len_of];
        const char *bn = r->p[p->len_of].name;

        if (buf->filled_by >= 0 && f->params[buf->filled_by].partial >= 0)
            sb_printf(b, "%s.bytesize - _off", bn);
        else
            sb_printf(b, "%s.bytesize", bn);
        return;
    }
    if (p->len_of >= 0 && !rp->visible) {
        default_text(b, &p->def);
        return;
    }
    if (p->type.kind == TY_BYTES && p->filled_by >= 0 &&
        f->params[p->filled_by].partial >= 0) {
        sb_printf(b, "(_off == 0 ? %s : %s.byteslice(_off, %s.bytesize - _off))",
                  rp->name, rp->name, rp->name);
        return;
    }
    if (p->type.kind == TY_RECORD) {
        sb_printf(b, "_r_%s", rp->name);
        return;
    }
    if (p->type.kind == TY_HANDLE && r->layer == LAYER_API &&
        has_class(r->m, p->type.index)) {
        sb_printf(b, "_h_%s", rp->name);
        return;
    }
    sb_puts(b, rp->name);
}

static void c_call(const struct rfn *r, struct sbuf *b)
{
    size_t i;

    sb_printf(b, "Native.polysock_%s", r->f->name);
    for (i = 0; i < r->f->nparams; i++) {
        sb_puts(b, i ? ", " : "(");
        c_arg(r, i, b);
    }
    if (r->f->nparams)
        sb_putc(b, ')');
}

/* Argument checks and conversions, before the call. */
static void body_prologue(const struct rfn *r, struct sbuf *b, const char *in)
{
    const struct model *m = r->m;
    const struct fn *f = r->f;
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        const struct rparam *rp = &r->p[i];
        const char *n = rp->name;

        if ((int)i == r->into) {
            /* The caller's String: its size by default, never more.  The
             * library writes into its bytes, so they must be its own (not
             * frozen, not shared with a copy: setbyte makes them so), and
             * what Ruby knew of their encoding is forgotten before the
             * write (nothing reads it between here and the call). */
            const char *cn = r->p[p->len_param].name;

            sb_printf(b,
                      "%sraise ::TypeError, \"%s must be a String, not #{%s.class}\" "
                      "unless ::String === %s\n"
                      "%s%s = %s.bytesize if %s == 0\n"
                      "%sif ::Integer === %s && %s > %s.bytesize\n"
                      "%s  raise ::ArgumentError, \"cannot receive #{%s} bytes into "
                      "#{%s.bytesize}\"\n"
                      "%send\n"
                      "%s%s.setbyte(0, %s.getbyte(0)) unless %s.empty?\n"
                      "%s%s.force_encoding(%s.encoding)\n",
                      in, n, n, n,
                      in, cn, n, cn,
                      in, cn, cn, n,
                      in, cn, n,
                      in,
                      in, n, n, n,
                      in, n, n);
            continue;
        }
        if ((i == 0 && r->self_param) || p->dir == DIR_OUT)
            continue;
        if (p->null_value.kind != DEF_NONE) {
            /* nil is the null value; a negative number is refused here,
             * since the library would read it as the null value. */
            sb_printf(b, "%s%s = if %s.nil?\n%s  ", in, n, n, in);
            null_text(b, p);
            sb_printf(b, "\n%selsif ::Numeric === %s && %s < 0\n"
                      "%s  raise ::ArgumentError, \"%s must not be negative "
                      "(nil: none), got #{%s}\"\n%selse\n%s  %s\n%send\n",
                      in, n, n, in, n, n, in, in, n, in);
        } else if (p->type.kind == TY_BYTES) {
            sb_printf(b, "%sraise ::TypeError, \"%s must be a String, not "
                      "#{%s.class}\" unless ::String === %s\n", in, n, n, n);
        } else if (p->type.kind == TY_RECORD) {
            /* The object a method is called on goes along: the form of an
             * address depends on the socket's family. */
            sb_printf(b, "%s_r_%s = Convert.%s_in(%s, %s)\n", in, n,
                      m->records[p->type.index].name, n,
                      r->cls >= 0 ? "self" : "nil");
        } else if (p->type.kind == TY_HANDLE && r->layer == LAYER_API &&
                   has_class(m, p->type.index)) {
            struct sbuf c;

            sb_init(&c);
            camel(&c, m->handles[p->type.index].name);
            sb_printf(b, "%s_h_%s = Native.handle_of(%s, Polysock::%s)\n", in,
                      n, n, c.s);
            sb_free(&c);
        }
    }
    /* Out buffers and records. */
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        const struct rparam *rp = &r->p[i];

        if (p->dir != DIR_OUT || rp->slot >= 0 || (int)i == r->into)
            continue;
        if (p->len_param < 0) {
            sb_printf(b, "%s_r_%s = Native::", in, rp->name);
            camel(b, m->records[p->type.index].name);
            sb_puts(b, ".new\n");
            continue;
        }
        {
            const struct param *cap = &f->params[p->len_param];
            const char *cn = r->p[p->len_param].name;

            if (p->type.kind == TY_RECORD) {
                sb_printf(b, "%s_b_%s = Native.records(Native::", in, rp->name);
                camel(b, m->records[p->type.index].name);
                sb_puts(b, ", ");
                if (cap->def.kind != DEF_NONE)
                    default_text(b, &cap->def);
                else
                    sb_puts(b, cn);
                sb_puts(b, ")\n");
            } else if (cap->def.kind != DEF_NONE) {
                sb_printf(b, "%s_b_%s = Native::ZERO * ", in, rp->name);
                default_text(b, &cap->def);
                sb_putc(b, '\n');
            } else {
                /* A size <= 0 still reaches the library, which decides
                 * what it means (a negative size is its error to report). */
                sb_printf(b, "%s_b_%s = ::Integer === %s && %s > 0 ? "
                          "Native::ZERO * %s : Native.no_buffer(%s)\n", in,
                          rp->name, cn, cn, cn, cn);
            }
        }
    }
}

/* The expression a result is returned as. */
static void result_expr(const struct rfn *r, size_t i, struct sbuf *b)
{
    const struct model *m = r->m;
    const struct fn *f = r->f;
    const struct param *p = &f->params[i];
    const struct rparam *rp = &r->p[i];
    const char *n = rp->name;

    if ((int)i == r->into) {
        sb_printf(b, "_v_%s", r->p[p->filled_by].name);
        return;
    }
    if (p->len_param >= 0) {
        int fill = p->filled_by;
        const char *fv = fill >= 0 ? r->p[fill].name : NULL;

        if (p->type.kind == TY_STRING) {
            sb_printf(b, "Native.cstr(_b_%s)", n);
        } else if (p->type.kind == TY_RECORD) {
            struct sbuf cls;

            sb_init(&cls);
            camel(&cls, m->records[p->type.index].name);
            sb_printf(b, "Native.read_records(_b_%s, Native::%s, ", n, cls.s);
            if (fv) /* the filled count, else the whole array */
                sb_printf(b, "_v_%s", fv);
            else
                sb_printf(b, "_b_%s.size / Native::%s.size", n, cls.s);
            sb_printf(b, ") { |rec| Convert.%s_out(rec) }",
                      m->records[p->type.index].name);
            sb_free(&cls);
        } else if (fv) {
            sb_printf(b, "(_v_%s == _b_%s.bytesize ? _b_%s : _b_%s.byteslice(0, _v_%s))",
                      fv, n, n, n, fv);
        } else {
            sb_printf(b, "_b_%s", n);
        }
        return;
    }
    if (rp->slot < 0) {
        sb_printf(b, "Convert.%s_out(_r_%s)", m->records[p->type.index].name, n);
        return;
    }
    if (p->type.kind == TY_HANDLE && r->layer == LAYER_API &&
        has_class(m, p->type.index)) {
        sb_puts(b, "Polysock::");
        camel(b, m->handles[p->type.index].name);
        sb_printf(b, ".__wrap(_v_%s)", n);
        return;
    }
    if (p->null_value.kind != DEF_NONE) {
        sb_printf(b, "(_v_%s == ", n);
        null_text(b, p);
        sb_printf(b, " ? nil : _v_%s)", n);
        return;
    }
    sb_printf(b, "_v_%s", n);
}

/* Is out param i one of the values the method returns? */
static bool is_result(const struct fn *f, size_t i)
{
    const struct param *p = &f->params[i];

    return p->dir == DIR_OUT && p->fills < 0 && p->partial < 0;
}

/* ctor: the body of initialize (adopt the handle instead of returning). */
static void emit_body(const struct rfn *r, struct sbuf *b, const char *in,
                      bool ctor)
{
    const struct fn *f = r->f;
    bool blocking = f->blocking && f->returns_status;
    bool frame = r->nslots > 0;
    bool obj_frame = r->cls >= 0; /* a method of a handle class */
    size_t i;
    int nres = 0;
    struct sbuf res, call;

    body_prologue(r, b, in);
    if (blocking)
        sb_printf(b, "%sNative.thread_check if Native::CHECK_THREADS\n", in);
    /* Take a frame: an object's own (given back after the call; a call
     * made meanwhile, from another thread or a signal handler, finds none
     * and makes one), else one of the shared pool.  The take is two VM
     * instructions with no interrupt check between them, so no other Ruby
     * code can run in between. */
    if (frame && obj_frame)
        sb_printf(b, "%s_f = @__frame\n%s@__frame = nil\n%s_f ||= Native.frame\n",
                  in, in, in);
    else if (frame)
        sb_printf(b, "%s_f = Native::FRAMES.pop || Native.frame\n", in);
    if (r->partial >= 0)
        sb_printf(b, "%s_off = 0\n", in);

    sb_init(&call);
    c_call(r, &call);
    if (blocking) {
        sb_printf(b, "%swhile (_rc = %s) == Native::EINTR\n", in, call.s);
        if (r->partial >= 0)
            sb_printf(b, "%s  _off += _f[%d].get_ulong(0)\n", in,
                      r->p[r->partial].slot);
        sb_printf(b, "%s  Native.interrupted\n%send\n", in, in);
    } else if (f->returns_status) {
        sb_printf(b, "%s_rc = %s\n", in, call.s);
    } else {
        /* A fn that returns its value (no status, no out params). */
        if (f->ret == TY_VOID)
            sb_printf(b, "%s%s\n%snil\n", in, call.s, in);
        else if (f->ret == TY_STRING)
            sb_printf(b, "%s%s&.force_encoding(::Encoding::UTF_8)\n", in, call.s);
        else
            sb_printf(b, "%s%s\n", in, call.s);
        sb_free(&call);
        return;
    }
    sb_free(&call);

    /* Read the frame, give it back, then check the status. */
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        const struct rparam *rp = &r->p[i];

        if (rp->slot < 0)
            continue;
        if (p->partial >= 0)
            sb_printf(b, "%s_off += _f[%d].get_ulong(0)\n", in, rp->slot);
        else
            sb_printf(b, "%s_v_%s = _f[%d].%s(0)\n", in, rp->name, rp->slot,
                      ffi_getter(p->type.kind));
    }
    if (frame && obj_frame)
        sb_printf(b, "%s@__frame = _f\n", in);
    else if (frame)
        sb_printf(b, "%sNative::FRAMES.push(_f)\n", in);
    if (f->returns_status) {
        sb_printf(b, "%sErrors.raise_code(_rc, \"%s\"", in, rfn_name(r));
        if (f->blocking || r->partial >= 0)
            sb_printf(b, ", %s", f->blocking ? (reads(f) ? ":r" : ":w") : "nil");
        if (r->partial >= 0)
            sb_puts(b, ", _off");
        sb_puts(b, ") unless _rc == 0\n");
    }

    /* The results. */
    sb_init(&res);
    for (i = 0; i < f->nparams; i++) {
        if (!is_result(f, i))
            continue;
        if (nres++)
            sb_puts(&res, ", ");
        if (ctor)
            sb_printf(&res, "__adopt(_v_%s)", r->p[i].name);
        else
            result_expr(r, i, &res);
    }
    if (ctor)
        sb_printf(b, "%s%s\n", in, res.s);
    else if (nres == 0)
        sb_printf(b, "%snil\n", in);
    else if (nres == 1)
        sb_printf(b, "%s%s\n", in, res.s);
    else
        sb_printf(b, "%s[%s]\n", in, res.s);
    sb_free(&res);
}

/* ---- Docs on methods ------------------------------------------------------------ */

static void method_doc(const struct rfn *r, struct sbuf *b, const char *in)
{
    const struct fn *f = r->f;
    size_t i;

    doc_comment(b, in, f->doc);
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];

        if (!r->p[i].visible || p->doc == NULL)
            continue;
        sb_printf(b, "%s# @param %s ", in, r->p[i].name);
        {
            const char *s;

            for (s = p->doc; *s; s++)
                sb_putc(b, *s == '\n' ? ' ' : *s);
        }
        sb_putc(b, '\n');
    }
    sb_printf(b, "%s# C: polysock_%s%s\n", in, f->name,
              f->blocking ? " (blocking: runs without the GVL)" : "");
}

static void emit_method(const struct model *m, const struct fn *f,
                        enum layer layer, bool singleton, bool into,
                        struct sbuf *b, const char *in)
{
    struct rfn r;
    struct sbuf inner;

    rfn_init(&r, m, f, layer, into);
    sb_init(&inner);
    sb_printf(&inner, "%s  ", in);
    if (into) {
        doc_comment(b, in, f->doc);
        sb_printf(b, "%s# The variant of %.*s that receives into %s, a String "
                  "the caller owns\n%s# (written in place, its size "
                  "unchanged), at most %s bytes (0: all of\n%s# it); returns "
                  "the number of bytes received instead of the data.\n%s# C: "
                  "polysock_%s%s\n", in, (int)strlen(r.name) - 5, r.name,
                  r.p[r.into].name, in, r.p[f->params[r.into].len_param].name,
                  in, in, f->name,
                  f->blocking ? " (blocking: runs without the GVL)" : "");
    } else {
        method_doc(&r, b, in);
    }
    sb_printf(b, "%sdef %s%s", in, singleton ? "self." : "", rfn_name(&r));
    method_params(&r, b);
    emit_body(&r, b, inner.s, false);
    sb_printf(b, "%send\n", in);
    sb_free(&inner);
    rfn_free(&r);
}

/* ---- The error classes: one row per errclass ------------------------------ */

struct errmap {
    const char *errclass; /* IDL errclass name */
    const char *ruby;     /* the exception it raises */
    bool with_errno;      /* the exception carries polysock_errno(code) */
};

static const struct errmap errmap[] = {
    {"none", "Error", false},
    {"os", "Error", true},       /* or WaitReadable/WaitWritable */
    {"gai", "GAIError", true},
    {"herror", "HError", true},
    {"timeout", "Timeout", true},
    {"value", "::ArgumentError", false},
    {"type", "::TypeError", false},
    {"overflow", "::RangeError", false},
    {"badhandle", "Error", true},
    {"error", "Error", false},
    {"tls", "SSLError", false},
    {"unknown", "Error", false},
};

static const struct errmap *errmap_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof errmap / sizeof errmap[0]; i++)
        if (strcmp(errmap[i].errclass, name) == 0)
            return &errmap[i];
    return NULL;
}

static void upper(struct sbuf *b, const char *s)
{
    for (; *s; s++)
        sb_putc(b, *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s);
}

/* ---- Files ----------------------------------------------------------------------- */

static void header(struct sbuf *b, const struct model *m, const char *what)
{
    sb_printf(b, "# frozen_string_literal: true\n"
              "#\n# Generated by polysock-gen from %s: do not edit.\n#\n",
              path_basename(m->path));
    doc_comment(b, "", what);
    sb_putc(b, '\n');
}

static int write_version(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, RB_DIR "lib/polysock/version.rb");
    char fp[FINGERPRINT_HEX_LEN + 1];

    fingerprint_hex(m, fp);
    header(b, m, "The binding's version, apart from the rest so the gemspec can "
           "read it\nwithout loading the library.");
    sb_printf(b, "module Polysock\n"
              "  # The version of the IDL this binding was generated from "
              "(the library's\n  # own is Polysock.library_version).\n"
              "  VERSION = \"%s\"\n"
              "  # The ABI fingerprint of that IDL: the library loaded must "
              "report the same.\n"
              "  ABI_FINGERPRINT = \"%s\"\nend\n", m->version, fp);
    return emit_end(out);
}

static void native_records(const struct model *m, struct sbuf *b)
{
    size_t i, j;

    for (i = 0; i < m->nrecords; i++) {
        const struct record *rec = &m->records[i];

        doc_comment(b, "    ", rec->doc);
        sb_printf(b, "    # C: polysock_%s\n    class ", rec->name);
        camel(b, rec->name);
        sb_puts(b, " < FFI::Struct\n      layout ");
        for (j = 0; j < rec->nfields; j++) {
            const struct field *fd = &rec->fields[j];

            if (j)
                sb_puts(b, ",\n             ");
            if (fd->array_len > 0)
                sb_printf(b, ":%s, [%s, %lld]", fd->name,
                          ffi_scalar(fd->type.kind), fd->array_len);
            else
                sb_printf(b, ":%s, %s", fd->name, ffi_scalar(fd->type.kind));
        }
        sb_puts(b, "\n    end\n\n");
    }
}

static void native_fns(const struct model *m, struct sbuf *b)
{
    size_t i, j;

    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];

        if (strcmp(f->name, "abi_fingerprint") == 0)
            continue; /* attached above, before the check */
        sb_printf(b, "    attach_function :polysock_%s, [", f->name);
        for (j = 0; j < f->nparams; j++)
            sb_printf(b, "%s%s", j ? ", " : "", ffi_param(&f->params[j]));
        sb_printf(b, "], %s%s\n",
                  f->returns_status ? ":int" : ffi_scalar(f->ret),
                  f->blocking ? ", blocking: true" : "");
    }
}

static int max_slots(const struct model *m)
{
    size_t i;
    int best = 1;

    for (i = 0; i < m->nfns; i++) {
        struct rfn r;

        rfn_init(&r, m, &m->fns[i], LAYER_RAW, false);
        if (r.nslots > best)
            best = r.nslots;
        rfn_free(&r);
    }
    return best;
}

static int write_native(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, RB_DIR "lib/polysock/native.rb");
    size_t i;

    header(b, m, "Polysock::Native: the C library as the ffi gem sees it, and the "
           "small runtime\nthe generated methods share.");
    sb_puts(b,
"require \"ffi\"\n"
"require_relative \"version\"\n"
"\n"
"module Polysock\n");
    doc_comment(b, "  ", m->doc);
    sb_puts(b,
"  #\n"
"  # Native holds every C function of libpolysock (attached under its C\n"
"  # name), its records and error codes.  The library is\n"
"  # ENV[\"POLYSOCK_LIBRARY\"] when set, else the soname libpolysock.so.0.\n"
"  module Native\n"
"    extend FFI::Library\n"
"\n"
"    # The path or name of the library loaded.\n"
"    LIBRARY = (ENV[\"POLYSOCK_LIBRARY\"] || \"\").empty? ? \"libpolysock.so.0\" : ENV[\"POLYSOCK_LIBRARY\"]\n"
"\n"
"    begin\n"
"      ffi_lib LIBRARY\n"
"    rescue LoadError => e\n"
"      raise LoadError, \"polysock: cannot load the library #{LIBRARY}: \" \\\n"
"                       \"#{e.message.lines.first.to_s.strip} (set POLYSOCK_LIBRARY \" \\\n"
"                       \"to the path of libpolysock.so.0)\"\n"
"    end\n"
"\n"
"    # Refuse a library built from another IDL before attaching anything:\n"
"    # its functions may not even have the types attached below.\n"
"    attach_function :polysock_abi_fingerprint, [], :string\n"
"    found = polysock_abi_fingerprint\n"
"    unless found == ABI_FINGERPRINT\n"
"      raise LoadError, \"polysock: the library #{LIBRARY} has ABI fingerprint \" \\\n"
"                       \"#{found.inspect}, but this binding was generated for \" \\\n"
"                       \"#{ABI_FINGERPRINT.inspect}: they come from different \" \\\n"
"                       \"polysock.idl files (load the matching library with \" \\\n"
"                       \"POLYSOCK_LIBRARY, or regenerate the binding)\"\n"
"    end\n"
"\n"
"    # ---- Records ----\n\n");
    native_records(m, b);
    sb_puts(b, "    # ---- Functions ----\n\n");
    native_fns(m, b);

    sb_puts(b, "\n    # ---- Error classes and codes ----\n\n");
    for (i = 0; i < m->nerrclasses; i++) {
        doc_comment(b, "    ", m->errclasses[i].doc);
        sb_puts(b, "    ERRCLASS_");
        upper(b, m->errclasses[i].name);
        sb_printf(b, " = %lld\n", m->errclasses[i].value);
    }
    sb_putc(b, '\n');
    for (i = 0; i < m->nerrors; i++) {
        doc_comment(b, "    ", m->errors[i].doc);
        sb_printf(b, "    %s = %lld\n", m->errors[i].name, m->errors[i].value);
    }
    sb_printf(b,
"    # The code of an interrupted call (interrupt mode): -EINTR.\n"
"    EINTR = -::Errno::EINTR::Errno\n"
"\n"
"    # ---- The runtime of the generated methods ----\n"
"\n"
"    # What out buffers are cut from: ZERO * n is n zero bytes, binary.\n"
"    ZERO = \"\\0\".b.freeze\n"
"    # Scalar out slots a call may need (the most any fn has).\n"
"    FRAME_SLOTS = %d\n"
"\n"
"    # A frame: FRAME_SLOTS pointers into one block, 8 bytes each.\n"
"    def self.frame\n"
"      mem = FFI::MemoryPointer.new(8 * FRAME_SLOTS)\n"
"      Array.new(FRAME_SLOTS) { |i| i.zero? ? mem : mem + 8 * i }\n"
"    end\n"
"\n"
"    # Frames no call holds (the pool of calls that are not methods of an\n"
"    # object, which keeps a frame of its own).\n"
"    FRAMES = []\n"
"\n"
"    # Ruby interrupts a thread blocked in a call without the GVL by\n"
"    # signalling it, so every thread that makes a blocking call must have\n"
"    # opted in to the core's interrupt mode (per thread), or the core would\n"
"    # retry the call and Thread#raise, Thread#kill, Timeout and trap\n"
"    # handlers would wait for it.  This thread opts in now, and every thread\n"
"    # Ruby starts from now on at its start (a :thread_begin hook), so a call\n"
"    # needs no check of its own.  Only when other threads were already\n"
"    # running at load time does each blocking call check its thread\n"
"    # (CHECK_THREADS).\n"
"    polysock_set_interrupt_mode(1)\n"
"    THREAD_HOOK = TracePoint.new(:thread_begin) { polysock_set_interrupt_mode(1) }\n"
"    THREAD_HOOK.enable\n"
"    CHECK_THREADS = Thread.list.size > 1\n"
"\n"
"    # Opt the current thread in to interrupt mode, once.\n"
"    def self.thread_check\n"
"      return if Thread.current.thread_variable_get(:__polysock_interrupt__)\n"
"\n"
"      polysock_set_interrupt_mode(1)\n"
"      Thread.current.thread_variable_set(:__polysock_interrupt__, true)\n"
"    end\n"
"\n"
"    # A blocking call came back interrupted and nothing Ruby ran on the way\n"
"    # out of it raised: let other threads run their interrupts, then arm\n"
"    # the deadline of the interrupted call for its repeat.\n"
"    def self.interrupted\n"
"      Thread.pass\n"
"      polysock_resume\n"
"    end\n"
"\n"
"    # The buffer for an out size <= 0 (the library refuses or ignores it).\n"
"    def self.no_buffer(size)\n"
"      return ZERO if ::Integer === size\n"
"\n"
"      raise ::TypeError, \"no implicit conversion of #{size.class} into Integer\"\n"
"    end\n"
"\n"
"    # A C string written into a buffer: the text before the first NUL.\n"
"    def self.cstr(buf)\n"
"      i = buf.index(\"\\0\")\n"
"      (i ? buf.byteslice(0, i) : buf).force_encoding(::Encoding::UTF_8)\n"
"    end\n"
"\n"
"    # An out array of count records.\n"
"    def self.records(type, count)\n"
"      raise ::TypeError, \"no implicit conversion of #{count.class} into Integer\" unless ::Integer === count\n"
"\n"
"      FFI::MemoryPointer.new(type, count.positive? ? count : 1)\n"
"    end\n"
"\n"
"    # The first count records of an out array, each converted by the block.\n"
"    def self.read_records(mem, type, count)\n"
"      Array.new(count) { |i| yield type.new(mem + i * type.size) }\n"
"    end\n"
"\n"
"    # The handle of an object of a handle class.\n"
"    def self.handle_of(obj, klass)\n"
"      return obj.handle if klass === obj\n"
"\n"
"      raise ::TypeError, \"expected #{klass}, not #{obj.class}\"\n"
"    end\n"
"\n"
"    # A finalizer that frees handle with the C function fn: it holds only\n"
"    # the handle, never the object, so the object can be collected.\n"
"    def self.finalizer(fn, handle)\n"
"      free = method(fn)\n"
"      proc { free.call(handle) }\n"
"    end\n"
"  end\n"
"end\n", max_slots(m));
    return emit_end(out);
}

static int write_errors(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, RB_DIR "lib/polysock/errors.rb");
    size_t i;

    for (i = 0; i < m->nerrclasses; i++)
        if (errmap_find(m->errclasses[i].name) == NULL) {
            fprintf(stderr, "polysock-gen: ruby backend: no Ruby exception "
                    "for errclass '%s' (add it to errmap in "
                    "gen/backend_ruby.c)\n", m->errclasses[i].name);
            return -1;
        }
    header(b, m, "The exceptions of polysock, and the one table that maps an "
           "error code's class\nto them.");
    sb_puts(b,
"module Polysock\n"
"  # A failed socket operation.  #errno is the platform's number for it:\n"
"  # the errno of an OS error (e.errno == Errno::ECONNREFUSED::Errno),\n"
"  # EBADF for a closed or invalid socket, ETIMEDOUT for a timeout, the\n"
"  # EAI_* value of a GAIError, the h_errno of an HError; nil for an error\n"
"  # that has only a message.\n"
"  class Error < StandardError\n"
"    # The platform's error number, or nil.\n"
"    attr_reader :errno\n"
"    # polysock's own (negative) error code.\n"
"    attr_reader :code\n"
"    # The symbolic name: \"ECONNREFUSED\", \"EAI_NONAME\", \"ETIMEDOUT\", ...\n"
"    attr_reader :errname\n"
"    # Of a failed sendall: how many bytes went out before it failed.\n"
"    attr_reader :bytes_sent\n"
"\n"
"    def initialize(message = nil, errno: nil, code: nil, errname: nil, bytes_sent: nil)\n"
"      super(message)\n"
"      @errno = errno\n"
"      @code = code\n"
"      @errname = errname\n"
"      @bytes_sent = bytes_sent\n"
"    end\n"
"  end\n"
"\n");
    for (i = 0; i < m->nerrclasses; i++) {
        const struct errclass *c = &m->errclasses[i];
        const char *rb = errmap_find(c->name)->ruby;

        if (strcmp(rb, "Error") == 0 || rb[0] == ':')
            continue;
        doc_comment(b, "  ", c->doc);
        sb_printf(b, "  class %s < Error; end\n\n", rb);
    }
    sb_puts(b,
"  # A call on a non-blocking socket that would have to wait until the\n"
"  # socket is readable (recv, accept): rescue it as IO::WaitReadable.\n"
"  class WaitReadable < Error\n"
"    include ::IO::WaitReadable\n"
"  end\n"
"\n"
"  # A call on a non-blocking socket that would have to wait until the\n"
"  # socket is writable (send, connect in progress): IO::WaitWritable.\n"
"  class WaitWritable < Error\n"
"    include ::IO::WaitWritable\n"
"  end\n"
"\n"
"  # From error codes to exceptions.\n"
"  module Errors\n"
"    WOULD_BLOCK = [::Errno::EAGAIN::Errno, ::Errno::EWOULDBLOCK::Errno].uniq.freeze\n"
"    IN_PROGRESS = ::Errno::EINPROGRESS::Errno\n"
"\n"
"    # Raise the exception for code, a failure of the method fn.  dir (:r or\n"
"    # :w) is the direction a would-block error of fn waits for; sent is\n"
"    # how much of its data went out.\n"
"    def self.raise_code(code, fn, dir = nil, sent = nil)\n"
"      raise build(code, fn, dir, sent)\n"
"    end\n"
"\n"
"    # The exception for code (see raise_code).\n"
"    def self.build(code, fn, dir = nil, sent = nil)\n"
"      message = \"#{Native.polysock_strerror(code).force_encoding(::Encoding::UTF_8)} - #{fn}\"\n"
"      case Native.polysock_errclass(code)\n");
    for (i = 0; i < m->nerrclasses; i++) {
        const struct errclass *c = &m->errclasses[i];
        const struct errmap *e = errmap_find(c->name);

        sb_puts(b, "      when Native::ERRCLASS_");
        upper(b, c->name);
        sb_putc(b, '\n');
        if (strcmp(c->name, "os") == 0)
            sb_puts(b, "        errno = Native.polysock_errno(code)\n"
                    "        os_class(errno, dir).new(message, errno: errno, code: code,\n"
                    "                                 errname: Native.polysock_errname(code), bytes_sent: sent)\n");
        else if (e->ruby[0] == ':')
            sb_printf(b, "        %s.new(message)\n", e->ruby);
        else
            sb_printf(b, "        %s.new(message, errno: %s, code: code,\n"
                      "        %*s errname: Native.polysock_errname(code), "
                      "bytes_sent: sent)\n", e->ruby,
                      e->with_errno ? "Native.polysock_errno(code)" : "nil",
                      (int)strlen(e->ruby) + 4, "");
    }
    sb_puts(b,
"      else\n"
"        Error.new(message, code: code, errname: Native.polysock_errname(code), bytes_sent: sent)\n"
"      end\n"
"    end\n"
"\n"
"    # The class of an OS error: would-block errors also say which way.\n"
"    def self.os_class(errno, dir)\n"
"      if dir == :r && WOULD_BLOCK.include?(errno)\n"
"        WaitReadable\n"
"      elsif dir == :w && (WOULD_BLOCK.include?(errno) || errno == IN_PROGRESS)\n"
"        WaitWritable\n"
"      else\n"
"        Error\n"
"      end\n"
"    end\n"
"  end\n"
"end\n");
    return emit_end(out);
}

static int write_raw(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, RB_DIR "lib/polysock/raw.rb");
    size_t i;

    header(b, m, "Polysock::Raw: every function of the library at the handle "
           "level.");
    sb_puts(b,
"module Polysock\n"
"  # Every C function of the library as a module function: handles are\n"
"  # Integers (nothing closes them for you), methods take the handle first,\n"
"  # and the rest is converted as in the idiomatic layer (Strings for data\n"
"  # and text, arrays for addresses, exceptions for errors).  For tests,\n"
"  # tools and the hand-written parts of the binding.\n"
"  module Raw\n");
    for (i = 0; i < m->nfns; i++) {
        if (i)
            sb_putc(b, '\n');
        emit_method(m, &m->fns[i], LAYER_RAW, true, false, b, "    ");
    }
    sb_puts(b, "  end\nend\n");
    return emit_end(out);
}

/* ---- api.rb ------------------------------------------------------------------- */

static void api_constants(const struct model *m, struct sbuf *b)
{
    size_t i;

    sb_puts(b,
"  # The prefixes of the platform constants read from the library.\n"
"  CONSTANT_PREFIXES = [\n");
    for (i = 0; i < m->nconstgroups; i++) {
        sb_printf(b, "    \"%s\",", m->constgroups[i].prefix);
        if (m->constgroups[i].doc) {
            const char *s;

            sb_puts(b, " # ");
            for (s = m->constgroups[i].doc; *s; s++)
                sb_putc(b, *s == '\n' ? ' ' : *s);
        }
        sb_putc(b, '\n');
    }
    sb_puts(b,
"  ].freeze\n"
"\n"
"  # Every constant of those groups the platform defines, with its value.\n"
"  Native.polysock_constant_count.times do |i|\n"
"    name = Native.polysock_constant_name(i)\n"
"    next unless name && CONSTANT_PREFIXES.any? { |prefix| name.start_with?(prefix) }\n"
"\n"
"    const_set(name, Native.polysock_constant_value(i))\n"
"  end\n\n");
}

static void api_convert(const struct model *m, struct sbuf *b)
{
    size_t i, j;

    sb_puts(b,
"  # Records to and from Ruby.  Generic: a Hash of the fields.  The\n"
"  # hand-written part of the binding overrides a record's pair of methods\n"
"  # with a form of its own (the address record: arrays and paths).\n"
"  module Convert\n"
"    # The generic conversions, which Convert extends.\n"
"    module Generic\n");
    for (i = 0; i < m->nrecords; i++) {
        const struct record *rec = &m->records[i];
        struct sbuf cls;

        sb_init(&cls);
        camel(&cls, rec->name);
        sb_printf(b,
"      # A Hash of %s fields (Symbol keys) as a Native::%s; nil stays nil.\n"
"      # obj is the object whose method takes the record, or nil.\n"
"      def %s_in(value, _obj = nil)\n"
"        return nil if value.nil?\n"
"        raise ::TypeError, \"the %s record must be a Hash, not #{value.class}\" unless ::Hash === value\n"
"\n"
"        rec = Native::%s.new\n"
"        value.each do |field, v|\n"
"          if ::String === v\n"
"            rec.pointer.put_bytes(Native::%s.offset_of(field), v)\n"
"          else\n"
"            rec[field] = v\n"
"          end\n"
"        end\n"
"        rec\n"
"      end\n"
"\n"
"      # A Native::%s as a Hash of its fields.\n"
"      def %s_out(rec)\n"
"        {\n", rec->name, cls.s, rec->name, rec->name, cls.s, cls.s, cls.s,
                  rec->name);
        for (j = 0; j < rec->nfields; j++) {
            const struct field *fd = &rec->fields[j];

            sb_printf(b, "          %s: rec[:%s]%s,\n", fd->name, fd->name,
                      fd->array_len > 0 ? ".to_s" : "");
        }
        sb_puts(b, "        }\n      end\n");
        if (i + 1 < m->nrecords)
            sb_putc(b, '\n');
        sb_free(&cls);
    }
    sb_puts(b, "    end\n    extend Generic\n  end\n\n");
}

static void api_class(const struct model *m, int h, struct sbuf *b)
{
    const struct handle *hd = &m->handles[h];
    const struct fn *closer = &m->fns[closer_of(m, h)];
    int ctor = ctor_of(m, h);
    size_t i;
    struct sbuf cls;

    sb_init(&cls);
    camel(&cls, hd->name);

    /* The methods, in a module the class includes. */
    sb_printf(b, "  module API\n    # The methods of Polysock::%s.\n"
              "    module %sMethods\n", cls.s, cls.s);
    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];

        if (f->method_of != h)
            continue;
        if (f == closer) {
            doc_comment(b, "      ", f->doc);
            sb_printf(b,
"      # Closing twice is a no-op.  C: polysock_%s\n"
"      def close\n"
"        handle = @handle\n"
"        return nil if handle.zero?\n"
"\n"
"        @handle = 0\n"
"        ObjectSpace.undefine_finalizer(self)\n"
"        rc = Native.polysock_%s(handle)\n"
"        Errors.raise_code(rc, \"close\") unless rc.zero?\n"
"        nil\n"
"      end\n\n"
"      # Whether close has been called.\n"
"      def closed?\n"
"        @handle.zero?\n"
"      end\n\n", f->name, f->name);
            continue;
        }
        emit_method(m, f, LAYER_API, false, false, b, "      ");
        sb_putc(b, '\n');
        if (model_into_buffer(f) >= 0) {
            emit_method(m, f, LAYER_API, false, true, b, "      ");
            sb_putc(b, '\n');
        }
    }
    /* Trim the blank line after the last method. */
    if (b->len >= 2 && b->s[b->len - 1] == '\n' && b->s[b->len - 2] == '\n')
        b->s[--b->len] = '\0';
    sb_puts(b, "    end\n  end\n\n");

    /* The class. */
    doc_comment(b, "  ", hd->doc);
    sb_printf(b,
"  #\n"
"  # A garbage-collected %s is closed by a finalizer that holds only its\n"
"  # handle.\n"
"  class %s\n"
"    include API::%sMethods\n"
"\n"
"    # The library's handle (0 once closed).\n"
"    attr_reader :handle\n"
"\n", hd->name, cls.s, cls.s);
    if (ctor >= 0) {
        struct rfn r;

        rfn_init(&r, m, &m->fns[ctor], LAYER_API, false);
        method_doc(&r, b, "    ");
        sb_puts(b, "    def initialize");
        method_params(&r, b);
        emit_body(&r, b, "      ", true);
        sb_puts(b, "    end\n\n");
        rfn_free(&r);
    } else {
        sb_puts(b, "    private_class_method :new\n\n");
    }
    sb_printf(b,
"    # An object for a handle the library gave out (it will close it).\n"
"    def self.__wrap(handle)\n"
"      allocate.__send__(:__adopt, handle)\n"
"    end\n"
"\n"
"    private\n"
"\n"
"    def __adopt(handle)\n"
"      @handle = handle\n"
"      ObjectSpace.define_finalizer(self, Native.finalizer(:polysock_%s, handle))\n"
"      self\n"
"    end\n"
"  end\n\n", closer->name);
    sb_free(&cls);
}

static int write_api(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, RB_DIR "lib/polysock/api.rb");
    size_t i;

    header(b, m, "The idiomatic layer: platform constants, module functions, "
           "socket objects.");
    sb_puts(b, "module Polysock\n");
    api_constants(m, b);
    api_convert(m, b);
    for (i = 0; i < m->nhandles; i++)
        if (has_class(m, (int)i))
            api_class(m, (int)i, b);
    sb_puts(b,
"  # The module functions of polysock; Polysock extends this module, so\n"
"  # they are Polysock.socket, Polysock.getaddrinfo, ...\n"
"  module API\n");
    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];

        if (f->method_of >= 0)
            continue;
        emit_method(m, f, LAYER_API, false, false, b, "    ");
        sb_putc(b, '\n');
    }
    if (b->len >= 2 && b->s[b->len - 1] == '\n' && b->s[b->len - 2] == '\n')
        b->s[--b->len] = '\0';
    sb_puts(b, "  end\n\n  extend API\nend\n");
    return emit_end(out);
}

/* ---- sig/polysock.rbs ---------------------------------------------------------- */

/* Records with a Ruby form of their own (hand-written conversions in
 * lib/polysock.rb, the type alias in sig/polysock_sugar.rbs). */
static const struct {
    const char *record;
    const char *rbs_in;
    const char *rbs_out;
} rbs_records[] = {
    {"addr", "Polysock::address_in", "Polysock::address?"},
};

static void rbs_record(const struct model *m, int rec, bool in, struct sbuf *b)
{
    size_t i;

    for (i = 0; i < sizeof rbs_records / sizeof rbs_records[0]; i++)
        if (strcmp(rbs_records[i].record, m->records[rec].name) == 0) {
            sb_puts(b, in ? rbs_records[i].rbs_in : rbs_records[i].rbs_out);
            return;
        }
    sb_puts(b, "Hash[Symbol, untyped]");
}

static void rbs_type(const struct rfn *r, size_t i, bool in, struct sbuf *b)
{
    const struct model *m = r->m;
    const struct param *p = &r->f->params[i];

    switch (p->type.kind) {
    case TY_DOUBLE:
        sb_puts(b, in ? "Numeric" : "Float");
        break;
    case TY_STRING:
    case TY_BYTES:
        sb_puts(b, "String");
        break;
    case TY_RECORD:
        if (p->len_param >= 0) {
            sb_puts(b, "Array[");
            rbs_record(m, p->type.index, in, b);
            sb_putc(b, ']');
        } else {
            rbs_record(m, p->type.index, in, b);
        }
        break;
    case TY_HANDLE:
        if (r->layer == LAYER_API && has_class(m, p->type.index)) {
            sb_puts(b, "Polysock::");
            camel(b, m->handles[p->type.index].name);
        } else {
            sb_puts(b, "Integer");
        }
        break;
    default:
        sb_puts(b, "Integer");
        break;
    }
    if (p->null_value.kind != DEF_NONE ||
        (in && p->type.kind == TY_STRING && p->optional) ||
        (in && p->type.kind == TY_RECORD && p->len_param < 0))
        sb_putc(b, '?');
}

/* The parameter list of one overload: every optional parameter before
 * index upto is given (upto < 0: the signature with "?" marks). */
static void rbs_params(const struct rfn *r, struct sbuf *b, long upto)
{
    const struct fn *f = r->f;
    size_t i;
    bool first = true;

    sb_putc(b, '(');
    for (i = 0; i < f->nparams; i++) {
        if (!r->p[i].visible)
            continue;
        if (upto >= 0 && r->p[i].has_default && (long)i >= upto)
            continue;
        sb_puts(b, first ? "" : ", ");
        first = false;
        if (upto < 0 && r->p[i].has_default)
            sb_putc(b, '?');
        if (i == 0 && r->self_param)
            sb_puts(b, "Integer");
        else
            rbs_type(r, i, true, b);
        sb_printf(b, " %s", r->p[i].name);
    }
    sb_putc(b, ')');
}

static void rbs_result(const struct rfn *r, struct sbuf *b)
{
    const struct fn *f = r->f;
    size_t i;
    int nres = 0;
    struct sbuf res;

    sb_init(&res);
    if (!f->returns_status && f->ret != TY_VOID) {
        sb_puts(&res, f->ret == TY_STRING ? "String?" : "Integer");
        nres++;
    }
    for (i = 0; i < f->nparams; i++) {
        if (!is_result(f, i))
            continue;
        if (nres++)
            sb_puts(&res, ", ");
        if ((int)i == r->into)
            sb_puts(&res, "Integer"); /* the count received into it */
        else
            rbs_type(r, i, false, &res);
    }
    if (nres == 0)
        sb_puts(b, "nil");
    else if (nres == 1)
        sb_puts(b, res.s);
    else
        sb_printf(b, "[%s]", res.s);
    sb_free(&res);
}

/* A method type.  Optional parameters before a required one (sendto's
 * flags before its address) are valid RBS, but not every tool reads them:
 * such a method gets one overload per number of optional arguments given
 * instead. */
static void rbs_sig(const struct rfn *r, struct sbuf *b, bool ctor,
                    const char *in)
{
    const struct fn *f = r->f;
    size_t i;
    int n = 0;
    bool seen_default = false, trailing = false;

    for (i = 0; i < f->nparams; i++) {
        if (!r->p[i].visible)
            continue;
        if (r->p[i].has_default)
            seen_default = true;
        else if (seen_default)
            trailing = true;
    }
    if (!trailing) {
        rbs_params(r, b, -1);
        sb_puts(b, " -> ");
        if (ctor)
            sb_puts(b, "void");
        else
            rbs_result(r, b);
        return;
    }
    /* upto: each optional parameter in turn (those before it given), then
     * past the end (all given). */
    for (i = 0; i <= f->nparams; i++) {
        if (i < f->nparams && !(r->p[i].visible && r->p[i].has_default))
            continue;
        if (n++)
            sb_printf(b, "\n%s| ", in);
        rbs_params(r, b, (long)i);
        sb_puts(b, " -> ");
        if (ctor)
            sb_puts(b, "void");
        else
            rbs_result(r, b);
    }
}

static void rbs_method(const struct model *m, const struct fn *f,
                       enum layer layer, bool singleton, bool into,
                       struct sbuf *b, const char *in)
{
    struct rfn r;

    rfn_init(&r, m, f, layer, into);
    doc_comment(b, in, f->doc);
    struct sbuf more;

    sb_init(&more);
    sb_printf(&more, "%s    ", in);
    sb_printf(b, "%sdef %s%s: ", in, singleton ? "self." : "", rfn_name(&r));
    rbs_sig(&r, b, false, more.s);
    sb_putc(b, '\n');
    sb_free(&more);
    rfn_free(&r);
}

/* The C functions as attached: C-level types (pointers are untyped). */
static void rbs_native_fns(const struct model *m, struct sbuf *b)
{
    size_t i, j;

    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];

        sb_printf(b, "    def self.polysock_%s: (", f->name);
        for (j = 0; j < f->nparams; j++) {
            const struct param *p = &f->params[j];
            const char *t = "untyped";

            if (p->dir == DIR_IN && p->type.kind == TY_STRING)
                t = "String?";
            else if (p->dir == DIR_IN && p->type.kind == TY_DOUBLE)
                t = "Numeric";
            else if (p->dir == DIR_IN && (model_kind_is_integer(p->type.kind) ||
                                          p->type.kind == TY_HANDLE))
                t = "Integer";
            sb_printf(b, "%s%s", j ? ", " : "", t);
        }
        sb_printf(b, ") -> %s\n",
                  f->returns_status ? "Integer"
                  : f->ret == TY_STRING ? "String?"
                  : f->ret == TY_VOID ? "void" : "Integer");
    }
}

static int write_rbs(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, RB_DIR "sig/polysock.rbs");
    size_t i, j;

    sb_printf(b, "# Generated by polysock-gen from %s: do not edit.\n#\n"
              "# The signatures of the generated layer; those of the "
              "hand-written part are\n# in polysock_sugar.rbs.\n\n",
              path_basename(m->path));
    doc_comment(b, "", m->doc);
    sb_puts(b,
"module Polysock\n"
"  VERSION: String\n"
"  ABI_FINGERPRINT: String\n"
"  CONSTANT_PREFIXES: Array[String]\n"
"\n"
"  class Error < StandardError\n"
"    attr_reader errno: Integer?\n"
"    attr_reader code: Integer?\n"
"    attr_reader errname: String?\n"
"    attr_reader bytes_sent: Integer?\n"
"    def initialize: (?String? message, ?errno: Integer?, ?code: Integer?, "
"?errname: String?, ?bytes_sent: Integer?) -> void\n"
"  end\n");
    for (i = 0; i < m->nerrclasses; i++) {
        const char *rb = errmap_find(m->errclasses[i].name)->ruby;

        if (strcmp(rb, "Error") != 0 && rb[0] != ':')
            sb_printf(b, "  class %s < Error\n  end\n", rb);
    }
    sb_puts(b,
"  class WaitReadable < Error\n    include IO::WaitReadable\n  end\n"
"  class WaitWritable < Error\n    include IO::WaitWritable\n  end\n"
"\n"
"  module Errors\n"
"    WOULD_BLOCK: Array[Integer]\n"
"    IN_PROGRESS: Integer\n"
"    def self.raise_code: (Integer code, String fn, ?Symbol? dir, ?Integer? sent) -> bot\n"
"    def self.build: (Integer code, String fn, ?Symbol? dir, ?Integer? sent) -> Exception\n"
"    def self.os_class: (Integer errno, Symbol? dir) -> singleton(Error)\n"
"  end\n"
"\n"
"  # The C library (an FFI::Library): its functions are attached under\n"
"  # their C names.\n"
"  module Native\n"
"    LIBRARY: String\n"
"    EINTR: Integer\n"
"    ZERO: String\n"
"    FRAME_SLOTS: Integer\n");
    for (i = 0; i < m->nerrclasses; i++) {
        sb_puts(b, "    ERRCLASS_");
        upper(b, m->errclasses[i].name);
        sb_puts(b, ": Integer\n");
    }
    for (i = 0; i < m->nerrors; i++)
        sb_printf(b, "    %s: Integer\n", m->errors[i].name);
    for (i = 0; i < m->nrecords; i++) {
        sb_puts(b, "    class ");
        camel(b, m->records[i].name);
        sb_puts(b, "\n      def []: (Symbol field) -> untyped\n"
                "      def []=: (Symbol field, untyped value) -> untyped\n    end\n");
    }
    sb_puts(b,
"    FRAMES: Array[Array[untyped]]\n"
"    CHECK_THREADS: bool\n"
"    THREAD_HOOK: TracePoint\n"
"    def self.frame: () -> Array[untyped]\n"
"    def self.thread_check: () -> void\n"
"    def self.interrupted: () -> void\n"
"    def self.no_buffer: (untyped size) -> String\n"
"    def self.cstr: (String buf) -> String\n"

"    def self.handle_of: (untyped obj, Class klass) -> Integer\n"
"    def self.finalizer: (Symbol fn, Integer handle) -> Proc\n"
"    def self.records: (untyped type, Integer count) -> untyped\n"
"    def self.read_records: [T] (untyped mem, untyped type, Integer count) { (untyped) -> T } -> Array[T]\n");
    rbs_native_fns(m, b);
    sb_puts(b,
"  end\n\n"
"  module Convert\n"
"    module Generic\n");
    for (i = 0; i < m->nrecords; i++) {
        sb_printf(b, "      def %s_in: (untyped value, ?untyped obj) -> untyped\n",
                  m->records[i].name);
        sb_printf(b, "      def %s_out: (untyped rec) -> ", m->records[i].name);
        if (strcmp(m->records[i].name, "addr") == 0)
            sb_puts(b, "untyped\n");
        else
            sb_puts(b, "Hash[Symbol, untyped]\n");
    }
    sb_puts(b, "    end\n    extend Generic\n  end\n\n");

    /* Handle classes. */
    for (i = 0; i < m->nhandles; i++) {
        struct sbuf cls;
        int ctor;

        if (!has_class(m, (int)i))
            continue;
        sb_init(&cls);
        camel(&cls, m->handles[i].name);
        sb_printf(b, "  module API\n    module %sMethods\n", cls.s);
        sb_puts(b, "      @handle: Integer\n");
        for (j = 0; j < m->nfns; j++) {
            const struct fn *f = &m->fns[j];

            if (f->method_of != (int)i)
                continue;
            rbs_method(m, f, LAYER_API, false, false, b, "      ");
            if (model_into_buffer(f) >= 0)
                rbs_method(m, f, LAYER_API, false, true, b, "      ");
        }
        sb_puts(b, "      def closed?: () -> bool\n    end\n  end\n\n");
        doc_comment(b, "  ", m->handles[i].doc);
        sb_printf(b, "  class %s\n    include API::%sMethods\n"
                  "    attr_reader handle: Integer\n", cls.s, cls.s);
        ctor = ctor_of(m, (int)i);
        if (ctor >= 0) {
            struct rfn r;

            rfn_init(&r, m, &m->fns[ctor], LAYER_API, false);
            sb_puts(b, "    def initialize: ");
            rbs_sig(&r, b, true, "        ");
            sb_putc(b, '\n');
            rfn_free(&r);
        }
        sb_printf(b, "    def self.__wrap: (Integer handle) -> %s\n"
                  "    private def __adopt: (Integer handle) -> self\n"
                  "  end\n\n", cls.s);
        sb_free(&cls);
    }

    sb_puts(b, "  module API\n");
    for (i = 0; i < m->nfns; i++)
        if (m->fns[i].method_of < 0)
            rbs_method(m, &m->fns[i], LAYER_API, false, false, b, "    ");
    sb_puts(b, "  end\n  extend API\n\n  module Raw\n");
    for (i = 0; i < m->nfns; i++)
        rbs_method(m, &m->fns[i], LAYER_RAW, true, false, b, "    ");
    sb_puts(b, "  end\nend\n");
    return emit_end(out);
}

static int generate(const struct model *m, struct emitter *out)
{
    size_t i;

    if (model_find_fn(m, "abi_fingerprint") < 0 ||
        model_find_fn(m, "set_interrupt_mode") < 0 ||
        model_find_fn(m, "resume") < 0 || model_find_fn(m, "strerror") < 0 ||
        model_find_fn(m, "errclass") < 0 || model_find_fn(m, "errno") < 0 ||
        model_find_fn(m, "errname") < 0 ||
        model_find_fn(m, "constant_count") < 0) {
        fprintf(stderr, "polysock-gen: ruby backend: the IDL lacks a fn the "
                "Ruby runtime needs (abi_fingerprint, set_interrupt_mode, "
                "resume, strerror, errclass, errno, errname, constant_*)\n");
        return -1;
    }
    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];
        size_t j;

        for (j = 0; j < f->nparams && !f->returns_status; j++)
            if (f->params[j].dir == DIR_OUT) {
                fprintf(stderr, "polysock-gen: ruby backend: fn '%s' returns "
                        "a value and has out parameters, which the Ruby "
                        "backend does not support\n", f->name);
                return -1;
            }
    }
    if (write_version(m, out) || write_native(m, out) ||
        write_errors(m, out) || write_raw(m, out) || write_api(m, out) ||
        write_rbs(m, out))
        return -1;
    return 0;
}

const struct backend backend_ruby = {
    "ruby",
    "the Ruby binding (ffi gem) and its RBS signatures: bindings/ruby/",
    generate,
};

/* ---- The Ruby reference (docs/api/ruby.md, written by the docs backend:
 *      the Ruby spelling of each fn is known here) ---------------------- */

/* The public forms lib/polysock.rb writes by hand over a generated one
 * (calling super): call replaces the generated signature (NULL: the same
 * signature), note says what differs. */
static const struct {
    const char *owner; /* NULL: a module function, else a handle type */
    const char *name;  /* the fn, or the method name */
    const char *call;  /* as in sig/polysock_sugar.rbs */
    const char *note;
} ruby_sugar[] = {
    {NULL, "has_ipv6", "Polysock.has_ipv6 -> bool",
     "`Polysock.has_ipv6` is hand-written (lib/polysock.rb): true or false "
     "rather than the C function's 1 or 0."},
    {NULL, "getaddrinfo",
     "Polysock.getaddrinfo(host, port, family = 0, socktype = 0, proto = 0, "
     "flags = 0) -> Array[Polysock::addrinfo_entry]",
     "`Polysock.getaddrinfo` is hand-written (lib/polysock.rb): port may be "
     "an Integer, a service name or nil, and the result list is walked into "
     "`[family, socktype, proto, canonname, address]` arrays and freed."},
    {NULL, "gethostbyname_ex",
     "Polysock.gethostbyname_ex(name) -> Polysock::hostent",
     "`Polysock.gethostbyname_ex` is hand-written (lib/polysock.rb): the "
     "result list becomes `[hostname, aliases, addresses]` and is freed."},
    {NULL, "gethostbyaddr", "Polysock.gethostbyaddr(ip) -> Polysock::hostent",
     "`Polysock.gethostbyaddr` is hand-written (lib/polysock.rb): the result "
     "list becomes `[hostname, aliases, addresses]` and is freed."},
    {"socket", "setblocking", NULL,
     "lib/polysock.rb also takes true and false (nil is false)."},
    {"socket", "close", NULL,
     "lib/polysock.rb also closes the IO `to_io` made."},
};

static int ruby_sugar_of(const struct model *m, const struct fn *f)
{
    const char *owner = f->method_of >= 0 ? m->handles[f->method_of].name
                                          : NULL;
    const char *name = f->method_of >= 0 ? f->method_name : f->name;
    size_t i;

    for (i = 0; i < sizeof ruby_sugar / sizeof ruby_sugar[0]; i++)
        if (strcmp(ruby_sugar[i].name, name) == 0 &&
            (owner == NULL ? ruby_sugar[i].owner == NULL
                           : ruby_sugar[i].owner != NULL &&
                                 strcmp(ruby_sugar[i].owner, owner) == 0))
            return (int)i;
    return -1;
}

/* "Polysock::Error" for errmap's "Error", "ArgumentError" for
 * "::ArgumentError". */
static void ref_exception(struct sbuf *b, const char *ruby)
{
    if (ruby[0] == ':')
        sb_puts(b, ruby + 2);
    else
        sb_printf(b, "Polysock::%s", ruby);
}

/* One call as the user writes it: "callee(a, b = 1) -> Result". */
static void ref_call(const struct rfn *r, const char *callee, struct sbuf *b)
{
    struct sbuf args;

    sb_init(&args);
    ruby_params(r, &args);
    sb_puts(b, callee);
    if (args.len)
        sb_printf(b, "(%s)", args.s);
    sb_puts(b, " -> ");
    rbs_result(r, b);
    sb_putc(b, '\n');
    sb_free(&args);
}

static bool has_handle_param(const struct fn *f)
{
    size_t i;

    for (i = 0; i < f->nparams; i++)
        if (f->params[i].type.kind == TY_HANDLE)
            return true;
    return false;
}

/* The code block: the idiomatic form(s), then the Polysock::Raw form when
 * it differs (handles as Integers). */
static void ref_calls(const struct model *m, const struct fn *f,
                      const struct rfn *api, struct sbuf *b)
{
    int sugar = ruby_sugar_of(m, f);
    struct sbuf callee;
    struct rfn raw;

    sb_init(&callee);
    sb_puts(b, "```ruby\n");
    if (api != NULL && sugar >= 0 && ruby_sugar[sugar].call != NULL) {
        sb_printf(b, "%s\n", ruby_sugar[sugar].call);
    } else if (api != NULL) {
        if (api->cls >= 0)
            sb_printf(&callee, "%s.", m->handles[api->cls].name);
        else
            sb_puts(&callee, "Polysock.");
        sb_puts(&callee, rfn_name(api));
        ref_call(api, callee.s, b);
        if (api->cls >= 0 && model_into_buffer(f) >= 0) {
            struct rfn into;

            rfn_init(&into, m, f, LAYER_API, true);
            sb_clear(&callee);
            sb_printf(&callee, "%s.%s", m->handles[api->cls].name,
                      rfn_name(&into));
            ref_call(&into, callee.s, b);
            rfn_free(&into);
        }
        if (api->cls < 0) {
            size_t h;

            for (h = 0; h < m->nhandles; h++)
                if (has_class(m, (int)h) && ctor_of(m, (int)h) ==
                                                (int)(f - m->fns)) {
                    sb_clear(&callee);
                    sb_puts(&callee, "Polysock::");
                    camel(&callee, m->handles[h].name);
                    sb_puts(&callee, ".new");
                    ref_call(api, callee.s, b);
                }
        }
    }
    if (api == NULL || has_handle_param(f)) {
        rfn_init(&raw, m, f, LAYER_RAW, false);
        sb_clear(&callee);
        sb_printf(&callee, "Polysock::Raw.%s", rfn_name(&raw));
        ref_call(&raw, callee.s, b);
        rfn_free(&raw);
    }
    sb_puts(b, "```\n\n");
    sb_free(&callee);
}

static void ref_params(const struct rfn *r, struct sbuf *b)
{
    const struct fn *f = r->f;
    struct sbuf cell;
    bool any = false;
    size_t i;

    sb_init(&cell);
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        const struct rparam *rp = &r->p[i];

        if (!rp->visible)
            continue;
        if (!any)
            sb_puts(b, "| Argument | Ruby type | Meaning |\n"
                    "| --- | --- | --- |\n");
        any = true;
        sb_printf(b, "| `%s` | `", rp->name);
        if (i == 0 && r->self_param)
            sb_puts(b, "Integer");
        else
            rbs_type(r, i, true, b);
        sb_puts(b, "` | ");
        sb_clear(&cell);
        if (i == 0 && r->self_param)
            sb_puts(&cell, "The raw handle.");
        else if (docs_param_doc(f, p) != NULL)
            docs_cell(&cell, docs_param_doc(f, p));
        if (p->null_value.kind != DEF_NONE) {
            sb_printf(&cell, "%snil: the C value ", cell.len ? " " : "");
            null_text(&cell, p);
            sb_putc(&cell, '.');
        }
        if (rp->has_default) {
            sb_printf(&cell, "%sDefault `", cell.len ? " " : "");
            if (p->def.kind != DEF_NONE)
                default_text(&cell, &p->def);
            else
                sb_puts(&cell, p->len_of >= 0 ? "0" : "nil");
            sb_puts(&cell, "`.");
        }
        sb_printf(b, "%s |\n", cell.s);
    }
    if (any)
        sb_putc(b, '\n');
    sb_free(&cell);
}

static void ref_raises(const struct rfn *r, struct sbuf *b)
{
    const struct fn *f = r->f;
    /* The close method of a class returns at once once closed. */
    bool idempotent = r->cls >= 0 &&
                      closer_of(r->m, r->cls) == (int)(f - r->m->fns);
    bool null = false, handle = false;
    size_t i;

    if (!f->returns_status) {
        sb_puts(b, "It cannot fail.\n\n");
        return;
    }
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];

        if (p->dir != DIR_IN)
            continue;
        null |= p->null_value.kind != DEF_NONE;
        handle |= p->type.kind == TY_HANDLE;
    }
    sb_puts(b, "**Raises** the exception of the error class of the code it "
            "fails with (see *Error classes*), and before the call "
            "`TypeError` for an argument of the wrong type and `RangeError` "
            "for an Integer its C type cannot hold");
    if (null)
        sb_puts(b, "; `ArgumentError` for a negative number (nil means "
                "none)");
    if (model_into_buffer(f) >= 0 && r->cls >= 0)
        sb_printf(b, "; `%s_into` raises `ArgumentError` when asked for more "
                  "bytes than the String holds", rfn_name(r));
    sb_puts(b, ".");
    if (handle && !idempotent)
        sb_puts(b, " A closed or stale handle raises `Polysock::Error` "
                "(`errno` EBADF).");
    if (f->blocking && docs_fn_has_timeout_mode(r->m, f))
        sb_printf(b, " In timeout mode it raises `Polysock::Timeout` when "
                  "the time runs out; in non-blocking mode, when it would "
                  "wait, `Polysock::%s` (an `IO::%s`).",
                  reads(f) ? "WaitReadable" : "WaitWritable",
                  reads(f) ? "WaitReadable" : "WaitWritable");
    if (r->partial >= 0)
        sb_puts(b, " Failing part way, the exception's `bytes_sent` says "
                "how much went out.");
    sb_puts(b, "\n\n");
}

/* One entry.  A method of a handle type without a Ruby class exists only
 * in Polysock::Raw. */
static void ruby_ref_entry(const struct model *m, const struct fn *f,
                           struct sbuf *b)
{
    bool api = f->method_of < 0 || has_class(m, f->method_of);
    int sugar = ruby_sugar_of(m, f);
    struct rfn r;

    rfn_init(&r, m, f, api ? LAYER_API : LAYER_RAW, false);
    if (f->method_of < 0) {
        sb_printf(b, "### %s\n\n", f->name);
    } else if (api) {
        sb_puts(b, "### ");
        camel(b, m->handles[f->method_of].name);
        sb_printf(b, "#%s\n\n", f->method_name);
    } else {
        sb_printf(b, "### %s.%s\n\n", m->handles[f->method_of].name,
                  f->method_name);
    }
    ref_calls(m, f, api ? &r : NULL, b);
    sb_printf(b, "%s\n\n", f->doc);
    if (sugar >= 0)
        sb_printf(b, "%s\n\n", ruby_sugar[sugar].note);
    if (api && f->method_of >= 0 && closer_of(m, f->method_of) ==
                                        (int)(f - m->fns))
        sb_puts(b, "Closing twice does nothing; `closed?` tells whether "
                "it was called.\n\n");
    ref_params(&r, b);
    if (api && r.cls >= 0 && model_into_buffer(f) >= 0) {
        struct rfn into;

        rfn_init(&into, m, f, LAYER_API, true);
        sb_printf(b, "`%s` receives into `%s`, a String the caller owns "
                  "(written in place, its size unchanged), at most `%s` "
                  "bytes (0: all of it), and returns the number of bytes "
                  "received.\n\n", rfn_name(&into), into.p[into.into].name,
                  into.p[f->params[into.into].len_param].name);
        rfn_free(&into);
    }
    if (f->blocking)
        sb_puts(b, "**Blocking**: runs without the GVL; `Thread#kill`, "
                "`Thread#raise`, `Timeout.timeout` and trap handlers "
                "interrupt it, otherwise an interrupted call goes on with "
                "the time left.\n\n");
    ref_raises(&r, b);
    rfn_free(&r);
}

static void ruby_ref_package(const struct model *m, struct sbuf *b)
{
    size_t h, n = 0;

    sb_puts(b, "## The gem\n\n"
            "- `Polysock`: the module functions below, the platform's "
            "constants (`Polysock::AF_INET`, ...: every name of the "
            "library's table that starts with one of `CONSTANT_PREFIXES`, "
            "the IDL's constant groups), `VERSION` (the gem), "
            "`library_version` (the C library loaded) and "
            "`ABI_FINGERPRINT`.\n- Classes, one per handle type that has "
            "a close method (a garbage-collected object is closed by a "
            "finalizer): ");
    for (h = 0; h < m->nhandles; h++) {
        if (!has_class(m, (int)h))
            continue;
        sb_puts(b, n++ ? ", `Polysock::" : "`Polysock::");
        camel(b, m->handles[h].name);
        sb_putc(b, '`');
    }
    sb_puts(b, ".  Their methods are generated in a module the class "
            "includes, so the hand-written part overrides one by calling "
            "`super`.\n"
            "- `Polysock::Raw`: every C function as a module function over "
            "Integer handles (nothing closes them for you), as listed "
            "with each entry below.\n"
            "- Hand-written (`bindings/ruby/lib/polysock.rb`, typed in "
            "`sig/polysock_sugar.rbs`; see `docs/architecture.md`, *Ruby "
            "and Node bindings*): addresses, the list results of "
            "`getaddrinfo`, `gethostbyname_ex` and `gethostbyaddr` as "
            "arrays, `Polysock::SocketType`, `Socket.open(...) { |s| ... }` "
            "(closed when the block ends), `Socket#to_io` (for "
            "`IO.select`), `Socket#getsockopt(level, optname, buflen = "
            "nil)` (an Integer, or a String of at most `buflen` bytes), "
            "`Socket#setsockopt(level, optname, value)` (an Integer, true "
            "or false, or a String), `Socket#read`, `readpartial`, `gets`, "
            "`write`, `<<` and `puts`.  Its entries are marked below.\n"
            "- Everything else is generated from the IDL by polysock-gen "
            "(`gen/backend_ruby.c`): `lib/polysock/version.rb`, "
            "`native.rb`, `errors.rb`, `raw.rb`, `api.rb` and "
            "`sig/polysock.rbs`, whose RBS types this reference shows.\n\n"
            "Addresses are Ruby values: `[host, port]` for AF_INET, "
            "`[host, port, flowinfo, scope_id]` for AF_INET6, a path String "
            "for AF_UNIX (a leading `\"\\0\"` makes an abstract name), "
            "`[pid, groups]` for AF_NETLINK.  Data is a binary String.\n\n"
            "Blocking functions are attached with `blocking: true`: they "
            "run without the GVL, and every Ruby thread opts in to the "
            "core's interrupt mode, so Ruby's interrupts (`Thread#kill`, "
            "`Thread#raise`, `Timeout.timeout`, trap handlers) end a "
            "waiting call; when none raises, the call is repeated with the "
            "time that is left.\n\n");
}

static void ruby_ref_errclasses(const struct model *m, struct sbuf *b)
{
    size_t i;

    sb_puts(b, "## Error classes\n\n`Polysock::Error < StandardError` "
            "carries `errno` (the platform's number, or nil), `code` "
            "(polysock's negative code), `errname` (\"ECONNREFUSED\", "
            "\"EAI_NONAME\", ...) and, from `sendall`, `bytes_sent`.  "
            "`Polysock::WaitReadable` and `Polysock::WaitWritable` are "
            "`Polysock::Error`s that include `IO::WaitReadable` and "
            "`IO::WaitWritable`: a non-blocking call that would wait raises "
            "one.  Every failure has one of these classes, which decides "
            "the exception:\n\n| Class | Ruby exception | `errno` |\n"
            "| --- | --- | --- |\n");
    for (i = 0; i < m->nerrclasses; i++) {
        const struct errmap *e = errmap_find(m->errclasses[i].name);

        sb_printf(b, "| `%s` | `", m->errclasses[i].name);
        ref_exception(b, e->ruby);
        sb_printf(b, "` | %s |\n",
                  e->ruby[0] == ':' ? "none (Ruby's own exception)"
                  : e->with_errno ? "the native number" : "nil");
    }
    sb_putc(b, '\n');
}

int ruby_reference(const struct model *m, struct sbuf *b)
{
    char fp[FINGERPRINT_HEX_LEN + 1];
    size_t h, i;

    for (i = 0; i < m->nerrclasses; i++)
        if (errmap_find(m->errclasses[i].name) == NULL) {
            fprintf(stderr, "polysock-gen: ruby reference: no Ruby exception "
                    "for errclass '%s' (add it to errmap in "
                    "gen/backend_ruby.c)\n", m->errclasses[i].name);
            return -1;
        }
    fingerprint_hex(m, fp);
    sb_printf(b, "# %s Ruby API reference\n\n"
              "<!-- Generated by polysock-gen from %s: do not edit. -->\n\n"
              "`require \"%s\"` (version %s, ABI fingerprint `%s`): the "
              "reference's socket module for Ruby on lib%s, through the "
              "ffi gem.\n\n", m->name, path_basename(m->path), m->name,
              m->version, fp, m->name);
    ruby_ref_package(m, b);
    ruby_ref_errclasses(m, b);
    sb_puts(b, "## Module functions\n\n`Polysock.NAME` (generated in "
            "`Polysock::API`, which `Polysock` extends); the `Polysock::Raw` "
            "form is shown where it differs.\n\n");
    for (i = 0; i < m->nfns; i++)
        if (m->fns[i].method_of < 0)
            ruby_ref_entry(m, &m->fns[i], b);
    for (h = 0; h < m->nhandles; h++) {
        if (has_class(m, (int)h)) {
            struct sbuf cls;

            sb_init(&cls);
            camel(&cls, m->handles[h].name);
            sb_printf(b, "## Polysock::%s\n\n%s  The methods are those of "
                      "`Polysock::API::%sMethods`, which the class "
                      "includes; each is also `Polysock::Raw.NAME(handle, "
                      "...)`.\n\n", cls.s, m->handles[h].doc, cls.s);
            sb_free(&cls);
        } else {
            sb_printf(b, "## %s methods\n\n%s  No Ruby class wraps it (it "
                      "has no close method): its methods are functions of "
                      "`Polysock::Raw` that take the Integer handle "
                      "first.\n\n", m->handles[h].name, m->handles[h].doc);
        }
        for (i = 0; i < m->nfns; i++)
            if (m->fns[i].method_of == (int)h)
                ruby_ref_entry(m, &m->fns[i], b);
    }
    return 0;
}
