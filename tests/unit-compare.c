/*
 * unit-compare.c: unit tests of the comparison engine (src/compare/):
 * percentiles, the co-activation of hand-made activations against values
 * worked out by hand, the matching of a planted permutation (every row
 * found, mutual, above the baselines), the random-direction baseline
 * against its closed form for an orthonormal basis, and label distances.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/compare.h"
#include "compare/compare_load.h"
#include "index/index.h"
#include "core/util.h"
#include "geom/knn.h"
#include "unit.h"

static float gauss(uint64_t *s)
{
	double u1 = knn_randu(s) + 1e-12, u2 = knn_randu(s);
	return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

static void test_percentile(void)
{
	float v[5] = {5, 1, 4, 2, 3};
	CHECK(cmp_percentile(v, 5, 0.5) == 3, "percentile: median of 1..5 is 3");
	float w[5] = {5, 1, 4, 2, 3};
	CHECK(fabsf(cmp_percentile(w, 5, 0.99) - 4.96f) < 1e-5f, "percentile: p99 of 1..5 interpolates to 4.96");
	float x[1] = {7};
	CHECK(cmp_percentile(x, 1, 0.99) == 7, "percentile: one value");
	CHECK(isnan(cmp_percentile(x, 0, 0.5)), "percentile: none is NaN");
}

static void test_pair(void)
{
	/* feature a on contexts 1 and 2, b on contexts 2 and 3, 4 tokens each:
	 * a: ctx1 [1 0 0 0], ctx2 [0 2 0 0]; b: ctx2 [0 1 1 0], ctx3 [3 0 0 0] */
	cmp_acts A, B;
	cmp_acts_init(&A, 2);
	cmp_acts_init(&B, 1);
	float a1[4] = {1, 0, 0, 0}, a2[4] = {0, 2, 0, 0}, b2[4] = {0, 1, 1, 0}, b3[4] = {3, 0, 0, 0};
	cmp_acts_push(&A, 0, 2, a2, 4); /* out of order and repeated: sorted, one kept */
	cmp_acts_push(&A, 0, 1, a1, 4);
	cmp_acts_push(&A, 0, 2, a2, 4);
	cmp_acts_push(&B, 0, 2, b2, 4);
	cmp_acts_push(&B, 0, 3, b3, 4);
	cmp_acts_done(&A);
	cmp_acts_done(&B);
	CHECK(A.off[1] - A.off[0] == 2 && A.off[2] == A.off[1], "acts: one example per context, feature 1 empty");
	CHECK(cmp_acts_covered(&A) == 1 && cmp_acts_covered(&B) == 1, "acts: covered features");
	cmp_coact c;
	cmp_pair(&A, 0, &B, 0, &c);
	/* union: contexts 1, 2, 3 = 12 tokens; a = (1, 2 at two tokens), b = (1, 1, 3);
	 * sum a 3, sum a^2 5, sum b 5, sum b^2 11, sum ab = 2 (ctx2 token 1) */
	double n = 12, sa = 3, saa = 5, sb = 5, sbb = 11, sab = 2;
	double want = (n * sab - sa * sb) / sqrt((n * saa - sa * sa) * (n * sbb - sb * sb));
	CHECK(fabs(c.corr - want) < 1e-12, "pair: correlation over the union of stored contexts");
	CHECK(c.shared == 1, "pair: one shared context");
	CHECK(fabs(c.share_a - 0.5) < 1e-12, "pair: half of a's firing tokens have b firing");
	CHECK(fabs(c.share_b - 1.0 / 3) < 1e-12, "pair: a third of b's firing tokens have a firing");
	cmp_pair(&A, 1, &B, 0, &c);
	CHECK(isnan(c.share_a) && isnan(c.corr), "pair: a feature with no examples gives unknowns");
	cmp_pair(&A, 0, &B, 5, &c);
	CHECK(isnan(c.corr) && c.shared == 0, "pair: a row out of range gives unknowns");
	cmp_acts_free(&A);
	cmp_acts_free(&B);
}

static void test_match(void)
{
	/* B: 300 random rows of width 48; A: 100 of them, permuted, with
	 * noise, plus 20 random rows matching nothing */
	enum { NB = 300, NA = 120, NM = 100, D = 48 };
	uint64_t s = 42;
	float *B = xmalloc(NB * D * sizeof *B), *A = xmalloc(NA * D * sizeof *A);
	int perm[NM];
	for (int i = 0; i < NB * D; i++)
		B[i] = gauss(&s);
	for (int i = 0; i < NM; i++)
		perm[i] = (i * 37 + 11) % NB;
	for (int i = 0; i < NM; i++)
		for (int j = 0; j < D; j++)
			A[i * D + j] = B[perm[i] * D + j] + 0.2f * gauss(&s);
	for (int i = NM * D; i < NA * D; i++)
		A[i] = gauss(&s);
	cmp_opts o;
	cmp_opts_init(&o);
	cmp_match m;
	char err[256];
	CHECK(cmp_match_run(A, NA, B, NB, D, &o, &m, err, sizeof err) == 0, "match: runs");
	int found = 1, mutual = 1, above = 1, below = 1;
	float ta = cmp_threshold(&m, 0, 0);
	for (int i = 0; i < NM; i++) {
		found &= m.ab.idx[i * m.k] == perm[i];
		mutual &= m.mutual[i] == perm[i];
		above &= m.ab.cos[i * m.k] > ta;
	}
	for (int i = NM; i < NA; i++)
		below &= !(m.ab.cos[i * m.k] > ta);
	CHECK(found, "match: every planted row's best match is its source");
	CHECK(mutual, "match: every planted pair is mutual");
	CHECK(above, "match: planted pairs above the random-direction baseline");
	CHECK(below, "match: random rows below it");
	CHECK(m.shuf < ta && m.shuf > 0, "match: shuffled-pair baseline under the best-match baseline");
	CHECK(m.ba.idx[perm[3] * m.k] == 3, "match: the other direction finds the source's copy");
	cmp_match_free(&m);
	CHECK(cmp_match_run(A, 0, B, NB, D, &o, &m, err, sizeof err) == -1 && strstr(err, "nothing to compare"),
	      "match: no rows is an error");
	A[5] = NAN;
	CHECK(cmp_match_run(A, NA, B, NB, D, &o, &m, err, sizeof err) == -1 && strstr(err, "row 0"),
	      "match: a value that is not finite names its row");
	free(A);
	free(B);
}

static int cmpf(const void *x, const void *y)
{
	float a = *(const float *)x, b = *(const float *)y;
	return a < b ? -1 : a > b;
}

static void test_baseline(void)
{
	/* against the identity basis of width d, a random unit direction's
	 * best cosine is its largest coordinate: the baseline is the p99 of
	 * max_i x_i over Gaussian directions, computed here directly */
	enum { D = 16 };
	float I[D * D] = {0};
	for (int i = 0; i < D; i++)
		I[i * D + i] = 1;
	float got = cmp_random_baseline(I, D, D, 0.99);
	uint64_t s = 99;
	float v[4000];
	for (int r = 0; r < 4000; r++) {
		float x[D], ss = 0, mx = -2;
		for (int j = 0; j < D; j++) {
			x[j] = gauss(&s);
			ss += x[j] * x[j];
		}
		for (int j = 0; j < D; j++)
			mx = fmaxf(mx, x[j] / sqrtf(ss));
		v[r] = mx;
	}
	qsort(v, 4000, sizeof *v, cmpf);
	float want = v[(int)(0.99 * 3999)];
	CHECK(fabsf(got - want) < 0.03f, "baseline: random directions against a basis, p99 of the largest coordinate");
	CHECK(got > 0.5f && got < 0.95f, "baseline: in range for d 16");
}

static void test_labels(void)
{
	CHECK(cmp_label_distance("DNA bases", "dna bases") == 0, "labels: case does not matter");
	CHECK(cmp_label_distance("legal citations", "french words") == 1, "labels: no word shared");
	CHECK(fabs(cmp_label_distance("python keywords", "python code keywords") - 1.0 / 3) < 1e-12,
	      "labels: Jaccard distance of word sets");
	CHECK(cmp_label_distance("the A of", "") == 0, "labels: filler words and letters ignored");
}

/* A dictionary of 1,300 features written out of order (idx 7i mod 1300)
 * after another dictionary, so ids and numbers differ, read back by
 * cmp_side_open across its 512-row pages; and index_decoder_rows, which
 * counts the stored rows without reading them. The reference is what
 * was written. */
static void test_side_open(void)
{
	enum { N = 1300, ND = 50, D = 8 };
	char path[] = "/tmp/fs-unit-compare-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "side: temporary file");
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
	char err[512];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	CHECK(w != NULL, "side: writer");
	if (!w)
		return;
	fs_sae a = {0, (char *)"first", (char *)"m", (char *)"h", 0, D, ND, (char *)"native"};
	fs_sae b = {0, (char *)"big", (char *)"m", (char *)"h", 0, D, N, (char *)"native"};
	int sa = index_writer_add_sae(w, &a), sb = index_writer_add_sae(w, &b);
	for (int i = 0; i < ND; i++) {
		fs_feature f = {0};
		f.sae = sa;
		f.idx = i;
		f.label = (char *)"";
		f.label_source = (char *)"";
		f.map_x = f.map_y = NAN;
		index_writer_add_feature(w, &f);
	}
	static int64_t want[N];
	for (int i = 0; i < N; i++) {
		char lab[32];
		fs_feature f = {0};
		f.sae = sb;
		f.idx = (int64_t)(i * 7) % N;
		snprintf(lab, sizeof lab, "feature %lld", (long long)f.idx);
		f.label = lab;
		f.label_source = (char *)"test";
		f.map_x = f.map_y = NAN;
		want[f.idx] = index_writer_add_feature(w, &f);
	}
	float W[ND * D];
	for (int i = 0; i < ND * D; i++)
		W[i] = (float)(i % 7) - 3;
	CHECK(index_writer_add_decoder(w, sa, W, ND, D) == 0, "side: decoder stored");
	CHECK(index_writer_finish(w, err, sizeof err) == 0, "side: index written");
	fs_index *ix = index_open(path, err, sizeof err);
	CHECK(ix != NULL, "side: index opened");
	if (!ix) {
		unlink(path);
		return;
	}
	cmp_side s;
	CHECK(cmp_side_open(&s, ix, "big", NULL, err, sizeof err) == 0 && s.n == N, "side: opened, 1300 rows");
	int fids = 1, labels = 1;
	for (int i = 0; i < N && s.n == N; i++) {
		char lab[32];
		snprintf(lab, sizeof lab, "feature %d", i);
		fids &= s.fid[i] == want[i];
		labels &= strcmp(s.labels[i], lab) == 0;
	}
	CHECK(fids, "side: every row's fid, across three pages");
	CHECK(labels, "side: every row's label");
	cmp_side_free(&s);
	int d = -1;
	CHECK(index_decoder_rows(ix, sa, &d) == ND && d == D, "decoder rows: 50 of width 8, not read");
	CHECK(index_decoder_rows(ix, sb, &d) == 0 && d == 0, "decoder rows: none stored for the other");
	index_close(ix);
	unlink(path);
}

int main(void)
{
	test_percentile();
	test_pair();
	test_match();
	test_baseline();
	test_labels();
	test_side_open();
	TEST_END();
}
