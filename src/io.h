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
 * not raise SIGPIPE in the traced program. */
static inline bool lt_write_all(int fd, const void *p, size_t n, bool socket)
{
    const char *c = p;
    while (n) {
        ssize_t w = socket ? send(fd, c, n, MSG_NOSIGNAL) : write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

#endif
