/* A program driven line by line from stdin, so that a test can take
 * snapshots between known steps. After each command it prints "ok COMMAND"
 * (flushed) on stdout.
 *
 *   early N S      leak_early leaks N blocks of S bytes
 *   late N S       leak_late leaks N blocks of S bytes
 *   temp N S       temp_alloc allocates N blocks of S bytes, kept until free-temp
 *                  (at most 100000 in all)
 *   free-temp      frees the temp blocks
 *   fork-child N S forks a child that frees the temp blocks, leaks N blocks
 *                  of S bytes in leak_child and exits 0 (its exit snapshot);
 *                  says "fork-child: pid PID status STATUS" on stderr once
 *                  the child has ended (STATUS: its wait status)
 *   inner N S      leak_inner (called by leak_outer) leaks N blocks of S bytes
 *   thread N S     a new thread leaks N blocks of S bytes in leak_thread; joined
 *   timer-thread   a SIGEV_THREAD timer fires once (glibc starts a thread
 *                  of its own for it, not through pthread_create)
 *   idle-thread    starts a thread that only waits: the program is threaded
 *                  from then on (its snapshots are written in the process)
 *   plugin PATH N S  dlopens PATH, has its plugin_run leak N blocks of S
 *                  bytes (in plugin_leak_site), dlcloses it
 *   pipe-eof PATH  sends itself SIGUSR1, closes a pipe's write end, waits for
 *                  end-of-file on its read end, and says on stderr whether
 *                  PATH (the snapshot's file) was there by then: "pipe-eof:
 *                  PATH absent" (or present, or "no eof" after 10 s)
 *   chdir DIR      chdir(DIR)
 *   exit CODE      exit(CODE) (the exit snapshot runs)
 *   exec           prints its "ok", then execs itself (same PID, same stdin)
 * End of input returns 0 from main.
 */
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

#define TEMP_MAX 100000
static void *temp[TEMP_MAX]; /* static: the program's only blocks are the ones it is told to make */
static size_t temp_count;

static void must(void *p)
{
    if (!p) {
        fprintf(stderr, "allocation failed\n");
        exit(3);
    }
}

NOINLINE static void leak_early(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(malloc(s));
}

NOINLINE static void leak_late(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(malloc(s));
}

NOINLINE static void leak_inner(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(malloc(s));
}

NOINLINE static void leak_outer(long n, size_t s) { leak_inner(n, s); }

struct leak_job {
    long n;
    size_t s;
};

NOINLINE static void leak_thread(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(malloc(s));
}

static void *leaking_thread(void *arg)
{
    struct leak_job *job = arg;
    leak_thread(job->n, job->s);
    return NULL;
}

static void in_a_thread(long n, size_t s)
{
    struct leak_job job = {n, s};
    pthread_t tid;
    if (pthread_create(&tid, NULL, leaking_thread, &job) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        exit(3);
    }
    pthread_join(tid, NULL);
}

static void timer_fired(union sigval v)
{
    sem_post(v.sival_ptr);
}

static void timer_thread(void)
{
    sem_t fired;
    sem_init(&fired, 0, 0);
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = timer_fired};
    ev.sigev_value.sival_ptr = &fired;
    timer_t timer;
    struct itimerspec once = {.it_value = {0, 1000000}};
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0 || timer_settime(timer, 0, &once, NULL) != 0) {
        perror("timer");
        exit(3);
    }
    while (sem_wait(&fired) != 0) {
    }
    timer_delete(timer);
}

static void *wait_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void idle_thread(void)
{
    pthread_t tid;
    if (pthread_create(&tid, NULL, wait_forever, NULL) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        exit(3);
    }
}

static void run_plugin(const char *path, long n, size_t s)
{
    void *lib = dlopen(path, RTLD_NOW);
    void (*plugin_run)(int, size_t) = lib ? (void (*)(int, size_t))dlsym(lib, "plugin_run") : NULL;
    if (!plugin_run) {
        fprintf(stderr, "plugin: %s\n", dlerror());
        exit(3);
    }
    plugin_run((int)n, s);
    dlclose(lib);
}

/* A tracer that keeps the program's descriptors while it writes a
 * snapshot holds this pipe open until it is done. */
static void pipe_eof(const char *path)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(3);
    }
    kill(getpid(), SIGUSR1);
    close(fds[1]);
    struct pollfd end = {.fd = fds[0], .events = POLLIN};
    char c;
    bool eof = poll(&end, 1, 10000) == 1 && read(fds[0], &c, 1) == 0;
    struct stat st;
    fprintf(stderr, "pipe-eof: %s\n",
            !eof ? "no eof" : stat(path, &st) == 0 ? "present" : "absent");
    close(fds[0]);
}

NOINLINE static void temp_alloc(long n, size_t s)
{
    for (long i = 0; i < n && temp_count < TEMP_MAX; i++)
        must(temp[temp_count++] = malloc(s));
}

NOINLINE static void free_temp(void)
{
    for (size_t i = 0; i < temp_count; i++)
        free(temp[i]);
    temp_count = 0;
}

NOINLINE static void leak_child(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(malloc(s));
}

static void fork_child(long n, size_t s)
{
    pid_t child = fork();
    if (child == 0) {
        free_temp();
        leak_child(n, s);
        exit(0);
    }
    int status = -1;
    if (child > 0)
        waitpid(child, &status, 0);
    fprintf(stderr, "fork-child: pid %d status %d\n", (int)child, status);
}

int main(void)
{
    char line[4096], arg[4096];
    long n;
    size_t s;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (sscanf(line, "early %ld %zu", &n, &s) == 2)
            leak_early(n, s);
        else if (sscanf(line, "late %ld %zu", &n, &s) == 2)
            leak_late(n, s);
        else if (sscanf(line, "temp %ld %zu", &n, &s) == 2)
            temp_alloc(n, s);
        else if (sscanf(line, "inner %ld %zu", &n, &s) == 2)
            leak_outer(n, s);
        else if (sscanf(line, "thread %ld %zu", &n, &s) == 2)
            in_a_thread(n, s);
        else if (strcmp(line, "timer-thread") == 0)
            timer_thread();
        else if (strcmp(line, "idle-thread") == 0)
            idle_thread();
        else if (sscanf(line, "plugin %4095s %ld %zu", arg, &n, &s) == 3)
            run_plugin(arg, n, s);
        else if (sscanf(line, "pipe-eof %4095s", arg) == 1)
            pipe_eof(arg);
        else if (strcmp(line, "free-temp") == 0)
            free_temp();
        else if (sscanf(line, "fork-child %ld %zu", &n, &s) == 2)
            fork_child(n, s);
        else if (sscanf(line, "chdir %4095s", arg) == 1 && chdir(arg) != 0)
            perror("chdir");
        else if (sscanf(line, "exit %ld", &n) == 1)
            exit((int)n);
        printf("ok %s\n", line);
        if (strcmp(line, "exec") == 0) {
            execl("/proc/self/exe", "heap_steps", (char *)NULL);
            perror("exec");
            return 4;
        }
    }
    return 0;
}
