/* split_json.c: fuzz harness for API 1.0 fileFormat=json streaming. */
#include "split_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run("siem1.000000000001.receipt_20241125142912185.json", data, size);
	return 0;
}
