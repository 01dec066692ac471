/* Function names by address from a module's symbol table: a sorted index,
 * built on first use and kept with the module (its libdwfl user data) across
 * snapshots. libdw's own address lookup scans the whole table for every
 * address. */
#ifndef LT_SYMTAB_H
#define LT_SYMTAB_H

#include <elfutils/libdwfl.h>
#include <stdint.h>

/* The function (or assembly label) holding pc, as libdw would name it; NULL
 * if none. The name belongs to libdwfl. */
const char *lt_symtab_function_at(Dwfl_Module *mod, uintptr_t pc);

/* Frees the index kept in a module's user data, before its Dwfl goes. */
void lt_symtab_forget(void **userdata);

#endif
