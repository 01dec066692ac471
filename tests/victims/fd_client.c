/* Load for fd_server (not traced itself): THREADS threads, each making
 * CONNECTIONS/THREADS connections to 127.0.0.1:PORT one after another. On
 * each it sends LINES-1 "ping" lines, then "leak" (every LEAK_EVERY-th
 * connection of a thread, starting with its first; 0: never) or "close",
 * waiting for the "ok" of every line; then it closes its end.
 *
 * usage: fd_client PORT CONNECTIONS THREADS LEAK_EVERY LINES
 * prints "C connections R requests S seconds X requests/s" */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, per_thread, leak_every, lines;

static void die(const char *what)
{
    fprintf(stderr, "fd_client: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void request(int fd, const char *line)
{
    char ok[3];
    size_t len = strlen(line), got = 0;
    if (write(fd, line, len) != (ssize_t)len)
        die("write");
    while (got < sizeof ok) {
        ssize_t n = read(fd, ok + got, sizeof ok - got);
        if (n <= 0)
            die("read");
        got += (size_t)n;
    }
}

static void *client(void *arg)
{
    (void)arg;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < per_thread; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
            die("connect");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        for (int l = 1; l < lines; l++)
            request(fd, "ping\n");
        request(fd, leak_every && i % leak_every == 0 ? "leak\n" : "close\n");
        close(fd);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: fd_client PORT CONNECTIONS THREADS LEAK_EVERY LINES\n");
        return 2;
    }
    port = atoi(argv[1]);
    int threads = atoi(argv[3]);
    per_thread = atoi(argv[2]) / threads;
    leak_every = atoi(argv[4]);
    lines = atoi(argv[5]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t tids[threads];
    for (int i = 0; i < threads; i++)
        if (pthread_create(&tids[i], NULL, client, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    long conns = (long)per_thread * threads, reqs = conns * lines;
    printf("%ld connections %ld requests %.3f seconds %.0f requests/s\n", conns, reqs, s, reqs / s);
    return 0;
}
