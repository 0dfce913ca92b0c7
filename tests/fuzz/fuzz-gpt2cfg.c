/*
 * fuzz-gpt2cfg.c: libFuzzer target for the live runtime's config parsers:
 * the input as a Hugging Face config.json (src/live/gpt2.h) and as a
 * SAELens cfg.json (src/import/saelens_sae.h), plus the hook-name parser on
 * it. Accepted values must be in range; a refusal must be one line.
 */
#include "live/gpt2.h"
#include "live/live.h"
#include "import/saelens_sae.h"
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
	/* the one parser of TransformerLens hook names: a point it accepts
	 * is in range and its name parses back to it */
	live_point p;
	char why[256];
	if (live_point_parse_tl(str, &p, why, sizeof why) == 0) {
		if (p.layer < 0 || (unsigned)p.kind >= LIVE_NKINDS)
			abort();
		char buf[64];
		live_point q;
		live_point_name_tl(p, buf, sizeof buf);
		if (live_point_parse_tl(buf, &q, why, sizeof why) != 0 || q.kind != p.kind || q.layer != p.layer)
			abort();
	} else if (!why[0]) {
		abort();
	}
	free(str);
	return 0;
}
