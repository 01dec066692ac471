/* LEAKTRACE_HTTP: a small HTTP/1.1 server thread serving fresh profiles at
 * /debug/pprof/heap, /debug/pprof/allocs and /debug/pprof/fd, and naming
 * addresses at /debug/pprof/symbol, as Go's net/http/pprof does. */
#ifndef LT_HTTP_H
#define LT_HTTP_H

#include <stdbool.h>

/* Binds the endpoint if LEAKTRACE_HTTP is set (loopback only unless
 * LEAKTRACE_HTTP_ALLOW_REMOTE=1); one error line if it cannot. */
void lt_http_init(void);
/* Starts the serving thread (in the process that bound the endpoint). */
void lt_http_start_thread(void);
/* Stops the serving thread (around a credential change); true if it ran. */
bool lt_http_stop_thread(void);
/* In a forked child: the parent's endpoint is not ours to serve. */
void lt_http_after_fork_child(void);

#endif
