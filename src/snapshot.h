/* Snapshots: numbering (SEQ), file names, atomic writes, the stderr line. */
#ifndef LT_SNAPSHOT_H
#define LT_SNAPSHOT_H

#include <stdbool.h>

#include "profile.h"

/* One snapshot at a time: writers hold this lock around lt_snapshot_write,
 * the symbolizer's users around their lookups. Unlocking lets go of all
 * the symbolizer read meanwhile (lt_symbolize_release). */
void lt_snapshot_lock(void);
void lt_snapshot_unlock(void);
/* The lock if it is free now, without waiting (true: taken). */
bool lt_snapshot_trylock(void);

/* Takes the next SEQ and writes PREFIX.PID.SEQ.heap.pb.gz (and .fd.pb.gz).
 * The caller holds the snapshot lock. Never called in a signal handler.
 * Returns the heap file's path (valid until the next call), NULL on error. */
const char *lt_snapshot_write(void);
/* The same in two steps, for a snapshot written by another process
 * (writer.c): the SEQ is taken in the traced process (no lock: its only
 * thread, outside the tracer; async-signal-safe system calls), the files
 * are written under its PID. */
unsigned lt_snapshot_take_seq(int pid);
const char *lt_snapshot_write_as(int pid, unsigned seq);

/* In a forked child: SEQ restarts, the lock is fresh. Returns false when a
 * snapshot was in progress in the parent at fork time. */
bool lt_snapshot_after_fork_child(void);

#endif
