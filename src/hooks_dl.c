/* dlclose(): a library going away takes its addresses with it. Before it
 * goes, the symbolizer notes where it was (so allocations it made that are
 * still live keep their names), and after, the unwinder forgets the rules it
 * cached for those addresses (another library may be loaded there). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>

#include "cfi.h"
#include "init.h"
#include "resolve.h"
#include "symbolize.h"

static int (*real_dlclose)(void *);

LT_EXPORT int dlclose(void *handle)
{
    if (!real_dlclose)
        *(void **)&real_dlclose = lt_resolve_next("dlclose");
    if (!lt_hook_enter())
        return real_dlclose(handle);
    struct link_map *map = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0])
        lt_symbolize_retire(map->l_addr, map->l_name);
    int rc = real_dlclose(handle);
    if (rc == 0)
        lt_cfi_forget();
    lt_hook_leave();
    return rc;
}
