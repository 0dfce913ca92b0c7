/*
 * harvest_label.c: the harvest's automatic labels. From the strongest
 * firings of a feature (HV_TOP of them) it names the character class, the
 * characters or words quoted, and the place in the document's layout
 * (FASTA header, SAM column, comment, ...), with the corpus group and
 * package over all firings; also the character classes and the byte
 * escapes that harvest.c uses. A feature whose firings sit at the start of
 * their contexts whatever the character is named by position ("position 0
 * (first token of the context)", the prefix HV_POSITION_PREFIX); a
 * character inside a word is named with its neighbours ("'n' in appe_d").
 * Columns of SAM/VCF/GFF/TSV lines are numbered from 1 everywhere, a tab
 * by the column it ends.
 */
#include "harvest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hv_class_names[C_N] = {
	"digits", "uppercase letters", "lowercase letters", "spaces",
	"newlines", "tabs", "ASCII punctuation", "Hangul", "CJK ideographs",
	"Japanese kana", "Arabic script", "Hebrew script", "Cyrillic",
	"Greek", "accented Latin letters", "CJK punctuation",
	"other characters"};

/* Decode the UTF-8 character that contains byte at; returns its code
 * point and sets *start and *len. */
uint32_t hv_char_at(const uint8_t *t, size_t tlen, size_t at,
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

int hv_class(uint32_t c)
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
	/* U+00D7 and U+00F7 (multiplication and division signs) sit among the
	 * Latin-1 letters but are not letters */
	if (c >= 0x00C0 && c <= 0x024F && c != 0xD7 && c != 0xF7) return C_LATIN_EXT;
	if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF))
		return C_CJK_PUNCT;
	return C_OTHER;
}

/* A byte as the C-escaped token text of vocab.txt. */
void hv_escape_byte(int c, char *out, size_t n)
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
			/* a tab is numbered by the column it ends, the same
			 * 1-based number as that column's own characters */
			if (t[at] == '\t' && cn)
				snprintf(tag, n, "%s tab after column %d (%s)", fmt,
				         tabs_before + 1, cn);
			else if (t[at] == '\t')
				snprintf(tag, n, "%s tab after column %d", fmt,
				         tabs_before + 1);
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
			snprintf(tag, n, "TSV tab after column %d", tabs_before + 1);
		else
			snprintf(tag, n, "TSV column %d", tabs_before + 1);
		return 1;
	}
	return 0;
}

/* The end of the context that starts at pos of a document ending at end:
 * the last line end in (pos + HV_MIN, pos + HV_MAX], else pos + HV_MAX
 * moved back to a UTF-8 character boundary. */
size_t hv_cut_end(const uint8_t *t, size_t pos, size_t end)
{
	size_t lim = pos + HV_MAX < end ? pos + HV_MAX : end;
	for (size_t q = lim; q > pos + HV_MIN; q--)
		if (t[q - 1] == '\n')
			return q;
	size_t cut = lim;
	while (cut > pos + HV_MIN && cut < end && (t[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
}

/* Context starts of the documents met so far (computed once per document,
 * for the text and manifest of the last call). */
static struct {
	const uint8_t *t;    /* the text they belong to */
	size_t tlen;         /* its length */
	const hv_doc *docs;  /* the manifest */
	int n;               /* documents with a slot */
	struct {
		size_t off, len; /* the document they were computed for */
		size_t *start;   /* context starts, ascending (NULL: not yet) */
		size_t nstart;   /* entries */
	} *d;
} hv_cuts;

void hv_label_forget(void)
{
	for (int i = 0; i < hv_cuts.n; i++)
		free(hv_cuts.d[i].start);
	free(hv_cuts.d);
	memset(&hv_cuts, 0, sizeof hv_cuts);
}

/* The position (byte = token) of `at` in its harvested context, or -1
 * when it lies in no context (a document's remainder under HV_MIN). */
int hv_ctx_pos(const uint8_t *t, size_t tlen, const hv_doc *docs, int doc,
               size_t at)
{
	if (doc < 0)
		return -1;
	if (hv_cuts.t != t || hv_cuts.tlen != tlen || hv_cuts.docs != docs)
		hv_label_forget();
	hv_cuts.t = t;
	hv_cuts.tlen = tlen;
	hv_cuts.docs = docs;
	if (doc >= hv_cuts.n) {
		int nn = doc + 1 > 2 * hv_cuts.n ? doc + 1 : 2 * hv_cuts.n;
		void *p = realloc(hv_cuts.d, (size_t)nn * sizeof *hv_cuts.d);
		if (!p)
			return -1;
		hv_cuts.d = p;
		memset(hv_cuts.d + hv_cuts.n, 0,
		       (size_t)(nn - hv_cuts.n) * sizeof *hv_cuts.d);
		hv_cuts.n = nn;
	}
	__typeof__(hv_cuts.d[0]) *c = &hv_cuts.d[doc];
	const hv_doc *D = &docs[doc];
	if (!c->start || c->off != D->off || c->len != D->len) {
		free(c->start);
		size_t end = D->off + D->len < tlen ? D->off + D->len : tlen;
		size_t cap = (end > D->off ? (end - D->off) / HV_MIN : 0) + 1;
		c->start = malloc(cap * sizeof *c->start);
		c->nstart = 0;
		c->off = D->off;
		c->len = D->len;
		if (!c->start)
			return -1;
		for (size_t pos = D->off; pos + HV_MIN <= end;) {
			c->start[c->nstart++] = pos;
			pos = hv_cut_end(t, pos, end);
		}
	}
	size_t lo = 0, hi = c->nstart; /* last start <= at */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->start[mid] <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	size_t s0 = c->start[lo - 1];
	size_t e0 = lo < c->nstart ? c->start[lo]
	                           : hv_cut_end(t, s0, D->off + D->len < tlen
	                                                   ? D->off + D->len
	                                                   : tlen);
	return at < e0 ? (int)(at - s0) : -1;
}

/* An ASCII letter or digit ('_' is not: it marks the character in a
 * frame). */
static int hv_is_alnum(uint8_t c)
{
	return hv_is_word(c) && c != '_';
}

/* A character inside an ASCII word shown with its neighbours: the word
 * (at most side <= HV_FRAME_SIDE letters or digits each side) with the
 * character as '_' ("appe_d"); "" when the byte is not inside a word of 2+
 * letters or digits. */
#define HV_FRAME_SIDE 6
static void hv_frame(const uint8_t *t, size_t tlen, size_t at, size_t side,
                     char *out, size_t n)
{
	out[0] = 0;
	if (!hv_is_alnum(t[at]) || side > HV_FRAME_SIDE)
		return;
	size_t a = at, b = at;
	while (a > 0 && hv_is_alnum(t[a - 1]) && at - a < side)
		a--;
	while (b + 1 < tlen && hv_is_alnum(t[b + 1]) && b - at < side)
		b++;
	if (a == b || n < 2 * side + 2)
		return;
	size_t k = 0;
	for (size_t q = a; q <= b; q++)
		out[k++] = q == at ? '_' : (char)t[q];
	out[k] = 0;
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
void hv_label(const hv_feat *F, const uint8_t *t, size_t tlen,
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
	/* a character in its word ("appe_d") and between its neighbours
	 * ("e_d"), with the character */
	struct {
		char f[2 * HV_FRAME_SIDE + 2];
		uint8_t c;
		int cnt;
	} fw[HV_TOP], fn[HV_TOP];
	int nch = 0, nwd = 0, npk = 0, ntg = 0, dna = 0, prot = 0, hex = 0,
	    b64 = 0, nfw = 0, nfn = 0;
	int pc[HV_POS_N] = {0}; /* top firings per position in the context */
	int fpos[HV_TOP];       /* per top firing: its position, -1 none */
	int fanch[HV_TOP];      /* its context starts the document (1) or
	                         * inside a line (2): where no feature of
	                         * line starts fires; 0 after a line end */
	for (int i = 0; i < F->ntop; i++) {
		size_t st;
		int len;
		uint32_t cp = hv_char_at(t, tlen, F->top[i].at, &st, &len);
		const hv_doc *Dd = &docs[F->top[i].doc];
		int pos = hv_ctx_pos(t, tlen, docs, F->top[i].doc, F->top[i].at);
		fpos[i] = pos;
		fanch[i] = 0;
		if (pos >= 0) {
			size_t cs = F->top[i].at - (size_t)pos;
			fanch[i] = cs <= Dd->off ? 1 : t[cs - 1] != '\n' ? 2 : 0;
		}
		if (pos >= 0 && pos < HV_POS_N)
			pc[pos]++;
		for (int k = 0; k < 2; k++) {
			int side = k ? 1 : HV_FRAME_SIDE;
			char f[2 * HV_FRAME_SIDE + 2];
			hv_frame(t, tlen, F->top[i].at, (size_t)side, f, sizeof f);
			if (!f[0])
				break;
			__typeof__(fw[0]) *fr = side == 1 ? fn : fw;
			int *nf = side == 1 ? &nfn : &nfw, j;
			for (j = 0; j < *nf; j++)
				if (strcmp(fr[j].f, f) == 0 && fr[j].c == t[F->top[i].at])
					break;
			if (j == *nf) {
				memcpy(fr[j].f, f, sizeof f);
				fr[j].c = t[F->top[i].at];
				fr[j].cnt = 0;
				(*nf)++;
			}
			fr[j].cnt++;
		}
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
			/* an ALL-CAPS English word is often all amino-acid
			 * letters ("MERCHANTABILITY"): a protein run needs the
			 * sequence group, or a run longer than words are */
			if (wl >= 8 && nn == wl)
				dna++;
			else if (wl >= 10 && na == wl &&
			         (Dd->group == 0 || wl >= 20))
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
	for (int k = 0; k < 2; k++) {
		__typeof__(fw[0]) *fr = k ? fn : fw;
		int nf = k ? nfn : nfw;
		for (int i = 1; i < nf; i++)
			for (int j = i; j > 0 && fr[j].cnt > fr[j - 1].cnt; j--) {
				__typeof__(fw[0]) x = fr[j];
				fr[j] = fr[j - 1];
				fr[j - 1] = x;
			}
	}
	/* A position feature: most top firings at one of the first token
	 * positions of their contexts (at one position, else within the first
	 * few), on three or more different characters, and at least half of
	 * them in contexts that start the document (the model's first token)
	 * or start inside a line: a feature of line starts, whose contexts
	 * start after a line end, is not one. Named by position alone. */
	int p0 = 0, pn = 0, pin = 0;
	for (int p = 1; p < HV_POS_N; p++)
		if (pc[p] > pc[p0])
			p0 = p;
	for (int p = 0; p < HV_POS_N && !pn; p++) {
		pin += pc[p];
		if (pin * 10 >= F->ntop * 8 && p > 0)
			pn = p + 1;
	}
	for (int k = 0; k < 2 && F->ntop >= 8; k++) {
		/* k 0: position p0 alone; k 1: positions 0..pn-1 */
		int lo = k ? 0 : p0, hi = k ? pn - 1 : p0;
		int in = 0, doc0 = 0, mid = 0, nd = 0;
		size_t dst[3];
		int dlen[3];
		if (k == 0 ? pc[p0] * 10 < F->ntop * 7 : pn == 0)
			continue;
		for (int i = 0; i < F->ntop; i++) {
			if (fpos[i] < lo || fpos[i] > hi)
				continue;
			in++;
			doc0 += fanch[i] == 1;
			mid += fanch[i] == 2;
			size_t st;
			int len, j;
			hv_char_at(t, tlen, F->top[i].at, &st, &len);
			for (j = 0; j < nd; j++)
				if (dlen[j] == len && memcmp(t + dst[j], t + st, (size_t)len) == 0)
					break;
			if (j == nd && nd < 3) {
				dst[nd] = st;
				dlen[nd++] = len;
			}
		}
		if (nd < 3 || (doc0 + mid) * 2 < in)
			continue;
		if (k == 1)
			snprintf(name, HV_NAME, "%s0-%d (first %d tokens of the "
			         "context)", HV_POSITION_PREFIX, pn - 1, pn);
		else if (p0 == 0)
			snprintf(name, HV_NAME, "%s0 (first token of the context)",
			         HV_POSITION_PREFIX);
		else
			snprintf(name, HV_NAME, "%s%d of the context",
			         HV_POSITION_PREFIX, p0);
		char where[24];
		if (k)
			snprintf(where, sizeof where, "positions 0-%d", pn - 1);
		else
			snprintf(where, sizeof where, "position %d", p0);
		snprintf(desc, n, "fires at %s of its context in %d of the top %d "
		         "firings, whatever the character (%d of them where the "
		         "context starts its document, %d where it starts inside "
		         "a line); %lld firings in all", where, in, F->ntop, doc0,
		         mid, (long long)F->fires);
		return;
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
	/* a character named in its context: in its word ("'n' in appe_d"),
	 * else between its neighbours ("'n' in e_d"), when one such context
	 * holds a quarter of the top firings (a second one an eighth) */
	char ctxn[HV_NAME] = "";
	int ctxk = -1, ctxcnt = 0;
	for (int k = 0; k < 2 && !st_ok && seq == 0 && ctxk < 0; k++) {
		__typeof__(fw[0]) *fr = k ? fn : fw;
		int nf = k ? nfn : nfw;
		if (nf == 0 || fr[0].cnt * 4 < F->ntop ||
		    (what && !hv_in_class(fr[0].c, cls)))
			continue;
		ctxk = k;
		for (int i = 0; i < nf && i < 2; i++) {
			if (i > 0 && (fr[i].cnt * 8 < F->ntop ||
			              (what && !hv_in_class(fr[i].c, cls))))
				break;
			char item[40];
			snprintf(item, sizeof item, "'%c' in %.*s", fr[i].c,
			         2 * HV_FRAME_SIDE + 1, fr[i].f);
			if (strlen(nm) + 2 + strlen(ctxn) + 1 + strlen(item) >= HV_NAME)
				break;
			hv_append(ctxn, sizeof ctxn, ",", item);
			ctxcnt += fr[i].cnt;
		}
	}
	if (ctxn[0]) {
		wsuf[0] = 0;
		shown = 0; /* the contexts quote the characters */
		size_t l0 = strlen(nm);
		snprintf(nm + l0, sizeof nm - l0, ": %s", ctxn);
	}
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
	if (ctxn[0])
		l += snprintf(desc + l, n - (size_t)l,
		              "; %s in %d of them (the character as _, %s)", ctxn,
		              ctxcnt, ctxk ? "its neighbours" : "its word");
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
