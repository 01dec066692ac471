/* Memory per live allocation: holds N blocks of S bytes, all live at once.
 *
 *   hold N S
 *
 * Prints "hold: blocks=N size=S rss_before_kb=A rss_after_kb=B": the
 * process's VmRSS before the N allocations (after its own pointer array is
 * made and touched) and with all N blocks live. The difference between a
 * traced and an untraced run, over N, is the tracer's memory per live block. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

static long rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

NOINLINE static void hold_site(void **slots, long n, size_t size)
{
    for (long i = 0; i < n; i++) {
        slots[i] = malloc(size);
        ((volatile char *)slots[i])[0] = 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hold BLOCKS SIZE\n");
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    size_t size = strtoul(argv[2], NULL, 10);
    void **slots = calloc((size_t)n, sizeof *slots);
    for (long i = 0; i < n; i++) /* fault it in before measuring */
        ((void *volatile *)slots)[i] = NULL;
    long before = rss_kb();
    hold_site(slots, n, size);
    long after = rss_kb();
    printf("hold: blocks=%ld size=%zu rss_before_kb=%ld rss_after_kb=%ld\n", n, size, before,
           after);
    return 0;
}
