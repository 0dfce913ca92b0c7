/*
 * merge.c: `featscope merge`'s engine: shards of one harvest (harvest
 * --shard I/N, each an index carrying its builder's accumulators in the
 * shard_state table) merged into the index one harvest of the whole text
 * would have written.
 *
 * Why the result is the same, not only alike (build_int.h has the rules
 * the builder follows in both cases): the counts (tokens, firing tokens,
 * histogram bins once rebinned to the common power-of-two range) and the
 * fixed-point sums are integers, so they add exactly; the maximum is a
 * maximum; the top-k is the first k of one total order (max, then key),
 * and the first k of a union are among the first k of its parts; the
 * reservoir is the R smallest keys, and the R smallest of a union are
 * among the R smallest of its parts. Everything written from them (the
 * quantile intervals over [0, max], their samples, the random samples,
 * the order of the contexts) is a function of those sets alone, computed
 * by the same code (build.c) as a single build, once, at the end, as are
 * the neighbours, concept tree and map (from the dictionary's decoder).
 * The keys are hashes of the record's identity, so a uniform random
 * sample, and the same one on every machine.
 */
#include "build/build.h"
#include "build/build_int.h"
#include "core/util.h"
#include "index/index.h"

#include <stdlib.h>
#include <string.h>

/* One record of a merge: a context of one shard. */
typedef struct {
	int shard;        /* which shard */
	int64_t ctx;      /* its context id there */
	char *source;     /* the window's own source */
} merge_rec;

struct build_merge_src {
	fs_index **ix;         /* the shards, open */
	const char *const *paths; /* their paths, for messages */
	int n;                 /* their count */
	const char *sae;       /* the dictionary being merged */
	merge_rec *rec;        /* the records the samples name */
	int64_t nrec, cap;     /* used, allocated */
};

build_merge_src *build_merge_open(fs_index **ix, const char *const *paths, int n)
{
	build_merge_src *m = xcalloc(1, sizeof *m);
	m->ix = ix;
	m->paths = paths;
	m->n = n;
	return m;
}

void build_merge_dict(build_merge_src *m, const char *sae)
{
	m->sae = sae;
	for (int64_t i = 0; i < m->nrec; i++)
		free(m->rec[i].source);
	m->nrec = 0;
}

void build_merge_close(build_merge_src *m)
{
	if (!m)
		return;
	build_merge_dict(m, NULL);
	free(m->rec);
	free(m);
}

/* The meta values every shard must share, with what a difference means. */
static const struct {
	const char *key;   /* meta key */
	const char *what;  /* what differs */
} merge_same[] = {
	{"live.model.hash", "another model"},
	{"live.model.arch", "another architecture"},
	{"live.harvest.ctx", "another --ctx"},
	{"harvest.text_field", "another --text-field"},
	{"harvest.max_tokens", "another --max-tokens"},
	{"harvest.top_k", "another --top-k"},
	{"harvest.intervals", "another --intervals"},
	{"harvest.per_interval", "another --per-interval"},
	{"harvest.neighbours", "another --neighbours"},
};

static const char *meta_or(fs_index *ix, const char *key)
{
	const char *v = index_meta(ix, key);
	return v ? v : "(none)";
}

int build_merge_check(build_merge_src *m, int *nshards, char *err, size_t errlen)
{
	int N = -1;
	char *seen = NULL;
	for (int s = 0; s < m->n; s++) {
		const char *v = index_meta(m->ix[s], "harvest.shard");
		long long i, n;
		int used = 0;
		if (!v || sscanf(v, "%lld/%lld%n", &i, &n, &used) != 2 || v[used] || n < 1 || n > 1 << 20 || i < 0 ||
		    i >= n) {
			free(seen);
			return fs_seterr(err, errlen, "%s: harvest.shard: not a shard of a harvest (made by harvest "
				  "--shard I/N)", m->paths[s]);
		}
		if (N < 0) {
			N = (int)n;
			seen = xcalloc((size_t)N, sizeof *seen);
		} else if (n != N) {
			free(seen);
			return fs_seterr(err, errlen, "%s: harvest.shard: %s is a shard of %lld, %s one of %d",
					 m->paths[s], v, n, m->paths[0], N);
		}
		if (seen[i]) {
			free(seen);
			return fs_seterr(err, errlen, "%s: harvest.shard: shard %lld/%d is given twice", m->paths[s], i, N);
		}
		seen[i] = 1;
	}
	for (int i = 0; i < N; i++)
		if (!seen[i]) {
			free(seen);
			return fs_seterr(err, errlen, "shard %d/%d is missing (%d of %d given)", i, N, m->n, N);
		}
	free(seen);
	*nshards = N;
	fs_index *a = m->ix[0];
	for (int s = 1; s < m->n; s++) {
		fs_index *b = m->ix[s];
		for (size_t k = 0; k < sizeof merge_same / sizeof *merge_same; k++) {
			const char *x = meta_or(a, merge_same[k].key), *y = meta_or(b, merge_same[k].key);
			if (strcmp(x, y))
				return fs_seterr(err, errlen, "%s: %s: %s differs from %s's %s (%s)", m->paths[s],
						 merge_same[k].key, y, m->paths[0], x, merge_same[k].what);
		}
		if (index_n_saes(a) != index_n_saes(b))
			return fs_seterr(err, errlen, "%s: %d dictionaries, %s has %d", m->paths[s], index_n_saes(b),
					 m->paths[0], index_n_saes(a));
		for (int d = 0; d < index_n_saes(a); d++) {
			const fs_sae *da = index_sae(a, d), *db = index_sae(b, d);
			if (strcmp(da->name, db->name))
				return fs_seterr(err, errlen, "%s: dictionary %d: %s, %s has %s", m->paths[s], d + 1,
						 db->name, m->paths[0], da->name);
			char hk[256], pk[256];
			snprintf(hk, sizeof hk, "live.sae.%s.hash", da->name);
			snprintf(pk, sizeof pk, "live.sae.%s.hook", da->name);
			const char *x = meta_or(a, hk), *y = meta_or(b, hk);
			if (strcmp(x, y))
				return fs_seterr(err, errlen, "%s: %s: %s differs from %s's %s (another dictionary)",
						 m->paths[s], hk, y, m->paths[0], x);
			x = meta_or(a, pk);
			y = meta_or(b, pk);
			if (strcmp(x, y))
				return fs_seterr(err, errlen, "%s: %s: %s differs from %s's %s (another hook)",
						 m->paths[s], pk, y, m->paths[0], x);
			if (da->n_features != db->n_features)
				return fs_seterr(err, errlen, "%s: %s: %lld features, %s has %lld", m->paths[s],
						 da->name, (long long)db->n_features, m->paths[0],
						 (long long)da->n_features);
		}
	}
	return 0;
}

int build_merge_collect(builder *b, char *err, size_t errlen)
{
	build_merge_src *m = b->o->merge;
	int k = b->o->top_k, R = build_reservoir_size(b->o);
	int *sid = xmalloc(sizeof *sid * (size_t)m->n);
	int rc = -1;
	b->tokens = 0;
	for (int s = 0; s < m->n; s++) {
		const fs_sae *d = index_sae_by_name(m->ix[s], m->sae);
		if (!d) {
			fs_seterr(err, errlen, "%s: no dictionary %s", m->paths[s], m->sae);
			goto out;
		}
		sid[s] = d->id;
		b->tokens += index_n_tokens(m->ix[s]);
	}
	progress_start(b->o->progress, "features", "merge: %s", m->sae);
	for (int64_t f = 0; f < b->nfeat; f++) {
		feat_acc *a = &b->acc[f];
		for (int s = 0; s < m->n; s++) {
			int64_t fid = index_feature_id(m->ix[s], sid[s], f);
			uint8_t *blob = NULL;
			size_t n = 0;
			build_state st;
			int got = fid < 0 ? 0 : index_shard_state(m->ix[s], fid, &blob, &n);
			if (got <= 0 || build_state_decode(blob, n, k, R, &st) != 0) {
				free(blob);
				fs_seterr(err, errlen, "%s: shard_state: %s %s/%lld", m->paths[s],
					  got < 0 ? "cannot read" : got == 0 ? "missing for" : "corrupt for", m->sae,
					  (long long)f);
				goto out;
			}
			free(blob);
			build_acc_merge_stats(a, st.fires, st.sum, st.max, st.hist_hi, st.hist);
			for (int i = 0; i < st.ntop + st.nres; i++) {
				sample x = st.s[i];
				st.s[i].acts = NULL;
				if (m->nrec == m->cap) {
					m->cap = m->cap ? m->cap * 2 : 4096;
					m->rec = xrealloc(m->rec, sizeof *m->rec * (size_t)m->cap);
				}
				m->rec[m->nrec] = (merge_rec){s, x.rec, st.src[i]};
				st.src[i] = NULL;
				x.rec = m->nrec++;
				x.key = build_key(x.rid, f);
				if (i < st.ntop && build_top_wants(a, k, x.max, x.key))
					build_top_put(a, k, x);
				else if (i >= st.ntop && build_res_wants(a, R, x.key))
					build_res_put(a, R, x);
				else
					build_sample_free(&x);
			}
			build_state_free(&st);
		}
		progress_update(b->o->progress, f + 1, b->nfeat);
	}
	progress_end(b->o->progress, b->nfeat);
	rc = 0;
out:
	free(sid);
	return rc;
}

int build_merge_fetch(build_merge_src *m, int64_t rec, fs_context *c, char *err, size_t errlen)
{
	if (rec < 0 || rec >= m->nrec)
		return fs_seterr(err, errlen, "internal: no merged record %lld", (long long)rec);
	const merge_rec *r = &m->rec[rec];
	if (index_context(m->ix[r->shard], r->ctx, c) != 0)
		return fs_seterr(err, errlen, "%s: context %lld: missing or corrupt", m->paths[r->shard],
				 (long long)r->ctx);
	free(c->source);
	c->source = xstrdup(r->source);
	return 0;
}

int build_merge_logits(build_merge_src *m, fs_writer *w, const int64_t *fids, int64_t nfeat, char *err,
		       size_t errlen)
{
	const fs_sae *d = index_sae_by_name(m->ix[0], m->sae);
	if (!d)
		return fs_seterr(err, errlen, "%s: no dictionary %s", m->paths[0], m->sae);
	for (int64_t f = 0; f < nfeat; f++) {
		int64_t fid = index_feature_id(m->ix[0], d->id, f);
		for (int sign = 1; sign >= -1 && fid >= 0; sign -= 2) {
			fs_logit *l = NULL;
			int n = index_logits(m->ix[0], fid, sign, &l);
			for (int i = 0; i < n; i++)
				if (index_writer_add_logit(w, fids[f], sign, i, l[i].token, l[i].value) < 0) {
					index_logits_free(l, n);
					return build_io_err(err, errlen, "%s", index_writer_errmsg(w));
				}
			if (n > 0)
				index_logits_free(l, n);
		}
	}
	return 0;
}
