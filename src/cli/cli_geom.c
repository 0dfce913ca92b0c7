/*
 * cli_geom.c: the geometry query subcommands. `neighbours` lists a
 * feature's nearest features by decoder cosine (in its own dictionary or
 * another); `clusters` walks the concept tree one level at a time. Plain
 * text, or JSON with --json. They read the index only through index.h.
 */
#define _GNU_SOURCE
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/format.h"
#include "index/index.h"
#include "core/util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options of the two commands. */
typedef struct {
	int json;          /* --json */
	int k;             /* --k N: neighbours shown */
	const char *in;    /* --in SAE: dictionary searched / listed */
} geo_opts;

static int parse_geo(int argc, char **argv, geo_opts *q, int min, int max, const char *usage)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"k", required_argument, NULL, 'k'},
		{"in", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	int64_t v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jk:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': q->json = 1; break;
		case 'k':
			if (parse_i64(optarg, &v) != 0 || v < 1 || v > 100000) {
				fs_warn("%s: --k: expected a positive integer, got '%s'", argv[0], optarg);
				return -1;
			}
			q->k = (int)v;
			break;
		case 'i': q->in = optarg; break;
		case 'h':
			printf("usage: featscope %s %s\n", argv[0], usage);
			exit(FS_EXIT_OK);
		default:
			fprintf(stderr, "usage: featscope %s %s\n", argv[0], usage);
			return -1;
		}
	}
	if (argc - optind < min || argc - optind > max) {
		fprintf(stderr, "usage: featscope %s %s\n", argv[0], usage);
		return -1;
	}
	return 0;
}

/* A label made safe for a terminal (control bytes escaped); malloc'd. */
static char *geo_safe(const char *s)
{
	fs_buf b = {0};
	format_escaped(&b, s ? s : "", s ? strlen(s) : 0);
	buf_addc(&b, 0);
	return b.p;
}

static json_t *geo_jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	char *e = geo_safe(s);
	j = json_string(e);
	free(e);
	return j;
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

int cmd_neighbours(int argc, char **argv)
{
	geo_opts q = {0, 10, NULL};
	if (parse_geo(argc, argv, &q, 2, 2, "INDEX FEATURE [--k N] [--in SAE] [--json]") < 0)
		return FS_EXIT_USAGE;
	const char *path = argv[optind], *fname = argv[optind + 1];
	fs_index *ix = cli_open_index(path);
	if (!ix)
		return FS_EXIT_USAGE;
	char err[1024], name[128], oname[128];
	int rc = FS_EXIT_OK;
	int64_t fid = index_resolve(ix, fname, err, sizeof err);
	fs_feature f;
	if (fid < 0 || index_feature(ix, fid, &f) != 0) {
		fs_warn("%s", fid < 0 ? err : "feature vanished");
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	const fs_sae *other = q.in ? geo_sae(ix, q.in, path) : index_sae_by_id(ix, f.sae);
	if (!other) {
		feature_free(&f);
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	index_feature_name(ix, fid, name, sizeof name);
	fs_neighbour *nb = NULL;
	int n = index_neighbours(ix, fid, other->id, q.k, &nb);
	if (n < 0) {
		fs_warn("%s: %s", path, index_errmsg(ix));
		rc = FS_EXIT_ERR;
	} else if (n == 0) {
		fs_warn("%s: no neighbours of %s in %s (index built without a decoder?)", path, name,
			other->name);
		rc = FS_EXIT_ERR;
	} else if (q.json) {
		json_t *o = json_object(), *a = json_array();
		json_object_set_new(o, "feature", json_string(name));
		json_object_set_new(o, "fid", json_integer(fid));
		json_object_set_new(o, "in", json_string(other->name));
		for (int i = 0; i < n; i++) {
			fs_feature g;
			json_t *e = json_object();
			index_feature_name(ix, nb[i].fid, oname, sizeof oname);
			json_object_set_new(e, "rank", json_integer(i + 1));
			json_object_set_new(e, "feature", json_string(oname));
			json_object_set_new(e, "fid", json_integer(nb[i].fid));
			json_object_set_new(e, "cosine", json_real(nb[i].cosine));
			if (index_feature(ix, nb[i].fid, &g) == 0) {
				json_object_set_new(e, "label", geo_jstr(g.label));
				feature_free(&g);
			} else {
				json_object_set_new(e, "label", json_string(""));
			}
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "neighbours", a);
		cli_print_json(o);
	} else {
		char *lab = geo_safe(f.label);
		printf("neighbours of %s in %s by decoder cosine%s%s\n", name, other->name,
		       *lab ? ": " : "", lab);
		free(lab);
		for (int i = 0; i < n; i++) {
			fs_feature g;
			index_feature_name(ix, nb[i].fid, oname, sizeof oname);
			char *l = NULL;
			if (index_feature(ix, nb[i].fid, &g) == 0) {
				l = geo_safe(g.label);
				feature_free(&g);
			}
			printf("%4d  %-14s %7.4f%s%s\n", i + 1, oname, nb[i].cosine,
			       l && *l ? "  " : "", l ? l : "");
			free(l);
		}
	}
	free(nb);
	feature_free(&f);
	index_close(ix);
	return rc;
}

/* -------------------------------------------------------------- clusters */

static json_t *cluster_json(fs_index *ix, const fs_cluster *c)
{
	json_t *o = json_object();
	const fs_sae *s = index_sae_by_id(ix, c->sae);
	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "sae", json_string(s ? s->name : ""));
	json_object_set_new(o, "parent", json_integer(c->parent));
	json_object_set_new(o, "depth", json_integer(c->depth));
	json_object_set_new(o, "size", json_integer(c->size));
	json_object_set_new(o, "children", json_integer(c->n_children));
	json_object_set_new(o, "label", geo_jstr(c->label));
	return o;
}

static void cluster_line(const fs_cluster *c)
{
	char *l = geo_safe(c->label);
	printf("%8lld  %7lld features  %3lld children  %s\n", (long long)c->id,
	       (long long)c->size, (long long)c->n_children, l);
	free(l);
}

int cmd_clusters(int argc, char **argv)
{
	geo_opts q = {0, 0, NULL};
	if (parse_geo(argc, argv, &q, 1, 2, "INDEX [NODE] [--in SAE] [--json]") < 0)
		return FS_EXIT_USAGE;
	const char *path = argv[optind], *node = argc - optind > 1 ? argv[optind + 1] : NULL;
	int64_t id = 0;
	if (node && (parse_i64(node, &id) != 0 || id < 1)) {
		fs_warn("%s: not a cluster node number", node);
		return FS_EXIT_USAGE;
	}
	fs_index *ix = cli_open_index(path);
	if (!ix)
		return FS_EXIT_USAGE;
	const fs_sae *only = NULL;
	if (q.in && !(only = geo_sae(ix, q.in, path))) {
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	int rc = FS_EXIT_OK;
	if (!node) {
		/* the roots of every dictionary (or of --in) */
		json_t *arr = q.json ? json_array() : NULL;
		int total = 0;
		for (int i = 0; i < index_n_saes(ix); i++) {
			const fs_sae *s = index_sae(ix, i);
			if (only && s->id != only->id)
				continue;
			fs_cluster *c = NULL;
			int n = index_cluster_children(ix, s->id, 0, &c);
			if (n > 0 && !q.json)
				printf("%s%s: %d top-level clusters\n", total ? "\n" : "", s->name, n);
			for (int j = 0; j < n; j++) {
				if (q.json)
					json_array_append_new(arr, cluster_json(ix, &c[j]));
				else
					cluster_line(&c[j]);
			}
			if (n > 0)
				total += n;
			clusters_free(c, n > 0 ? n : 0);
		}
		if (total == 0) {
			fs_warn("%s: no clusters stored (index built without a decoder?)", path);
			rc = FS_EXIT_ERR;
			json_decref(arr);
		} else if (q.json) {
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
	} else if (q.json) {
		json_t *o = json_object(), *a = json_array(), *fa = json_array();
		json_object_set_new(o, "node", cluster_json(ix, &c));
		for (int j = 0; j < nch; j++)
			json_array_append_new(a, cluster_json(ix, &ch[j]));
		json_object_set_new(o, "children", a);
		for (int j = 0; j < nf; j++) {
			char nm[128];
			fs_feature g;
			json_t *e = json_object();
			index_feature_name(ix, fids[j], nm, sizeof nm);
			json_object_set_new(e, "feature", json_string(nm));
			json_object_set_new(e, "fid", json_integer(fids[j]));
			if (index_feature(ix, fids[j], &g) == 0) {
				json_object_set_new(e, "label", geo_jstr(g.label));
				feature_free(&g);
			} else {
				json_object_set_new(e, "label", json_string(""));
			}
			json_array_append_new(fa, e);
		}
		json_object_set_new(o, "features", fa);
		cli_print_json(o);
	} else {
		const fs_sae *s = index_sae_by_id(ix, c.sae);
		char *l = geo_safe(c.label);
		printf("node %lld in %s: %s\n", (long long)c.id, s ? s->name : "?", l);
		printf("depth %d, %lld features, parent %lld\n", c.depth, (long long)c.size,
		       (long long)c.parent);
		free(l);
		if (nch > 0) {
			printf("children:\n");
			for (int j = 0; j < nch; j++)
				cluster_line(&ch[j]);
		}
		if (nf > 0) {
			printf("features:\n");
			for (int j = 0; j < nf; j++) {
				char nm[128];
				fs_feature g;
				char *fl = NULL;
				index_feature_name(ix, fids[j], nm, sizeof nm);
				if (index_feature(ix, fids[j], &g) == 0) {
					fl = geo_safe(g.label);
					feature_free(&g);
				}
				if (fl && *fl)
					printf("  %-14s %s\n", nm, fl);
				else
					printf("  %s\n", nm);
				free(fl);
			}
		}
	}
	free(fids);
	clusters_free(ch, nch > 0 ? nch : 0);
	free(c.label);
	index_close(ix);
	return rc;
}
