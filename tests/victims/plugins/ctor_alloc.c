/* A library whose constructor allocates, as libselinux's does (linked into
 * ls, cp, sed...): the loader runs it before the tracer's own constructor,
 * and its block's stack ends in the loader's start-up code, which only
 * libunwind follows. fd_numbers_ctor is linked with it. */
#include <stdlib.h>
#include <string.h>

void *ctor_alloc_block;

__attribute__((constructor)) static void ctor_alloc(void)
{
    ctor_alloc_block = malloc(48);
    memset(ctor_alloc_block, 1, 48);
}
