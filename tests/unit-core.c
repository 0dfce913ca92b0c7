/* unit-core.c: unit tests of util.c (placeholder). */
#include "unit.h"
#include "util.h"
int main(void)
{
	uint8_t b[10];
	uint64_t v;
	CHECK(varint_get(b, varint_put(b, 300), &v) == 2 && v == 300, "varint roundtrip");
	TEST_END();
}
