/*
 * fuzz-template.h: a small valid index with hostile text, written through
 * fs_writer at fuzz-target start-up (fuzz-index-rows edits copies of it,
 * fuzz-grep scans it).
 */
#ifndef FS_FUZZ_TEMPLATE_H
#define FS_FUZZ_TEMPLATE_H

#include "index/index.h"
#include "fuzz-common.h"

/* A small valid index with hostile text: 2 dictionaries, 4 features, 5
 * contexts in one chunk, examples, intervals, logits, neighbours, clusters,
 * decoder rows, co-firing counts. */
static void make_template(const char *path)
{
	char err[512];
	fs_writer *w = index_writer_create(path, err, sizeof err);
	if (!w) {
		fprintf(stderr, "fuzz-index-rows: %s\n", err);
		abort();
	}
	fs_sae s1 = {0, "a", "m", "h", 0, 4, 3, "native"}, s2 = {0, "b", "", "", -1, 0, 1, "native"};
	int a = index_writer_add_sae(w, &s1), bsae = index_writer_add_sae(w, &s2);
	static const char *const texts[] = {"the cat sat", "\x1b]0;pwned\x07 title", "ACGT ACGT",
					    ("\xe2\x80\xae" "evil\xff\xfe"), "def f(x): return x"};
	int64_t ctx[5];
	for (int i = 0; i < 5; i++) {
		uint32_t off[8];
		size_t len = strlen(texts[i]);
		int ntok = 0;
		off[0] = 0;
		for (size_t k = 1; k < len && ntok < 6; k++)
			if (texts[i][k] == ' ')
				off[++ntok] = (uint32_t)k;
		off[++ntok] = (uint32_t)len;
		ctx[i] = index_writer_add_context(w, texts[i], len, off, ntok, i & 1 ? "src1" : "");
	}
	int64_t fid[4];
	for (int f = 0; f < 4; f++) {
		fs_feature ft;
		memset(&ft, 0, sizeof ft);
		ft.sae = f < 3 ? a : bsae;
		ft.idx = f < 3 ? f : 0;
		ft.label = f == 1 ? "a label" : "";
		ft.label_source = "";
		ft.density = 0.01;
		ft.max_act = 3;
		ft.mean_act = 1;
		ft.map_x = ft.map_y = 0.5;
		ft.hist_hi = 4;
		ft.hist[3] = 7;
		fid[f] = index_writer_add_feature(w, &ft);
	}
	for (int f = 0; f < 4; f++) {
		for (int r = 0; r < 3; r++) {
			float acts[8] = {0};
			acts[r % 2] = 1.5f + (float)r;
			index_writer_add_example(w, fid[f], r < 2 ? 0 : 1, r, ctx[(f + r) % 5], acts, 2);
		}
		fs_interval iv = {1, 0, 3, 0.5f};
		index_writer_add_interval(w, fid[f], &iv);
		index_writer_add_logit(w, fid[f], 1, 0, "the", 0.5f);
		index_writer_add_logit(w, fid[f], -1, 0, "\x1b[2J", -0.5f);
		index_writer_add_neighbour(w, fid[f], a, 0, fid[(f + 1) % 4], 0.9f);
	}
	int64_t root = index_writer_add_cluster(w, a, 0, 0, 3, "root");
	int64_t leaf = index_writer_add_cluster(w, a, root, 1, 2, "leaf");
	index_writer_set_cluster(w, fid[0], leaf);
	{
		/* dictionary a's decoder rows (compare, family) */
		static const float dec[3 * 4] = {1, 0, 0, 0, 0.6f, 0.8f, 0, 0, 0, 0, -1, 65504};
		index_writer_add_decoder(w, a, dec, 3, 4);
	}
	{
		/* exact co-firing counts (family): feature 0 with two partners */
		fs_cofire p[2] = {{fid[3], 40}, {fid[1], 7}};
		index_writer_add_cofire(w, fid[0], 50, p, 2);
		index_writer_add_cofire(w, fid[3], 40, p, 0);
	}
	index_writer_count_tokens(w, 100);
	if (index_writer_finish(w, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz-index-rows: %s\n", err);
		abort();
	}
}

#endif
