/*
 * unit-core.c: unit tests of the pure helpers (util.c, format.c) and the
 * index blob codecs (acts and token boundaries), plus a writer/reader
 * round trip through a real SQLite file, and the BPE tokenizer's merge
 * rule (against GPT-2's, written out here) and its work on a long piece;
 * the JSON scanner's numbers against strtod, bit for bit.
 */
#include "tok/bpe.h"
#include "core/escape.h"
#include "core/jscan.h"
#include "core/number.h"
#include "core/format.h"
#include "core/progress.h"
#include "core/topk.h"
#include "nn/vmath.h"
#include "index/index.h"
#include "unit.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_varint(void)
{
	uint8_t b[16];
	uint64_t v, vals[] = {0, 1, 127, 128, 300, 16383, 16384, 1ull << 35, UINT64_MAX};
	int ok = 1;
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		size_t n = varint_put(b, vals[i]);
		ok &= varint_get(b, n, &v) == n && v == vals[i];
	}
	CHECK(ok, "varint round trip");
	b[0] = 0x80;
	CHECK(varint_get(b, 1, &v) == 0, "varint truncated input rejected");
}

static void test_f16(void)
{
	float vals[] = {0.0f, 1.0f, -2.5f, 0.333f, 65504.0f, 6.1e-5f, 3.0e-7f};
	int ok = 1;
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		float r = f16_to_f32(f32_to_f16(vals[i]));
		ok &= fabsf(r - vals[i]) <= fabsf(vals[i]) * 1e-3f + 1e-7f;
	}
	CHECK(ok, "f16 round trip within 1e-3 relative");
	CHECK(isinf(f16_to_f32(f32_to_f16(1e6f))), "f16 overflow becomes infinity");
	CHECK(f16_to_f32(0x3c00) == 1.0f && f16_to_f32(0xc000) == -2.0f, "f16 known bit patterns");
	CHECK(bf16_to_f32(0x3f80) == 1.0f, "bf16 1.0");
}

static void test_utf8(void)
{
	CHECK(utf8_len((const unsigned char *)"\xed\x95\x9c", 3) == 3, "utf8 Hangul is 3 bytes");
	CHECK(utf8_len((const unsigned char *)"\xc0\x80", 2) == 0, "utf8 overlong rejected");
	CHECK(utf8_len((const unsigned char *)"\xed\xa0\x80", 3) == 0, "utf8 surrogate rejected");
	CHECK(utf8_len((const unsigned char *)"\xe2\x80", 2) == 0, "utf8 truncated rejected");
	char out[4];
	CHECK(utf8_encode(0x1F600, out) == 4 && utf8_decode((unsigned char *)out, 4) == 0x1F600,
	      "utf8 encode/decode astral");
}

static void test_codecs(void)
{
	float acts[10] = {0, 1.5f, 0, 0, 2.25f, 0, 0, 0, 0, 7.0f}, back[10];
	uint8_t buf[64];
	size_t n = index_acts_encode(acts, 10, buf);
	CHECK(n == 9, "acts blob is 3 bytes per nonzero token");
	CHECK(index_acts_decode(buf, n, back, 10) == 0 && memcmp(acts, back, sizeof acts) == 0,
	      "acts round trip");
	CHECK(index_acts_decode(buf, n, back, 5) == -1, "acts blob longer than the context rejected");
	CHECK(index_acts_decode(buf, n - 1, back, 10) == -1, "truncated acts blob rejected");
	uint32_t off[4] = {0, 3, 4, 10}, off2[4];
	n = index_toks_encode(off, 3, buf);
	CHECK(index_toks_decode(buf, n, off2, 3, 10) == 0 && memcmp(off, off2, sizeof off) == 0,
	      "token boundaries round trip");
	CHECK(index_toks_decode(buf, n, off2, 3, 11) == -1, "token boundaries must cover the text");
}

static void test_format(void)
{
	fs_buf b = {0};
	static const char hostile[] = "a\x1b]0;title\x07\n\xff\xe2\x80\xae.";
	format_escaped(&b, hostile, sizeof hostile - 1);
	CHECK(strcmp(b.p, "a\\x1b]0;title\\x07\\n\\xff<U+202E>.") == 0, "escaping of ESC, BEL, newline, bad byte, bidi");
	b.len = 0;
	uint32_t off[4] = {0, 4, 8, 12};
	format_context(&b, "the cat sat.", 12, off, 3, 1, 80);
	CHECK(strcmp(b.p, "the «cat »sat.") == 0, "context excerpt marks the token");
	b.len = 0;
	/* a token that is half of a Hangul character is widened to the whole character */
	uint32_t off2[4] = {0, 1, 2, 3};
	format_context(&b, "\xed\x95\x9c", 3, off2, 3, 1, 80);
	CHECK(strcmp(b.p, "«\xed\x95\x9c»") == 0, "partial UTF-8 token widened to its character");
	b.len = 0;
	uint32_t h[4] = {0, 1, 4, 8};
	format_sparkline(&b, h, 4);
	CHECK(strcmp(b.p, " ▁▄█") == 0, "sparkline levels");
	buf_free(&b);
}

/* The one ring of escaped strings (escape_str/escape_strn) that every
 * front end prints through: the rule, NULL as "", a cut at n, and
 * ESC_RING results alive at once. */
static void test_escape_ring(void)
{
	CHECK(strcmp(escape_str("a\x1b[2J\xe2\x80\xae"), "a\\x1b[2J<U+202E>") == 0, "escape_str applies the rule");
	CHECK(strcmp(escape_str(NULL), "") == 0 && strcmp(escape_strn(NULL, 5), "") == 0, "escape_str of NULL is empty");
	CHECK(strcmp(escape_strn("ab\ncd", 3), "ab\\n") == 0, "escape_strn stops at n");
	const char *r[ESC_RING];
	char want[ESC_RING][8];
	for (int i = 0; i < ESC_RING; i++) {
		snprintf(want[i], sizeof want[i], "%d\t", i);
		r[i] = escape_str(want[i]);
	}
	int ok = 1;
	for (int i = 0; i < ESC_RING; i++) {
		char e[8];
		snprintf(e, sizeof e, "%d\\t", i);
		ok &= strcmp(r[i], e) == 0;
	}
	CHECK(ok, "ESC_RING escaped strings alive at once");
}

/* The one whole-file reader (fs_read_file): the bytes and a NUL after
 * them, the limit checked (at the limit read, one byte over refused with a
 * message naming the file), a missing file and a folder named. */
static void test_read_file(void)
{
	char path[] = "/tmp/fs-unit-rf-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10, "read_file: scratch file");
	close(fd);
	char err[256] = "";
	size_t n = 99;
	char *t = fs_read_file(path, 10, &n, err, sizeof err);
	CHECK(t && n == 10 && memcmp(t, "0123456789", 11) == 0, "read_file: the bytes and a NUL at the limit");
	free(t);
	t = fs_read_file(path, 9, &n, err, sizeof err);
	CHECK(!t && strstr(err, path) == err && strstr(err, "larger than 9 bytes") && !strchr(err, '\n'),
	      "read_file: over the limit, one line naming the file");
	t = fs_read_file(path, (size_t)1 << 20, &n, err, sizeof err);
	CHECK(t && n == 10, "read_file: under a MiB limit");
	free(t);
	unlink(path);
	t = fs_read_file(path, 10, &n, err, sizeof err);
	CHECK(!t && strstr(err, path) == err && strstr(err, "No such file"), "read_file: a missing file named");
	t = fs_read_file("/tmp", 10, &n, err, sizeof err);
	CHECK(!t && strcmp(err, "/tmp: is a directory") == 0, "read_file: a folder refused");
}

/* The one top-k selection (core/topk.h): the k-th largest for a small
 * and a large k against a sort, the heap's pairs best first with ties to
 * the lower index. */
static int cmp_desc(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x < y) - (x > y);
}

static void test_topk(void)
{
	enum { N = 500 };
	float a[N], sorted[N], work[N];
	uint64_t st = 7;
	for (int i = 0; i < N; i++) {
		st = st * 6364136223846793005ull + 1442695040888963407ull;
		a[i] = (float)((st >> 40) % 97); /* many ties */
	}
	memcpy(sorted, a, sizeof a);
	qsort(sorted, N, sizeof *sorted, cmp_desc);
	int ok = 1;
	int ks[] = {1, 5, 32, 33, 100, N};
	for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
		memcpy(work, a, sizeof a);
		ok &= topk_kth(work, N, ks[i]) == sorted[ks[i] - 1];
	}
	CHECK(ok, "topk_kth equals the sorted k-th, small and large k");
	float v[4];
	int32_t id[4];
	float in[] = {5, 1, 5, 7, 5, 2, 7};
	int n = 0;
	for (int i = 0; i < 7; i++)
		n = topk_push(v, id, n, 4, in[i], i);
	topk_sort(v, id, n);
	CHECK(n == 4 && v[0] == 7 && id[0] == 3 && v[1] == 7 && id[1] == 6 && v[2] == 5 && id[2] == 0 &&
		      v[3] == 5 && id[3] == 2,
	      "topk_push/topk_sort: the 4 largest best first, ties to the lower index");
	CHECK(topk_push(v, id, 0, 0, 1.0f, 0) == 0, "topk_push keeps nothing when none is wanted");
	/* topk_sort_large gives topk_sort's order (values with many ties) */
	{
		enum { M = 700 };
		float lv[M], sv[M];
		int32_t li[M], si[M];
		uint32_t r = 12345;
		for (int i = 0; i < M; i++) {
			r = r * 1103515245u + 12345u;
			lv[i] = sv[i] = (float)((r >> 16) % 50);
			li[i] = si[i] = M - 1 - i;
		}
		topk_sort_large(lv, li, M);
		topk_sort(sv, si, M);
		int same = 1;
		for (int i = 0; i < M; i++)
			same &= lv[i] == sv[i] && li[i] == si[i];
		CHECK(same && lv[0] == 49 && lv[M - 1] == 0, "topk_sort_large: best first, ties to the lower index, as topk_sort");
	}
	float pv[] = {1, 9, 5, 9, 3, 5, 7, 5};
	int32_t pid[] = {0, 1, 2, 3, 4, 5, 6, 7};
	topk_partition(pv, pid, 8, 4);
	topk_sort(pv, pid, 4);
	CHECK(pv[0] == 9 && pid[0] == 1 && pv[1] == 9 && pid[1] == 3 && pv[2] == 7 && pid[2] == 6 && pv[3] == 5 &&
		      pid[3] == 2,
	      "topk_partition: the 4 best pairs to the front, ties to the lower index");
}

/* The one progress report (core/progress.h): silent without a drawer,
 * updates at most four a second, the end and notes always drawn. */
static int pg_draws[4];
static int64_t pg_done;

static void pg_draw(fs_progress *p, fs_progress_event ev, int64_t done, int64_t total)
{
	(void)total;
	pg_draws[ev]++;
	pg_done = done;
	p->shown = ev == PROGRESS_DRAW;
}

static void test_progress(void)
{
	progress_start(NULL, "rows", "x");
	progress_update(NULL, 1, 2);
	progress_end(NULL, 2);
	progress_note(NULL, "n");
	progress_break(NULL);
	fs_progress silent = {0};
	progress_start(&silent, "rows", "x");
	progress_update(&silent, 1, 2);
	CHECK(!progress_on(NULL) && !progress_on(&silent), "progress: NULL and no drawer are silent");
	fs_progress p = {.draw = pg_draw};
	progress_start(&p, "rows", "stage %d", 1);
	for (int i = 0; i < 1000; i++)
		progress_update(&p, i, 1000);
	CHECK(pg_draws[PROGRESS_DRAW] == 0 && strcmp(p.label, "stage 1") == 0 && strcmp(p.unit, "rows") == 0,
	      "progress: nothing drawn in the first quarter second");
	p.last -= 1;
	progress_update(&p, 7, 1000);
	progress_update(&p, 8, 1000);
	CHECK(pg_draws[PROGRESS_DRAW] == 1 && pg_done == 7, "progress: one draw a quarter second");
	progress_break(&p);
	progress_break(&p);
	CHECK(pg_draws[PROGRESS_BREAK] == 1, "progress: a break ends a drawn line once");
	progress_end(&p, 1000);
	int64_t end_done = pg_done;
	progress_note(&p, "writing %s", "indexes");
	CHECK(pg_draws[PROGRESS_END] == 1 && end_done == 1000 && pg_draws[PROGRESS_NOTE] == 1 &&
		      strcmp(p.label, "writing indexes") == 0,
	      "progress: the end and a note always drawn");
}

static void test_roundtrip(void)
{
	char path[] = "/tmp/fs-unit-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	char err[512];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	CHECK(w != NULL, "index_writer_create");
	if (!w)
		return;
	fs_sae s = {0, "a", "m", "h", 3, 4, 2, "native"};
	int sid = index_writer_add_sae(w, &s);
	fs_feature f;
	memset(&f, 0, sizeof f);
	f.sae = sid;
	f.label = "first";
	f.label_source = "test";
	f.density = 0.5;
	f.max_act = 2;
	f.mean_act = 1;
	f.map_x = f.map_y = NAN;
	f.hist_hi = 2;
	f.hist[3] = 7;
	int64_t f1 = index_writer_add_feature(w, &f);
	f.idx = 1;
	f.label = "second word";
	int64_t f2 = index_writer_add_feature(w, &f);
	uint32_t off[3] = {0, 5, 11};
	int64_t c1 = index_writer_add_context(w, "hello world", 11, off, 2, "src");
	int64_t c1b = index_writer_add_context(w, "hello world", 11, off, 2, "src");
	CHECK(c1 == c1b, "identical contexts are stored once");
	float a[2] = {0.5f, 2.0f};
	index_writer_add_example(w, f1, 0, 0, c1, a, 2);
	index_writer_add_example(w, f2, 0, 0, c1, a, 2);
	index_writer_add_neighbour(w, f1, sid, 0, f2, 0.9f);
	CHECK(index_writer_finish(w, err, sizeof err) == 0, "index_writer_finish");

	fs_index *ix = index_open(path, err, sizeof err);
	CHECK(ix != NULL, "index_open of a fresh index");
	if (!ix)
		return;
	CHECK(index_n_features(ix) == 2 && index_n_contexts(ix) == 1 && index_n_examples(ix) == 2,
	      "meta counts");
	fs_feature g;
	CHECK(index_feature(ix, f1, &g) == 0 && strcmp(g.label, "first") == 0 && g.hist[3] == 7 &&
		      fabs(g.act_mass - 2.5) < 1e-3 && g.n_examples == 1,
	      "feature read back with histogram and mass");
	index_feature_free(&g);
	CHECK(index_resolve(ix, "a/1", err, sizeof err) == f2 && index_resolve(ix, "1", err, sizeof err) == f2,
	      "resolve N and SAE/N");
	CHECK(index_resolve(ix, "b/1", err, sizeof err) == -1 && strstr(err, "no dictionary"),
	      "resolve unknown dictionary");
	fs_context c;
	CHECK(index_context(ix, c1, &c) == 0 && c.len == 11 && memcmp(c.text, "hello world", 11) == 0 &&
		      c.ntok == 2 && c.tok_off[1] == 5 && strcmp(c.source, "src") == 0,
	      "context read back");
	index_context_free(&c);
	fs_example *ex;
	int n = index_examples(ix, f2, &ex);
	CHECK(n == 1 && ex[0].max_pos == 1 && ex[0].acts[1] == 2.0f, "example read back");
	index_examples_free(ex, n);
	int64_t *ids;
	n = index_search_labels(ix, "word", 10, &ids);
	CHECK(n == 1 && ids[0] == f2, "label full-text search");
	free(ids);
	n = index_search_contexts(ix, "world", 10, &ids);
	CHECK(n == 1 && ids[0] == c1, "context full-text search");
	free(ids);
	fs_feature page[4];
	n = index_feature_page(ix, 0, FS_SORT_LABEL, 1, NULL, 0, 4, page);
	CHECK(n == 2 && page[0].id == f2, "feature page sorted by label descending");
	for (int i = 0; i < n; i++)
		index_feature_free(&page[i]);
	n = index_feature_page(ix, sid, FS_SORT_ID, 0, "sec", 0, 4, page);
	CHECK(n == 1 && page[0].id == f2 && index_feature_count(ix, sid, "sec") == 1, "feature filter");
	for (int i = 0; i < n; i++)
		index_feature_free(&page[i]);
	fs_neighbour *nb;
	n = index_neighbours(ix, f1, 0, 5, &nb);
	CHECK(n == 1 && nb[0].fid == f2 && fabsf(nb[0].cosine - 0.9f) < 1e-6f, "neighbours read back");
	free(nb);
	index_close(ix);
	unlink(path);
}

/* Position features: the automatic label's marker, read back from an index */
static void test_position(void)
{
	CHECK(index_label_is_position("position 0 (first token of the context)", "auto") &&
		      index_label_is_position("position 0-3 (first 4 tokens of the context)", "auto"),
	      "position label recognised");
	CHECK(!index_label_is_position("position 0 (first token of the context)", "import") &&
		      !index_label_is_position("positional words", "auto") &&
		      !index_label_is_position("position x", "auto") &&
		      !index_label_is_position(NULL, "auto") && !index_label_is_position("position 1", NULL),
	      "position label: only an automatic one with a number");
	char path[] = "/tmp/fs-unit-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	char err[512];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	CHECK(w != NULL, "position: index_writer_create");
	if (!w)
		return;
	fs_sae s = {0, "a", "m", "h", 3, 4, 2, "native"};
	int sid = index_writer_add_sae(w, &s);
	fs_feature f;
	memset(&f, 0, sizeof f);
	f.sae = sid;
	f.label = "position 0 (first token of the context)";
	f.label_source = "auto";
	f.map_x = f.map_y = NAN;
	int64_t f1 = index_writer_add_feature(w, &f);
	f.idx = 1;
	f.label = "lowercase letters: 'n' in appe_d";
	int64_t f2 = index_writer_add_feature(w, &f);
	CHECK(index_writer_finish(w, err, sizeof err) == 0, "position: index_writer_finish");
	fs_index *ix = index_open(path, err, sizeof err);
	CHECK(ix && index_feature_is_position(ix, f1) == 1 && index_feature_is_position(ix, f2) == 0 &&
		      index_feature_is_position(ix, f2 + 100) == 0,
	      "index_feature_is_position");
	if (ix)
		index_close(ix);
	unlink(path);
}

/* vmath against double-precision libm, and its row split against one pass */
typedef struct {
	float *x;
	int d;
} gelu_job;

static void gelu_rows(void *ud, int lo, int hi)
{
	gelu_job *j = ud;
	vm_gelu_tanh(j->x + (size_t)lo * j->d, (size_t)(hi - lo) * j->d);
}

static void test_vmath(void)
{
	enum { N = 20011 };
	float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
	double worst = 0;
	for (int i = 0; i < N; i++)
		x[i] = y[i] = -87.0f + 175.0f * (float)i / N;
	vm_exp(y, N);
	for (int i = 0; i < N; i++) {
		double r = exp((double)x[i]);
		double e = fabs(y[i] - r) / r;
		if (e > worst)
			worst = e;
	}
	CHECK(worst < 3e-7, "vm_exp within 3e-7 relative of exp over -87..88");
	worst = 0;
	for (int i = 0; i < N; i++)
		x[i] = y[i] = -12.0f + 24.0f * (float)i / N;
	vm_gelu_tanh(y, N);
	for (int i = 0; i < N; i++) {
		double v = x[i], r = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
		double e = fabs(y[i] - r) / (fabs(r) + 1e-6);
		if (e > worst)
			worst = e;
	}
	CHECK(worst < 3e-6, "vm_gelu_tanh within 3e-6 relative of the double formula");
	/* softmax, causal rows of odd widths */
	int R = 13, n = 37;
	float *s = malloc(sizeof(float) * R * n);
	int bad = 0;
	for (int i = 0; i < R * n; i++)
		s[i] = (float)((i * 7919) % 1000) / 100.0f - 5.0f;
	float *s0 = malloc(sizeof(float) * R * n);
	memcpy(s0, s, sizeof(float) * R * n);
	vm_softmax_causal(s, R, n, n, 20);
	for (int r = 0; r < R; r++) {
		int k = 20 + r + 1 < n ? 20 + r + 1 : n;
		double mx = -1e30, sum = 0;
		for (int j = 0; j < k; j++)
			mx = s0[r * n + j] > mx ? s0[r * n + j] : mx;
		for (int j = 0; j < k; j++)
			sum += exp(s0[r * n + j] - mx);
		for (int j = 0; j < n; j++) {
			double want = j < k ? exp(s0[r * n + j] - mx) / sum : 0;
			bad += fabs(s[r * n + j] - want) > 1e-6 * (want + 1e-3);
		}
	}
	CHECK(bad == 0, "vm_softmax_causal equals the double softmax of the visible columns, 0 after");
	/* layernorm, a width that is not a multiple of 8 */
	int d = 771;
	float *w = malloc(sizeof(float) * d), *b = malloc(sizeof(float) * d), *ln = malloc(sizeof(float) * 3 * d);
	for (int i = 0; i < d; i++) {
		w[i] = 1.0f + (float)(i % 5) / 10;
		b[i] = (float)(i % 3) / 10;
	}
	vm_layernorm(x, ln, 3, d, w, b, 1e-5f);
	worst = 0;
	for (int r = 0; r < 3; r++) {
		double m = 0, v = 0;
		for (int i = 0; i < d; i++)
			m += x[r * d + i];
		m /= d;
		for (int i = 0; i < d; i++)
			v += (x[r * d + i] - m) * (x[r * d + i] - m);
		v /= d;
		for (int i = 0; i < d; i++) {
			double want = (x[r * d + i] - m) / sqrt(v + 1e-5) * w[i] + b[i];
			double e = fabs(ln[r * d + i] - want) / (fabs(want) + 1);
			if (e > worst)
				worst = e;
		}
	}
	CHECK(worst < 1e-5, "vm_layernorm within 1e-5 of the double LayerNorm");
	/* rows split over threads give the bytes of one pass */
	int rows = 97, width = 1000;
	float *a = malloc(sizeof(float) * rows * width), *c = malloc(sizeof(float) * rows * width);
	for (int i = 0; i < rows * width; i++)
		a[i] = c[i] = (float)((i * 2654435761u) % 10000) / 1000.0f - 5.0f;
	gelu_job j = {a, width};
	vm_parallel(rows, (size_t)width, gelu_rows, &j);
	vm_gelu_tanh(c, (size_t)rows * width);
	CHECK(memcmp(a, c, sizeof(float) * rows * width) == 0, "vm_parallel: split rows equal one pass, bit for bit");
	free(a);
	free(c);
	free(w);
	free(b);
	free(ln);
	free(s);
	free(s0);
	free(x);
	free(y);
}

/* ------------------------------------------------------------------ BPE */

static int bl_direct(int b)
{
	return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
}

/* A JSON string of a token's bytes in GPT-2's byte-level alphabet. */
static void bl_json(fs_buf *o, const char *t, size_t n)
{
	buf_addc(o, '"');
	for (size_t i = 0; i < n; i++) {
		int b = (unsigned char)t[i], cp = b;
		if (!bl_direct(b)) {
			cp = 256;
			for (int c = 0; c < b; c++)
				cp += !bl_direct(c);
		}
		if (cp == '"' || cp == '\\')
			buf_addc(o, '\\');
		if (cp < 0x80) {
			buf_addc(o, (char)cp);
		} else {
			buf_addc(o, (char)(0xc0 | cp >> 6));
			buf_addc(o, (char)(0x80 | (cp & 0x3f)));
		}
	}
	buf_addc(o, '"');
}

/* A tokenizer of the 256 bytes, the tokens made by merges ma[i] mb[i]
 * (rank i; letters only) and the merges. */
static fs_bpe *bpe_of(char **ma, char **mb, int nm, char *err, size_t errlen)
{
	fs_buf v = {0}, m = {0};
	buf_addc(&v, '{');
	int id = 0;
	for (int b = 0; b < 256; b++) {
		char c = (char)b;
		if (b)
			buf_addc(&v, ',');
		bl_json(&v, &c, 1);
		buf_printf(&v, ":%d", id++);
	}
	buf_printf(&m, "#version: 0.2\n");
	for (int i = 0; i < nm; i++) {
		char t[64];
		snprintf(t, sizeof t, "%s%s", ma[i], mb[i]);
		int seen = 0;
		for (int j = 0; j < i && !seen; j++) {
			char u[64];
			snprintf(u, sizeof u, "%s%s", ma[j], mb[j]);
			seen = !strcmp(t, u);
		}
		if (!seen) {
			buf_addc(&v, ',');
			bl_json(&v, t, strlen(t));
			buf_printf(&v, ":%d", id++);
		}
		buf_printf(&m, "%s %s\n", ma[i], mb[i]);
	}
	buf_addc(&v, '}');
	fs_bpe *b = bpe_load_mem("test", v.p, v.len, m.p, m.len, err, errlen);
	buf_free(&v);
	buf_free(&m);
	return b;
}

/* GPT-2's bpe() (encoder.py) on strings: while some adjacent pair has a
 * merge, take the lowest-ranked one and merge its every occurrence, left
 * to right without overlaps. Returns the token count; w[] is rewritten. */
static int ref_bpe(char **w, int k, char **ma, char **mb, int nm)
{
	while (k > 1) {
		int best = -1;
		for (int i = 0; i + 1 < k; i++)
			for (int r = 0; r < nm; r++)
				if ((best < 0 || r < best) && !strcmp(w[i], ma[r]) && !strcmp(w[i + 1], mb[r]))
					best = r;
		if (best < 0)
			break;
		int o = 0;
		for (int i = 0; i < k;) {
			if (i + 1 < k && !strcmp(w[i], ma[best]) && !strcmp(w[i + 1], mb[best])) {
				char *t = xasprintf("%s%s", w[i], w[i + 1]);
				free(w[i]);
				free(w[i + 1]);
				w[o++] = t;
				i += 2;
			} else {
				w[o++] = w[i++];
			}
		}
		k = o;
	}
	return k;
}

static uint64_t rng_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

static void test_bpe(void)
{
	char err[256];
	/* the merge rule: random merge lists over "abcd" (half of them in
	 * shuffled order, so that a merge may come before the one making its
	 * token), random words, every token as GPT-2's rule gives it */
	uint64_t rs = 7;
	int bad = 0, words = 0;
	for (int trial = 0; trial < 40; trial++) {
		enum { NM = 60 };
		char *toks[NM + 4], *ma[NM], *mb[NM];
		int nt = 4, nm = 0;
		for (int i = 0; i < 4; i++)
			toks[i] = xasprintf("%c", 'a' + i);
		for (int tries = 0; nm < NM && tries < 1000; tries++) {
			char *x = toks[rng_next(&rs) % nt], *y = toks[rng_next(&rs) % nt];
			if (strlen(x) + strlen(y) > 10)
				continue;
			int dup = 0;
			for (int j = 0; j < nm; j++)
				dup |= !strcmp(ma[j], x) && !strcmp(mb[j], y);
			if (dup)
				continue;
			ma[nm] = x;
			mb[nm] = y;
			nm++;
			char *t = xasprintf("%s%s", x, y);
			int have = 0;
			for (int j = 0; j < nt; j++)
				have |= !strcmp(toks[j], t);
			if (!have && nt < NM + 4)
				toks[nt++] = t;
			else
				free(t);
		}
		if (trial % 2)
			for (int i = nm - 1; i > 0; i--) {
				int j = (int)(rng_next(&rs) % (uint64_t)(i + 1));
				char *t = ma[i];
				ma[i] = ma[j];
				ma[j] = t;
				t = mb[i];
				mb[i] = mb[j];
				mb[j] = t;
			}
		fs_bpe *b = bpe_of(ma, mb, nm, err, sizeof err);
		if (!b) {
			printf("# %s\n", err);
			bad++;
		}
		for (int wd = 0; b && wd < 30; wd++) {
			int n = 1 + (int)(rng_next(&rs) % 200);
			char *text = xmalloc((size_t)n + 1);
			char **w = xmalloc(sizeof *w * (size_t)n);
			for (int i = 0; i < n; i++) {
				text[i] = (char)('a' + rng_next(&rs) % 4);
				w[i] = xasprintf("%c", text[i]);
			}
			text[n] = 0;
			int k = ref_bpe(w, n, ma, mb, nm);
			int32_t *ids = NULL;
			uint32_t *offs = NULL;
			int64_t cnt = 0, cap = 0;
			int same = bpe_encode(b, text, (size_t)n, &ids, &offs, &cnt, &cap, err, sizeof err) == 0 &&
				   cnt == k;
			uint32_t at = 0;
			for (int i = 0; same && i < k; i++) {
				size_t l;
				const uint8_t *t = bpe_token_bytes(b, ids[i], &l);
				same = t && l == strlen(w[i]) && !memcmp(t, w[i], l) && offs[i] == at;
				at += (uint32_t)l;
			}
			bad += !same;
			words++;
			for (int i = 0; i < k; i++)
				free(w[i]);
			free(w);
			free(ids);
			free(offs);
			free(text);
		}
		bpe_free(b);
		for (int i = 0; i < nt; i++)
			free(toks[i]);
	}
	char name[128];
	snprintf(name, sizeof name, "bpe: %d random words under 40 merge lists (half shuffled) tokenize as GPT-2's rule", words);
	CHECK(bad == 0 && words == 40 * 30, name);

	/* the work on one long piece: 676 two-letter merges, 30000 letters
	 * with no space (one pre-token, as CJK text without spaces is): pair
	 * lookups stay within a few per byte, not per byte and merge */
	char *ma2[676], *mb2[676];
	int order[676];
	for (int i = 0; i < 676; i++)
		order[i] = i;
	for (int i = 675; i > 0; i--) {
		int j = (int)(rng_next(&rs) % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < 676; i++) {
		ma2[i] = xasprintf("%c", 'a' + order[i] / 26);
		mb2[i] = xasprintf("%c", 'a' + order[i] % 26);
	}
	fs_bpe *b = bpe_of(ma2, mb2, 676, err, sizeof err);
	CHECK(b != NULL, "bpe: a tokenizer of 676 merges loads");
	if (b) {
		enum { N = 30000 };
		char *text = xmalloc(N);
		for (int i = 0; i < N; i++)
			text[i] = (char)('a' + rng_next(&rs) % 26);
		int32_t *ids = NULL;
		uint32_t *offs = NULL;
		int64_t cnt = 0, cap = 0;
		uint64_t l0 = bpe_lookups(b);
		int rc = bpe_encode(b, text, N, &ids, &offs, &cnt, &cap, err, sizeof err);
		uint64_t work = bpe_lookups(b) - l0;
		snprintf(name, sizeof name, "bpe: one 30000-byte piece takes %llu pair lookups (<= 8 a byte)",
			 (unsigned long long)work);
		CHECK(rc == 0 && cnt >= N / 2 && cnt < N && work <= 8ull * N, name);
		free(ids);
		free(offs);
		free(text);
		bpe_free(b);
	}
	for (int i = 0; i < 676; i++) {
		free(ma2[i]);
		free(mb2[i]);
	}
}

/* One number through jscan_number, judged by strtod: the same bits when
 * strtod's value fits a float, refused otherwise. */
static int jscan_agrees(const char *t, size_t n)
{
	char tmp[128];
	if (n >= sizeof tmp)
		return 1;
	memcpy(tmp, t, n);
	tmp[n] = 0;
	double want = strtod(tmp, NULL), got = 0;
	jscan c = {t, t + n, {0}};
	int rc = jscan_number(&c, &got);
	if (!number_float_ok(want))
		return rc != 0;
	return rc == 0 && c.p == t + n && memcmp(&got, &want, sizeof got) == 0;
}

/* jscan_number's quick decimal path (graph weights, activations) gives
 * strtod's double exactly: on every number of the graph fixtures, and on
 * random decimals: long and short, with and without a fraction or an
 * exponent, leading zeros after the point, negative zero. */
static void test_jscan_numbers(void)
{
	static const char *names[] = {"123-gemma-2-2b-clt-hp.json", "123-gemma-2-2b-gemmascope-transcoder-16k.json",
	                              "123-qwen3-4b-transcoder-hp.json", "123-gemma-3-1b-pt-gemmascope2-16k.json"};
	const char *src = getenv("FS_SRCDIR");
	size_t seen = 0, bad = 0;
	for (size_t f = 0; f < sizeof names / sizeof *names; f++) {
		char path[4096], err[256];
		snprintf(path, sizeof path, "%s/tests/fixtures/graphs/%s", src ? src : ".", names[f]);
		size_t n = 0;
		char *t = fs_read_file(path, (size_t)1 << 24, &n, err, sizeof err);
		if (!t) {
			bad++;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (t[i] != ':')
				continue;
			size_t a = i + 1;
			while (a < n && t[a] == ' ')
				a++;
			size_t b = a;
			while (b < n && strchr("-+.eE0123456789", t[b]) && t[b])
				b++;
			if (b > a && (t[a] == '-' || (t[a] >= '0' && t[a] <= '9'))) {
				seen++;
				bad += !jscan_agrees(t + a, b - a);
			}
		}
		free(t);
	}
	CHECK(seen > 3000 && bad == 0, "jscan: every number of the graph fixtures as strtod reads it");
	uint64_t r = 0x9e3779b97f4a7c15ull;
#define RND() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, r)
	size_t rbad = 0;
	char num[80];
	for (int k = 0; k < 200000; k++) {
		size_t n = 0;
		if (RND() & 1)
			num[n++] = '-';
		int ip = (int)(RND() % 20), fp = (int)(RND() % 26), zeros = (int)(RND() % 8);
		if (ip == 0 || RND() % 4 == 0)
			num[n++] = '0';
		else
			for (int d = 0; d < ip; d++)
				num[n++] = (char)((d ? '0' : '1') + RND() % (d ? 10 : 9));
		if (fp) {
			num[n++] = '.';
			for (int d = 0; d < fp; d++)
				num[n++] = d < zeros ? '0' : (char)('0' + RND() % 10);
		}
		if (RND() % 8 == 0)
			n += (size_t)snprintf(num + n, sizeof num - n, "e%d", (int)(RND() % 80) - 40);
		rbad += !jscan_agrees(num, n);
	}
#undef RND
	CHECK(rbad == 0, "jscan: 200,000 random decimals as strtod reads them");
	const char *edge[] = {"0", "-0", "-0.0", "0.0", "9007199254740992", "9007199254740993", "0.1", "1.5e3",
	                      "123456789012345678901234", "0.0000000000000000000001", "0.00000000000000000000001",
	                      "3.4028234663852886e38", "3.5e38", "-1e-50", "1.0000000000000002"};
	size_t ebad = 0;
	for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
		ebad += !jscan_agrees(edge[i], strlen(edge[i]));
	CHECK(ebad == 0, "jscan: edge numbers (2^53 and past it, 22 and 23 places, a float's limit) as strtod");
}

int main(void)
{
	test_jscan_numbers();
	test_vmath();
	test_varint();
	test_f16();
	test_utf8();
	test_codecs();
	test_format();
	test_escape_ring();
	test_read_file();
	test_topk();
	test_progress();
	test_roundtrip();
	test_position();
	test_bpe();
	TEST_END();
}
