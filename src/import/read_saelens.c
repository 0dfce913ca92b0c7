/*
 * read_saelens.c: a saved SAELens SAE folder: cfg.json (the v6 layout with
 * a metadata object, or the flat pre-6.0 layout), sae_weights.safetensors
 * (W_dec [d_sae, d_in] in f32/f16/bf16, whatever the architecture) and an
 * optional sparsity.safetensors (log10 feature density). It gives the
 * dictionary's metadata, one feature per decoder row with its density, and
 * the decoder for the geometry step (neighbours, clusters, map), which
 * import_geometry runs once every input has been read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"
#include "core/tensor.h"
#include "core/util.h"
#include "live/live.h"

/* A string from the v6 metadata object, else from the flat layout. */
static const char *cfg_str(json_t *cfg, const char *v6key, const char *oldkey)
{
	json_t *meta = json_object_get(cfg, "metadata");
	const char *s = json_string_value(json_object_get(meta, v6key));
	if (!s)
		s = json_string_value(json_object_get(cfg, v6key));
	if (!s && oldkey)
		s = json_string_value(json_object_get(cfg, oldkey));
	return s;
}

static int read_saelens(imp_state *st, const char *path)
{
	char *cfgp = xasprintf("%s/cfg.json", path);
	char *wp = xasprintf("%s/sae_weights.safetensors", path);
	char *sp = xasprintf("%s/sparsity.safetensors", path);
	json_t *cfg = imp_load_json(st, cfgp);
	fs_tensor dec = {0}, spar = {0};
	int rc = -1;
	char e[512];
	if (!cfg)
		goto out;
	if (!json_is_object(cfg)) {
		imp_bad(st, cfgp, 0, "top level", "not a JSON object");
		goto out;
	}
	json_t *din = json_object_get(cfg, "d_in"), *dsae = json_object_get(cfg, "d_sae");
	if (!json_is_integer(din) || json_integer_value(din) <= 0) {
		imp_bad(st, cfgp, 0, "d_in", din ? "not a positive integer" : "missing");
		goto out;
	}
	if (!json_is_integer(dsae) || json_integer_value(dsae) <= 0) {
		imp_bad(st, cfgp, 0, "d_sae", dsae ? "not a positive integer" : "missing");
		goto out;
	}
	int64_t d_in = json_integer_value(din), d_sae = json_integer_value(dsae);
	if (tensor_load(wp, "W_dec", &dec, e, sizeof e) != 0) {
		imp_bad(st, wp, 0, "W_dec", "%s", e);
		goto out;
	}
	/* W_dec is [d_sae, d_in]; accept the transposed layout some
	 * checkpoints use, and say so when neither fits */
	if (dec.ndim != 2 || !((dec.shape[0] == d_sae && dec.shape[1] == d_in) ||
			       (dec.shape[0] == d_in && dec.shape[1] == d_sae))) {
		imp_bad(st, wp, 0, "W_dec.shape", "expected [%lld, %lld] (d_sae, d_in from cfg.json)",
			(long long)d_sae, (long long)d_in);
		goto out;
	}
	if (dec.shape[0] != d_sae) {
		float *t = xmalloc((size_t)(d_sae * d_in) * sizeof *t);
		for (int64_t i = 0; i < d_in; i++)
			for (int64_t j = 0; j < d_sae; j++)
				t[j * d_in + i] = dec.data[i * d_sae + j];
		free(dec.data);
		dec.data = t;
		dec.shape[0] = d_sae;
		dec.shape[1] = d_in;
	}
	int have_sparsity = 0;
	FILE *probe = fopen(sp, "rb");
	if (probe) {
		fclose(probe);
		if (tensor_load(sp, "sparsity", &spar, e, sizeof e) != 0) {
			imp_bad(st, sp, 0, "sparsity", "%s", e);
			goto out;
		}
		if (spar.ndim != 1 || spar.shape[0] != d_sae) {
			imp_bad(st, sp, 0, "sparsity.shape", "expected [%lld]", (long long)d_sae);
			goto out;
		}
		have_sparsity = 1;
	}

	const char *hook = cfg_str(cfg, "hook_name", "hook_point");
	const char *npid = cfg_str(cfg, "neuronpedia_id", NULL);
	const char *slash = npid ? strrchr(npid, '/') : NULL;
	fs_sae s = {0};
	s.name = (char *)(slash && slash[1] ? slash + 1 : hook ? hook : "saelens");
	s.model = (char *)cfg_str(cfg, "model_name", NULL);
	s.hook = (char *)hook;
	s.layer = live_tl_layer(hook);
	s.d_model = (int)d_in;
	s.n_features = d_sae;
	s.source_format = (char *)"saelens";
	if (imp_add_sae(st, &s) != 0)
		goto out;
	const char *arch = json_string_value(json_object_get(cfg, "architecture"));
	if (!arch)
		arch = json_string_value(json_object_get(cfg, "activation_fn_str"));
	if (arch) {
		char *key = xasprintf("saelens.%s.architecture", s.name);
		index_writer_set_meta(st->w, key, arch);
		free(key);
	}
	for (int64_t i = 0; i < d_sae; i++) {
		fs_feature f;
		imp_feature_init(&f);
		if (have_sparsity) {
			double l = spar.data[i];
			f.density = isfinite(l) ? pow(10.0, l) : 0.0;
			if (f.density > 1)
				f.density = 1;
		}
		if (imp_feature(st, i, &f) < 0)
			goto out;
		if ((i & 4095) == 0)
			imp_progress(st, "features", i, d_sae);
	}
	/* the decoder goes to the geometry step (import_geometry), which runs
	 * once all inputs are read */
	import_decoders *dd = st->o->decoders;
	if (dd) {
		if (dd->n == dd->cap) {
			dd->cap = dd->cap ? dd->cap * 2 : 4;
			dd->v = xrealloc(dd->v, (size_t)dd->cap * sizeof *dd->v);
		}
		import_decoder *x = &dd->v[dd->n++];
		x->sae = st->sae;
		x->name = xstrdup(s.name);
		x->fids = xmalloc((size_t)d_sae * sizeof *x->fids);
		for (int64_t i = 0; i < d_sae; i++)
			x->fids[i] = imp_fid(st, i);
		x->W = dec.data;
		x->rows = d_sae;
		x->d = (int)d_in;
		dec.data = NULL; /* now owned by the collector */
	}
	rc = 0;
out:
	if (cfg)
		json_decref(cfg);
	tensor_free(&dec);
	tensor_free(&spar);
	free(cfgp);
	free(wp);
	free(sp);
	return rc;
}

/* A folder with cfg.json and sae_weights.safetensors. */
static int sniff_saelens(const imp_sniff *s)
{
	return s->is_dir && imp_exists_in(s->path, "cfg.json", 0) &&
	       imp_exists_in(s->path, "sae_weights.safetensors", 0);
}

const imp_reader imp_reader_saelens = {
	"saelens", NULL, "a SAELens folder (cfg.json, sae_weights.safetensors)",
	sniff_saelens, read_saelens,
};
