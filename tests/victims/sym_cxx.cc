// sym_cxx COUNT: app::SessionCache::remember(int) leaks COUNT strings of 100
// characters into a map it never clears.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace app {
class SessionCache {
  public:
    __attribute__((noinline)) void remember(int key) { entries_[key] = new std::string(100, 'x'); }

  private:
    std::map<int, std::string *> entries_;
};
} // namespace app

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    auto *cache = new app::SessionCache;
    for (int i = 0; i < std::atoi(argv[1]); i++)
        cache->remember(i);
    std::puts("done");
    return 0;
}
