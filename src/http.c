/* The endpoint serves one request at a time. Every socket operation has a
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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "guard.h"
#include "io.h"
#include "log.h"
#include "pprof_enc.h"
#include "profile.h"
#include "sandbox.h"
#include "snapshot.h"
#include "trigger.h"

#define REQUEST_MAX 8192
#define IO_TIMEOUT_SECONDS 5
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

/* A client's whole request must arrive, and its whole response leave,
 * within these budgets, however it trickles its bytes; meanwhile the thread
 * looks at http_quit every POLL_MS, so that a credential change or exit
 * that stops it (lt_http_stop_thread) never waits on a client. */
#define POLL_MS 100
#define SEND_TIMEOUT_SECONDS 30

/* Waits until fd is ready for `events`; false once the deadline passed, or
 * the thread is asked to stop, or the program's threads are all gone. */
static bool ready(int fd, short events, int64_t deadline)
{
    while (!atomic_load(&http_quit) && !lt_trigger_program_gone()) {
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
    return ready(fd, POLLOUT, *(const int64_t *)deadline);
}

static bool send_all(int fd, const void *data, size_t n, int64_t deadline)
{
    return lt_write_all_waiting(fd, data, n, true, writable, &deadline);
}

static void respond(int fd, int status, const char *reason, const char *type,
                    const char *extra_header, const void *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     status, reason, type, len, extra_header ? extra_header : "");
    int64_t deadline = lt_now_ms() + SEND_TIMEOUT_SECONDS * 1000; /* head and body together */
    if (send_all(fd, head, (size_t)n, deadline))
        send_all(fd, body, len, deadline);
}

static void respond_text(int fd, int status, const char *reason, const char *text)
{
    respond(fd, status, reason, "text/plain; charset=utf-8", NULL, text, strlen(text));
}

static void respond_index(int fd)
{
    char page[1024];
    int n = snprintf(page, sizeof page,
                     "<html><head><title>/debug/pprof/</title></head><body>\n"
                     "<p>leaktrace profiles of process %d</p>\n<ul>\n"
                     "<li><a href=\"heap?debug=1\">heap</a>: live heap allocations by call stack</li>\n"
                     "%s</ul>\n<p>go tool pprof http://%s/debug/pprof/heap</p>\n</body></html>\n",
                     (int)getpid(),
                     lt_config.fd ? "<li><a href=\"fd?debug=1\">fd</a>: open descriptors by call stack</li>\n" : "",
                     lt_config.http);
    respond(fd, 200, "OK", "text/html; charset=utf-8", NULL, page, (size_t)n);
}

static void sleep_seconds(long seconds)
{
    struct timespec ts = {seconds, 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void respond_profile(int fd, enum lt_profile_kind kind, long seconds, bool debug)
{
    struct lt_profile_base base = {0};
    bool delta = seconds > 0;
    if (delta) {
        lt_snapshot_lock();
        bool ok = lt_profile_base_take(kind, &base);
        lt_snapshot_unlock();
        if (!ok) {
            respond_text(fd, 500, "Internal Server Error", "out of memory\n");
            return;
        }
        /* In steps, so that lt_http_stop_thread() never waits out a long delta. */
        for (long ms = seconds * 1000; ms > 0 && !atomic_load(&http_quit); ms -= 100) {
            struct timespec step = {0, 100 * 1000000L};
            nanosleep(&step, NULL);
        }
        if (atomic_load(&http_quit)) {
            respond_text(fd, 503, "Service Unavailable", "the endpoint is restarting\n");
            lt_profile_base_release(&base);
            return;
        }
    }
    struct lt_buf body = {0};
    lt_snapshot_lock(); /* the symbolizer serves one builder at a time */
    bool ok = debug ? lt_profile_text(kind, delta ? &base : NULL, &body)
                    : lt_profile_build(kind, delta ? &base : NULL, &body);
    lt_snapshot_unlock();
    if (!ok)
        respond_text(fd, 500, "Internal Server Error", "out of memory\n");
    else if (debug)
        respond(fd, 200, "OK", "text/plain; charset=utf-8", NULL, body.data, body.len);
    else
        respond(fd, 200, "OK", "application/octet-stream",
                kind == LT_PROFILE_HEAP ? "Content-Disposition: attachment; filename=\"heap\"\r\n"
                                        : "Content-Disposition: attachment; filename=\"fd\"\r\n",
                body.data, body.len);
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

static void route(int fd, char *target)
{
    char *query = strchr(target, '?');
    if (query)
        *query++ = 0;
    const char *secs = query ? query_param(query, "seconds") : NULL;
    const char *dbg = query ? query_param(query, "debug") : NULL;
    long seconds = secs ? strtol(secs, NULL, 10) : 0;
    if (seconds < 0 || seconds > DELTA_SECONDS_MAX) {
        respond_text(fd, 400, "Bad Request", "seconds must be between 0 and 3600\n");
        return;
    }
    bool debug = dbg && dbg[0] != '0';
    if (strcmp(target, "/debug/pprof/") == 0 || strcmp(target, "/debug/pprof") == 0)
        respond_index(fd);
    else if (strcmp(target, "/debug/pprof/heap") == 0)
        respond_profile(fd, LT_PROFILE_HEAP, seconds, debug);
    else if (strcmp(target, "/debug/pprof/fd") == 0 && lt_config.fd)
        respond_profile(fd, LT_PROFILE_FD, seconds, debug);
    else
        respond_text(fd, 404, "Not Found", "unknown profile; see /debug/pprof/\n");
}

/* Reads the request head; returns its length, 0 on timeout or close, -1 if
 * it is too large. */
static ssize_t read_head(int fd, char *buf, size_t cap)
{
    int64_t deadline = lt_now_ms() + IO_TIMEOUT_SECONDS * 1000;
    size_t used = 0;
    while (used < cap - 1) {
        if (!ready(fd, POLLIN, deadline))
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
        respond_text(fd, 431, "Request Header Fields Too Large", "request head too large\n");
        return;
    }
    if (n == 0)
        return; /* silent or vanished client */
    char method[16], target[2048], version[16];
    if (sscanf(req, "%15s %2047s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0 || target[0] != '/') {
        respond_text(fd, 400, "Bad Request", "malformed request\n");
        return;
    }
    if (strcmp(method, "GET") != 0) {
        respond_text(fd, 405, "Method Not Allowed", "only GET is served\n");
        return;
    }
    route(fd, target);
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
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
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
        close(fd);
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
