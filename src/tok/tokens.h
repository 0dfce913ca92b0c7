/*
 * tokens.h: turning the token strings other tools write into bytes.
 * GPT-2 style byte-level BPE maps every byte to a printable code point
 * ('Ġ' is a space, 'âĢĻ' the three bytes of '’'); SentencePiece marks a
 * space with '▁' and may spell bytes as <0xHH>. Vocabulary files turn token
 * ids into such strings. A context is built from a token sequence as one
 * byte string plus exact token boundaries: a token holding part of a UTF-8
 * character stays its own token, the display joins the bytes.
 */
#ifndef FS_TOKENS_H
#define FS_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* How token strings are spelled. */
typedef enum {
	TOK_AUTO = 0,     /* decide per context (byte-level when that yields valid UTF-8) */
	TOK_PLAIN,        /* already text */
	TOK_BYTELEVEL,    /* GPT-2 byte-level alphabet */
	TOK_SPIECE        /* SentencePiece: '▁' is a space, <0xHH> a byte */
} tok_mode;

/* Parse "auto", "plain", "bytelevel"/"gpt2", "sentencepiece"/"spm"; -1 if unknown. */
int tok_mode_parse(const char *s);
const char *tok_mode_name(int mode);

/* The byte-level alphabet: the code point that stands for byte b, and the
 * byte a code point stands for (-1 when it is not in the alphabet). */
uint32_t tok_bl_char(unsigned b);
int tok_bl_byte(uint32_t cp);

/* Decode one token string (UTF-8, n bytes) in MODE, appending bytes to out.
 * TOK_AUTO decodes byte-level when every character is in the alphabet and
 * the result is valid UTF-8, else keeps the text. Characters outside the
 * byte-level alphabet are kept as they are in TOK_BYTELEVEL (files that
 * mix decoded and encoded tokens exist). */
void tok_decode(const char *s, size_t n, int mode, fs_buf *out);
/* Same, as a new NUL-terminated string. */
char *tok_decode_str(const char *s, int mode);

/* Statistics over a sample of token strings, to guess the spelling. */
typedef struct {
	int64_t n;          /* tokens seen */
	int64_t outside;    /* tokens with a character outside the byte-level alphabet */
	int64_t marked;     /* tokens with a remapped byte (U+0100..U+0143: Ġ, Ċ, ...) */
	int64_t spiece;     /* tokens with '▁' or of the form <0xHH> */
} tok_stats;
void tok_stats_add(tok_stats *st, const char *s, size_t n);
/* TOK_BYTELEVEL when every token is in the alphabet and some hold Ġ/Ċ-like
 * marks, TOK_SPIECE when '▁' is seen, else TOK_AUTO. */
int tok_stats_mode(const tok_stats *st);

/* A context under construction: bytes and token boundaries. */
typedef struct {
	fs_buf text;        /* concatenated bytes */
	uint32_t *off;      /* ntok + 1 boundaries */
	int ntok;           /* tokens */
	int cap;            /* entries allocated in off */
} tok_ctx;
/* Build from ntok token strings (lens may be NULL for NUL-terminated ones).
 * In TOK_AUTO the whole context is decoded byte-level only when that gives
 * valid UTF-8 (a partial character at either end is allowed when remapped
 * bytes such as Ġ appear) and changes something; else it is taken as
 * text. Returns the mode used. */
int tok_ctx_build(tok_ctx *c, const char *const *toks, const size_t *lens, int ntok, int mode);
void tok_ctx_free(tok_ctx *c);

/* A vocabulary: id -> token string as spelled in the file. */
typedef struct {
	char **tok;         /* tokens by id (NULL for an id with no token) */
	uint32_t *len;      /* their lengths in bytes */
	int64_t n;          /* ids 0..n-1 */
	int mode;           /* spelling guessed from the file (TOK_*) */
} tok_vocab;
/* Ids above this are refused (a vocabulary that would need absurd memory). */
#define TOK_VOCAB_MAX_ID (1 << 26)
/* Load a plain token list (line i+1 is token i, C escapes \n \t \r \\
 * \xHH). 0, or -1 with "FILE:LINE: token: what is wrong" in err. The JSON
 * vocabularies (vocab.json, tokenizer.json, lists) are the importers'
 * (import/vocab.c), built with tok_vocab_put. */
int tok_vocab_load(const char *path, tok_vocab *v, char *err, size_t errlen);
/* Token id of v becomes s (n bytes); *cap is the allocated id count,
 * 0 for a new vocabulary. */
void tok_vocab_put(tok_vocab *v, int64_t id, const char *s, size_t n, int64_t *cap);
void tok_vocab_free(tok_vocab *v);
/* Token string of id, or NULL when out of range/absent. */
const char *tok_vocab_get(const tok_vocab *v, int64_t id, size_t *len);

#endif
