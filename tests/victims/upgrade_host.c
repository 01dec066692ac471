/* Loads a plugin, says "loaded", waits for a line on stdin (the test
 * replaces the plugin's file meanwhile, as a package upgrade does under a
 * running service), then leaks COUNT blocks of SIZE bytes through it.
 *
 *   upgrade_host PLUGIN COUNT SIZE */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    void *plugin = dlopen(argv[1], RTLD_NOW);
    if (!plugin) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    void *(*leak)(size_t, unsigned) = (void *(*)(size_t, unsigned))dlsym(plugin, "upgrade_leak");
    int count = atoi(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    printf("loaded\n");
    fflush(stdout);
    char line[16];
    if (!leak || !fgets(line, sizeof line, stdin))
        return 1;
    int made = 0;
    for (int i = 0; i < count; i++)
        made += leak(size, (unsigned)i) != NULL; /* leaked on purpose */
    printf("leaked %d blocks of %zu bytes\n", made, size);
    return 0;
}
