/*
 * harvest.c: the harvest subcommand. Cuts held-out documents into
 * contexts of 64-128 bytes (on a line end when there is one, otherwise on
 * a UTF-8 character boundary), runs the language model and the SAE over
 * them, and writes what `featscope build` reads:
 *   records.jsonl  one context a line: text, token offsets, the sparse
 *                  SAE activations [[position, feature, value], ...], and
 *                  the source "package:path";
 *   decoder.npy    SAE decoder rows, float32 [n_features, d_mlp];
 *   unembed.npy    MLP hidden space -> logits, float32 [d_mlp, 256];
 *   vocab.txt      the 256 byte tokens, C-escaped, one a line;
 *   labels.tsv     feature, automatic label from firing statistics, "auto".
 */
#include "fsmodel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HV_MIN 64     /* shortest context in bytes */
#define HV_MAX 128    /* longest context in bytes */
#define HV_TOP 32     /* examples per feature kept for labelling */
#define HV_GROUPS 5

static const char *const hv_group_names[HV_GROUPS] = {
	"dna", "code", "prose", "scripts", "structured"};

/* One held-out document from the manifest. */
typedef struct {
	int group;      /* index into hv_group_names, -1 unknown */
	char *pkg;      /* Debian package */
	char *path;     /* path inside the package (#piece) */
	size_t off;     /* offset in the held-out text */
	size_t len;     /* bytes */
} hv_doc;

/* One context: a byte range of the held-out text. */
typedef struct {
	size_t off;     /* start in the held-out text */
	int len;        /* bytes */
	int doc;        /* index into the documents */
} hv_ctx;

/* A labelling example: where a feature fired strongly. */
typedef struct {
	float act;      /* activation */
	uint32_t at;    /* offset of the firing byte in the held-out text */
	int doc;        /* its document */
} hv_ex;

/* Character classes for the automatic labels. */
enum {
	C_DIGIT, C_UPPER, C_LOWER, C_SPACE, C_NEWLINE, C_TAB, C_PUNCT,
	C_HANGUL, C_HAN, C_KANA, C_ARABIC, C_HEBREW, C_CYRILLIC, C_GREEK,
	C_LATIN_EXT, C_CJK_PUNCT, C_OTHER, C_N
};
static const char *const hv_class_names[C_N] = {
	"digits", "uppercase letters", "lowercase letters", "spaces",
	"newlines", "tabs", "ASCII punctuation", "Hangul", "CJK ideographs",
	"Japanese kana", "Arabic script", "Hebrew script", "Cyrillic",
	"Greek", "accented Latin letters", "CJK punctuation",
	"other characters"};

/* Per-feature statistics. */
typedef struct {
	int64_t fires;              /* tokens where the feature is nonzero */
	double sum;                 /* summed activation */
	uint32_t cls[C_N];          /* firings per character class */
	uint32_t grp[HV_GROUPS];    /* firings per corpus group */
	hv_ex top[HV_TOP];          /* min-heap of the strongest firings */
	int ntop;                   /* entries in top */
} hv_feat;

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
			        "featscope-model: %s:%d: manifest: expected 7 "
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

/* Cut every held-out document into contexts. */
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
			size_t lim = pos + HV_MAX < end ? pos + HV_MAX : end;
			size_t cut = 0;
			for (size_t q = lim; q > pos + HV_MIN; q--)
				if (text[q - 1] == '\n') {
					cut = q;
					break;
				}
			if (!cut) {
				cut = lim;
				while (cut > pos + HV_MIN &&
				       cut < end && (text[cut] & 0xC0) == 0x80)
					cut--;
			}
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

/* Decode the UTF-8 character that contains byte at; returns its code
 * point and sets *start and *len. */
static uint32_t hv_char_at(const uint8_t *t, size_t tlen, size_t at,
                           size_t *start, int *len)
{
	size_t s = at;
	while (s > 0 && at - s < 3 && (t[s] & 0xC0) == 0x80)
		s--;
	uint8_t b = t[s];
	int n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
	if (s + n > tlen)
		n = 1;
	uint32_t cp = n == 1 ? b : b & (0x7F >> n);
	for (int i = 1; i < n; i++)
		cp = (cp << 6) | (t[s + i] & 0x3F);
	*start = s;
	*len = n;
	return cp;
}

static int hv_class(uint32_t c)
{
	if (c >= '0' && c <= '9') return C_DIGIT;
	if (c >= 'A' && c <= 'Z') return C_UPPER;
	if (c >= 'a' && c <= 'z') return C_LOWER;
	if (c == ' ') return C_SPACE;
	if (c == '\n') return C_NEWLINE;
	if (c == '\t') return C_TAB;
	if (c < 0x80) return C_PUNCT;
	if ((c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) ||
	    (c >= 0x3130 && c <= 0x318F))
		return C_HANGUL;
	if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF))
		return C_HAN;
	if (c >= 0x3040 && c <= 0x30FF) return C_KANA;
	if ((c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) ||
	    (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF))
		return C_ARABIC;
	if (c >= 0x0590 && c <= 0x05FF) return C_HEBREW;
	if (c >= 0x0400 && c <= 0x04FF) return C_CYRILLIC;
	if ((c >= 0x0370 && c <= 0x03FF) || (c >= 0x1F00 && c <= 0x1FFF))
		return C_GREEK;
	if (c >= 0x00C0 && c <= 0x024F) return C_LATIN_EXT;
	if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF))
		return C_CJK_PUNCT;
	return C_OTHER;
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

/* A byte as the C-escaped token text of vocab.txt. */
static void hv_escape_byte(int c, char *out, size_t n)
{
	if (c == '\n') snprintf(out, n, "\\n");
	else if (c == '\t') snprintf(out, n, "\\t");
	else if (c == '\r') snprintf(out, n, "\\r");
	else if (c == '\\') snprintf(out, n, "\\\\");
	else if (c < 0x20 || c >= 0x7F) snprintf(out, n, "\\x%02X", c);
	else snprintf(out, n, "%c", c);
}

/* A character (UTF-8 bytes) quoted for a label: printable as itself,
 * whitespace escaped. */
static void hv_quote_char(const uint8_t *s, int len, char *out, size_t n)
{
	if (len == 1) {
		char e[8];
		hv_escape_byte(s[0], e, sizeof e);
		snprintf(out, n, "'%s'", e);
		return;
	}
	snprintf(out, n, "'%.*s'", len, (const char *)s);
}

static int hv_is_word(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || c == '_';
}

/* Build the automatic label of one feature. */
static void hv_label(const hv_feat *F, const uint8_t *t, size_t tlen,
                     const hv_doc *docs, char *out, size_t n)
{
	if (F->fires == 0) {
		snprintf(out, n, "no activation on held-out text");
		return;
	}
	/* Dominant class and group over all firings. */
	int cls = 0, grp = 0;
	for (int c = 1; c < C_N; c++)
		if (F->cls[c] > F->cls[cls])
			cls = c;
	for (int g = 1; g < HV_GROUPS; g++)
		if (F->grp[g] > F->grp[grp])
			grp = g;
	double cfrac = (double)F->cls[cls] / F->fires;
	double gfrac = (double)F->grp[grp] / F->fires;
	/* Characters and words of the strongest firings. */
	struct {
		uint8_t s[4];
		int len, cnt;
	} ch[HV_TOP];
	struct {
		char w[24];
		int cnt;
	} wd[HV_TOP];
	struct {
		const char *p;
		int cnt;
	} pk[HV_TOP];
	int nch = 0, nwd = 0, npk = 0, dna = 0;
	for (int i = 0; i < F->ntop; i++) {
		size_t st;
		int len;
		hv_char_at(t, tlen, F->top[i].at, &st, &len);
		int j;
		for (j = 0; j < nch; j++)
			if (ch[j].len == len && memcmp(ch[j].s, t + st, len) == 0)
				break;
		if (j == nch) {
			memcpy(ch[j].s, t + st, (size_t)len);
			ch[j].len = len;
			ch[j].cnt = 0;
			nch++;
		}
		ch[j].cnt++;
		if (len == 1 && strchr("ACGTUNacgtun", t[st]) && t[st])
			dna++;
		/* the ASCII word around the byte */
		size_t a = F->top[i].at, b = a;
		if (hv_is_word(t[a])) {
			while (a > 0 && hv_is_word(t[a - 1]) && F->top[i].at - a < 20)
				a--;
			while (b + 1 < tlen && hv_is_word(t[b + 1]) && b - a < 22)
				b++;
			char w[24];
			size_t wl = b - a + 1 < sizeof w ? b - a + 1 : sizeof w - 1;
			memcpy(w, t + a, wl);
			w[wl] = 0;
			for (j = 0; j < nwd; j++)
				if (strcmp(wd[j].w, w) == 0)
					break;
			if (j == nwd) {
				strcpy(wd[j].w, w);
				wd[j].cnt = 0;
				nwd++;
			}
			wd[j].cnt++;
		}
		const char *p = docs[F->top[i].doc].pkg;
		for (j = 0; j < npk; j++)
			if (strcmp(pk[j].p, p) == 0)
				break;
		if (j == npk) {
			pk[j].p = p;
			pk[j].cnt = 0;
			npk++;
		}
		pk[j].cnt++;
	}
	/* sort characters, words, packages by count (small n: insertion) */
	for (int i = 1; i < nch; i++)
		for (int j = i; j > 0 && ch[j].cnt > ch[j - 1].cnt; j--) {
			__typeof__(ch[0]) x = ch[j];
			ch[j] = ch[j - 1];
			ch[j - 1] = x;
		}
	for (int i = 1; i < nwd; i++)
		for (int j = i; j > 0 && wd[j].cnt > wd[j - 1].cnt; j--) {
			__typeof__(wd[0]) x = wd[j];
			wd[j] = wd[j - 1];
			wd[j - 1] = x;
		}
	for (int i = 1; i < npk; i++)
		for (int j = i; j > 0 && pk[j].cnt > pk[j - 1].cnt; j--) {
			__typeof__(pk[0]) x = pk[j];
			pk[j] = pk[j - 1];
			pk[j - 1] = x;
		}
	char desc[64];
	if (grp == 0 && dna * 10 >= F->ntop * 8)
		snprintf(desc, sizeof desc, "DNA/protein letters");
	else if (cfrac >= 0.5)
		snprintf(desc, sizeof desc, "%s", hv_class_names[cls]);
	else
		snprintf(desc, sizeof desc, "mixed (%s %.0f%%)",
		         hv_class_names[cls], 100 * cfrac);
	char chars[160] = "";
	int shown = 0, covered = 0;
	size_t cl = 0;
	for (int i = 0; i < nch && shown < 4; i++) {
		char q[24];
		hv_quote_char(ch[i].s, ch[i].len, q, sizeof q);
		cl += (size_t)snprintf(chars + cl, sizeof chars - cl, "%s%s",
		                       shown ? "," : "", q);
		covered += ch[i].cnt;
		shown++;
		if (cl >= sizeof chars - 24)
			break;
	}
	char words[96] = "";
	if (nwd > 0 && wd[0].cnt * 4 >= F->ntop) {
		size_t wl = (size_t)snprintf(words, sizeof words, "; words %s",
		                             wd[0].w);
		for (int i = 1; i < nwd && i < 3 && wd[i].cnt * 8 >= F->ntop; i++)
			wl += (size_t)snprintf(words + wl, sizeof words - wl, ",%s",
			                       wd[i].w);
	}
	snprintf(out, n,
	         "%s: fires on %s (%.0f%% of top %d)%s; in %s (%.0f%% of "
	         "firings); top examples from %s (%.0f%%)",
	         desc, chars, 100.0 * covered / F->ntop, F->ntop, words,
	         hv_group_names[grp], 100 * gfrac, npk ? pk[0].p : "?",
	         npk ? 100.0 * pk[0].cnt / F->ntop : 0.0);
}

/* Hook: copy the last MLP layer's activations. */
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

int fsm_harvest(int argc, char **argv)
{
	const char *lmf = fsm_req(argc, argv, "--lm");
	const char *saef = fsm_req(argc, argv, "--sae");
	const char *held = fsm_req(argc, argv, "--heldout");
	const char *man = fsm_req(argc, argv, "--manifest");
	const char *dir = fsm_req(argc, argv, "--out");
	long want = (long)fsm_optf(argc, argv, "--contexts", 40000);
	lm_model *m = lm_load(lmf);
	sae_model *s = sae_load(saef);
	if (!m || !s)
		return 1;
	if (s->d_in != 4 * m->cfg.d_model)
		fsm_usage("SAE width does not match the model's MLP");
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
	fprintf(stderr, "harvest: %d held-out documents, %ld of %ld contexts\n",
	        ndoc, nctx, nall);

	int D = s->d_in, NF = s->n_feat, K = s->k, T = HV_MAX, B = 32;
	hv_feat *feat = calloc((size_t)NF, sizeof *feat);
	hv_hook_state h;
	h.buf = malloc((size_t)B * T * D * sizeof(float));
	float *x = malloc((size_t)B * T * D * sizeof(float));
	int *idx = malloc((size_t)B * T * K * sizeof(int));
	float *val = malloc((size_t)B * T * K * sizeof(float));
	uint8_t *tok = calloc((size_t)B * T, 1);
	if (!feat || !h.buf || !x || !idx || !val || !tok)
		fsm_die("harvest", "out of memory");
	char recp[4096];
	FILE *rec = hv_open(dir, "records.jsonl", recp, sizeof recp);
	hv_buf line = {0};
	double t0 = fsm_now(), tl = t0;
	long nacts = 0;
	for (long c0 = 0; c0 < nctx; c0 += B) {
		int nb = (int)(nctx - c0 < B ? nctx - c0 : B);
		memset(tok, 0, (size_t)B * T);
		for (int b = 0; b < nb; b++)
			memcpy(tok + (size_t)b * T, text + ctx[c0 + b].off,
			       (size_t)ctx[c0 + b].len);
		lm_forward(m, tok, NULL, nb, T, hv_hook, &h, NULL);
		/* pack the valid rows and encode them */
		int rows = 0;
		for (int b = 0; b < nb; b++)
			for (int t = 0; t < ctx[c0 + b].len; t++, rows++) {
				const float *src = h.buf + ((size_t)b * T + t) * D;
				float *dst = x + (size_t)rows * D;
				for (int j = 0; j < D; j++)
					dst[j] = src[j] * s->in_scale;
			}
		sae_encode_sparse(s, x, rows, idx, val);
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
			int first = 1;
			for (int t = 0; t < C->len; t++, r++) {
				size_t at = C->off + (size_t)t;
				size_t cs;
				int clen;
				uint32_t cp = hv_char_at(text, tlen, at, &cs, &clen);
				int cls = hv_class(cp);
				for (int a = 0; a < K; a++) {
					int f = idx[(size_t)r * K + a];
					float v = val[(size_t)r * K + a];
					if (f < 0 || v <= 0)
						continue;
					snprintf(num, sizeof num, "%s[%d,%d,%.4g]",
					         first ? "" : ",", t, f, v);
					hv_puts(&line, num);
					first = 0;
					nacts++;
					hv_feat *F = &feat[f];
					F->fires++;
					F->sum += v;
					F->cls[cls]++;
					if (Dc->group >= 0)
						F->grp[Dc->group]++;
					hv_top_push(F, v, (uint32_t)at, C->doc);
				}
			}
			hv_puts(&line, "], \"source\": \"");
			hv_json_str(&line, (const uint8_t *)Dc->pkg, strlen(Dc->pkg));
			hv_puts(&line, ":");
			hv_json_str(&line, (const uint8_t *)Dc->path,
			            strlen(Dc->path));
			hv_puts(&line, "\"}\n");
			fwrite(line.p, 1, line.n, rec);
		}
		double now = fsm_now();
		if (now - tl > 10 || c0 + nb == nctx) {
			fprintf(stderr, "harvest: %ld/%ld contexts, %.0fs\n", c0 + nb,
			        nctx, now - t0);
			tl = now;
		}
	}
	hv_close(rec, recp);

	/* decoder, unembedding, vocabulary, labels */
	char path[4096];
	snprintf(path, sizeof path, "%s/decoder.npy", dir);
	hv_write_npy(path, s->params + s->w_dec, NF, D);
	float *ue = malloc((size_t)D * LM_VOCAB * sizeof(float));
	lm_unembed_mlp(m, ue);
	snprintf(path, sizeof path, "%s/unembed.npy", dir);
	hv_write_npy(path, ue, D, LM_VOCAB);
	free(ue);
	FILE *vf = hv_open(dir, "vocab.txt", path, sizeof path);
	for (int c = 0; c < LM_VOCAB; c++) {
		char e[8];
		hv_escape_byte(c, e, sizeof e);
		fprintf(vf, "%s\n", e);
	}
	hv_close(vf, path);
	FILE *lf = hv_open(dir, "labels.tsv", path, sizeof path);
	long live = 0, under20 = 0;
	char lab[512];
	for (int f = 0; f < NF; f++) {
		hv_label(&feat[f], text, tlen, docs, lab, sizeof lab);
		fprintf(lf, "%d\t%s\tauto\n", f, lab);
		if (feat[f].fires > 0) {
			live++;
			if (feat[f].fires < 20)
				under20++;
		}
	}
	hv_close(lf, path);
	printf("harvest_contexts %ld\nharvest_acts %ld\nharvest_live %ld\n"
	       "harvest_live_under_20 %ld\nharvest_seconds %.0f\n",
	       nctx, nacts, live, under20, fsm_now() - t0);
	free(line.p);
	free(feat);
	free(h.buf);
	free(x);
	free(idx);
	free(val);
	free(tok);
	free(ctx);
	for (int d = 0; d < ndoc; d++) {
		free(docs[d].pkg);
		free(docs[d].path);
	}
	free(docs);
	free(text);
	sae_free(s);
	lm_free(m);
	return 0;
}
