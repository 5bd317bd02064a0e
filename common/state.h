/* state.h: versioned state files (cursors, ledgers) in data_dir/state/.
 *
 * A state file is text:
 *
 *   mcspool-state <kind> <version>
 *   <key> <value>
 *   ...
 *
 * Keys are [A-Za-z0-9._-]; a value runs to the end of its line and holds
 * no CR or LF. The file is replaced atomically (spool_replace). A file of
 * another kind, or a newer version than this program knows, is refused,
 * never reset: the operator must decide.
 */
#ifndef MCSPOOL_STATE_H
#define MCSPOOL_STATE_H

#include <stddef.h>

#include "buf.h"

/* A body is at most STATE_MAX_BYTES (state_save refuses more, E2BIG); the
 * header line adds at most STATE_HEADER_MAX. */
#define STATE_MAX_BYTES (4 << 20)
#define STATE_HEADER_MAX 128

/* Load dir/name into body (the lines after the header). Returns 0 when
 * loaded (*version set), 1 when the file does not exist. Dies (exit 100) on
 * a foreign kind, a newer version or a malformed header; (exit 111) on an
 * I/O error. */
int state_load(int dir, const char *name, const char *kind, int max_version, struct buf *body,
	       int *version);
/* Write the header and body, atomically. 0 or -1 with errno. */
int state_save(int dir, const char *name, const char *kind, int version, const char *body,
	       size_t len);
/* Find "key value" in body; copy value into out. 0, or -1 if absent or too long. */
int state_get(const struct buf *body, const char *key, char *out, size_t cap);
/* Append "key value\n" to body (value must hold no CR/LF). 0 or -1. */
int state_put(struct buf *body, const char *key, const char *value);

#endif
