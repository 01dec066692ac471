#define _GNU_SOURCE
#include "clock.h"

#include <dlfcn.h>

int (*lt_clock_gettime)(clockid_t clock, struct timespec *ts) = clock_gettime;

void lt_clock_init(void)
{
    /* dlsym on libc's own handle searches libc (and the loader), not the
     * objects preloaded before it. RTLD_NOLOAD: it is loaded already. */
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (!libc)
        return;
    void *own = dlsym(libc, "clock_gettime");
    if (own)
        lt_clock_gettime = (int (*)(clockid_t, struct timespec *))own;
    dlclose(libc); /* the reference RTLD_NOLOAD took */
}
