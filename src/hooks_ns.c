/* unshare() and setns(): the kernel refuses some namespace changes to a
 * process with more than one thread (EINVAL): a new user namespace, the
 * unsharing of CLONE_VM, CLONE_SIGHAND or CLONE_THREAD, and setns() into a
 * user or mount namespace (which also wants the filesystem context
 * unshared). The tracer's threads make every traced process one: `unshare
 * -U` and `unshare -r` failed, as did a program's setns() into a mount
 * namespace. For those calls the tracer's threads step aside until the
 * kernel no longer counts them, and start again after the call, inside the
 * new namespaces. A program with threads of its own gets the kernel's
 * refusal, as untraced. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>

#include "init.h"
#include "resolve.h"
#include "trigger.h"

#define SINGLE_THREAD_UNSHARE (CLONE_NEWUSER | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)
/* nstype 0 (and a pidfd, which names several) may mean either */
#define SINGLE_THREAD_SETNS (CLONE_NEWUSER | CLONE_NEWNS)

/* True when the tracer's threads stepped aside for the call. */
static bool step_aside_if(bool needed)
{
    if (!needed || lt_in_tracer() || atomic_load(&lt_state) != LT_READY)
        return false;
    lt_trigger_step_aside(true);
    return true;
}

/* After the call: rc and errno are the real call's. */
static int stepped_back(bool stepped, int rc)
{
    int saved = errno;
    if (stepped)
        lt_trigger_step_back();
    errno = saved;
    return rc;
}

LT_EXPORT int unshare(int flags)
{
    static int (*real)(int);
    if (!real)
        *(void **)&real = lt_resolve_next("unshare");
    bool stepped = step_aside_if((flags & SINGLE_THREAD_UNSHARE) != 0);
    return stepped_back(stepped, real(flags));
}

LT_EXPORT int setns(int fd, int nstype)
{
    static int (*real)(int, int);
    if (!real)
        *(void **)&real = lt_resolve_next("setns");
    bool stepped = step_aside_if(nstype == 0 || (nstype & SINGLE_THREAD_SETNS) != 0);
    return stepped_back(stepped, real(fd, nstype));
}
