/* Heap bookkeeping behind the hooks: capture, intern, live table, counters.
 * Every function here runs with the guard held. */
#ifndef LT_HEAP_H
#define LT_HEAP_H

#include <stdbool.h>
#include <stddef.h>

#include "live.h"

void lt_heap_init(void);

/* A block of `size` requested bytes was just allocated at p. */
void lt_heap_track(void *p, size_t size);
/* p is about to be freed (call before the real free). */
void lt_heap_untrack(void *p);

/* realloc: take p out of the table without counting a free yet ... */
bool lt_heap_detach(void *p, struct lt_live_rec *rec);
/* ... then either put it back (the real realloc failed) ... */
void lt_heap_reattach(void *p, struct lt_live_rec rec);
/* ... or count it freed (the real realloc succeeded). */
void lt_heap_release(struct lt_live_rec rec);

#endif
