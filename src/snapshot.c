#define _GNU_SOURCE
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fdspare.h"
#include "io.h"
#include "log.h"
#include "symbolize.h"

#define NAME_MAX_LEN (PATH_MAX + 64)

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned snapshot_seq;

/* Creates tmp exclusively (never through a link: O_EXCL refuses any existing
 * name), writes, then renames over path. A symlink at path is refused. On
 * failure, why says what went wrong. */
static bool write_file_atomically(const char *path, const struct lt_buf *data, char *why,
                                  size_t cap)
{
    char tmp[NAME_MAX_LEN + 8];
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        snprintf(why, cap, "refusing to write %s: it is a symbolic link", path);
        return false;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* The spare's number if the program holds every other one (fdspare.c) */
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = lt_fd_open_own(tmp, flags, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) /* left by a killed run */
        fd = lt_fd_open_own(tmp, flags, 0600);
    if (fd < 0) {
        snprintf(why, cap, "cannot create %s: %s", tmp, strerror(errno));
        return false;
    }
    bool ok = lt_write_all(fd, data->data, data->len, false);
    int err = errno;
    ok = lt_fd_close_own(fd) == 0 && ok;
    if (ok && rename(tmp, path) != 0) {
        err = errno;
        ok = false;
    }
    if (!ok) {
        snprintf(why, cap, "cannot write %s: %s", path, strerror(err));
        unlink(tmp);
    }
    return ok;
}

static bool write_profile(enum lt_profile_kind kind, const char *path, char *why, size_t cap)
{
    struct lt_buf gz = {0};
    bool ok = lt_profile_build(kind, NULL, NULL, &gz);
    if (!ok)
        snprintf(why, cap, "out of memory while building %s", path);
    else
        ok = write_file_atomically(path, &gz, why, cap);
    lt_buf_release(&gz);
    return ok;
}

static void snapshot_path(char *path, const char *kind, int pid, unsigned seq)
{
    snprintf(path, NAME_MAX_LEN, "%s.%d.%04u.%s.pb.gz", lt_config.out_prefix, pid, seq, kind);
}

static bool regular_file_at(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The last SEQ already used by this PID's files, for the first snapshot of
 * a program image: an image exec'ed by this process (same PID) or a long
 * dead process with the same PID wrote under our names, and renaming over
 * their files would lose them. A run of SEQ_GAP free SEQs (failed
 * snapshots leave gaps) ends the search. Symbolic links are not files of
 * ours: the snapshot that meets one refuses it by name. */
#define SEQ_GAP 8
static unsigned last_seq_on_disk(int pid)
{
    char path[NAME_MAX_LEN];
    unsigned last = 0;
    for (unsigned seq = 1; seq <= last + SEQ_GAP; seq++) {
        snapshot_path(path, "heap", pid, seq);
        bool used = regular_file_at(path);
        if (!used) {
            snapshot_path(path, "fd", pid, seq);
            used = regular_file_at(path);
        }
        if (used)
            last = seq;
    }
    return last;
}

unsigned lt_snapshot_take_seq(int pid)
{
    if (snapshot_seq == 0)
        snapshot_seq = last_seq_on_disk(pid);
    return ++snapshot_seq;
}

const char *lt_snapshot_write_as(int pid, unsigned seq)
{
    static char written[NAME_MAX_LEN];
    char heap_path[NAME_MAX_LEN], fd_path[NAME_MAX_LEN];
    snapshot_path(heap_path, "heap", pid, seq);
    snapshot_path(fd_path, "fd", pid, seq);
    /* One line for a failed snapshot, naming its SEQ and what failed; after
     * the heap file, the fd file is not tried (the same directory would
     * refuse it again). */
    char why[NAME_MAX_LEN + 128];
    if (!write_profile(LT_PROFILE_HEAP, heap_path, why, sizeof why)) {
        lt_warn("snapshot %04u of process %d not written: %s", seq, pid, why);
        return NULL;
    }
    if (lt_config.fd && !write_profile(LT_PROFILE_FD, fd_path, why, sizeof why)) {
        lt_warn("snapshot %04u of process %d is incomplete: %s", seq, pid, why);
        return NULL;
    }
    lt_info("wrote %s%s%s", heap_path, lt_config.fd ? " " : "", lt_config.fd ? fd_path : "");
    memcpy(written, heap_path, sizeof written);
    return written;
}

const char *lt_snapshot_write(void)
{
    int pid = (int)getpid();
    return lt_snapshot_write_as(pid, lt_snapshot_take_seq(pid));
}

void lt_snapshot_lock(void) { pthread_mutex_lock(&snapshot_lock); }
bool lt_snapshot_trylock(void) { return pthread_mutex_trylock(&snapshot_lock) == 0; }
/* Letting go of the lock lets go of all the symbolizer read while it was
 * held (lt_symbolize_release): a program that goes on keeps none of libdw's
 * memory. The exit snapshot keeps the lock, and a writer process ends
 * holding it: neither releases what is about to go anyway. */
void lt_snapshot_unlock(void)
{
    lt_symbolize_release();
    pthread_mutex_unlock(&snapshot_lock);
}


bool lt_snapshot_after_fork_child(void)
{
    /* Locked at fork time means a snapshot thread of the parent was in the
     * middle of one: the symbolizer's state may be half-changed. */
    bool idle = pthread_mutex_trylock(&snapshot_lock) == 0;
    pthread_mutex_init(&snapshot_lock, NULL);
    snapshot_seq = 0;
    return idle;
}
