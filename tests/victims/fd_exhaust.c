/* fd_exhaust: keeps a heap block of BLOCK bytes (keep_block), then opens
 * /dev/null in exhaust_descriptors() until open fails, as a descriptor leak
 * ends: the program holds every number its RLIMIT_NOFILE allows.
 *
 * usage: fd_exhaust            returns from main, holding them all
 *        fd_exhaust close      closes what it opened, then returns
 *        fd_exhaust wait       waits for SIGUSR2 (a snapshot signal can be
 *                              sent meanwhile), closes, returns
 *        fd_exhaust thread     a thread of its own opens them and returns,
 *                              the main thread having ended by pthread_exit
 *                              (the process ends with its last thread)
 * stdout: "pid N", "open failed: <strerror>", what it closed
 * stderr: "opened N", how many exhaust_descriptors opened */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define BLOCK 12345
#define MAX_FDS 65536

static volatile sig_atomic_t woken;
static int fds[MAX_FDS];

static void on_usr2(int sig)
{
    (void)sig;
    woken = 1;
}

NOINLINE void *keep_block(void)
{
    return malloc(BLOCK);
}

NOINLINE int exhaust_descriptors(void)
{
    int n = 0, fd;
    while (n < MAX_FDS && (fd = open("/dev/null", O_RDONLY)) >= 0)
        fds[n++] = fd;
    return n;
}

static const char *close_all(int n)
{
    for (int i = 0; i < n; i++)
        if (close(fds[i]) != 0)
            return "a close failed";
    return "closed what it opened";
}

static void *exhaust_and_return(void *unused)
{
    (void)unused;
    usleep(300000); /* the main thread is gone by then, and the tracer has looked */
    int n = exhaust_descriptors();
    int err = errno;
    fprintf(stderr, "opened %d\n", n);
    printf("open failed: %s\n", strerror(err));
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    sigset_t usr2, unblocked;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, &unblocked); /* held until sigsuspend */
    signal(SIGUSR2, on_usr2);
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    void *kept = keep_block();
    pthread_t thread;
    if (strcmp(mode, "thread") == 0 && pthread_create(&thread, NULL, exhaust_and_return, NULL) == 0)
        pthread_exit(NULL);
    int n = exhaust_descriptors();
    int err = errno;
    fprintf(stderr, "opened %d\n", n);
    printf("open failed: %s\n", strerror(err));
    fflush(stdout);
    while (strcmp(mode, "wait") == 0 && !woken)
        sigsuspend(&unblocked);
    if (*mode)
        printf("%s\n", close_all(n));
    return kept ? 0 : 1;
}
