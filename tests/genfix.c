/*
 * genfix.c: the planted-feature fixture generator. Writes, into DIR:
 *   records.jsonl  native activation records (tokens or text+offsets form)
 *   decoder.npy    a [64, 16] decoder with planted geometry
 *   unembed.npy    a [16, V] unembedding, vocab.txt its tokens
 *   labels.tsv     labels of the planted features
 * Planted features (feature number: what it fires on):
 *   0 DNA bases in runs of 12+ [ACGT]    1 uppercase letters (not DNA)
 *   2 digits                             3 Hangul syllables
 *   4 Python keywords def/class/import/return
 *   5 the words Golden/Gate/Bridge       6 a full stop ending a sentence
 *   7..63 noise features firing at random with small values
 * Geometry: 8 is a near-duplicate of 0; 1, 9, 10 form a group; 2 and 11
 * are near-duplicates. Deterministic: same output on every run.
 * Usage: genfix DIR [N_CONTEXTS]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NF 64
#define D 16

static uint64_t rs = 0x9e3779b97f4a7c15ull;

static double urand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

static int irand(int n) { return (int)(urand() * n); }

static const char *const words[] = {
	"the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "river", "light",
	"over", "water", "with", "small", "boats", "under", "grey", "sky", "people", "walked",
	"slowly", "towards", "old", "town", "market", "where", "bread", "was", "sold",
};
static const char *const caps[] = {"Paris", "London", "Alice", "Bob", "NASA", "Monday", "Linux"};
static const char *const hangul[] = {"안녕하세요", "한국어", "문장입니다", "서울", "사랑", "바다"};
static const char *const pycode[] = {
	"def main(args):", "class Parser(object):", "import os", "return value + 1",
	"def parse_line(line):", "class Token:", "import sys",
};

/* The context being built: tokens as byte ranges of text. */
static char text[4096];
static int tlen;
static int tok_start[1024];
static int ntok;

static void add_tok(const char *s, int n)
{
	if (tlen + n >= (int)sizeof text || ntok >= 1023)
		return;
	tok_start[ntok++] = tlen;
	memcpy(text + tlen, s, (size_t)n);
	tlen += n;
}

/* Split a string into tokens: a leading space joins the next piece; ASCII
 * letters in pieces of up to 4; each digit, punctuation mark or non-ASCII
 * character its own token. */
static void tokenize(const char *s)
{
	int n = (int)strlen(s);
	for (int i = 0; i < n;) {
		int st = i;
		if (s[i] == ' ' && i + 1 < n)
			i++;
		unsigned char c = (unsigned char)s[i];
		if ((c | 32) >= 'a' && (c | 32) <= 'z') {
			int k = 0;
			while (i < n && k < 4 && (((unsigned char)s[i] | 32) >= 'a' && ((unsigned char)s[i] | 32) <= 'z')) {
				i++;
				k++;
			}
		} else if (c >= 0x80) {
			i++;
			while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
				i++;
		} else {
			i++;
		}
		add_tok(s + st, i - st);
	}
}

static int is_acgt(char c) { return c == 'A' || c == 'C' || c == 'G' || c == 'T'; }

static void json_str(FILE *f, const char *s, int n)
{
	fputc('"', f);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void write_npy(const char *path, const float *v, int rows, int cols)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	char hdr[128];
	int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols);
	int total = 10 + n + 1;
	int pad = (64 - total % 64) % 64;
	unsigned short hl = (unsigned short)(n + pad + 1);
	fwrite("\x93NUMPY\x01\x00", 1, 8, f);
	fputc(hl & 0xff, f);
	fputc(hl >> 8, f);
	fwrite(hdr, 1, (size_t)n, f);
	for (int i = 0; i < pad; i++)
		fputc(' ', f);
	fputc('\n', f);
	fwrite(v, sizeof(float), (size_t)rows * (size_t)cols, f);
	fclose(f);
}

static void make_sentence(int kind)
{
	char s[1024] = "";
	size_t at = 0;
#define ADD(...) at += (size_t)snprintf(s + at, sizeof s - at, __VA_ARGS__)
	switch (kind) {
	case 0: /* DNA */
		ADD("sequence %d:", irand(900) + 100);
		ADD(" ");
		for (int i = 0, n = 16 + irand(24); i < n; i++)
			ADD("%c", "ACGT"[irand(4)]);
		ADD(" end");
		break;
	case 1: /* Hangul */
		for (int i = 0; i < 3; i++)
			ADD("%s%s", i ? " " : "", hangul[irand(6)]);
		break;
	case 2: /* code */
		ADD("%s", pycode[irand(7)]);
		break;
	case 3: /* Golden Gate */
		ADD("the Golden Gate Bridge stands over the %s", words[irand(30)]);
		break;
	case 4: /* pathological for (a+)+$ */
		for (int i = 0; i < 28; i++)
			ADD("a");
		ADD("!");
		break;
	default: /* prose with capitals and digits */
		for (int i = 0, n = 6 + irand(8); i < n; i++) {
			if (irand(6) == 0)
				ADD("%s%s", i ? " " : "", caps[irand(7)]);
			else if (irand(9) == 0)
				ADD("%s%d", i ? " " : "", irand(2000));
			else
				ADD("%s%s", i ? " " : "", words[irand(30)]);
		}
		ADD(".");
	}
#undef ADD
	tokenize(s);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: genfix DIR [N_CONTEXTS]\n");
		return 2;
	}
	int nctx = argc > 2 ? atoi(argv[2]) : 1500;
	char path[4096];
	snprintf(path, sizeof path, "%s/records.jsonl", argv[1]);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	for (int c = 0; c < nctx; c++) {
		tlen = ntok = 0;
		int kind = c % 10 < 5 ? c % 10 : 5;
		make_sentence(kind);
		if (irand(3) == 0)
			make_sentence(5);
		tok_start[ntok] = tlen;
		/* activations */
		fprintf(f, "{");
		if (c % 4 == 3) { /* text + offsets form */
			fprintf(f, "\"text\": ");
			json_str(f, text, tlen);
			fprintf(f, ", \"offsets\": [");
			for (int t = 0; t < ntok; t++)
				fprintf(f, "%s%d", t ? "," : "", tok_start[t]);
			fprintf(f, "]");
		} else {
			fprintf(f, "\"tokens\": [");
			for (int t = 0; t < ntok; t++) {
				if (t)
					fputc(',', f);
				json_str(f, text + tok_start[t], tok_start[t + 1] - tok_start[t]);
			}
			fprintf(f, "]");
		}
		fprintf(f, ", \"source\": \"genfix/%s\", \"acts\": [",
			kind == 0 ? "dna" : kind == 1 ? "korean" : kind == 2 ? "code" : kind == 3 ? "bridge" : "prose");
		int first = 1;
#define ACT(feat, val) do { fprintf(f, "%s[%d,%d,%.4f]", first ? "" : ",", t, feat, (double)(val)); first = 0; } while (0)
		for (int t = 0; t < ntok; t++) {
			const char *s = text + tok_start[t];
			int n = tok_start[t + 1] - tok_start[t];
			const char *w = s;
			int wn = n;
			if (wn > 1 && *w == ' ') {
				w++;
				wn--;
			}
			/* DNA: token of ACGT inside a run of 12+ ACGT characters */
			int a = tok_start[t], b = tok_start[t + 1];
			while (a > 0 && is_acgt(text[a - 1]))
				a--;
			while (b < tlen && is_acgt(text[b]))
				b++;
			int all = wn > 0;
			for (int i = 0; i < wn; i++)
				all &= is_acgt(w[i]);
			int dna = all && b - (w - text) >= 1 && (b - a) >= 12 && w == text + tok_start[t] + (n - wn);
			if (dna && b - a < 12)
				dna = 0;
			int upper = 0, digit = 0;
			for (int i = 0; i < wn; i++) {
				upper |= w[i] >= 'A' && w[i] <= 'Z';
				digit |= w[i] >= '0' && w[i] <= '9';
			}
			if (dna)
				ACT(0, 3.0 + urand());
			else if (upper && !(wn >= 3 && (!strncmp(w, "Gol", 3) || !strncmp(w, "Gat", 3) || !strncmp(w, "Bri", 3))))
				ACT(1, 1.5 + urand() * 0.5);
			if (digit)
				ACT(2, 4.0 + urand());
			if ((unsigned char)w[0] == 0xea || (unsigned char)w[0] == 0xeb || (unsigned char)w[0] == 0xec ||
			    (unsigned char)w[0] == 0xed)
				ACT(3, 2.0 + urand());
			if ((wn == 3 && !strncmp(w, "def", 3)) || (wn == 4 && (!strncmp(w, "clas", 4) || !strncmp(w, "impo", 4) || !strncmp(w, "retu", 4))))
				ACT(4, 5.0 + urand());
			if (kind == 3 && wn >= 3 && (!strncmp(w, "Gold", 4) || !strncmp(w, "Gate", 4) || !strncmp(w, "Brid", 4) || !strncmp(w, "en", 2) || !strncmp(w, "ge", 2)))
				ACT(5, 6.0 + urand());
			if (wn == 1 && w[0] == '.')
				ACT(6, 1.0 + urand() * 0.3);
			if (irand(12) == 0) {
				/* two statements: argument evaluation order differs between compilers */
				int nf = 7 + irand(NF - 7);
				double nv = 0.2 + urand() * 0.5;
				ACT(nf, nv);
			}
		}
#undef ACT
		fprintf(f, "]}\n");
	}
	fclose(f);

	/* decoder with planted geometry */
	static float dec[NF * D];
	for (int i = 0; i < NF * D; i++)
		dec[i] = (float)(urand() * 2 - 1);
	for (int j = 0; j < D; j++) {
		dec[8 * D + j] = dec[0 * D + j] + 0.05f * (float)(urand() - 0.5);
		dec[9 * D + j] = dec[1 * D + j] + 0.2f * (float)(urand() - 0.5);
		dec[10 * D + j] = dec[1 * D + j] + 0.2f * (float)(urand() - 0.5);
		dec[11 * D + j] = dec[2 * D + j] + 0.05f * (float)(urand() - 0.5);
	}
	snprintf(path, sizeof path, "%s/decoder.npy", argv[1]);
	write_npy(path, dec, NF, D);

	/* unembedding: tokens A C G T follow feature 0, digits feature 2 */
	static const char *const vocab[] = {"A", "C", "G", "T", "0", "1", "2", "3", "the", "\\n", "cat", "def", "Gate", "x", "y", "z"};
	enum { V = 16 };
	static float un[D * V];
	for (int t = 0; t < V; t++)
		for (int j = 0; j < D; j++) {
			float v = (float)(urand() - 0.5) * 0.1f;
			if (t < 4)
				v = dec[0 * D + j];
			else if (t < 8)
				v = dec[2 * D + j];
			un[j * V + t] = v;
		}
	snprintf(path, sizeof path, "%s/unembed.npy", argv[1]);
	write_npy(path, un, D, V);
	snprintf(path, sizeof path, "%s/vocab.txt", argv[1]);
	f = fopen(path, "w");
	for (int t = 0; t < V; t++)
		fprintf(f, "%s\n", vocab[t]);
	fclose(f);

	snprintf(path, sizeof path, "%s/labels.tsv", argv[1]);
	f = fopen(path, "w");
	fprintf(f, "# planted features\n0\tDNA bases in ACGT runs\tplanted\n1\tuppercase letters\tplanted\n"
		   "2\tdigits\tplanted\n3\tHangul syllables\tplanted\n4\tPython keywords\tplanted\n"
		   "5\tGolden Gate Bridge\tplanted\n6\tfull stop ending a sentence\tplanted\n");
	fclose(f);
	printf("%s: %d contexts, %d features\n", argv[1], nctx, NF);
	return 0;
}
