/* Thread creation and pthread_getattr_np.
 *
 * pthread_create and the calls with which glibc starts threads of its own:
 * before the program's second thread exists, the snapshot thread takes
 * over from the writer processes (trigger.c, writer.c), which may only
 * copy a process of one thread.
 *
 * pthread_getattr_np: glibc holds the thread's lock while it allocates (the
 * cpuset; on the main thread, stdio for /proc/self/maps). If that is the
 * thread's first captured allocation, the walk would learn the thread's
 * stack bounds by calling it again, and wait for that lock forever: the
 * JVM and every Rust program start their threads this way. While the
 * thread is inside, the walk leaves its bounds for a later capture. */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <mqueue.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <threads.h>
#include <time.h>

#include "guard.h"
#include "resolve.h"
#include "trigger.h"
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

/* pthread_create, and the calls with which glibc starts a thread of its
 * own without it: C11 threads, SIGEV_THREAD notifications (timers, message
 * queues), POSIX AIO's and getaddrinfo_a's helpers. Not for the tracer's
 * own threads (the tracer proper starts them). */
#define THREAD_STARTING_HOOK(ret, name, params, args, starts, failed)                           \
    static void *_Atomic real_##name;                                                           \
    LT_EXPORT ret name params                                                                   \
    {                                                                                           \
        ret(*real) params = lt_resolve_next_once(&real_##name, #name);                          \
        if (!real) {                                                                            \
            errno = ENOSYS;                                                                     \
            return failed;                                                                      \
        }                                                                                       \
        if ((starts) && !lt_in_tracer_proper())                                                 \
            lt_trigger_program_starts_thread();                                                 \
        return real args;                                                                       \
    }

static bool by_thread(const struct sigevent *ev) { return ev && ev->sigev_notify == SIGEV_THREAD; }

THREAD_STARTING_HOOK(int, pthread_create,
                     (pthread_t * thread, const pthread_attr_t *attr, void *(*start)(void *),
                      void *arg),
                     (thread, attr, start, arg), true, EAGAIN)

THREAD_STARTING_HOOK(int, thrd_create, (thrd_t * thread, thrd_start_t start, void *arg),
                     (thread, start, arg), true, thrd_error)
THREAD_STARTING_HOOK(int, timer_create, (clockid_t clock, struct sigevent *ev, timer_t *timer),
                     (clock, ev, timer), by_thread(ev), -1)
THREAD_STARTING_HOOK(int, mq_notify, (mqd_t q, const struct sigevent *ev), (q, ev), by_thread(ev),
                     -1)
THREAD_STARTING_HOOK(int, aio_read, (struct aiocb * cb), (cb), true, -1)
THREAD_STARTING_HOOK(int, aio_write, (struct aiocb * cb), (cb), true, -1)
THREAD_STARTING_HOOK(int, aio_fsync, (int op, struct aiocb *cb), (op, cb), true, -1)
THREAD_STARTING_HOOK(int, lio_listio,
                     (int mode, struct aiocb *const list[], int n, struct sigevent *ev),
                     (mode, list, n, ev), true, -1)
THREAD_STARTING_HOOK(int, aio_read64, (struct aiocb64 * cb), (cb), true, -1)
THREAD_STARTING_HOOK(int, aio_write64, (struct aiocb64 * cb), (cb), true, -1)
THREAD_STARTING_HOOK(int, aio_fsync64, (int op, struct aiocb64 *cb), (op, cb), true, -1)
THREAD_STARTING_HOOK(int, lio_listio64,
                     (int mode, struct aiocb64 *const list[], int n, struct sigevent *ev),
                     (mode, list, n, ev), true, -1)
THREAD_STARTING_HOOK(int, getaddrinfo_a,
                     (int mode, struct gaicb *list[], int n, struct sigevent *ev),
                     (mode, list, n, ev), true, EAI_SYSTEM)
