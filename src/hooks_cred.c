/* setuid() and its kin: glibc makes every thread of the process take the new
 * credentials and aborts the process if one thread cannot. The tracer's
 * threads step aside for the call (trigger.c) and come back with the new
 * credentials. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include "init.h"
#include "resolve.h"
#include "trigger.h"

/* Calls the real function with the tracer's threads stopped. */
#define CRED_HOOK(name, params, args)                                         \
    LT_EXPORT int name params                                                 \
    {                                                                         \
        static int(*real) params;                                             \
        if (!real)                                                            \
            *(void **)&real = lt_resolve_next(#name);                         \
        bool stepped = lt_trigger_step_aside_for(true);                       \
        return lt_trigger_step_back_after(stepped, real args);                \
    }

CRED_HOOK(setuid, (uid_t uid), (uid))
CRED_HOOK(setgid, (gid_t gid), (gid))
CRED_HOOK(seteuid, (uid_t uid), (uid))
CRED_HOOK(setegid, (gid_t gid), (gid))
CRED_HOOK(setreuid, (uid_t r, uid_t e), (r, e))
CRED_HOOK(setregid, (gid_t r, gid_t e), (r, e))
CRED_HOOK(setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
CRED_HOOK(setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
CRED_HOOK(setgroups, (size_t n, const gid_t *list), (n, list))
CRED_HOOK(initgroups, (const char *user, gid_t group), (user, group))
