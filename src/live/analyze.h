/*
 * analyze.h: the analysis of a text by the live model, the one sequence
 * every front end runs (`featscope analyze`, the prompt screen): the text
 * tokenized, run through the model in its windows (live_windows: any
 * length, in memory bounded by the context), each token's activations at
 * the dictionary's hook encoded to its strongest features, and the tokens
 * handed over in order, each with its next-token losses once they are
 * known. A text may come in pieces (standard input): live_text_cut says
 * where a piece may end so that the pieces' tokens are the whole text's.
 * Nothing here prints; what a token's features mean (labels, densities,
 * totals) is the caller's.
 */
#ifndef FS_LIVE_ANALYZE_H
#define FS_LIVE_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "live/live.h"

/* The longest run of text without a place to cut (live_text_cut) before
 * it is cut at a character boundary. */
#define LIVE_PIECE_MAX (1 << 20)

/* The last place in b[0..n) where a piece of a text may end, 0 when there
 * is none yet (read on): where the tokenizer would cut the whole text
 * too, before an ASCII space that follows a printable ASCII character, or
 * before a printable ASCII character that follows such a character and a
 * newline (GPT-2's pre-split pieces never cross either; a byte-level
 * model cuts anywhere). A run of LIVE_PIECE_MAX bytes without such a
 * place is cut at a character boundary. */
size_t live_text_cut(const char *b, size_t n);

/* One token as the analysis hands it over. */
typedef struct {
	int64_t pos;         /* its position in the text */
	int64_t start, end;  /* its bytes in the text */
	int *idx;            /* [k] its features, strongest first, -1 unused (the
			      * callee may overwrite them) */
	float *val;          /* [k] their activations */
	int has_loss;        /* the losses below are known (every token but the last,
			      * when losses were asked) */
	float loss;          /* next-token loss (nats) of the pass without steering */
	float loss_steered;  /* the same with the steering hook (0 without one) */
} live_token;

/* Takes a token; nonzero stops the analysis (returned by push and end). */
typedef int (*live_token_fn)(void *ud, live_token *t);

/* A text on its way through the model. */
typedef struct {
	live_sae *sae;        /* the dictionary (bound to the model) */
	live_model *m;        /* the model */
	int k;                /* features kept per token */
	int want_loss;        /* losses asked */
	int steered;          /* a steering hook runs: losses of both passes */
	live_windows lw;      /* the windows */
	int *idx;             /* [ctx][k] a window's features, then pidx */
	float *val;           /* [ctx][k] their activations, then pval */
	int64_t *span;        /* [2 * n] bytes of the tokens pushed and not handed over:
			       * span[2 * (i - qh)], span[2 * (i - qh) + 1] */
	int qh, qn, qcap;     /* tokens held: [qh, qn) of span, room for qcap */
	int64_t q_pos;        /* position of the token at qh */
	int have_pend;        /* a window's last token waits for its loss (the next
			       * window's first) */
	int *pidx;            /* [k] its features (in idx's block) */
	float *pval;          /* [k] (in val's block) */
	int64_t ntok;         /* tokens pushed */
	live_token_fn fn;     /* during a push or end: where tokens go */
	void *ud;             /* passed to fn */
} live_analysis;

/* Start an analysis with the dictionary s on model m: k features per
 * token, the hook `inner` (steering; may be NULL) run where the
 * dictionary reads, losses when want_loss (of the passes with and
 * without inner when there is one), stopping between windows once
 * *cancel (read atomically; may be NULL) is set. 0, or -1 when the model
 * has no such point or its context is empty. */
int live_analysis_init(live_analysis *a, live_model *m, live_sae *s, const live_hook *inner, int k, int want_loss,
		       const int *cancel);
/* Tokenize text[0..n), the text's bytes from offset at (a piece ending
 * where live_text_cut allows, or the rest of the text), and run every
 * window it completes, handing each token whose features (and losses,
 * when asked) are known to fn. 0 ok, 1 cancelled, -1 an error of the
 * model, else fn's nonzero value. */
int live_analysis_push(live_analysis *a, const char *text, size_t n, int64_t at, live_token_fn fn, void *ud);
/* The text is complete: the last window, and the last token (same
 * returns). */
int live_analysis_end(live_analysis *a, live_token_fn fn, void *ud);
/* The first byte of the text a token not yet handed over starts at, -1
 * when none waits: a caller keeping the text may drop what is before it. */
int64_t live_analysis_held(const live_analysis *a);
void live_analysis_free(live_analysis *a);

/* A whole text analysed at once (the prompt screen). */
typedef struct {
	int ntok;            /* tokens handed over (all of the text's unless cancelled) */
	uint32_t *off;       /* [ntok + 1] byte offsets: token i is text[off[i] .. off[i+1]) */
	int *idx;            /* [ntok][k] features, strongest first, -1 unused */
	float *val;          /* [ntok][k] activations */
} live_analyzed;

/* Analyse text[0..len) (no losses, no steering) into *out (k features a
 * token; its three arrays malloc'd, NULL when no token was handed over,
 * the caller's to free). Same returns as push. */
int live_analyze(live_model *m, live_sae *s, const char *text, size_t len, int k, const int *cancel,
		 live_analyzed *out);

#endif
