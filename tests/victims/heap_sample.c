/* heap_sample TOTAL BLOCK: leak_sampled leaks TOTAL/BLOCK blocks of BLOCK
 * bytes (for LEAKTRACE_SAMPLE: the estimate must come near TOTAL). */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void leak_sampled(long count, size_t block)
{
    for (long i = 0; i < count; i++) {
        char *p = malloc(block);
        if (!p)
            abort();
        p[0] = 1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TOTAL BLOCK\n", argv[0]);
        return 2;
    }
    size_t block = strtoul(argv[2], NULL, 10);
    leak_sampled((long)(strtoul(argv[1], NULL, 10) / block), block);
    return 0;
}
