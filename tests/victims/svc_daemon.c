/* A classic daemon: the launcher leaks N2 blocks of SIZE2, prints its pid and
 * waits for a line on stdin (the test takes a snapshot, so the tracer holds
 * descriptors of its own), then forks; the child calls setsid and forks
 * again and _exits; the grandchild, the daemon, goes to /, closes every
 * descriptor up to the limit, opens /dev/null on 0-2, leaks N blocks of SIZE
 * and NFD descriptors, and writes DIR/daemon.pid. Then it polls DIR: "more"
 * makes it leak N3 blocks of SIZE3 and write "more.done"; "stop" makes it
 * return from main. The launcher exits once the middle child is reaped.
 *
 * usage: svc_daemon DIR N SIZE N2 SIZE2 NFD N3 SIZE3 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;

NOINLINE void leak_before_fork(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        sink = malloc(size);
}

NOINLINE void leak_daemon(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        sink = malloc(size);
}

NOINLINE void leak_more(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        sink = malloc(size);
}

NOINLINE void leak_fds(int n)
{
    for (int i = 0; i < n; i++)
        if (open("/dev/null", O_RDONLY) < 0)
            exit(4);
}

NOINLINE void close_everything(void)
{
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 1L << 20)
        max = 1L << 20;
    for (long fd = 0; fd < max; fd++)
        close((int)fd);
}

NOINLINE void reopen_stdio(void)
{
    if (open("/dev/null", O_RDWR) != 0 || dup2(0, 1) != 1 || dup2(0, 2) != 2)
        exit(5);
}

static void write_file(const char *dir, const char *name, long value)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(tmp, "w");
    if (!f)
        exit(6);
    fprintf(f, "%ld\n", value);
    fclose(f);
    rename(tmp, path);
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static int run_daemon(const char *dir, int n, size_t size, int nfd, int n3, size_t size3)
{
    if (chdir("/") != 0)
        return 7;
    umask(0);
    close_everything();
    reopen_stdio();
    leak_daemon(n, size);
    leak_fds(nfd);
    write_file(dir, "daemon.pid", getpid());
    for (int tick = 0; tick < 3000; tick++) { /* 30 s at most */
        if (exists(dir, "more") && !exists(dir, "more.done")) {
            leak_more(n3, size3);
            write_file(dir, "more.done", 1);
        }
        if (exists(dir, "stop"))
            return 0;
        usleep(10000);
    }
    return 3;
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: svc_daemon DIR N SIZE N2 SIZE2 NFD N3 SIZE3\n");
        return 2;
    }
    const char *dir = argv[1];
    leak_before_fork(atoi(argv[4]), (size_t)atol(argv[5]));
    printf("launcher %d\n", (int)getpid());
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 3;
    pid_t child = fork();
    if (child < 0)
        return 8;
    if (child == 0) {
        if (setsid() < 0)
            _exit(9);
        pid_t daemon = fork();
        if (daemon != 0)
            _exit(daemon < 0 ? 10 : 0);
        return run_daemon(dir, atoi(argv[2]), (size_t)atol(argv[3]), atoi(argv[6]),
                          atoi(argv[7]), (size_t)atol(argv[8]));
    }
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
        return 11;
    return WEXITSTATUS(status);
}
