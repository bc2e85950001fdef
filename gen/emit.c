/*
 * emit.c - writing generated files.
 */
#define _POSIX_C_SOURCE 200809L

#include "emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void emitter_init(struct emitter *e, const char *outdir)
{
    e->outdir = outdir;
    sb_init(&e->buf);
    e->relpath = NULL;
}

void emitter_free(struct emitter *e)
{
    sb_free(&e->buf);
    free(e->relpath);
    e->relpath = NULL;
}

struct sbuf *emit_begin(struct emitter *e, const char *relpath)
{
    free(e->relpath);
    e->relpath = xstrdup(relpath);
    sb_clear(&e->buf);
    sb_puts(&e->buf, "");
    return &e->buf;
}

/* mkdir -p for every directory above the file at path. */
static int make_parents(const char *path)
{
    char *dir = xstrdup(path);
    char *s;

    for (s = dir + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "polysock-gen: cannot create %s: %s\n", dir,
                    strerror(errno));
            free(dir);
            return -1;
        }
        *s = '/';
    }
    free(dir);
    return 0;
}

static int write_file(const char *path, const struct sbuf *content)
{
    struct sbuf tmp;
    FILE *fp;
    int ok;

    /* Write beside the target and rename, so an interrupted run never
     * leaves a truncated file that make would consider up to date. */
    sb_init(&tmp);
    sb_printf(&tmp, "%s.tmp", path);
    fp = fopen(tmp.s, "wb");
    ok = fp != NULL;
    if (ok) {
        ok = fwrite(content->s, 1, content->len, fp) == content->len;
        ok = (fclose(fp) == 0) && ok;
    }
    if (ok)
        ok = rename(tmp.s, path) == 0;
    if (!ok) {
        fprintf(stderr, "polysock-gen: cannot write %s: %s\n", path,
                strerror(errno));
        remove(tmp.s);
    }
    sb_free(&tmp);
    return ok ? 0 : -1;
}

int emit_end(struct emitter *e)
{
    struct sbuf path;
    int rc;

    if (e->outdir == NULL) {
        printf("%s\n", e->relpath);
        return 0;
    }
    sb_init(&path);
    sb_printf(&path, "%s/%s", e->outdir, e->relpath);
    rc = make_parents(path.s);
    if (rc == 0)
        rc = write_file(path.s, &e->buf);
    sb_free(&path);
    return rc;
}
