/* A plugin the dl_host victim loads and unloads; its leaks outlive it. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void *plugin_leak_site(size_t n)
{
    void *p = malloc(n);
    memset(p, 3, n);
    return p;
}

void plugin_run(int count, size_t n)
{
    for (int i = 0; i < count; i++)
        plugin_leak_site(n);
}
