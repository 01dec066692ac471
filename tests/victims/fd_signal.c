/* A signal handler that opens and closes a descriptor, fired every 100 us
 * while the main thread spends its time in malloc and free (inside the
 * tracer's hooks, often). Every descriptor the handler opened must really be
 * closed, and none may have been taken for the tracer's own (moved high).
 *
 * usage: fd_signal MILLISECONDS
 * prints "pid P" and "opens N still-open M moved K" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define MAX_OPENS 100000

static volatile sig_atomic_t opens;
static int seen[MAX_OPENS];

NOINLINE void handler_open_close(int sig)
{
    (void)sig;
    int saved = errno;
    int fd = open("/dev/null", O_RDONLY);
    if (fd >= 0 && opens < MAX_OPENS)
        seen[opens++] = fd;
    close(fd);
    errno = saved;
}

NOINLINE void churn(void)
{
    for (int i = 0; i < 1000; i++)
        free(malloc(64 + i % 100));
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    printf("pid %d\n", (int)getpid());
    struct sigaction sa = {.sa_handler = handler_open_close, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 100}, {0, 100}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        churn();
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < atol(argv[1]));
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    int still = 0, moved = 0;
    for (int i = 0; i < opens; i++) {
        still += fcntl(seen[i], F_GETFD) >= 0;
        moved += seen[i] > 64; /* the program has a handful open: 0-2 and this one */
    }
    printf("opens %d still-open %d moved %d\n", (int)opens, still, moved);
    return 0;
}
