/*
 * dict-tool.c: test driver for the dictionary layouts (src/import/saelens_sae.c,
 * the one reader, and src/live/sae_live.c, the runtime), run by
 * tests/dict_ref.py, which compares what it writes with a PyTorch
 * reference written from the definitions.
 *   enc DIR IN ROWS OUT     IN: f32 [ROWS, d_in]; writes OUT (the runtime's
 *                           encoder, live_sae_encode, dense f32 [ROWS, d_sae])
 *                           and OUT.h (the harvest's, saelens_encode)
 *   dec DIR IN ROWS OUT     the dictionary's output for IN (saelens_decode
 *                           of saelens_encode): f32 [ROWS, d_out]
 *   steer DIR IN ROWS OUT F V clamp|add
 *                           a steering state's hooks on IN: the list
 *                           live_steer_as_hook gives, each hook run on its
 *                           point's rows (IN at the input point; zeros
 *                           [ROWS, d_out] at a transcoder's output point);
 *                           writes the rows of the last point, f32
 *   load DIR                live_sae_load (exit 2 with its message)
 */
#include "live/live.h"
#include "import/saelens_sae.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_f32(const char *path, size_t n)
{
	FILE *f = fopen(path, "rb");
	float *v = xmalloc((n ? n : 1) * sizeof *v);
	if (!f || fread(v, sizeof *v, n, f) != n) {
		fprintf(stderr, "dict-tool: %s: short\n", path);
		exit(1);
	}
	fclose(f);
	return v;
}

static void write_f32(const char *path, const float *v, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(v, sizeof *v, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "dict-tool: %s: write failed\n", path);
		exit(1);
	}
}

static live_sae *load_live(const char *dir)
{
	char err[1024];
	live_sae *s = live_sae_load(dir, err, sizeof err);
	if (!s) {
		fprintf(stderr, "dict-tool: %s\n", err);
		exit(2);
	}
	return s;
}

static void load_sael(const char *dir, saelens_sae *z)
{
	char err[1024];
	if (saelens_load(dir, z, err, sizeof err) != 0) {
		fprintf(stderr, "dict-tool: %s\n", err);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "load")) {
		live_sae_free(load_live(argv[2]));
		return 0;
	}
	if (argc < 6) {
		fprintf(stderr, "usage: dict-tool enc|dec|steer|load DIR [IN ROWS OUT ...]\n");
		return 1;
	}
	int rows = atoi(argv[4]);
	if (!strcmp(argv[1], "enc") && argc == 6) {
		live_sae *s = load_live(argv[2]);
		size_t F = (size_t)s->n_feat;
		float *x = read_f32(argv[3], (size_t)rows * s->d_in);
		int *idx = xmalloc((size_t)rows * F * sizeof *idx);
		float *val = xmalloc((size_t)rows * F * sizeof *val);
		float *dense = xcalloc((size_t)rows * F, sizeof *dense);
		live_sae_encode(s, x, rows, (int)F, idx, val);
		for (int r = 0; r < rows; r++)
			for (size_t k = 0; k < F; k++)
				if (idx[r * F + k] >= 0)
					dense[r * F + (size_t)idx[r * F + k]] = val[r * F + k];
		write_f32(argv[5], dense, (size_t)rows * F);
		saelens_sae z;
		load_sael(argv[2], &z);
		float *acts = xmalloc((size_t)rows * F * sizeof *acts);
		float *scratch = xmalloc((size_t)rows * z.c.d_in * sizeof *scratch);
		saelens_encode(&z, x, rows, acts, scratch);
		char *h = xasprintf("%s.h", argv[5]);
		write_f32(h, acts, (size_t)rows * F);
		free(h);
		free(acts);
		free(scratch);
		saelens_free(&z);
		free(x);
		free(idx);
		free(val);
		free(dense);
		live_sae_free(s);
		return 0;
	}
	if (!strcmp(argv[1], "dec") && argc == 6) {
		saelens_sae z;
		load_sael(argv[2], &z);
		float *x = read_f32(argv[3], (size_t)rows * z.c.d_in);
		float *acts = xmalloc((size_t)rows * z.c.d_sae * sizeof *acts);
		float *scratch = xmalloc((size_t)rows * z.c.d_in * sizeof *scratch);
		float *out = xmalloc((size_t)rows * z.c.d_out * sizeof *out);
		saelens_encode(&z, x, rows, acts, scratch);
		saelens_decode(&z, acts, x, rows, out);
		write_f32(argv[5], out, (size_t)rows * z.c.d_out);
		free(x);
		free(acts);
		free(scratch);
		free(out);
		saelens_free(&z);
		return 0;
	}
	if (!strcmp(argv[1], "steer") && argc == 9) {
		live_sae *s = load_live(argv[2]);
		float *x = read_f32(argv[3], (size_t)rows * s->d_in);
		live_steer_term term = {atoi(argv[6]), (float)atof(argv[7])};
		live_steer st = {s, !strcmp(argv[8], "add") ? LIVE_ADD : LIVE_CLAMP, &term, 1, NULL, 0};
		live_hook h = live_steer_as_hook(&st);
		h.fn(h.ud, x, rows, s->d_in, 0);
		if (h.next) {
			float *out = xcalloc((size_t)rows * s->d_out, sizeof *out);
			h.next->fn(h.next->ud, out, rows, s->d_out, 0);
			write_f32(argv[5], out, (size_t)rows * s->d_out);
			free(out);
		} else
			write_f32(argv[5], x, (size_t)rows * s->d_in);
		free(x);
		live_sae_free(s);
		return 0;
	}
	fprintf(stderr, "usage: dict-tool enc|dec|steer|load DIR [IN ROWS OUT ...]\n");
	return 1;
}
