#include "fdtable.h"

static const char *const kind_names[LT_FD_KIND_COUNT] = {
    "file", "dir", "socket", "pipe", "epoll", "eventfd",
    "timerfd", "signalfd", "inotify", "memfd", "other",
};

const char *lt_fd_kind_name(enum lt_fd_kind kind)
{
    return kind < LT_FD_KIND_COUNT ? kind_names[kind] : "other";
}

void lt_fd_init(void)
{
}
