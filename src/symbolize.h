/* Symbolization of call sites, in the snapshot thread only: mappings with
 * build ids, function names, source file:line and inlined frames, from
 * elfutils (DWARF, else .symtab, else .dynsym). */
#ifndef LT_SYMBOLIZE_H
#define LT_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

struct lt_sym_mapping {
    uint64_t start, limit, offset;
    const char *path;
    char build_id[41 * 2];
    bool has_functions, has_lines, has_inline;
};

/* One frame of a call site: the innermost (inlined) function first. */
struct lt_sym_line {
    const char *function;    /* demangled */
    const char *system_name; /* as in the symbol table */
    const char *file;        /* NULL if unknown */
    int64_t line;
};

/* Re-reads the process's loaded objects; call once before a batch of
 * lookups. False if symbolization is unavailable (addresses only). */
bool lt_symbolize_begin(void);

/* Symbolizes the call site `pc`, in the unloaded library `retired` (an
 * index from lt_retired_find) or, when -1, in what is loaded now. Returns
 * the number of lines written (0 when unknown) and sets *mapping to a mapping
 * index, or -1 if none. Strings stay valid until lt_symbolize_end(). */
int lt_symbolize_pc(uintptr_t pc, int retired, struct lt_sym_line *lines, int max, int *mapping);

const struct lt_sym_mapping *lt_symbolize_mapping(int index);

/* Frees what this batch of lookups allocated. */
void lt_symbolize_end(void);

/* Lets go of all libdw read (files' mappings, symbol indexes, line tables):
 * tens of MB with debug information, which a running program would keep
 * for good. Results and mappings stay for the next batches. Called by
 * lt_snapshot_unlock, under the lock; nothing to do when nothing was read. */
void lt_symbolize_release(void);

/* In a forked child: forget state the parent's snapshot thread may have been
 * changing (it is leaked, not freed: it may be inconsistent). */
void lt_symbolize_forget(void);

#endif
