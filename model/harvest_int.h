/*
 * harvest_int.h: what the harvest's two files share, for them only:
 * harvest.c (contexts, the model and SAE runs, the files written) and
 * harvest_label.c (the automatic labels from each feature's firings).
 */
#ifndef FS_MODEL_HARVEST_INT_H
#define FS_MODEL_HARVEST_INT_H

#include <stddef.h>
#include <stdint.h>

#define HV_MIN 64     /* shortest context in bytes */
#define HV_MAX 128    /* longest context in bytes */
#define HV_TOP 32     /* examples per feature kept for labelling */
#define HV_MAX_SAE 8  /* dictionaries harvested together */
#define HV_NAME 64    /* longest name, bytes, with the NUL */
#define HV_GROUPS 5
/* Names of the corpus groups (harvest.c), by hv_doc.group. */
extern const char *const hv_group_names[HV_GROUPS];

/* One held-out document from the manifest. */
typedef struct {
	int group;      /* index into hv_group_names, -1 unknown */
	char *pkg;      /* Debian package */
	char *path;     /* path inside the package (#piece) */
	size_t off;     /* offset in the held-out text */
	size_t len;     /* bytes */
} hv_doc;

/* A labelling example: where a feature fired strongly. */
typedef struct {
	float act;      /* activation */
	uint32_t at;    /* offset of the firing byte in the held-out text */
	int doc;        /* its document */
} hv_ex;

/* Character classes for the automatic labels. */
enum {
	C_DIGIT, C_UPPER, C_LOWER, C_SPACE, C_NEWLINE, C_TAB, C_PUNCT,
	C_HANGUL, C_HAN, C_KANA, C_ARABIC, C_HEBREW, C_CYRILLIC, C_GREEK,
	C_LATIN_EXT, C_CJK_PUNCT, C_OTHER, C_N
};

/* Per-feature statistics. */
typedef struct {
	int64_t fires;              /* tokens where the feature is nonzero */
	double sum;                 /* summed activation */
	uint32_t cls[C_N];          /* firings per character class */
	uint32_t grp[HV_GROUPS];    /* firings per corpus group */
	hv_ex top[HV_TOP];          /* min-heap of the strongest firings */
	int ntop;                   /* entries in top */
} hv_feat;

/* Decode the UTF-8 character that contains byte at; returns its code
 * point and sets *start and *len. */
uint32_t hv_char_at(const uint8_t *t, size_t tlen, size_t at, size_t *start, int *len);
/* The character class (C_*) of code point c. */
int hv_class(uint32_t c);
/* A byte as the C-escaped token text of vocab.txt. */
void hv_escape_byte(int c, char *out, size_t n);
/* Positions at the start of a context the labeller tells apart. */
#define HV_POS_N 8
/* The start of every name of a position feature ("position 0 (first
 * token of the context)", "position 0-3 (first 4 tokens of the
 * context)"): the marker front ends read; the same string as
 * FS_POSITION_PREFIX (src/index/index.h, index_label_is_position). */
#define HV_POSITION_PREFIX "position "
/* The end of the context that starts at pos of a document ending at end
 * (the one cutting rule of the harvest's contexts). */
size_t hv_cut_end(const uint8_t *t, size_t pos, size_t end);
/* Position of byte at (document doc) in its harvested context, -1 when
 * none; context starts are kept per document between calls. */
int hv_ctx_pos(const uint8_t *t, size_t tlen, const hv_doc *docs, int doc,
               size_t at);
/* Free what hv_ctx_pos keeps (a later call computes it again). */
void hv_label_forget(void);
/* Build the automatic label of one feature: a short name (< HV_NAME bytes)
 * and a description with the statistics (n bytes). */
void hv_label(const hv_feat *F, const uint8_t *t, size_t tlen,
              const hv_doc *docs, char *name, char *desc, size_t n);

#endif
