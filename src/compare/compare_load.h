/*
 * compare_load.h: one side of a comparison read from an index (through
 * index.h only): a dictionary's features (fid and label per row), its
 * decoder (stored in the index, or from a .npy / safetensors file) and,
 * on demand, its stored activations (cmp_acts) with context ids mapped
 * into another index's ids when the two files differ.
 */
#ifndef FS_COMPARE_LOAD_H
#define FS_COMPARE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "compare/compare.h"
#include "index/index.h"

/* One dictionary of one index. */
typedef struct {
	fs_index *ix;        /* its index (not owned) */
	const fs_sae *sae;   /* the dictionary (owned by ix) */
	char *name;          /* "SAE", or "FILE:SAE" across files, for output */
	int64_t n;           /* rows: the dictionary's n_features */
	int64_t *fid;        /* n: fid of row i, -1 when the index has no such feature */
	char **labels;       /* n: labels ("" when none) */
	float *W;            /* n x d decoder rows, NULL until cmp_side_decoder */
	int d;               /* their width */
} cmp_side;

/* Look dictionary NAME up in ix and read its rows' fids and labels.
 * 0, or -1 with "PATH: no dictionary named 'NAME'" in err. */
int cmp_side_open(cmp_side *s, fs_index *ix, const char *name, const char *shown,
		  char *err, size_t errlen);
/* The decoder: from FILE when not NULL (2-D, one row per feature), else
 * the rows the index stores. 0; -1 with a one-line message in err (no
 * decoder stored, wrong shape, unreadable file). */
int cmp_side_decoder(cmp_side *s, const char *file, char *err, size_t errlen);
void cmp_side_free(cmp_side *s);

/* Map from context ids of index `from` to those of index `to` (by the
 * stored hash of each context's text and token boundaries): *map gets
 * (largest id of from + 1) entries, 0 where the context is not in `to`;
 * *shared is how many are. 0, -1 on error. */
int cmp_ctx_map(fs_index *from, fs_index *to, int64_t **map, int64_t *nmap, int64_t *shared);

/* Stored activations of the rows of s (rows [0, n)); ctx ids go through
 * map (nmap entries; NULL: unchanged; contexts mapped to 0 are dropped).
 * 0, -1 on error. */
int cmp_side_acts(const cmp_side *s, const int64_t *map, int64_t nmap, cmp_acts *a);
/* The stored activations of both sides of a comparison, as co-activation
 * reads them: B's context ids mapped into A's (cmp_ctx_map, by the
 * contexts' hashes) when the two sides are of two files, unchanged when
 * of one. 1: both sets filled (free them with cmp_acts_free); 0:
 * co-activation is not available, note says why ("not available: the two
 * files share no contexts", "... has no stored examples"), nothing to free;
 * -1: a read error, err says which. *shared: the contexts of B found in A
 * (-1 when both sides are of one file). */
int cmp_sides_acts(const cmp_side *A, const cmp_side *B, cmp_acts *aa, cmp_acts *ab, int64_t *shared,
		   char *note, size_t notelen, char *err, size_t errlen);
/* The same for one feature (a set of one row). */
int cmp_feature_acts(fs_index *ix, int64_t fid, cmp_acts *a);

#endif
