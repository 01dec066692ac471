/* A loopback line server (epoll, non-blocking, one thread). It answers
 * "ok\n" to every line; after "close" it closes the connection, after "leak"
 * it forgets it, open (a connection leak, at accept_conn); other lines keep
 * the connection for more. Ends on EOF of stdin.
 *
 * usage: fd_server       prints "pid P port N", listens on 127.0.0.1:N */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static int ep;

static void die(const char *what)
{
    fprintf(stderr, "fd_server: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void watch(int fd)
{
    struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0)
        die("epoll_ctl");
}

NOINLINE int listen_on(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("listen");
    *port = ntohs(a.sin_port);
    return fd;
}

/* Every connection comes from here: the leaked ones are counted at it. */
NOINLINE void accept_conn(int listener)
{
    for (;;) {
        int c = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return;
            die("accept4");
        }
        watch(c);
    }
}

static void answer(int c)
{
    char buf[4096];
    ssize_t n = read(c, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        close(c); /* EOF or error */
        return;
    }
    int lines = 0;
    bool close_it = false, leak = false;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\n') {
            lines++;
            close_it |= i >= 5 && memcmp(buf + i - 5, "close", 5) == 0;
            leak |= i >= 4 && memcmp(buf + i - 4, "leak", 4) == 0;
        }
    for (int i = 0; i < lines; i++)
        if (write(c, "ok\n", 3) != 3)
            break;
    if (close_it)
        close(c);
    else if (leak)
        epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL); /* forgotten, still open */
}

int main(void)
{
    int port;
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    int listener = listen_on(&port);
    watch(listener);
    watch(STDIN_FILENO);
    printf("pid %d port %d\n", (int)getpid(), port);
    fflush(stdout);
    for (;;) {
        struct epoll_event ev[64];
        int n = epoll_wait(ep, ev, 64, -1);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            if (fd == listener)
                accept_conn(listener);
            else if (fd == STDIN_FILENO)
                return 0; /* a line or EOF: done */
            else
                answer(fd);
        }
    }
}
