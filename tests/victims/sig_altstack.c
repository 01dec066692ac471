/* sig_altstack SIGNALS SIZE: a handler on an 8 KiB alternate signal stack
 * (SIGSTKSZ of old, with an inaccessible guard page below it) leaks one
 * block of SIZE bytes in leak_in_handler and opens and closes a descriptor,
 * for each of SIGNALS signals; then main leaks SIGNALS blocks in leak_after.
 * Traced, the handler must not overflow its stack (libunwind and the loader's
 * lazy binding each needed more than 8 KiB). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALT_STACK 8192

static volatile sig_atomic_t handled;
static size_t size;

__attribute__((noinline)) static void leak_in_handler(void)
{
    char *volatile p = malloc(size);
    p[0] = 1;
}

static void handler(int sig)
{
    (void)sig;
    leak_in_handler();
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0)
        close(fd);
    handled++;
}

__attribute__((noinline)) static void leak_after(int n)
{
    for (int i = 0; i < n; i++) {
        char *volatile p = malloc(size);
        p[0] = 2;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int signals = atoi(argv[1]);
    size = strtoul(argv[2], NULL, 10);
    long page = sysconf(_SC_PAGESIZE);
    char *region = mmap(NULL, page + ALT_STACK, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED || mprotect(region + page, ALT_STACK, PROT_READ | PROT_WRITE) != 0)
        return 3;
    stack_t st = {.ss_sp = region + page, .ss_size = ALT_STACK, .ss_flags = 0};
    if (sigaltstack(&st, NULL) != 0)
        return 4;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    for (int i = 0; i < signals; i++)
        raise(SIGUSR2);
    leak_after(signals);
    printf("handler ran %d times on an %d-byte alternate stack\n", (int)handled, ALT_STACK);
    return 0;
}
