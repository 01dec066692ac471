#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <math.h> /* isfinite, a macro: no libm */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

struct lt_config lt_config;

static const struct { const char *name; int sig; } signal_names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},       {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},   {"SYS", SIGSYS},
};

/* Signals a snapshot trigger must never take: they cannot be caught, the
 * process relies on them for faults, or their default action is to be
 * ignored or to stop the process (a handler would turn every child's exit,
 * window resize or resume into a snapshot, interrupt sleeps the signal never
 * interrupted, or keep Ctrl-Z from stopping the program). */
static bool signal_usable(int sig)
{
    static const int refused[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGABRT,
                                  SIGTRAP, SIGCHLD, SIGCONT, SIGURG,  SIGWINCH, SIGTSTP, SIGTTIN,
                                  SIGTTOU};
    if (sig <= 0 || sig >= NSIG)
        return false;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (sig == refused[i])
            return false;
    return true;
}

static bool parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

static int parse_rt_signal(const char *s)
{
    int base = strncasecmp(s, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
    const char *rest = s + 5;
    long off = 0;
    if (*rest && !(rest[0] == (base == SIGRTMIN ? '+' : '-') && parse_long(rest + 1, &off)))
        return -1;
    long sig = base == SIGRTMIN ? base + off : base - off;
    return sig >= SIGRTMIN && sig <= SIGRTMAX ? (int)sig : -1;
}

int lt_config_parse_signal(const char *s)
{
    long num;
    if (strcasecmp(s, "none") == 0)
        return 0;
    if (parse_long(s, &num))
        return signal_usable((int)num) && num < NSIG ? (int)num : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0)
        return parse_rt_signal(s);
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (strcasecmp(s, signal_names[i].name) == 0)
            return signal_usable(signal_names[i].sig) ? signal_names[i].sig : -1;
    return -1;
}

static void bad_value(const char *var, const char *val, const char *why, const char *dflt)
{
    lt_warn("%s=%s: %s; using %s", var, val, why, dflt);
}

static bool load_bool(const char *var, bool dflt)
{
    const char *v = getenv(var);
    if (!v)
        return dflt;
    if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)
        return v[0] == '1';
    bad_value(var, v, "expected 0 or 1", dflt ? "1" : "0");
    return dflt;
}

static long load_long(const char *var, long dflt, long lo, long hi)
{
    const char *v = getenv(var);
    long n;
    char buf[32];
    if (!v)
        return dflt;
    snprintf(buf, sizeof buf, "%ld", dflt);
    if (!parse_long(v, &n)) {
        bad_value(var, v, "not an integer", buf);
        return dflt;
    }
    if (n < lo || n > hi) {
        long clamped = n < lo ? lo : hi;
        snprintf(buf, sizeof buf, "%ld", clamped);
        bad_value(var, v, n < lo ? "below the minimum" : "above the maximum", buf);
        return clamped;
    }
    return n;
}

static double load_interval(void)
{
    const char *v = getenv("LEAKTRACE_INTERVAL");
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d)) {
        bad_value("LEAKTRACE_INTERVAL", v, "not a number of seconds", "0");
        return 0;
    }
    if (d < 0) {
        bad_value("LEAKTRACE_INTERVAL", v, "negative", "0");
        return 0;
    }
    if (d > 0 && d < 0.01) {
        bad_value("LEAKTRACE_INTERVAL", v, "below the minimum of 0.01 s", "0.01");
        return 0.01;
    }
    /* Far beyond any useful period, and small enough that the trigger's
     * millisecond deadlines cannot overflow. */
    if (d > LT_INTERVAL_MAX) {
        bad_value("LEAKTRACE_INTERVAL", v, "above the maximum of 31536000 s (a year)", "31536000");
        return LT_INTERVAL_MAX;
    }
    return d;
}

static void load_signal(void)
{
    const char *v = getenv("LEAKTRACE_SIGNAL");
    lt_config.signal = SIGUSR1;
    if (!v)
        return;
    int sig = lt_config_parse_signal(v);
    if (sig < 0)
        bad_value("LEAKTRACE_SIGNAL", v, "not a usable signal name or number", "USR1");
    else
        lt_config.signal = sig;
}

static void load_out_prefix(void)
{
    const char *v = getenv("LEAKTRACE_OUT");
    char *dst = lt_config.out_prefix;
    size_t cap = sizeof lt_config.out_prefix;
    if (v && !*v) {
        bad_value("LEAKTRACE_OUT", v, "empty", "leaktrace");
        v = NULL;
    }
    if (!v)
        v = "leaktrace";
    if (v[0] == '/') {
        snprintf(dst, cap, "%s", v);
        return;
    }
    /* Resolved now, so that a later chdir() does not move the output. */
    if (!getcwd(dst, cap - 2)) {
        lt_warn("cannot read the working directory (%s); LEAKTRACE_OUT=%s stays relative",
                strerror(errno), v);
        snprintf(dst, cap, "%s", v);
        return;
    }
    size_t n = strlen(dst);
    snprintf(dst + n, cap - n, "%s%s", dst[n - 1] == '/' ? "" : "/", v);
}

static void load_http(void)
{
    const char *v = getenv("LEAKTRACE_HTTP");
    if (!v || !*v)
        return;
    const char *colon = strrchr(v, ':');
    long port;
    if (!colon || colon == v || !parse_long(colon + 1, &port) || port < 1 || port > 65535 ||
        strlen(v) >= sizeof lt_config.http) {
        bad_value("LEAKTRACE_HTTP", v, "expected HOST:PORT", "no endpoint");
        return;
    }
    snprintf(lt_config.http, sizeof lt_config.http, "%s", v);
}

static void load_exe_path(void)
{
    ssize_t n = readlink("/proc/self/exe", lt_config.exe_path, sizeof lt_config.exe_path - 1);
    lt_config.exe_path[n > 0 ? n : 0] = 0;
}

void lt_config_load(void)
{
    load_exe_path();
    lt_config.quiet = load_bool("LEAKTRACE_QUIET", false);
    load_out_prefix();
    load_signal();
    lt_config.at_exit = load_bool("LEAKTRACE_AT_EXIT", true);
    lt_config.interval = load_interval();
    lt_config.depth = (int)load_long("LEAKTRACE_DEPTH", 64, 1, LT_DEPTH_MAX);
    lt_config.sample = (uint64_t)load_long("LEAKTRACE_SAMPLE", 0, 0, 1L << 40);
    lt_config.fd = load_bool("LEAKTRACE_FD", true);
    load_http();
    lt_config.report = load_bool("LEAKTRACE_REPORT", true);
    lt_config.symbolize = (int)load_long("LEAKTRACE_SYMBOLIZE", LT_SYMBOLIZE_OWN, LT_SYMBOLIZE_NONE, LT_SYMBOLIZE_ALL);
}
