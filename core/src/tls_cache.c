/*
 * tls_cache.c - engine contexts shared by every connection with equal
 * settings.
 *
 * Building a context costs milliseconds (loading the system trust store
 * alone is ~20 ms), and bindings that follow their language's TLS API
 * often make a configuration per connection; so contexts are kept in a
 * small library-wide cache keyed by the whole settings (file contents
 * included, so a changed certificate file gives a new context).  A context
 * is immutable once built and reference counted: the cache holds one
 * reference, each user another; evicting one only drops the cache's.
 * Up to CACHE_SIZE contexts stay cached after their last user is gone
 * (their bytes show in polysock_get_stats until evicted or flushed).
 */
#include "tls_engine.h"

#include <errno.h>
#include <pthread.h>

#define CACHE_SIZE 8

struct polysock__tls_context {
    polysock__tls_settings key;
    uint64_t hash;
    void *engine_ctx;
    _Atomic int refs;
    polysock__tls_context *next; /* cache list, most recently used first */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static polysock__tls_context *cache_head; /* cache_lock */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A child forked while another thread held the lock must not inherit it
 * locked. */
static void atfork_prepare(void) { pthread_mutex_lock(&cache_lock); }
static void atfork_release(void) { pthread_mutex_unlock(&cache_lock); }
static void install_atfork(void)
{
    pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

static void context_destroy(polysock__tls_context *ctx)
{
    POLYSOCK__TLS_ENGINE->context_free(ctx->engine_ctx);
    polysock__tls_settings_free(&ctx->key);
    polysock__free(ctx);
}

void polysock__tls_context_put(polysock__tls_context *ctx)
{
    if (ctx != NULL && atomic_fetch_sub(&ctx->refs, 1) == 1)
        context_destroy(ctx);
}

void *polysock__tls_context_engine(const polysock__tls_context *ctx)
{
    return ctx->engine_ctx;
}

const polysock__tls_settings *polysock__tls_context_settings(const polysock__tls_context *ctx)
{
    return &ctx->key;
}

/* The cached context equal to s, moved to the front, with a reference for
 * the caller; NULL when none.  cache_lock held. */
static polysock__tls_context *find_locked(const polysock__tls_settings *s,
                                          uint64_t hash)
{
    for (polysock__tls_context **p = &cache_head; *p != NULL; p = &(*p)->next) {
        polysock__tls_context *c = *p;
        if (c->hash == hash && polysock__tls_settings_equal(&c->key, s)) {
            *p = c->next;
            c->next = cache_head;
            cache_head = c;
            atomic_fetch_add(&c->refs, 1);
            return c;
        }
    }
    return NULL;
}

/* Insert ctx at the front; returns the context evicted from the tail (its
 * cache reference is the caller's to drop, outside the lock). */
static polysock__tls_context *insert_locked(polysock__tls_context *ctx)
{
    ctx->next = cache_head;
    cache_head = ctx;
    size_t n = 1;
    for (polysock__tls_context *c = cache_head; c->next != NULL; c = c->next, n++) {
        if (n == CACHE_SIZE) {
            polysock__tls_context *evicted = c->next;
            c->next = NULL;
            return evicted;
        }
    }
    return NULL;
}

static int build(const polysock__tls_settings *s, uint64_t hash,
                 polysock__tls_context **out, char *reason)
{
    polysock__tls_context *ctx = polysock__calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return -ENOMEM;
    int rc = polysock__tls_settings_copy(&ctx->key, s);
    if (rc == 0)
        rc = POLYSOCK__TLS_ENGINE->context_new(s, &ctx->engine_ctx, reason);
    if (rc != 0) {
        polysock__tls_settings_free(&ctx->key); /* safe after a failed copy */
        polysock__free(ctx);
        return rc;
    }
    ctx->hash = hash;
    atomic_init(&ctx->refs, 1);
    *out = ctx;
    return 0;
}

int polysock__tls_context_get(const polysock__tls_settings *s,
                              polysock__tls_context **out, char *reason)
{
    pthread_once(&atfork_once, install_atfork);
    uint64_t hash = polysock__tls_settings_hash(s);
    pthread_mutex_lock(&cache_lock);
    polysock__tls_context *found = find_locked(s, hash);
    pthread_mutex_unlock(&cache_lock);
    if (found != NULL) {
        *out = found;
        return 0;
    }
    /* Built without the lock: other settings need not wait for it. */
    polysock__tls_context *built;
    int rc = build(s, hash, &built, reason);
    if (rc != 0)
        return rc;
    polysock__tls_context *evicted = NULL;
    pthread_mutex_lock(&cache_lock);
    found = find_locked(s, hash); /* another thread built it meanwhile */
    if (found == NULL) {
        atomic_fetch_add(&built->refs, 1); /* the cache's and the caller's */
        evicted = insert_locked(built);
    }
    pthread_mutex_unlock(&cache_lock);
    if (found != NULL) {
        polysock__tls_context_put(built);
        built = found;
    }
    polysock__tls_context_put(evicted);
    *out = built;
    return 0;
}

void polysock__tls_cache_flush(void)
{
    pthread_mutex_lock(&cache_lock);
    polysock__tls_context *list = cache_head;
    cache_head = NULL;
    pthread_mutex_unlock(&cache_lock);
    while (list != NULL) {
        polysock__tls_context *next = list->next;
        polysock__tls_context_put(list);
        list = next;
    }
}
