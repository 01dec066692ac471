#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <math.h> /* isfinite, a macro: no libm */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

struct lt_config lt_config;

static const struct { const char *name; int sig; } signal_names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},       {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},   {"SYS", SIGSYS},       {"KILL", SIGKILL}, {"STOP", SIGSTOP},
    {"SEGV", SIGSEGV}, {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"ILL", SIGILL},
    {"ABRT", SIGABRT}, {"TRAP", SIGTRAP},
};

/* Why a snapshot trigger must not take sig, or NULL: it cannot be caught,
 * the process relies on it for faults, the C library keeps it for itself
 * (its first real-time signals, for thread cancellation and set*id), or its
 * default action is to be ignored or to stop the process (a handler would
 * turn every child's exit, window resize or resume into a snapshot,
 * interrupt sleeps the signal never interrupted, or keep Ctrl-Z from
 * stopping the program). */
static const char *signal_refusal(long sig)
{
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
    static const int quiet_by_default[] = {SIGCHLD, SIGCONT, SIGURG,  SIGWINCH,
                                           SIGTSTP, SIGTTIN, SIGTTOU};
    if (sig <= 0 || sig >= NSIG)
        return "not a signal number";
    if (sig == SIGKILL || sig == SIGSTOP)
        return "cannot be caught";
    if (sig > SIGSYS && sig < SIGRTMIN)
        return "reserved by the C library";
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        if (sig == faults[i])
            return "reports faults";
    for (size_t i = 0; i < sizeof quiet_by_default / sizeof quiet_by_default[0]; i++)
        if (sig == quiet_by_default[i])
            return "ignored or stops the program by default";
    return NULL;
}

/* A usable signal whose default action ends the program, which a handler
 * takes away: kill's TERM, Ctrl-C's INT, a closed pipe's PIPE, alarm()'s
 * ALRM no longer end it while it is traced. */
static bool signal_ends_program(int sig)
{
    return sig != SIGUSR1 && sig != SIGUSR2 && (sig < SIGRTMIN || sig > SIGRTMAX);
}

/* A decimal integer, surrounding blanks allowed; out of long's range is
 * *out = LONG_MIN or LONG_MAX with *overflow set (the caller clamps). */
static bool parse_long_range(const char *s, long *out, bool *overflow)
{
    char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!(*s >= '0' && *s <= '9') && !((*s == '-' || *s == '+') && s[1] >= '0' && s[1] <= '9'))
        return false;
    errno = 0;
    long v = strtol(s, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end || (errno && errno != ERANGE))
        return false;
    *overflow = errno == ERANGE;
    *out = v;
    return true;
}

static bool parse_long(const char *s, long *out)
{
    bool overflow;
    return parse_long_range(s, out, &overflow) && !overflow;
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

/* The number a signal spec names, usable or not; 0 for "none", -1 for no
 * signal at all. */
static int signal_number(const char *s)
{
    long num;
    if (strcasecmp(s, "none") == 0)
        return 0;
    if (parse_long(s, &num))
        return num > 0 && num < NSIG ? (int)num : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0)
        return parse_rt_signal(s);
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (strcasecmp(s, signal_names[i].name) == 0)
            return signal_names[i].sig;
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
    bool overflow;
    char buf[32];
    if (!v)
        return dflt;
    snprintf(buf, sizeof buf, "%ld", dflt);
    if (!parse_long_range(v, &n, &overflow)) {
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
    int sig = signal_number(v);
    const char *why = sig < 0 ? "not a signal name or number" : sig ? signal_refusal(sig) : NULL;
    if (why) {
        bad_value("LEAKTRACE_SIGNAL", v, why, "USR1");
        return;
    }
    lt_config.signal = sig;
    if (sig && signal_ends_program(sig))
        lt_warn("LEAKTRACE_SIGNAL=%s: this signal no longer ends the program while it is traced "
                "(it takes a snapshot instead); USR2 or RTMIN+3 are usually free", v);
}

/* A prefix naming a directory ("out/", ".", "..") takes the default file
 * name inside it: its files would otherwise be hidden ones (out/.PID...). */
static bool names_directory(const char *v)
{
    size_t n = strlen(v);
    const char *last = strrchr(v, '/');
    last = last ? last + 1 : v;
    return v[n - 1] == '/' || strcmp(last, ".") == 0 || strcmp(last, "..") == 0;
}

/* One line at start-up when the prefix's directory cannot take the files,
 * rather than only at the first snapshot (for most runs, the exit). */
static void check_out_directory(const char *v)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", lt_config.out_prefix);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    slash[slash == dir] = 0; /* "/p" -> "/" */
    struct stat st;
    const char *why = NULL;
    if (stat(dir, &st) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    else if (access(dir, W_OK | X_OK) != 0)
        why = strerror(errno);
    if (why)
        lt_warn("LEAKTRACE_OUT=%s: %s: %s; snapshots cannot be written there", v, dir, why);
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
    const char *file = names_directory(v) ? (v[strlen(v) - 1] == '/' ? "leaktrace" : "/leaktrace")
                                          : "";
    if (v[0] == '/') {
        snprintf(dst, cap, "%s%s", v, file);
    } else if (!getcwd(dst, cap - 2)) {
        /* Resolved now, so that a later chdir() does not move the output. */
        lt_warn("cannot read the working directory (%s); LEAKTRACE_OUT=%s stays relative",
                strerror(errno), v);
        snprintf(dst, cap, "%s%s", v, file);
        return;
    } else {
        size_t n = strlen(dst);
        snprintf(dst + n, cap - n, "%s%s%s", dst[n - 1] == '/' ? "" : "/", v, file);
    }
    check_out_directory(v);
}

static void load_http(void)
{
    const char *v = getenv("LEAKTRACE_HTTP");
    if (!v || !*v)
        return;
    const char *colon = strrchr(v, ':');
    long port;
    if (colon == v) { /* Go's ":6060" serves every interface: not without saying so */
        bad_value("LEAKTRACE_HTTP", v,
                  "no host (give 127.0.0.1 for this host only, or 0.0.0.0 with "
                  "LEAKTRACE_HTTP_ALLOW_REMOTE=1 for all interfaces)",
                  "no endpoint");
        return;
    }
    if (!colon || !parse_long(colon + 1, &port) || port < 1 || port > 65535 ||
        strlen(v) >= sizeof lt_config.http) {
        bad_value("LEAKTRACE_HTTP", v, "expected HOST:PORT", "no endpoint");
        return;
    }
    snprintf(lt_config.http, sizeof lt_config.http, "%s", v);
}

/* Every LEAKTRACE_* variable the tracer or its wrapper reads. */
static const char *const known_settings[] = {
    "OUT",   "SIGNAL", "AT_EXIT", "INTERVAL",  "DEPTH",        "SAMPLE",
    "FD",    "HTTP",   "QUIET",   "REPORT",    "SYMBOLIZE",    "HTTP_ALLOW_REMOTE",
    "LIB",   "UNWIND_CHECK",
};

/* Letters two names share, counted from the start and from the end: a
 * misspelling (LEAKTRACE_OUTPUT, LEAKTRACE_INTERVALS) keeps most of both. */
static size_t likeness(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b), head = 0, tail = 0;
    while (head < na && head < nb && a[head] == b[head])
        head++;
    while (tail < na - head && tail < nb - head && a[na - 1 - tail] == b[nb - 1 - tail])
        tail++;
    return head + tail;
}

/* One line for each LEAKTRACE_* variable that is not a setting (a typo
 * would otherwise pass silently), naming the closest setting. */
static void warn_unknown_settings(void)
{
    extern char **environ;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "LEAKTRACE_", 10) != 0)
            continue;
        const char *name = *e + 10, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const char *closest = NULL;
        size_t best = 0;
        bool known = false;
        for (size_t i = 0; i < sizeof known_settings / sizeof known_settings[0]; i++) {
            const char *k = known_settings[i];
            if (strlen(k) == len && strncmp(k, name, len) == 0)
                known = true;
            size_t l = likeness(name, len, k);
            if (l > best) {
                best = l;
                closest = k;
            }
        }
        if (known)
            continue;
        if (closest && best * 2 >= len)
            lt_warn("LEAKTRACE_%.*s: not a leaktrace setting (ignored); did you mean LEAKTRACE_%s?", (int)len,
                    name, closest);
        else
            lt_warn("LEAKTRACE_%.*s: not a leaktrace setting (ignored)", (int)len, name);
    }
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
    lt_config.http_allow_remote = load_bool("LEAKTRACE_HTTP_ALLOW_REMOTE", false);
    lt_config.report = load_bool("LEAKTRACE_REPORT", true);
    lt_config.symbolize = (int)load_long("LEAKTRACE_SYMBOLIZE", LT_SYMBOLIZE_OWN, LT_SYMBOLIZE_NONE, LT_SYMBOLIZE_ALL);
    warn_unknown_settings();
}
