/* Descriptor table: fd -> (stack id, kind), an array indexed by fd. */
#ifndef LT_FDTABLE_H
#define LT_FDTABLE_H

#include <stdbool.h>
#include <stdint.h>

enum lt_fd_kind {
    LT_FD_FILE,
    LT_FD_DIR,
    LT_FD_SOCKET,
    LT_FD_PIPE,
    LT_FD_EPOLL,
    LT_FD_EVENTFD,
    LT_FD_TIMERFD,
    LT_FD_SIGNALFD,
    LT_FD_INOTIFY,
    LT_FD_MEMFD,
    LT_FD_OTHER,
    LT_FD_KIND_COUNT,
};

/* Label value of a kind, as the fd profile writes it. */
const char *lt_fd_kind_name(enum lt_fd_kind kind);

void lt_fd_init(void);

#endif
