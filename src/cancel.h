/* Thread cancellation held off around the tracer's slow paths on a program
 * thread. They make system calls that are cancellation points (reading an
 * object's unwind rules opens and reads its file; libunwind writes to its
 * pipe; learning a thread's stack bounds reads /proc/self/maps; stepping
 * the tracer's threads aside joins them; the exit snapshot writes files)
 * while holding a lock of the tracer or its capture gate. A thread whose
 * cancellation was pending ended there, holding them: the next thread to
 * need unwind rules, or the next fork, waited for good. A pending
 * cancellation is acted upon at the program's next cancellation point. */
#ifndef LT_CANCEL_H
#define LT_CANCEL_H

#include <pthread.h>

/* Returns the state to give back to lt_cancel_restore. */
static inline int lt_cancel_off(void)
{
    int old = PTHREAD_CANCEL_ENABLE;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    return old;
}

static inline void lt_cancel_restore(int old)
{
    pthread_setcancelstate(old, NULL);
}

#endif
