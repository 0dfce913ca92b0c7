/*
 * cli_compare.c: `featscope compare` (two dictionaries, of one index or of
 * two files: decoder matches both ways, mutual pairs, co-activation where
 * contexts are shared, baselines, a summary) and `featscope family` (a
 * feature's family over the wider dictionaries of its hook point, as a
 * tree). Plain text, or JSON with --json. The computing is in
 * src/compare/; this file parses, prints and maps errors to exit codes.
 */
#define _GNU_SOURCE
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "compare/compare.h"
#include "compare/compare_load.h"
#include "compare/family.h"
#include "core/escape.h"
#include "core/format.h"
#include "core/json.h"
#include "core/util.h"
#include "index/index.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options of both commands. */
typedef struct {
	int json;             /* --json */
	int top;              /* --top K: matches kept per feature, lines per list */
	float min_cos;        /* --min-cos C: least cosine to count as matched, besides the baselines */
	const char *dec_a;    /* --decoder-a FILE */
	const char *dec_b;    /* --decoder-b FILE */
	int by_coact;         /* --sort coact: pairs by co-activation rather than cosine */
	double min_inside;    /* family --min-inside S */
	double min_share;     /* family --min-share S */
} cmp_cli;

/* Options of both commands (indexes into cmp_opts_spec). */
/* Options of compare (indexes O_*) and of family (F_*), one row each: the
 * enums and the tables are made from the lists (CLI_OPTIONS). parse_cli
 * reads both commands' first three options by the O_ indexes: the asserts
 * keep family's in the same places. */
#define COMPARE_OPTS(X) \
	X(O_JSON, "json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output") \
	X(O_TOP, "top", 't', OPT_INT, "K", 1, 1000, "matches kept per feature, lines per list (10)") \
	X(O_MINCOS, "min-cos", 0, OPT_FLOAT, "C", -1, 1, "least cosine to count as matched, besides the baseline (0)") \
	X(O_DECA, "decoder-a", 0, OPT_STR, "FILE", 0, 0, "decoder of A (.npy or safetensors) instead of the stored one") \
	X(O_DECB, "decoder-b", 0, OPT_STR, "FILE", 0, 0, "decoder of B instead of the stored one") \
	X(O_SORT, "sort", 0, OPT_STR, "cos|coact", 0, 0, "mutual pairs by cosine (default) or co-activation")
CLI_OPTIONS(compare_opts, COMPARE_OPTS);
#define FAMILY_OPTS(X) \
	X(F_JSON, "json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output") \
	X(F_TOP, "top", 't', OPT_INT, "K", 1, 1000, "nearest candidates per node, children shown (10)") \
	X(F_MINCOS, "min-cos", 0, OPT_FLOAT, "C", -1, 1, "least cosine of a child, besides the baseline (0)") \
	X(F_MININSIDE, "min-inside", 0, OPT_FLOAT, "S", 0, 1, "least share of a child's firings inside its parent's (0.5)") \
	X(F_MINSHARE, "min-share", 0, OPT_FLOAT, "S", 0, 1, \
	  "with co-firing counts: least share of the parent's firing tokens a child fires on (0.05)")
CLI_OPTIONS(family_opts, FAMILY_OPTS);
_Static_assert((int)F_JSON == (int)O_JSON && (int)F_TOP == (int)O_TOP && (int)F_MINCOS == (int)O_MINCOS,
	       "family's first options are compare's");

/* Read both commands' options into q; 0 to go on, else return *rc. */
static int parse_cli(const cmd_entry *e, const cli_args *a, cmp_cli *q, int *rc)
{
	q->json = a->set[O_JSON] > 0;
	if (a->set[O_TOP])
		q->top = (int)a->num[O_TOP];
	q->min_cos = (float)cli_float(a, O_MINCOS, q->min_cos);
	if (e->opts == family_opts) {
		q->min_inside = cli_float(a, F_MININSIDE, q->min_inside);
		q->min_share = cli_float(a, F_MINSHARE, q->min_share);
	}
	if (e->opts == compare_opts) {
		q->dec_a = a->set[O_DECA] ? a->str[O_DECA] : NULL;
		q->dec_b = a->set[O_DECB] ? a->str[O_DECB] : NULL;
		if (a->set[O_SORT]) {
			if (strcmp(a->str[O_SORT], "cos") && strcmp(a->str[O_SORT], "coact")) {
				*rc = cli_usage_error(e, "--sort: expected cos or coact, got '%s'", a->str[O_SORT]);
				return -1;
			}
			q->by_coact = !strcmp(a->str[O_SORT], "coact");
		}
	}
	return 0;
}

/* "%.3f" or "-" for an unknown value. */
static const char *fmt3(char *buf, double v)
{
	if (isfinite(v))
		snprintf(buf, 16, "%.3f", v);
	else
		snprintf(buf, 16, "-");
	return buf;
}

/* ------------------------------------------------------------- compare */

/* Per row of one side: its best match's co-activation. */
typedef struct {
	cmp_coact *c;    /* n entries (NAN where not computed) */
} side_coact;

/* Split "FILE:SAE" at the last colon; 0 when there is none. */
static int split_spec(const char *spec, char **file, char **sae)
{
	const char *c = strrchr(spec, ':');
	if (!c || c == spec || !c[1])
		return 0;
	*file = xstrndup(spec, (size_t)(c - spec));
	*sae = xstrdup(c + 1);
	return 1;
}

/* A pair shown in a list. */
typedef struct {
	int64_t a, b;     /* rows */
	float cos;        /* decoder cosine */
	double corr;      /* co-activation correlation */
	double share;     /* share of a's firings where b fires */
	double dist;      /* label distance */
} pair_row;

static int by_cos(const void *x, const void *y)
{
	const pair_row *a = x, *b = y;
	if (a->cos != b->cos)
		return a->cos > b->cos ? -1 : 1;
	return a->a < b->a ? -1 : a->a > b->a;
}

static int by_corr(const void *x, const void *y)
{
	const pair_row *a = x, *b = y;
	double ca = isnan(a->corr) ? -2 : a->corr, cb = isnan(b->corr) ? -2 : b->corr;
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return by_cos(x, y);
}

static int by_dist(const void *x, const void *y)
{
	const pair_row *a = x, *b = y;
	if (a->dist != b->dist)
		return a->dist > b->dist ? -1 : 1;
	return by_cos(x, y);
}

static int by_cos_up(const void *x, const void *y)
{
	const pair_row *a = x, *b = y;
	if (a->cos != b->cos)
		return a->cos < b->cos ? -1 : 1;
	return a->a < b->a ? -1 : a->a > b->a;
}

/* Unmatched rows of one side (best cosine at or under thr), lowest first. */
static int64_t unmatched(const knn_result *r, int k, float thr, pair_row **out)
{
	pair_row *v = xmalloc((size_t)(r->n + 1) * sizeof *v);
	int64_t n = 0;
	for (int64_t i = 0; i < r->n; i++) {
		float c = r->idx[i * k] >= 0 ? r->cos[i * k] : -1;
		if (!(c > thr))
			v[n++] = (pair_row){i, r->idx[i * k], c, NAN, NAN, 0};
	}
	qsort(v, (size_t)n, sizeof *v, by_cos_up);
	*out = v;
	return n;
}

static json_t *side_json(const cmp_side *s, const char *path)
{
	json_t *j = json_object();
	json_object_set_new(j, "index", jw_str(path));
	json_object_set_new(j, "sae", jw_str(s->sae->name));
	json_object_set_new(j, "n_features", json_integer(s->n));
	return j;
}

/* The per-row JSON of one direction. */
static json_t *rows_json(const cmp_side *s, const knn_result *r, int k, float thr,
			 const int32_t *mutual, const int32_t *mutual_b, const cmp_coact *co)
{
	json_t *arr = json_array();
	for (int64_t i = 0; i < r->n; i++) {
		json_t *o = json_object(), *m = json_array();
		json_object_set_new(o, "feature", json_integer(i));
		json_object_set_new(o, "label", jw_str(s->labels[i]));
		for (int t = 0; t < k; t++) {
			int32_t j = r->idx[i * k + t];
			if (j < 0)
				break;
			json_t *e = json_object();
			json_object_set_new(e, "feature", json_integer(j));
			json_object_set_new(e, "cosine", json_real(r->cos[i * k + t]));
			json_array_append_new(m, e);
		}
		json_object_set_new(o, "matches", m);
		float best = r->idx[i * k] >= 0 ? r->cos[i * k] : -1;
		json_object_set_new(o, "matched", json_boolean(best > thr));
		int32_t mu = -1;
		if (mutual)
			mu = mutual[i];
		else if (mutual_b && r->idx[i * k] >= 0 && mutual_b[r->idx[i * k]] == i)
			mu = r->idx[i * k];
		json_object_set_new(o, "mutual", mu >= 0 ? json_integer(mu) : json_null());
		if (co) {
			json_object_set_new(o, "corr", jw_num(co[i].corr));
			json_object_set_new(o, "share", jw_num(co[i].share_a));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static int compare_run(const cmd_entry *e, const cli_args *ap)
{
	cmp_cli q = {0, 10, 0, NULL, NULL, 0, 0.5, 0.05};
	const cli_args args = *ap;
	int rc;
	if (parse_cli(e, &args, &q, &rc))
		return rc;
	char *fa = NULL, *fb = NULL, *na = NULL, *nb = NULL;
	if (args.npos == 3) {
		fa = xstrdup(args.pos[0]);
		fb = xstrdup(args.pos[0]);
		na = xstrdup(args.pos[1]);
		nb = xstrdup(args.pos[2]);
	} else if (!split_spec(args.pos[0], &fa, &na) || !split_spec(args.pos[1], &fb, &nb)) {
		rc = cli_usage_error(e, "expected INDEX SAE_A SAE_B, or FILE:SAE FILE:SAE (got '%s')",
				     fa ? args.pos[1] : args.pos[0]);
		free(fa);
		free(na);
		return rc;
	}
	rc = FS_EXIT_USAGE;
	char err[1024];
	fs_index *ia = NULL, *ib = NULL;
	cmp_side A = {0}, B = {0};
	cmp_match m = {0};
	cmp_acts aa = {0}, ab = {0};
	int have_acts = 0;
	cmp_coact *coa = NULL, *cob = NULL;
	int64_t shared = 0;
	char note[256] = "";
	pair_row *pairs = NULL, *ua = NULL, *ub = NULL, *ld = NULL;
	int same = strcmp(fa, fb) == 0;

	ia = cli_open_index(fa);
	if (!ia)
		goto out;
	ib = same ? ia : cli_open_index(fb);
	if (!ib)
		goto out;
	char *shown_a = same ? xstrdup(na) : xasprintf("%s:%s", fa, na);
	char *shown_b = same ? xstrdup(nb) : xasprintf("%s:%s", fb, nb);
	int ok = cmp_side_open(&A, ia, na, shown_a, err, sizeof err) == 0 &&
		 cmp_side_open(&B, ib, nb, shown_b, err, sizeof err) == 0;
	free(shown_a);
	free(shown_b);
	if (!ok) {
		fs_warn("%s", err);
		goto out;
	}
	if (A.sae->d_model > 0 && B.sae->d_model > 0 && A.sae->d_model != B.sae->d_model) {
		fs_warn("compare: '%s' has d_model %d and '%s' %d: dictionaries of different widths cannot be matched",
			A.name, A.sae->d_model, B.name, B.sae->d_model);
		goto out;
	}
	if (cmp_side_decoder(&A, q.dec_a, err, sizeof err) != 0 ||
	    cmp_side_decoder(&B, q.dec_b, err, sizeof err) != 0) {
		fs_warn("%s", err);
		goto out;
	}
	if (A.d != B.d) {
		fs_warn("compare: '%s' has decoder rows of width %d and '%s' %d: dictionaries of different widths cannot be matched",
			A.name, A.d, B.name, B.d);
		goto out;
	}
	cmp_opts co;
	cmp_opts_init(&co);
	co.k = q.top;
	if (cmp_match_run(A.W, A.n, B.W, B.n, A.d, &co, &m, err, sizeof err) != 0) {
		fs_warn("compare: %s", err);
		goto out;
	}
	rc = FS_EXIT_ERR;
	/* co-activation: across files over the contexts both hold */
	have_acts = cmp_sides_acts(&A, &B, &aa, &ab, &shared, note, sizeof note, err, sizeof err);
	if (have_acts < 0) {
		have_acts = 0;
		fs_warn("compare: %s", err);
		goto out;
	}
	double base_corr = NAN, base_share = NAN;
	if (!note[0]) {
		coa = xmalloc((size_t)A.n * sizeof *coa);
		cob = xmalloc((size_t)B.n * sizeof *cob);
		for (int64_t i = 0; i < A.n; i++)
			cmp_pair(&aa, i, &ab, m.ab.idx[i * m.k], &coa[i]);
		for (int64_t j = 0; j < B.n; j++)
			cmp_pair(&ab, j, &aa, m.ba.idx[j * m.k], &cob[j]);
		cmp_coact_baseline(&aa, &ab, &m.ab, 4000, co.pct, co.seed, &base_corr, &base_share);
	}
	float ta = cmp_threshold(&m, 0, q.min_cos), tb = cmp_threshold(&m, 1, q.min_cos);
	int64_t ma = 0, mb = 0;
	for (int64_t i = 0; i < A.n; i++)
		ma += m.ab.idx[i * m.k] >= 0 && m.ab.cos[i * m.k] > ta;
	for (int64_t j = 0; j < B.n; j++)
		mb += m.ba.idx[j * m.k] >= 0 && m.ba.cos[j * m.k] > tb;
	/* mutual pairs, their label distances */
	int64_t np = 0, nld = 0, mu_above = 0;
	pairs = xmalloc((size_t)(m.n_mutual + 1) * sizeof *pairs);
	ld = xmalloc((size_t)(m.n_mutual + 1) * sizeof *ld);
	for (int64_t i = 0; i < A.n; i++) {
		if (m.mutual[i] < 0)
			continue;
		pair_row p = {i, m.mutual[i], m.ab.cos[i * m.k], coa ? coa[i].corr : NAN,
			      coa ? coa[i].share_a : NAN, 0};
		pairs[np++] = p;
		mu_above += p.cos > ta;
		if (p.cos > ta && A.labels[i][0] && B.labels[p.b][0]) {
			p.dist = cmp_label_distance(A.labels[i], B.labels[p.b]);
			if (p.dist > 0)
				ld[nld++] = p;
		}
	}
	qsort(pairs, (size_t)np, sizeof *pairs, q.by_coact ? by_corr : by_cos);
	qsort(ld, (size_t)nld, sizeof *ld, by_dist);
	int64_t nua = unmatched(&m.ab, m.k, ta, &ua), nub = unmatched(&m.ba, m.k, tb, &ub);
	int top = q.top;

	if (q.json) {
		json_t *j = json_object(), *b = json_object(), *c = json_object(), *s = json_object();
		json_object_set_new(j, "a", side_json(&A, fa));
		json_object_set_new(j, "b", side_json(&B, fb));
		json_object_set_new(j, "d_model", json_integer(A.d));
		json_object_set_new(b, "percentile", json_real(co.pct));
		json_object_set_new(b, "random_in_b", jw_num(m.rand_ab));
		json_object_set_new(b, "random_in_a", jw_num(m.rand_ba));
		json_object_set_new(b, "shuffled", jw_num(m.shuf));
		json_object_set_new(b, "min_cos", json_real(q.min_cos));
		json_object_set_new(b, "threshold_a", jw_num(ta));
		json_object_set_new(b, "threshold_b", jw_num(tb));
		json_object_set_new(j, "baseline", b);
		json_object_set_new(c, "available", json_boolean(!note[0]));
		if (note[0])
			json_object_set_new(c, "note", jw_str(note));
		else {
			json_object_set_new(c, "baseline_corr", jw_num(base_corr));
			json_object_set_new(c, "baseline_share", jw_num(base_share));
		}
		if (!same)
			json_object_set_new(c, "shared_contexts", json_integer(shared));
		json_object_set_new(j, "coactivation", c);
		json_object_set_new(s, "a_matched", json_integer(ma));
		json_object_set_new(s, "a_share", json_real((double)ma / (double)A.n));
		json_object_set_new(s, "b_matched", json_integer(mb));
		json_object_set_new(s, "b_share", json_real((double)mb / (double)B.n));
		json_object_set_new(s, "mutual", json_integer(m.n_mutual));
		json_object_set_new(s, "mutual_matched", json_integer(mu_above));
		json_object_set_new(s, "a_unmatched", json_integer(nua));
		json_object_set_new(s, "b_unmatched", json_integer(nub));
		json_object_set_new(j, "summary", s);
		json_object_set_new(j, "a_in_b", rows_json(&A, &m.ab, m.k, ta, m.mutual, NULL, coa));
		json_object_set_new(j, "b_in_a", rows_json(&B, &m.ba, m.k, tb, NULL, m.mutual, cob));
		json_t *l = json_array();
		for (int64_t i = 0; i < nld && i < top; i++) {
			json_t *x = json_object();
			json_object_set_new(x, "a", json_integer(ld[i].a));
			json_object_set_new(x, "b", json_integer(ld[i].b));
			json_object_set_new(x, "cosine", json_real(ld[i].cos));
			json_object_set_new(x, "label_distance", json_real(ld[i].dist));
			json_object_set_new(x, "label_a", jw_str(A.labels[ld[i].a]));
			json_object_set_new(x, "label_b", jw_str(B.labels[ld[i].b]));
			json_array_append_new(l, x);
		}
		json_object_set_new(j, "labels_differ", l);
		cli_print_json(j);
	} else {
		char x1[16], x2[16], x3[16];
		/* names come from the indexes and the command line: escaped */
		/* held over the loops below, which escape more: copies */
		char *ea = escape_dup(A.name, strlen(A.name)), *eb = escape_dup(B.name, strlen(B.name));
		char *sa = escape_dup(A.sae->name, strlen(A.sae->name)), *sb = escape_dup(B.sae->name, strlen(B.sae->name));
		printf("compare %s (%lld features) with %s (%lld features), d_model %d\n", ea,
		       (long long)A.n, eb, (long long)B.n, A.d);
		printf("baseline (p99): best cosine of a random direction in %s %.3f, in %s %.3f; shuffled pairs %.3f\n",
		       eb, m.rand_ab, ea, m.rand_ba, m.shuf);
		printf("%s in %s: %lld of %lld matched (%.1f%%) at cosine > %.3f\n", ea, eb,
		       (long long)ma, (long long)A.n, 100.0 * (double)ma / (double)A.n, ta);
		printf("%s in %s: %lld of %lld matched (%.1f%%) at cosine > %.3f\n", eb, ea,
		       (long long)mb, (long long)B.n, 100.0 * (double)mb / (double)B.n, tb);
		printf("mutual best pairs: %lld (%lld above the baseline)\n", (long long)m.n_mutual,
		       (long long)mu_above);
		if (note[0])
			printf("co-activation: %s\n", escape_str(note));
		else
			printf("co-activation baseline (p99 of shuffled pairs): corr %s, share %s\n",
			       fmt3(x1, base_corr), fmt3(x2, base_share));
		printf("\nmutual pairs by %s (top %d of %lld):\n", q.by_coact ? "co-activation" : "cosine",
		       top, (long long)np);
		printf("  %-16s %-16s %7s %7s %7s  labels\n", "a", "b", "cosine", "corr", "share");
		for (int64_t i = 0; i < np && i < top; i++) {
			const char *la = escape_str(A.labels[pairs[i].a]), *lb = escape_str(B.labels[pairs[i].b]);
			char *an = xasprintf("%s/%lld", sa, (long long)pairs[i].a);
			char *bn = xasprintf("%s/%lld", sb, (long long)pairs[i].b);
			printf("  %-16s %-16s %7.3f %7s %7s  %s | %s\n", an, bn, pairs[i].cos,
			       fmt3(x1, pairs[i].corr), fmt3(x2, pairs[i].share), la, lb);
			free(an);
			free(bn);
		}
		for (int side = 0; side < 2; side++) {
			const cmp_side *S = side ? &B : &A;
			pair_row *u = side ? ub : ua;
			int64_t nu = side ? nub : nua;
			printf("\nunmatched in %s: %lld (lowest best cosine first, top %d):\n", side ? eb : ea,
			       (long long)nu, top);
			for (int64_t i = 0; i < nu && i < top; i++) {
				printf("  %s/%-10lld best %s\t%s\n", side ? sb : sa, (long long)u[i].a,
				       fmt3(x3, u[i].cos), escape_str(S->labels[u[i].a]));
			}
		}
		printf("\nmatched pairs whose labels differ most (top %d of %lld):\n", top, (long long)nld);
		for (int64_t i = 0; i < nld && i < top; i++) {
			printf("  %s/%lld %s/%lld cosine %.3f distance %.2f  %s | %s\n", sa,
			       (long long)ld[i].a, sb, (long long)ld[i].b, ld[i].cos, ld[i].dist,
			       escape_str(A.labels[ld[i].a]), escape_str(B.labels[ld[i].b]));
		}
		free(ea);
		free(eb);
		free(sa);
		free(sb);
	}
	rc = FS_EXIT_OK;
out:
	free(pairs);
	free(ld);
	free(ua);
	free(ub);
	free(coa);
	free(cob);
	if (have_acts) {
		cmp_acts_free(&aa);
		cmp_acts_free(&ab);
	}
	cmp_match_free(&m);
	cmp_side_free(&A);
	cmp_side_free(&B);
	if (ib && ib != ia)
		index_close(ib);
	if (ia)
		index_close(ia);
	free(fa);
	free(fb);
	free(na);
	free(nb);
	return rc;
}

/* -------------------------------------------------------------- family */

static void family_text(const cmp_family *f, int node, const char *prefix, int last, int top)
{
	const cmp_fnode *v = &f->v[node];
	const cmp_side *L = &f->lv[v->level];
	const char *l = escape_str(L->labels[v->row]), *sn = escape_str(L->sae->name);
	char x1[16], x2[16];
	if (v->parent < 0)
		printf("%s/%lld  %s\n", sn, (long long)v->row, l);
	else
		printf("%s%s%s/%lld  cos %.3f  share of parent %s  inside %s  %s\n", prefix,
		       last ? "`- " : "|- ", sn, (long long)v->row, v->cos,
		       fmt3(x1, v->share_parent), fmt3(x2, v->inside), l);
	char *np = v->parent < 0 ? xstrdup("") : xasprintf("%s%s", prefix, last ? "   " : "|  ");
	int nc = 0, shown = 0;
	for (int i = node + 1; i < f->n; i++)
		nc += f->v[i].parent == node;
	for (int i = node + 1; i < f->n && shown < top; i++)
		if (f->v[i].parent == node) {
			shown++;
			family_text(f, i, np, shown == nc || shown == top, top);
		}
	if (nc > shown)
		printf("%s   ... %d more\n", np, nc - shown);
	free(np);
}

static json_t *family_json(const cmp_family *f, int node)
{
	const cmp_fnode *v = &f->v[node];
	const cmp_side *L = &f->lv[v->level];
	json_t *o = json_object(), *ch = json_array();
	json_object_set_new(o, "sae", jw_str(L->sae->name));
	json_object_set_new(o, "feature", json_integer(v->row));
	json_object_set_new(o, "label", jw_str(L->labels[v->row]));
	if (v->parent >= 0) {
		json_object_set_new(o, "cosine", json_real(v->cos));
		json_object_set_new(o, "share_of_parent", jw_num(v->share_parent));
		json_object_set_new(o, "inside_parent", jw_num(v->inside));
	}
	for (int i = node + 1; i < f->n; i++)
		if (f->v[i].parent == node)
			json_array_append_new(ch, family_json(f, i));
	json_object_set_new(o, "children", ch);
	return o;
}

static int family_run(const cmd_entry *e, const cli_args *ap)
{
	cmp_cli q = {0, 10, 0, NULL, NULL, 0, 0.5, 0.05};
	const cli_args args = *ap;
	int rc;
	if (parse_cli(e, &args, &q, &rc))
		return rc;
	fs_index *ix = cli_open_index(args.pos[0]);
	if (!ix)
		return FS_EXIT_USAGE;
	char err[1024];
	int64_t fid = cli_resolve(ix, args.pos[1]);
	if (fid < 0) {
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	cmp_family_opts o;
	cmp_family_opts_init(&o);
	o.k = q.top;
	o.min_inside = q.min_inside;
	o.min_share = q.min_share;
	o.min_cos = q.min_cos;
	cmp_family f;
	if (cmp_family_build(ix, fid, &o, &f, err, sizeof err) != 0) {
		fs_warn("%s", err);
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	if (q.json) {
		json_t *j = json_object(), *lv = json_array();
		for (int l = 1; l < f.nlv; l++) {
			json_t *x = json_object();
			json_object_set_new(x, "sae", jw_str(f.lv[l].sae->name));
			json_object_set_new(x, "n_features", json_integer(f.lv[l].n));
			json_object_set_new(x, "baseline", jw_num(f.base[l]));
			json_array_append_new(lv, x);
		}
		json_object_set_new(j, "levels", lv);
		if (f.note[0])
			json_object_set_new(j, "note", jw_str(f.note));
		json_object_set_new(j, "cofire", json_boolean(f.exact));
		if (f.why[0])
			json_object_set_new(j, "why", jw_str(f.why));
		json_object_set_new(j, "tree", family_json(&f, 0));
		cli_print_json(j);
	} else {
		/* dictionary names and the note (which names one) come from
		 * the index: escaped */
		printf("family of %s/%lld over", escape_str(f.lv[0].sae->name), (long long)f.v[0].row);
		for (int l = 1; l < f.nlv; l++)
			printf(" %s (%lld, baseline %.3f)", escape_str(f.lv[l].sae->name), (long long)f.lv[l].n, f.base[l]);
		printf("\n");
		if (f.note[0])
			printf("note: %s\n", escape_str(f.note));
		family_text(&f, 0, "", 1, q.top);
		/* names a dictionary of the index: escaped */
		if (f.why[0])
			printf("%s\n", escape_str(f.why));
	}
	cmp_family_free(&f);
	index_close(ix);
	return FS_EXIT_OK;
}

const cmd_entry cmd_compare_entry = {
	.name = "compare",
	.args = "INDEX SAE_A SAE_B | A.sqlite:SAE B.sqlite:SAE",
	.opts = compare_opts,
	.run = compare_run,
	.summary = "match two dictionaries: decoder cosine both ways, co-activation, baselines",
	.min_args = 2,
	.max_args = 3,
};

const cmd_entry cmd_family_entry = {
	.name = "family",
	.args = "INDEX FEATURE",
	.opts = family_opts,
	.run = family_run,
	.summary = "a feature's family over the wider dictionaries of its hook point",
	.min_args = 2,
	.max_args = 2,
};
