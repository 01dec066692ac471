/* stderr_reuse FILE COUNT SIZE: leaks COUNT blocks of SIZE bytes in leak_site,
 * closes stderr and opens FILE (it gets descriptor 2), writes "data" lines to
 * it around a snapshot signal, and exits (exit snapshot and leak report).
 * stderr_reuse detach SECONDS: points descriptors 0-2 at /dev/null, as a
 * daemon does, raises the snapshot signal a second later and lives SECONDS
 * more.
 * stderr_reuse daemon SECONDS: the same through glibc's daemon(), whose
 * dup2 is internal.
 * stderr_reuse blocked SECONDS: blocks every signal, then points 0-2 at
 * /dev/null and lives SECONDS more (no snapshot can be asked for).
 * stderr_reuse close-exit COUNT SIZE: leaks as above, then fclose(stderr)
 * and exit(0) at once, as tar and xz do. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) static void *leak_site(size_t n) { void *p = malloc(n); memset(p, 5, n); return p; }

static int detach(unsigned seconds, bool snapshot)
{
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2; fd++)
        dup2(null, fd);
    if (null > 2)
        close(null);
    sleep(1);
    if (snapshot)
        raise(SIGUSR1);
    sleep(seconds);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "detach") == 0)
        return detach((unsigned)atoi(argv[2]), true);
    if (argc == 3 && strcmp(argv[1], "blocked") == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        return detach((unsigned)atoi(argv[2]), false);
    }
    if (argc == 3 && strcmp(argv[1], "daemon") == 0) {
        if (daemon(1, 0) != 0)
            return 5;
        sleep(1);
        raise(SIGUSR1);
        sleep((unsigned)atoi(argv[2]));
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "close-exit") == 0) {
        for (int i = 0; i < atoi(argv[2]); i++)
            leak_site(strtoul(argv[3], NULL, 10));
        fclose(stderr);
        exit(0);
    }
    if (argc != 4)
        return 2;
    int count = atoi(argv[2]);
    size_t size = strtoul(argv[3], NULL, 10);
    for (int i = 0; i < count; i++)
        leak_site(size);
    close(2);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd != 2)
        return 3;
    dprintf(2, "data 1\n");
    raise(SIGUSR1);
    usleep(300000); /* the snapshot thread writes its file and its line meanwhile */
    dprintf(2, "data 2\n");
    return 0;
}
