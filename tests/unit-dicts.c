/*
 * unit-dicts.c: a transcoder's steering end to end through the hook list
 * (live.h): a SAELens transcoder folder written here (reads
 * blocks.0.hook_mlp_in, writes blocks.0.hook_mlp_out) steers a small
 * architecture defined here that runs its hooks at mlp_in and mlp_out
 * (what every architecture of issue 34 does). The logits and the windows'
 * losses are checked against a reference computed here in double from the
 * definitions: clamping feature f to V adds (V - z_f) W_dec[f] to the MLP
 * output, z_f the transcoder's encoding of the MLP input at that position;
 * adding adds V W_dec[f]; the MLP input itself is not changed. Also the
 * bind of a transcoder whose output point the model lacks.
 */
#include "live/live.h"
#include "core/util.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { D = 4, F = 6, V = 5, CTX = 8 };

static float W_enc[D][F], b_enc[F], W_dec[F][D], b_dec[D], E[V][D];

static float lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return (float)((int)(*s >> 8) % 2001 - 1000) / 1000.0f;
}

/* ---------------------------------------------- a tiny architecture */

/* Residual x = E[id]; mlp_in = x; mlp_out = tanh(mlp_in); resid_post =
 * x + mlp_out; logits = resid_post E^T. Hooks run at mlp_in, mlp_out and
 * resid_post of block 0. */
static int tiny_forward(live_model *m, const int *ids, int T, const live_hook *hook, float *logits)
{
	float *x = xmalloc((size_t)T * D * sizeof *x), *o = xmalloc((size_t)T * D * sizeof *o);
	for (int t = 0; t < T; t++)
		memcpy(x + t * D, E[ids[t]], sizeof E[0]);
	live_hooks_run(m, hook, LIVE_MLP_IN, 0, x, T, D, 0);
	for (int i = 0; i < T * D; i++)
		o[i] = tanhf(x[i]);
	live_hooks_run(m, hook, LIVE_MLP_OUT, 0, o, T, D, 0);
	for (int t = 0; t < T; t++)
		for (int j = 0; j < D; j++)
			x[t * D + j] = E[ids[t]][j] + o[t * D + j];
	live_hooks_run(m, hook, LIVE_RESID_POST, 0, x, T, D, 0);
	if (logits)
		for (int t = 0; t < T; t++)
			for (int v = 0; v < V; v++) {
				float s = 0;
				for (int j = 0; j < D; j++)
					s += x[t * D + j] * E[v][j];
				logits[t * V + v] = s;
			}
	free(x);
	free(o);
	m->pos = T;
	return 0;
}

static int tiny_width(const live_model *m, live_point p)
{
	(void)m;
	return p.layer == 0 && (p.kind == LIVE_MLP_IN || p.kind == LIVE_MLP_OUT || p.kind == LIVE_RESID_POST) ? D : 0;
}

static const live_arch tiny_arch = {.name = "tiny", .width = tiny_width, .forward = tiny_forward};

/* ------------------------------------------------------ the dictionary */

static void write_folder(const char *dir)
{
	mkdir(dir, 0700);
	char p[512];
	snprintf(p, sizeof p, "%s/cfg.json", dir);
	FILE *f = fopen(p, "w");
	fprintf(f, "{\"d_in\": %d, \"d_sae\": %d, \"d_out\": %d, \"architecture\": \"transcoder\", "
		   "\"hook_name_out\": \"blocks.0.hook_mlp_out\", \"metadata\": {\"hook_name\": "
		   "\"blocks.0.hook_mlp_in\", \"prepend_bos\": false}}", D, F, D);
	fclose(f);
	struct {
		const char *name;
		const float *v;
		int r, c;
	} t[] = {{"W_dec", &W_dec[0][0], F, D}, {"W_enc", &W_enc[0][0], D, F}, {"b_dec", b_dec, D, 0}, {"b_enc", b_enc, F, 0}};
	char hdr[1024];
	size_t at = 0, off = 0;
	at += (size_t)snprintf(hdr, sizeof hdr, "{");
	for (int i = 0; i < 4; i++) {
		size_t bytes = (size_t)t[i].r * (size_t)(t[i].c ? t[i].c : 1) * 4;
		char shape[32];
		if (t[i].c)
			snprintf(shape, sizeof shape, "%d,%d", t[i].r, t[i].c);
		else
			snprintf(shape, sizeof shape, "%d", t[i].r);
		at += (size_t)snprintf(hdr + at, sizeof hdr - at, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%s],"
				       "\"data_offsets\":[%zu,%zu]}", i ? "," : "", t[i].name, shape, off, off + bytes);
		off += bytes;
	}
	at += (size_t)snprintf(hdr + at, sizeof hdr - at, "}");
	snprintf(p, sizeof p, "%s/sae_weights.safetensors", dir);
	f = fopen(p, "wb");
	uint64_t len = at;
	fwrite(&len, 8, 1, f);
	fwrite(hdr, 1, at, f);
	for (int i = 0; i < 4; i++)
		fwrite(t[i].v, 4, (size_t)t[i].r * (size_t)(t[i].c ? t[i].c : 1), f);
	fclose(f);
}

/* The reference logits of ids with feature f clamped (mode 0) or added
 * (mode 1) at value val, in double. */
static void ref_logits(const int *ids, int T, int f, double val, int mode, double *lg)
{
	for (int t = 0; t < T; t++) {
		const float *x = E[ids[t]];
		double pre = b_enc[f];
		for (int j = 0; j < D; j++)
			pre += (double)x[j] * W_enc[j][f];
		double z = pre > 0 ? pre : 0;
		double c = mode == 0 ? val - z : val;
		double r[D];
		for (int j = 0; j < D; j++)
			r[j] = x[j] + tanh((double)x[j]) + c * W_dec[f][j];
		for (int v = 0; v < V; v++) {
			double s = 0;
			for (int j = 0; j < D; j++)
				s += r[j] * E[v][j];
			lg[t * V + v] = s;
		}
	}
}

int main(void)
{
	uint32_t seed = 7;
	for (int i = 0; i < D; i++)
		for (int k = 0; k < F; k++)
			W_enc[i][k] = lcg(&seed);
	for (int k = 0; k < F; k++) {
		b_enc[k] = 0.3f * lcg(&seed);
		for (int j = 0; j < D; j++)
			W_dec[k][j] = lcg(&seed);
	}
	for (int j = 0; j < D; j++)
		b_dec[j] = 0.1f * lcg(&seed);
	for (int v = 0; v < V; v++)
		for (int j = 0; j < D; j++)
			E[v][j] = 1.5f * lcg(&seed);
	char dir[256];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/unit-dicts-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
	write_folder(dir);

	live_model m = {&tiny_arch, (char *)"tiny", 1, D, V, CTX, 0, 1, 0, 0};
	char err[512] = "";
	live_sae *s = live_sae_load(dir, err, sizeof err);
	CHECK(s != NULL, "transcoder loads");
	if (!s) {
		printf("# %s\n", err);
		TEST_END();
	}
	CHECK(s->transcoder && s->hook.kind == LIVE_MLP_IN && s->hook_out.kind == LIVE_MLP_OUT && s->d_out == D,
	      "transcoder reads mlp_in, writes mlp_out");
	CHECK(s->apply_b_dec == 0, "transcoder: b_dec (of the output) is not subtracted from the input");
	CHECK(live_sae_bind(s, &m, err, sizeof err) == 0, "transcoder binds to a model with both points");

	int ids[6] = {0, 3, 1, 4, 2, 3};
	int T = 6;
	/* the feature with the most activity, so that clamping changes things */
	int f = 0;
	double best = -1;
	for (int k = 0; k < F; k++) {
		double sum = 0;
		for (int t = 0; t < T; t++) {
			double pre = b_enc[k];
			for (int j = 0; j < D; j++)
				pre += (double)E[ids[t]][j] * W_enc[j][k];
			sum += pre > 0 ? pre : 0;
		}
		if (sum > best)
			best = sum, f = k;
	}
	CHECK(best > 0, "some feature fires");
	float lg[6 * V];
	double want[6 * V];
	for (int mode = 0; mode < 2; mode++) {
		live_steer_term term = {f, 2.5f};
		live_steer st = {s, mode ? LIVE_ADD : LIVE_CLAMP, &term, 1, NULL, 0};
		live_hook h = live_steer_as_hook(&st);
		CHECK(h.next != NULL && h.at.kind == LIVE_MLP_IN && h.next->at.kind == LIVE_MLP_OUT,
		      mode ? "add: two hooks, mlp_in then mlp_out" : "clamp: two hooks, mlp_in then mlp_out");
		CHECK(live_forward(&m, ids, T, &h, lg) == 0, mode ? "add: forward" : "clamp: forward");
		ref_logits(ids, T, f, 2.5, mode, want);
		double e = 0;
		for (int i = 0; i < T * V; i++)
			e = fmax(e, fabs(lg[i] - want[i]));
		CHECK(e < 1e-4, mode ? "add: logits are the reference's (V W_dec[f] on mlp_out)"
				     : "clamp: logits are the reference's ((V - z_f) W_dec[f] on mlp_out)");
		if (e >= 1e-4)
			printf("# max error %g\n", e);
		/* the windows run the whole list: losses of the steered pass */
		float rows[6 * D], loss[6];
		CHECK(live_run_windows(&m, ids, T, s->hook, &h, rows, loss) == 0,
		      mode ? "add: windows run" : "clamp: windows run");
		double le = 0, xe = 0;
		for (int t = 0; t + 1 < T; t++) {
			double mx = want[t * V], z = 0;
			for (int v = 1; v < V; v++)
				mx = fmax(mx, want[t * V + v]);
			for (int v = 0; v < V; v++)
				z += exp(want[t * V + v] - mx);
			double l = -(want[t * V + ids[t + 1]] - mx - log(z));
			le = fmax(le, fabs(loss[t] - l));
		}
		for (int t = 0; t < T; t++)
			for (int j = 0; j < D; j++)
				xe = fmax(xe, fabs(rows[t * D + j] - E[ids[t]][j]));
		CHECK(le < 1e-4, mode ? "add: the windows' losses are the steered reference's"
				      : "clamp: the windows' losses are the steered reference's");
		CHECK(xe == 0, mode ? "add: the MLP input is read unchanged" : "clamp: the MLP input is read unchanged");
	}
	/* a model without the output point: the bind names it */
	live_sae_free(s);
	s = live_sae_load(dir, err, sizeof err);
	live_point keep = s->hook_out;
	s->hook_out.layer = 3;
	CHECK(live_sae_bind(s, &m, err, sizeof err) != 0 && strstr(err, "hook_out: the model has no mlp_out.3"),
	      "bind: a missing output point is named");
	s->hook_out = keep;
	live_sae_free(s);
	char p[512];
	snprintf(p, sizeof p, "%s/cfg.json", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/sae_weights.safetensors", dir);
	unlink(p);
	rmdir(dir);
	TEST_END();
}
