/* split_audit.c: fuzz harness for audit pages. */
#include "split_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run("audit.000000000001.json", data, size);
	return 0;
}
