/*
 * read_saedashboard.c: SAEDashboard's Neuronpedia runner output,
 * batch-N.json = {model_id, layer, sae_set, sae_id_suffix?, features: [...]}
 * where each feature carries the statistics fields of a Neuronpedia feature
 * row (snake_case) and activations[] of {tokens, values, bin_min, bin_max,
 * bin_contains, qualifying_token_index, ...}; bin_min == -1 is the top
 * group, qualifying_token_index the example's key token. Accepts one
 * file, a folder of batch files (one dictionary) or a single feature
 * object (feature.json: feature_index and activations at the top level). Each file is one JSON document,
 * so errors name a JSON path (features[3].activations[2]) in place of a
 * line number.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import_int.h"
#include "import/number.h"
#include "core/util.h"

static int sd_sae(imp_state *st, json_t *root, const char *path)
{
	if (st->sae)
		return 0;
	fs_sae s = {0};
	int64_t lv = -1;
	const char *set = NULL, *suffix = NULL, *model = NULL;
	if (imp_field_int(st, root, "layer", &lv, path, 0) < 0 || imp_field_str(st, root, "sae_set", &set, path, 0) < 0 ||
	    imp_field_str(st, root, "sae_id_suffix", &suffix, path, 0) < 0 ||
	    imp_field_str(st, root, "model_id", &model, path, 0) < 0)
		return -1;
	if (lv < -1 || lv > 100000)
		return imp_bad(st, path, 0, "layer", "%lld is not a layer number", (long long)lv);
	int layer = (int)lv;
	char *name = NULL;
	if (set && layer >= 0)
		name = suffix && *suffix ? xasprintf("%d-%s-%s", layer, set, suffix) : xasprintf("%d-%s", layer, set);
	s.name = name ? name : (char *)"saedashboard";
	s.model = (char *)model;
	s.layer = layer;
	s.source_format = (char *)"saedashboard";
	int rc = imp_add_sae(st, &s);
	free(name);
	return rc;
}

/* Set once the token count of the input has been given to the writer. */
static int counted;

/* What the feature callback needs. */
typedef struct {
	const char *path;   /* the batch file */
	int single;         /* the file is one feature object (feature.json) */
	size_t n;           /* feature objects read */
} sd_ctx;

/* One feature object of features[] (streamed by imp_json_stream), or the
 * whole document when it is a single feature. */
static int sd_feature(imp_state *st, void *ctx, json_t *top, size_t i, const char *key, json_t *fe,
		      long line)
{
	sd_ctx *c = ctx;
	const char *path = c->path;
	c->n++;
	if (key)
		return imp_bad(st, path, line, "features", "an object, expected an array of feature objects");
	if (sd_sae(st, top, path) != 0)
		return -1;
	/* where: "FILE:LINE: features[i]" (the line where the feature starts) */
	char *where = c->single ? xstrdup(path)
		      : line > 0 ? xasprintf("%s:%ld: features[%zu]", path, line, i)
				 : xasprintf("%s: features[%zu]", path, i);
	int rc = 0;
	if (!json_is_object(fe)) {
		rc = imp_bad(st, where, 0, "feature", "not an object");
		free(where);
		return rc;
	}
	int64_t idx = imp_np_index(st, fe, "feature_index", where, 0);
	json_t *acts = json_object_get(fe, "activations");
	if (idx >= 0 && acts && !json_is_array(acts))
		rc = imp_bad(st, where, 0, "activations", "not an array");
	else if (idx < 0)
		rc = -1;
	/* the largest activation over its examples stands in for max_act */
	double mx = NAN;
	for (size_t k = 0; rc == 0 && k < json_array_size(acts); k++) {
		json_t *vals = json_object_get(json_array_get(acts, k), "values");
		for (size_t j = 0; j < json_array_size(vals); j++) {
			json_t *v = json_array_get(vals, j);
			if (json_is_number(v) && (isnan(mx) || json_number_value(v) > mx))
				mx = json_number_value(v);
		}
	}
	if (rc == 0 && imp_fcheck(st, where, 0, "activations.values", mx) != 0)
		rc = -1;
	if (rc == 0 && imp_np_feature(st, fe, idx, mx, where, 0) < 0)
		rc = -1;
	/* the tokens the statistics were computed over, once per input */
	double np = imp_jnum(fe, "n_prompts_total"), nt = imp_jnum(fe, "n_tokens_in_prompt");
	if (rc == 0 && !counted && np > 0 && nt > 0 && np * nt < 9e18) {
		index_writer_count_tokens(st->w, (int64_t)(np * nt));
		counted = 1;
	}
	const char *src = json_string_value(json_object_get(fe, "dataset"));
	if (!src)
		src = json_string_value(json_object_get(top, "dataset"));
	for (size_t k = 0; rc == 0 && k < json_array_size(acts); k++) {
		json_t *a = json_array_get(acts, k);
		char *w2 = xasprintf("%s.activations[%zu]", where, k);
		if (!json_is_object(a))
			rc = imp_bad(st, w2, 0, "activation", "not an object");
		else
			rc = imp_np_example(st, idx, a, "bin_min", "bin_max", "bin_contains", "qualifying_token_index", src,
					    w2, 0);
		free(w2);
	}
	free(where);
	imp_progress(st, path, (int64_t)i + 1, 0);
	return rc;
}

/* One batch file, streamed feature by feature: memory holds the file's
 * text (mapped) and one feature's tree. */
static int sd_doc(imp_state *st, const char *path)
{
	json_t *top = NULL;
	int found = 0;
	sd_ctx c = {path, 0, 0};
	int rc = imp_json_stream(st, path, "features", sd_feature, &c, &top, &found);
	if (rc == 0 && !found && json_object_get(top, "feature_index")) {
		/* one feature object, no batch around it (feature.json) */
		c.single = 1;
		rc = sd_feature(st, &c, top, 0, NULL, top, 0);
	} else if (rc == 0 && !found) {
		rc = imp_bad(st, path, 0, "features", json_object_get(top, "features") ? "not an array"
				: "missing (not an SAEDashboard batch or feature?)");
	} else if (rc == 0 && c.n == 0) {
		rc = imp_bad(st, path, 0, "features", "empty: the batch holds no feature objects");
	}
	if (top)
		json_decref(top);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	long nx = strtol(x + 6, NULL, 10), ny = strtol(y + 6, NULL, 10);
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x, y);
}

static int read_saedashboard(imp_state *st, const char *path)
{
	counted = 0;
	struct stat sb;
	if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))
		return sd_doc(st, path);
	DIR *d = opendir(path);
	if (!d)
		return imp_bad(st, path, 0, "open", "cannot read the folder");
	char **names = NULL;
	int n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, "batch-", 6) != 0 || l < 11 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, (size_t)cap * sizeof *names);
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, (size_t)n, sizeof *names, name_cmp);
	int rc = n ? 0 : imp_bad(st, path, 0, "batch", "no batch-N.json files");
	for (int i = 0; i < n; i++) {
		if (rc == 0) {
			char *p = xasprintf("%s/%s", path, names[i]);
			rc = sd_doc(st, p);
			free(p);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* "batch-N.json" */
static int is_batch_name(const char *n)
{
	size_t l = strlen(n);
	return l > 11 && !strncmp(n, "batch-", 6) && !strcmp(n + l - 5, ".json");
}

/* A batch {features: [{feature_index, ...}]}, or a folder of batch-N.json. */
static int sniff_saedashboard(const imp_sniff *s)
{
	if (s->is_dir)
		return imp_dir_count(s->path, is_batch_name, 0) > 0;
	if (imp_sniff_has(s, "features") && (imp_sniff_elem_has(s, "feature_index") || imp_sniff_has(s, "model_id")))
		return 2;
	return imp_sniff_has(s, "feature_index") && imp_sniff_has(s, "activations") ? 2 : 0;
}

const imp_reader imp_reader_saedashboard = {
	"saedashboard", NULL, "an SAEDashboard batch {model_id, layer, features: [{feature_index, activations}]}",
	sniff_saedashboard, read_saedashboard,
};
