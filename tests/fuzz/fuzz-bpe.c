/*
 * fuzz-bpe.c: libFuzzer target for the tokenizer files (src/tok/bpe.h).
 * The first byte picks the form: even, vocab.json and merges.txt (the rest
 * of the input cut at the first 0x01 byte); odd, a tokenizer.json, and with
 * bit 1 set also a tokenizer_config.json after the first 0x01 byte (the
 * Hugging Face pipelines: normalisers, Split regexes, byte fallback, added
 * tokens, BOS/EOS). A vocabulary that loads then encodes a few fixed
 * strings and the input itself (as any bytes too); every id must decode
 * and the offsets must be in order inside the text; for GPT-2's files they
 * must tile it and the decoded bytes must equal it. A refusal must be one
 * line.
 */
#include "tok/bpe.h"
#include "fuzz-common.h"

static void one_line(const char *err)
{
	if (!err[0] || strchr(err, '\n'))
		abort();
}

static void roundtrip(fs_bpe *b, const char *s, size_t n, int exact)
{
	int32_t *ids = NULL;
	uint32_t *offs = NULL;
	int64_t cnt = 0, cap = 0;
	char err[512];
	for (int any = 0; any < 2; any++) {
		cnt = 0;
		int rc = any ? bpe_encode_bytes(b, s, n, &ids, &offs, &cnt, &cap, err, sizeof err)
			     : bpe_encode(b, s, n, &ids, &offs, &cnt, &cap, err, sizeof err);
		if (rc != 0) {
			one_line(err);
			continue;
		}
		fs_buf d = {0};
		if (bpe_decode(b, ids, cnt, &d, err, sizeof err) != 0)
			abort();
		if (exact && (d.len != n || (n && memcmp(d.p, s, n))))
			abort();
		for (int64_t i = 0; i < cnt; i++) {
			size_t l;
			if (!bpe_token_bytes(b, ids[i], &l))
				abort();
			if (offs[i] >= n || (i && offs[i] < offs[i - 1]))
				abort();
			uint32_t end = i + 1 < cnt ? offs[i + 1] : (uint32_t)n;
			if (exact && ((i == 0 && offs[0] != 0) || offs[i] + l != end))
				abort();
		}
		buf_free(&d);
	}
	free(ids);
	free(offs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	char err[1024];
	fs_bpe *b;
	int exact = !(data[0] & 1);
	if ((data[0] & 3) == 3) {
		const char *sep = memchr(s, 1, n);
		size_t jl = sep ? (size_t)(sep - s) : n;
		b = bpe_load_tokenizer_cfg_mem("tokenizer.json", s, jl, "tokenizer_config.json", sep ? sep + 1 : NULL,
					       sep ? n - jl - 1 : 0, err, sizeof err);
	} else if (data[0] & 1) {
		b = bpe_load_tokenizer_mem("tokenizer.json", s, n, err, sizeof err);
	} else {
		const char *sep = memchr(s, 1, n);
		size_t vl = sep ? (size_t)(sep - s) : n;
		b = bpe_load_mem("vocab.json", s, vl, sep ? sep + 1 : "", sep ? n - vl - 1 : 0, err, sizeof err);
	}
	if (!b) {
		one_line(err);
		return 0;
	}
	static const char *const fixed[] = {"", "hello world", "it's   ok\n\n", "caf\xc3\xa9 \xf0\x9f\x98\x80 123",
					    "\xe4\xb8\xad\xe6\x96\x87", "<|endoftext|>", "e\xcc\x81 \xe2\x96\x81<s> 12345"};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		roundtrip(b, fixed[i], strlen(fixed[i]), exact);
	roundtrip(b, s, n, exact);
	(void)bpe_eot(b);
	(void)bpe_bos(b);
	(void)bpe_eos(b);
	(void)bpe_adds_bos(b);
	(void)bpe_vocab_size(b);
	bpe_free(b);
	return 0;
}
