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
 * Labels: the character class, the quoted characters and the layout tag
 * all come from the same firings (the HV_TOP strongest); the corpus
 * group and package are over all firings and said so.
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
#define HV_MAX_SAE 8  /* dictionaries harvested together */
#define HV_NAME 64    /* longest name, bytes, with the NUL */
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

/* Does code point c belong to label class cls? (The class a name states
 * is checked against its first quoted character with this.) */
static int hv_in_class(uint32_t c, int cls)
{
	return hv_class(c) == cls;
}

/* Name of a SAM, VCF or GFF column (1-based), or NULL. */
static const char *hv_column_name(const char *fmt, int col)
{
	static const char *const sam[] = {"QNAME", "FLAG", "RNAME", "POS",
		"MAPQ", "CIGAR", "RNEXT", "PNEXT", "TLEN", "SEQ", "QUAL"};
	static const char *const vcf[] = {"CHROM", "POS", "ID", "REF", "ALT",
		"QUAL", "FILTER", "INFO", "FORMAT"};
	static const char *const gff[] = {"seqid", "source", "type", "start",
		"end", "score", "strand", "phase", "attributes"};
	if (col < 1)
		return NULL;
	if (strcmp(fmt, "SAM") == 0 && col <= 11)
		return sam[col - 1];
	if (strcmp(fmt, "VCF") == 0 && col <= 9)
		return vcf[col - 1];
	if ((strcmp(fmt, "GFF") == 0 || strcmp(fmt, "GTF") == 0) && col <= 9)
		return gff[col - 1];
	return NULL;
}

static int hv_has(const char *path, const char *needle)
{
	return strstr(path, needle) != NULL;
}

/* Comment syntax of a code document by its file name: 1 C-like (// and
 * block comments), 2 '#', 3 ';' (Lisp), 4 "--" (Lua), 0 unknown. */
static int hv_comment_kind(const char *path)
{
	if (hv_has(path, ".c#") || hv_has(path, ".h#") || hv_has(path, ".hpp#") ||
	    hv_has(path, ".js#") || hv_has(path, ".ts#") || hv_has(path, ".rs#") ||
	    hv_has(path, ".go#"))
		return 1;
	if (hv_has(path, ".py#") || hv_has(path, ".pm#") || hv_has(path, ".pl#") ||
	    hv_has(path, ".sh#") || hv_has(path, ".rb#") ||
	    hv_has(path, "/completions/") || hv_has(path, "/usr/bin/"))
		return 2;
	if (hv_has(path, ".lisp#") || hv_has(path, ".scm#") || hv_has(path, ".el#"))
		return 3;
	if (hv_has(path, ".lua#"))
		return 4;
	return 0;
}

/* The place in the document's layout of the byte at `at` (document d):
 * writes a short tag ("FASTA header line", "SAM column 6 (CIGAR)", ...)
 * and returns 1, or returns 0 when no layout rule applies. */
static int hv_struct(const uint8_t *t, const hv_doc *d, size_t at, char *tag,
                     size_t n)
{
	size_t lo = d->off, hi = d->off + d->len;
	size_t ls = at, le = at;
	while (ls > lo && t[ls - 1] != '\n' && at - ls < 4096)
		ls--;
	while (le < hi && t[le] != '\n' && le - at < 4096)
		le++;
	if (t[at] == '\n')
		return 0;
	uint8_t c0 = t[ls];
	const char *path = d->path;
	int tabs = 0, tabs_before = 0;
	for (size_t q = ls; q < le; q++)
		if (t[q] == '\t') {
			tabs++;
			tabs_before += q < at;
		}
	/* od -A x -t x1z hex dumps: "0000a0 xx xx ... >ascii<" */
	if (hv_has(d->pkg, "libreoffice-help-ko") && hv_has(path, "od -A x")) {
		size_t gt = ls;
		while (gt < le && t[gt] != '>')
			gt++;
		if (at - ls < 6)
			snprintf(tag, n, "hex dump: offset column");
		else if (gt < le && at >= gt)
			snprintf(tag, n, "hex dump: ASCII column");
		else
			snprintf(tag, n, "hex dump: byte column %d",
			         (int)((at - ls - 7) / 3) + 1);
		return 1;
	}
	/* key of a key=value header line */
	if (c0 == '#' || c0 == '@' || c0 == '>' || c0 == '[' || c0 == ';') {
		size_t q = at;
		while (q < le && (hv_is_word(t[q]) || t[q] == '-' || t[q] == '.'))
			q++;
		if (q > at && q < le && t[q] == '=' &&
		    (hv_is_word(t[at]) || t[at] == '-')) {
			snprintf(tag, n, "key of a key=value header");
			return 1;
		}
	}
	if (d->group == 0) { /* dna */
		const char *fmt = hv_has(path, ".sam") ? "SAM"
		                  : hv_has(path, ".vcf") ? "VCF"
		                  : hv_has(path, ".gtf") ? "GTF"
		                  : hv_has(path, ".gff") ? "GFF" : "TSV";
		if (c0 == '>') {
			snprintf(tag, n, "FASTA header line");
			return 1;
		}
		if (c0 == '@' && strcmp(fmt, "SAM") != 0) {
			snprintf(tag, n, "FASTQ header line");
			return 1;
		}
		if (c0 == '@' || c0 == '#') {
			snprintf(tag, n, "%s header line", strcmp(fmt, "TSV") ? fmt : "");
			if (!strcmp(fmt, "TSV"))
				snprintf(tag, n, "header comment line");
			return 1;
		}
		if (c0 == '+' && le - ls <= 2) {
			snprintf(tag, n, "FASTQ separator line");
			return 1;
		}
		if (ls > lo + 1) { /* line after a "+" line: FASTQ quality */
			size_t ps = ls - 1;
			while (ps > lo && t[ps - 1] != '\n' && ls - ps < 4096)
				ps--;
			if (t[ps] == '+' && ls - 1 - ps <= 1) {
				snprintf(tag, n, "FASTQ quality line");
				return 1;
			}
		}
		if (tabs >= 5) {
			const char *cn = hv_column_name(fmt, tabs_before + 1);
			if (t[at] == '\t')
				snprintf(tag, n, "%s tab after column %d", fmt,
				         tabs_before);
			else if (cn)
				snprintf(tag, n, "%s column %d (%s)", fmt, tabs_before + 1,
				         cn);
			else
				snprintf(tag, n, "%s column %d", fmt, tabs_before + 1);
			return 1;
		}
		size_t nn = 0, na = 0, len = le - ls;
		for (size_t q = ls; q < le; q++) {
			nn += strchr("ACGTUNacgtun", t[q]) != NULL;
			na += t[q] >= 'A' && t[q] <= 'Z';
		}
		if (len >= 20 && nn == len) {
			snprintf(tag, n, "nucleotide sequence line");
			return 1;
		}
		if (len >= 20 && na == len) {
			snprintf(tag, n, "protein sequence line");
			return 1;
		}
		return 0;
	}
	if (d->group == 1) { /* code */
		int only_ws = 1;
		for (size_t q = ls; q <= at; q++)
			if (t[q] != ' ' && t[q] != '\t')
				only_ws = 0;
		if (only_ws) {
			snprintf(tag, n, "code indentation");
			return 1;
		}
		int ck = hv_comment_kind(path), incom = 0;
		size_t fs = ls; /* first non-blank */
		while (fs < le && (t[fs] == ' ' || t[fs] == '\t'))
			fs++;
		for (size_t q = ls; q + 1 <= at && !incom; q++) {
			if (ck == 1 && q + 1 < le && t[q] == '/' &&
			    (t[q + 1] == '/' || t[q + 1] == '*'))
				incom = 1;
			if (ck == 2 && t[q] == '#' && (q == ls || t[q - 1] == ' ' ||
			                               t[q - 1] == '\t'))
				incom = 1;
			if (ck == 3 && t[q] == ';')
				incom = 1;
			if (ck == 4 && q + 1 < le && t[q] == '-' && t[q + 1] == '-')
				incom = 1;
		}
		if (ck == 1 && fs < at && t[fs] == '*')
			incom = 1;
		if (incom) {
			snprintf(tag, n, "inside a comment");
			return 1;
		}
		int quotes = 0;
		for (size_t q = ls; q < at; q++)
			if (t[q] == '"' && (q == ls || t[q - 1] != '\\'))
				quotes++;
		if (quotes % 2 == 1) {
			snprintf(tag, n, "inside a string literal");
			return 1;
		}
		return 0;
	}
	if (d->group == 4 && tabs >= 2 && c0 != '#') { /* TSV tables */
		if (t[at] == '\t')
			snprintf(tag, n, "TSV tab after column %d", tabs_before);
		else
			snprintf(tag, n, "TSV column %d", tabs_before + 1);
		return 1;
	}
	return 0;
}

/* Append item to a comma list in buf if the whole stays under cap bytes. */
static int hv_append(char *buf, size_t cap, const char *sep, const char *item)
{
	size_t l = strlen(buf);
	if (l + strlen(sep) + strlen(item) + 1 > cap)
		return 0;
	snprintf(buf + l, cap - l, "%s%s", l ? sep : "", item);
	return 1;
}

/* Build the automatic label of one feature: a short name (< HV_NAME bytes)
 * and a description with the statistics. */
static void hv_label(const hv_feat *F, const uint8_t *t, size_t tlen,
                     const hv_doc *docs, char *name, char *desc, size_t n)
{
	if (F->fires == 0) {
		snprintf(name, HV_NAME, "dead (no activation on held-out text)");
		snprintf(desc, n, "never fired on the harvested contexts");
		return;
	}
	/* Everything below but the group and package shares is over the
	 * top firings. */
	uint32_t tcls[C_N] = {0};
	struct {
		uint8_t s[4];
		int len, cnt, cls;
	} ch[HV_TOP];
	struct {
		char w[24];
		int cnt;
	} wd[HV_TOP];
	struct {
		const char *p;
		int cnt;
	} pk[HV_TOP];
	struct {
		char s[48];
		int cnt;
	} tg[HV_TOP];
	int nch = 0, nwd = 0, npk = 0, ntg = 0, dna = 0, prot = 0, hex = 0,
	    b64 = 0;
	for (int i = 0; i < F->ntop; i++) {
		size_t st;
		int len;
		uint32_t cp = hv_char_at(t, tlen, F->top[i].at, &st, &len);
		int cls = hv_class(cp);
		tcls[cls]++;
		int j;
		for (j = 0; j < nch; j++)
			if (ch[j].len == len && memcmp(ch[j].s, t + st, len) == 0)
				break;
		if (j == nch) {
			memcpy(ch[j].s, t + st, (size_t)len);
			ch[j].len = len;
			ch[j].cnt = 0;
			ch[j].cls = cls;
			nch++;
		}
		ch[j].cnt++;
		char tag[48];
		if (hv_struct(t, &docs[F->top[i].doc], F->top[i].at, tag,
		              sizeof tag)) {
			for (j = 0; j < ntg; j++)
				if (strcmp(tg[j].s, tag) == 0)
					break;
			if (j == ntg) {
				snprintf(tg[j].s, sizeof tg[j].s, "%s", tag);
				tg[j].cnt = 0;
				ntg++;
			}
			tg[j].cnt++;
		}
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
			/* inside a sequence: a long run of nucleotide letters, or
			 * of uppercase amino-acid letters */
			size_t nn = 0, na = 0, nd = 0, nx = 0, nu = 0, nl = 0;
			for (size_t q = 0; q < wl; q++) {
				char c = w[q];
				nn += strchr("ACGTUNacgtun", c) != NULL;
				na += strchr("ACDEFGHIKLMNPQRSTVWYXBZ", c) != NULL;
				nd += c >= '0' && c <= '9';
				nx += (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
				nu += c >= 'A' && c <= 'Z';
				nl += c >= 'a' && c <= 'z';
			}
			if (wl >= 8 && nn == wl)
				dna++;
			else if (wl >= 10 && na == wl)
				prot++;
			else if (nd + nx == wl && nd > 0 && nx > 0)
				hex++;
			else if (wl >= 16 && nd > 0 && nu > 0 && nl > 0)
				b64++;
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
	for (int i = 1; i < ntg; i++)
		for (int j = i; j > 0 && tg[j].cnt > tg[j - 1].cnt; j--) {
			__typeof__(tg[0]) x = tg[j];
			tg[j] = tg[j - 1];
			tg[j - 1] = x;
		}
	int cls = 0, grp = 0;
	for (int c = 1; c < C_N; c++)
		if (tcls[c] > tcls[cls])
			cls = c;
	for (int g = 1; g < HV_GROUPS; g++)
		if (F->grp[g] > F->grp[grp])
			grp = g;
	double cfrac = (double)tcls[cls] / F->ntop;
	double gfrac = (double)F->grp[grp] / F->fires;
	/* What the name states, and which characters fit it: a character
	 * class (cls), or a sequence kind over ASCII letters. */
	const char *what = NULL;
	int seq = 0; /* 1 DNA, 2 protein, 3 DNA or protein, 4 hex, 5 base64 */
	if (dna * 10 >= F->ntop * 8)
		what = "DNA bases", seq = 1;
	else if (prot * 10 >= F->ntop * 8)
		what = "protein sequence letters", seq = 2;
	else if ((dna + prot) * 10 >= F->ntop * 8)
		what = "DNA/protein sequence letters", seq = 3;
	else if (hex * 10 >= F->ntop * 8)
		what = "hex digits", seq = 4;
	else if (b64 * 10 >= F->ntop * 8)
		what = "base64 text", seq = 5;
	else if (cfrac >= 0.5)
		what = hv_class_names[cls];
	/* quoted characters: those that fit the stated class first, by count */
	char chars[160] = "", namechars[160] = "", first[24] = "";
	int covered = 0, shown = 0;
	for (int pass = 0; pass < 2 && shown < 4; pass++)
		for (int i = 0; i < nch && shown < 4; i++) {
			uint32_t cp = 0;
			size_t st2;
			int l2;
			/* decode the stored character */
			(void)st2;
			(void)l2;
			if (ch[i].len == 1)
				cp = ch[i].s[0];
			else {
				cp = ch[i].s[0] & (0x7F >> ch[i].len);
				for (int q = 1; q < ch[i].len; q++)
					cp = (cp << 6) | (ch[i].s[q] & 0x3F);
			}
			int fits;
			if (seq == 1)
				fits = cp < 0x80 && strchr("ACGTUNacgtun", (int)cp) && cp;
			else if (seq == 2 || seq == 3)
				fits = cp >= 'A' && cp <= 'Z';
			else if (seq == 4)
				fits = cp < 0x80 && cp && strchr("0123456789abcdefABCDEF",
				                                 (int)cp);
			else if (seq == 5)
				fits = hv_is_word((uint8_t)cp) && cp < 0x80 && cp != '_';
			else
				fits = what ? hv_in_class(cp, cls) : 1;
			if ((pass == 0) != (fits != 0))
				continue;
			char q[24];
			hv_quote_char(ch[i].s, ch[i].len, q, sizeof q);
			if (!shown)
				snprintf(first, sizeof first, "%s", q);
			hv_append(chars, sizeof chars, ",", q);
			if (pass == 0) /* the name quotes only what fits its class */
				hv_append(namechars, sizeof namechars, ",", q);
			covered += ch[i].cnt;
			shown++;
		}
	/* structure shared by the top firings */
	int st_ok = ntg > 0 && tg[0].cnt * 10 >= F->ntop * 7;
	char words[96] = "";
	if (nwd > 0 && wd[0].cnt * 4 >= F->ntop) {
		hv_append(words, sizeof words, ",", wd[0].w);
		for (int i = 1; i < nwd && i < 3 && wd[i].cnt * 8 >= F->ntop; i++)
			hv_append(words, sizeof words, ",", wd[i].w);
	}
	/* the name: structure, else class, then characters (and a word) */
	char nm[256];
	if (st_ok)
		snprintf(nm, sizeof nm, "%s", tg[0].s);
	else if (what)
		snprintf(nm, sizeof nm, "%s", what);
	else
		snprintf(nm, sizeof nm, "mixed");
	/* a dominant ASCII word of letters or digits goes last, if it fits */
	char wsuf[48] = "";
	if (!st_ok && nwd > 0 && wd[0].cnt * 4 >= F->ntop && seq == 0 &&
	    (cls == C_LOWER || cls == C_UPPER || cls == C_DIGIT))
		snprintf(wsuf, sizeof wsuf, " (word '%.24s')", wd[0].w);
	size_t room = HV_NAME - 1 - strlen(wsuf);
	if (shown) {
		/* as many quoted characters as fit: items of chars are split
		 * at the "," between two quotes */
		size_t base = strlen(nm);
		const char *p = namechars[0] ? namechars : chars;
		int k = 0;
		while (*p) {
			const char *e = p + 1;
			while (*e && !(e[-1] == '\'' && e > p + 1 && *e == ','))
				e++;
			size_t il = (size_t)(e - p);
			if (base + il + 2 > room || il > 40)
				break;
			memcpy(nm + base, k ? "," : ": ", k ? 1 : 2);
			base += k ? 1 : 2;
			memcpy(nm + base, p, il);
			base += il;
			nm[base] = 0;
			k++;
			p = *e ? e + 1 : e;
		}
	}
	if (strlen(nm) + strlen(wsuf) < HV_NAME)
		memcpy(nm + strlen(nm), wsuf, strlen(wsuf) + 1);
	snprintf(name, HV_NAME, "%s", nm);
	/* the description: every statistic, with its base */
	int l = snprintf(desc, n, "fires on %s (%.0f%% of the top %d firings)",
	                 chars, 100.0 * covered / F->ntop, F->ntop);
	if (words[0])
		l += snprintf(desc + l, n - (size_t)l, "; words %s", words);
	if (what && !seq)
		l += snprintf(desc + l, n - (size_t)l, "; %s in %.0f%% of them",
		              hv_class_names[cls], 100 * cfrac);
	else if (!what)
		l += snprintf(desc + l, n - (size_t)l,
		              "; most common class %s (%.0f%% of them)",
		              hv_class_names[cls], 100 * cfrac);
	if (ntg > 0)
		l += snprintf(desc + l, n - (size_t)l, "; layout: %s (%.0f%% of them)",
		              tg[0].s, 100.0 * tg[0].cnt / F->ntop);
	snprintf(desc + l, n - (size_t)l,
	         "; in %s (%.0f%% of all %lld firings); top examples from %s "
	         "(%.0f%%)",
	         hv_group_names[grp], 100 * gfrac, (long long)F->fires,
	         npk ? pk[0].p : "?", npk ? 100.0 * pk[0].cnt / F->ntop : 0.0);
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
