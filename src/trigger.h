/* What starts a snapshot: the signal, the interval, exit; and fork. */
#ifndef LT_TRIGGER_H
#define LT_TRIGGER_H

/* Wake-up channel, signal handler, fork handlers. */
void lt_trigger_init(void);
/* The snapshot thread: waits for a wake-up or the interval, then writes. */
void lt_trigger_start_thread(void);
/* The exit snapshot, unless LEAKTRACE_AT_EXIT=0. */
void lt_trigger_at_exit(void);

/* Stack captures and fork exclude each other: libunwind's caches hold locks
 * that a child would inherit locked. Cheap when no fork is pending. */
void lt_capture_gate_enter(void);
void lt_capture_gate_leave(void);

#endif
