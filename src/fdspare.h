/* The tracer's spare descriptor: one number of the tracer's range (see
 * fdtable.c) held in reserve, so that a snapshot can still be written when
 * the program has taken every other number its limit allows. */
#ifndef LT_FDSPARE_H
#define LT_FDSPARE_H

#include <sys/types.h>

/* At start-up, once the descriptor table is up (guard held). */
void lt_fd_spare_init(void);

/* open(2) for the tracer proper, the snapshot lock held. When the program
 * holds every number it may (EMFILE), the spare is let go and the open
 * tried once more, on the number that frees. The descriptor is the
 * tracer's (fdtable.c); close it with lt_fd_close_own, as soon as it can
 * be: it may hold the spare's number. */
int lt_fd_open_own(const char *path, int flags, mode_t mode);

/* accept4(2) for the tracer proper (the HTTP endpoint), the snapshot lock
 * held, the spare lent the same way: a program that holds every number is
 * the one whose descriptors one asks about. */
int lt_fd_accept_own(int listen_fd, int flags);

/* close(2) of a descriptor from lt_fd_open_own or lt_fd_accept_own, the
 * snapshot lock held; the spare is then taken back if it was let go.
 * Returns close's result, with its errno. */
int lt_fd_close_own(int fd);

#endif
