/*
 * index_read.c: the read side's queries about features on an open
 * fs_index: by name and by id, sorted and filtered pages, keyset paging and
 * ranks for the browser, every feature's mass for the concept probe,
 * logits, neighbours, the cluster tree and full-text search. Examples and
 * contexts are in index_context.c, the engines' bulk reads (decoders,
 * co-firing counts, context hashes, live model files) in index_bulk.c. Every statement is SQL on the
 * connection opened in index_schema.c.
 */
#include "config.h"
#include "index/index_int.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t index_feature_id(fs_index *ix, int sae, int64_t idx)
{
	sqlite3_stmt *s = index_rstmt(ix, R_FEATURE_ID);
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, sae);
	sqlite3_bind_int64(s, 2, idx);
	int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return id;
}

int64_t index_resolve(fs_index *ix, const char *name, char *err, size_t errlen)
{
	int64_t n, id;
	if (name[0] == '#') {
		fs_feature f;
		if (fs_parse_i64(name + 1, &n) != 0 || index_feature(ix, n, &f) != 0)
			return fs_seterr(err, errlen, "%s: no such feature", name);
		index_feature_free(&f);
		return n;
	}
	const char *slash = strrchr(name, '/');
	if (slash) {
		char *sname = xstrndup(name, (size_t)(slash - name));
		const fs_sae *d = index_sae_by_name(ix, sname);
		free(sname);
		if (!d)
			return fs_seterr(err, errlen, "%s: no dictionary named '%.*s' in %s", name,
					 (int)(slash - name), name, ix->path);
		if (fs_parse_i64(slash + 1, &n) != 0)
			return fs_seterr(err, errlen, "%s: not a feature name (N or SAE/N)", name);
		id = index_feature_id(ix, d->id, n);
		if (id < 0)
			return fs_seterr(err, errlen, "%s: no such feature", name);
		return id;
	}
	if (fs_parse_i64(name, &n) != 0)
		return fs_seterr(err, errlen, "%s: not a feature name (N or SAE/N)", name);
	if (ix->n_saes > 0) {
		id = index_feature_id(ix, ix->saes[0].id, n);
		if (id >= 0)
			return id;
	}
	sqlite3_stmt *s = index_rstmt(ix, R_IDX_ANY);
	if (s) {
		sqlite3_bind_int64(s, 1, n);
		id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
		sqlite3_reset(s);
		if (id >= 0)
			return id;
	}
	return fs_seterr(err, errlen, "%s: no such feature", name);
}

static double col_real_or_nan(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* Fill a feature from a row laid out as R_FEATURE's columns. */
static void feature_from_row(sqlite3_stmt *s, fs_feature *f)
{
	memset(f, 0, sizeof *f);
	f->id = sqlite3_column_int64(s, 0);
	f->sae = sqlite3_column_int(s, 1);
	f->idx = sqlite3_column_int64(s, 2);
	f->label = index_col_strdup(s, 3);
	f->label_source = index_col_strdup(s, 4);
	f->density = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_double(s, 5);
	f->max_act = col_real_or_nan(s, 6);
	f->mean_act = col_real_or_nan(s, 7);
	f->act_mass = sqlite3_column_double(s, 8);
	f->n_examples = sqlite3_column_int64(s, 9);
	f->cluster = sqlite3_column_int64(s, 10);
	f->map_x = col_real_or_nan(s, 11);
	f->map_y = col_real_or_nan(s, 12);
	if (sqlite3_column_bytes(s, 13) == 8 + 4 * FS_HIST_BINS) {
		const uint8_t *b = sqlite3_column_blob(s, 13);
		memcpy(&f->hist_lo, b, 4);
		memcpy(&f->hist_hi, b + 4, 4);
		memcpy(f->hist, b + 8, 4 * FS_HIST_BINS);
	}
}

int index_hist_extent(const fs_feature *f, double *lo, double *hi)
{
	int nb = 0;
	for (int i = 0; i < FS_HIST_BINS; i++)
		if (f->hist[i])
			nb = i + 1;
	if (!nb || !(f->hist_hi > f->hist_lo) || !isfinite(f->hist_hi) || !isfinite(f->hist_lo))
		return 0;
	*lo = f->hist_lo;
	*hi = f->hist_lo + ((double)f->hist_hi - f->hist_lo) * nb / FS_HIST_BINS;
	return nb;
}

double index_hist_share(const fs_feature *f, double lo, double hi)
{
	double a, b;
	if (!index_hist_extent(f, &a, &b))
		return -1;
	double w = ((double)f->hist_hi - f->hist_lo) / FS_HIST_BINS, in = 0, all = 0;
	for (int i = 0; i < FS_HIST_BINS; i++) {
		double s = f->hist_lo + w * i, e = s + w;
		double ov = (hi < e ? hi : e) - (lo > s ? lo : s);
		all += f->hist[i];
		if (ov > 0)
			in += f->hist[i] * (ov >= w ? 1 : ov / w);
	}
	return all > 0 ? in / all : -1;
}

int index_feature(fs_index *ix, int64_t fid, fs_feature *f)
{
	sqlite3_stmt *s = index_rstmt(ix, R_FEATURE);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	int rc = -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		feature_from_row(s, f);
		rc = 0;
	}
	sqlite3_reset(s);
	return rc;
}

int index_label_is_position(const char *label, const char *label_source)
{
	size_t n = strlen(FS_POSITION_PREFIX);
	return label && label_source && strcmp(label_source, "auto") == 0 &&
	       strncmp(label, FS_POSITION_PREFIX, n) == 0 && label[n] >= '0' &&
	       label[n] <= '9';
}

int index_feature_is_position(fs_index *ix, int64_t fid)
{
	fs_feature f;
	if (index_feature(ix, fid, &f) < 0)
		return 0;
	int r = index_label_is_position(f.label, f.label_source);
	index_feature_free(&f);
	return r;
}

char *index_feature_description(fs_index *ix, int64_t fid)
{
	/* indexes built before the descriptions table have none: the
	 * statement does not prepare, and that is not an error */
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(ix->db, "SELECT text FROM descriptions WHERE feature = ?", -1, &s,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return NULL;
	}
	sqlite3_bind_int64(s, 1, fid);
	char *out = NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) > 0)
		out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

void index_feature_free(fs_feature *f)
{
	free(f->label);
	free(f->label_source);
	f->label = f->label_source = NULL;
}

const char *index_feature_name(fs_index *ix, int64_t fid, char *out, size_t outlen)
{
	fs_feature f;
	if (index_feature(ix, fid, &f) != 0) {
		snprintf(out, outlen, "#%lld", (long long)fid);
		return out;
	}
	const fs_sae *d = index_sae_by_id(ix, f.sae);
	if (ix->n_saes <= 1 || !d)
		snprintf(out, outlen, "%lld", (long long)f.idx);
	else
		snprintf(out, outlen, "%s/%lld", d->name, (long long)f.idx);
	index_feature_free(&f);
	return out;
}

static const char *const sort_cols[5] = {"idx", "label COLLATE NOCASE", "density", "max_act", "cluster"};

static const char feature_cols[] =
	"id, sae, idx, label, label_source, density, max_act, mean_act, act_mass,"
	" n_examples, cluster, map_x, map_y, hist";

/* The sort column's SQL: the label order reads the user's own label,
 * where there is one, in place of the index's. */
static const char *sort_col(const fs_index *ix, fs_sort sort)
{
	if (sort == FS_SORT_LABEL && ix->user_labels)
		return "coalesce((SELECT u.label FROM temp.user_labels u WHERE u.fid = features.id"
		       " AND u.label <> ''), label) COLLATE NOCASE";
	return sort_cols[sort];
}

/* The label a feature sorts by: the user's (malloc'd) or NULL. */
static char *user_label_of(fs_index *ix, int64_t fid)
{
	if (!ix->user_labels)
		return NULL;
	sqlite3_stmt *s = NULL;
	char *out = NULL;
	if (sqlite3_prepare_v2(ix->db, "SELECT label FROM temp.user_labels WHERE fid = ? AND label <> ''", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, fid);
		if (sqlite3_step(s) == SQLITE_ROW)
			out = index_col_strdup(s, 0);
	}
	sqlite3_finalize(s);
	return out;
}

int index_set_user_labels(fs_index *ix, int n, const int64_t *fids, const char *const *labels,
			  const char *const *tags)
{
	if (sqlite3_exec(ix->db,
			 "CREATE TEMP TABLE IF NOT EXISTS user_labels(fid INTEGER PRIMARY KEY, label TEXT, tags TEXT);"
			 "DELETE FROM temp.user_labels;",
			 NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(ix->db, "INSERT OR REPLACE INTO temp.user_labels VALUES (?, ?, ?)", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_exec(ix->db, "BEGIN", NULL, NULL, NULL);
	for (int i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, fids[i]);
		sqlite3_bind_text(s, 2, labels[i] ? labels[i] : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, tags[i] ? tags[i] : "", -1, SQLITE_TRANSIENT);
		sqlite3_step(s);
	}
	sqlite3_finalize(s);
	sqlite3_exec(ix->db, "COMMIT", NULL, NULL, NULL);
	int was = ix->user_labels;
	ix->user_labels = n > 0;
	if (was != ix->user_labels) {
		/* the cached paging statements were made with the other SQL */
		sqlite3_stmt **pg = &ix->page[0][0][0][0];
		for (size_t i = 0; i < sizeof ix->page / sizeof *pg; i++) {
			sqlite3_finalize(pg[i]);
			pg[i] = NULL;
		}
		sqlite3_stmt **ct = &ix->count[0][0];
		for (size_t i = 0; i < sizeof ix->count / sizeof *ct; i++) {
			sqlite3_finalize(ct[i]);
			ct[i] = NULL;
		}
	}
	return 0;
}

int index_feature_page(fs_index *ix, int sae, fs_sort sort, int desc,
		       const char *filter, int64_t offset, int limit, fs_feature *out)
{
	if ((int)sort < 0 || sort > FS_SORT_CLUSTER)
		sort = FS_SORT_ID;
	int all = sae == 0, filt = index_filter_kind(ix, filter);
	desc = !!desc;
	sqlite3_stmt **sp = &ix->page[all][sort][desc][filt];
	if (!*sp) {
		const char *dir = desc ? "DESC" : "ASC";
		char *sql = xasprintf("SELECT %s FROM features WHERE %s %s %s"
				      " ORDER BY %s %s, sae %s, idx %s LIMIT ?4 OFFSET ?5",
				      feature_cols, index_filter_where(all, filt),
				      filt ? "AND" : "", filt ? index_filter_sql(ix, filt) : "",
				      sort_col(ix, sort), dir, dir, dir);
		int rc = sqlite3_prepare_v3(ix->db, sql, -1, SQLITE_PREPARE_PERSISTENT, sp, NULL);
		free(sql);
		if (rc != SQLITE_OK)
			return -1;
	}
	sqlite3_stmt *s = *sp;
	sqlite3_reset(s);
	sqlite3_bind_int(s, 1, sae);
	if (filt)
		index_filter_bind(s, filter, filt);
	sqlite3_bind_int(s, 4, limit);
	sqlite3_bind_int64(s, 5, offset);
	int n = 0;
	while (n < limit && sqlite3_step(s) == SQLITE_ROW)
		feature_from_row(s, &out[n++]);
	sqlite3_reset(s);
	return n;
}

static int sae_dense(fs_index *ix, int sae);

int64_t index_feature_count(fs_index *ix, int sae, const char *filter)
{
	int all = sae == 0, filt = index_filter_kind(ix, filter);
	if (!filt) {
		if (all)
			return index_n_features(ix);
		const fs_sae *d = index_sae_by_id(ix, sae);
		if (!d)
			return 0;
		if (sae_dense(ix, sae)) /* features 0..n-1: no count needed */
			return d->n_features;
	}
	sqlite3_stmt **sp = &ix->count[all][filt];
	if (!*sp) {
		char *sql = xasprintf("SELECT count(*) FROM features WHERE %s %s %s",
				      index_filter_where(all, filt), filt ? "AND" : "",
				      filt ? index_filter_sql(ix, filt) : "");
		int rc = sqlite3_prepare_v3(ix->db, sql, -1, SQLITE_PREPARE_PERSISTENT, sp, NULL);
		free(sql);
		if (rc != SQLITE_OK)
			return -1;
	}
	sqlite3_stmt *s = *sp;
	sqlite3_reset(s);
	sqlite3_bind_int(s, 1, sae);
	if (filt)
		index_filter_bind(s, filter, filt);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return n;
}

int64_t index_feature_count_upto(fs_index *ix, int sae, const char *filter, int64_t cap)
{
	int filt = index_filter_kind(ix, filter);
	if (filt != 1) /* no filter, or few candidates: counted to the end */
		return index_feature_count(ix, sae, filter);
	/* in id order, not through an index in label order, where the
	 * matches of a filter cluster after all the labels sorted before them */
	char *sql = xasprintf("SELECT count(*) FROM (SELECT 1 FROM features NOT INDEXED WHERE %s AND %s LIMIT ?11)",
			      index_filter_where(sae == 0, filt), index_filter_sql(ix, filt));
	sqlite3_stmt *s = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int(s, 1, sae);
		index_filter_bind(s, filter, filt);
		sqlite3_bind_int64(s, 11, cap + 1);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	free(sql);
	return n;
}

int64_t index_feature_count_ids(fs_index *ix, int sae, const char *filter, int64_t lo, int64_t hi)
{
	int filt = index_filter_kind(ix, filter);
	/* +sae: the rows are read by id range, not through an index on sae */
	char *sql = xasprintf("SELECT count(*) FROM features WHERE id >= ?12 AND id < ?13 AND %s %s %s",
			      sae == 0 ? "(?1 = 0)" : "+sae = ?1", filt ? "AND" : "",
			      filt ? index_filter_sql(ix, filt) : "");
	sqlite3_stmt *s = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int(s, 1, sae);
		if (filt)
			index_filter_bind(s, filter, filt);
		sqlite3_bind_int64(s, 12, lo);
		sqlite3_bind_int64(s, 13, hi);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	free(sql);
	return n;
}

int64_t index_feature_id_end(fs_index *ix)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 1;
	if (sqlite3_prepare_v2(ix->db, "SELECT max(id) FROM features", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		n = sqlite3_column_int64(s, 0) + 1;
	sqlite3_finalize(s);
	return n;
}

int index_logits(fs_index *ix, int64_t fid, int sign, fs_logit **out)
{
	*out = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_LOGITS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	sqlite3_bind_int(s, 2, sign > 0 ? 1 : -1);
	int n = 0;
	fs_logit *l = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		l = xrealloc(l, sizeof *l * (size_t)(n + 1));
		l[n].token = index_col_strdup(s, 0);
		l[n].value = (float)sqlite3_column_double(s, 1);
		n++;
	}
	sqlite3_reset(s);
	*out = l;
	return n;
}

void index_logits_free(fs_logit *l, int n)
{
	for (int i = 0; i < n; i++)
		free(l[i].token);
	free(l);
}

int index_neighbours(fs_index *ix, int64_t fid, int other_sae, int k, fs_neighbour **out)
{
	*out = NULL;
	if (other_sae == 0) {
		fs_feature f;
		if (index_feature(ix, fid, &f) != 0)
			return -1;
		other_sae = f.sae;
		index_feature_free(&f);
	}
	sqlite3_stmt *s = index_rstmt(ix, R_NEIGHBOURS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, fid);
	sqlite3_bind_int(s, 2, other_sae);
	sqlite3_bind_int(s, 3, k);
	int n = 0;
	fs_neighbour *nb = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		nb = xrealloc(nb, sizeof *nb * (size_t)(n + 1));
		nb[n].fid = sqlite3_column_int64(s, 0);
		nb[n].cosine = (float)sqlite3_column_double(s, 1);
		n++;
	}
	sqlite3_reset(s);
	*out = nb;
	return n;
}

static void cluster_from_row(sqlite3_stmt *s, fs_cluster *c)
{
	c->id = sqlite3_column_int64(s, 0);
	c->parent = sqlite3_column_int64(s, 1);
	c->sae = sqlite3_column_int(s, 2);
	c->depth = sqlite3_column_int(s, 3);
	c->size = sqlite3_column_int64(s, 4);
	c->label = index_col_strdup(s, 5);
	c->n_children = sqlite3_column_int64(s, 6);
}

int index_cluster_children(fs_index *ix, int sae, int64_t parent, fs_cluster **out)
{
	*out = NULL;
	if (parent > 0) {
		fs_cluster p;
		if (index_cluster(ix, parent, &p) != 0)
			return -1;
		sae = p.sae;
		free(p.label);
	}
	sqlite3_stmt *s = index_rstmt(ix, R_CL_CHILDREN);
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, sae);
	sqlite3_bind_int64(s, 2, parent);
	int n = 0;
	fs_cluster *c = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		c = xrealloc(c, sizeof *c * (size_t)(n + 1));
		cluster_from_row(s, &c[n++]);
	}
	sqlite3_reset(s);
	*out = c;
	return n;
}

int index_cluster(fs_index *ix, int64_t node, fs_cluster *c)
{
	sqlite3_stmt *s = index_rstmt(ix, R_CLUSTER);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, node);
	int rc = -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		cluster_from_row(s, c);
		rc = 0;
	}
	sqlite3_reset(s);
	return rc;
}

void index_clusters_free(fs_cluster *c, int n)
{
	for (int i = 0; i < n; i++)
		free(c[i].label);
	free(c);
}

/* Collect the first integer column of a statement's rows. */
static int collect_ids(sqlite3_stmt *s, int64_t **out)
{
	int n = 0, cap = 0;
	int64_t *v = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, sizeof *v * (size_t)cap);
		}
		v[n++] = sqlite3_column_int64(s, 0);
	}
	int rc = sqlite3_errcode(sqlite3_db_handle(s));
	sqlite3_reset(s);
	*out = v;
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		free(v);
		*out = NULL;
		return -1;
	}
	return n;
}

int index_cluster_features(fs_index *ix, int64_t node, int64_t **fids)
{
	*fids = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_CL_FEATURES);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, node);
	return collect_ids(s, fids);
}

int index_search_contexts(fs_index *ix, const char *query, int limit, int64_t **ctx)
{
	*ctx = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_SEARCH_CTX);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, query, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, limit);
	return collect_ids(s, ctx);
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int index_search(fs_index *ix, int labels, const char *query, int limit, int64_t **out, int *phrase)
{
	if (phrase)
		*phrase = 0;
	int n = labels ? index_search_labels(ix, query, limit, out) : index_search_contexts(ix, query, limit, out);
	if (n >= 0)
		return n;
	free(*out);
	*out = NULL;
	fs_buf b = {0};
	buf_addc(&b, '"');
	for (const char *p = query; *p; p++) {
		if (*p == '"')
			buf_addc(&b, '"');
		buf_addc(&b, *p);
	}
	buf_addc(&b, '"');
	n = labels ? index_search_labels(ix, b.p, limit, out) : index_search_contexts(ix, b.p, limit, out);
	buf_free(&b);
	if (phrase && n >= 0)
		*phrase = 1;
	return n;
}

int index_search_labels(fs_index *ix, const char *query, int limit, int64_t **fids)
{
	*fids = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_SEARCH_LABEL);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, query, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, limit);
	int n = collect_ids(s, fids);
	/* and every explanation of a feature, not only its label (an index
	 * made before the explanations table has none) */
	sqlite3_stmt *e = n >= 0 ? index_rstmt(ix, R_SEARCH_EXPL) : NULL;
	if (!e)
		return n;
	sqlite3_bind_text(e, 1, query, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(e, 2, limit);
	int64_t *more = NULL;
	int m = collect_ids(e, &more);
	if (m > 0) {
		int64_t *v = xrealloc(*fids, sizeof *v * (size_t)(n + m));
		memcpy(v + n, more, sizeof *v * (size_t)m);
		qsort(v, (size_t)(n + m), sizeof *v, id_cmp);
		int k = 0;
		for (int i = 0; i < n + m; i++)
			if (k == 0 || v[k - 1] != v[i])
				v[k++] = v[i];
		n = k < limit ? k : limit;
		*fids = v;
	}
	free(more);
	return n;
}

int index_feature_table(fs_index *ix, int64_t fid, const char *kind, fs_table_row **out)
{
	*out = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_TABLE);
	if (!s)
		return 0; /* an index made before feature tables */
	sqlite3_bind_int64(s, 1, fid);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_TRANSIENT);
	int n = 0;
	fs_table_row *v = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		v = xrealloc(v, sizeof *v * (size_t)(n + 1));
		v[n].rank = sqlite3_column_int(s, 0);
		v[n].other = sqlite3_column_int64(s, 1);
		v[n].value = sqlite3_column_double(s, 2);
		v[n].aux = sqlite3_column_type(s, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 3);
		n++;
	}
	sqlite3_reset(s);
	*out = v;
	return n;
}

int index_explanations(fs_index *ix, int64_t fid, fs_explanation **out)
{
	*out = NULL;
	sqlite3_stmt *s = index_rstmt(ix, R_EXPLANATIONS);
	if (!s)
		return 0; /* an index made before the explanations table */
	sqlite3_bind_int64(s, 1, fid);
	int n = 0;
	fs_explanation *v = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		v = xrealloc(v, sizeof *v * (size_t)(n + 1));
		v[n].text = index_col_strdup(s, 0);
		v[n].source = index_col_strdup(s, 1);
		v[n].model = index_col_strdup(s, 2);
		v[n].type = index_col_strdup(s, 3);
		v[n].score = sqlite3_column_type(s, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 4);
		v[n].scores = index_col_strdup(s, 5);
		n++;
	}
	sqlite3_reset(s);
	*out = v;
	return n;
}

void index_explanations_free(fs_explanation *e, int n)
{
	for (int i = 0; i < n; i++) {
		free(e[i].text);
		free(e[i].source);
		free(e[i].model);
		free(e[i].type);
		free(e[i].scores);
	}
	free(e);
}

/* ---- the concept probe's bulk query (grep_scan.c) ---- */

int index_feature_masses(fs_index *ix, int64_t *nfid, double **mass, int **sae)
{
	sqlite3_stmt *s = NULL;
	int64_t max = -1;
	*mass = NULL;
	*sae = NULL;
	*nfid = 0;
	if (sqlite3_prepare_v2(ix->db, "SELECT coalesce(max(id), 0) FROM features", -1, &s,
			       NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		max = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (max < 0 || max > ((int64_t)1 << 32))
		return -1;
	double *m = xcalloc((size_t)max + 1, sizeof *m);
	int *d = xcalloc((size_t)max + 1, sizeof *d);
	int rc = -1;
	if (sqlite3_prepare_v2(ix->db, "SELECT id, sae, act_mass FROM features", -1, &s,
			       NULL) == SQLITE_OK) {
		int r;
		while ((r = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(s, 0);
			if (id < 0 || id > max)
				continue;
			d[id] = sqlite3_column_int(s, 1);
			m[id] = sqlite3_column_double(s, 2);
		}
		rc = r == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(s);
	if (rc != 0) {
		free(m);
		free(d);
		return -1;
	}
	*mass = m;
	*sae = d;
	*nfid = max + 1;
	return 0;
}

/* ---- keyset paging and ranks (the browser's feature list) ---- */

/* Keyset paging for the browser's feature list: the rows after (dir > 0)
 * or before (dir < 0) the row `at` in index_feature_page's order, or the
 * first / last rows when at is NULL, returned in list order. Unlike an
 * OFFSET, the cost does not grow with the distance from the start. */
int index_feature_page_at(fs_index *ix, int sae, fs_sort sort, int desc, const char *filter,
			  const fs_feature *at, int dir, int limit, fs_feature *out)
{
	if ((int)sort < 0 || sort > FS_SORT_CLUSTER)
		sort = FS_SORT_ID;
	int all = sae == 0, filt = index_filter_kind(ix, filter);
	int asc = !desc ^ (dir < 0);
	const char *d = asc ? "ASC" : "DESC";
	/* Where the page starts. Within one dictionary the order is (column,
	 * idx), and the row value (column, idx) > (?6, ?8) lets SQLite seek
	 * in the (sae, column, idx) index; a collated column cannot be part
	 * of a row-value seek, so the label order says the same in two terms.
	 * Across dictionaries (sae 0) the order is (column, sae, idx). */
	char *from;
	const char *op = asc ? ">" : "<";
	if (!at)
		from = xstrdup("");
	else if (all)
		from = xasprintf("AND (%s, sae, idx) %s (?6, ?7, ?8)", sort_col(ix, sort), op);
	else if (sort == FS_SORT_LABEL)
		from = xasprintf("AND %s %s= ?6 AND (%s %s ?6 OR idx %s ?8)", sort_col(ix, sort), op,
				 sort_col(ix, sort), op, op);
	else
		from = xasprintf("AND (%s, idx) %s (?6, ?8)", sort_col(ix, sort), op);
	char *sql = xasprintf("SELECT %s FROM features WHERE %s %s %s %s"
			      " ORDER BY %s %s, sae %s, idx %s LIMIT ?4",
			      feature_cols, index_filter_where(all, filt), filt ? "AND" : "",
			      filt ? index_filter_sql(ix, filt) : "", from, sort_col(ix, sort), d, d, d);
	free(from);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int(s, 1, sae);
	if (filt)
		index_filter_bind(s, filter, filt);
	sqlite3_bind_int(s, 4, limit);
	if (at) {
		switch (sort) {
		case FS_SORT_ID: sqlite3_bind_int64(s, 6, at->idx); break;
		case FS_SORT_LABEL: {
			char *ul = user_label_of(ix, at->id);
			sqlite3_bind_text(s, 6, ul ? ul : at->label, -1, SQLITE_TRANSIENT);
			free(ul);
			break;
		}
		case FS_SORT_DENSITY: sqlite3_bind_double(s, 6, at->density); break;
		case FS_SORT_MAXACT: sqlite3_bind_double(s, 6, at->max_act); break;
		case FS_SORT_CLUSTER: sqlite3_bind_int64(s, 6, at->cluster); break;
		}
		sqlite3_bind_int(s, 7, at->sae);
		sqlite3_bind_int64(s, 8, at->idx);
	}
	int n = 0;
	while (n < limit && sqlite3_step(s) == SQLITE_ROW)
		feature_from_row(s, &out[n++]);
	sqlite3_finalize(s);
	for (int i = 0; dir < 0 && i < n / 2; i++) {
		fs_feature t = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	return n;
}

/* The position of feature fid in index_feature_page's order (the number
 * of rows before it), or -1 when it is not in that list (other dictionary,
 * filtered out, absent). */
/* Whether dictionary sae holds exactly the features 0..n_features-1
 * (counted once, then remembered). */
static int sae_dense(fs_index *ix, int sae)
{
	int i = 0;
	while (i < ix->n_saes && ix->saes[i].id != sae)
		i++;
	if (i == ix->n_saes)
		return 0;
	if (!ix->dense) {
		ix->dense = xmalloc((size_t)ix->n_saes);
		memset(ix->dense, -1, (size_t)ix->n_saes);
	}
	const char *known = index_meta(ix, "dense_saes");
	if (ix->dense[i] < 0 && known) {
		/* written by the builder: a comma-separated list of ids */
		ix->dense[i] = 0;
		for (const char *p = known; *p;) {
			char *end;
			long id = strtol(p, &end, 10);
			if (end == p)
				break;
			if (id == sae)
				ix->dense[i] = 1;
			p = *end == ',' ? end + 1 : end;
		}
	}
	if (ix->dense[i] < 0) {
		sqlite3_stmt *s = NULL;
		ix->dense[i] = 0;
		if (sqlite3_prepare_v2(ix->db, "SELECT count(*), min(idx), max(idx) FROM features WHERE sae = ?",
				       -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_int(s, 1, sae);
			int64_t n = ix->saes[i].n_features;
			if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == n &&
			    sqlite3_column_int64(s, 1) == 0 && sqlite3_column_int64(s, 2) == n - 1)
				ix->dense[i] = 1;
		}
		sqlite3_finalize(s);
	}
	return ix->dense[i];
}

/* Feature fid's stored position in ascending order sort within its
 * dictionary, or -1 when the index has no feature_ranks table (built by an
 * earlier featscope) or no row for it. */
static int64_t stored_rank(fs_index *ix, int64_t fid, fs_sort sort)
{
	static const char *const col[5] = {NULL, "r_label", "r_density", "r_max", "r_cluster"};
	if (ix->has_ranks < 0) {
		sqlite3_stmt *s = NULL;
		ix->has_ranks = sqlite3_prepare_v2(ix->db,
						   "SELECT r_label, r_density, r_max, r_cluster"
						   " FROM feature_ranks WHERE feature = ?",
						   -1, &s, NULL) == SQLITE_OK;
		ix->rank_st = s;
	}
	if (!ix->has_ranks || !col[sort])
		return -1;
	sqlite3_stmt *s = ix->rank_st;
	int64_t r = -1;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, fid);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = sqlite3_column_int64(s, (int)sort - 1);
	sqlite3_reset(s);
	return r;
}

int64_t index_feature_rank(fs_index *ix, int sae, fs_sort sort, int desc, const char *filter,
			   int64_t fid)
{
	fs_feature f;
	if (index_feature(ix, fid, &f) != 0)
		return -1;
	if ((int)sort < 0 || sort > FS_SORT_CLUSTER)
		sort = FS_SORT_ID;
	int all = sae == 0, filt = index_filter_kind(ix, filter);
	int64_t rank = -1;
	/* In index order of one dictionary whose features are 0..n-1, the
	 * position is the index itself: no count over the rows before it. */
	if (sort == FS_SORT_ID && !all && !filt && f.sae == sae && sae_dense(ix, sae)) {
		const fs_sae *d = index_sae_by_id(ix, sae);
		rank = desc ? d->n_features - 1 - f.idx : f.idx;
		index_feature_free(&f);
		return rank;
	}
	/* Other orders of one dictionary, unfiltered: the position stored at
	 * build time (feature_ranks), when the index has it. */
	if (sort != FS_SORT_ID && !all && !filt && f.sae == sae && (!desc || sae_dense(ix, sae)) &&
	    !(sort == FS_SORT_LABEL && ix->user_labels)) {
		rank = stored_rank(ix, fid, sort);
		if (rank >= 0) {
			const fs_sae *d = index_sae_by_id(ix, sae);
			if (desc)
				rank = d->n_features - 1 - rank;
			index_feature_free(&f);
			return rank;
		}
	}
	/* Rows strictly before on the sort column (an index-only count), plus
	 * the ties before it on (sae, idx). */
	const char *w = index_filter_where(all, filt), *a = filt ? "AND" : "";
	const char *fs = filt ? index_filter_sql(ix, filt) : "";
	const char *op = desc ? ">" : "<";
	char *sql = xasprintf("SELECT (SELECT count(*) FROM features WHERE %s %s %s AND %s %s ?6)"
			      " + (SELECT count(*) FROM features WHERE %s %s %s AND %s = ?6 AND (sae, idx) %s (?7, ?8)),"
			      " (SELECT count(*) FROM features WHERE id = ?9 AND %s %s %s)",
			      w, a, fs, sort_col(ix, sort), op, w, a, fs, sort_col(ix, sort), op, w, a, fs);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int(s, 1, sae);
		if (filt)
			index_filter_bind(s, filter, filt);
		switch (sort) {
		case FS_SORT_ID: sqlite3_bind_int64(s, 6, f.idx); break;
		case FS_SORT_LABEL: {
			char *ul = user_label_of(ix, fid);
			sqlite3_bind_text(s, 6, ul ? ul : f.label, -1, SQLITE_TRANSIENT);
			free(ul);
			break;
		}
		case FS_SORT_DENSITY: sqlite3_bind_double(s, 6, f.density); break;
		case FS_SORT_MAXACT: sqlite3_bind_double(s, 6, f.max_act); break;
		case FS_SORT_CLUSTER: sqlite3_bind_int64(s, 6, f.cluster); break;
		}
		sqlite3_bind_int(s, 7, f.sae);
		sqlite3_bind_int64(s, 8, f.idx);
		sqlite3_bind_int64(s, 9, fid);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 1) == 1)
			rank = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	free(sql);
	index_feature_free(&f);
	return rank;
}
