/* stderr_reuse FILE COUNT SIZE: leaks COUNT blocks of SIZE bytes in leak_site,
 * closes stderr and opens FILE (it gets descriptor 2), writes "data" lines to
 * it around a snapshot signal, and exits (exit snapshot and leak report). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) static void *leak_site(size_t n) { void *p = malloc(n); memset(p, 5, n); return p; }

int main(int argc, char **argv)
{
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
