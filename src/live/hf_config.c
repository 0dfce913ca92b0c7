/*
 * hf_config.c: config.json of a Hugging Face checkpoint (hf_config.h): the
 * family table (a row of flags per model_type), the checked readers of
 * its numbers, RoPE scaling, activations, the sliding-window layout, and
 * Gemma 3's multimodal wrapper (text_config, Gemma3TextConfig's defaults).
 */
#include "live/hf_config.h"
#include "core/util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const hf_family families[] = {
	/* type          norm      +1 post qkn glu act            par qkvb bias emb win neox tie */
	{"llama",        NORM_RMS, 0, 0,   0,  1,  ACT_SILU,      0,  0,   0,   0,  0,  0,   0},
	{"qwen2",        NORM_RMS, 0, 0,   0,  1,  ACT_SILU,      0,  1,   0,   0,  0,  0,   0},
	{"qwen3",        NORM_RMS, 0, 0,   1,  1,  ACT_SILU,      0,  0,   0,   0,  0,  0,   0},
	{"gemma2",       NORM_RMS, 1, 1,   0,  1,  ACT_GELU_TANH, 0,  0,   0,   1,  2,  0,   1},
	{"gemma3_text",  NORM_RMS, 1, 1,   1,  1,  ACT_GELU_TANH, 0,  0,   0,   1,  6,  0,   1},
	{"gpt_neox",     NORM_LN,  0, 0,   0,  0,  ACT_GELU,      1,  0,   1,   0,  0,  1,   0},
};
#define NFAM (int)(sizeof families / sizeof families[0])
#define SUPPORTED "gpt2, llama, qwen2, qwen3, gemma2, gemma3_text, gemma3 (its text), gpt_neox"

json_t *hf_load_json(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return fs_seterr(err, errlen, "%s: missing", path), NULL;
	if (st.st_size > (off_t)HF_MAX_CONFIG)
		return fs_seterr(err, errlen, "%s: larger than %u KB", path, HF_MAX_CONFIG >> 10), NULL;
	json_error_t je;
	json_t *r = json_load_file(path, 0, &je);
	if (!r)
		return fs_seterr(err, errlen, "%s:%d: bad JSON: %s", path, je.line, fs_msg_clean(je.text)), NULL;
	if (!json_is_object(r)) {
		json_decref(r);
		return fs_seterr(err, errlen, "%s: not a JSON object", path), NULL;
	}
	return r;
}

static int get_int(const char *file, json_t *o, const char *key, int dflt, int lo, int hi, int *out, char *err,
		   size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (dflt == INT32_MIN)
			return fs_seterr(err, errlen, "%s: %s: missing", file, key);
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fs_seterr(err, errlen, "%s: %s: expected an integer in %d..%d", file, key, lo, hi);
	*out = (int)json_integer_value(v);
	return 0;
}

static int get_num(const char *file, json_t *o, const char *key, double dflt, double lo, double hi, double *out,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_number(v) || !(json_number_value(v) >= lo && json_number_value(v) <= hi))
		return fs_seterr(err, errlen, "%s: %s: expected a number in [%g, %g]", file, key, lo, hi);
	*out = json_number_value(v);
	return 0;
}

static int get_bool(const char *file, json_t *o, const char *key, int dflt, int *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return fs_seterr(err, errlen, "%s: %s: expected true or false", file, key);
	*out = json_is_true(v);
	return 0;
}

static const hf_family *family_of(const char *type)
{
	for (int i = 0; i < NFAM; i++)
		if (!strcmp(families[i].type, type))
			return &families[i];
	return NULL;
}

static int parse_act(const char *file, json_t *o, hf_config *c, char *err, size_t errlen)
{
	c->act = c->f->act;
	const char *key = json_object_get(o, "hidden_activation") ? "hidden_activation" : "hidden_act";
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	if (!strcmp(s, "silu") || !strcmp(s, "swish"))
		c->act = ACT_SILU;
	else if (!strcmp(s, "gelu_pytorch_tanh") || !strcmp(s, "gelu_new"))
		c->act = ACT_GELU_TANH;
	else if (!strcmp(s, "gelu"))
		c->act = c->f->plus1 ? ACT_GELU_TANH : ACT_GELU; /* Gemma's "gelu" is the tanh form */
	else
		return fs_seterr(err, errlen, "%s: %s: expected silu, gelu or gelu_pytorch_tanh", file, key);
	return 0;
}

static int parse_rope(const char *file, json_t *o, hf_config *c, char *err, size_t errlen)
{
	c->rope = ROPE_DEFAULT;
	json_t *rs = json_object_get(o, "rope_scaling");
	if (!rs || json_is_null(rs))
		return 0;
	if (!json_is_object(rs))
		return fs_seterr(err, errlen, "%s: rope_scaling: not an object", file);
	json_t *t = json_object_get(rs, "rope_type");
	if (!t)
		t = json_object_get(rs, "type");
	const char *ty = json_is_string(t) ? json_string_value(t) : "";
	if (!strcmp(ty, "default"))
		return 0;
	if (get_num(file, rs, "factor", -1, 1e-3, 1e6, &c->rs_factor, err, errlen) != 0)
		return -1;
	if (c->rs_factor < 0)
		return fs_seterr(err, errlen, "%s: rope_scaling.factor: missing", file);
	if (!strcmp(ty, "linear")) {
		c->rope = ROPE_LINEAR;
		return 0;
	}
	if (strcmp(ty, "llama3") != 0)
		return fs_seterr(err, errlen, "%s: rope_scaling.rope_type: expected default, linear or llama3", file);
	c->rope = ROPE_LLAMA3;
	if (get_num(file, rs, "low_freq_factor", 1, 1e-6, 1e6, &c->rs_low, err, errlen) ||
	    get_num(file, rs, "high_freq_factor", 4, 1e-6, 1e6, &c->rs_high, err, errlen) ||
	    get_num(file, rs, "original_max_position_embeddings", 8192, 1, 1 << 24, &c->rs_orig, err, errlen))
		return -1;
	if (!(c->rs_high > c->rs_low))
		return fs_seterr(err, errlen, "%s: rope_scaling.high_freq_factor: must be above low_freq_factor", file);
	return 0;
}

static int parse_config(const char *file, json_t *o, hf_config *c, char *err, size_t errlen)
{
	json_t *mt = json_object_get(o, "model_type");
	if (!json_is_string(mt))
		return fs_seterr(err, errlen, "%s: model_type: missing (supported architectures: " SUPPORTED ")", file);
	if (!(c->f = family_of(json_string_value(mt)))) {
		char t[64];
		snprintf(t, sizeof t, "%s", json_string_value(mt));
		return fs_seterr(err, errlen, "%s: model_type: '%s' is not supported (supported architectures: " SUPPORTED ")",
				 file, fs_msg_clean(t));
	}
	const hf_family *f = c->f;
	int attn_bias = 0, nolimit = INT32_MIN;
	double eps;
	if (get_int(file, o, "hidden_size", nolimit, 1, 65536, &c->d, err, errlen) ||
	    get_int(file, o, "intermediate_size", nolimit, 1, 1 << 20, &c->ff, err, errlen) ||
	    get_int(file, o, "num_hidden_layers", nolimit, 1, 1024, &c->L, err, errlen) ||
	    get_int(file, o, "num_attention_heads", nolimit, 1, 1024, &c->H, err, errlen) ||
	    get_int(file, o, "num_key_value_heads", c->H, 1, 1024, &c->Hkv, err, errlen) ||
	    get_int(file, o, "vocab_size", nolimit, 1, 1 << 24, &c->vocab, err, errlen) ||
	    get_int(file, o, "max_position_embeddings", 2048, 1, 1 << 24, &c->maxpos, err, errlen) ||
	    get_int(file, o, "bos_token_id", -1, 0, c->vocab - 1, &c->bos, err, errlen) ||
	    get_bool(file, o, "tie_word_embeddings", f->tie_default, &c->tie, err, errlen) ||
	    get_bool(file, o, "attention_bias", f->bias_default, &attn_bias, err, errlen) ||
	    get_bool(file, o, "mlp_bias", f->neox, &c->mlp_bias, err, errlen) ||
	    get_bool(file, o, "use_parallel_residual", f->parallel, &c->parallel, err, errlen))
		return -1;
	if (f->neox)
		c->mlp_bias = 1;
	if (c->H % c->Hkv)
		return fs_seterr(err, errlen, "%s: num_key_value_heads: %d does not divide num_attention_heads %d", file,
				 c->Hkv, c->H);
	int hd_dflt = c->d % c->H ? -1 : c->d / c->H;
	c->hd = hd_dflt;
	if (!f->neox && get_int(file, o, "head_dim", hd_dflt, 1, 4096, &c->hd, err, errlen))
		return -1;
	if (c->hd < 0)
		return fs_seterr(err, errlen, "%s: num_attention_heads: %d does not divide hidden_size %d (and no head_dim)",
				 file, c->H, c->d);
	if ((int64_t)c->H * c->hd > 1 << 20)
		return fs_seterr(err, errlen, "%s: head_dim: %d heads of %d is too wide", file, c->H, c->hd);
	const char *epsk = f->norm == NORM_LN ? "layer_norm_eps" : "rms_norm_eps";
	if (get_num(file, o, epsk, 1e-6, 1e-30, 1, &eps, err, errlen))
		return -1;
	c->eps = (float)eps;
	/* RoPE: the base, the rotary share of a head */
	double frac = 1;
	if (get_num(file, o, f->neox && !json_object_get(o, "rope_theta") ? "rotary_emb_base" : "rope_theta", 10000, 1,
		    1e12, &c->theta, err, errlen) ||
	    get_num(file, o, "rope_local_base_freq", 10000, 1, 1e12, &c->theta_local, err, errlen) ||
	    get_num(file, o, json_object_get(o, "rotary_pct") ? "rotary_pct" : "partial_rotary_factor", 1, 0, 1, &frac,
		    err, errlen) ||
	    parse_rope(file, o, c, err, errlen) || parse_act(file, o, c, err, errlen))
		return -1;
	c->rot = (int)(c->hd * frac);
	if (c->rot % 2)
		return fs_seterr(err, errlen, "%s: %s: gives %d rotary dimensions of %d, expected an even number", file,
				 json_object_get(o, "rotary_pct") ? "rotary_pct" : "partial_rotary_factor", c->rot, c->hd);
	if (f->window != 6) /* a base of its own for local layers: Gemma 3 only */
		c->theta_local = c->theta;
	c->qkv_bias = f->qkv_bias || attn_bias;
	c->o_bias = attn_bias;
	/* scores */
	double qpas = c->hd, cap = 0, fcap = 0;
	if (get_num(file, o, "query_pre_attn_scalar", c->hd, 1e-6, 1e9, &qpas, err, errlen) ||
	    get_num(file, o, "attn_logit_softcapping", 0, 0, 1e9, &cap, err, errlen) ||
	    get_num(file, o, "final_logit_softcapping", 0, 0, 1e9, &fcap, err, errlen))
		return -1;
	c->attn_scale = (float)(1.0 / sqrt(f->plus1 ? qpas : c->hd));
	c->attn_cap = (float)cap;
	c->final_cap = (float)fcap;
	/* the sliding window */
	int use_sw = f->window != 0;
	if (!f->window && get_bool(file, o, "use_sliding_window", 0, &use_sw, err, errlen))
		return -1;
	if (use_sw && !f->window)
		return fs_seterr(err, errlen, "%s: use_sliding_window: true is not supported for %s", file, f->type);
	c->sliding = xcalloc((size_t)c->L, 1);
	if (f->window) {
		int pattern = f->window;
		if (get_int(file, o, "sliding_window", nolimit, 1, 1 << 24, &c->window, err, errlen) ||
		    (f->window == 6 && get_int(file, o, "sliding_window_pattern", 6, 1, 1024, &pattern, err, errlen)))
			return -1;
		json_t *lt = json_object_get(o, "layer_types");
		if (lt && !json_is_null(lt)) {
			if (!json_is_array(lt) || json_array_size(lt) != (size_t)c->L)
				return fs_seterr(err, errlen, "%s: layer_types: expected %d entries", file, c->L);
			for (int l = 0; l < c->L; l++) {
				const char *s = json_string_value(json_array_get(lt, (size_t)l));
				if (!s || (strcmp(s, "sliding_attention") && strcmp(s, "full_attention")))
					return fs_seterr(err, errlen,
							 "%s: layer_types: entry %d: expected sliding_attention or full_attention",
							 file, l);
				c->sliding[l] = !strcmp(s, "sliding_attention");
			}
		} else {
			for (int l = 0; l < c->L; l++)
				c->sliding[l] = f->window == 2 ? l % 2 == 0 : (l + 1) % pattern != 0;
		}
	}
	return 0;
}
/* Gemma3TextConfig's defaults (transformers), for the fields a multimodal
 * checkpoint's text_config leaves out. */
static const struct {
	const char *key;
	double num;      /* a number */
	const char *str; /* or a string */
} gemma3_defaults[] = {
	{"vocab_size", 262208, NULL},
	{"hidden_size", 2304, NULL},
	{"intermediate_size", 9216, NULL},
	{"num_hidden_layers", 26, NULL},
	{"num_attention_heads", 8, NULL},
	{"num_key_value_heads", 4, NULL},
	{"head_dim", 256, NULL},
	{"query_pre_attn_scalar", 256, NULL},
	{"max_position_embeddings", 131072, NULL},
	{"rms_norm_eps", 1e-6, NULL},
	{"rope_theta", 1000000, NULL},
	{"rope_local_base_freq", 10000, NULL},
	{"sliding_window", 4096, NULL},
	{"bos_token_id", 2, NULL},
	{"hidden_activation", 0, "gelu_pytorch_tanh"},
};

/* A multimodal Gemma 3 config.json: its text_config with the defaults
 * filled in (a new reference), or NULL with one line in err. */
static json_t *gemma3_text_config(const char *file, json_t *o, char *err, size_t errlen)
{
	json_t *t = json_object_get(o, "text_config");
	if (!json_is_object(t))
		return fs_seterr(err, errlen, "%s: text_config: missing or not an object (model_type gemma3)", file), NULL;
	json_t *mt = json_object_get(t, "model_type");
	if (mt && !json_is_null(mt) && (!json_is_string(mt) || strcmp(json_string_value(mt), "gemma3_text") != 0))
		return fs_seterr(err, errlen, "%s: text_config.model_type: expected gemma3_text", file), NULL;
	json_t *c = json_deep_copy(t);
	if (!c)
		fs_die(1, "out of memory");
	json_object_set_new(c, "model_type", json_string("gemma3_text"));
	for (size_t i = 0; i < sizeof gemma3_defaults / sizeof gemma3_defaults[0]; i++) {
		json_t *v = json_object_get(c, gemma3_defaults[i].key);
		if (v && !json_is_null(v))
			continue;
		double n = gemma3_defaults[i].num;
		json_object_set_new(c, gemma3_defaults[i].key,
				    gemma3_defaults[i].str ? json_string(gemma3_defaults[i].str)
				    : n == floor(n) && n < 1e15 ? json_integer((json_int_t)n)
								: json_real(n));
	}
	/* the multimodal model ties its embeddings unless the outer config
	 * says otherwise */
	json_t *tie = json_object_get(o, "tie_word_embeddings");
	if (!json_object_get(c, "tie_word_embeddings") && tie)
		json_object_set(c, "tie_word_embeddings", tie);
	return c;
}

int hf_config_read(const char *path, hf_config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	json_t *o = hf_load_json(path, err, errlen);
	if (!o)
		return -1;
	int rc;
	json_t *mt = json_object_get(o, "model_type");
	if (json_is_string(mt) && !strcmp(json_string_value(mt), "gemma3")) {
		json_t *t = gemma3_text_config(path, o, err, errlen);
		char *name = xasprintf("%s: text_config", path);
		rc = t ? parse_config(name, t, c, err, errlen) : -1;
		free(name);
		if (t)
			json_decref(t);
		c->multimodal = 1;
	} else {
		rc = parse_config(path, o, c, err, errlen);
	}
	json_decref(o);
	return rc;
}

void hf_config_free(hf_config *c)
{
	free(c->sliding);
	c->sliding = NULL;
}
