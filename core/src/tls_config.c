/*
 * tls_config.c - the TLS configuration handle.
 *
 * A configuration holds plain settings: flags, and the bytes of the files
 * it was given (read and checked when set, so a missing or bad file fails
 * the setter, not a later handshake).  The engine context is built from a
 * snapshot of these settings by the cache (tls_cache.c) when a connection
 * is made, so changing a setting affects only later connections.
 */
#include "tls_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger than any certificate bundle; a bigger "PEM file" is a mistake. */
#define MAX_PEM_FILE (16 * 1024 * 1024)
#define MAX_ALPN_NAME 255

typedef struct tls_config {
    polysock__object base;
    pthread_mutex_t lock; /* settings: setters vs tls_new on other threads */
    polysock__tls_settings settings;
} tls_config;

/* ---- settings ---- */

static void bytes_free(polysock__bytes *b)
{
    polysock__free(b->data);
    b->data = NULL;
    b->len = 0;
}

static int bytes_copy(polysock__bytes *dst, const polysock__bytes *src)
{
    dst->data = NULL;
    dst->len = 0;
    if (src->data == NULL)
        return 0;
    dst->data = polysock__memdup0(src->data, src->len);
    if (dst->data == NULL)
        return -ENOMEM;
    dst->len = src->len;
    return 0;
}

static bool bytes_equal(const polysock__bytes *a, const polysock__bytes *b)
{
    if ((a->data == NULL) != (b->data == NULL) || a->len != b->len)
        return false;
    return a->len == 0 || memcmp(a->data, b->data, a->len) == 0;
}

/* The byte fields of the settings, for the functions that walk them all. */
#define BYTES_FIELDS(X) X(ca_pem) X(ca_path) X(cert_pem) X(key_pem) X(alpn)

void polysock__tls_settings_free(polysock__tls_settings *s)
{
#define FREE_FIELD(f) bytes_free(&s->f);
    BYTES_FIELDS(FREE_FIELD)
#undef FREE_FIELD
}

int polysock__tls_settings_copy(polysock__tls_settings *dst,
                                const polysock__tls_settings *src)
{
    *dst = *src;
    int rc = 0;
    /* After a failure the rest still point into src: forget them. */
#define COPY_FIELD(f)                          \
    if (rc == 0)                               \
        rc = bytes_copy(&dst->f, &src->f);     \
    else                                       \
        dst->f.data = NULL;
    BYTES_FIELDS(COPY_FIELD)
#undef COPY_FIELD
    if (rc != 0)
        polysock__tls_settings_free(dst);
    return rc;
}

bool polysock__tls_settings_equal(const polysock__tls_settings *a,
                                  const polysock__tls_settings *b)
{
    if (a->server != b->server || a->verify != b->verify ||
        a->require_client_cert != b->require_client_cert ||
        a->allow_unexpected_eof != b->allow_unexpected_eof ||
        a->min_version != b->min_version || a->custom_trust != b->custom_trust)
        return false;
#define SAME_FIELD(f) if (!bytes_equal(&a->f, &b->f)) return false;
    BYTES_FIELDS(SAME_FIELD)
#undef SAME_FIELD
    return true;
}

/* FNV-1a: the cache compares hashes before whole settings. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return h;
}

uint64_t polysock__tls_settings_hash(const polysock__tls_settings *s)
{
    unsigned char flags[] = {s->server, s->verify, s->require_client_cert,
                             s->allow_unexpected_eof, s->custom_trust};
    uint64_t h = fnv(UINT64_C(0xcbf29ce484222325), flags, sizeof flags);
    h = fnv(h, &s->min_version, sizeof s->min_version);
#define HASH_FIELD(f) h = fnv(fnv(h, &s->f.len, sizeof s->f.len), s->f.data ? s->f.data : "", s->f.len);
    BYTES_FIELDS(HASH_FIELD)
#undef HASH_FIELD
    return h;
}

/* ---- files ---- */

static int read_file(const char *path, polysock__bytes *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    polysock__buf b = {0};
    char chunk[8192];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        if (b.len + (size_t)n > MAX_PEM_FILE) {
            rc = -EFBIG;
            break;
        }
        polysock__buf_add(&b, chunk, (size_t)n);
    }
    close(fd);
    polysock__buf_add_char(&b, '\0');
    if (rc == 0 && b.failed)
        rc = -ENOMEM;
    if (rc != 0) {
        polysock__buf_free(&b);
        return rc;
    }
    out->data = b.data;
    out->len = b.len - 1;
    return 0;
}

/* ---- the handle ---- */

static void config_destroy(polysock__object *obj)
{
    tls_config *cfg = (tls_config *)obj;
    polysock__tls_settings_free(&cfg->settings);
    pthread_mutex_destroy(&cfg->lock);
}

int polysock_tls_config_new(int server, polysock_handle *handle)
{
    if (handle == NULL)
        return POLYSOCK_ENULL;
    tls_config *cfg = polysock__calloc(1, sizeof *cfg);
    if (cfg == NULL)
        return -ENOMEM;
    cfg->base.kind = POLYSOCK__KIND_TLS_CONFIG;
    cfg->base.fd = -1;
    cfg->base.destroy = config_destroy;
    pthread_mutex_init(&cfg->lock, NULL);
    cfg->settings.server = server != 0;
    cfg->settings.verify = server == 0;
    cfg->settings.min_version = POLYSOCK_TLS_VERSION_1_2;
    int rc = polysock__handle_new(&cfg->base, handle);
    if (rc != 0) {
        config_destroy(&cfg->base);
        polysock__free(cfg);
    }
    return rc;
}

int polysock_tls_config_close(polysock_handle cfg)
{
    return polysock__handle_close(cfg, POLYSOCK__KIND_TLS_CONFIG);
}

/* Acquire cfg and lock its settings; unlock_config undoes both. */
static int lock_config(polysock_handle h, tls_config **cfg)
{
    polysock__object *obj;
    int rc = polysock__handle_acquire(h, POLYSOCK__KIND_TLS_CONFIG, &obj);
    if (rc != 0)
        return rc;
    *cfg = (tls_config *)obj;
    pthread_mutex_lock(&(*cfg)->lock);
    return 0;
}

static void unlock_config(tls_config *cfg)
{
    pthread_mutex_unlock(&cfg->lock);
    polysock__handle_release(&cfg->base);
}

/* Replace a byte setting by new bytes (ownership passes). */
static void replace(polysock__bytes *field, polysock__bytes *value)
{
    bytes_free(field);
    *field = *value;
    value->data = NULL;
    value->len = 0;
}

int polysock_tls_config_set_verify(polysock_handle h, int verify)
{
    tls_config *cfg;
    int rc = lock_config(h, &cfg);
    if (rc != 0)
        return rc;
    if (cfg->settings.server)
        rc = POLYSOCK_EVALUE;
    else
        cfg->settings.verify = verify != 0;
    unlock_config(cfg);
    return rc;
}

int polysock_tls_config_set_require_client_cert(polysock_handle h, int require)
{
    tls_config *cfg;
    int rc = lock_config(h, &cfg);
    if (rc != 0)
        return rc;
    if (!cfg->settings.server)
        rc = POLYSOCK_EVALUE;
    else
        cfg->settings.require_client_cert = require != 0;
    unlock_config(cfg);
    return rc;
}

int polysock_tls_config_set_min_version(polysock_handle h, int version)
{
    if (version != POLYSOCK_TLS_VERSION_1_2 && version != POLYSOCK_TLS_VERSION_1_3)
        return POLYSOCK_EVALUE;
    tls_config *cfg;
    int rc = lock_config(h, &cfg);
    if (rc != 0)
        return rc;
    cfg->settings.min_version = version;
    unlock_config(cfg);
    return 0;
}

int polysock_tls_config_set_allow_unexpected_eof(polysock_handle h, int allow)
{
    tls_config *cfg;
    int rc = lock_config(h, &cfg);
    if (rc != 0)
        return rc;
    cfg->settings.allow_unexpected_eof = allow != 0;
    unlock_config(cfg);
    return 0;
}

/* Trust files already checked, by a hash of their bytes.  A binding that
 * makes a configuration per connection (ssl(sock, cafile=...)) then pays
 * for reading the file, not for parsing each of its certificates again
 * (milliseconds for a system bundle).  Lock-free, so fork-safe; a hash
 * collision would only skip this early check: building the context parses
 * the file again and fails cleanly. */
#define CHECKED_TRUST_MAX 8
static _Atomic uint64_t checked_trust[CHECKED_TRUST_MAX];
static atomic_uint checked_next;

static uint64_t bytes_hash(const polysock__bytes *b)
{
    return fnv(UINT64_C(0xcbf29ce484222325), b->data, b->len) | 1; /* 0: empty slot */
}

static bool trust_was_checked(uint64_t hash)
{
    for (size_t i = 0; i < CHECKED_TRUST_MAX; i++)
        if (atomic_load(&checked_trust[i]) == hash)
            return true;
    return false;
}

static void remember_checked_trust(uint64_t hash)
{
    atomic_store(&checked_trust[atomic_fetch_add(&checked_next, 1) % CHECKED_TRUST_MAX], hash);
}

static int check_trust(const polysock__bytes *pem, char *reason)
{
    uint64_t hash = bytes_hash(pem);
    if (trust_was_checked(hash))
        return 0;
    int rc = POLYSOCK__TLS_ENGINE->check_trust(pem, reason);
    if (rc == 0)
        remember_checked_trust(hash);
    return rc;
}

int polysock_tls_config_set_ca(polysock_handle h, const char *cafile,
                               const char *capath)
{
    if (cafile == NULL && capath == NULL)
        return POLYSOCK_ENULL;
    polysock__bytes pem = {0}, dir = {0};
    char reason[POLYSOCK__TLS_REASON_MAX];
    int rc = 0;
    if (cafile != NULL && (rc = read_file(cafile, &pem)) == 0)
        rc = check_trust(&pem, reason);
    if (rc == 0 && capath != NULL) {
        struct stat st;
        if (stat(capath, &st) < 0)
            rc = -errno;
        else if (!S_ISDIR(st.st_mode))
            rc = -ENOTDIR;
        else if ((dir.data = polysock__memdup0(capath, strlen(capath))) == NULL)
            rc = -ENOMEM;
        else
            dir.len = strlen(capath);
    }
    tls_config *cfg = NULL;
    if (rc == 0)
        rc = lock_config(h, &cfg);
    if (rc == 0) {
        cfg->settings.custom_trust = true;
        replace(&cfg->settings.ca_pem, &pem);
        replace(&cfg->settings.ca_path, &dir);
        unlock_config(cfg);
    }
    bytes_free(&pem);
    bytes_free(&dir);
    return rc;
}

int polysock_tls_config_set_certificate(polysock_handle h, const char *certfile,
                                        const char *keyfile)
{
    if (certfile == NULL)
        return POLYSOCK_ENULL;
    polysock__bytes cert = {0}, key = {0};
    char reason[POLYSOCK__TLS_REASON_MAX];
    int rc = read_file(certfile, &cert);
    if (rc == 0 && keyfile != NULL)
        rc = read_file(keyfile, &key);
    if (rc == 0)
        rc = POLYSOCK__TLS_ENGINE->check_credentials(&cert, &key, reason);
    tls_config *cfg = NULL;
    if (rc == 0)
        rc = lock_config(h, &cfg);
    if (rc == 0) {
        replace(&cfg->settings.cert_pem, &cert);
        replace(&cfg->settings.key_pem, &key);
        unlock_config(cfg);
    }
    bytes_free(&cert);
    bytes_free(&key);
    return rc;
}

/* "h2,http/1.1" -> "\x02h2\x08http/1.1"; "" -> unset. */
static int alpn_wire(const char *protocols, polysock__bytes *out)
{
    size_t len = strlen(protocols);
    if (len == 0)
        return 0;
    /* Each name gains a length byte and loses a comma: len + 1 at most. */
    unsigned char *wire = polysock__malloc(len + 2);
    if (wire == NULL)
        return -ENOMEM;
    size_t w = 0;
    for (const char *p = protocols;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == 0 || n > MAX_ALPN_NAME) {
            polysock__free(wire);
            return POLYSOCK_EVALUE;
        }
        wire[w++] = (unsigned char)n;
        memcpy(wire + w, p, n);
        w += n;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    wire[w] = '\0';
    out->data = (char *)wire;
    out->len = w;
    return 0;
}

int polysock_tls_config_set_alpn(polysock_handle h, const char *protocols)
{
    polysock__bytes wire = {0};
    int rc = protocols != NULL ? alpn_wire(protocols, &wire) : 0;
    tls_config *cfg = NULL;
    if (rc == 0)
        rc = lock_config(h, &cfg);
    if (rc == 0) {
        replace(&cfg->settings.alpn, &wire);
        unlock_config(cfg);
    }
    bytes_free(&wire);
    return rc;
}

int polysock__tls_config_context(polysock_handle h, polysock__tls_context **ctx)
{
    tls_config *cfg;
    int rc = lock_config(h, &cfg);
    if (rc != 0)
        return rc;
    if (cfg->settings.server && cfg->settings.cert_pem.data == NULL)
        rc = POLYSOCK_ETLS_CONFIG; /* a server needs a certificate */
    char reason[POLYSOCK__TLS_REASON_MAX];
    /* Built under the configuration's lock: threads making connections
     * from one configuration at once wait for one build, then share it. */
    if (rc == 0)
        rc = polysock__tls_context_get(&cfg->settings, ctx, reason);
    unlock_config(cfg);
    return rc;
}
