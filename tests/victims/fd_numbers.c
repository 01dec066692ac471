/* fd_numbers: prints the descriptor numbers the program gets (an open, a
 * pipe), then closes every descriptor from 3 up as daemons do, makes a pipe,
 * forks, and has the child write into it. Traced, every line must be what it
 * is untraced: the tracer's own descriptors (its copy of stderr, libunwind's
 * pipe, an HTTP socket) never take the program's numbers, nor break when the
 * program closes everything. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int fd = open("/dev/null", O_RDONLY);
    int p[2];
    if (pipe(p) != 0)
        return 1;
    printf("open -> %d, pipe -> %d %d\n", fd, p[0], p[1]);
    fflush(stdout);
    for (int i = 3; i < 1024; i++)
        close(i);
    if (pipe(p) != 0)
        return 1;
    printf("after closing all: pipe -> %d %d\n", p[0], p[1]);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        ssize_t w = write(p[1], "x", 1);
        printf("child: write -> %zd%s%s\n", w, w < 0 ? " " : "", w < 0 ? strerror(errno) : "");
        fflush(stdout);
        _exit(w == 1 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    close(p[1]);
    char c;
    printf("parent: read -> %zd, child status %d\n", read(p[0], &c, 1), WEXITSTATUS(status));
    return 0;
}
