/* dl_fork PLUGIN ROUNDS FORKS COUNT SIZE: a thread dlopens PLUGIN, has it
 * leak COUNT blocks of SIZE bytes and dlcloses it, ROUNDS times, while the
 * main thread forks FORKS children; each child allocates from code the
 * parent never ran (so the tracer must read unwind rules, which a dlclose in
 * the parent may have been forgetting at the fork) and exits 0. The child
 * calls no dlopen: after a fork while another thread is in dlopen, glibc's
 * own loader state may be inconsistent; nor exit (see below). A child that has not exited after
 * 20 s is killed and counted as hung. Prints "forks F hung H failed X". */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *plugin;
static int rounds, count;
static size_t size;

static int load_and_leak(void)
{
    void *h = dlopen(plugin, RTLD_NOW);
    if (!h)
        return 1;
    void (*run)(int, size_t) = (void (*)(int, size_t))dlsym(h, "plugin_run");
    run(count, size);
    dlclose(h);
    return 0;
}

static void *loader(void *arg)
{
    (void)arg;
    for (int r = 0; r < rounds; r++)
        load_and_leak();
    return NULL;
}

__attribute__((noinline)) void *child_only_site(size_t n) { return malloc(n); }

__attribute__((noinline)) static int child_work(void)
{
    for (int i = 0; i < count; i++)
        if (!child_only_site(size))
            return 1;
    return 0;
}

/* 0: exited 0; 1: failed; 2: hung (killed) */
static int reap(pid_t pid)
{
    for (int i = 0; i < 2000; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    plugin = argv[1];
    rounds = atoi(argv[2]);
    int forks = atoi(argv[3]);
    count = atoi(argv[4]);
    size = strtoul(argv[5], NULL, 10);
    pthread_t tid;
    pthread_create(&tid, NULL, loader, NULL);
    int hung = 0, failed = 0;
    for (int f = 0; f < forks; f++) {
        pid_t pid = fork();
        if (pid == 0) /* _exit: exit's destructors take the loader lock, which
                       * the other thread may have held at the fork */
            _exit(child_work());
        int r = pid < 0 ? 1 : reap(pid);
        hung += r == 2;
        failed += r == 1;
    }
    pthread_join(tid, NULL);
    printf("forks %d hung %d failed %d\n", forks, hung, failed);
    return 0;
}
