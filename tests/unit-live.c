/*
 * unit-live.c: the live model (src/live) against the training code it
 * must agree with: model/lm.c's forward pass (separate code, linked into
 * this test) on the shipped demo model, in its file and in "FSLM0002"
 * copies (float32, and float16 compared with lm.c run on the same rounded
 * parameters); model/sae.c's TopK encoder on the demo's middle dictionary
 * at the point its header names (and FSSAE002 copies); the KV-cached step against the full
 * pass; clamping and ablation through the steering hook; the sampler's
 * determinism; bad files; the products of a bf16 Hugging Face matrix
 * against sums in double.
 */
#include "config.h"
#include "live/live.h"
#include "live/hf_weights.h"
#include "nn/tensor.h"
#include "core/util.h"
#include "unit.h"
#include "../model/lm.h"
#include "../model/sae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

/* A hook that copies what it sees into buf[pos][width]. */
typedef struct {
	float *buf;   /* [cap][width] */
	int width;    /* columns */
	int rows;     /* rows seen (largest pos0 + n) */
} grab;

static void grab_fn(void *ud, float *act, int n, int width, int pos0)
{
	grab *g = ud;
	memcpy(g->buf + (size_t)pos0 * width, act, (size_t)n * width * sizeof(float));
	g->width = width;
	if (pos0 + n > g->rows)
		g->rows = pos0 + n;
}

static float *lm_capture;
static void lm_grab(void *ctx, float *act, int n, int width)
{
	(void)ctx;
	memcpy(lm_capture, act, (size_t)n * width * sizeof(float));
}

/* max |a - b| / max |b| */
/* A steering hook that then encodes the steered activations afresh (the
 * dictionary's whole encoder, not the hook's own bookkeeping) and keeps
 * each term's activation: fresh[pos * n + term]. */
typedef struct {
	live_steer *st;
	float *fresh;
	int cap;
} steer_check;
static void steer_check_fn(void *ud, float *act, int n, int width, int pos0)
{
	steer_check *c = ud;
	live_steer_hook(c->st, act, n, width, pos0);
	float *one = xmalloc((size_t)n * sizeof(float));
	for (int t = 0; t < c->st->n; t++) {
		live_sae_feature_acts(c->st->sae, act, n, c->st->terms[t].feature, one);
		for (int i = 0; i < n; i++)
			if (pos0 + i < c->cap)
				c->fresh[(size_t)(pos0 + i) * c->st->n + t] = one[i];
	}
	free(one);
}

static double rel_err(const float *a, const float *b, size_t n)
{
	double e = 0, m = 1e-30;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - b[i]);
		if (d > e || isnan(d))
			e = isnan(d) ? INFINITY : d;
		if (fabs(b[i]) > m)
			m = fabs(b[i]);
	}
	return e / m;
}

static void softmax_rows(float *x, int n, int v)
{
	for (int i = 0; i < n; i++) {
		float *r = x + (size_t)i * v, mx = r[0];
		for (int j = 1; j < v; j++)
			if (r[j] > mx)
				mx = r[j];
		double s = 0;
		for (int j = 0; j < v; j++)
			s += r[j] = expf(r[j] - mx);
		for (int j = 0; j < v; j++)
			r[j] = (float)(r[j] / s);
	}
}

/* Write a FSLM0002 copy of m with dtype 0 or 1. */
static void write_lm2(const lm_model *m, const char *path, int dtype)
{
	FILE *f = fopen(path, "wb");
	int32_t h[5] = {m->cfg.n_layer, m->cfg.d_model, m->cfg.n_head, m->cfg.ctx, dtype};
	fwrite("FSLM0002", 1, 8, f);
	fwrite(h, sizeof h, 1, f);
	for (size_t i = 0; i < m->n_params; i++) {
		if (dtype == 0) {
			fwrite(&m->params[i], 4, 1, f);
		} else {
			uint16_t v = f32_to_f16(m->params[i]);
			fwrite(&v, 2, 1, f);
		}
	}
	fclose(f);
}

static void write_sae2(const sae_model *s, const char *path, int dtype, int layer)
{
	FILE *f = fopen(path, "wb");
	int32_t h[6] = {s->d_in, s->n_feat, s->k, s->hook_kind, layer, dtype};
	fwrite("FSSAE002", 1, 8, f);
	fwrite(h, sizeof h, 1, f);
	fwrite(&s->in_scale, 4, 1, f);
	for (size_t i = 0; i < s->n_params; i++) {
		if (dtype == 0) {
			fwrite(&s->params[i], 4, 1, f);
		} else {
			uint16_t v = f32_to_f16(s->params[i]);
			fwrite(&v, 2, 1, f);
		}
	}
	fclose(f);
}

/* Compare live's forward pass on file `path` with lm.c's on lm. */
static void compare_forward(lm_model *lm, const char *path, const char *what, const uint8_t *text, int T)
{
	char err[512], name[256];
	live_model *m = live_load(path, err, sizeof err);
	snprintf(name, sizeof name, "%s: loads", what);
	CHECK(m != NULL, name);
	if (!m) {
		printf("# %s\n", err);
		return;
	}
	int F = 4 * lm->cfg.d_model;
	lm_capture = xmalloc((size_t)T * F * sizeof(float));
	lm_forward(lm, text, NULL, 1, T, lm_grab, NULL, NULL);
	int *ids, ntok;
	uint32_t *off;
	ntok = live_tokenize(m, (const char *)text, (size_t)T, &ids, &off);
	snprintf(name, sizeof name, "%s: one token a byte", what);
	CHECK(ntok == T && ids[5] == text[5] && off[T] == (uint32_t)T, name);
	grab g = {xmalloc((size_t)T * F * sizeof(float)), 0, 0};
	live_hook h = {{LIVE_MLP_HIDDEN, -1}, grab_fn, &g, NULL};
	float *logits = xmalloc((size_t)T * 256 * sizeof(float));
	int rc = live_forward(m, ids, T, &h, logits);
	snprintf(name, sizeof name, "%s: forward runs, hook sees %d x %d", what, T, F);
	CHECK(rc == 0 && g.rows == T && g.width == F, name);
	double e = rel_err(g.buf, lm_capture, (size_t)T * F);
	snprintf(name, sizeof name, "%s: MLP hidden activations equal lm.c's (rel err %.2g <= 1e-4)", what, e);
	CHECK(e <= 1e-4, name);
	softmax_rows(logits, T, 256);
	e = rel_err(logits, lm->logits, (size_t)T * 256);
	snprintf(name, sizeof name, "%s: next-byte probabilities equal lm.c's (rel err %.2g <= 1e-4)", what, e);
	CHECK(e <= 1e-4, name);

	/* KV cache: the first T-6 tokens at once, then one at a time */
	float *step = xmalloc(256 * sizeof(float));
	live_forward(m, ids, T - 6, NULL, NULL);
	double worst = 0;
	for (int t = T - 6; t < T; t++) {
		live_step(m, ids[t], NULL, step);
		softmax_rows(step, 1, 256);
		double et = rel_err(step, lm->logits + (size_t)t * 256, 256);
		if (et > worst)
			worst = et;
	}
	snprintf(name, sizeof name, "%s: KV-cached steps equal the full pass (rel err %.2g)", what, worst);
	CHECK(worst <= 1e-4 && m->pos == T, name);
	free(step);
	free(logits);
	free(g.buf);
	free(ids);
	free(off);
	free(lm_capture);
	live_free(m);
}

static int cmp_pairs(const int *ia, const float *va, const int *ib, const float *vb, int k)
{
	return !unit_same_pairs(ia, va, ib, vb, (size_t)k);
}

/* live_windows' callback for the test: what each window adds, into
 * arrays of the whole text, and that windows come in order. */
typedef struct {
	float *rows, *loss, *clean; /* [T][width], [T], [T] */
	int width;
	int64_t next_row, next_loss; /* where the next window must start */
	int in_order;
} win_acc;

static int win_acc_fn(void *ud, const live_window *w)
{
	win_acc *a = ud;
	a->in_order &= w->row0 == a->next_row && w->loss0 == a->next_loss;
	memcpy(a->rows + (size_t)w->row0 * a->width, w->rows, (size_t)w->nrows * a->width * sizeof(float));
	memcpy(a->loss + w->loss0, w->loss, (size_t)w->nloss * sizeof(float));
	if (w->loss_clean)
		memcpy(a->clean + w->loss0, w->loss_clean, (size_t)w->nloss * sizeof(float));
	a->next_row = w->row0 + w->nrows;
	a->next_loss = w->loss0 + w->nloss;
	return 0;
}

/* Load `path` and expect a refusal naming `want1` and `want2`, in one line. */
static void expect_refused(live_model *m, const char *err, const char *want1, const char *want2, const char *name)
{
	int ok = m == NULL && strstr(err, want1) && strstr(err, want2) && !strchr(err, '\n');
	CHECK(ok, name);
	if (!ok)
		printf("# got: %s\n", m ? "(loaded)" : err);
	live_free(m);
}

/* A copy of the demo model with one parameter replaced (by its offset in
 * lm.c's layout), in dtype 0 (f32) or 1 (f16). */
static void write_lm2_with(lm_model *lm, const char *path, int dtype, size_t at, float v)
{
	float keep = lm->params[at];
	lm->params[at] = v;
	write_lm2(lm, path, dtype);
	lm->params[at] = keep;
}

/* Weights that would run as NaN are refused at load, by tensor name. */
static void hostile_values(lm_model *lm, sae_model *ref, const char *dir)
{
	char p[600], err[512];
	snprintf(p, sizeof p, "%s/hostile-lm.bin", dir);
	write_lm2_with(lm, p, 0, lm->lay[1].w1 + 5, NAN);
	expect_refused(live_load(p, err, sizeof err), err, "hostile-lm.bin: blocks.1.w1", "nan",
		       "demo model: a NaN weight is refused, naming file and tensor");
	write_lm2_with(lm, p, 0, lm->wte + 3, INFINITY);
	expect_refused(live_load(p, err, sizeof err), err, "hostile-lm.bin: wte", "inf",
		       "demo model: an infinite weight is refused, naming the tensor");
	write_lm2_with(lm, p, 0, lm->wu, 3e38f);
	expect_refused(live_load(p, err, sizeof err), err, "hostile-lm.bin: wu: element 0", "3e+38",
		       "demo model: a finite but absurd weight (3e38) is refused");
	write_lm2_with(lm, p, 1, lm->lay[0].ln2_g + 1, INFINITY);
	expect_refused(live_load(p, err, sizeof err), err, "blocks.0.ln2_g: element 1", "inf",
		       "demo model f16: an infinite half is refused");
	write_lm2_with(lm, p, 0, lm->bu + 2, -1e5f);
	live_model *big = live_load(p, err, sizeof err);
	CHECK(big != NULL, "demo model: a large finite weight (-1e5, within the bound) still loads");
	live_free(big);

	snprintf(p, sizeof p, "%s/hostile-sae.bin", dir);
	size_t F = (size_t)ref->n_feat, D = (size_t)ref->d_in;
	size_t at[] = {F * D + F + 7, 0, F * D + 2};
	const char *want[] = {"W_dec: element 7", "W_enc: element 0", "b_enc: element 2"};
	float val[] = {NAN, -INFINITY, 3e38f};
	for (int i = 0; i < 3; i++) {
		float keep = ref->params[at[i]];
		ref->params[at[i]] = val[i];
		write_sae2(ref, p, 0, 1);
		ref->params[at[i]] = keep;
		live_sae *s = live_sae_load(p, err, sizeof err);
		char name[128];
		snprintf(name, sizeof name, "FSSAE002: %s is refused, naming the tensor", want[i]);
		CHECK(s == NULL && strstr(err, "hostile-sae.bin") && strstr(err, want[i]), name);
		live_sae_free(s);
	}
}

/* A FSLM0002 f16 file of n_layer 1, d_model 64 with the given heads and
 * ctx, small pseudo-random parameters. */
static void write_wide(const char *path, int n_head, int ctx)
{
	size_t D = 64, F = 4 * D;
	size_t n = 256 * D + (size_t)ctx * D + (2 * D + D * 3 * D + 3 * D + D * D + D + 2 * D + D * F + F + F * D + D) +
		   2 * D + D * 256 + 256;
	FILE *f = fopen(path, "wb");
	int32_t h[5] = {1, (int32_t)D, n_head, ctx, 1};
	fwrite("FSLM0002", 1, 8, f);
	fwrite(h, sizeof h, 1, f);
	uint64_t r = 12345;
	for (size_t i = 0; i < n; i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		uint16_t v = f32_to_f16((float)((double)(r >> 40) / (double)(1u << 24) - 0.5) * 0.2f);
		fwrite(&v, 2, 1, f);
	}
	fclose(f);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNIT_ASAN 1
#endif
#endif

/* The child of header_memory: under 2 GiB more address space than it
 * starts with, load the file, run 600 tokens at once (scores in blocks)
 * and the last 4 again as cached steps (one row: no blocks); exit 0 when
 * they agree. */
static int wide_child(const char *p)
{
	char err[512];
	unsigned long pages = 0;
	FILE *sf = fopen("/proc/self/statm", "r");
	if (!sf || fscanf(sf, "%lu", &pages) != 1)
		return 6;
	fclose(sf);
	struct rlimit rl;
	rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)2 << 30);
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		return 6;
	live_model *wm = live_load(p, err, sizeof err);
	if (!wm) {
		fprintf(stderr, "%s\n", err);
		return 3;
	}
	int T = 600;
	int *ids = xmalloc(T * sizeof *ids);
	for (int i = 0; i < T; i++)
		ids[i] = (i * 37 + 11) & 0xff;
	float *lg = xmalloc((size_t)T * 256 * sizeof *lg), st[256];
	if (live_forward(wm, ids, T, NULL, lg) != 0)
		return 4;
	live_forward(wm, ids, T - 4, NULL, NULL);
	double worst = 0;
	for (int t = T - 4; t < T; t++) {
		live_step(wm, ids[t], NULL, st);
		double e = rel_err(st, lg + (size_t)t * 256, 256);
		worst = e > worst ? e : worst;
	}
	live_free(wm);
	free(ids);
	free(lg);
	return worst <= 1e-4 ? 0 : 5;
}

/* A header promising 64 heads and 8192 positions in a 1.2 MB file: the
 * load and a 600-token pass fit in 2 GiB of address space (the scores of
 * n_head x ctx^2 would need 16 GiB), the pass computed in blocks of query
 * rows agrees with one-token steps, and absurd header fields are refused
 * by name. */
static void header_memory(const char *dir)
{
	char p[600], err[512];
	snprintf(p, sizeof p, "%s/wide-lm.bin", dir);
	write_wide(p, 64, 8192);
#ifndef UNIT_ASAN /* ASan reserves terabytes of address space up front */
	/* in a fresh process (this one has thread pools, which a fork does
	 * not carry), under its own address-space limit */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "unit-live", "--wide-child", p, (char *)NULL);
		_exit(7);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "64 heads, ctx 8192 in the header: load and a 600-token pass fit in 2 GiB, blocks agree with steps");
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		printf("# child status %d\n", status);
#endif
	write_wide(p, 64, 9000);
	expect_refused(live_load(p, err, sizeof err), err, "wide-lm.bin: header: ctx: 9000", "8192",
		       "a header ctx above 8192 is refused, naming the field");
	write_wide(p, 3, 64);
	expect_refused(live_load(p, err, sizeof err), err, "wide-lm.bin: header: n_head: 3", "64",
		       "a header n_head that does not divide d_model is refused, naming the field");
}

/* The reference for steering two dictionaries at once in add mode: each
 * row gets v4 W_dec4[f4] / in_scale4, then v1 W_dec1[f1] / in_scale1. */
typedef struct {
	live_sae *a, *b; /* the two dictionaries */
	int fa;          /* feature of a */
	float va;        /* its value */
	int fb;          /* feature of b */
	float vb;        /* its value */
} both_ref;

static void both_ref_fn(void *ud, float *act, int n, int width, int pos0)
{
	(void)pos0;
	both_ref *r = ud;
	for (int i = 0; i < n; i++) {
		float *row = act + (size_t)i * width;
		const float *da = r->a->w_dec + (size_t)r->fa * width, *db = r->b->w_dec + (size_t)r->fb * width;
		float ca = r->va * (1.0f / r->a->in_scale), cb = r->vb * (1.0f / r->b->in_scale);
		for (int j = 0; j < width; j++)
			row[j] += ca * da[j];
		for (int j = 0; j < width; j++)
			row[j] += cb * db[j];
	}
}

/* live_steer_pair's progress: the last count reported. */
static void pair_seen(void *ud, int done)
{
	*(int *)ud = done;
}

/* hf_matmul (src/live/hf_weights.c) on a bf16 matrix of 1031 x 37 (rows
 * not a multiple of the four taken at once, columns not of 16) against
 * sums in double here: one row of X (the threads' fused products) and
 * five (the parts' converted slices and sgemm), with and without
 * accumulating; a row's value does not depend on the rows around it. */
static void hf_products(void)
{
	enum { ROWS = 1031, COLS = 37, R = 5 };
	uint16_t *w = xmalloc(sizeof(uint16_t) * ROWS * COLS);
	float *x = xmalloc(sizeof(float) * R * COLS), *y = xmalloc(sizeof(float) * R * ROWS),
	      *y2 = xmalloc(sizeof(float) * ROWS), *scratch = xmalloc(sizeof(float) * HF_BLOCK_ROWS_GEMM * COLS);
	double *ref = xmalloc(sizeof(double) * R * ROWS), *mag = xmalloc(sizeof(double) * R * ROWS);
	uint32_t st = 12345;
	for (int i = 0; i < ROWS * COLS; i++) {
		st = st * 1664525u + 1013904223u;
		float f = ((float)(st >> 8) / 16777216.0f - 0.5f) * 4.0f;
		uint32_t u;
		memcpy(&u, &f, 4);
		w[i] = (uint16_t)(u >> 16);
	}
	for (int i = 0; i < R * COLS; i++) {
		st = st * 1664525u + 1013904223u;
		x[i] = (float)(st >> 8) / 16777216.0f - 0.5f;
	}
	for (int r = 0; r < R; r++)
		for (int o = 0; o < ROWS; o++) {
			double s = 0, a = 0;
			for (int c = 0; c < COLS; c++) {
				uint32_t u = (uint32_t)w[o * COLS + c] << 16;
				float f;
				memcpy(&f, &u, 4);
				s += (double)f * x[r * COLS + c];
				a += fabs((double)f * x[r * COLS + c]);
			}
			ref[r * ROWS + o] = s;
			mag[r * ROWS + o] = a;
		}
	hf_mat m = {TENSOR_BF16, ROWS, COLS, (const uint8_t *)w};
	for (int acc = 0; acc < 2; acc++)
		for (int n = 1; n <= R; n += R - 1) {
			for (int i = 0; i < n * ROWS; i++)
				y[i] = acc ? 1.0f : 99.0f;
			hf_matmul(&m, x, n, y, acc, scratch);
			double worst = 0;
			for (int i = 0; i < n * ROWS; i++) {
				double e = fabs(y[i] - acc - ref[i]) / (mag[i] + 1e-30);
				worst = e > worst ? e : worst;
			}
			char name[160];
			snprintf(name, sizeof name, "hf_matmul, bf16 %d x %d, %d row(s) of X%s: within 1e-6 of double sums (%.2g)",
				 ROWS, COLS, n, acc ? ", accumulating" : "", worst);
			CHECK(worst < 1e-6, name);
		}
	/* the same rows one row further on: other rows share their block of four */
	hf_mat m1 = {TENSOR_BF16, ROWS - 1, COLS, (const uint8_t *)(w + COLS)};
	hf_matmul(&m, x, 1, y, 0, scratch);
	hf_matmul(&m1, x, 1, y2, 0, scratch);
	CHECK(!memcmp(y + 1, y2, sizeof(float) * (ROWS - 1)),
	      "hf_matmul, one row of X: each row's value is the same whichever rows share its block");
	free(w);
	free(x);
	free(y);
	free(y2);
	free(scratch);
	free(ref);
	free(mag);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--wide-child"))
		return wide_child(argv[2]);
	const char *src = getenv("FS_SRCDIR") ? getenv("FS_SRCDIR") : FS_SRCDIR;
	snprintf(tmpdir, sizeof tmpdir, "%s/fs-unit-live.%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (int)getpid());
	char cmd[600], lmpath[512], saepath[512], p[600];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tmpdir);
	if (system(cmd) != 0)
		return 1;
	snprintf(lmpath, sizeof lmpath, "%s/data/demo-lm.bin", src);
	snprintf(saepath, sizeof saepath, "%s/data/demo-sae-res4k.bin", src);
	lm_model *lm = lm_load(lmpath);
	CHECK(lm != NULL, "lm.c loads the demo model");
	if (!lm)
		TEST_END();
	const char *txt = "The quick brown fox: ACGTTGCAAGCTAGCTAGGA\n\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 int main(void) { return 0; } 12345";
	int T = (int)strlen(txt);
	compare_forward(lm, lmpath, "data/demo-lm.bin", (const uint8_t *)txt, T);
	snprintf(p, sizeof p, "%s/lm2-f32.bin", tmpdir);
	write_lm2(lm, p, 0);
	compare_forward(lm, p, "FSLM0002 f32", (const uint8_t *)txt, T);
	snprintf(p, sizeof p, "%s/lm2-f16.bin", tmpdir);
	write_lm2(lm, p, 1);
	float *keep = xmalloc(lm->n_params * sizeof(float));
	memcpy(keep, lm->params, lm->n_params * sizeof(float));
	for (size_t i = 0; i < lm->n_params; i++)
		lm->params[i] = f16_to_f32(f32_to_f16(lm->params[i]));
	compare_forward(lm, p, "FSLM0002 f16", (const uint8_t *)txt, T);
	memcpy(lm->params, keep, lm->n_params * sizeof(float));
	free(keep);

	/* the SAE: activations from lm.c at the point its header names,
	 * encoded by sae.c and by live */
	char err[512];
	sae_model *ref = sae_load(saepath);
	live_sae *s = live_sae_load(saepath, err, sizeof err);
	CHECK(ref && s, "both load the demo SAE");
	if (!ref || !s)
		TEST_END();
	int resid = ref->hook_kind == SAE_HOOK_RESID;
	lm->hook_kind = resid ? LM_HOOK_RESID : LM_HOOK_MLP;
	lm->hook_layer = ref->layer < 0 ? lm->cfg.n_layer - 1 : ref->layer;
	int F4 = resid ? lm->cfg.d_model : 4 * lm->cfg.d_model;
	CHECK(ref->d_in == F4, "the demo SAE is as wide as the activations it reads");
	lm_capture = xmalloc((size_t)T * F4 * sizeof(float));
	lm_forward(lm, (const uint8_t *)txt, NULL, 1, T, lm_grab, NULL, NULL);
	float *x = lm_capture;
	live_model *m = live_load(lmpath, err, sizeof err);
	CHECK(live_sae_bind(s, m, err, sizeof err) == 0 && s->hook.layer == lm->hook_layer &&
		      s->hook.kind == (resid ? LIVE_RESID_POST : LIVE_MLP_HIDDEN),
	      resid ? "the demo SAE binds to the residual stream after the block its header names"
		    : "the demo SAE binds to the MLP hidden activations of the block its header names");
	int K = ref->k;
	float *xs = xmalloc((size_t)T * F4 * sizeof(float));
	for (size_t i = 0; i < (size_t)T * F4; i++)
		xs[i] = x[i] * ref->in_scale;
	int *ri = xmalloc((size_t)T * K * sizeof(int)), *li = xmalloc((size_t)T * K * sizeof(int));
	float *rv = xmalloc((size_t)T * K * sizeof(float)), *lv = xmalloc((size_t)T * K * sizeof(float));
	sae_encode_sparse(ref, xs, T, ri, rv);
	live_sae_encode(s, x, T, K, li, lv);
	int bad = 0;
	for (int t = 0; t < T; t++)
		bad += cmp_pairs(li + (size_t)t * K, lv + (size_t)t * K, ri + (size_t)t * K, rv + (size_t)t * K, K);
	CHECK(bad == 0, "the demo SAE: TopK codes equal sae.c's on every token");
	/* a dense read of one feature agrees with the sparse codes */
	int f0 = li[(size_t)10 * K + 3];
	float *one = xmalloc((size_t)T * sizeof(float));
	live_sae_feature_acts(s, x, T, f0, one);
	bad = 0;
	for (int t = 0; t < T; t++) {
		float want = 0;
		for (int j = 0; j < K; j++)
			if (li[(size_t)t * K + j] == f0)
				want = lv[(size_t)t * K + j];
		bad += fabsf(one[t] - want) > 1e-5f;
	}
	CHECK(bad == 0, "one feature's dense activations agree with the sparse codes");
	for (int dt = 0; dt < 2; dt++) {
		snprintf(p, sizeof p, "%s/sae2-%d.bin", tmpdir, dt);
		write_sae2(ref, p, dt, ref->layer >= 0 ? ref->layer : 1);
		live_sae *s2 = live_sae_load(p, err, sizeof err);
		CHECK(s2 && live_sae_bind(s2, m, err, sizeof err) == 0, dt ? "FSSAE002 f16 loads and binds" : "FSSAE002 f32 loads and binds");
		if (!s2)
			continue;
		if (dt == 1)
			for (size_t i = 0; i < ref->n_params; i++)
				ref->params[i] = f16_to_f32(f32_to_f16(ref->params[i]));
		sae_encode_sparse(ref, xs, T, ri, rv);
		live_sae_encode(s2, x, T, K, li, lv);
		bad = 0;
		for (int t = 0; t < T; t++)
			bad += cmp_pairs(li + (size_t)t * K, lv + (size_t)t * K, ri + (size_t)t * K, rv + (size_t)t * K, K);
		CHECK(bad == 0, dt ? "FSSAE002 f16: codes equal sae.c's on rounded weights" : "FSSAE002 f32: codes equal sae.c's");
		live_sae_free(s2);
	}

	/* steering: clamp the feature that fires at token 10 to 0 and to 12 */
	int *ids;
	uint32_t *off;
	live_tokenize(m, txt, (size_t)T, &ids, &off);
	float *after = xmalloc((size_t)T * sizeof(float));
	for (int c = 0; c < 2; c++) {
		live_steer_term term = {f0, c ? 12.0f : 0.0f};
		live_steer st = {s, LIVE_CLAMP, &term, 1, after, T};
		live_hook h = live_steer_as_hook(&st);
		memset(after, 0xff, (size_t)T * sizeof(float));
		live_forward(m, ids, T, &h, NULL);
		double worst = 0;
		for (int t = 0; t < T; t++)
			if (fabs(after[t] - term.value) > worst || isnan(after[t]))
				worst = isnan(after[t]) ? INFINITY : fabs(after[t] - term.value);
		char name[200];
		snprintf(name, sizeof name, "clamp to %g: the feature reads %g on the steered pass at every token (worst %.2g)",
			 term.value, term.value, worst);
		CHECK(worst <= 2e-3 * (1 + term.value), name);
	}
	/* two features clamped at once (one held up, one ablated), checked by
	 * encoding the steered activations afresh: what the dictionary reads,
	 * and what the hook recorded */
	{
		int f1 = li[(size_t)10 * K + 0] != f0 ? li[(size_t)10 * K + 0] : li[(size_t)10 * K + 1];
		live_steer_term terms[2] = {{f0, 9.0f}, {f1, 0.0f}};
		float *after2 = xmalloc((size_t)T * 2 * sizeof(float));
		float *fresh = xmalloc((size_t)T * 2 * sizeof(float));
		for (int rep = 0; rep < 2; rep++) { /* the second reuses the cached products */
			live_steer st = {s, LIVE_CLAMP, terms, 2, after2, T};
			steer_check c = {&st, fresh, T};
			live_hook h = {s->hook, steer_check_fn, &c, NULL};
			memset(fresh, 0xff, (size_t)T * 2 * sizeof(float));
			live_forward(m, ids, T, &h, NULL);
			double worst = 0, rec = 0;
			for (int i = 0; i < 2 * T; i++) {
				double v = terms[i % 2].value, e = fabs(fresh[i] - v), r = fabs(fresh[i] - after2[i]);
				worst = isnan(fresh[i]) || e > worst ? (isnan(fresh[i]) ? INFINITY : e) : worst;
				rec = isnan(after2[i]) || r > rec ? (isnan(after2[i]) ? INFINITY : r) : rec;
			}
			char name[200];
			snprintf(name, sizeof name, "clamp %d to 9 and %d to 0 (run %d): a fresh encode reads them at every token (worst %.2g)",
				 f0, f1, rep + 1, worst);
			CHECK(worst <= 2e-3 * 10, name);
			snprintf(name, sizeof name, "clamp two (run %d): the hook's record equals the fresh encode (worst %.2g)", rep + 1, rec);
			CHECK(rec <= 1e-3, name);
		}
		free(after2);
		free(fresh);
	}
	/* add mode moves the activation up */
	{
		live_steer_term term = {f0, 5.0f};
		live_steer st = {s, LIVE_ADD, &term, 1, after, T};
		live_hook h = live_steer_as_hook(&st);
		live_forward(m, ids, T, &h, NULL);
		CHECK(after[10] > one[10] + 2, "add 5: the feature reads more than before");
	}
	/* two dictionaries of the model steered at once (one hook, live_steer_set):
	 * in add mode, the pass equals one that adds both directions itself */
	{
		char p1k[1200];
		snprintf(p1k, sizeof p1k, "%s/data/demo-sae-res1k.bin", src);
		live_sae *s1k = live_sae_load(p1k, err, sizeof err);
		CHECK(s1k && live_sae_bind(s1k, m, err, sizeof err) == 0, "res1k loads and binds to the demo model");
		if (s1k) {
			live_steer_term t4 = {f0, 5.0f}, t1 = {7, 3.0f};
			live_steer two[2] = {{s, LIVE_ADD, &t4, 1, NULL, 0}, {s1k, LIVE_ADD, &t1, 1, NULL, 0}};
			live_steer_set ss = {two, 2};
			live_hook hl[2];
			CHECK(live_steer_set_hook(&ss, hl, err, sizeof err) == 0 && hl[0].next == &hl[1] && !hl[1].next,
			      "two dictionaries make a list of two hooks");
			live_hook *h = hl;
			int V = m->vocab;
			float *lg_set = xmalloc((size_t)T * V * sizeof(float)), *lg_ref = xmalloc((size_t)T * V * sizeof(float));
			float *lg_one = xmalloc((size_t)T * V * sizeof(float));
			live_forward(m, ids, T, h, lg_set);
			both_ref br = {s, s1k, f0, 5.0f, 7, 3.0f};
			live_hook rh = {s->hook, both_ref_fn, &br, NULL};
			live_forward(m, ids, T, &rh, lg_ref);
			live_hook h4 = live_steer_as_hook(&two[0]);
			live_forward(m, ids, T, &h4, lg_one);
			double worst = 0, moved = 0;
			for (size_t i = 0; i < (size_t)T * V; i++) {
				worst = fmax(worst, fabs(lg_set[i] - lg_ref[i]));
				moved = fmax(moved, fabs(lg_set[i] - lg_one[i]));
			}
			char name[160];
			snprintf(name, sizeof name, "add in two dictionaries equals adding both directions (worst %.2g)", worst);
			CHECK(worst <= 1e-5, name);
			CHECK(moved > 1e-3, "the second dictionary's term changes the pass");
			/* an empty second state: the first alone, exactly */
			two[1].n = 0;
			live_forward(m, ids, T, h, lg_set);
			CHECK(memcmp(lg_set, lg_one, (size_t)T * V * sizeof(float)) == 0,
			      "a second dictionary with no terms leaves the first's steering as it is");
			/* dictionaries at different points (issue 34): one pass, each
			 * hook at its point; in add mode it equals two hand-made hooks
			 * adding each direction at its own point */
			two[1].n = 1;
			/* a second dictionary at another point: s1k's weights, with
			 * its own lazily made buffers (freed below) */
			live_sae other = *s1k;
			other.scratch = other.self_dot = other.steer_g = NULL;
			other.steer_gf = NULL;
			other.cap = other.steer_gn = 0;
			other.hook.layer = s->hook.layer == 0 ? 1 : s->hook.layer - 1;
			two[1].sae = &other;
			CHECK(live_steer_set_hook(&ss, hl, err, sizeof err) == 0 && hl[0].at.layer == s->hook.layer &&
				      hl[1].at.layer == other.hook.layer,
			      "two dictionaries at different points: each hook at its point");
			live_forward(m, ids, T, h, lg_set);
			both_ref ra = {s, s1k, f0, 5.0f, 7, 0.0f}, rb = {&other, s, 7, 3.0f, f0, 0.0f};
			live_hook hb = {other.hook, both_ref_fn, &rb, NULL}, ha = {s->hook, both_ref_fn, &ra, &hb};
			live_forward(m, ids, T, &ha, lg_ref);
			worst = 0;
			moved = 0;
			for (size_t i = 0; i < (size_t)T * V; i++) {
				worst = fmax(worst, fabs(lg_set[i] - lg_ref[i]));
				moved = fmax(moved, fabs(lg_set[i] - lg_one[i]));
			}
			snprintf(name, sizeof name, "add at two points equals adding each direction at its point (worst %.2g)",
				 worst);
			CHECK(worst <= 1e-5, name);
			CHECK(moved > 1e-3, "the dictionary at the other point changes the pass");
			/* clamping at two points: each dictionary reads its value */
			live_steer_term c4 = {f0, 4.0f}, c1 = {7, 3.0f};
			float *af4 = xmalloc(sizeof(float) * (size_t)T), *af1 = xmalloc(sizeof(float) * (size_t)T);
			live_steer cl[2] = {{s, LIVE_CLAMP, &c4, 1, af4, T}, {&other, LIVE_CLAMP, &c1, 1, af1, T}};
			live_steer_set cs = {cl, 2};
			live_steer_set_hook(&cs, hl, err, sizeof err);
			live_forward(m, ids, T, h, NULL);
			float w4 = 0, w1 = 0;
			for (int t = 0; t < T; t++) {
				w4 = fmaxf(w4, fabsf(af4[t] - 4.0f));
				w1 = fmaxf(w1, fabsf(af1[t] - 3.0f));
			}
			snprintf(name, sizeof name, "clamp at two points: each dictionary reads its value (off %.2g, %.2g)", w4, w1);
			CHECK(w4 <= 5e-3f && w1 <= 4e-3f, name);
			free(af4);
			free(af1);
			CHECK(live_steer_set_hook(&(live_steer_set){cl, 0}, hl, err, sizeof err) == -1, "an empty set is refused");
			free(other.scratch);
			free(other.self_dot);
			free(other.steer_g);
			free(other.steer_gf);
			free(lg_set);
			free(lg_ref);
			free(lg_one);
			/* live_steer_group: one state a dictionary, first-seen order,
			 * each with its terms in their order */
			{
				live_sae *td[3] = {s1k, s, s1k};
				live_steer_term tt[3] = {{1, 1.0f}, {2, 2.0f}, {3, 3.0f}}, gt[3];
				live_steer gs[3];
				int ns = live_steer_group(td, tt, 3, LIVE_ADD, s, gt, gs);
				CHECK(ns == 2 && gs[0].sae == s1k && gs[0].n == 2 && gs[0].terms[0].feature == 1 &&
					      gs[0].terms[1].feature == 3 && gs[1].sae == s && gs[1].n == 1 &&
					      gs[1].terms[0].feature == 2 && gs[1].mode == LIVE_ADD,
				      "live_steer_group: terms by dictionary, in first-seen order");
				CHECK(live_steer_group(td, tt, 0, LIVE_CLAMP, s, gt, gs) == 1 && gs[0].sae == s && gs[0].n == 0,
				      "live_steer_group: no terms, one state of the given dictionary");
			}
			/* live_steer_pair: the plain run is live_generate's without hooks,
			 * the steered one its with the hooks, on the same seed */
			{
				live_steer_term pt = {f0, 6.0f};
				live_steer ps = {s, LIVE_ADD, &pt, 1, NULL, 0};
				live_hook ph = live_steer_as_hook(&ps);
				int p0[12], p1[12], r0[12], r1[12], n0, n1, last = 0;
				live_sampler a0, a1;
				live_sampler_init(&a0, 5, 0.9f);
				live_sampler_init(&a1, 5, 0.9f);
				int m0 = live_generate(m, ids, 4, 12, NULL, &a0, r0, NULL);
				int m1 = live_generate(m, ids, 4, 12, &ph, &a1, r1, NULL);
				int rcp = live_steer_pair(m, ids, 4, 12, &ph, 5, 0.9f, p0, &n0, p1, &n1, pair_seen, &last);
				CHECK(rcp == 0 && n0 == m0 && n1 == m1 && !memcmp(p0, r0, sizeof(int) * (size_t)m0) &&
					      !memcmp(p1, r1, sizeof(int) * (size_t)m1) && last == 12 + m1,
				      "live_steer_pair: both runs as live_generate gives them, progress over both");
			}
			live_sae_free(s1k);
		}
	}
	/* ablation of the fed feature changes the loss; no steering leaves it */
	{
		double clean = live_loss(m, ids, T, NULL, NULL);
		live_steer_term term = {f0, 0};
		live_steer st = {s, LIVE_CLAMP, &term, 0, NULL, 0};
		live_hook h = live_steer_as_hook(&st);
		double none = live_loss(m, ids, T, &h, NULL);
		st.n = 1;
		double abl = live_loss(m, ids, T, &h, NULL);
		CHECK(fabs(none - clean) < 1e-9, "a steering hook with no features leaves the loss alone");
		CHECK(fabs(abl - clean) > 1e-6, "ablating a firing feature changes the loss");
		/* loss equals lm.c's mean cross-entropy */
		int *tgt = xmalloc((size_t)T * sizeof(int));
		for (int t = 0; t < T; t++)
			tgt[t] = t + 1 < T ? (unsigned char)txt[t + 1] : -1;
		double ref_loss = lm_forward(lm, (const uint8_t *)txt, tgt, 1, T, NULL, NULL, NULL);
		CHECK(fabs(ref_loss - clean) < 1e-4 * ref_loss, "live_loss equals lm.c's cross-entropy");
		free(tgt);
	}

	/* sampler */
	{
		int a[40], b[40], c[40], cut = -1;
		live_sampler sa, sb, sc;
		live_sampler_init(&sa, 7, 0.8f);
		live_sampler_init(&sb, 7, 0.8f);
		live_sampler_init(&sc, 8, 0.8f);
		int na = live_generate(m, ids, 10, 40, NULL, &sa, a, &cut);
		int nb = live_generate(m, ids, 10, 40, NULL, &sb, b, NULL);
		live_generate(m, ids, 10, 40, NULL, &sc, c, NULL);
		CHECK(na == 40 && nb == 40 && memcmp(a, b, sizeof a) == 0 && cut == 0,
		      "generation: the same seed gives the same continuation");
		CHECK(memcmp(a, c, sizeof a) != 0, "generation: another seed gives another continuation");
		float lg[4] = {0.1f, 3.0f, -1.0f, 2.9f};
		live_sampler g;
		live_sampler_init(&g, 1, 0);
		CHECK(live_sample(&g, lg, 4) == 1, "temperature 0 takes the argmax");
		/* past the context: the window slides, the prompt is cut */
		int *longp = xmalloc(300 * sizeof(int));
		for (int i = 0; i < 300; i++)
			longp[i] = 'a' + i % 26;
		int *out = xmalloc(200 * sizeof(int));
		live_sampler_init(&g, 3, 1.0f);
		int n = live_generate(m, longp, 300, 200, NULL, &g, out, &cut);
		CHECK(n == 200 && cut == 300 - (m->ctx - 1), "a prompt past the context is cut, generation slides on");
		free(out);
		free(longp);
	}

	/* the windowed run fed in pieces of any size (analyze's stream)
	 * gives every value of the run over the whole text, bit for bit */
	{
		int TW = 3 * m->ctx + 37, *lid = xmalloc((size_t)TW * sizeof *lid);
		for (int i = 0; i < TW; i++)
			lid[i] = txt[i % T];
		live_point at = {LIVE_RESID_POST, -1};
		int wd = live_width(m, at);
		float *r0 = xmalloc((size_t)TW * wd * sizeof *r0), *l0 = xcalloc((size_t)TW, sizeof *l0);
		float *r1 = xmalloc((size_t)TW * wd * sizeof *r1), *l1 = xcalloc((size_t)TW, sizeof *l1);
		float *c1 = xcalloc((size_t)TW, sizeof *c1), *lc = xcalloc((size_t)TW, sizeof *lc);
		live_steer_term term = {f0, 5.0f};
		live_steer st = {s, LIVE_CLAMP, &term, 1, NULL, 0};
		live_hook h = live_steer_as_hook(&st);
		CHECK(live_run_windows(m, lid, TW, at, &h, r0, l0) == 0, "windowed run over the whole text");
		live_run_windows(m, lid, TW, at, NULL, r1, lc);
		static const int pieces[] = {1, 7, 300, 2, 129, 1000};
		live_windows w;
		CHECK(live_windows_init(&w, m, at, &h, 1, 1) == 0, "live_windows_init");
		win_acc acc = {r1, l1, c1, wd, 0, 0, 1};
		int at_tok = 0, rc = 0;
		for (int k = 0; at_tok < TW && rc == 0; k++) {
			int n = pieces[k % 6] < TW - at_tok ? pieces[k % 6] : TW - at_tok;
			rc = live_windows_push(&w, lid + at_tok, n, win_acc_fn, &acc);
			at_tok += n;
		}
		if (rc == 0)
			rc = live_windows_end(&w, win_acc_fn, &acc);
		live_windows_free(&w);
		CHECK(rc == 0 && acc.in_order && acc.next_row == TW && acc.next_loss == TW - 1,
		      "windows fed in pieces cover every position once, in order");
		CHECK(memcmp(r0, r1, (size_t)TW * wd * sizeof *r0) == 0, "windows fed in pieces: the same activations");
		CHECK(memcmp(l0, l1, (size_t)(TW - 1) * sizeof *l0) == 0, "windows fed in pieces: the same losses");
		CHECK(memcmp(lc, c1, (size_t)(TW - 1) * sizeof *lc) == 0,
		      "windows fed in pieces: the clean losses are those of a run without the hook");
		free(lid);
		free(r0);
		free(l0);
		free(r1);
		free(l1);
		free(c1);
		free(lc);
	}

	/* a context too short to use (a GPT-2 of n_positions 1 with a BOS
	 * leaves 0): generation and the windowed run refuse at once, never
	 * copy a negative count, never loop */
	{
		int saved = m->ctx, out[8], cut = -7;
		live_sampler g;
		float *rows = xmalloc((size_t)10 * m->d_model * sizeof *rows), loss[10];
		live_point at = {LIVE_RESID_POST, -1};
		for (int c = -1; c < 2; c++) {
			m->ctx = c;
			live_sampler_init(&g, 1, 0);
			CHECK(live_generate(m, ids, 10, 8, NULL, &g, out, &cut) == -1,
			      "generation with a context under 2 tokens is refused");
			if (c < 1)
				CHECK(live_run_windows(m, ids, 10, at, NULL, rows, loss) == -1,
				      "the windowed run with an empty context is refused");
		}
		m->ctx = saved;
		free(rows);
	}

	/* bad files */
	{
		snprintf(p, sizeof p, "%s/junk.bin", tmpdir);
		FILE *f = fopen(p, "wb");
		fputs("FSLM0002\x01\x00\x00", f);
		fclose(f);
		CHECK(live_load(p, err, sizeof err) == NULL && strstr(err, "junk.bin") && !strchr(err, '\n'),
		      "truncated model: one line naming the file");
		CHECK(live_load("/nonexistent/m.bin", err, sizeof err) == NULL && strstr(err, "m.bin"),
		      "missing model file: message names it");
		CHECK(live_sae_load(p, err, sizeof err) == NULL && strstr(err, "magic"),
		      "a model file is not a dictionary");
		snprintf(p, sizeof p, "%s/sae2-0.bin", tmpdir);
		live_sae *s3 = live_sae_load(p, err, sizeof err);
		s3->hook.layer = 7;
		CHECK(live_sae_bind(s3, m, err, sizeof err) != 0 && strstr(err, "hook"),
		      "a dictionary for a block the model lacks does not bind");
		live_sae_free(s3);
		live_point pt;
		CHECK(live_point_parse("resid_post.1", &pt) == 0 && pt.kind == LIVE_RESID_POST && pt.layer == 1 &&
			      live_point_parse("mlp_hidden", &pt) == 0 && pt.layer == -1 &&
			      live_point_parse("attn.1", &pt) != 0,
		      "hook point names parse");
		/* TransformerLens names: the one parser, every point, resid_mid
		 * named apart, the writer's names read back */
		static const struct {
			const char *name;
			live_hook_kind kind;
		} tl[] = {{"blocks.0.hook_resid_pre", LIVE_RESID_PRE}, {"blocks.11.hook_resid_post", LIVE_RESID_POST},
			  {"blocks.2.hook_attn_out", LIVE_ATTN_OUT},   {"blocks.3.hook_mlp_out", LIVE_MLP_OUT},
			  {"blocks.4.mlp.hook_post", LIVE_MLP_HIDDEN}, {"blocks.5.ln2.hook_normalized", LIVE_MLP_IN},
			  {"blocks.6.hook_mlp_in", LIVE_MLP_IN}};
		int tlok = 1;
		for (size_t i = 0; i < sizeof tl / sizeof tl[0]; i++) {
			char back[64];
			int want_l = atoi(tl[i].name + 7);
			if (live_point_parse_tl(tl[i].name, &pt, err, sizeof err) != 0 || pt.kind != tl[i].kind ||
			    pt.layer != want_l || live_tl_layer(tl[i].name) != want_l) {
				printf("# %s: %s\n", tl[i].name, err);
				tlok = 0;
				continue;
			}
			live_point_name_tl(pt, back, sizeof back);
			live_point q;
			if (live_point_parse_tl(back, &q, err, sizeof err) != 0 || q.kind != pt.kind || q.layer != pt.layer)
				tlok = 0;
		}
		CHECK(tlok, "TransformerLens hook names parse to every point and back");
		CHECK(live_point_parse_tl("blocks.1.hook_resid_mid", &pt, err, sizeof err) != 0 &&
			      strstr(err, "hook_resid_mid") && strstr(err, "ln2.hook_normalized"),
		      "hook_resid_mid is refused, naming what mlp_in is");
		CHECK(live_point_parse_tl("blocks.1.attn.hook_z", &pt, err, sizeof err) != 0 &&
			      live_point_parse_tl("blocks.x.hook_resid_pre", &pt, err, sizeof err) != 0 &&
			      live_point_parse_tl("blocks.99999.hook_resid_pre", &pt, err, sizeof err) != 0 &&
			      live_point_parse_tl("hook_resid_pre", &pt, err, sizeof err) != 0 &&
			      live_point_parse_tl("blocks.1.hook_resid_pre.x", &pt, err, sizeof err) != 0 &&
			      live_tl_layer("blocks.1.attn.hook_z") == 1 && live_tl_layer("embed") == -1,
		      "other names are refused; the layer of any name");
	}
	hostile_values(lm, ref, tmpdir);
	header_memory(tmpdir);
	hf_products();
	free(after);
	free(ids);
	free(off);
	free(one);
	free(xs);
	free(ri);
	free(li);
	free(rv);
	free(lv);
	free(x);
	live_sae_free(s);
	live_free(m);
	sae_free(ref);
	lm_free(lm);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return 1;
	TEST_END();
}
