/* Threads whose first act is pthread_getattr_np on themselves, as the
 * JVM's and Rust's thread starts are: glibc allocates inside it, holding
 * the thread's lock.
 *
 *   thread_getattr THREADS COUNT SIZE
 *
 * Each thread then leaks COUNT blocks of SIZE bytes from after_getattr();
 * main prints "ok" once all have joined. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long count, size;

__attribute__((noinline)) static void after_getattr(void)
{
    for (long i = 0; i < count; i++)
        memset(malloc((size_t)size), 1, (size_t)size);
}

static void *run(void *arg)
{
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return arg;
    pthread_attr_destroy(&attr);
    after_getattr();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int threads = atoi(argv[1]);
    count = atol(argv[2]);
    size = atol(argv[3]);
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, run, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
    }
    puts("ok");
    return 0;
}
