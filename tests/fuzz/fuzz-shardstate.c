/*
 * fuzz-shardstate.c: libFuzzer target for the shard_state blob reader
 * (src/build/build_acc.c, through build_state_check), which featscope merge
 * runs on every feature of every shard, untrusted files. The first input
 * byte is the largest top-k, the second a quarter of the largest reservoir;
 * the rest is the blob. Every size must be checked: no read out of bounds,
 * no allocation a count in the blob asks for beyond what the bytes hold.
 */
#include "build/build.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	build_state_check(data + 2, size - 2, data[0], data[1] * 4);
	return 0;
}
