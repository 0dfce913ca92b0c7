/*
 * hf-tool.c: the test driver of the Hugging Face architectures
 * (src/live/arch_hf.c), run by tests/hf_ref.py through t-live-hf.sh.
 *   hf-tool load DIR
 *       loads the folder through live_load: prints the architecture, the
 *       shapes and the context, or the error line (exit 2).
 *   hf-tool run DIR OUT EDIT ID...
 *       one batched forward pass over the ids with a hook at every point
 *       of every block, then the same ids through forward(1 token) and
 *       step(): OUT.fwd and OUT.step hold, as raw float32, for each block
 *       the rows at resid_pre, attn_out, mlp_in, mlp_hidden, mlp_out,
 *       resid_post ([T][width] each), then the logits [T][vocab]. EDIT is
 *       "none" or a point ("mlp_out.0") whose activations a hook first in
 *       the list halves in place.
 *   hf-tool mem DIR T
 *       resident memory (VmRSS, bytes) before the load (after a first
 *       product has loaded OpenBLAS) and after the load and a forward pass
 *       of T tokens: "rss_before N rss_after N".
 */
#include "live/live.h"
#include "nn/blas.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const live_hook_kind order[6] = {LIVE_RESID_PRE, LIVE_ATTN_OUT, LIVE_MLP_IN,
					LIVE_MLP_HIDDEN, LIVE_MLP_OUT, LIVE_RESID_POST};

typedef struct {
	float *buf;   /* [T][width] */
	int width, T;
	int bad;      /* a call out of range or at the wrong width */
} capture;

static void cap_fn(void *ud, float *act, int n, int width, int pos0)
{
	capture *c = ud;
	if (width != c->width || pos0 < 0 || pos0 + n > c->T) {
		c->bad = 1;
		return;
	}
	memcpy(c->buf + (size_t)pos0 * width, act, sizeof(float) * (size_t)n * width);
}

static void halve(void *ud, float *act, int n, int width, int pos0)
{
	(void)ud;
	(void)pos0;
	for (size_t i = 0; i < (size_t)n * width; i++)
		act[i] *= 0.5f;
}

static int dump(const char *path, capture *caps, int ncap, const float *lg, size_t nlg)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	for (int i = 0; i < ncap; i++)
		fwrite(caps[i].buf, sizeof(float), (size_t)caps[i].T * caps[i].width, f);
	fwrite(lg, sizeof(float), nlg, f);
	return fclose(f);
}

/* VmRSS in bytes, -1 unknown. */
static long long rss(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atoll(line + 6);
	if (f)
		fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static int mem(const char *dir, int T)
{
	float a[64] = {0}, c[64];
	blas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 8, 8, 8, 1.0f, a, 8, a, 8, 0.0f, c, 8);
	long long before = rss();
	char err[1024];
	live_model *m = live_load(dir, err, sizeof err);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (T > m->ctx)
		T = m->ctx;
	int *ids = xmalloc(sizeof(int) * (size_t)T);
	for (int i = 0; i < T; i++)
		ids[i] = (i * 7 + 3) % m->vocab;
	float *lg = xmalloc(sizeof(float) * (size_t)T * m->vocab);
	int rc = live_forward(m, ids, T, NULL, lg);
	printf("rss_before %lld rss_after %lld\n", before, rss());
	free(lg);
	free(ids);
	live_free(m);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "mem"))
		return mem(argv[2], atoi(argv[3]));
	if (argc < 3 || (strcmp(argv[1], "load") && (strcmp(argv[1], "run") || argc < 6))) {
		fprintf(stderr, "usage: hf-tool load DIR | hf-tool run DIR OUT EDIT ID...\n");
		return 2;
	}
	char err[1024];
	live_model *m = live_load(argv[2], err, sizeof err);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (!strcmp(argv[1], "load")) {
		printf("%s layers %d d_model %d vocab %d ctx %d\n", m->arch->name, m->n_layer, m->d_model, m->vocab,
		       m->ctx);
		live_free(m);
		return 0;
	}
	int T = argc - 5, L = m->n_layer, V = m->vocab, ncap = 6 * L;
	int *ids = xmalloc(sizeof(int) * (size_t)T);
	for (int i = 0; i < T; i++)
		ids[i] = atoi(argv[5 + i]);
	capture *caps = xcalloc((size_t)ncap, sizeof *caps);
	live_hook *hk = xcalloc((size_t)ncap + 1, sizeof *hk);
	/* the edit first, then one capture per point */
	int first = 0;
	if (strcmp(argv[4], "none") != 0) {
		if (live_point_parse(argv[4], &hk[0].at) != 0) {
			fprintf(stderr, "%s: not a point\n", argv[4]);
			return 2;
		}
		hk[0].fn = halve;
		first = 1;
	}
	for (int l = 0; l < L; l++)
		for (int k = 0; k < 6; k++) {
			capture *c = &caps[l * 6 + k];
			live_point p = {order[k], l};
			c->width = live_width(m, p);
			c->T = T;
			c->buf = xcalloc((size_t)T * c->width, sizeof(float));
			live_hook *h = &hk[first + l * 6 + k];
			h->at = p;
			h->fn = cap_fn;
			h->ud = c;
		}
	for (int i = 0; i + 1 < first + ncap; i++)
		hk[i].next = &hk[i + 1];
	float *lg = xmalloc(sizeof(float) * (size_t)T * V);
	char path[4096];
	int rc = 0;
	if (live_forward(m, ids, T, hk, lg) != 0) {
		fprintf(stderr, "forward failed\n");
		rc = 1;
	}
	snprintf(path, sizeof path, "%s.fwd", argv[3]);
	if (rc == 0)
		rc = dump(path, caps, ncap, lg, (size_t)T * V);
	for (int i = 0; i < ncap; i++)
		memset(caps[i].buf, 0, sizeof(float) * (size_t)T * caps[i].width);
	if (rc == 0 && live_forward(m, ids, 1, hk, lg) != 0)
		rc = 1;
	for (int t = 1; rc == 0 && t < T; t++)
		if (live_step(m, ids[t], hk, lg + (size_t)t * V) != 0) {
			fprintf(stderr, "step %d failed\n", t);
			rc = 1;
		}
	snprintf(path, sizeof path, "%s.step", argv[3]);
	if (rc == 0)
		rc = dump(path, caps, ncap, lg, (size_t)T * V);
	for (int i = 0; i < ncap; i++) {
		if (caps[i].bad) {
			fprintf(stderr, "hook %d: called out of range\n", i);
			rc = 1;
		}
		free(caps[i].buf);
	}
	free(caps);
	free(hk);
	free(lg);
	free(ids);
	live_free(m);
	return rc ? 1 : 0;
}
