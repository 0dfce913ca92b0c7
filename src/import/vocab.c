/*
 * vocab.c: the vocabularies --vocab accepts when importing, turned into a
 * tok_vocab (id -> token string, and the spelling to decode it with):
 *   - a GPT-2 vocab.json / encoder.json: {token: id} (merges.txt beside it
 *     is not needed to decode ids; given as --vocab it is pointed back to
 *     the vocab.json);
 *   - a JSON list of tokens in id order (null for an unused id);
 *   - a Hugging Face tokenizer.json: model.type BPE (byte-level, or
 *     SentencePiece-style with byte fallback), Unigram / SentencePiece
 *     ([[piece, score], ...]), WordPiece ("##" continues a word; other
 *     pieces start one), WordLevel; added_tokens on top;
 *   - anything else: the plain token-per-line list of core/tokens.c.
 * Declared in import_int.h.
 */
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"
#include "core/input.h"
#include "core/util.h"

/* {token: id} into v; field names the object in messages. */
static int from_map(const char *path, const char *field, json_t *map, tok_vocab *v, int64_t *cap, char *err,
		    size_t errlen)
{
	const char *k;
	json_t *idv;
	json_object_foreach(map, k, idv) {
		if (!json_is_integer(idv) || json_integer_value(idv) < 0 || json_integer_value(idv) >= TOK_VOCAB_MAX_ID) {
			char *kc = xstrdup(k);
			fs_seterr(err, errlen, "%s: %s%s%s: id is not an integer in range", path, field, *field ? "." : "",
				  fs_msg_clean(kc));
			free(kc);
			return -1;
		}
		tok_vocab_put(v, json_integer_value(idv), k, strlen(k), cap);
	}
	return 0;
}

/* [token, ...] or [[piece, score], ...], id = position; null skips an id. */
static int from_list(const char *path, const char *field, json_t *arr, tok_vocab *v, int64_t *cap, char *err,
		     size_t errlen)
{
	if (json_array_size(arr) >= TOK_VOCAB_MAX_ID)
		return fs_seterr(err, errlen, "%s: %s: too many tokens", path, field);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *e = json_array_get(arr, i);
		if (json_is_null(e))
			continue;
		json_t *s = json_is_array(e) ? json_array_get(e, 0) : e;
		if (!json_is_string(s))
			return fs_seterr(err, errlen, "%s: %s[%zu]: expected a token string%s", path, field, i,
					 json_is_array(e) ? " as [piece, score]" : "");
		tok_vocab_put(v, (int64_t)i, json_string_value(s), json_string_length(s), cap);
	}
	return 0;
}

/* Whether a tokenizer.json decoder (or one inside a Sequence) is of type t. */
static int has_decoder(json_t *dec, const char *t)
{
	const char *ty = json_string_value(json_object_get(dec, "type"));
	if (ty && !strcmp(ty, t))
		return 1;
	json_t *subs = json_object_get(dec, "decoders");
	for (size_t i = 0; i < json_array_size(subs); i++)
		if (has_decoder(json_array_get(subs, i), t))
			return 1;
	return 0;
}

/* WordPiece: a piece with the continuing prefix joins the word before it,
 * any other piece starts a word (a space before it); special tokens
 * ([CLS], added tokens) are kept as they are. */
static void wordpiece(tok_vocab *v, const char *prefix, const char *const *special, size_t nspecial)
{
	size_t pl = strlen(prefix);
	for (int64_t i = 0; i < v->n; i++) {
		char *t = v->tok[i];
		if (!t)
			continue;
		int sp = t[0] == '[' && v->len[i] > 2 && t[v->len[i] - 1] == ']';
		for (size_t k = 0; k < nspecial && !sp; k++)
			sp = !strcmp(special[k], t);
		if (sp)
			continue;
		char *n;
		if (pl && v->len[i] >= pl && !strncmp(t, prefix, pl))
			n = xstrdup(t + pl);
		else
			n = xasprintf(" %s", t);
		free(t);
		v->tok[i] = n;
		v->len[i] = (uint32_t)strlen(n);
	}
}

static int from_tokenizer(const char *path, json_t *root, tok_vocab *v, int64_t *cap, char *err, size_t errlen)
{
	json_t *model = json_object_get(root, "model");
	const char *type = json_string_value(json_object_get(model, "type"));
	json_t *vocab = json_object_get(model, "vocab");
	int rc;
	if (json_is_object(vocab))
		rc = from_map(path, "model.vocab", vocab, v, cap, err, errlen);
	else if (json_is_array(vocab))
		rc = from_list(path, "model.vocab", vocab, v, cap, err, errlen);
	else
		return fs_seterr(err, errlen, "%s: model.vocab: %s", path,
				 vocab ? "neither {token: id} nor [[piece, score], ...]" : "missing");
	if (rc != 0)
		return rc;
	json_t *added = json_object_get(root, "added_tokens");
	const char **special = xmalloc((json_array_size(added) + 1) * sizeof *special);
	size_t ns = 0;
	for (size_t i = 0; i < json_array_size(added); i++) {
		json_t *e = json_array_get(added, i);
		json_t *idv = json_object_get(e, "id");
		const char *s = json_string_value(json_object_get(e, "content"));
		if (s && json_is_integer(idv) && json_integer_value(idv) >= 0 && json_integer_value(idv) < TOK_VOCAB_MAX_ID) {
			tok_vocab_put(v, json_integer_value(idv), s, strlen(s), cap);
			special[ns++] = s;
		}
	}
	/* the spelling from the decoder, the pre-tokenizer or the model type;
	 * else from the tokens themselves */
	json_t *dec = json_object_get(root, "decoder");
	const char *pre = json_string_value(json_object_get(json_object_get(root, "pre_tokenizer"), "type"));
	if (has_decoder(dec, "ByteLevel") || (pre && !strcmp(pre, "ByteLevel"))) {
		v->mode = TOK_BYTELEVEL;
	} else if (has_decoder(dec, "ByteFallback") || has_decoder(dec, "Metaspace") ||
		   (type && !strcmp(type, "Unigram")) || json_is_true(json_object_get(model, "byte_fallback"))) {
		v->mode = TOK_SPIECE;
	} else if ((type && !strcmp(type, "WordPiece")) || has_decoder(dec, "WordPiece")) {
		const char *prefix = json_string_value(json_object_get(model, "continuing_subword_prefix"));
		if (!prefix)
			prefix = json_string_value(json_object_get(dec, "prefix"));
		wordpiece(v, prefix ? prefix : "##", special, ns);
		v->mode = TOK_PLAIN;
	} else {
		tok_stats st = {0};
		for (int64_t i = 0; i < v->n; i++)
			if (v->tok[i])
				tok_stats_add(&st, v->tok[i], v->len[i]);
		v->mode = tok_stats_mode(&st);
	}
	free(special);
	return 0;
}

/* The mode a list of tokens (vocab.json, a JSON list) is spelled in. */
static void guess_mode(tok_vocab *v)
{
	tok_stats st = {0};
	for (int64_t i = 0; i < v->n; i++)
		if (v->tok[i])
			tok_stats_add(&st, v->tok[i], v->len[i]);
	v->mode = tok_stats_mode(&st);
}

int import_vocab_load(const char *path, tok_vocab *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof *v);
	size_t len;
	char *text = input_slurp(path, &len, err, errlen);
	if (!text)
		return -1;
	size_t i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i >= len || (text[i] != '{' && text[i] != '[')) {
		int merges = len - i >= 8 && !strncmp(text + i, "#version", 8);
		free(text);
		if (merges)
			return fs_seterr(err, errlen, "%s: vocabulary: this is a merges.txt (BPE merges, no ids); give "
				 "--vocab the vocab.json (encoder.json) beside it", path);
		return tok_vocab_load(path, v, err, errlen); /* the plain list */
	}
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	free(text);
	if (!root)
		return fs_seterr(err, errlen, "%s:%d: JSON: column %d: %s", path, je.line, je.column, fs_msg_clean(je.text));
	int64_t cap = 0;
	int rc;
	if (json_is_array(root)) {
		rc = from_list(path, "vocabulary", root, v, &cap, err, errlen);
		guess_mode(v);
	} else if (json_is_object(json_object_get(root, "model"))) {
		/* a tokenizer.json by its structure: "model" is an object (GPT-2's
		 * vocab.json holds the token "model" too, with an id) */
		rc = from_tokenizer(path, root, v, &cap, err, errlen);
	} else {
		/* vocab.json: every member a token and its id */
		rc = from_map(path, "", root, v, &cap, err, errlen);
		if (rc != 0)
			rc = fs_seterr(err, errlen, "%s: vocabulary: neither a tokenizer.json (model.vocab) nor a vocab.json "
				       "({token: id}) nor a JSON list of tokens", path);
		guess_mode(v);
	}
	json_decref(root);
	if (rc == 0 && v->n == 0)
		rc = fs_seterr(err, errlen, "%s: vocabulary: no tokens", path);
	if (rc != 0)
		tok_vocab_free(v);
	return rc;
}
