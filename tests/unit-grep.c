/*
 * unit-grep.c: unit tests of the concept probe's pure parts (grep.c): the
 * match-to-token mapping (overlap and exact-token modes), the per-feature
 * statistics and ranking on a hand-made case whose numbers are worked out
 * in the comments, sort-key parsing and pattern errors.
 */
#include "unit.h"
#include "grep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	grep_pattern *p = grep_compile("ab(c", 0, err, sizeof err);
	CHECK(!p && strncmp(err, "bad pattern at offset 4: ", 25) == 0, "bad pattern message");
	p = grep_compile("ab(c", GREP_LITERAL, err, sizeof err);
	CHECK(p != NULL, "literal takes any text");
	grep_pattern_free(p);
	p = grep_compile("\\p{Hangul}+", GREP_CASELESS, err, sizeof err);
	CHECK(p != NULL, "unicode property compiles");
	grep_pattern_free(p);
}

int main(void)
{
	test_mark();
	test_stats();
	test_parse();
	TEST_END();
}
