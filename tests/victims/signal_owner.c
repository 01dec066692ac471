/* A program with its own handler for a signal: usage
 * signal_owner SIGNUM MODE ROUNDS, MODE "sigaction", "signal", "sysv_signal"
 * (one-shot: the handler installs itself again, the System V way), "sigset"
 * or "none".
 * Prints what it saw of the initial disposition and how many signals its own
 * handler got after raising it ROUNDS times. Leaks 100 bytes in leak_site.
 * MODE "semantics" instead prints what signal() answers to SIG_ERR for
 * SIGNUM, and whether siginterrupt() lets a SIGALRM handler installed by
 * signal() interrupt a read. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t received;
static int sysv;
static void on_signal(int sig)
{
    if (sysv)
        sysv_signal(sig, on_signal);
    received++;
}

__attribute__((noinline)) static void *leak_site(void) { return malloc(100); }

static int semantics(int sig)
{
    errno = 0;
    __sighandler_t r = signal(sig, SIG_ERR);
    printf("signal(SIG_ERR): %s, errno %s\n", r == SIG_ERR ? "SIG_ERR" : "accepted",
           errno == EINVAL ? "EINVAL" : errno ? "other" : "0");
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* old programs still call it */
    siginterrupt(SIGALRM, 1);
#pragma GCC diagnostic pop
    signal(SIGALRM, on_signal);
    alarm(1);
    char c;
    ssize_t n = read(fds[0], &c, 1); /* nothing is ever written */
    printf("read interrupted: %s\n", n < 0 && errno == EINTR ? "yes" : "no");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int sig = atoi(argv[1]), rounds = atoi(argv[3]);
    if (strcmp(argv[2], "semantics") == 0)
        return semantics(sig);
    struct sigaction old;
    sigaction(sig, NULL, &old);
    printf("initial disposition default: %s\n", old.sa_handler == SIG_DFL ? "yes" : "no");
    if (strcmp(argv[2], "sigaction") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(sig, &sa, NULL);
    } else if (strcmp(argv[2], "signal") == 0) {
        signal(sig, on_signal);
    } else if (strcmp(argv[2], "sysv_signal") == 0) {
        sysv = 1;
        sysv_signal(sig, on_signal);
    } else if (strcmp(argv[2], "sigset") == 0) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* old programs still call it */
        sigset(sig, on_signal);
#pragma GCC diagnostic pop
    }
    leak_site();
    for (int i = 0; i < rounds; i++) {
        raise(sig);
        usleep(100000);
    }
    printf("handler calls: %d\n", (int)received);
    return 0;
}
