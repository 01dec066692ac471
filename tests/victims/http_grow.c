/* http_grow COUNT SIZE TICKS TICK_SIZE: leaks COUNT blocks of SIZE bytes in
 * initial_site, prints "ready", then every 100 ms for TICKS ticks leaks one
 * TICK_SIZE block in tick_site and prints "tick N" after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) static void *initial_site(size_t n) { void *p = malloc(n); memset(p, 1, n); return p; }
__attribute__((noinline)) static void *tick_site(size_t n) { void *p = malloc(n); memset(p, 2, n); return p; }

int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    int count = atoi(argv[1]), ticks = atoi(argv[3]);
    size_t size = strtoul(argv[2], NULL, 10), tick_size = strtoul(argv[4], NULL, 10);
    for (int i = 0; i < count; i++)
        initial_site(size);
    printf("ready\n");
    fflush(stdout);
    for (int i = 1; i <= ticks; i++) {
        usleep(100000);
        tick_site(tick_size);
        printf("tick %d\n", i);
        fflush(stdout);
    }
    return 0;
}
