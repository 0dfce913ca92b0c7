/*
 * compare.h: comparing two dictionaries (SAEs of the same d_model). Three
 * parts, all free of SQL:
 *   - decoder matching: every row of A against every row of B by cosine,
 *     exact, both directions from the same blocked products (knn.h, which
 *     runs them through blas_sgemm), mutual best pairs, and baselines: the
 *     cosines random unit directions and shuffled pairs reach in that
 *     d_model against those decoders;
 *   - co-activation from stored examples (cmp_acts): per pair of features
 *     the correlation of their activations over the tokens of the contexts
 *     either has stored, and the share of one's firings where the other
 *     fires;
 *   - label distance, for "matched pairs whose labels differ most".
 * The loaders that fill these from an index are in compare_load.c
 * (through index.h), the family tree in family.c.
 */
#ifndef FS_COMPARE_H
#define FS_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "geom/knn.h"

/* --------------------------------------------------------- decoder match */

/* Matching parameters; cmp_opts_init sets the defaults. */
typedef struct {
	int k;             /* matches kept per feature and direction (default 5) */
	double pct;        /* percentile taken of baseline samples (default 0.99) */
	uint64_t seed;     /* seed of the random directions and shuffles */
	int block;         /* rows per product block, 0 = knn's default */
} cmp_opts;

void cmp_opts_init(cmp_opts *o);

/* The decoder matching of A (na rows) against B (nb rows). */
typedef struct {
	int64_t na, nb;    /* rows of A and of B */
	int d;             /* d_model */
	int k;             /* matches per row kept */
	knn_result ab;     /* per A row its k best B rows, best first */
	knn_result ba;     /* per B row its k best A rows */
	int32_t *mutual;   /* na entries: B row j when A row i's best is j and j's best is i, else -1 */
	int64_t n_mutual;  /* mutual best pairs */
	float rand_ab;     /* pct of the best cosine of a random unit direction among B's rows */
	float rand_ba;     /* the same among A's rows */
	float shuf;        /* pct of cosines of shuffled pairs (random A row, random B row not among its k best) */
} cmp_match;

/* A and B are raw decoders (row-major, not yet normalised). 0 on success;
 * -1 with a one-line message in err (a value that is not finite, nothing
 * to compare). */
int cmp_match_run(const float *A, int64_t na, const float *B, int64_t nb, int d,
		  const cmp_opts *o, cmp_match *m, char *err, size_t errlen);
void cmp_match_free(cmp_match *m);

/* The threshold a best cosine must pass to count as matched above the
 * baseline: the larger of the random-direction baseline (rand_ab for A
 * rows, rand_ba for B rows) and min_cos. (The shuffled-pair baseline is
 * that of one pair's cosine, shown beside it, not of a best match.) */
float cmp_threshold(const cmp_match *m, int b_side, float min_cos);

/* 1 when B row j is among the k best of A row i in r. */
int cmp_in_top(const knn_result *r, int64_t i, int64_t j);

/* pct-th percentile (0..1) of n values (sorted in place). */
float cmp_percentile(float *v, int64_t n, double pct);

/* A dictionary's random-direction baseline: the best cosine, among its
 * normalised rows X (n x d), of each of CMP_BASELINE_DIRS random unit
 * directions, and the pct-th percentile of those. A property of the
 * dictionary alone: the directions come from one fixed seed, so compare A B,
 * compare B A, family and the browser all give the same figure. */
#define CMP_BASELINE_DIRS 2048
float cmp_random_baseline(const float *X, int64_t n, int d, double pct);

/* -------------------------------------------------------- co-activation */

/* The stored activations of one dictionary's features: per feature its
 * examples (one per context, sorted by context id) with their nonzero
 * tokens, and per feature sums over all of its stored tokens. */
typedef struct {
	int64_t ctx;       /* context id (in the id space shared by both sides) */
	int32_t ntok;      /* tokens of the context */
	int32_t nnz;       /* nonzero tokens */
	int64_t at;        /* first of them in the pools */
} cmp_ex;

typedef struct {
	int64_t n;         /* features (rows 0..n-1) */
	int64_t *off;      /* n + 1: examples of feature i are ex[off[i] .. off[i+1]) */
	cmp_ex *ex;        /* all examples */
	int64_t nex, cap;  /* examples used / allocated */
	int32_t *pos;      /* nonzero tokens' positions (pool) */
	float *val;        /* their activations (pool) */
	int64_t npool, pcap; /* pool entries used / allocated */
	int64_t cur;       /* feature being filled (cmp_acts_push) */
	double *tok;       /* per feature: tokens of its stored contexts */
	double *s, *ss;    /* per feature: sum and sum of squares of activations */
	double *fires;     /* per feature: tokens where it fires (act > 0) */
} cmp_acts;

/* Start a set for n features; push examples feature by feature (feat
 * nondecreasing); done sorts each feature's examples by context and keeps
 * one per context. */
void cmp_acts_init(cmp_acts *a, int64_t n);
void cmp_acts_push(cmp_acts *a, int64_t feat, int64_t ctx, const float *acts, int ntok);
void cmp_acts_done(cmp_acts *a);
void cmp_acts_free(cmp_acts *a);
/* Features with at least one stored example. */
int64_t cmp_acts_covered(const cmp_acts *a);

/* Co-activation of feature a (in A) and b (in B). Activations on a
 * context a feature has no stored example on count as 0. */
typedef struct {
	double corr;       /* Pearson correlation over the tokens of contexts either stored; NAN undefined */
	double share_a;    /* share of a's firing tokens where b fires too; NAN when a never fires */
	double share_b;    /* share of b's firing tokens where a fires too; NAN when b never fires */
	int64_t shared;    /* contexts both have stored */
} cmp_coact;

void cmp_pair(const cmp_acts *A, int64_t a, const cmp_acts *B, int64_t b, cmp_coact *out);

/* Baselines of co-activation: pct-th percentile of corr and of share_a
 * over up to ns shuffled pairs (a random feature of A with a random
 * feature of B, both with stored examples, b not among a's k best in
 * skip when skip is not NULL). NAN when none. */
void cmp_coact_baseline(const cmp_acts *A, const cmp_acts *B, const knn_result *skip, int ns,
			double pct, uint64_t seed, double *corr, double *share);

/* --------------------------------------------------------------- labels */

/* Distance between two labels in [0,1]: 1 - Jaccard similarity of their
 * sets of lower-cased alphanumeric words (words of one letter and a few
 * filler words ignored); 0 when both are empty. */
double cmp_label_distance(const char *x, const char *y);

#endif
