/*
 * cli_harvest.c: `featscope harvest --model DIR --sae DIR... -o OUT TEXT...`:
 * runs a model of any live architecture (live.h: a GPT-2 folder, the demo
 * model, ...) over text and writes an index of what each dictionary
 * (SAELens folders, FSSAE files: live_sae) fires on.
 *
 * Text (plain, cut into documents at blank lines, or JSON Lines with a
 * text field; .gz read through zlib) is tokenized per document and cut
 * into windows of --ctx tokens (a BOS first when the dictionaries say
 * prepend_bos: live_set_bos), ending on UTF-8 character boundaries.
 * Windows are read --batch at a time and each runs through the model in
 * one pass (live_forward_hooks) with a list of hooks, one per dictionary
 * at the point it reads, so dictionaries at several points are encoded in
 * that one pass, which stops after the last block a dictionary reads. Each dictionary encodes its hook's rows (live_sae_encode)
 * and appends one native record per window (featscope-build(1): text,
 * offsets, sparse [position, feature, value] triples) to its own file in
 * a temporary folder beside OUT. The records then go through the native
 * builder, one dictionary after another into one writer, with the
 * dictionary's decoder rows (geometry) and the model's unembedding (logit
 * effects; the architecture's unembed_row) and vocabulary (token_bytes)
 * written beside them. Going through record files rather than feeding the builder in
 * memory keeps memory bounded by the builder's per-feature state whatever
 * the corpus size, lets the model's buffers go before the builds, and
 * reuses the builder's one tested, fuzzed parsing path; the JSON costs
 * little next to the forward pass. The index's meta records the model and
 * dictionaries (live.model.path/.hash, live.sae.NAME.path/.hash/.hook),
 * hashes being XXH3-64 of the weight files, and its live_files table gets
 * the rows `featscope attach` writes (live_file_row: the folder's name
 * when it lies beside OUT, else its absolute path), so analyze and steer
 * open the harvested index directly.
 *
 * Interrupted (SIGINT, SIGTERM, SIGHUP), a harvest leaves nothing: its
 * handler removes the temporary folder's files and the folder, then hands
 * the signal on to what was there before (the writer's clean-up of its
 * temporary index during the builds, else the default: the process ends
 * by the signal). A signal the caller ignores stays ignored.
 */
#define _GNU_SOURCE
#include "build/build.h"
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/input.h"
#include "core/cleanup.h"
#include "core/util.h"
#include "index/index.h"
#include "live/live.h"
#include "live/session.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define HV_DOC_MAX (64 << 10)   /* a plain-text document is cut after this many bytes */
#define HV_CHUNK 128            /* rows encoded at once per dictionary */

struct hv;

/* One dictionary being harvested. */
typedef struct {
	live_sae *s;            /* weights, its hook point (bound to the model) */
	char *name;             /* its name in the index */
	char hook[96];          /* its TransformerLens hook name */
	char *rec_path;         /* its records file */
	char *dec_path;         /* its decoder rows for the builder (.npy) */
	FILE *rec;              /* open for writing */
	struct hv *h;           /* the harvest (the hook's way back) */
} hv_dict;

/* One window of the current batch. */
typedef struct {
	char *text;             /* bytes */
	size_t len;             /* byte count */
	uint32_t *off;          /* token starts, relative */
	int *ids;               /* token ids */
	int ntok;               /* content tokens (BOS excluded) */
	char *source;           /* "FILE:LINE" */
} hv_win;

/* The harvest state. */
typedef struct hv {
	live_model *m;          /* the model */
	hv_dict *d;             /* dictionaries */
	int nd;                 /* their count */
	live_hook *hooks;       /* one a dictionary, a list (hooks[0] its head) */
	int bos;                /* the model runs its BOS before each window */
	int ctx;                /* tokens per window, BOS included */
	int batch;              /* windows read ahead */
	hv_win *w;              /* the batch */
	int nw;                 /* windows in it */
	int run;                /* the window being run */
	int kmax;               /* features an encoded row may have (the widest dictionary) */
	int *kidx;              /* [HV_CHUNK, kmax] encoded features */
	float *kval;            /* [HV_CHUNK, kmax] their values */
	float *dense;           /* [max n_feat] one row's activations, by feature */
	fs_buf line;            /* record being written */
	int64_t tokens;         /* content tokens run */
	int64_t max_tokens;     /* --max-tokens, 0 = all */
	int64_t windows;        /* windows run */
	double t0, last;        /* clock, last progress */
	int progress;           /* show progress */
	int64_t in_done;        /* input bytes of finished files */
	int64_t in_total;       /* all input bytes */
	fs_input *cur;          /* file being read (progress) */
	int io_failed;          /* a records write failed */
	int hook_failed;        /* a hook saw other rows than its window's */
	int64_t shard_i, shard_n; /* --shard I/N (shard_n 0: the whole text) */
} hv;

/* Whether --shard takes a document: XXH3-64 of its name (a text file's
 * path as given, or a JSON Lines document's "PATH:LINE") modulo N is I. */
static int in_shard(const hv *h, const char *name)
{
	return !h->shard_n || XXH3_64bits(name, strlen(name)) % (uint64_t)h->shard_n == (uint64_t)h->shard_i;
}

static void json_str(fs_buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_addc(b, (char)c);
		}
	}
	buf_addc(b, '"');
}

/* Encode one dictionary's rows of the window being run and write its
 * record: features of each position in increasing order. */
static int emit(hv *h, hv_dict *dc, const float *x, int n, int d)
{
	hv_win *w = &h->w[h->run];
	live_sae *sae = dc->s;
	int kmax = sae->act == LIVE_SAE_TOPK && sae->k < sae->n_feat ? sae->k : sae->n_feat;
	fs_buf *L = &h->line;
	L->len = 0;
	buf_adds(L, "{\"source\":");
	json_str(L, w->source, strlen(w->source));
	buf_adds(L, ",\"text\":");
	json_str(L, w->text, w->len);
	buf_adds(L, ",\"offsets\":[");
	for (int i = 0; i < w->ntok; i++)
		buf_printf(L, i ? ",%u" : "%u", w->off[i]);
	buf_adds(L, "],\"acts\":[");
	int any = 0;
	for (int p0 = 0; p0 < n; p0 += HV_CHUNK) {
		int nr = n - p0 < HV_CHUNK ? n - p0 : HV_CHUNK;
		live_sae_encode(sae, x + (size_t)p0 * d, nr, kmax, h->kidx, h->kval);
		for (int r = 0; r < nr; r++) {
			const int *ix = h->kidx + (size_t)r * kmax;
			const float *vx = h->kval + (size_t)r * kmax;
			for (int k = 0; k < kmax && ix[k] >= 0; k++)
				h->dense[ix[k]] = vx[k];
			for (int f = 0; f < sae->n_feat; f++)
				if (h->dense[f] > 0) {
					buf_printf(L, any ? ",[%d,%d,%.6g]" : "[%d,%d,%.6g]", p0 + r, f, h->dense[f]);
					any = 1;
					h->dense[f] = 0;
				}
		}
	}
	buf_adds(L, "]}\n");
	if (fwrite(L->p, 1, L->len, dc->rec) != L->len) {
		h->io_failed = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* A dictionary's hook: the window's rows at its point (BOS left out by
 * the architecture), in one call. */
static void hv_hook(void *ud, float *act, int n, int width, int pos0)
{
	hv_dict *dc = ud;
	hv *h = dc->h;
	if (h->io_failed || h->hook_failed)
		return;
	if (pos0 != 0 || n != h->w[h->run].ntok) {
		h->hook_failed = 1;
		return;
	}
	emit(h, dc, act, n, width);
}

static void progress(hv *h, int force)
{
	if (!h->progress)
		return;
	double now = fs_now();
	if (!force && now - h->last < 0.25)
		return;
	h->last = now;
	double el = now - h->t0, rate = h->tokens / (el > 1e-9 ? el : 1e-9);
	int64_t pos = h->in_done + (h->cur ? input_pos(h->cur) : 0);
	double frac = h->in_total ? (double)pos / (double)h->in_total : 0;
	if (h->max_tokens && (double)h->tokens / (double)h->max_tokens > frac)
		frac = (double)h->tokens / (double)h->max_tokens;
	char bar[21];
	int fill = (int)(frac * 20 + 0.5);
	for (int i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[20] = 0;
	double left = frac > 0.001 ? el / frac - el : 0;
	fprintf(stderr, "\rharvest: [%s] %3.0f%% %lld tokens, %.0f tokens/s, %.0fs left   ", bar, frac * 100,
		(long long)h->tokens, rate, left);
}

static void win_free(hv_win *w)
{
	free(w->text);
	free(w->off);
	free(w->ids);
	free(w->source);
	memset(w, 0, sizeof *w);
}

static int run_batch(hv *h, char *err, size_t errlen)
{
	if (!h->nw)
		return 0;
	int rc = 0;
	for (int b = 0; b < h->nw && rc == 0; b++) {
		h->run = b;
		if (live_forward_hooks(h->m, h->w[b].ids, h->w[b].ntok, h->hooks) != 0)
			rc = fs_seterr(err, errlen, "%s: the forward pass failed on %s", h->m->path, h->w[b].source);
		else if (h->io_failed)
			rc = fs_seterr(err, errlen, "records file: write failed: %s", strerror(h->io_failed));
		else if (h->hook_failed)
			rc = fs_seterr(err, errlen, "%s: the model's hooks did not see the window's tokens", h->m->path);
	}
	for (int b = 0; b < h->nw; b++) {
		h->tokens += h->w[b].ntok;
		win_free(&h->w[b]);
	}
	h->windows += h->nw;
	h->nw = 0;
	progress(h, 0);
	return rc;
}

static int utf8_start(unsigned char c)
{
	return (c & 0xc0) != 0x80;
}

/* Tokenize one document and queue its windows. 1 when --max-tokens is
 * reached, -1 on error. */
static int add_doc(hv *h, const char *text, size_t n, const char *src, char *err, size_t errlen)
{
	int *ids = NULL;
	uint32_t *offs = NULL;
	int64_t cnt = live_tokenize(h->m, text, n, &ids, &offs);
	int L = h->ctx - h->bos;
	int rc = 0;
	for (int64_t i = 0; i < cnt && rc == 0;) {
		int64_t j = i + L < cnt ? i + L : cnt;
		if (h->max_tokens) {
			int64_t queued = 0;
			for (int b = 0; b < h->nw; b++)
				queued += h->w[b].ntok;
			int64_t room = h->max_tokens - h->tokens - queued;
			if (room <= 0) {
				rc = 1;
				break;
			}
			if (j - i > room)
				j = i + room;
		}
		/* end on a character boundary (a character spans at most 4 tokens) */
		while (j < cnt && j > i + 1 && !utf8_start((unsigned char)text[offs[j]]))
			j--;
		size_t b0 = offs[i], b1 = j < cnt ? offs[j] : n;
		hv_win *w = &h->w[h->nw++];
		w->len = b1 - b0;
		w->text = xmalloc(w->len + 1);
		memcpy(w->text, text + b0, w->len);
		w->ntok = (int)(j - i);
		w->off = xmalloc(sizeof *w->off * (size_t)w->ntok);
		w->ids = xmalloc(sizeof *w->ids * (size_t)w->ntok);
		for (int k = 0; k < w->ntok; k++) {
			w->off[k] = offs[i + k] - (uint32_t)b0;
			w->ids[k] = ids[i + k];
		}
		w->source = xstrdup(src);
		if (h->nw == h->batch && run_batch(h, err, errlen) != 0)
			rc = -1;
		i = j;
		if (rc == 0 && h->max_tokens) {
			int64_t queued = 0;
			for (int b = 0; b < h->nw; b++)
				queued += h->w[b].ntok;
			if (h->tokens + queued >= h->max_tokens)
				rc = 1;
		}
	}
	free(ids);
	free(offs);
	return rc;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* Read one input file. 0, 1 at --max-tokens, -1 runtime error, -2 bad input. */
static int read_input(hv *h, const char *path, const char *field, char *err, size_t errlen)
{
	int jsonl = has_suffix(path, ".jsonl") || has_suffix(path, ".jsonl.gz") || has_suffix(path, ".json") ||
		    has_suffix(path, ".json.gz") || has_suffix(path, ".ndjson");
	if (!jsonl && !in_shard(h, path))
		return 0; /* a text file is one shard's whole */
	fs_input *in = input_open(path, err, errlen);
	if (!in)
		return -2;
	h->cur = in;
	fs_buf doc = {0};
	int64_t doc_line = 0;
	const char *line;
	size_t len;
	int rc = 0;
	char src[PATH_MAX + 32];
	while (rc == 0 && (line = input_line(in, &len))) {
		int64_t ln = input_lineno(in);
		if (jsonl) {
			snprintf(src, sizeof src, "%s:%lld", path, (long long)ln);
			if (!len || !in_shard(h, src))
				continue;
			json_error_t je;
			json_t *j = json_loadb(line, len, 0, &je);
			if (!j) {
				fs_seterr(err, errlen, "%s:%lld: bad JSON (or not UTF-8): %s", path, (long long)ln,
					  fs_msg_clean(je.text));
				rc = -2;
				break;
			}
			json_t *t = json_object_get(j, field);
			if (!json_is_string(t)) {
				fs_seterr(err, errlen, "%s:%lld: %s: missing or not a string", path, (long long)ln, field);
				json_decref(j);
				rc = -2;
				break;
			}
			rc = add_doc(h, json_string_value(t), json_string_length(t), src, err, errlen);
			json_decref(j);
			continue;
		}
		for (size_t i = 0; i < len;) {
			int l = utf8_len((const unsigned char *)line + i, len - i);
			if (!l) {
				fs_seterr(err, errlen, "%s:%lld: byte %zu: not UTF-8", path, (long long)ln, i + 1);
				rc = -2;
				break;
			}
			i += (size_t)l;
		}
		if (rc)
			break;
		if (!doc.len)
			doc_line = ln;
		if (len == 0 && doc.len) {
			snprintf(src, sizeof src, "%s:%lld", path, (long long)doc_line);
			rc = add_doc(h, doc.p, doc.len, src, err, errlen);
			doc.len = 0;
			continue;
		}
		if (doc.len)
			buf_addc(&doc, '\n');
		buf_add(&doc, line, len);
		if (doc.len > HV_DOC_MAX) {
			snprintf(src, sizeof src, "%s:%lld", path, (long long)doc_line);
			rc = add_doc(h, doc.p, doc.len, src, err, errlen);
			doc.len = 0;
		}
	}
	if (rc == 0 && doc.len) {
		snprintf(src, sizeof src, "%s:%lld", path, (long long)doc_line);
		rc = add_doc(h, doc.p, doc.len, src, err, errlen);
	}
	if (rc == 0 && input_error(in)) {
		fs_seterr(err, errlen, "%s: read error: %s", path, input_error(in));
		rc = -2;
	}
	buf_free(&doc);
	h->in_done += input_size(in);
	h->cur = NULL;
	input_close(in);
	return rc;
}

/* A .npy [rows, cols] of f32 for the builder: row r from rows (when
 * not NULL) or from the model's unembedding. */
static int write_npy(const char *path, int rows, int cols, const float *data, const live_model *m, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	char hdr[128];
	int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols);
	int total = 10 + n + 1;
	int pad = (64 - total % 64) % 64;
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
	pre[8] = (unsigned char)((n + pad + 1) & 0xff);
	pre[9] = (unsigned char)((n + pad + 1) >> 8);
	int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)n, f) == (size_t)n;
	for (int i = 0; i < pad && ok; i++)
		ok = fputc(' ', f) != EOF;
	ok = ok && fputc('\n', f) != EOF;
	float *row = data ? NULL : xmalloc(sizeof(float) * (size_t)cols);
	for (int r = 0; r < rows && ok; r++) {
		const float *src = data ? data + (size_t)r * cols : row;
		if (!data && live_unembed_row(m, r, row) != 0)
			memset(row, 0, sizeof(float) * (size_t)cols);
		ok = fwrite(src, sizeof(float), (size_t)cols, f) == (size_t)cols;
	}
	free(row);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : fs_seterr(err, errlen, "%s: write failed: %s", path, strerror(errno));
}

/* The tokens, C-escaped one a line, for the builder's --vocab. */
static int write_vocab(const char *path, const live_model *m, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	fs_buf b = {0};
	for (int id = 0; id < m->vocab; id++) {
		size_t l = 0;
		const uint8_t *s = live_token_bytes(m, id, &l);
		if (!s)
			l = 0;
		for (size_t i = 0; i < l;) {
			unsigned char c = s[i];
			int u = c >= 0x80 ? utf8_len(s + i, l - i) : 0;
			if (u > 1) {
				buf_add(&b, s + i, (size_t)u);
				i += (size_t)u;
				continue;
			}
			if (c == '\n')
				buf_adds(&b, "\\n");
			else if (c == '\t')
				buf_adds(&b, "\\t");
			else if (c == '\r')
				buf_adds(&b, "\\r");
			else if (c == '\\')
				buf_adds(&b, "\\\\");
			else if (c < 0x20 || c >= 0x7f)
				buf_printf(&b, "\\x%02x", c);
			else
				buf_addc(&b, (char)c);
			i++;
		}
		buf_addc(&b, '\n');
	}
	int ok = fwrite(b.p, 1, b.len, f) == b.len;
	if (fclose(f) != 0)
		ok = 0;
	buf_free(&b);
	return ok ? 0 : fs_seterr(err, errlen, "%s: write failed: %s", path, strerror(errno));
}

static char *abspath(const char *p)
{
	char buf[PATH_MAX];
	return realpath(p, buf) ? xstrdup(buf) : xstrdup(p);
}

static const char *base_name(const char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	const char *s = p + n;
	while (s > p && s[-1] != '/')
		s--;
	return s;
}

/* harvest's options, one row each: the enum H_* and harvest_opts (CLI_OPTIONS). */
#define HARVEST_OPTS(X) \
	X(H_OUT, "output", 'o', OPT_STR, "FILE", 0, 0, "index to write (built in a temporary file, renamed at the end)") \
	X(H_MODEL, "model", 0, OPT_STR, "DIR", 0, 0, "model: a Hugging Face folder (config.json, weights, tokenizer) or a demo model file") \
	X(H_SAE, "sae", 0, OPT_STR | OPT_MANY, "DIR", 0, 0, "dictionary: a SAELens, Gemma Scope or Llama Scope folder, or an FSSAE file (repeatable)") \
	X(H_CTX, "ctx", 0, OPT_INT, "N", 8, 1 << 20, "tokens per window, BOS included (128, at most n_positions)") \
	X(H_BATCH, "batch", 0, OPT_INT, "N", 1, 4096, "windows read ahead, each run in its own pass (8)") \
	X(H_MAXTOK, "max-tokens", 0, OPT_INT, "N", 1, 1ll << 50, "stop after N tokens") \
	X(H_FIELD, "text-field", 0, OPT_STR, "NAME", 0, 0, "JSON Lines field holding the text (text)") \
	X(H_TOPK, "top-k", 0, OPT_INT, "N", 0, 10000, "top-activating examples kept per feature (20)") \
	X(H_INTERVALS, "intervals", 0, OPT_INT, "N", 0, 1000, "quantile intervals (10)") \
	X(H_PERINT, "per-interval", 0, OPT_INT, "N", 0, 1000, "examples per interval (5)") \
	X(H_KNN, "neighbours", 0, OPT_INT, "K", 0, 10000, "nearest neighbours kept per feature (32)") \
	X(H_PROGRESS, "progress", 0, OPT_FLAG, NULL, 0, 0, "progress on stderr (default when it is a terminal)") \
	X(H_NOPROGRESS, "no-progress", 0, OPT_FLAG, NULL, 0, 0, "no progress") \
	X(H_SHARD, "shard", 0, OPT_STR, "I/N", 0, 0, "only shard I of N, 0 <= I < N (featscope merge joins them)")
CLI_OPTIONS(harvest_opts, HARVEST_OPTS);

static int harvest_run(const cmd_entry *e, int argc, char **argv)
{
	const char *out = NULL, *model = NULL, *field = "text", *shard = NULL;
	char **saes = xcalloc((size_t)argc + 1, sizeof *saes);
	char **inputs = xcalloc((size_t)argc + 1, sizeof *inputs);
	int nsae = 0, ninputs = 0, show_progress = fs_stderr_tty();
	int64_t ctx = -1, batch = 8, maxtok = 0, topk = -1, nint = -1, perint = -1, knn = -1;
	cli_parser p;
	cli_init(&p, e, argc, argv);
	int stop;
	for (int k; (k = cli_walk(&p, &stop)) != CLI_END;) {
		switch (k) {
		case CLI_ARG: inputs[ninputs++] = (char *)p.val; break;
		case H_OUT: out = p.val; break;
		case H_MODEL: model = p.val; break;
		case H_SAE: saes[nsae++] = (char *)p.val; break;
		case H_FIELD: field = p.val; break;
		case H_CTX: ctx = p.num; break;
		case H_BATCH: batch = p.num; break;
		case H_MAXTOK: maxtok = p.num; break;
		case H_TOPK: topk = p.num; break;
		case H_INTERVALS: nint = p.num; break;
		case H_PERINT: perint = p.num; break;
		case H_KNN: knn = p.num; break;
		case H_PROGRESS: show_progress = 1; break;
		case H_NOPROGRESS: show_progress = 0; break;
		case H_SHARD: shard = p.val; break;
		default: break;
		}
	}
	if (stop >= 0) { /* --help, or a usage error already said */
		free(saes);
		free(inputs);
		return stop;
	}
	if (!out || !model || !nsae || !ninputs) {
		free(saes);
		free(inputs);
		return cli_usage_error(e, "needs --model DIR, at least one --sae DIR, -o OUT.sqlite and TEXT files");
	}
	/* -o must replace none of what is read (cliutil.h) */
	inputs[ninputs] = (char *)model; /* room: argc + 1 entries */
	if (cli_output_check(e->name, out, (const char *const *)inputs, ninputs + 1) != FS_EXIT_OK ||
	    cli_output_check(e->name, out, (const char *const *)saes, nsae) != FS_EXIT_OK) {
		free(saes);
		free(inputs);
		return FS_EXIT_USAGE;
	}
	char err[2048];
	int rc = FS_EXIT_USAGE;
	hv h;
	memset(&h, 0, sizeof h);
	int used = 0;
	if (shard && (sscanf(shard, "%" SCNd64 "/%" SCNd64 "%n", &h.shard_i, &h.shard_n, &used) != 2 || shard[used] ||
		      h.shard_n < 1 || h.shard_n > 1 << 20 || h.shard_i < 0 || h.shard_i >= h.shard_n)) {
		free(saes);
		free(inputs);
		return cli_usage_error(e, "--shard %s: must be I/N with 0 <= I < N <= 1048576", shard);
	}
	char *tmpdir = NULL, *unembed = NULL, *vocab = NULL, *mhash = NULL, **sig_paths = NULL;
	char **hashes = xcalloc((size_t)nsae, sizeof *hashes);
	fs_live_file *lrows = xcalloc((size_t)nsae + 1, sizeof *lrows);
	int nlrows = 0;
	fs_writer *w = NULL;
	/* the weights lie where the live commands will read them (live_files) */
	for (int i = -1; i < nsae; i++)
		if (live_file_place(out, i < 0 ? model : saes[i], NULL, err, sizeof err) != 0) {
			fs_warn("%s", err);
			goto out;
		}
	h.m = live_load(model, err, sizeof err);
	if (!h.m) {
		fs_warn("%s", err);
		goto out;
	}
	const struct live_arch_names *an = h.m->arch->names;
	size_t ml = strlen(model); /* the folder's name without trailing slashes, for messages */
	while (ml > 1 && model[ml - 1] == '/')
		ml--;
	if (!h.m->arch->token_bytes) {
		fs_warn("%s: the %s architecture has no token strings for the index's vocabulary", model,
			h.m->arch->name);
		goto out;
	}
	int npos = h.m->ctx; /* the model's context, before any BOS */
	if (npos < 8) {
		/* no --ctx can fit: the model is at fault, not the option */
		if (an)
			fs_warn("%.*s/%s: %s: %d: the model's context is too short to harvest (at least 8 tokens)", (int)ml,
				model, an->file, an->ctx, npos);
		else
			fs_warn("%s: ctx: %d: the model's context is too short to harvest (at least 8 tokens)", model, npos);
		goto out;
	}
	if (ctx == -1) /* 128, or the model's context when shorter */
		ctx = npos < 128 ? npos : 128;
	if (ctx < 8 || ctx > npos) {
		fs_warn("harvest: --ctx %lld: must be 8..%d (the model's %s)", (long long)ctx, npos, an ? an->ctx : "context");
		goto out;
	}
	h.d = xcalloc((size_t)nsae, sizeof *h.d);
	h.hooks = xcalloc((size_t)nsae, sizeof *h.hooks);
	int maxfeat = 1, want_bos = 0;
	for (int i = 0; i < nsae; i++) {
		hv_dict *dc = &h.d[i];
		dc->h = &h;
		if (!(dc->s = live_sae_load(saes[i], err, sizeof err))) {
			fs_warn("%s", err);
			h.nd = i;
			goto out;
		}
		h.nd = i + 1;
		live_sae *sae = dc->s;
		/* the file a message names: a SAELens folder's cfg.json */
		struct stat sst;
		size_t sl = strlen(saes[i]);
		while (sl > 1 && saes[i][sl - 1] == '/')
			sl--;
		if (stat(saes[i], &sst) != 0)
			memset(&sst, 0, sizeof sst);
		/* the file (and field) a message names: what the dictionary's
		 * reader says states its hook and width (a folder's config or
		 * weights), else the file given */
		char *hfile = sae->where_hook ? xstrdup(sae->where_hook) : xstrdup(saes[i]);
		char *dfile = sae->where_din ? xstrdup(sae->where_din) : xasprintf("%s: d_in", saes[i]);
		char *cut = sae->where_hook ? strstr(hfile, ": ") : NULL;
		if (cut)
			*cut = '\0';
		char *dfield = strstr(dfile, ": ");
		if (dfield) {
			*dfield = '\0';
			dfield += 2;
		}
		live_point at = sae->hook;
		if (at.layer < 0)
			at.layer = h.m->n_layer - 1;
		live_point_name_tl(at, dc->hook, sizeof dc->hook);
		int bad = 1;
		if (at.layer >= h.m->n_layer) {
			fs_warn("%s: hook '%s' is not a hook point of %s (blocks.0..%d)", hfile, dc->hook, model,
				h.m->n_layer - 1);
		} else {
			int width = live_width(h.m, at);
			if (sae->d_in == width)
				bad = 0;
			else if (an && an->width[at.kind])
				fs_warn("%s: %s %d does not fit %.*s/%s: %s %d", dfile, dfield ? dfield : "d_in", sae->d_in,
					(int)ml, model, an->file, an->width[at.kind], width);
			else
				fs_warn("%s: %s %d does not fit %s: %s is %d wide", dfile, dfield ? dfield : "d_in",
					sae->d_in, model, dc->hook, width);
		}
		free(hfile);
		free(dfile);
		if (bad)
			goto out;
		if (live_sae_bind(sae, h.m, err, sizeof err) != 0) {
			fs_warn("%s", err);
			goto out;
		}
		if (sae->n_feat > maxfeat)
			maxfeat = sae->n_feat;
		want_bos |= sae->prepend_bos;
		h.hooks[i] = (live_hook){sae->hook, hv_hook, dc, i + 1 < nsae ? &h.hooks[i + 1] : NULL};
		/* names: the folder's, or the file's without its extension,
		 * made unique */
		const char *bn = base_name(saes[i]);
		int bl = (int)strcspn(bn, "/");
		const char *dot = S_ISDIR(sst.st_mode) ? NULL : strrchr(bn, '.');
		if (dot && dot > bn && dot < bn + bl)
			bl = (int)(dot - bn);
		dc->name = xstrndup(bn, (size_t)bl);
		for (int j = 0, k = 2; j < i; j++)
			if (!strcmp(h.d[j].name, dc->name)) {
				free(dc->name);
				dc->name = xasprintf("%.*s-%d", bl, bn, k++);
				j = -1;
			}
	}
	if (want_bos && live_set_bos(h.m, 1) != 0) {
		fs_warn("%s: the model has no beginning-of-sequence token for the BOS the dictionaries ask for "
			"(prepend_bos)", model);
		goto out;
	}
	h.bos = want_bos;
	/* inputs exist and their sizes, before any work */
	for (int i = 0; i < ninputs; i++) {
		struct stat st;
		if (stat(inputs[i], &st) != 0) {
			fs_warn("%s: %s", inputs[i], strerror(errno));
			goto out;
		}
		h.in_total += st.st_size;
	}
	/* a temporary folder beside OUT for the records */
	{
		char *dirpart = xstrdup(out);
		char *slash = strrchr(dirpart, '/');
		if (slash)
			slash[1] = 0;
		else
			strcpy(dirpart, "");
		tmpdir = xasprintf("%s.featscope-harvest-XXXXXX", dirpart);
		free(dirpart);
		if (!mkdtemp(tmpdir)) {
			fs_warn("%s: cannot create a temporary folder: %s", tmpdir, strerror(errno));
			free(tmpdir);
			tmpdir = NULL;
			goto out;
		}
	}
	rc = FS_EXIT_ERR;
	/* every file the folder will hold, named before the first is made,
	 * so that an interruption removes them all */
	unembed = xasprintf("%s/unembed.npy", tmpdir);
	vocab = xasprintf("%s/vocab.txt", tmpdir);
	sig_paths = xcalloc((size_t)2 * h.nd + 2, sizeof *sig_paths);
	for (int i = 0; i < h.nd; i++) {
		sig_paths[i] = h.d[i].rec_path = xasprintf("%s/records-%d.jsonl", tmpdir, i);
		sig_paths[h.nd + i] = h.d[i].dec_path = xasprintf("%s/decoder-%d.npy", tmpdir, i);
	}
	sig_paths[2 * h.nd] = unembed;
	sig_paths[2 * h.nd + 1] = vocab;
	fs_cleanup_on_signal(sig_paths, 2 * h.nd + 2, tmpdir);
	for (int i = 0; i < h.nd; i++) {
		h.d[i].rec = fopen(h.d[i].rec_path, "wb");
		if (!h.d[i].rec) {
			fs_warn("%s: %s", h.d[i].rec_path, strerror(errno));
			goto out;
		}
	}
	h.ctx = (int)ctx;
	h.batch = (int)batch;
	h.max_tokens = maxtok;
	h.w = xcalloc((size_t)batch, sizeof *h.w);
	h.kmax = maxfeat;
	h.kidx = xmalloc(sizeof(int) * HV_CHUNK * (size_t)maxfeat);
	h.kval = xmalloc(sizeof(float) * HV_CHUNK * (size_t)maxfeat);
	h.dense = xcalloc((size_t)maxfeat, sizeof(float));
	h.progress = show_progress;
	h.t0 = fs_now();
	for (int i = 0; i < ninputs; i++) {
		int r = read_input(&h, inputs[i], field, err, sizeof err);
		if (r == -2) {
			fs_warn("%s", err);
			rc = FS_EXIT_USAGE;
			goto out;
		}
		if (r == -1) {
			fs_warn("harvest: %s", err);
			goto out;
		}
		if (r == 1)
			break;
	}
	if (run_batch(&h, err, sizeof err) != 0) {
		fs_warn("harvest: %s", err);
		goto out;
	}
	progress(&h, 1);
	if (h.progress)
		fputc('\n', stderr);
	if (!h.tokens && !h.shard_n) {
		fs_warn("harvest: no text in the inputs");
		rc = FS_EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < h.nd; i++) {
		int bad = fclose(h.d[i].rec) != 0;
		h.d[i].rec = NULL;
		if (bad) {
			fs_warn("%s: write failed: %s", h.d[i].rec_path, strerror(errno));
			goto out;
		}
	}
	double t_model = fs_now() - h.t0;
	/* the builder's inputs: unembedding and vocabulary */
	int has_unembed = h.m->arch->unembed_row != NULL;
	if ((has_unembed && write_npy(unembed, h.m->vocab, h.m->d_model, NULL, h.m, err, sizeof err) != 0) ||
	    write_vocab(vocab, h.m, err, sizeof err) != 0) {
		fs_warn("%s", err);
		goto out;
	}
	for (int i = 0; i < h.nd; i++)
		if (write_npy(h.d[i].dec_path, h.d[i].s->n_feat, h.d[i].s->d_in, h.d[i].s->w_dec, NULL, err, sizeof err) != 0) {
			fs_warn("%s", err);
			goto out;
		}
	/* the live_files rows (attach's), before anything is written; their
	 * XXH3 of each weights file is also the dictionaries' source hash
	 * (each file is read once for it) */
	if (live_file_row(out, model, "model", "", "", &lrows[0], err, sizeof err) != 0) {
		fs_warn("%s", err);
		goto out;
	}
	nlrows = 1;
	for (int i = 0; i < h.nd; i++) {
		char hk[64];
		live_point_name(h.d[i].s->hook, hk, sizeof hk);
		if (live_file_row(out, saes[i], "sae", h.d[i].name, hk, &lrows[nlrows], err, sizeof err) != 0) {
			fs_warn("%s", err);
			goto out;
		}
		nlrows++;
	}
	mhash = xasprintf("xxh3:%s", lrows[0].xxh3);
	for (int i = 0; i < h.nd; i++)
		hashes[i] = xasprintf("xxh3:%s", lrows[1 + i].xxh3);
	int progress_on = h.progress;
	int64_t tokens = h.tokens, windows = h.windows;
	const char *arch_name = h.m->arch->name;
	/* the model's memory goes before the builds */
	live_free(h.m);
	h.m = NULL;
	/* the writer installs its own handlers: ours goes back in front
	 * of them, no signal handled in between */
	sigset_t sigmask;
	fs_cleanup_block(1, &sigmask);
	w = index_writer_create(out, err, sizeof err);
	fs_cleanup_reinstall();
	fs_cleanup_block(0, &sigmask);
	if (!w) {
		fs_warn("%s", err);
		rc = errno == EIO || errno == ENOSPC ? FS_EXIT_ERR : FS_EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < h.nd; i++) {
		hv_dict *dc = &h.d[i];
		fs_build_opts o;
		build_opts_init(&o);
		o.into = w;
		o.out = out;
		o.sae_name = dc->name;
		o.model = dc->s->model_name ? dc->s->model_name : base_name(model);
		o.hook = dc->hook;
		o.layer = dc->s->hook.layer;
		o.n_features = dc->s->n_feat;
		o.decoder = dc->dec_path;
		/* decoder rows in the residual stream go through the
		 * unembedding; those in the MLP's hidden space would need its
		 * down projection first: none */
		o.unembed = dc->s->hook.kind == LIVE_MLP_HIDDEN || !has_unembed ? NULL : unembed;
		o.vocab = dc->s->hook.kind == LIVE_MLP_HIDDEN ? NULL : vocab;
		o.progress = cli_progress_if(progress_on);
		if (topk >= 0)
			o.top_k = (int)topk;
		if (nint >= 0)
			o.n_intervals = (int)nint;
		if (perint >= 0)
			o.per_interval = (int)perint;
		if (knn >= 0)
			o.knn_k = (int)knn;
		o.shard_state = h.shard_n > 0;
		if (shard && i == 0) { /* what merge checks the shards agree on */
			char v[64];
			const char *keys[] = {"harvest.shard", "harvest.top_k", "harvest.intervals",
					      "harvest.per_interval", "harvest.neighbours", "harvest.max_tokens"};
			int64_t vals[] = {0, o.top_k, o.n_intervals, o.per_interval, o.knn_k, maxtok};
			for (int j = 0; j < 6; j++) {
				snprintf(v, sizeof v, j ? "%lld" : "%lld/%lld", (long long)(j ? vals[j] : h.shard_i),
					 (long long)h.shard_n);
				index_writer_set_meta(w, keys[j], v);
			}
			index_writer_set_meta(w, "harvest.text_field", field);
		}
		if (build_run(&o, &dc->rec_path, 1, err, sizeof err) != 0) {
			fs_warn("%s", err);
			goto out;
		}
		/* every dictionary saw the same tokens: count them once */
		if (i > 0)
			index_writer_count_tokens(w, -tokens);
		char *k;
		char *ap = abspath(dc->s->path);
		k = xasprintf("live.sae.%s.path", dc->name);
		index_writer_set_meta(w, k, ap);
		free(k);
		free(ap);
		k = xasprintf("live.sae.%s.hash", dc->name);
		index_writer_set_meta(w, k, hashes[i]);
		free(k);
		k = xasprintf("live.sae.%s.hook", dc->name);
		index_writer_set_meta(w, k, dc->hook);
		free(k);
	}
	char *amp = abspath(model);
	index_writer_set_meta(w, "live.model.path", amp);
	free(amp);
	index_writer_set_meta(w, "live.model.hash", mhash);
	index_writer_set_meta(w, "live.model.arch", arch_name);
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)ctx);
	index_writer_set_meta(w, "live.harvest.ctx", num);
	int frc = index_writer_finish(w, err, sizeof err);
	w = NULL;
	if (frc != 0) {
		fs_warn("%s", err);
		goto out;
	}
	if (index_attach(out, lrows, nlrows, err, sizeof err) != 0) {
		fs_warn("%s", err);
		unlink(out); /* nothing half-written */
		goto out;
	}
	if (progress_on)
		fprintf(stderr, "harvest: %s: %lld tokens in %lld windows, model %.1fs, total %.1fs\n", out,
			(long long)tokens, (long long)windows, t_model, fs_now() - h.t0);
	rc = FS_EXIT_OK;
out:
	if (w)
		index_writer_abort(w);
	for (int i = 0; i < h.nd; i++) {
		if (h.d[i].rec)
			fclose(h.d[i].rec);
		if (h.d[i].rec_path)
			unlink(h.d[i].rec_path);
		if (h.d[i].dec_path)
			unlink(h.d[i].dec_path);
	}
	if (unembed)
		unlink(unembed);
	if (vocab)
		unlink(vocab);
	if (tmpdir)
		rmdir(tmpdir);
	/* the handler reads the paths: it goes before they are freed */
	fs_cleanup_done();
	free(sig_paths);
	for (int i = 0; i < h.nd; i++) {
		free(h.d[i].rec_path);
		free(h.d[i].dec_path);
		free(h.d[i].name);
		live_sae_free(h.d[i].s);
	}
	for (int b = 0; b < h.nw; b++)
		win_free(&h.w[b]);
	for (int i = 0; i < nsae; i++)
		free(hashes[i]);
	free(hashes);
	index_live_files_free(lrows, nlrows);
	free(mhash);
	free(unembed);
	free(vocab);
	free(tmpdir);
	free(h.d);
	free(h.w);
	free(h.hooks);
	free(h.kidx);
	free(h.kval);
	free(h.dense);
	buf_free(&h.line);
	live_free(h.m);
	free(saes);
	free(inputs);
	return rc;
}

const cmd_entry cmd_harvest_entry = {
	.name = "harvest",
	.args = "--model DIR --sae DIR -o OUT.sqlite TEXT...",
	.opts = harvest_opts,
	.run_argv = harvest_run,
	.summary = "run a model and its dictionaries over text into an index (featscope-harvest(1))",
	.min_args = 0, /* harvest_run says what is missing */
	.max_args = -1,
};
