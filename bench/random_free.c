/* A live-table-bound workload: N blocks live (32-80 bytes), then ROUNDS
 * passes that each free every block in a random order and replace it at
 * once. Each free looks up an entry nowhere near the last one (the table's
 * cache misses, not the capture, set its cost); the malloc that follows
 * gets the address just freed back from glibc's tcache. Prints the best
 * pass's nanoseconds per free+malloc.
 *
 *   random_free N ROUNDS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

__attribute__((noinline)) static void *replace_site(size_t n)
{
    return malloc(n);
}

static size_t size_of(long i)
{
    return 32 + (size_t)(i & 3) * 16;
}

int main(int argc, char **argv)
{
    if (argc != 3 || atol(argv[1]) < 1 || atoi(argv[2]) < 1) {
        fprintf(stderr, "usage: random_free N ROUNDS\n");
        return 2;
    }
    long n = atol(argv[1]);
    int rounds = atoi(argv[2]);
    void **blocks = malloc((size_t)n * sizeof *blocks);
    long *order = malloc((size_t)n * sizeof *order);
    if (!blocks || !order)
        return 1;
    for (long i = 0; i < n; i++) {
        blocks[i] = replace_site(size_of(i));
        order[i] = i;
    }
    uint64_t x = 88172645463325252ull; /* xorshift64: the same order every run */
    for (long i = n - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        long j = (long)(x % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            long j = order[i];
            free(blocks[j]);
            blocks[j] = replace_site(size_of(j));
        }
        double ns = (now() - t0) / (double)n * 1e9;
        if (ns < best)
            best = ns;
    }
    printf("%.1f\n", best);
    for (long i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
    free(order);
    return 0;
}
