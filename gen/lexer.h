/*
 * lexer.h - the IDL's tokens.  The whole file is tokenized up front into
 * an array: the parser then needs no lookahead machinery, and doc comments
 * are ordinary tokens it collects where a declaration may start.
 */
#ifndef POLYSOCK_GEN_LEXER_H
#define POLYSOCK_GEN_LEXER_H

#include <stddef.h>

enum tok_kind {
    TOK_EOF,
    TOK_IDENT,  /* [A-Za-z_][A-Za-z0-9_]*; keywords are contextual */
    TOK_INT,    /* -?[0-9]+ or -?0x[0-9a-fA-F]+: ival */
    TOK_DOUBLE, /* -?[0-9]+.[0-9]+([eE][+-]?[0-9]+)?: dval */
    TOK_STRING, /* "...": start/len cover the raw text between the quotes */
    TOK_DOC,    /* /// line: start/len cover the text after "/// " */
    TOK_PUNCT,  /* one of ; ( ) { } [ ] , = : start[0] */
    TOK_ARROW   /* -> */
};

struct token {
    enum tok_kind kind;
    const char *start; /* points into the source text */
    size_t len;
    int line;          /* 1-based */
    int col;           /* 1-based, in bytes */
    long long ival;
    double dval;
};

struct token_list {
    struct token *v;
    size_t n;
};

/* Tokenize src (len bytes, the contents of path).  Returns 0, or -1 after
 * printing "path:line:col: message" for the first lexical error. */
int lex(const char *path, const char *src, size_t len, struct token_list *out);
void token_list_free(struct token_list *tl);

/* How a diagnostic names a token: 'fn', ';', "0.1.0", a doc comment, end
 * of file.  Writes into buf (cap bytes) and returns it. */
const char *token_describe(const struct token *t, char *buf, size_t cap);

/* Does token t spell the identifier (or punctuation) s exactly? */
int tok_is(const struct token *t, const char *s);

/* Unescape the contents of a TOK_STRING (\" \\ \n \t are the escapes the
 * lexer accepted); the caller frees the result. */
char *token_string_value(const struct token *t);

#endif
