/*
 * import-fix.c: writes the binary inputs of the importer tests and the
 * importer benchmark, following the layouts the tools document:
 *   import-fix saelens DIR       SAELens folder: cfg.json (v6), sae_weights
 *                                .safetensors (W_dec bf16, W_enc/b_enc/b_dec/
 *                                threshold f32), sparsity.safetensors
 *   import-fix delphi DIR        latents/layers.3/{0_3,4_7}.safetensors
 *                                (uint16 and uint32 locations, f16
 *                                activations, int64 and int32 tokens)
 *   import-fix neuronpedia DIR NFEAT ROWS
 *                                a synthetic Neuronpedia export (gzip JSONL):
 *                                NFEAT features, ROWS activation rows each
 *                                (64 tokens), for the benchmark
 * The values are fixed so the tests can check exact results.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/util.h"

static void die(const char *what)
{
	fprintf(stderr, "import-fix: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void mkdirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		die(p);
	free(p);
}

/* A tensor to write: name, dtype, shape, raw bytes. */
typedef struct {
	const char *name;   /* key */
	const char *dtype;  /* "F32", "BF16", ... */
	int ndim;           /* dimensions */
	long shape[2];      /* sizes */
	const void *data;   /* little-endian bytes */
	size_t bytes;       /* their length */
} st_tensor;

static void write_st(const char *path, const st_tensor *t, int n, const char *meta)
{
	fs_buf h = {0};
	size_t off = 0;
	buf_adds(&h, "{");
	if (meta)
		buf_printf(&h, "\"__metadata__\":%s,", meta);
	for (int i = 0; i < n; i++) {
		buf_printf(&h, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", t[i].name, t[i].dtype);
		for (int d = 0; d < t[i].ndim; d++)
			buf_printf(&h, "%s%ld", d ? "," : "", t[i].shape[d]);
		buf_printf(&h, "],\"data_offsets\":[%zu,%zu]}", off, off + t[i].bytes);
		off += t[i].bytes;
	}
	buf_adds(&h, "}");
	while (h.len % 8)
		buf_addc(&h, ' '); /* the format pads the header with spaces */
	FILE *f = fopen(path, "wb");
	if (!f)
		die(path);
	uint8_t le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)((uint64_t)h.len >> (8 * i));
	fwrite(le, 1, 8, f);
	fwrite(h.p, 1, h.len, f);
	for (int i = 0; i < n; i++)
		fwrite(t[i].data, 1, t[i].bytes, f);
	if (fclose(f) != 0)
		die(path);
	buf_free(&h);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die(path);
	fputs(text, f);
	if (fclose(f) != 0)
		die(path);
}

static uint16_t to_bf16(float f)
{
	uint32_t b;
	memcpy(&b, &f, 4);
	return (uint16_t)(b >> 16); /* exact for the values used here */
}

/* d_in 4, d_sae 6: rows 0 and 1 point the same way, 2 is their opposite,
 * 3..5 are the other axes. */
static int gen_saelens(const char *dir)
{
	mkdirs(dir);
	enum { DIN = 4, DSAE = 6 };
	static const float wdec[DSAE][DIN] = {
		{1, 0, 0, 0}, {0.5f, 0.5f, 0, 0}, {-1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 2},
	};
	uint16_t bf[DSAE * DIN];
	for (int i = 0; i < DSAE; i++)
		for (int j = 0; j < DIN; j++)
			bf[i * DIN + j] = to_bf16(wdec[i][j]);
	float wenc[DIN * DSAE], benc[DSAE], bdec[DIN], thr[DSAE];
	for (int i = 0; i < DIN * DSAE; i++)
		wenc[i] = (float)(i % 7) * 0.125f;
	for (int i = 0; i < DSAE; i++)
		benc[i] = thr[i] = 0.25f;
	for (int i = 0; i < DIN; i++)
		bdec[i] = 0;
	st_tensor w[] = {
		{"W_enc", "F32", 2, {DIN, DSAE}, wenc, sizeof wenc},
		{"W_dec", "BF16", 2, {DSAE, DIN}, bf, sizeof bf},
		{"b_enc", "F32", 1, {DSAE}, benc, sizeof benc},
		{"b_dec", "F32", 1, {DIN}, bdec, sizeof bdec},
		{"threshold", "F32", 1, {DSAE}, thr, sizeof thr},
	};
	char *p = xasprintf("%s/sae_weights.safetensors", dir);
	write_st(p, w, 5, "{\"format\":\"pt\"}");
	free(p);
	/* log10 densities: 10%, 1%, 0.1%, dead, always, 50% */
	float sp[DSAE] = {-1, -2, -3, -INFINITY, 0, -0.30103f};
	st_tensor s[] = {{"sparsity", "F32", 1, {DSAE}, sp, sizeof sp}};
	p = xasprintf("%s/sparsity.safetensors", dir);
	write_st(p, s, 1, NULL);
	free(p);
	p = xasprintf("%s/cfg.json", dir);
	write_text(p, "{\n  \"d_in\": 4,\n  \"d_sae\": 6,\n  \"dtype\": \"float32\",\n  \"device\": \"cpu\",\n"
		      "  \"apply_b_dec_to_input\": false,\n  \"normalize_activations\": \"none\",\n"
		      "  \"reshape_activations\": \"none\",\n  \"architecture\": \"jumprelu\",\n"
		      "  \"metadata\": {\n    \"model_name\": \"gpt2-small\",\n"
		      "    \"hook_name\": \"blocks.8.hook_resid_pre\",\n    \"hook_head_index\": null,\n"
		      "    \"prepend_bos\": true,\n    \"neuronpedia_id\": \"gpt2-small/8-res-test\",\n"
		      "    \"context_size\": 128,\n    \"sae_lens_version\": \"6.3.0\"\n  }\n}\n");
	free(p);
	return 0;
}

static uint16_t to_f16(float f)
{
	return f32_to_f16(f);
}

/* Two slices of 4 latents over 3 sequences of 10 tokens. Token ids index
 * the test vocabulary (tests/fixtures/import/delphi-tokenizer.json). */
static int gen_delphi(const char *dir)
{
	char *hd = xasprintf("%s/latents/layers.3", dir);
	mkdirs(hd);
	static const int64_t toks[3][10] = {
		{1, 2, 3, 4, 5, 6, 7, 8, 9, 0},
		{10, 11, 2, 3, 12, 13, 14, 15, 16, 0},
		{1, 17, 18, 19, 5, 6, 7, 8, 9, 0},
	};
	/* slice 0_3: latent 1 at (0,5)=3, (1,2)=1, (0,6)=0.5; latent 2 at (2,3)=0.25 */
	uint16_t loc0[4][3] = {{0, 5, 1}, {1, 2, 1}, {0, 6, 1}, {2, 3, 2}};
	uint16_t act0[4] = {to_f16(3), to_f16(1), to_f16(0.5f), to_f16(0.25f)};
	st_tensor s0[] = {
		{"locations", "U16", 2, {4, 3}, loc0, sizeof loc0},
		{"activations", "F16", 1, {4}, act0, sizeof act0},
		{"tokens", "I64", 2, {3, 10}, toks, sizeof toks},
	};
	char *p = xasprintf("%s/0_3.safetensors", hd);
	write_st(p, s0, 3, NULL);
	free(p);
	/* slice 4_7: latent 5 (relative 1) at (2,9)=2 */
	uint32_t loc1[1][3] = {{2, 9, 1}};
	uint16_t act1[1] = {to_f16(2)};
	int32_t toks32[3][10];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 10; j++)
			toks32[i][j] = (int32_t)toks[i][j];
	st_tensor s1[] = {
		{"locations", "U32", 2, {1, 3}, loc1, sizeof loc1},
		{"activations", "F16", 1, {1}, act1, sizeof act1},
		{"tokens", "I32", 2, {3, 10}, toks32, sizeof toks32},
	};
	p = xasprintf("%s/4_7.safetensors", hd);
	write_st(p, s1, 3, NULL);
	free(p);
	p = xasprintf("%s/config.json", hd);
	write_text(p, "{\"dataset_repo\": \"EleutherAI/fineweb-edu-dedup-10b\", \"dataset_split\": \"train[:1%]\","
		      " \"dataset_name\": \"\", \"dataset_column\": \"text\", \"batch_size\": 8,"
		      " \"cache_ctx_len\": 10, \"n_tokens\": 30, \"n_splits\": 2, \"model_name\": \"test/tiny\"}\n");
	free(p);
	free(hd);
	return 0;
}

/* Deterministic pseudo-random numbers for the benchmark export. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static const char *const words[] = {
	"\\u0120the", "\\u0120cat", "\\u0120sat", "\\u0120on", "\\u0120a", "\\u0120mat", ".", ",",
	"\\u0120model", "\\u0120feature", "\\u0120sparse", "\\u0120auto", "encoder", "\\u0120layer",
	"\\u010a", "\\u0120DNA", "\\u0120protein", "\\u00e2\\u0122", "\\u013b", "s", "\\u0120is",
	"\\u0120of", "\\u0120and", "\\u0120to", "\\u0120in", "\\u0120it", "ing", "ed", "\\u0120that",
	"\\u0120for", "\\u0120with", "\\u0120as",
};

static const char *const topics[] = {
	"cats", "dogs", "DNA", "proteins", "punctuation", "numbers", "code", "French",
};

static int gen_neuronpedia(const char *dir, long nfeat, long rows)
{
	const char *sub[] = {"features", "explanations", "activations"};
	for (int k = 0; k < 3; k++) {
		char *p = xasprintf("%s/%s", dir, sub[k]);
		mkdirs(p);
		free(p);
	}
	const long per_batch = 1024; /* features per batch file */
	fs_buf line = {0};
	for (long b0 = 0; b0 < nfeat; b0 += per_batch) {
		long b1 = b0 + per_batch < nfeat ? b0 + per_batch : nfeat;
		gzFile gz[3];
		for (int k = 0; k < 3; k++) {
			char *p = xasprintf("%s/%s/batch-%ld.jsonl.gz", dir, sub[k], b0 / per_batch);
			gz[k] = gzopen(p, "wb6");
			if (!gz[k])
				die(p);
			free(p);
		}
		for (long f = b0; f < b1; f++) {
			line.len = 0;
			buf_printf(&line, "{\"modelId\":\"bench-model\",\"layer\":\"6-res-bench\",\"index\":\"%ld\","
					  "\"maxActApprox\":%.3f,\"hookName\":\"blocks.6.hook_resid_pre\","
					  "\"frac_nonzero\":%.6f,\"pos_str\":[",
				   f, 1 + (rnd() % 1000) / 100.0, (rnd() % 10000) / 1e6);
			for (int i = 0; i < 10; i++)
				buf_printf(&line, "%s\"%s\"", i ? "," : "", words[rnd() % 32]);
			buf_adds(&line, "],\"pos_values\":[");
			for (int i = 0; i < 10; i++)
				buf_printf(&line, "%s%.3f", i ? "," : "", 2.0 - i * 0.1);
			buf_adds(&line, "],\"topkCosSimIndices\":[");
			for (int i = 0; i < 8; i++)
				buf_printf(&line, "%s%u", i ? "," : "", (unsigned)(rnd() % (uint32_t)nfeat));
			buf_adds(&line, "],\"topkCosSimValues\":[");
			for (int i = 0; i < 8; i++)
				buf_printf(&line, "%s%.3f", i ? "," : "", 0.9 - i * 0.05);
			buf_adds(&line, "],\"freq_hist_data_bar_heights\":[");
			for (int i = 0; i < 50; i++)
				buf_printf(&line, "%s%u", i ? "," : "", rnd() % 100);
			buf_adds(&line, "],\"freq_hist_data_bar_values\":[");
			for (int i = 0; i < 50; i++)
				buf_printf(&line, "%s%.3f", i ? "," : "", 0.05 + i * 0.1);
			buf_adds(&line, "]}\n");
			gzwrite(gz[0], line.p, (unsigned)line.len);
			line.len = 0;
			buf_printf(&line, "{\"id\":\"e%ld\",\"modelId\":\"bench-model\",\"layer\":\"6-res-bench\","
					  "\"index\":\"%ld\",\"description\":\"%s and %s\",\"authorId\":\"bench\","
					  "\"typeName\":\"oai_token-act-pair\"}\n",
				   f, f, topics[rnd() % 8], topics[rnd() % 8]);
			gzwrite(gz[1], line.p, (unsigned)line.len);
			for (long r = 0; r < rows; r++) {
				line.len = 0;
				int top = r < rows / 2;
				double bmin = top ? -1 : (double)((r - rows / 2) % 5);
				buf_printf(&line, "{\"id\":\"a%ld_%ld\",\"modelId\":\"bench-model\",\"layer\":\"6-res-bench\","
						  "\"index\":\"%ld\",\"tokens\":[", f, r, f);
				for (int i = 0; i < 64; i++)
					buf_printf(&line, "%s\"%s\"", i ? "," : "", words[rnd() % 32]);
				buf_adds(&line, "],\"values\":[");
				int peak = (int)(rnd() % 64);
				for (int i = 0; i < 64; i++) {
					if (i == peak)
						buf_printf(&line, "%s%.3f", i ? "," : "", 0.5 + (rnd() % 500) / 100.0);
					else if (rnd() % 8 == 0)
						buf_printf(&line, "%s%.3f", i ? "," : "", (rnd() % 100) / 100.0);
					else
						buf_printf(&line, "%s0", i ? "," : "");
				}
				buf_printf(&line, "],\"maxValue\":1.0,\"maxValueTokenIndex\":%d,\"minValue\":0,"
						  "\"dataIndex\":\"%ld\",\"dataSource\":\"bench\",\"binMin\":%g,"
						  "\"binMax\":%g,\"binContains\":0.1}\n",
					   peak, r, bmin, top ? -1 : bmin + 1);
				gzwrite(gz[2], line.p, (unsigned)line.len);
			}
		}
		for (int k = 0; k < 3; k++)
			if (gzclose(gz[k]) != Z_OK)
				die("gzclose");
	}
	buf_free(&line);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "saelens"))
		return gen_saelens(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "delphi"))
		return gen_delphi(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "neuronpedia"))
		return gen_neuronpedia(argv[2], atol(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: import-fix saelens|delphi DIR | neuronpedia DIR NFEAT ROWS\n");
	return 2;
}
