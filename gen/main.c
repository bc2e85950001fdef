/*
 * main.c - the polysock-gen command line.
 *
 *   polysock-gen IDLFILE BACKEND OUTDIR       write the backend's files
 *   polysock-gen IDLFILE --list-outputs BACKEND  print what it would write
 *   polysock-gen IDLFILE --fingerprint        print the ABI fingerprint
 *   polysock-gen IDLFILE --check              parse and check only
 *   polysock-gen --list-backends | --help
 *
 * Silent on success, so make output stays readable.  Exit status: 0 ok,
 * 1 an error in the IDL or while writing, 2 a usage error.
 */
#include "backends.h"
#include "fingerprint.h"
#include "parser.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *fp)
{
    size_t i;

    fputs("usage: polysock-gen IDLFILE BACKEND OUTDIR\n"
          "       polysock-gen IDLFILE --list-outputs BACKEND\n"
          "       polysock-gen IDLFILE --fingerprint\n"
          "       polysock-gen IDLFILE --check\n"
          "       polysock-gen --list-backends\n"
          "       polysock-gen --help\n"
          "\n"
          "Reads the polysock IDL (grammar: docs/idl.md), checks it and runs "
          "one\nbackend over it, writing its files under OUTDIR (directories "
          "are created).\n--list-outputs prints the paths, relative to "
          "OUTDIR, that BACKEND writes.\n\nbackends:\n", fp);
    for (i = 0; i < nbackends; i++)
        fprintf(fp, "  %-6s %s\n", backends[i]->name, backends[i]->summary);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "polysock-gen: %s%s%s%s\n", msg, arg ? " '" : "",
            arg ? arg : "", arg ? "'" : "");
    usage(stderr);
    return 2;
}

static const struct backend *find_or_complain(const char *name)
{
    const struct backend *be = backend_find(name);
    size_t i;

    if (be == NULL) {
        fprintf(stderr, "polysock-gen: unknown backend '%s' (known:", name);
        for (i = 0; i < nbackends; i++)
            fprintf(stderr, " %s", backends[i]->name);
        fputs(")\n", stderr);
    }
    return be;
}

/* Run be over the model: into outdir, or as a listing when outdir is NULL. */
static int run_backend(const struct model *m, const struct backend *be,
                       const char *outdir)
{
    struct emitter out;
    int rc;

    emitter_init(&out, outdir);
    rc = be->generate(m, &out);
    emitter_free(&out);
    if (fflush(stdout) != 0)
        rc = -1;
    return rc == 0 ? 0 : 1;
}

static int run(const char *idl, const char *what, const char *arg)
{
    const struct backend *be = NULL;
    struct model m;
    int rc = 0;

    if (strcmp(what, "--fingerprint") == 0 || strcmp(what, "--check") == 0) {
        if (arg != NULL)
            return usage_error("unexpected argument", arg);
    } else if (arg == NULL) {
        return usage_error(strcmp(what, "--list-outputs") == 0
                               ? "--list-outputs needs a BACKEND"
                               : "missing OUTDIR", NULL);
    } else if (what[0] == '-' && strcmp(what, "--list-outputs") != 0) {
        return usage_error("unknown option", what);
    }
    if (strcmp(what, "--list-outputs") == 0 || what[0] != '-') {
        be = find_or_complain(strcmp(what, "--list-outputs") == 0 ? arg : what);
        if (be == NULL)
            return 2;
    }
    /* Parse only once the command line is known to be right. */
    if (parse_idl_file(idl, &m) != 0)
        return 1;
    if (strcmp(what, "--fingerprint") == 0) {
        char fp[FINGERPRINT_HEX_LEN + 1];

        fingerprint_hex(&m, fp);
        printf("%s\n", fp);
    } else if (be != NULL) {
        rc = run_backend(&m, be, strcmp(what, "--list-outputs") == 0 ? NULL
                                                                     : arg);
    }
    model_free(&m);
    return rc;
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--list-backends") == 0) {
        for (i = 0; i < nbackends; i++)
            printf("%s\n", backends[i]->name);
        return 0;
    }
    if (argc < 3 || argc > 4)
        return usage_error("wrong number of arguments", NULL);
    return run(argv[1], argv[2], argc == 4 ? argv[3] : NULL);
}
