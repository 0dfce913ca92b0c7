/*
 * compare.c: the engine of `featscope compare` (see compare.h): decoder
 * matching with baselines, co-activation over stored examples, and the
 * label distance. Matching normalises both decoders and hands them to
 * knn_exact_cross, which computes the top-k of both directions from one
 * pass of blocked sgemm products; the baselines cost one product of
 * CMP_BASELINE_DIRS random directions (one fixed seed, drawn once for both
 * sides) against each decoder, in cache-sized tiles over the cores, each
 * tile's maxima taken while it is hot.
 */
#include "compare/compare.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas.h"
#include "core/util.h"

void cmp_opts_init(cmp_opts *o)
{
	memset(o, 0, sizeof *o);
	o->k = 5;
	o->pct = 0.99;
	o->seed = 0x19c0ffee;
}

static int cmp_f(const void *x, const void *y)
{
	float a = *(const float *)x, b = *(const float *)y;
	return a < b ? -1 : a > b;
}

float cmp_percentile(float *v, int64_t n, double pct)
{
	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_f);
	double at = pct * (double)(n - 1);
	int64_t lo = (int64_t)floor(at);
	if (lo >= n - 1)
		return v[n - 1];
	double t = at - (double)lo;
	return (float)((1 - t) * v[lo] + t * v[lo + 1]);
}

static float gauss(uint64_t *s)
{
	double u1 = knn_randu(s) + 1e-12, u2 = knn_randu(s);
	return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

/* The CMP_BASELINE_DIRS random unit directions of width d (one fixed
 * seed), nr x d. */
static float *baseline_dirs(int d)
{
	const int nr = CMP_BASELINE_DIRS;
	uint64_t s = 0x19c0ffee;
	float *R = xmalloc((size_t)nr * (size_t)d * sizeof *R);
	for (int i = 0; i < nr; i++) {
		double ss = 0;
		float *r = R + (size_t)i * d;
		for (int j = 0; j < d; j++) {
			r[j] = gauss(&s);
			ss += (double)r[j] * r[j];
		}
		float sc = (float)(1 / sqrt(ss > 0 ? ss : 1));
		for (int j = 0; j < d; j++)
			r[j] *= sc;
	}
	return R;
}

/*
 * The best cosine of each direction, over tiles of BASE_TILE rows of X
 * against all directions (BASE_TILE x nr floats: 1 MiB, one core's L2
 * cache), so the maxima are taken while the tile is hot instead of from
 * a product written to memory and read back. Each thread takes the next
 * tile (an atomic counter: a thread slowed by other load takes fewer),
 * runs its own one-threaded product and keeps its own maxima; the maxima
 * are merged at the end (a maximum does not depend on the order).
 */
#define BASE_TILE 128
#define BASE_MAX_THREADS 64

typedef struct {
	const float *X, *R;     /* rows, directions */
	int64_t n;              /* rows */
	int d, nr;              /* width, directions */
	int64_t next;           /* next tile to take (atomic) */
} base_share;

typedef struct {
	base_share *sh;         /* the work */
	float *best;            /* this thread's maxima, nr */
	pthread_t th;           /* the thread (not the first) */
	int started;            /* th exists */
} base_thread;

static void *base_main(void *p)
{
	base_thread *t = p;
	base_share *sh = t->sh;
	int nr = sh->nr;
	float *C = xmalloc((size_t)BASE_TILE * (size_t)nr * sizeof *C);
	float *best = t->best;
	int64_t ntile = (sh->n + BASE_TILE - 1) / BASE_TILE;
	for (;;) {
		int64_t b = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
		if (b >= ntile)
			break;
		int64_t r0 = b * BASE_TILE;
		int bi = (int)(sh->n - r0 < BASE_TILE ? sh->n - r0 : BASE_TILE);
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, nr, sh->d, 1.0f,
			 sh->X + r0 * sh->d, sh->d, sh->R, sh->d, 0.0f, C, nr);
		for (int i = 0; i < bi; i++) {
			const float *row = C + (size_t)i * nr;
			for (int q = 0; q < nr; q++)
				best[q] = row[q] > best[q] ? row[q] : best[q];
		}
	}
	free(C);
	return NULL;
}

/* The baseline of X against the directions R (nr x d). */
static float baseline_with(const float *X, int64_t n, int d, const float *R, double pct)
{
	const int nr = CMP_BASELINE_DIRS;
	base_share sh = {.X = X, .R = R, .n = n, .d = d, .nr = nr};
	int64_t ntile = (n + BASE_TILE - 1) / BASE_TILE;
	int nt = fs_blas_threads();
	if (nt > ntile)
		nt = (int)ntile;
	if (nt > BASE_MAX_THREADS)
		nt = BASE_MAX_THREADS;
	if (nt < 1)
		nt = 1;
	base_thread *t = xcalloc((size_t)nt, sizeof *t);
	for (int i = 0; i < nt; i++) {
		t[i].sh = &sh;
		t[i].best = xmalloc((size_t)nr * sizeof *t[i].best);
		for (int q = 0; q < nr; q++)
			t[i].best[q] = -2;
	}
	/* one-threaded products, each in its own thread (as knn_exact_cross) */
	int old = fs_blas_set_threads(1);
	for (int i = 1; i < nt; i++)
		t[i].started = pthread_create(&t[i].th, NULL, base_main, &t[i]) == 0;
	base_main(&t[0]);
	for (int i = 1; i < nt; i++)
		if (t[i].started)
			pthread_join(t[i].th, NULL);
	fs_blas_set_threads(old);
	/* a thread that could not start took no tile: the others did */
	float *best = t[0].best;
	for (int i = 1; i < nt; i++) {
		for (int q = 0; q < nr; q++)
			best[q] = t[i].best[q] > best[q] ? t[i].best[q] : best[q];
		free(t[i].best);
	}
	float p = cmp_percentile(best, nr, pct);
	free(best);
	free(t);
	return p;
}

float cmp_random_baseline(const float *X, int64_t n, int d, double pct)
{
	if (n <= 0 || d <= 0)
		return NAN;
	float *R = baseline_dirs(d);
	float p = baseline_with(X, n, d, R, pct);
	free(R);
	return p;
}

int cmp_in_top(const knn_result *r, int64_t i, int64_t j)
{
	if (!r || i < 0 || i >= r->n)
		return 0;
	for (int t = 0; t < r->k; t++)
		if (r->idx[i * r->k + t] == j)
			return 1;
	return 0;
}

int cmp_match_run(const float *A, int64_t na, const float *B, int64_t nb, int d,
		  const cmp_opts *o, cmp_match *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	if (na <= 0 || nb <= 0 || d <= 0)
		return fs_seterr(err, errlen, "nothing to compare: %lld x %lld rows of width %d",
				 (long long)na, (long long)nb, d);
	int64_t bad = -1;
	float *XA = knn_normalize(A, na, d, &bad);
	if (!XA)
		return fs_seterr(err, errlen, "decoder A: row %lld: a value is not finite", (long long)bad);
	float *XB = knn_normalize(B, nb, d, &bad);
	if (!XB) {
		free(XA);
		return fs_seterr(err, errlen, "decoder B: row %lld: a value is not finite", (long long)bad);
	}
	m->na = na;
	m->nb = nb;
	m->d = d;
	m->k = o->k > 0 ? o->k : 1;
	knn_opts ko = {.block = o->block};
	knn_exact_cross(XA, na, XB, nb, d, m->k, &ko, &m->ab, &m->ba);
	m->mutual = xmalloc((size_t)na * sizeof *m->mutual);
	for (int64_t i = 0; i < na; i++) {
		int32_t j = m->ab.idx[i * m->k];
		m->mutual[i] = -1;
		if (j >= 0 && m->ba.idx[(int64_t)j * m->k] == i) {
			m->mutual[i] = j;
			m->n_mutual++;
		}
	}
	/* both baselines from one draw of the directions */
	float *R = baseline_dirs(d);
	m->rand_ab = baseline_with(XB, nb, d, R, o->pct);
	m->rand_ba = baseline_with(XA, na, d, R, o->pct);
	free(R);
	/* shuffled pairs: a random A row with a random B row other than its
	 * k best matches (so true matches do not count as chance) */
	int64_t ns = 8192;
	float *sv = xmalloc((size_t)ns * sizeof *sv);
	uint64_t s = o->seed ^ 0x5417f1ed;
	int64_t got = 0;
	for (int64_t t = 0; t < ns * 4 && got < ns; t++) {
		int64_t i = (int64_t)(knn_randu(&s) * (double)na);
		int64_t j = (int64_t)(knn_randu(&s) * (double)nb);
		if (cmp_in_top(&m->ab, i, j))
			continue;
		const float *x = XA + i * d, *y = XB + j * d;
		double c = 0;
		for (int q = 0; q < d; q++)
			c += (double)x[q] * y[q];
		sv[got++] = (float)c;
	}
	ns = got;
	m->shuf = cmp_percentile(sv, ns, o->pct);
	free(sv);
	free(XA);
	free(XB);
	return 0;
}

void cmp_match_free(cmp_match *m)
{
	knn_result_free(&m->ab);
	knn_result_free(&m->ba);
	free(m->mutual);
	memset(m, 0, sizeof *m);
}

float cmp_threshold(const cmp_match *m, int b_side, float min_cos)
{
	float t = b_side ? m->rand_ba : m->rand_ab;
	if (min_cos > t)
		t = min_cos;
	return t;
}

/* --------------------------------------------------------- co-activation */

void cmp_acts_init(cmp_acts *a, int64_t n)
{
	memset(a, 0, sizeof *a);
	a->n = n;
	a->off = xcalloc((size_t)n + 1, sizeof *a->off);
	a->tok = xcalloc((size_t)n + 1, sizeof *a->tok);
	a->s = xcalloc((size_t)n + 1, sizeof *a->s);
	a->ss = xcalloc((size_t)n + 1, sizeof *a->ss);
	a->fires = xcalloc((size_t)n + 1, sizeof *a->fires);
}

void cmp_acts_push(cmp_acts *a, int64_t feat, int64_t ctx, const float *acts, int ntok)
{
	if (feat < a->cur || feat >= a->n || ntok < 0)
		return;
	while (a->cur < feat)
		a->off[++a->cur] = a->nex;
	if (a->nex == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->ex = xrealloc(a->ex, (size_t)a->cap * sizeof *a->ex);
	}
	int nnz = 0;
	for (int t = 0; t < ntok; t++)
		nnz += acts[t] != 0;
	if (a->npool + nnz > a->pcap) {
		while (a->npool + nnz > a->pcap)
			a->pcap = a->pcap ? a->pcap * 2 : 4096;
		a->pos = xrealloc(a->pos, (size_t)a->pcap * sizeof *a->pos);
		a->val = xrealloc(a->val, (size_t)a->pcap * sizeof *a->val);
	}
	cmp_ex *e = &a->ex[a->nex++];
	e->ctx = ctx;
	e->ntok = ntok;
	e->nnz = nnz;
	e->at = a->npool;
	for (int t = 0; t < ntok; t++)
		if (acts[t] != 0) {
			a->pos[a->npool] = t;
			a->val[a->npool++] = acts[t];
		}
}

static int ex_by_ctx(const void *x, const void *y)
{
	const cmp_ex *a = x, *b = y;
	return a->ctx < b->ctx ? -1 : a->ctx > b->ctx;
}

void cmp_acts_done(cmp_acts *a)
{
	while (a->cur < a->n)
		a->off[++a->cur] = a->nex;
	/* sort each feature's examples and drop repeated contexts in place */
	int64_t w = 0;
	for (int64_t f = 0; f < a->n; f++) {
		int64_t lo = a->off[f], hi = a->off[f + 1];
		if (hi - lo > 1)
			qsort(a->ex + lo, (size_t)(hi - lo), sizeof *a->ex, ex_by_ctx);
		a->off[f] = w;
		double tok = 0, s = 0, ss = 0, fires = 0;
		for (int64_t i = lo; i < hi; i++) {
			if (i > lo && a->ex[i].ctx == a->ex[i - 1].ctx)
				continue;
			cmp_ex *e = &a->ex[i];
			tok += e->ntok;
			for (int32_t q = 0; q < e->nnz; q++) {
				double v = a->val[e->at + q];
				s += v;
				ss += v * v;
				fires += v > 0;
			}
			a->ex[w++] = *e;
		}
		a->tok[f] = tok;
		a->s[f] = s;
		a->ss[f] = ss;
		a->fires[f] = fires;
	}
	a->off[a->n] = w;
	a->nex = w;
}

void cmp_acts_free(cmp_acts *a)
{
	free(a->off);
	free(a->ex);
	free(a->pos);
	free(a->val);
	free(a->tok);
	free(a->s);
	free(a->ss);
	free(a->fires);
	memset(a, 0, sizeof *a);
}

int64_t cmp_acts_covered(const cmp_acts *a)
{
	int64_t c = 0;
	for (int64_t f = 0; f < a->n; f++)
		c += a->off[f + 1] > a->off[f];
	return c;
}

void cmp_pair(const cmp_acts *A, int64_t a, const cmp_acts *B, int64_t b, cmp_coact *out)
{
	out->corr = out->share_a = out->share_b = NAN;
	out->shared = 0;
	if (a < 0 || a >= A->n || b < 0 || b >= B->n)
		return;
	/* tokens of contexts both stored (counted once), the products there */
	double both_tok = 0, sab = 0, cof = 0;
	int64_t i = A->off[a], ie = A->off[a + 1], j = B->off[b], je = B->off[b + 1];
	while (i < ie && j < je) {
		const cmp_ex *x = &A->ex[i], *y = &B->ex[j];
		if (x->ctx < y->ctx) {
			i++;
			continue;
		}
		if (y->ctx < x->ctx) {
			j++;
			continue;
		}
		if (x->ntok == y->ntok) {
			out->shared++;
			both_tok += x->ntok;
			/* merge the two sorted lists of nonzero positions */
			int32_t p = 0, q = 0;
			while (p < x->nnz && q < y->nnz) {
				int32_t px = A->pos[x->at + p], qy = B->pos[y->at + q];
				if (px < qy)
					p++;
				else if (qy < px)
					q++;
				else {
					float va = A->val[x->at + p], vb = B->val[y->at + q];
					sab += (double)va * vb;
					cof += va > 0 && vb > 0;
					p++;
					q++;
				}
			}
		}
		i++;
		j++;
	}
	double n = A->tok[a] + B->tok[b] - both_tok;
	double sa = A->s[a], sb = B->s[b];
	double va = n * A->ss[a] - sa * sa, vb = n * B->ss[b] - sb * sb;
	if (n > 1 && va > 0 && vb > 0)
		out->corr = (n * sab - sa * sb) / sqrt(va * vb);
	if (A->fires[a] > 0)
		out->share_a = cof / A->fires[a];
	if (B->fires[b] > 0)
		out->share_b = cof / B->fires[b];
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double pct_d(double *v, int n, double pct)
{
	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	double at = pct * (n - 1);
	int lo = (int)floor(at);
	if (lo >= n - 1)
		return v[n - 1];
	return (1 - (at - lo)) * v[lo] + (at - lo) * v[lo + 1];
}

void cmp_coact_baseline(const cmp_acts *A, const cmp_acts *B, const knn_result *skip, int ns,
			double pct, uint64_t seed, double *corr, double *share)
{
	*corr = *share = NAN;
	/* features with examples on each side */
	int64_t nca = 0, ncb = 0;
	int64_t *ca = xmalloc((size_t)(A->n + 1) * sizeof *ca), *cb = xmalloc((size_t)(B->n + 1) * sizeof *cb);
	for (int64_t f = 0; f < A->n; f++)
		if (A->off[f + 1] > A->off[f])
			ca[nca++] = f;
	for (int64_t f = 0; f < B->n; f++)
		if (B->off[f + 1] > B->off[f])
			cb[ncb++] = f;
	if (nca && ncb && ns > 0) {
		double *vc = xmalloc((size_t)ns * sizeof *vc), *vs = xmalloc((size_t)ns * sizeof *vs);
		int nc = 0, nsh = 0;
		uint64_t s = seed ^ 0xc0ac7;
		for (int t = 0; t < ns * 4 && nc < ns; t++) {
			int64_t a = ca[(int64_t)(knn_randu(&s) * (double)nca)];
			int64_t b = cb[(int64_t)(knn_randu(&s) * (double)ncb)];
			if (cmp_in_top(skip, a, b))
				continue;
			cmp_coact c;
			cmp_pair(A, a, B, b, &c);
			if (!isnan(c.corr))
				vc[nc++] = c.corr;
			if (!isnan(c.share_a))
				vs[nsh++] = c.share_a;
		}
		*corr = pct_d(vc, nc, pct);
		*share = pct_d(vs, nsh, pct);
		free(vc);
		free(vs);
	}
	free(ca);
	free(cb);
}

/* ---------------------------------------------------------------- labels */

/* Words of a label: lower-cased runs of letters and digits (bytes >= 0x80
 * count as letters), longer than one byte, without filler words. */
static int label_words(const char *s, char ***out)
{
	static const char *const stop[] = {"the", "and", "of", "in", "on", "to", "a", "an",
					   "or", "for", "with", "auto", "token", "tokens", NULL};
	char **w = NULL;
	int n = 0, cap = 0;
	for (const char *p = s ? s : ""; *p;) {
		while (*p && !(isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80))
			p++;
		const char *b = p;
		while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80))
			p++;
		size_t len = (size_t)(p - b);
		if (len < 2)
			continue;
		char *x = xmalloc(len + 1);
		for (size_t i = 0; i < len; i++)
			x[i] = (char)tolower((unsigned char)b[i]);
		x[len] = 0;
		int skip = 0;
		for (int i = 0; stop[i]; i++)
			skip |= !strcmp(stop[i], x);
		for (int i = 0; i < n && !skip; i++)
			skip |= !strcmp(w[i], x);
		if (skip) {
			free(x);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			w = xrealloc(w, (size_t)cap * sizeof *w);
		}
		w[n++] = x;
	}
	*out = w;
	return n;
}

double cmp_label_distance(const char *x, const char *y)
{
	char **wx, **wy;
	int nx = label_words(x, &wx), ny = label_words(y, &wy);
	int both = 0;
	for (int i = 0; i < nx; i++)
		for (int j = 0; j < ny; j++)
			if (!strcmp(wx[i], wy[j])) {
				both++;
				break;
			}
	double d = nx + ny - both > 0 ? 1.0 - (double)both / (double)(nx + ny - both) : 0.0;
	for (int i = 0; i < nx; i++)
		free(wx[i]);
	for (int j = 0; j < ny; j++)
		free(wy[j]);
	free(wx);
	free(wy);
	return d;
}
