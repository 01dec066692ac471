/* longjmp and its kin: a signal handler of the program that interrupted a
 * hook (a malloc in progress) and jumps back into the program abandons the
 * hook's frame, and with it the hook's guard (guard.h). Left set, the guard
 * made every later hook of that thread pass straight through: its
 * allocations and frees went unrecorded for good (a SIGALRM handler that
 * siglongjmps out of a loop of mallocs lost every allocation after the
 * first jump). The guard goes when the jump lands above the hook's frame
 * on the thread's stack; a jump that stays inside (a handler's own
 * setjmp/longjmp, on top of the hook) keeps it.
 *
 * The locks the hook held are let go (lt_held): what it was changing is
 * left half done, which costs at worst a block counted wrongly. A jump out
 * of glibc's malloc itself leaves its arena locked, traced or not: POSIX
 * makes neither safe, malloc not being async-signal-safe. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdint.h>

#include "guard.h"
#include "live.h"
#include "resolve.h"
#include "stacks.h"
#include "trigger.h"
#include "walk.h"

typedef void (*jump_fn)(struct __jmp_buf_tag *env, int value) __attribute__((noreturn));

static void *_Atomic real_longjmp, *_Atomic real_siglongjmp, *_Atomic real_underscore_longjmp,
    *_Atomic real_longjmp_chk;

void lt_jump_hooks_init(void)
{
    /* now, not in a signal handler: dlsym is not async-signal-safe */
    lt_resolve_next_once(&real_longjmp, "longjmp");
    lt_resolve_next_once(&real_siglongjmp, "siglongjmp");
    lt_resolve_next_once(&real_underscore_longjmp, "_longjmp");
    lt_resolve_next_once(&real_longjmp_chk, "__longjmp_chk");
}

/* glibc x86-64 keeps the target's stack pointer in __jmpbuf[6], mangled
 * with the thread's pointer guard (%fs:0x30): xor, then rotate left 17. */
#define JMPBUF_RSP 6

static uintptr_t jump_target_sp(const struct __jmp_buf_tag *env)
{
    uintptr_t guard, v = (uintptr_t)env->__jmpbuf[JMPBUF_RSP];
    __asm__("mov %%fs:0x30, %0" : "=r"(guard));
    v = v >> 17 | v << (64 - 17);
    return v ^ guard;
}

/* The hook's guard goes, and the locks it held are let go; unless it was
 * reading unwind rules (the loader's lock, libdw's state half changed):
 * then the guard stays and the thread's hooks pass straight through, as
 * before, rather than risk them. */
static void leave_abandoned_hook(const struct __jmp_buf_tag *env)
{
    if (lt_guard_flag != LT_GUARD_HOOK || lt_held.rule_lock)
        return;
    uintptr_t target = jump_target_sp(env);
    if (target <= lt_guard_frame || !lt_walk_on_thread_stack(target))
        return; /* it stays inside the hook (a handler's own jump) */
    lt_live_release_abandoned();
    if (lt_held.insert_lock)
        lt_stacks_release_abandoned();
    if (lt_held.gate)
        lt_capture_gate_leave();
    lt_guard_flag = 0;
}

static __attribute__((noreturn)) void jump(void *_Atomic *slot, const char *name,
                                            struct __jmp_buf_tag *env, int value)
{
    leave_abandoned_hook(env);
    jump_fn real = (jump_fn)lt_resolve_next_once(slot, name);
    if (!real)
        __builtin_trap(); /* libc without it: cannot be */
    real(env, value);
}

LT_EXPORT __attribute__((noreturn)) void longjmp(struct __jmp_buf_tag env[1], int value)
{
    jump(&real_longjmp, "longjmp", env, value);
}

LT_EXPORT __attribute__((noreturn)) void siglongjmp(struct __jmp_buf_tag env[1], int value)
{
    jump(&real_siglongjmp, "siglongjmp", env, value);
}

LT_EXPORT __attribute__((noreturn)) void _longjmp(struct __jmp_buf_tag env[1], int value)
{
    jump(&real_underscore_longjmp, "_longjmp", env, value);
}

LT_EXPORT __attribute__((noreturn)) void __longjmp_chk(struct __jmp_buf_tag env[1], int value)
{
    jump(&real_longjmp_chk, "__longjmp_chk", env, value);
}
