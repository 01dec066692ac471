/* stderr lines of the tracer, written with write(2): no stdio (it would
 * allocate and share buffers with the program), no allocation. */
#ifndef LT_LOG_H
#define LT_LOG_H

#include <stdint.h>

/* printf-like; the text is prefixed with "leaktrace: " and ends with \n.
 * lt_info is silenced by LEAKTRACE_QUIET=1, lt_warn never is. */
void lt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Takes the tracer's own duplicate of stderr (after descriptor tracking is
 * set up, so that the duplicate is known as the tracer's). */
void lt_log_init(void);

/* The program is closing or replacing descriptor 2 (guard held by the
 * hook): the duplicate is let go after a grace, unless the program exits
 * first (log.c). */
void lt_log_stderr_dropped(void);
/* For the snapshot thread (guard held): when the duplicate is due to go
 * (CLOCK_MONOTONIC ms; 0: not), and letting it go once due. */
int64_t lt_log_release_due(void);
void lt_log_release_if_due(void);
/* At exit: a pending release is called off, the last lines need it. */
void lt_log_keep_stderr(void);

#endif
