/* leaky_service: a toy request loop with a classic leak, for the leaktrace demo.
 *
 *   leaky_service [-r REQUESTS_PER_SECOND] [-n REQUESTS] [-f FD_LEAK_EVERY]
 *
 * Every request is parsed, answered and freed (normal churn), but the session
 * it opens is put into a cache that is never evicted: session_cache_insert()
 * leaks SESSION_SIZE bytes per request. Every FD_LEAK_EVERY requests
 * audit_log_open() also opens a descriptor that is never closed (0: never).
 * Runs until REQUESTS are served (0: forever) or SIGTERM/SIGINT, then prints a
 * summary and returns from main, so a tracer's exit snapshot is taken. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SESSION_SIZE 256
#define CACHE_BUCKETS 4096

struct session {
    unsigned long token;
    unsigned long hits;
    struct session *next;
    char user[SESSION_SIZE - 3 * sizeof(unsigned long)];
};
_Static_assert(sizeof(struct session) == SESSION_SIZE, "one session is SESSION_SIZE bytes");

struct request {
    unsigned long token; /* new for every request: the bug */
    char *user;
    char *path;
};

static struct session *session_cache[CACHE_BUCKETS];
static unsigned long sessions_cached;
static int audit_fds_open;
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

__attribute__((noinline)) static struct request *parse_request(unsigned long n)
{
    static const char *const users[] = {"alice", "bob", "carol", "dave"};
    static const char *const paths[] = {"/", "/cart", "/search?q=socks", "/checkout"};
    struct request *req = malloc(sizeof *req);
    if (!req)
        return NULL;
    req->token = n * 2654435761u;
    req->user = strdup(users[n % 4]);
    req->path = strdup(paths[(n / 4) % 4]);
    return req;
}

__attribute__((noinline)) static void free_request(struct request *req)
{
    free(req->user);
    free(req->path);
    free(req);
}

/* The leak: sessions are keyed by a token that no later request repeats, and
 * nothing ever evicts them. */
__attribute__((noinline)) static struct session *session_cache_insert(const struct request *req)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->token = req->token;
    snprintf(s->user, sizeof s->user, "%s", req->user);
    struct session **bucket = &session_cache[req->token % CACHE_BUCKETS];
    s->next = *bucket;
    *bucket = s;
    sessions_cached++;
    return s;
}

__attribute__((noinline)) static struct session *session_lookup(const struct request *req)
{
    struct session *s = session_cache[req->token % CACHE_BUCKETS];
    while (s && s->token != req->token)
        s = s->next;
    return s ? s : session_cache_insert(req);
}

/* Normal churn: a response buffer of 2..8 kB, freed once sent. */
__attribute__((noinline)) static char *render_response(const struct request *req,
                                                       const struct session *s, size_t *len)
{
    size_t cap = 2048 + (req->token % 4) * 2048;
    char *body = malloc(cap);
    if (!body)
        return NULL;
    int n = snprintf(body, cap, "HTTP/1.1 200 OK\r\n\r\nhello %s, %s (visit %lu)\n", s->user,
                     req->path, s->hits);
    *len = n < 0 ? 0 : (size_t)n;
    return body;
}

/* The second leak: an audit descriptor opened and never closed. */
__attribute__((noinline)) static void audit_log_open(void)
{
    int fd = open("/dev/null", O_WRONLY | O_APPEND);
    if (fd >= 0)
        audit_fds_open++;
}

__attribute__((noinline)) static size_t handle_request(unsigned long n, unsigned long fd_every)
{
    struct request *req = parse_request(n);
    if (!req)
        return 0;
    size_t len = 0;
    struct session *s = session_lookup(req);
    if (s) {
        s->hits++;
        char *body = render_response(req, s, &len);
        free(body);
    }
    if (fd_every && n % fd_every == fd_every - 1)
        audit_log_open();
    free_request(req);
    return len;
}

static void pace(unsigned long per_second)
{
    if (!per_second)
        return;
    struct timespec ts = {0, (long)(1000000000 / per_second)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stopping) {
    }
}

static unsigned long parse_count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        fprintf(stderr, "leaky_service: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    unsigned long rate = 500, limit = 0, fd_every = 250;
    int opt;
    while ((opt = getopt(argc, argv, "r:n:f:h")) != -1) {
        switch (opt) {
        case 'r': rate = parse_count(optarg, "rate"); break;
        case 'n': limit = parse_count(optarg, "request count"); break;
        case 'f': fd_every = parse_count(optarg, "descriptor leak period"); break;
        default:
            fprintf(stderr, "usage: %s [-r REQUESTS_PER_SECOND] [-n REQUESTS] [-f FD_LEAK_EVERY]\n",
                    argv[0]);
            return opt == 'h' ? 0 : 2;
        }
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (rate)
        printf("leaky_service: pid %d, %lu requests/s\n", (int)getpid(), rate);
    else
        printf("leaky_service: pid %d, requests as fast as possible\n", (int)getpid());
    fflush(stdout);

    unsigned long served = 0;
    size_t sent = 0;
    while (!stopping && (!limit || served < limit)) {
        sent += handle_request(served++, fd_every);
        pace(rate);
    }
    printf("leaky_service: served %lu requests (%zu bytes); cache holds %lu sessions "
           "(%lu bytes); %d audit descriptors open\n",
           served, sent, sessions_cached, sessions_cached * SESSION_SIZE, audit_fds_open);
    return 0;
}
