/* Writing a whole buffer to a descriptor, the one loop the tracer needs. */
#ifndef LT_IO_H
#define LT_IO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

/* Writes all n bytes, retrying after EINTR and short writes; false on error.
 * A socket is written with send(MSG_NOSIGNAL): a client that went away must
 * not raise SIGPIPE in the traced program. With `wait`, the socket is
 * written without blocking: wait(fd, arg) is asked before each send, and
 * again after one that would have blocked; its false gives up. */
static inline bool lt_write_all_waiting(int fd, const void *p, size_t n, bool socket,
                                        bool (*wait)(int fd, void *arg), void *arg)
{
    const char *c = p;
    int flags = MSG_NOSIGNAL | (wait ? MSG_DONTWAIT : 0);
    while (n) {
        if (wait && !wait(fd, arg))
            return false;
        ssize_t w = socket ? send(fd, c, n, flags) : write(fd, c, n);
        if (w < 0 && (errno == EINTR || (wait && errno == EAGAIN)))
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static inline bool lt_write_all(int fd, const void *p, size_t n, bool socket)
{
    return lt_write_all_waiting(fd, p, n, socket, NULL, NULL);
}

#endif
