/* LEAKTRACE_* settings, parsed once at start-up. */
#ifndef LT_CONFIG_H
#define LT_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define LT_DEPTH_MAX 256

/* LEAKTRACE_SYMBOLIZE: what the profile says about each address. */
enum {
    LT_SYMBOLIZE_NONE = 0, /* addresses, mappings, build ids */
    LT_SYMBOLIZE_OWN = 1,  /* + names; file:line and inlined frames from DWARF inside the object */
    LT_SYMBOLIZE_ALL = 2,  /* + DWARF from separate debug files (/usr/lib/debug) too */
};

#define LT_INTERVAL_MAX 31536000.0 /* a year, in seconds */

struct lt_config {
    char out_prefix[PATH_MAX]; /* absolute */
    char exe_path[PATH_MAX];   /* the program's file, read at start: /proc/self/exe
                                * becomes unreadable once a setuid makes the process
                                * non-dumpable */
    int signal;                /* 0: no signal snapshots */
    bool at_exit;
    double interval;           /* seconds; 0: off; at most LT_INTERVAL_MAX */
    int depth;                 /* 1..LT_DEPTH_MAX */
    uint64_t sample;           /* mean bytes between samples; 0: exact */
    bool fd;
    char http[256];            /* HOST:PORT, empty: off */
    bool http_allow_remote;    /* LEAKTRACE_HTTP_ALLOW_REMOTE: serve beyond loopback */
    bool quiet;
    bool report;               /* leak report on stderr at exit */
    int symbolize;             /* LT_SYMBOLIZE_* */
};

extern struct lt_config lt_config;

/* Reads the environment; prints one line per bad value, keeps defaults. */
void lt_config_load(void);

#endif
