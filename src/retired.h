/* Libraries unloaded with dlclose, in the order they went away.
 *
 * The same address can hold different libraries over time (a plugin loaded
 * again lands elsewhere, and something else may take its old place), so an
 * address alone does not say which library a frame was in. A stack records
 * how many libraries had been unloaded when it was first seen (its
 * generation); a frame inside an unloaded library belongs to the first one,
 * in unload order, that went away after that, and that contains it. */
#ifndef LT_RETIRED_H
#define LT_RETIRED_H

#include <stdint.h>

/* From the dlclose hook, before the real dlclose: records only. */
void lt_retired_add(uintptr_t bias, uintptr_t lo, uintptr_t hi, const char *path);

/* How many libraries have been unloaded so far. */
uint32_t lt_retired_generation(void);

/* The unloaded library a frame at pc of a stack of `generation` was in, as
 * an index for the two accessors below; -1 when pc is in none of them (the
 * frame is in a library still loaded). */
int lt_retired_find(uintptr_t pc, uint32_t generation);
uintptr_t lt_retired_bias(int index);
const char *lt_retired_path(int index);
/* A small number naming the file of an unloaded library (same file, same id). */
int lt_retired_path_id(int index);

/* fork child: the lock is made anew. */
void lt_retired_after_fork_child(void);

#endif
