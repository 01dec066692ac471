/* dl_host PLUGIN ROUNDS COUNT SIZE THREADS CHURN: one thread dlopens PLUGIN,
 * has it leak COUNT blocks of SIZE bytes, and dlcloses it, ROUNDS times;
 * meanwhile THREADS threads each do CHURN malloc/free pairs and leak one
 * 32-byte block per 100 pairs in churn_leak_site. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int churn;

__attribute__((noinline)) static void *churn_leak_site(void) { return malloc(32); }

static void *churner(void *arg)
{
    (void)arg;
    for (int i = 1; i <= churn; i++) {
        free(malloc(16 + i % 200));
        if (i % 100 == 0)
            churn_leak_site();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 7)
        return 2;
    int rounds = atoi(argv[2]), count = atoi(argv[3]), threads = atoi(argv[5]);
    size_t size = strtoul(argv[4], NULL, 10);
    churn = atoi(argv[6]);
    pthread_t tid[16];
    for (int i = 0; i < threads && i < 16; i++)
        pthread_create(&tid[i], NULL, churner, NULL);
    for (int r = 0; r < rounds; r++) {
        void *h = dlopen(argv[1], RTLD_NOW);
        if (!h) {
            fprintf(stderr, "%s\n", dlerror());
            return 1;
        }
        void (*run)(int, size_t) = (void (*)(int, size_t))dlsym(h, "plugin_run");
        run(count, size);
        dlclose(h);
    }
    for (int i = 0; i < threads && i < 16; i++)
        pthread_join(tid[i], NULL);
    printf("done\n");
    return 0;
}
