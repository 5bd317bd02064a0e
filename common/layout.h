/* layout.h: the data_dir tree of DESIGN.md section 3, opened by fd.
 *
 *   data_dir/tmp/<stage>/  writer-private staging
 *   data_dir/raw/ mta/ audit/ bad/   hand-off directories
 *   data_dir/state/        cursors and ledgers
 *   data_dir/lock/         one flock and one trigger FIFO per stage
 *   data_dir/status/       each stage's health record (status.h), read by mcspool-status
 *
 * Missing directories are created (mode 02770, so the mcspool group
 * carries over); anything we cannot open, or may not write, is a fatal
 * error naming the path.
 */
#ifndef MCSPOOL_LAYOUT_H
#define MCSPOOL_LAYOUT_H

struct layout {
	int root, tmp, raw, mta, audit, bad, state, lock, status;
	char tmpname[64]; /* "tmp/<stage>" for messages */
};

void layout_open(struct layout *l, const char *data_dir, const char *stage);
void layout_close(struct layout *l);

#endif
