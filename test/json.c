/* json.c - a small, strict JSON reader; see json.h for what "strict" means
 * and why. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any vector file, shallow enough that hostile input cannot
 * exhaust the stack of the recursive descent. */
#define JSON_MAX_DEPTH 128
/* The vector files are small; a bigger file is a mistake, not data. */
#define JSON_MAX_FILE (16u * 1024u * 1024u)

typedef struct parser {
    const char *start;
    const char *p;
    const char *end;
    int depth;
    char *err;
    size_t err_cap;
    int failed;
} parser;

typedef struct buffer {
    char *data;
    size_t len;
    size_t cap;
} buffer;

static int parse_value(parser *ps, json_value *out);

/* Only the first error is kept: later ones are consequences of it. */
__attribute__((format(printf, 3, 4)))
static int fail_at(parser *ps, const char *at, const char *fmt, ...)
{
    if (ps->failed)
        return -1;
    ps->failed = 1;
    size_t line = 1, column = 1;
    for (const char *c = ps->start; c < at; c++) {
        if (*c == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    int n = snprintf(ps->err, ps->err_cap, "line %zu, column %zu: ", line, column);
    if (n >= 0 && (size_t)n < ps->err_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->err_cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int fail(parser *ps, const char *fmt, const char *what)
{
    return fail_at(ps, ps->p, fmt, what);
}

static int oom(parser *ps)
{
    return fail(ps, "%s", "out of memory");
}

/* What is at p, for messages: a character, or "end of input". */
static const char *describe_here(const parser *ps, char *buf, size_t cap)
{
    if (ps->p >= ps->end)
        return "end of input";
    unsigned char c = (unsigned char)*ps->p;
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, cap, "'%c'", c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
    return buf;
}

static int fail_expected(parser *ps, const char *expected)
{
    char here[16];
    char msg[96];
    snprintf(msg, sizeof msg, "expected %s, found %s", expected,
             describe_here(ps, here, sizeof here));
    return fail(ps, "%s", msg);
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int peek(const parser *ps)
{
    return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

/* ---- buffers ---- */

static int buf_reserve(buffer *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 32;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (data == NULL)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_put(buffer *b, const char *bytes, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int buf_put_utf8(buffer *b, uint32_t cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return buf_put(b, out, n);
}

/* ---- strings ---- */

static int hex4(parser *ps, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int c = peek(ps);
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return fail_expected(ps, "4 hex digits after \\u");
        v = v * 16 + (uint32_t)d;
        ps->p++;
    }
    *out = v;
    return 0;
}

/* \uXXXX, with a surrogate pair joined into one code point: a lone
 * surrogate is not a character, and other languages' parsers disagree on
 * what to do with one, so it is refused. */
static int unicode_escape(parser *ps, buffer *b)
{
    const char *at = ps->p - 2;
    uint32_t cp;
    if (hex4(ps, &cp) != 0)
        return -1;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return fail_at(ps, at, "%s", "lone low surrogate in \\u escape");
    if (cp >= 0xd800 && cp <= 0xdbff) {
        uint32_t lo;
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
            return fail_at(ps, at, "%s", "high surrogate not followed by \\u low surrogate");
        ps->p += 2;
        if (hex4(ps, &lo) != 0)
            return -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail_at(ps, at, "%s", "high surrogate not followed by a low surrogate");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    return buf_put_utf8(b, cp) == 0 ? 0 : oom(ps);
}

static int escape(parser *ps, buffer *b)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    ps->p++; /* the backslash */
    int c = peek(ps);
    if (c == 'u') {
        ps->p++;
        return unicode_escape(ps, b);
    }
    const char *hit = c > 0 ? strchr(from, c) : NULL;
    if (hit == NULL)
        return fail_expected(ps, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
    ps->p++;
    return buf_put(b, &to[hit - from], 1) == 0 ? 0 : oom(ps);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_length(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    uint32_t cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        cp = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int string_char(parser *ps, buffer *b)
{
    unsigned char c = (unsigned char)*ps->p;
    size_t n = 1;
    if (c < 0x20)
        return fail(ps, "%s", "control character in string (escape it)");
    if (c >= 0x80) {
        n = utf8_length((const unsigned char *)ps->p, (const unsigned char *)ps->end);
        if (n == 0)
            return fail(ps, "%s", "invalid UTF-8 in string");
    }
    if (buf_put(b, ps->p, n) != 0)
        return oom(ps);
    ps->p += n;
    return 0;
}

/* Reads a string starting at its opening quote into a fresh buffer. */
static int parse_string_raw(parser *ps, char **data, size_t *len)
{
    buffer b = {NULL, 0, 0};
    const char *open = ps->p;
    ps->p++;
    if (buf_reserve(&b, 0) != 0)
        return oom(ps);
    b.data[0] = '\0';
    for (;;) {
        int c = peek(ps);
        int rc;
        if (c < 0) {
            rc = fail_at(ps, open, "%s", "unterminated string");
        } else if (c == '"') {
            ps->p++;
            *data = b.data;
            *len = b.len;
            return 0;
        } else if (c == '\\') {
            rc = escape(ps, &b);
        } else {
            rc = string_char(ps, &b);
        }
        if (rc != 0) {
            free(b.data);
            return -1;
        }
    }
}

/* ---- numbers ---- */

static size_t skip_digits(parser *ps)
{
    size_t n = 0;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        ps->p++;
        n++;
    }
    return n;
}

/* Checks the RFC 8259 number grammar; says whether it is integral. */
static int scan_number(parser *ps, int *integral)
{
    *integral = 1;
    if (peek(ps) == '-')
        ps->p++;
    if (peek(ps) == '0') {
        ps->p++;
        if (peek(ps) >= '0' && peek(ps) <= '9')
            return fail(ps, "%s", "leading zero in number");
    } else if (skip_digits(ps) == 0) {
        return fail_expected(ps, "a digit");
    }
    if (peek(ps) == '.') {
        *integral = 0;
        ps->p++;
        if (skip_digits(ps) == 0)
            return fail_expected(ps, "a digit after '.'");
    }
    if (peek(ps) == 'e' || peek(ps) == 'E') {
        *integral = 0;
        ps->p++;
        if (peek(ps) == '+' || peek(ps) == '-')
            ps->p++;
        if (skip_digits(ps) == 0)
            return fail_expected(ps, "a digit in the exponent");
    }
    return 0;
}

/* Exact int64 conversion, accumulating as a negative number so that
 * INT64_MIN fits; 0 when the value does not fit. */
static int to_int64(const char *s, const char *end, int64_t *out)
{
    int negative = *s == '-';
    if (negative)
        s++;
    int64_t v = 0;
    for (; s < end; s++) {
        int d = *s - '0';
        if (v < (INT64_MIN + d) / 10)
            return 0;
        v = v * 10 - d;
    }
    if (!negative) {
        if (v == INT64_MIN)
            return 0;
        v = -v;
    }
    *out = v;
    return 1;
}

static int to_double(parser *ps, const char *s, size_t n, double *out)
{
    char small[64];
    char *copy = n < sizeof small ? small : malloc(n + 1);
    if (copy == NULL)
        return oom(ps);
    memcpy(copy, s, n);
    copy[n] = '\0';
    errno = 0;
    double d = strtod(copy, NULL);
    if (copy != small)
        free(copy);
    if (isinf(d))
        return fail_at(ps, s, "%s", "number too large for a double");
    *out = d;
    return 0;
}

static int parse_number(parser *ps, json_value *out)
{
    const char *s = ps->p;
    int integral;
    if (scan_number(ps, &integral) != 0)
        return -1;
    if (integral && to_int64(s, ps->p, &out->integer)) {
        out->type = JSON_INT;
        out->number = (double)out->integer;
        return 0;
    }
    if (to_double(ps, s, (size_t)(ps->p - s), &out->number) != 0)
        return -1;
    out->type = JSON_DOUBLE;
    return 0;
}

/* ---- containers ---- */

static void value_clear(json_value *v);

static void members_clear(json_member *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].key);
        value_clear(&m[i].value);
    }
    free(m);
}

static void value_clear(json_value *v)
{
    if (v->type == JSON_STRING) {
        free(v->string);
    } else if (v->type == JSON_ARRAY) {
        for (size_t i = 0; i < v->length; i++)
            value_clear(&v->items[i]);
        free(v->items);
    } else if (v->type == JSON_OBJECT) {
        members_clear(v->members, v->length);
    }
    memset(v, 0, sizeof *v);
}

/* Grows *items (of elem bytes each) so that one more fits. */
static int grow(void **items, size_t count, size_t *cap, size_t elem)
{
    if (count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *n = realloc(*items, ncap * elem);
    if (n == NULL)
        return -1;
    *items = n;
    *cap = ncap;
    return 0;
}

/* After an item: ',' (more follow) returns 1, the closer returns 0. */
static int separator(parser *ps, char closer, const char *expected)
{
    skip_ws(ps);
    if (peek(ps) == ',') {
        ps->p++;
        skip_ws(ps);
        if (peek(ps) == closer)
            return fail(ps, "%s", "trailing comma");
        return 1;
    }
    if (peek(ps) == closer) {
        ps->p++;
        return 0;
    }
    return fail_expected(ps, expected);
}

static int parse_array(parser *ps, json_value *out)
{
    size_t cap = 0;
    out->type = JSON_ARRAY;
    ps->p++;
    skip_ws(ps);
    if (peek(ps) == ']') {
        ps->p++;
        return 0;
    }
    for (;;) {
        if (grow((void **)&out->items, out->length, &cap, sizeof *out->items) != 0)
            return oom(ps);
        json_value *item = &out->items[out->length];
        memset(item, 0, sizeof *item);
        if (parse_value(ps, item) != 0)
            return -1;
        out->length++;
        int more = separator(ps, ']', "',' or ']' in array");
        if (more <= 0)
            return more;
    }
}

static int duplicate_key(const json_value *obj, const char *key, size_t len)
{
    for (size_t i = 0; i < obj->length; i++)
        if (obj->members[i].key_length == len && memcmp(obj->members[i].key, key, len) == 0)
            return 1;
    return 0;
}

/* One "key": value pair; the key is owned by the caller on failure. */
static int parse_member(parser *ps, json_value *obj, char **key, size_t *len)
{
    if (peek(ps) != '"')
        return fail_expected(ps, "a string key");
    const char *at = ps->p;
    if (parse_string_raw(ps, key, len) != 0)
        return -1;
    /* Other languages keep the first or the last duplicate: refuse both. */
    if (duplicate_key(obj, *key, *len))
        return fail_at(ps, at, "duplicate key \"%s\"", *key);
    skip_ws(ps);
    if (peek(ps) != ':')
        return fail_expected(ps, "':' after the key");
    ps->p++;
    skip_ws(ps);
    json_member *m = &obj->members[obj->length];
    memset(&m->value, 0, sizeof m->value);
    return parse_value(ps, &m->value);
}

static int parse_object(parser *ps, json_value *out)
{
    size_t cap = 0;
    out->type = JSON_OBJECT;
    ps->p++;
    skip_ws(ps);
    if (peek(ps) == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        if (grow((void **)&out->members, out->length, &cap, sizeof *out->members) != 0)
            return oom(ps);
        char *key = NULL;
        size_t len = 0;
        if (parse_member(ps, out, &key, &len) != 0) {
            free(key);
            return -1;
        }
        out->members[out->length].key = key;
        out->members[out->length].key_length = len;
        out->length++;
        int more = separator(ps, '}', "',' or '}' in object");
        if (more <= 0)
            return more;
    }
}

/* ---- values ---- */

static int parse_literal(parser *ps, json_value *out)
{
    static const struct {
        const char *word;
        json_type type;
        int boolean;
    } lits[] = {{"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        size_t n = strlen(lits[i].word);
        if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, lits[i].word, n) == 0) {
            ps->p += n;
            out->type = lits[i].type;
            out->boolean = lits[i].boolean;
            return 0;
        }
    }
    return fail_expected(ps, "a value");
}

static int parse_container(parser *ps, json_value *out)
{
    if (ps->depth >= JSON_MAX_DEPTH)
        return fail(ps, "%s", "nesting too deep");
    ps->depth++;
    int rc = peek(ps) == '[' ? parse_array(ps, out) : parse_object(ps, out);
    ps->depth--;
    return rc;
}

/* On failure out is left empty (JSON_NULL), whatever was built freed. */
static int parse_value(parser *ps, json_value *out)
{
    int rc;
    int c = peek(ps);
    if (c == '{' || c == '[') {
        rc = parse_container(ps, out);
    } else if (c == '"') {
        out->type = JSON_STRING;
        rc = parse_string_raw(ps, &out->string, &out->length);
        if (rc != 0)
            out->type = JSON_NULL;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        rc = parse_number(ps, out);
    } else {
        rc = parse_literal(ps, out);
    }
    if (rc != 0)
        value_clear(out);
    return rc;
}

int json_parse(const char *text, size_t len, json_value **out, char *err,
               size_t err_cap)
{
    char scratch[JSON_ERROR_MAX];
    parser ps = {text, text, text + len, 0, err ? err : scratch,
                 err ? err_cap : sizeof scratch, 0};
    *out = NULL;
    if (ps.err_cap > 0)
        ps.err[0] = '\0';
    json_value *v = calloc(1, sizeof *v);
    if (v == NULL)
        return oom(&ps);
    skip_ws(&ps);
    int rc = parse_value(&ps, v);
    if (rc == 0) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            rc = fail_expected(&ps, "end of input after the value");
    }
    if (rc != 0) {
        json_free(v);
        return -1;
    }
    *out = v;
    return 0;
}

static char *read_file(const char *path, size_t *len, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    const char *why = NULL;
    char *data = NULL;
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        why = "cannot find its size";
    else if ((unsigned long)size > JSON_MAX_FILE)
        why = "file too large";
    else if ((data = malloc((size_t)size + 1)) == NULL)
        why = "out of memory";
    else if (fread(data, 1, (size_t)size, f) != (size_t)size)
        why = "read error";
    fclose(f);
    if (why != NULL) {
        snprintf(err, err_cap, "%s: %s", path, why);
        free(data);
        return NULL;
    }
    *len = (size_t)size;
    return data;
}

int json_parse_file(const char *path, json_value **out, char *err, size_t err_cap)
{
    char scratch[JSON_ERROR_MAX];
    if (err == NULL || err_cap == 0) {
        err = scratch;
        err_cap = sizeof scratch;
    }
    *out = NULL;
    size_t len;
    char *text = read_file(path, &len, err, err_cap);
    if (text == NULL)
        return -1;
    char msg[JSON_ERROR_MAX];
    int rc = json_parse(text, len, out, msg, sizeof msg);
    free(text);
    if (rc != 0)
        snprintf(err, err_cap, "%s: %s", path, msg);
    return rc;
}

void json_free(json_value *value)
{
    if (value == NULL)
        return;
    value_clear(value);
    free(value);
}

const json_value *json_get(const json_value *object, const char *key)
{
    if (object == NULL || object->type != JSON_OBJECT)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < object->length; i++) {
        const json_member *m = &object->members[i];
        if (m->key_length == len && memcmp(m->key, key, len) == 0)
            return &m->value;
    }
    return NULL;
}

int json_is_string(const json_value *value, const char *s)
{
    return value != NULL && value->type == JSON_STRING &&
           value->length == strlen(s) && memcmp(value->string, s, value->length) == 0;
}

const char *json_type_name(json_type type)
{
    static const char *const names[] = {"null",   "bool",  "integer", "number",
                                        "string", "array", "object"};
    return (unsigned)type < sizeof names / sizeof names[0] ? names[type] : "?";
}
