/*
 * bpe_int.h: what the tokenizer's two files share (bpe.c, the merge engine
 * and encoding; bpe_json.c, reading tokenizer.json, tokenizer_config.json,
 * vocab.json and merges.txt): struct fs_bpe and the steps of a Hugging Face
 * tokenizer pipeline (normalisers, pre-tokenizers, added tokens). Only for
 * those two files.
 */
#ifndef FS_BPE_INT_H
#define FS_BPE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include "tok/bpe.h"

#include <pcre2.h>

/* One cached piece: its bytes and tokens. */
typedef struct {
	uint64_t h;         /* hash of the bytes, 0 when empty */
	char *s;            /* the bytes */
	uint32_t n;         /* byte count */
	int32_t *ids;       /* tokens */
	uint32_t *rel;      /* where each starts in the piece */
	uint32_t nids;      /* token count */
} cache_ent;

/* A merge: the pair (a, b) becomes id at rank. */
typedef struct {
	uint64_t key;       /* a << 32 | b, plus 1 so 0 means empty */
	int32_t rank;       /* position in the merge list */
	int32_t id;         /* the merged token */
} merge_ent;

/* A vocabulary entry in the key -> id hash. */
typedef struct {
	uint64_t h;         /* hash of the key, 0 when empty */
	int32_t id;         /* token id */
} vocab_slot;

/* A candidate merge: the pair whose left token is at pos, of rank rank. */
typedef struct {
	int32_t rank;       /* the pair's merge rank when pushed */
	uint32_t pos;       /* byte position of its left token in the piece */
} bpe_cand;

/* A normaliser step, applied in order to each stretch of text between
 * added tokens. */
enum { NORM_NFC, NORM_REPLACE, NORM_PREPEND };
typedef struct {
	int kind;
	char *pat;          /* NORM_REPLACE: the string replaced */
	size_t plen;
	char *rep;          /* NORM_REPLACE: its replacement; NORM_PREPEND: the prefix */
	size_t rlen;
} bpe_norm;

/* A pre-tokenizer step: a split of every piece so far by a pattern (a
 * regex or a literal string), the delimiters kept as Hugging Face's
 * SplitDelimiterBehavior says. */
enum { BEH_ISOLATED, BEH_REMOVED, BEH_PREV, BEH_NEXT, BEH_CONTIG };
typedef struct {
	pcre2_code *re;     /* the regex (NULL: the literal) */
	pcre2_match_data *md;
	int jit;
	char *lit;          /* the literal string */
	size_t llen;
	int beh;            /* BEH_* */
} bpe_pre;

/* An added token: matched in the raw text before anything else. */
typedef struct {
	char *s;            /* its content */
	size_t n;
	int32_t id;
	int lstrip, rstrip; /* white space on that side is dropped */
} bpe_added;

struct fs_bpe {
	char *name;             /* file for messages */
	int n;                  /* ids 0..n-1 */
	uint8_t **key;          /* the vocabulary string by id, as pieces are spelled
				 * (byte-level: raw bytes; else UTF-8 text) */
	uint32_t *klen;         /* their lengths */
	uint8_t **tok;          /* the decoded bytes by id (NULL: no token; may be key[id]) */
	uint32_t *len;          /* their lengths */
	vocab_slot *vs;         /* key -> id, open addressing */
	size_t vcap;            /* slots (power of two) */
	size_t vused;           /* slots in use */
	merge_ent *ms;          /* pair -> merge, open addressing */
	size_t mcap;            /* slots (power of two) */
	int bytelevel;          /* pieces start as one token per byte (GPT-2's alphabet) */
	int legacy;             /* GPT-2's own tokenizer: no added-token split */
	int gpt2_shape;         /* GPT-2's pipeline (vocab.json + merges.txt give the same) */
	int byte_fallback;      /* an unknown character becomes its <0xXX> tokens */
	int ignore_merges;      /* a piece that is a vocabulary entry is one token */
	int unk;                /* the unknown token, -1 none */
	int32_t byte_id[256];   /* byte-level: the token of each single byte (-1 none) */
	int32_t fb_id[256];     /* byte fallback: <0xXX> (-1 none) */
	int eot;                /* "<|endoftext|>" or -1 */
	int bos, eos, adds_bos; /* from tokenizer_config.json and the post-processor */
	bpe_norm *norm;         /* normaliser steps */
	int nnorm;
	bpe_pre *pre;           /* pre-tokenizer steps */
	int npre;
	bpe_added *added;       /* added tokens, longest first */
	int nadded;
	uint8_t added_first[256]; /* a byte an added token starts with */
	int32_t *ahash;         /* content -> index in added, open addressing (-1 empty) */
	size_t acap;            /* its slots (power of two) */
	uint32_t *alens;        /* the distinct content lengths, longest first */
	int nalens;
	char *strip;            /* decoder Strip: content removed from the decoded start */
	size_t striplen;
	int strip_n;            /* how many times at most */
	cache_ent *cache;       /* encoded pieces */
	int32_t *w;             /* scratch: tokens of the piece being merged */
	uint32_t *wl;           /* scratch: their byte lengths (later: start positions) */
	size_t wcap;            /* scratch entries */
	int32_t *nx, *pv;       /* scratch: next and previous token of each position (-1 none) */
	uint32_t *round;        /* scratch: the positions of one merge round */
	bpe_cand *heap;         /* scratch: candidate merges */
	size_t nh, hcap;        /* candidates in the heap, room */
	uint64_t lookups;       /* pair lookups made while encoding (bpe_lookups) */
};

/* bpe.c, for the loader. */
uint64_t bpe_hash(const void *p, size_t n);
int bpe_vocab_find(const fs_bpe *b, const void *s, size_t n);
/* Map key -> id, replacing an earlier id of the same key when replace. */
void bpe_vocab_set(fs_bpe *b, int id, int replace);
void bpe_merges_alloc(fs_bpe *b, size_t count);
void bpe_merge_add(fs_bpe *b, int32_t x, int32_t y, int32_t rank, int32_t id);
/* The loader is done: index the added tokens (sorted longest first),
 * allocate the encoder's cache. */
void bpe_ready(fs_bpe *b);
/* Compile a pre-tokenizer regex written for JavaScript/Oniguruma (the
 * reference's dialect) to PCRE2; -1 with err. */
int bpe_pre_regex(bpe_pre *p, const char *pattern, const char *where, char *err, size_t errlen);
/* The default, GPT-2's pattern. */
extern const char bpe_gpt2_pattern[];

#endif
