/* Fork with known heaps on both sides.
 *
 *   heap_fork N1 S1 N2 S2 N3 S3 N4 S4
 *
 * Before fork: parent_before leaks N1 x S1; temp_before allocates N2 x S2.
 * Child: child_leak leaks N3 x S3, child_free frees the N2 inherited temp
 * blocks, then it raises the snapshot signal (SIGUSR1), waits for its file
 * $LEAKTRACE_OUT.<pid>.0001.heap.pb.gz and exits 0 (exit snapshot 0002).
 * Parent: parent_after leaks N4 x S4, waits for the child, prints
 * "child PID status STATUS" and returns 0 (exit snapshot 0001).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *temp[100000];

static void must(void *p)
{
    if (!p)
        _exit(3);
}

NOINLINE static void parent_before(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(malloc(s));
}

NOINLINE static void temp_before(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(temp[i] = malloc(s));
}

NOINLINE static void child_leak(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(malloc(s));
}

NOINLINE static void child_free(long n)
{
    for (long i = 0; i < n; i++)
        free(temp[i]);
}

NOINLINE static void parent_after(long n, size_t s)
{
    for (long i = 0; i < n; i++)
        must(malloc(s));
}

static int child(long n2, long n3, size_t s3)
{
    child_leak(n3, s3);
    child_free(n2);
    char path[4096];
    const char *out = getenv("LEAKTRACE_OUT");
    snprintf(path, sizeof path, "%s.%d.0001.heap.pb.gz", out ? out : "leaktrace", (int)getpid());
    raise(SIGUSR1);
    for (int i = 0; i < 400 && access(path, F_OK) != 0; i++)
        usleep(50 * 1000);
    return access(path, F_OK) == 0 ? 0 : 4;
}

int main(int argc, char **argv)
{
    if (argc != 9 || atol(argv[3]) > 100000) {
        fprintf(stderr, "usage: %s N1 S1 N2(<=100000) S2 N3 S3 N4 S4\n", argv[0]);
        return 2;
    }
    long n[4];
    size_t s[4];
    for (int i = 0; i < 4; i++) {
        n[i] = atol(argv[1 + 2 * i]);
        s[i] = strtoul(argv[2 + 2 * i], NULL, 10);
    }
    parent_before(n[0], s[0]);
    temp_before(n[1], s[1]);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0)
        exit(child(n[1], n[2], s[2]));
    parent_after(n[3], s[3]);
    int status;
    waitpid(pid, &status, 0);
    printf("child %d status %d\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
