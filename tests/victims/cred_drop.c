/* cred_drop UID GID COUNT SIZE: leaks COUNT blocks of SIZE bytes in
 * before_drop_site, drops to UID/GID (setgroups, setgid, setuid) with a
 * second thread running, leaks as many again in after_drop_site, prints
 * "dropped", and exits when a line arrives on stdin. */
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) static void *before_drop_site(size_t n) { void *p = malloc(n); memset(p, 1, n); return p; }
__attribute__((noinline)) static void *after_drop_site(size_t n) { void *p = malloc(n); memset(p, 2, n); return p; }

static void *idle(void *arg) { (void)arg; pause(); return NULL; }

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    uid_t uid = (uid_t)atoi(argv[1]);
    gid_t gid = (gid_t)atoi(argv[2]);
    int count = atoi(argv[3]);
    size_t size = strtoul(argv[4], NULL, 10);
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    for (int i = 0; i < count; i++)
        before_drop_site(size);
    if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        perror("drop");
        return 1;
    }
    for (int i = 0; i < count; i++)
        after_drop_site(size);
    printf("dropped to %d\n", (int)getuid());
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    return 0;
}
