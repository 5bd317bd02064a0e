/* move_registry.c: libFuzzer harness for the Filebeat registry reader
 * (mover/fbreg.c). The input is fed both as a snapshot and as log.json,
 * in two pieces split at a point the input chooses, against a small set
 * of files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *p, size_t n, int snapshot)
{
	struct rdset s;
	rdset_init(&s);
	static const char *const names[] = { "a_1.log", "b_1.log", "d_1.log" };
	for (size_t i = 0; i < 3; i++) {
		struct rdentry e;
		memset(&e, 0, sizeof e);
		strcpy(e.name, names[i]);
		e.size = 100 * (off_t)(i + 1);
		e.ino = 1001 + i;
		e.dev = 2049;
		rdset_add(&s, &e);
	}
	rdset_sort(&s);
	struct fbreg *r = fbreg_new(&s, "/var/log/mcspool/read", 1);
	if (r == NULL)
		abort();
	size_t cut = n > 0 ? (unsigned char)p[0] % (n + 1) : 0;
	if (snapshot) {
		if (fbreg_snap_feed(r, p, cut) == 0 && fbreg_snap_feed(r, p + cut, n - cut) == 0)
			fbreg_snap_end(r);
	} else {
		if (fbreg_log_feed(r, p, cut) == 0 && fbreg_log_feed(r, p + cut, n - cut) == 0)
			fbreg_log_end(r);
	}
	for (size_t i = 0; i < s.n; i++)
		if (s.e[i].have_pos && s.e[i].pos < 0)
			abort(); /* offsets are never negative */
	fbreg_free(r);
	rdset_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run((const char *)data, size, 0);
	run((const char *)data, size, 1);
	return 0;
}
