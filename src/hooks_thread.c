/* pthread_getattr_np: glibc holds the thread's lock while it allocates (the
 * cpuset; on the main thread, stdio for /proc/self/maps). If that is the
 * thread's first captured allocation, the walk would learn the thread's
 * stack bounds by calling it again, and wait for that lock forever: the
 * JVM and every Rust program start their threads this way. While the
 * thread is inside, the walk leaves its bounds for a later capture. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#include "guard.h"
#include "resolve.h"
#include "walk.h"

static void *_Atomic real_getattr;

void lt_walk_hooks_init(void)
{
    lt_resolve_next_once(&real_getattr, "pthread_getattr_np"); /* not first in a hook */
}

/* The count is the calling thread's, whichever thread it asks about: one
 * asking about another only learns its own bounds later. */
LT_EXPORT int pthread_getattr_np(pthread_t thread, pthread_attr_t *attr)
{
    int (*real)(pthread_t, pthread_attr_t *) =
        lt_resolve_next_once(&real_getattr, "pthread_getattr_np");
    if (!real)
        return ENOSYS;
    lt_walk_in_getattr++;
    int rc = real(thread, attr);
    lt_walk_in_getattr--;
    return rc;
}
