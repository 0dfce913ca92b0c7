/*
 * fuzz-npz.c: libFuzzer target for the .npz reader (src/nn/npz.c, Gemma
 * Scope 1's params.npz): the bytes as an archive, its central directory
 * read, then the members a Gemma Scope folder names read (stored or
 * deflated) as .npy, their shapes first from the header alone. Lying offsets, sizes, zip64 fields or deflate
 * streams must give an error, never a crash, an out-of-bounds read or an
 * allocation beyond what the file can hold.
 */
#include "nn/npz.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(".npz");
	if (fuzz_write(path, data, size) != 0)
		return 0;
	char err[512];
	fs_npz *z = npz_open(path, err, sizeof err);
	if (z) {
		static const char *const names[] = {"W_enc", "W_dec", "b_enc", "b_dec", "threshold", "a"};
		for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
			int64_t shape[4];
			int ndim;
			if (npz_shape(z, names[i], shape, &ndim, err, sizeof err) == 0 && (ndim < 0 || ndim > 4))
				abort();
			fs_tensor t;
			if (npz_read(z, names[i], &t, err, sizeof err) == 0) {
				size_t count = 1;
				for (int k = 0; k < t.ndim; k++)
					count *= (size_t)t.shape[k];
				volatile float sum = 0;
				for (size_t k = 0; k < count; k++)
					sum += t.data[k]; /* every promised element is readable */
				(void)sum;
				tensor_free(&t);
			}
		}
		npz_close(z);
	}
	unlink(path);
	return 0;
}
