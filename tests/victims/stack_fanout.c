/* Many distinct call stacks: what the tracer's memory a stack is.
 *
 *   stack_fanout LEVELS [THREADS [ORDER]]
 *
 * Each stack is a path through LEVELS levels of fanout_left/fanout_right
 * down to fanout_leaf, which allocates a 16-byte block and frees it: the
 * stack stays in the tracer's table, the block leaves no entry in its live
 * table, and the program's heap does not grow. Path p takes its turn at
 * each level from a bit of p: with ORDER "outer" (the default) bit 0 picks
 * the outermost turn, so paths made one after the other part near main;
 * with "inner", bit 0 picks the innermost turn, so they share most of
 * their outer frames.
 *
 * Two paths (0 and the last) are made first, so that what a first capture
 * sets up is not counted; then every path twice over (the second pass
 * finds each stack in the tracer's table, long after its paths' memos
 * forgot it), by THREADS threads at once (default 1: the main thread;
 * thread k takes every THREADS-th path from k), so that several of them
 * add stacks while the tracer's table grows. Each path allocates 2 blocks
 * in all, the first two 1. Prints "stacks=N rss_growth=B": N the stacks
 * made after the first two, B the resident bytes the process gained over
 * the passes. */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define KEEP() __asm__ volatile("" ::: "memory")

/* Resident bytes, from /proc/self/statm (read without stdio: no allocation). */
static long resident_bytes(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *field = buf;
    strtol(field, &field, 10); /* size, then resident */
    return strtol(field, NULL, 10) * sysconf(_SC_PAGESIZE);
}

static int levels;
static bool inner_order;

NOINLINE static void fanout_leaf(void)
{
    void *volatile p = malloc(16);
    free(p);
}

static void fanout_walk(int level, unsigned path);
NOINLINE static void fanout_left(int level, unsigned path)
{
    fanout_walk(level, path);
    KEEP();
}
NOINLINE static void fanout_right(int level, unsigned path)
{
    fanout_walk(level, path);
    KEEP();
}

NOINLINE static void fanout_walk(int level, unsigned path)
{
    int bit = inner_order ? levels - 1 - level : level;
    if (level == levels)
        fanout_leaf();
    else if (path >> bit & 1)
        fanout_right(level + 1, path);
    else
        fanout_left(level + 1, path);
    KEEP();
}

struct share {
    pthread_t thread;
    unsigned first, step;
};

static void *make_paths(void *arg)
{
    struct share *s = arg;
    unsigned paths = 1u << levels;
    for (int pass = 0; pass < 2; pass++)
        for (unsigned path = s->first; path < paths - 1; path += s->step)
            fanout_walk(0, path);
    return NULL;
}

int main(int argc, char **argv)
{
    levels = argc > 1 ? atoi(argv[1]) : 0;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    inner_order = argc > 3 && strcmp(argv[3], "inner") == 0;
    if (levels < 2 || levels > 20 || threads < 1 || threads > 64 ||
        (argc > 3 && !inner_order && strcmp(argv[3], "outer") != 0)) {
        fprintf(stderr, "usage: stack_fanout LEVELS (2..20) [THREADS (1..64) [outer|inner]]\n");
        return 2;
    }
    unsigned paths = 1u << levels;
    fanout_walk(0, 0);
    fanout_walk(0, paths - 1);
    struct share share[64];
    long before = resident_bytes();
    for (int k = 0; k < threads; k++) {
        share[k] = (struct share){.first = 1 + (unsigned)k, .step = (unsigned)threads};
        if (threads > 1 && pthread_create(&share[k].thread, NULL, make_paths, &share[k]) != 0)
            return 1;
    }
    if (threads == 1)
        make_paths(&share[0]);
    for (int k = 0; threads > 1 && k < threads; k++)
        pthread_join(share[k].thread, NULL);
    long after = resident_bytes();
    printf("stacks=%u rss_growth=%ld\n", paths - 2, after - before);
    return before < 0 || after < 0;
}
