/*
 * json.h - a small, strict JSON reader (RFC 8259) for the shared test
 * vectors.
 *
 * Strict because the same files are read by the Python, Ruby and Node
 * suites: whatever this reader accepts, their standard parsers must read
 * the same way.  So there are no comments, no trailing commas, no duplicate
 * keys, no NaN/Infinity, no lone surrogates and no invalid UTF-8.
 *
 * Strings carry an explicit length because "\u0000" is legal JSON and the
 * vectors need it (a host name with an embedded NUL).  A number written
 * without fraction or exponent that fits int64 is JSON_INT and exact
 * (4294967296, -1, -9223372036854775808); any other number is JSON_DOUBLE.
 */
#ifndef POLYSOCK_TEST_JSON_H
#define POLYSOCK_TEST_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
    JSON_NULL = 0,
    JSON_BOOL,
    JSON_INT,
    JSON_DOUBLE,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json_value json_value;
typedef struct json_member json_member;

struct json_value {
    json_type type;
    int boolean;          /* JSON_BOOL: 0 or 1 */
    int64_t integer;      /* JSON_INT */
    double number;        /* JSON_INT (converted) and JSON_DOUBLE */
    char *string;         /* JSON_STRING: `length` bytes, then a NUL */
    size_t length;        /* string bytes, array items or object members */
    json_value *items;    /* JSON_ARRAY */
    json_member *members; /* JSON_OBJECT, in document order */
};

struct json_member {
    char *key; /* key_length bytes, then a NUL */
    size_t key_length;
    json_value value;
};

/* Room for any message the reader writes. */
#define JSON_ERROR_MAX 256

/* Parse len bytes of text.  On success *out owns the tree (json_free it)
 * and 0 is returned; on failure -1, *out is NULL and err holds one line:
 * "line L, column C: what was expected". */
int json_parse(const char *text, size_t len, json_value **out, char *err,
               size_t err_cap);
/* json_parse on a whole file; err starts with the path. */
int json_parse_file(const char *path, json_value **out, char *err,
                    size_t err_cap);
/* Free a tree from json_parse (NULL is allowed). */
void json_free(json_value *value);

/* The member of object named key (no NUL inside), or NULL when object is
 * not an object or has no such member. */
const json_value *json_get(const json_value *object, const char *key);
/* 1 when value is a string equal to s (and holds no NUL). */
int json_is_string(const json_value *value, const char *s);
/* "null", "bool", "integer", "number", "string", "array", "object". */
const char *json_type_name(json_type type);

#endif
