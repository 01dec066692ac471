/* Build ids of loaded objects, read from memory: the notes their program
 * headers point at. A file found at an object's path is trusted, for unwind
 * rules (cfi.c) and symbols (symbolize.c), only when its build id is the
 * loaded one's: a package upgrade replaces files under running programs. */
#ifndef LT_BUILDID_H
#define LT_BUILDID_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* The build id in the notes of a loaded object (load bias `bias`, program
 * headers ph[0..phnum) in memory), or 0 bytes when it has none. Reads only
 * inside the object's loaded segments. */
size_t lt_build_id_loaded(uintptr_t bias, const ElfW(Phdr) *ph, int phnum, const uint8_t **id);

/* The same for an object whose ELF header is mapped at lo (the start of its
 * first segment); 0 bytes when no ELF header is there. */
size_t lt_build_id_at(uintptr_t bias, uintptr_t lo, const uint8_t **id);

/* Whether a file is another build than the loaded object: both build ids
 * known (lengths above 0) and different. A missing id proves nothing. */
static inline bool lt_build_id_differs(const void *loaded, size_t loaded_len,
                                       const void *file, ssize_t file_len)
{
    if (loaded_len == 0 || file_len <= 0)
        return false;
    return (size_t)file_len != loaded_len || memcmp(loaded, file, loaded_len) != 0;
}

/* Bytes as lowercase hex, NUL-terminated, cut to fit cap. */
void lt_build_id_hex(const unsigned char *bits, int n, char *out, size_t cap);

#endif
