/*
 * fuzz-npy.c: libFuzzer target for NumPy .npy reading (src/nn/tensor.c): the
 * header parser tensor_npy_header on the bytes, then tensor_load on the
 * same bytes written to a file, which also checks the data size against the
 * shape. Hostile headers (huge or negative shapes, missing fields, lying
 * lengths) must give an error, never a crash or a huge allocation.
 */
#include "nn/tensor.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fs_tensor t;
	memset(&t, 0, sizeof t);
	int dtype = 0;
	size_t off = 0;
	char err[512];
	if (tensor_npy_header(data, size, &t, &dtype, &off, err, sizeof err) == 0 && off > size)
		abort();
	const char *path = fuzz_path(".npy");
	if (fuzz_write(path, data, size) != 0)
		return 0;
	if (tensor_load(path, NULL, &t, err, sizeof err) == 0) {
		size_t count = 1;
		for (int i = 0; i < t.ndim; i++)
			count *= (size_t)t.shape[i];
		volatile float sum = 0;
		for (size_t i = 0; i < count; i++)
			sum += t.data[i]; /* every promised element is readable */
		(void)sum;
	}
	tensor_free(&t);
	unlink(path);
	return 0;
}
