/* thread_exit_main MODE N SIZE: the program's threads all end by
 * themselves, and glibc then ends the process (exit(0): atexit handlers
 * run). MODE "main": main leaks N blocks of SIZE bytes in leak_main, starts
 * a thread that leaks N in leak_worker, and calls pthread_exit. MODE "fork":
 * a thread forks; the child (whose only thread leads it) leaks N in
 * leak_child and calls pthread_exit; the parent reports how the child ended
 * within 10 s. Traced, the tracer's own threads must not keep either
 * process alive. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int n;
static size_t size;

#define LEAKER(name)                                                                               \
    __attribute__((noinline)) static void name(void)                                              \
    {                                                                                              \
        for (int i = 0; i < n; i++) {                                                              \
            char *volatile p = malloc(size);                                                       \
            p[0] = 1;                                                                              \
        }                                                                                          \
    }
LEAKER(leak_main)
LEAKER(leak_worker)
LEAKER(leak_child)

/* Run by exit(): traced, possibly on a tracer thread (the process's last),
 * which must have handed back the program's signal mask. */
static void said_at_exit(void)
{
    char line[256], blocked[64] = "?";
    FILE *f = fopen("/proc/thread-self/status", "r");
    while (f && fgets(line, sizeof line, f))
        sscanf(line, "SigBlk: %63s", blocked);
    if (f)
        fclose(f);
    printf("atexit ran, signals blocked: %s\n", blocked);
}

static void *worker(void *arg)
{
    (void)arg;
    usleep(300000); /* main has called pthread_exit by now */
    leak_worker();
    return NULL;
}

static void *forker(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0) {
        leak_child();
        pthread_exit(NULL); /* the child's last thread: exit(0) */
    }
    alarm(10);
    int status;
    if (waitpid(pid, &status, 0) == pid)
        printf("child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    n = atoi(argv[2]);
    size = strtoul(argv[3], NULL, 10);
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t t;
    if (strcmp(argv[1], "fork") == 0) {
        pthread_create(&t, NULL, forker, NULL);
        pthread_join(t, NULL);
        return 0;
    }
    atexit(said_at_exit);
    leak_main();
    pthread_create(&t, NULL, worker, NULL);
    pthread_exit(NULL);
}
