/* Build ids of loaded objects, read from memory: the notes their program
 * headers point at. A file found at an object's path is trusted, for unwind
 * rules (cfi.c) and symbols (symbolize.c), only when its build id is the
 * loaded one's: a package upgrade replaces files under running programs. */
#ifndef LT_BUILDID_H
#define LT_BUILDID_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>

/* The build id in the notes of a loaded object (load bias `bias`, program
 * headers ph[0..phnum) in memory), or 0 bytes when it has none. Reads only
 * inside the object's loaded segments. */
size_t lt_build_id_loaded(uintptr_t bias, const ElfW(Phdr) *ph, int phnum, const uint8_t **id);

/* The same for an object whose ELF header is mapped at lo (the start of its
 * first segment); 0 bytes when no ELF header is there. */
size_t lt_build_id_at(uintptr_t bias, uintptr_t lo, const uint8_t **id);

#endif
