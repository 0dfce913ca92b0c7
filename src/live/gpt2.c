/*
 * gpt2.c: GPT-2 on the CPU (see gpt2.h). Weights are converted to f32 at
 * load and kept in the checkpoint's own layout: Conv1D weights [in, out],
 * so a projection of R rows is one row-major sgemm X[R, in] W[in, out];
 * the logits are the final LayerNorm's output times wte transposed. Each
 * attention head is two sgemms (scores Q K^T over the key rows it may
 * see, then P V) read in place from the fused qkv rows or the cache.
 */
#include "live/gpt2.h"
#include "nn/blas.h"
#include "nn/tensor.h"
#include "core/json.h"
#include "core/util.h"
#include "nn/vmath.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One block's weights (f32, the file's layout). */
typedef struct {
	float *ln1_w, *ln1_b;       /* ln_1 [d] */
	float *attn_w, *attn_b;     /* attn.c_attn [d, 3d], [3d] */
	float *aproj_w, *aproj_b;   /* attn.c_proj [d, d], [d] */
	float *ln2_w, *ln2_b;       /* ln_2 [d] */
	float *fc_w, *fc_b;         /* mlp.c_fc [d, n_inner], [n_inner] */
	float *mproj_w, *mproj_b;   /* mlp.c_proj [n_inner, d], [d] */
} gpt2_block;

/* Scratch for a pass over R rows. */
typedef struct {
	size_t rows;                /* rows allocated */
	size_t scols;               /* score columns allocated */
	float *x;                   /* residual stream [R, d] */
	float *h;                   /* LayerNorm output [R, d] */
	float *qkv;                 /* [R, 3d] */
	float *z;                   /* attention output [R, d], then MLP output */
	float *mlp;                 /* MLP hidden [R, n_inner] */
	float *s;                   /* scores [T, Tk] of one head */
} gpt2_scratch;

struct fs_gpt2 {
	gpt2_config c;              /* shapes */
	float *wte;                 /* [vocab, d] */
	float *wpe;                 /* [n_positions, d] */
	float *lnf_w, *lnf_b;       /* ln_f [d] */
	gpt2_block *L;              /* n_layer blocks */
	fs_bpe *tok;                /* tokenizer or NULL */
	size_t bytes;               /* f32 weight bytes streamed per token */
	gpt2_scratch sc;            /* forward scratch */
};

struct gpt2_cache {
	int max;                    /* positions */
	int len;                    /* positions filled */
	int n_layer, d;             /* shapes */
	float *k, *v;               /* [n_layer][max, d] */
	gpt2_scratch sc;            /* step scratch */
};

/* ----------------------------------------------------------- config */

static int get_int(json_t *root, const char *key, int dflt, int lo, int hi, int *out, const char *name,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v)) {
		if (dflt < 0)
			return fs_seterr(err, errlen, "%s: %s: missing", name, key);
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fs_seterr(err, errlen, "%s: %s: expected an integer in %d..%d", name, key, lo, hi);
	*out = (int)json_integer_value(v);
	return 0;
}

int gpt2_config_parse(const char *name, const char *text, size_t len, gpt2_config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	json_t *root = jr_object(name, text, len, 0, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	json_t *mt = json_object_get(root, "model_type");
	if (!json_is_string(mt)) {
		fs_seterr(err, errlen, "%s: model_type: missing (supported architectures: gpt2)", name);
		goto out;
	}
	if (strcmp(json_string_value(mt), "gpt2") != 0) {
		char t[64];
		snprintf(t, sizeof t, "%s", json_string_value(mt));
		fs_seterr(err, errlen, "%s: model_type: '%s' is not supported (supported architectures: gpt2)", name,
			  fs_msg_clean(t));
		goto out;
	}
	json_t *act = json_object_get(root, "activation_function");
	if (act && !json_is_null(act) &&
	    (!json_is_string(act) || (strcmp(json_string_value(act), "gelu_new") != 0 &&
				      strcmp(json_string_value(act), "gelu_pytorch_tanh") != 0))) {
		fs_seterr(err, errlen, "%s: activation_function: only gelu_new (the tanh approximation) is supported",
			  name);
		goto out;
	}
	if (get_int(root, "n_layer", -1, 1, 1024, &c->n_layer, name, err, errlen) ||
	    get_int(root, "n_embd", -1, 1, 65536, &c->n_embd, name, err, errlen) ||
	    get_int(root, "n_head", -1, 1, 1024, &c->n_head, name, err, errlen) ||
	    get_int(root, "n_positions", 1024, 1, 1 << 20, &c->n_positions, name, err, errlen) ||
	    get_int(root, "vocab_size", 50257, 1, 1 << 24, &c->vocab_size, name, err, errlen) ||
	    get_int(root, "n_inner", 4 * c->n_embd, 1, 1 << 20, &c->n_inner, name, err, errlen))
		goto out;
	if (c->n_embd % c->n_head) {
		fs_seterr(err, errlen, "%s: n_head: %d does not divide n_embd %d", name, c->n_head, c->n_embd);
		goto out;
	}
	json_t *eps = json_object_get(root, "layer_norm_epsilon");
	c->eps = 1e-5f;
	if (eps) {
		if (!json_is_number(eps) || !(json_number_value(eps) >= 1e-30) || json_number_value(eps) > 1) {
			fs_seterr(err, errlen, "%s: layer_norm_epsilon: expected a number in [1e-30, 1]", name);
			goto out;
		}
		c->eps = (float)json_number_value(eps);
	}
	json_t *sa = json_object_get(root, "scale_attn_weights");
	c->scale_attn = sa ? json_is_true(sa) : 1;
	c->scale_by_layer = json_is_true(json_object_get(root, "scale_attn_by_inverse_layer_idx"));
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------ loading */

/* f32 copy of a tensor's data. */
static float *to_f32(const fs_st_info *in)
{
	float *out = xmalloc(sizeof(float) * (in->count ? in->count : 1));
	if (in->dtype == TENSOR_F32) {
		memcpy(out, in->data, in->count * 4);
	} else if (in->dtype == TENSOR_F16) {
		for (size_t i = 0; i < in->count; i++)
			out[i] = f16_to_f32((uint16_t)(in->data[2 * i] | in->data[2 * i + 1] << 8));
	} else if (in->dtype == TENSOR_BF16) {
		for (size_t i = 0; i < in->count; i++)
			out[i] = bf16_to_f32((uint16_t)(in->data[2 * i] | in->data[2 * i + 1] << 8));
	} else {
		for (size_t i = 0; i < in->count; i++)
			out[i] = tensor_get_f32(in->dtype, in->data, i);
	}
	return out;
}

static void shape_str(const int64_t *s, int nd, char *buf, size_t len)
{
	size_t at = 0;
	at += (size_t)snprintf(buf + at, len - at, "[");
	for (int i = 0; i < nd && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, i ? ", %lld" : "%lld", (long long)s[i]);
	if (at < len)
		snprintf(buf + at, len - at, "]");
}

/* Tensor NAME (or transformer.NAME) of shape [d0] (d1 < 0) or [d0, d1]. */
static float *get_tensor(fs_st_file *f, const char *name, int64_t d0, int64_t d1, size_t *bytes, char *err,
			 size_t errlen)
{
	char full[256];
	snprintf(full, sizeof full, "transformer.%s", name);
	const char *use = NULL;
	for (int i = 0, n = tensor_st_count(f); i < n && !use; i++) {
		const char *k = tensor_st_name(f, i);
		if (!strcmp(k, name) || !strcmp(k, full))
			use = k;
	}
	int64_t want[2] = {d0, d1};
	int wn = d1 < 0 ? 1 : 2;
	char ws[64], gs[96];
	shape_str(want, wn, ws, sizeof ws);
	if (!use) {
		fs_seterr(err, errlen, "%s: %s: missing (expected %s)", tensor_st_path(f), name, ws);
		return NULL;
	}
	fs_st_info in;
	if (tensor_st_find(f, use, &in, err, errlen) != 0)
		return NULL;
	if (in.dtype != TENSOR_F32 && in.dtype != TENSOR_F16 && in.dtype != TENSOR_BF16) {
		fs_seterr(err, errlen, "%s: %s: dtype %s, expected F32, F16 or BF16", tensor_st_path(f), use,
			  tensor_dtype_name(in.dtype));
		return NULL;
	}
	if (in.ndim != wn || in.shape[0] != d0 || (wn == 2 && in.shape[1] != d1)) {
		shape_str(in.shape, in.ndim, gs, sizeof gs);
		fs_seterr(err, errlen, "%s: %s: shape %s, expected %s", tensor_st_path(f), use, gs, ws);
		return NULL;
	}
	float *out = to_f32(&in);
	/* NaN, Inf or absurd values would run through every product and come
	 * out as NaN losses and empty codes: refused here, by name */
	if (tensor_check_weights(tensor_st_path(f), use, out, in.count, err, errlen) != 0) {
		free(out);
		return NULL;
	}
	*bytes += in.count * sizeof(float);
	return out;
}

static int file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static void scratch_free(gpt2_scratch *s)
{
	free(s->x);
	free(s->h);
	free(s->qkv);
	free(s->z);
	free(s->mlp);
	free(s->s);
	memset(s, 0, sizeof *s);
}

void gpt2_free(fs_gpt2 *m)
{
	if (!m)
		return;
	if (m->L) {
		for (int l = 0; l < m->c.n_layer; l++) {
			gpt2_block *b = &m->L[l];
			float *p[] = {b->ln1_w, b->ln1_b, b->attn_w, b->attn_b, b->aproj_w, b->aproj_b,
				      b->ln2_w, b->ln2_b, b->fc_w, b->fc_b, b->mproj_w, b->mproj_b};
			for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
				free(p[i]);
		}
		free(m->L);
	}
	free(m->wte);
	free(m->wpe);
	free(m->lnf_w);
	free(m->lnf_b);
	bpe_free(m->tok);
	scratch_free(&m->sc);
	free(m);
}

fs_gpt2 *gpt2_load(const char *dir, char *err, size_t errlen)
{
	char *cpath = xasprintf("%s/config.json", dir);
	char *wpath = xasprintf("%s/model.safetensors", dir);
	fs_gpt2 *m = xcalloc(1, sizeof *m);
	fs_st_file *f = NULL;
	size_t n;
	char *text = fs_read_file(cpath, 16u << 20, &n, err, errlen);
	if (!text || gpt2_config_parse(cpath, text, n, &m->c, err, errlen) != 0)
		goto bad;
	f = tensor_st_open(wpath, err, errlen);
	if (!f)
		goto bad;
	const gpt2_config *c = &m->c;
	int64_t d = c->n_embd, ni = c->n_inner;
	size_t bytes = 0, wpe_bytes = 0;
	if (!(m->wte = get_tensor(f, "wte.weight", c->vocab_size, d, &bytes, err, errlen)) ||
	    !(m->wpe = get_tensor(f, "wpe.weight", c->n_positions, d, &wpe_bytes, err, errlen)) ||
	    !(m->lnf_w = get_tensor(f, "ln_f.weight", d, -1, &bytes, err, errlen)) ||
	    !(m->lnf_b = get_tensor(f, "ln_f.bias", d, -1, &bytes, err, errlen)))
		goto bad;
	m->L = xcalloc((size_t)c->n_layer, sizeof *m->L);
	for (int l = 0; l < c->n_layer; l++) {
		gpt2_block *b = &m->L[l];
		struct {
			const char *nm;
			int64_t d0, d1;
			float **dst;
		} t[] = {
			{"ln_1.weight", d, -1, &b->ln1_w}, {"ln_1.bias", d, -1, &b->ln1_b},
			{"attn.c_attn.weight", d, 3 * d, &b->attn_w}, {"attn.c_attn.bias", 3 * d, -1, &b->attn_b},
			{"attn.c_proj.weight", d, d, &b->aproj_w}, {"attn.c_proj.bias", d, -1, &b->aproj_b},
			{"ln_2.weight", d, -1, &b->ln2_w}, {"ln_2.bias", d, -1, &b->ln2_b},
			{"mlp.c_fc.weight", d, ni, &b->fc_w}, {"mlp.c_fc.bias", ni, -1, &b->fc_b},
			{"mlp.c_proj.weight", ni, d, &b->mproj_w}, {"mlp.c_proj.bias", d, -1, &b->mproj_b},
		};
		for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
			char nm[128];
			snprintf(nm, sizeof nm, "h.%d.%s", l, t[i].nm);
			if (!(*t[i].dst = get_tensor(f, nm, t[i].d0, t[i].d1, &bytes, err, errlen)))
				goto bad;
		}
	}
	m->bytes = bytes;
	tensor_st_close(f);
	f = NULL;
	/* the tokenizer, when the folder has one */
	char *vj = xasprintf("%s/vocab.json", dir), *tj = xasprintf("%s/tokenizer.json", dir);
	int has_tok = file_exists(vj) || file_exists(tj);
	const char *tokfile = file_exists(vj) ? vj : tj;
	if (has_tok) {
		m->tok = bpe_load_dir(dir, err, errlen);
		if (m->tok && bpe_vocab_size(m->tok) != c->vocab_size) {
			fs_seterr(err, errlen, "%s: the tokenizer has %d tokens, but %s says vocab_size %d", tokfile,
				  bpe_vocab_size(m->tok), cpath, c->vocab_size);
			bpe_free(m->tok);
			m->tok = NULL;
			has_tok = -1;
		}
	}
	free(vj);
	free(tj);
	if (has_tok && !m->tok)
		goto bad;
	free(text);
	free(cpath);
	free(wpath);
	return m;
bad:
	tensor_st_close(f);
	free(text);
	free(cpath);
	free(wpath);
	gpt2_free(m);
	return NULL;
}

const gpt2_config *gpt2_cfg(const fs_gpt2 *m) { return &m->c; }
int gpt2_n_layer(const fs_gpt2 *m) { return m->c.n_layer; }
int gpt2_d_model(const fs_gpt2 *m) { return m->c.n_embd; }
int gpt2_vocab(const fs_gpt2 *m) { return m->c.vocab_size; }
int gpt2_ctx(const fs_gpt2 *m) { return m->c.n_positions; }
fs_bpe *gpt2_tokenizer(const fs_gpt2 *m) { return m->tok; }
const float *gpt2_wte(const fs_gpt2 *m) { return m->wte; }
size_t gpt2_weight_bytes(const fs_gpt2 *m) { return m->bytes; }

int gpt2_tokenize(const fs_gpt2 *m, const char *text, size_t n, int32_t **ids, uint32_t **offs, int64_t *count,
		  int64_t *cap, char *err, size_t errlen)
{
	if (!m->tok)
		return fs_seterr(err, errlen, "the model folder has no tokenizer (vocab.json + merges.txt or tokenizer.json)");
	return bpe_encode(m->tok, text, n, ids, offs, count, cap, err, errlen);
}

/* ------------------------------------------------------------- kernels */

/* Row-parallel jobs for the elementwise work (vmath.h: the result is
 * the same whatever the split). */
typedef struct {
	const float *x;
	float *y;
	int d;
	const float *w, *b;
	float eps;
} ln_job;

static void ln_rows(void *ud, int lo, int hi)
{
	ln_job *j = ud;
	vm_layernorm(j->x + (size_t)lo * j->d, j->y + (size_t)lo * j->d, hi - lo, j->d, j->w, j->b, j->eps);
}

static void layernorm(const float *x, float *y, int R, int d, const float *w, const float *b, float eps)
{
	ln_job j = {x, y, d, w, b, eps};
	vm_parallel(R, (size_t)d, ln_rows, &j);
}

typedef struct {
	float *x;
	int d;
} gelu_job;

static void gelu_rows(void *ud, int lo, int hi)
{
	gelu_job *j = ud;
	vm_gelu_tanh(j->x + (size_t)lo * j->d, (size_t)(hi - lo) * j->d);
}

static void gelu_new(float *x, int R, int d)
{
	gelu_job j = {x, d};
	vm_parallel(R, (size_t)d, gelu_rows, &j);
}

/* Softmax of H heads' scores [H][Tq][Tk], query i seeing off + i + 1 keys. */
typedef struct {
	float *S;
	int Tq, Tk, off;
} sm_job;

static void sm_rows(void *ud, int lo, int hi)
{
	sm_job *j = ud;
	for (int r = lo; r < hi; r++) {
		int i = r % j->Tq;
		vm_softmax_causal(j->S + (size_t)r * j->Tk, 1, j->Tk, j->Tk, j->off + i);
	}
}

/* Y[R, out] (+)= X[R, in] W[in, out] + bias. */
static void project(int R, int in, int out, const float *X, const float *W, const float *bias, float *Y, int acc)
{
	if (R == 1) {
		if (!acc)
			memcpy(Y, bias, sizeof(float) * (size_t)out);
		else
			for (int j = 0; j < out; j++)
				Y[j] += bias[j];
		blas_sgemv(CblasRowMajor, CblasTrans, in, out, 1.0f, W, out, X, 1, 1.0f, Y, 1);
		return;
	}
	for (int r = 0; r < R; r++) {
		float *y = Y + (size_t)r * out;
		if (acc)
			for (int j = 0; j < out; j++)
				y[j] += bias[j];
		else
			memcpy(y, bias, sizeof(float) * (size_t)out);
	}
	blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, out, in, 1.0f, X, in, W, out, 1.0f, Y, out);
}

/* All heads of one sequence: Tq queries at absolute positions off..
 * attend keys 0..off+i; scores of every head first, one row-parallel
 * softmax over them, then P V per head. S holds H * Tq * Tk floats. */
static void attend(const float *q, int ldq, const float *k, int ldk, const float *v, int ldv, int Tq, int Tk,
		   int off, int H, int dh, float scale, float *S, float *o, int ldo)
{
	for (int h = 0; h < H; h++) {
		float *Sh = S + (size_t)h * Tq * Tk;
		if (Tq == 1)
			blas_sgemv(CblasRowMajor, CblasNoTrans, Tk, dh, scale, k + h * dh, ldk, q + h * dh, 1, 0.0f, Sh, 1);
		else
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Tq, Tk, dh, scale, q + h * dh, ldq, k + h * dh,
				 ldk, 0.0f, Sh, Tk);
	}
	sm_job j = {S, Tq, Tk, off};
	vm_parallel(H * Tq, (size_t)Tk, sm_rows, &j);
	for (int h = 0; h < H; h++) {
		const float *Sh = S + (size_t)h * Tq * Tk;
		if (Tq == 1)
			blas_sgemv(CblasRowMajor, CblasTrans, Tk, dh, 1.0f, v + h * dh, ldv, Sh, 1, 0.0f, o + h * dh, 1);
		else
			blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Tq, dh, Tk, 1.0f, Sh, Tk, v + h * dh, ldv,
				 0.0f, o + h * dh, ldo);
	}
}

static void scratch_need(gpt2_scratch *s, const gpt2_config *c, size_t R, size_t Tq, size_t Tk)
{
	if (R > s->rows) {
		size_t d = (size_t)c->n_embd;
		free(s->x);
		free(s->h);
		free(s->qkv);
		free(s->z);
		free(s->mlp);
		s->x = xmalloc(sizeof(float) * R * d);
		s->h = xmalloc(sizeof(float) * R * d);
		s->qkv = xmalloc(sizeof(float) * R * 3 * d);
		s->z = xmalloc(sizeof(float) * R * d);
		s->mlp = xmalloc(sizeof(float) * R * (size_t)c->n_inner);
		s->rows = R;
	}
	if ((size_t)c->n_head * Tq * Tk > s->scols) {
		free(s->s);
		s->scols = (size_t)c->n_head * Tq * Tk;
		s->s = xmalloc(sizeof(float) * s->scols);
	}
}

static float head_scale(const gpt2_config *c, int l)
{
	float s = c->scale_attn ? 1.0f / sqrtf((float)(c->n_embd / c->n_head)) : 1.0f;
	if (c->scale_by_layer)
		s /= (float)(l + 1);
	return s;
}

/* The blocks over R = B * T rows in sc->x. With a cache, B is 1 and the T
 * rows sit at positions cache->len..; keys and values go to the cache. */
static int run_blocks(fs_gpt2 *m, gpt2_scratch *sc, gpt2_cache *cache, int B, int T, gpt2_hook_fn hook,
		      void *user, char *err, size_t errlen)
{
	const gpt2_config *c = &m->c;
	int d = c->n_embd, H = c->n_head, dh = d / H, R = B * T;
	int off = cache ? cache->len : 0, Tk = off + T;
#define HOOK(l, kind, buf, width)                                                   \
	do {                                                                        \
		if (hook) {                                                         \
			int hr = hook(user, l, kind, buf, R, width);                \
			if (hr < 0)                                                 \
				return fs_seterr(err, errlen, "hook %d/%d failed", l, (int)kind); \
			if (hr > 0)                                                 \
				return 1;                                           \
		}                                                                   \
	} while (0)
	for (int l = 0; l < c->n_layer; l++) {
		gpt2_block *b = &m->L[l];
		HOOK(l, LIVE_RESID_PRE, sc->x, d);
		layernorm(sc->x, sc->h, R, d, b->ln1_w, b->ln1_b, c->eps);
		project(R, d, 3 * d, sc->h, b->attn_w, b->attn_b, sc->qkv, 0);
		float scale = head_scale(c, l);
		if (cache) {
			float *K = cache->k + (size_t)l * cache->max * d, *V = cache->v + (size_t)l * cache->max * d;
			for (int r = 0; r < T; r++) {
				memcpy(K + (size_t)(off + r) * d, sc->qkv + (size_t)r * 3 * d + d, sizeof(float) * d);
				memcpy(V + (size_t)(off + r) * d, sc->qkv + (size_t)r * 3 * d + 2 * d, sizeof(float) * d);
			}
			attend(sc->qkv, 3 * d, K, d, V, d, T, Tk, off, H, dh, scale, sc->s, sc->z, d);
		} else {
			for (int s = 0; s < B; s++) {
				const float *qkv = sc->qkv + (size_t)s * T * 3 * d;
				attend(qkv, 3 * d, qkv + d, 3 * d, qkv + 2 * d, 3 * d, T, T, 0, H, dh, scale, sc->s,
				       sc->z + (size_t)s * T * d, d);
			}
		}
		if (hook && hook(user, l, LIVE_ATTN_OUT, NULL, 0, 0) > 0) {
			/* read: the attention output apart (in h, free after
			 * the qkv projection), then added */
			project(R, d, d, sc->z, b->aproj_w, b->aproj_b, sc->h, 0);
			HOOK(l, LIVE_ATTN_OUT, sc->h, d);
			vm_add(sc->x, sc->h, (size_t)R * d);
		} else {
			project(R, d, d, sc->z, b->aproj_w, b->aproj_b, sc->x, 1);
		}
		layernorm(sc->x, sc->h, R, d, b->ln2_w, b->ln2_b, c->eps);
		HOOK(l, LIVE_MLP_IN, sc->h, d);
		project(R, d, c->n_inner, sc->h, b->fc_w, b->fc_b, sc->mlp, 0);
		gelu_new(sc->mlp, R, c->n_inner);
		HOOK(l, LIVE_MLP_HIDDEN, sc->mlp, c->n_inner);
		project(R, c->n_inner, d, sc->mlp, b->mproj_w, b->mproj_b, sc->z, 0);
		HOOK(l, LIVE_MLP_OUT, sc->z, d);
		vm_add(sc->x, sc->z, (size_t)R * d);
		HOOK(l, LIVE_RESID_POST, sc->x, d);
	}
#undef HOOK
	return 0;
}

static int check_ids(const fs_gpt2 *m, const int32_t *ids, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] < 0 || ids[i] >= m->c.vocab_size)
			return fs_seterr(err, errlen, "token %zu: id %d is outside the vocabulary (0..%d)", i, (int)ids[i],
					 m->c.vocab_size - 1);
	return 0;
}

int gpt2_forward(fs_gpt2 *m, const int32_t *ids, int B, int T, gpt2_hook_fn hook, void *user, float *logits,
		 char *err, size_t errlen)
{
	const gpt2_config *c = &m->c;
	if (B < 1 || T < 1 || T > c->n_positions)
		return fs_seterr(err, errlen, "forward: %d tokens, the model's context is %d", T, c->n_positions);
	if (check_ids(m, ids, (size_t)B * T, err, errlen) != 0)
		return -1;
	int d = c->n_embd, R = B * T;
	scratch_need(&m->sc, c, (size_t)R, (size_t)T, (size_t)T);
	gpt2_scratch *sc = &m->sc;
	for (int r = 0; r < R; r++) {
		const float *te = m->wte + (size_t)ids[r] * d, *pe = m->wpe + (size_t)(r % T) * d;
		float *x = sc->x + (size_t)r * d;
		for (int i = 0; i < d; i++)
			x[i] = te[i] + pe[i];
	}
	int rc = run_blocks(m, sc, NULL, B, T, hook, user, err, errlen);
	if (rc != 0)
		return rc;
	if (logits) {
		layernorm(sc->x, sc->h, R, d, m->lnf_w, m->lnf_b, c->eps);
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, c->vocab_size, d, 1.0f, sc->h, d, m->wte, d, 0.0f,
			 logits, c->vocab_size);
	}
	return 0;
}

/* --------------------------------------------------------------- cache */

gpt2_cache *gpt2_cache_new(const fs_gpt2 *m, int max_len)
{
	gpt2_cache *c = xcalloc(1, sizeof *c);
	if (max_len > m->c.n_positions)
		max_len = m->c.n_positions;
	c->max = max_len;
	c->n_layer = m->c.n_layer;
	c->d = m->c.n_embd;
	c->k = xmalloc(sizeof(float) * (size_t)c->n_layer * max_len * c->d);
	c->v = xmalloc(sizeof(float) * (size_t)c->n_layer * max_len * c->d);
	return c;
}

void gpt2_cache_free(gpt2_cache *c)
{
	if (!c)
		return;
	free(c->k);
	free(c->v);
	scratch_free(&c->sc);
	free(c);
}

void gpt2_cache_reset(gpt2_cache *c) { c->len = 0; }
int gpt2_cache_len(const gpt2_cache *c) { return c->len; }

static int step_impl(fs_gpt2 *m, gpt2_cache *c, const int32_t *ids, int n, gpt2_hook_fn hook, void *user,
		     float *logits, int all, char *err, size_t errlen)
{
	const gpt2_config *cf = &m->c;
	if (n < 1 || c->len + n > c->max)
		return fs_seterr(err, errlen, "step: %d + %d tokens pass the cache of %d positions", c->len, n, c->max);
	if (check_ids(m, ids, (size_t)n, err, errlen) != 0)
		return -1;
	int d = cf->n_embd;
	scratch_need(&c->sc, cf, (size_t)n, (size_t)n, (size_t)c->max);
	gpt2_scratch *sc = &c->sc;
	for (int r = 0; r < n; r++) {
		const float *te = m->wte + (size_t)ids[r] * d, *pe = m->wpe + (size_t)(c->len + r) * d;
		for (int i = 0; i < d; i++)
			sc->x[(size_t)r * d + i] = te[i] + pe[i];
	}
	int rc = run_blocks(m, sc, c, 1, n, hook, user, err, errlen);
	if (rc != 0)
		return rc;
	c->len += n;
	if (logits && all && n > 1) {
		layernorm(sc->x, sc->h, n, d, m->lnf_w, m->lnf_b, cf->eps);
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, cf->vocab_size, d, 1.0f, sc->h, d, m->wte, d, 0.0f,
			 logits, cf->vocab_size);
	} else if (logits) {
		const float *last = sc->x + (size_t)(n - 1) * d;
		layernorm(last, sc->h, 1, d, m->lnf_w, m->lnf_b, cf->eps);
		blas_sgemv(CblasRowMajor, CblasNoTrans, cf->vocab_size, d, 1.0f, m->wte, d, sc->h, 1, 0.0f, logits, 1);
	}
	return 0;
}

int gpt2_step(fs_gpt2 *m, gpt2_cache *c, const int32_t *ids, int n, gpt2_hook_fn hook, void *user, float *logits,
	      char *err, size_t errlen)
{
	return step_impl(m, c, ids, n, hook, user, logits, 0, err, errlen);
}

int gpt2_prefill(fs_gpt2 *m, gpt2_cache *c, const int32_t *ids, int n, gpt2_hook_fn hook, void *user,
		 float *logits, char *err, size_t errlen)
{
	return step_impl(m, c, ids, n, hook, user, logits, 1, err, errlen);
}

int gpt2_sample(const float *logits, int vocab, float temperature, int top_k, uint64_t *rng)
{
	int best = 0;
	for (int i = 1; i < vocab; i++)
		if (logits[i] > logits[best])
			best = i;
	if (temperature <= 0)
		return best;
	/* threshold: the top_k-th largest logit (all when top_k is 0) */
	float thr = -INFINITY;
	if (top_k > 0 && top_k < vocab) {
		float *tmp = xmalloc(sizeof(float) * (size_t)top_k);
		int nt = 0;
		for (int i = 0; i < vocab; i++) {
			float v = logits[i];
			if (nt < top_k) {
				int p = nt++;
				while (p > 0 && tmp[p - 1] < v) {
					tmp[p] = tmp[p - 1];
					p--;
				}
				tmp[p] = v;
			} else if (v > tmp[top_k - 1]) {
				int p = top_k - 1;
				while (p > 0 && tmp[p - 1] < v) {
					tmp[p] = tmp[p - 1];
					p--;
				}
				tmp[p] = v;
			}
		}
		thr = tmp[top_k - 1];
		free(tmp);
	}
	double sum = 0;
	for (int i = 0; i < vocab; i++)
		if (logits[i] >= thr)
			sum += exp((double)(logits[i] - logits[best]) / temperature);
	uint64_t x = *rng ? *rng : 0x9e3779b97f4a7c15ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*rng = x;
	double u = (double)(x >> 11) / 9007199254740992.0 * sum;
	for (int i = 0; i < vocab; i++) {
		if (logits[i] < thr)
			continue;
		u -= exp((double)(logits[i] - logits[best]) / temperature);
		if (u <= 0)
			return i;
	}
	return best;
}
