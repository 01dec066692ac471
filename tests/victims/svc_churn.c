/* A long-running service in miniature: a flat live heap under constant churn.
 * fill() allocates LIVE blocks; on a line from stdin, churn() replaces a
 * random block (malloc, calloc or realloc, 16..528 bytes, from one of SITES
 * allocation sites) for WARM seconds, prints "steady", goes on for SECONDS
 * more, prints "done allocs A" (A: allocations made by churn, all phases)
 * and waits for another line; then frees everything and exits. The live
 * block count is LIVE throughout.
 *
 * usage: svc_churn LIVE SITES WARM SECONDS */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))
#define MAX_SITES 8

static void *site0(size_t n) { return malloc(n); }
static void *site1(size_t n) { return calloc(1, n); }
static void *site2(size_t n) { return malloc(n); }
static void *site3(size_t n) { return calloc(n, 1); }
static void *site4(size_t n) { return malloc(n); }
static void *site5(size_t n) { return malloc(n); }
static void *site6(size_t n) { return calloc(2, n / 2 + 1); }
static void *site7(size_t n) { return malloc(n); }
static void *(*const sites[MAX_SITES])(size_t) = {site0, site1, site2, site3,
                                                   site4, site5, site6, site7};

static void **slot;
static int live, nsites;
static unsigned long long churn_allocs;
static unsigned rng = 12345;

static unsigned next_random(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static size_t random_size(void) { return 16 + next_random() % 513; }

NOINLINE void *allocate(void)
{
    return sites[next_random() % nsites](random_size());
}

NOINLINE void fill(void)
{
    for (int i = 0; i < live; i++)
        slot[i] = allocate();
}

/* One replacement: a fresh block from a site, or a realloc in place. */
NOINLINE void churn_once(void)
{
    int i = (int)(next_random() % live);
    if (next_random() % 4 == 0) {
        void *p = realloc(slot[i], random_size());
        if (p)
            slot[i] = p;
    } else {
        free(slot[i]);
        slot[i] = allocate();
    }
    churn_allocs++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void churn(double seconds)
{
    double end = now() + seconds;
    while (now() < end)
        for (int k = 0; k < 1000; k++)
            churn_once();
}

static void wait_line(void)
{
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        exit(3);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: svc_churn LIVE SITES WARM SECONDS\n");
        return 2;
    }
    live = atoi(argv[1]);
    nsites = atoi(argv[2]);
    if (live < 1 || nsites < 1 || nsites > MAX_SITES)
        return 2;
    slot = calloc((size_t)live, sizeof *slot);
    fill();
    printf("filled\n");
    fflush(stdout);
    wait_line();
    /* One call site for both phases: one stack per allocation site. */
    for (int phase = 3; phase <= 4; phase++) {
        churn(atof(argv[phase]));
        if (phase == 3)
            printf("steady\n");
        else
            printf("done allocs %llu\n", churn_allocs);
        fflush(stdout);
    }
    wait_line();
    for (int i = 0; i < live; i++)
        free(slot[i]);
    free(slot);
    return 0;
}
