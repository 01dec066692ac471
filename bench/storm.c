/* Synthetic malloc storm: the hot path of a heap tracer under load.
 *
 *   storm T N D [W [L [S]]]
 *
 * T threads each make N malloc/free pairs of mixed sizes (16..4096 bytes),
 * at a call depth of D non-inlined frames below the thread's entry, from four
 * allocation sites. Each thread keeps a sliding window of W live blocks (the
 * block made at step i is freed at step i+W). At the end each thread frees its
 * window and leaks L blocks of S bytes from storm_leak(): the profile must
 * show exactly T*L objects and T*L*S bytes in use there.
 *
 * Prints one line: "storm: threads=T pairs=N depth=D loop_ns=X loop_cpu_ns=C
 * bytes=B", where X is the wall time of the allocation loops (all threads, from
 * a barrier to the last join), C the process's CPU time (user + system, all
 * threads) over the same stretch and B the bytes all threads allocated in them.
 * Defaults: W=256, L=64, S=1024. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))
/* Keeps calls from becoming jumps, so each level really is a frame. */
#define KEEP() __asm__ volatile("" ::: "memory")

/* One cache line or more each, apart: two workers' fields sharing a line
 * made the untraced 2-thread loop 1.9x slower a thread than the 1-thread one
 * (false sharing: each loop reads its own bounds after every call). */
struct worker {
    pthread_t thread;
    long pairs, window, leak_count, leak_size;
    int depth;
    uint64_t rng;
    uint64_t bytes;
} __attribute__((aligned(64)));

static pthread_barrier_t start_line;

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Mostly small blocks, one in sixteen up to 4 KiB. */
static size_t pick_size(uint64_t r)
{
    if ((r & 15) == 0)
        return 256 + (size_t)((r >> 4) % 3841);
    return 16 + 16 * (size_t)((r >> 4) & 7);
}

/* Four call sites, so that the tracer interns several stacks per thread. */
NOINLINE static void *site_a(size_t n) { void *p = malloc(n); KEEP(); return p; }
NOINLINE static void *site_b(size_t n) { void *p = malloc(n); KEEP(); return p; }
NOINLINE static void *site_c(size_t n) { void *p = malloc(n); KEEP(); return p; }
NOINLINE static void *site_d(size_t n) { void *p = malloc(n); KEEP(); return p; }

NOINLINE static void churn(struct worker *w)
{
    const long pairs = w->pairs, window = w->window;
    void **slots = calloc((size_t)window, sizeof *slots);
    for (long i = 0; i < pairs; i++) {
        uint64_t r = next_random(&w->rng);
        size_t n = pick_size(r);
        long k = i % window;
        free(slots[k]);
        switch ((r >> 20) & 3) {
        case 0: slots[k] = site_a(n); break;
        case 1: slots[k] = site_b(n); break;
        case 2: slots[k] = site_c(n); break;
        default: slots[k] = site_d(n); break;
        }
        ((volatile char *)slots[k])[0] = (char)i; /* touch it, as a program would */
        w->bytes += n;
    }
    for (long k = 0; k < window; k++)
        free(slots[k]);
    free(slots);
}

NOINLINE static void storm_leak(long count, long size)
{
    for (long i = 0; i < count; i++) {
        char *p = malloc((size_t)size);
        memset(p, 1, (size_t)size);
        KEEP();
    }
}

NOINLINE static int descend(struct worker *w, int level)
{
    if (level > 0) {
        int r = descend(w, level - 1);
        KEEP();
        return r + 1;
    }
    pthread_barrier_wait(&start_line);
    churn(w);
    return 0;
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    descend(w, w->depth);
    storm_leak(w->leak_count, w->leak_size);
    return NULL;
}

static long arg_long(int argc, char **argv, int i, long dflt)
{
    return argc > i ? strtol(argv[i], NULL, 10) : dflt;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: storm THREADS PAIRS DEPTH [WINDOW [LEAK_COUNT [LEAK_SIZE]]]\n");
        return 2;
    }
    int threads = (int)arg_long(argc, argv, 1, 1);
    long pairs = arg_long(argc, argv, 2, 0), window = arg_long(argc, argv, 4, 256);
    int depth = (int)arg_long(argc, argv, 3, 0);
    long leak_count = arg_long(argc, argv, 5, 64), leak_size = arg_long(argc, argv, 6, 1024);
    if (threads < 1 || pairs < 0 || depth < 0 || window < 1 || leak_count < 0 || leak_size < 1) {
        fprintf(stderr, "storm: bad arguments\n");
        return 2;
    }
    struct worker *w = aligned_alloc(_Alignof(struct worker), (size_t)threads * sizeof *w);
    pthread_barrier_init(&start_line, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++) {
        w[t] = (struct worker){.pairs = pairs, .window = window, .leak_count = leak_count,
                               .leak_size = leak_size, .depth = depth,
                               .rng = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1)};
        pthread_create(&w[t].thread, NULL, run_worker, &w[t]);
    }
    pthread_barrier_wait(&start_line);
    int64_t t0 = now_ns(), c0 = cpu_ns();
    uint64_t bytes = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(w[t].thread, NULL);
        bytes += w[t].bytes;
    }
    int64_t t1 = now_ns(), c1 = cpu_ns();
    printf("storm: threads=%d pairs=%ld depth=%d loop_ns=%lld loop_cpu_ns=%lld bytes=%llu\n",
           threads, pairs, depth, (long long)(t1 - t0), (long long)(c1 - c0),
           (unsigned long long)bytes);
    free(w);
    return 0;
}
