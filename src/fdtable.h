/* Descriptor table: fd -> stack id, an array indexed by fd.
 *
 * A slot holds 0 (not ours to count: inherited, or never seen), the id of
 * the interned (stack, kind) that opened the descriptor (its tag carries the
 * kind), or LT_FD_OWN: a descriptor of the tracer itself, which the program
 * may not close (see lt_fd_release). The counters live in the stack table,
 * so the fd profile is built like the heap one, O(distinct stacks). */
#ifndef LT_FDTABLE_H
#define LT_FDTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

enum lt_fd_kind {
    LT_FD_FILE,
    LT_FD_DIR,
    LT_FD_SOCKET,
    LT_FD_PIPE,
    LT_FD_EPOLL,
    LT_FD_EVENTFD,
    LT_FD_TIMERFD,
    LT_FD_SIGNALFD,
    LT_FD_INOTIFY,
    LT_FD_MEMFD,
    LT_FD_OTHER,
    LT_FD_KIND_COUNT,
    LT_FD_PROBE = -1, /* not known from the call: look at the descriptor */
};

/* Label value of a kind, as the fd profile writes it. */
const char *lt_fd_kind_name(enum lt_fd_kind kind);

/* True once the table is up and LEAKTRACE_FD is on: the program's
 * descriptors are recorded only then. */
extern bool lt_fd_on;

void lt_fd_init(void);

/* True once the table is up, whatever LEAKTRACE_FD says: the tracer's own
 * descriptors are marked in it and refused to the program's closes. */
bool lt_fd_guards_own(void);

/* The program's call stack above the hook, captured once for the one or
 * two descriptors a call makes. Guard held. */
struct lt_fd_site {
    int depth;
    uint64_t hash;
    uintptr_t frames[LT_DEPTH_MAX];
};
void lt_fd_site_capture(struct lt_fd_site *site);

/* The program made fd at site (guard held). LT_FD_PROBE: kind from fstat. */
void lt_fd_record(int fd, const struct lt_fd_site *site, enum lt_fd_kind kind);

/* The program is about to close fd (call before the real close: the number
 * can be handed out again at once). False: fd is the tracer's, and the
 * program's close must not reach it. No guard needed. */
bool lt_fd_release(int fd);

/* Kind of copy, a duplicate of orig: orig's record's, else the descriptor's. */
enum lt_fd_kind lt_fd_dup_kind(int orig, int copy);
/* Kind from fstat (and, for anonymous inodes, /proc/self/fd). */
enum lt_fd_kind lt_fd_probe(int fd);

/* The program closes [first, last] (close_range, closefrom): releases every
 * record in it, and calls close_span(lo, hi, arg) for each maximal run that
 * holds no descriptor of the tracer's. Returns 0, or the first failing
 * span's -1 (errno set by it). */
int lt_fd_close_range(unsigned first, unsigned last,
                      int (*close_span)(unsigned lo, unsigned hi, void *arg), void *arg);

/* In a writer process (writer.c): every descriptor but stderr and the
 * tracer's own is closed, the records kept (the fd profile is written from
 * them). Its copy of a socket or pipe would otherwise keep the peer from
 * seeing the program's close of it until the writer ends. Raw system
 * calls: no hook sees them. */
void lt_fd_close_inherited(void);

/* --- the tracer's own descriptors --- */

/* fd was just made by the tracer proper (LT_GUARD_TRACER held):
 * mark it LT_FD_OWN and make it close-on-exec; when `movable`, first move it
 * to the top of the descriptor range so that the program's numbers are what
 * they would be untraced. Returns the number the tracer must use. */
int lt_fd_adopt(int fd, bool movable);

/* The tracer is about to close fd. False: the number is no longer the
 * tracer's (the program dup2'ed over it), so the tracer must leave it. */
bool lt_fd_disown(int fd);

/* fd is about to be closed from inside a hook's bookkeeping: whatever its
 * record, it goes. */
void lt_fd_forget(int fd);

bool lt_fd_is_own(int fd);

/* fd lies in the tracer's range at the top (from 256 below the soft
 * RLIMIT_NOFILE; its upper half under 1024), where adopted descriptors are
 * moved. */
bool lt_fd_in_own_range(int fd);

#endif
