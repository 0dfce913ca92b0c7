/*
 * fuzz-import.c: libFuzzer target for the readers of foreign formats
 * (src/import/: import.c, the read_*.c, toolkit, scanner, vocabularies) through import_run, as `featscope build`
 * calls them. The first input byte picks the format; the rest is split at
 * the line "--8<--" into the files that format reads:
 *   0 SAEDashboard  batch-0.json
 *   1 sae_vis       the JSON file, then a vocabulary file
 *   2 OpenAI viewer 7.json
 *   3 Neuronpedia   features/, activations/, explanations/ batch-0.jsonl
 *   4 SAELens       cfg.json, sae_weights.safetensors, sparsity.safetensors
 *   5 delphi        latents/layers.3/0_3.safetensors, config.json there,
 *                   then a tokenizer.json
 *   6 detection     input.json read with the format detected from its
 *                   content (every reader's sniff, the not-imported formats)
 * A vocabulary part may be any of the forms --vocab takes (a plain list, a
 * GPT-2 vocab.json, a JSON list, a tokenizer.json).
 * Each run writes into a fresh index that is then abandoned. Every hostile
 * input must end in a one-line error, never a crash or an unbounded
 * allocation.
 */
#define _GNU_SOURCE
#include "import/import.h"
#include "index/index.h"
#include "fuzz-common.h"

#include <sys/stat.h>

#define SEP "\n--8<--\n"

/* Write part k of the input (parts split at SEP) to dir/name. */
static void put(const char *dir, const char *name, const uint8_t *parts[], const size_t lens[], int k)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	fuzz_write(p, parts[k], lens[k]);
}

static void rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int fmt = data[0] % 7;
	const uint8_t *parts[3] = {data + 1, data + size, data + size};
	size_t lens[3] = {size - 1, 0, 0};
	int np = 1;
	const uint8_t *p = data + 1, *end = data + size;
	while (np < 3) {
		const uint8_t *s = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
		if (!s)
			break;
		lens[np - 1] = (size_t)(s - parts[np - 1]);
		parts[np] = s + strlen(SEP);
		lens[np] = (size_t)(end - parts[np]);
		p = parts[np];
		np++;
	}
	const char *dir = fuzz_path(".import");
	rm_rf(dir);
	mkdir(dir, 0700);
	char path[600], sub[600];
	import_opts o;
	import_opts_init(&o);
	o.progress = 0;
	const char *name = NULL;
	switch (fmt) {
	case 0:
		name = "saedashboard";
		put(dir, "batch-0.json", parts, lens, 0);
		snprintf(path, sizeof path, "%s/batch-0.json", dir);
		break;
	case 1:
		name = "sae_vis";
		put(dir, "saevis.json", parts, lens, 0);
		if (np > 1) {
			put(dir, "vocab.txt", parts, lens, 1);
			snprintf(sub, sizeof sub, "%s/vocab.txt", dir);
			o.vocab = sub;
		}
		snprintf(path, sizeof path, "%s/saevis.json", dir);
		break;
	case 2:
		name = "openai";
		put(dir, "7.json", parts, lens, 0);
		snprintf(path, sizeof path, "%s/7.json", dir);
		break;
	case 3:
		name = "neuronpedia";
		for (int k = 0; k < 3; k++) {
			static const char *const d[] = {"features", "activations", "explanations"};
			snprintf(sub, sizeof sub, "%s/%s", dir, d[k]);
			mkdir(sub, 0700);
			if (k < np)
				put(sub, "batch-0.jsonl", parts, lens, k);
		}
		snprintf(path, sizeof path, "%s", dir);
		break;
	case 4:
		name = "saelens";
		put(dir, "cfg.json", parts, lens, 0);
		if (np > 1)
			put(dir, "sae_weights.safetensors", parts, lens, 1);
		if (np > 2)
			put(dir, "sparsity.safetensors", parts, lens, 2);
		snprintf(path, sizeof path, "%s", dir);
		break;
	case 6:
		name = "auto";
		put(dir, "input.json", parts, lens, 0);
		snprintf(path, sizeof path, "%s/input.json", dir);
		break;
	default:
		name = "delphi";
		snprintf(sub, sizeof sub, "%s/latents", dir);
		mkdir(sub, 0700);
		snprintf(sub, sizeof sub, "%s/latents/layers.3", dir);
		mkdir(sub, 0700);
		put(sub, "0_3.safetensors", parts, lens, 0);
		if (np > 1)
			put(sub, "config.json", parts, lens, 1);
		if (np > 2) {
			static char tok[600];
			put(dir, "tokenizer.json", parts, lens, 2);
			snprintf(tok, sizeof tok, "%s/tokenizer.json", dir);
			o.vocab = tok;
		}
		snprintf(path, sizeof path, "%s", dir);
		break;
	}
	char out[600], err[1024];
	snprintf(out, sizeof out, "%s/out.sqlite", dir);
	fs_writer *w = index_writer_create(out, err, sizeof err);
	if (!w)
		abort();
	err[0] = 0;
	int rc = import_run(w, name, path, &o, err, sizeof err);
	if (rc != 0 && (!err[0] || strchr(err, '\n')))
		abort(); /* a failure says why, on one line */
	index_writer_abort(w);
	rm_rf(dir);
	return 0;
}
