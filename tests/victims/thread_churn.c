/* Threads that come and go, one after another, each allocating: what the
 * tracer keeps per thread (the walk's memo and paths, mapped at a thread's
 * first capture) must go with it.
 *
 * thread_churn N K S: N threads in turn, each making 100 malloc/free pairs
 * and leaking K blocks of S bytes from churn_leak; prints the process's
 * address space size (VmSize, kB) after the first 100 threads and after all
 * N. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static size_t leak_count, leak_size;
static void *volatile sink;

__attribute__((noinline)) static void churn_leak(void)
{
    for (size_t i = 0; i < leak_count; i++)
        sink = malloc(leak_size);
}

static void *run(void *arg)
{
    for (int i = 0; i < 100; i++)
        free(malloc(32 + (size_t)i));
    churn_leak();
    return arg;
}

static long vm_size_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: thread_churn N K S\n");
        return 2;
    }
    int n = atoi(argv[1]);
    long early = 0;
    leak_count = (size_t)atol(argv[2]);
    leak_size = (size_t)atol(argv[3]);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, run, NULL) != 0 || pthread_join(t, NULL) != 0) {
            perror("thread");
            return 1;
        }
        if (i + 1 == 100)
            early = vm_size_kb();
    }
    printf("VmSize after 100 threads: %ld kB, after %d: %ld kB\n", early, n, vm_size_kb());
    return 0;
}
