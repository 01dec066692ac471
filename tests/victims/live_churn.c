/* Churns the live table: up to WINDOW blocks live at once, OPS random
 * operations (allocate at churn_keep or churn_drop, free a random live
 * block, realloc one at churn_move), so that entries come and go in the
 * middle of full groups and tables grow while holding many.
 *
 *   live_churn OPS WINDOW SEED
 *
 * At the end it frees every churn_drop block and prints, for each site,
 * what it allocated there and what it still holds:
 *   SITE alloc_objects alloc_space inuse_objects inuse_space
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

enum site { KEEP, DROP, MOVE, SITES };
static const char *const site_name[SITES] = {"churn_keep", "churn_drop", "churn_move"};

struct block {
    void *p;
    size_t size;
    enum site site;
};

struct tally {
    long alloc_objects, alloc_space, inuse_objects, inuse_space;
};

static struct tally tally[SITES];
static struct block *live;
static long live_n;
static uint64_t rng;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void must(void *p)
{
    if (!p) {
        fprintf(stderr, "allocation failed\n");
        exit(3);
    }
}

static void counted(enum site site, size_t size, long sign)
{
    tally[site].inuse_objects += sign;
    tally[site].inuse_space += sign * (long)size;
    if (sign > 0) {
        tally[site].alloc_objects++;
        tally[site].alloc_space += (long)size;
    }
}

NOINLINE static void *churn_keep(size_t size) { return malloc(size); }
NOINLINE static void *churn_drop(size_t size) { return malloc(size); }
NOINLINE static void *churn_move(void *p, size_t size) { return realloc(p, size); }

static void allocate(enum site site, size_t size)
{
    void *p = site == KEEP ? churn_keep(size) : churn_drop(size);
    must(p);
    live[live_n++] = (struct block){p, size, site};
    counted(site, size, 1);
}

static void release(long i)
{
    counted(live[i].site, live[i].size, -1);
    free(live[i].p);
    live[i] = live[--live_n];
}

static void move(long i, size_t size)
{
    void *q = churn_move(live[i].p, size);
    must(q);
    counted(live[i].site, live[i].size, -1);
    live[i] = (struct block){q, size, MOVE};
    counted(MOVE, size, 1);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: live_churn OPS WINDOW SEED\n");
        return 2;
    }
    long ops = atol(argv[1]), window = atol(argv[2]);
    rng = strtoull(argv[3], NULL, 10) | 1;
    live = calloc((size_t)window, sizeof *live);
    must(live);
    for (long k = 0; k < ops; k++) {
        uint64_t r = next_random();
        size_t size = 1 + (r >> 8) % 512;
        unsigned kind = (unsigned)(r & 7);
        if (live_n == 0 || (kind < 4 && live_n < window))
            allocate(kind & 1 ? DROP : KEEP, size);
        else if (kind < 7)
            release((long)((r >> 32) % (uint64_t)live_n));
        else
            move((long)((r >> 32) % (uint64_t)live_n), size);
    }
    for (long i = live_n - 1; i >= 0; i--)
        if (live[i].site == DROP)
            release(i);
    for (int s = 0; s < SITES; s++)
        printf("%s %ld %ld %ld %ld\n", site_name[s], tally[s].alloc_objects, tally[s].alloc_space,
               tally[s].inuse_objects, tally[s].inuse_space);
    return 0;
}
