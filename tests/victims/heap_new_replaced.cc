// heap_new_replaced LEAKS: a program that replaces only the scalar
// operator new(size_t) and operator delete(void *), as the C++ standard
// allows, with a 16-byte header of its own. libstdc++'s other forms
// (new[], nothrow new, delete[], sized delete) forward to the replacements,
// and must still do so traced. Leaks LEAKS objects of 32 bytes in
// leak_replaced (malloc'ed as 48 by the replacement); prints its counters.
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

static long news, deletes;

void *operator new(std::size_t n)
{
    ++news;
    char *p = static_cast<char *>(std::malloc(n + 16));
    if (!p)
        throw std::bad_alloc();
    return p + 16;
}

void operator delete(void *p) noexcept
{
    if (!p)
        return;
    ++deletes;
    std::free(static_cast<char *>(p) - 16);
}

struct Obj {
    long a[4];
};
static_assert(sizeof(Obj) == 32, "Obj is 32 bytes");

__attribute__((noinline)) static void leak_replaced(int n)
{
    for (int i = 0; i < n; i++) {
        Obj *volatile o = new Obj; // leaked
        (void)o;
    }
}

int main(int argc, char **argv)
{
    int leaks = argc > 1 ? std::atoi(argv[1]) : 3;
    int *arr = new int[10]; // new[] -> the replacement
    delete[] arr;           // delete[] -> the replacement
    std::printf("new[]/delete[]: news=%ld deletes=%ld\n", news, deletes);
    Obj *o = new Obj;
    delete o; // sized delete (C++14) -> the replacement
    std::printf("new/sized delete: news=%ld deletes=%ld\n", news, deletes);
    Obj *q = new (std::nothrow) Obj;
    delete q;
    std::printf("nothrow new: news=%ld deletes=%ld\n", news, deletes);
    {
        std::string s(100, 'x');
        std::printf("string: news=%ld deletes=%ld\n", news, deletes);
    }
    leak_replaced(leaks);
    std::printf("end: news=%ld deletes=%ld\n", news, deletes);
    return 0;
}
