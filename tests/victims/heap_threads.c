/* THREADS threads (at most 8) start together; thread i leaks (i+1)*K blocks
 * of SIZE bytes in its own function leak_thread_<i>, while churning CHURN
 * malloc/free pairs of SIZE+8 bytes in churn_pair and allocating HANDOFF
 * blocks of SIZE+16 bytes in handoff_alloc that the main thread frees after
 * the join (freed by another thread than the one that allocated them).
 *
 *   heap_threads THREADS K SIZE CHURN HANDOFF
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define MAX_THREADS 8

static int k, churn, handoff;
static size_t size;
static pthread_barrier_t start;
static void **handed[MAX_THREADS];

NOINLINE static void churn_pair(void)
{
    char *volatile p = malloc(size + 8);
    p[0] = 1;
    free(p);
}

NOINLINE static void *handoff_alloc(void) { return malloc(size + 16); }

#define LEAK_FN(i) \
    NOINLINE static void leak_thread_##i(void) { if (!malloc(size)) abort(); }
LEAK_FN(0) LEAK_FN(1) LEAK_FN(2) LEAK_FN(3) LEAK_FN(4) LEAK_FN(5) LEAK_FN(6) LEAK_FN(7)
static void (*const leak_fns[MAX_THREADS])(void) = {
    leak_thread_0, leak_thread_1, leak_thread_2, leak_thread_3,
    leak_thread_4, leak_thread_5, leak_thread_6, leak_thread_7,
};

static void *worker(void *arg)
{
    int i = (int)(long)arg, leaks = (i + 1) * k;
    int steps = leaks > churn ? leaks : churn;
    handed[i] = calloc((size_t)handoff, sizeof(void *));
    pthread_barrier_wait(&start);
    for (int j = 0; j < steps; j++) {
        if (j < leaks)
            leak_fns[i]();
        if (j < churn)
            churn_pair();
        if (j < handoff)
            handed[i][j] = handoff_alloc();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6 || atoi(argv[1]) < 1 || atoi(argv[1]) > MAX_THREADS) {
        fprintf(stderr, "usage: %s THREADS(1..8) K SIZE CHURN HANDOFF\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[1]);
    k = atoi(argv[2]);
    size = strtoul(argv[3], NULL, 10);
    churn = atoi(argv[4]);
    handoff = atoi(argv[5]);
    pthread_t tid[MAX_THREADS];
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, worker, (void *)(long)i);
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    for (int i = 0; i < threads; i++) {
        for (int j = 0; j < handoff; j++)
            free(handed[i][j]);
        free(handed[i]);
    }
    printf("%d threads done\n", threads);
    return 0;
}
