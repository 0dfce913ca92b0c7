/*
 * harvest.c: the harvest subcommand. Cuts held-out documents into
 * contexts of 64-128 bytes (on a line end when there is one, otherwise on
 * a UTF-8 character boundary), runs the language model over each with up
 * to ctx - 128 bytes of the document before it as unseen left context,
 * encodes the hook's activations with every SAE given (all read the same
 * hook, so every dictionary sees exactly the same contexts), and writes,
 * per SAE, in its own directory, what `featscope build` reads:
 *   records.jsonl  one context a line: text, token offsets, the sparse
 *                  SAE activations [[position, feature, value], ...], and
 *                  the source "package:path";
 *   decoder.npy    SAE decoder rows, float32 [n_features, d_in];
 *   unembed.npy    hook space -> logits, float32 [d_in, 256];
 *   vocab.txt      the 256 byte tokens, C-escaped, one a line;
 *   labels.tsv     feature, short automatic name, "auto", description.
 * With --cofire FILE (two or more dictionaries), the exact co-firing
 * counts across dictionaries, for `featscope build --cofire`: every
 * feature's firing tokens, and per feature its --cofire-top (16) partners
 * with the most tokens where both fire in every other dictionary, counted
 * over every harvested token (not from kept examples). The counts are
 * dense 32-bit counters per pair of dictionaries, F_a x F_b of them
 * (the demo's 1k/4k/16k: 336 MiB), bounded by the sizes, not the tokens.
 * Labels: the character class, the quoted characters and the layout tag
 * all come from the same firings (the HV_TOP strongest); the corpus
 * group and package are over all firings and said so (harvest_label.c).
 */
#include "fsmodel.h"
#include "harvest_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hv_group_names[HV_GROUPS] = {
	"dna", "code", "prose", "scripts", "structured"};

/* One context: a byte range of the held-out text. */
typedef struct {
	size_t off;     /* start in the held-out text */
	int len;        /* bytes */
	int doc;        /* index into the documents */
} hv_ctx;

static char *hv_strdup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		fsm_die("harvest", "out of memory");
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* Read the held-out rows of manifest.tsv. */
static hv_doc *hv_read_manifest(const char *path, int *ndoc)
{
	size_t len;
	uint8_t *buf = fsm_read_file(path, &len);
	int cap = 1024, n = 0, line = 0;
	hv_doc *d = malloc(cap * sizeof *d);
	char *s = (char *)buf, *end = s + len;
	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		line++;
		char *f[7];
		size_t fl[7];
		int nf = 0;
		char *p = s;
		while (nf < 7) {
			char *t = memchr(p, '\t', (size_t)(nl - p));
			f[nf] = p;
			fl[nf] = (size_t)((t ? t : nl) - p);
			nf++;
			if (!t)
				break;
			p = t + 1;
		}
		if (line > 1 && nf == 7 && fl[4] == 7 &&
		    memcmp(f[4], "heldout", 7) == 0) {
			if (n == cap) {
				cap *= 2;
				d = realloc(d, cap * sizeof *d);
				if (!d)
					fsm_die("harvest", "out of memory");
			}
			d[n].group = -1;
			for (int g = 0; g < HV_GROUPS; g++)
				if (strlen(hv_group_names[g]) == fl[1] &&
				    memcmp(f[1], hv_group_names[g], fl[1]) == 0)
					d[n].group = g;
			d[n].pkg = hv_strdup(f[2], fl[2]);
			d[n].path = hv_strdup(f[3], fl[3]);
			d[n].off = strtoull(f[5], NULL, 10);
			d[n].len = strtoull(f[6], NULL, 10);
			n++;
		} else if (line > 1 && nf != 7) {
			fprintf(stderr,
			        "featscope-model: %s:%d: manifest: expected 7 or 9 "
			        "fields\n",
			        path, line);
			exit(2);
		}
		s = nl + 1;
	}
	free(buf);
	*ndoc = n;
	return d;
}

/* Cut every held-out document into contexts (each ends where
 * hv_cut_end says, the next starts there). */
static hv_ctx *hv_cut(const uint8_t *text, size_t tlen, const hv_doc *docs,
                      int ndoc, long *nctx)
{
	long cap = 4096, n = 0;
	hv_ctx *c = malloc(cap * sizeof *c);
	for (int d = 0; d < ndoc; d++) {
		size_t pos = docs[d].off, end = docs[d].off + docs[d].len;
		if (end > tlen)
			end = tlen;
		while (pos + HV_MIN <= end) {
			size_t cut = hv_cut_end(text, pos, end);
			if (n == cap) {
				cap *= 2;
				c = realloc(c, cap * sizeof *c);
				if (!c)
					fsm_die("harvest", "out of memory");
			}
			c[n].off = pos;
			c[n].len = (int)(cut - pos);
			c[n].doc = d;
			n++;
			pos = cut;
		}
	}
	*nctx = n;
	return c;
}

static void hv_top_push(hv_feat *f, float act, uint32_t at, int doc)
{
	hv_ex e = {act, at, doc};
	if (f->ntop < HV_TOP) {
		int c = f->ntop++;
		while (c > 0 && f->top[(c - 1) / 2].act > act) {
			f->top[c] = f->top[(c - 1) / 2];
			c = (c - 1) / 2;
		}
		f->top[c] = e;
		return;
	}
	if (act <= f->top[0].act)
		return;
	int c = 0;
	for (;;) {
		int l = 2 * c + 1, r = l + 1, m = c;
		float mv = act;
		if (l < HV_TOP && f->top[l].act < mv) {
			m = l;
			mv = f->top[l].act;
		}
		if (r < HV_TOP && f->top[r].act < mv)
			m = r;
		if (m == c)
			break;
		f->top[c] = f->top[m];
		c = m;
	}
	f->top[c] = e;
}

/* Growable output buffer for one JSON line. */
typedef struct {
	char *p;        /* bytes */
	size_t n, cap;  /* used, allocated */
} hv_buf;

static void hv_put(hv_buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			fsm_die("harvest", "out of memory");
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void hv_puts(hv_buf *b, const char *s)
{
	hv_put(b, s, strlen(s));
}

/* JSON string body of UTF-8 text (already valid). */
static void hv_json_str(hv_buf *b, const uint8_t *s, size_t n)
{
	char tmp[8];
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			hv_put(b, tmp, 2);
		} else if (c == '\n') {
			hv_puts(b, "\\n");
		} else if (c == '\t') {
			hv_puts(b, "\\t");
		} else if (c < 0x20 || c == 0x7F) {
			snprintf(tmp, sizeof tmp, "\\u%04x", c);
			hv_puts(b, tmp);
		} else {
			hv_put(b, (const char *)&c, 1);
		}
	}
}

/* Write float32 array [r, c] as NumPy .npy version 1.0. */
static void hv_write_npy(const char *path, const float *a, int r, int c)
{
	char tmp[4096], hdr[256];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int hl = snprintf(hdr, sizeof hdr,
	                  "{'descr': '<f4', 'fortran_order': False, "
	                  "'shape': (%d, %d), }",
	                  r, c);
	int total = 10 + hl + 1;
	int pad = (64 - total % 64) % 64;
	FILE *f = fopen(tmp, "wb");
	if (!f)
		fsm_die(tmp, strerror(errno));
	uint16_t len = (uint16_t)(hl + pad + 1);
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
	                         (unsigned char)(len & 0xFF),
	                         (unsigned char)(len >> 8)};
	fwrite(pre, 1, 10, f);
	fwrite(hdr, 1, (size_t)hl, f);
	for (int i = 0; i < pad; i++)
		fputc(' ', f);
	fputc('\n', f);
	fwrite(a, sizeof(float), (size_t)r * c, f);
	if (ferror(f) || fclose(f) != 0)
		fsm_die(tmp, "write failed");
	if (rename(tmp, path) != 0)
		fsm_die(path, strerror(errno));
}


/* Hook: copy the hook's activations. */
typedef struct {
	float *buf;     /* [rows, width] */
} hv_hook_state;

static void hv_hook(void *ctx, float *act, int n, int width)
{
	hv_hook_state *h = ctx;
	memcpy(h->buf, act, (size_t)n * width * sizeof(float));
}

static FILE *hv_open(const char *dir, const char *name, char *path,
                     size_t pn)
{
	snprintf(path, pn, "%s/%s.tmp", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		fsm_die(path, strerror(errno));
	return f;
}

static void hv_close(FILE *f, const char *tmp)
{
	if (ferror(f) || fclose(f) != 0)
		fsm_die(tmp, "write failed");
	char final[4096];
	snprintf(final, sizeof final, "%.*s", (int)(strlen(tmp) - 4), tmp);
	if (rename(tmp, final) != 0)
		fsm_die(final, strerror(errno));
}

/* Split a comma list (a copy) into out; returns the count. */
static int hv_split(const char *list, char **out, int max)
{
	char *c = hv_strdup(list, strlen(list));
	int n = 0;
	for (char *t = strtok(c, ","); t && n < max; t = strtok(NULL, ","))
		out[n++] = t;
	return n;
}

/* Per-dictionary harvest state. */
typedef struct {
	sae_model *s;       /* the SAE */
	const char *dir;    /* output directory */
	hv_feat *feat;      /* per-feature statistics [n_feat] */
	FILE *rec;          /* records.jsonl being written */
	char recp[4096];    /* its temporary path */
	int *idx;           /* sparse codes of a batch [rows, k] */
	float *val;
	long nacts;         /* activations written */
} hv_dict;

/* Exact co-firing counts of a pair of dictionaries a < b: cnt[fa * nb + fb]
 * is the number of tokens where feature fa of a and fb of b both fire. */
typedef struct {
	int a, b;           /* dictionaries (indexes into the harvest's list) */
	uint32_t *cnt;      /* [n_feat(a) * n_feat(b)] */
} hv_pair;

/* Count one batch: rows tokens, each dictionary's K codes a row. */
static void hv_cofire_batch(hv_pair *P, int np, const hv_dict *dict, int rows)
{
	for (int q = 0; q < np; q++) {
		const hv_dict *A = &dict[P[q].a], *Bd = &dict[P[q].b];
		int KA = A->s->k, KB = Bd->s->k;
		size_t nb = (size_t)Bd->s->n_feat;
		uint32_t *cnt = P[q].cnt;
		int *fbuf = malloc((size_t)(KB > 0 ? KB : 1) * sizeof *fbuf);
		if (!fbuf)
			fsm_die("harvest", "out of memory");
		for (int r = 0; r < rows; r++) {
			const int *ia = A->idx + (size_t)r * KA, *ib = Bd->idx + (size_t)r * KB;
			const float *va = A->val + (size_t)r * KA, *vb = Bd->val + (size_t)r * KB;
			int *fb = fbuf, nfb = 0;
			for (int y = 0; y < KB; y++)
				if (ib[y] >= 0 && vb[y] > 0)
					fb[nfb++] = ib[y];
			for (int x = 0; x < KA; x++) {
				if (ia[x] < 0 || va[x] <= 0)
					continue;
				uint32_t *row = cnt + (size_t)ia[x] * nb;
				for (int y = 0; y < nfb; y++)
					row[fb[y]]++;
			}
		}
		free(fbuf);
	}
}

/* One partner kept: feature and count. */
typedef struct {
	int f;          /* feature of the other dictionary */
	uint32_t n;     /* tokens where both fire */
} hv_partner;

/* Write the counts: "fires" lines for every feature, then per feature its
 * top partners in every other dictionary ("both" lines, most first, then
 * by feature). Returns the number of "both" lines. */
static long hv_cofire_write(const char *path, const hv_pair *P, int np, const hv_dict *dict,
                            char **names, int ns, int top)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		fsm_die(tmp, strerror(errno));
	fprintf(f, "# featscope co-firing counts (fsmodel harvest --cofire): tokens where a\n"
	           "# feature fires, and its %d partners with the most tokens where both\n"
	           "# fire in every other dictionary; see featscope-build(1), --cofire\n",
	        top);
	hv_partner *best = malloc((size_t)(top > 0 ? top : 1) * sizeof *best);
	if (!best)
		fsm_die("harvest", "out of memory");
	long nboth = 0;
	for (int i = 0; i < ns; i++) {
		int NF = dict[i].s->n_feat;
		for (int a = 0; a < NF; a++) {
			fprintf(f, "fires\t%s\t%d\t%lld\n", names[i], a, (long long)dict[i].feat[a].fires);
			for (int j = 0; j < ns; j++) {
				if (j == i)
					continue;
				const hv_pair *pp = NULL;
				for (int q = 0; q < np; q++)
					if ((P[q].a == i && P[q].b == j) || (P[q].a == j && P[q].b == i))
						pp = &P[q];
				size_t NB = (size_t)dict[j].s->n_feat;
				int nbst = 0;
				for (size_t b = 0; b < NB; b++) {
					uint32_t n = pp->a == i ? pp->cnt[(size_t)a * NB + b]
					                        : pp->cnt[b * (size_t)NF + (size_t)a];
					if (n == 0 || (nbst == top && n <= best[top - 1].n))
						continue;
					int at = nbst < top ? nbst++ : top - 1;
					while (at > 0 && best[at - 1].n < n) {
						best[at] = best[at - 1];
						at--;
					}
					best[at] = (hv_partner){(int)b, n};
				}
				for (int t = 0; t < nbst; t++, nboth++)
					fprintf(f, "both\t%s\t%d\t%s\t%d\t%u\n", names[i], a, names[j],
					        best[t].f, best[t].n);
			}
		}
	}
	free(best);
	if (ferror(f) || fclose(f) != 0)
		fsm_die(tmp, "write failed");
	if (rename(tmp, path) != 0)
		fsm_die(path, strerror(errno));
	return nboth;
}

int fsm_harvest(int argc, char **argv)
{
	const char *lmf = fsm_req(argc, argv, "--lm");
	const char *held = fsm_req(argc, argv, "--heldout");
	const char *man = fsm_req(argc, argv, "--manifest");
	char *saes[HV_MAX_SAE], *dirs[HV_MAX_SAE];
	int ns = hv_split(fsm_req(argc, argv, "--sae"), saes, HV_MAX_SAE);
	int nd = hv_split(fsm_req(argc, argv, "--out"), dirs, HV_MAX_SAE);
	if (ns < 1 || ns != nd)
		fsm_usage("harvest: --sae and --out must list as many entries");
	long want = (long)fsm_optf(argc, argv, "--contexts", 40000);
	/* --left N: bytes of the document before each context the model
	 * reads first (default: as many as fit the model's context) */
	int left = (int)fsm_optf(argc, argv, "--left", 1 << 20);
	/* --cofire FILE: exact co-firing counts across the dictionaries,
	 * named by --names (default: each --out folder's last component) */
	const char *cofire = fsm_opt(argc, argv, "--cofire", NULL);
	int cotop = (int)fsm_optf(argc, argv, "--cofire-top", 16);
	char *names[HV_MAX_SAE];
	const char *nl = fsm_opt(argc, argv, "--names", NULL);
	int nn = nl ? hv_split(nl, names, HV_MAX_SAE) : 0;
	if (nl && nn != ns)
		fsm_usage("harvest: --names must list as many entries as --sae");
	for (int j = 0; !nl && j < ns; j++) {
		size_t e = strlen(dirs[j]);
		while (e > 1 && dirs[j][e - 1] == '/')
			e--;
		size_t b = e;
		while (b > 0 && dirs[j][b - 1] != '/')
			b--;
		names[j] = hv_strdup(dirs[j] + b, e - b);
	}
	if (cofire && (ns < 2 || cotop < 1 || cotop > 4096))
		fsm_usage("harvest: --cofire needs two or more --sae, --cofire-top 1..4096");
	lm_model *m = lm_load(lmf);
	if (!m)
		return 1;
	if (left < 0)
		fsm_usage("harvest: --left must be >= 0");
	if (left > m->cfg.ctx - HV_MAX)
		left = m->cfg.ctx - HV_MAX;
	hv_dict dict[HV_MAX_SAE];
	memset(dict, 0, sizeof dict);
	for (int j = 0; j < ns; j++) {
		dict[j].s = sae_load(saes[j]);
		dict[j].dir = dirs[j];
		if (!dict[j].s)
			return 1;
		sae_model *s = dict[j].s;
		int L = s->layer < 0 ? m->cfg.n_layer - 1 : s->layer;
		int w = s->hook_kind == SAE_HOOK_RESID ? m->cfg.d_model
		                                       : 4 * m->cfg.d_model;
		if (L >= m->cfg.n_layer || s->d_in != w)
			fsm_usage("SAE width does not match the model's hook");
		if (j > 0 && (s->hook_kind != dict[0].s->hook_kind ||
		              s->layer != dict[0].s->layer))
			fsm_usage("harvest: every SAE must read the same hook");
		m->hook_kind = s->hook_kind == SAE_HOOK_RESID ? LM_HOOK_RESID
		                                              : LM_HOOK_MLP;
		m->hook_layer = L;
	}
	if (m->cfg.ctx < HV_MAX)
		fsm_usage("model context shorter than 128 bytes");
	size_t tlen;
	uint8_t *text = fsm_read_file(held, &tlen);
	int ndoc;
	hv_doc *docs = hv_read_manifest(man, &ndoc);
	long nall;
	hv_ctx *all = hv_cut(text, tlen, docs, ndoc, &nall);
	/* an even, deterministic subsample of want contexts */
	long nctx = 0;
	hv_ctx *ctx = malloc((nall ? nall : 1) * sizeof *ctx);
	for (long i = 0; i < nall; i++)
		if (want >= nall || (i + 1) * want / nall > i * want / nall)
			ctx[nctx++] = all[i];
	free(all);
	int T = m->cfg.ctx, B = 16, D = dict[0].s->d_in;
	fprintf(stderr, "harvest: %d held-out documents, %ld of %ld contexts, "
	        "%d dictionaries, up to %d bytes of left context\n",
	        ndoc, nctx, nall, ns, left);
	hv_hook_state h;
	h.buf = malloc((size_t)B * T * D * sizeof(float));
	float *x = malloc((size_t)B * HV_MAX * D * sizeof(float));
	uint8_t *tok = calloc((size_t)B * T, 1);
	int pre[64];
	if (!h.buf || !x || !tok)
		fsm_die("harvest", "out of memory");
	for (int j = 0; j < ns; j++) {
		hv_dict *Dj = &dict[j];
		Dj->feat = calloc((size_t)Dj->s->n_feat, sizeof *Dj->feat);
		Dj->idx = malloc((size_t)B * HV_MAX * Dj->s->k * sizeof(int));
		Dj->val = malloc((size_t)B * HV_MAX * Dj->s->k * sizeof(float));
		if (!Dj->feat || !Dj->idx || !Dj->val)
			fsm_die("harvest", "out of memory");
		Dj->rec = hv_open(Dj->dir, "records.jsonl", Dj->recp,
		                  sizeof Dj->recp);
	}
	hv_pair pairs[HV_MAX_SAE * HV_MAX_SAE];
	int npairs = 0;
	for (int a = 0; cofire && a < ns; a++)
		for (int b = a + 1; b < ns; b++) {
			size_t n = (size_t)dict[a].s->n_feat * (size_t)dict[b].s->n_feat;
			if (n > ((size_t)1 << 31))
				fsm_usage("harvest: --cofire: two dictionaries too large for dense counts");
			pairs[npairs].a = a;
			pairs[npairs].b = b;
			pairs[npairs].cnt = calloc(n, sizeof(uint32_t));
			if (!pairs[npairs].cnt)
				fsm_die("harvest", "out of memory for the co-firing counts");
			npairs++;
		}
	if (cofire && nctx > (long)(UINT32_MAX / HV_MAX))
		fsm_usage("harvest: --cofire: too many contexts for 32-bit counts");
	hv_buf line = {0};
	double t0 = fsm_now(), tl = t0;
	for (long c0 = 0; c0 < nctx; c0 += B) {
		int nb = (int)(nctx - c0 < B ? nctx - c0 : B);
		memset(tok, 0, (size_t)B * T);
		/* each window: left context from the same document, then the
		 * context; all windows start at position 0 */
		int tw = 0;
		for (int b = 0; b < nb; b++) {
			const hv_ctx *C = &ctx[c0 + b];
			size_t dstart = docs[C->doc].off;
			size_t room = (size_t)left;
			size_t p = C->off - dstart < room ? C->off - dstart : room;
			pre[b] = (int)p;
			if ((int)p + C->len > tw)
				tw = (int)p + C->len;
		}
		for (int b = 0; b < nb; b++) {
			const hv_ctx *C = &ctx[c0 + b];
			memcpy(tok + (size_t)b * tw, text + C->off - pre[b],
			       (size_t)(pre[b] + C->len));
		}
		lm_forward(m, tok, NULL, nb, tw, hv_hook, &h, NULL);
		/* pack the context rows, scaled per dictionary */
		for (int j = 0; j < ns; j++) {
			hv_dict *Dj = &dict[j];
			sae_model *s = Dj->s;
			int K = s->k, rows = 0;
			for (int b = 0; b < nb; b++)
				for (int t = 0; t < ctx[c0 + b].len; t++, rows++) {
					const float *src =
					    h.buf + ((size_t)b * tw + pre[b] + t) * D;
					float *dst = x + (size_t)rows * D;
					for (int q = 0; q < D; q++)
						dst[q] = src[q] * s->in_scale;
				}
			sae_encode_sparse(s, x, rows, Dj->idx, Dj->val);
			int r = 0;
			char num[64];
			for (int b = 0; b < nb; b++) {
				const hv_ctx *C = &ctx[c0 + b];
				const hv_doc *Dc = &docs[C->doc];
				line.n = 0;
				hv_puts(&line, "{\"text\": \"");
				hv_json_str(&line, text + C->off, (size_t)C->len);
				hv_puts(&line, "\", \"offsets\": [");
				for (int t = 0; t < C->len; t++) {
					snprintf(num, sizeof num, t ? ",%d" : "%d", t);
					hv_puts(&line, num);
				}
				hv_puts(&line, "], \"acts\": [");
				int firstact = 1;
				for (int t = 0; t < C->len; t++, r++) {
					size_t at = C->off + (size_t)t;
					size_t cs;
					int clen;
					uint32_t cp = hv_char_at(text, tlen, at, &cs, &clen);
					int cls = hv_class(cp);
					for (int a = 0; a < K; a++) {
						int f = Dj->idx[(size_t)r * K + a];
						float v = Dj->val[(size_t)r * K + a];
						if (f < 0 || v <= 0)
							continue;
						snprintf(num, sizeof num, "%s[%d,%d,%.4g]",
						         firstact ? "" : ",", t, f, v);
						hv_puts(&line, num);
						firstact = 0;
						Dj->nacts++;
						hv_feat *F = &Dj->feat[f];
						F->fires++;
						F->sum += v;
						F->cls[cls]++;
						if (Dc->group >= 0)
							F->grp[Dc->group]++;
						hv_top_push(F, v, (uint32_t)at, C->doc);
					}
				}
				hv_puts(&line, "], \"source\": \"");
				hv_json_str(&line, (const uint8_t *)Dc->pkg,
				            strlen(Dc->pkg));
				hv_puts(&line, ":");
				hv_json_str(&line, (const uint8_t *)Dc->path,
				            strlen(Dc->path));
				hv_puts(&line, "\"}\n");
				fwrite(line.p, 1, line.n, Dj->rec);
			}
		}
		if (npairs) {
			int rows = 0;
			for (int b = 0; b < nb; b++)
				rows += ctx[c0 + b].len;
			hv_cofire_batch(pairs, npairs, dict, rows);
		}
		double now = fsm_now();
		if (now - tl > 10 || c0 + nb == nctx) {
			fprintf(stderr, "harvest: %ld/%ld contexts, %.0fs\n", c0 + nb,
			        nctx, now - t0);
			tl = now;
		}
	}
	printf("harvest_contexts %ld\n", nctx);
	/* per dictionary: records, decoder, unembedding, vocabulary, labels */
	float *ue = malloc((size_t)D * LM_VOCAB * sizeof(float));
	if (m->hook_kind == LM_HOOK_RESID)
		lm_unembed_resid(m, ue);
	else
		lm_unembed_mlp(m, ue);
	if (cofire) {
		long nboth = hv_cofire_write(cofire, pairs, npairs, dict, names, ns, cotop);
		printf("harvest_cofire_partners %ld\n", nboth);
	}
	for (int q = 0; q < npairs; q++)
		free(pairs[q].cnt);
	for (int j = 0; j < ns; j++) {
		hv_dict *Dj = &dict[j];
		sae_model *s = Dj->s;
		int NF = s->n_feat;
		const char *dir = Dj->dir;
		hv_close(Dj->rec, Dj->recp);
		char path[4096];
		snprintf(path, sizeof path, "%s/decoder.npy", dir);
		hv_write_npy(path, s->params + s->w_dec, NF, D);
		snprintf(path, sizeof path, "%s/unembed.npy", dir);
		hv_write_npy(path, ue, D, LM_VOCAB);
		FILE *vf = hv_open(dir, "vocab.txt", path, sizeof path);
		for (int c = 0; c < LM_VOCAB; c++) {
			char e[8];
			hv_escape_byte(c, e, sizeof e);
			fprintf(vf, "%s\n", e);
		}
		hv_close(vf, path);
		FILE *lf = hv_open(dir, "labels.tsv", path, sizeof path);
		long live = 0, under20 = 0, named = 0;
		char nm[HV_NAME], desc[1024];
		for (int f = 0; f < NF; f++) {
			hv_label(&Dj->feat[f], text, tlen, docs, nm, desc, sizeof desc);
			fprintf(lf, "%d\t%s\tauto\t%s\n", f, nm, desc);
			if (Dj->feat[f].fires > 0) {
				live++;
				if (Dj->feat[f].fires < 20)
					under20++;
			}
			/* a structural name has no class word and no colon-quote
			 * before its tag; count those whose layout tag won */
			if (strstr(desc, "; layout: ") && Dj->feat[f].fires > 0) {
				char tag[64];
				const char *lp = strstr(desc, "; layout: ") + 10;
				const char *le = strstr(lp, " (");
				snprintf(tag, sizeof tag, "%.*s",
				         (int)(le ? le - lp : (long)strlen(lp)), lp);
				named += strncmp(nm, tag, strlen(tag)) == 0;
			}
		}
		hv_close(lf, path);
		char key[32];
		snprintf(key, sizeof key, "harvest_sae%d", NF);
		printf("%s_acts %ld\n%s_live %ld\n%s_live_under_20 %ld\n"
		       "%s_structural_names %ld\n",
		       key, Dj->nacts, key, live, key, under20, key, named);
		free(Dj->feat);
		free(Dj->idx);
		free(Dj->val);
		sae_free(s);
	}
	printf("harvest_seconds %.0f\n", fsm_now() - t0);
	free(ue);
	free(saes[0]);
	free(dirs[0]);
	if (nl)
		free(names[0]);
	else
		for (int j = 0; j < ns; j++)
			free(names[j]);
	free(line.p);
	free(h.buf);
	free(x);
	free(tok);
	free(ctx);
	for (int d = 0; d < ndoc; d++) {
		free(docs[d].pkg);
		free(docs[d].path);
	}
	free(docs);
	free(text);
	lm_free(m);
	return 0;
}
