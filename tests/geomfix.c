/*
 * geomfix.c: writes a small index with planted decoder geometry through
 * the writer and geom_write, for tests/t-geom-cli.sh:
 *   dictionary "a": 200 features of width 32 in 8 groups (feature i is in
 *     group i % 8, labelled "<word> group", word from a fixed list);
 *     feature 1 is a near-duplicate of feature 0 (and is in group 1's
 *     label set but group 0's direction).
 *   dictionary "b": 100 features of width 32, feature i a noisy copy of
 *     a/i (its nearest in "a" is a/i).
 *   dictionary "c": 40 features of width 16 (no neighbours across).
 * Deterministic. Usage: geomfix OUT.sqlite
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/geom.h"
#include "index/index.h"
#include "geom/knn.h"
#include "core/util.h"

static const char *const words[8] = {"genome", "capitals", "numbers", "python",
				     "french", "legal", "music", "chemistry"};

static float gauss(uint64_t *s)
{
	double u1 = knn_randu(s) + 1e-12, u2 = knn_randu(s);
	return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

/* Add one dictionary's features; fills fids. */
static int add_dict(fs_writer *w, const char *name, int d, int64_t n, int64_t *fids,
		    char **labels, int *sae)
{
	fs_sae s = {0, (char *)name, (char *)"m", (char *)"h", 0, d, n, (char *)"native"};
	*sae = index_writer_add_sae(w, &s);
	if (*sae < 0)
		return -1;
	for (int64_t i = 0; i < n; i++) {
		fs_feature f;
		memset(&f, 0, sizeof f);
		f.sae = *sae;
		f.idx = i;
		f.label = labels[i];
		f.label_source = (char *)"test";
		f.density = -1;
		f.map_x = f.map_y = NAN;
		fids[i] = index_writer_add_feature(w, &f);
		if (fids[i] < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: geomfix OUT.sqlite\n");
		return 2;
	}
	char err[1024];
	fs_writer *w = index_writer_create(argv[1], err, sizeof err);
	if (!w) {
		fprintf(stderr, "geomfix: %s\n", err);
		return 1;
	}
	uint64_t rs = 12345;
	enum { NA = 200, NB = 100, NC = 40, D = 32, DC = 16 };
	float *P = xmalloc(8 * D * sizeof *P), *WA = xmalloc(NA * D * sizeof *WA);
	float *WB = xmalloc(NB * D * sizeof *WB), *WC = xmalloc(NC * DC * sizeof *WC);
	for (int i = 0; i < 8 * D; i++)
		P[i] = gauss(&rs);
	for (int i = 0; i < NA; i++)
		for (int j = 0; j < D; j++)
			WA[i * D + j] = P[(i % 8) * D + j] + 0.5f * gauss(&rs);
	for (int j = 0; j < D; j++)
		WA[1 * D + j] = WA[j] + 0.01f * gauss(&rs);
	for (int i = 0; i < NB; i++)
		for (int j = 0; j < D; j++)
			WB[i * D + j] = WA[i * D + j] + 0.05f * gauss(&rs);
	for (int i = 0; i < NC * DC; i++)
		WC[i] = gauss(&rs);
	char *la[NA], *lb[NB], *lc[NC];
	for (int i = 0; i < NA; i++)
		la[i] = xasprintf("auto: %s group, item %d", words[i % 8], i);
	for (int i = 0; i < NB; i++)
		lb[i] = xasprintf("copy of a/%d", i);
	for (int i = 0; i < NC; i++)
		lc[i] = xasprintf("random %d", i);
	int64_t fa[NA], fb[NB], fc[NC];
	int sa, sb, sc;
	if (add_dict(w, "a", D, NA, fa, la, &sa) || add_dict(w, "b", D, NB, fb, lb, &sb) ||
	    add_dict(w, "c", DC, NC, fc, lc, &sc)) {
		fprintf(stderr, "geomfix: %s\n", index_writer_errmsg(w));
		index_writer_abort(w);
		return 1;
	}
	geom_dict gd[3] = {
		{sa, "a", fa, WA, NA, D, (const char *const *)la},
		{sb, "b", fb, WB, NB, D, (const char *const *)lb},
		{sc, "c", fc, WC, NC, DC, (const char *const *)lc},
	};
	geom_opts o;
	geom_opts_init(&o);
	o.k = 8;
	o.progress = 0;
	if (geom_write(w, gd, 3, &o, err, sizeof err) != 0 ||
	    index_writer_finish(w, err, sizeof err) != 0) {
		fprintf(stderr, "geomfix: %s\n", err);
		return 1;
	}
	for (int i = 0; i < NA; i++)
		free(la[i]);
	for (int i = 0; i < NB; i++)
		free(lb[i]);
	for (int i = 0; i < NC; i++)
		free(lc[i]);
	free(P);
	free(WA);
	free(WB);
	free(WC);
	return 0;
}
