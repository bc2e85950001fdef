/*
 * backend_node.c - the Node binding's generated layer and its TypeScript
 * typings.
 *
 * Writes, under bindings/node/:
 *
 *   package.json      the package "polysock" (exports "." and "./promises");
 *   lib/generated.js  the model as data (fingerprint, version, error
 *                     classes and codes, constgroups, record layouts, the C
 *                     signature of every fn for the FFI), and build(): one
 *                     wrapper per fn (argument checks, the call, errors to
 *                     exceptions, results to JS values) over raw handles,
 *                     an asynchronous twin of each blocking fn for libuv's
 *                     pool, one class per handle type for the synchronous
 *                     API and one for the Promise API;
 *   index.d.ts        the typings of require("polysock");
 *   promises.d.ts     the typings of require("polysock/promises");
 *
 * and renders docs/api/node.md for the docs backend (node_reference, at
 * the end), from the same helpers as the wrappers and the typings.
 *
 * What the IDL cannot say stays hand-written in bindings/node/lib/ (see
 * bindings/node/README.md): the two FFI adapters (koffi, ffi-napi), the
 * argument conversions and the error objects (runtime.js), the shape of a
 * socket address (addr.js), the parking of waiting Promise calls on the
 * core's poller (park.js) and a few functions whose JavaScript form is not
 * the C one (sugar.js: getaddrinfo's list, getsockopt/setsockopt, ...).  The
 * table `sugar` below names each of those and gives its TypeScript
 * signature, so the typings stay complete; the generated code checks at load
 * that sugar.js provides exactly these names.
 *
 * The wrappers are on the hot path of every call: straight-line code over
 * constants bound once in build(), with per-fn scratch buffers for the out
 * parameters of synchronous calls (JavaScript runs them one at a time) and
 * fresh ones for asynchronous calls.  Out strings and record arrays whose
 * capacity the caller gives use their scratch buffer too when it is large
 * enough (runtime.js outScratch): a fresh Buffer per call costs about a
 * microsecond, more than a poller_wait.
 */
#include "backends.h"
#include "fingerprint.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PKG "bindings/node/"

/* ---- What stays hand-written ---------------------------------------------- */

/* Records converted by a hand-written codec (lib/addr.js) instead of the
 * generic object: a socket address is an array, a path or a Buffer,
 * depending on the family, which the IDL does not describe. */
static const struct {
    const char *record;
    const char *module;  /* the key in runtime.custom */
    const char *ts_type; /* its TypeScript type */
    const char *ts_decl; /* the declaration of that type */
} custom_records[] = {
    {"addr", "addr", "Address",
     "/** A socket address: [host, port] (AF_INET), [host, port, flowinfo,\n"
     " * scope_id] (AF_INET6), a path string or Buffer (AF_UNIX; a leading NUL\n"
     " * byte is a Linux abstract name, returned as a Buffer), [pid, groups]\n"
     " * (AF_NETLINK). */\n"
     "type Address =\n"
     "    | [host: string, port: number]\n"
     "    | [host: string, port: number, flowinfo: number, scope_id: number]\n"
     "    | string\n"
     "    | Buffer\n"
     "    | [pid: number, groups: number];\n"},
};

/* Members whose JavaScript form is hand-written: owner NULL is the module,
 * else a handle type.  ts is the member declaration with RET standing for
 * the result type, wrapped in Promise<> for the Promise API, and P? for
 * "Promise" in a hand-written type's name in the Promise API; a property
 * (no parenthesis) is the same in both APIs.  file is where the member is
 * written when not in lib/sugar.js (whose members runtime.js checks against
 * exports.sugar). */
static const struct sugar {
    const char *owner;
    const char *name;
    const char *ts;
    const char *file;
} sugar[] = {
    {NULL, "version",
     "/** The version of the library loaded, \"MAJOR.MINOR.PATCH\". */\n"
     "readonly version: string;", NULL},
    {NULL, "has_ipv6",
     "/** True when the platform can create AF_INET6 sockets. */\n"
     "readonly has_ipv6: boolean;", NULL},
    {NULL, "getaddrinfo",
     "/** Resolve host and port into [family, socktype, proto, canonname,\n"
     " * sockaddr] entries.  port is a service name, a number or null. */\n"
     "getaddrinfo(host?: string | null, port?: string | number | null, "
     "family?: number, socktype?: number, proto?: number, flags?: number): "
     "RET<AddrinfoEntry[]>;", NULL},
    {NULL, "gethostbyname_ex",
     "/** [hostname, aliases, IPv4 addresses] of a host name. */\n"
     "gethostbyname_ex(name: string): RET<HostEntry>;", NULL},
    {NULL, "gethostbyaddr",
     "/** [hostname, aliases, addresses] of the host at an address. */\n"
     "gethostbyaddr(ip: string): RET<HostEntry>;", NULL},
    {NULL, "ssl",
     "/** Wrap a connected socket in TLS, secure by default: ssl(sock,\n"
     " * options) or the reference's ssl(sock, keyfile, certfile). */\n"
     "readonly ssl: P?SSLFunction<PolysockSocket>;\n"
     "/** The class of ssl()'s objects. */\n"
     "readonly SSLObject: typeof $SSLObject;",
     "lib/ssl.js"},
    {"socket", "getsockopt",
     "/** An integer option, or with buflen (1..1024) the option as bytes. */\n"
     "getsockopt(level: number, optname: number): RET<number>;\n"
     "getsockopt(level: number, optname: number, buflen: number): "
     "RET<Buffer>;", NULL},
    {"socket", "setsockopt",
     "/** Set an option from an integer (or boolean) or from bytes. */\n"
     "setsockopt(level: number, optname: number, value: number | boolean | "
     "BytesLike): RET<void>;", NULL},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Declarations every typings file holds besides the generated ones. */
static const char ts_common[] =
    "/** Data to send: a Buffer or any view of bytes; a string is sent as\n"
    " * UTF-8. */\n"
    "type BytesLike = Buffer | ArrayBufferView | ArrayBuffer | string;\n"
    "/** One getaddrinfo result. */\n"
    "type AddrinfoEntry = [family: number, socktype: number, proto: number, "
    "canonname: string, sockaddr: Address];\n"
    "/** The result of gethostbyname_ex and gethostbyaddr. */\n"
    "type HostEntry = [hostname: string, aliases: string[], addresses: "
    "string[]];\n"
    "/** The errors this module throws (or rejects with): Error for OS,\n"
    " * resolver, timeout and bad-handle errors (with code: \"ECONNREFUSED\",\n"
    " * \"EAI_NONAME\", \"HOST_NOT_FOUND\", \"ETIMEDOUT\", \"EBADF\", ...; errno:\n"
    " * negative, as in net; syscall: the function), TypeError and RangeError\n"
    " * for bad arguments. */\n"
    "interface PolysockError extends Error {\n"
    "    code: string;\n"
    "    errno?: number;\n"
    "    syscall: string;\n"
    "    /** sendall: the bytes sent before the failure. */\n"
    "    bytesSent?: number;\n"
    "}\n";

/* ---- Small helpers -------------------------------------------------------- */

static void ind(struct sbuf *b, int depth)
{
    int i;

    for (i = 0; i < depth; i++)
        sb_puts(b, "    ");
}

static void ln(struct sbuf *b, int depth, const char *fmt, ...)
    GEN_PRINTF(3, 4);

static void ln(struct sbuf *b, int depth, const char *fmt, ...)
{
    va_list ap;

    ind(b, depth);
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
    sb_putc(b, '\n');
}

static const char *const js_reserved[] = {
    "arguments", "await", "break", "case", "catch", "class", "const",
    "continue", "debugger", "default", "delete", "do", "else", "enum", "eval",
    "export", "extends", "false", "finally", "for", "function", "if",
    "implements", "import", "in", "instanceof", "interface", "let", "new",
    "null", "package", "private", "protected", "public", "return", "static",
    "super", "switch", "this", "throw", "true", "try", "typeof", "undefined",
    "var", "void", "while", "with", "yield",
};

/* A parameter name as a JavaScript identifier (IDL identifiers never hold
 * '$', which the generated code keeps for its own names). */
static const char *js_id(const char *name)
{
    static char buf[128];
    size_t i;

    for (i = 0; i < NELEM(js_reserved); i++)
        if (strcmp(name, js_reserved[i]) == 0) {
            snprintf(buf, sizeof buf, "%s_", name);
            return buf;
        }
    return name;
}

/* "socket" -> "Socket", "addrinfo" -> "Addrinfo". */
static void class_name(const char *name, struct sbuf *b)
{
    sb_putc(b, (char)(name[0] >= 'a' && name[0] <= 'z' ? name[0] - 32
                                                          : name[0]));
    sb_puts(b, name + 1);
}

static int custom_record(const struct model *m, int index)
{
    size_t i;

    for (i = 0; i < NELEM(custom_records); i++)
        if (strcmp(custom_records[i].record, m->records[index].name) == 0)
            return (int)i;
    return -1;
}

static bool is_sugar(const char *owner, const char *name)
{
    size_t i;

    for (i = 0; i < NELEM(sugar); i++)
        if (strcmp(sugar[i].name, name) == 0 &&
            ((owner == NULL && sugar[i].owner == NULL) ||
             (owner != NULL && sugar[i].owner != NULL &&
              strcmp(owner, sugar[i].owner) == 0)))
            return true;
    return false;
}

/* ---- Record layout (the C ABI of every supported platform: LP64, each
 * scalar aligned to its size, char arrays to 1) --------------------------- */

static size_t kind_size(enum type_kind k)
{
    switch (k) {
    case TY_U16:
        return 2;
    case TY_INT:
    case TY_I32:
    case TY_U32:
        return 4;
    case TY_CHAR:
        return 1;
    default:
        return 8; /* i64, u64, size, double, handle */
    }
}

static size_t field_offset(const struct record *r, size_t index, size_t *size)
{
    size_t off = 0, i, max_align = 1;

    for (i = 0; i < r->nfields; i++) {
        const struct field *fd = &r->fields[i];
        size_t a = kind_size(fd->type.kind);
        size_t n = fd->array_len > 0 ? a * (size_t)fd->array_len : a;

        if (a > max_align)
            max_align = a;
        off = (off + a - 1) / a * a;
        if (i == index)
            return off;
        off += n;
    }
    if (size != NULL)
        *size = (off + max_align - 1) / max_align * max_align;
    return off;
}

static size_t record_size(const struct record *r)
{
    size_t size;

    field_offset(r, r->nfields, &size);
    return size;
}

/* ---- Parameter roles ------------------------------------------------------ */

enum role {
    R_SELF,        /* the handle a method is called on */
    R_IN,          /* an argument the caller gives */
    R_LEN,         /* the length of an in buffer: taken from the buffer */
    R_CAP,         /* the capacity of an out buffer, given by the caller */
    R_CAP_DEFAULT, /* the capacity of an out buffer, from its default */
    R_OUT,         /* a result */
    R_OUT_COUNT,   /* fills/partial: consumed by the wrapper */
    R_INTO,        /* an _into variant's buffer: the caller's, received
                      into in place */
    R_INTO_LEN     /* how much of it to fill (0, the default: all of it) */
};

static enum role role_of(const struct fn *f, size_t i)
{
    const struct param *p = &f->params[i];

    if (i == 0 && f->method_of >= 0)
        return R_SELF;
    if (p->dir == DIR_OUT)
        return p->fills >= 0 || p->partial >= 0 ? R_OUT_COUNT : R_OUT;
    if (p->len_of >= 0) {
        if (f->params[p->len_of].dir == DIR_IN)
            return R_LEN;
        return p->def.kind == DEF_NONE ? R_CAP : R_CAP_DEFAULT;
    }
    return R_IN;
}

/* The role of param i in fn f (into -1) or in its _into variant (into: the
 * out bytes buffer the caller gives, model_into_buffer): recv_into(buffer,
 * nbytes = 0, flags = 0) receives into the caller's buffer and returns the
 * count recv consumes to cut its result. */
static enum role variant_role(const struct fn *f, int into, size_t i)
{
    const struct param *p = &f->params[i];

    if (into >= 0) {
        if ((int)i == into)
            return R_INTO;
        if (p->len_of == into)
            return R_INTO_LEN;
        if (p->fills == into)
            return R_OUT;
    }
    return role_of(f, i);
}

/* What the names of an _into variant add to its fn's ("" for the fn). */
static const char *variant_suffix(int into)
{
    return into >= 0 ? "_into" : "";
}

/* The JavaScript name of fn f, or of its _into variant: a method's own
 * name (method) or the fn's ("poller_wait", as raw and the cores name it). */
static void js_fn_name(const struct fn *f, int into, bool method,
                       struct sbuf *b)
{
    sb_printf(b, "%s%s", method ? f->method_name : f->name,
              variant_suffix(into));
}

/* The JavaScript name of param i (the _into variant's are Python's). */
static const char *js_param_name(const struct fn *f, int into, size_t i)
{
    switch (variant_role(f, into, i)) {
    case R_INTO: return "buffer";
    case R_INTO_LEN: return "nbytes";
    default: return js_id(f->params[i].name);
    }
}

/* The JavaScript functions fn f makes: f itself (into -1), then its _into
 * variant when it has one (into: its buffer).  Returns how many. */
static int variants_of(const struct fn *f, int into[2])
{
    into[0] = -1;
    into[1] = model_into_buffer(f);
    return into[1] >= 0 ? 2 : 1;
}

static bool visible(enum role r)
{
    return r == R_SELF || r == R_IN || r == R_CAP || r == R_INTO ||
           r == R_INTO_LEN;
}

static bool optional_param(const struct fn *f, int into, size_t i)
{
    const struct param *p = &f->params[i];
    enum role r = variant_role(f, into, i);

    return r == R_INTO_LEN ||
           (r == R_IN && (p->def.kind != DEF_NONE ||
                          (p->optional && p->type.kind == TY_STRING)));
}

/* Is an optional parameter followed by a required one (sendto's flags)? */
static bool defaults_not_trailing(const struct fn *f, int into)
{
    bool seen_optional = false;
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        if (!visible(variant_role(f, into, i)))
            continue;
        if (optional_param(f, into, i))
            seen_optional = true;
        else if (seen_optional)
            return true;
    }
    return false;
}

static size_t count_outputs(const struct fn *f, int into)
{
    size_t i, n = 0;

    for (i = 0; i < f->nparams; i++)
        if (variant_role(f, into, i) == R_OUT)
            n++;
    if (!f->returns_status && f->ret != TY_VOID)
        n++;
    return n;
}

/* The partial (progress) out size of fn, or -1. */
static int partial_param(const struct fn *f)
{
    size_t i;

    for (i = 0; i < f->nparams; i++)
        if (f->params[i].partial >= 0)
            return (int)i;
    return -1;
}

/* The "close" method of a handle type (what its finalizer calls), or -1. */
static int close_fn(const struct model *m, int handle)
{
    size_t i;

    for (i = 0; i < m->nfns; i++)
        if (m->fns[i].method_of == handle &&
            strcmp(m->fns[i].method_name, "close") == 0)
            return (int)i;
    return -1;
}

/* Is the fn's shape one this backend knows how to wrap?  Prints why not. */
static int check_supported(const struct model *m, const struct fn *f)
{
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        enum type_kind k = p->type.kind;

        if (p->dir == DIR_IN && k == TY_RECORD && p->len_param >= 0) {
            diag(m->path, p->loc.line, p->loc.col, "node backend: an in "
                 "array of records ('%s') is not supported", p->name);
            return -1;
        }
        if (p->dir == DIR_OUT && k == TY_BYTES && p->len_param < 0) {
            diag(m->path, p->loc.line, p->loc.col, "node backend: out "
                 "bytes '%s' without a capacity", p->name);
            return -1;
        }
    }
    if (!f->returns_status && count_outputs(f, -1) > 1) {
        diag(m->path, f->loc.line, f->loc.col, "node backend: fn '%s' has "
             "both a return value and out parameters", f->name);
        return -1;
    }
    return 0;
}

/* ---- C signatures for the FFI --------------------------------------------- */

static const char *ffi_type(enum type_kind k)
{
    switch (k) {
    case TY_VOID: return "void";
    case TY_INT: return "int";
    case TY_I32: return "i32";
    case TY_I64: return "i64";
    case TY_U16: return "u16";
    case TY_U32: return "u32";
    case TY_U64: return "u64";
    case TY_SIZE: return "size";
    case TY_DOUBLE: return "double";
    case TY_STRING: return "str";
    case TY_HANDLE: return "u64";
    default: return "ptr"; /* bytes, records */
    }
}

static void signature(const struct fn *f, struct sbuf *b)
{
    size_t i;

    sb_printf(b, "['%s', '%s'", f->name,
              f->returns_status ? "int"
              : f->ret == TY_STRING ? "cstr" : ffi_type(f->ret));
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];

        sb_printf(b, ", '%s'", p->dir == DIR_OUT ? "ptr" : ffi_type(p->type.kind));
    }
    sb_puts(b, "]");
}

/* ---- package.json ----------------------------------------------------------- */

static int gen_package(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, PKG "package.json");

    sb_puts(b, "{\n");
    sb_printf(b, "  \"name\": \"%s\",\n", m->name);
    sb_printf(b, "  \"version\": \"%s\",\n", m->version);
    sb_puts(b, "  \"description\": \"The socket module of the reference "
            "(Python 2.5's socket) for Node, on libpolysock: a synchronous "
            "API and a Promise API.\",\n");
    sb_puts(b, "  \"license\": \"MIT\",\n");
    sb_puts(b, "  \"main\": \"lib/index.js\",\n");
    sb_puts(b, "  \"types\": \"index.d.ts\",\n");
    sb_puts(b, "  \"exports\": {\n");
    sb_puts(b, "    \".\": {\n      \"types\": \"./index.d.ts\",\n"
            "      \"default\": \"./lib/index.js\"\n    },\n");
    sb_puts(b, "    \"./promises\": {\n      \"types\": \"./promises.d.ts\",\n"
            "      \"default\": \"./lib/promises.js\"\n    },\n");
    sb_puts(b, "    \"./package.json\": \"./package.json\"\n  },\n");
    sb_puts(b, "  \"files\": [\"lib/\", \"index.d.ts\", \"promises.d.ts\", "
            "\"README.md\"],\n");
    sb_puts(b, "  \"engines\": {\"node\": \">=18\"},\n");
    sb_puts(b, "  \"dependencies\": {\n    \"koffi\": \"^3.3.4\"\n  },\n");
    sb_puts(b, "  \"optionalDependencies\": {\n"
            "    \"@2060.io/ffi-napi\": \"^4.0.9\",\n"
            "    \"@2060.io/ref-napi\": \"^3.0.6\"\n  }\n");
    sb_puts(b, "}\n");
    return emit_end(out);
}

/* ---- lib/generated.js: data ------------------------------------------------- */

static void gen_data(const struct model *m, struct sbuf *b)
{
    char fp[FINGERPRINT_HEX_LEN + 1];
    size_t i, j;

    fingerprint_hex(m, fp);
    sb_printf(b, "exports.name = '%s';\n", m->name);
    sb_printf(b, "exports.version = '%s';\n", m->version);
    sb_printf(b, "exports.fingerprint = '%s';\n\n", fp);

    sb_puts(b, "// Platform constants: every name of the library's table "
            "with one of these\n// prefixes (a prefix may be a whole "
            "name).\nexports.constgroups = [");
    for (i = 0; i < m->nconstgroups; i++)
        sb_printf(b, "%s'%s'", i ? ", " : "", m->constgroups[i].prefix);
    sb_puts(b, "];\n\n");

    sb_puts(b, "exports.errclasses = {\n");
    for (i = 0; i < m->nerrclasses; i++)
        sb_printf(b, "    %s: %lld,\n", m->errclasses[i].name,
                  m->errclasses[i].value);
    sb_puts(b, "};\n\n");

    sb_puts(b, "exports.errors = {\n");
    for (i = 0; i < m->nerrors; i++)
        sb_printf(b, "    %s: %lld,\n", m->errors[i].name, m->errors[i].value);
    sb_puts(b, "};\n\n");

    sb_puts(b, "// Record layouts: size, and per field [offset, kind, array "
            "length].\nexports.records = {\n");
    for (i = 0; i < m->nrecords; i++) {
        const struct record *r = &m->records[i];

        sb_printf(b, "    %s: {\n        size: %zu,\n        fields: {\n",
                  r->name, record_size(r));
        for (j = 0; j < r->nfields; j++) {
            const struct field *fd = &r->fields[j];

            sb_printf(b, "            %s: [%zu, '%s', %lld],\n", fd->name,
                      field_offset(r, j, NULL),
                      fd->type.kind == TY_CHAR ? "char"
                                               : ffi_type(fd->type.kind),
                      fd->array_len);
        }
        sb_puts(b, "        },\n    },\n");
    }
    sb_puts(b, "};\n\n");

    sb_puts(b, "// The C signature of every fn: [name, return, params...].\n"
            "// int i32 i64 u16 u32 u64 size double: numbers; str: const char "
            "* (in);\n// cstr: const char * (returned); ptr: a buffer, record "
            "or out parameter.\nexports.signatures = [\n");
    for (i = 0; i < m->nfns; i++) {
        sb_puts(b, "    ");
        signature(&m->fns[i], b);
        sb_puts(b, ",\n");
    }
    sb_puts(b, "];\n\n");

    sb_puts(b, "// Members written by hand in sugar.js: [owner (null: the "
            "module), name].\nexports.sugar = [\n");
    for (i = 0; i < NELEM(sugar); i++) {
        if (sugar[i].file != NULL)
            continue;
        if (sugar[i].owner != NULL)
            sb_printf(b, "    ['%s', '%s'],\n", sugar[i].owner, sugar[i].name);
        else
            sb_printf(b, "    [null, '%s'],\n", sugar[i].name);
    }
    sb_puts(b, "];\n\n");
}

/* ---- lib/generated.js: the wrappers ------------------------------------------ */

/* The JS expression converting argument `v` of parameter p. */
static void convert_in(const struct model *m, const struct fn *f, size_t i,
                       struct sbuf *b)
{
    const struct param *p = &f->params[i];
    const char *v = js_id(p->name);
    const char *conv = NULL;
    bool nonneg = p->null_value.kind != DEF_NONE;
    struct sbuf e;

    sb_init(&e);
    switch (p->type.kind) {
    case TY_INT:
    case TY_I32: conv = "toInt"; break;
    case TY_I64: conv = "toI64"; break;
    case TY_U16: conv = "toU16"; break;
    case TY_U32: conv = "toU32"; break;
    case TY_U64: conv = "toU64"; break;
    case TY_SIZE: conv = "toSize"; break;
    case TY_DOUBLE: conv = "toDouble"; break;
    default: break;
    }
    if (conv != NULL) {
        sb_printf(&e, "%s(%s, '%s'%s)", conv, v, p->name, nonneg ? ", true" : "");
    } else if (p->type.kind == TY_STRING) {
        sb_printf(&e, "toStr(%s, '%s', %s)", v, p->name,
                  p->optional ? "true" : "false");
    } else if (p->type.kind == TY_BYTES) {
        sb_printf(&e, "toBytes(%s, '%s')", v, p->name);
    } else if (p->type.kind == TY_HANDLE) {
        sb_printf(&e, "toHandle(%s, '%s')", v, p->name);
    } else if (p->type.kind == TY_RECORD) {
        int c = custom_record(m, p->type.index);

        if (c >= 0)
            sb_printf(&e, "$custom_%s.encode(%s, $scr, '%s')",
                      custom_records[c].module, v, p->name);
        else
            sb_printf(&e, "$enc_%s(%s, $scr, '%s')",
                      m->records[p->type.index].name, v, p->name);
    }
    if (p->null_value.kind != DEF_NONE) {
        struct sbuf t;

        sb_init(&t);
        sb_printf(&t, "%s === null ? %s : %s", v, p->null_value.text, e.s);
        sb_clear(&e);
        sb_puts(&e, t.s);
        sb_free(&t);
    }
    if (p->def.kind != DEF_NONE) {
        if (p->def.kind == DEF_CONST)
            sb_printf(b, "%s === undefined ? $C_%s : %s", v, p->def.text, e.s);
        else if (p->def.kind == DEF_INT &&
                 (p->def.i > 9007199254740991LL || p->def.i < -9007199254740991LL))
            sb_printf(b, "%s === undefined ? %lldn : %s", v, p->def.i, e.s);
        else
            sb_printf(b, "%s === undefined ? %s : %s", v, p->def.text, e.s);
    } else {
        sb_puts(b, e.s);
    }
    sb_free(&e);
}

/* The scratch buffer name of an in record (its encoder writes into it). */
static void record_scratch(const struct fn *f, size_t i, bool async,
                           const struct model *m, struct sbuf *b)
{
    if (async)
        sb_printf(b, "Buffer.alloc(%zu)",
                  record_size(&m->records[f->params[i].type.index]));
    else
        sb_printf(b, "$%s_s%zu", f->name, i);
}

/* Does out param i of f use a per-fn scratch buffer in synchronous calls? */
static bool uses_scratch(const struct fn *f, size_t i)
{
    const struct param *p = &f->params[i];
    enum role r = role_of(f, i);

    if (r == R_IN)
        return p->type.kind == TY_RECORD;
    if (r == R_OUT_COUNT)
        return true;
    if (r != R_OUT)
        return false;
    if (p->type.kind == TY_BYTES)
        return false; /* handed to the caller: always fresh */
    if (p->len_param >= 0) /* out string / record array */
        return role_of(f, (size_t)p->len_param) == R_CAP_DEFAULT &&
               p->type.kind == TY_STRING;
    return true; /* scalar, handle, single record */
}

/* The size of the scratch buffer of an out string or record array whose
 * capacity the caller gives; larger capacities get a fresh buffer. */
#define CAP_SCRATCH_BYTES 1024

/* Is out param i of f a string or record array, decoded before the call
 * returns, whose capacity the caller gives?  A synchronous call passes its
 * scratch buffer when the capacity fits (runtime.js outScratch). */
static bool uses_cap_scratch(const struct fn *f, size_t i)
{
    const struct param *p = &f->params[i];

    return role_of(f, i) == R_OUT && p->type.kind != TY_BYTES &&
           p->len_param >= 0 && role_of(f, (size_t)p->len_param) == R_CAP;
}

/* The byte size of the scratch buffer of param i. */
static void scratch_size(const struct model *m, const struct fn *f, size_t i,
                         struct sbuf *b)
{
    const struct param *p = &f->params[i];

    if (p->type.kind == TY_RECORD && p->len_param < 0)
        sb_printf(b, "%zu", record_size(&m->records[p->type.index]));
    else if (p->len_param >= 0) /* out string with a default capacity */
        sb_puts(b, f->params[p->len_param].def.text);
    else
        sb_puts(b, "8");
}

/* Declare the scratch buffers of f (module level of build()). */
static void gen_scratch(const struct model *m, const struct fn *f,
                        struct sbuf *b)
{
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        if (uses_cap_scratch(f, i)) {
            ln(b, 1, "const $%s_s%zu = Buffer.alloc(%d);", f->name, i,
               CAP_SCRATCH_BYTES);
            continue;
        }
        if (!uses_scratch(f, i))
            continue;
        ind(b, 1);
        sb_printf(b, "const $%s_s%zu = Buffer.alloc(", f->name, i);
        scratch_size(m, f, i, b);
        sb_puts(b, ");\n");
    }
}

/* The decoded value of out param i (after a successful call). */
static void decode_out(const struct model *m, const struct fn *f, size_t i,
                       struct sbuf *b)
{
    const struct param *p = &f->params[i];
    size_t k = i;

    switch (p->type.kind) {
    case TY_INT:
    case TY_I32: sb_printf(b, "$a%zu.readInt32LE(0)", k); break;
    case TY_U16: sb_printf(b, "$a%zu.readUInt16LE(0)", k); break;
    case TY_U32: sb_printf(b, "$a%zu.readUInt32LE(0)", k); break;
    case TY_I64: sb_printf(b, "i64($a%zu, 0)", k); break;
    case TY_U64:
    case TY_SIZE:
    case TY_HANDLE: sb_printf(b, "u64($a%zu, 0)", k); break;
    case TY_DOUBLE:
        if (p->null_value.kind != DEF_NONE)
            sb_printf(b, "nullIf($a%zu.readDoubleLE(0), %s)", k,
                      p->null_value.text);
        else
            sb_printf(b, "$a%zu.readDoubleLE(0)", k);
        break;
    case TY_STRING: sb_printf(b, "cstr($a%zu)", k); break;
    case TY_BYTES:
        if (p->filled_by >= 0)
            sb_printf(b, "fit($a%zu, u64($a%d, 0))", k, p->filled_by);
        else
            sb_printf(b, "$a%zu", k);
        break;
    case TY_RECORD: {
        int c = custom_record(m, p->type.index);
        const char *rn = m->records[p->type.index].name;

        if (p->len_param < 0) {
            if (c >= 0)
                sb_printf(b, "$custom_%s.decode($a%zu, 0)",
                          custom_records[c].module, k);
            else
                sb_printf(b, "$dec_%s($a%zu, 0)", rn, k);
        } else {
            const char *dec = c >= 0 ? custom_records[c].module : rn;

            if (p->filled_by >= 0)
                sb_printf(b, "$decArray($a%zu, u64($a%d, 0), %zu, %s%s)", k,
                          p->filled_by, record_size(&m->records[p->type.index]),
                          c >= 0 ? "$custom_" : "$dec_", dec);
            else
                sb_printf(b, "$decArray($a%zu, $a%d, %zu, %s%s)", k,
                          p->len_param, record_size(&m->records[p->type.index]),
                          c >= 0 ? "$custom_" : "$dec_", dec);
            if (c >= 0)
                sb_puts(b, ".decode");
        }
        break;
    }
    default:
        sb_puts(b, "undefined");
        break;
    }
}

/* The argument conversions and buffer allocations of a core wrapper. */
static void gen_prologue(const struct model *m, const struct fn *f, int into,
                         bool async, struct sbuf *b)
{
    size_t i;

    /* Pass 1: what the caller gives. */
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        enum role r = variant_role(f, into, i);

        if (r == R_SELF) {
            ln(b, 2, "const $a%zu = toHandle(self, 'self');", i);
        } else if (r == R_IN) {
            ind(b, 2);
            if (p->type.kind == TY_RECORD) {
                struct sbuf scr;

                sb_init(&scr);
                record_scratch(f, i, async, m, &scr);
                sb_printf(b, "const $a%zu = ", i);
                /* the encoder writes into $scr: substitute its name */
                {
                    struct sbuf e;
                    char *at;

                    sb_init(&e);
                    convert_in(m, f, i, &e);
                    at = strstr(e.s, "$scr");
                    sb_putn(b, e.s, (size_t)(at - e.s));
                    sb_puts(b, scr.s);
                    sb_puts(b, at + 4);
                    sb_free(&e);
                }
                sb_free(&scr);
            } else {
                sb_printf(b, "const $a%zu = ", i);
                convert_in(m, f, i, b);
            }
            sb_puts(b, ";\n");
        } else if (r == R_CAP) {
            ln(b, 2, "const $a%zu = toCap(%s, '%s');", i, js_id(p->name),
               p->name);
        } else if (r == R_INTO) {
            /* The library receives straight into the caller's memory;
             * nbytes is checked against it, before the arguments after. */
            ln(b, 2, "const $a%zu = toWritable(buffer, 'buffer');", i);
            ln(b, 2, "const $a%d = toFillLen(nbytes, $a%zu, 'nbytes');",
               p->len_param, i);
        }
    }
    /* Pass 2: lengths and default capacities. */
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        enum role r = variant_role(f, into, i);

        if (r == R_LEN)
            ln(b, 2, "const $a%zu = bytesLen($a%d);", i, p->len_of);
        else if (r == R_CAP_DEFAULT)
            ln(b, 2, "const $a%zu = %s;", i, p->def.text);
    }
    /* Pass 3: out storage (an _into variant's count and other results take
     * the fn's scratch buffers: synchronous calls run one at a time). */
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        enum role r = variant_role(f, into, i);

        if (r == R_OUT || r == R_OUT_COUNT) {
            if (!async && uses_scratch(f, i)) {
                ln(b, 2, "const $a%zu = $%s_s%zu;", i, f->name, i);
            } else if (p->len_param >= 0) {
                size_t unit = p->type.kind == TY_RECORD
                                  ? record_size(&m->records[p->type.index])
                                  : 1;
                if (!async && uses_cap_scratch(f, i))
                    ln(b, 2, "const $a%zu = outScratch($%s_s%zu, $a%d, %zu);",
                       i, f->name, i, p->len_param, unit);
                else
                    ln(b, 2, "const $a%zu = outBuf($a%d, %zu, %s);", i,
                       p->len_param, unit,
                       p->type.kind == TY_BYTES ? "false" : "true");
            } else {
                ind(b, 2);
                sb_printf(b, "const $a%zu = Buffer.alloc(", i);
                scratch_size(m, f, i, b);
                sb_puts(b, ");\n");
            }
        }
    }
}

static void call_args(const struct fn *f, struct sbuf *b)
{
    size_t i;

    for (i = 0; i < f->nparams; i++)
        sb_printf(b, "%s$a%zu", i ? ", " : "", i);
}

/* The error handling and result of a core wrapper; `done` is "return" or
 * "$r =" (async, followed by the callback).  Errors name the function the
 * caller called (.syscall). */
static void gen_epilogue(const struct model *m, const struct fn *f, int into,
                         int depth, bool async, struct sbuf *b)
{
    int part = partial_param(f);
    size_t i, nout = count_outputs(f, into);
    const char *done = async ? "$r =" : "return";
    bool first = true;
    struct sbuf name;

    sb_init(&name);
    js_fn_name(f, into, false, &name);

    if (f->returns_status) {
        ln(b, depth, "if ($rc !== 0) {");
        if (f->blocking) {
            ln(b, depth + 1, "if (again && wouldBlock($rc)) {");
            ln(b, depth + 2, "state.rc = $rc;");
            if (part >= 0)
                ln(b, depth + 2, "state.partial = u64($a%d, 0);", part);
            ln(b, depth + 2, "%s AGAIN;", done);
            if (async)
                ln(b, depth + 2, "return cb(null, $r);");
            ln(b, depth + 1, "}");
        }
        if (part >= 0)
            ln(b, depth + 1, "throw partialError($rc, '%s', u64($a%d, 0));",
               name.s, part);
        else
            ln(b, depth + 1, "throw error($rc, '%s');", name.s);
        ln(b, depth, "}");
    }
    sb_free(&name);
    ind(b, depth);
    if (nout == 0) {
        sb_printf(b, "%s undefined;\n", done);
        return;
    }
    sb_printf(b, "%s ", done);
    if (nout > 1)
        sb_puts(b, "[");
    for (i = 0; i < f->nparams; i++) {
        if (variant_role(f, into, i) != R_OUT)
            continue;
        if (!first)
            sb_puts(b, ", ");
        first = false;
        decode_out(m, f, i, b);
    }
    if (!f->returns_status && f->ret != TY_VOID) {
        if (!first)
            sb_puts(b, ", ");
        sb_puts(b, "$rc");
    }
    if (nout > 1)
        sb_puts(b, "]");
    sb_puts(b, ";\n");
}

/* The JS parameter list of a core wrapper: every visible parameter. */
static void core_params(const struct fn *f, int into, struct sbuf *b,
                        bool *any)
{
    size_t i;

    for (i = 0; i < f->nparams; i++) {
        enum role r = variant_role(f, into, i);

        if (!visible(r))
            continue;
        sb_printf(b, "%s%s", *any ? ", " : "",
                  r == R_SELF ? "self" : js_param_name(f, into, i));
        *any = true;
    }
}

/* _name(again?, ...): the synchronous core; _name_async(again, cb, ...): its
 * twin for libuv's pool (blocking fns only).  An _into variant (into >= 0)
 * is _name_into, over the same native function. */
static void gen_core(const struct model *m, const struct fn *f, int into,
                     bool async, struct sbuf *b)
{
    bool any = false;

    ind(b, 1);
    sb_printf(b, "function _%s%s%s(", f->name, variant_suffix(into),
              async ? "_async" : "");
    if (f->blocking) {
        sb_puts(b, async ? "again, cb" : "again");
        any = true;
    }
    core_params(f, into, b, &any);
    sb_puts(b, ") {\n");
    gen_prologue(m, f, into, async, b);
    if (!async) {
        ind(b, 2);
        if (f->returns_status || f->ret != TY_VOID)
            sb_puts(b, "const $rc = ");
        sb_printf(b, "N.%s(", f->name);
        call_args(f, b);
        sb_puts(b, ");\n");
        gen_epilogue(m, f, into, 2, false, b);
    } else {
        ind(b, 2);
        sb_printf(b, "N.%s.async(", f->name);
        call_args(f, b);
        sb_printf(b, "%s($e, $rc) => {\n", f->nparams ? ", " : "");
        /* koffi holds only the callback while a pool thread runs the
         * call: the caller's buffer stays reachable through it, or one
         * that nothing else references could be freed under the write. */
        if (into >= 0)
            ln(b, 3, "void $a%d; // the caller's buffer, alive until here",
               into);
        ln(b, 3, "if ($e) return cb($e);");
        ln(b, 3, "let $r;");
        ln(b, 3, "try {");
        gen_epilogue(m, f, into, 4, true, b);
        ln(b, 3, "} catch ($x) {");
        ln(b, 4, "return cb($x);");
        ln(b, 3, "}");
        ln(b, 3, "cb(null, $r);");
        ln(b, 2, "});");
    }
    ln(b, 1, "}");
}

/* Generic record codecs. */
static void gen_record_codecs(const struct model *m, struct sbuf *b)
{
    size_t i, j;

    for (i = 0; i < m->nrecords; i++) {
        const struct record *r = &m->records[i];

        if (custom_record(m, (int)i) >= 0)
            continue;
        ln(b, 1, "function $dec_%s($b, $o) {", r->name);
        ln(b, 2, "return {");
        for (j = 0; j < r->nfields; j++) {
            const struct field *fd = &r->fields[j];
            size_t off = field_offset(r, j, NULL);

            ind(b, 3);
            sb_printf(b, "%s: ", fd->name);
            switch (fd->type.kind) {
            case TY_INT:
            case TY_I32: sb_printf(b, "$b.readInt32LE($o + %zu)", off); break;
            case TY_U16: sb_printf(b, "$b.readUInt16LE($o + %zu)", off); break;
            case TY_U32: sb_printf(b, "$b.readUInt32LE($o + %zu)", off); break;
            case TY_I64: sb_printf(b, "i64($b, $o + %zu)", off); break;
            case TY_DOUBLE: sb_printf(b, "$b.readDoubleLE($o + %zu)", off); break;
            case TY_CHAR:
                sb_printf(b, "cstr($b.subarray($o + %zu, $o + %zu))", off,
                          off + (size_t)fd->array_len);
                break;
            default: sb_printf(b, "u64($b, $o + %zu)", off); break;
            }
            sb_puts(b, ",\n");
        }
        ln(b, 2, "};");
        ln(b, 1, "}");
        ln(b, 1, "function $enc_%s($v, $b, $name) {", r->name);
        ln(b, 2, "if ($v === null || typeof $v !== 'object') throw "
           "argType($name, 'an object with the fields of %s', $v);", r->name);
        ln(b, 2, "$b.fill(0);");
        for (j = 0; j < r->nfields; j++) {
            const struct field *fd = &r->fields[j];
            size_t off = field_offset(r, j, NULL);
            const char *conv;

            switch (fd->type.kind) {
            case TY_INT:
            case TY_I32: conv = "writeInt32LE(toInt"; break;
            case TY_U16: conv = "writeUInt16LE(toU16"; break;
            case TY_U32: conv = "writeUInt32LE(toU32"; break;
            case TY_DOUBLE: conv = "writeDoubleLE(toDouble"; break;
            case TY_CHAR: conv = NULL; break;
            case TY_I64: conv = "writeBigInt64LE(big64(toI64"; break;
            default: conv = "writeBigUInt64LE(big64(toU64"; break;
            }
            if (conv == NULL)
                ln(b, 2, "if ($v.%s !== undefined) putChars($b, %zu, %lld, "
                   "$v.%s, '%s');", fd->name, off, fd->array_len, fd->name,
                   fd->name);
            else if (strstr(conv, "big64"))
                ln(b, 2, "if ($v.%s !== undefined) $b.%s($v.%s, '%s')), %zu);",
                   fd->name, conv, fd->name, fd->name, off);
            else
                ln(b, 2, "if ($v.%s !== undefined) $b.%s($v.%s, '%s'), %zu);",
                   fd->name, conv, fd->name, fd->name, off);
        }
        ln(b, 2, "return $b;");
        ln(b, 1, "}");
    }
}

/* The indexes (in the result array) and handle types of out handles. */
static size_t out_handles(const struct fn *f, int into, int *pos, int *type)
{
    size_t i, n = 0, k = 0;

    for (i = 0; i < f->nparams; i++) {
        if (variant_role(f, into, i) != R_OUT)
            continue;
        if (f->params[i].type.kind == TY_HANDLE) {
            pos[n] = (int)k;
            type[n] = f->params[i].type.index;
            n++;
        }
        k++;
    }
    return n;
}

/* Forward the visible arguments of a public wrapper to its core.  With
 * defaults before required parameters (sendto), arguments are first placed
 * like Python places them: the optional ones take what is left over. */
static void gen_forward_prologue(const struct fn *f, int into, bool method,
                                 int depth, struct sbuf *b)
{
    size_t i, nvis = 0;
    bool any = false;

    if (!defaults_not_trailing(f, into))
        return;
    for (i = method ? 1 : 0; i < f->nparams; i++)
        if (visible(variant_role(f, into, i)))
            nvis++;
    ind(b, depth);
    sb_printf(b, "if (arguments.length < %zu) [", nvis);
    for (i = method ? 1 : 0; i < f->nparams; i++) {
        if (!visible(variant_role(f, into, i)))
            continue;
        sb_printf(b, "%s%s", any ? ", " : "",
                  variant_role(f, into, i) == R_SELF
                      ? "self" : js_param_name(f, into, i));
        any = true;
    }
    sb_puts(b, "] = place(arguments, [");
    any = false;
    for (i = method ? 1 : 0; i < f->nparams; i++) {
        if (!visible(variant_role(f, into, i)))
            continue;
        sb_printf(b, "%s%s", any ? ", " : "",
                  optional_param(f, into, i) ? "true" : "false");
        any = true;
    }
    sb_puts(b, "]);\n");
}

/* "(a, b, c)" of a public wrapper: visible params, self dropped for a
 * method. */
static void public_params(const struct fn *f, int into, bool method,
                          struct sbuf *b)
{
    size_t i;
    bool any = false;

    sb_puts(b, "(");
    for (i = method ? 1 : 0; i < f->nparams; i++) {
        enum role r = variant_role(f, into, i);

        if (!visible(r))
            continue;
        sb_printf(b, "%s%s", any ? ", " : "",
                  r == R_SELF ? "self" : js_param_name(f, into, i));
        any = true;
    }
    sb_puts(b, ")");
}

/* The call of the core from a public wrapper. */
static void core_call_subst(const struct fn *f, int into, bool method,
                            const char *again, const char *self,
                            int subst, const char *expr, struct sbuf *b)
{
    size_t i;
    bool any = false;

    sb_printf(b, "_%s%s(", f->name, variant_suffix(into));
    if (f->blocking) {
        sb_puts(b, again);
        any = true;
    }
    for (i = 0; i < f->nparams; i++) {
        enum role r = variant_role(f, into, i);

        if (!visible(r))
            continue;
        sb_printf(b, "%s%s", any ? ", " : "",
                  r == R_SELF ? (method ? self : "self")
                  : (int)i == subst ? expr : js_param_name(f, into, i));
        any = true;
    }
    sb_puts(b, ")");
}

static void core_call(const struct fn *f, int into, bool method,
                      const char *again, const char *self, struct sbuf *b)
{
    core_call_subst(f, into, method, again, self, -1, NULL, b);
}

/* The same, for the async twin with a callback. */
static void core_call_async(const struct fn *f, int into, bool method,
                            const char *again, const char *cb,
                            const char *self, struct sbuf *b)
{
    size_t i;

    sb_printf(b, "_%s%s_async(%s, %s", f->name, variant_suffix(into),
              again, cb);
    for (i = 0; i < f->nparams; i++) {
        enum role r = variant_role(f, into, i);

        if (!visible(r))
            continue;
        sb_printf(b, ", %s", r == R_SELF ? (method ? self : "self")
                                         : js_param_name(f, into, i));
    }
    sb_puts(b, ")");
}

/* $wrap_<fn>_<api>(r): wrap the out handles of a result into objects of the
 * API's classes. */
static void gen_wrap_fn(const struct model *m, const struct fn *f, int into,
                        const char *api, struct sbuf *b)
{
    int pos[16], type[16];
    size_t n = out_handles(f, into, pos, type), i;
    size_t nout = count_outputs(f, into);
    struct sbuf cls;

    if (n == 0)
        return;
    sb_init(&cls);
    ln(b, 1, "function $wrap_%s%s_%s($r) {", f->name,
       variant_suffix(into), api);
    if (f->blocking)
        ln(b, 2, "if ($r === AGAIN) return $r;");
    for (i = 0; i < n; i++) {
        sb_clear(&cls);
        class_name(m->handles[type[i]].name, &cls);
        if (nout == 1)
            ln(b, 2, "return new %s%s($r);", api[0] == 'p' ? "P" : "", cls.s);
        else
            ln(b, 2, "$r[%d] = new %s%s($r[%d]);", pos[i],
               api[0] == 'p' ? "P" : "", cls.s, pos[i]);
    }
    if (nout > 1)
        ln(b, 2, "return $r;");
    ln(b, 1, "}");
    sb_free(&cls);
}

/* The body of a synchronous public wrapper (module function or method). */
static void gen_sync_body(const struct model *m, const struct fn *f,
                          int into, bool method, int depth, struct sbuf *b)
{
    int pos[16], type[16];
    struct sbuf call;

    sb_init(&call);
    core_call(f, into, method, "false", "this._h", &call);
    gen_forward_prologue(f, into, method, depth, b);
    if (out_handles(f, into, pos, type) > 0)
        ln(b, depth, "return $wrap_%s%s_sync(%s);", f->name,
           variant_suffix(into), call.s);
    else
        ln(b, depth, "return %s;", call.s);
    sb_free(&call);
}

/* The body of a Promise-API public wrapper. */
static void gen_promise_body(const struct model *m, const struct fn *f,
                             int into, bool method, int depth, struct sbuf *b)
{
    int pos[16], type[16];
    bool wrap = out_handles(f, into, pos, type) > 0;
    const char *variant = variant_suffix(into);
    struct sbuf call, acall, name;
    size_t i;
    int nrec = 0;

    sb_init(&call);
    sb_init(&acall);
    sb_init(&name);
    gen_forward_prologue(f, into, method, depth, b);
    if (!f->blocking) {
        core_call(f, into, method, "", "this._h", &call);
        ln(b, depth, "try {");
        if (wrap)
            ln(b, depth + 1, "return Promise.resolve($wrap_%s%s_promises(%s));",
               f->name, variant, call.s);
        else
            ln(b, depth + 1, "return Promise.resolve(%s);", call.s);
        ln(b, depth, "} catch ($e) {");
        ln(b, depth + 1, "return Promise.reject($e);");
        ln(b, depth, "}");
        goto out;
    }
    if (method) {
        const char *h = m->handles[f->method_of].name;

        ln(b, depth, "const $h = this._h;");
        /* With a partial (progress) count, the attempt takes the offset
         * reached so far and sends the rest of the buffer. */
        if (partial_param(f) >= 0) {
            int buf = f->params[partial_param(f)].partial;
            const char *bn = f->params[buf].name;
            struct sbuf rest;

            sb_init(&rest);
            sb_printf(&rest, "$o === 0 ? %s : skip(%s, $o, '%s')", js_id(bn),
                      js_id(bn), bn);
            core_call_subst(f, into, method, "true", "$h", buf, rest.s,
                            &call);
            sb_free(&rest);
        } else {
            core_call(f, into, method, "true", "$h", &call);
        }
        core_call_async(f, into, method, "true", "$cb", "$h", &acall);
        /* park.js knows the method by this name (its direction, errors). */
        js_fn_name(f, into, true, &name);
        ind(b, depth);
        sb_printf(b, "if ($park_%s) return $park_%s(this, '%s', (%s) => ", h,
                  h, name.s, partial_param(f) >= 0 ? "$o" : "");
        if (wrap)
            sb_printf(b, "$wrap_%s%s_promises(%s)", f->name, variant, call.s);
        else
            sb_puts(b, call.s);
        sb_puts(b, ", ");
        /* The first attempt goes to the pool when an argument may make the
         * call wait outside the socket (a host name to resolve). */
        for (i = 0; i < f->nparams; i++) {
            const struct param *p = &f->params[i];
            int c;

            if (variant_role(f, into, i) != R_IN ||
                p->type.kind != TY_RECORD)
                continue;
            c = custom_record(m, p->type.index);
            if (c < 0)
                continue;
            sb_printf(b, "%s$custom_%s.mayBlock(%s)", nrec++ ? " || " : "",
                      custom_records[c].module, js_id(p->name));
        }
        if (nrec > 0) {
            sb_printf(b, " ? ($cb) => %s", acall.s);
            sb_puts(b, " : null");
        } else {
            sb_puts(b, "null");
        }
        if (wrap)
            sb_printf(b, ", $wrap_%s%s_promises", f->name, variant);
        else
            sb_puts(b, ", null");
        sb_printf(b, ", %s);\n", partial_param(f) >= 0 ? "true" : "false");
        sb_clear(&acall);
    }
    core_call_async(f, into, method, "false", "$cb", method ? "$h" : "self",
                    &acall);
    ind(b, depth);
    sb_printf(b, "return pool(($cb) => %s", acall.s);
    if (wrap)
        sb_printf(b, ", $wrap_%s%s_promises", f->name, variant);
    else
        sb_puts(b, ", null");
    sb_puts(b, ");\n");
out:
    sb_free(&call);
    sb_free(&acall);
    sb_free(&name);
}

static void gen_classes(const struct model *m, const char *api,
                        struct sbuf *b)
{
    size_t h, i;
    bool promises = api[0] == 'p';
    struct sbuf cls;

    sb_init(&cls);
    for (h = 0; h < m->nhandles; h++) {
        const char *hn = m->handles[h].name;
        int cf = close_fn(m, (int)h);

        sb_clear(&cls);
        class_name(hn, &cls);
        ln(b, 1, "class %s%s {", promises ? "P" : "", cls.s);
        ln(b, 2, "constructor(handle) {");
        ln(b, 3, "this._h = handle;");
        if (cf >= 0) {
            ln(b, 3, "this._closed = false;");
            ln(b, 3, "$reg_%s.register(this, handle, this);", hn);
        }
        if (promises)
            ln(b, 3, "if ($hooks_%s && $hooks_%s.adopt) $hooks_%s.adopt(this);",
               hn, hn, hn);
        ln(b, 2, "}");
        for (i = 0; i < m->nfns; i++) {
            const struct fn *f = &m->fns[i];
            int into[2], nv = variants_of(f, into), v;

            if (f->method_of != (int)h)
                continue;
            for (v = 0; v < nv; v++) {
                ind(b, 2);
                js_fn_name(f, into[v], true, b);
                public_params(f, into[v], true, b);
                sb_puts(b, " {\n");
                if ((int)i == cf) {
                    /* close(): idempotent; the finalizer is dropped. */
                    if (promises) {
                        ln(b, 3, "if (this._closed) return Promise.resolve();");
                        ln(b, 3, "if ($hooks_%s && $hooks_%s.closing) "
                           "$hooks_%s.closing(this);", hn, hn, hn);
                    } else {
                        ln(b, 3, "if (this._closed) return;");
                    }
                    ln(b, 3, "this._closed = true;");
                    ln(b, 3, "$reg_%s.unregister(this);", hn);
                }
                if (promises)
                    gen_promise_body(m, f, into[v], true, 3, b);
                else
                    gen_sync_body(m, f, into[v], true, 3, b);
                ln(b, 2, "}");
            }
        }
        ln(b, 1, "}");
        ln(b, 1, "Object.defineProperty(%s%s.prototype, 'handle', "
           "{ get() { return this._h; } });", promises ? "P" : "", cls.s);
    }
    sb_free(&cls);
}

static void gen_module_api(const struct model *m, const char *api,
                           struct sbuf *b)
{
    size_t i, h;
    bool promises = api[0] == 'p';
    struct sbuf cls;

    sb_init(&cls);
    ln(b, 1, "const %s = {", api);
    for (h = 0; h < m->nhandles; h++) {
        sb_clear(&cls);
        class_name(m->handles[h].name, &cls);
        ln(b, 2, "%s: %s%s,", cls.s, promises ? "P" : "", cls.s);
    }
    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];
        int into[2], nv = variants_of(f, into), v;

        if (f->method_of >= 0)
            continue;
        for (v = 0; v < nv; v++) {
            ind(b, 2);
            js_fn_name(f, into[v], false, b);
            public_params(f, into[v], false, b);
            sb_puts(b, " {\n");
            if (promises)
                gen_promise_body(m, f, into[v], false, 3, b);
            else
                gen_sync_body(m, f, into[v], false, 3, b);
            ln(b, 2, "},");
        }
    }
    ln(b, 1, "};");
    sb_free(&cls);
}

static void gen_raw_api(const struct model *m, struct sbuf *b)
{
    size_t i;

    ln(b, 1, "// The handle-level layer: every fn by its C name, handles as "
       "numbers.");
    ln(b, 1, "const raw = {");
    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];
        int into[2], nv = variants_of(f, into), v;
        struct sbuf call;

        sb_init(&call);
        for (v = 0; v < nv; v++) {
            sb_clear(&call);
            ind(b, 2);
            js_fn_name(f, into[v], false, b);
            public_params(f, into[v], false, b);
            sb_puts(b, " {\n");
            gen_forward_prologue(f, into[v], false, 3, b);
            core_call(f, into[v], false, "false", "self", &call);
            ln(b, 3, "return %s;", call.s);
            ln(b, 2, "},");
        }
        sb_free(&call);
    }
    ln(b, 1, "};");
}

static int gen_js(const struct model *m, struct emitter *out)
{
    struct sbuf *b = emit_begin(out, PKG "lib/generated.js");
    size_t i, h;

    for (i = 0; i < m->nfns; i++)
        if (check_supported(m, &m->fns[i]) != 0)
            return -1;

    sb_printf(b, "// Generated by polysock-gen from %s (backend node): do "
              "not edit.\n// Change the IDL or gen/backend_node.c, then run "
              "`make regen`.\n'use strict';\n\n", path_basename(m->path));
    gen_data(m, b);

    sb_puts(b, "// build(N, rt): the wrappers over the native functions N "
            "(one per fn, each\n// with .async for libuv's pool), with the "
            "hand-written runtime rt.\nexports.build = function build(N, rt) "
            "{\n");
    ln(b, 1, "const { toInt, toI64, toU16, toU32, toU64, toSize, toDouble, "
       "toStr, toBytes, toHandle,");
    ln(b, 1, "        toCap, toWritable, toFillLen, outBuf, outScratch, fit, "
       "u64, i64, big64, cstr,");
    ln(b, 1, "        putChars, nullIf, place, argType, bytesLen, error, "
       "partialError, wouldBlock, pool,");
    ln(b, 1, "        skip, state, AGAIN } = rt;");
    for (i = 0; i < NELEM(custom_records); i++)
        ln(b, 1, "const $custom_%s = rt.custom.%s;", custom_records[i].module,
           custom_records[i].module);
    ln(b, 1, "function $decArray($b, $n, $size, $dec) {");
    ln(b, 2, "const $out = new Array($n);");
    ln(b, 2, "for (let $i = 0; $i < $n; $i++) $out[$i] = $dec($b, $i * "
       "$size);");
    ln(b, 2, "return $out;");
    ln(b, 1, "}");
    /* Constants used as defaults. */
    {
        char **seen = NULL;
        size_t nseen = 0, j, k;

        for (i = 0; i < m->nfns; i++)
            for (j = 0; j < m->fns[i].nparams; j++) {
                const struct param *p = &m->fns[i].params[j];
                bool dup = false;

                if (p->def.kind != DEF_CONST)
                    continue;
                for (k = 0; k < nseen; k++)
                    if (strcmp(seen[k], p->def.text) == 0)
                        dup = true;
                if (dup)
                    continue;
                seen = xrealloc(seen, (nseen + 1) * sizeof *seen);
                seen[nseen++] = p->def.text;
                ln(b, 1, "const $C_%s = rt.constant('%s');", p->def.text,
                   p->def.text);
            }
        free(seen);
    }
    sb_puts(b, "\n    // Finalizers (they hold only the handle) and the "
            "Promise API's hooks.\n");
    for (h = 0; h < m->nhandles; h++) {
        const char *hn = m->handles[h].name;
        int cf = close_fn(m, (int)h);

        if (cf >= 0)
            ln(b, 1, "const $reg_%s = new FinalizationRegistry(($h) => "
               "N.%s($h));", hn, m->fns[cf].name);
        ln(b, 1, "const $hooks_%s = rt.hooks.%s || null;", hn, hn);
        ln(b, 1, "const $park_%s = $hooks_%s && $hooks_%s.park ? "
           "$hooks_%s.park : null;", hn, hn, hn, hn);
    }
    sb_puts(b, "\n    // Record codecs.\n");
    gen_record_codecs(m, b);
    sb_puts(b, "\n    // Scratch buffers of synchronous calls.\n");
    for (i = 0; i < m->nfns; i++)
        gen_scratch(m, &m->fns[i], b);
    sb_puts(b, "\n    // One core per fn: convert, call, check, convert "
            "back.\n");
    for (i = 0; i < m->nfns; i++) {
        int into[2], nv = variants_of(&m->fns[i], into), v;

        for (v = 0; v < nv; v++) {
            gen_core(m, &m->fns[i], into[v], false, b);
            if (m->fns[i].blocking)
                gen_core(m, &m->fns[i], into[v], true, b);
        }
    }
    sb_puts(b, "\n    // Out handles wrapped into objects.\n");
    for (i = 0; i < m->nfns; i++) {
        int into[2], nv = variants_of(&m->fns[i], into), v;

        for (v = 0; v < nv; v++) {
            gen_wrap_fn(m, &m->fns[i], into[v], "sync", b);
            gen_wrap_fn(m, &m->fns[i], into[v], "promises", b);
        }
    }
    sb_puts(b, "\n    // The synchronous API.\n");
    gen_classes(m, "sync", b);
    gen_module_api(m, "sync", b);
    sb_puts(b, "\n    // The Promise API.\n");
    gen_classes(m, "promises", b);
    gen_module_api(m, "promises", b);
    sb_puts(b, "\n");
    gen_raw_api(m, b);
    ln(b, 1, "// The asynchronous twins, by fn name (the Promise API's "
       "poller waits with one).");
    ln(b, 1, "const asyncRaw = {");
    for (i = 0; i < m->nfns; i++)
        if (m->fns[i].blocking)
            ln(b, 2, "%s: _%s_async,", m->fns[i].name, m->fns[i].name);
    ln(b, 1, "};");
    ln(b, 1, "return { raw, sync, promises, asyncRaw };");
    sb_puts(b, "};\n");
    return emit_end(out);
}

/* ---- Typings --------------------------------------------------------------- */

static void ts_record_type(const struct model *m, int index, struct sbuf *b)
{
    int c = custom_record(m, index);

    if (c >= 0)
        sb_puts(b, custom_records[c].ts_type);
    else
        class_name(m->records[index].name, b);
}

static void ts_in_type(const struct model *m, const struct param *p,
                       bool raw, struct sbuf *b)
{
    switch (p->type.kind) {
    case TY_INT: sb_puts(b, "number | boolean"); break; /* C's int flags */
    case TY_I32:
    case TY_U16:
    case TY_U32:
    case TY_DOUBLE: sb_puts(b, "number"); break;
    case TY_I64:
    case TY_U64:
    case TY_SIZE: sb_puts(b, "number | bigint"); break;
    case TY_STRING: sb_puts(b, p->optional ? "string | null" : "string"); break;
    case TY_BYTES: sb_puts(b, "BytesLike"); break;
    case TY_RECORD: ts_record_type(m, p->type.index, b); break;
    case TY_HANDLE:
        if (!raw) {
            sb_puts(b, "Polysock");
            class_name(m->handles[p->type.index].name, b);
            sb_puts(b, " | ");
        }
        sb_puts(b, "number");
        break;
    default: sb_puts(b, "unknown"); break;
    }
    if (p->null_value.kind != DEF_NONE)
        sb_puts(b, " | null");
}

static void ts_out_type(const struct model *m, const struct param *p,
                        bool raw, const char *prefix, struct sbuf *b)
{
    switch (p->type.kind) {
    case TY_I64: sb_puts(b, "number | bigint"); break;
    case TY_STRING: sb_puts(b, "string"); break;
    case TY_BYTES: sb_puts(b, "Buffer"); break;
    case TY_RECORD:
        ts_record_type(m, p->type.index, b);
        if (p->len_param >= 0)
            sb_puts(b, "[]");
        break;
    case TY_HANDLE:
        if (raw) {
            sb_puts(b, "number");
        } else {
            sb_puts(b, prefix);
            class_name(m->handles[p->type.index].name, b);
        }
        break;
    default: sb_puts(b, "number"); break;
    }
    if (p->null_value.kind != DEF_NONE)
        sb_puts(b, " | null");
}

static void ts_result(const struct model *m, const struct fn *f, int into,
                      bool raw, const char *prefix, struct sbuf *b)
{
    size_t i, n = count_outputs(f, into);
    bool first = true;

    if (n == 0) {
        sb_puts(b, "void");
        return;
    }
    if (n > 1)
        sb_puts(b, "[");
    for (i = 0; i < f->nparams; i++) {
        if (variant_role(f, into, i) != R_OUT)
            continue;
        if (!first)
            sb_puts(b, ", ");
        first = false;
        if (n > 1)
            sb_printf(b, "%s: ", f->params[i].name);
        ts_out_type(m, &f->params[i], raw, prefix, b);
    }
    if (!f->returns_status && f->ret != TY_VOID) {
        switch (f->ret) {
        case TY_STRING: sb_puts(b, "string"); break;
        case TY_I64: sb_puts(b, "number | bigint"); break;
        default: sb_puts(b, "number"); break;
        }
    }
    if (n > 1)
        sb_puts(b, "]");
}

/* The parameter list; with skip_nontrailing the optional parameters that
 * come before a required one are left out (the short overload). */
static void ts_params(const struct model *m, const struct fn *f, int into,
                      bool method, bool raw, bool skip_nontrailing,
                      struct sbuf *b)
{
    size_t i, j;
    bool any = false;

    sb_puts(b, "(");
    for (i = method ? 1 : 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        enum role r = variant_role(f, into, i);
        bool opt = optional_param(f, into, i), later_required = false;

        if (!visible(r))
            continue;
        for (j = i + 1; j < f->nparams; j++)
            if (visible(variant_role(f, into, j)) &&
                !optional_param(f, into, j))
                later_required = true;
        if (opt && later_required && skip_nontrailing)
            continue;
        sb_printf(b, "%s%s%s: ", any ? ", " : "",
                  r == R_SELF ? "handle" : js_param_name(f, into, i),
                  opt && !later_required ? "?" : "");
        if (r == R_SELF || r == R_CAP || r == R_INTO_LEN)
            sb_puts(b, "number");
        else if (r == R_INTO)
            sb_puts(b, "ArrayBufferView"); /* Buffer, TypedArray, DataView */
        else
            ts_in_type(m, p, raw, b);
        any = true;
    }
    sb_puts(b, ")");
}

static void ts_doc(const char *doc, int depth, struct sbuf *b)
{
    const char *s = doc;

    if (doc == NULL)
        return;
    ind(b, depth);
    sb_puts(b, "/** ");
    for (; *s; s++) {
        if (*s == '\n') {
            sb_puts(b, "\n");
            ind(b, depth);
            sb_puts(b, " * ");
        } else if (s[0] == '*' && s[1] == '/') {
            sb_puts(b, "*\\/");
            s++;
        } else {
            sb_putc(b, *s);
        }
    }
    sb_puts(b, " */\n");
}

/* What an _into variant does, after the fn's own doc: for Markdown
 * (markdown: one line, names in backticks) or a doc comment. */
static void into_doc(const struct fn *f, int into, bool method,
                     bool markdown, struct sbuf *b)
{
    const char *q = markdown ? "`" : "", *nl = markdown ? " " : "\n";

    sb_puts(b, q);
    js_fn_name(f, into, method, b);
    sb_printf(b, "%s receives into %sbuffer%s, a Buffer, TypedArray or "
              "DataView%sthe caller owns (written in place, its length "
              "unchanged), at most %snbytes%s%sbytes (0: all of it), and "
              "returns the number of bytes received%sin place of the data.",
              q, q, q, nl, q, q, nl, nl);
}

/* One member declaration (method or module function) per overload, for fn
 * f or its _into variant. */
static void ts_fn(const struct model *m, const struct fn *f, int into,
                  bool method, bool raw, bool promises, int depth,
                  struct sbuf *b)
{
    int pass;
    const char *prefix = "Polysock";
    struct sbuf doc;

    sb_init(&doc);
    sb_puts(&doc, f->doc);
    if (into >= 0) {
        sb_putc(&doc, '\n');
        into_doc(f, into, method, false, &doc);
    }
    for (pass = 0; pass < (defaults_not_trailing(f, into) ? 2 : 1); pass++) {
        ts_doc(doc.s, depth, b);
        ind(b, depth);
        js_fn_name(f, into, method, b);
        ts_params(m, f, into, method, raw, pass == 1, b);
        sb_puts(b, ": ");
        if (promises)
            sb_puts(b, "Promise<");
        ts_result(m, f, into, raw, prefix, b);
        if (promises)
            sb_puts(b, ">");
        sb_puts(b, ";\n");
    }
    sb_free(&doc);
}

/* A sugar declaration with RET<T> replaced by T or Promise<T>. */
static void ts_sugar(const char *ts, bool promises, int depth, struct sbuf *b)
{
    const char *s = ts;

    ind(b, depth);
    while (*s) {
        if (strncmp(s, "RET<", 4) == 0) {
            int level = 1;
            const char *e = s + 4;

            while (*e && level > 0) {
                if (*e == '<')
                    level++;
                else if (*e == '>')
                    level--;
                if (level > 0)
                    e++;
            }
            if (promises)
                sb_puts(b, "Promise<");
            sb_putn(b, s + 4, (size_t)(e - (s + 4)));
            if (promises)
                sb_puts(b, ">");
            s = *e ? e + 1 : e;
        } else if (strncmp(s, "P?", 2) == 0) {
            /* The Promise flavour's name of a hand-written type. */
            if (promises)
                sb_puts(b, "Promise");
            s += 2;
        } else if (*s == '\n') {
            sb_putc(b, '\n');
            ind(b, depth);
            s++;
        } else {
            sb_putc(b, *s++);
        }
    }
    sb_putc(b, '\n');
}

static int gen_ts(const struct model *m, struct emitter *out, bool promises)
{
    struct sbuf *b = emit_begin(out, promises ? PKG "promises.d.ts"
                                              : PKG "index.d.ts");
    const char *api = promises ? "polysock/promises" : "polysock";
    struct sbuf cls;
    size_t i, h, j;

    sb_init(&cls);
    sb_printf(b, "// Generated by polysock-gen from %s (backend node): do "
              "not edit.\n// The typings of require(\"%s\").\n\n"
              "/// <reference types=\"node\" />\n\n",
              path_basename(m->path), api);
    /* ssl() is hand-written (lib/ssl.js), and so are its typings. */
    sb_printf(b, "import type { %sSSLFunction, %sSSLObject as $SSLObject, "
              "SSLOptions as $SSLOptions,\n    DistinguishedName as "
              "$DistinguishedName } from './lib/ssl';\n\n",
              promises ? "Promise" : "", promises ? "Promise" : "");
    for (i = 0; i < NELEM(custom_records); i++)
        sb_puts(b, custom_records[i].ts_decl);
    sb_puts(b, ts_common);
    sb_puts(b, "\n");

    /* Records (generic ones become interfaces). */
    for (i = 0; i < m->nrecords; i++) {
        const struct record *r = &m->records[i];

        if (custom_record(m, (int)i) >= 0)
            continue;
        sb_clear(&cls);
        class_name(r->name, &cls);
        ts_doc(r->doc, 0, b);
        sb_printf(b, "interface %s {\n", cls.s);
        for (j = 0; j < r->nfields; j++) {
            const struct field *fd = &r->fields[j];

            ts_doc(fd->doc, 1, b);
            ind(b, 1);
            sb_printf(b, "%s: %s;\n", fd->name,
                      fd->type.kind == TY_CHAR ? "string"
                      : fd->type.kind == TY_I64 ? "number | bigint"
                                                : "number");
        }
        sb_puts(b, "}\n");
    }

    /* Handle classes. */
    for (h = 0; h < m->nhandles; h++) {
        sb_clear(&cls);
        class_name(m->handles[h].name, &cls);
        ts_doc(m->handles[h].doc, 0, b);
        sb_printf(b, "declare class Polysock%s {\n", cls.s);
        sb_puts(b, "    private constructor();\n");
        sb_puts(b, "    /** The raw handle (for the raw layer). */\n");
        sb_puts(b, "    readonly handle: number;\n");
        for (i = 0; i < m->nfns; i++) {
            const struct fn *f = &m->fns[i];
            int into[2], nv = variants_of(f, into), v;

            if (f->method_of != (int)h)
                continue;
            for (v = 0; v < nv; v++)
                ts_fn(m, f, into[v], true, false, promises, 1, b);
        }
        for (i = 0; i < NELEM(sugar); i++)
            if (sugar[i].owner != NULL &&
                strcmp(sugar[i].owner, m->handles[h].name) == 0)
                ts_sugar(sugar[i].ts, promises, 1, b);
        sb_puts(b, "}\n");
    }

    /* The raw layer. */
    sb_puts(b, "\n/** The handle-level layer: every C function by its name, "
            "handles as numbers,\n * synchronous in both APIs. */\n"
            "interface PolysockRaw {\n");
    for (i = 0; i < m->nfns; i++) {
        int into[2], nv = variants_of(&m->fns[i], into), v;

        for (v = 0; v < nv; v++)
            ts_fn(m, &m->fns[i], into[v], false, true, false, 1, b);
    }
    sb_puts(b, "}\n\n");

    /* The module. */
    sb_printf(b, "interface Polysock {\n");
    for (h = 0; h < m->nhandles; h++) {
        sb_clear(&cls);
        class_name(m->handles[h].name, &cls);
        sb_printf(b, "    readonly %s: typeof Polysock%s;\n", cls.s, cls.s);
    }
    for (i = 0; i < m->nfns; i++) {
        const struct fn *f = &m->fns[i];
        int into[2], nv = variants_of(f, into), v;

        if (f->method_of >= 0 || is_sugar(NULL, f->name))
            continue;
        for (v = 0; v < nv; v++)
            ts_fn(m, f, into[v], false, false, promises, 1, b);
    }
    for (i = 0; i < NELEM(sugar); i++)
        if (sugar[i].owner == NULL)
            ts_sugar(sugar[i].ts, promises, 1, b);
    sb_puts(b, "    /** The FFI library in use (POLYSOCK_NODE_FFI). */\n"
            "    readonly ffi: 'koffi' | 'ffi-napi';\n"
            "    /** The path or name the library was loaded from. */\n"
            "    readonly library: string;\n");
    sb_printf(b, "    /** The ABI fingerprint this binding was generated "
              "for. */\n    readonly fingerprint: string;\n");
    sb_puts(b, "    /** The handle-level layer. */\n    readonly raw: "
            "PolysockRaw;\n");
    sb_puts(b, "    /** The platform constants, read from the library at "
            "load. */\n");
    for (i = 0; i < m->nconstgroups; i++) {
        ts_doc(m->constgroups[i].doc, 1, b);
        sb_printf(b, "    readonly [name: `%s${string}`]: number;\n",
                  m->constgroups[i].prefix);
    }
    sb_puts(b, "}\n\n");
    sb_puts(b, "declare const polysock: Polysock;\n");
    /* The namespace gives the types their public names; its aliases go
     * through $-names, since inside it the plain name is its own. */
    sb_puts(b, "type $Address = Address;\ntype $BytesLike = BytesLike;\n"
            "type $AddrinfoEntry = AddrinfoEntry;\ntype $HostEntry = "
            "HostEntry;\ntype $PolysockError = PolysockError;\n");
    for (i = 0; i < m->nrecords; i++) {
        if (custom_record(m, (int)i) >= 0)
            continue;
        sb_clear(&cls);
        class_name(m->records[i].name, &cls);
        sb_printf(b, "type $%s = %s;\n", cls.s, cls.s);
    }
    sb_puts(b, "declare namespace polysock {\n");
    for (h = 0; h < m->nhandles; h++) {
        sb_clear(&cls);
        class_name(m->handles[h].name, &cls);
        sb_printf(b, "    type %s = Polysock%s;\n", cls.s, cls.s);
    }
    for (i = 0; i < m->nrecords; i++) {
        if (custom_record(m, (int)i) >= 0)
            continue;
        sb_clear(&cls);
        class_name(m->records[i].name, &cls);
        sb_printf(b, "    type %s = $%s;\n", cls.s, cls.s);
    }
    sb_puts(b, "    type Address = $Address;\n    type BytesLike = $BytesLike;\n"
            "    type AddrinfoEntry = $AddrinfoEntry;\n    type HostEntry = "
            "$HostEntry;\n    type PolysockError = $PolysockError;\n"
            "    type SSLObject = $SSLObject;\n    type SSLOptions = "
            "$SSLOptions;\n    type DistinguishedName = $DistinguishedName;\n");
    sb_puts(b, "}\n");
    sb_puts(b, "export = polysock;\n");
    sb_free(&cls);
    return emit_end(out);
}

/* ---- The backend ----------------------------------------------------------- */

static int generate(const struct model *m, struct emitter *out)
{
    if (gen_package(m, out) != 0 || gen_js(m, out) != 0 ||
        gen_ts(m, out, false) != 0 || gen_ts(m, out, true) != 0)
        return -1;
    return 0;
}

const struct backend backend_node = {
    "node",
    "the Node binding (bindings/node/: koffi or ffi-napi, sync and Promise "
    "APIs, TypeScript typings)",
    generate,
};

/* ---- The Node reference (docs/api/node.md, written by the docs backend:
 *      the JavaScript spelling of each fn is known here) ---------------- */

/* What runtime.js (hand-written) throws for each error class: errclasses
 * missing here fail the reference, so a new class gets documented. */
static const struct {
    const char *errclass;
    const char *thrown;
} node_errors[] = {
    {"none", "`Error`"},
    {"os", "`Error`, `.code` the errno name, `.errno` its negative value"},
    {"gai", "`Error`, `.code` the EAI name, `.errno` the EAI value"},
    {"herror", "`Error`, `.code` the h_errno name, `.errno` negative"},
    {"timeout", "`Error`, `.code` `'ETIMEDOUT'`, `.errno` `-ETIMEDOUT`"},
    {"value", "`RangeError`"},
    {"type", "`TypeError`"},
    {"overflow", "`RangeError`"},
    {"badhandle", "`Error`, `.code` `'EBADF'`, `.errno` `-EBADF`"},
    {"error", "`Error`, `.code` the library's name, no `.errno`"},
    {"tls", "`Error`, `.code` the library's name"},
    {"unknown", "`Error`"},
};

/* The handle types whose Promise-API methods runtime.js parks on the
 * core's poller (lib/park.js); blocking methods of the others, and blocking
 * module functions, run on libuv's pool. */
static const char *const parked_handles[] = {"socket"};

static const char *node_thrown(const char *errclass)
{
    size_t i;

    for (i = 0; i < NELEM(node_errors); i++)
        if (strcmp(node_errors[i].errclass, errclass) == 0)
            return node_errors[i].thrown;
    return NULL;
}

static bool is_parked(const char *handle)
{
    size_t i;

    for (i = 0; i < NELEM(parked_handles); i++)
        if (strcmp(parked_handles[i], handle) == 0)
            return true;
    return false;
}

/* The sugar member replacing fn f in the module, or NULL. */
static const struct sugar *sugar_of(const struct fn *f)
{
    size_t i;

    for (i = 0; i < NELEM(sugar); i++)
        if (f->method_of < 0 && sugar[i].owner == NULL &&
            strcmp(sugar[i].name, f->name) == 0)
            return &sugar[i];
    return NULL;
}

/* A sugar declaration without its doc comment, each line prefixed with
 * the receiver; a property reads "polysock.version: string;". */
static void ref_sugar(const struct sugar *s, bool promises,
                      const char *receiver, struct sbuf *b)
{
    const char *decl = strstr(s->ts, "*/\n");
    struct sbuf text;
    const char *line;

    sb_init(&text);
    ts_sugar(decl != NULL ? decl + 3 : s->ts, promises, 0, &text);
    for (line = text.s; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);

        if (strncmp(line, "readonly ", 9) == 0) {
            line += 9;
            n -= 9;
        }
        sb_printf(b, "%s%.*s\n", receiver, (int)n, line);
        line += n + (nl != NULL);
    }
    sb_free(&text);
}

/* One declaration per overload of fn f and of its _into variant, as in the
 * typings: "receiver.name(a: T): R;". */
static void ref_decls(const struct model *m, const struct fn *f,
                      const char *receiver, bool method, bool raw,
                      bool promises, struct sbuf *b)
{
    int into[2], nv = variants_of(f, into), v, pass;

    for (v = 0; v < nv; v++)
        for (pass = 0; pass < (defaults_not_trailing(f, into[v]) ? 2 : 1);
             pass++) {
            sb_puts(b, receiver);
            js_fn_name(f, into[v], method, b);
            ts_params(m, f, into[v], method, raw, pass == 1, b);
            sb_puts(b, promises ? ": Promise<" : ": ");
            ts_result(m, f, into[v], raw, "Polysock", b);
            sb_puts(b, promises ? ">;\n" : ";\n");
        }
}

static void ref_calls(const struct model *m, const struct fn *f,
                      struct sbuf *b)
{
    const struct sugar *s = sugar_of(f);
    bool method = f->method_of >= 0;
    struct sbuf receiver;
    int api;

    sb_init(&receiver);
    if (method)
        sb_printf(&receiver, "%s.", m->handles[f->method_of].name);
    else
        sb_puts(&receiver, "polysock.");
    sb_puts(b, "```ts\n");
    for (api = 0; api < 2; api++) {
        sb_puts(b, api == 0 ? "// require(\"polysock\")\n"
                            : "// require(\"polysock/promises\")\n");
        if (s != NULL)
            ref_sugar(s, api == 1, "polysock.", b);
        else
            ref_decls(m, f, receiver.s, method, false, api == 1, b);
    }
    sb_puts(b, "// polysock.raw, in both (synchronous)\n");
    ref_decls(m, f, "polysock.raw.", false, true, false, b);
    sb_puts(b, "```\n\n");
    sb_free(&receiver);
}

static void ref_params(const struct model *m, const struct fn *f,
                       struct sbuf *b)
{
    struct sbuf cell;
    bool any = false;
    size_t i;

    sb_init(&cell);
    for (i = 0; i < f->nparams; i++) {
        const struct param *p = &f->params[i];
        enum role r = role_of(f, i);

        if (!visible(r) || r == R_SELF)
            continue;
        if (!any)
            sb_puts(b, "| Argument | Type | Meaning |\n| --- | --- | --- |\n");
        any = true;
        /* A union's '|' would end the table cell: escaped. */
        sb_clear(&cell);
        if (r == R_CAP)
            sb_puts(&cell, "number");
        else
            ts_in_type(m, p, false, &cell);
        sb_printf(b, "| `%s` | `", js_id(p->name));
        docs_cell(b, cell.s);
        sb_puts(b, "` | ");
        sb_clear(&cell);
        if (docs_param_doc(f, p) != NULL)
            docs_cell(&cell, docs_param_doc(f, p));
        if (p->null_value.kind != DEF_NONE)
            sb_printf(&cell, "%snull: the C value %s.", cell.len ? " " : "",
                      p->null_value.text);
        if (p->def.kind != DEF_NONE && r == R_IN)
            sb_printf(&cell, "%sOptional, default `%s`.",
                      cell.len ? " " : "", p->def.text);
        else if (optional_param(f, -1, i))
            sb_printf(&cell, "%sOptional (null).", cell.len ? " " : "");
        sb_printf(b, "%s |\n", cell.s);
    }
    if (any)
        sb_putc(b, '\n');
    sb_free(&cell);
}

static void ref_throws(const struct model *m, const struct fn *f,
                       struct sbuf *b)
{
    /* close() returns at once on a closed object. */
    bool idempotent = f->method_of >= 0 &&
                      close_fn(m, f->method_of) == (int)(f - m->fns);
    bool handle = false;
    int into = model_into_buffer(f);
    struct sbuf name, syscall;
    size_t i;

    if (!f->returns_status) {
        sb_puts(b, "It cannot fail.\n\n");
        return;
    }
    for (i = 0; i < f->nparams; i++)
        handle |= f->params[i].dir == DIR_IN &&
                  f->params[i].type.kind == TY_HANDLE;
    /* .syscall is the function's flat name (tls_read), whatever the
     * method is called (read): gen_epilogue's js_fn_name(..., false). */
    sb_init(&syscall);
    js_fn_name(f, -1, false, &syscall);
    sb_printf(b, "**Throws** (the Promise API rejects with) what the error "
              "class of the code it fails with gives (see *Error classes*), "
              "`.syscall` `'%s'`; before the call, `TypeError` "
              "(`ERR_INVALID_ARG_TYPE`) for an argument of the wrong type "
              "and `RangeError` (`ERR_OUT_OF_RANGE`) for a number out of "
              "range.", syscall.s);
    sb_free(&syscall);
    if (into >= 0) {
        sb_init(&name);
        sb_init(&syscall);
        js_fn_name(f, into, f->method_of >= 0, &name);
        js_fn_name(f, into, false, &syscall);
        sb_printf(b, " `%s` (`.syscall` `'%s'`): `TypeError` when `buffer` "
                  "is not a Buffer, TypedArray or DataView, `RangeError` "
                  "when asked for more bytes than it holds.", name.s,
                  syscall.s);
        sb_free(&name);
        sb_free(&syscall);
    }
    if (handle && !idempotent)
        sb_puts(b, " A closed or stale handle: `.code` `'EBADF'`.");
    if (f->blocking && docs_fn_has_timeout_mode(m, f))
        sb_puts(b, " In timeout mode, when the time runs out: `.code` "
                "`'ETIMEDOUT'`; in non-blocking mode, when it would wait: "
                "the OS's code (`'EAGAIN'`, `'EINPROGRESS'` for a "
                "connect).");
    if (partial_param(f) >= 0)
        sb_puts(b, " Failing part way, `.bytesSent` says how much went "
                "out.");
    sb_puts(b, "\n\n");
}

static void node_ref_entry(const struct model *m, const struct fn *f,
                           struct sbuf *b)
{
    if (f->method_of >= 0)
        sb_printf(b, "### %s.%s\n\n", m->handles[f->method_of].name,
                  f->method_name);
    else
        sb_printf(b, "### %s\n\n", f->name);
    ref_calls(m, f, b);
    sb_printf(b, "%s\n\n", f->doc);
    if (sugar_of(f) != NULL)
        sb_puts(b, "The module's form is hand-written (`lib/sugar.js`); "
                "`polysock.raw` has the generated one.\n\n");
    if (f->method_of >= 0 && close_fn(m, f->method_of) == (int)(f - m->fns))
        sb_puts(b, "Closing twice does nothing.\n\n");
    ref_params(m, f, b);
    if (model_into_buffer(f) >= 0) {
        into_doc(f, model_into_buffer(f), f->method_of >= 0, true, b);
        sb_puts(b, "\n\n");
    }
    if (f->blocking)
        sb_printf(b, "**Blocking**: the synchronous call blocks the thread, "
                  "and so the event loop, while it waits; the Promise "
                  "version %s.\n\n",
                  f->method_of >= 0 && is_parked(m->handles[f->method_of].name)
                      ? "is parked on the core's poller (`lib/park.js`), "
                        "no thread waits for it"
                      : "runs on libuv's pool");
    ref_throws(m, f, b);
}

static void node_ref_package(const struct model *m, struct sbuf *b)
{
    struct sbuf cls;
    size_t h, i;

    sb_init(&cls);
    sb_puts(b, "## The package\n\n"
            "- `require(\"polysock\")`: the synchronous API, as the "
            "reference's; `require(\"polysock/promises\")`: the same names "
            "returning Promises.  Both have the module functions below, the "
            "classes ");
    for (h = 0; h < m->nhandles; h++) {
        sb_clear(&cls);
        class_name(m->handles[h].name, &cls);
        sb_printf(b, "%s`polysock.%s`", h == 0 ? "" : ", ", cls.s);
    }
    sb_puts(b, " (the methods below; `.handle` is the raw handle; a "
            "garbage-collected object with a `close` method is closed), the "
            "platform's constants (`polysock.AF_INET`, ...: every name of "
            "the library's table that starts with one of the IDL's "
            "constant groups), `ffi` (`'koffi'` or `'ffi-napi'`, "
            "`POLYSOCK_NODE_FFI`), `library` and `fingerprint`.\n"
            "- `polysock.raw`: every C function by its name over numeric "
            "handles, synchronous in both APIs.\n"
            "- Generated from the IDL by polysock-gen (`gen/backend_node.c`):"
            " `lib/generated.js`, `index.d.ts`, `promises.d.ts` (whose "
            "TypeScript types this reference shows) and `package.json`.  "
            "Hand-written (see `bindings/node/README.md`): `lib/ffi.js` "
            "(koffi and ffi-napi behind one interface), `lib/runtime.js` "
            "(loading, argument conversions, errors), `lib/addr.js` "
            "(addresses), `lib/park.js` (the Promise API's waiting) and "
            "`lib/sugar.js`, these members:\n\n```ts\n");
    for (i = 0; i < NELEM(sugar); i++) {
        const char *owner = sugar[i].owner;

        if (i == 0 || (owner != NULL && (sugar[i - 1].owner == NULL ||
                                         strcmp(owner, sugar[i - 1].owner))))
        {
            sb_clear(&cls);
            if (owner != NULL)
                class_name(owner, &cls);
            sb_printf(b, "%s// %s%s\n", i == 0 ? "" : "\n",
                      owner != NULL ? "Polysock" : "the module", cls.s);
        }
        if (sugar[i].file != NULL)
            sb_printf(b, "// (%s)\n", sugar[i].file);
        ts_sugar(sugar[i].ts, false, 0, b);
    }
    sb_puts(b, "```\n\n"
            "Addresses are arrays: `[host, port]` for AF_INET, `[host, port, "
            "flowinfo, scope_id]` for AF_INET6, a path string or Buffer for "
            "AF_UNIX (a leading NUL byte is an abstract name, returned as a "
            "Buffer), `[pid, groups]` for AF_NETLINK.  Data comes back as a "
            "Buffer; data to send is a Buffer, any view of bytes or a "
            "string (UTF-8).\n\n"
            "Waiting: a synchronous call blocks its thread, as the "
            "reference's calls do.  A Promise-API call never blocks the "
            "event loop: a socket call that would wait is parked on one "
            "poller of the core that waits for all of them (no libuv thread "
            "per call); other waiting calls (name resolution) run on "
            "libuv's pool, as `dns.lookup` does.\n\n");
    sb_free(&cls);
}

int node_reference(const struct model *m, struct sbuf *b)
{
    char fp[FINGERPRINT_HEX_LEN + 1];
    size_t h, i;

    for (i = 0; i < m->nerrclasses; i++)
        if (node_thrown(m->errclasses[i].name) == NULL) {
            fprintf(stderr, "polysock-gen: node reference: nothing thrown "
                    "for errclass '%s' (add it to node_errors in "
                    "gen/backend_node.c, as lib/runtime.js maps it)\n",
                    m->errclasses[i].name);
            return -1;
        }
    fingerprint_hex(m, fp);
    sb_printf(b, "# %s Node API reference\n\n"
              "<!-- Generated by polysock-gen from %s: do not edit. -->\n\n"
              "`require(\"%s\")` and `require(\"%s/promises\")` (version %s, "
              "ABI fingerprint `%s`): the reference's socket module for Node "
              "on lib%s, through koffi or ffi-napi.\n\n", m->name,
              path_basename(m->path), m->name, m->name, m->version, fp,
              m->name);
    node_ref_package(m, b);
    sb_puts(b, "## Error classes\n\nErrors carry `.code`, `.syscall` (the "
            "function) and, when the class has one, `.errno`; every failure "
            "has one of these classes, which decides what is thrown:\n\n"
            "| Class | Thrown |\n| --- | --- |\n");
    for (i = 0; i < m->nerrclasses; i++)
        sb_printf(b, "| `%s` | %s |\n", m->errclasses[i].name,
                  node_thrown(m->errclasses[i].name));
    sb_puts(b, "\n## Module functions\n\n`polysock.NAME` in both APIs; "
            "`polysock.raw.NAME` takes and returns handles as numbers.\n\n");
    for (i = 0; i < m->nfns; i++)
        if (m->fns[i].method_of < 0)
            node_ref_entry(m, &m->fns[i], b);
    for (h = 0; h < m->nhandles; h++) {
        struct sbuf cls;

        sb_init(&cls);
        class_name(m->handles[h].name, &cls);
        sb_printf(b, "## %s methods\n\n%s  Methods of `polysock.%s` "
                  "(`Polysock%s` in the typings); each is also "
                  "`polysock.raw.NAME(handle, ...)`.\n\n",
                  m->handles[h].name, m->handles[h].doc, cls.s, cls.s);
        sb_free(&cls);
        for (i = 0; i < m->nfns; i++)
            if (m->fns[i].method_of == (int)h)
                node_ref_entry(m, &m->fns[i], b);
    }
    return 0;
}
