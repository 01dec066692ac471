/* Linked with plugins/dtor_free.c, whose destructor frees the blocks its
 * constructor allocated. main_leak is called N times, leaking S bytes.
 *
 *   exit_dtor_free N S
 *
 * Prints "library BLOCKS SIZE" (the library's blocks, all freed at exit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

int dtor_free_blocks(void);
int dtor_free_size(void);

NOINLINE static void *main_leak(size_t s)
{
    return memset(malloc(s), 2, s);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    for (long i = atol(argv[1]); i > 0; i--)
        main_leak((size_t)atol(argv[2]));
    printf("library %d %d\n", dtor_free_blocks(), dtor_free_size());
    return 0;
}
