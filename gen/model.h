/*
 * model.h - the in-memory model of a polysock IDL file.
 *
 * The parser builds one `struct model`, checks everything there is to check,
 * and hands it to a backend read-only.  Backends never look at tokens or
 * text: what they need to know about C (types, names, prototypes) comes
 * from the model_c_* helpers below, so every backend agrees with the header
 * check by construction.
 *
 * Cross-references are indexes into the model's arrays (-1 = none), so the
 * model is a tree of plain arrays that is trivial to walk and to free.
 * Every array is in declaration order.
 */
#ifndef POLYSOCK_GEN_MODEL_H
#define POLYSOCK_GEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf;

/* Where something was declared (for diagnostics; not part of any output). */
struct location {
    int line;
    int col;
};

/* Every type the IDL can spell.  TY_VOID only appears as a return type and
 * TY_CHAR only as a record array field. */
enum type_kind {
    TY_VOID,
    TY_INT,    /* int */
    TY_I32,    /* int32_t */
    TY_I64,    /* int64_t */
    TY_U16,    /* uint16_t */
    TY_U32,    /* uint32_t */
    TY_U64,    /* uint64_t */
    TY_SIZE,   /* size_t */
    TY_DOUBLE, /* double */
    TY_STRING, /* in: const char * (NUL-terminated); out[cap]: char * */
    TY_BYTES,  /* in[len]: const void *; out[cap]: void * */
    TY_CHAR,   /* char, record arrays only */
    TY_RECORD, /* polysock_<record>, passed by pointer */
    TY_HANDLE  /* polysock_handle (uint64_t) */
};

struct type_ref {
    enum type_kind kind;
    int index; /* into model.records (TY_RECORD) or model.handles
                  (TY_HANDLE); -1 for every other kind */
};

enum direction {
    DIR_IN,
    DIR_OUT
};

enum default_kind {
    DEF_NONE,
    DEF_INT,    /* an integer literal: value.i */
    DEF_DOUBLE, /* a double literal: value.d */
    DEF_CONST   /* a platform constant name, e.g. AF_INET: text */
};

struct default_value {
    enum default_kind kind;
    long long i;
    double d;
    char *text; /* as written in the IDL ("0", "-1.5", "0x10", "AF_INET");
                   NULL for DEF_NONE */
};

struct errclass {
    char *name;  /* "os"; C: POLYSOCK_ERRCLASS_OS */
    char *doc;
    long long value;
    struct location loc;
};

struct error {
    char *name;  /* "ETIMEOUT"; C: POLYSOCK_ETIMEOUT */
    char *doc;
    long long value;   /* always negative */
    int errclass;      /* index into model.errclasses */
    struct location loc;
};

struct constgroup {
    char *prefix; /* "AF_": every platform constant whose name starts so */
    char *doc;
    struct location loc;
};

struct field {
    char *name;
    char *doc;
    struct type_ref type; /* a number type, TY_CHAR or TY_HANDLE */
    long long array_len;  /* > 0 for "char name[N]", else 0 */
    struct location loc;
};

struct record {
    char *name; /* "addr"; C: polysock_addr */
    char *doc;
    struct field *fields;
    size_t nfields;
    struct location loc;
};

struct handle {
    char *name; /* "socket"; C: polysock_handle, like every handle type */
    char *doc;
    struct location loc;
};

struct param {
    char *name;
    char *doc;               /* NULL: parameters need no doc comment */
    struct type_ref type;
    enum direction dir;
    bool optional;           /* in string that may be NULL */
    struct default_value def;
    int len_param;           /* buffer: index of the size param holding its
                                capacity (out) or length (in); else -1 */
    int len_of;              /* size param: index of the buffer it measures;
                                else -1.  Bindings hide such params, unless
                                it is the capacity of an out buffer without
                                a default: then the caller gives it. */
    int fills;               /* out size "fills BUF": index of the out
                                buffer whose filled length it reports (the
                                bindings return that much); else -1 */
    int partial;             /* out size "partial BUF": index of the in bytes
                                buffer whose consumed length it reports, also
                                when the fn fails or is interrupted; else -1 */
    int filled_by;           /* buffer: index of the out size that fills it
                                or reports its progress; else -1 */
    struct default_value null_value; /* "null VALUE": the value the host
                                language's null (None, nil, null) stands
                                for, both ways; DEF_NONE when absent */
    struct location loc;
};

struct fn {
    char *name;          /* "poller_wait"; C: polysock_poller_wait */
    char *doc;
    struct param *params;
    size_t nparams;
    bool returns_status; /* no "->": C returns int, 0 or a negative code */
    enum type_kind ret;  /* TY_INT when returns_status, else the "->" type:
                            TY_VOID, TY_INT, TY_I64, TY_SIZE or TY_STRING */
    bool blocking;
    int method_of;       /* index into model.handles when the first param
                            is "self", else -1 */
    char *method_name;   /* "wait" for poller_wait; NULL when not a method */
    struct location loc;
};

struct model {
    char *path;     /* the IDL path as given (diagnostics only) */
    char *name;     /* library name: "polysock" */
    char *version;  /* "MAJOR.MINOR.PATCH" */
    char *doc;
    struct errclass *errclasses;
    size_t nerrclasses;
    struct error *errors;
    size_t nerrors;
    struct constgroup *constgroups;
    size_t nconstgroups;
    struct record *records;
    size_t nrecords;
    struct handle *handles;
    size_t nhandles;
    struct fn *fns;
    size_t nfns;
};

/* Free everything, including a model the parser abandoned half-built. */
void model_free(struct model *m);

/* ---- Queries -------------------------------------------------------- */

/* Index of a declaration by name, or -1. */
int model_find_record(const struct model *m, const char *name);
int model_find_handle(const struct model *m, const char *name);
int model_find_errclass(const struct model *m, const char *name);
int model_find_fn(const struct model *m, const char *name);
int model_find_param(const struct fn *f, const char *name);

/* The IDL spelling of a builtin kind ("int", "size", "string"), or of a
 * type reference ("addr" for a record, "socket" for a handle). */
const char *model_kind_name(enum type_kind k);
const char *model_type_name(const struct model *m, struct type_ref t);

/* Integer kinds (int .. size), number kinds (those plus double). */
bool model_kind_is_integer(enum type_kind k);
bool model_kind_is_number(enum type_kind k);

/* Is p a buffer, i.e. written with [LEN]? */
bool model_param_is_buffer(const struct param *p);

/* The out bytes buffer of f that a binding's _into variant takes from the
 * caller (recv -> recv_into, recvfrom -> recvfrom_into): one whose capacity
 * the caller gives and whose filled length an out size reports; -1 when f
 * has none. */
int model_into_buffer(const struct fn *f);

/* ---- C names and types (the header's spelling) ----------------------- */

/* The C type of a scalar kind: "int", "int64_t", "size_t", ...; for
 * TY_HANDLE "polysock_handle"; NULL for string, bytes and records. */
const char *model_c_scalar(enum type_kind k);

/* Each of these appends to b. */
void model_c_param_type(const struct model *m, const struct param *p,
                        struct sbuf *b);          /* "const char *" */
void model_c_return_type(const struct fn *f, struct sbuf *b); /* "int" */
void model_c_fn_name(const struct fn *f, struct sbuf *b);     /* polysock_x */
void model_c_record_name(const struct record *r, struct sbuf *b);
void model_c_error_name(const struct error *e, struct sbuf *b);
void model_c_errclass_name(const struct errclass *c, struct sbuf *b);
/* "int32_t" for a field; arrays give the element type ("char"). */
void model_c_field_type(const struct model *m, const struct field *fd,
                        struct sbuf *b);
/* A function pointer type, "int (*)(polysock_handle, size_t *)". */
void model_c_fn_pointer_type(const struct model *m, const struct fn *f,
                             struct sbuf *b);
/* A declaration without ";": "int polysock_close(polysock_handle self)". */
void model_c_prototype(const struct model *m, const struct fn *f,
                       struct sbuf *b);

#endif
