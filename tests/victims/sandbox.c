/* A program that sandboxes itself with seccomp, as sshd's pre-auth child,
 * vsftpd or file(1) do: after the filter, any system call outside a short
 * list kills the whole process.
 *
 *   sandbox MODE
 *
 * MODE: prctl (a filter on the calling thread, PR_SET_SECCOMP), tsync (one
 * on every thread, seccomp(2) with SECCOMP_FILTER_FLAG_TSYNC), libc (like
 * prctl, but through syscall(SYS_seccomp)), high (the same with junk in
 * the operation's upper 32 bits, which the kernel ignores), listener (the same with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER: success returns a descriptor), fork
 * (prctl, then fork(): a child that allocates and exits), exec (prctl, then a
 * child that execs this program with the argument "hello", which says hello
 * and exits), thread (prctl, then a thread that leaks 5 blocks of 3000 bytes
 * from in_thread()) or strict (strict mode: only read, write, exit and
 * sigreturn are left; it frees instead of allocating and ends by
 * SYS_exit).
 *
 * Leaks 3 blocks of 1000 bytes from before_sandbox(), installs the filter,
 * leaks 4 blocks of 2000 bytes from in_sandbox(), writes "sandboxed", waits
 * for one byte on stdin (a test can signal it meanwhile), writes "done" and
 * returns from main. Exit status 0 when nothing was killed. */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *sink[32];
static int sunk;

__attribute__((noinline)) static void before_sandbox(void)
{
    for (int i = 0; i < 3; i++)
        sink[sunk++] = malloc(1000);
}

__attribute__((noinline)) static void in_sandbox(void)
{
    for (int i = 0; i < 4; i++) {
        sink[sunk] = malloc(2000);
        memset(sink[sunk++], 1, 2000);
    }
}

__attribute__((noinline)) static void *in_thread(void *unused)
{
    for (int i = 0; i < 5; i++)
        sink[16 + i] = malloc(3000);
    return unused;
}

/* What a service's sandbox typically allows: reading and writing what it
 * already has open, memory, futexes, signals, time, exit. No open, no
 * rename, no poll, no sigaltstack, no clone. */
static const int allowed[] = {
    SYS_read,          SYS_write,        SYS_writev,      SYS_close,        SYS_exit,
    SYS_exit_group,    SYS_brk,          SYS_mmap,        SYS_munmap,       SYS_mremap,
    SYS_madvise,       SYS_mprotect,     SYS_futex,       SYS_rt_sigreturn, SYS_rt_sigprocmask,
    SYS_rt_sigaction,  SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep, SYS_getpid,
    SYS_gettid,        SYS_fstat,        SYS_newfstatat,  SYS_lseek,        SYS_restart_syscall,
    SYS_wait4,         SYS_getrandom,
};

/* fork, exec and thread modes also allow what glibc's fork() and
 * pthread_create make; exec mode what execve and the dynamic loader make. */
static const int allowed_to_start[] = {SYS_clone, SYS_clone3, SYS_set_robust_list, SYS_rseq};
static const int allowed_to_exec[] = {SYS_execve,   SYS_access,          SYS_arch_prctl,
                                      SYS_openat,   SYS_pread64,         SYS_prlimit64,
                                      SYS_ioctl,    SYS_set_tid_address};

static void allow(struct sock_filter *code, int *k, const int *list, int n)
{
    for (int i = 0; i < n; i++) {
        code[(*k)++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)list[i], 0, 1);
        code[(*k)++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
}

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct sock_fprog make_filter(bool starting, bool execing)
{
    static struct sock_filter code[4 + 2 * (COUNT(allowed) + COUNT(allowed_to_start) +
                                            COUNT(allowed_to_exec)) + 1];
    int k = 0;
    code[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                             offsetof(struct seccomp_data, arch));
    code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    code[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                             offsetof(struct seccomp_data, nr));
    allow(code, &k, allowed, COUNT(allowed));
    if (starting || execing)
        allow(code, &k, allowed_to_start, COUNT(allowed_to_start));
    if (execing)
        allow(code, &k, allowed_to_exec, COUNT(allowed_to_exec));
    code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    return (struct sock_fprog){(unsigned short)k, code};
}

static void say(const char *s)
{
    if (write(STDOUT_FILENO, s, strlen(s)) < 0)
        _exit(3);
}

static void exec_hello(void)
{
    execl("/proc/self/exe", "sandbox", "hello", (char *)NULL);
    _exit(127);
}

static void allocate_and_exit(void)
{
    in_sandbox();
    say("child\n");
    exit(0);
}

/* Runs body in a forked child (it does not return) and says `failure`
 * unless the child exits 0. */
static void in_child(void (*body)(void), const char *failure)
{
    pid_t pid = fork();
    if (pid == 0)
        body();
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        say(failure);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "prctl";
    if (strcmp(mode, "hello") == 0) {
        say("hello from exec\n");
        return 0;
    }
    before_sandbox();
    say("before\n");
    bool forking = strcmp(mode, "fork") == 0, threading = strcmp(mode, "thread") == 0;
    bool execing = strcmp(mode, "exec") == 0;
    struct sock_fprog prog = make_filter(forking || threading, execing);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        perror("sandbox: no_new_privs");
        return 2;
    }
    long rc;
    if (strcmp(mode, "tsync") == 0)
        rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
    else if (strcmp(mode, "libc") == 0)
        rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
    else if (strcmp(mode, "high") == 0)
        rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER | 1ul << 32, 0, &prog);
    else if (strcmp(mode, "listener") == 0)
        rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog) > 0 ? 0 : -1;
    else if (strcmp(mode, "strict") == 0)
        rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
    else
        rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    if (rc != 0) {
        perror("sandbox: seccomp");
        return 2;
    }
    if (strcmp(mode, "strict") == 0) {
        for (int i = 0; i < 3; i++)
            free(sink[i]);
        say("sandboxed\n");
        char c;
        if (read(STDIN_FILENO, &c, 1) < 0)
            syscall(SYS_exit, 3);
        say("done\n");
        syscall(SYS_exit, 0);
    }
    if (execing)
        in_child(exec_hello, "exec failed\n");
    if (forking)
        in_child(allocate_and_exit, "child failed\n");
    if (threading) {
        pthread_t t;
        if (pthread_create(&t, NULL, in_thread, NULL) != 0 || pthread_join(t, NULL) != 0)
            say("thread failed\n");
    }
    in_sandbox();
    say("sandboxed\n");
    char c;
    if (read(STDIN_FILENO, &c, 1) < 0)
        return 3;
    say("done\n");
    return 0;
}
