/* Snapshots written by a forked copy of a single-threaded program, so that
 * the tracer keeps no thread of its own in it (writer.c). */
#ifndef LT_WRITER_H
#define LT_WRITER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* The tick timer, which sends the snapshot signal when the handler has to
 * come back; false if it cannot be made (the snapshot thread is used
 * instead). */
bool lt_writer_init(void);
/* From the snapshot signal's handler: a writer process for snapshot SEQ of
 * process PID; false (and one line) if it cannot be started. */
bool lt_writer_start(int pid, unsigned seq);
/* True while the last writer runs; reaps it once it has ended. */
bool lt_writer_busy(void);
/* Waits for the last writer to end (exit, the snapshot thread's start). */
void lt_writer_wait(void);
/* The signal comes again in ms milliseconds (0: not). */
void lt_writer_tick_in(int64_t ms);
/* True for the tick timer's signal, which is no request of the user's. */
bool lt_writer_is_tick(const siginfo_t *info);
/* The program took the snapshot signal over: no more ticks. */
void lt_writer_forget_signal(void);
/* In a forked child of the program: the parent's writer is not its own,
 * and the timer is made again if writers are wanted (false: not made). */
bool lt_writer_after_fork_child(bool wanted);

#endif
