/*
 * fuzz-safetensors.c: libFuzzer target for the safetensors reader
 * (src/nn/tensor.c): tensor_st_open on the input written to a file, then every
 * tensor's tensor_st_find (dtype, shape and offsets validated against the file)
 * with its first and last element read, the metadata, and tensor_load
 * (conversion to f32). A header that lies about offsets, shapes or sizes
 * must be refused, never read past the mapping.
 */
#include "nn/tensor.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(".safetensors");
	if (fuzz_write(path, data, size) != 0)
		return 0;
	char err[512];
	fs_st_file *f = tensor_st_open(path, err, sizeof err);
	if (f) {
		(void)tensor_st_metadata(f, "format");
		int n = tensor_st_count(f);
		for (int i = 0; i < n && i < 16; i++) {
			const char *name = tensor_st_name(f, i);
			if (!name)
				abort();
			fs_st_info info;
			if (tensor_st_find(f, name, &info, err, sizeof err) == 0 && info.count > 0) {
				int sz = tensor_dtype_size(info.dtype);
				if (sz <= 0)
					abort();
				volatile float a = tensor_get_f32(info.dtype, info.data, 0);
				volatile float b = tensor_get_f32(info.dtype, info.data, info.count - 1);
				volatile int64_t c = tensor_get_i64(info.dtype, info.data, info.count - 1);
				(void)a;
				(void)b;
				(void)c;
			}
		}
		tensor_st_close(f);
	}
	fs_tensor t;
	if (tensor_load(path, NULL, &t, err, sizeof err) == 0) {
		size_t count = 1;
		for (int i = 0; i < t.ndim; i++)
			count *= (size_t)t.shape[i];
		if (count) {
			volatile float s = t.data[0] + t.data[count - 1];
			(void)s;
		}
		tensor_free(&t);
	}
	unlink(path);
	return 0;
}
