/* unshare() and setns(): calls that act otherwise on a process of more
 * than one thread, which the tracer's threads make every traced process.
 * The kernel refuses some namespace changes to such a process (EINVAL): a
 * new user namespace, the unsharing of CLONE_VM, CLONE_SIGHAND or
 * CLONE_THREAD, and setns() into a user or mount namespace (which also
 * wants the filesystem context unshared): `unshare -U` and `unshare -r`
 * failed, as did a program's setns() into a mount namespace. And
 * unshare(CLONE_FILES) gives the calling thread a copy of a descriptor
 * table that other threads share: the tracer's threads kept the original,
 * holding open every descriptor the program then closed (a pipe's reader
 * never saw its end). For those calls the tracer's threads step aside until
 * the kernel no longer counts them, and start again after the call, inside
 * the new namespaces and table. A program with threads of its own gets
 * what it gets untraced. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>

#include "init.h"
#include "resolve.h"
#include "trigger.h"

#define SINGLE_THREAD_UNSHARE (CLONE_NEWUSER | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_FILES)
/* nstype 0 (and a pidfd, which names several) may mean either */
#define SINGLE_THREAD_SETNS (CLONE_NEWUSER | CLONE_NEWNS)

LT_EXPORT int unshare(int flags)
{
    static int (*real)(int);
    if (!real)
        *(void **)&real = lt_resolve_next("unshare");
    bool stepped = lt_trigger_step_aside_for((flags & SINGLE_THREAD_UNSHARE) != 0);
    return lt_trigger_step_back_after(stepped, real(flags));
}

LT_EXPORT int setns(int fd, int nstype)
{
    static int (*real)(int, int);
    if (!real)
        *(void **)&real = lt_resolve_next("setns");
    bool stepped = lt_trigger_step_aside_for(nstype == 0 || (nstype & SINGLE_THREAD_SETNS) != 0);
    return lt_trigger_step_back_after(stepped, real(fd, nstype));
}
