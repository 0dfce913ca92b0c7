/*
 * cli_export.c: `featscope export`: features with their automatic labels, the
 * user's labels, notes, tags, bookmarks and lists, statistics, top contexts
 * (the strongest token marked «like this», control characters escaped) and
 * decoder neighbours, as text (terminal and git friendly), markdown (for
 * GitHub), json (one document, one feature per line) or tsv (one row per
 * feature, \t \n \r \\ escaped). Stable order (by feature id, then notes for
 * features the index lacks, by name) and no timestamps, so two exports of
 * the same data are byte-identical. Reads the index only through index.h
 * and notes only through notes.h.
 */
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/escape.h"
#include "core/format.h"
#include "core/json.h"
#include "index/index.h"
#include "notes/notes.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FMT_TEXT, FMT_MARKDOWN, FMT_JSON, FMT_TSV };

#define EXP_WIDTH 80 /* characters of context around the marked token (half each side) */

/* Options of one export run. */
typedef struct {
	const char *index_path;  /* INDEX */
	const char *notes_path;  /* --notes FILE, NULL for the default */
	const char *out_path;    /* -o FILE, NULL for stdout */
	const char *only;        /* --only noted|list:NAME|bookmarks, NULL for all */
	int format;              /* FMT_* */
	int contexts;            /* top contexts per feature */
	int neighbours;          /* neighbours per feature */
} exp_opts;

/* One top context, ready to print. */
typedef struct {
	float act;        /* max activation on it */
	char *text;       /* escaped window with the max token marked «…» */
	char *token;      /* the marked token, escaped */
} exp_ctx;

/* A neighbour, by key. */
typedef struct {
	char key[128];    /* "SAE/N" */
	float cosine;     /* decoder cosine */
} exp_nb;

/* Everything exported about one feature. */
typedef struct {
	char key[128];          /* "SAE/N" */
	int64_t fid;            /* 0 when the index lacks the feature */
	int have_f;             /* f is filled */
	fs_feature f;           /* the index's record */
	fs_note note;           /* the user's notes (empty strings when none) */
	char **lists;           /* lists it is in */
	int nlists;
	exp_ctx *ctx;           /* top contexts */
	int nctx;
	exp_nb *nb;             /* neighbours */
	int nnb;
	int dead;               /* in the index, no example and no activation: never fires */
} exp_feat;

/* ------------------------------------------------------------ escaping */

/* The window of context c around token pos (format_context: whole
 * characters, escaped, token marked), and the marked token alone. */
static void ctx_render(const fs_context *c, int pos, exp_ctx *out)
{
	fs_buf b = {0}, t = {0};
	buf_adds(&b, "");
	buf_adds(&t, "");
	format_context(&b, c->text, (size_t)c->len, c->tok_off, c->ntok, pos, EXP_WIDTH);
	format_token(&t, c->text, (size_t)c->len, c->tok_off, c->ntok, pos);
	out->text = b.p;
	out->token = t.p;
}

/* Markdown: backslash-escape the characters that could start markup;
 * newlines become spaces (use for headings and table cells). */
static void md_text(fs_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (strchr("\\`*_[]<>|#~!&", *p))
			buf_addc(b, '\\');
		if (*p == '\n' || *p == '\r' || *p == '\t')
			buf_addc(b, ' ');
		else
			buf_addc(b, *p);
	}
}

/* Markdown code span holding s (already free of newlines), safe inside a
 * table: the fence is one backtick longer than any run inside, and '|' is
 * written '\|' (GitHub tables split cells on it even in code). */
static void md_code(fs_buf *b, const char *s)
{
	int run = 0, longest = 0;
	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t n = strlen(s);
	int pad = n && (s[0] == '`' || s[n - 1] == '`' || (s[0] == ' ' && s[n - 1] == ' '));
	for (int i = 0; i <= longest; i++)
		buf_addc(b, '`');
	if (pad)
		buf_addc(b, ' ');
	for (const char *p = s; *p; p++) {
		if (*p == '|')
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	if (pad)
		buf_addc(b, ' ');
	for (int i = 0; i <= longest; i++)
		buf_addc(b, '`');
}

/* tsv field: the escaping rule in its reversible form (core/escape.h):
 * \t \n \r \\ \xHH \uXXXX, which `notes import` undoes byte for byte. */
static void tsv_field(fs_buf *b, const char *s)
{
	escape_append(b, s, strlen(s), ESC_REVERSIBLE);
}

/* Numbers printed the same way in every format. */
static void num(fs_buf *b, double v, const char *unknown)
{
	if (isnan(v) || v < 0)
		buf_adds(b, unknown);
	else
		buf_printf(b, "%.4g", v);
}

/* ------------------------------------------------------------ gather */

static void feat_free(exp_feat *e)
{
	if (e->have_f)
		index_feature_free(&e->f);
	notes_note_free(&e->note);
	notes_strv_free(e->lists, e->nlists);
	for (int i = 0; i < e->nctx; i++) {
		free(e->ctx[i].text);
		free(e->ctx[i].token);
	}
	free(e->ctx);
	free(e->nb);
	memset(e, 0, sizeof *e);
}

/* Fill e for fid (>0, from the index) or for key alone (fid 0). */
static int feat_load(fs_index *ix, fs_notes *n, const exp_opts *o, int64_t fid, const char *key, exp_feat *e)
{
	memset(e, 0, sizeof *e);
	e->fid = fid;
	if (fid > 0) {
		if (index_feature(ix, fid, &e->f) != 0)
			return -1;
		e->have_f = 1;
		if (notes_feature_key(ix, fid, e->key, sizeof e->key) != 0)
			return -1;
	} else {
		snprintf(e->key, sizeof e->key, "%s", key);
	}
	if (n) {
		if (notes_get(n, e->key, &e->note) < 0)
			return -1;
		e->nlists = notes_key_lists(n, e->key, &e->lists);
		if (e->nlists < 0)
			return -1;
	} else {
		fs_note z = {0};
		z.key = xstrdup(e->key);
		z.label = xstrdup("");
		z.note = xstrdup("");
		z.tags = xstrdup("");
		e->note = z;
	}
	if (fid <= 0)
		return 0;
	if (o->contexts > 0) {
		fs_example *ex = NULL;
		int nex = index_examples(ix, fid, &ex);
		if (nex < 0)
			return -1;
		e->ctx = xcalloc((size_t)(o->contexts), sizeof *e->ctx);
		for (int i = 0; i < nex && e->nctx < o->contexts; i++) {
			if (ex[i].grp != 0)
				continue;
			fs_context c;
			if (index_context(ix, ex[i].ctx, &c) != 0)
				continue;
			exp_ctx *x = &e->ctx[e->nctx++];
			x->act = ex[i].max_act;
			ctx_render(&c, ex[i].max_pos, x);
			index_context_free(&c);
		}
		e->dead = nex == 0 && !(e->f.max_act > 0);
		index_examples_free(ex, nex);
	}
	if (o->neighbours > 0) {
		fs_neighbour *nb = NULL;
		int nn = index_neighbours(ix, fid, 0, o->neighbours, &nb);
		if (nn > 0) {
			e->nb = xcalloc((size_t)nn, sizeof *e->nb);
			for (int i = 0; i < nn; i++) {
				if (notes_feature_key(ix, nb[i].fid, e->nb[e->nnb].key, sizeof e->nb[0].key) != 0)
					continue;
				e->nb[e->nnb++].cosine = nb[i].cosine;
			}
		}
		free(nb);
	}
	return 0;
}

/* ------------------------------------------------------------ formats */

/* A statistic as text and markdown show it: "%.4g", or "unknown". */
static const char *stat_str(char buf[32], double v)
{
	if (isnan(v) || v < 0)
		return "unknown";
	snprintf(buf, 32, "%.4g", v);
	return buf;
}

/* The note line by line, each after prefix (empty lines after empty). */
static void note_lines(fs_buf *b, const char *note, const char *prefix, const char *empty)
{
	for (const char *p = note; *p;) {
		size_t l = strcspn(p, "\n");
		buf_adds(b, l ? prefix : empty);
		buf_add(b, p, l);
		buf_addc(b, '\n');
		p += l + (p[l] ? 1 : 0);
	}
}

static void text_feat(fs_buf *b, const exp_feat *e)
{
	buf_printf(b, "== %s\n", e->key);
	if (e->have_f)
		buf_printf(b, "auto label:  %s\n", *e->f.label ? e->f.label : "(none)");
	else
		buf_adds(b, "(not in this index)\n");
	if (*e->note.label)
		buf_printf(b, "label:       %s\n", e->note.label);
	if (*e->note.tags)
		buf_printf(b, "tags:        %s\n", e->note.tags);
	if (e->note.bookmark)
		buf_adds(b, "bookmark:    yes\n");
	if (e->nlists) {
		buf_adds(b, "lists:      ");
		for (int i = 0; i < e->nlists; i++)
			buf_printf(b, " %s", e->lists[i]);
		buf_addc(b, '\n');
	}
	char n1[32], n2[32];
	if (e->have_f)
		buf_printf(b, "density:     %s\nmax act:     %s\n", stat_str(n1, e->f.density),
			   stat_str(n2, e->f.max_act));
	if (*e->note.note) {
		buf_adds(b, "note:\n");
		note_lines(b, e->note.note, "    ", "    ");
	}
	if (e->dead)
		buf_adds(b, "contexts:    none: this feature never fires on the indexed text\n");
	if (e->nctx) {
		buf_adds(b, "contexts:\n");
		for (int i = 0; i < e->nctx; i++)
			buf_printf(b, "    %8.3f  %s\n", e->ctx[i].act, e->ctx[i].text);
	}
	if (e->nnb) {
		buf_adds(b, "neighbours: ");
		for (int i = 0; i < e->nnb; i++)
			buf_printf(b, "%s %s (%.3f)", i ? "," : "", e->nb[i].key, e->nb[i].cosine);
		buf_addc(b, '\n');
	}
	buf_addc(b, '\n');
}

static void md_row(fs_buf *b, const char *field, const char *value)
{
	buf_printf(b, "| %s | ", field);
	md_text(b, value);
	buf_adds(b, " |\n");
}

static void md_feat(fs_buf *b, const exp_feat *e)
{
	const char *title = *e->note.label ? e->note.label : e->have_f ? e->f.label : "";
	buf_printf(b, "## `%s`", e->key);
	if (*title) {
		buf_adds(b, " — ");
		md_text(b, title);
	}
	buf_adds(b, "\n\n| field | value |\n|---|---|\n");
	if (e->have_f)
		md_row(b, "automatic label", *e->f.label ? e->f.label : "(none)");
	else
		md_row(b, "automatic label", "(not in this index)");
	if (*e->note.label)
		md_row(b, "your label", e->note.label);
	if (*e->note.tags) {
		buf_adds(b, "| tags |");
		char *t = xstrdup(e->note.tags), *sv;
		for (char *tok = strtok_r(t, " ", &sv); tok; tok = strtok_r(NULL, " ", &sv)) {
			buf_addc(b, ' ');
			md_code(b, tok);
		}
		free(t);
		buf_adds(b, " |\n");
	}
	if (e->note.bookmark)
		buf_adds(b, "| bookmark | ★ yes |\n");
	if (e->nlists) {
		buf_adds(b, "| lists |");
		for (int i = 0; i < e->nlists; i++) {
			buf_addc(b, ' ');
			md_code(b, e->lists[i]);
		}
		buf_adds(b, " |\n");
	}
	char n1[32];
	if (e->have_f) {
		md_row(b, "density", stat_str(n1, e->f.density));
		md_row(b, "max act", stat_str(n1, e->f.max_act));
		if (e->dead)
			md_row(b, "fires", "never on the indexed text");
	}
	if (*e->note.note) {
		/* the note as a quote: its own markdown renders, but it cannot
		 * break out of the feature's section */
		buf_addc(b, '\n');
		note_lines(b, e->note.note, "> ", ">");
	}
	if (e->nctx) {
		buf_adds(b, "\n| act | top context |\n|---:|---|\n");
		for (int i = 0; i < e->nctx; i++) {
			buf_printf(b, "| %.3f | ", e->ctx[i].act);
			md_code(b, e->ctx[i].text);
			buf_adds(b, " |\n");
		}
	}
	if (e->nnb) {
		buf_adds(b, "\nNeighbours:");
		for (int i = 0; i < e->nnb; i++)
			buf_printf(b, "%s `%s` (%.3f)", i ? "," : "", e->nb[i].key, e->nb[i].cosine);
		buf_addc(b, '\n');
	}
	buf_addc(b, '\n');
}

/* A statistic: null when unknown (NaN or negative). */
static json_t *jnum(double v)
{
	return isnan(v) || v < 0 ? json_null() : jw_num(v);
}

static void json_feat(fs_buf *b, const exp_feat *e, int first)
{
	json_t *o = json_object();
	json_object_set_new(o, "feature", jw_str(e->key));
	json_object_set_new(o, "fid", e->fid > 0 ? json_integer(e->fid) : json_null());
	json_object_set_new(o, "auto_label", e->have_f ? jw_str(e->f.label) : json_null());
	json_object_set_new(o, "label", jw_str(e->note.label));
	json_object_set_new(o, "note", jw_str(e->note.note));
	json_t *t = json_array();
	char *tags = xstrdup(e->note.tags), *sv;
	for (char *tok = strtok_r(tags, " ", &sv); tok; tok = strtok_r(NULL, " ", &sv))
		json_array_append_new(t, jw_str(tok));
	free(tags);
	json_object_set_new(o, "tags", t);
	json_object_set_new(o, "bookmark", json_boolean(e->note.bookmark));
	json_t *l = json_array();
	for (int i = 0; i < e->nlists; i++)
		json_array_append_new(l, jw_str(e->lists[i]));
	json_object_set_new(o, "lists", l);
	json_object_set_new(o, "density", e->have_f ? jnum(e->f.density) : json_null());
	json_object_set_new(o, "max_act", e->have_f ? jnum(e->f.max_act) : json_null());
	json_object_set_new(o, "fires", e->have_f ? json_boolean(!e->dead) : json_null());
	json_t *c = json_array();
	for (int i = 0; i < e->nctx; i++)
		json_array_append_new(c, json_pack("{s:f,s:o,s:o}", "act", (double)e->ctx[i].act,
						   "text", jw_str(e->ctx[i].text), "token", jw_str(e->ctx[i].token)));
	json_object_set_new(o, "top_contexts", c);
	json_t *nb = json_array();
	for (int i = 0; i < e->nnb; i++)
		json_array_append_new(nb, json_pack("{s:o,s:f}", "feature", jw_str(e->nb[i].key), "cosine", (double)e->nb[i].cosine));
	json_object_set_new(o, "neighbours", nb);
	char *s = jw_dumps(o, JW_COMPACT, 6);
	json_decref(o);
	buf_adds(b, first ? "\n" : ",\n");
	buf_adds(b, s ? s : "null");
	free(s);
}

static void tsv_feat(fs_buf *b, const exp_feat *e)
{
	fs_buf t = {0};
	buf_adds(&t, "");
	tsv_field(b, e->key);
	buf_addc(b, '\t');
	tsv_field(b, e->have_f ? e->f.label : "");
	buf_addc(b, '\t');
	tsv_field(b, e->note.label);
	buf_addc(b, '\t');
	tsv_field(b, e->note.note);
	buf_addc(b, '\t');
	tsv_field(b, e->note.tags);
	buf_adds(b, e->note.bookmark ? "\tyes\t" : "\tno\t");
	for (int i = 0; i < e->nlists; i++) {
		if (i)
			buf_addc(b, ' ');
		tsv_field(b, e->lists[i]);
	}
	buf_addc(b, '\t');
	if (e->have_f)
		num(b, e->f.density, "");
	buf_addc(b, '\t');
	if (e->have_f)
		num(b, e->f.max_act, "");
	buf_addc(b, '\t');
	for (int i = 0; i < e->nctx; i++) {
		if (i)
			buf_addc(&t, '\n');
		buf_printf(&t, "%.3f %s", e->ctx[i].act, e->ctx[i].text);
	}
	tsv_field(b, t.p);
	buf_addc(b, '\t');
	for (int i = 0; i < e->nnb; i++) {
		buf_adds(b, i ? " " : "");
		tsv_field(b, e->nb[i].key);
		buf_printf(b, ":%.3f", e->nb[i].cosine);
	}
	buf_addc(b, '\n');
	buf_free(&t);
}

/* ---------------------------------------------------------- selection */

/* One selected feature: fid > 0, or a key the index lacks. */
typedef struct {
	int64_t fid;   /* 0 for an orphan */
	char *key;     /* orphan's key (NULL when fid > 0) */
} exp_sel;

static int sel_cmp(const void *a, const void *b)
{
	const exp_sel *x = a, *y = b;
	if (!x->fid != !y->fid)
		return x->fid ? -1 : 1;
	if (x->fid)
		return x->fid < y->fid ? -1 : x->fid > y->fid;
	return notes_key_cmp(x->key, y->key);
}

/* Selected features: all of the index (plus orphaned notes), or those of
 * a set of keys. Returns the count, -1 on error. */
static int64_t exp_select(fs_index *ix, fs_notes *n, const exp_opts *o, exp_sel **out)
{
	exp_sel *v = NULL;
	int64_t cnt = 0;
	char **keys = NULL;
	int nkeys = 0;
	if (!o->only) {
		int64_t nf = index_n_features(ix);
		v = xcalloc((size_t)nf + 1, sizeof *v);
		for (int64_t fid = 1; fid <= nf; fid++)
			v[cnt++].fid = fid;
		if (n)
			nkeys = notes_keys(n, &keys);
	} else if (!strcmp(o->only, "noted") || !strcmp(o->only, "bookmarks")) {
		if (n)
			nkeys = notes_keys(n, &keys);
	} else if (!strncmp(o->only, "list:", 5)) {
		if (!n) {
			fs_warn("export: --only %s: there is no notes database for %s", o->only, o->index_path);
			return -1;
		}
		nkeys = notes_list_members(n, o->only + 5, &keys);
	}
	if (nkeys < 0) {
		fs_warn("%s", notes_errmsg(n));
		free(v);
		return -1;
	}
	v = xrealloc(v, sizeof *v * (size_t)(cnt + nkeys + 1));
	for (int i = 0; i < nkeys; i++) {
		if (o->only && !strcmp(o->only, "bookmarks")) {
			fs_note no;
			int bm = notes_get(n, keys[i], &no) == 0 && no.bookmark;
			notes_note_free(&no);
			if (!bm)
				continue;
		}
		int64_t fid = index_resolve(ix, keys[i], NULL, 0);
		char k[128];
		/* notes under a name the index lacks are kept, as orphans */
		if (fid <= 0 || notes_feature_key(ix, fid, k, sizeof k) != 0 || strcmp(k, keys[i]) != 0) {
			v[cnt].fid = 0;
			v[cnt++].key = xstrdup(keys[i]);
		} else if (o->only) {
			v[cnt].fid = fid;
			v[cnt++].key = NULL;
		}
	}
	notes_strv_free(keys, nkeys);
	qsort(v, (size_t)cnt, sizeof *v, sel_cmp);
	/* a list may name a feature twice through aliases: drop repeats */
	int64_t w = 0;
	for (int64_t i = 0; i < cnt; i++) {
		if (w && ((v[i].fid && v[i].fid == v[w - 1].fid) ||
			  (!v[i].fid && !v[w - 1].fid && !strcmp(v[i].key, v[w - 1].key)))) {
			free(v[i].key);
			continue;
		}
		v[w++] = v[i];
	}
	*out = v;
	return w;
}

/* ------------------------------------------------------------- output */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Write a finished piece of output. Text and Markdown carry labels, notes
 * and tags as they are stored, and those can come from foreign files
 * (imported explanations): every byte that could act on a terminal is
 * escaped here by the one rule (core/escape.h), newlines and tabs kept.
 * TSV fields are escaped reversibly as they are written (tsv_field) and
 * JSON by its writer (core/json.h); the rule passes what they wrote as it
 * is. */
static void exp_flush(const exp_opts *o, fs_buf *b, FILE *f)
{
	(void)o;
	fs_buf out = {0};
	escape_append(&out, b->p ? b->p : "", b->len, ESC_KEEP_NL | ESC_KEEP_TAB);
	fwrite(out.p, 1, out.len, f);
	buf_free(&out);
	b->len = 0;
}

/* The whole export into f. 0 ok, -1 error (reported). */
static int exp_write(fs_index *ix, fs_notes *n, const exp_opts *o, FILE *f)
{
	exp_sel *sel = NULL;
	int64_t cnt = exp_select(ix, n, o, &sel);
	if (cnt < 0)
		return -1;
	fs_buf b = {0};
	buf_adds(&b, "");
	const char *iname = base_name(o->index_path);
	switch (o->format) {
	case FMT_TEXT:
		buf_printf(&b, "# featscope export of %s: %lld features%s%s\n\n", iname, (long long)cnt,
			   o->only ? ", only " : "", o->only ? o->only : "");
		break;
	case FMT_MARKDOWN:
		buf_adds(&b, "# featscope export: ");
		md_text(&b, iname);
		buf_printf(&b, "\n\n%lld features", (long long)cnt);
		if (o->only) {
			buf_adds(&b, " (only ");
			md_text(&b, o->only);
			buf_adds(&b, ")");
		}
		buf_adds(&b, ". The strongest token of each context is marked «like this».\n\n");
		break;
	case FMT_JSON: {
		json_t *h = jw_str(iname);
		char *hs = jw_dumps(h, JW_COMPACT, 0);
		buf_printf(&b, "{\"format\":\"featscope-export\",\"version\":1,\"index\":%s,\"count\":%lld,\"features\":[",
			   hs, (long long)cnt);
		free(hs);
		json_decref(h);
		break;
	}
	case FMT_TSV:
		buf_adds(&b, "feature\tauto_label\tlabel\tnote\ttags\tbookmark\tlists\tdensity\tmax_act\ttop_contexts\tneighbours\n");
		break;
	}
	int rc = 0;
	fs_progress *pg = cli_progress_if(fs_stderr_tty());
	progress_start(pg, "features", "export");
	for (int64_t i = 0; i < cnt; i++) {
		exp_feat e;
		if (feat_load(ix, n, o, sel[i].fid, sel[i].key, &e) != 0) {
			fs_warn("export: %s: %s", e.key[0] ? e.key : "feature",
				n && *notes_errmsg(n) ? notes_errmsg(n) : index_errmsg(ix));
			feat_free(&e);
			rc = -1;
			break;
		}
		switch (o->format) {
		case FMT_TEXT: text_feat(&b, &e); break;
		case FMT_MARKDOWN: md_feat(&b, &e); break;
		case FMT_JSON: json_feat(&b, &e, i == 0); break;
		case FMT_TSV: tsv_feat(&b, &e); break;
		}
		feat_free(&e);
		if (b.len > (1 << 16))
			exp_flush(o, &b, f);
		progress_update(pg, i + 1, cnt);
	}
	progress_break(pg);
	if (o->format == FMT_JSON && rc == 0) {
		buf_adds(&b, "\n],\"lists\":[");
		char **names = NULL;
		int nn = n ? notes_list_names(n, &names) : 0;
		int first = 1;
		for (int i = 0; i < nn; i++) {
			if (o->only && !strncmp(o->only, "list:", 5) && strcmp(o->only + 5, names[i]) != 0)
				continue;
			json_t *l = cli_list_json(n, names[i]);
			char *s = jw_dumps(l, JW_COMPACT, 0);
			buf_printf(&b, "%s\n%s", first ? "" : ",", s);
			first = 0;
			free(s);
			json_decref(l);
		}
		notes_strv_free(names, nn);
		buf_adds(&b, "\n],\"supernodes\":[");
		/* the graph screen's supernodes, by graph slug (not with --only) */
		fs_supernode *sn = NULL;
		int ns = n && !o->only ? notes_supernodes(n, NULL, &sn) : 0;
		for (int i = 0; i < ns; i++) {
			json_t *s = json_object(), *m = json_array();
			json_object_set_new(s, "graph", jw_str(sn[i].slug));
			json_object_set_new(s, "name", jw_str(sn[i].name));
			char *save = NULL, *ids = xstrdup(sn[i].members);
			for (char *t = strtok_r(ids, " ", &save); t; t = strtok_r(NULL, " ", &save))
				json_array_append_new(m, jw_str(t));
			free(ids);
			json_object_set_new(s, "members", m);
			char *txt = jw_dumps(s, JW_COMPACT, 0);
			buf_printf(&b, "%s\n%s", i ? "," : "", txt);
			free(txt);
			json_decref(s);
		}
		if (ns > 0)
			notes_supernodes_free(sn, ns);
		buf_adds(&b, "\n]}\n");
	}
	exp_flush(o, &b, f);
	buf_free(&b);
	for (int64_t i = 0; i < cnt; i++)
		free(sel[i].key);
	free(sel);
	return rc;
}

/* export's options, one row each: the enum X_* and export_opts (CLI_OPTIONS). */
#define EXPORT_OPTS(X) \
	X(X_NOTES, "notes", 0, OPT_STR, "FILE", 0, 0, "the notes database (default: the index's)") \
	X(X_FORMAT, "format", 0, OPT_STR, "F", 0, 0, "text (default), markdown, json or tsv") \
	X(X_ONLY, "only", 0, OPT_STR, "WHICH", 0, 0, "noted, bookmarks or list:NAME") \
	X(X_OUT, "output", 'o', OPT_STR, "FILE", 0, 0, "write FILE (by a temporary file renamed at the end)") \
	X(X_CONTEXTS, "contexts", 0, OPT_INT, "N", 0, 1000, "top contexts per feature (3)") \
	X(X_NEIGHBOURS, "neighbours", 0, OPT_INT, "K", 0, 1000, "neighbours per feature (5)")
CLI_OPTIONS(export_opts, EXPORT_OPTS);

static int export_run(const cmd_entry *ce, const cli_args *a)
{
	signal(SIGXFSZ, SIG_IGN);
	exp_opts o = {.format = FMT_TEXT};
	o.index_path = a->pos[0];
	o.notes_path = cli_str(a, X_NOTES, NULL);
	o.out_path = cli_str(a, X_OUT, NULL);
	o.contexts = (int)cli_num(a, X_CONTEXTS, 3);
	o.neighbours = (int)cli_num(a, X_NEIGHBOURS, 5);
	if (a->set[X_FORMAT]) {
		const char *v = a->str[X_FORMAT];
		if (!strcmp(v, "text"))
			o.format = FMT_TEXT;
		else if (!strcmp(v, "markdown") || !strcmp(v, "md"))
			o.format = FMT_MARKDOWN;
		else if (!strcmp(v, "json"))
			o.format = FMT_JSON;
		else if (!strcmp(v, "tsv"))
			o.format = FMT_TSV;
		else
			return cli_usage_error(ce, "--format: '%s' is not text, markdown, json or tsv", v);
	}
	if (a->set[X_ONLY]) {
		const char *v = a->str[X_ONLY];
		if (strcmp(v, "noted") && strcmp(v, "bookmarks") && (strncmp(v, "list:", 5) || !v[5]))
			return cli_usage_error(ce, "--only: '%s' is not noted, bookmarks or list:NAME", v);
		o.only = v;
	}
	char err[1024];
	fs_index *ix = index_open(o.index_path, err, sizeof err);
	if (!ix) {
		fs_warn("%s", err);
		return FS_EXIT_USAGE;
	}
	/* Exporting reads notes but never creates a notes database. */
	fs_notes *n = NULL;
	char id[32];
	notes_identity(ix, id, sizeof id);
	char *np = o.notes_path ? xstrdup(o.notes_path) : notes_default_path(id);
	struct stat sb;
	if (stat(np, &sb) == 0) {
		n = notes_open(np, id, err, sizeof err);
		if (!n) {
			fs_warn("%s", err);
			free(np);
			index_close(ix);
			return FS_EXIT_ERR;
		}
	} else if (o.notes_path) {
		fs_warn("export: %s: %s", np, strerror(errno));
		free(np);
		index_close(ix);
		return FS_EXIT_USAGE;
	}

	/* -o must replace neither the index nor its notes */
	const char *rd[2] = {o.index_path, np};
	int rc = cli_output_check(ce->name, o.out_path, rd, 2);
	if (rc != FS_EXIT_OK) {
		free(np);
		notes_close(n);
		index_close(ix);
		return rc;
	}
	FILE *f = stdout;
	char *tmp = NULL, *target = NULL;
	struct stat os;
	if (o.out_path && strcmp(o.out_path, "-") != 0 && stat(o.out_path, &os) == 0 && !S_ISREG(os.st_mode)) {
		/* a device, pipe or terminal: written in place, never replaced */
		f = fopen(o.out_path, "w");
		if (!f) {
			fs_warn("export: %s: %s", o.out_path, strerror(errno));
			free(np);
			notes_close(n);
			index_close(ix);
			return FS_EXIT_ERR;
		}
	} else if (o.out_path && strcmp(o.out_path, "-") != 0) {
		/* a new or regular file (through any symlink): a temporary file
		 * beside it, renamed over it at the end */
		target = realpath(o.out_path, NULL);
		if (!target)
			target = xstrdup(o.out_path);
		tmp = xasprintf("%s.tmp.XXXXXX", target);
		int fd = mkstemp(tmp);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			fs_warn("export: %s: %s", o.out_path, strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			free(target);
			free(np);
			notes_close(n);
			index_close(ix);
			return FS_EXIT_ERR;
		}
		mode_t um = umask(0); /* mkstemp makes 0600: use the usual mode */
		umask(um);
		fchmod(fd, 0666 & ~um);
	}
	if (exp_write(ix, n, &o, f) != 0)
		rc = FS_EXIT_ERR;
	if (tmp) {
		int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
		int e = errno;
		bad |= fclose(f) != 0;
		if (!bad && rc == 0 && rename(tmp, target) != 0) {
			e = errno;
			bad = 1;
		}
		if (bad || rc) {
			if (bad)
				fs_warn("export: %s: write failed: %s (nothing written)", o.out_path, strerror(e ? e : EIO));
			unlink(tmp);
			rc = FS_EXIT_ERR;
		}
		free(tmp);
		free(target);
	} else {
		int bad = fflush(f) != 0 || ferror(f);
		if (f != stdout)
			bad |= fclose(f) != 0;
		if (bad) {
			fs_warn("export: write error on %s: %s", f == stdout ? "standard output" : o.out_path, strerror(errno));
			rc = FS_EXIT_ERR;
		}
	}
	free(np);
	notes_close(n);
	index_close(ix);
	return rc;
}

const cmd_entry cmd_export_entry = {
	.name = "export", .args = "INDEX", .opts = export_opts, .run = export_run,
	.summary = "features with labels and notes as text, markdown, json or tsv",
	.min_args = 1, .max_args = 1,
};
