/* The live table (src/live.c, included here to see its stripes) against a
 * model of what it should hold, with pointers chosen to pile up in one
 * stripe's groups: probes across dozens of full groups, removals that must
 * leave deleted marks, rebuilds and growth with such chains in the table.
 * After every operation its result is checked against the model; every
 * few, the whole stripe's invariants:
 *   - no entry lives beyond a group with an empty slot on its probe (else
 *     a probe ending there would miss it);
 *   - growth_left is the limit less the slots not empty, and the table
 *     keeps an empty slot (so every probe ends);
 *   - every entry of the model is found with its record.
 * And a removal from a group with an empty slot leaves an empty slot, not
 * a deleted mark. */
#include "../../src/live.c"

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

__thread struct lt_held lt_held;
__thread bool lt_on_tracer_thread;
_Atomic int lt_sandbox;

#define BASE 0x10000000u /* candidates: BASE + 16 k, in one 64 MiB region */
#define CANDIDATES (1u << 22)

static uint8_t in_model[CANDIDATES];
static uint32_t model_count;
static unsigned failures;
static unsigned long checks;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond) && failures++ < 20) {                                                 \
            fprintf(stderr, "live_table: %s:%d: ", __FILE__, __LINE__);                   \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

static uintptr_t candidate(uint32_t k)
{
    return BASE + (uintptr_t)k * 16;
}

static struct lt_live_rec rec_of(uint32_t k, uint32_t version)
{
    return (struct lt_live_rec){(size_t)k * 8 + version, (k ^ version) & 0xffffff};
}

static uint32_t versions[CANDIDATES];

static void insert_key(uint32_t k)
{
    struct lt_live_rec stale;
    uint32_t v = ++versions[k];
    enum lt_live_result r = lt_live_insert((void *)candidate(k), rec_of(k, v), &stale);
    if (in_model[k]) {
        struct lt_live_rec want = rec_of(k, v - 1);
        CHECK(r == LT_LIVE_REPLACED && stale.size == want.size && stale.stack == want.stack,
              "insert of %u, present: result %d", k, r);
    } else {
        CHECK(r == LT_LIVE_ADDED, "insert of %u, absent: result %d", k, r);
        in_model[k] = 1;
        model_count++;
    }
}

/* The slot of p in its stripe, or -1. */
static int64_t slot_of(const struct stripe *s, uintptr_t p)
{
    return s->cap ? find(s, p, lt_live_hash(p)).at : -1;
}

static void remove_key(uint32_t k)
{
    uintptr_t p = candidate(k);
    struct stripe *s = stripe_of(p, lt_live_hash(p));
    int64_t at = slot_of(s, p);
    bool group_had_empty =
        at >= 0 && group_match(s->ctrl + at / GROUP * GROUP, CTRL_EMPTY) != 0;
    struct lt_live_rec out;
    bool found = lt_live_remove((void *)p, &out);
    if (in_model[k]) {
        struct lt_live_rec want = rec_of(k, versions[k]);
        CHECK(found && out.size == want.size && out.stack == want.stack,
              "remove of %u, present: found %d", k, found);
        CHECK(at >= 0, "entry %u not found by a probe before its removal", k);
        if (group_had_empty)
            CHECK(s->ctrl[at] == CTRL_EMPTY,
                  "removal of %u from a group with an empty slot left %#x", k, s->ctrl[at]);
        in_model[k] = 0;
        model_count--;
    } else {
        CHECK(!found, "remove of %u, absent: found", k);
    }
}

/* Stripe s against the model, whose entries in s are ks[0..n). */
static void check_stripe(const struct stripe *s, const uint32_t *ks, uint32_t n)
{
    uint32_t not_empty = 0, full = 0;
    for (uint32_t i = 0; i < s->cap; i++) {
        not_empty += s->ctrl[i] != CTRL_EMPTY;
        if (ctrl_free(s->ctrl[i]))
            continue;
        full++;
        uint64_t h = lt_live_hash(s->slots[i].ptr);
        for (uint32_t g = home_group(h, s->cap); g != i / GROUP; g = next_group(g, s->cap))
            CHECK(group_match(s->ctrl + g * GROUP, CTRL_EMPTY) == 0,
                  "slot %u lives beyond group %u, which has an empty slot", i, g);
    }
    CHECK(s->growth_left == growth_limit(s->cap) - not_empty,
          "growth_left %u, limit %u less %u slots not empty", s->growth_left,
          growth_limit(s->cap), not_empty);
    CHECK(not_empty < s->cap, "no empty slot left: a probe for an absent pointer never ends");
    CHECK(full == n, "%u entries in the stripe, the model has %u", full, n);
    for (uint32_t j = 0; j < n; j++) {
        int64_t at = slot_of(s, candidate(ks[j]));
        struct lt_live_rec want = rec_of(ks[j], versions[ks[j]]);
        CHECK(at >= 0, "entry %u lost", ks[j]);
        if (at >= 0) {
            struct lt_live_rec got = unpack(s->slots[at].meta);
            CHECK(got.size == want.size && got.stack == want.stack, "entry %u: wrong record",
                  ks[j]);
        }
    }
}

static struct stripe *target;
static uint32_t *pool;     /* candidates in target's stripe */
static uint32_t pool_size;

static void check_target(void)
{
    uint32_t *ks = malloc(pool_size * sizeof *ks), n = 0;
    for (uint32_t j = 0; j < pool_size; j++)
        if (in_model[pool[j]])
            ks[n++] = pool[j];
    check_stripe(target, ks, n);
    free(ks);
}

/* The pool's candidates whose home group, at the stripe's present size, is
 * one of the PILE_HOMES from g on: they pile up there. */
#define PILE_HOMES 4
static uint32_t pick_pileup(uint32_t g, uint32_t *out, uint32_t want)
{
    uint32_t n = 0;
    for (uint32_t j = 0; j < pool_size && n < want; j++) {
        uint32_t home = home_group(lt_live_hash(candidate(pool[j])), target->cap);
        if (home - g < PILE_HOMES && !in_model[pool[j]])
            out[n++] = pool[j];
    }
    return n;
}

/* Random inserts, replacements and removes over keys[0..n), checking the
 * stripe every check_every operations. */
static void churn(const uint32_t *keys, uint32_t n, uint32_t ops, uint32_t check_every)
{
    for (uint32_t op = 1; op <= ops; op++) {
        uint32_t k = keys[next_random() % n];
        if (next_random() % 2)
            insert_key(k);
        else
            remove_key(k);
        if (op % check_every == 0)
            check_target();
    }
}

int main(void)
{
    lt_live_init(false);
    target = stripe_of(candidate(0), lt_live_hash(candidate(0)));
    pool = malloc(CANDIDATES * sizeof *pool);
    for (uint32_t k = 0; k < CANDIDATES; k++) {
        uintptr_t p = candidate(k);
        if (stripe_of(p, lt_live_hash(p)) == target)
            pool[pool_size++] = k;
    }

    /* 1. Random keys of the stripe: the table grows from the first one on;
     * then churn over a quarter more keys, and all removed. */
    uint32_t fill = 6000;
    for (uint32_t j = 0; j < fill; j++)
        insert_key(pool[j]);
    check_target();
    churn(pool, fill * 5 / 4, 60000, 1000);
    uint32_t deleted = 0;
    for (uint32_t i = 0; i < target->cap; i++)
        deleted += target->ctrl[i] == CTRL_DELETED;
    printf("random churn: cap %u, %u entries, %u deleted marks\n", target->cap, model_count,
           deleted);
    for (uint32_t j = 0; j < fill * 5 / 4; j++)
        remove_key(pool[j]);
    check_target();

    /* 2. A pile-up: 400 keys homed in four groups, churned, then removed. */
    uint32_t cap = target->cap;
    uint32_t g = target->cap / GROUP / 2;
    uint32_t pile[400];
    uint32_t n = pick_pileup(g, pile, 400);
    CHECK(n == 400, "only %u candidates homed in groups %u-%u", n, g, g + PILE_HOMES - 1);
    for (uint32_t j = 0; j < n; j++)
        insert_key(pile[j]);
    CHECK(target->cap == cap, "the table grew (%u -> %u): the pile-up is spread", cap,
          target->cap);
    check_target();
    uint32_t longest = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint64_t h = lt_live_hash(candidate(pile[j]));
        uint32_t groups = target->cap / GROUP;
        uint32_t passed = ((uint32_t)(slot_of(target, candidate(pile[j])) / GROUP) + groups -
                           home_group(h, target->cap)) % groups;
        longest = passed > longest ? passed : longest;
    }
    /* the keys homed first fill the groups up to n / GROUP on */
    CHECK(longest >= n / GROUP - PILE_HOMES, "the pile-up's longest probe passed %u groups",
          longest);
    churn(pile, n, 20000, 250);
    printf("pile-up: cap %u, longest probe %u groups, %u entries after churn\n", target->cap,
           longest, model_count);
    for (uint32_t j = 0; j < n; j++)
        remove_key(pile[j]);
    check_target();

    /* 3. Growth with the pile-up's chains in the table. */
    n = pick_pileup(g, pile, 400);
    for (uint32_t j = 0; j < n; j++)
        insert_key(pile[j]);
    for (uint32_t j = 0; j < 3 * fill; j++)
        insert_key(pool[fill * 2 + j]);
    CHECK(target->cap > cap, "the table did not grow (%u)", target->cap);
    check_target();
    churn(pool, 5 * fill, 60000, 5000);
    check_target();

    printf("%lu checks, %u failed\n", checks, failures);
    return failures != 0;
}
