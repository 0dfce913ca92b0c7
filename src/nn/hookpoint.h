/*
 * hookpoint.h: the points of a transformer block where activations are
 * read or changed, named the same for every architecture: featscope's
 * names (resid_pre, resid_post, attn_out, mlp_in, mlp_hidden, mlp_out,
 * with ".L" for a block) and the TransformerLens / SAELens names
 * (blocks.L.hook_resid_pre, ...). Below the folders that name them: the
 * live runtime (its hooks) and the importers (a dictionary folder's hook,
 * import/saelens_sae.c) parse them here, once. The names keep the live_
 * prefix the runtime and the FSSAE002 files have always used.
 */
#ifndef FS_HOOKPOINT_H
#define FS_HOOKPOINT_H

#include <stddef.h>

/* The points of a block, named the same for every architecture. The
 * values are stored in FSSAE002 headers: new kinds go at the end. */
typedef enum {
	LIVE_RESID_PRE,   /* residual stream entering block `layer` [d_model] */
	LIVE_RESID_POST,  /* residual stream leaving block `layer` [d_model] */
	LIVE_MLP_HIDDEN,  /* block `layer`'s MLP hidden activations after the nonlinearity
			   * (a GLU's act(gate) * up: what the down projection reads) */
	LIVE_MLP_OUT,     /* block `layer`'s MLP output as it joins the residual [d_model]
			   * (after a post-MLP norm where the architecture has one) */
	LIVE_ATTN_OUT,    /* block `layer`'s attention output as it joins the residual
			   * [d_model] (after a post-attention norm where there is one) */
	LIVE_MLP_IN,      /* what block `layer`'s MLP reads: the normalised residual
			   * [d_model] (a transcoder's input) */
	LIVE_NKINDS       /* how many kinds there are */
} live_hook_kind;

/* A place in the forward pass. */
typedef struct {
	live_hook_kind kind; /* which activations */
	int layer;           /* 0-based block; -1: the last block */
} live_point;

/* Parse a point's name ("resid_pre", "resid_post", "mlp_hidden",
 * "mlp_out", "attn_out", "mlp_in") and a layer into *p ("mlp_hidden.1");
 * 0 ok, -1 unknown. live_point_name writes the
 * same form. */
int live_point_parse(const char *s, live_point *p);
const char *live_point_name(live_point p, char *out, size_t outlen);

/* The one parser of TransformerLens / SAELens hook names, for every
 * architecture: blocks.L.hook_resid_pre, hook_resid_post, hook_attn_out,
 * hook_mlp_out, mlp.hook_post (mlp_hidden), ln2.hook_normalized and
 * hook_mlp_in (mlp_in). 0 with *p, or -1 with a message in err (naming
 * hook_resid_mid apart: it is not mlp_in, which is after the norm). */
int live_point_parse_tl(const char *s, live_point *p, char *err, size_t errlen);
/* The block of any TransformerLens name ("blocks.L." anywhere in it, so
 * also hook_z and the others no live point has), -1 when it names none:
 * what the importer and a dictionary's config record as its layer. */
int live_tl_layer(const char *s);
/* The TransformerLens name of p (layer >= 0; mlp_in as
 * blocks.L.ln2.hook_normalized). */
const char *live_point_name_tl(live_point p, char *out, size_t outlen);

#endif
