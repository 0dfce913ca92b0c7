/*
 * npz.h: reading the .npy members of a NumPy .npz archive (np.savez: a
 * zip, members stored or deflated) as f32 tensors; every offset and size
 * of the untrusted archive is checked (npz.c).
 */
#ifndef FS_NPZ_H
#define FS_NPZ_H

#include "nn/tensor.h"

typedef struct fs_npz fs_npz;

/* Open the archive and read its central directory: NULL with "PATH: zip:
 * what is wrong" in err. */
fs_npz *npz_open(const char *path, char *err, size_t errlen);
void npz_close(fs_npz *z);
/* Does the archive have the member NAME.npy? */
int npz_has(const fs_npz *z, const char *name);
/* Read member NAME.npy into t (floating point .npy): 0, or -1 with "PATH:
 * NAME.npy: what is wrong" (or "PATH: NAME: missing"). */
int npz_read(fs_npz *z, const char *name, fs_tensor *t, char *err, size_t errlen);

/* The shape of member NAME.npy from its header alone (the data is not
 * read): 0, or -1 with a message. */
int npz_shape(fs_npz *z, const char *name, int64_t shape[4], int *ndim, char *err, size_t errlen);

#endif
