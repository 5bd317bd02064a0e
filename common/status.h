/* status.h: each stage's health record, data_dir/status/status.<stage>.
 *
 * A versioned state file (kind "status", version 1) that mcspool-status
 * reads. It has a directory of its own, which every stage may write, so
 * that no stage needs write access to another's cursors in state/:
 *
 *   last_success <epoch>      end of the last pass that completed
 *   last_error_time <epoch>   when the last error or fatal line was logged
 *   last_error <one line>     that line (secrets already redacted)
 *   c.<name> <integer>        cumulative counters: c.files, c.events, c.bytes, c.bad
 *
 * stage_main() calls status_open() and status_pass_done(); a stage only
 * counts what it delivers with status_count(). Error and fatal log lines
 * are recorded through the log module's hook, so a stage that dies leaves
 * its reason behind.
 */
#ifndef MCSPOOL_STATUS_H
#define MCSPOOL_STATUS_H

#define STATUS_MAX_COUNTERS 16

void status_open(int statedir, const char *stage);
/* Add n to counter name ("files", "events", "bytes", "bad"). */
void status_count(const char *name, long long n);
/* A pass completed: record the time and save. */
void status_pass_done(void);

#endif
