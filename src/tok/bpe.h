/*
 * bpe.h: the BPE tokenizers of the models featscope runs: GPT-2's
 * byte-level BPE (vocab.json + merges.txt, or encoder.json + vocab.bpe),
 * and a Hugging Face tokenizer.json with model BPE (Llama 3, Qwen, Pythia:
 * byte-level; Gemma: byte fallback with the ▁ normaliser), read with the
 * tokenizer_config.json beside it.
 *
 * The pipeline, as the reference (Hugging Face's tokenizers, and its
 * JavaScript port transformers.js, which the tests compare against) runs
 * it:
 *   1. added tokens (added_tokens: special or not) are found in the raw
 *      text first, the longest at the leftmost position; each is its id;
 *      lstrip/rstrip drop the white space beside it;
 *   2. each stretch between them goes through the normaliser (NFC through
 *      utf8proc, Replace of a string, Prepend, Sequence of them);
 *   3. the pre-tokenizer splits it into pieces (Split by a regex, PCRE2 in
 *      JavaScript's reading of it: \s is ECMAScript's white space, and
 *      Python's (?i:'s|...) is rewritten as the reference does; Split by a
 *      string; ByteLevel with GPT-2's pattern; Sequence of them, each
 *      splitting every piece of the one before);
 *   4. each piece is merged pair by pair, lowest merge rank first, from one
 *      symbol per byte (byte-level) or per character (else); with
 *      ignore_merges a piece that is itself a vocabulary entry is one
 *      token; a character outside the vocabulary becomes its <0xXX>
 *      tokens (byte_fallback) or the unknown token.
 * A tokenizer.json without normalizer, pre_tokenizer and decoder, or with
 * GPT-2's own pipeline (ByteLevel with its pattern, no normaliser) and no
 * added token outside the vocabulary, is read as GPT-2's (its split
 * pattern; special tokens spelled as text, as GPT-2's own encoder does and
 * as featscope always read GPT-2). Anything else a tokenizer.json asks for
 * (another model type, normaliser, pre-tokenizer, decoder or
 * post-processor) is refused with one line naming the file and field.
 *
 * Encoding never adds BOS; bpe_bos() and bpe_adds_bos() say what the
 * model's tokenizer puts before a text, for the runtime to add.
 *
 * Invalid UTF-8 (bpe_encode_bytes): each maximal valid run is encoded as
 * above, on its own, and each byte that is not part of valid UTF-8 is one
 * token, bpe_byte_token(): its single-byte token for byte-level BPE (the
 * rule GPT-2's architecture already follows), its <0xXX> token with byte
 * fallback, else the unknown token. Decoding gives the bytes back.
 *
 * Offsets: the byte offset in the original text where each token starts,
 * nondecreasing. A token made from normalised text points at the original
 * byte it came from (the ▁ of a space at the space; a prefix the
 * normaliser added at the first byte; text NFC changed at the start of the
 * stretch NFC changed); the byte tokens of one byte-fallback character
 * share its offset.
 */
#ifndef FS_BPE_H
#define FS_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef struct fs_bpe fs_bpe;

/* Load from a folder: tokenizer.json (with tokenizer_config.json when
 * there) when present, unless it is GPT-2's own pipeline and vocab.json +
 * merges.txt are there too (then those, as before); else vocab.json +
 * merges.txt (or encoder.json + vocab.bpe). NULL with "PATH: field: what
 * is wrong" in err. */
fs_bpe *bpe_load_dir(const char *dir, char *err, size_t errlen);
/* Load vocab.json + merges.txt. */
fs_bpe *bpe_load_files(const char *vocab_json, const char *merges_txt, char *err, size_t errlen);
/* Load a tokenizer.json (BPE model only), and the tokenizer_config.json
 * in its folder when there is one. */
fs_bpe *bpe_load_tokenizer_json(const char *path, char *err, size_t errlen);
/* The same from bytes in memory (fuzzing): vocab and merges text, or a
 * tokenizer.json text (and a tokenizer_config.json text, cfg NULL for
 * none); names are used in messages. */
fs_bpe *bpe_load_mem(const char *name, const char *vocab_json, size_t vlen, const char *merges,
		     size_t mlen, char *err, size_t errlen);
fs_bpe *bpe_load_tokenizer_mem(const char *name, const char *json, size_t len, char *err, size_t errlen);
fs_bpe *bpe_load_tokenizer_cfg_mem(const char *name, const char *json, size_t len, const char *cname,
				   const char *cfg, size_t clen, char *err, size_t errlen);
void bpe_free(fs_bpe *b);

/* Ids 0..n-1 (the largest id of the vocabulary and the added tokens + 1):
 * what the architecture checks against its config's vocab_size. */
int bpe_vocab_size(const fs_bpe *b);
/* Id of "<|endoftext|>", or -1 when the vocabulary has none. */
int bpe_eot(const fs_bpe *b);
/* BOS and EOS (tokenizer_config.json's bos_token / eos_token, else the
 * post-processor's first special token for BOS), -1 for none. */
int bpe_bos(const fs_bpe *b);
int bpe_eos(const fs_bpe *b);
/* Whether the model's tokenizer puts BOS before a text (add_bos_token,
 * else a TemplateProcessing post-processor that starts with it). */
int bpe_adds_bos(const fs_bpe *b);
/* The token of one raw byte that is not valid UTF-8 (see above), -1 none. */
int bpe_byte_token(const fs_bpe *b, uint8_t byte);
/* The id of a token by its text (an added token's content, or a
 * vocabulary string as pieces spell it), -1 none. */
int bpe_token_id(const fs_bpe *b, const char *s, size_t n);
/* The bytes of a token (not NUL-terminated: len), NULL for an unknown id:
 * what decoding gives (▁ as a space, <0xXX> as its byte). */
const uint8_t *bpe_token_bytes(const fs_bpe *b, int id, size_t *len);

/* Encode n bytes of UTF-8 text. Appends to *ids (and, when offs is not
 * NULL, to *offs the byte offset in text where each token starts), growing
 * them with realloc; *n is the count before and after, *cap the
 * allocation (the same for both arrays). 0, or -1 with "byte N: not UTF-8"
 * in err for invalid text. Not thread-safe on one fs_bpe (a cache). */
int bpe_encode(fs_bpe *b, const char *text, size_t n, int32_t **ids, uint32_t **offs,
	       int64_t *count, int64_t *cap, char *err, size_t errlen);
/* The same for any bytes: invalid UTF-8 as the rule above says. */
int bpe_encode_bytes(fs_bpe *b, const char *text, size_t n, int32_t **ids, uint32_t **offs,
		     int64_t *count, int64_t *cap, char *err, size_t errlen);
/* Pair lookups in the merge table since the load: the work encoding has
 * done, for tests that bound it (a count, not a time). */
uint64_t bpe_lookups(const fs_bpe *b);
/* Decode ids to bytes, appended to out; -1 (err) for an unknown id. The
 * decoder's Strip (a prefix the normaliser added) is applied at the start. */
int bpe_decode(const fs_bpe *b, const int32_t *ids, int64_t n, fs_buf *out, char *err, size_t errlen);

#endif
