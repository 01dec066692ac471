/* A library that frees in its destructor what its constructor allocated,
 * as a C++ library's static objects do: none of it is live at exit. The
 * program linked with it (exit_dtor_free) is initialized after it, so its
 * destructor runs after the tracer's own. */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define BLOCKS 7
#define SIZE 999

static void *blocks[BLOCKS];

NOINLINE static void dtor_free_alloc(void)
{
    for (int i = 0; i < BLOCKS; i++)
        memset(blocks[i] = malloc(SIZE), 1, SIZE);
}

__attribute__((constructor)) static void dtor_free_init(void)
{
    dtor_free_alloc();
}

__attribute__((destructor)) static void dtor_free_fini(void)
{
    for (int i = 0; i < BLOCKS; i++)
        free(blocks[i]);
}

int dtor_free_blocks(void) { return BLOCKS; }
int dtor_free_size(void) { return SIZE; }
