/* vfork: the parent leaks P descriptors, then R times vforks a child that
 * closes every descriptor above 2, dup2s over one, opens one, and execs
 * /bin/true (even rounds) or _exits (odd rounds). The child shares the
 * parent's memory: none of that may touch the parent's records.
 *
 * usage: fd_vfork P R      prints "pid P" and "children R ok" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

extern char **environ;

static void die(const char *what)
{
    fprintf(stderr, "fd_vfork: %s: %s\n", what, strerror(errno));
    exit(2);
}

NOINLINE int parent_leak(int p)
{
    int fd = -1;
    for (int i = 0; i < p; i++)
        if ((fd = open("/dev/null", O_RDONLY)) < 0)
            die("open");
    return fd;
}

NOINLINE int child_open(void) { return open("/dev/null", O_RDONLY); }

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    int last = parent_leak(atoi(argv[1])), rounds = atoi(argv[2]), ok = 0;
    for (int r = 0; r < rounds; r++) {
        pid_t pid = vfork();
        if (pid < 0)
            die("vfork");
        if (pid == 0) {
            dup2(0, last);
            close_range(3, ~0u, 0);
            child_open();
            if (r % 2 == 0) {
                char *args[] = {"/bin/true", NULL};
                execve(args[0], args, environ);
            }
            _exit(0);
        }
        int status;
        if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            ok++;
    }
    if (fcntl(last, F_GETFD) < 0)
        die("the parent's descriptor after vfork");
    printf("children %d ok\n", ok);
    return 0;
}
