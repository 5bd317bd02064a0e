/* move_pos.c: libFuzzer harness for the LogRhythm .pos parser and the
 * reader-path matcher (mover/lrpos.c, mover/rpath.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lrpos p;
	if (lrpos_parse((const char *)data, size, &p) != 0)
		return 0;
	/* A parsed path must be a C string of bounded length. */
	if (strlen(p.path) > LRPOS_PATH_MAX)
		abort();
	static const char *const dirs[] = { "D:\\mcspool\\read", "\\\\host\\share\\read", "/var/log/mcspool/read", "/" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char name[SPOOL_NAME_MAX + 1];
		int fold;
		if (rpath_in_dir(dirs[i], p.path, name, sizeof name, &fold) && !spool_name_ok(name))
			abort();
	}
	return 0;
}
