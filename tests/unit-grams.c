/*
 * unit-grams.c: the text-gram filter of substring search (index_grams.c)
 * never loses a match. An index of several chunks is written here from
 * generated text (mixed case, non-ASCII, the Kelvin sign and the long s);
 * grep_substring's answers for hundreds of strings (pieces of contexts, in
 * their case and in flipped case, and made-up strings that are mostly
 * absent) are compared with a brute-force search of the same texts
 * (memmem, and an ASCII-caseless compare for strings with no k or s); the
 * Kelvin sign and the long s must be found by a caseless k and s; grep's
 * scan of a plain string (which uses the filter too) must count the same
 * contexts. The
 * same answers must come from the index with the filter's meta keys
 * removed (every chunk read) and with a damaged filter row; and the filter
 * must rule chunks out for absent strings (else it would test nothing).
 */
#define _GNU_SOURCE /* memmem */
#include "unit.h"
#include "grep/grep.h"
#include "index/index.h"
#include "core/util.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NRAND 3000   /* contexts of random words */
#define NSPECIAL 400 /* then contexts of the Kelvin sign and the long s only */
#define NCTX (NRAND + NSPECIAL)

static char *texts[NCTX + 1]; /* context id -> its text */
static size_t lens[NCTX + 1];
static uint64_t seed = 88172645463325252ull;

static uint32_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed >> 11);
}

static const char *const words[] = {
	"the", "Golden", "gate", "bridge", "struct", "->next", "return", "GATTACA", "acgt",
	"caf\xc3\xa9", "CAF\xc3\x89", "\xea\xb0\x80\xeb\x82\x98", "zebra", "Quartz", "(x)", "{y}",
	"\xe2\x84\xaa" "elvin", "ba\xc5\xbf" "e", "Kelvin", "base", "_id", "0x1F", "\t", "\xf0\x9f\x99\x82",
};

static int build(const char *path)
{
	char err[256];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	if (!w)
		return -1;
	fs_sae s;
	memset(&s, 0, sizeof s);
	s.name = (char *)"g";
	s.model = s.hook = (char *)"";
	s.source_format = (char *)"native";
	s.layer = -1;
	s.n_features = 1;
	int sae = index_writer_add_sae(w, &s);
	fs_feature f;
	memset(&f, 0, sizeof f);
	f.sae = sae;
	f.label = f.label_source = (char *)"";
	f.density = -1;
	f.map_x = f.map_y = NAN;
	int64_t fid = index_writer_add_feature(w, &f);
	fs_buf b = {0};
	for (int c = 1; c <= NCTX; c++) {
		b.len = 0;
		char num[16]; /* identical texts would be stored once */
		snprintf(num, sizeof num, "%d ", c);
		buf_adds(&b, num);
		int nw = c > NRAND ? 0 : 20 + (int)(rnd() % 40);
		for (int i = 0; c > NRAND && i < 20; i++)
			buf_adds(&b, "\xe2\x84\xaa" "elvin ba\xc5\xbf" "e ");
		for (int i = 0; i < nw; i++) {
			if (rnd() % 3 == 0) { /* a random lower-case run */
				int n = 1 + (int)(rnd() % 6);
				for (int k = 0; k < n; k++)
					buf_addc(&b, (char)('a' + rnd() % 26));
			} else {
				buf_adds(&b, words[rnd() % (sizeof words / sizeof *words)]);
			}
			buf_addc(&b, ' ');
		}
		uint32_t off[2] = {0, (uint32_t)b.len};
		if (index_writer_add_context(w, b.p, b.len, off, 1, "u") != c) {
			printf("# context %d: %s\n", c, index_writer_errmsg(w));
			index_writer_abort(w);
			return -1;
		}
		texts[c] = xstrndup(b.p, b.len);
		lens[c] = b.len;
		float a = 1;
		if (c % 10 == 0)
			index_writer_add_example(w, fid, 0, c / 10, c, &a, 1);
	}
	buf_free(&b);
	int rc = index_writer_finish(w, err, sizeof err);
	if (rc != 0)
		printf("# %s\n", err);
	return rc;
}

static int ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* Contexts holding s, by brute force (caseless: ASCII only). */
static int reference(const char *s, int caseless, int64_t *out)
{
	size_t n = strlen(s);
	int k = 0;
	for (int c = 1; c <= NCTX; c++) {
		int hit = 0;
		if (!caseless)
			hit = memmem(texts[c], lens[c], s, n) != NULL;
		else
			for (size_t i = 0; !hit && i + n <= lens[c]; i++)
				hit = ascii_ieq(texts[c] + i, s, n);
		if (hit)
			out[k++] = c;
	}
	return k;
}

/* grep_substring agrees with the reference for every string; returns the
 * strings that disagree (and names the first on stdout). */
static int compare(fs_index *ix, char **strs, const int *ci, int n, const char *what)
{
	int64_t *ref = xmalloc(sizeof *ref * (NCTX + 1));
	int bad = 0;
	for (int i = 0; i < n; i++) {
		char err[256];
		int64_t *ids = NULL;
		int got = grep_substring(ix, strs[i], ci[i], 0, &ids, err, sizeof err);
		int want = reference(strs[i], ci[i], ref);
		int same = got == want && (got == 0 || memcmp(ids, ref, sizeof *ref * (size_t)got) == 0);
		/* and the first 3 of them with a limit */
		int64_t *lim = NULL;
		int gl = grep_substring(ix, strs[i], ci[i], 3, &lim, err, sizeof err);
		same = same && gl == (want < 3 ? want : 3) &&
		       (gl <= 0 || memcmp(lim, ref, sizeof *ref * (size_t)gl) == 0);
		if (!same && bad++ == 0)
			printf("# %s: '%s' (caseless %d): %d contexts, brute force %d\n", what,
			       strs[i], ci[i], got, want);
		free(ids);
		free(lim);
	}
	free(ref);
	return bad;
}

int main(void)
{
	char path[256], err[256], name[128];
	snprintf(path, sizeof path, "%s/unit-grams-%d.sqlite",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	CHECK(build(path) == 0, "grams: index built");
	fs_index *ix = index_open(path, err, sizeof err);
	CHECK(ix != NULL, "grams: index opens");
	if (!ix)
		return 1;
	CHECK(index_n_chunks(ix) >= 4, "grams: several chunks");

	/* The strings: pieces of contexts (2-14 bytes and whole characters,
	 * cut anywhere else), the same caseless in flipped case when they
	 * hold no k or s and no byte past ASCII, and made-up ones. */
	enum { NS = 450 };
	char *strs[NS];
	int ci[NS], n = 0;
	while (n < NS - 150) {
		int c = 1 + (int)(rnd() % NRAND);
		size_t len = 2 + rnd() % 13;
		if (len > lens[c])
			continue;
		size_t at = rnd() % (lens[c] - len + 1), end = at + len;
		const unsigned char *u = (const unsigned char *)texts[c];
		while (at > 0 && (u[at] & 0xC0) == 0x80) /* whole characters: a */
			at--;                            /* pattern is UTF-8 */
		while (end < lens[c] && (u[end] & 0xC0) == 0x80)
			end++;
		len = end - at;
		char *s = xstrndup(texts[c] + at, len);
		if (strlen(s) != len) { /* never: texts hold no NUL */
			free(s);
			continue;
		}
		strs[n] = s;
		ci[n++] = 0;
		int flip = 1;
		for (size_t k = 0; k < len; k++)
			flip &= (unsigned char)s[k] < 0x80 && !strchr("kKsS", s[k]);
		if (flip) {
			char *t = xstrndup(s, len);
			for (size_t k = 0; k < len; k++)
				if ((t[k] | 32) >= 'a' && (t[k] | 32) <= 'z')
					t[k] ^= 32;
			strs[n] = t;
			ci[n++] = 1;
		}
	}
	while (n < NS) {
		size_t len = 3 + rnd() % 6;
		char *s = xmalloc(len + 1);
		for (size_t k = 0; k < len; k++)
			s[k] = (char)("abcdefghijlmnopqrtuvwxyz-> _Q"[rnd() % 29]);
		s[len] = 0;
		strs[n] = s;
		ci[n++] = (int)(rnd() % 2) && !strpbrk(s, "kKsS");
	}
	CHECK(compare(ix, strs, ci, n, "filtered") == 0, "grams: every string as brute force finds it");

	/* grep's scan of a plain string (-F, and -i) reads the same chunks:
	 * its contexts matched agree with brute force, and a finished scan
	 * reports all the text and chunks done. */
	int scan_bad = 0;
	int64_t *ref = xmalloc(sizeof *ref * (NCTX + 1));
	for (int i = 0; i < 120; i++) {
		grep_pattern *gp = grep_compile(strs[i], GREP_LITERAL | (ci[i] ? GREP_CASELESS : 0), err, sizeof err);
		grep_opts o;
		memset(&o, 0, sizeof o);
		o.threads = 1 + i % 2;
		grep_result r;
		int rc = gp ? grep_scan(ix, gp, &o, &r, err, sizeof err) : -1;
		int want = reference(strs[i], ci[i], ref);
		if (rc != GREP_DONE || r.ctx_matched != want || r.bytes_done != r.bytes_total ||
		    r.chunks_done != r.chunks_total) {
			if (scan_bad++ == 0)
				printf("# scan: '%s' (caseless %d): rc %d, %lld contexts, brute force %d\n",
				       strs[i], ci[i], rc, rc == GREP_DONE ? (long long)r.ctx_matched : -1LL, want);
		}
		if (rc == GREP_DONE)
			grep_result_free(&r);
		grep_pattern_free(gp);
	}
	free(ref);
	CHECK(scan_bad == 0, "grams: grep -F scans agree with brute force");

	/* The filter rules chunks out for an absent string, and keeps the
	 * chunk of a present one. */
	uint8_t *may = NULL;
	int64_t nch = 0;
	int ok = index_text_candidates(ix, "qqzzjjxx", 8, 0, &may, &nch) == 1 &&
		 nch == index_n_chunks(ix);
	int kept = 0;
	for (int64_t i = 0; ok && i < nch; i++)
		kept += may[i / 8] >> (i % 8) & 1;
	CHECK(ok && kept < nch, "grams: an absent string rules chunks out");
	free(may);
	CHECK(index_text_candidates(ix, "ks", 2, 1, &may, &nch) == 0,
	      "grams: caseless k and s give no gram (they fold past ASCII)");
	free(may);

	/* Caseless k and s find the Kelvin sign and the long s: all of the
	 * last contexts, whose chunks hold no ASCII k or s. */
	int64_t *ids = NULL;
	int got = grep_substring(ix, "KELVIN", 1, 0, &ids, err, sizeof err), kelvin = 0;
	for (int i = 0; i < got; i++)
		kelvin += ids[i] > NRAND;
	free(ids);
	CHECK(kelvin == NSPECIAL, "grams: caseless KELVIN finds every Kelvin sign");
	got = grep_substring(ix, "BASE", 1, 0, &ids, err, sizeof err);
	int longs = 0;
	for (int i = 0; i < got; i++)
		longs += ids[i] > NRAND;
	free(ids);
	CHECK(longs == NSPECIAL, "grams: caseless BASE finds every long s");
	index_close(ix);

	/* The same answers with a damaged filter row, then with none. */
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db);
	rc |= sqlite3_exec(db, "UPDATE text_grams SET bits = bits || x'00' WHERE id % 3 = 0;"
			   " UPDATE text_grams SET bits = 'x' WHERE id % 3 = 1", NULL, NULL, NULL);
	CHECK(rc == SQLITE_OK, "grams: rows damaged");
	ix = index_open(path, err, sizeof err);
	snprintf(name, sizeof name, "grams: damaged rows: the same answers");
	CHECK(ix && compare(ix, strs, ci, 80, "damaged") == 0, name);
	index_close(ix);
	rc = sqlite3_exec(db, "DELETE FROM meta WHERE key LIKE 'text_gram%'", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(rc == SQLITE_OK, "grams: filter's meta removed");
	ix = index_open(path, err, sizeof err);
	CHECK(ix && index_text_candidates(ix, "qqzzjjxx", 8, 0, &may, &nch) == 0,
	      "grams: no meta, no filter");
	CHECK(ix && compare(ix, strs, ci, n, "unfiltered") == 0, "grams: without the filter: the same answers");
	index_close(ix);
	for (int i = 0; i < n; i++)
		free(strs[i]);
	for (int c = 1; c <= NCTX; c++)
		free(texts[c]);
	if (!getenv("KEEP"))
		unlink(path);
	TEST_END();
}
