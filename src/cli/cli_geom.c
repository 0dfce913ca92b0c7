/*
 * cli_geom.c: the geometry query subcommands. `neighbours` lists a
 * feature's nearest features by decoder cosine (in its own dictionary or
 * another); `clusters` walks the concept tree one level at a time. Plain
 * text, or JSON with --json. They read the index only through index.h.
 */
#define _GNU_SOURCE
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "compare/nearest.h"
#include "core/escape.h"
#include "core/json.h"
#include "index/index.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* neighbours' options, one row each: the enum O_* and geo_opts (CLI_OPTIONS). */
#define GEO_OPTS(X) \
	X(O_JSON, "json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output") \
	X(O_K, "k", 'k', OPT_INT, "N", 1, 100000, "neighbours shown (10)") \
	X(O_IN, "in", 'i', OPT_STR, "SAE", 0, 0, "the dictionary searched or listed")
CLI_OPTIONS(geo_opts, GEO_OPTS);
/* clusters takes the same but --k: the enum C_* and clusters_opts. */
#define CLUSTERS_OPTS(X) \
	X(C_JSON, "json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output") \
	X(C_IN, "in", 'i', OPT_STR, "SAE", 0, 0, "the dictionary listed (default: every one)")
CLI_OPTIONS(clusters_opts, CLUSTERS_OPTS);

/* Feature fid's name into name (size n) and its label (malloc'd, "" when
 * the feature is not there). */
static char *geo_feature(fs_index *ix, int64_t fid, char *name, size_t n)
{
	fs_feature g;
	index_feature_name(ix, fid, name, n);
	if (index_feature(ix, fid, &g) != 0)
		return xstrdup("");
	char *l = xstrdup(g.label ? g.label : "");
	index_feature_free(&g);
	return l;
}

/* A JSON object {"feature", "fid", "label"} of fid (more keys may follow). */
static json_t *geo_feature_json(fs_index *ix, int64_t fid)
{
	char nm[128];
	char *l = geo_feature(ix, fid, nm, sizeof nm);
	json_t *o = json_object();
	json_object_set_new(o, "feature", jw_str(nm));
	json_object_set_new(o, "fid", json_integer(fid));
	json_object_set_new(o, "label", jw_str(l));
	free(l);
	return o;
}

/* The dictionary named by --in, or NULL (message printed) when unknown. */
static const fs_sae *geo_sae(fs_index *ix, const char *name, const char *path)
{
	const fs_sae *s = index_sae_by_name(ix, name);
	if (!s)
		fs_warn("%s: --in: no dictionary named '%s'", path, name);
	return s;
}

/* ------------------------------------------------------------ neighbours */

static int neighbours_run(const cmd_entry *e, const cli_args *a)
{
	(void)e;
	int json = a->set[O_JSON], k = (int)cli_num(a, O_K, 10);
	const char *in = cli_str(a, O_IN, NULL), *path = a->pos[0], *fname = a->pos[1];
	fs_index *ix = cli_open_index(path);
	if (!ix)
		return FS_EXIT_USAGE;
	char name[128], oname[128];
	int rc = FS_EXIT_OK;
	int64_t fid = cli_resolve(ix, fname);
	fs_feature f;
	if (fid < 0 || index_feature(ix, fid, &f) != 0) {
		if (fid >= 0)
			fs_warn("%s: feature vanished", fname);
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	const fs_sae *other = in ? geo_sae(ix, in, path) : index_sae_by_id(ix, f.sae);
	if (!other) {
		index_feature_free(&f);
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	index_feature_name(ix, fid, name, sizeof name);
	cmp_nearest r;
	char err[512];
	if (cmp_nearest_find(ix, fid, other->id, k, &r, err, sizeof err) != 0) {
		fs_warn("%s", err);
		rc = FS_EXIT_ERR;
	} else if (r.n == 0) {
		fs_warn("%s: no neighbours of %s in %s (index built without a decoder?)", path, name,
			other->name);
		rc = FS_EXIT_ERR;
	} else if (json) {
		json_t *o = json_object(), *arr = json_array();
		json_object_set_new(o, "feature", jw_str(name));
		json_object_set_new(o, "fid", json_integer(fid));
		json_object_set_new(o, "in", jw_str(other->name));
		json_object_set_new(o, "stored", json_integer(r.stored));
		json_object_set_new(o, "computed", json_boolean(r.computed));
		json_object_set_new(o, "baseline", jw_num(r.baseline));
		for (int i = 0; i < r.n; i++) {
			json_t *ne = geo_feature_json(ix, r.v[i].fid);
			json_object_set_new(ne, "rank", json_integer(i + 1));
			json_object_set_new(ne, "cosine", json_real(r.v[i].cosine));
			json_object_set_new(ne, "below_baseline",
					    isnan(r.baseline) ? json_null() : json_boolean(r.v[i].cosine < r.baseline));
			json_array_append_new(arr, ne);
		}
		json_object_set_new(o, "neighbours", arr);
		cli_print_json(o);
	} else {
		const char *lab = escape_str(f.label);
		printf("neighbours of %s in %s by decoder cosine%s%s\n", escape_str(name), escape_str(other->name),
		       *lab ? ": " : "", lab);
		int below = 0, wname = 8;
		for (int i = 0; i < r.n; i++) {
			below += !isnan(r.baseline) && r.v[i].cosine < r.baseline;
			index_feature_name(ix, r.v[i].fid, oname, sizeof oname);
			int w = (int)strlen(escape_str(oname));
			wname = w > wname ? w : wname;
		}
		if (!isnan(r.baseline))
			printf("%s's random baseline: %.4f (p99 of a random direction's best cosine)%s\n",
			       escape_str(other->name), r.baseline, below ? "; '<' marks a neighbour under it" : "");
		for (int i = 0; i < r.n; i++) {
			char *l = geo_feature(ix, r.v[i].fid, oname, sizeof oname);
			int under = !isnan(r.baseline) && r.v[i].cosine < r.baseline;
			printf("%4d  %-*s %7.4f %s%s%s\n", i + 1, wname, escape_str(oname), r.v[i].cosine, under ? "<" : " ",
			       *l ? " " : "", escape_str(l));
			free(l);
		}
		if (r.computed)
			printf("(computed from the stored decoders: the index stores %d here)\n", r.stored);
		else if (r.n < k && r.n == r.stored)
			printf("(the index stores %d here; build with --neighbours %d, or with the decoder, for more)\n",
			       r.stored, k);
	}
	cmp_nearest_free(&r);
	index_feature_free(&f);
	index_close(ix);
	return rc;
}

/* -------------------------------------------------------------- clusters */

static json_t *cluster_json(fs_index *ix, const fs_cluster *c)
{
	json_t *o = json_object();
	const fs_sae *s = index_sae_by_id(ix, c->sae);
	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "sae", jw_str(s ? s->name : ""));
	json_object_set_new(o, "parent", json_integer(c->parent));
	json_object_set_new(o, "depth", json_integer(c->depth));
	json_object_set_new(o, "size", json_integer(c->size));
	json_object_set_new(o, "children", json_integer(c->n_children));
	json_object_set_new(o, "label", jw_str(c->label));
	return o;
}

static void cluster_line(const fs_cluster *c)
{
	printf("%8lld  %7lld features  %3lld children  %s\n", (long long)c->id,
	       (long long)c->size, (long long)c->n_children, escape_str(c->label));
}

static int clusters_run(const cmd_entry *e, const cli_args *a)
{
	(void)e;
	int json = a->set[C_JSON];
	const char *in = cli_str(a, C_IN, NULL), *path = a->pos[0], *node = a->npos > 1 ? a->pos[1] : NULL;
	int64_t id = 0;
	if (node && (fs_parse_i64(node, &id) != 0 || id < 1)) {
		fs_warn("%s: not a cluster node number", node);
		return FS_EXIT_USAGE;
	}
	fs_index *ix = cli_open_index(path);
	if (!ix)
		return FS_EXIT_USAGE;
	const fs_sae *only = NULL;
	if (in && !(only = geo_sae(ix, in, path))) {
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	int rc = FS_EXIT_OK;
	if (!node) {
		/* the roots of every dictionary (or of --in) */
		json_t *arr = json ? json_array() : NULL;
		int total = 0;
		for (int i = 0; i < index_n_saes(ix); i++) {
			const fs_sae *s = index_sae(ix, i);
			if (only && s->id != only->id)
				continue;
			fs_cluster *c = NULL;
			int n = index_cluster_children(ix, s->id, 0, &c);
			if (n > 0 && !json)
				printf("%s%s: %d top-level clusters\n", total ? "\n" : "", escape_str(s->name), n);
			for (int j = 0; j < n; j++) {
				if (json)
					json_array_append_new(arr, cluster_json(ix, &c[j]));
				else
					cluster_line(&c[j]);
			}
			if (n > 0)
				total += n;
			index_clusters_free(c, n > 0 ? n : 0);
		}
		if (total == 0) {
			fs_warn("%s: no clusters stored (index built without a decoder?)", path);
			rc = FS_EXIT_ERR;
			json_decref(arr);
		} else if (json) {
			json_t *o = json_object();
			json_object_set_new(o, "clusters", arr);
			cli_print_json(o);
		}
		index_close(ix);
		return rc;
	}
	fs_cluster c;
	int found = index_cluster(ix, id, &c) == 0;
	if (found && only && c.sae != only->id) {
		free(c.label);
		found = 0;
	}
	if (!found) {
		fs_warn("%s: %s: no such cluster node", path, node);
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	fs_cluster *ch = NULL;
	int nch = index_cluster_children(ix, c.sae, c.id, &ch);
	int64_t *fids = NULL;
	int nf = index_cluster_features(ix, c.id, &fids);
	if (nch < 0 || nf < 0) {
		fs_warn("%s: %s", path, index_errmsg(ix));
		rc = FS_EXIT_ERR;
	} else if (json) {
		json_t *o = json_object(), *ca = json_array(), *fa = json_array();
		json_object_set_new(o, "node", cluster_json(ix, &c));
		for (int j = 0; j < nch; j++)
			json_array_append_new(ca, cluster_json(ix, &ch[j]));
		json_object_set_new(o, "children", ca);
		for (int j = 0; j < nf; j++)
			json_array_append_new(fa, geo_feature_json(ix, fids[j]));
		json_object_set_new(o, "features", fa);
		cli_print_json(o);
	} else {
		const fs_sae *s = index_sae_by_id(ix, c.sae);
		printf("node %lld in %s: %s\n", (long long)c.id, s ? escape_str(s->name) : "?", escape_str(c.label));
		printf("depth %d, %lld features, parent %lld\n", c.depth, (long long)c.size,
		       (long long)c.parent);
		if (nch > 0) {
			printf("children:\n");
			for (int j = 0; j < nch; j++)
				cluster_line(&ch[j]);
		}
		if (nf > 0) {
			printf("features:\n");
			for (int j = 0; j < nf; j++) {
				char nm[128];
				char *fl = geo_feature(ix, fids[j], nm, sizeof nm);
				if (*fl)
					printf("  %-14s %s\n", escape_str(nm), escape_str(fl));
				else
					printf("  %s\n", escape_str(nm));
				free(fl);
			}
		}
	}
	free(fids);
	index_clusters_free(ch, nch > 0 ? nch : 0);
	free(c.label);
	index_close(ix);
	return rc;
}

/* --------------------------------------------------------------- entries */

const cmd_entry cmd_neighbours_entry = {
	.name = "neighbours", .args = "INDEX FEATURE", .opts = geo_opts, .run = neighbours_run,
	.summary = "nearest features by decoder cosine",
	.min_args = 2, .max_args = 2,
};

const cmd_entry cmd_clusters_entry = {
	.name = "clusters", .args = "INDEX [NODE]", .opts = clusters_opts, .run = clusters_run,
	.summary = "one level of the concept tree",
	.min_args = 1, .max_args = 2,
};
