/*
 * lexer.c - turns IDL text into tokens with line:column positions.
 */
#include "lexer.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Identifiers longer than this are surely a mistake, and the bound keeps
 * the parser's "record.field" name buffer safe. */
#define MAX_IDENT 100

struct lexer {
    const char *path;
    const char *src;
    size_t len;
    size_t pos;
    int line;
    int col;
    struct token_list *out;
};

static int at(const struct lexer *lx, size_t off)
{
    return lx->pos + off < lx->len ? (unsigned char)lx->src[lx->pos + off] : -1;
}

static void step(struct lexer *lx)
{
    if (lx->src[lx->pos] == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->pos++;
}

static int lex_error(const struct lexer *lx, int line, int col,
                     const char *fmt, ...) GEN_PRINTF(4, 5);

static int lex_error(const struct lexer *lx, int line, int col,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdiag(lx->path, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

static struct token *emit(struct lexer *lx, enum tok_kind kind,
                          const char *start, size_t len, int line, int col)
{
    struct token *t;

    lx->out->v = xpush(lx->out->v, &lx->out->n, sizeof *lx->out->v);
    t = &lx->out->v[lx->out->n - 1];
    t->kind = kind;
    t->start = start;
    t->len = len;
    t->line = line;
    t->col = col;
    return t;
}

static int is_ident_start(int c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* "//" comments vanish; "///" (but not "////") becomes a TOK_DOC holding
 * the text after the slashes and one optional space. */
static void lex_comment(struct lexer *lx)
{
    int line = lx->line, col = lx->col;
    int doc = at(lx, 2) == '/' && at(lx, 3) != '/';
    size_t start;

    step(lx);
    step(lx);
    if (doc) {
        step(lx);
        if (at(lx, 0) == ' ')
            step(lx);
    }
    start = lx->pos;
    while (at(lx, 0) != -1 && at(lx, 0) != '\n')
        step(lx);
    if (doc) {
        size_t end = lx->pos;

        while (end > start && (lx->src[end - 1] == '\r' ||
                               lx->src[end - 1] == ' ' ||
                               lx->src[end - 1] == '\t'))
            end--;
        emit(lx, TOK_DOC, lx->src + start, end - start, line, col);
    }
}

static int lex_ident(struct lexer *lx)
{
    int line = lx->line, col = lx->col;
    size_t start = lx->pos;

    while (at(lx, 0) != -1 && is_ident_char(at(lx, 0)))
        step(lx);
    if (lx->pos - start > MAX_IDENT)
        return lex_error(lx, line, col, "identifier longer than %d characters",
                         MAX_IDENT);
    emit(lx, TOK_IDENT, lx->src + start, lx->pos - start, line, col);
    return 0;
}

/* Is text a well-formed double literal: digits '.' digits [e[+-]digits]?
 * Stricter than strtod on purpose: no "1.", ".5", "inf" or hex floats. */
static int is_double_syntax(const char *s)
{
    if (*s == '-')
        s++;
    if (!isdigit((unsigned char)*s))
        return 0;
    while (isdigit((unsigned char)*s))
        s++;
    if (*s++ != '.' || !isdigit((unsigned char)*s))
        return 0;
    while (isdigit((unsigned char)*s))
        s++;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
}

/* Parse an integer or double literal held in text (NUL-terminated). */
static int parse_number(const char *text, struct token *t)
{
    const char *digits = text[0] == '-' ? text + 1 : text;
    int hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
    char *end;

    errno = 0;
    if (strchr(text, '.') != NULL) {
        if (!is_double_syntax(text))
            return -1;
        t->kind = TOK_DOUBLE;
        t->dval = strtod(text, &end);
        return errno == ERANGE ? -1 : 0;
    }
    /* Base 10 unless 0x: a leading 0 is not octal, which would surprise. */
    if (!isdigit((unsigned char)digits[hex ? 2 : 0]))
        return -1;
    t->kind = TOK_INT;
    t->ival = strtoll(text, &end, hex ? 16 : 10);
    return (errno == ERANGE || *end != '\0') ? -1 : 0;
}

/* A number runs over every character that could continue it, so "12abc"
 * is one bad number rather than 12 followed by an identifier. */
static int lex_number(struct lexer *lx)
{
    int line = lx->line, col = lx->col;
    size_t start = lx->pos;
    struct token *t;
    char *text;
    int rc;

    if (at(lx, 0) == '-')
        step(lx);
    while (at(lx, 0) != -1 &&
           (is_ident_char(at(lx, 0)) || at(lx, 0) == '.' ||
            ((at(lx, 0) == '+' || at(lx, 0) == '-') &&
             (lx->src[lx->pos - 1] == 'e' || lx->src[lx->pos - 1] == 'E'))))
        step(lx);
    text = xstrndup(lx->src + start, lx->pos - start);
    t = emit(lx, TOK_INT, lx->src + start, lx->pos - start, line, col);
    rc = parse_number(text, t);
    if (rc != 0)
        lex_error(lx, line, col, "bad number '%s'", text);
    free(text);
    return rc;
}

static int lex_string(struct lexer *lx)
{
    int line = lx->line, col = lx->col;
    size_t start;

    step(lx);
    start = lx->pos;
    for (;;) {
        int c = at(lx, 0);

        if (c == -1 || c == '\n')
            return lex_error(lx, line, col, "unterminated string");
        if (c == '"')
            break;
        if (c == '\\') {
            int e = at(lx, 1);

            if (e != '"' && e != '\\' && e != 'n' && e != 't')
                return lex_error(lx, lx->line, lx->col,
                                 "unknown escape in string: only \\\" \\\\ "
                                 "\\n \\t are allowed");
            step(lx);
        }
        step(lx);
    }
    emit(lx, TOK_STRING, lx->src + start, lx->pos - start, line, col);
    step(lx);
    return 0;
}

/* Length of the UTF-8 sequence starting at s (at most n bytes), or 0 when
 * it is malformed: the JSON backend copies docs verbatim, so they must be
 * valid UTF-8 for its output to be valid JSON. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    for (i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Reject NUL bytes and malformed UTF-8 before tokenizing, with a position. */
static int check_encoding(struct lexer *lx)
{
    int line = 1, col = 1;
    size_t i = 0;

    while (i < lx->len) {
        const unsigned char *s = (const unsigned char *)lx->src + i;
        size_t n = s[0] == '\0' ? 0 : utf8_len(s, lx->len - i);

        if (n == 0)
            return lex_error(lx, line, col, "%s",
                             s[0] == '\0' ? "NUL byte in the IDL"
                                          : "invalid UTF-8 in the IDL");
        if (s[0] == '\n') {
            line++;
            col = 1;
        } else {
            col += (int)n;
        }
        i += n;
    }
    return 0;
}

static int lex_one(struct lexer *lx)
{
    int c = at(lx, 0);

    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        step(lx);
        return 0;
    }
    if (c == '/' && at(lx, 1) == '/') {
        lex_comment(lx);
        return 0;
    }
    if (is_ident_start(c))
        return lex_ident(lx);
    if (isdigit(c) || (c == '-' && at(lx, 1) != -1 && isdigit(at(lx, 1))))
        return lex_number(lx);
    if (c == '"')
        return lex_string(lx);
    if (c == '-' && at(lx, 1) == '>') {
        emit(lx, TOK_ARROW, lx->src + lx->pos, 2, lx->line, lx->col);
        step(lx);
        step(lx);
        return 0;
    }
    if (c != -1 && strchr(";(){}[],=", c) != NULL) {
        emit(lx, TOK_PUNCT, lx->src + lx->pos, 1, lx->line, lx->col);
        step(lx);
        return 0;
    }
    if (c >= 0x20 && c < 0x7f)
        return lex_error(lx, lx->line, lx->col, "unexpected character '%c'", c);
    return lex_error(lx, lx->line, lx->col, "unexpected character 0x%02x", c);
}

int lex(const char *path, const char *src, size_t len, struct token_list *out)
{
    struct lexer lx = {path, src, len, 0, 1, 1, out};

    out->v = NULL;
    out->n = 0;
    if (check_encoding(&lx) != 0)
        return -1;
    while (lx.pos < lx.len) {
        if (lex_one(&lx) != 0) {
            token_list_free(out);
            return -1;
        }
    }
    emit(&lx, TOK_EOF, src + len, 0, lx.line, lx.col);
    return 0;
}

void token_list_free(struct token_list *tl)
{
    free(tl->v);
    tl->v = NULL;
    tl->n = 0;
}

const char *token_describe(const struct token *t, char *buf, size_t cap)
{
    int n = t->len > 40 ? 40 : (int)t->len;

    switch (t->kind) {
    case TOK_EOF:
        snprintf(buf, cap, "end of file");
        break;
    case TOK_DOC:
        snprintf(buf, cap, "a doc comment");
        break;
    case TOK_STRING:
        snprintf(buf, cap, "\"%.*s\"", n, t->start);
        break;
    default:
        snprintf(buf, cap, "'%.*s'", n, t->start);
        break;
    }
    return buf;
}

int tok_is(const struct token *t, const char *s)
{
    return (t->kind == TOK_IDENT || t->kind == TOK_PUNCT ||
            t->kind == TOK_ARROW) &&
           t->len == strlen(s) && memcmp(t->start, s, t->len) == 0;
}

char *token_string_value(const struct token *t)
{
    struct sbuf b;
    size_t i;

    sb_init(&b);
    sb_puts(&b, "");
    for (i = 0; i < t->len; i++) {
        char c = t->start[i];

        if (c == '\\' && i + 1 < t->len) {
            c = t->start[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        sb_putc(&b, c);
    }
    return sb_take(&b);
}
