/*
 * saelens_sae.c: loading and running SAELens dictionaries (see
 * saelens_sae.h). Both config layouts are read: v6 puts hook_name,
 * prepend_bos and context_size under "metadata" and names the encoder in
 * "architecture"; older flat configs have hook_point (or hook_name),
 * activation_fn_str ("relu", "topk") and activation_fn_kwargs.k.
 */
#include "live/saelens_sae.h"
#include "core/blas.h"
#include "core/tensor.h"
#include "core/topk.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_at(json_t *root, json_t *meta, const char *key)
{
	json_t *v = json_object_get(meta, key);
	if (!json_is_string(v))
		v = json_object_get(root, key);
	return json_string_value(v);
}

static json_t *val_at(json_t *root, json_t *meta, const char *key)
{
	json_t *v = json_object_get(meta, key);
	return v && !json_is_null(v) ? v : json_object_get(root, key);
}

static void copy_clean(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
	fs_msg_clean(dst);
}

int saelens_cfg_parse(const char *name, const char *text, size_t len, saelens_cfg *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->layer = -1;
	c->norm_scale = 1;
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (!root)
		return fs_seterr(err, errlen, "%s:%d: bad JSON: %s", name, je.line, fs_msg_clean(je.text));
	int rc = -1;
	if (!json_is_object(root)) {
		fs_seterr(err, errlen, "%s: not a JSON object", name);
		goto out;
	}
	json_t *meta = json_object_get(root, "metadata");
	if (!json_is_object(meta))
		meta = NULL;
	const char *dims[2] = {"d_in", "d_sae"};
	int *dst[2] = {&c->d_in, &c->d_sae};
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(root, dims[i]);
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 24)) {
			fs_seterr(err, errlen, "%s: %s: missing or not an integer in 1..%d", name, dims[i], 1 << 24);
			goto out;
		}
		*dst[i] = (int)json_integer_value(v);
	}
	/* architecture */
	const char *arch = json_string_value(json_object_get(root, "architecture"));
	const char *afn = json_string_value(json_object_get(root, "activation_fn_str"));
	if (!afn)
		afn = json_string_value(json_object_get(root, "activation_fn"));
	if (!arch)
		arch = afn && !strcmp(afn, "topk") ? "topk" : "standard";
	if (!strcmp(arch, "standard") || !strcmp(arch, "relu"))
		c->arch = SAEL_STANDARD;
	else if (!strcmp(arch, "topk"))
		c->arch = SAEL_TOPK;
	else if (!strcmp(arch, "jumprelu"))
		c->arch = SAEL_JUMPRELU;
	else {
		char a[64];
		copy_clean(a, sizeof a, arch);
		fs_seterr(err, errlen, "%s: architecture: '%s' is not supported (supported: standard, topk, jumprelu)",
			  name, a);
		goto out;
	}
	if (c->arch == SAEL_STANDARD && afn && strcmp(afn, "relu") != 0 && strcmp(afn, "topk") != 0) {
		char a[64];
		copy_clean(a, sizeof a, afn);
		fs_seterr(err, errlen, "%s: activation_fn_str: '%s' is not supported (relu, topk)", name, a);
		goto out;
	}
	if (c->arch == SAEL_TOPK) {
		json_t *k = json_object_get(root, "k");
		if (!k)
			k = json_object_get(json_object_get(root, "activation_fn_kwargs"), "k");
		if (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > c->d_sae) {
			fs_seterr(err, errlen, "%s: k: missing or not an integer in 1..d_sae (%d) for a topk dictionary",
				  name, c->d_sae);
			goto out;
		}
		c->k = (int)json_integer_value(k);
	}
	json_t *ab = json_object_get(root, "apply_b_dec_to_input");
	if (ab && !json_is_boolean(ab)) {
		fs_seterr(err, errlen, "%s: apply_b_dec_to_input: not true or false", name);
		goto out;
	}
	c->apply_b_dec = ab ? json_is_true(ab) : 1;
	json_t *na = json_object_get(root, "normalize_activations");
	const char *ns = json_is_null(na) || !na ? "none" : json_string_value(na);
	if (!ns) {
		fs_seterr(err, errlen, "%s: normalize_activations: not a string", name);
		goto out;
	}
	if (!strcmp(ns, "none"))
		c->norm = SAEL_NORM_NONE;
	else if (!strcmp(ns, "expected_average_only_in")) {
		c->norm = SAEL_NORM_EXPECTED_AVG;
		json_t *f = json_object_get(root, "norm_scaling_factor");
		if (!json_is_number(f) || !(json_number_value(f) > 0) || !isfinite(json_number_value(f))) {
			fs_seterr(err, errlen, "%s: norm_scaling_factor: expected_average_only_in needs a positive number "
				  "(SAELens's norm_scaling_factor)", name);
			goto out;
		}
		c->norm_scale = (float)json_number_value(f);
	} else if (!strcmp(ns, "constant_norm_rescale"))
		c->norm = SAEL_NORM_CONSTANT;
	else if (!strcmp(ns, "layer_norm"))
		c->norm = SAEL_NORM_LAYER;
	else {
		char a[64];
		copy_clean(a, sizeof a, ns);
		fs_seterr(err, errlen, "%s: normalize_activations: '%s' is not supported (none, "
			  "expected_average_only_in, constant_norm_rescale, layer_norm)", name, a);
		goto out;
	}
	const char *hook = str_at(root, meta, "hook_name");
	if (!hook)
		hook = json_string_value(json_object_get(root, "hook_point"));
	if (!hook) {
		fs_seterr(err, errlen, "%s: metadata.hook_name: missing (and no hook_point)", name);
		goto out;
	}
	copy_clean(c->hook, sizeof c->hook, hook);
	json_t *hi = val_at(root, meta, "hook_head_index");
	if (!hi || json_is_null(hi))
		hi = json_object_get(root, "hook_point_head_index");
	if (hi && !json_is_null(hi)) {
		fs_seterr(err, errlen, "%s: hook_head_index: per-head dictionaries are not supported", name);
		goto out;
	}
	if (!strncmp(c->hook, "blocks.", 7) && c->hook[7] >= '0' && c->hook[7] <= '9')
		c->layer = (int)strtol(c->hook + 7, NULL, 10);
	copy_clean(c->model, sizeof c->model, str_at(root, meta, "model_name"));
	copy_clean(c->neuronpedia, sizeof c->neuronpedia, str_at(root, meta, "neuronpedia_id"));
	json_t *pb = val_at(root, meta, "prepend_bos");
	c->prepend_bos = pb && json_is_boolean(pb) ? json_is_true(pb) : 1;
	json_t *cs = val_at(root, meta, "context_size");
	c->context_size = json_is_integer(cs) && json_integer_value(cs) > 0 && json_integer_value(cs) < (1 << 24)
				  ? (int)json_integer_value(cs)
				  : 0;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static void shape_str(const int64_t *s, int nd, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, "[");
	for (int i = 0; i < nd && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, i ? ", %lld" : "%lld", (long long)s[i]);
	if (at < len)
		snprintf(buf + at, len - at, "]");
}

static float *get(fs_st_file *f, const char *name, int64_t d0, int64_t d1, int optional, char *err, size_t errlen)
{
	int64_t want[2] = {d0, d1};
	int wn = d1 < 0 ? 1 : 2;
	char ws[64], gs[96];
	shape_str(want, wn, ws, sizeof ws);
	int found = 0;
	for (int i = 0, n = tensor_st_count(f); i < n; i++)
		if (!strcmp(tensor_st_name(f, i), name))
			found = 1;
	if (!found) {
		if (!optional)
			fs_seterr(err, errlen, "%s: %s: missing (expected %s)", tensor_st_path(f), name, ws);
		return NULL;
	}
	fs_st_info in;
	if (tensor_st_find(f, name, &in, err, errlen) != 0)
		return NULL;
	if (in.dtype != TENSOR_F32 && in.dtype != TENSOR_F16 && in.dtype != TENSOR_BF16 && in.dtype != TENSOR_F64) {
		fs_seterr(err, errlen, "%s: %s: dtype %s, expected F32, F16 or BF16", tensor_st_path(f), name,
			  tensor_dtype_name(in.dtype));
		return NULL;
	}
	if (in.ndim != wn || in.shape[0] != d0 || (wn == 2 && in.shape[1] != d1)) {
		shape_str(in.shape, in.ndim, gs, sizeof gs);
		fs_seterr(err, errlen, "%s: %s: shape %s, expected %s", tensor_st_path(f), name, gs, ws);
		return NULL;
	}
	float *out = xmalloc(sizeof(float) * (in.count ? in.count : 1));
	for (size_t i = 0; i < in.count; i++)
		out[i] = tensor_get_f32(in.dtype, in.data, i);
	if (tensor_check_weights(tensor_st_path(f), name, out, in.count, err, errlen) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

void saelens_free(saelens_sae *s)
{
	free(s->dir);
	free(s->weights);
	free(s->W_enc);
	free(s->b_enc);
	free(s->W_dec);
	free(s->b_dec);
	free(s->threshold);
	memset(s, 0, sizeof *s);
}

int saelens_load(const char *dir, saelens_sae *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->dir = xstrdup(dir);
	s->weights = xasprintf("%s/sae_weights.safetensors", dir);
	char *cpath = xasprintf("%s/cfg.json", dir);
	fs_st_file *f = NULL;
	int rc = -1;
	size_t clen;
	char *cfg = fs_read_file(cpath, 16u << 20, &clen, err, errlen);
	if (!cfg)
		goto out;
	int pr = saelens_cfg_parse(cpath, cfg, clen, &s->c, err, errlen);
	free(cfg);
	if (pr != 0)
		goto out;
	f = tensor_st_open(s->weights, err, errlen);
	if (!f)
		goto out;
	int64_t di = s->c.d_in, ds = s->c.d_sae;
	if (!(s->W_enc = get(f, "W_enc", di, ds, 0, err, errlen)) || !(s->b_enc = get(f, "b_enc", ds, -1, 0, err, errlen)) ||
	    !(s->W_dec = get(f, "W_dec", ds, di, 0, err, errlen)) || !(s->b_dec = get(f, "b_dec", di, -1, 0, err, errlen)))
		goto out;
	if (s->c.arch == SAEL_JUMPRELU && !(s->threshold = get(f, "threshold", ds, -1, 0, err, errlen)))
		goto out;
	rc = 0;
out:
	tensor_st_close(f);
	free(cpath);
	if (rc != 0)
		saelens_free(s);
	return rc;
}

void saelens_encode(const saelens_sae *s, const float *x, int rows, float *acts, float *scratch)
{
	const saelens_cfg *c = &s->c;
	int di = c->d_in, ds = c->d_sae;
	for (int r = 0; r < rows; r++) {
		const float *xr = x + (size_t)r * di;
		float *y = scratch + (size_t)r * di;
		memcpy(y, xr, sizeof(float) * (size_t)di);
		if (c->norm == SAEL_NORM_EXPECTED_AVG) {
			for (int i = 0; i < di; i++)
				y[i] *= c->norm_scale;
		} else if (c->norm == SAEL_NORM_CONSTANT) {
			double n2 = 0;
			for (int i = 0; i < di; i++)
				n2 += (double)y[i] * y[i];
			float f = (float)(sqrt((double)di) / (sqrt(n2) > 0 ? sqrt(n2) : 1));
			for (int i = 0; i < di; i++)
				y[i] *= f;
		} else if (c->norm == SAEL_NORM_LAYER) {
			double m = 0, v = 0;
			for (int i = 0; i < di; i++)
				m += y[i];
			m /= di;
			for (int i = 0; i < di; i++)
				v += (y[i] - m) * (y[i] - m);
			double sd = di > 1 ? sqrt(v / (di - 1)) : 0; /* torch.std: unbiased */
			for (int i = 0; i < di; i++)
				y[i] = (float)((y[i] - m) / (sd + 1e-5));
		}
		if (c->apply_b_dec)
			for (int i = 0; i < di; i++)
				y[i] -= s->b_dec[i];
		float *a = acts + (size_t)r * ds;
		memcpy(a, s->b_enc, sizeof(float) * (size_t)ds);
	}
	blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, ds, di, 1.0f, scratch, di, s->W_enc, ds, 1.0f, acts,
		 ds);
	for (int r = 0; r < rows; r++) {
		float *a = acts + (size_t)r * ds;
		if (c->arch == SAEL_JUMPRELU) {
			for (int j = 0; j < ds; j++)
				a[j] = a[j] > s->threshold[j] && a[j] > 0 ? a[j] : 0;
		} else {
			for (int j = 0; j < ds; j++)
				if (!(a[j] > 0))
					a[j] = 0;
		}
		if (c->arch == SAEL_TOPK && c->k < ds) {
			/* keep the k largest: the k-th largest of the positives
			 * (core/topk.h, on a copy) */
			int npos = 0;
			for (int j = 0; j < ds; j++)
				npos += a[j] > 0;
			if (npos <= c->k)
				continue;
			float *tmp = scratch + (size_t)r * di; /* reuse: d_in floats may be < npos */
			float *vals = npos <= di ? tmp : xmalloc(sizeof(float) * (size_t)npos);
			int n = 0;
			for (int j = 0; j < ds; j++)
				if (a[j] > 0)
					vals[n++] = a[j];
			float kth = topk_kth(vals, n, c->k);
			if (vals != tmp)
				free(vals);
			/* strictly above the k-th, then ties in index order */
			int above = 0;
			for (int j = 0; j < ds; j++)
				above += a[j] > kth;
			int ties = c->k - above;
			for (int j = 0; j < ds; j++) {
				if (a[j] > kth)
					continue;
				if (a[j] == kth && ties > 0) {
					ties--;
					continue;
				}
				a[j] = 0;
			}
		}
	}
}
