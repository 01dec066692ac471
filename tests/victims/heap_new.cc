// The C++ operator new family leaks known blocks in named functions; sized
// and aligned deletes free theirs; new's own semantics (std::bad_alloc, the
// new-handler, nothrow's nullptr) are exercised and printed.
//
//   heap_new COUNT SIZE OBJ_SIZE ALIGNED_SIZE
//
// OBJ_SIZE and ALIGNED_SIZE must be sizeof(Obj) and sizeof(Aligned): the
// test passes them, the program checks them.
//   leak_new            COUNT x OBJ_SIZE        new Obj
//   leak_new_array      COUNT x SIZE            new char[SIZE]
//   leak_nothrow        COUNT x (OBJ_SIZE + SIZE)  new (nothrow) Obj, new (nothrow) char[SIZE]
//   leak_aligned_new    COUNT x ALIGNED_SIZE    new Aligned (alignas(64))
//   leak_aligned_array  COUNT x 2*ALIGNED_SIZE  new Aligned[2]
//   churn_sized_delete  COUNT x OBJ_SIZE and COUNT x ALIGNED_SIZE, all deleted (sized delete)
//   churn_array_delete  COUNT x SIZE, all deleted with delete[]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#define NOINLINE __attribute__((noinline))

struct Obj {
    char data[48];
};

struct alignas(64) Aligned {
    char data[128];
};

static std::vector<void *> *keep;

static void hold(void *p)
{
    if (!p) {
        std::fprintf(stderr, "allocation failed\n");
        std::exit(3);
    }
    keep->push_back(p);
}

NOINLINE static void leak_new(int n)
{
    for (int i = 0; i < n; i++)
        hold(new Obj);
}

NOINLINE static void leak_new_array(int n, size_t s)
{
    for (int i = 0; i < n; i++)
        hold(new char[s]);
}

NOINLINE static void leak_nothrow(int n, size_t s)
{
    for (int i = 0; i < n; i++) {
        hold(new (std::nothrow) Obj);
        hold(new (std::nothrow) char[s]);
    }
}

NOINLINE static void leak_aligned_new(int n)
{
    for (int i = 0; i < n; i++) {
        Aligned *a = new Aligned;
        hold(reinterpret_cast<uintptr_t>(a) % 64 ? nullptr : a);
    }
}

NOINLINE static void leak_aligned_array(int n)
{
    for (int i = 0; i < n; i++) {
        Aligned *a = new Aligned[2];
        hold(reinterpret_cast<uintptr_t>(a) % 64 ? nullptr : a);
    }
}

NOINLINE static void churn_sized_delete(int n)
{
    for (int i = 0; i < n; i++) {
        Obj *o = new Obj;
        Aligned *a = new Aligned;
        delete o; // operator delete(void *, size_t)
        delete a; // operator delete(void *, size_t, align_val_t)
    }
}

NOINLINE static void churn_array_delete(int n, size_t s)
{
    for (int i = 0; i < n; i++) {
        char *p = new char[s];
        p[0] = 1;
        delete[] p;
    }
}

static int handler_calls;

static void new_handler()
{
    handler_calls++;
    std::set_new_handler(nullptr); // next failure throws
}

NOINLINE static void semantics()
{
    volatile size_t huge = SIZE_MAX / 4;
    try {
        char *p = new char[huge];
        std::printf("new char[huge] returned %p\n", static_cast<void *>(p));
    } catch (const std::bad_alloc &) {
        std::printf("new char[huge]: std::bad_alloc\n");
    }
    try {
        void *p = ::operator new(huge);
        std::printf("operator new(huge) returned %p\n", p);
    } catch (const std::bad_alloc &) {
        std::printf("operator new(huge): std::bad_alloc\n");
    }
    std::set_new_handler(new_handler);
    try {
        void *p = ::operator new(huge, std::align_val_t(64));
        std::printf("aligned operator new(huge) returned %p\n", p);
    } catch (const std::bad_alloc &) {
        std::printf("aligned operator new(huge): std::bad_alloc, new-handler called %d time(s)\n",
                    handler_calls);
    }
    char *q = new (std::nothrow) char[huge];
    std::printf("new (nothrow) char[huge]: %s\n", q ? "pointer" : "nullptr");
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s COUNT SIZE OBJ_SIZE ALIGNED_SIZE\n", argv[0]);
        return 2;
    }
    int n = std::atoi(argv[1]);
    size_t s = std::strtoul(argv[2], nullptr, 10);
    if (std::strtoul(argv[3], nullptr, 10) != sizeof(Obj) ||
        std::strtoul(argv[4], nullptr, 10) != sizeof(Aligned)) {
        std::fprintf(stderr, "sizeof(Obj) = %zu, sizeof(Aligned) = %zu\n", sizeof(Obj),
                     sizeof(Aligned));
        return 2;
    }
    keep = new std::vector<void *>;
    keep->reserve(static_cast<size_t>(n) * 8);
    leak_new(n);
    leak_new_array(n, s);
    leak_nothrow(n, s);
    leak_aligned_new(n);
    leak_aligned_array(n);
    churn_sized_delete(n);
    churn_array_delete(n, s);
    semantics();
    std::printf("kept %zu blocks\n", keep->size());
    return 0;
}
