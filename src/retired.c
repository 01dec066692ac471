#include "retired.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MAX_UNLOADS 4096 /* later ones are not recorded: their frames go unnamed */
#define MAX_PATHS 64

static struct {
    uintptr_t bias, lo, hi;
    int path_id;
} unloads[MAX_UNLOADS];
static char paths[MAX_PATHS][PATH_MAX];
static int path_count;
static _Atomic uint32_t unload_count; /* published after the entry is written */
static pthread_mutex_t add_lock = PTHREAD_MUTEX_INITIALIZER;

static int path_id_of(const char *path)
{
    for (int i = 0; i < path_count; i++)
        if (strcmp(paths[i], path) == 0)
            return i;
    if (path_count == MAX_PATHS)
        return -1;
    snprintf(paths[path_count], sizeof paths[path_count], "%s", path);
    return path_count++;
}

void lt_retired_add(uintptr_t bias, uintptr_t lo, uintptr_t hi, const char *path)
{
    pthread_mutex_lock(&add_lock);
    uint32_t n = atomic_load(&unload_count);
    int id = path_id_of(path);
    if (n < MAX_UNLOADS && id >= 0) {
        unloads[n].bias = bias;
        unloads[n].lo = lo;
        unloads[n].hi = hi;
        unloads[n].path_id = id;
        atomic_store_explicit(&unload_count, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&add_lock);
}

uint32_t lt_retired_generation(void)
{
    return atomic_load_explicit(&unload_count, memory_order_acquire);
}

int lt_retired_find(uintptr_t pc, uint32_t generation)
{
    uint32_t n = lt_retired_generation();
    for (uint32_t i = generation; i < n; i++)
        if (pc >= unloads[i].lo && pc < unloads[i].hi)
            return (int)i;
    return -1;
}

uintptr_t lt_retired_bias(int index) { return unloads[index].bias; }
const char *lt_retired_path(int index) { return paths[unloads[index].path_id]; }
int lt_retired_path_id(int index) { return unloads[index].path_id; }

void lt_retired_after_fork_child(void)
{
    /* Another thread of the parent may have held it in a dlclose: the child
     * inherits it held. An entry is published only once written, so a
     * half-written one is simply not there. */
    pthread_mutex_init(&add_lock, NULL);
}
