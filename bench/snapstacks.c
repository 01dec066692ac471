/* Snapshot cost: STACKS distinct call stacks holding PER_STACK live blocks
 * each, then one snapshot signal while a thread keeps allocating.
 *
 *   snapstacks PREFIX STACKS PER_STACK [SIGNAL [solo]]
 *
 * Each stack is a distinct path through a binary tree of non-inlined calls
 * (left/right at each of 17 levels). After the blocks are made, a thread
 * loops malloc(64)+free; the main thread sends itself SIGNAL (default SIGUSR1,
 * the tracer's snapshot signal) and polls every 100 us for the file
 * PREFIX.PID.0001.heap.pb.gz (and .fd.pb.gz when the tracer writes it).
 * Prints "snapstacks: stacks=S blocks=B heap_ms=X fd_ms=Y max_gap_us=G
 * quiet_max_gap_us=Q rate_pct=R vcsw=V ivcsw=I", where G is the longest time
 * one malloc+free iteration of the allocating thread took while the snapshot
 * ran and Q the same over the 300 ms just before the signal (the machine's own
 * noise); R is the thread's iteration rate during the snapshot in percent of
 * its rate before; V and I are its voluntary (it blocked: a lock) and
 * involuntary (it was preempted) context switches during the snapshot.
 * "pause_us=P" is how long the signal's handler held the main thread (the
 * kill() of itself returns after it). With "solo" no thread is started:
 * the program stays single-threaded (the tracer then clones a writer
 * process in the handler, which P measures), and the gap, rate and
 * context-switch fields are 0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define KEEP() __asm__ volatile("" ::: "memory")
#define LEVELS 17 /* 2^17 = 131072 paths */

static long per_stack;
static _Atomic int phase; /* 0 warm-up, 1 quiet window, 2 snapshot window, 3 stop */
static int64_t max_gap[3];
static long loops[4];
static struct rusage usage[4]; /* the thread's, when it saw each phase begin */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

NOINLINE static void leaf(void)
{
    for (long i = 0; i < per_stack; i++) {
        char *p = malloc(32);
        p[0] = 1;
        KEEP();
    }
}

static void walk(int level, unsigned path);
NOINLINE static void left(int level, unsigned path) { walk(level, path); KEEP(); }
NOINLINE static void right(int level, unsigned path) { walk(level, path); KEEP(); }

NOINLINE static void walk(int level, unsigned path)
{
    if (level == LEVELS)
        leaf();
    else if (path >> level & 1)
        right(level + 1, path);
    else
        left(level + 1, path);
    KEEP();
}

static void *allocate_forever(void *arg)
{
    (void)arg;
    int64_t last = now_ns();
    int ph, seen = -1;
    for (;;) {
        ph = atomic_load(&phase);
        if (ph != seen) {
            getrusage(RUSAGE_THREAD, &usage[ph]);
            seen = ph;
            last = now_ns();
        }
        if (ph == 3)
            break;
        void *p = malloc(64);
        ((volatile char *)p)[0] = 1;
        free(p);
        int64_t t = now_ns();
        if (t - last > max_gap[ph])
            max_gap[ph] = t - last;
        last = t;
        loops[ph]++;
    }
    return NULL;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {ns / 1000000000, ns % 1000000000};
    nanosleep(&ts, NULL);
}

/* Polls for path; its time of appearance in ns since t0, or -1 after 120 s. */
static int64_t appear(const char *path, int64_t t0)
{
    struct stat st;
    while (stat(path, &st) != 0) {
        if (now_ns() - t0 > 120 * 1000000000LL)
            return -1;
        sleep_ns(100000);
    }
    return now_ns() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: snapstacks PREFIX STACKS PER_STACK [SIGNAL]\n");
        return 2;
    }
    const char *prefix = argv[1];
    long stacks = strtol(argv[2], NULL, 10);
    per_stack = strtol(argv[3], NULL, 10);
    int sig = argc > 4 ? atoi(argv[4]) : SIGUSR1;
    bool solo = argc > 5 && strcmp(argv[5], "solo") == 0;
    if (stacks < 1 || stacks > (1L << LEVELS) || per_stack < 0) {
        fprintf(stderr, "snapstacks: STACKS must be 1..%ld\n", 1L << LEVELS);
        return 2;
    }
    for (long s = 0; s < stacks; s++)
        walk(0, (unsigned)s);

    char heap[4096], fd[4096];
    snprintf(heap, sizeof heap, "%s.%d.0001.heap.pb.gz", prefix, (int)getpid());
    snprintf(fd, sizeof fd, "%s.%d.0001.fd.pb.gz", prefix, (int)getpid());
    const char *fd_env = getenv("LEAKTRACE_FD");
    int want_fd = !(fd_env && strcmp(fd_env, "0") == 0);

    pthread_t thread;
    if (!solo)
        pthread_create(&thread, NULL, allocate_forever, NULL);
    sleep_ns(100000000);
    int64_t quiet0 = now_ns();
    atomic_store(&phase, 1);
    sleep_ns(300000000);
    int64_t quiet = now_ns() - quiet0;

    int64_t t0 = now_ns();
    atomic_store(&phase, 2);
    kill(getpid(), sig);
    int64_t pause = now_ns() - t0;
    int64_t heap_ns = appear(heap, t0);
    int64_t fd_ns = want_fd && heap_ns >= 0 ? appear(fd, t0) : heap_ns;
    int64_t busy = now_ns() - t0;
    atomic_store(&phase, 3);
    if (!solo)
        pthread_join(thread, NULL);
    double rate = solo ? 0 : (loops[2] / (double)busy) / (loops[1] / (double)quiet);
    printf("snapstacks: stacks=%ld blocks=%ld heap_ms=%.1f fd_ms=%.1f max_gap_us=%.0f "
           "quiet_max_gap_us=%.0f rate_pct=%.0f vcsw=%ld ivcsw=%ld pause_us=%.0f\n",
           stacks, stacks * per_stack, heap_ns / 1e6, fd_ns / 1e6, max_gap[2] / 1e3,
           max_gap[1] / 1e3, 100 * rate, usage[3].ru_nvcsw - usage[2].ru_nvcsw,
           usage[3].ru_nivcsw - usage[2].ru_nivcsw, pause / 1e3);
    return heap_ns < 0 || fd_ns < 0;
}
