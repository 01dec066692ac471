/* Threads allocate without pause while the test sends signals.
 *
 *   heap_storm K SIZE [THREADS]
 *
 * Each of THREADS threads (default 2) leaks K blocks of SIZE bytes in
 * storm_leak, then churns malloc/free pairs in storm_churn until the main
 * thread reads a line (or end of input) on stdin. Main prints "running" once
 * they all churn. With THREADS 0 the main thread itself leaks and churns
 * (the process keeps one thread), looking for input every 1024 pairs. At
 * the end: what waitpid(-1) sees ("children none": the program has no
 * child, the tracer's writer processes being none of its), then
 * "done CHURNED" (the pairs made, summed).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#define NOINLINE __attribute__((noinline))
#define THREADS_MAX 16

static int k;
static size_t size;
static atomic_int churning;
static atomic_bool stop;

NOINLINE static void storm_leak(void)
{
    if (!malloc(size))
        abort();
}

NOINLINE static void storm_churn(unsigned i)
{
    char *volatile p = malloc(16 + i % 512);
    p[0] = 1;
    free(p);
}

static void *worker(void *arg)
{
    unsigned long *pairs = arg;
    for (int i = 0; i < k; i++)
        storm_leak();
    atomic_fetch_add(&churning, 1);
    while (!atomic_load(&stop))
        storm_churn((unsigned)(*pairs)++);
    return NULL;
}

static bool input_waiting(void)
{
    struct pollfd in = {.fd = 0, .events = POLLIN};
    return poll(&in, 1, 0) == 1;
}

static unsigned long storm_alone(void)
{
    unsigned long pairs = 0;
    for (int i = 0; i < k; i++)
        storm_leak();
    printf("running\n");
    fflush(stdout);
    do {
        for (int i = 0; i < 1024; i++)
            storm_churn((unsigned)pairs++);
    } while (!input_waiting());
    return pairs;
}

static unsigned long storm_in_threads(int threads)
{
    pthread_t tid[THREADS_MAX];
    unsigned long pairs[THREADS_MAX] = {0}, sum = 0;
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, worker, &pairs[i]);
    while (atomic_load(&churning) < threads)
        sched_yield();
    printf("running\n");
    fflush(stdout);
    getchar();
    atomic_store(&stop, true);
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        sum += pairs[i];
    }
    return sum;
}

int main(int argc, char **argv)
{
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    if (argc < 3 || argc > 4 || threads < 0 || threads > THREADS_MAX) {
        fprintf(stderr, "usage: %s K SIZE [THREADS, 0-%d]\n", argv[0], THREADS_MAX);
        return 2;
    }
    k = atoi(argv[1]);
    size = strtoul(argv[2], NULL, 10);
    unsigned long pairs = threads ? storm_in_threads(threads) : storm_alone();
    int status;
    pid_t child = waitpid(-1, &status, WNOHANG);
    if (child < 0 && errno == ECHILD)
        printf("children none\n");
    else
        printf("children %d\n", (int)child);
    printf("done %lu\n", pairs);
    return 0;
}
