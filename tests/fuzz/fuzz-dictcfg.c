/*
 * fuzz-dictcfg.c: libFuzzer target for the dictionary layouts' configuration
 * readers (src/import/saelens_sae.c): the first byte picks the layout
 * (SAELens cfg.json, Llama Scope hyperparams.json, Gemma Scope 2
 * config.json), the rest is that file, in a folder beside small valid
 * weights (d 4, 8 features) of the layout; then the one reader loads the
 * folder, decoder only and whole. Hostile sizes, hooks, norms and
 * thresholds must give one error line, never a crash or a huge
 * allocation; what loads must have the sizes its tensors have.
 */
#include "import/saelens_sae.h"
#include "fuzz-common.h"

#include <sys/stat.h>

/* A safetensors file of f32 zeros with these names and shapes. */
static void st_file(const char *path, const char *const *names, const int (*shape)[2], int n)
{
	char hdr[1024];
	size_t at = 0, off = 0;
	at += (size_t)snprintf(hdr + at, sizeof hdr - at, "{");
	for (int i = 0; i < n; i++) {
		size_t bytes = (size_t)shape[i][0] * (size_t)(shape[i][1] ? shape[i][1] : 1) * 4;
		if (shape[i][1])
			at += (size_t)snprintf(hdr + at, sizeof hdr - at, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
					       "\"data_offsets\":[%zu,%zu]}", i ? "," : "", names[i], shape[i][0],
					       shape[i][1], off, off + bytes);
		else
			at += (size_t)snprintf(hdr + at, sizeof hdr - at, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],"
					       "\"data_offsets\":[%zu,%zu]}", i ? "," : "", names[i], shape[i][0], off,
					       off + bytes);
		off += bytes;
	}
	at += (size_t)snprintf(hdr + at, sizeof hdr - at, "}");
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	uint64_t len = at;
	fwrite(&len, 8, 1, f);
	fwrite(hdr, 1, at, f);
	for (size_t i = 0; i < off; i++)
		fputc(0, f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[3][300];
	static int made;
	if (!made) {
		/* the three folders, once */
		for (int k = 0; k < 3; k++) {
			snprintf(dir[k], sizeof dir[k], "%s", fuzz_path(k == 0 ? "-sl" : k == 1 ? "-ls" : "-gs2"));
			mkdir(dir[k], 0700);
		}
		char p[400];
		static const char *const sl[] = {"W_enc", "W_dec", "b_enc", "b_dec", "threshold"};
		static const int sls[][2] = {{4, 8}, {8, 4}, {8, 0}, {4, 0}, {8, 0}};
		snprintf(p, sizeof p, "%s/sae_weights.safetensors", dir[0]);
		st_file(p, sl, sls, 5);
		static const char *const ls[] = {"encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"};
		static const int lss[][2] = {{8, 4}, {8, 0}, {4, 8}, {4, 0}};
		snprintf(p, sizeof p, "%s/checkpoints", dir[1]);
		mkdir(p, 0700);
		snprintf(p, sizeof p, "%s/checkpoints/final.safetensors", dir[1]);
		st_file(p, ls, lss, 4);
		static const char *const gs[] = {"w_enc", "w_dec", "b_enc", "b_dec", "threshold"};
		snprintf(p, sizeof p, "%s/params.safetensors", dir[2]);
		st_file(p, gs, sls, 5);
		made = 1;
	}
	if (size < 1)
		return 0;
	int k = data[0] % 3;
	static const char *const cfgname[] = {"cfg.json", "hyperparams.json", "config.json"};
	char p[400];
	snprintf(p, sizeof p, "%s/%s", dir[k], cfgname[k]);
	if (fuzz_write(p, data + 1, size - 1) != 0)
		return 0;
	char err[1024];
	for (int what = 0; what < 2; what++) {
		saelens_sae s;
		if (saelens_load_what(dir[k], what ? SAEL_LOAD_ALL : SAEL_LOAD_DECODER, &s, err, sizeof err) == 0) {
			/* the tensors' sizes are what loads (build's decoder-only load
			 * also takes a transposed W_dec) */
			if ((what && (s.c.d_in != 4 || s.c.d_sae != 8 || s.c.d_out != 4)) || s.c.d_sae * s.c.d_out != 32)
				abort();
			volatile float sum = 0;
			for (int i = 0; i < s.c.d_sae * s.c.d_out; i++)
				sum += s.W_dec[i];
			(void)sum;
			saelens_free(&s);
		}
	}
	return 0;
}
