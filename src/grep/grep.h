/*
 * grep.h: the concept probe. A PCRE2 pattern describes a concept on the
 * text; grep scans every context of an index (its text chunks, on worker
 * threads that each own a read-only SQLite connection), maps each match to
 * the tokens it overlaps, and ranks the features whose stored examples
 * carry activation on those tokens.
 *
 * Definitions (per feature F; "matched tokens" are the tokens that overlap
 * a non-empty match; only contexts where F has a stored example count):
 *   mass      sum of F's activations on matched tokens over its examples
 *   precision mass / F's act_mass (the sum of its activations over all of
 *             its stored examples): the share of what F was seen doing
 *             that falls inside matches
 *   recall    matched tokens where F fires (activation > 0) / matched
 *             tokens in contexts where F has an example
 *   f1        2 * precision * recall / (precision + recall)
 *   contexts  matched contexts on which F fires on a matched token
 * Features with zero mass are not reported. Ties break by mass, then fid.
 *
 * Semantics: each context is its own subject (^ and $ are its ends; a
 * match never spans two contexts); empty matches are ignored. For speed a
 * whole-chunk prefilter (a byte-pair finder for plain strings, else the
 * pattern with NUL as newline) picks candidate contexts, which are then
 * matched on their own, so results are the same as without it
 * (GREP_NOFILTER). Text that is not valid UTF-8 never matches where it is
 * invalid (PCRE2_MATCH_INVALID_UTF); valid text is checked once.
 *
 * The library API is what the TUI's regex screen uses: grep_start runs a
 * scan on a background thread, calls back with partial rankings while
 * chunks complete and with the final one at the end; grep_cancel stops it,
 * grep_finished polls it and grep_join collects it. grep_scan is the same,
 * blocking, with callbacks on the calling thread. Files: grep_pattern.c,
 * grep_scan.c, grep_stats.c (the engine), grep.c (the command line).
 */
#ifndef FS_GREP_H
#define FS_GREP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "index/index.h"

/* Ranking keys. */
typedef enum {
	GREP_SORT_F1, GREP_SORT_MASS, GREP_SORT_PRECISION, GREP_SORT_RECALL,
	GREP_SORT_CONTEXTS,
	GREP_N_SORTS          /* how many */
} grep_sort;

/* Most worker threads of a scan (grep_opts.threads is capped to it). */
#define GREP_MAX_THREADS 8

/* Parse "f1", "mass", "precision", "recall", "contexts"; -1 when unknown.
 * The names are in one table (grep_stats.c), with a title for screens. */
int grep_sort_parse(const char *s);
/* The key's name ("f1", ...) and its title ("F1", ...); f1's for a value
 * out of range. */
const char *grep_sort_name(grep_sort s);
const char *grep_sort_title(grep_sort s);

/* Compile flags. */
enum {
	GREP_CASELESS = 1,    /* -i */
	GREP_LITERAL = 2,     /* the pattern is a plain string, not a regex */
	GREP_TOKEN = 4,       /* mark only tokens whose text (whitespace
	                         trimmed) equals a whole match (featscope token) */
	GREP_NOFILTER = 8     /* no whole-chunk prefilter: match every context
	                         on its own (same results, slower; for checks) */
};

typedef struct grep_pattern grep_pattern;

/* The ASCII whitespace (space, \t, \n, \r, \f, \v) that GREP_TOKEN trims
 * from a token's text. */
int grep_is_space(unsigned char c);

/* Compile PATTERN (UTF-8; Unicode properties for \w \d \b unless literal)
 * with JIT. NULL on a bad pattern, with err set to
 * "bad pattern at offset N: MESSAGE". */
grep_pattern *grep_compile(const char *pattern, unsigned flags,
			   char *err, size_t errlen);
void grep_pattern_free(grep_pattern *p);
/* The byte spans [spans[2k], spans[2k+1]) of p's matches in text[0, n),
 * left to right, at most max of them (text need not be valid UTF-8).
 * Returns the count. For showing one context's matches. */
int grep_pattern_spans(const grep_pattern *p, const char *text, size_t n, size_t *spans, int max);

/* One ranked feature. */
typedef struct {
	int64_t fid;          /* feature */
	double mass;          /* activation on matched tokens */
	double precision;     /* mass / the feature's act_mass */
	double recall;        /* fire / cover */
	double f1;            /* harmonic mean of precision and recall */
	int64_t fire;         /* matched tokens on which it fires */
	int64_t cover;        /* matched tokens in contexts where it has an example */
	int64_t contexts;     /* matched contexts where it fires on a matched token */
} grep_hit;

/* A ranking, partial or final. */
typedef struct {
	grep_hit *hits;       /* best first, at most the limit */
	int n;                /* entries in hits */
	int64_t n_features;   /* features with mass > 0 (before the limit) */
	int64_t matches;      /* non-empty matches found */
	int64_t ctx_matched;  /* contexts with a match */
	int64_t tok_matched;  /* tokens overlapped by a match */
	uint64_t bytes_done;  /* text scanned so far (a finished scan: all of
	                         it, chunks the index's text-gram filter ruled
	                         out for a plain string included) */
	uint64_t bytes_total; /* text in the index */
	int64_t chunks_done;  /* chunks scanned or ruled out so far */
	int64_t chunks_total; /* chunks in the index */
	double seconds;       /* since the scan started */
} grep_result;
void grep_result_free(grep_result *r);

/* Called with a ranking; final is 1 for the last call of a scan. The
 * result is only valid during the call (copy what you keep). */
typedef void (*grep_cb)(void *ud, const grep_result *r, int final);

/* Scan options; zero-initialise, then set what you need. */
typedef struct {
	int sae;              /* only this dictionary's features; 0 = all */
	grep_sort sort;       /* ranking key (default f1) */
	int limit;            /* hits kept in a ranking; <= 0 means 20 */
	int threads;          /* worker threads; 0 = online CPUs (at most 8) */
	uint32_t match_limit; /* PCRE2 match limit per context; 0 = 2,000,000 */
	atomic_int *cancel;   /* when non-NULL and non-zero, the scan stops */
	grep_cb on_result;    /* partial and final rankings; may be NULL */
	void *ud;             /* passed to on_result */
	double interval;      /* seconds between partial calls; 0 = 0.1 */
} grep_opts;

/* Outcome of a scan. */
enum {
	GREP_DONE = 0,        /* scanned everything */
	GREP_CANCELLED = 1,   /* stopped by the cancel flag: out holds a partial ranking */
	GREP_ERR = -1,        /* index error (message in err) */
	GREP_ELIMIT = -2      /* a context hit the match limit (message in err) */
};

/* Scan the index at index_path(ix). The thread contract: the scan runs
 * no query on ix's connection. It reads only what index_open recorded and
 * nothing changes after open: the path, the counts and the identity of
 * the file (index_same_file: a file rebuilt since is refused); every
 * worker opens a connection of its own, and the first one also reads the
 * feature table. So the caller may go on querying ix on its own thread
 * while a scan runs on another, and ix must stay open until the scan
 * returns. Fills *out (free with grep_result_free) unless an error is
 * returned. */
int grep_scan(fs_index *ix, const grep_pattern *p, const grep_opts *o,
	      grep_result *out, char *err, size_t errlen);

/* Background scan: grep_start copies o, runs grep_scan on a new thread
 * and returns at once (NULL when no thread can be started). Callbacks run
 * on that thread, so on_result must not use the caller's connection
 * either: copy the ranking under a lock of its own and look features up
 * on the caller's thread. grep_cancel asks the scan to stop (it stops
 * within a chunk); grep_finished says, without waiting, whether the scan
 * has returned (its final callback, if any, is done); grep_join waits,
 * returns grep_scan's code (GREP_CANCELLED after a cancel that came in
 * time), fills *out when non-NULL and frees the job. The pattern and the
 * index must outlive the job. */
typedef struct grep_job grep_job;
grep_job *grep_start(fs_index *ix, const grep_pattern *p, const grep_opts *o);
void grep_cancel(grep_job *j);
int grep_finished(grep_job *j);
int grep_join(grep_job *j, grep_result *out, char *err, size_t errlen);

/* Contexts whose text contains the literal s (caseless when asked), in
 * id order, at most limit (stops scanning once found). For text that is
 * not words (code, DNA, CJK), where full-text search cannot help. *ctx is
 * malloc'd. Uses its own connection to ix's file (safe on any thread).
 * Returns the count, -1 with err on error. */
int grep_substring(fs_index *ix, const char *s, int caseless, int limit,
		   int64_t **ctx, char *err, size_t errlen);
/* The context search of `featscope search` and the browser's: full-text
 * (index_search, phrase when not valid syntax) and, when that finds
 * nothing or substring is set, a literal scan (grep_substring, case
 * kept). *how gets GREP_SEARCH_FTS, _PHRASE or _SUBSTRING. Count, -1 with
 * err. */
enum { GREP_SEARCH_FTS, GREP_SEARCH_PHRASE, GREP_SEARCH_SUBSTRING };
int grep_search_contexts(fs_index *ix, const char *query, int substring, int limit,
			 int64_t **ctx, int *how, char *err, size_t errlen);
/* Where query matched in a context's text (grep_match.c): the whole query
 * (as the substring search and a phrase find it; ASCII letters without
 * case), else the first occurrence of any of its words; *mlen 0 when
 * neither is there. */
void grep_search_match(const char *query, const char *text, size_t len, size_t *off, size_t *mlen);
/* A stored feature of a context, ranked for a search: on_match 1 when it
 * fires on a token overlapping the match, act its strongest activation
 * there (at token pos); else act and pos are its maximum on the context. */
typedef struct {
	int64_t fid;
	float act;
	int pos;
	int on_match;
} grep_span_feature;
/* The features stored with context c, those firing on the match
 * [off, off + mlen) first by their activation there, then the others by
 * their maximum; at most limit. *out malloc'd. Count, -1 on a read error. */
int grep_span_features(fs_index *ix, const fs_context *c, size_t off, size_t mlen, int limit,
		       grep_span_feature **out);


/* ---- internals exposed for unit tests ---- */

/* Mark tokens overlapped by the byte spans [s[2k], s[2k+1]) (k < nspan),
 * given ntok + 1 token offsets; marked[] gets 1 for a matched token.
 * With exact, a token is marked only when its text without surrounding
 * ASCII whitespace (in text) is exactly one of the spans. Returns the
 * number of marked tokens. */
int grep_mark_tokens(const size_t *spans, int nspan, const uint32_t *tok_off,
		     int ntok, const char *text, int exact, uint8_t *marked);

/* Per-feature sums, indexed by fid. */
typedef struct {
	int64_t nfid;         /* entries (fids 0..nfid-1) */
	double *mass;         /* activation on matched tokens */
	int64_t *fire;        /* matched tokens where it fires */
	int64_t *cover;       /* matched tokens in its example contexts */
	int64_t *contexts;    /* matched contexts where it fires */
	int64_t *last_ctx;    /* last context counted in contexts */
} grep_acc;
void grep_acc_init(grep_acc *a, int64_t nfid);
void grep_acc_free(grep_acc *a);
/* Fold one example (feature fid on context ctx, dense acts) into a. */
void grep_acc_example(grep_acc *a, int64_t fid, int64_t ctx, const float *acts,
		      int ntok, const uint8_t *marked);
/* Rank the features of a: act_mass[fid] and sae_of[fid] (may be NULL)
 * describe the features; only dictionary sae (0: all). Fills r->hits,
 * r->n and r->n_features. */
void grep_rank(const grep_acc *a, const double *act_mass, const int *sae_of,
	       int sae, grep_sort sort, int limit, grep_result *r);

#endif
