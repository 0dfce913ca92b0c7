/*
 * unit-import.c: unit tests for the tensor readers (.npy headers of every
 * version, safetensors f32/f16/bf16/f64 and integer data, bad headers,
 * truncated files, size overflow) and token decoding (the byte-level
 * table, mixed and SentencePiece spelling, context boundaries, vocabulary
 * files). Files are written to a scratch directory removed at the end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensor.h"
#include "tokens.h"
#include "unit.h"
#include "util.h"

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
	fs_st_file *f = st_open(p, err, sizeof err);
	CHECK(f && st_count(f) == 2 && st_metadata(f, "format") && !strcmp(st_metadata(f, "format"), "pt"),
	      "st_raw_listing");
	st_close(f);
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
	f = st_open(p, err, sizeof err);
	fs_st_info in;
	rc = f ? st_find(f, "locations", &in, err, sizeof err) : -1;
	CHECK(rc == 0 && in.count == 6 && tensor_get_i64(in.dtype, in.data, 3) == 65535 &&
		      tensor_get_i64(in.dtype, in.data, 5) == 7, "st_u16_raw");
	st_close(f);
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
	rc = tok_vocab_load(p, &v, err, sizeof err);
	CHECK(rc == 0 && v.n == 4 && v.mode == TOK_BYTELEVEL && !strcmp(tok_vocab_get(&v, 1, NULL), "\xc4\xa0" "b") &&
		      !strcmp(tok_vocab_get(&v, 3, NULL), "<|endoftext|>"), "vocab_tokenizer_json");
	if (rc == 0)
		tok_vocab_free(&v);
	put(p, "{\"model\": {\"vocab\": [1,\n2}}", 27);
	rc = tok_vocab_load(p, &v, err, sizeof err);
	CHECK(rc == -1 && strstr(err, "tokenizer.json:2:"), "vocab_bad_json_line");
	free(p);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_npy();
	test_safetensors();
	test_tokens();
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	TEST_END();
}
