/*
 * handles.c - the handle table.
 *
 * A handle is (generation << 24) | slot.  The generation of a slot grows
 * each time the slot is freed, so a handle kept after close (or made up)
 * never matches a later object in the same slot, even when the kernel gives
 * the new socket the same descriptor number.  Handles stay below 2^53 so a
 * JavaScript number holds them exactly.
 *
 * Each slot has one atomic word: its generation, a LIVE bit and the count
 * of calls in flight.  A call takes a reference with one compare-and-swap
 * that also checks the generation and LIVE, so the hot path takes no lock.
 * Closing clears LIVE (no new call can get in), wakes calls blocked on the
 * object, and the last reference out closes the descriptor, frees the
 * object and only then frees the slot: a descriptor number is never reused
 * while a call may still pass it to the kernel.  The table mutex guards
 * only the free list and growth.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#define SLOT_BITS 24
#define SLOT_MASK ((UINT64_C(1) << SLOT_BITS) - 1)
#define GEN_BITS 29 /* SLOT_BITS + GEN_BITS = 53 */
#define GEN_MAX ((UINT32_C(1) << GEN_BITS) - 1)
#define CHUNK_SLOTS 1024
#define MAX_CHUNKS ((1u << SLOT_BITS) / CHUNK_SLOTS)
#define NO_SLOT UINT32_MAX

/* The slot word: generation in the top bits, LIVE, and the reference count
 * (calls in flight, plus one held by close while it wakes them). */
#define WORD_GEN_SHIFT 34
#define WORD_LIVE (UINT64_C(1) << 33)
#define WORD_REFS ((UINT64_C(1) << 32) - 1)

typedef struct slot {
    _Atomic uint64_t word;
    polysock__object *_Atomic obj;
    uint32_t next_free; /* table lock */
} slot;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
/* Chunks are allocated as the table grows and never move; a chunk pointer
 * is published before slot_count says it exists. */
static slot *chunks[MAX_CHUNKS];
static _Atomic uint32_t slot_count;
static uint32_t free_head = NO_SLOT; /* table lock */
static _Atomic int64_t live_objects;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static slot *slot_at(uint32_t index)
{
    return &chunks[index / CHUNK_SLOTS][index % CHUNK_SLOTS];
}

static uint32_t word_gen(uint64_t word) { return (uint32_t)(word >> WORD_GEN_SHIFT); }

static void finalize(polysock__object *obj)
{
    if (obj->destroy != NULL)
        obj->destroy(obj);
    if (obj->fd >= 0)
        close(obj->fd); /* Linux releases the fd even when close fails */
    polysock__free(obj);
    atomic_fetch_sub(&live_objects, 1);
}

/* Give a drained slot a new generation and put it on the free list;
 * table lock held. */
static void free_slot_locked(uint32_t index)
{
    slot *s = slot_at(index);
    uint32_t gen = word_gen(atomic_load(&s->word));
    gen = gen == GEN_MAX ? 1 : gen + 1;
    atomic_store(&s->obj, NULL);
    atomic_store(&s->word, (uint64_t)gen << WORD_GEN_SHIFT);
    s->next_free = free_head;
    free_head = index;
}

/* ---- fork: the child inherits the table; the calls in flight belonged to
 * threads that do not exist there, so their references are dropped. ---- */

static void atfork_prepare(void) { pthread_mutex_lock(&table_lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&table_lock); }

static void atfork_child(void)
{
    uint32_t n = atomic_load(&slot_count);
    for (uint32_t i = 0; i < n; i++) {
        slot *s = slot_at(i);
        uint64_t w = atomic_load(&s->word);
        polysock__object *obj = atomic_load(&s->obj);
        if (obj == NULL)
            continue;
        if (w & WORD_LIVE) {
            atomic_store(&s->word, w & ~WORD_REFS);
        } else {
            finalize(obj); /* closed in the parent, drained here */
            free_slot_locked(i);
        }
    }
    pthread_mutex_unlock(&table_lock);
}

static void install_atfork(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ---- the table ---- */

/* Add a chunk of free slots; table lock held. */
static int grow(void)
{
    uint32_t count = atomic_load(&slot_count);
    uint32_t c = count / CHUNK_SLOTS;
    if (c >= MAX_CHUNKS)
        return -EMFILE;
    slot *chunk = polysock__calloc(CHUNK_SLOTS, sizeof *chunk);
    if (chunk == NULL)
        return -ENOMEM;
    /* Slot 0 of chunk 0 is never used: handle 0 must stay invalid. */
    for (uint32_t i = CHUNK_SLOTS; i-- > (c == 0 ? 1u : 0u);) {
        atomic_init(&chunk[i].word, (uint64_t)1 << WORD_GEN_SHIFT);
        chunk[i].next_free = free_head;
        free_head = c * CHUNK_SLOTS + i;
    }
    chunks[c] = chunk;
    atomic_store_explicit(&slot_count, count + CHUNK_SLOTS, memory_order_release);
    return 0;
}

int polysock__handle_new(polysock__object *obj, polysock_handle *handle)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&table_lock);
    int rc = free_head == NO_SLOT ? grow() : 0;
    if (rc == 0) {
        uint32_t index = free_head;
        slot *s = slot_at(index);
        free_head = s->next_free;
        uint64_t gen = word_gen(atomic_load(&s->word));
        obj->handle = (gen << SLOT_BITS) | index;
        atomic_store(&obj->closing, false);
        atomic_store(&s->obj, obj);
        atomic_store_explicit(&s->word, (gen << WORD_GEN_SHIFT) | WORD_LIVE,
                              memory_order_release);
        *handle = obj->handle;
        atomic_fetch_add(&live_objects, 1);
    }
    pthread_mutex_unlock(&table_lock);
    return rc;
}

/* Take a reference on the live object of h, or fail. */
static slot *take(polysock_handle h, polysock__object **obj)
{
    uint32_t index = (uint32_t)(h & SLOT_MASK);
    uint64_t gen = h >> SLOT_BITS;
    if (gen == 0 || gen > GEN_MAX ||
        index >= atomic_load_explicit(&slot_count, memory_order_acquire))
        return NULL;
    slot *s = slot_at(index);
    uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
    do {
        if (word_gen(w) != gen || !(w & WORD_LIVE) || (w & WORD_REFS) == WORD_REFS)
            return NULL;
    } while (!atomic_compare_exchange_weak_explicit(&s->word, &w, w + 1,
                                                    memory_order_acquire,
                                                    memory_order_acquire));
    *obj = atomic_load_explicit(&s->obj, memory_order_relaxed);
    return s;
}

void polysock__handle_release(polysock__object *obj)
{
    uint32_t index = (uint32_t)(obj->handle & SLOT_MASK);
    slot *s = slot_at(index);
    uint64_t w = atomic_fetch_sub_explicit(&s->word, 1, memory_order_acq_rel);
    if ((w & WORD_REFS) == 1 && !(w & WORD_LIVE)) {
        /* Under the lock that fork() holds, so a child sees the object
         * either still in its slot or entirely gone, never half freed.
         * Nothing here blocks: close() of a socket without SO_LINGER
         * returns at once. */
        pthread_mutex_lock(&table_lock);
        finalize(obj);
        free_slot_locked(index);
        pthread_mutex_unlock(&table_lock);
    }
}

int polysock__handle_acquire(polysock_handle h, polysock__kind kind,
                             polysock__object **obj)
{
    polysock__object *found;
    if (take(h, &found) == NULL)
        return POLYSOCK_EBADHANDLE;
    if (found->kind != kind) {
        polysock__handle_release(found);
        return POLYSOCK_EWRONGKIND;
    }
    *obj = found;
    return 0;
}

int polysock__handle_close(polysock_handle h, polysock__kind kind)
{
    polysock__object *obj;
    slot *s = take(h, &obj);
    if (s == NULL)
        return POLYSOCK_EBADHANDLE;
    if (obj->kind != kind) {
        polysock__handle_release(obj);
        return POLYSOCK_EWRONGKIND;
    }
    /* Clear LIVE, keeping our own reference so that the object outlives
     * the wake-up below; only one closer can clear it. */
    uint64_t w = atomic_load(&s->word);
    do {
        if (!(w & WORD_LIVE)) {
            polysock__handle_release(obj);
            return POLYSOCK_EBADHANDLE;
        }
    } while (!atomic_compare_exchange_weak(&s->word, &w, w & ~WORD_LIVE));
    atomic_store_explicit(&obj->closing, true, memory_order_release);
    if ((w & WORD_REFS) > 1 && obj->wake != NULL)
        obj->wake(obj); /* other calls are in flight: wake them */
    polysock__handle_release(obj);
    return 0;
}

int64_t polysock__handle_live_count(void)
{
    return atomic_load(&live_objects);
}
