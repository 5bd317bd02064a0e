/* move.h: mcspool-move internals (mta/ -> read_path -> archive_dir).
 *
 * A pass (move_pass) does, in this order:
 *   1. list read_path once;
 *   2. ask the consumer's state which of those files the reader has
 *      consumed (logrhythm .pos files, the Filebeat registry, or quiet);
 *   3. archive the files found consumed by this scan AND by the previous
 *      one (the ledger state/move remembers the previous scan);
 *   4. list mta/ once, sort it once (oldest first) and move as many files
 *      as fit under max_files into read_path.
 * A name already present at the destination is a duplicate left by a
 * crash: the source is removed, never delivered twice.
 */
#ifndef MCSPOOL_MOVE_H
#define MCSPOOL_MOVE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "reader.h"
#include "spool.h"
#include "stage.h"

/* The stage (move.c). */
void move_init(struct stage_ctx *ctx);
void move_sandbox(struct stage_ctx *ctx);
int move_pass(struct stage_ctx *ctx);
long move_interval(struct stage_ctx *ctx);

#endif
