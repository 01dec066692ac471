/* Namespace changes that the kernel allows only to a process of one thread:
 * setns() into a mount namespace (its own, with nstype CLONE_NEWNS and 0)
 * and unshare(CLONE_NEWUSER). Prints each result, which traced must be what
 * it is untraced (the tracer's threads step aside: hooks_ns.c).
 *
 *   ns_enter N S [hold]
 *
 * before_ns and after_ns each leak N blocks of S bytes, around the changes.
 * With "hold" it then stays until its standard input ends: the test asks
 * for a snapshot meanwhile, which the restarted thread must write. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void before_ns(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        memset(malloc(s), 1, s);
}

NOINLINE static void after_ns(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        memset(malloc(s), 2, s);
}

static void report(const char *what, int rc)
{
    printf("%s: %s\n", what, rc == 0 ? "ok" : strerrorname_np(errno));
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    long n = atol(argv[1]);
    size_t s = (size_t)atol(argv[2]);
    before_ns(n, s);
    int mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    report("setns mount namespace", setns(mnt, CLONE_NEWNS));
    report("setns any namespace", setns(mnt, 0));
    close(mnt);
    report("unshare user namespace", unshare(CLONE_NEWUSER));
    after_ns(n, s);
    fflush(stdout);
    char c;
    if (argc > 3 && strcmp(argv[3], "hold") == 0)
        while (read(STDIN_FILENO, &c, 1) > 0) {
        }
    return 0;
}
