/* split_kv.c: fuzz harness for API 1.0 key_value framing. */
#include "split_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run("siem1.000000000001.receipt_20241125134110211.log", data, size);
	return 0;
}
