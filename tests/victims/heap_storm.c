/* Two threads allocate without pause while the test sends signals.
 *
 *   heap_storm K SIZE
 *
 * Each thread leaks K blocks of SIZE bytes in storm_leak, then churns
 * malloc/free pairs in storm_churn until the main thread reads a line (or
 * end of input) on stdin. Main prints "running" once both threads churn,
 * and "done CHURNED" at the end (CHURNED: the pairs made, summed).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

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

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s K SIZE\n", argv[0]);
        return 2;
    }
    k = atoi(argv[1]);
    size = strtoul(argv[2], NULL, 10);
    pthread_t tid[2];
    unsigned long pairs[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        pthread_create(&tid[i], NULL, worker, &pairs[i]);
    while (atomic_load(&churning) < 2)
        sched_yield();
    printf("running\n");
    fflush(stdout);
    getchar();
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(tid[i], NULL);
    printf("done %lu\n", pairs[0] + pairs[1]);
    return 0;
}
