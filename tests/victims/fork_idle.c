/* A forked child that makes no hooked call after the fork, as a worker
 * blocked on a descriptor it inherited: it reads its standard input (read
 * is not hooked) until it ends, then leaves with _exit.
 *
 *   fork_idle N S
 *
 * parent_leak leaks N blocks of S bytes before the fork. The parent prints
 * "child PID", waits for the child and returns 0 (1 if the child did not
 * end with status 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void parent_leak(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        memset(malloc(s), 1, s);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    parent_leak(atol(argv[1]), (size_t)atol(argv[2]));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char buf[64];
        while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
        }
        _exit(0);
    }
    printf("child %d\n", (int)pid);
    fflush(stdout);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
