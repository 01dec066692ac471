// heap_new linked with a static libstdc++ (heap_new_static.cmake): its
// operator new is the program's own, not interposable, and reaches malloc
// directly; every allocation must still be counted exactly once.
#include "heap_new.cc"
