/* quiet.c: consumer type "quiet", for readers that keep no state we can
 * read. A file counts as read to its end once it has been left alone for
 * quiet_minutes: its mtime (which the mover sets when it delivers the file)
 * is that old. The two-scan rule of move.c adds "and its size, inode and
 * mtime did not change between two scans". This is the weakest rule. */
#include "reader.h"

void quiet_scan(struct rdset *set, long minutes, time_t now)
{
	for (size_t i = 0; i < set->n; i++) {
		struct rdentry *e = &set->e[i];
		if (now - e->mtime.tv_sec >= (time_t)minutes * 60)
			rdset_report(set, (long)i, e->size);
	}
}
