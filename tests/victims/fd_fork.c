/* Fork: the parent leaks P eventfds, forks; the child closes one of them,
 * leaks C descriptors of its own and exits; the parent waits and exits.
 * Both write their exit snapshot (the child's is SEQ 0001 under its pid).
 *
 * usage: fd_fork P C      prints "pid PARENT" and "child CHILD" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void die(const char *what)
{
    fprintf(stderr, "fd_fork: %s: %s\n", what, strerror(errno));
    exit(2);
}

NOINLINE int parent_leak(int p)
{
    int fd = -1;
    for (int i = 0; i < p; i++)
        if ((fd = eventfd(0, 0)) < 0)
            die("eventfd");
    return fd;
}

NOINLINE void child_leak(int c)
{
    for (int i = 0; i < c; i++)
        if (open("/dev/null", O_RDONLY) < 0)
            die("open");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fd_fork P C\n");
        return 2;
    }
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    int last = parent_leak(atoi(argv[1]));
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        close(last); /* inherited: released in the child only */
        child_leak(atoi(argv[2]));
        return 0;
    }
    printf("child %d\n", (int)child);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("child");
    return 0;
}
