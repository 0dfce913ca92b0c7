/*
 * tui-fixture.c: writes indexes for the browser's tests and benchmark,
 * through the writer API (index.h):
 *
 *   tui-fixture small PATH   two dictionaries, a concept tree, map
 *                            positions, neighbours, logits, intervals, and
 *                            contexts that stress the display: CJK double
 *                            width, combining marks, right-to-left text,
 *                            escape sequences and control characters, bidi
 *                            overrides, invalid UTF-8 and byte-level tokens
 *                            that split multi-byte characters.
 *   tui-fixture big N PATH   N features (one dictionary) with a few
 *                            examples each over a shared pool of contexts,
 *                            labels, clusters and map positions, for
 *                            bench/tui.sh. Deterministic.
 */
#include "index/index.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deterministic pseudo-random numbers (xorshift64*). */
static uint64_t fx_state = 0x9e3779b97f4a7c15ull;
static uint64_t fx_rand(void)
{
	fx_state ^= fx_state >> 12;
	fx_state ^= fx_state << 25;
	fx_state ^= fx_state >> 27;
	return fx_state * 0x2545f4914f6cdd1dull;
}
static double fx_unit(void) { return (double)(fx_rand() >> 11) / 9007199254740992.0; }

/* Add a context whose tokens are the given pieces (concatenated). */
static int64_t fx_ctx(fs_writer *w, const char *const *pieces, int n, const char *src)
{
	fs_buf b = {0};
	uint32_t *off = xmalloc(((size_t)n + 1) * sizeof *off);
	for (int i = 0; i < n; i++) {
		off[i] = (uint32_t)b.len;
		buf_adds(&b, pieces[i]);
	}
	off[n] = (uint32_t)b.len;
	int64_t id = index_writer_add_context(w, b.p, b.len, off, n, src);
	buf_free(&b);
	free(off);
	return id;
}

/* A context tokenised one byte per token. */
static int64_t fx_ctx_bytes(fs_writer *w, const char *text, const char *src)
{
	size_t n = strlen(text);
	uint32_t *off = xmalloc((n + 1) * sizeof *off);
	for (size_t i = 0; i <= n; i++)
		off[i] = (uint32_t)i;
	int64_t id = index_writer_add_context(w, text, n, off, (int)n, src);
	free(off);
	return id;
}

static fs_feature fx_feature(int sae, int64_t idx, const char *label, double density, double max)
{
	fs_feature f;
	memset(&f, 0, sizeof f);
	f.sae = sae;
	f.idx = idx;
	f.label = (char *)label;
	f.label_source = (char *)"test";
	f.density = density;
	f.max_act = max;
	f.mean_act = max / 3;
	f.map_x = NAN;
	f.map_y = NAN;
	f.hist_lo = 0;
	f.hist_hi = (float)max;
	for (int b = 0; b < FS_HIST_BINS; b++)
		f.hist[b] = (uint32_t)(1000.0 * exp(-b / 4.0));
	return f;
}

static int fx_small(const char *path)
{
	char err[512];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	if (!w) {
		fprintf(stderr, "tui-fixture: %s\n", err);
		return 1;
	}
	fs_sae sa = {0, (char *)"alpha", (char *)"toy-lm", (char *)"resid.2", 2, 8, 8, (char *)"native"};
	fs_sae sb = {0, (char *)"beta", (char *)"toy-lm", (char *)"resid.4", 4, 8, 4, (char *)"native"};
	int a = index_writer_add_sae(w, &sa), b = index_writer_add_sae(w, &sb);
	static const char *labels[8] = {
		"Korean and Chinese text",   "accented letters (combining marks)",
		"right-to-left scripts",     "terminal escape sequences",
		"broken UTF-8 bytes",        "byte-level tokens of non-ASCII",
		"the word 'bridge'",         "a very long label that goes on and on so that it can never fit in one line of any screen"};
	int64_t fa[8], fb[4];
	for (int i = 0; i < 8; i++) {
		fs_feature f = fx_feature(a, i, labels[i], 0.001 * (i + 1), 2.0 + i);
		f.map_x = (i % 4) * 1.0;
		f.map_y = (i / 4) * 1.0;
		fa[i] = index_writer_add_feature(w, &f);
	}
	static const char *blabels[4] = {"CJK again", "marks again", "escapes again", "\xe6\x9d\xb1\xe4\xba\xac (Tokyo)"};
	for (int i = 0; i < 4; i++) {
		fs_feature f = fx_feature(b, i, blabels[i], 0.002 * (i + 1), 1.0 + i);
		f.map_x = i * 0.5;
		f.map_y = 2.0;
		fb[i] = index_writer_add_feature(w, &f);
	}
	/* Contexts, one per display hazard. */
	static const char *cjk[] = {"\xec\x84\x9c", "\xec\x9a\xb8", " \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", " \xe6\x9d\xb1\xe4\xba\xac", " is", " big"};
	static const char *comb[] = {"cafe", "\xcc\x81", " nai", "\xcc\x88", "ve", (" \xcc\x81" "alone")};
	static const char *rtl[] = {"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", " \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", " hello"};
	static const char *esc[] = {"red ", "\x1b[31m", "ALERT", "\x1b[0m", " tab\there", "\nnew", " \xe2\x80\xae", "evil"};
	static const char *bad[] = {"bad ", "\xff\xfe", " bytes ", "\xc3", " end"};
	static const char *br[] = {"the", " Golden", " Gate", " bridge", " is", " red"};
	int64_t c[7];
	c[0] = fx_ctx(w, cjk, 6, "fixture/cjk");
	c[1] = fx_ctx(w, comb, 6, "fixture/combining");
	c[2] = fx_ctx(w, rtl, 3, "fixture/rtl");
	c[3] = fx_ctx(w, esc, 8, "fixture/escapes");
	c[4] = fx_ctx(w, bad, 5, "fixture/invalid");
	c[5] = fx_ctx_bytes(w, "na\xc3\xafve \xe6\x9d\xb1\xe4\xba\xac!", "fixture/bytes");
	c[6] = fx_ctx(w, br, 6, "fixture/bridge");
	static const int ntoks[7] = {6, 6, 3, 8, 5, 13, 6};
	/* Feature i fires on context i, strongest at token 1 (byte-level:
	 * the second byte of the Tokyo characters). */
	for (int i = 0; i < 7; i++) {
		float acts[16] = {0};
		int peak = i == 5 ? 8 : 1;
		for (int t = 0; t < ntoks[i]; t++)
			acts[t] = t == peak ? (float)(2.0 + i) : (float)(0.3 * (t % 3));
		index_writer_add_example(w, fa[i], 0, 0, c[i], acts, ntoks[i]);
		for (int t = 0; t < ntoks[i]; t++)
			acts[t] *= 0.25f;
		index_writer_add_example(w, fa[i], 1, 0, c[(i + 1) % 7], acts, ntoks[(i + 1) % 7]);
		fs_interval iv = {1, 0.1f, (float)(0.5 + i), 0.25f};
		index_writer_add_interval(w, fa[i], &iv);
		index_writer_add_logit(w, fa[i], 1, 0, "\xe6\x9d\xb1", 1.5f);
		index_writer_add_logit(w, fa[i], 1, 1, " bridge", 0.5f);
		index_writer_add_logit(w, fa[i], -1, 0, "\x1b[2J", -0.75f);
	}
	for (int i = 0; i < 4; i++) {
		float acts[16] = {0};
		for (int t = 0; t < ntoks[i]; t++)
			acts[t] = (float)(t + 1);
		index_writer_add_example(w, fb[i], 0, 0, c[i], acts, ntoks[i]);
	}
	for (int i = 0; i < 8; i++) {
		for (int k = 1; k <= 3; k++)
			index_writer_add_neighbour(w, fa[i], a, k - 1, fa[(i + k) % 8], (float)(1.0 - 0.2 * k));
		index_writer_add_neighbour(w, fa[i], b, 0, fb[i % 4], 0.5f);
	}
	for (int i = 0; i < 4; i++)
		index_writer_add_neighbour(w, fb[i], b, 0, fb[(i + 1) % 4], 0.7f);
	/* A third dictionary of plain features, enough rows to scroll, with
	 * stats computed from the index alone (same on every compiler). */
	fs_sae sg = {0, (char *)"gamma", (char *)"toy-lm", (char *)"resid.6", 6, 8, 90, (char *)"native"};
	int g = index_writer_add_sae(w, &sg);
	for (int i = 0; i < 90; i++) {
		char lab[64];
		snprintf(lab, sizeof lab, "gamma feature %d (%s)", i, i % 3 == 0 ? "fizz" : i % 5 == 0 ? "buzz" : "plain");
		fs_feature f = fx_feature(g, i, lab, (double)((i * 37) % 90) / 10000.0, 1.0 + (i * 13) % 17);
		f.cluster = 0;
		index_writer_add_feature(w, &f);
	}
	/* Concept tree of alpha: scripts (CJK, RTL, marks), bytes (escapes,
	 * broken, byte tokens), and the rest at the root. */
	int64_t root1 = index_writer_add_cluster(w, a, 0, 0, 5, "scripts and bytes");
	int64_t scripts = index_writer_add_cluster(w, a, root1, 1, 3, "scripts");
	int64_t bytes = index_writer_add_cluster(w, a, root1, 1, 2, "bytes");
	int64_t root2 = index_writer_add_cluster(w, a, 0, 0, 3, "words");
	index_writer_set_cluster(w, fa[0], scripts);
	index_writer_set_cluster(w, fa[1], scripts);
	index_writer_set_cluster(w, fa[2], scripts);
	index_writer_set_cluster(w, fa[3], bytes);
	index_writer_set_cluster(w, fa[4], bytes);
	index_writer_set_cluster(w, fa[5], root2);
	index_writer_set_cluster(w, fa[6], root2);
	index_writer_set_cluster(w, fa[7], root2);
	index_writer_count_tokens(w, 1000);
	if (index_writer_finish(w, err, sizeof err) != 0) {
		fprintf(stderr, "tui-fixture: %s\n", err);
		return 1;
	}
	return 0;
}

static int fx_big(int64_t n, const char *path)
{
	char err[512];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	if (!w) {
		fprintf(stderr, "tui-fixture: %s\n", err);
		return 1;
	}
	fs_sae s = {0, (char *)"big", (char *)"toy-lm", (char *)"resid.6", 6, 64, n, (char *)"native"};
	int sae = index_writer_add_sae(w, &s);
	static const char *words[] = {"river", "bridge", "digit", "DNA", "upper", "code", "quote",
				      "number", "city", "verb", "noun", "comma", "space", "year"};
	enum { NW = sizeof words / sizeof words[0], NCTX = 20000, NTOK = 24, NCL = 64 };
	int64_t *ctx = xmalloc(NCTX * sizeof *ctx);
	for (int i = 0; i < NCTX; i++) {
		const char *p[NTOK];
		char tmp[NTOK][16];
		for (int t = 0; t < NTOK; t++) {
			const char *wd = words[fx_rand() % NW];
			snprintf(tmp[t], sizeof tmp[t], " %s%d", wd, (int)(fx_rand() % 100));
			p[t] = tmp[t];
		}
		ctx[i] = fx_ctx(w, p, NTOK, "big");
	}
	int64_t roots[8], leaves[NCL];
	for (int r = 0; r < 8; r++) {
		char lab[32];
		snprintf(lab, sizeof lab, "group %d", r);
		roots[r] = index_writer_add_cluster(w, sae, 0, 0, n / 8, lab);
	}
	for (int l = 0; l < NCL; l++) {
		char lab[32];
		snprintf(lab, sizeof lab, "%s things %d", words[l % NW], l);
		leaves[l] = index_writer_add_cluster(w, sae, roots[l % 8], 1, n / NCL, lab);
	}
	float acts[NTOK];
	for (int64_t i = 0; i < n; i++) {
		char lab[64];
		const char *w1 = words[fx_rand() % NW], *w2 = words[fx_rand() % NW];
		snprintf(lab, sizeof lab, "%s near %s %lld", w1, w2, (long long)i);
		double dens = fx_unit() * 0.01;
		double maxa = 1 + fx_unit() * 9;
		fs_feature f = fx_feature(sae, i, lab, dens, maxa);
		int l = (int)(fx_rand() % NCL);
		f.cluster = leaves[l];
		f.map_x = (l % 8) + fx_unit() * 0.8;
		f.map_y = (l / 8) + fx_unit() * 0.8;
		int64_t fid = index_writer_add_feature(w, &f);
		for (int k = 0; k < 2; k++) {
			for (int t = 0; t < NTOK; t++)
				acts[t] = (fx_rand() % 4 == 0) ? (float)(fx_unit() * f.max_act) : 0;
			index_writer_add_example(w, fid, 0, k, ctx[fx_rand() % NCTX], acts, NTOK);
		}
		if (fs_stderr_tty() && i % 50000 == 0)
			fprintf(stderr, "\rtui-fixture: %lld/%lld features", (long long)i, (long long)n);
	}
	free(ctx);
	index_writer_count_tokens(w, n * 1000);
	if (fs_stderr_tty())
		fprintf(stderr, "\rtui-fixture: finishing                 \n");
	if (index_writer_finish(w, err, sizeof err) != 0) {
		fprintf(stderr, "tui-fixture: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int64_t n;
	if (argc == 3 && strcmp(argv[1], "small") == 0)
		return fx_small(argv[2]);
	if (argc == 4 && strcmp(argv[1], "big") == 0 && fs_parse_i64(argv[2], &n) == 0 && n > 0)
		return fx_big(n, argv[3]);
	fprintf(stderr, "usage: tui-fixture small PATH | big N PATH\n");
	return 2;
}
