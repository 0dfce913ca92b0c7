/*
 * fsmodel.c: the demo-model tool behind `make demo-data`: trains the byte
 * level language model (train-lm), measures it (eval-lm), trains the
 * sparse autoencoder on its last MLP layer (train-sae), measures that
 * (eval-sae) and harvests activation records, decoder, unembedding,
 * vocabulary and automatic labels for `featscope build` (harvest, in
 * harvest.c). Progress goes to stderr; figures go to stdout as
 * "key value" lines so scripts can collect them.
 */
#define _POSIX_C_SOURCE 200809L
#include "fsmodel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double fsm_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void fsm_die(const char *what, const char *why)
{
	fprintf(stderr, "featscope-model: %s: %s\n", what, why);
	exit(1);
}

void fsm_usage(const char *msg)
{
	fprintf(stderr, "featscope-model: %s\n", msg);
	exit(2);
}

uint8_t *fsm_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fsm_die(path, strerror(errno));
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			uint8_t *nb = realloc(buf, cap);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	if (!buf)
		fsm_die(path, "out of memory");
	if (ferror(f))
		fsm_die(path, strerror(errno));
	fclose(f);
	*len = n;
	return buf;
}

uint64_t fsm_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Option parsing: "--name value" pairs. */
const char *fsm_opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

double fsm_optf(int argc, char **argv, const char *name, double def)
{
	const char *v = fsm_opt(argc, argv, name, NULL);
	if (!v)
		return def;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || *end || end == v) {
		fprintf(stderr, "featscope-model: %s: not a number: %s\n", name, v);
		exit(2);
	}
	return d;
}

const char *fsm_req(int argc, char **argv, const char *name)
{
	const char *v = fsm_opt(argc, argv, name, NULL);
	if (!v) {
		fprintf(stderr, "featscope-model: missing option %s\n", name);
		exit(2);
	}
	return v;
}

/* Fill a batch of B random windows of T+1 bytes from data. */
void fsm_batch(const uint8_t *data, size_t len, int B, int T, uint64_t *rng,
               uint8_t *tok, int *tgt)
{
	for (int b = 0; b < B; b++) {
		size_t start = fsm_rand(rng) % (len - (size_t)T - 1);
		for (int t = 0; t < T; t++) {
			tok[b * T + t] = data[start + t];
			tgt[b * T + t] = data[start + t + 1];
		}
	}
}

/* Mean cross-entropy in bits per byte over non-overlapping windows of
 * held-out text, with an optional hook on the last MLP layer. Every byte
 * but the first of each window is predicted from the bytes before it in
 * the window. With max_bytes (0: all), about max_bytes worth of windows
 * spread evenly over the whole text (so every part of the corpus counts). */
double fsm_eval_bpb(lm_model *m, const uint8_t *data, size_t len,
                    size_t max_bytes, lm_hook hook, void *hctx)
{
	return fsm_eval_bpb_window(m, data, len, max_bytes, m->cfg.ctx, hook,
	                           hctx);
}

double fsm_eval_bpb_window(lm_model *m, const uint8_t *data, size_t len,
                           size_t max_bytes, int T, lm_hook hook, void *hctx)
{
	int B = 32;
	if (T < 2 || T > m->cfg.ctx)
		T = m->cfg.ctx;
	size_t all = len > (size_t)T ? (len - 1) / T : 0;
	size_t nwin = all;
	if (max_bytes && max_bytes / T < all)
		nwin = max_bytes / T;
	uint8_t *tok = malloc((size_t)B * T);
	int *tgt = malloc((size_t)B * T * sizeof(int));
	double tot = 0;
	long cnt = 0;
	for (size_t w0 = 0; w0 < nwin; w0 += B) {
		int nb = (int)(nwin - w0 < (size_t)B ? nwin - w0 : (size_t)B);
		for (int b = 0; b < nb; b++) {
			size_t w = (w0 + b) * all / nwin; /* identity when nwin == all */
			const uint8_t *s = data + w * T;
			for (int t = 0; t < T; t++) {
				tok[b * T + t] = s[t];
				tgt[b * T + t] = s[t + 1];
			}
		}
		double l = lm_forward(m, tok, tgt, nb, T, hook, hctx, NULL);
		tot += l * nb * T;
		cnt += (long)nb * T;
	}
	free(tok);
	free(tgt);
	return cnt ? tot / cnt / log(2.0) : 0;
}

/* Sliding-window bits per byte: windows of T bytes every stride bytes;
 * the first window scores all its positions, later ones only their last
 * stride positions, so every byte is scored once with at least T - stride
 * bytes of context (except at the start of the text). */
static double fsm_eval_bpb_sliding(lm_model *m, const uint8_t *data,
                                   size_t len, size_t max_bytes, int stride)
{
	int T = m->cfg.ctx, B = 32;
	if (max_bytes && len > max_bytes)
		len = max_bytes;
	if (stride < 1 || stride > T)
		stride = T;
	size_t nwin = len > (size_t)T ? (len - 1 - T) / stride + 1 : 0;
	uint8_t *tok = malloc((size_t)B * T);
	int *tgt = malloc((size_t)B * T * sizeof(int));
	double tot = 0;
	long cnt = 0;
	for (size_t w0 = 0; w0 < nwin; w0 += B) {
		int nb = (int)(nwin - w0 < (size_t)B ? nwin - w0 : (size_t)B);
		long scored = 0;
		for (int b = 0; b < nb; b++) {
			size_t w = w0 + b;
			const uint8_t *s = data + w * stride;
			for (int t = 0; t < T; t++) {
				tok[b * T + t] = s[t];
				tgt[b * T + t] = (w == 0 || t >= T - stride) ? s[t + 1] : -1;
				scored += tgt[b * T + t] >= 0;
			}
		}
		double l = lm_forward(m, tok, tgt, nb, T, NULL, NULL, NULL);
		tot += l * scored;
		cnt += scored;
	}
	free(tok);
	free(tgt);
	return cnt ? tot / cnt / log(2.0) : 0;
}

static int cmd_train_lm(int argc, char **argv)
{
	const char *train = fsm_req(argc, argv, "--train");
	const char *held = fsm_req(argc, argv, "--heldout");
	const char *out = fsm_req(argc, argv, "--out");
	lm_config c;
	c.n_layer = (int)fsm_optf(argc, argv, "--layers", 2);
	c.d_model = (int)fsm_optf(argc, argv, "--d-model", 128);
	c.n_head = (int)fsm_optf(argc, argv, "--heads", 4);
	c.ctx = (int)fsm_optf(argc, argv, "--ctx", 128);
	int B = (int)fsm_optf(argc, argv, "--batch", 32);
	long steps = (long)fsm_optf(argc, argv, "--steps", 1000);
	double minutes = fsm_optf(argc, argv, "--minutes", 0);
	float lr_max = (float)fsm_optf(argc, argv, "--lr", 3e-3);
	float wd = (float)fsm_optf(argc, argv, "--wd", 0.05);
	long warm = (long)fsm_optf(argc, argv, "--warmup", 100);
	long every = (long)fsm_optf(argc, argv, "--eval-every", 500);
	uint64_t seed = (uint64_t)fsm_optf(argc, argv, "--seed", 1);
	size_t tlen, hlen;
	uint8_t *td = fsm_read_file(train, &tlen);
	uint8_t *hd = fsm_read_file(held, &hlen);
	if (tlen < (size_t)c.ctx + 2 || hlen < (size_t)c.ctx + 2)
		fsm_usage("training or held-out text shorter than a context");
	const char *init = fsm_opt(argc, argv, "--init", NULL);
	/* --resume: continue a killed run from its checkpoint (--out) and
	 * training state (--state, default OUT.state): same step, schedule,
	 * AdamW moments and batch stream. */
	int resume = fsm_opt(argc, argv, "--resume", NULL) != NULL;
	char defstate[4096];
	snprintf(defstate, sizeof defstate, "%s.state", out);
	const char *statef = fsm_opt(argc, argv, "--state", defstate);
	long ckpt = (long)fsm_optf(argc, argv, "--checkpoint-every", 200);
	/* --stop-at N: end after step N as if killed there (tests resume) */
	long stop = (long)fsm_optf(argc, argv, "--stop-at", 0);
	if (resume)
		init = out;
	lm_model *m = init ? lm_load(init) : lm_new(&c, seed);
	if (!m) {
		if (init)
			return 1;
		fsm_usage("bad model shape");
	}
	c = m->cfg; /* --init: the checkpoint's shape wins */
	uint64_t rng = seed ^ 0xabcdef;
	double prev = 0; /* seconds trained before a resume */
	long s0 = 0;
	if (resume) {
		if (lm_load_state(m, statef, &rng, &prev) != 0)
			return 1;
		s0 = m->step;
		fprintf(stderr, "train-lm: resuming at step %ld (%.0fs trained)\n",
		        s0, prev);
	}
	fprintf(stderr,
	        "train-lm: %d layers, d_model %d, %d heads, ctx %d, %zu "
	        "parameters; %zu train bytes, %zu held-out bytes\n",
	        c.n_layer, c.d_model, c.n_head, c.ctx, m->n_params, tlen, hlen);
	uint8_t *tok = malloc((size_t)B * c.ctx);
	int *tgt = malloc((size_t)B * c.ctx * sizeof(int));
	double t0 = fsm_now() - prev, ema = 0;
	long s;
	for (s = s0; s < steps; s++) {
		double el = fsm_now() - t0;
		double prog = (double)s / steps;
		if (minutes > 0 && el / (minutes * 60) > prog)
			prog = el / (minutes * 60);
		if (prog >= 1.0 || (stop > 0 && s >= stop))
			break;
		float lr = lr_max * (0.1f + 0.9f * 0.5f *
		                     (1.0f + cosf(3.14159265f * (float)prog)));
		if (s < warm)
			lr = lr_max * (float)(s + 1) / warm;
		fsm_batch(td, tlen, B, c.ctx, &rng, tok, tgt);
		double loss = lm_forward(m, tok, tgt, B, c.ctx, NULL, NULL, NULL);
		lm_backward(m, tok, tgt, B, c.ctx);
		double gn = lm_adamw(m, lr, wd, 1.0f);
		ema = s > s0 ? 0.98 * ema + 0.02 * loss : loss;
		if ((s + 1) % 50 == 0 || s == s0) {
			double e2 = fsm_now() - t0;
			fprintf(stderr,
			        "step %ld loss %.4f (%.3f bpb) gnorm %.2f lr %.2e "
			        "%.0f tok/s %.0fs\n",
			        s + 1, ema, ema / log(2.0), gn, lr,
			        (double)(s + 1) * B * c.ctx / e2, e2);
		}
		if ((s + 1) % every == 0) {
			double bpb = fsm_eval_bpb(m, hd, hlen, 262144, NULL, NULL);
			fprintf(stderr, "step %ld held-out %.4f bpb (first 256 KiB)\n",
			        s + 1, bpb);
		}
		if ((s + 1) % every == 0 || (ckpt > 0 && (s + 1) % ckpt == 0)) {
			/* weights, then the state (each through a rename): a
			 * kill between the two resumes with moments one
			 * checkpoint older than the weights, which is harmless */
			if (lm_save(m, out) != 0)
				fsm_die(out, strerror(errno));
			if (lm_save_state(m, statef, rng, fsm_now() - t0) != 0)
				fsm_die(statef, strerror(errno));
		}
	}
	double el = fsm_now() - t0;
	if (lm_save(m, out) != 0)
		fsm_die(out, strerror(errno));
	if (s > s0 && lm_save_state(m, statef, rng, el) != 0)
		fsm_die(statef, strerror(errno));
	printf("lm_steps %ld\nlm_tokens %ld\nlm_seconds %.0f\nlm_tok_per_s %.0f\n",
	       s, s * (long)B * c.ctx, el, (s - s0) * (double)B * c.ctx / (el - prev));
	printf("lm_params %zu\n", m->n_params);
	fflush(stdout);
	free(tok);
	free(tgt);
	free(td);
	free(hd);
	lm_free(m);
	return 0;
}

static int cmd_eval_lm(int argc, char **argv)
{
	const char *lmf = fsm_req(argc, argv, "--lm");
	const char *held = fsm_req(argc, argv, "--heldout");
	size_t max = (size_t)fsm_optf(argc, argv, "--max-bytes", 0);
	lm_model *m = lm_load(lmf);
	if (!m)
		return 1;
	size_t hlen;
	uint8_t *hd = fsm_read_file(held, &hlen);
	int stride = (int)fsm_optf(argc, argv, "--stride", 0);
	/* --window W: plain windows of W <= ctx bytes (default ctx) */
	int win = (int)fsm_optf(argc, argv, "--window", m->cfg.ctx);
	if (win < 2 || win > m->cfg.ctx)
		fsm_usage("--window: between 2 and the model's context");
	double t0 = fsm_now();
	if (stride > 0) {
		double sb = fsm_eval_bpb_sliding(m, hd, hlen, max, stride);
		printf("lm_heldout_bpb_sliding%d %.4f\n", stride, sb);
	} else if (fsm_opt(argc, argv, "--window", NULL)) {
		double bpb = fsm_eval_bpb_window(m, hd, hlen, max, win, NULL, NULL);
		printf("lm_heldout_bpb_window%d %.4f\n", win, bpb);
	} else {
		double bpb = fsm_eval_bpb(m, hd, hlen, max, NULL, NULL);
		printf("lm_heldout_bpb %.4f\n", bpb);
	}
	printf("lm_heldout_bytes %zu\n", max && max < hlen ? max : hlen);
	fprintf(stderr, "eval-lm: %.1fs\n", fsm_now() - t0);
	free(hd);
	lm_free(m);
	return 0;
}

/* Sample a continuation of --prompt: --bytes N bytes at --temperature
 * (0: greedy), --seed S; the model sees the last ctx bytes. Invalid UTF-8
 * is possible (it is a byte model); the output is written as it comes. */
static int cmd_sample(int argc, char **argv)
{
	const char *lmf = fsm_req(argc, argv, "--lm");
	const char *prompt = fsm_opt(argc, argv, "--prompt", "");
	long nbytes = (long)fsm_optf(argc, argv, "--bytes", 200);
	double temp = fsm_optf(argc, argv, "--temperature", 0.8);
	uint64_t seed = (uint64_t)fsm_optf(argc, argv, "--seed", 1);
	if (nbytes < 0 || temp < 0)
		fsm_usage("sample: --bytes and --temperature must be >= 0");
	lm_model *m = lm_load(lmf);
	if (!m)
		return 1;
	int T = m->cfg.ctx;
	size_t pl = strlen(prompt), cap = pl + (size_t)nbytes + 1;
	uint8_t *buf = malloc(cap > 1 ? cap : 2);
	if (!buf)
		fsm_die("sample", "out of memory");
	/* the prompt with C escapes \n and \t */
	size_t n = 0;
	for (size_t i = 0; i < pl; i++) {
		if (prompt[i] == '\\' && i + 1 < pl && (prompt[i + 1] == 'n' || prompt[i + 1] == 't')) {
			buf[n++] = prompt[i + 1] == 'n' ? '\n' : '\t';
			i++;
		} else {
			buf[n++] = (uint8_t)prompt[i];
		}
	}
	if (n == 0)
		buf[n++] = '\n';
	fwrite(buf, 1, n, stdout);
	uint64_t rng = seed * 0x9e3779b97f4a7c15ULL + 7;
	for (long k = 0; k < nbytes; k++) {
		int L = n < (size_t)T ? (int)n : T;
		lm_forward(m, buf + n - L, NULL, 1, L, NULL, NULL, NULL);
		const float *p = m->logits + (size_t)(L - 1) * LM_VOCAB;
		int next = 0;
		if (temp <= 0) {
			for (int j = 1; j < LM_VOCAB; j++)
				if (p[j] > p[next])
					next = j;
		} else {
			/* probabilities to the power 1/temperature, renormalised */
			double w[LM_VOCAB], tot = 0;
			for (int j = 0; j < LM_VOCAB; j++) {
				w[j] = p[j] > 0 ? exp(log(p[j]) / temp) : 0;
				tot += w[j];
			}
			double u = (double)(fsm_rand(&rng) >> 11) / 9007199254740992.0 * tot;
			for (next = 0; next < LM_VOCAB - 1; next++) {
				u -= w[next];
				if (u < 0)
					break;
			}
		}
		buf[n++] = (uint8_t)next;
		putchar(next);
	}
	putchar('\n');
	free(buf);
	lm_free(m);
	return 0;
}

/* Grow a trained model: --layers L (more blocks; each new one inserted
 * after block --after, default 0, with zero output projections so that it
 * starts as the identity and the grown model computes what the old one
 * did) and --ctx C (a longer context; the new positions start as copies of
 * the last trained one). Everything else is copied. */
static int cmd_grow(int argc, char **argv)
{
	const char *in = fsm_req(argc, argv, "--in");
	const char *out = fsm_req(argc, argv, "--out");
	lm_model *o = lm_load(in);
	if (!o)
		return 1;
	lm_config c = o->cfg;
	c.n_layer = (int)fsm_optf(argc, argv, "--layers", o->cfg.n_layer);
	c.ctx = (int)fsm_optf(argc, argv, "--ctx", o->cfg.ctx);
	int after = (int)fsm_optf(argc, argv, "--after", 0);
	int add = c.n_layer - o->cfg.n_layer;
	if (add < 0 || c.ctx < o->cfg.ctx || after < 0 || after >= o->cfg.n_layer)
		fsm_usage("grow: --layers and --ctx can only grow; --after names a block");
	lm_model *m = lm_new(&c, (uint64_t)fsm_optf(argc, argv, "--seed", 3));
	if (!m)
		fsm_usage("grow: bad shape");
	size_t D = (size_t)c.d_model;
	float *P = m->params;
	const float *Q = o->params;
	memcpy(P + m->wte, Q + o->wte, LM_VOCAB * D * sizeof(float));
	for (int t = 0; t < c.ctx; t++) {
		int src = t < o->cfg.ctx ? t : o->cfg.ctx - 1;
		memcpy(P + m->wpe + (size_t)t * D, Q + o->wpe + (size_t)src * D,
		       D * sizeof(float));
	}
	/* one block's parameters are contiguous from ln1_g to the end of b2 */
	size_t blk = o->lay[0].b2 + D - o->lay[0].ln1_g;
	for (int l = 0, k = 0; l < c.n_layer; l++) {
		if (l > after && l <= after + add) {
			lm_layer_off *L = &m->lay[l];
			memset(P + L->wo, 0, D * D * sizeof(float));
			memset(P + L->bo, 0, D * sizeof(float));
			memset(P + L->w2, 0, 4 * D * D * sizeof(float));
			memset(P + L->b2, 0, D * sizeof(float));
			continue;
		}
		memcpy(P + m->lay[l].ln1_g, Q + o->lay[k].ln1_g, blk * sizeof(float));
		k++;
	}
	memcpy(P + m->lnf_g, Q + o->lnf_g,
	       (m->n_params - m->lnf_g) * sizeof(float));
	if (lm_save(m, out) != 0)
		fsm_die(out, strerror(errno));
	fprintf(stderr, "grow: %d -> %d blocks (new after block %d), context %d -> "
	        "%d, %zu parameters\n", o->cfg.n_layer, c.n_layer, after,
	        o->cfg.ctx, c.ctx, m->n_params);
	lm_free(o);
	lm_free(m);
	return 0;
}

/* Rewrite a model or SAE file in another dtype (--dtype f16 or f32). */
static int cmd_convert(int argc, char **argv)
{
	const char *in = fsm_req(argc, argv, "--in");
	const char *out = fsm_req(argc, argv, "--out");
	const char *dt = fsm_opt(argc, argv, "--dtype", "f16");
	int dtype = strcmp(dt, "f16") == 0 ? 1 : strcmp(dt, "f32") == 0 ? 0 : -1;
	if (dtype < 0)
		fsm_usage("convert: --dtype f16 or f32");
	FILE *f = fopen(in, "rb");
	char mg[8] = {0};
	if (!f)
		fsm_die(in, strerror(errno));
	size_t got = fread(mg, 1, 8, f);
	fclose(f);
	if (got == 8 && memcmp(mg, "FSLM", 4) == 0) {
		lm_model *m = lm_load(in);
		if (!m)
			return 1;
		if (lm_save_dtype(m, out, dtype) != 0)
			fsm_die(out, strerror(errno));
		lm_free(m);
	} else {
		sae_model *s = sae_load(in);
		if (!s)
			return 1;
		if (sae_save_dtype(s, out, dtype) != 0)
			fsm_die(out, strerror(errno));
		sae_free(s);
	}
	return 0;
}

static void usage(void)
{
	fputs("usage: fsmodel COMMAND [--option value]...\n"
	      "  train-lm  --train F --heldout F --out LM [--layers --d-model "
	      "--heads --ctx --batch --steps --minutes --lr --init LM]\n"
	      "            [--resume 1 --state F --checkpoint-every N]\n"
	      "  eval-lm   --lm LM --heldout F [--max-bytes N] [--stride S | "
	      "--window W]\n"
	      "  train-sae --lm LM --train F --out SAE[,SAE...] [--features "
	      "N[,N...] --hook mlp|resid --layer L --k --batch --steps --minutes "
	      "--lr]\n"
	      "  eval-sae  --lm LM --sae SAE[,SAE...] [--names A,B] --heldout F "
	      "[--max-bytes N]\n"
	      "  harvest   --lm LM --sae SAE[,SAE...] --heldout F --manifest TSV "
	      "--out DIR[,DIR...] [--contexts N --left N --cofire FILE "
	      "--cofire-top N --names A,B]\n"
	      "  sample    --lm LM [--prompt TEXT --bytes N --temperature T "
	      "--seed S]\n"
	      "  convert   --in FILE --out FILE [--dtype f16|f32]\n"
	      "  grow      --in LM --out LM [--layers L --after B --ctx C]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *c = argv[1];
	if (strcmp(c, "train-lm") == 0)
		return cmd_train_lm(argc - 1, argv + 1);
	if (strcmp(c, "eval-lm") == 0)
		return cmd_eval_lm(argc - 1, argv + 1);
	if (strcmp(c, "train-sae") == 0)
		return fsm_train_sae(argc - 1, argv + 1);
	if (strcmp(c, "eval-sae") == 0)
		return fsm_eval_sae(argc - 1, argv + 1);
	if (strcmp(c, "harvest") == 0)
		return fsm_harvest(argc - 1, argv + 1);
	if (strcmp(c, "sample") == 0)
		return cmd_sample(argc - 1, argv + 1);
	if (strcmp(c, "convert") == 0)
		return cmd_convert(argc - 1, argv + 1);
	if (strcmp(c, "grow") == 0)
		return cmd_grow(argc - 1, argv + 1);
	usage();
	return 2;
}
