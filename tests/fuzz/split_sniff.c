/* split_sniff.c: fuzz harness for payloads without a name (content sniffing). */
#include "split_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run("siem1.000000000001.mta.bin", data, size);
	return 0;
}
