/*
 * build_inputs.c: what a native build reads beside the records: the labels
 * file (feature, label, source, description), the vocabulary (one token a
 * line, C escapes) and, from the decoder and an unembedding, the logit
 * effects: each feature's top output tokens both ways.
 */
#include "build/build_int.h"
#include "nn/blas.h"
#include "core/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_LOGITS 10 /* top positive and negative output tokens kept */

/* Labels file: "feature<TAB>label[<TAB>source[<TAB>description]]" lines,
 * '#' comments. */
int build_read_labels(const char *path, int64_t nfeat, char ***labels, char ***sources,
		      char ***descs, char *err, size_t errlen)
{
	fs_input *in = input_open(path, err, errlen);
	if (!in)
		return -1;
	*labels = xcalloc((size_t)nfeat, sizeof(char *));
	*sources = xcalloc((size_t)nfeat, sizeof(char *));
	*descs = xcalloc((size_t)nfeat, sizeof(char *));
	const char *line;
	size_t len;
	int rc = 0;
	while ((line = input_line(in, &len))) {
		if (len == 0 || line[0] == '#')
			continue;
		/* a NUL would cut the label short and hide the rest of the line */
		const char *nul = memchr(line, 0, len);
		if (nul) {
			rc = fs_seterr(err, errlen, "%s:%lld: label: a NUL byte at column %zu (a labels file is text)",
				       path, (long long)input_lineno(in), (size_t)(nul - line) + 1);
			break;
		}
		const char *tab = strchr(line, '\t');
		if (!tab) {
			rc = fs_seterr(err, errlen, "%s:%lld: expected FEATURE<TAB>LABEL", path,
				       (long long)input_lineno(in));
			break;
		}
		char *num = xstrndup(line, (size_t)(tab - line));
		int64_t f;
		int bad = fs_parse_i64(num, &f) != 0;
		free(num);
		if (bad || f < 0 || f >= nfeat) {
			rc = fs_seterr(err, errlen, "%s:%lld: feature: not a feature number in 0..%lld",
				       path, (long long)input_lineno(in), (long long)nfeat - 1);
			break;
		}
		const char *lab = tab + 1, *tab2 = strchr(lab, '\t');
		const char *tab3 = tab2 ? strchr(tab2 + 1, '\t') : NULL;
		free((*labels)[f]);
		free((*sources)[f]);
		free((*descs)[f]);
		(*labels)[f] = tab2 ? xstrndup(lab, (size_t)(tab2 - lab)) : xstrdup(lab);
		(*sources)[f] = !tab2 ? xstrdup("labels")
			      : tab3 ? xstrndup(tab2 + 1, (size_t)(tab3 - tab2 - 1))
				     : xstrdup(tab2 + 1);
		(*descs)[f] = tab3 && tab3[1] ? xstrdup(tab3 + 1) : NULL;
	}
	if (rc == 0 && input_bad(in))
		rc = fs_seterr(err, errlen, "%s", input_bad(in));
	else if (rc == 0 && input_error(in))
		rc = fs_seterr(err, errlen, "%s: read error: %s", path, input_error(in));
	input_close(in);
	return rc;
}

/* Vocabulary: one token per line with C escapes (\n \t \r \\ \xHH). */
static char **read_vocab(const char *path, int64_t *n, char *err, size_t errlen)
{
	fs_input *in = input_open(path, err, errlen);
	if (!in)
		return NULL;
	char **v = NULL;
	int64_t cnt = 0;
	const char *line;
	size_t len;
	while ((line = input_line(in, &len))) {
		fs_buf t = {0};
		for (size_t i = 0; i < len; i++) {
			if (line[i] != '\\' || i + 1 >= len) {
				buf_addc(&t, line[i]);
				continue;
			}
			char c = line[++i];
			if (c == 'n')
				buf_addc(&t, '\n');
			else if (c == 't')
				buf_addc(&t, '\t');
			else if (c == 'r')
				buf_addc(&t, '\r');
			else if (c == 'x' && i + 2 < len + 0 && strchr("0123456789abcdefABCDEF", line[i + 1]) &&
				 strchr("0123456789abcdefABCDEF", line[i + 2])) {
				char hex[3] = {line[i + 1], line[i + 2], 0};
				buf_addc(&t, (char)strtol(hex, NULL, 16));
				i += 2;
			} else
				buf_addc(&t, c);
		}
		buf_reserve(&t, 0);
		v = xrealloc(v, sizeof *v * (size_t)(cnt + 1));
		v[cnt++] = t.p;
	}
	input_close(in);
	*n = cnt;
	return v;
}

/* Logit effects: rows of the decoder through the unembedding. */
int build_write_logits(fs_writer *w, const int64_t *fids, const fs_tensor *dec,
		       const char *unembed_path, const char *vocab_path, fs_progress *progress,
		       char *err, size_t errlen)
{
	fs_tensor u;
	if (tensor_load(unembed_path, NULL, &u, err, errlen) != 0)
		return -1;
	int64_t n = dec->shape[0], d = dec->shape[1];
	int64_t V;
	int trans;
	if (u.ndim == 2 && u.shape[0] == d) {
		V = u.shape[1];
		trans = 0;
	} else if (u.ndim == 2 && u.shape[1] == d) {
		V = u.shape[0];
		trans = 1;
	} else {
		tensor_free(&u);
		return fs_seterr(err, errlen, "%s: shape: expected [%lld, vocab] or [vocab, %lld]",
				 unembed_path, (long long)d, (long long)d);
	}
	int64_t nv = 0;
	char **vocab = vocab_path ? read_vocab(vocab_path, &nv, err, errlen) : NULL;
	progress_start(progress, "rows", "build: logit effects");
	if (vocab_path && !vocab) {
		tensor_free(&u);
		return -1;
	}
	const int64_t B = 256;
	float *L = xmalloc(sizeof(float) * (size_t)(B * V));
	int rc = 0;
	for (int64_t r0 = 0; r0 < n && rc == 0; r0 += B) {
		int64_t m = n - r0 < B ? n - r0 : B;
		blas_sgemm(CblasRowMajor, CblasNoTrans, trans ? CblasTrans : CblasNoTrans,
			    (int)m, (int)V, (int)d, 1.0f, dec->data + r0 * d, (int)d, u.data,
			    trans ? (int)d : (int)V, 0.0f, L, (int)V);
		for (int64_t i = 0; i < m && rc == 0; i++) {
			const float *row = L + i * V;
			for (int sign = 1; sign >= -1 && rc == 0; sign -= 2) {
				int64_t best[N_LOGITS];
				int nb = 0;
				for (int64_t t = 0; t < V; t++) {
					float v = sign * row[t];
					if (nb < N_LOGITS || v > sign * row[best[nb - 1]]) {
						int p = nb < N_LOGITS ? nb++ : N_LOGITS - 1;
						while (p > 0 && sign * row[best[p - 1]] < v) {
							best[p] = best[p - 1];
							p--;
						}
						best[p] = t;
					}
				}
				for (int k = 0; k < nb; k++) {
					char idbuf[32];
					const char *tok = best[k] < nv ? vocab[best[k]] : NULL;
					if (!tok) {
						snprintf(idbuf, sizeof idbuf, "<%lld>", (long long)best[k]);
						tok = idbuf;
					}
					if (index_writer_add_logit(w, fids[r0 + i], sign, k, tok, row[best[k]]) < 0)
						rc = build_io_err(err, errlen, "%s", index_writer_errmsg(w));
				}
			}
		}
		progress_update(progress, r0 + m, n);
	}
	progress_end(progress, n);
	free(L);
	for (int64_t i = 0; i < nv; i++)
		free(vocab[i]);
	free(vocab);
	tensor_free(&u);
	return rc;
}

/* ---- co-firing counts (--cofire FILE, see featscope-build(1)) ----
 *   fires<TAB>SAE<TAB>FEATURE<TAB>TOKENS
 *   both<TAB>SAE<TAB>FEATURE<TAB>OTHER_SAE<TAB>OTHER_FEATURE<TAB>TOKENS
 * '#' comments and empty lines skipped; SAE names are the build's --sae
 * names; feature numbers are checked once the dictionaries' sizes are
 * known (build_write_cofire). */

/* Split line into at most max TAB-separated fields (copied into buf). */
static int split_tabs(const char *line, size_t len, char *buf, char **f, int max)
{
	memcpy(buf, line, len);
	buf[len] = 0;
	int n = 0;
	char *p = buf;
	for (;;) {
		if (n == max)
			return max + 1;
		f[n++] = p;
		char *t = strchr(p, '\t');
		if (!t)
			break;
		*t = 0;
		p = t + 1;
	}
	return n;
}

static int dict_of(const char *name, const char *const *names, int nd)
{
	for (int i = 0; i < nd; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

int build_read_cofire(const char *path, const char *const *names, int nd, build_cofire_line **out,
		      int64_t *nout, char *err, size_t errlen)
{
	*out = NULL;
	*nout = 0;
	fs_input *in = input_open(path, err, errlen);
	if (!in)
		return -1;
	const char *line;
	size_t len;
	int64_t n = 0, cap = 0;
	build_cofire_line *v = NULL;
	char *buf = NULL;
	size_t bcap = 0;
	int rc = 0;
	while ((line = input_line(in, &len))) {
		int64_t ln = input_lineno(in);
		if (len == 0 || line[0] == '#')
			continue;
		if (memchr(line, 0, len)) {
			rc = fs_seterr(err, errlen, "%s:%lld: a NUL byte (a co-firing file is text)", path,
				       (long long)ln);
			break;
		}
		if (len + 1 > bcap) {
			bcap = len + 1;
			buf = xrealloc(buf, bcap);
		}
		char *f[7];
		int nf = split_tabs(line, len, buf, f, 6);
		build_cofire_line c = {-1, 0, -1, 0, 0, ln};
		int isboth = strcmp(f[0], "both") == 0;
		if (!isboth && strcmp(f[0], "fires") != 0) {
			rc = fs_seterr(err, errlen, "%s:%lld: kind: expected 'fires' or 'both' in the first field",
				       path, (long long)ln);
			break;
		}
		if (nf != (isboth ? 6 : 4)) {
			rc = fs_seterr(err, errlen, "%s:%lld: %s: expected %d TAB-separated fields, got %d", path,
				       (long long)ln, f[0], isboth ? 6 : 4, nf > 6 ? 7 : nf);
			break;
		}
		const char *field = NULL;
		c.sae = dict_of(f[1], names, nd);
		if (c.sae < 0)
			field = "dictionary (field 2): not one of this build's --sae names";
		else if (fs_parse_i64(f[2], &c.f) != 0 || c.f < 0)
			field = "feature (field 3): not a feature number";
		else if (isboth && (c.osae = dict_of(f[3], names, nd)) < 0)
			field = "other dictionary (field 4): not one of this build's --sae names";
		else if (isboth && c.osae == c.sae)
			field = "other dictionary (field 4): the same dictionary as field 2";
		else if (isboth && (fs_parse_i64(f[4], &c.of) != 0 || c.of < 0))
			field = "other feature (field 5): not a feature number";
		else if (fs_parse_i64(f[isboth ? 5 : 3], &c.n) != 0 || c.n < 0)
			field = isboth ? "tokens (field 6): not a count >= 0" : "tokens (field 4): not a count >= 0";
		if (field) {
			rc = fs_seterr(err, errlen, "%s:%lld: %s", path, (long long)ln, field);
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = xrealloc(v, (size_t)cap * sizeof *v);
		}
		v[n++] = c;
	}
	if (rc == 0 && (input_bad(in) || input_error(in)))
		rc = fs_seterr(err, errlen, "%s", input_bad(in) ? input_bad(in) : input_error(in));
	input_close(in);
	free(buf);
	if (rc != 0) {
		free(v);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* By dictionary, feature, fires before both, other dictionary, other
 * feature, line. */
static int cofire_order(const void *x, const void *y)
{
	const build_cofire_line *a = x, *b = y;
	if (a->sae != b->sae)
		return a->sae < b->sae ? -1 : 1;
	if (a->f != b->f)
		return a->f < b->f ? -1 : 1;
	if (a->osae != b->osae)
		return a->osae < b->osae ? -1 : 1;
	if (a->of != b->of)
		return a->of < b->of ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

int build_write_cofire(fs_writer *w, const char *path, build_cofire_line *v, int64_t n,
		       int64_t *const *fids, const int64_t *nfeat, int nd, char *err, size_t errlen)
{
	/* every feature number in range, with its dictionary's size */
	for (int64_t i = 0; i < n; i++) {
		const build_cofire_line *c = &v[i];
		int bad = c->f >= nfeat[c->sae] ? 3 : c->osae >= 0 && c->of >= nfeat[c->osae] ? 5 : 0;
		if (bad)
			return fs_seterr(err, errlen, "%s:%lld: %s (field %d): not a feature number in 0..%lld",
					 path, (long long)c->line, bad == 3 ? "feature" : "other feature", bad,
					 (long long)nfeat[bad == 3 ? c->sae : c->osae] - 1);
	}
	qsort(v, (size_t)n, sizeof *v, cofire_order);
	/* each feature's firing tokens, for the checks of the pairs */
	int64_t **fires = xcalloc((size_t)nd, sizeof *fires);
	for (int d = 0; d < nd; d++) {
		fires[d] = xmalloc((size_t)(nfeat[d] > 0 ? nfeat[d] : 1) * sizeof **fires);
		for (int64_t f = 0; f < nfeat[d]; f++)
			fires[d][f] = -1;
	}
	int rc = 0;
	for (int64_t i = 0; i < n && rc == 0; i++) {
		const build_cofire_line *c = &v[i];
		if (c->osae >= 0)
			continue;
		if (fires[c->sae][c->f] >= 0)
			rc = fs_seterr(err, errlen, "%s:%lld: fires: a second line for this feature", path,
				       (long long)c->line);
		fires[c->sae][c->f] = c->n;
	}
	fs_cofire *p = NULL;
	int pcap = 0;
	for (int64_t i = 0; i < n && rc == 0;) {
		int64_t j = i;
		const build_cofire_line *h = &v[i];
		int np = 0;
		if (h->osae >= 0) {
			rc = fs_seterr(err, errlen, "%s:%lld: both: no 'fires' line for field 2's feature", path,
				       (long long)h->line);
			break;
		}
		for (j = i + 1; j < n && v[j].sae == h->sae && v[j].f == h->f && rc == 0; j++) {
			const build_cofire_line *c = &v[j];
			if (c->osae < 0)
				break; /* the second fires line: reported above */
			int64_t of = fires[c->osae][c->of];
			if (c->osae == v[j - 1].osae && c->of == v[j - 1].of)
				rc = fs_seterr(err, errlen, "%s:%lld: both: a second line for this pair", path,
					       (long long)c->line);
			else if (c->n > h->n || (of >= 0 && c->n > of))
				rc = fs_seterr(err, errlen, "%s:%lld: tokens (field 6): %lld, more than a feature's "
					       "firing tokens (%lld)", path, (long long)c->line, (long long)c->n,
					       (long long)(c->n > h->n ? h->n : of));
			else {
				if (np == pcap) {
					pcap = pcap ? pcap * 2 : 64;
					p = xrealloc(p, (size_t)pcap * sizeof *p);
				}
				p[np++] = (fs_cofire){fids[c->osae][c->of], c->n};
			}
		}
		if (rc == 0 && index_writer_add_cofire(w, fids[h->sae][h->f], h->n, p, np) < 0)
			rc = build_io_err(err, errlen, "%s", index_writer_errmsg(w));
		i = j;
	}
	free(p);
	for (int d = 0; d < nd; d++)
		free(fires[d]);
	free(fires);
	return rc;
}
