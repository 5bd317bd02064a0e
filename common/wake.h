/* wake.h: signals and wake-ups for a stage's main loop.
 *
 * SIGTERM, SIGINT: stop. Work in progress notices via wake_stopping() and
 *   returns; if the process has not exited 2 s after the signal it exits
 *   anyway (safe: every hand-off is atomic, exactly as after SIGKILL).
 * SIGALRM, SIGHUP: rescan now.
 * A trigger FIFO data_dir/lock/<stage>.trigger: a producer writes one byte
 *   after handing a file to this stage (qmail's lock/trigger). A lost poke
 *   costs only time: the stage also rescans at start and every interval.
 */
#ifndef MCSPOOL_WAKE_H
#define MCSPOOL_WAKE_H

enum { WAKE_TIMEOUT, WAKE_TRIGGER, WAKE_ALARM, WAKE_STOP };

/* Install the signal handlers. */
void wake_signals(void);
/* Open (creating, mode 0622) our trigger FIFO lockdir/<stage>.trigger. */
void wake_listen(int lockdir, const char *stage);
/* Sleep until a trigger, a signal, or seconds elapse. */
int wake_wait(int seconds);
/* Nonzero once a stop was requested. */
int wake_stopping(void);
/* Consume a pending rescan request (SIGALRM/SIGHUP); nonzero if there was one. */
int wake_take_alarm(void);

/* Producer side: poke stage's FIFO. Never fails: no reader is fine. */
void trigger_pull(int lockdir, const char *stage);

#endif
