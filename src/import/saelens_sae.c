/*
 * saelens_sae.c: the one reader of dictionary folders (SAELens, Gemma
 * Scope 1 and 2, Llama Scope; see saelens_sae.h), for `build`
 * (read_saelens.c) and the live runtime (live/sae_live.c), and the encoder
 * and decoder in SAELens' own terms (the test drivers run them beside the
 * runtime's). A hook name's block is read by nn/hookpoint.h's parser.
 * SAELens' config layouts: v6 puts hook_name,
 * prepend_bos and context_size under "metadata" and names the encoder in
 * "architecture"; older flat configs have hook_point (or hook_name),
 * activation_fn_str ("relu", "topk") and activation_fn_kwargs.k. The
 * other layouts are turned into the same description: a TransformerLens
 * hook name, SAELens' tensors and shapes, Llama Scope's dataset-wise norm
 * folded into the weights.
 */
#include "import/saelens_sae.h"
#include "nn/hookpoint.h"
#include "nn/blas.h"
#include "nn/npz.h"
#include "nn/tensor.h"
#include "core/topk.h"
#include "core/json.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* What every layout's configuration starts from: no layer yet, no input
 * scale, and a BOS before the text (the big suites' and SAELens' default;
 * a SAELens cfg.json says otherwise when it does). */
static void cfg_init(saelens_cfg *c, int format)
{
	memset(c, 0, sizeof *c);
	c->format = format;
	c->layer = -1;
	c->norm_scale = 1;
	c->prepend_bos = 1;
}

/* lenient (build: only the decoder is read): what the encoder needs but
 * the decoder does not (an architecture or normalisation featscope does
 * not run, topk's k, the hook) is not an error. */
static int cfg_parse(const char *name, const char *text, size_t len, saelens_cfg *c, int lenient, char *err,
		     size_t errlen)
{
	cfg_init(c, SAEL_FMT_SAELENS);
	json_t *root = jr_object(name, text, len, 0, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
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
	else if (!strcmp(arch, "gated"))
		c->arch = SAEL_GATED;
	else if (!strcmp(arch, "transcoder"))
		c->arch = SAEL_STANDARD, c->transcoder = SAEL_TC_PLAIN;
	else if (!strcmp(arch, "skip_transcoder"))
		c->arch = SAEL_STANDARD, c->transcoder = SAEL_TC_SKIP;
	else if (!strcmp(arch, "jumprelu_transcoder"))
		c->arch = SAEL_JUMPRELU, c->transcoder = SAEL_TC_PLAIN;
	else if (lenient)
		c->arch = SAEL_STANDARD;
	else {
		char a[64];
		copy_clean(a, sizeof a, arch);
		fs_seterr(err, errlen, "%s: architecture: '%s' is not supported (supported: standard, topk, jumprelu, "
			  "gated, transcoder, skip_transcoder, jumprelu_transcoder)", name, a);
		goto out;
	}
	c->d_out = c->d_in;
	if (c->transcoder) {
		json_t *v = json_object_get(root, "d_out");
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 24)) {
			fs_seterr(err, errlen, "%s: d_out: missing or not an integer in 1..%d (a transcoder's output width)",
				  name, 1 << 24);
			goto out;
		}
		c->d_out = (int)json_integer_value(v);
		const char *ho = str_at(root, meta, "hook_name_out");
		if (!ho) {
			fs_seterr(err, errlen, "%s: hook_name_out: missing (a transcoder's output hook)", name);
			goto out;
		}
		copy_clean(c->hook_out, sizeof c->hook_out, ho);
	}
	if (!lenient && c->arch == SAEL_STANDARD && afn && strcmp(afn, "relu") != 0 && strcmp(afn, "topk") != 0) {
		char a[64];
		copy_clean(a, sizeof a, afn);
		fs_seterr(err, errlen, "%s: activation_fn_str: '%s' is not supported (relu, topk)", name, a);
		goto out;
	}
	if (c->arch == SAEL_TOPK) {
		json_t *k = json_object_get(root, "k");
		if (!k)
			k = json_object_get(json_object_get(root, "activation_fn_kwargs"), "k");
		if (lenient && !(json_is_integer(k) && json_integer_value(k) >= 1 && json_integer_value(k) <= c->d_sae))
			k = NULL;
		else if (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > c->d_sae) {
			fs_seterr(err, errlen, "%s: k: missing or not an integer in 1..d_sae (%d) for a topk dictionary",
				  name, c->d_sae);
			goto out;
		}
		c->k = k ? (int)json_integer_value(k) : c->d_sae;
	}
	json_t *ab = json_object_get(root, "apply_b_dec_to_input");
	if (ab && !json_is_boolean(ab) && !lenient) {
		fs_seterr(err, errlen, "%s: apply_b_dec_to_input: not true or false", name);
		goto out;
	}
	/* a transcoder's b_dec is of its output: never subtracted (SAELens) */
	c->apply_b_dec = c->transcoder ? 0 : ab ? json_is_true(ab) : 1;
	json_t *na = json_object_get(root, "normalize_activations");
	const char *ns = json_is_null(na) || !na ? "none" : json_string_value(na);
	if (!ns && lenient)
		ns = "none";
	if (!ns) {
		fs_seterr(err, errlen, "%s: normalize_activations: not a string", name);
		goto out;
	}
	if (!strcmp(ns, "none"))
		c->norm = SAEL_NORM_NONE;
	else if (!strcmp(ns, "expected_average_only_in")) {
		c->norm = SAEL_NORM_EXPECTED_AVG;
		json_t *f = json_object_get(root, "norm_scaling_factor");
		if (lenient && !(json_is_number(f) && json_number_value(f) > 0 && isfinite(json_number_value(f))))
			f = NULL;
		else if (!json_is_number(f) || !(json_number_value(f) > 0) || !isfinite(json_number_value(f))) {
			fs_seterr(err, errlen, "%s: norm_scaling_factor: expected_average_only_in needs a positive number "
				  "(SAELens's norm_scaling_factor)", name);
			goto out;
		}
		c->norm_scale = f ? (float)json_number_value(f) : 1.0f;
	} else if (!strcmp(ns, "constant_norm_rescale"))
		c->norm = SAEL_NORM_CONSTANT;
	else if (!strcmp(ns, "layer_norm"))
		c->norm = SAEL_NORM_LAYER;
	else if (lenient)
		c->norm = SAEL_NORM_NONE;
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
	if (!hook && lenient)
		hook = "";
	if (!hook) {
		fs_seterr(err, errlen, "%s: metadata.hook_name: missing (and no hook_point)", name);
		goto out;
	}
	copy_clean(c->hook, sizeof c->hook, hook);
	json_t *hi = val_at(root, meta, "hook_head_index");
	if (!hi || json_is_null(hi))
		hi = json_object_get(root, "hook_point_head_index");
	if (hi && !json_is_null(hi) && !lenient) {
		fs_seterr(err, errlen, "%s: hook_head_index: per-head dictionaries are not supported", name);
		goto out;
	}
	c->layer = live_tl_layer(c->hook);
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

int saelens_cfg_parse(const char *name, const char *text, size_t len, saelens_cfg *c, char *err, size_t errlen)
{
	return cfg_parse(name, text, len, c, 0, err, errlen);
}

void saelens_free(saelens_sae *s)
{
	free(s->dir);
	free(s->weights);
	free(s->config);
	free(s->W_enc);
	free(s->b_enc);
	free(s->W_dec);
	free(s->b_dec);
	free(s->threshold);
	free(s->b_mag);
	free(s->r_mag);
	free(s->W_skip);
	memset(s, 0, sizeof *s);
}

/* Where tensors come from: a safetensors file or an .npz archive. */
typedef struct {
	fs_st_file *st;             /* safetensors, or NULL */
	fs_npz *npz;                /* .npz, or NULL */
	const char *path;           /* for messages */
} wsrc;

static int src_has(const wsrc *w, const char *name)
{
	if (w->npz)
		return npz_has(w->npz, name);
	for (int i = 0, n = tensor_st_count(w->st); i < n; i++)
		if (!strcmp(tensor_st_name(w->st, i), name))
			return 1;
	return 0;
}

/* The shape of a tensor without converting it (safetensors), or -1. */
static int src_shape(const wsrc *w, const char *name, int64_t *shape, int *ndim, char *err, size_t errlen)
{
	if (!src_has(w, name))
		return fs_seterr(err, errlen, "%s: %s: missing", w->path, name);
	if (w->st) {
		fs_st_info in;
		if (tensor_st_find(w->st, name, &in, err, errlen) != 0)
			return -1;
		*ndim = in.ndim;
		memcpy(shape, in.shape, sizeof in.shape);
		return 0;
	}
	return npz_shape(w->npz, name, shape, ndim, err, errlen);
}

/* Tensor NAME as floats, of shape [d0] (d1 < 0) or [d0, d1]; transposed
 * 1: [d1, d0] is accepted too, 2: the file holds it as [d1, d0] (an
 * nn.Linear weight); either is turned into [d0, d1]. NULL
 * (optional: and no message) when missing; NULL with a message when its
 * dtype, shape or values are wrong. */
static float *get_t(const wsrc *w, const char *name, int64_t d0, int64_t d1, int optional, int transposed, char *err,
		    size_t errlen)
{
	int64_t want[2] = {d0, d1};
	if (transposed == 2)
		want[0] = d1, want[1] = d0;
	int wn = d1 < 0 ? 1 : 2;
	char ws[64], gs[96];
	tensor_shape_str(want, wn, ws, sizeof ws);
	if (!src_has(w, name)) {
		if (!optional)
			fs_seterr(err, errlen, "%s: %s: missing (expected %s)", w->path, name, ws);
		return NULL;
	}
	int ndim;
	int64_t shape[4];
	size_t count;
	float *out = NULL;
	fs_st_info in;
	fs_tensor t = {0};
	if (w->st) {
		if (tensor_st_find(w->st, name, &in, err, errlen) != 0)
			return NULL;
		if (in.dtype != TENSOR_F32 && in.dtype != TENSOR_F16 && in.dtype != TENSOR_BF16 && in.dtype != TENSOR_F64) {
			fs_seterr(err, errlen, "%s: %s: dtype %s, expected F32, F16 or BF16", w->path, name,
				  tensor_dtype_name(in.dtype));
			return NULL;
		}
		ndim = in.ndim;
		memcpy(shape, in.shape, sizeof shape);
		count = in.count;
	} else {
		if (npz_read(w->npz, name, &t, err, errlen) != 0)
			return NULL;
		ndim = t.ndim;
		memcpy(shape, t.shape, sizeof shape);
		count = 1;
		for (int i = 0; i < ndim; i++)
			count *= (size_t)shape[i];
	}
	int flip = transposed == 2;
	if (!(ndim == wn && shape[0] == want[0] && (wn == 1 || shape[1] == want[1]))) {
		if (transposed == 1 && wn == 2 && ndim == 2 && shape[0] == d1 && shape[1] == d0)
			flip = 1;
		else {
			tensor_shape_str(shape, ndim, gs, sizeof gs);
			fs_seterr(err, errlen, "%s: %s: shape %s, expected %s", w->path, name, gs, ws);
			tensor_free(&t);
			return NULL;
		}
	}
	if (w->st) {
		out = xmalloc(sizeof(float) * (count ? count : 1));
		for (size_t i = 0; i < count; i++)
			out[i] = tensor_get_f32(in.dtype, in.data, i);
	} else {
		out = t.data;
		t.data = NULL;
		tensor_free(&t);
	}
	if (tensor_check_weights(w->path, name, out, count, err, errlen) != 0) {
		free(out);
		return NULL;
	}
	if (flip) {
		float *o = xmalloc(sizeof(float) * (count ? count : 1));
		for (int64_t i = 0; i < d1; i++)
			for (int64_t j = 0; j < d0; j++)
				o[j * d1 + i] = out[i * d0 + j];
		free(out);
		out = o;
	}
	return out;
}

static float *get(const wsrc *w, const char *name, int64_t d0, int64_t d1, int optional, char *err, size_t errlen)
{
	return get_t(w, name, d0, d1, optional, 0, err, errlen);
}

/* The whole of a small configuration file (at most 16 MiB), NUL-ended;
 * NULL with a message. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	return fs_read_file(path, 16u << 20, len, err, errlen);
}

static int exists_in(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat sb;
	int r = stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
	free(p);
	return r;
}

/* Which layout dir holds: SAEL_FMT_*, or -1. */
static int folder_format(const char *dir)
{
	if (exists_in(dir, "cfg.json"))
		return SAEL_FMT_SAELENS;
	if (exists_in(dir, "hyperparams.json"))
		return SAEL_FMT_LLAMASCOPE;
	if (exists_in(dir, "config.json") && exists_in(dir, "params.safetensors"))
		return SAEL_FMT_GEMMASCOPE2;
	if (exists_in(dir, "params.npz"))
		return SAEL_FMT_GEMMASCOPE;
	return -1;
}

int saelens_is_dir(const char *dir)
{
	return folder_format(dir) >= 0;
}

/* A positive number field of o (name for messages): 0, or -1. */
static int pos_num(json_t *o, const char *key, const char *name, const char *field, double *v, char *err, size_t errlen)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_number(x) || !isfinite(json_number_value(x)) || !(json_number_value(x) > 0) ||
	    json_number_value(x) > 1e9)
		return fs_seterr(err, errlen, "%s: %s: missing or not a positive number", name, field);
	*v = json_number_value(x);
	return 0;
}

/* Llama Scope's hyperparams.json: the configuration, and the norms of the
 * dataset-wise normalisation in *nin, *nout (0: none). */
static int llamascope_cfg(const char *name, const char *text, size_t len, saelens_cfg *c, double *nin, double *nout,
			  double *thr, int *topk, char *err, size_t errlen)
{
	cfg_init(c, SAEL_FMT_LLAMASCOPE);
	*nin = *nout = 0;
	*thr = 0;
	*topk = 0;
	json_t *root = jr_object(name, text, len, 0, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	const char *dims[2] = {"d_model", "d_sae"};
	int *dst[2] = {&c->d_in, &c->d_sae};
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(root, dims[i]);
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 24)) {
			fs_seterr(err, errlen, "%s: %s: missing or not an integer in 1..%d", name, dims[i], 1 << 24);
			goto out;
		}
		*dst[i] = (int)json_integer_value(v);
	}
	c->d_out = c->d_in;
	const char *hin = json_string_value(json_object_get(root, "hook_point_in"));
	const char *hout = json_string_value(json_object_get(root, "hook_point_out"));
	if (!hin) {
		fs_seterr(err, errlen, "%s: hook_point_in: missing or not a string", name);
		goto out;
	}
	copy_clean(c->hook, sizeof c->hook, hin);
	if (hout && strcmp(hout, hin) != 0) {
		c->transcoder = SAEL_TC_PLAIN;
		copy_clean(c->hook_out, sizeof c->hook_out, hout);
	}
	const char *act = json_string_value(json_object_get(root, "act_fn"));
	if (!act || !strcmp(act, "jumprelu")) {
		c->arch = SAEL_JUMPRELU;
		json_t *t = json_object_get(root, "jump_relu_threshold");
		if (t && (!json_is_number(t) || !isfinite(json_number_value(t)) || json_number_value(t) < 0 ||
			  json_number_value(t) > 1e6)) {
			fs_seterr(err, errlen, "%s: jump_relu_threshold: not a number in 0..1e6", name);
			goto out;
		}
		*thr = t ? json_number_value(t) : 0;
	} else if (!strcmp(act, "topk")) {
		c->arch = SAEL_TOPK;
		json_t *k = json_object_get(root, "top_k");
		if (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > c->d_sae) {
			fs_seterr(err, errlen, "%s: top_k: missing or not an integer in 1..d_sae (%d)", name, c->d_sae);
			goto out;
		}
		c->k = *topk = (int)json_integer_value(k);
	} else if (!strcmp(act, "relu"))
		c->arch = SAEL_STANDARD;
	else {
		char a[64];
		copy_clean(a, sizeof a, act);
		fs_seterr(err, errlen, "%s: act_fn: '%s' is not supported (jumprelu, topk, relu)", name, a);
		goto out;
	}
	const char *norm = json_string_value(json_object_get(root, "norm_activation"));
	if (norm && !strcmp(norm, "dataset-wise")) {
		json_t *n = json_object_get(root, "dataset_average_activation_norm");
		if (pos_num(n, "in", name, "dataset_average_activation_norm.in", nin, err, errlen) != 0 ||
		    pos_num(n, "out", name, "dataset_average_activation_norm.out", nout, err, errlen) != 0)
			goto out;
	} else if (norm && strcmp(norm, "inference") != 0 && strcmp(norm, "none") != 0) {
		char a[64];
		copy_clean(a, sizeof a, norm);
		fs_seterr(err, errlen, "%s: norm_activation: '%s' is not supported (dataset-wise, inference)", name, a);
		goto out;
	}
	json_t *ab = json_object_get(root, "apply_decoder_bias_to_pre_encoder");
	if (ab && !json_is_boolean(ab)) {
		fs_seterr(err, errlen, "%s: apply_decoder_bias_to_pre_encoder: not true or false", name);
		goto out;
	}
	c->apply_b_dec = ab && json_is_true(ab);
	if (c->apply_b_dec && (c->transcoder || *nin != *nout)) {
		fs_seterr(err, errlen, "%s: apply_decoder_bias_to_pre_encoder: true is supported only for a dictionary "
			  "whose input and output are one point with one norm", name);
		goto out;
	}
	c->layer = live_tl_layer(c->hook);
	copy_clean(c->model, sizeof c->model, json_string_value(json_object_get(root, "model_name")));
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* A Hugging Face module path of a decoder layer ("model.layers.L.output")
 * as a TransformerLens hook name into out: 0, or -1. */
static int hf_hook(const char *hf, char *out, size_t outlen)
{
	static const struct {
		const char *suffix, *tl;
	} map[] = {
		{"output", "hook_resid_post"},
		{"input", "hook_resid_pre"},
		{"post_feedforward_layernorm.output", "hook_mlp_out"},
		{"pre_feedforward_layernorm.output", "hook_mlp_in"},
		{"post_attention_layernorm.output", "hook_attn_out"},
	};
	const char *p = hf;
	if (!strncmp(p, "model.language_model.", 21))
		p += 21;
	else if (!strncmp(p, "model.", 6))
		p += 6;
	if (strncmp(p, "layers.", 7) != 0 || !(p[7] >= '0' && p[7] <= '9'))
		return -1;
	char *end;
	long l = strtol(p + 7, &end, 10);
	if (*end != '.' || l > 4096)
		return -1;
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!strcmp(end + 1, map[i].suffix)) {
			snprintf(out, outlen, "blocks.%ld.%s", l, map[i].tl);
			return 0;
		}
	return -1;
}

/* Gemma Scope 2's config.json (the widths come from the tensors). */
static int gemmascope2_cfg(const char *name, const char *text, size_t len, saelens_cfg *c, char *err, size_t errlen)
{
	cfg_init(c, SAEL_FMT_GEMMASCOPE2);
	c->arch = SAEL_JUMPRELU;
	json_t *root = jr_object(name, text, len, 0, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	char a[96];
	json_t *w = json_object_get(root, "width");
	if (!json_is_integer(w) || json_integer_value(w) < 1 || json_integer_value(w) > (1 << 24)) {
		fs_seterr(err, errlen, "%s: width: missing or not an integer in 1..%d", name, 1 << 24);
		goto out;
	}
	c->d_sae = (int)json_integer_value(w);
	const char *arch = json_string_value(json_object_get(root, "architecture"));
	if (arch && strcmp(arch, "jump_relu") != 0 && strcmp(arch, "jumprelu") != 0) {
		copy_clean(a, sizeof a, arch);
		fs_seterr(err, errlen, "%s: architecture: '%s' is not supported (jump_relu)", name, a);
		goto out;
	}
	const char *type = json_string_value(json_object_get(root, "type"));
	if (type && strcmp(type, "sae") != 0 && strcmp(type, "transcoder") != 0) {
		copy_clean(a, sizeof a, type);
		fs_seterr(err, errlen, "%s: type: '%s' is not supported (sae, transcoder)", name, a);
		goto out;
	}
	json_t *affine = json_object_get(root, "affine_connection");
	if (affine && !json_is_boolean(affine)) {
		fs_seterr(err, errlen, "%s: affine_connection: not true or false", name);
		goto out;
	}
	const char *hin = json_string_value(json_object_get(root, "hf_hook_point_in"));
	const char *hout = json_string_value(json_object_get(root, "hf_hook_point_out"));
	const char *bad = !hin ? "hf_hook_point_in" : NULL;
	if (!bad && hf_hook(hin, c->hook, sizeof c->hook) != 0)
		bad = "hf_hook_point_in";
	if (!bad && hout && strcmp(hout, hin) != 0) {
		c->transcoder = SAEL_TC_PLAIN;
		if (hf_hook(hout, c->hook_out, sizeof c->hook_out) != 0)
			bad = "hf_hook_point_out";
	}
	if (bad) {
		copy_clean(a, sizeof a, !hin ? "" : !strcmp(bad, "hf_hook_point_in") ? hin : hout);
		fs_seterr(err, errlen, "%s: %s: '%s' is not a point featscope runs (model.layers.L.output, .input, "
			  ".pre_feedforward_layernorm.output, .post_feedforward_layernorm.output, "
			  ".post_attention_layernorm.output)", name, bad, a);
		goto out;
	}
	if (type && !strcmp(type, "transcoder") && !c->transcoder) {
		fs_seterr(err, errlen, "%s: hf_hook_point_out: a transcoder needs an output point", name);
		goto out;
	}
	/* an affine connection is a skip transcoder's W_skip (SAELens reads
	 * params.safetensors' affine_skip_connection as W_skip [d_out, d_in]:
	 * out = z W_dec + b_dec + x W_skip^T) */
	if (json_is_true(affine)) {
		if (!c->transcoder) {
			fs_seterr(err, errlen, "%s: affine_connection: true, but the dictionary reads and writes one point "
				  "(only a transcoder has an affine skip)", name);
			goto out;
		}
		c->transcoder = SAEL_TC_SKIP;
	}
	c->layer = live_tl_layer(c->hook);
	copy_clean(c->model, sizeof c->model, json_string_value(json_object_get(root, "model_name")));
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* Gemma Scope 1: the layer from a "layer_L" part of the folder's path, the
 * site from a "gemma-scope-..." part that ends in -res, -mlp or -att (the
 * release, as the Hugging Face repository names it). */
static int gemmascope_cfg(const char *dir, const char *npz, saelens_cfg *c, char *err, size_t errlen)
{
	cfg_init(c, SAEL_FMT_GEMMASCOPE);
	c->arch = SAEL_JUMPRELU;
	char *rp = realpath(dir, NULL);
	const char *paths[2] = {dir, rp};
	int layer = -1;
	const char *site = NULL;
	for (int k = 0; k < 2 && (layer < 0 || !site); k++) {
		const char *p = paths[k];
		layer = -1;
		site = NULL;
		while (p && *p) {
			const char *e = strchr(p, '/');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			/* the deepest part of each kind wins */
			if (n > 6 && !strncmp(p, "layer_", 6) && p[6] >= '0' && p[6] <= '9') {
				char *end;
				long l = strtol(p + 6, &end, 10);
				if ((size_t)(end - p) == n && l <= 4096)
					layer = (int)l;
			}
			const char *g = NULL;
			for (size_t i = 0; i + 11 <= n; i++)
				if (!strncmp(p + i, "gemma-scope", 11))
					g = p + i;
			if (g) {
				site = NULL;
				/* the site is the part after the model's: -res, -mlp, -att,
				 * -transcoders (a -canonical suffix is SAELens' release name) */
				static const char *const sites[] = {"-res", "-mlp", "-att", "-transcoders"};
				for (size_t s = 0; s < 4 && !site; s++)
					for (const char *q = g; q + strlen(sites[s]) <= p + n; q++)
						if (!strncmp(q, sites[s], strlen(sites[s])) &&
						    (q + strlen(sites[s]) == p + n || q[strlen(sites[s])] == '-' ||
						     q[strlen(sites[s])] == '/')) {
							site = sites[s];
							break;
						}
			}
			p = e ? e + 1 : NULL;
		}
	}
	free(rp);
	if (layer < 0 || !site || strcmp(site, "-res") != 0) {
		if (layer >= 0 && site && !strcmp(site, "-att"))
			return fs_seterr(err, errlen, "%s: hook: an attention (-att) dictionary reads attn.hook_z "
					 "(the heads' outputs before the projection), not a point featscope runs", npz);
		if (layer >= 0 && site && !strcmp(site, "-mlp")) {
			snprintf(c->hook, sizeof c->hook, "blocks.%d.hook_mlp_out", layer);
			c->layer = layer;
			return 0;
		}
		if (layer >= 0 && site) {
			/* -transcoders: read the MLP's input, write its output
			 * (SAELens' Gemma 2 transcoder loader: jumprelu_transcoder,
			 * ln2.hook_normalized to hook_mlp_out, no b_dec at the input) */
			snprintf(c->hook, sizeof c->hook, "blocks.%d.ln2.hook_normalized", layer);
			snprintf(c->hook_out, sizeof c->hook_out, "blocks.%d.hook_mlp_out", layer);
			c->transcoder = SAEL_TC_PLAIN;
			c->layer = layer;
			return 0;
		}
		return fs_seterr(err, errlen, "%s: hook: params.npz does not say where it reads: keep it in its "
				 "release's folder layout, e.g. gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82 "
				 "(a folder named gemma-scope-...-res, -mlp or -transcoders, and layer_L)", npz);
	}
	snprintf(c->hook, sizeof c->hook, "blocks.%d.hook_resid_post", layer);
	c->layer = layer;
	return 0;
}

int saelens_load_what(const char *dir, int what, saelens_sae *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->dir = xstrdup(dir);
	int fmt = folder_format(dir);
	wsrc w = {0};
	char *text = NULL;
	size_t len = 0;
	int rc = -1;
	double nin = 0, nout = 0, thr = 0;
	int topk = 0;
	saelens_cfg *c = &s->c;
	switch (fmt) {
	case SAEL_FMT_SAELENS:
		s->config = xasprintf("%s/cfg.json", dir);
		s->weights = xasprintf("%s/sae_weights.safetensors", dir);
		break;
	case SAEL_FMT_LLAMASCOPE:
		s->config = xasprintf("%s/hyperparams.json", dir);
		s->weights = xasprintf("%s/checkpoints/final.safetensors", dir);
		break;
	case SAEL_FMT_GEMMASCOPE2:
		s->config = xasprintf("%s/config.json", dir);
		s->weights = xasprintf("%s/params.safetensors", dir);
		break;
	case SAEL_FMT_GEMMASCOPE:
		s->config = xasprintf("%s/params.npz", dir);
		s->weights = xstrdup(s->config);
		break;
	default:
		fs_seterr(err, errlen, "%s: not a dictionary folder (SAELens: cfg.json and sae_weights.safetensors; "
			  "Gemma Scope: params.npz, or config.json and params.safetensors; Llama Scope: "
			  "hyperparams.json and checkpoints/final.safetensors)", dir);
		goto out;
	}
	if (fmt == SAEL_FMT_GEMMASCOPE) {
		if (gemmascope_cfg(dir, s->config, c, err, errlen) != 0)
			goto out;
	} else {
		if (!(text = slurp(s->config, &len, err, errlen)))
			goto out;
		int pr = fmt == SAEL_FMT_SAELENS     ? cfg_parse(s->config, text, len, c, what == SAEL_LOAD_DECODER, err, errlen)
			 : fmt == SAEL_FMT_LLAMASCOPE ? llamascope_cfg(s->config, text, len, c, &nin, &nout, &thr, &topk,
							       err, errlen)
						      : gemmascope2_cfg(s->config, text, len, c, err, errlen);
		if (pr != 0)
			goto out;
		c->format = fmt;
	}
	w.path = s->weights;
	if (fmt == SAEL_FMT_GEMMASCOPE ? !(w.npz = npz_open(s->weights, err, errlen))
				       : !(w.st = tensor_st_open(s->weights, err, errlen)))
		goto out;
	if (fmt == SAEL_FMT_GEMMASCOPE || fmt == SAEL_FMT_GEMMASCOPE2) {
		/* the widths are the tensors' (checked against each other) */
		const char *we = fmt == SAEL_FMT_GEMMASCOPE ? "W_enc" : "w_enc";
		const char *wd = fmt == SAEL_FMT_GEMMASCOPE ? "W_dec" : "w_dec";
		int64_t sh[4], sd[4];
		int nd, ndd;
		if (src_shape(&w, we, sh, &nd, err, errlen) != 0 || src_shape(&w, wd, sd, &ndd, err, errlen) != 0)
			goto out;
		if (nd != 2 || sh[0] < 1 || sh[0] > (1 << 24) || sh[1] < 1 || sh[1] > (1 << 24)) {
			fs_seterr(err, errlen, "%s: %s: not a [d_in, d_sae] matrix", s->weights, we);
			goto out;
		}
		if (ndd != 2 || sd[1] < 1 || sd[1] > (1 << 24)) {
			fs_seterr(err, errlen, "%s: %s: not a [d_sae, d_out] matrix", s->weights, wd);
			goto out;
		}
		if (fmt == SAEL_FMT_GEMMASCOPE2 && sh[1] != c->d_sae) {
			fs_seterr(err, errlen, "%s: width: %d, but %s has %lld features", s->config, c->d_sae, we,
				  (long long)sh[1]);
			goto out;
		}
		c->d_in = (int)sh[0];
		c->d_sae = (int)sh[1];
		c->d_out = c->transcoder ? (int)sd[1] : c->d_in;
	}
	int64_t di = c->d_in, ds = c->d_sae, dout = c->d_out;
	const char *n_we = "W_enc", *n_be = "b_enc", *n_wd = "W_dec", *n_bd = "b_dec", *n_th = "threshold";
	if (fmt == SAEL_FMT_GEMMASCOPE2)
		n_we = "w_enc", n_wd = "w_dec";
	if (fmt == SAEL_FMT_LLAMASCOPE) {
		/* nn.Linear layouts: encoder [d_sae, d_in], decoder [d_out, d_sae] */
		if (!(s->W_dec = get_t(&w, "decoder.weight", ds, dout, 0, 2, err, errlen)))
			goto out;
		if (what == SAEL_LOAD_ALL) {
			if (!(s->W_enc = get_t(&w, "encoder.weight", di, ds, 0, 2, err, errlen)) ||
			    !(s->b_enc = get(&w, "encoder.bias", ds, -1, 0, err, errlen)) ||
			    !(s->b_dec = get(&w, "decoder.bias", dout, -1, 0, err, errlen)))
				goto out;
			if (c->arch == SAEL_JUMPRELU) {
				float *lt = get(&w, "log_jumprelu_threshold", ds, -1, 1, err, errlen);
				if (!lt && src_has(&w, "log_jumprelu_threshold"))
					goto out;
				s->threshold = xmalloc(sizeof(float) * (size_t)ds);
				for (int64_t f = 0; f < ds; f++)
					s->threshold[f] = lt ? expf(lt[f]) : (float)thr;
				free(lt);
			}
		}
		if (nin > 0) {
			/* dataset-wise norm: the dictionary was trained on x * s_in
			 * (s_in = sqrt(d) / norm.in) and reconstructs y * s_out. Folded
			 * the way SAELens folds its activation-norm scaling factor, so
			 * that it reads and writes raw activations while its feature
			 * values stay the trained ones (SAELens' and Neuronpedia's):
			 * W_enc * s_in, W_dec and b_dec / s_out; b_enc and the
			 * threshold act on the unchanged pre-activation. */
			double sin_ = sqrt((double)c->d_in) / nin, sout = sqrt((double)c->d_out) / nout;
			for (size_t i = 0; i < (size_t)(ds * dout); i++)
				s->W_dec[i] = (float)(s->W_dec[i] / sout);
			if (s->b_dec)
				for (int64_t i = 0; i < dout; i++)
					s->b_dec[i] = (float)(s->b_dec[i] / sout);
			if (s->W_enc)
				for (size_t i = 0; i < (size_t)(ds * di); i++)
					s->W_enc[i] = (float)(s->W_enc[i] * sin_);
		}
		rc = 0;
		goto out;
	}
	if (!(s->W_dec = get_t(&w, n_wd, ds, dout, 0, what == SAEL_LOAD_DECODER, err, errlen)))
		goto out;
	if (what == SAEL_LOAD_ALL) {
		if (!(s->W_enc = get(&w, n_we, di, ds, 0, err, errlen)) || !(s->b_dec = get(&w, n_bd, dout, -1, 0, err, errlen)))
			goto out;
		if (c->arch == SAEL_GATED) {
			if (!(s->b_enc = get(&w, "b_gate", ds, -1, 0, err, errlen)) ||
			    !(s->b_mag = get(&w, "b_mag", ds, -1, 0, err, errlen)) ||
			    !(s->r_mag = get(&w, "r_mag", ds, -1, 0, err, errlen)))
				goto out;
			for (int64_t f = 0; f < ds; f++)
				if (!(s->r_mag[f] < 30)) {
					fs_seterr(err, errlen, "%s: r_mag: element %lld is %g (exp(r_mag) must stay finite)",
						  s->weights, (long long)f, (double)s->r_mag[f]);
					goto out;
				}
		} else if (!(s->b_enc = get(&w, n_be, ds, -1, 0, err, errlen)))
			goto out;
		if (c->arch == SAEL_JUMPRELU && !(s->threshold = get(&w, n_th, ds, -1, 0, err, errlen)))
			goto out;
		if (c->transcoder == SAEL_TC_SKIP &&
		    !(s->W_skip = get(&w, fmt == SAEL_FMT_GEMMASCOPE2 ? "affine_skip_connection" : "W_skip", dout, di, 0,
				      err, errlen)))
			goto out;
	}
	rc = 0;
out:
	free(text);
	tensor_st_close(w.st);
	npz_close(w.npz);
	if (rc != 0)
		saelens_free(s);
	return rc;
}

int saelens_load(const char *dir, saelens_sae *s, char *err, size_t errlen)
{
	return saelens_load_what(dir, SAEL_LOAD_ALL, s, err, errlen);
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
		if (c->arch == SAEL_GATED) {
			/* a holds x W_enc + b_gate: the gate, and (less b_gate) the
			 * magnitude path's product before exp(r_mag) */
			for (int j = 0; j < ds; j++) {
				float m = expf(s->r_mag[j]) * (a[j] - s->b_enc[j]) + s->b_mag[j];
				a[j] = a[j] > 0 && m > 0 ? m : 0;
			}
		} else if (c->arch == SAEL_JUMPRELU) {
			for (int j = 0; j < ds; j++)
				a[j] = a[j] > s->threshold[j] && a[j] > 0 ? a[j] : 0;
		} else {
			for (int j = 0; j < ds; j++)
				if (!(a[j] > 0))
					a[j] = 0;
		}
		if (c->arch == SAEL_TOPK && c->k < ds) {
			/* keep the k largest: find the k-th largest by selection
			 * on a copy (nth_element over positives only) */
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
			/* the k-th largest of the positives (core/topk.h) */
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

void saelens_decode(const saelens_sae *s, const float *acts, const float *x, int rows, float *out)
{
	int di = s->c.d_in, ds = s->c.d_sae, dout = s->c.d_out;
	for (int r = 0; r < rows; r++)
		memcpy(out + (size_t)r * dout, s->b_dec, sizeof(float) * (size_t)dout);
	blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, dout, ds, 1.0f, acts, ds, s->W_dec, dout, 1.0f, out,
		   dout);
	if (s->W_skip)
		blas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, dout, di, 1.0f, x, di, s->W_skip, di, 1.0f, out,
			   dout);
}
