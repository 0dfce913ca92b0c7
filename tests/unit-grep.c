/*
 * unit-grep.c: unit tests of the concept probe's pure parts (src/grep/): the
 * match-to-token mapping (overlap and exact-token modes), the per-feature
 * statistics and ranking on a hand-made case whose numbers are worked out
 * in the comments, sort-key parsing and pattern errors; then the whole
 * scan (threads, prefilter, callbacks, cancel, background job) and the
 * substring search on a tiny index written here through the writer API,
 * with numbers worked out by hand.
 */
#include "unit.h"
#include "grep/grep.h"
#include "index/index_int.h" /* the connection, to watch what runs on it */

#include <math.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void test_mark(void)
{
	/* "ab ACGTAC gt": tokens "ab" [0,2) " AC" [2,5) "GTAC" [5,9) " gt" [9,12).
	 * [ACGT]{4,} matches "ACGTAC" at [3,9): tokens 1 and 2 overlap it;
	 * token 3 starts where the match ends, so it does not. */
	uint32_t off[] = {0, 2, 5, 9, 12};
	size_t sp[] = {3, 9};
	uint8_t m[4];
	int n = grep_mark_tokens(sp, 1, off, 4, "ab ACGTAC gt", 0, m);
	CHECK(n == 2, "mark overlap count");
	CHECK(!m[0] && m[1] && m[2] && !m[3], "mark overlap tokens");

	/* Two spans inside one token mark it once; a span over the first
	 * byte only marks the first token. */
	size_t sp2[] = {0, 1, 5, 6, 7, 8};
	n = grep_mark_tokens(sp2, 3, off, 4, "ab ACGTAC gt", 0, m);
	CHECK(n == 2 && m[0] && !m[1] && m[2] && !m[3], "mark several spans");

	/* Zero-length tokens are never marked. */
	uint32_t off0[] = {0, 3, 3, 6};
	size_t sp3[] = {2, 4};
	n = grep_mark_tokens(sp3, 1, off0, 3, "abcdef", 0, m);
	CHECK(n == 2 && m[0] && !m[1] && m[2], "mark skips empty token");

	/* Exact mode: "the cat the thee" with tokens "the" " cat" " the" " thee";
	 * the literal "the" matches at 0, 8 and 12: tokens 0 and 2 equal a
	 * match once trimmed, token 3 ("thee") only contains one. */
	const char *t = "the cat the thee";
	uint32_t offe[] = {0, 3, 7, 11, 16};
	size_t spe[] = {0, 3, 8, 11, 12, 15};
	n = grep_mark_tokens(spe, 3, offe, 4, t, 1, m);
	CHECK(n == 2 && m[0] && !m[1] && m[2] && !m[3], "mark exact tokens");

	n = grep_mark_tokens(NULL, 0, off, 4, "ab ACGTAC gt", 0, m);
	CHECK(n == 0 && !m[0] && !m[1] && !m[2] && !m[3], "mark no spans");
}

static void test_stats(void)
{
	/* Features 1 and 2 in dictionary 1, feature 3 in dictionary 2.
	 * act_mass: 10, 4, 2. Two matched contexts of 4 tokens each:
	 *   ctx 5 marked {0,1,1,0}, ctx 6 marked {1,0,0,1}.
	 * f1: ctx 5 acts {0,2,3,0} -> mass 5, fire 2, cover 2
	 *     ctx 6 acts {0,0,4,1} -> mass 1, fire 1, cover 2
	 *     total mass 6, fire 3, cover 4: P 0.6, R 0.75, F 2/3, 2 contexts
	 * f2: ctx 5 acts {1,0,0,0} -> fire 0, cover 2
	 *     ctx 6 acts {4,0,0,0} -> mass 4, fire 1, cover 2
	 *     total: P 1, R 0.25, F 0.4, 1 context
	 * f3: ctx 5 acts {0,1,1,0} twice (two groups): mass 4, fire 4,
	 *     cover 4: P min(1, 4/2) = 1, R 1, F 1, 1 context
	 * f4: ctx 6 acts {0,1,1,0}: fires off the match only: not reported. */
	double mass[] = {0, 10, 4, 2, 3};
	int sae[] = {0, 1, 1, 2, 1};
	uint8_t m5[] = {0, 1, 1, 0}, m6[] = {1, 0, 0, 1};
	float a15[] = {0, 2, 3, 0}, a16[] = {0, 0, 4, 1};
	float a25[] = {1, 0, 0, 0}, a26[] = {4, 0, 0, 0};
	float a35[] = {0, 1, 1, 0}, a46[] = {0, 1, 1, 0};
	grep_acc a;
	grep_acc_init(&a, 3); /* smaller than the fids: must grow */
	grep_acc_example(&a, 1, 5, a15, 4, m5);
	grep_acc_example(&a, 2, 5, a25, 4, m5);
	grep_acc_example(&a, 3, 5, a35, 4, m5);
	grep_acc_example(&a, 3, 5, a35, 4, m5);
	grep_acc_example(&a, 1, 6, a16, 4, m6);
	grep_acc_example(&a, 2, 6, a26, 4, m6);
	grep_acc_example(&a, 4, 6, a46, 4, m6);
	CHECK(a.nfid >= 5, "acc grows");
	CHECK(near(a.mass[1], 6) && a.fire[1] == 3 && a.cover[1] == 4 && a.contexts[1] == 2,
	      "acc sums f1");
	CHECK(a.contexts[3] == 1 && a.fire[3] == 4, "acc counts a context once");
	CHECK(a.fire[4] == 0 && a.cover[4] == 2, "acc off-match feature");

	grep_result r;
	memset(&r, 0, sizeof r);
	grep_rank(&a, mass, sae, 0, GREP_SORT_F1, 20, &r);
	CHECK(r.n == 3 && r.n_features == 3, "rank count");
	CHECK(r.n == 3 && r.hits[0].fid == 3 && r.hits[1].fid == 1 && r.hits[2].fid == 2,
	      "rank by f1");
	if (r.n == 3) {
		const grep_hit *h = &r.hits[1];
		CHECK(near(h->precision, 0.6) && near(h->recall, 0.75) &&
		      near(h->f1, 2.0 / 3.0) && near(h->mass, 6) && h->contexts == 2,
		      "stats feature 1");
		h = &r.hits[2];
		CHECK(near(h->precision, 1) && near(h->recall, 0.25) && near(h->f1, 0.4) &&
		      h->contexts == 1, "stats feature 2");
		CHECK(near(r.hits[0].precision, 1) && near(r.hits[0].f1, 1), "precision capped");
	}
	grep_result_free(&r);

	grep_rank(&a, mass, sae, 0, GREP_SORT_MASS, 20, &r);
	CHECK(r.n == 3 && r.hits[0].fid == 1 && r.hits[1].fid == 2 && r.hits[2].fid == 3,
	      "rank by mass");
	grep_result_free(&r);
	grep_rank(&a, mass, sae, 0, GREP_SORT_RECALL, 20, &r);
	CHECK(r.n == 3 && r.hits[0].fid == 3 && r.hits[2].fid == 2, "rank by recall");
	grep_result_free(&r);
	grep_rank(&a, mass, sae, 0, GREP_SORT_CONTEXTS, 20, &r);
	CHECK(r.n == 3 && r.hits[0].fid == 1, "rank by contexts");
	grep_result_free(&r);
	grep_rank(&a, mass, sae, 1, GREP_SORT_F1, 20, &r);
	CHECK(r.n == 2 && r.hits[0].fid == 1 && r.hits[1].fid == 2, "rank one dictionary");
	grep_result_free(&r);
	grep_rank(&a, mass, sae, 0, GREP_SORT_F1, 1, &r);
	CHECK(r.n == 1 && r.n_features == 3 && r.hits[0].fid == 3, "rank limit");
	grep_result_free(&r);
	grep_acc_free(&a);
}

static void test_parse(void)
{
	char err[256] = "";
	CHECK(grep_sort_parse("f1") == GREP_SORT_F1 && grep_sort_parse("mass") == GREP_SORT_MASS &&
	      grep_sort_parse("contexts") == GREP_SORT_CONTEXTS && grep_sort_parse("x") == -1,
	      "sort keys");
	int names_ok = strcmp(grep_sort_title(GREP_SORT_F1), "F1") == 0 &&
		       strcmp(grep_sort_name(GREP_N_SORTS), "f1") == 0;
	for (int i = 0; i < GREP_N_SORTS; i++)
		names_ok &= grep_sort_parse(grep_sort_name((grep_sort)i)) == i;
	CHECK(names_ok, "sort names and titles from one table");
	grep_pattern *p = grep_compile("ab(c", 0, err, sizeof err);
	CHECK(!p && strncmp(err, "bad pattern at offset 4: ", 25) == 0, "bad pattern message");
	p = grep_compile("ab(c", GREP_LITERAL, err, sizeof err);
	CHECK(p != NULL, "literal takes any text");
	grep_pattern_free(p);
	p = grep_compile("\\p{Hangul}+", GREP_CASELESS, err, sizeof err);
	CHECK(p != NULL, "unicode property compiles");
	grep_pattern_free(p);
}

/* The tiny index. Contexts (token boundaries in brackets):
 *   1 "ab ACGTAC gt"   [0,2,5,9,12]   [ACGT]{4,} matches [3,9): tokens 1,2
 *   2 "xx ACGT yy"     [0,2,7,10]     matches [3,7): token 1
 *   3 "nothing here"   [0,7,12]       no match
 *   4 "\xff\xfe ACGT"  [0,2,7]        invalid UTF-8; matches [3,7): token 1
 * Features (dictionary "t"), examples and the expected statistics:
 *   f0 on 1 {0,2,3,0}, on 3 {1,0}: act_mass 6, mass 5, fire 2 of cover 2:
 *      P 5/6, R 1, F 10/11, 1 context
 *   f1 on 1 {0,1,0,0}, on 2 {0,0,2}: act_mass 3, mass 1, fire 1 of cover 3:
 *      P 1/3, R 1/3, F 1/3, 1 context
 *   f2 on 2 {0,2,0}: P 1, R 1, F 1, 1 context
 * Ranked by F: f2, f0, f1. 3 matches in 3 contexts over 4 tokens. */
static char ixpath[256];
static int64_t fids[3];

/* A dictionary NAME of n unlabelled features; their ids into fid[]. */
static void add_dictionary(fs_writer *w, const char *name, int n, int64_t *fid)
{
	fs_sae s;
	memset(&s, 0, sizeof s);
	s.name = (char *)name;
	s.model = s.hook = (char *)"";
	s.source_format = (char *)"native";
	s.layer = -1;
	s.n_features = n;
	int sae = index_writer_add_sae(w, &s);
	for (int i = 0; i < n; i++) {
		fs_feature f;
		memset(&f, 0, sizeof f);
		f.sae = sae;
		f.idx = i;
		f.label = f.label_source = (char *)"";
		f.density = -1;
		f.map_x = f.map_y = NAN;
		fid[i] = index_writer_add_feature(w, &f);
	}
}

static int build_tiny(void)
{
	char err[256];
	snprintf(ixpath, sizeof ixpath, "%s/unit-grep-%d.sqlite",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	fs_writer *w = index_writer_create(ixpath, err, sizeof err);
	if (!w)
		return -1;
	add_dictionary(w, "t", 3, fids);
	uint32_t o1[] = {0, 2, 5, 9, 12}, o2[] = {0, 2, 7, 10}, o3[] = {0, 7, 12}, o4[] = {0, 2, 7};
	int64_t c1 = index_writer_add_context(w, "ab ACGTAC gt", 12, o1, 4, "unit");
	int64_t c2 = index_writer_add_context(w, "xx ACGT yy", 10, o2, 3, "unit");
	int64_t c3 = index_writer_add_context(w, "nothing here", 12, o3, 2, "unit");
	int64_t c4 = index_writer_add_context(w, "\xff\xfe ACGT", 7, o4, 2, "unit");
	if (c1 != 1 || c2 != 2 || c3 != 3 || c4 != 4) {
		index_writer_abort(w);
		return -1;
	}
	float a01[] = {0, 2, 3, 0}, a03[] = {1, 0};
	float a11[] = {0, 1, 0, 0}, a12[] = {0, 0, 2};
	float a22[] = {0, 2, 0};
	int rc = index_writer_add_example(w, fids[0], 0, 0, c1, a01, 4) |
		 index_writer_add_example(w, fids[0], 0, 1, c3, a03, 2) |
		 index_writer_add_example(w, fids[1], 0, 0, c1, a11, 4) |
		 index_writer_add_example(w, fids[1], 0, 1, c2, a12, 3) |
		 index_writer_add_example(w, fids[2], 0, 0, c2, a22, 3);
	if (rc != 0) {
		index_writer_abort(w);
		return -1;
	}
	return index_writer_finish(w, err, sizeof err);
}

/* Records the callbacks of a scan. */
typedef struct {
	int partial;   /* partial rankings seen */
	int final;     /* final rankings seen */
	int64_t first; /* fid ranked first in the final ranking */
} cb_log;

static void record(void *ud, const grep_result *r, int final)
{
	cb_log *l = ud;
	if (final) {
		l->final++;
		l->first = r->n ? r->hits[0].fid : -1;
	} else {
		l->partial++;
	}
}

/* Statements run on a watched connection, from any thread. */
static atomic_int stmts_run;

static int count_stmt(unsigned type, void *ctx, void *p, void *x)
{
	(void)type, (void)ctx, (void)p, (void)x;
	atomic_fetch_add(&stmts_run, 1);
	return 0;
}

static void test_scan(void)
{
	char err[256];
	CHECK(build_tiny() == 0, "tiny index built");
	fs_index *ix = index_open(ixpath, err, sizeof err);
	CHECK(ix != NULL, "tiny index opens");
	if (!ix)
		return;
	grep_pattern *p = grep_compile("[ACGT]{4,}", 0, err, sizeof err);
	for (int threads = 1; threads <= 2; threads++) {
		for (int nofilter = 0; nofilter <= 1; nofilter++) {
			grep_pattern *q = nofilter ? grep_compile("[ACGT]{4,}", GREP_NOFILTER, err, sizeof err) : p;
			grep_opts o;
			memset(&o, 0, sizeof o);
			o.threads = threads;
			cb_log log = {0, 0, 0};
			o.on_result = record;
			o.ud = &log;
			grep_result r;
			char name[64];
			snprintf(name, sizeof name, "scan threads=%d prefilter=%d", threads, !nofilter);
			int rc = grep_scan(ix, q, &o, &r, err, sizeof err);
			CHECK(rc == GREP_DONE && r.matches == 3 && r.ctx_matched == 3 && r.tok_matched == 4 &&
			      r.chunks_done == r.chunks_total && r.bytes_done == r.bytes_total, name);
			int good = rc == GREP_DONE && r.n == 3 && r.hits[0].fid == fids[2] &&
				   r.hits[1].fid == fids[0] && r.hits[2].fid == fids[1];
			if (good) {
				const grep_hit *h0 = &r.hits[1], *h1 = &r.hits[2], *h2 = &r.hits[0];
				good = near(h0->precision, 5.0 / 6) && near(h0->recall, 1) &&
				       near(h0->f1, 10.0 / 11) && near(h0->mass, 5) && h0->contexts == 1 &&
				       near(h1->precision, 1.0 / 3) && near(h1->recall, 1.0 / 3) &&
				       h1->fire == 1 && h1->cover == 3 && h1->contexts == 1 &&
				       near(h2->f1, 1) && near(h2->mass, 2);
			}
			snprintf(name, sizeof name, "scan stats threads=%d prefilter=%d", threads, !nofilter);
			CHECK(good, name);
			snprintf(name, sizeof name, "scan final callback threads=%d prefilter=%d", threads, !nofilter);
			CHECK(log.final == 1 && log.first == fids[2], name);
			if (rc >= 0)
				grep_result_free(&r);
			if (nofilter)
				grep_pattern_free(q);
		}
	}

	/* One dictionary, a limit, another sort key. */
	grep_opts o;
	memset(&o, 0, sizeof o);
	o.sort = GREP_SORT_MASS;
	o.limit = 1;
	o.sae = 1;
	grep_result r;
	int rc = grep_scan(ix, p, &o, &r, err, sizeof err);
	CHECK(rc == GREP_DONE && r.n == 1 && r.n_features == 3 && r.hits[0].fid == fids[0], "scan sort mass limit 1");
	if (rc >= 0)
		grep_result_free(&r);

	/* Cancelled before it starts: a partial (empty) result, not an error. */
	atomic_int cancel;
	atomic_init(&cancel, 1);
	o.cancel = &cancel;
	rc = grep_scan(ix, p, &o, &r, err, sizeof err);
	CHECK(rc == GREP_CANCELLED && r.chunks_done < r.chunks_total, "scan cancelled");
	if (rc >= 0)
		grep_result_free(&r);

	/* In the background. */
	memset(&o, 0, sizeof o);
	grep_job *j = grep_start(ix, p, &o);
	rc = j ? grep_join(j, &r, err, sizeof err) : -1;
	CHECK(rc == GREP_DONE && r.n == 3 && r.hits[0].fid == fids[2], "scan background job");
	if (rc >= 0)
		grep_result_free(&r);

	/* The thread contract (grep.h): neither a scan nor a job runs a
	 * statement on the caller's connection; grep_finished turns 1 when
	 * the job's scan has returned. */
	atomic_init(&stmts_run, 0);
	sqlite3_trace_v2(ix->db, SQLITE_TRACE_STMT, count_stmt, NULL);
	rc = grep_scan(ix, p, &o, &r, err, sizeof err);
	if (rc >= 0)
		grep_result_free(&r);
	j = grep_start(ix, p, &o);
	int polls = 0;
	while (j && !grep_finished(j) && polls++ < 10000)
		usleep(1000);
	int fin = j && grep_finished(j);
	rc = j ? grep_join(j, &r, err, sizeof err) : -1;
	CHECK(fin && rc == GREP_DONE && r.n == 3, "scan background job finished");
	if (rc >= 0)
		grep_result_free(&r);
	sqlite3_trace_v2(ix->db, 0, NULL, NULL);
	CHECK(atomic_load(&stmts_run) == 0, "scan runs no statement on the caller's connection");

	/* A pattern that backtracks too much on this text. */
	grep_pattern *bad = grep_compile("(?:[A-Z]+)+[a-z]$", 0, err, sizeof err);
	memset(&o, 0, sizeof o);
	o.match_limit = 10;
	rc = grep_scan(ix, bad, &o, &r, err, sizeof err);
	CHECK(rc == GREP_ELIMIT && strncmp(err, "pattern hit the match limit", 27) == 0, "scan match limit");
	if (rc >= 0)
		grep_result_free(&r);
	grep_pattern_free(bad);
	grep_pattern_free(p);

	/* Substring search, for text full-text search cannot split. */
	int64_t *ids = NULL;
	int n = grep_substring(ix, "ACGT", 0, 10, &ids, err, sizeof err);
	CHECK(n == 3 && ids[0] == 1 && ids[1] == 2 && ids[2] == 4, "substring finds contexts");
	free(ids);
	n = grep_substring(ix, "acgt", 1, 10, &ids, err, sizeof err);
	CHECK(n == 3, "substring caseless");
	free(ids);
	n = grep_substring(ix, "acgt", 0, 10, &ids, err, sizeof err);
	CHECK(n == 0, "substring case-sensitive");
	free(ids);
	n = grep_substring(ix, "AC", 0, 1, &ids, err, sizeof err);
	CHECK(n == 1 && ids[0] == 1, "substring limit");
	free(ids);
	n = grep_substring(ix, "e (", 0, 10, &ids, err, sizeof err);
	CHECK(n == 0, "substring is literal");
	free(ids);
	index_close(ix);
	unlink(ixpath);
}

/* Chunks read straight from the file agree with SQLite's reading of them:
 * an index of many small contexts (several chunks, so the chunks table has
 * an interior page) and one context too large for a page (its chunk spills
 * to overflow pages and must come through SQLite). */
typedef struct {
	int64_t first;
	int n;
	size_t len;
	uint64_t sum;   /* of text, offsets, boundaries and examples */
} chunk_sig;

static void fold_sum(void *ud, int64_t fid, const float *acts, int ntok)
{
	uint64_t *h = ud;
	*h = *h * 1099511628211ull + (uint64_t)fid;
	for (int t = 0; t < ntok; t++)
		*h = *h * 31 + (uint64_t)(acts[t] * 1000);
}

static int read_all(const char *path, chunk_sig *sig, int max, int64_t *direct)
{
	char err[256];
	fs_index *ix = index_open(path, err, sizeof err);
	if (!ix)
		return -1;
	index_ctx_reader *rd = index_ctx_reader_open(ix);
	int64_t nc = index_n_chunks(ix);
	int k = 0;
	for (int64_t id = 1; rd && id <= nc && k < max; id++, k++) {
		const fs_chunk *ch = index_ctx_reader_chunk(rd, id);
		if (!ch)
			break;
		chunk_sig *g = &sig[k];
		g->first = ch->first_ctx;
		g->n = ch->n;
		g->len = ch->len;
		g->sum = 14695981039346656037ull;
		for (size_t i = 0; i < ch->len; i++)
			g->sum = (g->sum ^ (unsigned char)ch->text[i]) * 1099511628211ull;
		for (int i = 0; i < ch->n; i++) {
			uint32_t *off = NULL, a = ch->off[i], b = ch->off[i + 1] - 1;
			int ntok = index_ctx_reader_toks(rd, ch->first_ctx + i, b - a, &off);
			g->sum = g->sum * 31 + (uint64_t)ntok;
			for (int t = 0; off && t <= ntok; t++)
				g->sum = g->sum * 31 + off[t];
			free(off);
			if (index_ctx_reader_examples(rd, ch->first_ctx + i, ntok, fold_sum, &g->sum) < 1)
				g->sum ^= 1; /* every context here has an example */
		}
	}
	*direct = rd ? index_ctx_reader_direct(rd) : -1;
	index_ctx_reader_close(rd);
	index_close(ix);
	return k;
}

static void test_direct(void)
{
	char err[256], path[256];
	snprintf(path, sizeof path, "%s/unit-grep-direct-%d.sqlite",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	fs_writer *w = index_writer_create(path, err, sizeof err);
	CHECK(w != NULL, "direct: writer");
	if (!w)
		return;
	int64_t f[2];
	add_dictionary(w, "d", 2, f);
	int ok = 1;
	char text[160];
	for (int c = 0; c < 4000 && ok; c++) {
		/* 4 tokens of varied lengths */
		int n = snprintf(text, sizeof text, "context %d: %s", c, c % 7 ? "ACGTACGTTGCA and more" : "plain words");
		uint32_t off[5] = {0, 8, (uint32_t)n / 2, (uint32_t)n - 3, (uint32_t)n};
		int64_t id = index_writer_add_context(w, text, (size_t)n, off, 4, "u");
		float acts[4] = {0, (float)(c % 5), 0, 1.5f};
		ok = id > 0 && index_writer_add_example(w, f[c % 2], 0, c, id, acts, 4) == 0;
	}
	/* one context of 100 kB, in 10 tokens */
	size_t big = 100000;
	char *b = malloc(big);
	for (size_t i = 0; i < big; i++)
		b[i] = "ACGT"[(i * 7 + i / 13) % 4];
	memcpy(b + 70000, "MARKER", 6); /* past the first page */
	uint32_t boff[11];
	for (int t = 0; t <= 10; t++)
		boff[t] = (uint32_t)(big / 10 * (size_t)t);
	float bacts[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	int64_t bid = index_writer_add_context(w, b, big, boff, 10, "u");
	ok = ok && bid > 0 && index_writer_add_example(w, f[0], 0, 9999, bid, bacts, 10) == 0;
	free(b);
	/* and a few after it */
	for (int c = 0; c < 10 && ok; c++) {
		int n = snprintf(text, sizeof text, "after %d", c);
		uint32_t off[2] = {0, (uint32_t)n};
		float a1[1] = {2};
		int64_t id = index_writer_add_context(w, text, (size_t)n, off, 1, "u");
		ok = id > 0 && index_writer_add_example(w, f[1], 0, 5000 + c, id, a1, 1) == 0;
	}
	CHECK(ok && index_writer_finish(w, err, sizeof err) == 0, "direct: index built");

	chunk_sig a[64], q[64];
	int64_t da = -1, dq = -1;
	unsetenv("FEATSCOPE_SQLITE_READS");
	int na = read_all(path, a, 64, &da);
	setenv("FEATSCOPE_SQLITE_READS", "1", 1);
	int nq = read_all(path, q, 64, &dq);
	unsetenv("FEATSCOPE_SQLITE_READS");
	char name[96];
	snprintf(name, sizeof name, "direct: several chunks read both ways (%d, %d)", na, nq);
	CHECK(na >= 4 && na == nq, name);
	int same = na == nq;
	for (int i = 0; same && i < na; i++)
		same = a[i].first == q[i].first && a[i].n == q[i].n && a[i].len == q[i].len &&
		       a[i].sum == q[i].sum;
	CHECK(same, "direct: texts, offsets, boundaries and examples agree with SQLite's");
	snprintf(name, sizeof name, "direct: all but the spilled chunk read directly (%lld of %d)",
		 (long long)da, na);
	CHECK(da == na - 1, name);
	CHECK(dq == 0, "direct: FEATSCOPE_SQLITE_READS turns it off");

	/* a scan finds what sits in the large context too */
	fs_index *ix = index_open(path, err, sizeof err);
	grep_pattern *p = grep_compile("MARK(ER|XX)", 0, err, sizeof err);
	grep_opts o;
	memset(&o, 0, sizeof o);
	grep_result r;
	int rc = ix && p ? grep_scan(ix, p, &o, &r, err, sizeof err) : -1;
	CHECK(rc == GREP_DONE && r.ctx_matched == 1, "direct: a match in the spilled chunk is found");
	if (rc >= 0)
		grep_result_free(&r);
	grep_pattern_free(p);

	/* the file replaced under the open index (a rebuild renames a new file
	 * over it; here a copy: same uuid, another inode): the change is seen,
	 * a scan refuses to mix files, the direct reader maps nothing */
	char path2[300];
	snprintf(path2, sizeof path2, "%s.copy", path);
	FILE *in = fopen(path, "rb"), *out = fopen(path2, "wb");
	char cb[65536];
	size_t got;
	while (in && out && (got = fread(cb, 1, sizeof cb, in)) > 0)
		fwrite(cb, 1, got, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	char why[64] = "";
	CHECK(ix && index_file_changed(ix, why, sizeof why) == 0, "rebuilt: unchanged file is not reported");
	CHECK(rename(path2, path) == 0, "rebuilt: the copy renamed over the index");
	CHECK(ix && index_file_changed(ix, why, sizeof why) == 1 && strstr(why, "replaced"),
	      "rebuilt: the replaced file is reported");
	p = grep_compile("ACGT", 0, err, sizeof err);
	rc = ix && p ? grep_scan(ix, p, &o, &r, err, sizeof err) : -1;
	CHECK(rc == GREP_ERR && strstr(err, "changed since it was opened"), "rebuilt: a scan refuses to mix the files");
	if (rc >= 0 && rc != GREP_ERR)
		grep_result_free(&r);
	int64_t *hits = NULL;
	CHECK(ix && grep_substring(ix, "ACGT", 0, 5, &hits, err, sizeof err) < 0 &&
	      strstr(err, "changed since it was opened"), "rebuilt: a substring search refuses too");
	free(hits);
	grep_pattern_free(p);
	index_ctx_reader *rd = ix ? index_ctx_reader_open(ix) : NULL;
	CHECK(rd && index_ctx_reader_chunk(rd, 1) != NULL && index_ctx_reader_direct(rd) == 0,
	      "rebuilt: the direct reader does not map the new file (SQLite reads the opened one)");
	index_ctx_reader_close(rd);
	fs_index *ix2 = index_open(path, err, sizeof err);
	CHECK(ix && ix2 && !index_same_file(ix, ix2), "rebuilt: two opens of the path are not the same file");
	index_close(ix2);
	index_close(ix);
	if (!getenv("KEEP"))
		unlink(path);
}

/* The index truncated under an open scan reader (a cp over it, a full
 * disk): reading a chunk past the new end must stop with "the index file
 * changed", not end the program with SIGBUS. Run in a child so that a
 * SIGBUS fails the check instead of the test program. */
static void test_truncated(void)
{
	char err[256], path[256];
	snprintf(path, sizeof path, "%s/unit-grep-trunc-%d.sqlite",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	fs_writer *w = index_writer_create(path, err, sizeof err);
	CHECK(w != NULL, "truncated: writer");
	if (!w)
		return;
	int64_t f[2];
	add_dictionary(w, "d", 2, f);
	int ok = 1;
	char text[200];
	for (int c = 0; c < 6000 && ok; c++) {
		int n = snprintf(text, sizeof text, "context %d: ACGTACGTTGCA and more words to fill the chunk pages %d", c, c * 7);
		uint32_t off[3] = {0, 8, (uint32_t)n};
		int64_t id = index_writer_add_context(w, text, (size_t)n, off, 2, "u");
		float acts[2] = {1, (float)(c % 3)};
		ok = id > 0 && index_writer_add_example(w, f[c % 2], 0, c, id, acts, 2) == 0;
	}
	CHECK(ok && index_writer_finish(w, err, sizeof err) == 0, "truncated: index built");
	unsetenv("FEATSCOPE_SQLITE_READS");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fs_index *ix = index_open(path, err, sizeof err);
		index_ctx_reader *rd = ix ? index_ctx_reader_open(ix) : NULL;
		int64_t n = ix ? index_n_chunks(ix) : 0;
		if (!rd || n < 4 || !index_ctx_reader_chunk(rd, 1) || index_ctx_reader_direct(rd) != 1)
			_exit(3);
		struct stat st;
		if (stat(path, &st) != 0 || truncate(path, st.st_size / 3) != 0)
			_exit(4);
		for (int64_t id = 2; id <= n; id++)
			if (!index_ctx_reader_chunk(rd, id))
				_exit(strstr(index_errmsg(ix), "the index file changed") ? 0 : 5);
		_exit(6); /* read a truncated file as if whole */
	}
	int status = 0;
	waitpid(pid, &status, 0);
	char name[160];
	snprintf(name, sizeof name, "truncated under a scan reader: stops with 'the index file changed' (child: %s %d)",
		 WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, name);
	if (!getenv("KEEP"))
		unlink(path);
}

int main(void)
{
	test_direct();
	test_truncated();
	test_mark();
	test_stats();
	test_parse();
	test_scan();
	TEST_END();
}
