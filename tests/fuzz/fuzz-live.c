/*
 * fuzz-live.c: libFuzzer target for the live model's file readers
 * (src/live/arch_demo.c, src/live/sae_live.c). The input is split at its
 * first "FSSAE" into a model file and a dictionary file; both are loaded
 * (hostile headers: huge or negative shapes, bad dtypes, lying lengths
 * must give an error, never a crash or a huge allocation), and when both
 * load and fit, a short forward pass with a clamping hook and an encoding
 * run on them.
 */
#include "live/live.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size;
	for (size_t i = 0; i + 5 <= size; i++)
		if (memcmp(data + i, "FSSAE", 5) == 0) {
			cut = i;
			break;
		}
	const char *mp = fuzz_path(".lm"), *sp = fuzz_path(".sae");
	if (fuzz_write(mp, data, cut) != 0 || fuzz_write(sp, data + cut, size - cut) != 0)
		return 0;
	char err[512];
	live_model *m = live_load(mp, err, sizeof err);
	live_sae *s = live_sae_load(sp, err, sizeof err);
	if (m && s && m->d_model <= 64 && m->ctx <= 64 && live_sae_bind(s, m, err, sizeof err) == 0) {
		int ids[3] = {1, 200, 7};
		int T = m->ctx < 3 ? m->ctx : 3;
		live_steer_term term = {0, 2.0f};
		live_steer st = {s, LIVE_CLAMP, &term, 1, NULL, 0};
		live_hook h = live_steer_as_hook(&st);
		float *logits = malloc((size_t)T * m->vocab * sizeof(float));
		live_forward(m, ids, T, &h, logits);
		float *rows = malloc((size_t)T * s->d_in * sizeof(float));
		live_run_windows(m, ids, T, s->hook, NULL, rows, NULL);
		int idx[3 * 4];
		float val[3 * 4];
		live_sae_encode(s, rows, T, 4, idx, val);
		free(rows);
		free(logits);
	}
	live_sae_free(s);
	live_free(m);
	unlink(mp);
	unlink(sp);
	return 0;
}
