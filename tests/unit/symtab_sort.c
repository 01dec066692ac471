/* The function-name index's sort (src/symtab.c, included) against qsort with
 * by_address, the order it replaced: random symbol tables with aliases of
 * every rank (0, 1 and 2) at shared starts, starts spread over 2^8 to 2^32
 * bytes above a random lowest (so two to five passes), labels and sized
 * symbols. */
#include "../../src/symtab.c"

#include <stdio.h>

#include "unit.h"

void *lt_raw_malloc(size_t n)
{
    return malloc(n);
}

void *lt_raw_realloc(void *p, size_t n)
{
    return realloc(p, n);
}

void lt_raw_free(void *p)
{
    free(p);
}

/* Equal under by_address: qsort leaves such symbols in any order. */
static bool same_place(const struct func_sym *a, const struct func_sym *b)
{
    return a->lo == b->lo && a->rank == b->rank;
}

int main(void)
{
    unsigned failures = 0, tables = 0;
    for (unsigned spread_bits = 8; spread_bits <= 32; spread_bits += 4) {
        for (size_t n = 0; n < 3000; n = n < 3 ? n + 1 : n * 3) {
            struct func_sym *mine = malloc((n + 1) * sizeof *mine);
            struct func_sym *theirs = malloc((n + 1) * sizeof *theirs);
            uint32_t lowest = (uint32_t)(next_random() & 0xfff000);
            for (size_t i = 0; i < n; i++) {
                uint64_t spread = next_random() & ((1ull << spread_bits) - 1);
                uint32_t lo = spread > UINT32_MAX - lowest ? UINT32_MAX : lowest + (uint32_t)spread;
                if (i > 0 && next_random() % 4 == 0)
                    lo = mine[next_random() % i].lo; /* an alias */
                uint32_t size = next_random() % 2 ? (uint32_t)(next_random() % 64) : 0;
                mine[i] = (struct func_sym){.lo = lo, .size = size, .sym = (uint32_t)i,
                                            .rank = (uint8_t)(next_random() % 3)};
            }
            if (n)
                memcpy(theirs, mine, n * sizeof *mine);
            qsort(theirs, n, sizeof *theirs, by_address);
            if (!sort_by_address(mine, n)) {
                fprintf(stderr, "symtab_sort: no scratch for %zu symbols\n", n);
                return 1;
            }
            for (size_t i = 0; i < n; i++) {
                if (!same_place(&mine[i], &theirs[i]) && failures++ < 10)
                    fprintf(stderr,
                            "symtab_sort: %zu symbols over 2^%u bytes: at %zu %#llx rank %d, "
                            "qsort %#llx rank %d\n",
                            n, spread_bits, i, (unsigned long long)mine[i].lo, (int)mine[i].rank,
                            (unsigned long long)theirs[i].lo, (int)theirs[i].rank);
            }
            tables++;
            free(mine);
            free(theirs);
        }
    }
    printf("%u tables sorted as qsort sorts them, %u places differ\n", tables, failures);
    return failures != 0;
}
