#define _GNU_SOURCE
#include "buildid.h"

#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool inside_loaded_segment(uintptr_t bias, const ElfW(Phdr) *ph, int phnum,
                                  uintptr_t at, uintptr_t end)
{
    for (int i = 0; i < phnum; i++)
        if (ph[i].p_type == PT_LOAD && at >= bias + ph[i].p_vaddr &&
            end <= bias + ph[i].p_vaddr + ph[i].p_filesz)
            return true;
    return false;
}

size_t lt_build_id_loaded(uintptr_t bias, const ElfW(Phdr) *ph, int phnum, const uint8_t **id)
{
    for (int i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_NOTE)
            continue;
        uintptr_t at = bias + ph[i].p_vaddr, end = at + ph[i].p_filesz;
        if (!inside_loaded_segment(bias, ph, phnum, at, end))
            continue;
        while (end - at >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)at;
            size_t name = (n->n_namesz + 3) & ~(size_t)3, desc = (n->n_descsz + 3) & ~(size_t)3;
            if (name + desc > end - at - sizeof *n)
                break;
            const char *owner = (const char *)(n + 1);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(owner, "GNU", 4) == 0) {
                *id = (const uint8_t *)owner + name;
                return n->n_descsz;
            }
            at += sizeof *n + name + desc;
        }
    }
    return 0;
}

size_t lt_build_id_at(uintptr_t bias, uintptr_t lo, const uint8_t **id)
{
    /* The first page of the first segment is mapped and readable; the
     * program headers must lie in it. */
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)lo;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_phentsize != sizeof(ElfW(Phdr)) ||
        eh->e_phoff + (size_t)eh->e_phnum * sizeof(ElfW(Phdr)) > 4096)
        return 0;
    return lt_build_id_loaded(bias, (const ElfW(Phdr) *)(lo + eh->e_phoff), eh->e_phnum, id);
}

void lt_build_id_hex(const unsigned char *bits, int n, char *out, size_t cap)
{
    size_t k = 0;
    for (int i = 0; i < n && k + 2 < cap; i++, k += 2)
        snprintf(out + k, 3, "%02x", bits[i]);
    out[k] = 0;
}
