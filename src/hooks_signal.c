/* signal() and sigaction(): the program's own handler for the snapshot
 * signal always wins. Our handler stays invisible: a query, or a reset to
 * SIG_DFL, sees and keeps the default disposition, so the program behaves as
 * it would untraced. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "init.h"
#include "resolve.h"
#include "trigger.h"

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static int call_real(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!real_sigaction)
        *(void **)&real_sigaction = lt_resolve_next("sigaction");
    return real_sigaction(sig, act, old);
}

static void report_default(struct sigaction *old)
{
    if (old) {
        memset(old, 0, sizeof *old);
        old->sa_handler = SIG_DFL;
    }
}

LT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (lt_in_tracer() || !lt_trigger_owns_signal(sig))
        return call_real(sig, act, old);
    if (act && act->sa_handler != SIG_DFL) {
        struct sigaction ours;
        int rc = call_real(sig, act, &ours);
        if (rc == 0) {
            lt_trigger_give_up_signal(sig);
            report_default(old);
        }
        return rc;
    }
    report_default(old); /* a query, or a reset to the default we emulate */
    return 0;
}

/* The other ways of installing a handler are glibc's own, called for every
 * signal but the snapshot one: they reach the kernel through its internal
 * sigaction, past our hook, and only they know what siginterrupt() asked
 * (SA_RESTART or not). signal(), sysv_signal (what signal() is under
 * -std=c99 and the like: __sysv_signal), bsd_signal, sigset. For the
 * snapshot signal, the program's handler (or ignore) wins here as in
 * sigaction(), and a reset to the default, which we emulate, is answered
 * here. */
static __sighandler_t settle_then(__sighandler_t (*real)(int, __sighandler_t), int sig,
                                  __sighandler_t handler)
{
    if (lt_in_tracer() || !lt_trigger_owns_signal(sig) || handler == SIG_HOLD)
        return real(sig, handler);
    if (handler == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    if (handler == SIG_DFL)
        return SIG_DFL;
    __sighandler_t old = real(sig, handler);
    if (old == SIG_ERR)
        return SIG_ERR;
    lt_trigger_give_up_signal(sig);
    return SIG_DFL; /* what the program had, as far as it knows */
}

#define SIGNAL_SETTER(name)                                                                        \
    LT_EXPORT __sighandler_t name(int sig, __sighandler_t handler)                                 \
    {                                                                                              \
        static void *_Atomic slot;                                                                 \
        __sighandler_t (*real)(int, __sighandler_t) = lt_resolve_next_once(&slot, #name);          \
        return real ? settle_then(real, sig, handler) : SIG_ERR;                                   \
    }

SIGNAL_SETTER(signal)
SIGNAL_SETTER(sysv_signal)
SIGNAL_SETTER(__sysv_signal)
SIGNAL_SETTER(bsd_signal)
SIGNAL_SETTER(sigset)
