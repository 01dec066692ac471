/* Time, read from the C library's own clock_gettime, never an interposed
 * one: libfaketime (a preload that fakes the time for tests) shifts
 * CLOCK_MONOTONIC by decades while the tracer's waits (sem_clockwait, poll)
 * run on the kernel's clock, so a deadline made from its reading never came
 * (a process whose main thread had called pthread_exit stayed up for good);
 * and its clock_gettime crashes once its destructor has run, before the
 * tracer's exit snapshot reads the time. */
#ifndef LT_CLOCK_H
#define LT_CLOCK_H

#include <stdint.h>
#include <time.h>

extern int (*lt_clock_gettime)(clockid_t clock, struct timespec *ts);

/* Finds libc's clock_gettime; until then (and if it cannot), the one the
 * tracer binds to. Called once at start-up. */
void lt_clock_init(void);

static inline int64_t lt_clock_ns(clockid_t clock)
{
    struct timespec ts;
    lt_clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Milliseconds on the monotonic clock: the deadlines of the snapshot
 * thread, the stderr copy's release and the HTTP endpoint. */
static inline int64_t lt_now_ms(void)
{
    return lt_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

#endif
