/*
 * saetrain.c: train-sae and eval-sae. The autoencoders read one hook of
 * the language model (the residual stream after a block, or a block's
 * post-GELU MLP activations) through a forward hook, computed on the fly
 * from random training windows; several widths train side by side on the
 * same activations (one model forward per batch). eval-sae measures on
 * held-out text: fraction of variance unexplained, mean L0, dead
 * features, bits per byte with the reconstruction spliced into the model,
 * and the loss recovered relative to zero- and mean-ablating the hook.
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
	int mode;          /* 0 copy, 1 splice SAE, 2 zero, 3 replace by mean,
	                      4 accumulate the mean (activations unchanged) */
	double *mean;      /* modes 3, 4: per-dimension sum, then mean */
	long mean_rows;    /* mode 4: rows summed */
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
	if (h->mode == 3) {
		for (int i = 0; i < n; i++)
			for (int j = 0; j < width; j++)
				act[(size_t)i * width + j] = (float)h->mean[j];
		return;
	}
	if (h->mode == 4) {
		for (int i = 0; i < n; i++) {
			if (h->valid && h->valid[i] < 0)
				continue;
			for (int j = 0; j < width; j++)
				h->mean[j] += act[(size_t)i * width + j];
			h->mean_rows++;
		}
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

/* Parse a comma-separated list of up to max items into out (strings
 * point into a copy); returns the count. */
static int fsm_split(const char *list, char **out, int max)
{
	size_t len = strlen(list);
	char *c = malloc(len + 1);
	int n = 0;
	if (!c)
		fsm_die("options", "out of memory");
	memcpy(c, list, len + 1);
	for (char *t = strtok(c, ","); t && n < max; t = strtok(NULL, ","))
		out[n++] = t;
	return n;
}

/* Point the model's hook at what the SAE reads; exits 2 on a mismatch. */
static void fsm_attach(lm_model *m, const sae_model *s, const char *what)
{
	int L = s->layer < 0 ? m->cfg.n_layer - 1 : s->layer;
	int w = s->hook_kind == SAE_HOOK_RESID ? m->cfg.d_model
	                                       : 4 * m->cfg.d_model;
	if (L >= m->cfg.n_layer || s->d_in != w) {
		fprintf(stderr, "featscope-model: %s:1: d_in: %d does not fit the "
		        "model's %s of block %d\n", what, s->d_in,
		        s->hook_kind == SAE_HOOK_RESID ? "residual stream" : "MLP",
		        L);
		exit(2);
	}
	m->hook_kind = s->hook_kind == SAE_HOOK_RESID ? LM_HOOK_RESID
	                                              : LM_HOOK_MLP;
	m->hook_layer = L;
}

#define FSM_MAX_SAE 8

int fsm_train_sae(int argc, char **argv)
{
	const char *lmf = fsm_req(argc, argv, "--lm");
	const char *train = fsm_req(argc, argv, "--train");
	char *outs[FSM_MAX_SAE], *nfs[FSM_MAX_SAE];
	int nout = fsm_split(fsm_req(argc, argv, "--out"), outs, FSM_MAX_SAE);
	int nnf = fsm_split(fsm_opt(argc, argv, "--features", "4096"), nfs,
	                    FSM_MAX_SAE);
	if (nout < 1 || nout != nnf)
		fsm_usage("--out and --features must list as many SAEs");
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
	const char *hook = fsm_opt(argc, argv, "--hook", "mlp");
	int kind = strcmp(hook, "resid") == 0 ? SAE_HOOK_RESID : SAE_HOOK_MLP;
	if (kind == SAE_HOOK_MLP && strcmp(hook, "mlp") != 0)
		fsm_usage("--hook: expected mlp or resid");
	lm_model *m = lm_load(lmf);
	if (!m)
		return 1;
	/* default layer: the last block's MLP, or the residual stream after
	 * the middle block */
	int layer = (int)fsm_optf(argc, argv, "--layer",
	                          kind == SAE_HOOK_RESID ? (m->cfg.n_layer - 1) / 2
	                                                 : m->cfg.n_layer - 1);
	if (layer < 0 || layer >= m->cfg.n_layer)
		fsm_usage("--layer: no such block");
	int T = m->cfg.ctx, N = B * T;
	int W = kind == SAE_HOOK_RESID ? m->cfg.d_model : 4 * m->cfg.d_model;
	size_t tlen;
	uint8_t *td = fsm_read_file(train, &tlen);
	if (tlen < (size_t)T + 2)
		fsm_usage("training text shorter than a context");
	sae_model *S[FSM_MAX_SAE];
	for (int j = 0; j < nout; j++) {
		int nf = atoi(nfs[j]);
		S[j] = sae_new(W, nf, k, seed + (uint64_t)j);
		if (!S[j])
			fsm_usage("bad SAE shape");
		S[j]->dead_after = dead_after;
		S[j]->k_aux = k_aux < nf ? k_aux : nf;
		S[j]->hook_kind = kind;
		S[j]->layer = layer;
	}
	fsm_attach(m, S[0], "train-sae");
	uint8_t *tok = malloc((size_t)N);
	int *tgt = malloc((size_t)N * sizeof(int));
	fsm_hook_state h = {0};
	h.buf = malloc((size_t)N * W * sizeof(float));
	uint64_t rng = seed ^ 0x5ae;
	fprintf(stderr,
	        "train-sae: %d SAE(s), TopK k=%d over %d dims (%s of block %d), "
	        "batch %d tokens, aux-k %d (coef %g, dead after %ld tokens)\n",
	        nout, k, W, kind == SAE_HOOK_RESID ? "residual stream" : "MLP",
	        layer, N, k_aux, aux, (long)dead_after);
	double t0 = fsm_now();
	sae_stats st[FSM_MAX_SAE] = {{0}};
	double efvu[FSM_MAX_SAE] = {0};
	long i;
	float scale = 1.0f;
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
			scale = (float)sqrt((double)W * N / (ss + 1e-12));
		}
		for (size_t j = 0; j < (size_t)N * W; j++)
			h.buf[j] *= scale;
		for (int j = 0; j < nout; j++) {
			if (i == 0) {
				S[j]->in_scale = scale;
				sae_init_bias(S[j], h.buf, N);
			}
			sae_step_grad(S[j], h.buf, N, aux, &st[j]);
			sae_adam(S[j], lr);
			efvu[j] = i ? 0.95 * efvu[j] + 0.05 * st[j].fvu : st[j].fvu;
		}
		if (i == 0)
			fprintf(stderr, "train-sae: input scale %.4g\n", scale);
		if ((i + 1) % 25 == 0 || i == 0) {
			double e2 = fsm_now() - t0;
			fprintf(stderr, "sae step %ld lr %.1e %.0f tok/s %.0fs:", i + 1,
			        lr, (i + 1) * (double)N / e2, e2);
			for (int j = 0; j < nout; j++)
				fprintf(stderr, " [%d: fvu %.4f l0 %.1f dead %d (%.1f%%)]",
				        S[j]->n_feat, efvu[j], st[j].l0, st[j].n_dead,
				        100.0 * st[j].n_dead / S[j]->n_feat);
			fputc('\n', stderr);
		}
		if ((i + 1) % 200 == 0)
			for (int j = 0; j < nout; j++)
				if (sae_save(S[j], outs[j]) != 0)
					fsm_die(outs[j], strerror(errno));
	}
	double el = fsm_now() - t0;
	printf("sae_steps %ld\nsae_tokens %ld\nsae_seconds %.0f\n", i,
	       i * (long)N, el);
	for (int j = 0; j < nout; j++) {
		if (sae_save(S[j], outs[j]) != 0)
			fsm_die(outs[j], strerror(errno));
		printf("sae%d_train_fvu %.4f\nsae%d_train_dead %d\n", S[j]->n_feat,
		       efvu[j], S[j]->n_feat, st[j].n_dead);
		sae_free(S[j]);
	}
	free(outs[0]);
	free(nfs[0]);
	free(tok);
	free(tgt);
	free(h.buf);
	free(td);
	lm_free(m);
	return 0;
}

int fsm_eval_sae(int argc, char **argv)
{
	const char *lmf = fsm_req(argc, argv, "--lm");
	char *saes[FSM_MAX_SAE], *names[FSM_MAX_SAE];
	int ns = fsm_split(fsm_req(argc, argv, "--sae"), saes, FSM_MAX_SAE);
	const char *nl = fsm_opt(argc, argv, "--names", NULL);
	int nn = nl ? fsm_split(nl, names, FSM_MAX_SAE) : 0;
	if (ns < 1 || (nl && nn != ns))
		fsm_usage("--sae: one or more files; --names as many names");
	const char *held = fsm_req(argc, argv, "--heldout");
	size_t max = (size_t)fsm_optf(argc, argv, "--max-bytes", 0);
	lm_model *m = lm_load(lmf);
	if (!m)
		return 1;
	sae_model *S[FSM_MAX_SAE] = {NULL};
	for (int j = 0; j < ns; j++) {
		S[j] = sae_load(saes[j]);
		if (!S[j])
			return 1;
		fsm_attach(m, S[j], saes[j]);
		if (S[j]->hook_kind != S[0]->hook_kind ||
		    m->hook_layer != (S[0]->layer < 0 ? m->cfg.n_layer - 1
		                                      : S[0]->layer))
			fsm_usage("eval-sae: every SAE must read the same hook");
	}
	size_t hlen;
	uint8_t *hd = fsm_read_file(held, &hlen);
	double t0 = fsm_now();
	int W = S[0]->d_in;
	fsm_hook_state h = {0};
	h.mean = calloc((size_t)W, sizeof(double));
	h.mode = 4; /* clean pass, summing the hook's mean */
	double clean = fsm_eval_bpb(m, hd, hlen, max, fsm_hook, &h);
	for (int j = 0; j < W; j++)
		h.mean[j] /= h.mean_rows ? (double)h.mean_rows : 1.0;
	h.mode = 2;
	double zero = fsm_eval_bpb(m, hd, hlen, max, fsm_hook, &h);
	h.mode = 3;
	double meanab = fsm_eval_bpb(m, hd, hlen, max, fsm_hook, &h);
	printf("eval_bytes %zu\nlm_bpb %.4f\nzero_ablated_bpb %.4f\n"
	       "mean_ablated_bpb %.4f\n",
	       max && max < hlen ? max : hlen, clean, zero, meanab);
	for (int j = 0; j < ns; j++) {
		sae_model *s = S[j];
		char pre[64];
		if (nn)
			snprintf(pre, sizeof pre, "%s_", names[j]);
		else if (ns > 1)
			snprintf(pre, sizeof pre, "sae%d_", s->n_feat);
		else
			pre[0] = 0;
		h.mode = 1;
		h.sae = s;
		h.se = h.sxx = h.l0 = 0;
		h.rows = 0;
		h.colsum = calloc((size_t)s->d_in, sizeof(double));
		h.fires = calloc((size_t)s->n_feat, sizeof(int64_t));
		double spliced = fsm_eval_bpb(m, hd, hlen, max, fsm_hook, &h);
		double msum = 0;
		for (int d = 0; d < s->d_in; d++)
			msum += h.colsum[d] * h.colsum[d];
		double var = h.sxx - msum / (double)h.rows;
		int dead = 0;
		for (int f = 0; f < s->n_feat; f++)
			dead += h.fires[f] == 0;
		double rec = zero > clean ? (zero - spliced) / (zero - clean) : 0;
		double recm = meanab > clean
		                  ? (meanab - spliced) / (meanab - clean) : 0;
		printf("%ssae_spliced_bpb %.4f\n%sloss_recovered %.4f\n"
		       "%sloss_recovered_vs_mean %.4f\n%ssae_fvu %.4f\n"
		       "%ssae_l0 %.2f\n%ssae_dead %d\n%ssae_dead_frac %.4f\n"
		       "%ssae_features %d\n%ssae_k %d\n",
		       pre, spliced, pre, rec, pre, recm, pre,
		       var > 0 ? h.se / var : 0, pre, h.l0 / (h.rows ? h.rows : 1),
		       pre, dead, pre, (double)dead / s->n_feat, pre, s->n_feat,
		       pre, s->k);
		fflush(stdout);
		free(h.colsum);
		free(h.fires);
		sae_free(s);
	}
	fprintf(stderr, "eval-sae: %.1fs\n", fsm_now() - t0);
	free(saes[0]);
	if (nn)
		free(names[0]);
	free(h.mean);
	free(hd);
	lm_free(m);
	return 0;
}
