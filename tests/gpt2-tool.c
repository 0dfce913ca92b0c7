/*
 * gpt2-tool.c: test driver for the GPT-2 runtime, run by tests/t-gpt2*.sh
 * and tests/gpt2_ref.py, which compare what it prints with independent
 * references (the JavaScript encoder, PyTorch).
 *   encode TOKDIR STRINGS   STRINGS holds one JSON string a line; prints
 *                           each one's ids, space separated, a line each;
 *                           checks that the ids decode to the string and
 *                           that the byte offsets tile it (exit 1 if not)
 *   forward MODEL IDS B T OUT [SCALE]
 *                           IDS: int32 [B*T]; writes OUT/HOOK.bin (f32
 *                           [B*T, d] at every hook point) and
 *                           OUT/logits.bin; SCALE: a hook multiplies
 *                           blocks.0.hook_resid_post by it in place
 *   steps MODEL IDS T P OUT the first sequence through the KV cache: P
 *                           tokens at once (gpt2_prefill), then one at a
 *                           time; writes the logits of positions 0..T-1
 *                           to OUT
 *   sae DIR IN ROWS OUT     encodes IN (f32 [ROWS, d_in]) to OUT
 *   load MODEL              loads a checkpoint (exit 2 with its message)
 */
#include "tok/bpe.h"
#include "live/gpt2.h"
#include "import/saelens_sae.h"
#include "core/input.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int do_encode(const char *dir, const char *path)
{
	char err[1024];
	fs_bpe *b = bpe_load_dir(dir, err, sizeof err);
	if (!b) {
		fprintf(stderr, "gpt2-tool: %s\n", err);
		return 2;
	}
	fs_input *in = input_open(path, err, sizeof err);
	if (!in) {
		fprintf(stderr, "gpt2-tool: %s\n", err);
		bpe_free(b);
		return 2;
	}
	const char *line;
	size_t len;
	int32_t *ids = NULL;
	uint32_t *offs = NULL;
	int64_t cap = 0;
	int rc = 0;
	while ((line = input_line(in, &len))) {
		if (!len)
			continue;
		json_error_t je;
		json_t *j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!json_is_string(j)) {
			fprintf(stderr, "gpt2-tool: %s:%lld: not a JSON string\n", path, (long long)input_lineno(in));
			json_decref(j);
			rc = 2;
			break;
		}
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		int64_t cnt = 0;
		if (bpe_encode(b, s, n, &ids, &offs, &cnt, &cap, err, sizeof err) != 0) {
			fprintf(stderr, "gpt2-tool: %s:%lld: %s\n", path, (long long)input_lineno(in), err);
			json_decref(j);
			rc = 2;
			break;
		}
		for (int64_t i = 0; i < cnt; i++)
			printf(i ? " %d" : "%d", ids[i]);
		putchar('\n');
		fs_buf d = {0};
		if (bpe_decode(b, ids, cnt, &d, err, sizeof err) != 0 || d.len != n || (n && memcmp(d.p, s, n))) {
			fprintf(stderr, "gpt2-tool: %s:%lld: ids do not decode to the string\n", path,
				(long long)input_lineno(in));
			rc = 1;
		}
		for (int64_t i = 0; i < cnt; i++) {
			size_t tl;
			bpe_token_bytes(b, ids[i], &tl);
			uint32_t end = i + 1 < cnt ? offs[i + 1] : (uint32_t)n;
			if ((i == 0 && offs[0] != 0) || offs[i] + tl != end) {
				fprintf(stderr, "gpt2-tool: %s:%lld: token %lld: offset %u does not tile the text\n",
					path, (long long)input_lineno(in), (long long)i, offs[i]);
				rc = 1;
				break;
			}
		}
		buf_free(&d);
		json_decref(j);
	}
	free(ids);
	free(offs);
	input_close(in);
	bpe_free(b);
	return rc;
}

static void *read_all(const char *path, size_t want)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "gpt2-tool: %s: cannot open\n", path);
		exit(2);
	}
	void *p = xmalloc(want ? want : 1);
	if (fread(p, 1, want, f) != want) {
		fprintf(stderr, "gpt2-tool: %s: shorter than %zu bytes\n", path, want);
		exit(2);
	}
	fclose(f);
	return p;
}

static void write_all(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "gpt2-tool: %s: write failed\n", path);
		exit(1);
	}
}

/* The forward hook: dump every hook point, optionally scale one. */
typedef struct {
	const char *out;    /* folder */
	float scale;        /* for blocks.0.hook_resid_post, 1 = none */
} dump_ctx;

static int dump_hook(void *user, int layer, live_hook_kind kind, float *x, int rows, int d)
{
	dump_ctx *c = user;
	if (!x)
		return 1; /* every point is read */
	char name[64];
	live_point_name_tl((live_point){kind, layer}, name, sizeof name);
	char *p = xasprintf("%s/%s.bin", c->out, name);
	write_all(p, x, sizeof(float) * (size_t)rows * d);
	free(p);
	if (layer == 0 && kind == LIVE_RESID_POST && c->scale != 1)
		for (size_t i = 0; i < (size_t)rows * d; i++)
			x[i] *= c->scale;
	return 0;
}

static fs_gpt2 *load_or_die(const char *dir)
{
	char err[1024];
	fs_gpt2 *m = gpt2_load(dir, err, sizeof err);
	if (!m) {
		fprintf(stderr, "gpt2-tool: %s\n", err);
		exit(2);
	}
	return m;
}

static int do_forward(char **argv, int argc)
{
	fs_gpt2 *m = load_or_die(argv[2]);
	int B = atoi(argv[4]), T = atoi(argv[5]);
	int32_t *ids = read_all(argv[3], sizeof(int32_t) * (size_t)B * T);
	dump_ctx dc = {argv[6], argc > 7 ? (float)atof(argv[7]) : 1.0f};
	float *logits = xmalloc(sizeof(float) * (size_t)B * T * gpt2_vocab(m));
	char err[1024];
	if (gpt2_forward(m, ids, B, T, dump_hook, &dc, logits, err, sizeof err) != 0) {
		fprintf(stderr, "gpt2-tool: %s\n", err);
		return 1;
	}
	char *p = xasprintf("%s/logits.bin", argv[6]);
	write_all(p, logits, sizeof(float) * (size_t)B * T * gpt2_vocab(m));
	free(p);
	free(logits);
	free(ids);
	gpt2_free(m);
	return 0;
}

static int do_steps(char **argv)
{
	fs_gpt2 *m = load_or_die(argv[2]);
	int T = atoi(argv[4]), P = atoi(argv[5]), V = gpt2_vocab(m);
	int32_t *ids = read_all(argv[3], sizeof(int32_t) * (size_t)T);
	float *logits = xmalloc(sizeof(float) * (size_t)T * V);
	gpt2_cache *c = gpt2_cache_new(m, T);
	char err[1024];
	int rc = gpt2_prefill(m, c, ids, P, NULL, NULL, logits, err, sizeof err);
	for (int t = P; t < T && rc == 0; t++)
		rc = gpt2_step(m, c, ids + t, 1, NULL, NULL, logits + (size_t)t * V, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "gpt2-tool: %s\n", err);
		return 1;
	}
	write_all(argv[6], logits, sizeof(float) * (size_t)T * V);
	gpt2_cache_free(c);
	free(logits);
	free(ids);
	gpt2_free(m);
	return 0;
}

static int do_sae(char **argv)
{
	saelens_sae s;
	char err[1024];
	if (saelens_load(argv[2], &s, err, sizeof err) != 0) {
		fprintf(stderr, "gpt2-tool: %s\n", err);
		return 2;
	}
	int rows = atoi(argv[4]);
	float *x = read_all(argv[3], sizeof(float) * (size_t)rows * s.c.d_in);
	float *acts = xmalloc(sizeof(float) * (size_t)rows * s.c.d_sae);
	float *scratch = xmalloc(sizeof(float) * (size_t)rows * s.c.d_in);
	saelens_encode(&s, x, rows, acts, scratch);
	write_all(argv[5], acts, sizeof(float) * (size_t)rows * s.c.d_sae);
	free(x);
	free(acts);
	free(scratch);
	saelens_free(&s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "encode"))
		return do_encode(argv[2], argv[3]);
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "forward"))
		return do_forward(argv, argc);
	if (argc == 7 && !strcmp(argv[1], "steps"))
		return do_steps(argv);
	if (argc == 6 && !strcmp(argv[1], "sae"))
		return do_sae(argv);
	if (argc == 3 && !strcmp(argv[1], "load")) {
		gpt2_free(load_or_die(argv[2]));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "loadsae")) {
		saelens_sae s;
		char err[1024];
		if (saelens_load(argv[2], &s, err, sizeof err) != 0) {
			fprintf(stderr, "gpt2-tool: %s\n", err);
			return 2;
		}
		saelens_free(&s);
		return 0;
	}
	fprintf(stderr, "usage: gpt2-tool encode|forward|steps|sae|load|loadsae ...\n");
	return 2;
}
