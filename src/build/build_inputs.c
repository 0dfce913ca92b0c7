/*
 * build_inputs.c: what a native build reads beside the records: the labels
 * file (feature, label, source, description), the vocabulary (one token a
 * line, C escapes) and, from the decoder and an unembedding, the logit
 * effects: each feature's top output tokens both ways.
 */
#include "build/build_int.h"
#include "core/blas.h"
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
		       const char *unembed_path, const char *vocab_path, int progress,
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
		if (progress)
			fprintf(stderr, "\rbuild: logit effects %lld/%lld   ", (long long)(r0 + m), (long long)n);
	}
	if (progress)
		fputc('\n', stderr);
	free(L);
	for (int64_t i = 0; i < nv; i++)
		free(vocab[i]);
	free(vocab);
	tensor_free(&u);
	return rc;
}
