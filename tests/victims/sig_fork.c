/* sig_fork FORKS N SIZE [vfork]: a SIGALRM handler, every 2 ms, forks (or
 * vforks) a child that _exits at once (fork is async-signal-safe in
 * POSIX.1-2008); meanwhile main
 * mallocs and frees in a loop, so most signals land inside an allocation,
 * traced: inside the tracer. After FORKS forks, main leaks N blocks of SIZE
 * bytes in leak_after_forks. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t forks;
static int use_vfork;

static void on_alarm(int sig)
{
    (void)sig;
    pid_t pid = use_vfork ? vfork() : fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0 && waitpid(pid, NULL, 0) == pid)
        forks++;
}

__attribute__((noinline)) static void leak_after_forks(int n, size_t size)
{
    for (int i = 0; i < n; i++) {
        char *volatile p = malloc(size);
        p[0] = 1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5)
        return 2;
    int want = atoi(argv[1]);
    use_vfork = argc == 5;
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = {{0, 2000}, {0, 2000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &every, NULL);
    while (forks < want) {
        char *volatile p = malloc(100);
        p[0] = 1;
        free(p);
    }
    setitimer(ITIMER_REAL, &off, NULL);
    leak_after_forks(atoi(argv[2]), strtoul(argv[3], NULL, 10));
    printf("forks done\n");
    return 0;
}
