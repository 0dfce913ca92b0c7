/*
 * cli_harvest.c: `featscope harvest --model DIR --sae DIR... -o OUT TEXT...`:
 * runs a GPT-2 checkpoint over text and writes an index of what each
 * SAELens dictionary's features fire on.
 *
 * Text (plain, cut into documents at blank lines, or JSON Lines with a
 * text field; .gz read through zlib) is tokenized per document and cut
 * into windows of --ctx tokens (a BOS first when the dictionaries say
 * prepend_bos), ending on UTF-8 character boundaries. Windows run through
 * the model --batch at a time (shorter ones padded at the end, which
 * causal attention makes harmless), stopping after the deepest hook any
 * dictionary reads. Each dictionary encodes its hook's rows and appends
 * one native record per window (featscope-build(1): text, offsets, sparse
 * [position, feature, value] triples) to its own file in a temporary
 * folder beside OUT. The records then go through the native builder, one
 * dictionary after another into one writer, with the SAE's W_dec as the
 * decoder (geometry) and the model's wte as the unembedding (logit
 * effects). Going through record files rather than feeding the builder in
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
#include "core/bpe.h"
#include "core/input.h"
#include "core/util.h"
#include "index/index.h"
#include "live/gpt2.h"
#include "live/saelens_sae.h"
#include "live/session.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HV_DOC_MAX (64 << 10)   /* a plain-text document is cut after this many bytes */
#define HV_CHUNK 128            /* rows encoded at once per dictionary */

/* One dictionary being harvested. */
typedef struct {
	saelens_sae s;          /* weights and config */
	char *name;             /* its name in the index */
	int layer, kind;        /* hook point */
	char *rec_path;         /* its records file */
	FILE *rec;              /* open for writing */
} hv_dict;

/* One window of the current batch. */
typedef struct {
	char *text;             /* bytes */
	size_t len;             /* byte count */
	uint32_t *off;          /* token starts, relative */
	int32_t *ids;           /* token ids */
	int ntok;               /* content tokens (BOS excluded) */
	char *source;           /* "FILE:LINE" */
} hv_win;

/* The harvest state. */
typedef struct {
	fs_gpt2 *m;             /* the model */
	hv_dict *d;             /* dictionaries */
	int nd;                 /* their count */
	int last_hook;          /* deepest hook read: layer * kinds + kind */
	int bos;                /* BOS id, or -1 for none */
	int ctx;                /* tokens per window, BOS included */
	int batch;              /* windows per forward */
	hv_win *w;              /* the batch */
	int nw;                 /* windows in it */
	int32_t *ids;           /* [batch, ctx] */
	float *acts;            /* [HV_CHUNK, max d_sae] */
	float *scratch;         /* [HV_CHUNK, d_model] */
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
} hv;

/* ------------------------------------------------- clean-up on signals */

static const int hv_sigs[3] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction hv_old[3];   /* what each signal did before */
static int hv_installed[3];          /* our handler is in place */
static char *const *hv_sig_paths;    /* files to remove (the folder's) */
static int hv_sig_n;                 /* their count */
static const char *hv_sig_dir;       /* the folder, removed last */

static void hv_on_signal(int sig)
{
	for (int i = 0; i < hv_sig_n; i++)
		unlink(hv_sig_paths[i]);
	if (hv_sig_dir)
		rmdir(hv_sig_dir);
	/* the signal is blocked while this runs: raised again, it reaches
	 * the previous disposition once this returns */
	for (int k = 0; k < 3; k++)
		if (hv_sigs[k] == sig) {
			sigaction(sig, &hv_old[k], NULL);
			hv_installed[k] = 0;
		}
	raise(sig);
}

/* Put the handler in front of whatever handles the signals now (again
 * after the index writer installed its own); ignored signals are left
 * alone. */
static void hv_sig_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = hv_on_signal;
	sigemptyset(&sa.sa_mask);
	for (int k = 0; k < 3; k++) {
		struct sigaction cur;
		if (sigaction(hv_sigs[k], NULL, &cur) != 0 || cur.sa_handler == SIG_IGN || cur.sa_handler == hv_on_signal)
			continue;
		hv_old[k] = cur;
		if (sigaction(hv_sigs[k], &sa, NULL) == 0)
			hv_installed[k] = 1;
	}
}

static void hv_sig_remove(void)
{
	for (int k = 0; k < 3; k++)
		if (hv_installed[k]) {
			sigaction(hv_sigs[k], &hv_old[k], NULL);
			hv_installed[k] = 0;
		}
	hv_sig_n = 0;
	hv_sig_paths = NULL;
	hv_sig_dir = NULL;
}

/* Block (on != 0) or unblock the three signals. */
static void hv_sig_block(int on, sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (int k = 0; k < 3; k++)
		sigaddset(&set, hv_sigs[k]);
	if (on)
		sigprocmask(SIG_BLOCK, &set, old);
	else
		sigprocmask(SIG_SETMASK, old, NULL);
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

static int hook_key(int layer, int kind)
{
	return layer * GPT2_HOOK_KINDS + kind;
}

/* Encode one dictionary's rows and write a record per window. */
static int emit(hv *h, hv_dict *dc, const float *x, int T, int d)
{
	int first = h->bos >= 0;
	int ds = dc->s.c.d_sae;
	for (int b = 0; b < h->nw; b++) {
		hv_win *w = &h->w[b];
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
		for (int p0 = 0; p0 < w->ntok; p0 += HV_CHUNK) {
			int n = w->ntok - p0 < HV_CHUNK ? w->ntok - p0 : HV_CHUNK;
			saelens_encode(&dc->s, x + ((size_t)b * T + first + p0) * d, n, h->acts, h->scratch);
			for (int r = 0; r < n; r++) {
				const float *a = h->acts + (size_t)r * ds;
				for (int f = 0; f < ds; f++)
					if (a[f] > 0) {
						buf_printf(L, any ? ",[%d,%d,%.6g]" : "[%d,%d,%.6g]", p0 + r, f, a[f]);
						any = 1;
					}
			}
		}
		buf_adds(L, "]}\n");
		if (fwrite(L->p, 1, L->len, dc->rec) != L->len) {
			h->io_failed = errno ? errno : EIO;
			return -1;
		}
	}
	return 0;
}

static int hv_hook(void *user, int layer, int kind, float *x, int rows, int d)
{
	hv *h = user;
	int T = rows / h->nw;
	for (int i = 0; i < h->nd; i++)
		if (h->d[i].layer == layer && h->d[i].kind == kind && emit(h, &h->d[i], x, T, d) != 0)
			return -1;
	return hook_key(layer, kind) >= h->last_hook ? 1 : 0;
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
	int first = h->bos >= 0, T = 0;
	for (int b = 0; b < h->nw; b++)
		if (h->w[b].ntok + first > T)
			T = h->w[b].ntok + first;
	for (int b = 0; b < h->nw; b++) {
		/* padding at the end: causal attention keeps it out of the rest */
		int32_t *row = h->ids + (size_t)b * T;
		int at = 0;
		if (first)
			row[at++] = h->bos;
		memcpy(row + at, h->w[b].ids, sizeof(int32_t) * (size_t)h->w[b].ntok);
		for (at += h->w[b].ntok; at < T; at++)
			row[at] = 0;
	}
	int rc = gpt2_forward(h->m, h->ids, h->nw, T, hv_hook, h, NULL, err, errlen);
	if (rc < 0 && h->io_failed)
		fs_seterr(err, errlen, "records file: write failed: %s", strerror(h->io_failed));
	for (int b = 0; b < h->nw; b++) {
		h->tokens += h->w[b].ntok;
		win_free(&h->w[b]);
	}
	h->windows += h->nw;
	h->nw = 0;
	progress(h, 0);
	return rc < 0 ? -1 : 0;
}

static int utf8_start(unsigned char c)
{
	return (c & 0xc0) != 0x80;
}

/* Tokenize one document and queue its windows. 1 when --max-tokens is
 * reached, -1 on error. */
static int add_doc(hv *h, const char *text, size_t n, const char *src, char *err, size_t errlen)
{
	int32_t *ids = NULL;
	uint32_t *offs = NULL;
	int64_t cnt = 0, cap = 0;
	char e[512];
	if (gpt2_tokenize(h->m, text, n, &ids, &offs, &cnt, &cap, e, sizeof e) != 0) {
		fs_seterr(err, errlen, "%s: %s", src, e);
		return -2;
	}
	int L = h->ctx - (h->bos >= 0);
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
	fs_input *in = input_open(path, err, errlen);
	if (!in)
		return -2;
	h->cur = in;
	int jsonl = has_suffix(path, ".jsonl") || has_suffix(path, ".jsonl.gz") || has_suffix(path, ".json") ||
		    has_suffix(path, ".json.gz") || has_suffix(path, ".ndjson");
	fs_buf doc = {0};
	int64_t doc_line = 0;
	const char *line;
	size_t len;
	int rc = 0;
	char src[PATH_MAX + 32];
	while (rc == 0 && (line = input_line(in, &len))) {
		int64_t ln = input_lineno(in);
		if (jsonl) {
			if (!len)
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
			snprintf(src, sizeof src, "%s:%lld", path, (long long)ln);
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

/* wte as a .npy [vocab, d] for the builder's --unembed. */
static int write_unembed(const char *path, const fs_gpt2 *m, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	char hdr[128];
	int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }",
			 gpt2_vocab(m), gpt2_d_model(m));
	int total = 10 + n + 1;
	int pad = (64 - total % 64) % 64;
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
	pre[8] = (unsigned char)((n + pad + 1) & 0xff);
	pre[9] = (unsigned char)((n + pad + 1) >> 8);
	size_t cnt = (size_t)gpt2_vocab(m) * (size_t)gpt2_d_model(m);
	int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)n, f) == (size_t)n;
	for (int i = 0; i < pad && ok; i++)
		ok = fputc(' ', f) != EOF;
	ok = ok && fputc('\n', f) != EOF && fwrite(gpt2_wte(m), sizeof(float), cnt, f) == cnt;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : fs_seterr(err, errlen, "%s: write failed: %s", path, strerror(errno));
}

/* The tokens, C-escaped one a line, for the builder's --vocab. */
static int write_vocab(const char *path, const fs_gpt2 *m, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	fs_bpe *t = gpt2_tokenizer(m);
	fs_buf b = {0};
	for (int id = 0; id < gpt2_vocab(m); id++) {
		size_t l = 0;
		const uint8_t *s = bpe_token_bytes(t, id, &l);
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

enum { H_OUT, H_MODEL, H_SAE, H_CTX, H_BATCH, H_MAXTOK, H_FIELD, H_TOPK, H_INTERVALS, H_PERINT, H_KNN,
       H_PROGRESS, H_NOPROGRESS };
static const cli_opt harvest_opts[] = {
	{"output", 'o', OPT_STR, "FILE", 0, 0, "index to write (built in a temporary file, renamed at the end)"},
	{"model", 0, OPT_STR, "DIR", 0, 0, "GPT-2 folder: config.json, model.safetensors, vocab.json + merges.txt"},
	{"sae", 0, OPT_STR, "DIR", 0, 0, "SAELens folder: cfg.json, sae_weights.safetensors (repeatable)"},
	{"ctx", 0, OPT_INT, "N", 8, 1 << 20, "tokens per window, BOS included (128, at most n_positions)"},
	{"batch", 0, OPT_INT, "N", 1, 4096, "windows per forward pass (8)"},
	{"max-tokens", 0, OPT_INT, "N", 1, 1ll << 50, "stop after N tokens"},
	{"text-field", 0, OPT_STR, "NAME", 0, 0, "JSON Lines field holding the text (text)"},
	{"top-k", 0, OPT_INT, "N", 0, 10000, "top-activating examples kept per feature (20)"},
	{"intervals", 0, OPT_INT, "N", 0, 1000, "quantile intervals (10)"},
	{"per-interval", 0, OPT_INT, "N", 0, 1000, "examples per interval (5)"},
	{"neighbours", 0, OPT_INT, "K", 0, 10000, "nearest neighbours kept per feature (32)"},
	{"progress", 0, OPT_FLAG, NULL, 0, 0, "progress on stderr (default when it is a terminal)"},
	{"no-progress", 0, OPT_FLAG, NULL, 0, 0, "no progress"},
	{NULL, 0, 0, NULL, 0, 0, NULL},
};

static int harvest_run(const cmd_entry *e, int argc, char **argv)
{
	const char *out = NULL, *model = NULL, *field = "text";
	char **saes = xcalloc((size_t)argc + 1, sizeof *saes);
	char **inputs = xcalloc((size_t)argc + 1, sizeof *inputs);
	int nsae = 0, ninputs = 0, show_progress = fs_stderr_tty();
	int64_t ctx = -1, batch = 8, maxtok = 0, topk = -1, nint = -1, perint = -1, knn = -1;
	cli_parser p;
	cli_init(&p, e, argc, argv);
	for (;;) {
		int k = cli_next(&p);
		if (k == CLI_END)
			break;
		if (k == CLI_HELP || k == CLI_FAIL) {
			free(saes);
			free(inputs);
			return k == CLI_HELP ? FS_EXIT_OK : FS_EXIT_USAGE;
		}
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
		default: break;
		}
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
	h.m = gpt2_load(model, err, sizeof err);
	if (!h.m) {
		fs_warn("%s", err);
		goto out;
	}
	if (!gpt2_tokenizer(h.m)) {
		fs_warn("%s: no tokenizer (vocab.json + merges.txt or tokenizer.json)", model);
		goto out;
	}
	if (gpt2_ctx(h.m) < 8) {
		/* no --ctx can fit: the model is at fault, not the option */
		size_t ml = strlen(model);
		while (ml > 1 && model[ml - 1] == '/')
			ml--;
		fs_warn("%.*s/config.json: n_positions: %d: the model's context is too short to harvest (at least 8 "
			"tokens)", (int)ml, model, gpt2_ctx(h.m));
		goto out;
	}
	if (ctx == -1) /* 128, or the model's context when shorter */
		ctx = gpt2_ctx(h.m) < 128 ? gpt2_ctx(h.m) : 128;
	if (ctx < 8 || ctx > gpt2_ctx(h.m)) {
		fs_warn("harvest: --ctx %lld: must be 8..%d (the model's n_positions)", (long long)ctx, gpt2_ctx(h.m));
		goto out;
	}
	h.d = xcalloc((size_t)nsae, sizeof *h.d);
	int maxds = 1, want_bos = 0;
	h.last_hook = -1;
	for (int i = 0; i < nsae; i++) {
		hv_dict *dc = &h.d[i];
		if (saelens_load(saes[i], &dc->s, err, sizeof err) != 0) {
			fs_warn("%s", err);
			h.nd = i;
			goto out;
		}
		h.nd = i + 1;
		const saelens_cfg *sc = &dc->s.c;
		if (gpt2_hook_parse(sc->hook, &dc->layer, &dc->kind) != 0 || dc->layer >= gpt2_n_layer(h.m)) {
			fs_warn("%s/cfg.json: hook '%s' is not a hook point of %s (blocks.0..%d.hook_resid_pre, "
				"mlp.hook_post, hook_mlp_out, hook_resid_post)", saes[i], sc->hook, model,
				gpt2_n_layer(h.m) - 1);
			goto out;
		}
		int width = dc->kind == GPT2_HOOK_MLP_HIDDEN ? gpt2_cfg(h.m)->n_inner : gpt2_d_model(h.m);
		if (sc->d_in != width) {
			fs_warn("%s/cfg.json: d_in %d does not fit %s/config.json: %s %d", saes[i], sc->d_in, model,
				dc->kind == GPT2_HOOK_MLP_HIDDEN ? "n_inner" : "n_embd", width);
			goto out;
		}
		if (sc->d_sae > maxds)
			maxds = sc->d_sae;
		want_bos |= sc->prepend_bos;
		if (hook_key(dc->layer, dc->kind) > h.last_hook)
			h.last_hook = hook_key(dc->layer, dc->kind);
		/* names: the folder's, made unique */
		const char *bn = base_name(saes[i]);
		dc->name = xstrndup(bn, strcspn(bn, "/"));
		for (int j = 0, k = 2; j < i; j++)
			if (!strcmp(h.d[j].name, dc->name)) {
				free(dc->name);
				dc->name = xasprintf("%.*s-%d", (int)strcspn(bn, "/"), bn, k++);
				j = -1;
			}
	}
	h.bos = want_bos ? bpe_eot(gpt2_tokenizer(h.m)) : -1;
	if (want_bos && h.bos < 0) {
		fs_warn("%s: the tokenizer has no <|endoftext|> for the BOS the dictionaries ask for (prepend_bos)", model);
		goto out;
	}
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
	sig_paths = xcalloc((size_t)h.nd + 2, sizeof *sig_paths);
	for (int i = 0; i < h.nd; i++)
		sig_paths[i] = h.d[i].rec_path = xasprintf("%s/records-%d.jsonl", tmpdir, i);
	sig_paths[h.nd] = unembed;
	sig_paths[h.nd + 1] = vocab;
	hv_sig_paths = sig_paths;
	hv_sig_n = h.nd + 2;
	hv_sig_dir = tmpdir;
	hv_sig_install();
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
	h.ids = xmalloc(sizeof(int32_t) * (size_t)batch * (size_t)ctx);
	h.acts = xmalloc(sizeof(float) * HV_CHUNK * (size_t)maxds);
	h.scratch = xmalloc(sizeof(float) * HV_CHUNK *
			    (size_t)(gpt2_cfg(h.m)->n_inner > gpt2_d_model(h.m) ? gpt2_cfg(h.m)->n_inner : gpt2_d_model(h.m)));
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
	if (!h.tokens) {
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
	if (write_unembed(unembed, h.m, err, sizeof err) != 0 || write_vocab(vocab, h.m, err, sizeof err) != 0) {
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
		static const char *const pk[GPT2_HOOK_KINDS] = {"resid_pre", "mlp_hidden", "mlp_out", "resid_post"};
		char hk[64];
		snprintf(hk, sizeof hk, "%s.%d", pk[h.d[i].kind], h.d[i].layer);
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
	/* the model's memory goes before the builds */
	gpt2_free(h.m);
	h.m = NULL;
	/* the writer installs its own handlers: ours goes back in front
	 * of them, no signal handled in between */
	sigset_t sigmask;
	hv_sig_block(1, &sigmask);
	w = index_writer_create(out, err, sizeof err);
	hv_sig_install();
	hv_sig_block(0, &sigmask);
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
		o.model = dc->s.c.model[0] ? dc->s.c.model : base_name(model);
		o.hook = dc->s.c.hook;
		o.layer = dc->layer;
		o.n_features = dc->s.c.d_sae;
		o.decoder = dc->s.weights;
		/* decoder rows in the residual stream go through wte; those in
		 * the MLP's hidden space would need c_proj first: none */
		o.unembed = dc->kind == GPT2_HOOK_MLP_HIDDEN ? NULL : unembed;
		o.vocab = dc->kind == GPT2_HOOK_MLP_HIDDEN ? NULL : vocab;
		o.progress = cli_progress_if(progress_on);
		if (topk >= 0)
			o.top_k = (int)topk;
		if (nint >= 0)
			o.n_intervals = (int)nint;
		if (perint >= 0)
			o.per_interval = (int)perint;
		if (knn >= 0)
			o.knn_k = (int)knn;
		if (build_run(&o, &dc->rec_path, 1, err, sizeof err) != 0) {
			fs_warn("%s", err);
			goto out;
		}
		/* every dictionary saw the same tokens: count them once */
		if (i > 0)
			index_writer_count_tokens(w, -tokens);
		char *k;
		char *ap = abspath(dc->s.dir);
		k = xasprintf("live.sae.%s.path", dc->name);
		index_writer_set_meta(w, k, ap);
		free(k);
		free(ap);
		k = xasprintf("live.sae.%s.hash", dc->name);
		index_writer_set_meta(w, k, hashes[i]);
		free(k);
		k = xasprintf("live.sae.%s.hook", dc->name);
		index_writer_set_meta(w, k, dc->s.c.hook);
		free(k);
	}
	char *amp = abspath(model);
	index_writer_set_meta(w, "live.model.path", amp);
	free(amp);
	index_writer_set_meta(w, "live.model.hash", mhash);
	index_writer_set_meta(w, "live.model.arch", "gpt2");
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
	}
	if (unembed)
		unlink(unembed);
	if (vocab)
		unlink(vocab);
	if (tmpdir)
		rmdir(tmpdir);
	/* the handler reads the paths: it goes before they are freed */
	hv_sig_remove();
	free(sig_paths);
	for (int i = 0; i < h.nd; i++) {
		free(h.d[i].rec_path);
		free(h.d[i].name);
		saelens_free(&h.d[i].s);
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
	free(h.ids);
	free(h.acts);
	free(h.scratch);
	buf_free(&h.line);
	gpt2_free(h.m);
	free(saes);
	free(inputs);
	return rc;
}

const cmd_entry cmd_harvest_entry = {
	.name = "harvest",
	.args = "--model DIR --sae DIR -o OUT.sqlite TEXT...",
	.opts = harvest_opts,
	.run_argv = harvest_run,
	.summary = "run a GPT-2 checkpoint and SAELens dictionaries over text into an index (featscope-harvest(1))",
	.min_args = 0, /* harvest_run says what is missing */
	.max_args = -1,
};
