/* The process's loaded objects, and the mappings profiles show, kept across
 * snapshots (mappings.c). The symbolizer's, under the snapshot lock. */
#ifndef LT_MAPPINGS_H
#define LT_MAPPINGS_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>

#include "symbolize.h"

/* Reads the loaded objects anew (the loader's list), each matched with the
 * mapping that described it in an earlier batch; the mappings of objects
 * unloaded since are let go. */
void lt_loaded_collect(void);

/* Reports each loaded object to dwfl as a module; false if one failed (out
 * of memory, most likely). */
bool lt_loaded_report(Dwfl *dwfl);

/* Before the Dwfl the modules came from goes. */
void lt_loaded_forget_modules(void);

/* The mapping of the loaded object holding pc (described from its module
 * first if it has none yet and `describe`), of a reported module, or of an
 * unloaded library's instance (retired.h's index): its slot, or -1. */
int lt_mapping_at(uintptr_t pc, bool describe);
int lt_mapping_of_module(Dwfl_Module *mod);
int lt_mapping_of_retired(int retired, Dwfl_Module *mod);

/* Slot's mapping, NULL if it holds none. */
const struct lt_sym_mapping *lt_mapping(int slot);
/* The file at its path is another build than the loaded object: no names. */
bool lt_mapping_replaced(int slot);
/* A result kept for slot's object still stands while this is the same. */
uint32_t lt_mapping_serial(int slot);
bool lt_mapping_stands(int slot, uint32_t serial);

/* Lets every mapping go (results kept for them must go too). */
void lt_mappings_clear(void);
/* In a forked child: forgets all, unreleased (the parent may have been
 * changing it). */
void lt_mappings_forget(void);

#endif
