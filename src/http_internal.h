/* What http.c lends the protocol it hands a request to (http_symbol.c): a
 * socket wait bounded by a deadline and by the serving thread's stop, and
 * the response writer. */
#ifndef LT_HTTP_INTERNAL_H
#define LT_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A client's whole request must arrive, and its whole response leave,
 * within these budgets, however it trickles its bytes. */
#define LT_HTTP_IO_TIMEOUT_SECONDS 5    /* a request head; a 100 Continue */
#define LT_HTTP_SEND_TIMEOUT_SECONDS 30 /* a response; a request body */

/* Waits until fd is ready for `events`; false once the deadline passed, or
 * the thread is asked to stop, or the program's threads are all gone. */
bool lt_http_ready(int fd, short events, int64_t deadline);
/* Sends all n bytes by the deadline (lt_now_ms); false if they did not go. */
bool lt_http_send_all(int fd, const void *data, size_t n, int64_t deadline);
/* A whole response: status line, headers (extra_header, if not NULL, adds
 * whole "Name: value\r\n" lines), body. It says "Connection: close": the
 * thread closes the socket once the handler returns. */
void lt_http_respond(int fd, int status, const char *reason, const char *type,
                     const char *extra_header, const void *body, size_t len);
/* The same with a text/plain body. */
void lt_http_respond_text(int fd, int status, const char *reason, const char *text);

#endif
