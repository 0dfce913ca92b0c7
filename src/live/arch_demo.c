/*
 * arch_demo.c: the demo byte-level transformer (model/lm.c) as a live
 * architecture: "FSLM0001" (float32) and "FSLM0002" (float32 or float16
 * parameters, dtype in the header) files, inference only, with a KV
 * cache. Pre-layernorm blocks x += Attn(LN1(x)); x += W2 GELU(W1 LN2(x)),
 * learned position embeddings, untied unembedding, vocabulary = the 256
 * byte values. Parameter order and shapes are demo_layout.h's table,
 * which model/lm.c writes the files with; matrices are stored [in][out]
 * (out = in @ W). This is separate code from lm.c's
 * training forward pass, which tests compare it with.
 *
 * The file is untrusted: its shape is checked field by field, its size
 * against the shape, its values at load (finite, within
 * TENSOR_WEIGHT_MAX, each tensor by name). Memory beyond the parameters
 * follows the text run, not the header's ctx: the KV cache and the row
 * buffers grow to the positions and rows a pass uses, and attention
 * scores are computed in blocks of query rows, at most DEMO_ATT_FLOATS
 * at a time (one row of every head when a row alone is larger), so a
 * header claiming 64 heads and 8192 positions costs nothing until that
 * much text is run.
 */
#include "live/live.h"
#include "live/demo_layout.h"
#include "nn/blas.h"
#include "nn/tensor.h"
#include "core/util.h"
#include "nn/vmath.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_EPS 1e-5f
#define DEMO_MAX_LAYER 64        /* header limits: n_layer */
#define DEMO_MAX_D 8192          /* d_model */
#define DEMO_MAX_CTX 8192        /* ctx */
#define DEMO_ATT_FLOATS (1 << 22) /* attention scores computed at once (16 MiB) */

/* The model: the common part first, then weights, cache and buffers. */
typedef struct {
	live_model base;     /* common fields */
	int n_head;          /* attention heads */
	float *p;            /* parameters, float32 */
	size_t n_params;     /* floats in p */
	demo_global_off g;   /* offsets of the tensors outside the blocks */
	demo_layer_off *lay; /* per block [n_layer] */
	float *kc, *vc;      /* KV cache [n_layer][kv_cap][D] */
	int kv_cap;          /* positions the cache holds per layer (grows up to ctx) */
	float *x, *xn, *qkv, *o, *x2, *h, *mo; /* buffers for rows_cap rows */
	int rows_cap;        /* rows the buffers hold (grows up to ctx) */
	float *att;          /* attention scores of one block [n_head][rows][keys] */
	uint8_t bytes[DEMO_VOCAB]; /* token i is byte i */
	size_t att_cap;      /* floats att holds */
} demo_model;

static int demo_probe(const unsigned char *head, size_t n)
{
	return n >= 8 && (memcmp(head, "FSLM0001", 8) == 0 || memcmp(head, "FSLM0002", 8) == 0);
}

/* Every tensor of demo_layout.h's table finite and within
 * TENSOR_WEIGHT_MAX, named as in the table when one is not. */
static int demo_check_values(const demo_model *m, const char *path, char *err, size_t errlen)
{
	size_t D = m->base.d_model, F = 4 * D, V = DEMO_VOCAB, T = (size_t)m->base.ctx;
	(void)F;
	(void)V;
	(void)T;
#define DEMO_CHECK_G(name, rows, cols)                                                                       \
	if (tensor_check_weights(path, #name, m->p + m->g.name, (size_t)(rows) * (size_t)(cols), err, errlen) != 0) \
		return -1;
	DEMO_LAYOUT_HEAD(DEMO_CHECK_G)
	DEMO_LAYOUT_TAIL(DEMO_CHECK_G)
#undef DEMO_CHECK_G
	for (int l = 0; l < m->base.n_layer; l++) {
		const demo_layer_off *L = &m->lay[l];
		char nm[64];
#define DEMO_CHECK_L(name, rows, cols)                                                                        \
	snprintf(nm, sizeof nm, "blocks.%d.%s", l, #name);                                                     \
	if (tensor_check_weights(path, nm, m->p + L->name, (size_t)(rows) * (size_t)(cols), err, errlen) != 0) \
		return -1;
		DEMO_LAYOUT_BLOCK(DEMO_CHECK_L)
#undef DEMO_CHECK_L
	}
	return 0;
}

static void demo_free(live_model *lm)
{
	demo_model *m = (demo_model *)lm;
	if (!m)
		return;
	free(m->base.path);
	free(m->p);
	free(m->lay);
	free(m->kc);
	free(m->vc);
	free(m->x);
	free(m->xn);
	free(m->qkv);
	free(m->o);
	free(m->x2);
	free(m->h);
	free(m->mo);
	free(m->att);
	free(m);
}

static live_model *demo_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char mg[8];
	int32_t hdr[5] = {0, 0, 0, 0, 0};
	demo_model *m = NULL;
	if (fread(mg, 1, 8, f) != 8 || !demo_probe((const unsigned char *)mg, 8)) {
		fs_seterr(err, errlen, "%s:1: magic: not a FSLM0001/FSLM0002 model file", path);
		goto fail;
	}
	int gen2 = mg[7] == '2';
	if (fread(hdr, sizeof(int32_t), gen2 ? 5 : 4, f) != (size_t)(gen2 ? 5 : 4)) {
		fs_seterr(err, errlen, "%s: header: truncated", path);
		goto fail;
	}
	if (hdr[0] < 1 || hdr[0] > DEMO_MAX_LAYER) {
		fs_seterr(err, errlen, "%s: header: n_layer: %d is not in 1..%d", path, hdr[0], DEMO_MAX_LAYER);
		goto fail;
	}
	if (hdr[1] < 4 || hdr[1] > DEMO_MAX_D) {
		fs_seterr(err, errlen, "%s: header: d_model: %d is not in 4..%d", path, hdr[1], DEMO_MAX_D);
		goto fail;
	}
	if (hdr[2] < 1 || hdr[2] > hdr[1] || hdr[1] % hdr[2] != 0) {
		fs_seterr(err, errlen, "%s: header: n_head: %d does not divide d_model %d", path, hdr[2], hdr[1]);
		goto fail;
	}
	if (hdr[3] < 2 || hdr[3] > DEMO_MAX_CTX) {
		fs_seterr(err, errlen, "%s: header: ctx: %d is not in 2..%d", path, hdr[3], DEMO_MAX_CTX);
		goto fail;
	}
	if (hdr[4] != 0 && hdr[4] != 1) {
		fs_seterr(err, errlen, "%s: dtype: %d is neither 0 (f32) nor 1 (f16)", path, hdr[4]);
		goto fail;
	}
	m = xcalloc(1, sizeof *m);
	m->base.n_layer = hdr[0];
	m->base.d_model = hdr[1];
	m->n_head = hdr[2];
	m->base.ctx = hdr[3];
	m->base.vocab = DEMO_VOCAB;
	for (int i = 0; i < DEMO_VOCAB; i++)
		m->bytes[i] = (uint8_t)i;
	m->lay = xcalloc((size_t)hdr[0], sizeof *m->lay);
	m->n_params = demo_layout((size_t)hdr[1], (size_t)hdr[3], hdr[0], &m->g, m->lay);
	/* the file must hold exactly the parameters the header promises:
	 * checked before anything of that size is allocated */
	long here = ftell(f);
	if (fseek(f, 0, SEEK_END) != 0 || here < 0) {
		fs_seterr(err, errlen, "%s: cannot seek", path);
		goto fail;
	}
	long end = ftell(f);
	uint64_t want = (uint64_t)m->n_params * (hdr[4] ? 2 : 4);
	if (end < here || (uint64_t)(end - here) != want || fseek(f, here, SEEK_SET) != 0) {
		fs_seterr(err, errlen, "%s: parameters: %ld bytes after the header, the shape needs %llu", path,
			  end - here, (unsigned long long)want);
		goto fail;
	}
	m->p = xmalloc(m->n_params * sizeof(float));
	if (hdr[4] == 0) {
		if (fread(m->p, sizeof(float), m->n_params, f) != m->n_params) {
			fs_seterr(err, errlen, "%s: parameters: truncated (want %zu floats)", path, m->n_params);
			goto fail;
		}
	} else {
		uint16_t *h = xmalloc(m->n_params * sizeof *h);
		size_t got = fread(h, sizeof *h, m->n_params, f);
		for (size_t i = 0; i < got; i++)
			m->p[i] = f16_to_f32(h[i]);
		free(h);
		if (got != m->n_params) {
			fs_seterr(err, errlen, "%s: parameters: truncated (want %zu halves)", path, m->n_params);
			goto fail;
		}
	}
	if (fgetc(f) != EOF) {
		fs_seterr(err, errlen, "%s: parameters: trailing bytes after %zu parameters", path, m->n_params);
		goto fail;
	}
	if (demo_check_values(m, path, err, errlen) != 0)
		goto fail;
	fclose(f);
	m->base.path = xstrdup(path);
	return &m->base;
fail:
	fclose(f);
	demo_free(m ? &m->base : NULL);
	return NULL;
}

static int demo_width(const live_model *lm, live_point p)
{
	if (p.layer < 0 || p.layer >= lm->n_layer)
		return 0;
	return p.kind == LIVE_MLP_HIDDEN ? 4 * lm->d_model : lm->d_model;
}

static int demo_tokenize(live_model *lm, const char *text, size_t len, int **ids, uint32_t **off)
{
	(void)lm;
	*ids = xmalloc((len ? len : 1) * sizeof **ids);
	*off = xmalloc((len + 1) * sizeof **off);
	for (size_t i = 0; i < len; i++) {
		(*ids)[i] = (unsigned char)text[i];
		(*off)[i] = (uint32_t)i;
	}
	(*off)[len] = (uint32_t)len;
	return (int)len;
}

static void demo_detokenize(live_model *lm, const int *ids, int n, fs_buf *out)
{
	(void)lm;
	for (int i = 0; i < n; i++)
		buf_addc(out, (char)(ids[i] & 0xff));
}

/* out[n][M] = in[n][K] @ W[K][M] + b */
static void demo_matmul(float *out, const float *in, const float *W, const float *b, int n, int K, int M)
{
	for (int i = 0; i < n; i++)
		memcpy(out + (size_t)i * M, b, (size_t)M * sizeof(float));
	if (n == 1)
		blas_sgemv(CblasRowMajor, CblasTrans, K, M, 1.0f, W, M, in, 1, 1.0f, out, 1);
	else
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, M, K, 1.0f, in, K, W, M, 1.0f,
			 out, M);
}

/* Row-parallel elementwise work (vmath.h: the same result whatever the
 * split). */
typedef struct {
	float *y;
	const float *x, *g, *b;
	int D;
} demo_ln_job;

static void demo_ln_rows(void *ud, int lo, int hi)
{
	demo_ln_job *j = ud;
	vm_layernorm(j->x + (size_t)lo * j->D, j->y + (size_t)lo * j->D, hi - lo, j->D, j->g, j->b, DEMO_EPS);
}

static void demo_layernorm(float *y, const float *x, const float *g, const float *b, int n, int D)
{
	demo_ln_job j = {y, x, g, b, D};
	vm_parallel(n, (size_t)D, demo_ln_rows, &j);
}

typedef struct {
	float *x;
	int F;
} demo_gelu_job;

/* tanh-approximation GELU (vmath's x sigmoid(2u) form of it) */
static void demo_gelu_rows(void *ud, int lo, int hi)
{
	demo_gelu_job *j = ud;
	vm_gelu_tanh(j->x + (size_t)lo * j->F, (size_t)(hi - lo) * j->F);
}

/* softmax of every head's scores [H][n][S], row i seeing pos0 + i + 1 keys */
typedef struct {
	float *P;
	int n, S, pos0;
} demo_sm_job;

static void demo_sm_rows(void *ud, int lo, int hi)
{
	demo_sm_job *j = ud;
	for (int r = lo; r < hi; r++)
		vm_softmax_causal(j->P + (size_t)r * j->S, 1, j->S, j->S, j->pos0 + r % j->n);
}

/* Room for n rows in the row buffers and pos0 + n positions in the KV
 * cache (the first pos0 kept), grown geometrically up to ctx. */
static void demo_reserve(demo_model *m, int n, int pos0)
{
	size_t D = m->base.d_model, L = m->base.n_layer;
	int T = m->base.ctx;
	if (n > m->rows_cap) {
		int c = m->rows_cap * 2 > n ? m->rows_cap * 2 : n;
		if (c > T)
			c = T;
		size_t R = (size_t)c;
		float **b[] = {&m->x, &m->xn, &m->o, &m->x2, &m->mo};
		for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
			free(*b[i]);
			*b[i] = xmalloc(R * D * sizeof(float));
		}
		free(m->qkv);
		m->qkv = xmalloc(R * 3 * D * sizeof(float));
		free(m->h);
		m->h = xmalloc(R * 4 * D * sizeof(float));
		m->rows_cap = c;
	}
	if (pos0 + n > m->kv_cap) {
		int c = m->kv_cap * 2 > pos0 + n ? m->kv_cap * 2 : pos0 + n;
		if (c < 64)
			c = 64;
		if (c > T)
			c = T;
		float *kc = xmalloc(L * (size_t)c * D * sizeof(float));
		float *vc = xmalloc(L * (size_t)c * D * sizeof(float));
		for (size_t l = 0; l < L && pos0 > 0; l++) {
			memcpy(kc + l * c * D, m->kc + l * m->kv_cap * D, (size_t)pos0 * D * sizeof(float));
			memcpy(vc + l * c * D, m->vc + l * m->kv_cap * D, (size_t)pos0 * D * sizeof(float));
		}
		free(m->kc);
		free(m->vc);
		m->kc = kc;
		m->vc = vc;
		m->kv_cap = c;
	}
}

/* Attention of rows 0..n-1 (positions pos0..) of one block over the keys
 * and values in kc/vc (positions 0..pos0+n-1) into m->o: in blocks of
 * query rows so that the scores of a block (every head) stay within
 * DEMO_ATT_FLOATS; one block when they fit, the pass as it always was. */
static void demo_attention(demo_model *m, const float *kc, const float *vc, int n, int pos0, float scale)
{
	int D = m->base.d_model, H = m->n_head, hd = D / H;
	size_t per_row = (size_t)H * (size_t)(pos0 + n); /* scores of one query row, every head */
	int rb = per_row * (size_t)n <= DEMO_ATT_FLOATS ? n : (int)(DEMO_ATT_FLOATS / per_row);
	if (rb < 1)
		rb = 1;
	if ((size_t)rb * per_row > m->att_cap) {
		free(m->att);
		m->att_cap = (size_t)rb * per_row;
		m->att = xmalloc(m->att_cap * sizeof(float));
	}
	for (int i0 = 0; i0 < n; i0 += rb) {
		int nb = n - i0 < rb ? n - i0 : rb;
		int S = pos0 + i0 + nb; /* keys visible to the block's last row */
		const float *q = m->qkv + (size_t)i0 * 3 * D;
		for (int h = 0; h < H; h++)
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, S, hd, scale, q + h * hd, 3 * D,
				 kc + h * hd, D, 0.0f, m->att + (size_t)h * nb * S, S);
		demo_sm_job sj = {m->att, nb, S, pos0 + i0};
		vm_parallel(H * nb, (size_t)S, demo_sm_rows, &sj);
		for (int h = 0; h < H; h++)
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, hd, S, 1.0f, m->att + (size_t)h * nb * S,
				 S, vc + h * hd, D, 0.0f, m->o + (size_t)i0 * D + h * hd, D);
	}
}

/* Run n tokens at positions pos0.. (the cache holds 0..pos0-1), leave the
 * final residual rows in m->x and logits of the rows from `from` on. */
static void demo_run(demo_model *m, const int *ids, int n, const live_hook *hook, float *logits,
		     int from)
{
	int D = m->base.d_model, F = 4 * D, H = m->n_head, hd = D / H;
	int pos0 = m->base.pos, L = m->base.run_blocks < m->base.n_layer ? m->base.run_blocks : m->base.n_layer;
	demo_reserve(m, n, pos0);
	int T = m->kv_cap; /* the cache's stride in positions */
	const live_model *lm = &m->base;
	const float *p = m->p;
	float scale = 1.0f / sqrtf((float)hd);
	for (int i = 0; i < n; i++) {
		const float *e = p + m->g.wte + (size_t)(ids[i] & 0xff) * D;
		const float *pe = p + m->g.wpe + (size_t)(pos0 + i) * D;
		float *r = m->x + (size_t)i * D;
		for (int j = 0; j < D; j++)
			r[j] = e[j] + pe[j];
	}
	for (int l = 0; l < L; l++) {
		const demo_layer_off *Ly = &m->lay[l];
		m->base.blocks_run++;
		live_hooks_run(lm, hook, LIVE_RESID_PRE, l, m->x, n, D, pos0);
		demo_layernorm(m->xn, m->x, p + Ly->ln1_g, p + Ly->ln1_b, n, D);
		demo_matmul(m->qkv, m->xn, p + Ly->wqkv, p + Ly->bqkv, n, D, 3 * D);
		float *kc = m->kc + (size_t)l * T * D, *vc = m->vc + (size_t)l * T * D;
		for (int i = 0; i < n; i++) {
			memcpy(kc + (size_t)(pos0 + i) * D, m->qkv + (size_t)i * 3 * D + D, D * sizeof(float));
			memcpy(vc + (size_t)(pos0 + i) * D, m->qkv + (size_t)i * 3 * D + 2 * D,
			       D * sizeof(float));
		}
		demo_attention(m, kc, vc, n, pos0, scale);
		demo_matmul(m->x2, m->o, p + Ly->wo, p + Ly->bo, n, D, D);
		live_hooks_run(lm, hook, LIVE_ATTN_OUT, l, m->x2, n, D, pos0);
		vm_add(m->x2, m->x, (size_t)n * D);
		demo_layernorm(m->xn, m->x2, p + Ly->ln2_g, p + Ly->ln2_b, n, D);
		live_hooks_run(lm, hook, LIVE_MLP_IN, l, m->xn, n, D, pos0);
		demo_matmul(m->h, m->xn, p + Ly->w1, p + Ly->b1, n, D, F);
		demo_gelu_job gj = {m->h, F};
		vm_parallel(n, (size_t)F, demo_gelu_rows, &gj);
		live_hooks_run(lm, hook, LIVE_MLP_HIDDEN, l, m->h, n, F, pos0);
		demo_matmul(m->mo, m->h, p + Ly->w2, p + Ly->b2, n, F, D);
		live_hooks_run(lm, hook, LIVE_MLP_OUT, l, m->mo, n, D, pos0);
		memcpy(m->x, m->x2, sizeof(float) * (size_t)n * D);
		vm_add(m->x, m->mo, (size_t)n * D);
		live_hooks_run(lm, hook, LIVE_RESID_POST, l, m->x, n, D, pos0);
	}
	m->base.pos = pos0 + n;
	if (!logits || from >= n)
		return;
	int nl = n - from;
	demo_layernorm(m->xn, m->x + (size_t)from * D, p + m->g.lnf_g, p + m->g.lnf_b, nl, D);
	demo_matmul(logits, m->xn, p + m->g.wu, p + m->g.bu, nl, D, DEMO_VOCAB);
}

static int demo_forward(live_model *lm, const int *ids, int T, const live_hook *hook, float *logits)
{
	demo_model *m = (demo_model *)lm;
	m->base.pos = 0;
	demo_run(m, ids, T, hook, logits, 0);
	return 0;
}

static int demo_step(live_model *lm, int id, const live_hook *hook, float *logits)
{
	demo_model *m = (demo_model *)lm;
	demo_run(m, &id, 1, hook, logits, 0);
	return 0;
}

/* Column id of the unembedding wu [D][vocab]. */
static int demo_unembed_row(const live_model *lm, int id, float *out)
{
	const demo_model *m = (const demo_model *)lm;
	int D = lm->d_model;
	for (int j = 0; j < D; j++)
		out[j] = m->p[m->g.wu + (size_t)j * DEMO_VOCAB + (size_t)id];
	return 0;
}

static const uint8_t *demo_token_bytes(const live_model *lm, int id, size_t *len)
{
	*len = 1;
	return &((const demo_model *)lm)->bytes[id];
}

const live_arch live_arch_demo = {
	.name = "demo",
	.probe = demo_probe,
	.load = demo_load,
	.free = demo_free,
	.width = demo_width,
	.tokenize = demo_tokenize,
	.detokenize = demo_detokenize,
	.forward = demo_forward,
	.step = demo_step,
	.unembed_row = demo_unembed_row,
	.token_bytes = demo_token_bytes,
};
