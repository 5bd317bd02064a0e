/* split_zip.c: fuzz harness for API 1.0 zips (libzip). */
#include "split_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run("siem1.000000000001.process_20241125140605349.zip", data, size);
	return 0;
}
