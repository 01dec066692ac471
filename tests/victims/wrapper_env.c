/* Victim of the wrapper and install tests.
 *
 *   wrapper_env COUNT SIZE [EXIT_CODE [READY_FILE GO_FILE]]
 *
 * Leaks COUNT blocks of SIZE bytes through leak_outer -> leak_middle ->
 * leak_inner -> malloc, prints PID=<its pid> and the LEAKTRACE_* variables
 * and LD_PRELOAD it was started with (one NAME=VALUE line each, "NAME unset"
 * otherwise), then,
 * if READY_FILE is given, creates it and waits (at most 60 s) until GO_FILE
 * exists, and returns EXIT_CODE from main. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const vars[] = {
    "LEAKTRACE_OUT",   "LEAKTRACE_SIGNAL", "LEAKTRACE_AT_EXIT", "LEAKTRACE_INTERVAL",
    "LEAKTRACE_DEPTH", "LEAKTRACE_SAMPLE", "LEAKTRACE_FD",      "LEAKTRACE_HTTP",
    "LEAKTRACE_QUIET", "LEAKTRACE_REPORT", "LD_PRELOAD",
};

void *volatile sink;

__attribute__((noinline)) static void leak_inner(long size)
{
    sink = malloc((size_t)size);
}

__attribute__((noinline)) static void leak_middle(long size)
{
    leak_inner(size);
    sink = sink; /* no tail call: keep this frame on the stack */
}

__attribute__((noinline)) static void leak_outer(long count, long size)
{
    for (long i = 0; i < count; i++)
        leak_middle(size);
    sink = sink;
}

static void wait_for_go(const char *ready, const char *go)
{
    FILE *f = fopen(ready, "w");
    if (f)
        fclose(f);
    for (int i = 0; i < 6000 && access(go, F_OK) != 0; i++)
        usleep(10000);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4 && argc != 6) {
        fprintf(stderr, "usage: %s COUNT SIZE [EXIT_CODE [READY_FILE GO_FILE]]\n", argv[0]);
        return 2;
    }
    leak_outer(atol(argv[1]), atol(argv[2]));
    printf("PID=%d\n", (int)getpid());
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v)
            printf("%s=%s\n", vars[i], v);
        else
            printf("%s unset\n", vars[i]);
    }
    fflush(stdout);
    if (argc == 6)
        wait_for_go(argv[4], argv[5]);
    return argc >= 4 ? atoi(argv[3]) : 0;
}
