/* A program whose executable brings its own malloc (rustc with jemalloc,
 * static mimalloc or tcmalloc builds): every block carries a 16-byte tagged
 * header, and a free of a block it never gave out aborts. The tracer does
 * not see its allocations, but its own must never reach this free.
 *
 *   own_malloc PATH: strdup, prints, opens PATH with fopen and leaves it open */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t), *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
#define TAG 0x6f776e6d616c6c63ull

void *malloc(size_t n)
{
    unsigned long long *p = __libc_malloc(n + 16);
    if (!p)
        return NULL;
    p[0] = TAG;
    return p + 2;
}

void free(void *p)
{
    if (!p)
        return;
    unsigned long long *h = (unsigned long long *)p - 2;
    if (h[0] != TAG) {
        static const char m[] = "own_malloc: free() of a block this allocator never gave out\n";
        if (write(2, m, sizeof m - 1) < 0)
            _exit(3);
        abort();
    }
    __libc_free(h);
}

void *calloc(size_t a, size_t b)
{
    void *p = malloc(a * b);
    if (p)
        memset(p, 0, a * b);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    unsigned long long *q = __libc_realloc((unsigned long long *)p - 2, n + 16);
    return q ? q + 2 : NULL;
}

int main(int argc, char **argv)
{
    char *s = strdup("hello");
    puts(s);
    free(s);
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    return f ? 0 : 1;
}
