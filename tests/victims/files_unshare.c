/* A pipe's write end closed in a descriptor table the thread unshared:
 * by close_range(CLOSE_RANGE_UNSHARE) and by unshare(CLONE_FILES) then
 * close. The read end must then see the pipe's end (read returns 0) at
 * once, as untraced: no other thread may keep the write end open in the
 * table the process had before.
 *
 *   files_unshare
 *
 * Prints one line per way: "WAY: end seen" or "WAY: no end after 1 s". */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/close_range.h>

static void report(const char *way, int rd)
{
    struct pollfd pf = {rd, POLLIN, 0};
    char c;
    bool end = poll(&pf, 1, 1000) == 1 && read(rd, &c, 1) == 0;
    printf("%s: %s\n", way, end ? "end seen" : "no end after 1 s");
    close(rd);
}

int main(void)
{
    int p[2];
    if (pipe(p) != 0 || close_range(p[1], p[1], CLOSE_RANGE_UNSHARE) != 0)
        return 1;
    report("close_range(CLOSE_RANGE_UNSHARE)", p[0]);
    if (pipe(p) != 0 || unshare(CLONE_FILES) != 0)
        return 1;
    close(p[1]);
    report("unshare(CLONE_FILES), close", p[0]);
    return 0;
}
