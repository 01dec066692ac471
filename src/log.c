#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "io.h"

static void emit(const char *fmt, va_list ap)
{
    char line[1024] = "leaktrace: ";
    int saved = errno;
    size_t n = 11;
    int k = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    if (k > 0)
        n += (size_t)k < sizeof line - n - 1 ? (size_t)k : sizeof line - n - 2;
    line[n++] = '\n';
    lt_write_all(STDERR_FILENO, line, n, false);
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
