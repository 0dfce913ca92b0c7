/*
 * comparefix.c: planted dictionaries for tests/t-compare.sh, written
 * through the writer. Into DIR:
 *   cmp.sqlite   one index, hook "h" of model "m", d_model 64:
 *     "n"     28 features: 0..23 parents (random directions), 24..27
 *             orphans (random directions with no child anywhere);
 *     "w"     80 features: 72 children, parent p (0..23) split into
 *             c = 2 + p % 3 children (its direction plus noise, cosine
 *             about 0.94), then 8 new random features (72..79);
 *     "x"     144 features: child j of w split again into 2 (2j, 2j+1);
 *     "other" 40 random features at another hook point ("h2");
 *     "d32"   20 features of d_model 32;
 *     "nodec" 28 features of d_model 64 with no stored decoder.
 *   Firings: parent p fires on 30 contexts of its own (tokens 2..4); its
 *   children partition them with weights 1..c (c=2: 10, 20 contexts;
 *   c=3: 5, 10, 15; c=4: 3, 6, 9, 12), so child i of p has the share
 *   (i+1) / (c(c+1)/2) of p's firings; grandchild 2j gets the first
 *   floor(n/2) of child j's n contexts, 2j+1 the rest. Orphans and new
 *   features fire on 10 contexts of their own. Labels: parent p "<word>
 *   concept", child "<word> concept variant", except parent 5 whose
 *   children are labelled "unrelated french legal" (the pair whose labels
 *   differ most).
 *   wide.sqlite  dictionary "w" alone (same decoder), with the same
 *                contexts (co-activation across files works);
 *   alien.sqlite dictionary "w" alone, contexts of other texts (no shared
 *                context: co-activation not available);
 *   n.npy, w.npy, d32.npy, nodec.npy: decoders as files (f32).
 *   truth.tsv    per w child: "child parent share" (share of the parent's
 *                firings), per x grandchild "x child share".
 *   cofire.tsv   per parent n/p its co-firing features as the feature page
 *                must list them: "n/p rank name shared jaccard", best
 *                first, at most 10. By construction: a child or grandchild
 *                fires on a subset of p's 30 contexts (Jaccard = its
 *                count / 30); "other" features 0..5 (another hook point)
 *                fire on the first 12 contexts of parent 0..5 and on 6 of
 *                their own (Jaccard 12 / 36), so they rank among p's
 *                children by a figure that is not a plain share.
 * Deterministic. Usage: comparefix DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "geom/knn.h"
#include "index/index.h"

enum { D = 64, NP = 24, NN = 28, NW = 80, NCH = 72, NX = 144, NO = 40, ND32 = 20, NTOK = 8, NOF = 6 };

static const char *const words[NP] = {
	"genome", "capitals", "numbers", "python", "french", "legal", "music", "chemistry",
	"sports", "weather", "cooking", "finance", "poetry", "medicine", "physics", "history",
	"travel", "movies", "gardening", "astronomy", "law", "religion", "fashion", "games"};

static float gauss(uint64_t *s)
{
	double u1 = knn_randu(s) + 1e-12, u2 = knn_randu(s);
	return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

static int write_npy(const char *path, const float *W, int64_t n, int d)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	char hdr[128];
	int len = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, %d), }",
			   (long long)n, d);
	int total = 10 + len + 1;
	int pad = (64 - total % 64) % 64;
	unsigned short hl = (unsigned short)(len + pad + 1);
	fwrite("\x93NUMPY\x01\x00", 1, 8, f);
	fputc(hl & 0xff, f);
	fputc(hl >> 8, f);
	fwrite(hdr, 1, (size_t)len, f);
	for (int i = 0; i < pad; i++)
		fputc(' ', f);
	fputc('\n', f);
	fwrite(W, sizeof *W, (size_t)(n * d), f);
	return fclose(f);
}

/* The planted structure, shared by the three files. */
typedef struct {
	float WN[NN * D], WW[NW * D], WX[NX * D], WO[NO * D], W32[ND32 * 32], WND[NN * D];
	int parent_of[NCH];   /* w child -> n parent */
	int cidx[NCH];        /* which child of its parent (0-based) */
	int nch[NP];          /* children per parent */
	int first_child[NP];  /* first w row of its children */
	int child_ctx[NCH];   /* contexts of each child */
	int child_off[NCH];   /* offset of its contexts within its parent's 30 */
} plant;

static void make_plant(plant *p)
{
	uint64_t s = 20261201;
	for (int i = 0; i < NN * D; i++)
		p->WN[i] = gauss(&s);
	int r = 0;
	for (int q = 0; q < NP; q++) {
		int c = 2 + q % 3, tot = c * (c + 1) / 2, off = 0;
		p->nch[q] = c;
		p->first_child[q] = r;
		for (int i = 0; i < c; i++, r++) {
			p->parent_of[r] = q;
			p->cidx[r] = i;
			p->child_ctx[r] = 30 * (i + 1) / tot;
			p->child_off[r] = off;
			off += p->child_ctx[r];
			for (int j = 0; j < D; j++)
				p->WW[r * D + j] = p->WN[q * D + j] + 0.35f * gauss(&s);
		}
	}
	for (; r < NW; r++)
		for (int j = 0; j < D; j++)
			p->WW[r * D + j] = gauss(&s);
	for (int g = 0; g < NX; g++)
		for (int j = 0; j < D; j++)
			p->WX[g * D + j] = p->WW[(g / 2) * D + j] + 0.25f * gauss(&s);
	for (int i = 0; i < NO * D; i++)
		p->WO[i] = gauss(&s);
	for (int i = 0; i < ND32 * 32; i++)
		p->W32[i] = gauss(&s);
	for (int i = 0; i < NN * D; i++)
		p->WND[i] = gauss(&s);
}

static int add_dict(fs_writer *w, const char *name, const char *hook, int d, int64_t n,
		    int64_t *fids, int (*label)(int64_t, char *, size_t))
{
	fs_sae sa = {0, (char *)name, (char *)"m", (char *)hook, 3, d, n, (char *)"native"};
	int sae = index_writer_add_sae(w, &sa);
	if (sae < 0)
		return -1;
	for (int64_t i = 0; i < n; i++) {
		char lb[128] = "";
		if (label)
			label(i, lb, sizeof lb);
		fs_feature f;
		memset(&f, 0, sizeof f);
		f.sae = sae;
		f.idx = i;
		f.label = lb;
		f.label_source = (char *)"test";
		f.density = -1;
		f.map_x = f.map_y = NAN;
		fids[i] = index_writer_add_feature(w, &f);
		if (fids[i] < 0)
			return -1;
	}
	return sae;
}

static plant P;

static int label_n(int64_t i, char *b, size_t n)
{
	if (i < NP)
		return snprintf(b, n, "%s concept", words[i]);
	return snprintf(b, n, "orphan %lld", (long long)i);
}

static int label_w(int64_t i, char *b, size_t n)
{
	if (i >= NCH)
		return snprintf(b, n, "new random %lld", (long long)i);
	int q = P.parent_of[i];
	if (q == 5)
		return snprintf(b, n, "unrelated french words");
	return snprintf(b, n, "%s concept variant", words[q]);
}

static int label_x(int64_t i, char *b, size_t n)
{
	return snprintf(b, n, "%s concept fine", words[P.parent_of[i / 2]]);
}

/* One context: 8 space-separated words. */
static int64_t add_ctx(fs_writer *w, const char *prefix, int a, int b)
{
	char text[160];
	int len = snprintf(text, sizeof text, "%s%d q%d alpha beta gamma delta eps zeta", prefix, a, b);
	uint32_t off[NTOK + 1];
	int t = 0;
	off[0] = 0;
	for (int i = 0; i < len && t < NTOK - 1; i++)
		if (text[i] == ' ')
			off[++t] = (uint32_t)i;
	off[NTOK] = (uint32_t)len;
	return index_writer_add_context(w, text, (size_t)len, off, NTOK, "planted");
}

/* Write one example firing on tokens 2..4 with value base (+ a ramp). */
static int fire(fs_writer *w, int64_t fid, int rank, int64_t ctx, float base)
{
	float acts[NTOK] = {0};
	acts[2] = base;
	acts[3] = base * 1.5f;
	acts[4] = base * 0.5f;
	return index_writer_add_example(w, fid, 0, rank, ctx, acts, NTOK);
}

/* The index files. which: 0 cmp.sqlite, 1 wide.sqlite, 2 alien.sqlite. */
static int write_index(const char *path, int which)
{
	char err[1024];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	if (!w) {
		fprintf(stderr, "comparefix: %s\n", err);
		return -1;
	}
	static int64_t fn[NN], fw[NW], fx[NX], fo[NO], f32[ND32], fnd[NN];
	int sn = 0, sw, sx = 0, so = 0, s32 = 0, snd = 0;
	if (which == 0) {
		sn = add_dict(w, "n", "h", D, NN, fn, label_n);
		sw = add_dict(w, "w", "h", D, NW, fw, label_w);
		sx = add_dict(w, "x", "h", D, NX, fx, label_x);
		so = add_dict(w, "other", "h2", D, NO, fo, NULL);
		s32 = add_dict(w, "d32", "h", 32, ND32, f32, NULL);
		snd = add_dict(w, "nodec", "h", D, NN, fnd, NULL);
		if (sn < 0 || sw < 0 || sx < 0 || so < 0 || s32 < 0 || snd < 0)
			goto bad;
	} else if ((sw = add_dict(w, "w", "h", D, NW, fw, label_w)) < 0)
		goto bad;
	const char *pre = which == 2 ? "alien p" : "p";
	int rank_n[NN] = {0}, rank_w[NW] = {0}, rank_x[NX] = {0}, rank_o[NO] = {0};
	for (int q = 0; q < NP; q++)
		for (int c = 0; c < 30; c++) {
			int64_t ctx = add_ctx(w, pre, q, c);
			if (ctx < 0)
				goto bad;
			float v = 1.0f + 0.05f * (float)(c % 7);
			if (which == 0 && fire(w, fn[q], rank_n[q]++, ctx, v) < 0)
				goto bad;
			int ch = P.first_child[q];
			while (c >= P.child_off[ch] + P.child_ctx[ch])
				ch++;
			if (fire(w, fw[ch], rank_w[ch]++, ctx, 0.8f * v) < 0)
				goto bad;
			int g = 2 * ch + (c - P.child_off[ch] >= P.child_ctx[ch] / 2);
			if (which == 0 && fire(w, fx[g], rank_x[g]++, ctx, 0.6f * v) < 0)
				goto bad;
			if (which == 0 && q < NOF && c < 12 && fire(w, fo[q], rank_o[q]++, ctx, 0.5f) < 0)
				goto bad;
		}
	/* other/q (q < NOF) also fires on 6 contexts of its own */
	for (int q = 0; q < NOF && which == 0; q++)
		for (int c = 0; c < 6; c++) {
			int64_t ctx = add_ctx(w, "elsewhere", q, c);
			if (ctx < 0 || fire(w, fo[q], rank_o[q]++, ctx, 0.7f) < 0)
				goto bad;
		}
	/* orphans of n, new features of w: contexts of their own */
	for (int i = NP; i < NN && which == 0; i++)
		for (int c = 0; c < 10; c++) {
			int64_t ctx = add_ctx(w, "orphan", i, c);
			if (ctx < 0 || fire(w, fn[i], rank_n[i]++, ctx, 1.2f) < 0)
				goto bad;
		}
	for (int i = NCH; i < NW; i++)
		for (int c = 0; c < 10; c++) {
			int64_t ctx = add_ctx(w, which == 2 ? "alien new" : "new", i, c);
			if (ctx < 0 || fire(w, fw[i], rank_w[i]++, ctx, 0.9f) < 0)
				goto bad;
		}
	if (index_writer_add_decoder(w, sw, P.WW, NW, D) < 0)
		goto bad;
	if (which == 0 && (index_writer_add_decoder(w, sn, P.WN, NN, D) < 0 ||
			   index_writer_add_decoder(w, sx, P.WX, NX, D) < 0 ||
			   index_writer_add_decoder(w, so, P.WO, NO, D) < 0 ||
			   index_writer_add_decoder(w, s32, P.W32, ND32, 32) < 0))
		goto bad;
	index_writer_count_tokens(w, 100000);
	if (index_writer_finish(w, err, sizeof err) != 0) {
		fprintf(stderr, "comparefix: %s\n", err);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "comparefix: %s\n", index_writer_errmsg(w));
	index_writer_abort(w);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: comparefix DIR\n");
		return 2;
	}
	make_plant(&P);
	const char *dir = argv[1];
	char *p;
	int rc = 0;
	const char *names[3] = {"cmp.sqlite", "wide.sqlite", "alien.sqlite"};
	for (int i = 0; i < 3 && rc == 0; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		rc = write_index(p, i);
		free(p);
	}
	struct { const char *name; const float *W; int64_t n; int d; } npy[4] = {
		{"n.npy", P.WN, NN, D}, {"w.npy", P.WW, NW, D}, {"d32.npy", P.W32, ND32, 32},
		{"nodec.npy", P.WND, NN, D}};
	for (int i = 0; i < 4 && rc == 0; i++) {
		p = xasprintf("%s/%s", dir, npy[i].name);
		rc = write_npy(p, npy[i].W, npy[i].n, npy[i].d);
		free(p);
	}
	p = xasprintf("%s/truth.tsv", dir);
	FILE *t = fopen(p, "w");
	free(p);
	if (!t)
		return 1;
	for (int r = 0; r < NCH; r++) {
		int q = P.parent_of[r];
		fprintf(t, "w\t%d\t%d\t%.6f\n", r, q, P.child_ctx[r] / 30.0);
		int h = P.child_ctx[r] / 2;
		fprintf(t, "x\t%d\t%d\t%.6f\n", 2 * r, r, (double)h / P.child_ctx[r]);
		fprintf(t, "x\t%d\t%d\t%.6f\n", 2 * r + 1, r, (double)(P.child_ctx[r] - h) / P.child_ctx[r]);
	}
	if (fclose(t) != 0)
		rc = -1;
	p = xasprintf("%s/cofire.tsv", dir);
	t = fopen(p, "w");
	free(p);
	if (!t)
		return 1;
	for (int q = 0; q < NP; q++) {
		/* every feature sharing contexts with n/q: its w children, their
		 * x halves, other/q; order as dictionaries were added (n, w, x,
		 * other) is fid order */
		struct cof { char name[32]; int shared, own, ord; } e[16];
		int ne = 0;
		for (int r = P.first_child[q]; r < P.first_child[q] + P.nch[q]; r++) {
			int h = P.child_ctx[r] / 2;
			e[ne].ord = 1000 + r;
			snprintf(e[ne].name, sizeof e[ne].name, "w/%d", r);
			e[ne].shared = e[ne].own = P.child_ctx[r];
			ne++;
			for (int g = 0; g < 2; g++, ne++) {
				e[ne].ord = 2000 + 2 * r + g;
				snprintf(e[ne].name, sizeof e[ne].name, "x/%d", 2 * r + g);
				e[ne].shared = e[ne].own = g ? P.child_ctx[r] - h : h;
			}
		}
		if (q < NOF) {
			e[ne].ord = 3000 + q;
			snprintf(e[ne].name, sizeof e[ne].name, "other/%d", q);
			e[ne].shared = 12;
			e[ne].own = 18;
			ne++;
		}
		/* Jaccard s / (30 + own - s) higher first, then shared, then fid */
		for (int a = 1; a < ne; a++)
			for (int b = a; b > 0; b--) {
				long l = (long)e[b].shared * (30 + e[b - 1].own - e[b - 1].shared);
				long r = (long)e[b - 1].shared * (30 + e[b].own - e[b].shared);
				int before = l != r ? l > r : e[b].shared != e[b - 1].shared ? e[b].shared > e[b - 1].shared
												: e[b].ord < e[b - 1].ord;
				if (!before)
					break;
				struct cof tmp = e[b];
				e[b] = e[b - 1];
				e[b - 1] = tmp;
			}
		for (int a = 0; a < ne && a < 10; a++)
			fprintf(t, "n/%d\t%d\t%s\t%d\t%.3f\n", q, a + 1, e[a].name, e[a].shared,
				(double)e[a].shared / (30 + e[a].own - e[a].shared));
	}
	if (fclose(t) != 0)
		rc = -1;
	return rc ? 1 : 0;
}
