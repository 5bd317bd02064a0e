/* lock.h: one flock per stage, data_dir/lock/<stage>.
 *
 * A stage holds its lock only while it works (one pass), never while it
 * sleeps, so a copy run by hand with --once and the supervised copy take
 * turns. The holder's pid is written into the lock file so that a waiter
 * can say who it waits for.
 */
#ifndef MCSPOOL_LOCK_H
#define MCSPOOL_LOCK_H

/* Open (creating) lockdir/<stage>. Dies with a clear message on failure. */
int lock_open(int lockdir, const char *stage);
/* Take the lock, waiting if it is held (and saying by whom, once).
 * Returns 0, or -1 if interrupted by a stop request (see wake.h). */
int lock_take(int fd, const char *stage);
/* Try without waiting: 0 taken, 1 busy (*holder set to the pid, 0 if unknown). */
int lock_try(int fd, long *holder);
void lock_release(int fd);

#endif
