/*
 * read_delphi.c: EleutherAI delphi latent caches. A hookpoint folder
 * latents/<hookpoint>/ holds <start>_<end>.safetensors slices of latents,
 * each with locations [N, 3] = (sequence, position, latent - start) in any
 * integer type, activations [N] (f16 usually) and tokens [n_sequences,
 * context_length]; config.json gives n_tokens (for density) and the model.
 * Per latent we aggregate the activations: count, mean, max, a histogram,
 * the top-k examples (one per sequence, a window of tokens around the
 * peak) and a few examples from equal-width activation intervals. Token
 * ids become text through the vocabulary (--vocab), else <id>. Memory
 * holds one slice at a time. A run folder's explanations/ and scores/
 * beside latents/ give each latent its explanation and its scores.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import_int.h"
#include "core/input.h"
#include "nn/tensor.h"
#include "core/util.h"

/* One activation. */
typedef struct {
	uint32_t seq;   /* sequence index */
	uint32_t pos;   /* token position */
	float act;      /* value */
} dl_hit;

/* A slice file and its latent range. */
typedef struct {
	char *path;     /* file */
	int64_t start;  /* first latent */
	int64_t end;    /* the second number of the name */
} dl_slice;

static int slice_cmp(const void *a, const void *b)
{
	const dl_slice *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

static int is_slice_name(const char *n, int64_t *start, int64_t *end)
{
	char *e1, *e2;
	if (!(n[0] >= '0' && n[0] <= '9'))
		return 0;
	long long a = strtoll(n, &e1, 10);
	if (*e1 != '_' || !(e1[1] >= '0' && e1[1] <= '9'))
		return 0;
	long long b = strtoll(e1 + 1, &e2, 10);
	if (strcmp(e2, ".safetensors") != 0)
		return 0;
	*start = a;
	*end = b;
	return 1;
}

/* Slices directly in dir. */
static dl_slice *list_slices(const char *dir, int *n)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	dl_slice *v = NULL;
	int cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		int64_t a, b;
		if (!is_slice_name(e->d_name, &a, &b))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, (size_t)cap * sizeof *v);
		}
		v[*n] = (dl_slice){xasprintf("%s/%s", dir, e->d_name), a, b};
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, (size_t)*n, sizeof *v, slice_cmp);
	return v;
}

/* The hookpoint folder under path: path itself, or the only subfolder
 * (of path or path/latents) holding slices. NULL with an error. */
static char *find_hookdir(imp_state *st, const char *path)
{
	int n;
	dl_slice *s = list_slices(path, &n);
	for (int i = 0; i < n; i++)
		free(s[i].path);
	free(s);
	if (n)
		return xstrdup(path);
	char *lat = xasprintf("%s/latents", path);
	struct stat sb;
	const char *base = stat(lat, &sb) == 0 && S_ISDIR(sb.st_mode) ? lat : path;
	DIR *d = opendir(base);
	char *found = NULL;
	fs_buf names = {0};
	int count = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *sub = xasprintf("%s/%s", base, e->d_name);
		int k = 0;
		dl_slice *v = list_slices(sub, &k);
		for (int i = 0; i < k; i++)
			free(v[i].path);
		free(v);
		if (k) {
			buf_printf(&names, "%s%s", count ? ", " : "", e->d_name);
			count++;
			free(found);
			found = sub;
		} else {
			free(sub);
		}
	}
	if (d)
		closedir(d);
	if (count != 1) {
		if (count == 0)
			imp_bad(st, path, 0, "latents", "no <start>_<end>.safetensors slices found");
		else
			imp_bad(st, path, 0, "latents", "several hookpoints (%s): import each folder as its own input", names.p);
		free(found);
		found = NULL;
	}
	buf_free(&names);
	free(lat);
	return found;
}

static int hit_cmp_pos(const void *a, const void *b)
{
	const dl_hit *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int hit_cmp_act(const void *a, const void *b)
{
	const dl_hit *x = a, *y = b;
	if (x->act != y->act)
		return x->act > y->act ? -1 : 1;
	return hit_cmp_pos(a, b);
}

/* Everything needed to write one latent's examples. */
typedef struct {
	const fs_st_info *tok;   /* tokens tensor */
	int64_t n_seq, ctx_len;  /* its shape */
	const dl_hit *bypos;     /* the latent's hits sorted by (seq, pos) */
	size_t n;                /* hits */
	int64_t *ids;            /* scratch: window token ids */
	float *acts;             /* scratch: window activations */
	FILE *out;               /* a worker's stream (--jobs), NULL: write the index */
	tok_ctx t;               /* a worker's scratch context */
} dl_win;

/* --jobs N: N - 1 worker processes read the slices (file i by worker i
 * mod (N - 1)): checks, aggregation, windows and their contexts' text; this
 * process takes their records back slice after slice and writes them, so
 * that the index is the one a single process makes. A record, then its
 * bytes: SAE (create the dictionary now, when not made yet), FEATURE (an
 * fs_feature's statistics), WINDOW (the context's text, ntok + 1 offsets,
 * ntok activations), FLUSH (the latent's examples are all there),
 * PROGRESS, ERR (the message), END. */
enum { DLJ_SAE, DLJ_FEATURE, DLJ_WINDOW, DLJ_FLUSH, DLJ_PROGRESS, DLJ_ERR, DLJ_END };
typedef struct {
	int32_t kind;         /* DLJ_* */
	int32_t key;          /* WINDOW: key token; ERR: a runtime error */
	int64_t idx;          /* FEATURE, WINDOW: latent; PROGRESS: done; ERR: bytes */
	int64_t total;        /* PROGRESS: of */
	double bmin, bmax, frac; /* WINDOW: its interval */
	int32_t ntok;         /* WINDOW: tokens */
	uint32_t text_len;    /* WINDOW: context bytes */
} dlj_rec;

/* A record without bytes. 0 or -1. */
static int dlj_put(FILE *out, int kind, int64_t idx, int64_t total)
{
	dlj_rec h;
	memset(&h, 0, sizeof h);
	h.kind = kind;
	h.idx = idx;
	h.total = total;
	return imp_jobs_put(out, &h, sizeof h);
}

static int write_window(imp_state *st, dl_win *w, int64_t idx, const dl_hit *h, double bmin,
			double bmax, double frac)
{
	const import_opts *o = st->o;
	int64_t a = (int64_t)h->pos - o->ctx_before, b = (int64_t)h->pos + o->ctx_after + 1;
	if (a < 0)
		a = 0;
	if (b > w->ctx_len)
		b = w->ctx_len;
	int n = (int)(b - a);
	for (int i = 0; i < n; i++) {
		w->ids[i] = tensor_get_i64(w->tok->dtype, w->tok->data, (size_t)(h->seq * w->ctx_len + a + i));
		w->acts[i] = 0;
	}
	/* the latent's other activations inside the window */
	size_t lo = 0, hi = w->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->bypos[mid].seq < h->seq || (w->bypos[mid].seq == h->seq && w->bypos[mid].pos < a))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < w->n && w->bypos[k].seq == h->seq && w->bypos[k].pos < b; k++)
		w->acts[w->bypos[k].pos - a] = w->bypos[k].act;
	if (w->out) {
		imp_ids_ctx(st, w->ids, n, &w->t);
		dlj_rec r;
		memset(&r, 0, sizeof r);
		r.kind = DLJ_WINDOW;
		r.idx = idx;
		r.key = (int32_t)((int64_t)h->pos - a);
		r.bmin = bmin;
		r.bmax = bmax;
		r.frac = frac;
		r.ntok = w->t.ntok;
		r.text_len = (uint32_t)w->t.text.len;
		return imp_jobs_put(w->out, &r, sizeof r) | imp_jobs_put(w->out, w->t.text.p, w->t.text.len) |
		       imp_jobs_put(w->out, w->t.off, ((size_t)w->t.ntok + 1) * sizeof *w->t.off) |
		       imp_jobs_put(w->out, w->acts, (size_t)n * sizeof *w->acts);
	}
	int64_t ctx = imp_context_ids(st, w->ids, n, NULL);
	if (ctx < 0)
		return -1;
	return imp_example(st, idx, bmin, bmax, frac, ctx, w->acts, n, (int)((int64_t)h->pos - a)); /* the hit is the key */
}

static int do_latent(imp_state *st, dl_win *w, int64_t idx, dl_hit *hits, size_t n, double n_tokens)
{
	const import_opts *o = st->o;
	fs_feature f;
	imp_feature_init(&f);
	double sum = 0;
	float mx = 0;
	for (size_t i = 0; i < n; i++) {
		sum += hits[i].act;
		if (hits[i].act > mx)
			mx = hits[i].act;
	}
	f.density = n_tokens > 0 ? (double)n / n_tokens : -1;
	if (f.density > 1)
		f.density = 1;
	f.max_act = mx;
	f.mean_act = n ? sum / (double)n : 0;
	if (mx > 0) {
		f.hist_lo = 0;
		f.hist_hi = mx;
		for (size_t i = 0; i < n; i++) {
			int b = (int)(hits[i].act / mx * FS_HIST_BINS);
			if (b >= FS_HIST_BINS)
				b = FS_HIST_BINS - 1;
			if (b >= 0)
				f.hist[b]++;
		}
	}
	if (w->out ? imp_jobs_put(w->out, &(dlj_rec){.kind = DLJ_FEATURE, .idx = idx}, sizeof(dlj_rec)) ||
			     imp_jobs_put(w->out, &f, sizeof f)
		   : imp_feature(st, idx, &f) < 0)
		return -1;
	if (!n || !(mx > 0))
		return 0;
	qsort(hits, n, sizeof *hits, hit_cmp_act);
	dl_hit *bypos = xmalloc(n * sizeof *bypos);
	memcpy(bypos, hits, n * sizeof *bypos);
	qsort(bypos, n, sizeof *bypos, hit_cmp_pos);
	w->bypos = bypos;
	w->n = n;
	int rc = 0;
	/* top group: the strongest hits, one per sequence */
	uint32_t *used = xmalloc((size_t)(o->top_k > 0 ? o->top_k : 1) * sizeof *used);
	int nused = 0;
	for (size_t i = 0; i < n && nused < o->top_k && rc == 0; i++) {
		int dup = 0;
		for (int k = 0; k < nused; k++)
			dup |= used[k] == hits[i].seq;
		if (dup)
			continue;
		used[nused++] = hits[i].seq;
		rc = write_window(st, w, idx, &hits[i], -1, -1, -1);
	}
	free(used);
	/* equal-width intervals of (0, max], evenly spaced picks inside;
	 * hits are sorted by activation, descending */
	int ni = o->n_intervals;
	for (int g = 0; g < ni && rc == 0 && o->per_interval > 0; g++) {
		double lo = mx * g / ni, hi = mx * (g + 1) / ni;
		size_t first = n, count = 0;
		for (size_t i = 0; i < n; i++) {
			double a = hits[i].act;
			if (a > lo && (a < hi || (g == ni - 1 && a <= hi))) {
				if (first == n)
					first = i;
				count++;
			}
		}
		if (!count)
			continue;
		int take = (size_t)o->per_interval < count ? o->per_interval : (int)count;
		for (int j = 0; j < take && rc == 0; j++) {
			size_t pick = first + (size_t)((double)j * (double)count / take);
			rc = write_window(st, w, idx, &hits[pick], lo, hi, (double)count / (double)n);
		}
	}
	if (rc == 0)
		rc = w->out ? dlj_put(w->out, DLJ_FLUSH, idx, 0) : imp_flush_examples(st);
	free(bypos);
	w->bypos = NULL;
	return rc;
}

/* The dictionary, from the hook folder's name and config.json. */
static int dl_sae(imp_state *st, const char *hookdir, json_t *cfg)
{
	fs_sae s = {0};
	const char *hb = strrchr(hookdir, '/');
	hb = hb ? hb + 1 : hookdir;
	s.name = (char *)hb;
	s.hook = (char *)hb;
	s.model = (char *)json_string_value(json_object_get(cfg, "model_name"));
	const char *p = strstr(hb, "layers.");
	s.layer = p ? atoi(p + 7) : -1;
	s.source_format = (char *)"delphi";
	return imp_add_sae(st, &s);
}

/* One slice: written through the index, or (out) as a worker's records. */
static int do_slice(imp_state *st, const dl_slice *sl, int64_t width, double n_tokens, int *sae_made,
		    const char *hookdir, json_t *cfg, FILE *out)
{
	char e[512];
	fs_st_file *f = tensor_st_open(sl->path, e, sizeof e);
	if (!f)
		return imp_bad(st, sl->path, 0, "safetensors", "%s", e);
	fs_st_info loc, act, tok;
	int rc = 0;
	dl_hit *hits = NULL;
	uint32_t *lat = NULL;
	size_t *start = NULL;
	dl_win w = {0};
	if (tensor_st_find(f, "locations", &loc, e, sizeof e) != 0 || tensor_st_find(f, "activations", &act, e, sizeof e) != 0 ||
	    tensor_st_find(f, "tokens", &tok, e, sizeof e) != 0) {
		/* e already reads "PATH: NAME.field: ..." */
		rc = fs_seterr(st->err, st->errlen, "%s", e);
		goto out;
	}
	if (loc.ndim != 2 || loc.shape[1] != 3 || tensor_dtype_size(loc.dtype) == 0 || loc.dtype <= TENSOR_F64) {
		rc = imp_bad(st, sl->path, 0, "locations", "expected an integer tensor [N, 3]");
		goto out;
	}
	size_t n = (size_t)loc.shape[0];
	if (act.ndim != 1 || act.count != n) {
		rc = imp_bad(st, sl->path, 0, "activations", "expected [%zu] to match locations", n);
		goto out;
	}
	if (tok.ndim != 2 || tok.dtype <= TENSOR_F64) {
		rc = imp_bad(st, sl->path, 0, "tokens", "expected an integer tensor [n_sequences, context_length]");
		goto out;
	}
	if (out ? dlj_put(out, DLJ_SAE, 0, 0) != 0 : !*sae_made && dl_sae(st, hookdir, cfg) != 0) {
		rc = -1;
		goto out;
	}
	if (!out)
		*sae_made = 1;
	w.out = out;
	w.tok = &tok;
	w.n_seq = tok.shape[0];
	w.ctx_len = tok.shape[1];
	if (n_tokens <= 0)
		n_tokens = (double)w.n_seq * (double)w.ctx_len;
	hits = xmalloc((n ? n : 1) * sizeof *hits);
	lat = xmalloc((n ? n : 1) * sizeof *lat);
	/* the latent column: relative to start, or absolute in some caches */
	int64_t maxl = -1;
	for (size_t i = 0; i < n; i++) {
		int64_t l = tensor_get_i64(loc.dtype, loc.data, i * 3 + 2);
		if (l > maxl)
			maxl = l;
	}
	int64_t shift = maxl >= width && maxl < sl->start + width && maxl >= sl->start ? sl->start : 0;
	for (size_t i = 0; i < n; i++) {
		int64_t sq = tensor_get_i64(loc.dtype, loc.data, i * 3);
		int64_t ps = tensor_get_i64(loc.dtype, loc.data, i * 3 + 1);
		int64_t l = tensor_get_i64(loc.dtype, loc.data, i * 3 + 2) - shift;
		if (sq < 0 || sq >= w.n_seq) {
			rc = imp_bad(st, sl->path, 0, "locations", "row %zu: sequence %lld is outside tokens (%lld sequences)",
				     i, (long long)sq, (long long)w.n_seq);
			goto out;
		}
		if (ps < 0 || ps >= w.ctx_len) {
			rc = imp_bad(st, sl->path, 0, "locations", "row %zu: position %lld is outside the context (%lld tokens)",
				     i, (long long)ps, (long long)w.ctx_len);
			goto out;
		}
		if (l < 0 || l >= width) {
			rc = imp_bad(st, sl->path, 0, "locations", "row %zu: latent %lld is outside the slice %lld_%lld",
				     i, (long long)l, (long long)sl->start, (long long)sl->end);
			goto out;
		}
		float a = tensor_get_f32(act.dtype, act.data, i);
		if (!isfinite(a)) {
			rc = imp_bad(st, sl->path, 0, "activations", "row %zu: %g is not a finite number", i, (double)a);
			goto out;
		}
		hits[i] = (dl_hit){(uint32_t)sq, (uint32_t)ps, a};
		lat[i] = (uint32_t)l;
	}
	/* counting sort by latent */
	start = xcalloc((size_t)width + 1, sizeof *start);
	for (size_t i = 0; i < n; i++)
		start[lat[i] + 1]++;
	for (int64_t l = 0; l < width; l++)
		start[l + 1] += start[l];
	dl_hit *sorted = xmalloc((n ? n : 1) * sizeof *sorted);
	size_t *fill = xmalloc(((size_t)width + 1) * sizeof *fill);
	memcpy(fill, start, ((size_t)width + 1) * sizeof *fill);
	for (size_t i = 0; i < n; i++)
		sorted[fill[lat[i]]++] = hits[i];
	free(fill);
	free(hits);
	hits = sorted;
	int wmax = st->o->ctx_before + st->o->ctx_after + 1;
	w.ids = xmalloc((size_t)wmax * sizeof *w.ids);
	w.acts = xmalloc((size_t)wmax * sizeof *w.acts);
	for (int64_t l = 0; l < width && rc == 0; l++) {
		rc = do_latent(st, &w, sl->start + l, hits + start[l], start[l + 1] - start[l], n_tokens);
		if ((l & 255) == 0) {
			if (out)
				rc |= dlj_put(out, DLJ_PROGRESS, l, width);
			else
				imp_progress(st, sl->path, l, width);
		}
	}
out:
	tok_ctx_free(&w.t);
	free(w.ids);
	free(w.acts);
	free(hits);
	free(lat);
	free(start);
	tensor_st_close(f);
	return rc;
}

/* ------------------------------------------------- with worker processes */

/* What the workers need of a run. */
typedef struct {
	imp_state *st;          /* the run (a worker's copy) */
	const dl_slice *sl;     /* the slices */
	const int64_t *width;   /* their widths */
	double n_tokens;        /* config.json's n_tokens, 0 none */
	const char *hookdir;    /* the hook folder */
	json_t *cfg;            /* config.json, NULL none */
} dlj_set;

/* A worker: slice i as records. 0, or -1 when the pipe is gone. */
static int dlj_work(void *ctx, int i, FILE *out)
{
	dlj_set *set = ctx;
	imp_state *st = set->st;
	int64_t w = set->width[i];
	if (w > 0 && w <= (1 << 24) &&
	    do_slice(st, &set->sl[i], w, set->n_tokens, NULL, set->hookdir, set->cfg, out) != 0) {
		dlj_rec h;
		memset(&h, 0, sizeof h);
		h.kind = DLJ_ERR;
		h.key = st->runtime;
		h.idx = (int64_t)strlen(st->err);
		if (imp_jobs_put(out, &h, sizeof h) || imp_jobs_put(out, st->err, strlen(st->err)))
			return -1;
	}
	return dlj_put(out, DLJ_END, 0, 0);
}

/* The parent's scratch for a record's bytes. */
typedef struct {
	tok_ctx t;      /* a window's context */
	float *acts;    /* its activations */
	size_t cap;     /* entries in acts and t.off */
} dlj_buf;

/* Slice sl's records from f, written as do_slice writes them. 0 or -1. */
static int dlj_slice(imp_state *st, const dl_slice *sl, FILE *f, int *sae_made, const char *hookdir,
		     json_t *cfg, dlj_buf *b)
{
	for (;;) {
		dlj_rec h;
		if (imp_jobs_get(f, &h, sizeof h) != 0)
			goto lost;
		switch (h.kind) {
		case DLJ_END:
			return 0;
		case DLJ_SAE:
			if (!*sae_made && dl_sae(st, hookdir, cfg) != 0)
				return -1;
			*sae_made = 1;
			break;
		case DLJ_FEATURE: {
			fs_feature g, f2;
			if (imp_jobs_get(f, &g, sizeof g) != 0)
				goto lost;
			imp_feature_init(&f2);
			f2.density = g.density;
			f2.max_act = g.max_act;
			f2.mean_act = g.mean_act;
			f2.hist_lo = g.hist_lo;
			f2.hist_hi = g.hist_hi;
			memcpy(f2.hist, g.hist, sizeof f2.hist);
			if (imp_feature(st, h.idx, &f2) < 0)
				return -1;
			break;
		}
		case DLJ_WINDOW: {
			if (h.ntok < 0 || h.ntok > 1 << 24)
				goto lost;
			size_t n = (size_t)h.ntok;
			if (n + 1 > b->cap) {
				b->cap = 2 * (n + 1);
				b->acts = xrealloc(b->acts, b->cap * sizeof *b->acts);
				b->t.off = xrealloc(b->t.off, b->cap * sizeof *b->t.off);
			}
			b->t.ntok = h.ntok;
			b->t.text.len = 0;
			buf_reserve(&b->t.text, (size_t)h.text_len + 1);
			if (imp_jobs_get(f, b->t.text.p, h.text_len) || imp_jobs_get(f, b->t.off, (n + 1) * sizeof *b->t.off) ||
			    imp_jobs_get(f, b->acts, n * sizeof *b->acts))
				goto lost;
			b->t.text.len = h.text_len;
			int64_t ctx = imp_context_text(st, &b->t, NULL);
			if (ctx < 0 || imp_example(st, h.idx, h.bmin, h.bmax, h.frac, ctx, b->acts, h.ntok, h.key) != 0)
				return -1;
			break;
		}
		case DLJ_FLUSH:
			if (imp_flush_examples(st) != 0)
				return -1;
			break;
		case DLJ_PROGRESS:
			imp_progress(st, sl->path, h.idx, h.total);
			break;
		case DLJ_ERR: {
			if (h.idx < 0 || h.idx > 1 << 20)
				goto lost;
			char *m = xmalloc((size_t)h.idx + 1);
			if (imp_jobs_get(f, m, (size_t)h.idx) != 0) {
				free(m);
				goto lost;
			}
			m[h.idx] = 0;
			fs_seterr(st->err, st->errlen, "%s", m);
			free(m);
			st->runtime |= h.key;
			return -1;
		}
		default:
			goto lost;
		}
	}
lost:
	st->runtime = 1;
	return fs_seterr(st->err, st->errlen, "%s: --jobs: the worker reading it stopped", sl->path);
}

/* ------------------------------------------------ explanations, scores */

/* Latent N of "<hook>_latent<N>.txt", -1 when the name is not that. */
static int64_t latent_of(const char *name, const char *hook)
{
	size_t hl = strlen(hook), l = strlen(name);
	if (l < hl + 11 || strncmp(name, hook, hl) != 0 || strncmp(name + hl, "_latent", 7) != 0 ||
	    strcmp(name + l - 4, ".txt") != 0)
		return -1;
	const char *p = name + hl + 7;
	if (!(*p >= '0' && *p <= '9'))
		return -1;
	char *end;
	long long v = strtoll(p, &end, 10);
	return strcmp(end, ".txt") == 0 ? v : -1;
}

/* A score file: per-example records {activating, prediction, ...}. The
 * class-balanced accuracy and F1 at threshold 0.5, as delphi's
 * result_analysis computes them; -1 when the file holds none. */
static int dl_score(imp_state *st, const char *file, double *acc, double *f1)
{
	json_t *root = imp_load_json(st, file);
	if (!root)
		return -1;
	int rc = 0;
	if (!json_is_array(root)) {
		json_decref(root);
		return imp_bad(st, file, 0, "scores", "expected a list of per-example records");
	}
	double tp = 0, tn = 0, fp = 0, fn = 0;
	for (size_t i = 0; i < json_array_size(root); i++) {
		json_t *e = json_array_get(root, i), *a = json_object_get(e, "activating"),
		       *p = json_object_get(e, "prediction");
		if (!json_is_object(e)) {
			rc = imp_bad(st, file, 0, "scores", "element %zu is not an object", i);
			break;
		}
		if (!p || json_is_null(p) || !a || json_is_null(a))
			continue; /* a failed prediction */
		double pv = json_is_boolean(p) ? json_is_true(p) : json_number_value(p);
		if (!json_is_boolean(p) && !json_is_number(p)) {
			rc = imp_bad(st, file, 0, "prediction", "element %zu: not a boolean or number", i);
			break;
		}
		int act = json_is_boolean(a) ? json_is_true(a) : json_number_value(a) != 0;
		int pred = pv >= 0.5;
		tp += act && pred;
		tn += !act && !pred;
		fp += !act && pred;
		fn += act && !pred;
	}
	json_decref(root);
	if (rc != 0)
		return -1;
	double pos = tp + fn, neg = tn + fp;
	if (pos + neg == 0)
		return 1;
	*acc = ((pos > 0 ? tp / pos : 0) + (neg > 0 ? tn / neg : 0)) / 2;
	double prec = tp + fp > 0 ? tp / (tp + fp) : 0, rec = pos > 0 ? tp / pos : 0;
	*f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
	return 0;
}

/* delphi's explanations/<hook>_latent<N>.txt (a JSON string) and
 * scores/<scorer>/<hook>_latent<N>.txt beside latents/: each explanation
 * becomes one of the latent's explanations, scored by its class-balanced
 * accuracy per scorer. A latent outside the cache's n_latents is refused. */
static int dl_explanations(imp_state *st, const char *hookdir, int64_t n_latents)
{
	const char *hb = strrchr(hookdir, '/');
	const char *hook = hb ? hb + 1 : hookdir;
	/* the run folder: <run>/latents/<hook> */
	char *run = xasprintf("%s/../..", hookdir);
	char *edir = xasprintf("%s/explanations", run), *sdir = xasprintf("%s/scores", run);
	DIR *d = opendir(edir);
	int rc = 0;
	struct dirent *e;
	while (d && rc == 0 && (e = readdir(d))) {
		int64_t lat = latent_of(e->d_name, hook);
		if (lat < 0)
			continue;
		char *file = xasprintf("%s/%s", edir, e->d_name);
		if (lat >= n_latents) {
			rc = imp_bad(st, file, 0, "latent", "%lld does not fit dictionary '%s' of %lld latents (the cache in %s); made for another dictionary?",
				     (long long)lat, st->sae_name ? st->sae_name : hook, (long long)n_latents, hookdir);
			free(file);
			break;
		}
		size_t len;
		char *text = input_slurp(file, &len, st->err, st->errlen);
		if (!text) {
			free(file);
			rc = -1;
			break;
		}
		json_t *j = json_loadb(text, len, JSON_DECODE_ANY, NULL);
		char *expl = json_is_string(j) ? xstrdup(json_string_value(j)) : xstrndup(text, len);
		json_decref(j);
		free(text);
		/* trim */
		size_t el = strlen(expl);
		while (el && (expl[el - 1] == '\n' || expl[el - 1] == ' ' || expl[el - 1] == '\r'))
			expl[--el] = 0;
		/* its scores, one per scorer folder */
		double best = NAN;
		fs_buf all = {0};
		DIR *sd = opendir(sdir);
		struct dirent *se;
		while (sd && rc == 0 && (se = readdir(sd))) {
			if (se->d_name[0] == '.')
				continue;
			char *sf = xasprintf("%s/%s/%s", sdir, se->d_name, e->d_name);
			struct stat sb;
			if (stat(sf, &sb) == 0 && S_ISREG(sb.st_mode)) {
				double acc = NAN, f1 = NAN;
				int r = dl_score(st, sf, &acc, &f1);
				if (r < 0)
					rc = -1;
				else if (r == 0) {
					buf_printf(&all, "%s%s accuracy %.3f f1 %.3f", all.len ? ", " : "", se->d_name, acc, f1);
					if (isnan(best) || acc > best)
						best = acc;
				}
			}
			free(sf);
		}
		if (sd)
			closedir(sd);
		int64_t fid = imp_fid(st, lat);
		if (rc == 0 && *expl && fid > 0)
			rc = imp_explanation(st, lat, fid, expl, "delphi", NULL, NULL, best, all.p ? all.p : "");
		buf_free(&all);
		free(expl);
		free(file);
	}
	if (d)
		closedir(d);
	free(run);
	free(edir);
	free(sdir);
	return rc;
}

static int read_delphi(imp_state *st, const char *path)
{
	struct stat sb;
	char *hookdir;
	dl_slice *sl;
	int n = 0;
	if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		const char *b = strrchr(path, '/');
		int64_t a, e;
		if (!is_slice_name(b ? b + 1 : path, &a, &e))
			return imp_bad(st, path, 0, "name", "expected <start>_<end>.safetensors");
		hookdir = b ? xstrndup(path, (size_t)(b - path)) : xstrdup(".");
		sl = xmalloc(sizeof *sl);
		sl[0] = (dl_slice){xstrdup(path), a, e};
		n = 1;
	} else {
		hookdir = find_hookdir(st, path);
		if (!hookdir)
			return -1;
		sl = list_slices(hookdir, &n);
	}
	/* config.json beside the slices, or one level up */
	char *cp = xasprintf("%s/config.json", hookdir);
	json_t *cfg = NULL;
	int rc = 0;
	if (stat(cp, &sb) != 0) {
		free(cp);
		cp = xasprintf("%s/../config.json", hookdir);
	}
	if (stat(cp, &sb) == 0) {
		cfg = imp_load_json(st, cp);
		if (!cfg)
			rc = -1;
	}
	double n_tokens = 0;
	if (rc == 0 && cfg) {
		double t = imp_jnum(cfg, "n_tokens");
		if (!isnan(t)) {
			if (!(t > 0) || t > 9e18)
				rc = imp_bad(st, cp, 0, "n_tokens", "%g is not a positive token count", t);
			n_tokens = t;
		}
	}
	int made = 0;
	int64_t n_latents = 0;
	int64_t *width = xcalloc((size_t)(n ? n : 1), sizeof *width);
	for (int i = 0; i < n; i++) {
		/* end inclusive unless the next slice starts at it */
		width[i] = sl[i].end - sl[i].start + 1;
		if ((i + 1 < n && sl[i + 1].start == sl[i].end) || (i > 0 && sl[i].start == sl[i - 1].end))
			width[i]--;
	}
	dlj_set set = {st, sl, width, n_tokens, hookdir, cfg};
	imp_jobs *j = NULL;
	if (rc == 0 && st->o->jobs > 1 && n > 0) {
		j = imp_jobs_start(st->o->jobs - 1, n, dlj_work, &set, st->err, st->errlen);
		if (!j) {
			st->runtime = 1;
			rc = -1;
		}
	}
	dlj_buf b;
	memset(&b, 0, sizeof b);
	for (int i = 0; i < n && rc == 0; i++) {
		if (width[i] <= 0 || width[i] > (1 << 24)) {
			rc = imp_bad(st, sl[i].path, 0, "name", "latent range %lld_%lld is empty or too large",
				     (long long)sl[i].start, (long long)sl[i].end);
			break;
		}
		if (j)
			rc = dlj_slice(st, &sl[i], imp_jobs_stream(j, i), &made, hookdir, cfg, &b);
		else
			rc = do_slice(st, &sl[i], width[i], n_tokens, &made, hookdir, cfg, NULL);
		if (sl[i].start + width[i] > n_latents)
			n_latents = sl[i].start + width[i];
	}
	if (j && imp_jobs_stop(j, rc != 0) != 0 && rc == 0) {
		st->runtime = 1;
		rc = fs_seterr(st->err, st->errlen, "%s: --jobs: a worker failed", path);
	}
	tok_ctx_free(&b.t);
	free(b.acts);
	free(width);
	if (rc == 0)
		rc = dl_explanations(st, hookdir, n_latents);
	if (rc == 0 && n_tokens > 0)
		index_writer_count_tokens(st->w, (int64_t)n_tokens);
	for (int i = 0; i < n; i++)
		free(sl[i].path);
	free(sl);
	if (cfg)
		json_decref(cfg);
	free(cp);
	free(hookdir);
	return rc;
}

/* "<digits>_<digits>.safetensors" */
static int is_slice(const char *name)
{
	int64_t a, b;
	return is_slice_name(name, &a, &b);
}

/* A slice file, or a folder with slices (down to latents/<hookpoint>/). */
static int sniff_delphi(const imp_sniff *s)
{
	if (!s->is_dir)
		return is_slice(s->base) ? 2 : 0;
	return imp_dir_count(s->path, is_slice, 2) > 0;
}

const imp_reader imp_reader_delphi = {
	"delphi", NULL, "a delphi latent cache (latents/<hookpoint>/<start>_<end>.safetensors)",
	sniff_delphi, read_delphi,
};
