/* log.h: one line per event on stderr, "prog: level: message".
 *
 * The supervisor's logger (svlogd, s6-log) adds time stamps, so we add none.
 * Secrets registered with log_secret() are replaced by "[redacted]" in every
 * line, whatever the caller formatted into it.
 */
#ifndef MCSPOOL_LOG_H
#define MCSPOOL_LOG_H

#include <stdarg.h>

/* Exit codes shared by every program (DESIGN.md section 6). */
#define EXIT_DONE 0
#define EXIT_PERM 100 /* usage, config, credentials refused, permission */
#define EXIT_TEMP 111 /* network, 5xx, disk full: the supervisor restarts us */

void log_init(const char *prog);
const char *log_prog(void);

/* Register a secret; it never appears in a log line. At most 16. */
void log_secret(const char *secret);
/* Register secret in the place of old (a refreshed access token), so that
 * a long-running process does not run out of places; old is forgotten. */
void log_secret_replace(const char *old, const char *secret);

/* Raise verbosity: debug lines appear only when MCSPOOL_DEBUG is set. */
void log_debug(const char *fmt, ...);
void log_info(const char *fmt, ...);
void log_warn(const char *fmt, ...);
void log_error(const char *fmt, ...);
/* *_sys variants append ": " and strerror(errno). */
void log_warn_sys(const char *fmt, ...);
void log_error_sys(const char *fmt, ...);

/* "prog: fatal: message" and exit(code). */
_Noreturn void die(int code, const char *fmt, ...);
_Noreturn void die_sys(int code, const char *fmt, ...);

/* Exit code for a failed system call: permanent for permission and
 * missing-path errors, temporary for everything else (ENOSPC, EIO, ...). */
int exit_code_for_errno(int err);

void log_vline(const char *level, int err, const char *fmt, va_list ap);

/* Called with every error and fatal line (already redacted, no newline),
 * so a stage can record its last error (status.c). */
void log_on_error(void (*fn)(const char *line));

#endif
