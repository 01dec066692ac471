/* The leak report printed at exit (LEAKTRACE_REPORT), like LeakSanitizer's
 * summary: what is still live, and the largest call stacks holding it. */
#ifndef LT_REPORT_H
#define LT_REPORT_H

/* heap_path: the exit snapshot's file, or NULL if none was written. The
 * caller holds the snapshot lock (the symbolizer is not shared). */
void lt_report_at_exit(const char *heap_path);

#endif
