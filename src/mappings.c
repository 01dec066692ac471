/* The process's loaded objects, and the mappings profiles show: each
 * described once from its object's file and kept across snapshots with its
 * own copy of the path, so that a snapshot whose addresses were all
 * symbolized before reads no file, and the symbolizer's Dwfl with all
 * libdw read can go after each snapshot (lt_symbolize_release). */
#define _GNU_SOURCE
#include "mappings.h"

#include <gelf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "buildid.h"
#include "config.h"
#include "resolve.h"
#include "retired.h"

#define MAX_MAPPINGS 4096
#define BUILD_ID_MAX 32

/* The mappings: slot 0 the main program's (described first). A slot is
 * let go when its object is unloaded; its serial tells results cached for
 * that object from the next one's. */
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

/* The loaded objects, from the loader (dl_iterate_phdr) rather than from
 * /proc/self/maps, which a setuid program can no longer read. Collected
 * first, reported after: libdwfl reads files, not under the loader lock.
 * Each with its build id: a file replaced since it was loaded (a package
 * upgrade) would give another build's names, so such an object goes
 * unnamed instead (describe_module), its mapping keeping the loaded build
 * id for pprof to find the right file elsewhere. (The module's userdata,
 * where the id could have gone, is symtab.c's.) Static, not on the stack:
 * the exit snapshot runs on whatever thread exits. */
#define MAX_LOADED 1024
static struct loaded_object {
    uintptr_t lo, hi;     /* page-aligned, as /proc/PID/maps would show them */
    const char *path;     /* the loader's string: used until lt_loaded_report only */
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

void lt_mappings_clear(void)
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

void lt_loaded_collect(void)
{
    loaded_count = 0;
    dl_iterate_phdr(collect_object, NULL);
    sort_loaded_by_address();
    match_slots();
}

bool lt_loaded_report(Dwfl *dwfl)
{
    dwfl_report_begin(dwfl);
    bool all = loaded_count > 0;
    for (int i = 0; i < loaded_count; i++) {
        loaded[i].module = dwfl_report_module(dwfl, loaded[i].path, loaded[i].lo, loaded[i].hi);
        all = all && loaded[i].module; /* NULL: out of memory, most likely */
    }
    return dwfl_report_end(dwfl, NULL, NULL) == 0 && all;
}

void lt_loaded_forget_modules(void)
{
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

/* What mod's file says of its mapping: range, file offset, build id, what
 * it can name. Returns the file's build id length (0 or less: none). */
static int describe_file(Dwfl_Module *mod, struct lt_sym_mapping *m, const unsigned char **bits)
{
    Dwarf_Addr bias;
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
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, bits, &vaddr);
    if (n > 0)
        lt_build_id_hex(*bits, n, m->build_id, sizeof m->build_id);
    return n;
}

/* A new slot describing mod; loaded_as is the object it was reported for,
 * NULL for an unloaded library's (whose identity the caller sets). -1 if
 * there is no room. */
static int describe_module(Dwfl_Module *mod, const struct loaded_object *loaded_as)
{
    int index = free_slot_index();
    if (index < 0)
        return -1;
    Dwarf_Addr start, end;
    const char *name = dwfl_module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
    char *path = name ? lt_raw_strndup(name, strlen(name)) : NULL;
    if (!path)
        return -1;
    struct mapping_slot *s = &slots[index];
    struct lt_sym_mapping *m = &s->m;
    *m = (struct lt_sym_mapping){.start = start, .limit = end, .path = path};
    const unsigned char *bits = NULL;
    int n = describe_file(mod, m, &bits);
    s->used = true;
    s->replaced = false;
    s->retired_path_id = -1;
    s->lo = loaded_as ? loaded_as->lo : 0;
    s->hi = loaded_as ? loaded_as->hi : 0;
    s->build_id_len = loaded_as ? loaded_as->build_id_len : 0;
    if (loaded_as)
        memcpy(s->build_id, loaded_as->build_id, loaded_as->build_id_len);
    if (loaded_as && lt_build_id_differs(s->build_id, s->build_id_len, bits, n)) {
        /* The file is another build: the loaded object's range and build
         * id, and no names. */
        s->replaced = true;
        *m = (struct lt_sym_mapping){.start = start, .limit = end, .path = path};
        lt_build_id_hex(s->build_id, (int)s->build_id_len, m->build_id, sizeof m->build_id);
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

int lt_mapping_of_module(Dwfl_Module *mod)
{
    for (int i = 0; i < loaded_count; i++)
        if (loaded[i].module == mod)
            return mapping_of_loaded(i);
    return -1;
}

int lt_mapping_of_retired(int retired, Dwfl_Module *mod)
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

int lt_mapping_at(uintptr_t pc, bool describe)
{
    int index = loaded_at(pc);
    if (index < 0)
        return -1;
    return describe ? mapping_of_loaded(index) : loaded[index].slot;
}

const struct lt_sym_mapping *lt_mapping(int slot)
{
    return slot >= 0 && slot < MAX_MAPPINGS && slots[slot].used ? &slots[slot].m : NULL;
}

bool lt_mapping_replaced(int slot) { return slots[slot].replaced; }

uint32_t lt_mapping_serial(int slot) { return slots[slot].serial; }

bool lt_mapping_stands(int slot, uint32_t serial)
{
    return slots[slot].used && slots[slot].serial == serial;
}

void lt_mappings_forget(void)
{
    loaded_count = 0;
    memset(slots, 0, sizeof slots); /* their paths leaked too */
    slots_end = 0;
}
