/* fd_takeover: dup2s a pipe's write end onto the number of the tracer's
 * copy of its stderr (the descriptor that is not its own and is the same
 * file as descriptor 2; untraced there is none, and the number below the
 * limit is used), closes both write ends, and reads the pipe: a read that
 * finds every write end closed returns 0 (EOF). The number the program
 * asked dup2 for is the program's, and so is its close.
 *
 * stdout: "dup2 onto the copy: read -> EOF" (or what the read found) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_of_stderr(int limit)
{
    struct stat err, st;
    if (fstat(STDERR_FILENO, &err) != 0)
        return -1;
    for (int fd = 3; fd < limit; fd++)
        if (fstat(fd, &st) == 0 && st.st_dev == err.st_dev && st.st_ino == err.st_ino)
            return fd;
    return -1;
}

int main(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > 65536)
        return 2;
    int target = copy_of_stderr((int)rl.rlim_cur);
    if (target < 0)
        target = (int)rl.rlim_cur - 1;
    int p[2];
    if (pipe(p) != 0 || dup2(p[1], target) != target)
        return 2;
    close(p[1]);
    close(target); /* the last write end */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    char c;
    ssize_t n = read(p[0], &c, 1);
    printf("dup2 onto the copy: read -> %s\n",
           n == 0 ? "EOF" : n < 0 && errno == EAGAIN ? "nothing yet: a write end is still open"
                                                      : strerror(errno));
    return 0;
}
