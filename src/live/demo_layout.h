/*
 * demo_layout.h: the one description of the demo model's parameters (the
 * FSLM0001/FSLM0002 files): their order and shapes as a table, and the
 * offsets it gives in the flat parameter array. Read by the trainer
 * (model/lm.c, which writes the files) and the live architecture
 * (src/live/arch_demo.c, which runs them), so the two cannot disagree.
 * Header only and dependent on nothing: model/ does not link libfs.
 *
 * The table: X(name, rows, cols) in file order, matrices stored
 * [rows][cols] = [in][out] (out = in @ W), vectors as 1 row. Sizes are
 * written in D (d_model), F (4 D, the MLP width), V (the vocabulary, the
 * 256 byte values) and T (ctx, the positions), which the user of a table
 * has in scope.
 */
#ifndef FS_LIVE_DEMO_LAYOUT_H
#define FS_LIVE_DEMO_LAYOUT_H

#include <stddef.h>

#define DEMO_VOCAB 256

/* Before the blocks: token and position embeddings. */
#define DEMO_LAYOUT_HEAD(X) \
	X(wte, V, D)   /* token embedding */ \
	X(wpe, T, D)   /* position embedding */

/* One block, n_layer times: pre-LayerNorm attention, then the MLP. */
#define DEMO_LAYOUT_BLOCK(X) \
	X(ln1_g, 1, D)     /* pre-attention LayerNorm scale */ \
	X(ln1_b, 1, D)     /* and shift */ \
	X(wqkv, D, 3 * D)  /* fused query, key, value projection */ \
	X(bqkv, 1, 3 * D)  /* its bias */ \
	X(wo, D, D)        /* attention output projection */ \
	X(bo, 1, D)        /* its bias */ \
	X(ln2_g, 1, D)     /* pre-MLP LayerNorm scale */ \
	X(ln2_b, 1, D)     /* and shift */ \
	X(w1, D, F)        /* MLP input */ \
	X(b1, 1, F)        /* its bias */ \
	X(w2, F, D)        /* MLP output */ \
	X(b2, 1, D)        /* its bias */

/* After the blocks: final LayerNorm and the (untied) unembedding. */
#define DEMO_LAYOUT_TAIL(X) \
	X(lnf_g, 1, D) /* final LayerNorm scale */ \
	X(lnf_b, 1, D) /* and shift */ \
	X(wu, D, V)    /* unembedding */ \
	X(bu, 1, V)    /* its bias */

#define DEMO_LAYOUT_FIELD(name, rows, cols) size_t name;

/* Offsets (in floats) of one block's tensors: a field per DEMO_LAYOUT_BLOCK row. */
typedef struct {
	DEMO_LAYOUT_BLOCK(DEMO_LAYOUT_FIELD)
} demo_layer_off;

/* Offsets of the tensors outside the blocks: a field per HEAD and TAIL row. */
typedef struct {
	DEMO_LAYOUT_HEAD(DEMO_LAYOUT_FIELD)
	DEMO_LAYOUT_TAIL(DEMO_LAYOUT_FIELD)
} demo_global_off;

/* Place every tensor of a model of d_model D, ctx T and n_layer blocks:
 * g and lay[n_layer] get the offsets; returns the number of parameters. */
static inline size_t demo_layout(size_t D, size_t T, int n_layer, demo_global_off *g, demo_layer_off *lay)
{
	size_t F = 4 * D, V = DEMO_VOCAB, off = 0;
#define DEMO_PLACE_G(name, rows, cols) g->name = off; off += (size_t)(rows) * (size_t)(cols);
#define DEMO_PLACE_L(name, rows, cols) lay[l].name = off; off += (size_t)(rows) * (size_t)(cols);
	DEMO_LAYOUT_HEAD(DEMO_PLACE_G)
	for (int l = 0; l < n_layer; l++) {
		DEMO_LAYOUT_BLOCK(DEMO_PLACE_L)
	}
	DEMO_LAYOUT_TAIL(DEMO_PLACE_G)
#undef DEMO_PLACE_G
#undef DEMO_PLACE_L
	(void)F;
	(void)V;
	return off;
}

#endif
