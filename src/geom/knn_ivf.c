/*
 * knn_ivf.c: the approximate (IVF) top-k cosine neighbours (see knn.h:
 * knn_ivf): rows in k-means lists, each query scanning its nearest lists,
 * and the recall of an approximate result against the exact one.
 */
#include "geom/knn_int.h"

#include "nn/blas.h"
#include "core/topk.h"
#include "core/util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------ approximate (IVF) */

int knn_ivf(const float *A, int64_t na, const float *B, int64_t nb, int d, int k,
	    const knn_ivf_opts *o, knn_result *out)
{
	knn_result_init(out, na, k);
	if (na <= 0 || nb <= 0 || k <= 0)
		return 0;
	int self = A == B && na == nb;
	int nlist = o && o->nlist > 0 ? o->nlist : (int)lround(2.0 * sqrt((double)nb));
	if (nlist < 1)
		nlist = 1;
	if (nlist > nb)
		nlist = (int)nb;
	int nprobe = o && o->nprobe > 0 ? o->nprobe : nlist / 16;
	if (nprobe < 8)
		nprobe = 8;
	if (nprobe > nlist)
		nprobe = nlist;
	int iters = o && o->iters > 0 ? o->iters : 10;
	uint64_t seed = o ? o->seed : 0;
	int64_t ns = o && o->train_max > 0 ? o->train_max : 32 * (int64_t)nlist;
	if (ns > nb)
		ns = nb;
	if (ns < nlist)
		ns = nlist;

	/* train the coarse quantiser on a seeded sample of B */
	uint64_t rng = seed ^ 0x1f1f1f1full;
	float *T = xmalloc((size_t)ns * (size_t)d * sizeof *T);
	{
		int64_t *perm = xmalloc((size_t)nb * sizeof *perm);
		for (int64_t i = 0; i < nb; i++)
			perm[i] = i;
		for (int64_t c = 0; c < ns; c++) {
			int64_t j = c + (int64_t)(knn_randu(&rng) * (double)(nb - c));
			int64_t t = perm[c];
			perm[c] = perm[j];
			perm[j] = t;
		}
		/* keep the sample in row order so the result does not depend on
		 * the shuffle's order beyond the chosen set */
		for (int64_t c = 0; c < ns; c++)
			memcpy(T + c * d, B + perm[c] * d, (size_t)d * sizeof *T);
		free(perm);
	}
	float *cent = xmalloc((size_t)nlist * (size_t)d * sizeof *cent);
	int32_t *tas = xmalloc((size_t)ns * sizeof *tas);
	knn_kmeans(T, ns, d, nlist, iters, seed, cent, tas);
	free(tas);
	free(T);
	if (o && o->progress)
		o->progress(o->progress_arg, 0.1);

	/* probes of every query: its nprobe best centroids */
	knn_result probes;
	knn_result_init(&probes, na, nprobe);
	{
		knn_cands hp;
		knn_cands_init(&hp, &probes, 2);
		int64_t rb = 262144 / nlist;
		if (rb < 64)
			rb = 64;
		if (rb > na)
			rb = na;
		float *S = xmalloc((size_t)rb * (size_t)nlist * sizeof *S);
		for (int64_t r0 = 0; r0 < na; r0 += rb) {
			int bi = (int)(na - r0 < rb ? na - r0 : rb);
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, nlist, d,
				    1.0f, A + r0 * d, d, cent, d, 0.0f, S, nlist);
			knn_select_part(S, nlist, r0, 0, bi, 0, 0, nlist, &hp, NULL, 0);
		}
		free(S);
		knn_cands_finish(&hp);
	}
	/* the list of every row of B: its best centroid */
	int32_t *lst = xmalloc((size_t)nb * sizeof *lst);
	if (self) {
		for (int64_t i = 0; i < nb; i++)
			lst[i] = probes.idx[i * nprobe] >= 0 ? probes.idx[i * nprobe] : 0;
	} else {
		float *best = xmalloc((size_t)nb * sizeof *best);
		for (int64_t i = 0; i < nb; i++)
			lst[i] = -1;
		knn_kmeans_assign(B, nb, d, cent, nlist, lst, best);
		free(best);
	}
	free(cent);

	/* inverted lists (members in row order) and the queries of each list */
	int64_t *moff = xcalloc((size_t)nlist + 1, sizeof *moff);
	int64_t *qoff = xcalloc((size_t)nlist + 1, sizeof *qoff);
	for (int64_t i = 0; i < nb; i++)
		moff[lst[i] + 1]++;
	for (int64_t i = 0; i < na * nprobe; i++)
		if (probes.idx[i] >= 0)
			qoff[probes.idx[i] + 1]++;
	for (int l = 0; l < nlist; l++) {
		moff[l + 1] += moff[l];
		qoff[l + 1] += qoff[l];
	}
	int32_t *mem = xmalloc((size_t)nb * sizeof *mem);
	int32_t *qry = xmalloc((size_t)(qoff[nlist] > 0 ? qoff[nlist] : 1) * sizeof *qry);
	{
		int64_t *pos = xmalloc((size_t)nlist * sizeof *pos);
		memcpy(pos, moff, (size_t)nlist * sizeof *pos);
		for (int64_t i = 0; i < nb; i++)
			mem[pos[lst[i]]++] = (int32_t)i;
		memcpy(pos, qoff, (size_t)nlist * sizeof *pos);
		for (int64_t i = 0; i < na; i++)
			for (int p = 0; p < nprobe; p++) {
				int32_t l = probes.idx[i * nprobe + p];
				if (l >= 0)
					qry[pos[l]++] = (int32_t)i;
			}
		free(pos);
	}
	knn_result_free(&probes);
	free(lst);
	/* B's rows gathered list by list so each list is one contiguous block */
	float *Bp = xmalloc((size_t)nb * (size_t)d * sizeof *Bp);
	for (int64_t i = 0; i < nb; i++)
		memcpy(Bp + i * d, B + (int64_t)mem[i] * d, (size_t)d * sizeof *Bp);

	/* re-rank: for each list, its queries against its members */
	knn_cands h;
	/* fewer candidates reach a query here: smaller buffers for large sets */
	knn_cands_init(&h, out, 2);
	int64_t maxm = 1;
	for (int l = 0; l < nlist; l++)
		if (moff[l + 1] - moff[l] > maxm)
			maxm = moff[l + 1] - moff[l];
	int64_t qb = 4096;
	float *Q = xmalloc((size_t)qb * (size_t)d * sizeof *Q);
	float *S = xmalloc((size_t)qb * (size_t)maxm * sizeof *S);
	for (int l = 0; l < nlist; l++) {
		int64_t m0 = moff[l], ms = moff[l + 1] - moff[l];
		if (ms == 0)
			continue;
		for (int64_t q0 = qoff[l]; q0 < qoff[l + 1]; q0 += qb) {
			int bq = (int)(qoff[l + 1] - q0 < qb ? qoff[l + 1] - q0 : qb);
			for (int q = 0; q < bq; q++)
				memcpy(Q + (size_t)q * d, A + (int64_t)qry[q0 + q] * d,
				       (size_t)d * sizeof *Q);
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bq, (int)ms, d,
				    1.0f, Q, d, Bp + m0 * d, d, 0.0f, S, (int)ms);
			for (int q = 0; q < bq; q++) {
				int32_t qi = qry[q0 + q];
				const float *s = S + (size_t)q * ms;
				float tr = h.thr[qi];
				for (int64_t j = 0; j < ms; j++) {
					if (s[j] >= tr && !(self && mem[m0 + j] == qi)) {
						knn_cands_push(&h, qi, s[j], mem[m0 + j]);
						tr = h.thr[qi];
					}
				}
			}
		}
		if (o && o->progress && (l & 15) == 15)
			o->progress(o->progress_arg, 0.1 + 0.9 * (double)(l + 1) / nlist);
	}
	free(Q);
	free(S);
	free(Bp);
	free(mem);
	free(qry);
	free(moff);
	free(qoff);
	knn_cands_finish(&h);
	return 0;
}

double knn_recall(const knn_result *approx, const knn_result *exact, int at)
{
	double sum = 0;
	int64_t rows = 0;
	for (int64_t i = 0; i < exact->n && i < approx->n; i++) {
		int e = 0, hit = 0;
		for (int a = 0; a < at && a < exact->k; a++)
			if (exact->idx[i * exact->k + a] >= 0)
				e++;
		if (e == 0)
			continue;
		for (int a = 0; a < at && a < approx->k; a++) {
			int32_t id = approx->idx[i * approx->k + a];
			if (id < 0)
				continue;
			for (int b = 0; b < e; b++)
				if (exact->idx[i * exact->k + b] == id) {
					hit++;
					break;
				}
		}
		sum += (double)hit / e;
		rows++;
	}
	return rows ? sum / (double)rows : 1.0;
}
