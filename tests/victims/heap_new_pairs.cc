// Every form of operator new, each block released by a matching form of
// operator delete, and blocks that cross between C and C++ (malloc'd and
// released by operator delete, new'd and released by free, as code that
// mixes C libraries and C++ does), ROUNDS times; then leaks known blocks.
// new and delete must reach the allocator that the program's malloc and
// free reach: one that pairs them otherwise makes this abort under
// libc_malloc_debug with MALLOC_CHECK_=3 (free(): invalid pointer).
//
//   heap_new_pairs ROUNDS
//
// Prints how many blocks it released and a checksum of what it read back.
// Leaks (the test computes the same numbers):
//   leak_objects   ROUNDS x 48    new Obj
//   leak_aligned   ROUNDS x 128   new Aligned (alignas(64))
//   leak_c_blocks  ROUNDS x 1000  malloc
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#define NOINLINE __attribute__((noinline))

struct Obj {
    char data[48];
};

struct alignas(64) Aligned {
    char data[128];
};

static const std::align_val_t al{64};
static unsigned long checksum, released;
#define RELEASE(call) ((call), released++)

// Writes a pattern into the block and reads it back.
static void *use(void *p, size_t n, bool aligned = false)
{
    if (!p || (aligned && reinterpret_cast<uintptr_t>(p) % 64)) {
        std::fprintf(stderr, "bad block %p\n", p);
        std::exit(3);
    }
    std::memset(p, static_cast<int>(n & 0x7f), n);
    checksum += static_cast<unsigned char *>(p)[n - 1] + n;
    return p;
}

NOINLINE static void plain_pairs(size_t n)
{
    RELEASE(::operator delete(use(::operator new(n), n)));
    RELEASE(::operator delete(use(::operator new(n), n), n));
    RELEASE(::operator delete[](use(::operator new[](n), n)));
    RELEASE(::operator delete[](use(::operator new[](n), n), n));
    RELEASE(::operator delete(use(::operator new(n, std::nothrow), n), std::nothrow));
    RELEASE(::operator delete[](use(::operator new[](n, std::nothrow), n), std::nothrow));
    RELEASE(delete static_cast<Obj *>(use(new Obj, sizeof(Obj))));
    RELEASE(delete[] static_cast<char *>(use(new char[n], n)));
}

NOINLINE static void aligned_pairs(size_t n)
{
    RELEASE(::operator delete(use(::operator new(n, al), n, true), al));
    RELEASE(::operator delete(use(::operator new(n, al), n, true), n, al));
    RELEASE(::operator delete[](use(::operator new[](n, al), n, true), al));
    RELEASE(::operator delete[](use(::operator new[](n, al), n, true), n, al));
    RELEASE(::operator delete(use(::operator new(n, al, std::nothrow), n, true), al, std::nothrow));
    RELEASE(::operator delete[](use(::operator new[](n, al, std::nothrow), n, true), al,
                                std::nothrow));
    RELEASE(delete static_cast<Aligned *>(use(new Aligned, sizeof(Aligned), true)));
    RELEASE(delete[] static_cast<Aligned *>(use(new Aligned[2], 2 * sizeof(Aligned), true)));
}

// Undefined by the letter of C++, done in practice: libstdc++'s operator
// new is malloc and its operator delete free.
NOINLINE static void crossing_pairs(size_t n)
{
    RELEASE(::operator delete(use(std::malloc(n), n)));
    RELEASE(std::free(use(::operator new(n), n)));
    RELEASE(std::free(use(::operator new(n, al), n, true)));
    RELEASE(::operator delete(use(std::aligned_alloc(64, 64 * ((n + 63) / 64)), n, true), al));
    RELEASE(std::free(use(std::realloc(use(::operator new(n), n), 2 * n), 2 * n)));
}

static std::vector<void *> *keep;

NOINLINE static void leak_objects(int rounds)
{
    for (int i = 0; i < rounds; i++)
        keep->push_back(use(new Obj, sizeof(Obj)));
}

NOINLINE static void leak_aligned(int rounds)
{
    for (int i = 0; i < rounds; i++)
        keep->push_back(use(new Aligned, sizeof(Aligned), true));
}

NOINLINE static void leak_c_blocks(int rounds)
{
    for (int i = 0; i < rounds; i++)
        keep->push_back(use(std::malloc(1000), 1000));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s ROUNDS\n", argv[0]);
        return 2;
    }
    int rounds = std::atoi(argv[1]);
    keep = new std::vector<void *>;
    keep->reserve(static_cast<size_t>(rounds) * 3);
    for (int i = 0; i < rounds; i++) {
        size_t n = 24 + static_cast<size_t>(i % 7) * 40;
        plain_pairs(n);
        aligned_pairs(n);
        crossing_pairs(n);
    }
    leak_objects(rounds);
    leak_aligned(rounds);
    leak_c_blocks(rounds);
    std::printf("released %lu blocks, checksum %lu, kept %zu\n", released, checksum, keep->size());
    return 0;
}
