/* The live table's solo mode ending while its thread is busy with it.
 * Forks CHILDREN children one after the other; in each, the main thread
 * (the table's solo thread: the child's only one) churns malloc/free of
 * SIZE+8 bytes through a ring of SLOTS shared blocks, starts a second
 * thread, and keeps churning until that thread has done PAIRS exchanges on
 * the same ring: the second thread's first malloc ends solo mode with the
 * first thread inside the table, and both then free blocks the other
 * allocated. After the join, the ring is freed; each thread of each child
 * leaks K blocks of SIZE bytes, in leak_main and leak_second. A child's
 * exit snapshot is exact only if no insert or remove was lost in the
 * switch: churn_exchange must have nothing in use.
 *
 *   solo_switch CHILDREN PAIRS SIZE K
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define SLOTS 64

static int pairs, k;
static size_t size;
static void *_Atomic ring[SLOTS];
static atomic_bool second_done;

NOINLINE static void churn_exchange(unsigned i)
{
    char *p = malloc(size + 8);
    p[0] = 1;
    free(atomic_exchange(&ring[i % SLOTS], p));
}

NOINLINE static void leak_main(void)
{
    if (!malloc(size))
        abort();
}

NOINLINE static void leak_second(void)
{
    if (!malloc(size))
        abort();
}

static void *second(void *arg)
{
    (void)arg;
    for (int i = 0; i < pairs; i++)
        churn_exchange((unsigned)i * 7);
    for (int i = 0; i < k; i++)
        leak_second();
    atomic_store(&second_done, true);
    return NULL;
}

static void child(void)
{
    unsigned i = 0;
    for (; i < (unsigned)pairs; i++) /* solo */
        churn_exchange(i);
    pthread_t tid;
    if (pthread_create(&tid, NULL, second, NULL))
        abort();
    while (!atomic_load(&second_done))
        churn_exchange(i++);
    pthread_join(tid, NULL);
    for (unsigned j = 0; j < SLOTS; j++)
        free(atomic_exchange(&ring[j], NULL));
    for (int j = 0; j < k; j++)
        leak_main();
    printf("child %d: %u exchanges on the main thread\n", (int)getpid(), i);
    exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s CHILDREN PAIRS SIZE K\n", argv[0]);
        return 2;
    }
    int children = atoi(argv[1]);
    pairs = atoi(argv[2]);
    size = strtoul(argv[3], NULL, 10);
    k = atoi(argv[4]);
    fflush(stdout);
    for (int c = 0; c < children; c++) {
        pid_t pid = fork();
        if (pid == 0)
            child();
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            return 1;
    }
    printf("%d children done\n", children);
    return 0;
}
