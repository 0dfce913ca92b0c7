/*
 * read_saelens.c: a dictionary folder through the one reader of the
 * layouts (import/saelens_sae.h, which the runtime uses too): a SAELens
 * folder (cfg.json in the v6 or the flat pre-6.0 layout,
 * sae_weights.safetensors: W_dec [d_sae, d_out] in f32/f16/bf16, whatever
 * the architecture, and an optional sparsity.safetensors, log10 feature
 * density), Gemma Scope 1 and 2, Llama Scope. It gives the
 * dictionary's metadata, one feature per decoder row with its density, and
 * the decoder for the geometry step (neighbours, clusters, map), which
 * import_geometry runs once every input has been read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"
#include "import/saelens_sae.h"
#include "nn/tensor.h"
#include "core/util.h"

/* The names of each layout's architecture and source format. */
static const char *const arch_names[] = {"standard", "topk", "jumprelu", "gated"};
static const char *const format_names[] = {"saelens", "gemmascope", "gemmascope2", "llamascope"};

static int read_saelens(imp_state *st, const char *path)
{
	char *cfgp = xasprintf("%s/cfg.json", path);
	char *sp = xasprintf("%s/sparsity.safetensors", path);
	json_t *cfg = NULL;
	fs_tensor spar = {0};
	saelens_sae z;
	int loaded = 0;
	int rc = -1;
	char e[512];
	/* the one reader of the layouts (the runtime's): configuration and
	 * decoder */
	if (saelens_load_what(path, SAEL_LOAD_DECODER, &z, e, sizeof e) != 0) {
		fs_seterr(st->err, st->errlen, "%s", e);
		goto out;
	}
	loaded = 1;
	int64_t d_in = z.c.d_out, d_sae = z.c.d_sae; /* the decoder's rows are d_out wide */
	float *dec = z.W_dec;
	if (z.c.format == SAEL_FMT_SAELENS && !(cfg = imp_load_json(st, cfgp)))
		goto out;
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

	const char *hook = z.c.hook;
	const char *npid = z.c.neuronpedia[0] ? z.c.neuronpedia : NULL;
	const char *slash = npid ? strrchr(npid, '/') : NULL;
	fs_sae s = {0};
	s.name = (char *)(slash && slash[1] ? slash + 1 : hook[0] ? hook : "saelens");
	s.model = z.c.model[0] ? z.c.model : NULL;
	s.hook = (char *)hook;
	s.layer = z.c.layer;
	s.d_model = (int)d_in;
	s.n_features = d_sae;
	s.source_format = (char *)format_names[z.c.format];
	if (imp_add_sae(st, &s) != 0)
		goto out;
	const char *arch = cfg ? json_string_value(json_object_get(cfg, "architecture")) : NULL;
	if (!arch && cfg)
		arch = json_string_value(json_object_get(cfg, "activation_fn_str"));
	if (!arch)
		arch = arch_names[z.c.arch];
	if (arch) {
		char *key = xasprintf("saelens.%s.architecture", s.name);
		index_writer_set_meta(st->w, key, arch);
		free(key);
	}
	if (z.c.transcoder) {
		char *key = xasprintf("saelens.%s.hook_out", s.name);
		index_writer_set_meta(st->w, key, z.c.hook_out);
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
		x->W = dec;
		x->rows = d_sae;
		x->d = (int)d_in;
		z.W_dec = NULL; /* now owned by the collector */
	}
	rc = 0;
out:
	if (cfg)
		json_decref(cfg);
	if (loaded)
		saelens_free(&z);
	tensor_free(&spar);
	free(cfgp);
	free(sp);
	return rc;
}

/* A dictionary folder: SAELens (cfg.json, sae_weights.safetensors), Gemma
 * Scope (params.npz; config.json and params.safetensors), Llama Scope
 * (hyperparams.json, checkpoints/final.safetensors). */
static int sniff_saelens(const imp_sniff *s)
{
	if (!s->is_dir)
		return 0;
	return (imp_exists_in(s->path, "cfg.json", 0) && imp_exists_in(s->path, "sae_weights.safetensors", 0)) ||
	       (imp_exists_in(s->path, "hyperparams.json", 0) && imp_exists_in(s->path, "checkpoints", 1)) ||
	       (imp_exists_in(s->path, "config.json", 0) && imp_exists_in(s->path, "params.safetensors", 0)) ||
	       imp_exists_in(s->path, "params.npz", 0);
}

const imp_reader imp_reader_saelens = {
	"saelens", NULL, "a SAELens, Gemma Scope or Llama Scope dictionary folder (cfg.json, sae_weights.safetensors; "
	"params.npz; config.json, params.safetensors; hyperparams.json, checkpoints/final.safetensors)",
	sniff_saelens, read_saelens,
};
