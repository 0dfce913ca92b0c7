/*
 * read_saevis.c: sae_vis save_json output (2024 versions):
 * {feature_data_dict: {"<idx>": {acts_histogram_data{bar_heights,
 * bar_values, title}, logits_table_data{top_token_ids, top_logits,
 * bottom_token_ids, bottom_logits}, sequence_data{seq_group_data: [{title,
 * seq_data: [{token_ids, feat_acts, ...}]}]}, ...}}}. Tokens are ids: a
 * vocabulary file turns them into text, else they show as <id>. The first
 * sequence group ("TOP ACTIVATIONS") is the top group; the others are
 * titled "INTERVAL a - b<br>CONTAINS x%". The density comes from the
 * histogram's title ("DENSITY = x%") when it is there.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import/import_int.h"
#include "import/number.h"
#include "core/util.h"

/* Number following the first occurrence of key (case-insensitive). */
static double after(const char *s, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = s; p && *p; p++)
		if (strncasecmp(p, key, kl) == 0) {
			char *end;
			double d = strtod(p + kl, &end);
			return end == p + kl ? NAN : d;
		}
	return NAN;
}

static int sv_logits(imp_state *st, int64_t fid, json_t *tab, const char *ikey, const char *vkey,
		     int sign, const char *where)
{
	json_t *ids = json_object_get(tab, ikey), *vals = json_object_get(tab, vkey);
	if (!ids && !vals)
		return 0;
	double *a, *b;
	size_t na, nb;
	if (imp_jnums(ids, &a, &na) != 0)
		return imp_bad(st, where, 0, ikey, "expected an array of token ids");
	if (imp_jnums(vals, &b, &nb) != 0) {
		free(a);
		return imp_bad(st, where, 0, vkey, "expected an array of numbers");
	}
	int rc = imp_fcheckv(st, where, 0, vkey, b, nb);
	if (rc == 0 && na != nb)
		rc = imp_bad(st, where, 0, vkey, "%zu values for %zu token ids", nb, na);
	for (size_t i = 0; rc == 0 && i < na; i++) {
		char *t = imp_token_text(st, (int64_t)a[i]);
		if (index_writer_add_logit(st->w, fid, sign, (int)i, t, (float)b[i]) < 0)
			rc = imp_wfail(st, "logit");
		free(t);
	}
	free(a);
	free(b);
	return rc;
}

static int sv_group(imp_state *st, int64_t idx, json_t *grp, int first, const char *where)
{
	const char *title = json_string_value(json_object_get(grp, "title"));
	json_t *seqs = json_object_get(grp, "seq_data");
	if (!json_is_array(seqs))
		return imp_bad(st, where, 0, "seq_data", seqs ? "not an array" : "missing");
	double bmin = -1, bmax = NAN, frac = -1;
	if (!first || (title && strstr(title, "INTERVAL"))) {
		/* "INTERVAL 0.123 - 0.456<br>CONTAINS 12.345%" */
		bmin = title ? after(title, "INTERVAL") : NAN;
		const char *dash = title ? strstr(title, " - ") : NULL;
		bmax = dash ? strtod(dash + 3, NULL) : NAN;
		frac = title ? after(title, "CONTAINS") / 100.0 : NAN;
		if (imp_fcheck(st, where, 0, "title", bmin) != 0 || imp_fcheck(st, where, 0, "title", bmax) != 0 ||
		    imp_fcheck(st, where, 0, "title", frac) != 0)
			return -1;
		if (isnan(bmin) || bmin < 0)
			bmin = 0; /* an untitled group: an interval from 0 */
		if (isnan(frac))
			frac = -1;
	}
	for (size_t k = 0; k < json_array_size(seqs); k++) {
		json_t *sq = json_array_get(seqs, k);
		char *w2 = xasprintf("%s.seq_data[%zu]", where, k);
		double *ids = NULL, *acts = NULL;
		size_t ni, na;
		int rc = 0;
		if (imp_jnums(json_object_get(sq, "token_ids"), &ids, &ni) != 0)
			rc = imp_bad(st, w2, 0, "token_ids", "missing or not an array of numbers");
		else if (imp_jnums(json_object_get(sq, "feat_acts"), &acts, &na) != 0)
			rc = imp_bad(st, w2, 0, "feat_acts", "missing or not an array of numbers");
		else if (na != ni)
			rc = imp_bad(st, w2, 0, "feat_acts", "%zu activations for %zu tokens", na, ni);
		else
			rc = imp_fcheckv(st, w2, 0, "feat_acts", acts, na);
		if (rc == 0) {
			int64_t *tid = xmalloc((ni ? ni : 1) * sizeof *tid);
			float *fa = xmalloc((ni ? ni : 1) * sizeof *fa);
			for (size_t i = 0; i < ni; i++) {
				tid[i] = (int64_t)ids[i];
				fa[i] = (float)acts[i]; /* checked above */
			}
			/* the key token: the row's qualifying_token_index (the
			 * SAEDashboard fork writes it), else the window's centre,
			 * where sae_vis puts the token it picked the window for */
			int64_t key = -1;
			if (imp_field_int(st, sq, "qualifying_token_index", &key, w2, 0) < 0)
				rc = -1;
			else if (key < -1 || key >= (int64_t)ni)
				rc = imp_bad(st, w2, 0, "qualifying_token_index", "%lld is outside the %zu tokens", (long long)key, ni);
			if (key < 0 && ni > 0 && fa[(ni - 1) / 2] > 0)
				key = (int64_t)(ni - 1) / 2;
			int64_t ctx = rc ? -1 : imp_context_ids(st, tid, (int)ni, NULL);
			if (rc == 0)
				rc = ctx < 0 ? -1 : imp_example(st, idx, bmin, isnan(bmax) ? bmin : bmax, frac, ctx, fa, (int)ni, (int)key);
			free(tid);
			free(fa);
		}
		free(ids);
		free(acts);
		free(w2);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int sv_feature(imp_state *st, int64_t idx, json_t *fd, const char *where)
{
	fs_feature f;
	imp_feature_init(&f);
	json_t *hist = json_object_get(fd, "acts_histogram_data");
	if (hist) {
		double *c = NULL, *h = NULL;
		size_t nc, nh;
		if (imp_jnums(json_object_get(hist, "bar_values"), &c, &nc) != 0 ||
		    imp_jnums(json_object_get(hist, "bar_heights"), &h, &nh) != 0 || nc != nh) {
			free(c);
			free(h);
			return imp_bad(st, where, 0, "acts_histogram_data", "bar_values and bar_heights must be arrays of one length");
		}
		if (imp_fcheckv(st, where, 0, "acts_histogram_data.bar_values", c, nc) != 0 ||
		    imp_fcheckv(st, where, 0, "acts_histogram_data.bar_heights", h, nh) != 0) {
			free(c);
			free(h);
			return -1;
		}
		imp_hist(&f, c, h, (int)nc);
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
		const char *title = json_string_value(json_object_get(hist, "title"));
		double d = title ? after(title, "DENSITY = ") : NAN;
		if (!isnan(d) && d >= 0 && d <= 100)
			f.density = d / 100.0;
	}
	json_t *seq = json_object_get(fd, "sequence_data");
	json_t *groups = json_is_array(seq) ? seq : json_object_get(seq, "seq_group_data");
	if (seq && !json_is_array(groups))
		return imp_bad(st, where, 0, "sequence_data.seq_group_data", "not an array");
	/* max activation over the examples */
	double mx = NAN;
	for (size_t g = 0; g < json_array_size(groups); g++) {
		json_t *seqs = json_object_get(json_array_get(groups, g), "seq_data");
		for (size_t k = 0; k < json_array_size(seqs); k++) {
			json_t *a = json_object_get(json_array_get(seqs, k), "feat_acts");
			for (size_t i = 0; i < json_array_size(a); i++) {
				json_t *v = json_array_get(a, i);
				if (json_is_number(v) && (isnan(mx) || json_number_value(v) > mx))
					mx = json_number_value(v);
			}
		}
	}
	if (!isnan(mx))
		f.max_act = mx;
	int64_t fid = imp_feature(st, idx, &f);
	if (fid < 0)
		return -1;
	json_t *ft = json_object_get(fd, "feature_tables_data");
	json_t *lh = json_object_get(fd, "logits_histogram_data");
	if (imp_tables(st, fid, ft, where, 0) != 0 ||
	    imp_table(st, fid, lh, "logits_hist", NULL, "bar_values", "bar_heights", where, 0) != 0)
		return -1;
	json_t *lt = json_object_get(fd, "logits_table_data");
	if (sv_logits(st, fid, lt, "top_token_ids", "top_logits", +1, where) != 0 ||
	    sv_logits(st, fid, lt, "bottom_token_ids", "bottom_logits", -1, where) != 0)
		return -1;
	for (size_t g = 0; g < json_array_size(groups); g++) {
		char *w2 = xasprintf("%s.sequence_data.seq_group_data[%zu]", where, g);
		int rc = sv_group(st, idx, json_array_get(groups, g), g == 0, w2);
		free(w2);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* One member of feature_data_dict (streamed by imp_json_stream). */
static int sv_member(imp_state *st, void *ctx, json_t *top, size_t i, const char *key, json_t *fd,
		     long line)
{
	const char *path = ctx;
	(void)top;
	int64_t idx;
	char *where = line > 0 ? xasprintf("%s:%ld", path, line) : xstrdup(path);
	int rc;
	if (!key) {
		rc = imp_bad(st, where, 0, "feature_data_dict", "an array, expected an object {\"<index>\": {...}}");
	} else if (fs_parse_i64(key, &idx) != 0 || idx < 0) {
		rc = imp_bad(st, where, 0, "feature_data_dict", "key '%s' is not a feature number", key);
	} else {
		char *w2 = xasprintf("%s: feature_data_dict.%s", where, key);
		if (!json_is_object(fd))
			rc = imp_bad(st, w2, 0, "feature", "not an object");
		else
			rc = sv_feature(st, idx, fd, w2);
		free(w2);
	}
	free(where);
	imp_progress(st, path, (int64_t)i + 1, 0);
	return rc;
}

/* The whole file, streamed one feature at a time: memory holds the text
 * (mapped) and one feature's tree. */
static int read_saevis(imp_state *st, const char *path)
{
	fs_sae s = {0};
	s.name = (char *)"sae_vis";
	s.source_format = (char *)"sae_vis";
	s.layer = -1; /* the file does not say */
	if (imp_add_sae(st, &s) != 0)
		return -1;
	json_t *top = NULL;
	int found = 0;
	int rc = imp_json_stream(st, path, "feature_data_dict", sv_member, (void *)path, &top, &found);
	if (rc == 0 && !found)
		rc = imp_bad(st, path, 0, "feature_data_dict",
			     json_object_get(top, "feature_data_dict") ? "not an object" : "missing (not sae_vis output?)");
	else if (rc == 0 && st->n_features == 0)
		rc = imp_bad(st, path, 0, "feature_data_dict", "empty: no features");
	if (top)
		json_decref(top);
	return rc;
}

/* {feature_data_dict: {...}} */
static int sniff_saevis(const imp_sniff *s)
{
	return !s->is_dir && imp_sniff_has(s, "feature_data_dict") ? 2 : 0;
}

const imp_reader imp_reader_saevis = {
	"sae_vis", "saevis", "sae_vis save_json output {feature_data_dict: {\"<index>\": {...}}}",
	sniff_saevis, read_saevis,
};
