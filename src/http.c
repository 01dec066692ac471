/* The LEAKTRACE_HTTP endpoint: the listening socket, the serving thread,
 * reading a request's head and routing it, and the profiles with their
 * index page; /debug/pprof/symbol is answered in http_symbol.c, which
 * writes through the socket helpers here (http_internal.h).
 *
 * The endpoint serves one request at a time. Every socket operation has a
 * timeout, so a slow or silent client costs the server thread a few seconds
 * at most and never touches the traced program's threads or the snapshot
 * signal. The thread holds the guard, so its sockets and buffers are the
 * tracer's own: never in a profile. */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "fdspare.h"
#include "guard.h"
#include "http_internal.h"
#include "http_symbol.h"
#include "io.h"
#include "log.h"
#include "pprof_enc.h"
#include "profile.h"
#include "sandbox.h"
#include "snapshot.h"
#include "trigger.h"

#define REQUEST_MAX 8192
#define PROFILE_PREFIX "/debug/pprof/"
#define DELTA_SECONDS_MAX 3600

static int listen_fd = -1;
static pthread_t http_tid;
static bool http_running;
static _Atomic bool http_quit; /* lt_http_stop_thread() wants the thread gone */

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) ||
               (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

static int bind_endpoint(const char *host, const char *port, bool allow_remote)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (rc != 0) {
        lt_warn("LEAKTRACE_HTTP=%s: cannot resolve %s: %s; no endpoint", lt_config.http, host,
                gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        if (!allow_remote && !is_loopback(ai->ai_addr)) {
            lt_warn("LEAKTRACE_HTTP=%s: not a loopback address; set "
                    "LEAKTRACE_HTTP_ALLOW_REMOTE=1 to serve profiles beyond this host; no endpoint",
                    lt_config.http);
            break;
        }
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            lt_warn("LEAKTRACE_HTTP=%s: cannot listen: %s; no endpoint", lt_config.http,
                    strerror(errno));
            close(fd);
            fd = -1;
            break;
        }
    }
    freeaddrinfo(res);
    return fd;
}

void lt_http_init(void)
{
    if (!lt_config.http[0])
        return;
    char host[sizeof lt_config.http];
    snprintf(host, sizeof host, "%s", lt_config.http);
    char *colon = strrchr(host, ':');
    *colon = 0;
    const char *port = colon + 1;
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') { /* [::1]:6060 */
        host[n - 1] = 0;
        memmove(host, host + 1, n - 1);
    }
    listen_fd = bind_endpoint(host, port, lt_config.http_allow_remote);
    if (listen_fd >= 0)
        lt_info("serving profiles at http://%s/debug/pprof/", lt_config.http);
}

/* --- responses --- */

/* While a client's request arrives or its response leaves (within the
 * budgets of http_internal.h), the thread looks at http_quit every POLL_MS,
 * so that a credential change or exit that stops it (lt_http_stop_thread)
 * never waits on a client. */
#define POLL_MS 100

/* lt_http_stop_thread() wants the thread gone, or the program's threads are. */
static bool stopping(void)
{
    return atomic_load(&http_quit) || lt_trigger_program_gone();
}

bool lt_http_ready(int fd, short events, int64_t deadline)
{
    while (!stopping()) {
        int64_t left = deadline - lt_now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, left < POLL_MS ? (int)left : POLL_MS);
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
    }
    return false;
}

static bool writable(int fd, void *deadline)
{
    return lt_http_ready(fd, POLLOUT, *(const int64_t *)deadline);
}

bool lt_http_send_all(int fd, const void *data, size_t n, int64_t deadline)
{
    return lt_write_all_waiting(fd, data, n, true, writable, &deadline);
}

void lt_http_respond(int fd, int status, const char *reason, const char *type,
                     const char *extra_header, const void *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     status, reason, type, len, extra_header ? extra_header : "");
    /* one deadline for head and body together */
    int64_t deadline = lt_now_ms() + LT_HTTP_SEND_TIMEOUT_SECONDS * 1000;
    if (lt_http_send_all(fd, head, (size_t)n, deadline))
        lt_http_send_all(fd, body, len, deadline);
}

void lt_http_respond_text(int fd, int status, const char *reason, const char *text)
{
    lt_http_respond(fd, status, reason, "text/plain; charset=utf-8", NULL, text, strlen(text));
}

/* The profiles served, at /debug/pprof/NAME. allocs is the heap profile
 * shown by alloc_space, as Go serves it: the same samples, another default
 * for pprof. */
static const struct served_profile {
    const char *name;
    enum lt_profile_kind kind;
    const char *default_type; /* NULL: the kind's own */
    const char *about;        /* for the index page */
} served_profiles[] = {
    {"heap", LT_PROFILE_HEAP, NULL, "live heap allocations by call stack"},
    {"allocs", LT_PROFILE_HEAP, "alloc_space", "every allocation since start, freed or not"},
    {"fd", LT_PROFILE_FD, NULL, "open descriptors by call stack"},
};
#define SERVED_COUNT (sizeof served_profiles / sizeof served_profiles[0])

static bool is_enabled(const struct served_profile *p)
{
    return p->kind != LT_PROFILE_FD || lt_config.fd;
}

/* The profile at /debug/pprof/NAME, or NULL. */
static const struct served_profile *served_profile(const char *name)
{
    for (size_t i = 0; i < SERVED_COUNT; i++)
        if (strcmp(name, served_profiles[i].name) == 0 && is_enabled(&served_profiles[i]))
            return &served_profiles[i];
    return NULL;
}

static void respond_index(int fd)
{
    char page[2048];
    size_t n = (size_t)snprintf(page, sizeof page,
                                "<html><head><title>/debug/pprof/</title></head><body>\n"
                                "<p>leaktrace profiles of process %d</p>\n<ul>\n", (int)getpid());
    for (size_t i = 0; i < SERVED_COUNT; i++) {
        const struct served_profile *p = &served_profiles[i];
        if (is_enabled(p) && n < sizeof page)
            n += (size_t)snprintf(page + n, sizeof page - n,
                                  "<li><a href=\"%s?debug=1\">%s</a>: %s</li>\n", p->name, p->name,
                                  p->about);
    }
    if (n < sizeof page)
        n += (size_t)snprintf(page + n, sizeof page - n,
                              "</ul>\n<p>go tool pprof http://%s/debug/pprof/heap</p>\n</body></html>\n",
                              lt_config.http);
    lt_http_respond(fd, 200, "OK", "text/html; charset=utf-8", NULL, page,
                    n < sizeof page ? n : sizeof page - 1);
}

static void sleep_seconds(long seconds)
{
    struct timespec ts = {seconds, 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

enum delta_wait { DELTA_WAITED, DELTA_CLIENT_GONE, DELTA_STOPPING };

/* Waits out a delta's seconds in steps of POLL_MS, watching the client's
 * socket: a client that gives up (curl -m1 on ?seconds=60) must free the
 * endpoint at once, not hold it for the rest of the N seconds, and
 * lt_http_stop_thread() must never wait out a long delta. POLLRDHUP is the
 * client's close as it reaches us (its FIN: a read would return 0 bytes),
 * POLLHUP and POLLERR a reset; bytes it sends meanwhile are not asked
 * about, so that they cannot turn the wait into a busy loop. */
static enum delta_wait wait_delta(int fd, const struct lt_profile_base *base, long seconds)
{
    /* From the base's reading, rounded up to the millisecond (both are
     * CLOCK_MONOTONIC): the delta's duration is never under N s. */
    int64_t deadline = (base->taken_ns + 999999) / 1000000 + seconds * 1000;
    for (;;) {
        if (stopping())
            return DELTA_STOPPING;
        int64_t left = deadline - lt_now_ms();
        if (left <= 0)
            return DELTA_WAITED;
        struct pollfd p = {fd, POLLRDHUP, 0};
        int r = poll(&p, 1, left < POLL_MS ? (int)left : POLL_MS);
        if (r > 0 || (r < 0 && errno != EINTR))
            return DELTA_CLIENT_GONE;
    }
}

static void respond_profile(int fd, const struct served_profile *profile, long seconds, bool debug)
{
    enum lt_profile_kind kind = profile->kind;
    struct lt_profile_base base = {0};
    bool delta = seconds > 0;
    if (delta) {
        lt_snapshot_lock();
        bool ok = lt_profile_base_take(kind, &base);
        lt_snapshot_unlock();
        if (!ok) {
            lt_http_respond_text(fd, 500, "Internal Server Error", "out of memory\n");
            return;
        }
        enum delta_wait waited = wait_delta(fd, &base, seconds);
        if (waited != DELTA_WAITED) {
            if (waited == DELTA_STOPPING)
                lt_http_respond_text(fd, 503, "Service Unavailable",
                                     "the endpoint is restarting\n");
            lt_profile_base_release(&base);
            return;
        }
    }
    struct lt_buf body = {0};
    lt_snapshot_lock(); /* the symbolizer serves one builder at a time */
    bool ok = debug ? lt_profile_text(kind, delta ? &base : NULL, &body)
                    : lt_profile_build(kind, delta ? &base : NULL, profile->default_type, &body);
    lt_snapshot_unlock();
    if (!ok)
        lt_http_respond_text(fd, 500, "Internal Server Error", "out of memory\n");
    else if (debug)
        lt_http_respond(fd, 200, "OK", "text/plain; charset=utf-8", NULL, body.data, body.len);
    else {
        char disposition[96];
        snprintf(disposition, sizeof disposition,
                 "Content-Disposition: attachment; filename=\"%s\"\r\n", profile->name);
        lt_http_respond(fd, 200, "OK", "application/octet-stream", disposition, body.data,
                        body.len);
    }
    lt_buf_release(&body);
    lt_profile_base_release(&base);
}

/* Value of `name` in a query string "a=1&b=2", or NULL. */
static const char *query_param(char *query, const char *name)
{
    size_t len = strlen(name);
    for (char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
        if (strncmp(p, name, len) == 0 && p[len] == '=')
            return p + len + 1;
    return NULL;
}

/* ?seconds=N as Go reads it: a whole number of seconds, here 1 to
 * DELTA_SECONDS_MAX, else -1; 0 when absent or empty (Go then serves the
 * whole profile too). `value` runs to the next '&'. */
static long delta_seconds(const char *value)
{
    size_t n = value ? strcspn(value, "&") : 0;
    long seconds = 0;
    for (size_t i = 0; i < n; i++) {
        if (value[i] < '0' || value[i] > '9')
            return -1;
        seconds = seconds * 10 + (value[i] - '0');
        if (seconds > DELTA_SECONDS_MAX)
            return -1;
    }
    return n && seconds == 0 ? -1 : seconds;
}

/* ?seconds=N: what changed in N seconds; ?debug=1: text. */
static void serve_profile(int fd, const struct served_profile *profile, char *query)
{
    long seconds = delta_seconds(query ? query_param(query, "seconds") : NULL);
    if (seconds < 0) {
        lt_http_respond_text(fd, 400, "Bad Request",
                             "seconds must be a whole number from 1 to 3600\n");
        return;
    }
    const char *dbg = query ? query_param(query, "debug") : NULL;
    respond_profile(fd, profile, seconds, dbg && dbg[0] != '0');
}

static void route(int fd, char *target)
{
    const struct served_profile *profile;
    char *query = strchr(target, '?');
    if (query)
        *query++ = 0;
    if (strcmp(target, LT_HTTP_SYMBOL_PATH) == 0)
        lt_http_respond_symbols(fd, query); /* as Go's: GET ?0xADDR+0xADDR names them too */
    else if (strcmp(target, "/debug/pprof/") == 0 || strcmp(target, "/debug/pprof") == 0)
        respond_index(fd);
    else if (strncmp(target, PROFILE_PREFIX, strlen(PROFILE_PREFIX)) == 0 &&
             (profile = served_profile(target + strlen(PROFILE_PREFIX))))
        serve_profile(fd, profile, query);
    else
        lt_http_respond_text(fd, 404, "Not Found", "unknown profile; see /debug/pprof/\n");
}

/* Reads the request head; returns its length, 0 on timeout or close, -1 if
 * it is too large. */
static ssize_t read_head(int fd, char *buf, size_t cap)
{
    int64_t deadline = lt_now_ms() + LT_HTTP_IO_TIMEOUT_SECONDS * 1000;
    size_t used = 0;
    while (used < cap - 1) {
        if (!lt_http_ready(fd, POLLIN, deadline))
            return 0;
        ssize_t r = recv(fd, buf + used, cap - 1 - used, MSG_DONTWAIT);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return 0;
        used += (size_t)r;
        buf[used] = 0;
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
            return (ssize_t)used;
    }
    return -1;
}

static void serve(int fd)
{
    char req[REQUEST_MAX];
    ssize_t n = read_head(fd, req, sizeof req);
    if (n < 0) {
        lt_http_respond_text(fd, 431, "Request Header Fields Too Large",
                             "request head too large\n");
        return;
    }
    if (n == 0)
        return; /* silent or vanished client */
    char method[16], target[2048], version[16];
    if (sscanf(req, "%15s %2047s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0 || target[0] != '/') {
        lt_http_respond_text(fd, 400, "Bad Request", "malformed request\n");
        return;
    }
    if (strcmp(method, "POST") == 0 && lt_http_is_symbol_path(target))
        lt_http_serve_symbol_post(fd, req, (size_t)n);
    else if (strcmp(method, "GET") != 0)
        lt_http_respond_text(fd, 405, "Method Not Allowed",
                             "only GET is served (and POST to " LT_HTTP_SYMBOL_PATH ")\n");
    else
        route(fd, target);
}

/* A request's connection. While the program holds every number its limit
 * allows (a descriptor leak run to EMFILE: when its profile matters most),
 * the spare descriptor is lent for it, under the snapshot lock, as for the
 * snapshot files (fdspare.h). No object file can be read for names while
 * the connection holds it: the answer names what earlier snapshots read. */
static int accept_request(void)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0 || errno != EMFILE)
        return fd;
    lt_snapshot_lock();
    fd = lt_fd_accept_own(listen_fd, SOCK_CLOEXEC);
    int err = errno;
    lt_snapshot_unlock();
    errno = err;
    return fd;
}

static void close_request(int fd)
{
    lt_snapshot_lock();
    lt_fd_close_own(fd);
    lt_snapshot_unlock();
}

static void *http_thread(void *arg)
{
    (void)arg;
    lt_become_tracer_thread();
    while (!atomic_load(&http_quit) && !lt_trigger_program_gone()) {
        /* Polled, not blocked in accept: lt_http_stop_thread() must be able
         * to end the thread within a fraction of a second. */
        struct pollfd p = {listen_fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept_request();
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                sleep_seconds(1);
                continue;
            }
            break; /* the endpoint was closed */
        }
        serve(fd);
        close_request(fd);
    }
    lt_tracer_thread_ends();
    return NULL;
}

void lt_http_start_thread(void)
{
    if (listen_fd < 0 || http_running || !lt_may_syscall()) /* under seccomp it would be confined */
        return;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&http_tid, NULL, http_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        lt_warn("cannot start the HTTP endpoint thread: %s", strerror(rc));
        return;
    }
    http_running = true;
    pthread_setname_np(http_tid, "leaktrace-http");
}

bool lt_http_stop_thread(void)
{
    if (!http_running)
        return false;
    atomic_store(&http_quit, true);
    pthread_join(http_tid, NULL);
    atomic_store(&http_quit, false);
    http_running = false;
    return true;
}

void lt_http_after_fork_child(void)
{
    http_running = false;
    if (listen_fd >= 0)
        close(listen_fd);
    listen_fd = -1;
}
