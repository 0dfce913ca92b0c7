/*
 * unit-import.c: unit tests for the tensor readers (.npy headers of every
 * version, safetensors f32/f16/bf16/f64 and integer data, bad headers,
 * truncated files, size overflow) and token decoding (the byte-level
 * table, mixed and SentencePiece spelling, context boundaries, vocabulary
 * files), then every importer on its fixture (tests/fixtures/import and
 * the binary ones tests/import-fix writes), read back through the index
 * API: features, labels, densities, top contexts and their decoded text,
 * intervals, logit effects, neighbours. Files are written to a scratch
 * directory removed at the end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import/import.h"
#include "index/index.h"
#include "core/input.h"
#include "nn/tensor.h"
#include "tok/tokens.h"
#include "unit.h"
#include "core/util.h"

static char tmpdir[] = "/tmp/fs-unit-import.XXXXXX";

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(p, 1, n, f);
	fclose(f);
}

/* .npy with format version ver, header dict hdr, then data. */
static char *write_npy(const char *name, int ver, const char *hdr, const void *data, size_t n)
{
	fs_buf b = {0};
	buf_add(&b, "\x93NUMPY", 6);
	buf_addc(&b, (char)ver);
	buf_addc(&b, 0);
	size_t pre = ver == 1 ? 10 : 12;
	size_t hl = strlen(hdr) + 1;
	while ((pre + hl) % 64)
		hl++;
	uint8_t le[4] = {(uint8_t)hl, (uint8_t)(hl >> 8), (uint8_t)(hl >> 16), (uint8_t)(hl >> 24)};
	buf_add(&b, le, ver == 1 ? 2 : 4);
	buf_adds(&b, hdr);
	while (b.len < pre + hl - 1)
		buf_addc(&b, ' ');
	buf_addc(&b, '\n');
	buf_add(&b, data, n);
	char *p = tpath(name);
	put(p, b.p, b.len);
	buf_free(&b);
	return p;
}

/* safetensors with the given JSON header and data bytes. */
static char *write_st(const char *name, const char *json, const void *data, size_t n)
{
	fs_buf b = {0};
	uint64_t hl = strlen(json);
	uint8_t le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(hl >> (8 * i));
	buf_add(&b, le, 8);
	buf_adds(&b, json);
	buf_add(&b, data, n);
	char *p = tpath(name);
	put(p, b.p, b.len);
	buf_free(&b);
	return p;
}

static int load_fails(const char *path, const char *name, const char *want)
{
	fs_tensor t;
	char err[512] = "";
	int rc = tensor_load(path, name, &t, err, sizeof err);
	if (rc == 0) {
		tensor_free(&t);
		return 0;
	}
	if (!strstr(err, want) || !strstr(err, path)) {
		printf("# error was: %s\n", err);
		return 0;
	}
	return 1;
}

static void test_npy(void)
{
	float f32[6] = {1, -2, 3.5f, 0, 1e-3f, 65504};
	fs_tensor t;
	char err[512];
	char *p = write_npy("a.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32, sizeof f32);
	int rc = tensor_load(p, NULL, &t, err, sizeof err);
	CHECK(rc == 0 && t.ndim == 2 && t.shape[0] == 2 && t.shape[1] == 3, "npy_v1_f4_shape");
	CHECK(rc == 0 && memcmp(t.data, f32, sizeof f32) == 0, "npy_v1_f4_values");
	tensor_free(&t);
	free(p);

	uint16_t f16[3] = {0x3c00, 0xc000, 0x3555}; /* 1, -2, ~0.3333 */
	p = write_npy("b.npy", 2, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", f16, sizeof f16);
	rc = tensor_load(p, NULL, &t, err, sizeof err);
	CHECK(rc == 0 && t.ndim == 1 && t.shape[0] == 3 && t.data[0] == 1.0f && t.data[1] == -2.0f &&
		      fabsf(t.data[2] - 0.33325f) < 1e-4f, "npy_v2_f2_1d");
	tensor_free(&t);
	free(p);

	double f64[2] = {0.25, -1e10};
	p = write_npy("c.npy", 3, "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (1, 2)}", f64, sizeof f64);
	rc = tensor_load(p, NULL, &t, err, sizeof err);
	CHECK(rc == 0 && t.data[0] == 0.25f && t.data[1] == -1e10f, "npy_v3_f8");
	tensor_free(&t);
	free(p);

	p = write_npy("d.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", f32, sizeof f32);
	CHECK(load_fails(p, NULL, "fortran_order"), "npy_rejects_fortran");
	free(p);
	p = write_npy("e.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", f32, sizeof f32);
	CHECK(load_fails(p, NULL, "big-endian"), "npy_rejects_bigendian");
	free(p);
	p = write_npy("f.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", f32, sizeof f32);
	CHECK(load_fails(p, NULL, "truncated"), "npy_truncated_data");
	free(p);
	p = write_npy("g.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 9999999), }", f32, sizeof f32);
	CHECK(load_fails(p, NULL, "overflow"), "npy_shape_overflow");
	free(p);
	p = write_npy("h.npy", 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", f32, sizeof f32);
	CHECK(load_fails(p, NULL, "descr"), "npy_rejects_complex");
	free(p);
	/* header length pointing past the end */
	uint8_t bad[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xff, 0x7f, '{', '}'};
	p = tpath("i.npy");
	put(p, bad, sizeof bad);
	CHECK(load_fails(p, NULL, "header"), "npy_header_past_end");
	free(p);
	/* the header parser alone, as the fuzz target calls it */
	int dt;
	size_t off;
	CHECK(tensor_npy_header((const uint8_t *)"\x93NUMPY\x09\x00", 8, &t, &dt, &off, err, sizeof err) == -1,
	      "npy_header_short");
}

static void test_safetensors(void)
{
	fs_tensor t;
	char err[512];
	/* W_dec [2,2] f16 and b_dec [2] f32 */
	uint8_t data[16];
	uint16_t h[4] = {0x3c00, 0x4000, 0xbc00, 0x0001}; /* 1, 2, -1, smallest subnormal */
	memcpy(data, h, 8);
	float b[2] = {0.5f, -0.5f};
	memcpy(data + 8, b, 8);
	char *p = write_st("w.safetensors",
			   "{\"__metadata__\":{\"format\":\"pt\"},\"b_dec\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
			   "\"W_dec\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}",
			   data, sizeof data);
	int rc = tensor_load(p, NULL, &t, err, sizeof err);
	CHECK(rc == 0 && !strcmp(t.name, "W_dec") && t.ndim == 2 && t.data[0] == 1 && t.data[1] == 2 &&
		      t.data[2] == -1 && t.data[3] == ldexpf(1, -24), "st_f16_default_wdec");
	tensor_free(&t);
	rc = tensor_load(p, "b_dec", &t, err, sizeof err);
	CHECK(rc == 0 && t.ndim == 1 && t.data[0] == 0.5f && t.data[1] == -0.5f, "st_f32_named");
	tensor_free(&t);
	CHECK(load_fails(p, "nope", "no such tensor"), "st_missing_tensor");
	fs_st_file *f = tensor_st_open(p, err, sizeof err);
	CHECK(f && tensor_st_count(f) == 2 && tensor_st_metadata(f, "format") && !strcmp(tensor_st_metadata(f, "format"), "pt"),
	      "st_raw_listing");
	tensor_st_close(f);
	free(p);

	/* bf16: 1.5 = 0x3fc0, -3 = 0xc040; only tensor chosen without a name */
	uint16_t bf[2] = {0x3fc0, 0xc040};
	p = write_st("bf.safetensors", "{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", bf, 4);
	rc = tensor_load(p, NULL, &t, err, sizeof err);
	CHECK(rc == 0 && t.data[0] == 1.5f && t.data[1] == -3.0f, "st_bf16_only_tensor");
	tensor_free(&t);
	free(p);

	/* integer data read raw */
	uint16_t loc[6] = {1, 2, 3, 65535, 0, 7};
	p = write_st("i.safetensors", "{\"locations\":{\"dtype\":\"U16\",\"shape\":[2,3],\"data_offsets\":[0,12]}}", loc, 12);
	f = tensor_st_open(p, err, sizeof err);
	fs_st_info in;
	rc = f ? tensor_st_find(f, "locations", &in, err, sizeof err) : -1;
	CHECK(rc == 0 && in.count == 6 && tensor_get_i64(in.dtype, in.data, 3) == 65535 &&
		      tensor_get_i64(in.dtype, in.data, 5) == 7, "st_u16_raw");
	tensor_st_close(f);
	CHECK(load_fails(p, NULL, "expected F32"), "st_rejects_int_as_float");
	free(p);

	/* malformed files */
	p = write_st("t1.safetensors", "{\"W_dec\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", data, 8);
	CHECK(load_fails(p, NULL, "past the end"), "st_truncated_data");
	free(p);
	p = write_st("t2.safetensors", "{\"W_dec\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", data, 16);
	CHECK(load_fails(p, NULL, "need 24"), "st_size_mismatch");
	free(p);
	p = write_st("t3.safetensors", "{\"W_dec\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", data, 16);
	CHECK(load_fails(p, NULL, "overflow"), "st_shape_overflow");
	free(p);
	p = write_st("t4.safetensors", "{\"W_dec\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,0]}}", data, 16);
	CHECK(load_fails(p, NULL, "not a range"), "st_reversed_offsets");
	free(p);
	p = write_st("t5.safetensors", "{\"W_dec\":{\"dtype\":\"Q4\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", data, 16);
	CHECK(load_fails(p, NULL, "W_dec.dtype"), "st_unknown_dtype");
	free(p);
	p = write_st("t6.safetensors", "{\"W_dec\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]}}", data, 16);
	CHECK(load_fails(p, NULL, "W_dec.shape[1]"), "st_negative_dim");
	free(p);
	p = write_st("t7.safetensors", "{\"W_dec\":{\"dtype\":\"F32\",", data, 16);
	CHECK(load_fails(p, NULL, "bad JSON"), "st_bad_json");
	free(p);
	p = write_st("t8.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
			 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", data, 8);
	CHECK(load_fails(p, NULL, "name one"), "st_ambiguous_default");
	free(p);
	uint8_t huge[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
	p = tpath("t9.safetensors");
	put(p, huge, sizeof huge);
	CHECK(load_fails(p, NULL, "header"), "st_header_length_huge");
	free(p);
	p = tpath("t10.safetensors");
	put(p, huge, 5);
	CHECK(load_fails(p, NULL, "too short"), "st_file_too_short");
	free(p);
	CHECK(load_fails("/nonexistent/x.safetensors", NULL, "No such file"), "st_missing_file");
}

/* Every truncation of a valid file fails cleanly, and byte mutations never
 * crash (under ASan they would report any read outside the file). */
static void test_mutations(void)
{
	float w[6] = {1, 2, 3, 4, 5, 6};
	char *st = write_st("m.safetensors", "{\"W_dec\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", w, sizeof w);
	char *np = write_npy("m.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", w, sizeof w);
	const char *files[2] = {st, np};
	int trunc_ok = 1, mut_ran = 1, loaded = 0, refused = 0;
	size_t values_read = 0;
	uint64_t r = 12345;
	for (int k = 0; k < 2; k++) {
		size_t n;
		char err[256];
		char *orig = input_slurp(files[k], &n, err, sizeof err);
		if (!orig) {
			trunc_ok = mut_ran = 0;
			continue;
		}
		char *p = tpath("mut.bin");
		for (size_t len = 0; len < n; len++) {
			put(p, orig, len);
			fs_tensor t;
			if (tensor_load(p, NULL, &t, err, sizeof err) == 0) {
				trunc_ok = 0;
				printf("# truncated to %zu bytes still loads\n", len);
				tensor_free(&t);
			}
		}
		char *m = xmalloc(n);
		for (int i = 0; i < 400; i++) {
			memcpy(m, orig, n);
			for (int j = 0; j < 3; j++) {
				r = r * 6364136223846793005ull + 1442695040888963407ull;
				m[(r >> 33) % n] = (char)(r >> 20);
			}
			put(p, m, n);
			fs_tensor t;
			if (tensor_load(p, NULL, &t, err, sizeof err) == 0) {
				size_t cnt = 1;
				for (int d = 0; d < t.ndim; d++)
					cnt *= (size_t)t.shape[d];
				for (size_t e = 0; e < cnt; e++)
					values_read += !isnan(t.data[e]); /* reads every value: ASan checks */
				tensor_free(&t);
				loaded++;
			} else {
				refused++;
			}
		}
		free(m);
		free(p);
		free(orig);
	}
	CHECK(trunc_ok, "tensor_every_truncation_fails");
	/* data-byte mutations still load, header mutations mostly do not */
	CHECK(mut_ran && loaded > 0 && refused > 0 && values_read > 0, "tensor_mutations_both_outcomes");
	free(st);
	free(np);
}

static int ctx_is(const char *const *toks, int n, int mode, const char *text, const uint32_t *off)
{
	tok_ctx c = {0};
	tok_ctx_build(&c, toks, NULL, n, mode);
	int ok = c.ntok == n && strcmp(c.text.p, text) == 0 &&
		 memcmp(c.off, off, (size_t)(n + 1) * sizeof *off) == 0;
	if (!ok)
		printf("# got [%s] ntok %d\n", c.text.p, c.ntok);
	tok_ctx_free(&c);
	return ok;
}

static int dec_is(const char *tok, int mode, const char *want)
{
	char *s = tok_decode_str(tok, mode);
	int ok = strcmp(s, want) == 0;
	if (!ok)
		printf("# decoded [%s] to [%s]\n", tok, s);
	free(s);
	return ok;
}

static void test_tokens(void)
{
	CHECK(tok_bl_char(' ') == 0x120 && tok_bl_char('\n') == 0x10a && tok_bl_char('A') == 'A' &&
		      tok_bl_char(0xad) == 0x143 && tok_bl_char(0xe2) == 0xe2, "bl_table");
	int all = 1;
	for (unsigned b = 0; b < 256; b++)
		if (tok_bl_byte(tok_bl_char(b)) != (int)b)
			all = 0;
	CHECK(all && tok_bl_byte(' ') == -1 && tok_bl_byte(0x144) == -1, "bl_table_inverse");
	CHECK(dec_is("\xc3\xa2\xc4\xa2\xc4\xbb", TOK_BYTELEVEL, "\xe2\x80\x99"), "bl_right_quote");
	CHECK(dec_is("\xc4\xa0the", TOK_AUTO, " the"), "auto_space_mark");
	CHECK(dec_is("\xc4\x8a", TOK_BYTELEVEL, "\n"), "bl_newline");
	/* a partial character alone stays as spelled in auto mode */
	CHECK(dec_is("\xc3\xa2\xc4\xa2", TOK_AUTO, "\xc3\xa2\xc4\xa2"), "auto_partial_kept");
	/* Polish text is not byte-level: l-stroke U+0142 would be byte 0xAD */
	CHECK(dec_is("\xc5\x82\xc3\xb3" "d\xc5\xba", TOK_AUTO, "\xc5\x82\xc3\xb3" "d\xc5\xba"), "auto_plain_polish");
	CHECK(dec_is("\xe2\x96\x81" "the", TOK_SPIECE, " the"), "spiece_space");
	CHECK(dec_is("<0x0A>", TOK_SPIECE, "\n"), "spiece_byte_fallback");
	CHECK(dec_is("\xc4\xa0x", TOK_PLAIN, "\xc4\xa0x"), "plain_untouched");

	/* the SAEDashboard mix: decoded tokens next to byte-level pieces */
	const char *mix[] = {"I", " happen", "\xc3\xa2\xc4\xa2", "\xc4\xbb", "s", "\n"};
	uint32_t mix_off[] = {0, 1, 8, 10, 11, 12, 13};
	CHECK(ctx_is(mix, 6, TOK_AUTO, "I happen\xe2\x80\x99s\n", mix_off), "ctx_mixed_auto");
	const char *bl[] = {"Hello", "\xc4\xa0world", "\xc4\x8a"};
	uint32_t bl_off[] = {0, 5, 11, 12};
	CHECK(ctx_is(bl, 3, TOK_AUTO, "Hello world\n", bl_off), "ctx_bytelevel_auto");
	/* a cut-off character at either end is still byte-level */
	const char *edge[] = {"\xc4\xbb", "s", "\xc4\xa0ok", "\xc3\xa2\xc4\xa2"};
	uint32_t edge_off[] = {0, 1, 2, 5, 7};
	CHECK(ctx_is(edge, 4, TOK_AUTO, "\x99s ok\xe2\x80", edge_off), "ctx_edges_partial");
	const char *pl[] = {"Za", "\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87"};
	uint32_t pl_off[] = {0, 2, 10};
	CHECK(ctx_is(pl, 2, TOK_AUTO, "Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87", pl_off), "ctx_plain_auto");
	/* Latin-1 text without remapped bytes is not taken for byte-level */
	const char *cafe[] = {"caf", "\xc3\xa9"};
	uint32_t cafe_off[] = {0, 3, 5};
	CHECK(ctx_is(cafe, 2, TOK_AUTO, "caf\xc3\xa9", cafe_off), "ctx_plain_latin1_at_end");
	const char *sp[] = {"\xe2\x96\x81" "The", "\xe2\x96\x81" "cat", "<0x0A>"};
	uint32_t sp_off[] = {0, 4, 8, 9};
	CHECK(ctx_is(sp, 3, TOK_AUTO, " The cat\n", sp_off), "ctx_spiece_auto");
	const char *empty[] = {NULL};
	uint32_t e_off[] = {0};
	CHECK(ctx_is(empty, 0, TOK_AUTO, "", e_off), "ctx_empty");

	tok_stats st = {0};
	tok_stats_add(&st, "\xc4\xa0the", 5);
	tok_stats_add(&st, "cat", 3);
	CHECK(tok_stats_mode(&st) == TOK_BYTELEVEL, "stats_bytelevel");
	tok_stats_add(&st, " the", 4);
	CHECK(tok_stats_mode(&st) == TOK_AUTO, "stats_mixed_auto");
	CHECK(tok_mode_parse("gpt2") == TOK_BYTELEVEL && tok_mode_parse("x") == -1, "mode_parse");

	/* vocabularies */
	char *p = tpath("vocab.txt");
	const char list[] = "hello\n\\n\n\\x41\\\\b\n\n\\tx\r\n";
	put(p, list, sizeof list - 1);
	tok_vocab v;
	char err[512];
	int rc = tok_vocab_load(p, &v, err, sizeof err);
	size_t len = 0;
	CHECK(rc == 0 && v.n == 5 && !strcmp(tok_vocab_get(&v, 0, &len), "hello") &&
		      !strcmp(tok_vocab_get(&v, 1, &len), "\n") && !strcmp(tok_vocab_get(&v, 2, &len), "A\\b") &&
		      tok_vocab_get(&v, 3, &len) && len == 0 && !strcmp(tok_vocab_get(&v, 4, &len), "\tx") &&
		      tok_vocab_get(&v, 5, &len) == NULL && v.mode == TOK_PLAIN, "vocab_plain_list");
	if (rc == 0)
		tok_vocab_free(&v);
	put(p, "ok\n\\q\n", 6);
	rc = tok_vocab_load(p, &v, err, sizeof err);
	CHECK(rc == -1 && strstr(err, "vocab.txt:2: token"), "vocab_bad_escape_line");
	free(p);
	p = tpath("tokenizer.json");
	const char tj[] = "{\"added_tokens\":[{\"id\":3,\"content\":\"<|endoftext|>\"}],"
			  "\"decoder\":{\"type\":\"ByteLevel\"},"
			  "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"\xc4\xa0" "b\":1,\"\xc3\xa2\xc4\xa2\xc4\xbb\":2}}}";
	put(p, tj, sizeof tj - 1);
	rc = import_vocab_load(p, &v, err, sizeof err);
	CHECK(rc == 0 && v.n == 4 && v.mode == TOK_BYTELEVEL && !strcmp(tok_vocab_get(&v, 1, NULL), "\xc4\xa0" "b") &&
		      !strcmp(tok_vocab_get(&v, 3, NULL), "<|endoftext|>"), "vocab_tokenizer_json");
	if (rc == 0)
		tok_vocab_free(&v);
	put(p, "{\"model\": {\"vocab\": [1,\n2}}", 27);
	rc = import_vocab_load(p, &v, err, sizeof err);
	CHECK(rc == -1 && strstr(err, "tokenizer.json:2:"), "vocab_bad_json_line");
	free(p);
}

/* ------------------------------------------------------------ importers */

static const char *srcdir, *builddir;
static int n_imports;

/* Import PATH (relative to the fixture folder unless absolute) into a new
 * index and open it; NULL (and a printed reason) on failure. */
static fs_index *import_one(const char *format, const char *path, const char *vocab, const char *name)
{
	char err[1024] = "";
	char *out = xasprintf("%s/imp%d.sqlite", tmpdir, n_imports++);
	char *in = path[0] == '/' ? xstrdup(path) : xasprintf("%s/tests/fixtures/import/%s", srcdir, path);
	char *voc = vocab ? xasprintf("%s/tests/fixtures/import/%s", srcdir, vocab) : NULL;
	import_opts o;
	import_opts_init(&o);
	o.vocab = voc;
	o.sae_name = name;
	fs_index *ix = NULL;
	fs_writer *w = index_writer_create(out, err, sizeof err);
	if (w && import_run(w, format, in, &o, err, sizeof err) == 0) {
		if (index_writer_finish(w, err, sizeof err) == 0)
			ix = index_open(out, err, sizeof err);
	} else if (w) {
		index_writer_abort(w);
	}
	if (!ix)
		printf("# import %s: %s\n", path, err);
	free(out);
	free(in);
	free(voc);
	return ix;
}

/* Text of a feature's example (group grp, rank), malloc'd, or NULL. */
static char *example_text(fs_index *ix, int64_t fid, int grp, int rank, float *max_act)
{
	fs_example *ex;
	int n = index_examples(ix, fid, &ex);
	char *text = NULL;
	for (int i = 0; i < n; i++)
		if (ex[i].grp == grp && ex[i].rank == rank) {
			fs_context c;
			if (index_context(ix, ex[i].ctx, &c) == 0) {
				text = xstrdup(c.text);
				index_context_free(&c);
			}
			if (max_act)
				*max_act = ex[i].max_act;
		}
	if (n > 0)
		index_examples_free(ex, n);
	return text;
}

static int text_is(char *got, const char *want)
{
	int ok = got && strcmp(got, want) == 0;
	if (!ok)
		printf("# text [%s], wanted [%s]\n", got ? got : "(none)", want);
	free(got);
	return ok;
}

static int count_group(fs_index *ix, int64_t fid, int grp)
{
	fs_example *ex;
	int n = index_examples(ix, fid, &ex), k = 0;
	for (int i = 0; i < n; i++)
		k += ex[i].grp == grp;
	if (n > 0)
		index_examples_free(ex, n);
	return k;
}

static int logit_is(fs_index *ix, int64_t fid, int sign, int rank, const char *tok, float v)
{
	fs_logit *l;
	int n = index_logits(ix, fid, sign, &l);
	int ok = n > rank && strcmp(l[rank].token, tok) == 0 && fabsf(l[rank].value - v) < 1e-4f;
	if (!ok && n > rank)
		printf("# logit [%s] %g\n", l[rank].token, l[rank].value);
	if (n > 0)
		index_logits_free(l, n);
	return ok;
}

static void test_saedashboard(void)
{
	/* the real batch, copied byte for byte (see its SOURCE.txt) */
	char *p = xasprintf("%s/tests/fixtures/import/saedashboard/batch-0.json", srcdir);
	CHECK(import_detect(p, NULL, 0) == import_format_parse("saedashboard"), "detect_saedashboard");
	fs_index *ix = import_one(NULL, p, NULL, NULL);
	free(p);
	CHECK(ix != NULL, "saedashboard_imports");
	if (!ix)
		return;
	const fs_sae *s = index_sae(ix, 0);
	CHECK(index_n_saes(ix) == 1 && !strcmp(s->name, "0-res-jb") && !strcmp(s->model, "gpt2-small") &&
		      s->layer == 0 && !strcmp(s->source_format, "saedashboard"), "saedashboard_sae");
	int64_t f0 = index_feature_id(ix, s->id, 0), f1 = index_feature_id(ix, s->id, 1);
	fs_feature f;
	CHECK(f0 > 0 && index_feature(ix, f0, &f) == 0 && fabs(f.density - 0.0002) < 1e-9 &&
		      fabs(f.max_act - 2.214) < 1e-6, "saedashboard_stats");
	if (f0 > 0)
		index_feature_free(&f);
	/* 30 top rows, strongest key token first (one window with two key
	 * tokens is two rows); the 0-0.443 bin's samples are all zero, so
	 * not firing samples: the one interval is 1.771-2.214 */
	CHECK(count_group(ix, f0, 0) == 30 && count_group(ix, f0, 1) == 3 && count_group(ix, f0, 2) == 0,
	      "saedashboard_groups");
	float mx = 0;
	char *t = example_text(ix, f0, 0, 0, &mx);
	CHECK(t && fabsf(mx - 2.214f) < 1e-3f && strstr(t, "\n\nI happen to agree with this. But there\xe2\x80\x99s a sad"),
	      "saedashboard_top_text_decoded");
	CHECK(t && !strstr(t, "\xc3\xa2\xc4\xa2"), "saedashboard_no_bytelevel_left");
	free(t);
	fs_interval *iv;
	int ni = index_intervals(ix, f0, &iv);
	/* the file's bin_contains 0.0 for a bin of firing samples is rounded
	 * down: the share comes from the histogram (3 of 126) */
	CHECK(ni == 1 && iv[0].grp == 1 && fabsf(iv[0].lo - 1.771f) < 1e-6f && fabsf(iv[0].hi - 2.214f) < 1e-6f &&
		      fabsf(iv[0].frac - 3.0f / 126) < 1e-4f, "saedashboard_intervals");
	if (ni > 0)
		free(iv);
	CHECK(logit_is(ix, f0, +1, 0, " Brigade", 3.753f) && logit_is(ix, f0, -1, 0, "sequence", -0.707f),
	      "saedashboard_logits");
	/* the dead feature keeps its statistics but no all-zero samples */
	CHECK(f1 > 0 && count_group(ix, f1, 0) == 0 && count_group(ix, f1, 1) == 0, "saedashboard_dead_feature");
	index_close(ix);
}

static void test_neuronpedia(void)
{
	char *dir = xasprintf("%s/tests/fixtures/import/neuronpedia", srcdir);
	CHECK(import_detect(dir, NULL, 0) == import_format_parse("neuronpedia"), "detect_neuronpedia");
	free(dir);
	fs_index *ix = import_one("neuronpedia", "neuronpedia", NULL, NULL);
	CHECK(ix != NULL, "neuronpedia_imports");
	if (!ix)
		return;
	const fs_sae *s = index_sae(ix, 0);
	CHECK(!strcmp(s->name, "6-res-jb") && !strcmp(s->hook, "blocks.6.hook_resid_pre") && s->layer == 6 &&
		      s->n_features == 8 && s->d_model == 2, "neuronpedia_sae");
	int64_t f0 = index_feature_id(ix, s->id, 0), f2 = index_feature_id(ix, s->id, 2);
	int64_t f1 = index_feature_id(ix, s->id, 1), f7 = index_feature_id(ix, s->id, 7);
	fs_feature f;
	int ok = f0 > 0 && index_feature(ix, f0, &f) == 0;
	CHECK(ok && !strcmp(f.label, "military units") && fabs(f.density - 0.0125) < 1e-12 && f.max_act == 4.5 &&
		      fabs(f.mean_act - 1.7) < 1e-9 && f.hist[5] == 10 && f.hist[16] == 6 && f.hist[26] == 4 &&
		      f.hist_lo == 0.5f && f.hist_hi == 3.5f,
	      "neuronpedia_feature_stats_label");
	if (ok)
		index_feature_free(&f);
	ok = f2 > 0 && index_feature(ix, f2, &f) == 0;
	CHECK(ok && !strcmp(f.label, "apostrophes"), "neuronpedia_label_second_file");
	if (ok)
		index_feature_free(&f);
	CHECK(f7 > 0 && count_group(ix, f7, 0) == 1, "neuronpedia_feature_without_row");
	CHECK(text_is(example_text(ix, f0, 0, 0, NULL), "The 1st Brigade marched") &&
		      text_is(example_text(ix, f0, 0, 1, NULL), "A battalion left") &&
		      text_is(example_text(ix, f0, 1, 0, NULL), " the regiment"), "neuronpedia_examples");
	CHECK(text_is(example_text(ix, f2, 0, 0, NULL), "It\xe2\x80\x99s fine"), "neuronpedia_split_quote_decoded");
	fs_context c;
	fs_example *ex;
	int n = index_examples(ix, f2, &ex);
	ok = n == 1 && index_context(ix, ex[0].ctx, &c) == 0;
	/* the quote's two tokens keep their own byte ranges */
	CHECK(ok && c.ntok == 5 && c.tok_off[1] == 2 && c.tok_off[2] == 4 && c.tok_off[3] == 5 && ex[0].acts[2] == 2.0f,
	      "neuronpedia_token_boundaries");
	if (ok)
		index_context_free(&c);
	if (n > 0)
		index_examples_free(ex, n);
	/* escapes, surrogate pairs and unknown nested fields (scanner path);
	 * a null value (jansson path) */
	float mx = 0;
	CHECK(text_is(example_text(ix, f1, 0, 0, &mx), " snowman \xe2\x98\x83\xf0\x9f\x98\x80") && mx == 1.5f,
	      "neuronpedia_escapes_fast_path");
	CHECK(text_is(example_text(ix, f1, 1, 0, &mx), "ab") && mx == 0.75f, "neuronpedia_null_value_jansson_path");
	CHECK(logit_is(ix, f0, +1, 0, " Brigade", 3.75f) && logit_is(ix, f0, +1, 1, "\xe2\x80\x99s", 3.0f) &&
		      logit_is(ix, f0, -1, 1, "ogen", -0.65f), "neuronpedia_logits");
	fs_neighbour *nb;
	n = index_neighbours(ix, f0, 0, 10, &nb);
	/* the export's own neighbours, not ones computed from its vectors */
	CHECK(n == 2 && nb[0].fid == f2 && fabsf(nb[0].cosine - 0.75f) < 1e-6f && nb[1].fid == f1,
	      "neuronpedia_neighbours");
	if (n > 0)
		free(nb);
	index_close(ix);
}

static void test_saevis(void)
{
	char *file = xasprintf("%s/tests/fixtures/import/saevis.json", srcdir);
	CHECK(import_detect(file, NULL, 0) == import_format_parse("sae_vis"), "detect_saevis");
	free(file);
	fs_index *ix = import_one("sae_vis", "saevis.json", "saevis-vocab.txt", "vis");
	CHECK(ix != NULL, "saevis_imports");
	if (!ix)
		return;
	const fs_sae *s = index_sae(ix, 0);
	int64_t f3 = index_feature_id(ix, s->id, 3), f10 = index_feature_id(ix, s->id, 10);
	fs_feature f;
	int ok = f3 > 0 && index_feature(ix, f3, &f) == 0;
	CHECK(!strcmp(s->name, "vis") && ok && fabs(f.density - 0.0125) < 1e-12 && f.max_act == 2.75, "saevis_stats");
	if (ok)
		index_feature_free(&f);
	CHECK(text_is(example_text(ix, f3, 0, 0, NULL), " DNA sequence ATGC") &&
		      text_is(example_text(ix, f3, 0, 1, NULL), "Hello world\n caf\xc3\xa9!") &&
		      text_is(example_text(ix, f3, 1, 0, NULL), " the DNA"), "saevis_examples_vocab");
	fs_interval *iv;
	int ni = index_intervals(ix, f3, &iv);
	CHECK(ni == 1 && iv[0].lo == 0 && iv[0].hi == 1.375f && iv[0].frac == 0.75f, "saevis_interval_title");
	if (ni > 0)
		free(iv);
	CHECK(logit_is(ix, f3, +1, 1, "G", 1.25f) && logit_is(ix, f3, -1, 0, " caf\xc3\xa9", -0.75f), "saevis_logits");
	CHECK(text_is(example_text(ix, f10, 0, 0, NULL), " the<99>!"), "saevis_unknown_id");
	index_close(ix);
	/* without a vocabulary, ids show as <id> */
	ix = import_one("sae_vis", "saevis.json", NULL, NULL);
	s = ix ? index_sae(ix, 0) : NULL;
	CHECK(ix && text_is(example_text(ix, index_feature_id(ix, s->id, 3), 0, 0, NULL), "<6><7><8><9><10><11>"),
	      "saevis_no_vocab");
	if (ix)
		index_close(ix);
}

static void test_openai(void)
{
	fs_index *ix = import_one(NULL, "openai", NULL, NULL);
	CHECK(ix != NULL, "openai_imports");
	if (!ix)
		return;
	const fs_sae *s = index_sae(ix, 0);
	int64_t f2 = index_feature_id(ix, s->id, 2), f7 = index_feature_id(ix, s->id, 7);
	fs_feature f;
	int ok = f2 > 0 && index_feature(ix, f2, &f) == 0;
	CHECK(ok && f.density == 0.002 && f.mean_act == 1.5 && f.max_act == 3.0 && f7 > 0, "openai_stats");
	if (ok)
		index_feature_free(&f);
	CHECK(text_is(example_text(ix, f2, 0, 0, NULL), "A fox") &&
		      text_is(example_text(ix, f2, 0, 1, NULL), "The quick fox\xe2\x80\x99s") &&
		      count_group(ix, f2, 1) == 2, "openai_examples");
	index_close(ix);
}

static void test_saelens(void)
{
	char *dir = xasprintf("%s/saelens", tmpdir);
	char *cmd = xasprintf("%s/tests/import-fix saelens '%s'", builddir, dir);
	int rc = system(cmd);
	free(cmd);
	CHECK(rc == 0 && import_detect(dir, NULL, 0) == import_format_parse("saelens"), "detect_saelens");
	fs_index *ix = import_one(NULL, dir, NULL, NULL);
	CHECK(ix != NULL, "saelens_imports");
	if (ix) {
		const fs_sae *s = index_sae(ix, 0);
		CHECK(!strcmp(s->name, "8-res-test") && !strcmp(s->hook, "blocks.8.hook_resid_pre") && s->layer == 8 &&
			      s->d_model == 4 && s->n_features == 6 && !strcmp(s->model, "gpt2-small"), "saelens_sae");
		double want[6] = {0.1, 0.01, 0.001, 0, 1, 0.5};
		int all = index_n_features(ix) == 6;
		for (int i = 0; i < 6 && all; i++) {
			fs_feature f;
			if (index_feature(ix, index_feature_id(ix, s->id, i), &f) != 0)
				all = 0;
			else {
				all = fabs(f.density - want[i]) < want[i] * 1e-5 + 1e-12;
				index_feature_free(&f);
			}
		}
		CHECK(all, "saelens_densities");
		index_close(ix);
	}
	/* the pre-6.0 flat layout */
	char *cfg = xasprintf("%s/cfg.json", dir);
	FILE *fp = fopen(cfg, "w");
	if (fp) {
		fputs("{\"model_name\": \"gpt2-small\", \"hook_point\": \"blocks.2.hook_resid_post\", "
		      "\"hook_point_layer\": 2, \"d_in\": 4, \"d_sae\": 6, \"activation_fn_str\": \"relu\"}\n", fp);
		fclose(fp);
	}
	ix = import_one("saelens", dir, NULL, NULL);
	const fs_sae *s = ix ? index_sae(ix, 0) : NULL;
	CHECK(s && !strcmp(s->hook, "blocks.2.hook_resid_post") && s->layer == 2 && s->n_features == 6, "saelens_old_cfg");
	if (ix)
		index_close(ix);
	/* d_sae that disagrees with W_dec is bad input */
	fp = fopen(cfg, "w");
	if (fp) {
		fputs("{\"d_in\": 4, \"d_sae\": 7, \"metadata\": {\"hook_name\": \"blocks.2.x\"}}\n", fp);
		fclose(fp);
	}
	char err[512] = "";
	char *badp = xasprintf("%s/bad.sqlite", tmpdir);
	fs_writer *w = index_writer_create(badp, err, sizeof err);
	free(badp);
	import_opts o;
	import_opts_init(&o);
	rc = w ? import_run(w, "saelens", dir, &o, err, sizeof err) : -1;
	CHECK(rc == FS_EXIT_USAGE && strstr(err, "W_dec: shape [6, 4], expected [7, 4]") && strstr(err, "sae_weights.safetensors"),
	      "saelens_shape_mismatch");
	if (w)
		index_writer_abort(w);
	free(cfg);
	free(dir);
}

static void test_delphi(void)
{
	char *dir = xasprintf("%s/delphi", tmpdir);
	char *cmd = xasprintf("%s/tests/import-fix delphi '%s'", builddir, dir);
	int rc = system(cmd);
	free(cmd);
	CHECK(rc == 0 && import_detect(dir, NULL, 0) == import_format_parse("delphi"), "detect_delphi");
	fs_index *ix = import_one("delphi", dir, "delphi-tokenizer.json", NULL);
	CHECK(ix != NULL, "delphi_imports");
	if (ix) {
		const fs_sae *s = index_sae(ix, 0);
		CHECK(!strcmp(s->name, "layers.3") && s->layer == 3 && !strcmp(s->model, "test/tiny") &&
			      s->n_features == 8 && index_n_features(ix) == 8, "delphi_sae");
		int64_t f1 = index_feature_id(ix, s->id, 1), f5 = index_feature_id(ix, s->id, 5);
		fs_feature f;
		int ok = f1 > 0 && index_feature(ix, f1, &f) == 0;
		CHECK(ok && fabs(f.density - 0.1) < 1e-12 && f.max_act == 3.0f && fabs(f.mean_act - 1.5) < 1e-9,
		      "delphi_stats");
		if (ok)
			index_feature_free(&f);
		float mx = 0;
		CHECK(text_is(example_text(ix, f1, 0, 0, &mx), "The cat sat on the mat\xe2\x80\x99s.<|endoftext|>") &&
			      mx == 3.0f && count_group(ix, f1, 0) == 2, "delphi_top_window_text");
		fs_example *ex;
		int n = index_examples(ix, f1, &ex);
		CHECK(n > 0 && ex[0].ntok == 10 && ex[0].acts[5] == 3.0f && ex[0].acts[6] == 0.5f && ex[0].acts[4] == 0,
		      "delphi_window_acts");
		if (n > 0)
			index_examples_free(ex, n);
		CHECK(f5 > 0 && text_is(example_text(ix, f5, 0, 0, NULL), "The bird flew over the mat\xe2\x80\x99s.<|endoftext|>"),
		      "delphi_second_slice");
		index_close(ix);
	}
	free(dir);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	{
		/* build --from's help is made from IMP_READERS' names at compile
		 * time: they must be the readers' own */
		char want[300];
		snprintf(want, sizeof want, "%s, auto", import_format_list());
		CHECK(!strcmp(IMP_FORMAT_NAMES, want), "format names in help are the readers' names");
		for (int f = 1; strcmp(import_format_name(f), "unknown") != 0; f++)
			CHECK(import_format_parse(import_format_name(f)) == f, "format name parses back");
	}
	test_npy();
	test_safetensors();
	test_mutations();
	test_tokens();
	srcdir = getenv("FS_SRCDIR") ? getenv("FS_SRCDIR") : FS_SRCDIR;
	builddir = getenv("FS_BUILDDIR") ? getenv("FS_BUILDDIR") : ".";
	test_saedashboard();
	test_neuronpedia();
	test_saevis();
	test_openai();
	test_saelens();
	test_delphi();
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	TEST_END();
}
