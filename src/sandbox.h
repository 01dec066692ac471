/* A program that confines itself with seccomp (sshd's pre-auth child,
 * vsftpd, file(1), a browser's renderers): once its filter is in, a system
 * call outside the filter's list can kill the whole process, and the
 * tracer cannot know that list. So from then on the tracer makes no system
 * call of its own on the program's threads: stacks it cannot walk without
 * one go to libunwind, descriptors it would probe keep an unknown kind, its
 * stderr lines from there are dropped.
 *
 * A filter binds the thread that installs it and the threads and children
 * it starts later; the tracer's threads, started before, stay free to write
 * snapshots, and the exit snapshot is handed to them. A filter on every
 * thread (SECCOMP_FILTER_FLAG_TSYNC), or a process forked after any filter,
 * writes no snapshot from then on. */
#ifndef LT_SANDBOX_H
#define LT_SANDBOX_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

enum lt_sandbox {
    LT_SANDBOX_NONE,
    LT_SANDBOX_THREADS, /* some of the program's threads are confined */
    LT_SANDBOX_ALL,     /* every thread, the tracer's included */
};

extern _Atomic int lt_sandbox;

/* Resolves the real prctl and syscall (hooks_seccomp.c) at start-up. */
void lt_sandbox_init(void);

/* Set for the life of each of the tracer's own threads (snapshot, HTTP). */
extern __thread bool lt_on_tracer_thread __attribute__((tls_model("initial-exec")));

/* True when the running thread may make system calls of the tracer's own. */
static inline bool lt_may_syscall(void)
{
    int s = atomic_load_explicit(&lt_sandbox, memory_order_relaxed);
    return s == LT_SANDBOX_NONE || (s == LT_SANDBOX_THREADS && lt_on_tracer_thread);
}

/* A spin-wait's hint to the core. */
static inline void lt_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* One turn of a wait for another thread: a yield to it, or under seccomp
 * only the hint (a filter may kill on sched_yield). */
static inline void lt_yield(void)
{
    if (lt_may_syscall())
        sched_yield();
    else
        lt_cpu_relax();
}

#endif
