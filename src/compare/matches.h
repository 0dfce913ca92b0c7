/*
 * matches.h: a feature's best decoder match in every other dictionary of
 * its index (same width), each against that dictionary's random-direction
 * baseline: the "matches" line of `featscope show` and of the browser's
 * feature page. A cmp_matcher keeps the normalised decoders it loaded, so
 * a session that asks again (the browser, a feature after another) pays
 * for each dictionary once.
 */
#ifndef FS_COMPARE_MATCHES_H
#define FS_COMPARE_MATCHES_H

#include <stdint.h>

#include "index/index.h"

typedef struct cmp_matcher cmp_matcher;

/* The most a dictionary's decoder may take to hold (the stored and the
 * normalised rows, 8 bytes a value): a larger one is named, not read (at
 * d_model 2304, about 58,000 features). */
#define CMP_BEST_MAX_BYTES ((int64_t)1 << 30)

/* The best match in one other dictionary. */
typedef struct {
	const fs_sae *sae; /* that dictionary (owned by the index) */
	int64_t row;       /* its best row (the feature SAE/row); -1 when its
	                      decoder is over CMP_BEST_MAX_BYTES (not read) */
	float cos;         /* their decoder cosine */
	float baseline;    /* that dictionary's random baseline (p99) */
} cmp_best;

/* cmp_best_matches' answer when the feature's own decoder is over
 * CMP_BEST_MAX_BYTES (not read). */
#define CMP_BEST_TOO_BIG (-2)

cmp_matcher *cmp_matcher_new(void);
void cmp_matcher_free(cmp_matcher *m);
/* Drop what was loaded from ix (before it is closed). */
void cmp_matcher_forget(cmp_matcher *m, const fs_index *ix);

/* The best match of row `row` of dictionary `sae` in each other
 * dictionary of ix whose decoder is stored at the same width: up to max
 * into out, in the index's order of dictionaries. The count (0 without
 * loading anything when ix has no other dictionary of that width); -1
 * when the feature's own decoder is not stored (nothing to match). */
int cmp_best_matches(cmp_matcher *m, fs_index *ix, int sae, int64_t row, cmp_best *out, int max);

/* 1 when cmp_best_matches for dictionary sae would read nothing (every
 * decoder it needs is held already, or not stored, or too large): the
 * browser asks first and reads the decoders in an idle step otherwise. */
int cmp_best_ready(cmp_matcher *m, fs_index *ix, int sae);

/* What both front ends print after "matches:": "SAE/N cos C; none in
 * SAE above B; ..." (names escaped); malloc'd, NULL when n <= 0. */
char *cmp_best_line(const cmp_best *v, int n);

#endif
