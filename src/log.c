#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "io.h"

/* The tracer writes to its own duplicate of the stderr the program started
 * with, not to descriptor 2: a daemon that closes stderr and reuses number 2
 * for a file or a socket must never find our lines in its data. The
 * duplicate's identity is checked before each line (with descriptor
 * tracking off, the program can close it too), and a line that cannot be
 * written is dropped. Before lt_log_init, lines go to descriptor 2. */
static int log_fd = STDERR_FILENO;
static dev_t log_dev;
static ino_t log_ino;

void lt_log_init(void)
{
    struct stat st;
    int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3); /* under the guard: the tracer's own */
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        log_fd = -1; /* no stderr at start: nowhere to write */
        return;
    }
    log_dev = st.st_dev;
    log_ino = st.st_ino;
    log_fd = fd;
}

static bool log_fd_intact(void)
{
    struct stat st;
    if (log_fd == STDERR_FILENO)
        return true; /* before lt_log_init */
    return log_fd >= 0 && fstat(log_fd, &st) == 0 && st.st_dev == log_dev && st.st_ino == log_ino;
}

/* A write to a pipe whose reader is gone raises SIGPIPE, whose default
 * action would kill the program (at exit, changing its status): it is held
 * off, and a SIGPIPE we caused is taken back. */
static void write_line(const char *line, size_t n)
{
    if (!log_fd_intact())
        return;
    sigset_t pipe_only, old, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    if (!lt_write_all(log_fd, line, n, false) && errno == EPIPE && !was_pending) {
        struct timespec now = {0, 0};
        sigtimedwait(&pipe_only, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void emit(const char *fmt, va_list ap)
{
    char line[1024] = "leaktrace: ";
    int saved = errno;
    size_t n = 11;
    int k = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    if (k > 0)
        n += (size_t)k < sizeof line - n - 1 ? (size_t)k : sizeof line - n - 2;
    line[n++] = '\n';
    write_line(line, n);
    errno = saved;
}

void lt_info(const char *fmt, ...)
{
    if (lt_config.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}

void lt_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}
