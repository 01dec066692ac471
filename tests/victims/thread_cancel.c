/* A thread whose cancellation is pending while it runs no cancellation
 * point, and whose next call allocates through a library that no stack has
 * passed through yet (plugins/dl_plugin.c): the tracer reads that
 * library's unwind rules there, opening its file, which is a cancellation
 * point. The thread must end at its own pthread_testcancel, not inside the
 * tracer; then the main thread allocates through the library too, and
 * forks.
 *
 *   thread_cancel
 *
 * The worker's block is WORKER_BYTES, main's MAIN_BYTES (both live at
 * exit, at plugin_leak_site). Prints "worker cancelled", "forked",
 * "main allocated". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKER_BYTES 100
#define MAIN_BYTES 64

void *plugin_leak_site(size_t n);
void plugin_run(int count, size_t n);

static atomic_bool cancel_pending;

static void *worker(void *unused)
{
    (void)unused;
    while (!atomic_load(&cancel_pending)) {
    }
    plugin_leak_site(WORKER_BYTES);
    pthread_testcancel();
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pthread_cancel(t);
    atomic_store(&cancel_pending, true);
    void *result;
    pthread_join(t, &result);
    printf("worker %s\n", result == PTHREAD_CANCELED ? "cancelled" : "returned");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    printf("forked\n");
    plugin_run(1, MAIN_BYTES);
    printf("main allocated\n");
    return 0;
}
