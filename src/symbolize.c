#define _GNU_SOURCE
#include "symbolize.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildid.h"
#include "config.h"
#include "fdspare.h"
#include "resolve.h"
#include "retired.h"
#include "sandbox.h"
#include "symtab.h"

#undef uthash_malloc
#undef uthash_free
#define uthash_malloc(sz) lt_raw_malloc(sz)
#define uthash_free(ptr, sz) lt_raw_free(ptr)
#include <uthash.h>

#define MAX_MAPPINGS 4096
#define INLINE_MAX 32

static void hex(const unsigned char *bits, int n, char *out, size_t cap)
{
    size_t k = 0;
    for (int i = 0; i < n && k + 2 < cap; i++, k += 2)
        snprintf(out + k, 3, "%02x", bits[i]);
    out[k] = 0;
}

static Dwfl *dwfl;

struct pc_entry;
static struct pc_entry *pc_cache; /* symbolization results across snapshots (end of file) */
static unsigned pc_cache_count;
static uint32_t pc_cache_generation; /* lt_retired_generation() it holds for */

/* A file that could not be opened for want of a descriptor (the program
 * holds every number it may): libdwfl keeps such a failure with its module
 * for good, so the next batch starts from a fresh Dwfl (begin_afresh). */
static bool short_of_descriptors;

static void note_open_failure(void)
{
    if (errno == EMFILE || errno == ENFILE)
        short_of_descriptors = true;
}

/* libdwfl keeps the descriptor for the module's life: not the spare's,
 * which the snapshot file needs next (find_elf_mapped). */
static int open_debug_file(const char *path, char **name_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        *name_out = strdup(path);
    else
        note_open_failure();
    return fd;
}

/* Separate debug files, from the local disk only. libdw's standard lookup
 * would fall back to debuginfod servers when DEBUGINFOD_URLS is set (Debian
 * sets it in login shells): a traced service must never reach the network.
 * Order: /usr/lib/debug/.build-id/xx/rest.debug, then .gnu_debuglink next
 * to the object, in its .debug/ and under /usr/lib/debug. */
static int find_debuginfo_locally(Dwfl_Module *mod, void **userdata, const char *modname,
                                  GElf_Addr base, const char *file_name,
                                  const char *debuglink_file, GElf_Word debuglink_crc,
                                  char **debuginfo_file_name)
{
    (void)userdata; (void)modname; (void)base; (void)debuglink_crc;
    char path[PATH_MAX], hexid[128];
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n > 1 && n < 60) {
        hex(bits + 1, n - 1, hexid, sizeof hexid);
        snprintf(path, sizeof path, "/usr/lib/debug/.build-id/%02x/%s.debug", bits[0], hexid);
        int fd = open_debug_file(path, debuginfo_file_name);
        if (fd >= 0)
            return fd;
    }
    if (!debuglink_file || !file_name)
        return -1;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file_name);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = 0;
    static const char *const layouts[] = {"%s/%s", "%s/.debug/%s", "/usr/lib/debug%s/%s"};
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        snprintf(path, sizeof path, layouts[i], dir, debuglink_file);
        if (strcmp(path, file_name) == 0)
            continue;
        int fd = open_debug_file(path, debuginfo_file_name);
        if (fd >= 0)
            return fd;
    }
    return -1;
}

/* A loaded object's file, read through a mapping (a private one, as libdwfl
 * maps the files it opens), its descriptor closed at once: so a file needs
 * a number only for a moment, and when the program holds every number it
 * may, it gets the spare's (fdspare.c). NULL if it cannot be read. */
static Elf *read_mapped(const char *path)
{
    int fd = lt_fd_open_own(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        note_open_failure();
        return NULL;
    }
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
    /* Whatever the mapping does not hold (mmap refused) is read in now. */
    if (elf && elf_cntl(elf, ELF_C_FDREAD) != 0) {
        elf_end(elf);
        elf = NULL;
    }
    lt_fd_close_own(fd);
    return elf;
}

/* libdwfl's own callback hands libdwfl the descriptor, which it keeps until
 * the module goes: one number of the tracer's for each object in a stack
 * (python importing ssl and sqlite3: 21), none of which could be
 * opened once the program holds every number. Here libdwfl gets the Elf
 * only. The path comes from the loader; a special file there now (which
 * could block an open) is left alone, as libdwfl does. */
static int find_elf_mapped(Dwfl_Module *mod, void **userdata, const char *modname,
                           Dwarf_Addr base, char **file_name, Elf **elfp)
{
    struct stat st;
    if (modname[0] != '/')
        return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
    if (stat(modname, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    Elf *elf = read_mapped(modname);
    *file_name = elf ? strdup(modname) : NULL;
    if (elf && !*file_name) {
        elf_end(elf);
        elf = NULL;
    }
    *elfp = elf;
    return -1; /* no descriptor for libdwfl to keep */
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = find_elf_mapped,
    .find_debuginfo = find_debuginfo_locally,
};

/* Libraries unloaded with dlclose (retired.c): each file at each address it
 * had gets a Dwfl of its own, since such instances may overlap. */
#define MAX_INSTANCE_DWFLS 64
static struct {
    int path_id;
    uintptr_t bias;
    Dwfl *dwfl;
} instances[MAX_INSTANCE_DWFLS];
static int instance_count;

/* The mappings profiles show, each described once from its object's file
 * and kept across snapshots with its own copy of the path: a snapshot whose
 * addresses were all symbolized before reads no file, so the Dwfl and all
 * libdw read can go after each snapshot (lt_symbolize_release). The main
 * program's is slot 0. A slot is let go when its object is unloaded; its
 * serial tells results cached for that object from the next one's. */
#define BUILD_ID_MAX 32
static struct mapping_slot {
    struct lt_sym_mapping m; /* m.path: the slot's own copy */
    bool used;
    bool replaced;           /* the file at its path is another build: no names from it */
    uint32_t serial;
    /* What it describes: a loaded object (retired_path_id -1) at lo..hi with
     * the loader's build id, or an unloaded library's file at bias lo. */
    int retired_path_id;
    uintptr_t lo, hi;
    uint8_t build_id[BUILD_ID_MAX];
    size_t build_id_len;
} slots[MAX_MAPPINGS];
static int slots_end; /* one past the highest slot ever used */

/* Names demangled in this batch, freed by lt_symbolize_end(). */
static char **owned;
static size_t owned_count, owned_cap;

static char *(*cxa_demangle)(const char *, char *, size_t *, int *);

static const char *keep(char *s)
{
    if (!s)
        return NULL;
    if (owned_count == owned_cap) {
        size_t cap = owned_cap ? owned_cap * 2 : 256;
        char **list = lt_raw_realloc(owned, cap * sizeof *list);
        if (!list) {
            lt_raw_free(s);
            return NULL;
        }
        owned = list;
        owned_cap = cap;
    }
    owned[owned_count++] = s;
    return s;
}

/* The first n bytes of s, in the tracer's own memory (owned strings are
 * let go with lt_raw_free: a program that brings its own malloc in its
 * executable has libstdc++'s and libdw's allocations go to that one). */
static char *raw_copy(const char *s, size_t n)
{
    char *copy = lt_raw_malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = 0;
    }
    return copy;
}

/* "__libc_start_main@@GLIBC_2.34" is shown as "__libc_start_main" (the
 * versioned name stays the system name). */
static const char *without_version(const char *sym)
{
    const char *at = strchr(sym, '@');
    if (!at || at == sym)
        return sym;
    const char *kept = keep(raw_copy(sym, (size_t)(at - sym)));
    return kept ? kept : sym;
}

/* C++ names are demangled the way pprof shows them; others pass as they are.
 * __cxa_demangle is used only when the program already loaded libstdc++. */
static const char *demangle(const char *name)
{
    if (!name || name[0] != '_' || name[1] != 'Z')
        return name;
    if (!cxa_demangle)
        *(void **)&cxa_demangle = dlsym(RTLD_DEFAULT, "__cxa_demangle");
    if (!cxa_demangle)
        return name;
    int status = 0;
    char *d = cxa_demangle(name, NULL, NULL, &status);
    const char *kept = status == 0 && d ? keep(raw_copy(d, strlen(d))) : NULL;
    free(d); /* the program's allocator's, as libstdc++'s malloc was */
    return kept ? kept : name;
}

static Dwfl_Module *retired_module(int index, uintptr_t pc)
{
    int path_id = lt_retired_path_id(index);
    uintptr_t bias = lt_retired_bias(index);
    for (int i = 0; i < instance_count; i++)
        if (instances[i].path_id == path_id && instances[i].bias == bias)
            return instances[i].dwfl ? dwfl_addrmodule(instances[i].dwfl, pc) : NULL;
    if (instance_count == MAX_INSTANCE_DWFLS)
        return NULL;
    Dwfl *d = dwfl_begin(&callbacks);
    if (d) {
        dwfl_report_begin(d);
        dwfl_report_elf(d, lt_retired_path(index), lt_retired_path(index), -1, bias, false);
        dwfl_report_end(d, NULL, NULL);
    }
    instances[instance_count++] = (typeof(instances[0])){path_id, bias, d};
    return d ? dwfl_addrmodule(d, pc) : NULL;
}

/* The loaded objects, from the loader (dl_iterate_phdr) rather than from
 * /proc/self/maps, which a setuid program can no longer read. Collected
 * first, reported after: libdwfl reads files, not under the loader lock.
 * Each with its build id: a file replaced since it was loaded (a package
 * upgrade) would give another build's names, so such an object goes
 * unnamed instead (mapping_of), its mapping keeping the loaded build id for
 * pprof to find the right file elsewhere. (The module's userdata, where
 * the id could have gone, is symtab.c's.) Static, not on the stack: the
 * exit snapshot runs on whatever thread exits. */
#define MAX_LOADED 1024
static struct loaded_object {
    uintptr_t lo, hi;     /* page-aligned, as /proc/PID/maps would show them */
    const char *path;     /* the loader's string: used in lt_symbolize_begin only */
    Dwfl_Module *module;  /* once reported */
    int slot;             /* its mapping's, once described; else -1 */
    uint8_t build_id[BUILD_ID_MAX];
    size_t build_id_len;  /* 0: none, or too long to keep */
} loaded[MAX_LOADED];     /* by address */
static int loaded_count;

static int collect_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    const char *path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
    if (!path && loaded_count == 0)
        path = lt_config.exe_path; /* the first object is the program */
    if (!path || path[0] != '/' || loaded_count == MAX_LOADED)
        return 0; /* the vdso, or nothing we can open */
    uintptr_t lo = UINTPTR_MAX, hi = 0, page = 4096;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        lo = start < lo ? start : lo;
        hi = end > hi ? end : hi;
    }
    if (hi <= lo)
        return 0;
    struct loaded_object *o = &loaded[loaded_count++];
    *o = (struct loaded_object){.lo = lo, .hi = hi, .path = path, .slot = -1};
    const uint8_t *id;
    size_t n = lt_build_id_loaded(info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum, &id);
    if (n <= BUILD_ID_MAX) {
        memcpy(o->build_id, id, n);
        o->build_id_len = n;
    }
    return 0;
}

static void sort_loaded_by_address(void)
{
    for (int i = 1; i < loaded_count; i++) {
        struct loaded_object o = loaded[i];
        int j = i;
        for (; j > 0 && loaded[j - 1].lo > o.lo; j--)
            loaded[j] = loaded[j - 1];
        loaded[j] = o;
    }
}

/* The loaded object holding pc, or -1. */
static int loaded_at(uintptr_t pc)
{
    int lo = 0, hi = loaded_count;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (pc < loaded[mid].lo)
            hi = mid;
        else if (pc >= loaded[mid].hi)
            lo = mid + 1;
        else
            return mid;
    }
    return -1;
}

static bool describes_loaded(const struct mapping_slot *s, const struct loaded_object *o)
{
    return s->used && s->retired_path_id < 0 && s->lo == o->lo && s->hi == o->hi &&
           s->build_id_len == o->build_id_len &&
           memcmp(s->build_id, o->build_id, o->build_id_len) == 0 && strcmp(s->m.path, o->path) == 0;
}

static void free_slot(int i)
{
    lt_raw_free((char *)slots[i].m.path);
    slots[i].used = false;
    slots[i].serial++;
}

static void free_all_slots(void)
{
    for (int i = 0; i < slots_end; i++)
        if (slots[i].used)
            free_slot(i);
}

/* Each loaded object gets the slot that describes it from an earlier batch,
 * if any; the slots of objects unloaded since are let go. */
static void match_slots(void)
{
    static bool matched[MAX_MAPPINGS];
    memset(matched, 0, sizeof matched);
    for (int i = 0; i < loaded_count; i++)
        for (int k = 0; k < slots_end && loaded[i].slot < 0; k++)
            if (!matched[k] && describes_loaded(&slots[k], &loaded[i])) {
                loaded[i].slot = k;
                matched[k] = true;
            }
    for (int k = 0; k < slots_end; k++)
        if (slots[k].used && slots[k].retired_path_id < 0 && !matched[k])
            free_slot(k);
}

/* By name and range: a new Dwfl for each batch, whose modules get their ELF
 * through the find_elf callback when a lookup first needs it. */
static bool report_loaded_objects(void)
{
    dwfl_report_begin(dwfl);
    bool all = loaded_count > 0;
    for (int i = 0; i < loaded_count; i++) {
        loaded[i].module = dwfl_report_module(dwfl, loaded[i].path, loaded[i].lo, loaded[i].hi);
        all = all && loaded[i].module; /* NULL: out of memory, most likely */
    }
    return dwfl_report_end(dwfl, NULL, NULL) == 0 && all;
}

/* libdw reading debug information needs tens of megabytes, and does not
 * survive running out of them (an RLIMIT_AS near what the process has: a
 * crash in dwarf_getsrclines): without that much address space left, a
 * snapshot gives addresses only (pprof symbolizes them from the files). */
#define SYMBOLIZE_HEADROOM (64u << 20)

static bool has_headroom(void)
{
    void *p = mmap(NULL, SYMBOLIZE_HEADROOM, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return false;
    munmap(p, SYMBOLIZE_HEADROOM);
    return true;
}

static void pc_cache_clear(void);
static int mapping_of_loaded(int index);

static int forget_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
                         void *arg)
{
    (void)mod; (void)name; (void)start; (void)arg;
    lt_symtab_forget(userdata);
    return DWARF_CB_OK;
}

static void end_dwfl(Dwfl **d)
{
    if (!*d)
        return;
    dwfl_getmodules(*d, forget_module, NULL, 0);
    dwfl_end(*d);
    *d = NULL;
}

/* Results and mappings start over when a library was unloaded (its
 * addresses may now mean something else), and after a batch that missed
 * files for want of descriptors, so that the names it lacked are looked
 * for again (once the program has let descriptors go; while it holds them
 * all, each batch reads its files anew). */
static void forget_results_if_stale(void)
{
    if (lt_retired_generation() == pc_cache_generation && !short_of_descriptors)
        return;
    pc_cache_clear();
    free_all_slots();
    pc_cache_generation = lt_retired_generation();
    short_of_descriptors = false;
}

bool lt_symbolize_begin(void)
{
    if (!has_headroom())
        return false;
    forget_results_if_stale();
    loaded_count = 0;
    dl_iterate_phdr(collect_object, NULL);
    sort_loaded_by_address();
    match_slots();
    if (!dwfl)
        dwfl = dwfl_begin(&callbacks);
    if (!dwfl)
        return false;
    if (!report_loaded_objects()) {
        /* Out of memory, most likely (an RLIMIT_AS): a half-reported Dwfl
         * is not to be used again. */
        dwfl_end(dwfl);
        dwfl = NULL;
        return false;
    }
    /* The main program's mapping first: pprof names the profile after it. */
    int main_object = loaded_at(getauxval(AT_PHDR));
    if (main_object >= 0)
        mapping_of_loaded(main_object);
    return true;
}

void lt_symbolize_release(void)
{
    if (!lt_may_syscall())
        return; /* closing and unmapping files take system calls */
    end_dwfl(&dwfl);
    for (int i = 0; i < instance_count; i++)
        end_dwfl(&instances[i].dwfl);
    instance_count = 0;
    for (int i = 0; i < loaded_count; i++)
        loaded[i].module = NULL;
}

/* The mapping of the executable segment, as /proc/PID/maps shows it and as
 * pprof expects to find it in the file (start, limit, file offset): pprof
 * can then symbolize the addresses itself wherever the binary is. */
static void use_text_segment(Elf *elf, Dwarf_Addr bias, struct lt_sym_mapping *m)
{
    size_t n;
    if (elf_getphdrnum(elf, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
            continue;
        uint64_t page = 4096, skew = ph.p_vaddr % page;
        m->start = bias + ph.p_vaddr - skew;
        m->limit = bias + ph.p_vaddr + ph.p_memsz;
        m->offset = ph.p_offset - skew;
        return;
    }
}

/* Does the object carry its own DWARF? A separate debug file's DWARF (libc6-dbg
 * and the like) is only read with LEAKTRACE_SYMBOLIZE=2: it is compressed,
 * tens of MB to inflate in every process that writes a snapshot, for the
 * file:line of library internals; names come from its symbol table anyway. */
static bool has_own_dwarf(Elf *elf)
{
    size_t strndx;
    if (elf_getshdrstrndx(elf, &strndx) != 0)
        return false;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
            continue;
        const char *name = elf_strptr(elf, strndx, shdr.sh_name);
        if (name && (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0))
            return true;
    }
    return false;
}

static int free_slot_index(void)
{
    for (int i = 0; i < MAX_MAPPINGS; i++)
        if (!slots[i].used) {
            slots_end = i + 1 > slots_end ? i + 1 : slots_end;
            return i;
        }
    return -1;
}

/* A new slot describing mod (range, file offset, build id, what it can
 * name); loaded is the object it was reported for, NULL for an unloaded
 * library's. -1 if there is no room. */
static int describe_module(Dwfl_Module *mod, const struct loaded_object *loaded_as)
{
    int index = free_slot_index();
    if (index < 0)
        return -1;
    Dwarf_Addr start, end, bias;
    const char *name = dwfl_module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
    char *path = name ? raw_copy(name, strlen(name)) : NULL;
    if (!path)
        return -1;
    struct mapping_slot *s = &slots[index];
    struct lt_sym_mapping *m = &s->m;
    memset(m, 0, sizeof *m);
    m->start = start;
    m->limit = end;
    m->path = path;
    /* Before the build id: libdw reads it only once the ELF is open, so a
     * module met for the first time would otherwise have none. */
    Elf *elf = dwfl_module_getelf(mod, &bias);
    if (elf)
        use_text_segment(elf, bias, m);
    if (lt_config.symbolize != LT_SYMBOLIZE_NONE) {
        m->has_functions = dwfl_module_getsymtab(mod) > 0;
        bool dwarf = lt_config.symbolize == LT_SYMBOLIZE_ALL || (elf && has_own_dwarf(elf));
        m->has_lines = m->has_inline = dwarf && dwfl_module_getdwarf(mod, &bias) != NULL;
    }
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n > 0)
        hex(bits, n, m->build_id, sizeof m->build_id);
    s->used = true;
    s->replaced = false;
    s->retired_path_id = -1;
    s->lo = loaded_as ? loaded_as->lo : 0;
    s->hi = loaded_as ? loaded_as->hi : 0;
    s->build_id_len = loaded_as ? loaded_as->build_id_len : 0;
    if (loaded_as)
        memcpy(s->build_id, loaded_as->build_id, loaded_as->build_id_len);
    if (loaded_as && loaded_as->build_id_len &&
        lt_build_id_differs(loaded_as->build_id, loaded_as->build_id_len, bits, n)) {
        /* The file is another build: the loaded object's range and build
         * id, and no names. */
        s->replaced = true;
        m->start = start;
        m->limit = end;
        m->offset = 0;
        m->has_functions = m->has_lines = m->has_inline = false;
        hex(loaded_as->build_id, (int)loaded_as->build_id_len, m->build_id, sizeof m->build_id);
    }
    return index;
}

static int mapping_of_loaded(int index)
{
    struct loaded_object *o = &loaded[index];
    if (o->slot < 0 && o->module)
        o->slot = describe_module(o->module, o);
    return o->slot;
}

static int mapping_of_module(Dwfl_Module *mod)
{
    for (int i = 0; i < loaded_count; i++)
        if (loaded[i].module == mod)
            return mapping_of_loaded(i);
    return -1;
}

static int mapping_of_retired(int retired, Dwfl_Module *mod)
{
    int path_id = lt_retired_path_id(retired);
    uintptr_t bias = lt_retired_bias(retired);
    for (int i = 0; i < slots_end; i++)
        if (slots[i].used && slots[i].retired_path_id == path_id && slots[i].lo == bias)
            return i;
    int index = describe_module(mod, NULL);
    if (index >= 0) {
        slots[index].retired_path_id = path_id;
        slots[index].lo = bias;
    }
    return index;
}

static const char *die_name(Dwarf_Die *die, const char **system_name)
{
    Dwarf_Attribute attr;
    const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!linkage)
        linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    const char *plain = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    *system_name = linkage ? linkage : plain;
    /* C functions can carry a linkage name too (glibc's asm labels give
     * "__GI___strdup"): only a C++ mangled name beats the source name. */
    if (linkage && linkage[0] == '_' && linkage[1] == 'Z')
        return demangle(linkage);
    return plain ? plain : linkage;
}

/* Inlined frames from DWARF scopes: each DW_TAG_inlined_subroutine is a
 * frame whose position is the line table's (innermost) or the call site of
 * the frame inside it. After an inlined instance, dwarf_getscopes goes on
 * with the scopes of its abstract origin; the frames that really contain it
 * come from dwarf_getscopes_die on the instance (as eu-addr2line does).
 * Returns frames written, 0 without DWARF. */
static int inline_frames(Dwfl_Module *mod, Dwarf_Addr pc, const char *file, int line,
                         struct lt_sym_line *lines, int max)
{
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, &bias);
    if (!cu)
        return 0;
    Dwarf_Die *scopes = NULL;
    int nscopes = dwarf_getscopes(cu, pc - bias, &scopes);
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    dwarf_getsrcfiles(cu, &files, &nfiles);
    int n = 0;
    for (int i = 0; i < nscopes && n < max; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        struct lt_sym_line *l = &lines[n++];
        l->function = die_name(&scopes[i], &l->system_name);
        l->file = file;
        l->line = line;
        if (tag == DW_TAG_subprogram)
            break;
        Dwarf_Attribute attr;
        Dwarf_Word call_file = 0, call_line = 0;
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &call_file);
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &call_line);
        file = files ? dwarf_filesrc(files, call_file, NULL, NULL) : NULL;
        line = (int)call_line;
        Dwarf_Die *outer = NULL;
        int nouter = dwarf_getscopes_die(&scopes[i], &outer);
        free(scopes);
        scopes = outer;
        nscopes = nouter;
        i = 0; /* outer[0] is the instance itself: the loop goes on from outer[1] */
    }
    free(scopes);
    /* A frame without a name (broken DWARF) is worth nothing: fall back. */
    for (int i = 0; i < n; i++)
        if (!lines[i].function)
            return 0;
    return n;
}

static int symbolize_uncached(uintptr_t pc, int retired, struct lt_sym_line *lines, int max,
                              int *mapping)
{
    *mapping = -1;
    if (!dwfl || max <= 0)
        return 0;
    Dwfl_Module *mod = retired >= 0 ? retired_module(retired, pc) : dwfl_addrmodule(dwfl, pc);
    if (!mod)
        return 0;
    *mapping = retired >= 0 ? mapping_of_retired(retired, mod) : mapping_of_module(mod);
    if (lt_config.symbolize == LT_SYMBOLIZE_NONE || *mapping < 0 || slots[*mapping].replaced)
        return 0; /* addresses, mappings and build ids only */
    const char *file = NULL;
    int line = 0;
    if (slots[*mapping].m.has_lines) {
        Dwfl_Line *src = dwfl_module_getsrc(mod, pc);
        if (src)
            file = dwfl_lineinfo(src, NULL, &line, NULL, NULL, NULL);
        int n = inline_frames(mod, pc, file, line, lines, max < INLINE_MAX ? max : INLINE_MAX);
        if (n > 0)
            return n;
    }
    const char *sym = lt_symtab_function_at(mod, pc);
    if (!sym)
        return 0;
    lines[0] = (struct lt_sym_line){demangle(without_version(sym)), sym, file, line};
    return 1;
}

const struct lt_sym_mapping *lt_symbolize_mapping(int index)
{
    return index >= 0 && index < MAX_MAPPINGS && slots[index].used ? &slots[index].m : NULL;
}

void lt_symbolize_end(void)
{
    for (size_t i = 0; i < owned_count; i++)
        lt_raw_free(owned[i]);
    owned_count = 0;
}

void lt_symbolize_forget(void)
{
    pc_cache = NULL; /* the parent may have been changing it: leaked, not freed */
    pc_cache_count = 0;
    dwfl = NULL;
    instance_count = 0;
    loaded_count = 0;
    owned = NULL;
    owned_count = owned_cap = 0;
    memset(slots, 0, sizeof slots); /* their paths leaked too */
    slots_end = 0;
}

/* --- results kept across snapshots --- */

/* What an address symbolized to, strings copied, with its mapping's slot:
 * the second snapshot of a service symbolizes only the addresses it has not
 * seen, and reads no file for the others. The whole cache goes when a
 * library is unloaded (forget_results_if_stale). */
struct pc_key {
    uintptr_t pc;
    int64_t retired;
};

struct pc_entry {
    UT_hash_handle hh;
    struct pc_key key;
    int slot;
    uint32_t serial;
    int nlines;
    struct lt_sym_line lines[];
};

#define PC_CACHE_MAX 1000000

static void pc_cache_clear(void)
{
    struct pc_entry *e, *tmp;
    HASH_ITER(hh, pc_cache, e, tmp) {
        HASH_DEL(pc_cache, e);
        lt_raw_free(e);
    }
    pc_cache_count = 0;
}

static size_t str_size(const char *s) { return s ? strlen(s) + 1 : 0; }

static char *copy_str(char **dst, const char *s)
{
    if (!s)
        return NULL;
    char *out = *dst;
    size_t n = strlen(s) + 1;
    memcpy(out, s, n);
    *dst += n;
    return out;
}

static void pc_cache_put(struct pc_key key, int slot, const struct lt_sym_line *lines, int n)
{
    if (pc_cache_count >= PC_CACHE_MAX)
        return;
    size_t bytes = sizeof(struct pc_entry) + (size_t)n * sizeof(struct lt_sym_line);
    for (int i = 0; i < n; i++)
        bytes += str_size(lines[i].function) + str_size(lines[i].system_name) + str_size(lines[i].file);
    struct pc_entry *e = lt_raw_malloc(bytes);
    if (!e)
        return;
    e->key = key;
    e->slot = slot;
    e->serial = slots[slot].serial;
    e->nlines = n;
    char *strings = (char *)&e->lines[n];
    for (int i = 0; i < n; i++) {
        e->lines[i].function = copy_str(&strings, lines[i].function);
        e->lines[i].system_name = copy_str(&strings, lines[i].system_name);
        e->lines[i].file = copy_str(&strings, lines[i].file);
        e->lines[i].line = lines[i].line;
    }
    HASH_ADD(hh, pc_cache, key, sizeof key, e);
    pc_cache_count++;
}

/* A result stands while its mapping does, and, for an address in what is
 * loaded now, while that mapping's object still holds the address: a
 * library can go without our dlclose hook seeing it (glibc's own NSS and
 * iconv modules), and another take its place. */
static bool still_holds(const struct pc_entry *e)
{
    if (!slots[e->slot].used || slots[e->slot].serial != e->serial)
        return false;
    if (e->key.retired >= 0)
        return true;
    int object = loaded_at(e->key.pc);
    return object >= 0 && loaded[object].slot == e->slot;
}

int lt_symbolize_pc(uintptr_t pc, int retired, struct lt_sym_line *lines, int max, int *mapping)
{
    *mapping = -1;
    struct pc_key key;
    memset(&key, 0, sizeof key);
    key.pc = pc;
    key.retired = retired;
    struct pc_entry *e;
    HASH_FIND(hh, pc_cache, &key, sizeof key, e);
    if (e && !still_holds(e)) {
        HASH_DEL(pc_cache, e);
        lt_raw_free(e);
        pc_cache_count--;
        e = NULL;
    }
    if (e) {
        *mapping = e->slot;
        int n = e->nlines < max ? e->nlines : max;
        memcpy(lines, e->lines, (size_t)n * sizeof *lines);
        return n;
    }
    int n = symbolize_uncached(pc, retired, lines, max, mapping);
    if (*mapping >= 0 && max >= INLINE_MAX)
        pc_cache_put(key, *mapping, lines, n);
    return n;
}
