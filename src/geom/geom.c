/*
 * geom.c: geom_write, the one call that turns decoders into stored
 * geometry (see geom.h). For each dictionary: normalise the rows, find the
 * top-k neighbours within it (exact, or IVF when large), build the concept
 * tree and lay out the map from the neighbour graph (starting from the
 * tree); then, for each pair of dictionaries of equal width, the
 * neighbours across them in both directions. Everything is seeded, so a
 * rebuild gives the same index.
 */
#include "geom/geom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/cluster.h"
#include "geom/knn.h"
#include "geom/feature_map.h"
#include "core/util.h"

void geom_opts_init(geom_opts *o)
{
	o->k = 32;
	o->k_across = -1;
	o->approx = -1;
	o->clusters = 1;
	o->map = 1;
	o->progress = NULL;
}

/* The knn searches' progress (a share done) as a progress report. */
static void prog_cb(void *arg, double frac)
{
	progress_update(arg, (int64_t)(1000 * (frac < 1 ? frac : 1)), 1000);
}

static int use_approx(const geom_opts *o, int64_t na, int64_t nb)
{
	if (o->approx >= 0)
		return o->approx;
	return na > GEOM_AUTO_APPROX || nb > GEOM_AUTO_APPROX;
}

/* Store the neighbours of a's rows among b's rows. */
static int put_neighbours(fs_writer *w, const geom_dict *a, const geom_dict *b,
			  const knn_result *r, char *err, size_t errlen)
{
	for (int64_t i = 0; i < r->n; i++)
		for (int q = 0; q < r->k; q++) {
			int32_t j = r->idx[i * r->k + q];
			if (j < 0)
				break;
			if (index_writer_add_neighbour(w, a->fids[i], b->sae, q, b->fids[j],
						 r->cos[i * r->k + q]) < 0)
				return fs_seterr(err, errlen, "neighbours: %s", index_writer_errmsg(w));
		}
	return 0;
}

/* Neighbours within one dictionary (kept in *r for the map). */
static int do_within(fs_writer *w, const geom_dict *g, const float *X, const geom_opts *o,
		     knn_result *r, char *err, size_t errlen)
{
	fs_progress *p = o->progress;
	progress_start(p, "", "geometry %s: %s", g->name, "neighbours");
	if (use_approx(o, g->n, g->n)) {
		knn_ivf_opts io = {.seed = 42, .progress = prog_cb, .progress_arg = p};
		knn_ivf(X, g->n, X, g->n, g->d, o->k, &io, r);
	} else {
		knn_opts ko = {.progress = prog_cb, .progress_arg = p};
		knn_exact_self(X, g->n, g->d, o->k, &ko, r);
	}
	progress_end(p, 0);
	return put_neighbours(w, g, g, r, err, errlen);
}

/* The concept tree of one dictionary; *t keeps it for the map. */
static int do_clusters(fs_writer *w, const geom_dict *g, const float *X, const geom_opts *o,
		       cluster_tree *t, char *err, size_t errlen)
{
	fs_progress *p = o->progress;
	progress_start(p, "", "geometry %s: %s", g->name, "clusters");
	cluster_opts co = {.seed = 7};
	cluster_build(X, g->n, g->d, g->labels, &co, t);
	int64_t *ids = xmalloc((size_t)(t->n_nodes > 0 ? t->n_nodes : 1) * sizeof *ids);
	int rc = 0;
	for (int64_t i = 0; i < t->n_nodes && rc == 0; i++) {
		const cluster_node *nd = &t->nodes[i];
		ids[i] = index_writer_add_cluster(w, g->sae, nd->parent >= 0 ? ids[nd->parent] : 0,
					    nd->depth, nd->size, nd->label);
		if (ids[i] <= 0)
			rc = fs_seterr(err, errlen, "clusters: %s", index_writer_errmsg(w));
	}
	for (int64_t i = 0; i < g->n && rc == 0; i++)
		if (index_writer_set_cluster(w, g->fids[i], ids[t->leaf[i]]) < 0)
			rc = fs_seterr(err, errlen, "clusters: %s", index_writer_errmsg(w));
	free(ids);
	/* the figure a build reports: names that repeat a sibling's */
	if (rc == 0) {
		char key[160], val[64];
		snprintf(key, sizeof key, "cluster_sibling_repeats:%s",
			 g->name ? g->name : "");
		snprintf(val, sizeof val, "%lld of %lld", (long long)cluster_sibling_repeats(t),
			 (long long)t->n_nodes);
		if (index_writer_set_meta(w, key, val) < 0)
			rc = fs_seterr(err, errlen, "clusters: %s", index_writer_errmsg(w));
	}
	progress_end(p, 0);
	return rc;
}

static int do_map(fs_writer *w, const geom_dict *g, const knn_result *r,
		  const cluster_tree *t, const geom_opts *o, char *err, size_t errlen)
{
	fs_progress *p = o->progress;
	progress_start(p, "", "geometry %s: %s", g->name, "map");
	float *xy = xmalloc((size_t)g->n * 2 * sizeof *xy);
	int init = t && t->n_nodes > 0;
	if (init)
		feature_map_init_tree(t, 11, xy);
	feature_map_opts lo = {.seed = 13};
	feature_map_layout(r, &lo, init, xy);
	int rc = 0;
	for (int64_t i = 0; i < g->n && rc == 0; i++)
		if (index_writer_set_map(w, g->fids[i], xy[2 * i], xy[2 * i + 1]) < 0)
			rc = fs_seterr(err, errlen, "map: %s", index_writer_errmsg(w));
	free(xy);
	progress_end(p, 0);
	return rc;
}

/* Neighbours across two dictionaries, both directions. */
static int do_cross(fs_writer *w, const geom_dict *a, const float *XA, const geom_dict *b,
		    const float *XB, const geom_opts *o, char *err, size_t errlen)
{
	char name[160];
	snprintf(name, sizeof name, "%s/%s", a->name ? a->name : "?", b->name ? b->name : "?");
	fs_progress *p = o->progress;
	progress_start(p, "", "geometry %s: %s", name, "neighbours across");
	knn_result ab, ba;
	int k = o->k_across >= 0 ? o->k_across : o->k;
	if (use_approx(o, a->n, b->n)) {
		knn_ivf_opts io = {.seed = 42};
		knn_ivf(XA, a->n, XB, b->n, a->d, k, &io, &ab);
		knn_ivf(XB, b->n, XA, a->n, a->d, k, &io, &ba);
	} else {
		knn_opts ko = {.progress = prog_cb, .progress_arg = p};
		knn_exact_cross(XA, a->n, XB, b->n, a->d, k, &ko, &ab, &ba);
	}
	progress_end(p, 0);
	int rc = put_neighbours(w, a, b, &ab, err, errlen);
	if (rc == 0)
		rc = put_neighbours(w, b, a, &ba, err, errlen);
	knn_result_free(&ab);
	knn_result_free(&ba);
	return rc;
}

int geom_write(fs_writer *w, const geom_dict *d, int nd, const geom_opts *opts, char *err,
	       size_t errlen)
{
	geom_opts o;
	if (opts)
		o = *opts;
	else
		geom_opts_init(&o);
	if (o.k <= 0)
		o.k = 32;
	for (int s = 0; s < nd; s++) {
		const geom_dict *g = &d[s];
		const char *nm = g->name ? g->name : "decoder";
		if (g->n < 0 || g->d <= 0 || (g->n > 0 && (!g->W || !g->fids)))
			return fs_seterr(err, errlen, "%s: decoder: bad shape %lld x %d", nm,
					 (long long)g->n, g->d);
		if (g->n > INT32_MAX)
			return fs_seterr(err, errlen, "%s: decoder: %lld rows is too many", nm,
					 (long long)g->n);
	}
	float **X = xcalloc((size_t)(nd > 0 ? nd : 1), sizeof *X);
	int rc = 0;
	for (int s = 0; s < nd && rc == 0; s++) {
		int64_t bad = -1;
		X[s] = knn_normalize(d[s].W, d[s].n, d[s].d, &bad);
		if (!X[s])
			rc = fs_seterr(err, errlen, "%s: decoder: row %lld: value is not finite",
				       d[s].name ? d[s].name : "decoder", (long long)bad);
	}
	for (int s = 0; s < nd && rc == 0; s++) {
		const geom_dict *g = &d[s];
		if (g->n == 0)
			continue;
		knn_result r;
		cluster_tree t;
		memset(&t, 0, sizeof t);
		rc = do_within(w, g, X[s], &o, &r, err, errlen);
		if (rc == 0 && o.clusters)
			rc = do_clusters(w, g, X[s], &o, &t, err, errlen);
		if (rc == 0 && o.map)
			rc = do_map(w, g, &r, o.clusters ? &t : NULL, &o, err, errlen);
		knn_result_free(&r);
		if (o.clusters)
			cluster_tree_free(&t);
	}
	for (int s = 0; s < nd && rc == 0; s++)
		for (int u = s + 1; u < nd && rc == 0; u++)
			if (d[s].d == d[u].d && d[s].n > 0 && d[u].n > 0 && o.k_across != 0)
				rc = do_cross(w, &d[s], X[s], &d[u], X[u], &o, err, errlen);
	for (int s = 0; s < nd; s++)
		free(X[s]);
	free(X);
	return rc;
}
