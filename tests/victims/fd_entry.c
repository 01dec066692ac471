/* Descriptor victim: one named function per entry point leaks N descriptors
 * through it; one per release path opens and closes M through it; threads
 * churn and leak concurrently. The test (t_fd_entry.sh) knows how many
 * descriptors each call makes and which kind they are.
 *
 * usage: fd_entry DIR N M THREADS
 * DIR: a scratch directory; prints "skip NAME: why" for an entry point
 * the machine refuses (fanotify without CAP_SYS_ADMIN, say). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static const char *dir;
/* unix socket paths must fit sun_path */
#define PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)
static char fifo_path[PATH_LEN], sock_path[PATH_LEN], file_path[PATH_LEN];
static int listener = -1, ev = -1, rights_tx = -1, rights_rx = -1;

static void die(const char *what)
{
    fprintf(stderr, "fd_entry: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int must(int fd, const char *what)
{
    if (fd < 0)
        die(what);
    return fd;
}

static void *must_p(void *p, const char *what)
{
    if (!p)
        die(what);
    return p;
}

static char *tmpl(const char *suffix)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/tmpXXXXXX%s", dir, suffix);
    return buf;
}

/* --- leaks: each makes n (or 2n) descriptors and keeps them --- */

NOINLINE void leak_open(int n) { for (int i = 0; i < n; i++) must(open("/dev/null", O_RDONLY), "open"); }
NOINLINE void leak_open64(int n) { for (int i = 0; i < n; i++) must(open64("/dev/null", O_RDONLY), "open64"); }
NOINLINE void leak_openat(int n) { for (int i = 0; i < n; i++) must(openat(AT_FDCWD, "/dev/null", O_RDONLY), "openat"); }
NOINLINE void leak_openat64(int n) { for (int i = 0; i < n; i++) must(openat64(AT_FDCWD, "/dev/null", O_RDONLY), "openat64"); }
NOINLINE void leak_open_2(int n) { for (int i = 0; i < n; i++) must(__open_2("/dev/null", O_RDONLY), "__open_2"); }
NOINLINE void leak_open64_2(int n) { for (int i = 0; i < n; i++) must(__open64_2("/dev/null", O_RDONLY), "__open64_2"); }
NOINLINE void leak_openat_2(int n) { for (int i = 0; i < n; i++) must(__openat_2(AT_FDCWD, "/dev/null", O_RDONLY), "__openat_2"); }
NOINLINE void leak_openat64_2(int n) { for (int i = 0; i < n; i++) must(__openat64_2(AT_FDCWD, "/dev/null", O_RDONLY), "__openat64_2"); }
NOINLINE void leak_open_creat(int n) { for (int i = 0; i < n; i++) must(open(file_path, O_WRONLY | O_CREAT, 0600), "open O_CREAT"); }
NOINLINE void leak_creat(int n) { for (int i = 0; i < n; i++) must(creat(file_path, 0600), "creat"); }
NOINLINE void leak_creat64(int n) { for (int i = 0; i < n; i++) must(creat64(file_path, 0600), "creat64"); }
NOINLINE void leak_open_dir(int n) { for (int i = 0; i < n; i++) must(open("/", O_RDONLY | O_DIRECTORY), "open O_DIRECTORY"); }
NOINLINE void leak_open_dir_probe(int n) { for (int i = 0; i < n; i++) must(open("/", O_RDONLY), "open /"); }
NOINLINE void leak_open_fifo(int n) { for (int i = 0; i < n; i++) must(open(fifo_path, O_RDWR), "open fifo"); }
NOINLINE void leak_open_socket(int n) { for (int i = 0; i < n; i++) must(open(sock_path, O_PATH), "open socket"); }
NOINLINE void leak_mkstemp(int n) { for (int i = 0; i < n; i++) must(mkstemp(tmpl("")), "mkstemp"); }
NOINLINE void leak_mkostemp(int n) { for (int i = 0; i < n; i++) must(mkostemp(tmpl(""), O_CLOEXEC), "mkostemp"); }
NOINLINE void leak_mkstemps(int n) { for (int i = 0; i < n; i++) must(mkstemps(tmpl(".x"), 2), "mkstemps"); }
NOINLINE void leak_mkostemps(int n) { for (int i = 0; i < n; i++) must(mkostemps(tmpl(".x"), 2, 0), "mkostemps"); }
NOINLINE void leak_posix_openpt(int n) { for (int i = 0; i < n; i++) must(posix_openpt(O_RDWR | O_NOCTTY), "posix_openpt"); }
NOINLINE void leak_shm_open(int n)
{
    char name[64];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "/fd_entry.%d.%d", (int)getpid(), i);
        must(shm_open(name, O_RDWR | O_CREAT, 0600), "shm_open");
        shm_unlink(name);
    }
}
NOINLINE void leak_memfd_create(int n) { for (int i = 0; i < n; i++) must(memfd_create("fd_entry", 0), "memfd_create"); }
NOINLINE void leak_socket(int n) { for (int i = 0; i < n; i++) must(socket(AF_INET, SOCK_STREAM, 0), "socket"); }
NOINLINE void leak_socketpair(int n)
{
    int sv[2];
    for (int i = 0; i < n; i++)
        must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
}
NOINLINE void leak_accept(int n) { for (int i = 0; i < n; i++) must(accept(listener, NULL, NULL), "accept"); }
NOINLINE void leak_accept4(int n) { for (int i = 0; i < n; i++) must(accept4(listener, NULL, NULL, SOCK_CLOEXEC), "accept4"); }
NOINLINE void leak_pipe(int n)
{
    int p[2];
    for (int i = 0; i < n; i++)
        must(pipe(p), "pipe");
}
NOINLINE void leak_pipe2(int n)
{
    int p[2];
    for (int i = 0; i < n; i++)
        must(pipe2(p, O_CLOEXEC), "pipe2");
}
NOINLINE void leak_openpty(int n)
{
    int m, s;
    for (int i = 0; i < n; i++)
        must(openpty(&m, &s, NULL, NULL, NULL), "openpty");
}
NOINLINE void leak_epoll_create(int n) { for (int i = 0; i < n; i++) must(epoll_create(1), "epoll_create"); }
NOINLINE void leak_epoll_create1(int n) { for (int i = 0; i < n; i++) must(epoll_create1(0), "epoll_create1"); }
NOINLINE void leak_eventfd(int n) { for (int i = 0; i < n; i++) must(eventfd(0, 0), "eventfd"); }
NOINLINE void leak_timerfd_create(int n) { for (int i = 0; i < n; i++) must(timerfd_create(CLOCK_MONOTONIC, 0), "timerfd_create"); }
NOINLINE void leak_signalfd(int n)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    int fd = must(signalfd(-1, &set, 0), "signalfd");
    for (int i = 1; i < n; i++)
        must(signalfd(-1, &set, 0), "signalfd");
    must(signalfd(fd, &set, 0), "signalfd(fd)"); /* changes a mask: no new descriptor */
}
NOINLINE void leak_inotify_init(int n) { for (int i = 0; i < n; i++) must(inotify_init(), "inotify_init"); }
NOINLINE void leak_inotify_init1(int n) { for (int i = 0; i < n; i++) must(inotify_init1(IN_CLOEXEC), "inotify_init1"); }
NOINLINE void leak_pidfd_open(int n) { for (int i = 0; i < n; i++) must(pidfd_open(getpid(), 0), "pidfd_open"); }
NOINLINE void leak_dup(int n) { for (int i = 0; i < n; i++) must(dup(ev), "dup"); }
/* onto free numbers, lowest first, as the kernel would pick them */
NOINLINE void leak_dup2(int n)
{
    for (int i = 0, target = 3; i < n; target++)
        if (fcntl(target, F_GETFD) < 0) {
            must(dup2(ev, target), "dup2");
            i++;
        }
}
NOINLINE void leak_dup3(int n)
{
    for (int i = 0, target = 3; i < n; target++)
        if (fcntl(target, F_GETFD) < 0) {
            must(dup3(ev, target, O_CLOEXEC), "dup3");
            i++;
        }
}
NOINLINE void leak_fcntl_dupfd(int n) { for (int i = 0; i < n; i++) must(fcntl(ev, F_DUPFD, 0), "F_DUPFD"); }
NOINLINE void leak_fcntl_dupfd_cloexec(int n) { for (int i = 0; i < n; i++) must(fcntl(ev, F_DUPFD_CLOEXEC, 0), "F_DUPFD_CLOEXEC"); }
NOINLINE void leak_fcntl64_dupfd(int n) { for (int i = 0; i < n; i++) must(fcntl64(ev, F_DUPFD, 0), "fcntl64"); }
NOINLINE void leak_fopen(int n) { for (int i = 0; i < n; i++) must_p(fopen("/dev/null", "r"), "fopen"); }
NOINLINE void leak_fopen64(int n) { for (int i = 0; i < n; i++) must_p(fopen64("/dev/null", "r"), "fopen64"); }
NOINLINE void leak_fopen_fifo(int n) { for (int i = 0; i < n; i++) must_p(fopen(fifo_path, "r+"), "fopen fifo"); }
/* fopen then freopen: the fopen'ed descriptor is released, the new one kept. */
NOINLINE void leak_freopen(int n)
{
    for (int i = 0; i < n; i++)
        must_p(freopen("/dev/zero", "r", must_p(fopen("/dev/null", "r"), "fopen")), "freopen");
}
NOINLINE void leak_freopen64(int n)
{
    for (int i = 0; i < n; i++)
        must_p(freopen64("/dev/zero", "r", must_p(fopen("/dev/null", "r"), "fopen")), "freopen64");
}
NOINLINE void leak_tmpfile(int n) { for (int i = 0; i < n; i++) must_p(tmpfile(), "tmpfile"); }
NOINLINE void leak_tmpfile64(int n) { for (int i = 0; i < n; i++) must_p(tmpfile64(), "tmpfile64"); }
NOINLINE void leak_popen(int n) { for (int i = 0; i < n; i++) must_p(popen("exit 0", "r"), "popen"); }
NOINLINE void leak_opendir(int n) { for (int i = 0; i < n; i++) must_p(opendir("/"), "opendir"); }
/* fdopen/fdopendir wrap a descriptor open made: it stays open's. */
NOINLINE void leak_fdopen(int n)
{
    for (int i = 0; i < n; i++)
        must_p(fdopen(must(open("/dev/null", O_RDONLY), "open"), "r"), "fdopen");
}
NOINLINE void leak_fdopendir(int n)
{
    for (int i = 0; i < n; i++)
        must_p(fdopendir(must(open("/", O_RDONLY | O_DIRECTORY), "open")), "fdopendir");
}
NOINLINE void leak_recvmsg(int n)
{
    for (int i = 0; i < n; i++) {
        char byte, ctl[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {&byte, 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                             .msg_controllen = sizeof ctl};
        if (recvmsg(rights_rx, &msg, 0) != 1 || !CMSG_FIRSTHDR(&msg))
            die("recvmsg");
    }
}
NOINLINE void leak_recvmmsg(int n)
{
    struct mmsghdr vec[n];
    char bytes[n], ctl[n][CMSG_SPACE(sizeof(int))];
    struct iovec iov[n];
    for (int i = 0; i < n; i++) {
        iov[i] = (struct iovec){&bytes[i], 1};
        vec[i] = (struct mmsghdr){{.msg_iov = &iov[i], .msg_iovlen = 1, .msg_control = ctl[i],
                                   .msg_controllen = sizeof ctl[i]}, 0};
    }
    if (recvmmsg(rights_rx, vec, (unsigned)n, MSG_WAITFORONE, NULL) != n)
        die("recvmmsg");
}

/* fanotify needs CAP_SYS_ADMIN: skipped, not failed, where it is refused. */
NOINLINE void leak_fanotify_init(int n)
{
    for (int i = 0; i < n; i++)
        if (fanotify_init(FAN_CLASS_NOTIF, O_RDONLY) < 0) {
            if (errno != EPERM && errno != ENOSYS)
                die("fanotify_init");
            printf("skip leak_fanotify_init: %s\n", strerror(errno));
            return;
        }
}

/* --- release paths: each opens and closes m times --- */

NOINLINE void churn_close(int m) { for (int i = 0; i < m; i++) close(must(open("/dev/null", O_RDONLY), "open")); }
NOINLINE void churn_fclose(int m) { for (int i = 0; i < m; i++) fclose(must_p(fopen("/dev/null", "r"), "fopen")); }
NOINLINE void churn_pclose(int m) { for (int i = 0; i < m; i++) pclose(must_p(popen("exit 0", "r"), "popen")); }
NOINLINE void churn_closedir(int m) { for (int i = 0; i < m; i++) closedir(must_p(opendir("/"), "opendir")); }
NOINLINE void churn_fdopen(int m)
{
    for (int i = 0; i < m; i++)
        fclose(must_p(fdopen(must(open("/dev/null", O_RDONLY), "open"), "r"), "fdopen"));
}
NOINLINE void churn_fdopendir(int m)
{
    for (int i = 0; i < m; i++)
        closedir(must_p(fdopendir(must(open("/", O_RDONLY | O_DIRECTORY), "open")), "fdopendir"));
}
NOINLINE void churn_freopen(int m)
{
    for (int i = 0; i < m; i++)
        fclose(must_p(freopen("/dev/zero", "r", must_p(fopen("/dev/null", "r"), "fopen")), "freopen"));
}
/* dup2/dup3 onto an open descriptor close it: 3 made, 3 gone. */
NOINLINE void churn_dup2_over(int m)
{
    for (int i = 0; i < m; i++) {
        int a = must(open("/dev/null", O_RDONLY), "open"), b = must(open("/dev/null", O_RDONLY), "open");
        must(dup2(a, b), "dup2");
        close(a);
        close(b);
    }
}
NOINLINE void churn_dup3_over(int m)
{
    for (int i = 0; i < m; i++) {
        int a = must(open("/dev/null", O_RDONLY), "open"), b = must(open("/dev/null", O_RDONLY), "open");
        must(dup3(a, b, 0), "dup3");
        close(a);
        close(b);
    }
}
NOINLINE void churn_pipe2(int m)
{
    int p[2];
    for (int i = 0; i < m; i++) {
        must(pipe2(p, 0), "pipe2");
        close(p[0]);
        close(p[1]);
    }
}
NOINLINE void churn_socketpair(int m)
{
    int sv[2];
    for (int i = 0; i < m; i++) {
        must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
        close(sv[0]);
        close(sv[1]);
    }
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* Opens m, then closes them with one close_range per run of numbers. */
NOINLINE void churn_close_range(int m)
{
    int fds[m];
    for (int i = 0; i < m; i++)
        fds[i] = must(open("/dev/null", O_RDONLY), "open");
    qsort(fds, (size_t)m, sizeof fds[0], cmp_int);
    for (int i = 0; i < m;) {
        int j = i;
        while (j + 1 < m && fds[j + 1] == fds[j] + 1)
            j++;
        if (close_range((unsigned)fds[i], (unsigned)fds[j], 0) != 0)
            die("close_range");
        i = j + 1;
    }
}

/* Last: closes every descriptor from the lowest it opened up, including
 * any inherited ones up there (and, in vain, the tracer's). */
NOINLINE void churn_closefrom(int m)
{
    int lo = -1;
    for (int i = 0; i < m; i++) {
        int fd = must(open("/dev/null", O_RDONLY), "open");
        lo = lo < 0 || fd < lo ? fd : lo;
    }
    closefrom(lo);
}

/* --- threads: concurrent churn and leaks --- */

static int thread_m, thread_k;

NOINLINE void thread_churn(int m)
{
    for (int i = 0; i < m; i++) {
        int p[2];
        close(must(socket(AF_UNIX, SOCK_DGRAM, 0), "socket"));
        must(pipe(p), "pipe");
        close(p[1]);
        close(p[0]);
    }
}

NOINLINE void thread_leak(int k) { for (int i = 0; i < k; i++) must(eventfd(0, 0), "eventfd"); }

static void *thread_main(void *arg)
{
    (void)arg;
    thread_churn(thread_m);
    thread_leak(thread_k);
    return NULL;
}

/* --- setup --- */

static void setup(int n)
{
    if (strlen(dir) + 8 > PATH_LEN) {
        fprintf(stderr, "fd_entry: %s: too long for a unix socket path\n", dir);
        exit(2);
    }
    snprintf(fifo_path, sizeof fifo_path, "%s/fifo", dir);
    snprintf(sock_path, sizeof sock_path, "%s/sock", dir);
    snprintf(file_path, sizeof file_path, "%s/file", dir);
    if (mkfifo(fifo_path, 0600) != 0)
        die("mkfifo");
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    memcpy(un.sun_path, sock_path, sizeof sock_path);
    int us = must(socket(AF_UNIX, SOCK_STREAM, 0), "socket");
    if (bind(us, (struct sockaddr *)&un, sizeof un) != 0)
        die("bind unix");

    /* Connections queued for leak_accept and leak_accept4. */
    listener = must(socket(AF_UNIX, SOCK_STREAM, 0), "socket");
    struct sockaddr_un ln = {.sun_family = AF_UNIX};
    snprintf(ln.sun_path, sizeof ln.sun_path, "%.*s/listen", (int)PATH_LEN - 8, dir);
    if (bind(listener, (struct sockaddr *)&ln, sizeof ln) != 0 || listen(listener, 2 * n + 4) != 0)
        die("listen");
    for (int i = 0; i < 2 * n; i++) {
        int c = must(socket(AF_UNIX, SOCK_STREAM, 0), "socket");
        if (connect(c, (struct sockaddr *)&ln, sizeof ln) != 0)
            die("connect");
    }

    /* An eventfd to duplicate and to pass, n + n times, over SCM_RIGHTS. */
    ev = must(eventfd(0, 0), "eventfd");
    int sv[2];
    must(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), "socketpair");
    rights_tx = sv[0];
    rights_rx = sv[1];
    for (int i = 0; i < 2 * n; i++) {
        char byte = 'x', ctl[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {&byte, 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                             .msg_controllen = sizeof ctl};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &ev, sizeof ev);
        if (sendmsg(rights_tx, &msg, 0) != 1)
            die("sendmsg");
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: fd_entry DIR N M THREADS\n");
        return 2;
    }
    dir = argv[1];
    int n = atoi(argv[2]), m = atoi(argv[3]), threads = atoi(argv[4]);
    printf("pid %d\n", (int)getpid());
    setup(n);

    void (*leaks[])(int) = {
        leak_open, leak_open64, leak_openat, leak_openat64, leak_open_2, leak_open64_2,
        leak_openat_2, leak_openat64_2, leak_open_creat, leak_creat, leak_creat64, leak_open_dir,
        leak_open_dir_probe, leak_open_fifo, leak_open_socket, leak_mkstemp, leak_mkostemp,
        leak_mkstemps, leak_mkostemps, leak_posix_openpt, leak_shm_open, leak_memfd_create,
        leak_socket, leak_socketpair, leak_accept, leak_accept4, leak_pipe, leak_pipe2,
        leak_openpty, leak_epoll_create, leak_epoll_create1, leak_eventfd, leak_timerfd_create,
        leak_signalfd, leak_inotify_init, leak_inotify_init1, leak_pidfd_open, leak_dup,
        leak_dup2, leak_dup3, leak_fcntl_dupfd, leak_fcntl_dupfd_cloexec, leak_fcntl64_dupfd,
        leak_fopen, leak_fopen64, leak_fopen_fifo, leak_freopen, leak_freopen64, leak_tmpfile,
        leak_tmpfile64, leak_popen, leak_opendir, leak_fdopen, leak_fdopendir, leak_recvmsg,
        leak_recvmmsg, leak_fanotify_init,
    };
    for (size_t i = 0; i < sizeof leaks / sizeof leaks[0]; i++)
        leaks[i](n);

    void (*churns[])(int) = {
        churn_close, churn_fclose, churn_pclose, churn_closedir, churn_fdopen, churn_fdopendir,
        churn_freopen, churn_dup2_over, churn_dup3_over, churn_pipe2, churn_socketpair,
        churn_close_range,
    };
    for (size_t i = 0; i < sizeof churns / sizeof churns[0]; i++)
        churns[i](m);

    thread_m = m;
    thread_k = n;
    pthread_t tids[threads];
    for (int i = 0; i < threads; i++)
        if (pthread_create(&tids[i], NULL, thread_main, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);

    churn_closefrom(m);
    puts("done");
    return 0;
}
