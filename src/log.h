/* stderr lines of the tracer, written with write(2): no stdio (it would
 * allocate and share buffers with the program), no allocation. */
#ifndef LT_LOG_H
#define LT_LOG_H

/* printf-like; the text is prefixed with "leaktrace: " and ends with \n.
 * lt_info is silenced by LEAKTRACE_QUIET=1, lt_warn never is. */
void lt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Takes the tracer's own duplicate of stderr (after descriptor tracking is
 * set up, so that the duplicate is known as the tracer's). */
void lt_log_init(void);

/* The program is closing or replacing descriptor 2 (guard held by the
 * hook): the duplicate is let go, unless the program is exiting. */
void lt_log_stderr_dropped(void);

#endif
