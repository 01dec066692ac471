/* Call-stack capture: return addresses of the program, innermost first. */
#ifndef LT_STACK_H
#define LT_STACK_H

#include <stdbool.h>
#include <stdint.h>

/* Finds the address ranges of the tracer and of libunwind, whose frames are
 * cut from the top of every captured stack. */
void lt_stack_init(void);

/* Fills frames[0..max) with the return addresses of the caller of the
 * interposed function and its callers; returns how many (0 while a fork is
 * being prepared). Takes no lock when every frame's rule is cached; the
 * first sight of a return address reads its rule under cfi.c's lock, and
 * libunwind, the fallback, may take the loader's. */
int lt_stack_capture(uintptr_t *frames, int max);

/* True when pc lies inside libleaktrace.so. */
bool lt_stack_is_own(uintptr_t pc);

#endif
