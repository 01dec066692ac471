/* The tracer's own large blocks, mapped from the kernel (large.c). */
#ifndef LT_LARGE_H
#define LT_LARGE_H

#include <stdbool.h>
#include <stddef.h>

/* glibc's default mmap threshold: smaller blocks come from the allocator. */
#define LT_LARGE_MIN (128 * 1024)

/* A zeroed block of n bytes for the tracer proper (LT_GUARD_TRACER), or
 * NULL when n is below LT_LARGE_MIN, the thread is not the tracer's, or no
 * mapping can be had now: the caller then asks the program's allocator. */
void *lt_large_alloc(size_t n);

/* p's usable size if it is a large block, else 0. */
size_t lt_large_size(const void *p);

/* Unmaps p if it is a large block; false if it is not one. */
bool lt_large_free(void *p);

#endif
