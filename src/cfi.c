#define _GNU_SOURCE
#include "cfi.h"
#include "cancel.h"
#include "guard.h"
#include "buildid.h"
#include "config.h"
#include "log.h"
#include "sandbox.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <libelf.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define DWARF_REG_RBP 6
#define DWARF_REG_RSP 7
#define DWARF_REG_RA 16

/* --- the cache: pc -> packed rule, open addressing, fixed size --- */

#define CACHE_SLOTS (1u << LT_CFI_SLOT_BITS) /* 1 MiB reserved: pages are touched as used, so its size is RSS */

struct lt_cfi_slot *_Atomic lt_cfi_cache;
static pthread_mutex_t miss_lock = PTHREAD_MUTEX_INITIALIZER;

/* The packed layout's limits; also, rbp saved below the CFA (as every
 * prologue that pushes it does), which the walk's bounds check relies on. */
static bool fits(struct lt_frame_rule r)
{
    return !r.rbp_saved ||
           (r.rbp_offset % 8 == 0 && r.rbp_offset >= -128 * 8 && r.rbp_offset <= -8);
}

uint64_t lt_cfi_pack(struct lt_frame_rule r)
{
    if (r.kind == LT_RULE_UNKNOWN || !fits(r))
        return 0;
    return (uint64_t)r.kind | (uint64_t)r.cfa_from_rbp << 2 | (uint64_t)r.rbp_saved << 3 |
           ((uint64_t)(r.rbp_offset / 8) & 0xff) << 8 | (uint64_t)(uint32_t)r.cfa_offset << 32;
}

void lt_cfi_init(void)
{
    void *p = mmap(NULL, sizeof(struct lt_cfi_slot) * CACHE_SLOTS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED)
        atomic_store_explicit(&lt_cfi_cache, p, memory_order_release);
}

uint64_t lt_cfi_cached_probe(const struct lt_cfi_slot *cache, uintptr_t pc, uint32_t slot)
{
    for (uint32_t n = 1; n < LT_CFI_PROBES; n++) {
        slot = (slot + 1) & (CACHE_SLOTS - 1);
        uintptr_t key = atomic_load_explicit(&cache[slot].pc, memory_order_relaxed);
        if (key == pc)
            return atomic_load_explicit(&cache[slot].word, memory_order_acquire);
        if (key == 0)
            return 0;
    }
    return 0;
}

/* Caller holds miss_lock. */
static void cache_put(uintptr_t pc, struct lt_frame_rule rule)
{
    struct lt_cfi_slot *cache = lt_cfi_cache;
    uint64_t packed = lt_cfi_pack(rule);
    if (!cache || packed == 0)
        return; /* an unknown rule packs to the value of a miss: not worth a slot */
    for (uint32_t i = lt_cfi_slot_of(pc), n = 0; n < LT_CFI_PROBES; n++, i = (i + 1) & (CACHE_SLOTS - 1)) {
        uintptr_t key = atomic_load_explicit(&cache[i].pc, memory_order_relaxed);
        if (key != 0 && key != pc)
            continue;
        atomic_store_explicit(&cache[i].word, packed, memory_order_release);
        atomic_store_explicit(&cache[i].pc, pc, memory_order_release);
        return;
    }
}


/* --- a miss: find the object, read its .eh_frame --- */

struct object {
    uintptr_t bias, lo, hi;
    Elf *elf;
    Dwarf_CFI *cfi;
    int fd;
    void *mapped; /* the file's pages libelf mapped (elf_rawfile), or NULL */
    size_t mapped_size;
};

#define MAX_OBJECTS 1024
static struct object objects[MAX_OBJECTS];
static int object_count;

struct found {
    uintptr_t pc, bias, lo, hi;
    char path[4096];
    bool ok;
};

/* The object found: its load bias, address range and file (the loader
 * names the main program ""). */
static void found_object(struct found *f, uintptr_t bias, uintptr_t lo, uintptr_t hi,
                         const char *name)
{
    f->bias = bias;
    f->lo = lo;
    f->hi = hi;
    if (!name || !name[0])
        name = lt_config.exe_path;
    f->ok = name[0] == '/'; /* the vdso has no file: libunwind handles it */
    snprintf(f->path, sizeof f->path, "%s", name);
}

/* The span [*lo, *hi) of an object's loaded segments; true if one of them
 * holds pc. */
static bool load_span(const struct dl_phdr_info *info, uintptr_t pc, uintptr_t *lo,
                      uintptr_t *hi)
{
    bool inside = false;
    *lo = UINTPTR_MAX;
    *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        inside = inside || (pc >= start && pc < end);
        *lo = start < *lo ? start : *lo;
        *hi = end > *hi ? end : *hi;
    }
    return inside;
}

#if !(defined(__GLIBC__) && __GLIBC_PREREQ(2, 35))
static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct found *f = arg;
    (void)size;
    uintptr_t lo, hi;
    if (!load_span(info, f->pc, &lo, &hi))
        return 0;
    found_object(f, info->dlpi_addr, lo, hi, info->dlpi_name);
    return 1;
}
#endif

/* Which object pc lies in, filling f (f->ok: it has a file to read rules
 * from). glibc's _dl_find_object takes no lock: dl_iterate_phdr takes the
 * loader's, which a child forked while another thread was in dlopen or
 * dlclose inherits held, so that its first allocation from code the parent
 * never ran would hang (t_dlclose). */
static bool locate(struct found *f)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 35)
    struct dl_find_object dlfo;
    if (_dl_find_object((void *)f->pc, &dlfo) != 0 || !dlfo.dlfo_link_map)
        return false;
    found_object(f, dlfo.dlfo_link_map->l_addr, (uintptr_t)dlfo.dlfo_map_start,
                 (uintptr_t)dlfo.dlfo_map_end, dlfo.dlfo_link_map->l_name);
    return true;
#else
    return dl_iterate_phdr(find_object, f) != 0;
#endif
}

/* The file at the loaded object's path is not what was loaded: a package
 * upgrade replaced it under a running service. Its unwind rules would be
 * another build's; libunwind, which reads them from memory, does its
 * frames. Both build ids are needed to tell. */
static bool replaced_on_disk(const struct found *f, Elf *elf)
{
    const uint8_t *loaded;
    const void *on_disk;
    size_t n = lt_build_id_at(f->bias, f->lo, &loaded);
    ssize_t m = dwelf_elf_gnu_build_id(elf, &on_disk);
    if (!lt_build_id_differs(loaded, n, on_disk, m))
        return false;
    lt_warn("%s changed on disk since it was loaded: its frames are unwound by libunwind",
            f->path);
    return true;
}

/* Whether the line of /proc/self/maps in line[0..n) maps the file (dev,
 * ino) from its start at base. */
static bool maps_line_is(const char *line, size_t n, uintptr_t base, dev_t dev, ino_t ino)
{
    if (strtoul(line, NULL, 16) != base)
        return false; /* most lines: the start ends at its '-', within the line */
    char text[256];
    n = n < sizeof text - 1 ? n : sizeof text - 1;
    memcpy(text, line, n);
    text[n] = 0;
    unsigned long start, end, offset, ino_read;
    unsigned major_read, minor_read;
    return sscanf(text, "%lx-%lx %*s %lx %x:%x %lu", &start, &end, &offset, &major_read,
                  &minor_read, &ino_read) == 6 &&
           start == base && offset == 0 && ino_read == ino && major_read == major(dev) &&
           minor_read == minor(dev);
}

/* True when base is where the file open at fd is mapped from its start:
 * libelf's ELF_C_READ_MMAP mapped it, rather than reading it into the
 * heap (which it does when mmap fails). Only then may its pages be given
 * back (lt_cfi_release_pages). Read with read(), not stdio: this runs in
 * a hook, maybe in a signal handler of the program. */
static bool maps_file_at(const void *base, int fd)
{
    struct stat st;
    int maps = fstat(fd, &st) == 0 ? open("/proc/self/maps", O_RDONLY | O_CLOEXEC) : -1;
    if (maps < 0)
        return false;
    char buf[4096];
    size_t have = 0;
    bool found = false;
    for (;;) {
        ssize_t got = read(maps, buf + have, sizeof buf - have);
        if (got <= 0)
            break;
        have += (size_t)got;
        size_t line = 0;
        char *nl;
        while (!found && (nl = memchr(buf + line, '\n', have - line))) {
            size_t n = (size_t)(nl - buf) - line;
            found = maps_line_is(buf + line, n, (uintptr_t)base, st.st_dev, st.st_ino);
            line += n + 1;
        }
        if (found)
            break;
        memmove(buf, buf + line, have - line);
        have -= line;
        if (have == sizeof buf)
            have = 0; /* a line longer than the buffer: not one of ours anyway */
    }
    close(maps);
    return found;
}

/* Caller holds miss_lock. */
static struct object *object_for(const struct found *f)
{
    for (int i = 0; i < object_count; i++)
        if (objects[i].bias == f->bias && objects[i].lo == f->lo && objects[i].hi == f->hi)
            return objects[i].cfi ? &objects[i] : NULL;
    if (object_count == MAX_OBJECTS || !lt_may_syscall()) /* under seccomp: no open */
        return NULL;
    struct object *o = &objects[object_count++];
    *o = (struct object){f->bias, f->lo, f->hi, NULL, NULL, -1, NULL, 0};
    elf_version(EV_CURRENT);
    o->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (o->fd >= 0)
        o->elf = elf_begin(o->fd, ELF_C_READ_MMAP, NULL);
    /* Read it all now and let the descriptor go: a daemon closing every
     * descriptor must not pull the file from under libelf. */
    if (o->elf && elf_cntl(o->elf, ELF_C_FDREAD) != 0) {
        elf_end(o->elf);
        o->elf = NULL;
    }
    if (o->elf) {
        size_t size;
        char *base = elf_rawfile(o->elf, &size);
        if (base && maps_file_at(base, o->fd)) {
            o->mapped = base;
            o->mapped_size = size;
        }
    }
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    if (o->elf && replaced_on_disk(f, o->elf)) {
        elf_end(o->elf); /* which unmaps the file: its range may be reused */
        o->elf = NULL;
        o->mapped = NULL;
    }
    if (o->elf)
        o->cfi = dwarf_getcfi_elf(o->elf);
    return o->cfi ? o : NULL;
}

/* "CFA + n" as libdw spells a register saved at an offset from the CFA. */
static bool cfa_relative(const Dwarf_Op *ops, size_t nops, int32_t *offset)
{
    if (nops == 1 && ops[0].atom == DW_OP_call_frame_cfa) {
        *offset = 0;
        return true;
    }
    if (nops == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst) {
        *offset = (int32_t)(int64_t)ops[1].number;
        return true;
    }
    return false;
}

/* Code without unwind rules, in no loaded object (what a JIT made: node's
 * V8, a JVM) or in one but covered by no rule (builtins a JIT embedded in
 * the binary): stepped as if it kept frame pointers, as V8's code does and
 * as libunwind assumes too, after checking every address it reads with a
 * system call. The walk bounds its reads by the thread's stack anyway: a
 * frame that does not keep rbp ends the stack or gives a wrong caller, as
 * under libunwind. */
static struct lt_frame_rule frame_pointer_rule(void)
{
    return (struct lt_frame_rule){LT_RULE_STEP, true, 16, true, -16};
}

static struct lt_frame_rule rule_from_cfi(Dwarf_CFI *cfi, uintptr_t addr)
{
    struct lt_frame_rule r = {LT_RULE_UNKNOWN, false, 0, false, 0};
    Dwarf_Frame *frame;
    if (dwarf_cfi_addrframe(cfi, addr, &frame) != 0)
        return frame_pointer_rule(); /* no rule covers it: code a JIT embedded (node's builtins) */
    Dwarf_Op *ops, mem[3];
    size_t nops;
    int32_t ra_offset;
    bool signal_frame = false;
    dwarf_frame_info(frame, NULL, NULL, &signal_frame);
    if (signal_frame || dwarf_frame_cfa(frame, &ops, &nops) != 0 || nops != 1 ||
        ops[0].atom != DW_OP_bregx ||
        (ops[0].number != DWARF_REG_RSP && ops[0].number != DWARF_REG_RBP))
        goto done;
    r.cfa_from_rbp = ops[0].number == DWARF_REG_RBP;
    r.cfa_offset = (int32_t)ops[0].number2;
    if (dwarf_frame_register(frame, DWARF_REG_RA, mem, &ops, &nops) != 0)
        goto done;
    if (nops == 0 && ops == mem) {
        r.kind = LT_RULE_OUTERMOST;
        goto done;
    }
    if (!cfa_relative(ops, nops, &ra_offset) || ra_offset != -8)
        goto done;
    if (dwarf_frame_register(frame, DWARF_REG_RBP, mem, &ops, &nops) != 0)
        goto done;
    if (nops == 0 && ops == mem)
        goto done; /* rbp undefined in the caller: not a shape we follow */
    if (nops != 0) {
        if (!cfa_relative(ops, nops, &r.rbp_offset))
            goto done;
        r.rbp_saved = true;
    }
    r.kind = LT_RULE_STEP;
done:
    free(frame);
    return r;
}

_Atomic uint32_t lt_cfi_generation;

void lt_cfi_forget(void)
{
    pthread_mutex_lock(&miss_lock);
    atomic_fetch_add_explicit(&lt_cfi_generation, 1, memory_order_acq_rel);
    struct lt_cfi_slot *cache = lt_cfi_cache;
    if (cache)
        for (uint32_t i = 0; i < CACHE_SLOTS; i++)
            if (atomic_load_explicit(&cache[i].pc, memory_order_relaxed))
                atomic_store_explicit(&cache[i].pc, 0, memory_order_release);
    for (int i = 0; i < object_count; i++) {
        if (objects[i].cfi)
            dwarf_cfi_end(objects[i].cfi);
        if (objects[i].elf)
            elf_end(objects[i].elf);
        if (objects[i].fd >= 0)
            close(objects[i].fd);
    }
    object_count = 0;
    pthread_mutex_unlock(&miss_lock);
}

/* Only objects whose Elf is open: elf_end unmaps (lt_cfi_forget ends them
 * all and empties the list). */
void lt_cfi_release_pages(void)
{
    if (!lt_may_syscall())
        return; /* under seccomp, madvise may be what kills */
    pthread_mutex_lock(&miss_lock);
    for (int i = 0; i < object_count; i++)
        if (objects[i].mapped)
            madvise(objects[i].mapped, objects[i].mapped_size, MADV_DONTNEED);
    pthread_mutex_unlock(&miss_lock);
}

void lt_cfi_lock(void) { pthread_mutex_lock(&miss_lock); }
void lt_cfi_unlock(void) { pthread_mutex_unlock(&miss_lock); }

static int open_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    struct found f = {.pc = 0};
    uintptr_t lo, hi;
    load_span(info, 0, &lo, &hi);
    found_object(&f, info->dlpi_addr, lo, hi, info->dlpi_name);
    if (f.ok && lo < hi) {
        pthread_mutex_lock(&miss_lock); /* after the loader's lock, as in a dlopen */
        object_for(&f);
        pthread_mutex_unlock(&miss_lock);
    }
    return 0;
}

void lt_cfi_open_all(void)
{
    dl_iterate_phdr(open_one, NULL);
}

static struct lt_frame_rule read_rule(uintptr_t pc)
{
    struct lt_frame_rule rule = {LT_RULE_UNKNOWN, false, 0, false, 0};
    /* The loader lock (dl_iterate_phdr, older glibc) is never taken while
     * miss_lock is held: a thread in dlopen holds the former and may want
     * the latter. */
    struct found f = {.pc = pc};
    if (!locate(&f))
        return frame_pointer_rule(); /* code a JIT made: not cached, it comes and goes */
    if (!f.ok)
        return rule;
    pthread_mutex_lock(&miss_lock);
    struct object *o = object_for(&f);
    if (o) {
        rule = rule_from_cfi(o->cfi, pc - o->bias);
        cache_put(pc, rule);
    }
    pthread_mutex_unlock(&miss_lock);
    return rule;
}

struct lt_frame_rule lt_cfi_rule(uintptr_t pc)
{
    /* the loader's lock and libdw's state: not to be let go half way by a
     * jump out of the hook (hooks_jump.c) */
    lt_held.rule_lock = true;
    int cancel = lt_cancel_off(); /* the file's open and read: cancel.h */
    struct lt_frame_rule rule = read_rule(pc);
    lt_cancel_restore(cancel);
    lt_held.rule_lock = false;
    return rule;
}
