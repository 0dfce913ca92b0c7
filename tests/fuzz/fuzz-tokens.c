/*
 * fuzz-tokens.c: libFuzzer target for token decoding (src/tok/tokens.h): GPT-2
 * byte-level and SentencePiece spellings in every mode, building a context
 * from token strings (tok_ctx_build, whose boundaries must stay inside the
 * text and in order), and loading the input as a vocabulary file (plain
 * list with C escapes, or tokenizer.json).
 */
#include "tok/tokens.h"
#include "import/import.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] & 3;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;

	fs_buf b = {0};
	tok_decode(s, n, mode, &b);
	buf_free(&b);
	tok_stats st;
	memset(&st, 0, sizeof st);
	tok_stats_add(&st, s, n);
	(void)tok_stats_mode(&st);

	/* Tokens: the input cut at '|' (up to 64 of them). */
	const char *toks[64];
	size_t lens[64];
	int ntok = 0;
	size_t at = 0;
	while (ntok < 64 && at <= n) {
		const char *e = memchr(s + at, '|', n - at);
		size_t l = e ? (size_t)(e - (s + at)) : n - at;
		toks[ntok] = s + at;
		lens[ntok++] = l;
		at += l + 1;
		if (!e)
			break;
	}
	tok_ctx c;
	memset(&c, 0, sizeof c);
	tok_ctx_build(&c, toks, lens, ntok, mode);
	if (c.ntok < 0 || c.ntok > ntok)
		abort();
	if (c.ntok > 0) {
		if (c.off[0] != 0 || c.off[c.ntok] != c.text.len)
			abort();
		for (int i = 0; i < c.ntok; i++)
			if (c.off[i] > c.off[i + 1])
				abort();
	}
	tok_ctx_free(&c);

	/* The same bytes as a vocabulary file. */
	const char *path = fuzz_path(data[0] & 4 ? ".tokenizer.json" : ".vocab.txt");
	if (fuzz_write(path, (const uint8_t *)s, n) == 0) {
		tok_vocab v;
		char err[512];
		if (import_vocab_load(path, &v, err, sizeof err) == 0) {
			size_t l;
			for (int64_t id = 0; id < v.n && id < 64; id++)
				(void)tok_vocab_get(&v, id, &l);
			(void)tok_vocab_get(&v, v.n, &l);
			(void)tok_vocab_get(&v, -1, &l);
			tok_vocab_free(&v);
		} else if (!err[0] || strchr(err, '\n')) {
			abort();
		}
		unlink(path);
	}
	return 0;
}
