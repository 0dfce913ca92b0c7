/*
 * fuzz-gpt2cfg.c: libFuzzer target for the live runtime's config parsers:
 * the input as a Hugging Face config.json (src/live/gpt2.h) and as a
 * SAELens cfg.json (src/live/saelens_sae.h), plus the hook-name parser on
 * it. Accepted values must be in range; a refusal must be one line.
 */
#include "live/gpt2.h"
#include "live/saelens_sae.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	gpt2_config c;
	if (gpt2_config_parse("config.json", (const char *)data, size, &c, err, sizeof err) == 0) {
		if (c.n_layer < 1 || c.n_embd < 1 || c.n_head < 1 || c.n_embd % c.n_head || c.n_positions < 1 ||
		    c.vocab_size < 1 || c.n_inner < 1 || !(c.eps > 0))
			abort();
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
	saelens_cfg s;
	if (saelens_cfg_parse("cfg.json", (const char *)data, size, &s, err, sizeof err) == 0) {
		if (s.d_in < 1 || s.d_sae < 1 || (s.arch == SAEL_TOPK && (s.k < 1 || s.k > s.d_sae)) ||
		    !memchr(s.hook, 0, sizeof s.hook) || !(s.norm_scale > 0))
			abort();
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
	char *str = fuzz_cstr(data, size);
	int layer, kind;
	if (gpt2_hook_parse(str, &layer, &kind) == 0) {
		if (layer < 0 || kind < 0 || kind >= GPT2_HOOK_KINDS)
			abort();
		char buf[64];
		gpt2_hook_name(layer, kind, buf, sizeof buf);
	}
	free(str);
	return 0;
}
