/* /debug/pprof/symbol, Go's net/http/pprof symbol protocol: pprof posts the
 * addresses of a mapping whose profile has no function names
 * (LEAKTRACE_SYMBOLIZE=0, a library replaced on disk) and reads back
 * "0xADDR name" lines; a GET names the addresses of its query the same way.
 * http.c reads the request head and hands the request over; the body of a
 * POST, the only request with one, is read here. */
#define _GNU_SOURCE
#include "http_symbol.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "clock.h"
#include "config.h"
#include "http_internal.h"
#include "pprof_enc.h"
#include "resolve.h"
#include "snapshot.h"
#include "symbolize.h"

/* A symbol request lists addresses as "0x7f0123456789+": 4 MiB holds some
 * 280,000 of them, more than the locations of any profile we write. */
#define SYMBOL_BODY_MAX (4u << 20)

/* Appends "0xADDR name" for an address the symbolizer can name (the
 * innermost frame's function, as Go's runtime.FuncForPC gives it), in what
 * is loaded now: a profile's address in a library unloaded since is not
 * told apart from what took its place. */
static void name_address(struct lt_buf *out, uintptr_t address)
{
    /* One frame: lt_symbolize_pc keeps across snapshots only the results
     * of lookups for all frames (its INLINE_MAX), and addresses a client
     * makes up must not grow that cache (it still answers from it). */
    struct lt_sym_line innermost;
    int mapping;
    int n = lt_symbolize_pc(address, -1, &innermost, 1, &mapping);
    const char *name = n > 0 ? innermost.function : NULL;
    if (!name || !*name || strpbrk(name, "\r\n")) /* a line break would end the answer's line */
        return;
    char hex[32];
    int len = snprintf(hex, sizeof hex, "%#lx ", (unsigned long)address);
    lt_buf_put(out, hex, (size_t)len);
    lt_buf_put(out, name, strlen(name));
    lt_buf_put(out, "\n", 1);
}

/* An address of the '+'-separated list, as Go's handler reads it
 * (strconv.ParseUint base 0: 0x hex, 0 octal, else decimal), or 0 if the
 * word is none; trailing white space (a final newline) is allowed. */
static uintptr_t parse_address(const char *word)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(word, &end, 0);
    if (end == word || errno || *word == '-' || *word == '+')
        return 0;
    end += strspn(end, " \t\r\n");
    return *end || v > UINTPTR_MAX ? 0 : (uintptr_t)v;
}

/* The answer starts with "num_symbols: 1" (pprof only asks whether it is
 * 0); an address that cannot be named gets no line, so that pprof goes on
 * with what it has. `addresses` is the list (edited in place), or NULL. */
void lt_http_respond_symbols(int fd, char *addresses)
{
    static const char head[] = "num_symbols: 1\n";
    struct lt_buf out = {0};
    lt_buf_put(&out, head, sizeof head - 1);
    if (addresses && *addresses && lt_config.symbolize != LT_SYMBOLIZE_NONE) {
        lt_snapshot_lock(); /* the symbolizer serves one caller at a time */
        if (lt_symbolize_begin())
            for (char *word; (word = strsep(&addresses, "+"));) {
                uintptr_t address = parse_address(word);
                if (address)
                    name_address(&out, address);
            }
        lt_symbolize_end();
        lt_snapshot_unlock();
    }
    if (out.failed)
        lt_http_respond_text(fd, 500, "Internal Server Error", "out of memory\n");
    else
        lt_http_respond(fd, 200, "OK", "text/plain; charset=utf-8", NULL, out.data, out.len);
    lt_buf_release(&out);
}

/* Where the body starts: after the head's blank line. */
static char *head_end(char *req)
{
    char *crlf = strstr(req, "\r\n\r\n"), *lf = strstr(req, "\n\n");
    if (crlf && (!lf || crlf < lf))
        return crlf + 4;
    return lf ? lf + 2 : NULL;
}

/* The value of header `name` in the request head (case-insensitive name,
 * blanks around the value trimmed), copied into out; false if absent or
 * longer than out. */
static bool header_value(const char *req, const char *name, char *out, size_t cap)
{
    size_t len = strlen(name);
    for (const char *p = strchr(req, '\n'); p && p[1] != '\r' && p[1] != '\n' && p[1];
         p = strchr(p + 1, '\n')) {
        const char *line = p + 1;
        if (strncasecmp(line, name, len) != 0 || line[len] != ':')
            continue;
        const char *v = line + len + 1;
        v += strspn(v, " \t");
        size_t n = strcspn(v, "\r\n");
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n >= cap)
            return false;
        memcpy(out, v, n);
        out[n] = 0;
        return true;
    }
    return false;
}

/* The Content-Length of a request, 0 without one; -1 if it is not a number. */
static long long content_length(const char *req)
{
    char value[32];
    if (!header_value(req, "Content-Length", value, sizeof value))
        return 0;
    if (!value[0] || strspn(value, "0123456789") != strlen(value) || strlen(value) > 18)
        return -1;
    return strtoll(value, NULL, 10);
}

/* Reads the rest of a body of `len` bytes, the first `have` of which came
 * with the head, into memory of the tracer's own; NULL if the client is too
 * slow (the same budget as a response) or memory ran out. */
static char *read_body(int fd, const char *start, size_t have, size_t len)
{
    char *body = lt_raw_malloc(len + 1);
    if (!body)
        return NULL;
    size_t used = have < len ? have : len;
    if (used)
        memcpy(body, start, used);
    int64_t deadline = lt_now_ms() + LT_HTTP_SEND_TIMEOUT_SECONDS * 1000;
    while (used < len) {
        if (!lt_http_ready(fd, POLLIN, deadline))
            break;
        ssize_t r = recv(fd, body + used, len - used, MSG_DONTWAIT);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            break;
        used += (size_t)r;
    }
    if (used < len) {
        lt_raw_free(body);
        return NULL;
    }
    body[len] = 0;
    return body;
}

/* POST /debug/pprof/symbol: the addresses come as the body, whose size is
 * bounded and must be given (pprof's client always gives it). */
void lt_http_serve_symbol_post(int fd, char *req, size_t req_len)
{
    char value[64];
    if (header_value(req, "Transfer-Encoding", value, sizeof value)) {
        lt_http_respond_text(fd, 411, "Length Required",
                             "send the addresses with a Content-Length\n");
        return;
    }
    long long len = content_length(req);
    if (len < 0) {
        lt_http_respond_text(fd, 400, "Bad Request", "malformed Content-Length\n");
        return;
    }
    if (len > SYMBOL_BODY_MAX) {
        lt_http_respond_text(fd, 413, "Payload Too Large", "at most 4 MiB of addresses\n");
        return;
    }
    char *start = head_end(req); /* found: http.c's read_head returned the head */
    size_t have = start ? (size_t)(req + req_len - start) : 0;
    /* curl asks before sending a large body, and waits a second unless told */
    if (have < (size_t)len && header_value(req, "Expect", value, sizeof value) &&
        strcasecmp(value, "100-continue") == 0) {
        static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
        int64_t deadline = lt_now_ms() + LT_HTTP_IO_TIMEOUT_SECONDS * 1000;
        if (!lt_http_send_all(fd, go_on, sizeof go_on - 1, deadline))
            return;
    }
    char *body = read_body(fd, start, have, (size_t)len);
    if (!body)
        return; /* a vanished or stalled client, or no memory: nobody to tell */
    lt_http_respond_symbols(fd, body);
    lt_raw_free(body);
}

/* /debug/pprof/symbol, with or without a query (Go's reads the body then) */
bool lt_http_is_symbol_path(const char *target)
{
    size_t len = strlen(LT_HTTP_SYMBOL_PATH);
    return strncmp(target, LT_HTTP_SYMBOL_PATH, len) == 0 &&
           (target[len] == 0 || target[len] == '?');
}
