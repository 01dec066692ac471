/* A daemon's start-up, with snapshots around it: leaks N descriptors, waits
 * for a line on stdin (the test takes a snapshot, so the tracer holds
 * descriptors of its own by then), closes "everything" above 2 the way
 * daemons do, leaks N2 more, waits for another line (a second snapshot),
 * and exits.
 *
 * usage: fd_daemon MODE N N2
 * MODE: loop (close() up to the limit), close_range, closefrom, or dup2
 * (/dev/null dup2'ed over every open descriptor above 2, as listed in
 * /proc/self/fd). Prints "pid P", then "first fd after close-all: F" (the
 * number the next open gets) and, in dup2 mode, "dup2 over K descriptors". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void die(const char *what)
{
    fprintf(stderr, "fd_daemon: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void wait_line(const char *prompt)
{
    char line[64];
    printf("%s\n", prompt);
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin))
        exit(3);
}

NOINLINE void leak_before(int n)
{
    for (int i = 0; i < n; i++)
        if (open("/dev/null", O_RDONLY) < 0)
            die("open");
}

NOINLINE void leak_after(int n)
{
    for (int i = 0; i < n; i++)
        if (open("/dev/null", O_RDONLY) < 0)
            die("open");
}

NOINLINE void close_loop(void)
{
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < max; fd++)
        close((int)fd);
}

NOINLINE int open_devnull(void)
{
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        die("open");
    return fd;
}

/* Collects the numbers first: dup2 while reading the directory would
 * change what it lists. */
NOINLINE int dup2_over_all(int src)
{
    int fds[4096], n = 0, done = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        die("opendir");
    for (struct dirent *e; (e = readdir(d)) && n < 4096;) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd > 2 && fd != src && fd != dirfd(d))
            fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        if (fcntl(fds[i], F_GETFD) >= 0 && dup2(src, fds[i]) == fds[i])
            done++;
    return done;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fd_daemon loop|close_range|closefrom|dup2 N N2\n");
        return 2;
    }
    const char *mode = argv[1];
    printf("pid %d\n", (int)getpid());
    leak_before(atoi(argv[2]));
    wait_line("leaked");

    if (strcmp(mode, "loop") == 0) {
        close_loop();
    } else if (strcmp(mode, "close_range") == 0) {
        if (close_range(3, ~0u, 0) != 0)
            die("close_range");
    } else if (strcmp(mode, "closefrom") == 0) {
        closefrom(3);
    } else if (strcmp(mode, "dup2") == 0) {
        int src = open_devnull();
        printf("dup2 over %d descriptors\n", dup2_over_all(src));
    } else {
        fprintf(stderr, "fd_daemon: unknown mode %s\n", mode);
        return 2;
    }
    int probe = open("/dev/null", O_RDONLY);
    printf("first fd after close-all: %d\n", probe);
    close(probe);
    leak_after(atoi(argv[3]));
    wait_line("daemonized");
    return 0;
}
