/* Many distinct call stacks: what the tracer's memory a stack is, and what
 * a snapshot of them leaves behind.
 *
 *   stack_fanout LEVELS [THREADS [ORDER [SNAPSHOTS]]]
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
 * the passes.
 *
 * With SNAPSHOTS, it then starts a thread that only waits (so that the
 * tracer's thread writes the snapshots, in the process, and the process
 * goes on with what they leave) and asks for SNAPSHOTS snapshots with
 * SIGUSR1, one at a time: each waited for (LEAKTRACE_OUT.PID.SEQ.heap.pb.gz
 * appearing), then 10 s at most for the process to map no more files and
 * hold no more descriptors than before it (the tracer reads object files
 * through mappings of its own, and a debug file through a descriptor).
 * For each it prints "snapshot=K file_mappings=BEFORE,AFTER
 * descriptors=BEFORE,AFTER rss_kept=BYTES peak_growth=BYTES": AFTER as the
 * wait ended, rss_kept the resident bytes gained since before the
 * snapshot, peak_growth the peak's (VmHWM) since before the first. Last, "large_block_mapped=1" if a block
 * of 129 KiB still comes from mmap (glibc's threshold is 128 KiB until a
 * larger mapped block is freed: the program frees none), else 0. */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define KEEP() __asm__ volatile("" ::: "memory")

/* A /proc file's text into buf, NUL-terminated (read without stdio: no
 * allocation); its length, or -1. */
static long read_proc(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t n;
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = 0;
    return len ? (long)len : -1;
}

/* Resident bytes, from /proc/self/statm. */
static long resident_bytes(void)
{
    char buf[128];
    if (read_proc("/proc/self/statm", buf, sizeof buf) < 0)
        return -1;
    char *field = buf;
    strtol(field, &field, 10); /* size, then resident */
    return strtol(field, NULL, 10) * sysconf(_SC_PAGESIZE);
}

/* The lines of /proc/self/maps that name a file. */
static int file_mappings(void)
{
    static char buf[1 << 20];
    long len = read_proc("/proc/self/maps", buf, sizeof buf);
    int count = 0;
    for (long i = 0; i < len; i++)
        if (buf[i] == '/' && (i == 0 || buf[i - 1] == ' '))
            count++;
    return count;
}

/* The open descriptors. */
static int descriptors(void)
{
    int count = 0;
    for (int fd = 0; fd < (int)sysconf(_SC_OPEN_MAX); fd++)
        count += fcntl(fd, F_GETFD) >= 0;
    return count;
}

/* VmHWM, in bytes. */
static long peak_bytes(void)
{
    char buf[4096];
    char *at = read_proc("/proc/self/status", buf, sizeof buf) < 0 ? NULL : strstr(buf, "VmHWM:");
    return at ? strtol(at + 6, NULL, 10) * 1024 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
    nanosleep(&ts, NULL);
}

static void *wait_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static bool wait_for_file(const char *path, long ms)
{
    struct stat st;
    for (long waited = 0; waited < ms; waited += 10, sleep_ms(10))
        if (stat(path, &st) == 0)
            return true;
    return false;
}

static int take_snapshots(int count)
{
    const char *prefix = getenv("LEAKTRACE_OUT") ? getenv("LEAKTRACE_OUT") : "leaktrace";
    pthread_t thread;
    if (pthread_create(&thread, NULL, wait_forever, NULL) != 0)
        return 1;
    long peak_before = peak_bytes();
    for (int k = 1; k <= count; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s.%d.%04d.heap.pb.gz", prefix, (int)getpid(), k);
        int before = file_mappings(), after = -1, fds_before = descriptors();
        long rss_before = resident_bytes();
        raise(SIGUSR1);
        if (!wait_for_file(path, 60000)) {
            fprintf(stderr, "no %s\n", path);
            return 1;
        }
        int fds_after = -1;
        for (int waited = 0; waited < 10000; waited += 10, sleep_ms(10))
            if ((after = file_mappings()) <= before && (fds_after = descriptors()) <= fds_before)
                break;
        printf("snapshot=%d file_mappings=%d,%d descriptors=%d,%d rss_kept=%ld peak_growth=%ld\n", k,
               before, after, fds_before, fds_after < 0 ? descriptors() : fds_after,
               resident_bytes() - rss_before, peak_bytes() - peak_before);
    }
    size_t mapped = mallinfo2().hblks;
    void *volatile block = malloc(129 * 1024);
    printf("large_block_mapped=%d\n", mallinfo2().hblks == mapped + 1);
    free(block);
    return 0;
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
    int snapshots = argc > 4 ? atoi(argv[4]) : 0;
    if (levels < 2 || levels > 20 || threads < 1 || threads > 64 ||
        (argc > 3 && !inner_order && strcmp(argv[3], "outer") != 0) || snapshots < 0) {
        fprintf(stderr, "usage: stack_fanout LEVELS (2..20) [THREADS (1..64) [outer|inner [SNAPSHOTS]]]\n");
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
    if (before < 0 || after < 0)
        return 1;
    fflush(stdout);
    return snapshots ? take_snapshots(snapshots) : 0;
}
