/* Two call chains alike down to the frame where a walk joins the thread's
 * base of outer frames (walk.c): leak_block and via_x are the same in both,
 * at the same stack depth, and only the next frame (from_left or
 * from_right, called from one call site in main) tells them apart. Long
 * runs of the left chain let the base grow over the whole stack; then one
 * right call meets it in the same state (same sp, same return address) and
 * must not be replayed as the left chain.
 *
 * A run of right calls then joins the base the first one recorded, whose
 * walks step the same frames above it as the left chain's did under the
 * left one's base: the thread's memo of stack ids (walk.c) must not give
 * them the left chain's stack.
 *
 * unwind_shared_base RUNS LEFT_RUN SIZE [RIGHT_RUN]: RUNS times (LEFT_RUN
 * left leaks, RIGHT_RUN right ones, default 1) of SIZE bytes each; prints
 * the counts. */
#include <stdio.h>
#include <stdlib.h>

#define CHAIN __attribute__((noinline, noclone))

static void *volatile sink;
static volatile unsigned left_calls, right_calls;

CHAIN void leak_block(size_t size)
{
    sink = malloc(size);
}

CHAIN void via_x(size_t size)
{
    leak_block(size);
    __asm__ volatile("" ::: "memory"); /* no tail call: the frame stays */
}

CHAIN void from_left(size_t size)
{
    left_calls++;
    via_x(size);
    __asm__ volatile("" ::: "memory");
}

CHAIN void from_right(size_t size)
{
    right_calls++;
    via_x(size);
    __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: unwind_shared_base RUNS LEFT_RUN SIZE [RIGHT_RUN]\n");
        return 2;
    }
    int runs = atoi(argv[1]), left_run = atoi(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    int right_run = argc == 5 ? atoi(argv[4]) : 1;
    for (int r = 0; r < runs; r++) {
        for (int i = 0; i < left_run + right_run; i++) {
            void (*chain)(size_t) = i < left_run ? from_left : from_right;
            chain(size); /* one call site for both */
        }
    }
    printf("left %u right %u\n", left_calls, right_calls);
    return 0;
}
