/* /debug/pprof/symbol: Go's net/http/pprof symbol protocol, by which pprof
 * names the addresses of a profile that came without function names. */
#ifndef LT_HTTP_SYMBOL_H
#define LT_HTTP_SYMBOL_H

#include <stdbool.h>
#include <stddef.h>

#define LT_HTTP_SYMBOL_PATH "/debug/pprof/symbol"

/* The request target is /debug/pprof/symbol, with or without a query. */
bool lt_http_is_symbol_path(const char *target);
/* Answers with the names of `addresses`, a '+'-separated list (edited in
 * place), or NULL: GET's query. */
void lt_http_respond_symbols(int fd, char *addresses);
/* POST: reads the addresses from the body of the request whose head (and
 * whatever came with it) is req[0..req_len), and answers. */
void lt_http_serve_symbol_post(int fd, char *req, size_t req_len);

#endif
