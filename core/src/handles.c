/*
 * handles.c - the handle table.
 *
 * A handle is (generation << 24) | slot.  The generation of a slot grows
 * each time the slot is freed, so a handle kept after close (or made up)
 * never matches a later object in the same slot, even when the kernel gives
 * the new socket the same descriptor number.  Handles stay below 2^53 so a
 * JavaScript number holds them exactly.
 *
 * A call takes a reference on the object for its duration.  Closing removes
 * the object from its slot at once (no new call can find it), wakes calls
 * blocked on it, and the last call out closes the descriptor and frees the
 * object: a descriptor number is never reused while a call may still use it.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#define SLOT_BITS 24
#define SLOT_MASK ((UINT64_C(1) << SLOT_BITS) - 1)
#define GEN_BITS 29 /* SLOT_BITS + GEN_BITS = 53 */
#define GEN_MASK ((UINT32_C(1) << GEN_BITS) - 1)
#define CHUNK_SLOTS 1024
#define MAX_CHUNKS ((1u << SLOT_BITS) / CHUNK_SLOTS)
#define NO_SLOT UINT32_MAX

typedef struct slot {
    polysock__object *obj; /* NULL when free */
    uint32_t gen;          /* 1 .. GEN_MASK */
    uint32_t next_free;
} slot;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static slot *chunks[MAX_CHUNKS]; /* grown a chunk at a time, never moved */
static uint32_t slot_count;      /* slots in the allocated chunks */
static uint32_t free_head = NO_SLOT;
static polysock__object *draining; /* closed, still in use by a call */
static _Atomic int64_t live_objects;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static slot *slot_at(uint32_t index)
{
    return &chunks[index / CHUNK_SLOTS][index % CHUNK_SLOTS];
}

static polysock_handle make_handle(uint32_t index, uint32_t gen)
{
    return ((uint64_t)gen << SLOT_BITS) | index;
}

/* ---- fork: the child inherits the table; the calls in flight belonged to
 * threads that do not exist there, so their references are dropped. ---- */

static void finalize(polysock__object *obj);

static void atfork_prepare(void) { pthread_mutex_lock(&table_lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&table_lock); }

static void atfork_child(void)
{
    for (uint32_t i = 0; i < slot_count; i++)
        if (slot_at(i)->obj != NULL)
            slot_at(i)->obj->refs = 0;
    polysock__object *obj = draining;
    draining = NULL;
    pthread_mutex_unlock(&table_lock);
    while (obj != NULL) {
        polysock__object *next = obj->drain_next;
        finalize(obj);
        obj = next;
    }
}

static void install_atfork(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ---- the table ---- */

/* Add a chunk of free slots; table lock held.  -ENOMEM or table full. */
static int grow(void)
{
    uint32_t c = slot_count / CHUNK_SLOTS;
    if (c >= MAX_CHUNKS)
        return -EMFILE;
    slot *chunk = polysock__calloc(CHUNK_SLOTS, sizeof *chunk);
    if (chunk == NULL)
        return -ENOMEM;
    chunks[c] = chunk;
    /* Slot 0 of chunk 0 is never used: handle 0 must stay invalid. */
    for (uint32_t i = CHUNK_SLOTS; i-- > (c == 0 ? 1u : 0u);) {
        chunk[i].gen = 1;
        chunk[i].next_free = free_head;
        free_head = c * CHUNK_SLOTS + i;
    }
    slot_count += CHUNK_SLOTS;
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
        s->obj = obj;
        obj->handle = make_handle(index, s->gen);
        obj->refs = 0;
        atomic_store(&obj->closing, false);
        *handle = obj->handle;
        atomic_fetch_add(&live_objects, 1);
    }
    pthread_mutex_unlock(&table_lock);
    return rc;
}

/* The slot of a live handle, or NULL; table lock held. */
static slot *lookup(polysock_handle h)
{
    uint32_t index = (uint32_t)(h & SLOT_MASK);
    uint64_t gen = h >> SLOT_BITS;
    if (gen == 0 || gen > GEN_MASK || index >= slot_count)
        return NULL;
    slot *s = slot_at(index);
    if (s->obj == NULL || s->gen != gen)
        return NULL;
    return s;
}

int polysock__handle_acquire(polysock_handle h, polysock__kind kind,
                             polysock__object **obj)
{
    int rc = POLYSOCK_EBADHANDLE;
    pthread_mutex_lock(&table_lock);
    slot *s = lookup(h);
    if (s != NULL) {
        if (s->obj->kind != kind) {
            rc = POLYSOCK_EWRONGKIND;
        } else {
            s->obj->refs++;
            *obj = s->obj;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&table_lock);
    return rc;
}

static void finalize(polysock__object *obj)
{
    if (obj->destroy != NULL)
        obj->destroy(obj);
    if (obj->fd >= 0)
        close(obj->fd); /* Linux releases the fd even when close fails */
    polysock__free(obj);
    atomic_fetch_sub(&live_objects, 1);
}

static void drain_unlink(polysock__object *obj)
{
    if (obj->drain_prev != NULL)
        obj->drain_prev->drain_next = obj->drain_next;
    else if (draining == obj)
        draining = obj->drain_next;
    if (obj->drain_next != NULL)
        obj->drain_next->drain_prev = obj->drain_prev;
    obj->drain_prev = obj->drain_next = NULL;
}

void polysock__handle_release(polysock__object *obj)
{
    pthread_mutex_lock(&table_lock);
    bool last = --obj->refs == 0 && atomic_load(&obj->closing);
    if (last)
        drain_unlink(obj);
    pthread_mutex_unlock(&table_lock);
    if (last)
        finalize(obj);
}

int polysock__handle_close(polysock_handle h, polysock__kind kind)
{
    pthread_mutex_lock(&table_lock);
    slot *s = lookup(h);
    if (s == NULL || s->obj->kind != kind) {
        pthread_mutex_unlock(&table_lock);
        return s == NULL ? POLYSOCK_EBADHANDLE : POLYSOCK_EWRONGKIND;
    }
    polysock__object *obj = s->obj;
    atomic_store(&obj->closing, true);
    s->obj = NULL;
    s->gen = s->gen == GEN_MASK ? 1 : s->gen + 1;
    s->next_free = free_head;
    free_head = (uint32_t)(h & SLOT_MASK);
    bool in_use = obj->refs > 0;
    if (in_use) {
        obj->drain_next = draining;
        if (draining != NULL)
            draining->drain_prev = obj;
        draining = obj;
        /* Wake under the lock so the last caller cannot free the object
         * while we use it. */
        if (obj->wake != NULL)
            obj->wake(obj);
    }
    pthread_mutex_unlock(&table_lock);
    if (!in_use)
        finalize(obj);
    return 0;
}

int64_t polysock__handle_live_count(void)
{
    return atomic_load(&live_objects);
}
