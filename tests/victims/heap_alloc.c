/* Every function of the malloc family leaks COUNT blocks in its own named
 * function; then glibc's edge cases are exercised and their results printed
 * (the test compares them with an untraced run).
 *
 *   heap_alloc COUNT SIZE STRLEN
 *
 * What each site leaks (the test computes the same numbers):
 *   leak_malloc          COUNT x SIZE
 *   leak_calloc          COUNT x (3 * SIZE)          calloc(3, SIZE)
 *   realloc_final        COUNT x (4 * SIZE)          chain SIZE -> 2*SIZE -> 4*SIZE
 *   leak_posix_memalign  COUNT x SIZE, alignment 64
 *   leak_aligned_alloc   COUNT x (2 * SIZE), alignment 128 (size made a multiple of it)
 *   leak_memalign        COUNT x SIZE, alignment 256
 *   leak_valloc          COUNT x SIZE
 *   leak_pvalloc         COUNT x SIZE (recorded: the requested size)
 *   leak_reallocarray    COUNT x (5 * SIZE)          reallocarray(NULL, 5, SIZE)
 *   leak_realloc_null    COUNT x SIZE                realloc(NULL, SIZE)
 *   leak_strdup          COUNT x (STRLEN + 1)
 * Sites that allocate and free (alloc counted, nothing in use):
 *   realloc_first, realloc_middle (the realloc chain), free_by_realloc0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static void **keep;
static size_t kept;

static void hold(void *p)
{
    if (!p) {
        fprintf(stderr, "allocation failed\n");
        exit(3);
    }
    keep[kept++] = p;
}

NOINLINE static void leak_malloc(int n, size_t s)
{
    for (int i = 0; i < n; i++)
        hold(malloc(s));
}

NOINLINE static void leak_calloc(int n, size_t s)
{
    for (int i = 0; i < n; i++)
        hold(calloc(3, s));
}

NOINLINE static void *realloc_first(size_t s) { return malloc(s); }
NOINLINE static void *realloc_middle(void *p, size_t s) { return realloc(p, 2 * s); }
NOINLINE static void *realloc_final(void *p, size_t s) { return realloc(p, 4 * s); }

NOINLINE static void leak_realloc_chain(int n, size_t s)
{
    for (int i = 0; i < n; i++) {
        void *p = realloc_first(s);
        p = realloc_middle(p, s);
        hold(realloc_final(p, s));
    }
}

NOINLINE static void leak_posix_memalign(int n, size_t s)
{
    for (int i = 0; i < n; i++) {
        void *p = NULL;
        if (posix_memalign(&p, 64, s) != 0 || (uintptr_t)p % 64)
            p = NULL;
        hold(p);
    }
}

NOINLINE static void leak_aligned_alloc(int n, size_t s)
{
    for (int i = 0; i < n; i++) {
        void *p = aligned_alloc(128, 2 * s);
        hold((uintptr_t)p % 128 ? NULL : p);
    }
}

NOINLINE static void leak_memalign(int n, size_t s)
{
    for (int i = 0; i < n; i++) {
        void *p = memalign(256, s);
        hold((uintptr_t)p % 256 ? NULL : p);
    }
}

NOINLINE static void leak_valloc(int n, size_t s)
{
    for (int i = 0; i < n; i++)
        hold(valloc(s));
}

NOINLINE static void leak_pvalloc(int n, size_t s)
{
    for (int i = 0; i < n; i++)
        hold(pvalloc(s));
}

NOINLINE static void leak_reallocarray(int n, size_t s)
{
    for (int i = 0; i < n; i++)
        hold(reallocarray(NULL, 5, s));
}

NOINLINE static void leak_realloc_null(int n, size_t s)
{
    for (int i = 0; i < n; i++)
        hold(realloc(NULL, s));
}

NOINLINE static void leak_strdup(int n, const char *text)
{
    for (int i = 0; i < n; i++)
        hold(strdup(text));
}

NOINLINE static void free_by_realloc0(int n, size_t s)
{
    for (int i = 0; i < n; i++) {
        void *p = malloc(s);
        if (realloc(p, 0) != NULL)
            printf("realloc(p, 0) did not return NULL\n");
    }
}

static const char *err_name(int e)
{
    return e == 0 ? "0" : e == ENOMEM ? "ENOMEM" : e == EINVAL ? "EINVAL" : "other";
}

/* glibc's results, printed: the traced run must print exactly the same. */
NOINLINE static void semantics(size_t s)
{
    volatile size_t half = SIZE_MAX / 2, huge = SIZE_MAX - 4096; /* hidden from -Walloc-size */
    free(NULL);
    printf("free(NULL) returned\n");

    errno = 0;
    void *p = calloc(half, 3);
    printf("calloc overflow: %s errno=%s\n", p ? "pointer" : "NULL", err_name(errno));

    errno = 0;
    p = reallocarray(NULL, half, 3);
    printf("reallocarray overflow: %s errno=%s\n", p ? "pointer" : "NULL", err_name(errno));

    void *q = (void *)1;
    int rc = posix_memalign(&q, 3, s);
    printf("posix_memalign(align 3): %s, out untouched=%s\n", err_name(rc),
           q == (void *)1 ? "yes" : "no");
    rc = posix_memalign(&q, 4, s); /* not a multiple of sizeof(void *) */
    printf("posix_memalign(align 4): %s\n", err_name(rc));

    errno = 0;
    p = aligned_alloc(3, s);
    /* glibc < 2.38 rounds the alignment up; later ones fail with EINVAL */
    printf("aligned_alloc(align 3): %s errno=%s\n", p ? "pointer" : "NULL", err_name(errno));
    free(p);

    p = malloc(s);
    size_t usable = malloc_usable_size(p);
    printf("malloc_usable_size >= size: %s\n", usable >= s ? "yes" : "no");
    memset(p, 0xab, usable); /* the whole usable size is ours */
    free(p);
    printf("malloc_usable_size(NULL) = %zu\n", malloc_usable_size(NULL));

    errno = 0;
    p = malloc(huge);
    printf("malloc(huge): %s errno=%s\n", p ? "pointer" : "NULL", err_name(errno));
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s COUNT SIZE STRLEN\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]);
    size_t s = strtoul(argv[2], NULL, 10), len = strtoul(argv[3], NULL, 10);
    char *text = malloc(len + 1);
    memset(text, 'x', len);
    text[len] = 0;
    keep = malloc(sizeof *keep * (size_t)n * 16);

    leak_malloc(n, s);
    leak_calloc(n, s);
    leak_realloc_chain(n, s);
    leak_posix_memalign(n, s);
    leak_aligned_alloc(n, s);
    leak_memalign(n, s);
    leak_valloc(n, s);
    leak_pvalloc(n, s);
    leak_reallocarray(n, s);
    leak_realloc_null(n, s);
    leak_strdup(n, text);
    free_by_realloc0(n, s);
    semantics(s);
    free(text);
    printf("kept %zu blocks\n", kept);
    return 0;
}
