/* Deep stacks whose outer frames are all they share, as in an event loop:
 * main calls one of four handlers in turn, each handler a chain of DEPTH
 * frames (descend) down to malloc. The thread's base of outer frames
 * (walk.c) is main and what is under it; each capture's path from the
 * hook's caller to the base steps DEPTH + 3 frames (descend's DEPTH + 1,
 * churn, the handler), as redis-server's stacks of some 16 frames do. A
 * path records the words its walk read, one or two a frame: those with
 * more than a path holds are walked to their end every time.
 *
 * unwind_deep_paths ROUNDS DEPTH: ROUNDS times, each handler allocates five
 * blocks, frees the first four and leaks the fifth; handler_N's blocks are
 * 16 * (N + 1) bytes. Prints the leaks' count. */
#include <stdio.h>
#include <stdlib.h>

#define CHAIN __attribute__((noinline, noclone))
#define KEEP() __asm__ volatile("" ::: "memory") /* no tail call: the frame stays */

static volatile unsigned leaks;

CHAIN static void *descend(int depth, size_t size)
{
    void *p = depth == 0 ? malloc(size) : descend(depth - 1, size);
    KEEP();
    return p;
}

/* A count the compiler cannot see, so that -O2 keeps one call site in
 * churn's loop (with 5 it peeled the last round into a second). */
static volatile int blocks_per_churn = 5;

/* Five blocks from one call site (so that the four handlers' stacks are
 * four paths from one start, as many as a path set holds: walk.c), the
 * first four freed, the fifth leaked. */
CHAIN static void churn(int depth, size_t size)
{
    void *block[5];
    int n = blocks_per_churn;
    for (int i = 0; i < n && i < 5; i++)
        block[i] = descend(depth, size);
    for (int i = 0; i < 4; i++)
        free(block[i]);
    if (block[4])
        leaks++;
    KEEP();
}

CHAIN void handler_0(int depth) { churn(depth, 16); KEEP(); }
CHAIN void handler_1(int depth) { churn(depth, 32); KEEP(); }
CHAIN void handler_2(int depth) { churn(depth, 48); KEEP(); }
CHAIN void handler_3(int depth) { churn(depth, 64); KEEP(); }

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: unwind_deep_paths ROUNDS DEPTH\n");
        return 2;
    }
    int rounds = atoi(argv[1]), depth = atoi(argv[2]);
    void (*const handler[4])(int) = {handler_0, handler_1, handler_2, handler_3};
    for (int r = 0; r < rounds; r++)
        for (int h = 0; h < 4; h++)
            handler[h](depth);
    printf("leaks %u\n", leaks);
    return 0;
}
