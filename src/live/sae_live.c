/*
 * sae_live.c: the SAE side of the live model (see live.h): loading the
 * demo dictionaries ("FSSAE001": TopK over the last block's MLP hidden
 * activations; "FSSAE002": hook point, dtype and scale in the header),
 * encoding hook activations to sparse feature activations (TopK, ReLU,
 * JumpReLU) with one matrix product per batch of rows, and the steering
 * hook that clamps or adds feature directions.
 */
#include "live/live.h"
#include "import/saelens_sae.h"
#include "nn/blas.h"
#include "nn/tensor.h"
#include "core/topk.h"
#include "core/util.h"
#include "nn/vmath.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void live_sae_free(live_sae *s)
{
	if (!s)
		return;
	free(s->model_name);
	free(s->path);
	free(s->w_enc);
	free(s->b_enc);
	free(s->w_dec);
	free(s->b_dec);
	free(s->threshold);
	free(s->b_mag);
	free(s->r_mag_exp);
	free(s->w_skip);
	free(s->tc_z);
	free(s->where_hook);
	free(s->where_din);
	free(s->self_dot);
	free(s->steer_g);
	free(s->steer_gf);
	free(s->scratch);
	free(s);
}

/* Read n values of dtype (0 f32, 1 f16) into a new float array. */
static float *read_vals(FILE *f, size_t n, int dtype)
{
	float *v = xmalloc((n ? n : 1) * sizeof *v);
	if (dtype == 0) {
		if (fread(v, sizeof *v, n, f) == n)
			return v;
	} else {
		uint16_t *h = xmalloc((n ? n : 1) * sizeof *h);
		size_t got = fread(h, sizeof *h, n, f);
		for (size_t i = 0; i < got; i++)
			v[i] = f16_to_f32(h[i]);
		free(h);
		if (got == n)
			return v;
	}
	free(v);
	return NULL;
}

/* A dictionary folder (saelens_sae.h) as a live dictionary: W_enc
 * transposed to [n_feat][d_in], the normalisation as in_scale or a row
 * norm. */
static live_sae *saelens_live_load(const char *dir, char *err, size_t errlen)
{
	saelens_sae z;
	if (saelens_load(dir, &z, err, errlen) != 0)
		return NULL;
	const saelens_cfg *c = &z.c;
	live_point at, out = {0, 0};
	char why[256];
	int bad_out = 0;
	int bad = live_point_parse_tl(c->hook, &at, why, sizeof why) != 0;
	if (!bad && c->transcoder && live_point_parse_tl(c->hook_out, &out, why, sizeof why) != 0)
		bad = bad_out = 1;
	if (bad) {
		fs_seterr(err, errlen, "%s: %s: %s", z.config,
			  !bad_out ? (c->format == SAEL_FMT_LLAMASCOPE ? "hook_point_in" : "hook_name")
				   : (c->format == SAEL_FMT_LLAMASCOPE ? "hook_point_out" : "hook_name_out"),
			  why);
		saelens_free(&z);
		return NULL;
	}
	live_sae *s = xcalloc(1, sizeof *s);
	s->path = xstrdup(dir);
	static const char *const hook_field[] = {"metadata.hook_name", "hook (from the folder's path)",
						 "hf_hook_point_in", "hook_point_in"};
	static const char *const din_field[] = {"d_in", "W_enc", "w_enc", "d_model"};
	s->where_hook = xasprintf("%s: %s", z.config, hook_field[c->format]);
	s->where_din = xasprintf("%s: %s", c->format == SAEL_FMT_SAELENS || c->format == SAEL_FMT_LLAMASCOPE
						   ? z.config : z.weights, din_field[c->format]);
	s->d_in = c->d_in;
	s->d_out = c->d_out;
	s->n_feat = c->d_sae;
	s->act = c->arch == SAEL_TOPK ? LIVE_SAE_TOPK : c->arch == SAEL_JUMPRELU ? LIVE_SAE_JUMPRELU : LIVE_SAE_RELU;
	s->k = c->arch == SAEL_TOPK ? (c->k < c->d_sae ? c->k : c->d_sae) : 0;
	s->hook = at;
	s->transcoder = c->transcoder != SAEL_TC_NONE;
	s->hook_out = out;
	s->in_scale = c->norm == SAEL_NORM_EXPECTED_AVG ? c->norm_scale : 1.0f;
	s->row_norm = c->norm == SAEL_NORM_CONSTANT ? 1 : c->norm == SAEL_NORM_LAYER ? 2 : 0;
	s->apply_b_dec = c->apply_b_dec;
	s->prepend_bos = c->prepend_bos;
	s->model_name = c->model[0] ? xstrdup(c->model) : NULL;
	size_t F = (size_t)s->n_feat, D = (size_t)s->d_in;
	s->w_enc = xmalloc(F * D * sizeof(float));
	for (size_t i = 0; i < D; i++)
		for (size_t f = 0; f < F; f++)
			s->w_enc[f * D + i] = z.W_enc[i * F + f];
	if (z.r_mag) {
		s->r_mag_exp = z.r_mag;
		for (size_t f = 0; f < F; f++)
			s->r_mag_exp[f] = expf(s->r_mag_exp[f]);
		z.r_mag = NULL;
	}
	s->b_mag = z.b_mag;
	s->w_skip = z.W_skip;
	s->b_enc = z.b_enc;
	s->w_dec = z.W_dec;
	s->b_dec = z.b_dec;
	s->threshold = z.threshold;
	z.b_enc = z.W_dec = z.b_dec = z.threshold = z.b_mag = z.W_skip = NULL;
	saelens_free(&z);
	return s;
}

live_sae *live_sae_load(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if (saelens_is_dir(path))
			return saelens_live_load(path, err, errlen);
		fs_seterr(err, errlen, "%s: a folder without cfg.json (a SAELens dictionary has cfg.json and "
			  "sae_weights.safetensors; Gemma Scope params.npz, or config.json and params.safetensors; "
			  "Llama Scope hyperparams.json and checkpoints/final.safetensors)", path);
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char mg[8];
	int32_t h[6] = {0, 0, 0, 0, -1, 0}; /* hook_kind 0: MLP hidden */
	float scale = 1;
	live_sae *s = NULL;
	int gen2 = 0;
	if (fread(mg, 1, 8, f) != 8 ||
	    (memcmp(mg, "FSSAE001", 8) != 0 && !(gen2 = memcmp(mg, "FSSAE002", 8) == 0))) {
		fs_seterr(err, errlen, "%s:1: magic: not a FSSAE001/FSSAE002 dictionary file", path);
		goto fail;
	}
	if (fread(h, sizeof(int32_t), gen2 ? 6 : 3, f) != (size_t)(gen2 ? 6 : 3) ||
	    fread(&scale, sizeof scale, 1, f) != 1) {
		fs_seterr(err, errlen, "%s: header: truncated", path);
		goto fail;
	}
	if (h[0] < 1 || h[0] > 65536 || h[1] < 1 || h[1] > (1 << 22) || h[2] < 0 || h[2] > h[1]) {
		fs_seterr(err, errlen, "%s: header: bad shape (d_in %d, n_features %d, k %d)", path, h[0],
			  h[1], h[2]);
		goto fail;
	}
	if (h[3] != 0 && h[3] != 1) {
		fs_seterr(err, errlen, "%s: hook_kind: %d is neither 0 (MLP hidden) nor 1 (residual)",
			  path, h[3]);
		goto fail;
	}
	if (gen2 && (h[4] < 0 || h[4] > 4096)) {
		fs_seterr(err, errlen, "%s: layer: %d out of range", path, h[4]);
		goto fail;
	}
	if (h[5] != 0 && h[5] != 1) {
		fs_seterr(err, errlen, "%s: dtype: %d is neither 0 (f32) nor 1 (f16)", path, h[5]);
		goto fail;
	}
	if (!(scale > 0) || !isfinite(scale)) {
		fs_seterr(err, errlen, "%s: input_scale: %g is not a positive number", path, scale);
		goto fail;
	}
	{
		/* exactly the parameters the header promises, checked before
		 * anything of that size is allocated */
		long here = ftell(f), end = -1;
		if (here >= 0 && fseek(f, 0, SEEK_END) == 0)
			end = ftell(f);
		uint64_t want = ((uint64_t)h[1] * h[0] * 2 + (uint64_t)h[1] + (uint64_t)h[0]) * (h[5] ? 2 : 4);
		if (end < here || (uint64_t)(end - here) != want || fseek(f, here, SEEK_SET) != 0) {
			fs_seterr(err, errlen, "%s: parameters: %ld bytes after the header, the shape needs %llu",
				  path, end - here, (unsigned long long)want);
			goto fail;
		}
	}
	s = xcalloc(1, sizeof *s);
	s->d_in = s->d_out = h[0];
	s->n_feat = h[1];
	s->k = h[2];
	s->act = h[2] > 0 ? LIVE_SAE_TOPK : LIVE_SAE_RELU;
	s->hook.kind = gen2 ? (h[3] == 0 ? LIVE_MLP_HIDDEN : LIVE_RESID_POST) : LIVE_MLP_HIDDEN;
	s->hook.layer = gen2 ? h[4] : -1;
	s->in_scale = scale;
	s->apply_b_dec = 1;
	size_t F = (size_t)s->n_feat, D = (size_t)s->d_in;
	if (!(s->w_enc = read_vals(f, F * D, h[5])) || !(s->b_enc = read_vals(f, F, h[5])) ||
	    !(s->w_dec = read_vals(f, F * D, h[5])) || !(s->b_dec = read_vals(f, D, h[5]))) {
		fs_seterr(err, errlen, "%s: parameters: truncated (d_in %zu, n_features %zu)", path, D, F);
		goto fail;
	}
	if (fgetc(f) != EOF) {
		fs_seterr(err, errlen, "%s: parameters: trailing bytes after b_dec", path);
		goto fail;
	}
	if (tensor_check_weights(path, "W_enc", s->w_enc, F * D, err, errlen) ||
	    tensor_check_weights(path, "b_enc", s->b_enc, F, err, errlen) ||
	    tensor_check_weights(path, "W_dec", s->w_dec, F * D, err, errlen) ||
	    tensor_check_weights(path, "b_dec", s->b_dec, D, err, errlen))
		goto fail;
	fclose(f);
	s->path = xstrdup(path);
	return s;
fail:
	fclose(f);
	live_sae_free(s);
	return NULL;
}

int live_sae_bind(live_sae *s, const live_model *m, char *err, size_t errlen)
{
	live_point p = s->hook;
	if (p.layer < 0)
		p.layer = m->n_layer - 1;
	int w = live_width(m, p);
	char pn[64];
	if (w == 0 && s->where_hook)
		return fs_seterr(err, errlen, "%s: the model has no %s (%d blocks)", s->where_hook,
				 live_point_name(p, pn, sizeof pn), m->n_layer);
	if (w == 0)
		return fs_seterr(err, errlen, "%s: hook: the model has no %s (%d blocks)", s->path,
				 live_point_name(p, pn, sizeof pn), m->n_layer);
	if (w != s->d_in && s->where_din)
		return fs_seterr(err, errlen, "%s: %d wide, but the model's %s is %d wide", s->where_din,
				 s->d_in, live_point_name(p, pn, sizeof pn), w);
	if (w != s->d_in)
		return fs_seterr(err, errlen, "%s: d_in: %d, but the model's %s is %d wide", s->path,
				 s->d_in, live_point_name(p, pn, sizeof pn), w);
	live_point q = s->hook_out;
	if (s->transcoder) {
		if (q.layer < 0)
			q.layer = m->n_layer - 1;
		int wo = live_width(m, q);
		if (wo == 0)
			return fs_seterr(err, errlen, "%s: hook_out: the model has no %s (%d blocks)", s->path,
					 live_point_name(q, pn, sizeof pn), m->n_layer);
		if (wo != s->d_out)
			return fs_seterr(err, errlen, "%s: d_out: %d, but the model's %s is %d wide", s->path,
					 s->d_out, live_point_name(q, pn, sizeof pn), wo);
	}
	s->hook = p;
	s->hook_out = q;
	return 0;
}

/* Pre-activations of n rows into s->scratch (rows of n_feat). */
static float *sae_pre(live_sae *s, const float *x, int n)
{
	int D = s->d_in, F = s->n_feat;
	if (n > s->cap) {
		free(s->scratch);
		s->scratch = xmalloc((size_t)n * (F + D) * sizeof(float));
		s->cap = n;
	}
	float *pre = s->scratch, *xc = s->scratch + (size_t)n * F;
	for (int i = 0; i < n; i++) {
		const float *xr = x + (size_t)i * D;
		float *y = xc + (size_t)i * D;
		for (int j = 0; j < D; j++)
			y[j] = xr[j] * s->in_scale;
		if (s->row_norm == 1) { /* SAELens constant_norm_rescale */
			double n2 = 0;
			for (int j = 0; j < D; j++)
				n2 += (double)y[j] * y[j];
			float g = (float)(sqrt((double)D) / (sqrt(n2) > 0 ? sqrt(n2) : 1));
			for (int j = 0; j < D; j++)
				y[j] *= g;
		} else if (s->row_norm == 2) { /* SAELens layer_norm: torch.std, unbiased */
			double mu = 0, v = 0;
			for (int j = 0; j < D; j++)
				mu += y[j];
			mu /= D;
			for (int j = 0; j < D; j++)
				v += (y[j] - mu) * (y[j] - mu);
			double sd = D > 1 ? sqrt(v / (D - 1)) : 0;
			for (int j = 0; j < D; j++)
				y[j] = (float)((y[j] - mu) / (sd + 1e-5));
		}
		if (s->apply_b_dec)
			for (int j = 0; j < D; j++)
				y[j] -= s->b_dec[j];
	}
	for (int i = 0; i < n; i++)
		memcpy(pre + (size_t)i * F, s->b_enc, (size_t)F * sizeof(float));
	if (n == 1)
		blas_sgemv(CblasRowMajor, CblasNoTrans, F, D, 1.0f, s->w_enc, D, xc, 1, 1.0f, pre, 1);
	else
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, F, D, 1.0f, xc, D, s->w_enc, D,
			 1.0f, pre, F);
	if (s->r_mag_exp) /* gated: the gate's sign, the magnitude path's value */
		for (int i = 0; i < n; i++) {
			float *r = pre + (size_t)i * F;
			for (int f = 0; f < F; f++) {
				float m = s->r_mag_exp[f] * (r[f] - s->b_enc[f]) + s->b_mag[f];
				r[f] = r[f] > 0 && m > 0 ? m : 0;
			}
		}
	return pre;
}

/* The largest `want` positive entries of row[F] (JumpReLU: above the
 * threshold), strongest first; returns how many. A min-heap of size want
 * (core/topk.h). */
static int sae_select(const live_sae *s, const float *row, int want, int *idx, float *val)
{
	int n = 0;
	for (int f = 0; f < s->n_feat; f++) {
		/* a full heap skips whole blocks below its smallest (vectorised) */
		if ((f & 15) == 0 && f + 16 <= s->n_feat) {
			float floor = n == want ? val[0] : 0.0f;
			if (!(vm_max(row + f, 16) > floor)) {
				f += 15;
				continue;
			}
		}
		float x = row[f];
		if (!(x > 0) || (s->threshold && !(x > s->threshold[f])))
			continue;
		if (n == want && !(x > val[0]))
			continue;
		n = topk_push(val, idx, n, want, x, f);
	}
	topk_sort(val, idx, n); /* strongest first */
	return n;
}

typedef struct {
	const live_sae *s;
	const float *pre;
	int kmax, want;
	int *idx;
	float *val;
} select_job;

static void select_rows(void *ud, int lo, int hi)
{
	select_job *j = ud;
	for (int i = lo; i < hi; i++) {
		int *ri = j->idx + (size_t)i * j->kmax;
		float *rv = j->val + (size_t)i * j->kmax;
		int got = sae_select(j->s, j->pre + (size_t)i * j->s->n_feat, j->want, ri, rv);
		for (int k = got; k < j->kmax; k++) {
			ri[k] = -1;
			rv[k] = 0;
		}
	}
}

void live_sae_encode(live_sae *s, const float *x, int n, int kmax, int *idx, float *val)
{
	int want = kmax;
	if (s->act == LIVE_SAE_TOPK && s->k < want)
		want = s->k;
	const float *pre = sae_pre(s, x, n);
	select_job j = {s, pre, kmax, want, idx, val};
	vm_parallel(n, (size_t)s->n_feat, select_rows, &j);
}

/* f's activation in one row of pre-activations. */
static float sae_one(const live_sae *s, const float *row, int f)
{
	float x = row[f];
	if (!(x > 0) || (s->threshold && !(x > s->threshold[f])))
		return 0;
	if (s->act == LIVE_SAE_TOPK) {
		int above = 0;
		for (int g = 0; g < s->n_feat; g++)
			above += row[g] > x || (row[g] == x && g < f);
		if (above >= s->k)
			return 0;
	}
	return x;
}

void live_sae_feature_acts(live_sae *s, const float *x, int n, int f, float *out)
{
	const float *pre = sae_pre(s, x, n);
	for (int i = 0; i < n; i++)
		out[i] = sae_one(s, pre + (size_t)i * s->n_feat, f);
}

void live_sae_acts_of(live_sae *s, const float *x, int n, const int *f, int nf, float *out)
{
	const float *pre = sae_pre(s, x, n);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < nf; j++)
			out[(size_t)i * nf + j] = sae_one(s, pre + (size_t)i * s->n_feat, f[j]);
}

/* ---------------------------------------------------------------- steering */

#define STEER_ROUNDS 6 /* clamp corrections per batch at most */

/* W_enc . W_dec[f] for each clamped feature f (rows of n_feat, in the
 * order of st->terms), kept in the dictionary until the features change. */
static const float *steer_gram(live_sae *s, const live_steer *st)
{
	int same = s->steer_gn == st->n;
	for (int t = 0; same && t < st->n; t++)
		same = s->steer_gf[t] == st->terms[t].feature;
	if (same)
		return s->steer_g;
	free(s->steer_g);
	free(s->steer_gf);
	s->steer_g = xmalloc((size_t)st->n * s->n_feat * sizeof(float));
	s->steer_gf = xmalloc((size_t)st->n * sizeof(int));
	for (int t = 0; t < st->n; t++) {
		int f = st->terms[t].feature;
		s->steer_gf[t] = f;
		blas_sgemv(CblasRowMajor, CblasNoTrans, s->n_feat, s->d_in, 1.0f, s->w_enc, s->d_in,
			   s->w_dec + (size_t)f * s->d_in, 1, 0.0f, s->steer_g + (size_t)t * s->n_feat, 1);
	}
	s->steer_gn = st->n;
	return s->steer_g;
}

/* Each steered feature's activation in rows pos0.. of pre into st->after. */
static void record_after(live_steer *st, const float *pre, int n, int pos0)
{
	const live_sae *s = st->sae;
	for (int i = 0; i < n; i++) {
		int p = pos0 + i;
		if (p < 0 || p >= st->cap_pos)
			continue;
		for (int t = 0; t < st->n; t++)
			st->after[(size_t)p * st->n + t] =
			    sae_one(s, pre + (size_t)i * s->n_feat, st->terms[t].feature);
	}
}

/* A transcoder's steering, its input point: the steered features'
 * activations of these rows into s->tc_z (and the record). */
static void steer_tc_in(live_steer *st, const float *act, int n, int pos0)
{
	live_sae *s = st->sae;
	if (n > s->tc_cap) {
		free(s->tc_z);
		s->tc_z = xmalloc((size_t)n * (size_t)st->n * sizeof(float));
		s->tc_cap = n;
	}
	const float *pre = sae_pre(s, act, n);
	for (int i = 0; i < n; i++)
		for (int t = 0; t < st->n; t++)
			s->tc_z[(size_t)i * st->n + t] = sae_one(s, pre + (size_t)i * s->n_feat, st->terms[t].feature);
	if (st->after)
		record_after(st, pre, n, pos0);
}

void live_steer_out_hook(void *ud, float *act, int n, int width, int pos0)
{
	live_steer *st = ud;
	live_sae *s = st->sae;
	(void)pos0;
	if (!s->transcoder || width != s->d_out || st->n == 0 || n > s->tc_cap)
		return;
	int D = s->d_out;
	for (int i = 0; i < n; i++)
		for (int t = 0; t < st->n; t++) {
			float v = st->terms[t].value;
			if (st->mode == LIVE_CLAMP)
				v -= s->tc_z[(size_t)i * st->n + t];
			const float *d = s->w_dec + (size_t)st->terms[t].feature * D;
			float *r = act + (size_t)i * D;
			for (int j = 0; j < D; j++)
				r[j] += v * d[j];
		}
}

void live_steer_hook(void *ud, float *act, int n, int width, int pos0)
{
	live_steer *st = ud;
	live_sae *s = st->sae;
	if (width != s->d_in || st->n == 0)
		return;
	if (s->transcoder) {
		steer_tc_in(st, act, n, pos0);
		return;
	}
	int D = s->d_in;
	float inv = 1.0f / s->in_scale;
	if (st->mode == LIVE_ADD) {
		for (int i = 0; i < n; i++)
			for (int t = 0; t < st->n; t++) {
				const float *d = s->w_dec + (size_t)st->terms[t].feature * D;
				float v = st->terms[t].value * inv;
				float *r = act + (size_t)i * D;
				for (int j = 0; j < D; j++)
					r[j] += v * d[j];
			}
	} else {
		/* clamp: add (V - a) / c W_dec[f], then read a again, until the
		 * dictionary reads V (the other features move a little each time) */
		if (!s->self_dot) {
			s->self_dot = xmalloc((size_t)s->n_feat * sizeof(float));
			for (int f = 0; f < s->n_feat; f++) {
				double c = 0;
				for (int j = 0; j < D; j++)
					c += (double)s->w_enc[(size_t)f * D + j] * s->w_dec[(size_t)f * D + j];
				if (s->r_mag_exp) /* gated: the magnitude path's encoder row */
					c *= s->r_mag_exp[f];
				s->self_dot[f] = c > 0.1 ? (float)c : 1.0f;
			}
		}
		/* Without a per-row normalisation the encoder is affine: adding
		 * dv W_dec[f] (scaled space) moves the pre-activations by
		 * dv (W_enc . W_dec[f]), so one encode serves every round and the
		 * record after it; otherwise each round encodes again. */
		const float *g = s->row_norm == 0 && !s->r_mag_exp ? steer_gram(s, st) : NULL;
		float *pre = NULL;
		for (int round = 0; round < STEER_ROUNDS; round++) {
			if (!g || round == 0)
				pre = sae_pre(s, act, n);
			float worst = 0;
			for (int i = 0; i < n; i++) {
				float *r = act + (size_t)i * D;
				float *pr = pre + (size_t)i * s->n_feat;
				for (int t = 0; t < st->n; t++) {
					float a = sae_one(s, pr, st->terms[t].feature);
					float dv = st->terms[t].value - a;
					float tol = 1e-4f * (1.0f + fabsf(st->terms[t].value));
					if (fabsf(dv) <= tol)
						continue;
					dv /= s->self_dot[st->terms[t].feature];
					if (fabsf(dv) > worst)
						worst = fabsf(dv);
					const float *d = s->w_dec + (size_t)st->terms[t].feature * D;
					for (int j = 0; j < D; j++)
						r[j] += dv * inv * d[j];
					if (g) {
						const float *gt = g + (size_t)t * s->n_feat;
						for (int f = 0; f < s->n_feat; f++)
							pr[f] += dv * gt[f];
					}
				}
			}
			if (worst == 0)
				break;
		}
		if (st->after && g) {
			record_after(st, pre, n, pos0);
			return;
		}
	}
	if (st->after)
		record_after(st, sae_pre(s, act, n), n, pos0);
}

live_hook live_steer_as_hook(live_steer *st)
{
	live_hook h = {st->sae->hook, live_steer_hook, st, NULL};
	if (st->sae->transcoder) {
		st->sae->tc_out = (live_hook){st->sae->hook_out, live_steer_out_hook, st, NULL};
		h.next = &st->sae->tc_out;
	}
	return h;
}

int live_steer_set_hook(live_steer_set *ss, live_hook *hooks, char *err, size_t errlen)
{
	if (ss->n < 1)
		return fs_seterr(err, errlen, "steer: no dictionary");
	if (ss->n == 1 && ss->st[0].sae->transcoder) {
		/* its own list of two (input and output points) */
		hooks[0] = live_steer_as_hook(&ss->st[0]);
		return 0;
	}
	for (int i = 0; i < ss->n; i++)
		if (ss->st[i].sae->transcoder)
			return fs_seterr(err, errlen, "steer: %s is a transcoder: it is steered alone",
					 ss->st[i].sae->path);
	for (int i = 0; i < ss->n; i++)
		hooks[i] = live_steer_as_hook(&ss->st[i]);
	for (int i = 0; i + 1 < ss->n; i++)
		hooks[i].next = &hooks[i + 1];
	return 0;
}

int live_steer_group(live_sae *const *dicts, const live_steer_term *terms, int n, live_steer_mode mode,
		     live_sae *none, live_steer_term *grouped, live_steer *st)
{
	if (n == 0) {
		st[0] = (live_steer){none, mode, grouped, 0, NULL, 0};
		return 1;
	}
	int nst = 0, k = 0;
	for (int i = 0; i < n; i++) {
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = dicts[j] == dicts[i];
		if (seen)
			continue;
		int from = k;
		for (int j = i; j < n; j++)
			if (dicts[j] == dicts[i])
				grouped[k++] = terms[j];
		st[nst++] = (live_steer){dicts[i], mode, grouped + from, k - from, NULL, 0};
	}
	return nst;
}

/* Progress of the steered run after the plain one's n tokens. */
typedef struct {
	live_progress_fn fn;
	void *ud;
	int before;
} pair_progress;

static void pair_progress_fn(void *ud, int done)
{
	pair_progress *p = ud;
	p->fn(p->ud, p->before + done);
}

int live_steer_pair(live_model *m, const int *ids, int np, int n, const live_hook *hooks, uint64_t seed,
		    float temperature, int *plain, int *n0, int *steered, int *n1, live_progress_fn fn, void *ud)
{
	live_sampler s0, s1;
	live_sampler_init(&s0, seed, temperature);
	live_sampler_init(&s1, seed, temperature);
	pair_progress pp = {fn, ud, n};
	*n0 = live_generate_progress(m, ids, np, n, NULL, &s0, plain, NULL, fn, ud);
	*n1 = *n0 < 0 ? -1
		      : live_generate_progress(m, ids, np, n, hooks, &s1, steered, NULL, fn ? pair_progress_fn : NULL,
					       &pp);
	return *n0 < 0 || *n1 < 0 ? -1 : 0;
}
