/* A SIGALRM handler that calls exit() while the main thread allocates and
 * frees in a loop: most often it interrupts a malloc or a free, so a hook
 * of the tracer or the real allocator, which may hold the allocator's lock.
 * Untraced the program exits with status 5 (its exit path allocates
 * nothing); traced it must too, exit snapshot or not.
 *
 *   exit_in_handler MS
 *
 * The alarm comes after MS milliseconds. */
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>

#define NOINLINE __attribute__((noinline))

static void on_alarm(int sig)
{
    (void)sig;
    exit(5);
}

NOINLINE static void churn(void)
{
    void *blocks[256] = {0};
    for (unsigned long i = 0;; i++) {
        free(blocks[i % 256]);
        blocks[i % 256] = malloc(1 + i % 300);
    }
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 50;
    signal(SIGALRM, on_alarm);
    struct itimerval t = {{0, 0}, {ms / 1000, ms % 1000 * 1000}};
    setitimer(ITIMER_REAL, &t, NULL);
    churn();
}
