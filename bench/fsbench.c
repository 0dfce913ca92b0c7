/*
 * fsbench.c: helper program of the search benchmarks (bench/grep.sh,
 * bench/fts.sh). Subcommands:
 *   gen OUT.sqlite NCTX    build a large index through the writer API:
 *                          NCTX contexts cut from local text files (C
 *                          headers, Python sources) with planted DNA runs,
 *                          Korean words and "Golden Gate" phrases, a
 *                          simple GPT-2-like tokenisation, 4096 features
 *                          of which four track the planted concepts
 *   dump INDEX OUT.txt     the index's context texts as a plain file, one
 *                          context per line (NUL separators become \n),
 *                          for ripgrep
 *   fts INDEX RUNS LIMIT QUERY
 *                          time index_search_contexts RUNS times (after
 *                          one warm-up) and print "p50_ms p99_ms hits mean_ms"
 *   sub INDEX RUNS LIMIT STRING
 *                          the same for grep_substring (literal search)
 * Deterministic: a fixed xorshift seed.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "grep/grep.h"
#include "index/index.h"
#include "core/util.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double rndf(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------------------- corpus */

static fs_buf corpus;          /* concatenated local files */
static char **paths;           /* files found */
static size_t npaths, cappaths;/* count and allocation of paths */

static int collect(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type != FTW_F || st->st_size < 200 || st->st_size > 512 * 1024)
		return 0;
	size_t n = strlen(p);
	if (!(n > 2 && (strcmp(p + n - 2, ".h") == 0 || strcmp(p + n - 3, ".py") == 0)))
		return 0;
	if (npaths == cappaths)
		paths = xrealloc(paths, (cappaths = cappaths ? 2 * cappaths : 1024) * sizeof *paths);
	paths[npaths++] = xstrdup(p);
	return 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_corpus(size_t max)
{
	nftw("/usr/include", collect, 16, FTW_PHYS);
	nftw("/usr/lib/python3", collect, 16, FTW_PHYS);
	nftw("/usr/lib/python3.11", collect, 16, FTW_PHYS);
	qsort(paths, npaths, sizeof *paths, cmpstr);
	char buf[65536];
	for (size_t i = 0; i < npaths && corpus.len < max; i++) {
		FILE *f = fopen(paths[i], "rb");
		if (!f)
			continue;
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			for (size_t k = 0; k < n; k++)
				buf_addc(&corpus, buf[k] ? buf[k] : ' ');
		fclose(f);
	}
	if (corpus.len < 4096)
		fs_die(1, "gen: found too little text under /usr/include and /usr/lib/python3");
}

/* ------------------------------------------------------- one context */

/* Append random Hangul words (U+AC00..U+D7A3). */
static void add_korean(fs_buf *b)
{
	int words = 2 + (int)(rnd() % 6);
	for (int w = 0; w < words; w++) {
		buf_addc(b, ' ');
		int syl = 1 + (int)(rnd() % 4);
		for (int s = 0; s < syl; s++) {
			char u[4];
			int n = utf8_encode(0xAC00 + (uint32_t)(rnd() % 11172), u);
			buf_add(b, u, (size_t)n);
		}
	}
	buf_addc(b, ' ');
}

static void add_dna(fs_buf *b)
{
	int n = 20 + (int)(rnd() % 120);
	buf_addc(b, ' ');
	for (int i = 0; i < n; i++)
		buf_addc(b, "ACGT"[rnd() & 3]);
	buf_addc(b, ' ');
}

/* A window of the corpus from a line start, cut at a character boundary. */
static void add_window(fs_buf *b, size_t len)
{
	size_t at = (size_t)(rnd() % (corpus.len - 1024));
	const char *nl = memchr(corpus.p + at, '\n', 512);
	if (nl)
		at = (size_t)(nl - corpus.p) + 1;
	size_t end = at + len;
	if (end > corpus.len)
		end = corpus.len;
	while (end > at && ((unsigned char)corpus.p[end] & 0xC0) == 0x80)
		end--;
	buf_add(b, corpus.p + at, end - at);
}

/* Token classes. */
static int is_alpha(unsigned char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* A GPT-2-like split: an optional leading space, then a letter run (at
 * most 6 bytes a token), a digit run (at most 3), one or two Hangul
 * syllables, one other character, or a run of other whitespace. */
static int tokenize(const char *t, size_t n, uint32_t *off, int max)
{
	size_t i = 0;
	int k = 0;
	while (i < n && k < max) {
		off[k++] = (uint32_t)i;
		if (t[i] == ' ' && i + 1 < n && t[i + 1] != ' ' && t[i + 1] != '\n')
			i++;
		unsigned char c = (unsigned char)t[i];
		size_t s = i;
		if (is_alpha(c)) {
			while (i < n && is_alpha((unsigned char)t[i]) && i - s < 6)
				i++;
		} else if (is_digit(c)) {
			while (i < n && is_digit((unsigned char)t[i]) && i - s < 3)
				i++;
		} else if (c >= 0xEA && c <= 0xED) {
			int syl = 0;
			while (i + 2 < n && (unsigned char)t[i] >= 0xEA && (unsigned char)t[i] <= 0xED && syl < 2) {
				i += 3;
				syl++;
			}
			if (syl == 0)
				i++;
		} else if (c >= 0x80) {
			int l = utf8_len((const unsigned char *)t + i, n - i);
			i += l > 0 ? (size_t)l : 1;
		} else if (c == ' ' || c == '\n' || c == '\t') {
			while (i < n && (t[i] == ' ' || t[i] == '\n' || t[i] == '\t'))
				i++;
		} else
			i++;
	}
	if (k == max && i < n) /* cut the text at the last token */
		n = i;
	off[k] = (uint32_t)n;
	return k;
}

static int tok_is(const char *t, uint32_t a, uint32_t b, int (*pred)(unsigned char))
{
	while (a < b && t[a] == ' ')
		a++;
	if (a >= b)
		return 0;
	for (uint32_t i = a; i < b; i++)
		if (!pred((unsigned char)t[i]))
			return 0;
	return 1;
}
static int is_acgt(unsigned char c) { return c == 'A' || c == 'C' || c == 'G' || c == 'T'; }
static int is_hangul_byte(unsigned char c) { return c >= 0x80; }

static int tok_word(const char *t, uint32_t a, uint32_t b, const char *w)
{
	while (a < b && t[a] == ' ')
		a++;
	return b - a == strlen(w) && memcmp(t + a, w, b - a) == 0;
}

static int gen(const char *out, long nctx)
{
	char err[512];
	load_corpus(96u << 20);
	fs_writer *w = index_writer_create(out, err, sizeof err);
	if (!w)
		fs_die(1, "gen: %s", err);
	fs_sae s = {0};
	s.name = (char *)"big";
	s.model = (char *)"bench";
	s.hook = (char *)"";
	s.layer = -1;
	s.n_features = 4096;
	s.source_format = (char *)"native";
	int sae = index_writer_add_sae(w, &s);
	if (sae <= 0)
		fs_die(1, "gen: add sae: %s", index_writer_errmsg(w));
	enum { NF = 4096, PLANTED = 4, CAP = 4000 };
	static const char *labels[PLANTED] = {"DNA bases", "Korean (Hangul)", "Python def/class", "Golden Gate"};
	int64_t fid[NF];
	int rank[NF] = {0};
	for (int i = 0; i < NF; i++) {
		fs_feature f;
		memset(&f, 0, sizeof f);
		f.sae = sae;
		f.idx = i;
		char lab[32];
		snprintf(lab, sizeof lab, "random feature %d", i);
		f.label = (char *)(i < PLANTED ? labels[i] : lab);
		f.label_source = (char *)"auto";
		f.density = -1;
		f.max_act = 5;
		f.mean_act = 2;
		f.map_x = f.map_y = NAN;
		fid[i] = index_writer_add_feature(w, &f);
		if (fid[i] <= 0)
			fs_die(1, "gen: add feature: %s", index_writer_errmsg(w));
	}
	fs_buf b = {0};
	uint32_t off[257];
	float acts[256];
	int64_t ntok_total = 0;
	double t0 = fs_now();
	for (long c = 0; c < nctx; c++) {
		b.len = 0;
		double r = rndf();
		size_t len = 100 + (size_t)(rnd() % 180);
		add_window(&b, len / 2);
		if (r < 0.04)
			add_dna(&b);
		else if (r < 0.08)
			add_korean(&b);
		else if (r < 0.09)
			buf_adds(&b, " the Golden Gate Bridge ");
		add_window(&b, len / 2);
		int ntok = tokenize(b.p, b.len, off, 256);
		if (ntok == 0)
			continue;
		int64_t ctx = index_writer_add_context(w, b.p, off[ntok], off, ntok, "gen");
		if (ctx <= 0)
			fs_die(1, "gen: add context: %s", index_writer_errmsg(w));
		ntok_total += ntok;
		/* Planted features: fire on their tokens. */
		for (int p = 0; p < PLANTED; p++) {
			if (rank[p] >= CAP)
				continue;
			int any = 0;
			for (int t = 0; t < ntok; t++) {
				int on = 0;
				if (p == 0)
					on = tok_is(b.p, off[t], off[t + 1], is_acgt);
				else if (p == 1)
					on = tok_is(b.p, off[t], off[t + 1], is_hangul_byte) &&
					     (unsigned char)b.p[off[t + 1] - 1] >= 0x80;
				else if (p == 2)
					on = tok_word(b.p, off[t], off[t + 1], "def") ||
					     tok_word(b.p, off[t], off[t + 1], "class");
				else
					on = tok_word(b.p, off[t], off[t + 1], "Golden") ||
					     tok_word(b.p, off[t], off[t + 1], "Gate");
				acts[t] = on ? (float)(1 + 4 * rndf()) : 0;
				any |= on;
			}
			if (any && index_writer_add_example(w, fid[p], 0, rank[p]++, ctx, acts, ntok) != 0)
				fs_die(1, "gen: add example: %s", index_writer_errmsg(w));
		}
		/* One random feature, on a few random tokens. */
		int f = PLANTED + (int)(rnd() % (NF - PLANTED));
		for (int t = 0; t < ntok; t++)
			acts[t] = 0;
		for (int k = 0; k < 3; k++)
			acts[rnd() % (uint64_t)ntok] = (float)(0.5 + 3 * rndf());
		if (index_writer_add_example(w, fid[f], 0, rank[f]++, ctx, acts, ntok) != 0)
			fs_die(1, "gen: add example: %s", index_writer_errmsg(w));
		if (fs_stderr_tty() && c % 10000 == 0)
			fprintf(stderr, "\rgen: %ld/%ld contexts, %.0f s", c, nctx, fs_now() - t0);
	}
	index_writer_count_tokens(w, ntok_total);
	if (fs_stderr_tty())
		fprintf(stderr, "\rgen: finishing (indexes, full text)...      \n");
	if (index_writer_finish(w, err, sizeof err) != 0)
		fs_die(1, "gen: %s", err);
	buf_free(&b);
	return 0;
}

static int dump(const char *index, const char *out)
{
	char err[512];
	fs_index *ix = index_open(index, err, sizeof err);
	if (!ix)
		fs_die(2, "%s", err);
	FILE *f = fopen(out, "wb");
	if (!f)
		fs_die(1, "dump: %s: cannot write", out);
	int64_t n = index_n_chunks(ix);
	for (int64_t id = 1; id <= n; id++) {
		fs_chunk ch;
		if (index_chunk(ix, id, &ch) != 0)
			fs_die(1, "dump: chunk %lld: %s", (long long)id, index_errmsg(ix));
		char *t = xmalloc(ch.len + 1);
		for (size_t i = 0; i < ch.len; i++)
			t[i] = ch.text[i] ? ch.text[i] : '\n';
		fwrite(t, 1, ch.len, f);
		free(t);
		index_chunk_free(&ch);
	}
	if (fclose(f) != 0)
		fs_die(1, "dump: %s: write failed", out);
	index_close(ix);
	return 0;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int fts(const char *index, int runs, int limit, const char *query)
{
	char err[512];
	fs_index *ix = index_open(index, err, sizeof err);
	if (!ix)
		fs_die(2, "%s", err);
	int64_t *ids = NULL;
	int hits = index_search_contexts(ix, query, limit, &ids);
	free(ids);
	if (hits < 0)
		fs_die(1, "fts: %s: %s", query, index_errmsg(ix));
	double *t = xmalloc((size_t)runs * sizeof *t);
	for (int i = 0; i < runs; i++) {
		double t0 = fs_now();
		hits = index_search_contexts(ix, query, limit, &ids);
		t[i] = (fs_now() - t0) * 1e3;
		free(ids);
	}
	double sum = 0;
	for (int i = 0; i < runs; i++)
		sum += t[i];
	qsort(t, (size_t)runs, sizeof *t, cmpd);
	int i99 = (int)(runs * 0.99);
	printf("%.4f %.4f %d %.4f\n", t[runs / 2], t[i99 < runs ? i99 : runs - 1], hits, sum / runs);
	free(t);
	index_close(ix);
	return 0;
}

/* Like fts, for grep_substring (the search path for text that is not
 * words): "p50_ms p99_ms hits mean_ms". */
static int sub(const char *index, int runs, int limit, const char *str)
{
	char err[512];
	fs_index *ix = index_open(index, err, sizeof err);
	if (!ix)
		fs_die(2, "%s", err);
	int64_t *ids = NULL;
	int hits = grep_substring(ix, str, 0, limit, &ids, err, sizeof err);
	free(ids);
	if (hits < 0)
		fs_die(1, "sub: %s", err);
	double *t = xmalloc((size_t)runs * sizeof *t), sum = 0;
	for (int i = 0; i < runs; i++) {
		double t0 = fs_now();
		hits = grep_substring(ix, str, 0, limit, &ids, err, sizeof err);
		t[i] = (fs_now() - t0) * 1e3;
		sum += t[i];
		free(ids);
	}
	qsort(t, (size_t)runs, sizeof *t, cmpd);
	int i99 = (int)(runs * 0.99);
	printf("%.4f %.4f %d %.4f\n", t[runs / 2], t[i99 < runs ? i99 : runs - 1], hits, sum / runs);
	free(t);
	index_close(ix);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "dump") == 0)
		return dump(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "fts") == 0 && atoi(argv[3]) > 1)
		return fts(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	if (argc == 6 && strcmp(argv[1], "sub") == 0 && atoi(argv[3]) > 1)
		return sub(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	fprintf(stderr, "usage: fsbench gen OUT.sqlite NCTX | dump INDEX OUT.txt | fts|sub INDEX RUNS LIMIT QUERY\n");
	return 2;
}
