/*
 * saetrain.c: train-sae and eval-sae. The autoencoder reads the language
 * model's last-layer MLP activations (post-GELU) through a forward hook,
 * computed on the fly from random training windows. eval-sae measures
 * on held-out text: fraction of variance unexplained, mean L0, dead
 * features, bits per byte with the reconstruction spliced into the model,
 * and the loss recovered relative to zero-ablating the MLP activations.
 */
#include "fsmodel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hook state: copy activations out (training), or replace them by the
 * SAE reconstruction or by zeros (evaluation), gathering statistics. */
typedef struct {
	int mode;          /* 0 copy, 1 splice SAE, 2 zero */
	sae_model *sae;    /* the autoencoder (modes 1) */
	float *buf;        /* mode 0: copy [n, width] */
	int n, width;      /* rows and width of the last call */
	double se;         /* summed squared reconstruction error */
	double sx, sxx;    /* running sums for the variance: per element */
	double *colsum;    /* per-dimension sums [width] */
	double l0;         /* summed nonzero features */
	long rows;         /* rows seen */
	int64_t *fires;    /* per-feature firing counts [n_feat] */
	const int *valid;  /* rows to count (targets >= 0); NULL: all */
} fsm_hook_state;

static void fsm_hook(void *ctx, float *act, int n, int width)
{
	fsm_hook_state *h = ctx;
	h->n = n;
	h->width = width;
	if (h->mode == 0) {
		memcpy(h->buf, act, (size_t)n * width * sizeof(float));
		return;
	}
	if (h->mode == 2) {
		memset(act, 0, (size_t)n * width * sizeof(float));
		return;
	}
	sae_model *s = h->sae;
	int K = s->k;
	float *x = malloc((size_t)n * width * sizeof(float));
	float *xh = malloc((size_t)n * width * sizeof(float));
	int *idx = malloc((size_t)n * K * sizeof(int));
	float *val = malloc((size_t)n * K * sizeof(float));
	if (!x || !xh || !idx || !val)
		fsm_die("eval-sae", "out of memory");
	for (size_t i = 0; i < (size_t)n * width; i++)
		x[i] = act[i] * s->in_scale;
	sae_encode_sparse(s, x, n, idx, val);
	sae_decode_sparse(s, idx, val, n, xh);
	for (int i = 0; i < n; i++) {
		if (h->valid && h->valid[i] < 0)
			continue;
		h->rows++;
		for (int a = 0; a < K; a++) {
			int f = idx[(size_t)i * K + a];
			if (f >= 0) {
				h->l0++;
				h->fires[f]++;
			}
		}
		for (int j = 0; j < width; j++) {
			double xv = x[(size_t)i * width + j];
			double e = xv - xh[(size_t)i * width + j];
			h->se += e * e;
			h->sxx += xv * xv;
			h->colsum[j] += xv;
		}
	}
	for (size_t i = 0; i < (size_t)n * width; i++)
		act[i] = xh[i] / s->in_scale;
	free(x);
	free(xh);
	free(idx);
	free(val);
}

int fsm_train_sae(int argc, char **argv)
{
	const char *lmf = fsm_req(argc, argv, "--lm");
	const char *train = fsm_req(argc, argv, "--train");
	const char *out = fsm_req(argc, argv, "--out");
	int nf = (int)fsm_optf(argc, argv, "--features", 4096);
	int k = (int)fsm_optf(argc, argv, "--k", 32);
	int B = (int)fsm_optf(argc, argv, "--batch", 16);
	long steps = (long)fsm_optf(argc, argv, "--steps", 2000);
	double minutes = fsm_optf(argc, argv, "--minutes", 0);
	float lr_max = (float)fsm_optf(argc, argv, "--lr", 1e-3);
	float aux = (float)fsm_optf(argc, argv, "--aux", 1.0 / 32);
	int64_t dead_after = (int64_t)fsm_optf(argc, argv, "--dead-after", 500000);
	int k_aux = (int)fsm_optf(argc, argv, "--k-aux", 64);
	uint64_t seed = (uint64_t)fsm_optf(argc, argv, "--seed", 2);
	long warm = (long)fsm_optf(argc, argv, "--warmup", 100);
	lm_model *m = lm_load(lmf);
	if (!m)
		return 1;
	int T = m->cfg.ctx, W = 4 * m->cfg.d_model, N = B * T;
	size_t tlen;
	uint8_t *td = fsm_read_file(train, &tlen);
	if (tlen < (size_t)T + 2)
		fsm_usage("training text shorter than a context");
	sae_model *s = sae_new(W, nf, k, seed);
	if (!s)
		fsm_usage("bad SAE shape");
	s->dead_after = dead_after;
	s->k_aux = k_aux < nf ? k_aux : nf;
	uint8_t *tok = malloc((size_t)N);
	int *tgt = malloc((size_t)N * sizeof(int));
	fsm_hook_state h = {0};
	h.buf = malloc((size_t)N * W * sizeof(float));
	uint64_t rng = seed ^ 0x5ae;
	fprintf(stderr,
	        "train-sae: TopK k=%d, %d features over %d MLP neurons, batch "
	        "%d tokens, aux-k %d (coef %g, dead after %ld tokens)\n",
	        k, nf, W, N, s->k_aux, aux, (long)dead_after);
	double t0 = fsm_now();
	sae_stats st = {0};
	double efvu = 0, el0 = 0;
	long i;
	for (i = 0; i < steps; i++) {
		double el = fsm_now() - t0;
		double prog = (double)i / steps;
		if (minutes > 0 && el / (minutes * 60) > prog)
			prog = el / (minutes * 60);
		if (prog >= 1.0)
			break;
		/* linear warmup, constant, then linear decay over the last
		 * 30% (Adam's first steps otherwise overshoot) */
		float lr = prog < 0.7 ? lr_max
		                      : lr_max * (float)((1.0 - prog) / 0.3);
		if (i < warm)
			lr *= (float)(i + 1) / warm;
		fsm_batch(td, tlen, B, T, &rng, tok, tgt);
		h.mode = 0;
		lm_forward(m, tok, NULL, B, T, fsm_hook, &h, NULL);
		if (i == 0) {
			double ss = 0;
			for (size_t j = 0; j < (size_t)N * W; j++)
				ss += (double)h.buf[j] * h.buf[j];
			s->in_scale = (float)sqrt((double)W * N / (ss + 1e-12));
			for (size_t j = 0; j < (size_t)N * W; j++)
				h.buf[j] *= s->in_scale;
			sae_init_bias(s, h.buf, N);
			fprintf(stderr, "train-sae: input scale %.4g\n",
			        s->in_scale);
		} else {
			for (size_t j = 0; j < (size_t)N * W; j++)
				h.buf[j] *= s->in_scale;
		}
		sae_step_grad(s, h.buf, N, aux, &st);
		sae_adam(s, lr);
		efvu = i ? 0.95 * efvu + 0.05 * st.fvu : st.fvu;
		el0 = i ? 0.95 * el0 + 0.05 * st.l0 : st.l0;
		if ((i + 1) % 25 == 0 || i == 0) {
			double e2 = fsm_now() - t0;
			fprintf(stderr,
			        "sae step %ld fvu %.4f l0 %.1f dead %d (%.1f%%) aux "
			        "%.4f lr %.1e %.0f tok/s %.0fs\n",
			        i + 1, efvu, el0, st.n_dead,
			        100.0 * st.n_dead / nf, st.aux, lr,
			        (i + 1) * (double)N / e2, e2);
		}
		if ((i + 1) % 200 == 0 && sae_save(s, out) != 0)
			fsm_die(out, strerror(errno));
	}
	double el = fsm_now() - t0;
	if (sae_save(s, out) != 0)
		fsm_die(out, strerror(errno));
	printf("sae_steps %ld\nsae_tokens %ld\nsae_seconds %.0f\n"
	       "sae_train_fvu %.4f\nsae_train_dead %d\n",
	       i, i * (long)N, el, efvu, st.n_dead);
	free(tok);
	free(tgt);
	free(h.buf);
	free(td);
	sae_free(s);
	lm_free(m);
	return 0;
}

int fsm_eval_sae(int argc, char **argv)
{
	const char *lmf = fsm_req(argc, argv, "--lm");
	const char *saef = fsm_req(argc, argv, "--sae");
	const char *held = fsm_req(argc, argv, "--heldout");
	size_t max = (size_t)fsm_optf(argc, argv, "--max-bytes", 0);
	lm_model *m = lm_load(lmf);
	sae_model *s = sae_load(saef);
	if (!m || !s)
		return 1;
	if (s->d_in != 4 * m->cfg.d_model)
		fsm_usage("SAE width does not match the model's MLP");
	size_t hlen;
	uint8_t *hd = fsm_read_file(held, &hlen);
	double t0 = fsm_now();
	double clean = fsm_eval_bpb(m, hd, hlen, max, NULL, NULL);
	fsm_hook_state h = {0};
	h.mode = 2;
	double zero = fsm_eval_bpb(m, hd, hlen, max, fsm_hook, &h);
	h.mode = 1;
	h.sae = s;
	h.colsum = calloc((size_t)s->d_in, sizeof(double));
	h.fires = calloc((size_t)s->n_feat, sizeof(int64_t));
	double spliced = fsm_eval_bpb(m, hd, hlen, max, fsm_hook, &h);
	double msum = 0;
	for (int j = 0; j < s->d_in; j++)
		msum += h.colsum[j] * h.colsum[j];
	double var = h.sxx - msum / (double)h.rows;
	int dead = 0;
	for (int f = 0; f < s->n_feat; f++)
		dead += h.fires[f] == 0;
	double rec = zero > clean ? (zero - spliced) / (zero - clean) : 0;
	printf("eval_bytes %zu\nlm_bpb %.4f\nsae_spliced_bpb %.4f\n"
	       "zero_ablated_bpb %.4f\nloss_recovered %.4f\nsae_fvu %.4f\n"
	       "sae_l0 %.2f\nsae_dead %d\nsae_dead_frac %.4f\nsae_features %d\n"
	       "sae_k %d\n",
	       max && max < hlen ? max : hlen, clean, spliced, zero, rec,
	       var > 0 ? h.se / var : 0, h.l0 / (h.rows ? h.rows : 1), dead,
	       (double)dead / s->n_feat, s->n_feat, s->k);
	fprintf(stderr, "eval-sae: %.1fs\n", fsm_now() - t0);
	free(h.colsum);
	free(h.fires);
	free(hd);
	sae_free(s);
	lm_free(m);
	return 0;
}
