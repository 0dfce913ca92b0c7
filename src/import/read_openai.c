/*
 * read_openai.c: the OpenAI sparse_autoencoder viewer's per-feature JSON,
 * {density, mean_act, mean_act_squared, hist{bin: count}, top[], random[]},
 * each sequence {act, acts[], tokens[], token_ints[], ...}. A folder of
 * <index>.json files (one dictionary) or a single file (its index from the
 * file name, else 0). top[] becomes the top group; random[] one interval
 * spanning the random samples' activations. The per-token logit fields
 * (top_upvote_tokens_logits / top_upvotes_logits and the downvote pair)
 * hold one list per token: the lists at the key token of the strongest
 * top sequence that has them are the feature's logit effects.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import_int.h"
#include "import/number.h"
#include "core/number.h"
#include "core/util.h"

/* Index from a file name "123.json" (or any leading digits), -1 if none. */
static int64_t name_index(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (!(*b >= '0' && *b <= '9'))
		return -1;
	return strtoll(b, NULL, 10);
}

/* The per-token logit lists of a sequence: tkey (token strings) and vkey
 * (values), each one list per token (ntok lists). 0 absent, 1 present and
 * well formed, -1 an error. */
static int oa_token_lists(imp_state *st, json_t *sq, const char *tkey, const char *vkey, size_t ntok,
			  const char *where)
{
	json_t *t = json_object_get(sq, tkey), *v = json_object_get(sq, vkey);
	if (!t && !v)
		return 0;
	if (!json_is_array(t) || !json_is_array(v))
		return imp_bad(st, where, 0, json_is_array(t) ? vkey : tkey, "expected one list per token");
	if (json_array_size(t) != ntok || json_array_size(v) != ntok)
		return imp_bad(st, where, 0, json_array_size(t) != ntok ? tkey : vkey,
			       "%zu lists for %zu tokens (one list per token)",
			       json_array_size(json_array_size(t) != ntok ? t : v), ntok);
	for (size_t i = 0; i < ntok; i++) {
		json_t *ti = json_array_get(t, i), *vi = json_array_get(v, i);
		if (!json_is_array(ti) || !json_is_array(vi))
			return imp_bad(st, where, 0, json_is_array(ti) ? vkey : tkey,
				       "element %zu is not a list (one list per token)", i);
		if (json_array_size(ti) != json_array_size(vi))
			return imp_bad(st, where, 0, vkey, "token %zu: %zu values for %zu tokens in %s", i,
				       json_array_size(vi), json_array_size(ti), tkey);
		for (size_t j = 0; j < json_array_size(ti); j++)
			if (!json_is_string(json_array_get(ti, j)) || !json_is_number(json_array_get(vi, j)))
				return imp_bad(st, where, 0, json_is_string(json_array_get(ti, j)) ? vkey : tkey,
					       "token %zu, element %zu: not a %s", i, j,
					       json_is_string(json_array_get(ti, j)) ? "number" : "token string");
	}
	return 1;
}

/* The feature's logit effects: the lists at the key token (the strongest)
 * of its strongest top sequence that has them. */
static int oa_logits(imp_state *st, int64_t fid, json_t *top, const char *where)
{
	json_t *best = NULL;
	size_t best_pos = 0;
	double best_act = -INFINITY;
	for (size_t k = 0; k < json_array_size(top); k++) {
		json_t *sq = json_array_get(top, k);
		char *w2 = xasprintf("%s.top[%zu]", where, k);
		double *acts = NULL;
		size_t na = 0;
		int rc = 0, have = 0;
		if (json_is_object(sq) && imp_jnums(json_object_get(sq, "acts"), &acts, &na) == 0) {
			int a = oa_token_lists(st, sq, "top_upvote_tokens_logits", "top_upvotes_logits", na, w2);
			int b = a < 0 ? -1 : oa_token_lists(st, sq, "top_downvote_tokens_logits", "top_downvotes_logits", na, w2);
			rc = a < 0 || b < 0 ? -1 : 0;
			have = a > 0 || b > 0;
		}
		if (rc == 0 && have && na) {
			size_t p = 0;
			for (size_t i = 1; i < na; i++)
				if (acts[i] > acts[p])
					p = i;
			if (acts[p] > best_act) {
				best_act = acts[p];
				best = sq;
				best_pos = p;
			}
		}
		free(acts);
		free(w2);
		if (rc != 0)
			return -1;
	}
	if (!best)
		return 0;
	static const char *const keys[2][2] = {{"top_upvote_tokens_logits", "top_upvotes_logits"},
					       {"top_downvote_tokens_logits", "top_downvotes_logits"}};
	for (int s = 0; s < 2; s++) {
		json_t *t = json_array_get(json_object_get(best, keys[s][0]), best_pos);
		json_t *v = json_array_get(json_object_get(best, keys[s][1]), best_pos);
		for (size_t j = 0; j < json_array_size(t); j++) {
			char *txt = imp_token_str(st, json_string_value(json_array_get(t, j)));
			int r = index_writer_add_logit(st->w, fid, s ? -1 : 1, (int)j, txt, (float)json_number_value(json_array_get(v, j)));
			free(txt);
			if (r < 0)
				return imp_wfail(st, "logit");
		}
	}
	return 0;
}

static int oa_seqs(imp_state *st, int64_t idx, json_t *arr, int top, const char *where)
{
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return imp_bad(st, where, 0, top ? "top" : "random", "not an array");
	/* bounds of the random group: its activations' range */
	double lo = INFINITY, hi = -INFINITY;
	if (!top)
		for (size_t k = 0; k < json_array_size(arr); k++) {
			double a = imp_jnum(json_array_get(arr, k), "act");
			if (imp_fcheck(st, where, 0, "random.act", a) != 0)
				return -1;
			if (!isnan(a)) {
				lo = a < lo ? a : lo;
				hi = a > hi ? a : hi;
			}
		}
	if (!(lo <= hi))
		lo = hi = 0;
	size_t limit = top && st->o->top_k > 0 ? (size_t)st->o->top_k : (size_t)-1;
	for (size_t k = 0; k < json_array_size(arr) && k < limit; k++) {
		json_t *sq = json_array_get(arr, k);
		char *w2 = xasprintf("%s.%s[%zu]", where, top ? "top" : "random", k);
		json_t *toks = json_object_get(sq, "tokens");
		double *acts = NULL;
		size_t na;
		int rc = 0;
		if (!json_is_array(toks))
			rc = imp_bad(st, w2, 0, "tokens", toks ? "not an array" : "missing");
		else if (imp_jnums(json_object_get(sq, "acts"), &acts, &na) != 0)
			rc = imp_bad(st, w2, 0, "acts", "missing or not an array of numbers");
		else if (na != json_array_size(toks))
			rc = imp_bad(st, w2, 0, "acts", "%zu activations for %zu tokens", na, json_array_size(toks));
		else
			rc = imp_fcheckv(st, w2, 0, "acts", acts, na);
		if (rc == 0) {
			const char **ts = xmalloc((na ? na : 1) * sizeof *ts);
			size_t *ls = xmalloc((na ? na : 1) * sizeof *ls);
			float *fa = xmalloc((na ? na : 1) * sizeof *fa);
			for (size_t i = 0; i < na && rc == 0; i++) {
				json_t *t = json_array_get(toks, i);
				if (!json_is_string(t))
					rc = imp_bad(st, w2, 0, "tokens", "element %zu is not a string", i);
				ts[i] = json_string_value(t);
				ls[i] = json_string_length(t);
				fa[i] = (float)acts[i]; /* checked above */
			}
			if (rc == 0) {
				int64_t ctx = imp_context(st, ts, ls, (int)na, NULL);
				rc = ctx < 0 ? -1 : imp_example(st, idx, top ? -1 : lo, top ? -1 : hi, -1, ctx, fa, (int)na, -1);
			}
			free(ts);
			free(ls);
			free(fa);
		}
		free(acts);
		free(w2);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int oa_file(imp_state *st, const char *path, int64_t idx)
{
	json_t *root = imp_load_json(st, path);
	if (!root)
		return -1;
	int rc = 0;
	if (!json_is_object(root)) {
		rc = imp_bad(st, path, 0, "top level", "not a JSON object");
		goto out;
	}
	if (!st->sae) {
		fs_sae s = {0};
		s.name = (char *)"openai";
		s.source_format = (char *)"openai";
		s.layer = -1; /* the files do not say */
		if (imp_add_sae(st, &s) != 0) {
			rc = -1;
			goto out;
		}
	}
	json_t *tv = json_object_get(root, "top"), *rv = json_object_get(root, "random");
	if (!tv && !rv) {
		rc = imp_bad(st, path, 0, "top", "missing (not an OpenAI sparse_autoencoder viewer feature?)");
		goto out;
	}
	fs_feature f;
	imp_feature_init(&f);
	double d = imp_jnum(root, "density");
	if (imp_fcheck(st, path, 0, "density", d) != 0 ||
	    imp_fcheck(st, path, 0, "mean_act", imp_jnum(root, "mean_act")) != 0) {
		rc = -1;
		goto out;
	}
	if (!isnan(d)) {
		if (d < 0 || d > 1) {
			rc = imp_bad(st, path, 0, "density", "%g is not a fraction", d);
			goto out;
		}
		f.density = d;
	}
	d = imp_jnum(root, "mean_act");
	if (!isnan(d))
		f.mean_act = d;
	json_t *top = json_object_get(root, "top");
	double mx = NAN;
	for (size_t k = 0; k < json_array_size(top); k++) {
		double a = imp_jnum(json_array_get(top, k), "act");
		if (imp_fcheck(st, path, 0, "top.act", a) != 0) {
			rc = -1;
			goto out;
		}
		if (!isnan(a) && (isnan(mx) || a > mx))
			mx = a;
	}
	if (!isnan(mx))
		f.max_act = mx;
	json_t *hist = json_object_get(root, "hist");
	if (hist && !json_is_object(hist)) {
		rc = imp_bad(st, path, 0, "hist", "expected an object {bin: count}");
		goto out;
	}
	size_t nh = json_object_size(hist), k = 0;
	if (nh) {
		double *c = xmalloc(nh * sizeof *c), *h = xmalloc(nh * sizeof *h);
		const char *key;
		json_t *v;
		json_object_foreach(hist, key, v) {
			char *end;
			c[k] = strtod(key, &end);
			h[k] = json_is_number(v) ? json_number_value(v) : 0;
			if (end != key && (!number_float_ok(c[k]) || !number_float_ok(h[k]))) {
				rc = imp_bad(st, path, 0, "hist", "bin '%s': %g: not a number that fits a 32-bit float",
					     key, number_float_ok(c[k]) ? h[k] : c[k]);
				break;
			}
			if (end != key)
				k++;
		}
		if (rc != 0) {
			free(c);
			free(h);
			goto out;
		}
		/* sort bins by position (object order is not guaranteed) */
		for (size_t i = 1; i < k; i++)
			for (size_t j = i; j > 0 && c[j - 1] > c[j]; j--) {
				double t = c[j];
				c[j] = c[j - 1];
				c[j - 1] = t;
				t = h[j];
				h[j] = h[j - 1];
				h[j - 1] = t;
			}
		imp_hist(&f, c, h, (int)k);
		free(c);
		free(h);
	}
	int64_t fid = imp_feature(st, idx, &f);
	if (fid < 0) {
		rc = st->runtime ? -1 : imp_bad(st, path, 0, "index", "%lld is out of range", (long long)idx);
		goto out;
	}
	rc = oa_logits(st, fid, top, path);
	if (rc == 0)
		rc = oa_seqs(st, idx, top, 1, path);
	if (rc == 0)
		rc = oa_seqs(st, idx, json_object_get(root, "random"), 0, path);
out:
	json_decref(root);
	return rc;
}

static int idx_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int read_openai(imp_state *st, const char *path)
{
	struct stat sb;
	if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		int64_t idx = name_index(path);
		return oa_file(st, path, idx < 0 ? 0 : idx);
	}
	DIR *d = opendir(path);
	if (!d)
		return imp_bad(st, path, 0, "open", "cannot read the folder");
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		int64_t i = name_index(e->d_name);
		if (i < 0 || l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = xrealloc(ids, cap * sizeof *ids);
		}
		ids[n++] = i;
	}
	closedir(d);
	if (n)
		qsort(ids, n, sizeof *ids, idx_cmp);
	int rc = n ? 0 : imp_bad(st, path, 0, "feature", "no <index>.json files");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *p = xasprintf("%s/%lld.json", path, (long long)ids[i]);
		rc = oa_file(st, p, ids[i]);
		free(p);
		imp_progress(st, path, (int64_t)i + 1, (int64_t)n);
	}
	free(ids);
	return rc;
}

/* "<digits>.json" */
static int is_feature_name(const char *n)
{
	size_t l = strlen(n);
	return l > 5 && name_index(n) >= 0 && strspn(n, "0123456789") == l - 5 && !strcmp(n + l - 5, ".json");
}

/* {top: [...], mean_act or random}, or a folder of <index>.json. */
static int sniff_openai(const imp_sniff *s)
{
	if (s->is_dir)
		return imp_dir_count(s->path, is_feature_name, 0) > 0;
	return imp_sniff_has(s, "top") && (imp_sniff_has(s, "mean_act") || imp_sniff_has(s, "random")) ? 2 : 0;
}

const imp_reader imp_reader_openai = {
	"openai", NULL, "an OpenAI sparse_autoencoder viewer feature {density, mean_act, top: [...], random: [...]}",
	sniff_openai, read_openai,
};
