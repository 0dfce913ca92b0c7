/*
 * bpe.h: the GPT-2 byte-level BPE tokenizer, encoding and decoding. The
 * vocabulary (token string in the byte-level alphabet -> id) and the merge
 * list come from vocab.json + merges.txt (the same files as the original
 * encoder.json + vocab.bpe) or from a Hugging Face tokenizer.json
 * (model.vocab, model.merges). Text is first split with GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (PCRE2; \s is the ECMAScript white-space set, as in the reference
 * JavaScript encoder), then each piece's UTF-8 bytes are merged pair by
 * pair, lowest merge rank first. Special tokens in the text (such as
 * "<|endoftext|>") are encoded as ordinary text, as the reference encoder
 * does; bpe_eot() gives the end-of-text id for a BOS.
 */
#ifndef FS_BPE_H
#define FS_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef struct fs_bpe fs_bpe;

/* Load from a folder: tokenizer.json when present, else vocab.json +
 * merges.txt (or encoder.json + vocab.bpe). NULL with "PATH: field: what
 * is wrong" in err. */
fs_bpe *bpe_load_dir(const char *dir, char *err, size_t errlen);
/* Load vocab.json + merges.txt. */
fs_bpe *bpe_load_files(const char *vocab_json, const char *merges_txt, char *err, size_t errlen);
/* Load a tokenizer.json (BPE model only). */
fs_bpe *bpe_load_tokenizer_json(const char *path, char *err, size_t errlen);
/* The same from bytes in memory (fuzzing): vocab and merges text, or a
 * tokenizer.json text; name is used in messages. */
fs_bpe *bpe_load_mem(const char *name, const char *vocab_json, size_t vlen, const char *merges,
		     size_t mlen, char *err, size_t errlen);
fs_bpe *bpe_load_tokenizer_mem(const char *name, const char *json, size_t len, char *err, size_t errlen);
void bpe_free(fs_bpe *b);

/* Ids 0..n-1 (the largest id + 1). */
int bpe_vocab_size(const fs_bpe *b);
/* Id of "<|endoftext|>", or -1 when the vocabulary has none. */
int bpe_eot(const fs_bpe *b);
/* The bytes of a token (not NUL-terminated: len), NULL for an unknown id. */
const uint8_t *bpe_token_bytes(const fs_bpe *b, int id, size_t *len);

/* Encode n bytes of UTF-8 text. Appends to *ids (and, when offs is not
 * NULL, to *offs the byte offset in text where each token starts), growing
 * them with realloc; *n is the count before and after, *cap the
 * allocation (the same for both arrays). 0, or -1 with "byte N: not UTF-8"
 * in err for invalid text. Not thread-safe on one fs_bpe (a cache). */
int bpe_encode(fs_bpe *b, const char *text, size_t n, int32_t **ids, uint32_t **offs,
	       int64_t *count, int64_t *cap, char *err, size_t errlen);
/* Pair lookups in the merge table since the load: the work encoding has
 * done, for tests that bound it (a count, not a time). */
uint64_t bpe_lookups(const fs_bpe *b);
/* Decode ids to bytes, appended to out; -1 (err) for an unknown id. */
int bpe_decode(const fs_bpe *b, const int32_t *ids, int64_t n, fs_buf *out, char *err, size_t errlen);

#endif
