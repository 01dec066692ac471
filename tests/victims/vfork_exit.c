/* A vfork child that calls exit() instead of _exit(): it runs in its
 * parent's memory, and its exit runs the exit handlers the two share.
 *
 * vfork_exit N S: leaks N blocks of S bytes from parent_leak, then a vfork
 * child calls exit(0); prints the child's pid once it has ended. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) static void parent_leak(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        sink = malloc(size);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: vfork_exit N S\n");
        return 2;
    }
    parent_leak(atoi(argv[1]), (size_t)atol(argv[2]));
    pid_t child = vfork();
    if (child == 0)
        exit(0);
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child)
        return 1;
    printf("child %d exit %d\n", (int)child, WEXITSTATUS(status));
    return 0;
}
