#define _GNU_SOURCE
#include "symbolize.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildid.h"
#include "config.h"
#include "fdspare.h"
#include "mappings.h"
#include "resolve.h"
#include "retired.h"
#include "sandbox.h"
#include "symtab.h"

#undef uthash_malloc
#undef uthash_free
#define uthash_malloc(sz) lt_raw_malloc(sz)
#define uthash_free(ptr, sz) lt_raw_free(ptr)
#include <uthash.h>

#define INLINE_MAX 32

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
        lt_build_id_hex(bits + 1, n - 1, hexid, sizeof hexid);
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

/* "__libc_start_main@@GLIBC_2.34" is shown as "__libc_start_main" (the
 * versioned name stays the system name). */
static const char *without_version(const char *sym)
{
    const char *at = strchr(sym, '@');
    if (!at || at == sym)
        return sym;
    const char *kept = keep(lt_raw_strndup(sym, (size_t)(at - sym)));
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
    const char *kept = status == 0 && d ? keep(lt_raw_strndup(d, strlen(d))) : NULL;
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
    lt_mappings_clear();
    pc_cache_generation = lt_retired_generation();
    short_of_descriptors = false;
}

bool lt_symbolize_begin(void)
{
    if (!has_headroom())
        return false;
    forget_results_if_stale();
    lt_loaded_collect();
    if (!dwfl)
        dwfl = dwfl_begin(&callbacks);
    if (!dwfl)
        return false;
    /* By name and range: a module the Dwfl knows (from the batch before,
     * until lt_symbolize_release) is kept with what was read from it, a new
     * one gets its ELF through find_elf when a lookup first needs it. */
    if (!lt_loaded_report(dwfl)) {
        /* Out of memory, most likely (an RLIMIT_AS): a half-reported Dwfl
         * is not to be used again. */
        dwfl_end(dwfl);
        dwfl = NULL;
        return false;
    }
    /* The main program's mapping first: pprof names the profile after it. */
    lt_mapping_at(getauxval(AT_PHDR), true);
    return true;
}

void lt_symbolize_release(void)
{
    if (!dwfl && !instance_count)
        return;
    if (!lt_may_syscall())
        return; /* closing and unmapping files take system calls */
    end_dwfl(&dwfl);
    for (int i = 0; i < instance_count; i++)
        end_dwfl(&instances[i].dwfl);
    instance_count = 0;
    lt_loaded_forget_modules();
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
    *mapping = retired >= 0 ? lt_mapping_of_retired(retired, mod) : lt_mapping_of_module(mod);
    if (lt_config.symbolize == LT_SYMBOLIZE_NONE || *mapping < 0 || lt_mapping_replaced(*mapping))
        return 0; /* addresses, mappings and build ids only */
    const char *file = NULL;
    int line = 0;
    if (lt_mapping(*mapping)->has_lines) {
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
    return lt_mapping(index);
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
    owned = NULL;
    owned_count = owned_cap = 0;
    lt_mappings_forget();
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
    e->serial = lt_mapping_serial(slot);
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
    if (!lt_mapping_stands(e->slot, e->serial))
        return false;
    if (e->key.retired >= 0)
        return true;
    return lt_mapping_at(e->key.pc, false) == e->slot;
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
