/* split_v2.c: fuzz harness for API 2.0 gzip NDJSON and the 2.0 to 1.0 rendering. */
#include "split_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run("siem2.receipt.000000000001.receipt-1.ndjson.gz", data, size);
	return 0;
}
