/* What starts a snapshot: the signal, the interval, exit; and fork. */
#ifndef LT_TRIGGER_H
#define LT_TRIGGER_H

#include <stdbool.h>

/* Wake-up channel, signal handler, fork handlers. */
void lt_trigger_init(void);
/* The snapshot thread: waits for a wake-up or the interval, then writes. */
void lt_trigger_start_thread(void);
/* The program is about to start a thread (pthread_create): the snapshot
 * thread takes over from the writer processes (writer.h) for good. */
void lt_trigger_program_starts_thread(void);
/* Around a credential change (setuid & co.): the tracer's threads stop,
 * then start again. */
void lt_trigger_pause_threads(void);
void lt_trigger_resume_threads(void);
/* The same from a hook, around the program's call (not the tracer's):
 * when `needed`, the tracer's threads stop, and the kernel no longer counts
 * them in the process (nor shares their descriptor table) when it returns
 * true; lt_trigger_step_back_after(stepped, rc) then starts them again and
 * returns rc, errno unchanged. The guard is held meanwhile: what stopping
 * and starting threads allocates is the tracer's. */
bool lt_trigger_step_aside_for(bool needed);
int lt_trigger_step_back_after(bool stepped, int rc);
/* True once the program's own threads have all ended (the main thread by
 * pthread_exit): the tracer's threads then return, so that the process
 * ends as it would untraced. Cheap until the main thread is gone. */
bool lt_trigger_program_gone(void);
/* A tracer thread about to return: if the program is gone, the process's
 * exit may run on it next, with the program's signal mask (trigger.c). */
void lt_trigger_thread_hands_back(void);
/* Wakes the snapshot thread to look at its deadlines again (log.c's
 * release of the stderr copy); false when no snapshot thread runs. */
bool lt_trigger_nudge(void);
/* Around a call that installs a seccomp filter (enum lt_sandbox scope,
 * sandbox.h): the tracer's threads are made ready for it before, and
 * confined is false when the call failed. */
void lt_trigger_before_sandbox(int scope);
void lt_trigger_after_sandbox(bool confined);
/* The exit snapshot, unless LEAKTRACE_AT_EXIT=0. */
void lt_trigger_at_exit(void);

/* True while `sig` is the snapshot signal and our handler holds it. */
bool lt_trigger_owns_signal(int sig);
/* The program installed its own handler for the snapshot signal: signal
 * snapshots stop, with one line saying so and how to choose another. */
void lt_trigger_give_up_signal(int sig);

/* The parts of a stack capture that take locks (libunwind, libdw reading a
 * rule, pthread_getattr_np) and fork exclude each other: a child would
 * inherit those locks held. Enter returns false while a fork is being
 * prepared: the caller then records no stack. */
bool lt_capture_gate_enter(void);
void lt_capture_gate_leave(void);

#endif
