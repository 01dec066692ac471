/* A SIGALRM handler that siglongjmps back into main, out of whatever it
 * interrupted: most often a malloc or free, so out of the tracer's hook.
 * jump_out_of_malloc JUMPS LEAK_SIZE: loops malloc+free through 50 frames
 * until JUMPS jumps happened (an interval timer of 1 ms), then leaks one
 * block of LEAK_SIZE bytes in leak_after_jumps, another in a second thread
 * (leak_in_second_thread: its first malloc ends the live table's solo mode),
 * and prints "done".
 * Before, the first jump out of a hook left the tracer's guard set: nothing
 * of the thread was recorded after it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

static sigjmp_buf back;
static volatile sig_atomic_t jumps;

static void on_alarm(int sig)
{
    (void)sig;
    jumps++;
    siglongjmp(back, 1);
}

__attribute__((noinline)) void *deep_malloc(int depth, size_t n)
{
    if (depth == 0)
        return malloc(n);
    void *p = deep_malloc(depth - 1, n);
    __asm__ volatile("" ::: "memory");
    return p;
}

__attribute__((noinline)) void leak_after_jumps(size_t n)
{
    void *volatile p = malloc(n);
    (void)p;
}

__attribute__((noinline)) void *leak_in_second_thread(void *n)
{
    leak_after_jumps((size_t)n);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: jump_out_of_malloc JUMPS LEAK_SIZE\n");
        return 2;
    }
    int want = atoi(argv[1]);
    size_t size = (size_t)atol(argv[2]);
    /* first without jumps: the tracer reads the unwind rules of these
     * frames once (a jump out of that reading leaves the thread untraced) */
    for (int i = 0; i < 100; i++) {
        void *volatile p = deep_malloc(50, 64);
        free(p);
    }
    signal(SIGALRM, on_alarm);
    struct itimerval every_ms = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &every_ms, NULL);
    sigsetjmp(back, 1);
    while (jumps < want) {
        void *volatile p = deep_malloc(50, 64);
        free(p);
    }
    setitimer(ITIMER_REAL, &off, NULL);
    leak_after_jumps(size);
    pthread_t second;
    if (pthread_create(&second, NULL, leak_in_second_thread, (void *)size) ||
        pthread_join(second, NULL))
        return 1;
    printf("done\n");
    return 0;
}
