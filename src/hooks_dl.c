/* dlclose(): a library going away takes its addresses with it. Before it
 * goes, the symbolizer notes where it was (so allocations it made that are
 * still live keep their names), and after, the unwinder forgets the rules it
 * cached for those addresses (another library may be loaded there). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "cfi.h"
#include "init.h"
#include "resolve.h"
#include "retired.h"

static int (*real_dlclose)(void *);

struct unloading {
    uintptr_t bias, lo, hi;
    const char *path;
};

static int find_range(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct unloading *u = arg;
    (void)size;
    if (info->dlpi_addr != u->bias || !info->dlpi_name || strcmp(info->dlpi_name, u->path) != 0)
        return 0;
    u->lo = UINTPTR_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        u->lo = start < u->lo ? start : u->lo;
        u->hi = end > u->hi ? end : u->hi;
    }
    return 1;
}

LT_EXPORT int dlclose(void *handle)
{
    if (!real_dlclose)
        *(void **)&real_dlclose = lt_resolve_next("dlclose");
    if (!lt_hook_enter())
        return real_dlclose(handle);
    struct link_map *map = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0]) {
        struct unloading u = {map->l_addr, 0, 0, map->l_name};
        /* The library may stay (other handles hold it): recorded all the
         * same, harmless, as frames still inside it resolve to it first. */
        if (dl_iterate_phdr(find_range, &u) && u.hi > u.lo)
            lt_retired_add(u.bias, u.lo, u.hi, u.path);
    }
    int rc = real_dlclose(handle);
    if (rc == 0)
        lt_cfi_forget();
    lt_hook_leave();
    return rc;
}
