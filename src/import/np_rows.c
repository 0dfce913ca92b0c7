/*
 * np_rows.c: the feature and activation rows Neuronpedia exports and
 * SAEDashboard batches share (declared in import_int.h): a feature row's
 * statistics (frac_nonzero, histograms, logit effects, decoder-cosine
 * neighbours, feature tables, umap position, vector) and an activation
 * row's example (tokens, values, bins, key token). Both readers call
 * these; neither reader calls the other.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"
#include "import/number.h"
#include "core/util.h"


/* Parallel arrays of strings and numbers (logit tables). */
static int logits(imp_state *st, int64_t fid, json_t *row, const char *skey, const char *vkey,
		  int sign, const char *file, long line)
{
	json_t *s = json_object_get(row, skey), *v = json_object_get(row, vkey);
	if (!s && !v)
		return 0;
	if (!json_is_array(s))
		return imp_bad(st, file, line, skey, "expected an array of token strings");
	double *vals;
	size_t nv;
	if (imp_jnums(v, &vals, &nv) != 0)
		return imp_bad(st, file, line, vkey, "expected an array of numbers");
	if (imp_fcheckv(st, file, line, vkey, vals, nv) != 0) {
		free(vals);
		return -1;
	}
	if (nv != json_array_size(s)) {
		free(vals);
		return imp_bad(st, file, line, vkey, "%zu values for %zu tokens in %s", nv,
			       json_array_size(s), skey);
	}
	int rc = 0;
	for (size_t i = 0; i < nv && rc == 0; i++) {
		const char *t = json_string_value(json_array_get(s, i));
		if (!t) {
			rc = imp_bad(st, file, line, skey, "element %zu is not a string", i);
			break;
		}
		char *txt = imp_token_str(st, t);
		if (index_writer_add_logit(st->w, fid, sign, (int)i, txt, (float)vals[i]) < 0)
			rc = imp_wfail(st, "logit");
		free(txt);
	}
	free(vals);
	return rc;
}

int imp_table(imp_state *st, int64_t fid, json_t *obj, const char *kind, const char *ikey, const char *vkey,
	      const char *akey, const char *file, long line)
{
	json_t *iv = ikey ? json_object_get(obj, ikey) : NULL, *vv = json_object_get(obj, vkey);
	json_t *av = akey ? json_object_get(obj, akey) : NULL;
	if (json_is_null(iv))
		iv = NULL;
	if (json_is_null(vv))
		vv = NULL;
	if (json_is_null(av))
		av = NULL;
	if (!iv && !vv)
		return 0;
	double *a = NULL, *b = NULL, *c = NULL;
	size_t na = 0, nb = 0, nc = 0;
	int rc = 0;
	if (ikey && imp_jnums(iv, &a, &na) != 0)
		rc = imp_bad(st, file, line, ikey, "expected an array of numbers");
	else if (imp_jnums(vv, &b, &nb) != 0)
		rc = imp_bad(st, file, line, vkey, "expected an array of numbers");
	else if (av && imp_jnums(av, &c, &nc) != 0)
		rc = imp_bad(st, file, line, akey, "expected an array of numbers");
	else if (ikey && na != nb)
		rc = imp_bad(st, file, line, vkey, "%zu values for %zu indices in %s", nb, na, ikey);
	else if (av && nc != nb)
		rc = imp_bad(st, file, line, akey, "%zu values for %zu in %s", nc, nb, vkey);
	for (size_t i = 0; rc == 0 && i < nb; i++) {
		if (ikey && (a[i] < 0 || a[i] != floor(a[i]))) {
			rc = imp_bad(st, file, line, ikey, "element %zu is not an index", i);
			break;
		}
		if (index_writer_add_table_row(st->w, fid, kind, (int)i, ikey ? (int64_t)a[i] : 0, b[i], c ? c[i] : NAN) < 0)
			rc = imp_wfail(st, "feature table");
	}
	free(a);
	free(b);
	free(c);
	return rc;
}

/* The feature tables of a Neuronpedia/SAEDashboard row or of sae_vis's
 * feature_tables_data: correlated features and neurons, neuron alignment. */
int imp_tables(imp_state *st, int64_t fid, json_t *obj, const char *file, long line)
{
	return imp_table(st, fid, obj, "corr_feature", "correlated_features_indices", "correlated_features_pearson",
			 "correlated_features_l1", file, line) ||
	       imp_table(st, fid, obj, "corr_neuron", "correlated_neurons_indices", "correlated_neurons_pearson",
			 "correlated_neurons_l1", file, line) ||
	       imp_table(st, fid, obj, "neuron_align", "neuron_alignment_indices", "neuron_alignment_values",
			 "neuron_alignment_l1", file, line)
		       ? -1 : 0;
}

/* Add the feature described by a Neuronpedia/SAEDashboard feature row
 * (index already parsed), with its histogram, logits and neighbours.
 * Returns the fid, or -1. */
int64_t imp_np_feature(imp_state *st, json_t *row, int64_t idx, double max_act,
		       const char *file, long line)
{
	fs_feature f;
	imp_feature_init(&f);
	/* numbers that are present must be numbers (null counts as absent) */
	static const char *const numeric[] = {"frac_nonzero", "maxActApprox", "umap_x", "umap_y"};
	for (size_t k = 0; k < sizeof numeric / sizeof numeric[0]; k++) {
		json_t *v = json_object_get(row, numeric[k]);
		if (v && !json_is_null(v) && isnan(imp_jnum(row, numeric[k])))
			return imp_bad(st, file, line, numeric[k], "not a number");
		if (imp_fcheck(st, file, line, numeric[k], imp_jnum(row, numeric[k])) != 0)
			return -1;
	}
	double d = imp_jnum(row, "frac_nonzero");
	if (!isnan(d)) {
		if (d < 0 || d > 1)
			return imp_bad(st, file, line, "frac_nonzero", "%g is not a fraction", d);
		f.density = d;
	}
	d = imp_jnum(row, "maxActApprox");
	if (!isnan(d))
		f.max_act = d;
	else if (!isnan(max_act))
		f.max_act = max_act;
	double x = imp_jnum(row, "umap_x"), y = imp_jnum(row, "umap_y");
	if (!isnan(x) && !isnan(y) && (x != 0 || y != 0)) {
		f.map_x = x;
		f.map_y = y;
	}
	json_t *hv = json_object_get(row, "freq_hist_data_bar_values");
	json_t *hh = json_object_get(row, "freq_hist_data_bar_heights");
	if (hv || hh) {
		double *c, *h;
		size_t nc, nh;
		if (imp_jnums(hv, &c, &nc) != 0)
			return imp_bad(st, file, line, "freq_hist_data_bar_values", "expected an array of numbers");
		if (imp_jnums(hh, &h, &nh) != 0) {
			free(c);
			return imp_bad(st, file, line, "freq_hist_data_bar_heights", "expected an array of numbers");
		}
		if (nc != nh || imp_fcheckv(st, file, line, "freq_hist_data_bar_values", c, nc) != 0 ||
		    imp_fcheckv(st, file, line, "freq_hist_data_bar_heights", h, nh) != 0) {
			free(c);
			free(h);
			return nc != nh ? imp_bad(st, file, line, "freq_hist_data_bar_heights",
						  "%zu heights for %zu values", nh, nc) : -1;
		}
		imp_hist(&f, c, h, (int)nc);
		if (imp_hist_keep(st, idx, c, h, (int)nc) != 0) {
			free(c);
			free(h);
			return -1;
		}
		/* the histogram is over the activations where the feature
		 * fires: its mean estimates mean_act */
		double sw = 0, s = 0;
		for (size_t i = 0; i < nc; i++)
			if (h[i] > 0) {
				sw += h[i];
				s += h[i] * c[i];
			}
		if (sw > 0)
			f.mean_act = s / sw;
		free(c);
		free(h);
	}
	int64_t fid = imp_feature(st, idx, &f);
	if (fid < 0)
		return st->runtime ? -1 : imp_bad(st, file, line, "index", "%lld is out of range", (long long)idx);
	if (logits(st, fid, row, "pos_str", "pos_values", +1, file, line) != 0 ||
	    logits(st, fid, row, "neg_str", "neg_values", -1, file, line) != 0 ||
	    imp_tables(st, fid, row, file, line) != 0 ||
	    imp_table(st, fid, row, "logits_hist", NULL, "logits_hist_data_bar_values", "logits_hist_data_bar_heights",
		      file, line) != 0)
		return -1;
	json_t *vec = json_object_get(row, "vector");
	if (vec && !json_is_null(vec)) {
		double *a;
		size_t na;
		if (imp_jnums(vec, &a, &na) != 0)
			return imp_bad(st, file, line, "vector", "expected an array of numbers");
		if (imp_fcheckv(st, file, line, "vector", a, na) != 0) {
			free(a);
			return -1;
		}
		imp_vector(st, fid, a, na);
		free(a);
	}
	json_t *ni = json_object_get(row, "topkCosSimIndices"), *nv = json_object_get(row, "topkCosSimValues");
	if (ni || nv) {
		double *a, *b;
		size_t na, nb;
		if (imp_jnums(ni, &a, &na) != 0)
			return imp_bad(st, file, line, "topkCosSimIndices", "expected an array of numbers");
		if (imp_jnums(nv, &b, &nb) != 0) {
			free(a);
			return imp_bad(st, file, line, "topkCosSimValues", "expected an array of numbers");
		}
		if (na != nb || imp_fcheckv(st, file, line, "topkCosSimValues", b, nb) != 0) {
			free(a);
			free(b);
			return na != nb ? imp_bad(st, file, line, "topkCosSimValues", "%zu values for %zu indices", nb, na)
					: -1;
		}
		int rank = 0;
		for (size_t i = 0; i < na; i++)
			if (a[i] >= 0 && (int64_t)a[i] != idx)
				imp_neighbour(st, fid, rank++, (int64_t)a[i], (float)b[i]);
		free(a);
		free(b);
	}
	return fid;
}

/* Feature index from "index" (a string in exports) or "feature_index". */
int64_t imp_np_index(imp_state *st, json_t *row, const char *key, const char *file, long line)
{
	json_t *v = json_object_get(row, key);
	if (!v)
		return imp_bad(st, file, line, key, "missing");
	int64_t idx;
	if (json_is_integer(v))
		idx = json_integer_value(v);
	else if (!json_is_string(v) || fs_parse_i64(json_string_value(v), &idx) != 0)
		return imp_bad(st, file, line, key, "not a feature number");
	if (idx < 0)
		return imp_bad(st, file, line, key, "negative feature number %lld", (long long)idx);
	return idx;
}

/* Store one example: the context from the tokens, then the example with
 * its bin (NAN bounds: the top group). */
int imp_np_example_core(imp_state *st, int64_t idx, const char *const *ts, const size_t *ls,
			   const float *acts, int nt, double bmin, double bmax, double bfrac,
			   int key, const char *source)
{
	tok_ctx_build(&st->ctx, ts, ls, nt, st->o->tok_mode);
	return imp_np_example_ctx(st, idx, &st->ctx, acts, nt, bmin, bmax, bfrac, key, source);
}

int imp_np_example_ctx(imp_state *st, int64_t idx, const tok_ctx *c, const float *acts, int nt, double bmin,
		       double bmax, double bfrac, int key, const char *source)
{
	if (isnan(bmin))
		bmin = -1; /* no bins: every example belongs to the top group */
	if (isnan(bfrac))
		bfrac = -1;
	if (isnan(bmax))
		bmax = bmin;
	int64_t ctx = imp_context_text(st, c, source);
	if (ctx < 0)
		return -1;
	return imp_example(st, idx, bmin, bmax, bfrac, ctx, acts, nt, key);
}

/* One example from parallel tokens/values arrays. */
int imp_np_example(imp_state *st, int64_t idx, json_t *row, const char *bmin_key,
		   const char *bmax_key, const char *bfrac_key, const char *key_key,
		   const char *source, const char *file, long line)
{
	json_t *toks = json_object_get(row, "tokens");
	if (!json_is_array(toks))
		return imp_bad(st, file, line, "tokens", toks ? "not an array" : "missing");
	double *vals;
	size_t nv, nt = json_array_size(toks);
	if (imp_jnums(json_object_get(row, "values"), &vals, &nv) != 0)
		return imp_bad(st, file, line, "values", "missing or not an array of numbers");
	if (nv != nt) {
		free(vals);
		return imp_bad(st, file, line, "values", "%zu values for %zu tokens", nv, nt);
	}
	if (imp_fcheckv(st, file, line, "values", vals, nv) != 0) {
		free(vals);
		return -1;
	}
	if (nt > 1 << 20) {
		free(vals);
		return imp_bad(st, file, line, "tokens", "%zu tokens is too many for one context", nt);
	}
	const char **ts = xmalloc((nt ? nt : 1) * sizeof *ts);
	size_t *ls = xmalloc((nt ? nt : 1) * sizeof *ls);
	float *acts = xmalloc((nt ? nt : 1) * sizeof *acts);
	int rc = 0;
	for (size_t i = 0; i < nt; i++) {
		json_t *t = json_array_get(toks, i);
		if (!json_is_string(t)) {
			rc = imp_bad(st, file, line, "tokens", "element %zu is not a string", i);
			break;
		}
		ts[i] = json_string_value(t);
		ls[i] = json_string_length(t);
		acts[i] = isfinite(vals[i]) ? (float)vals[i] : 0.0f;
	}
	/* bins and the key token: numbers when present, else errors */
	double bmin = NAN, bmax = NAN, bfrac = NAN;
	int64_t key = -1;
	if (rc == 0 && (imp_field_num(st, row, bmin_key, &bmin, file, line) < 0 ||
			imp_field_num(st, row, bmax_key, &bmax, file, line) < 0 ||
			imp_field_num(st, row, bfrac_key, &bfrac, file, line) < 0 ||
			imp_field_int(st, row, key_key, &key, file, line) < 0))
		rc = -1;
	if (rc == 0 && (imp_fcheck(st, file, line, bmin_key, bmin) != 0 ||
			imp_fcheck(st, file, line, bmax_key, bmax) != 0 ||
			imp_fcheck(st, file, line, bfrac_key, bfrac) != 0))
		rc = -1;
	if (rc == 0 && (key < -1 || key >= (int64_t)nt))
		rc = imp_bad(st, file, line, key_key, "%lld is outside the %zu tokens", (long long)key, nt);
	if (rc == 0)
		rc = imp_np_example_core(st, idx, ts, ls, acts, (int)nt, bmin, bmax, bfrac, (int)key, source);
	free(ts);
	free(ls);
	free(acts);
	free(vals);
	return rc;
}

