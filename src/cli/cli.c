/*
 * cli.c: the query subcommands for scripts and tests: info, show and
 * search. Each prints stable plain text, or JSON with --json. They read
 * the index only through index.h.
 */
#define _GNU_SOURCE
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "compare/matches.h"
#include "core/escape.h"
#include "core/format.h"
#include "core/json.h"
#include "grep/grep.h"
#include "index/index.h"
#include "notes/notes.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The options of info, show and search: every one once, its id (O_*)
 * and its row (ROW_id); each command's table picks the ids it takes
 * (cmd.h's CLI_PICK), and the parser gives each option as its id. */
enum { O_JSON, O_SHOW_LIMIT, O_SEARCH_LIMIT, O_WIDTH, O_NOTES, O_SUBSTRING };
#define ROW_O_JSON {"json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output"}
#define ROW_O_SHOW_LIMIT {"limit", 'n', OPT_INT, "N", 1, 1000000, "top contexts shown (20)"}
#define ROW_O_SEARCH_LIMIT {"limit", 'n', OPT_INT, "N", 1, 1000000, "results of each kind (20)"}
#define ROW_O_WIDTH {"width", 'w', OPT_INT, "N", 1, 1000000, "characters of context shown around the marked token (80)"}
#define ROW_O_NOTES {"notes", 0, OPT_STR, "FILE", 0, 0, "the notes database searched (default: the index's)"}
#define ROW_O_SUBSTRING {"substring", 0, OPT_FLAG, NULL, 0, 0, "literal search in the text instead of full-text search"}
#define INFO_OPTS(X) X(O_JSON)
#define SHOW_OPTS(X) X(O_JSON) X(O_SHOW_LIMIT) X(O_WIDTH)
#define SEARCH_OPTS(X) X(O_JSON) X(O_SEARCH_LIMIT) X(O_WIDTH) X(O_NOTES) X(O_SUBSTRING)
CLI_PICK(info_opts, INFO_OPTS);
CLI_PICK(show_opts, SHOW_OPTS);
CLI_PICK(search_opts, SEARCH_OPTS);


/* ------------------------------------------------------------------ info */

static int info_run(const cmd_entry *e, const cli_args *q)
{
	(void)e;
	const char *path = q->pos[0];
	fs_index *ix = cli_open_index(path);
	if (!ix)
		return FS_EXIT_USAGE;
	struct stat st;
	int64_t size = stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
	int64_t nex = index_n_examples(ix);
	if (q->set[O_JSON]) {
		json_t *o = json_object();
		json_object_set_new(o, "path", jw_str(path));
		json_object_set_new(o, "version", json_integer(FS_INDEX_VERSION));
		json_object_set_new(o, "uuid", jw_str(index_uuid(ix)));
		const char *c = index_meta(ix, "created");
		json_object_set_new(o, "created", jw_str(c ? c : ""));
		json_object_set_new(o, "bytes", json_integer(size));
		json_object_set_new(o, "features", json_integer(index_n_features(ix)));
		json_object_set_new(o, "contexts", json_integer(index_n_contexts(ix)));
		json_object_set_new(o, "examples", json_integer(nex));
		json_object_set_new(o, "tokens", json_integer(index_n_tokens(ix)));
		json_t *a = json_array();
		for (int i = 0; i < index_n_saes(ix); i++) {
			const fs_sae *d = index_sae(ix, i);
			json_t *s = json_object();
			json_object_set_new(s, "id", json_integer(d->id));
			json_object_set_new(s, "name", jw_str(d->name));
			/* what the input did not say is null, not 0 or "" */
			json_object_set_new(s, "model", *d->model ? jw_str(d->model) : json_null());
			json_object_set_new(s, "hook", *d->hook ? jw_str(d->hook) : json_null());
			json_object_set_new(s, "layer", d->layer >= 0 ? json_integer(d->layer) : json_null());
			json_object_set_new(s, "d_model", d->d_model > 0 ? json_integer(d->d_model) : json_null());
			json_object_set_new(s, "n_features", json_integer(d->n_features));
			json_object_set_new(s, "source_format", jw_str(d->source_format));
			json_array_append_new(a, s);
		}
		json_object_set_new(o, "saes", a);
		cli_print_json(o);
	} else {
		const char *c = index_meta(ix, "created");
		printf("index:      %s\n", escape_str(path));
		printf("format:     featscope index v%d, created %s\n", FS_INDEX_VERSION, c ? c : "?");
		printf("size:       %.1f MB (%.0f bytes per example)\n", (double)size / 1e6,
		       nex ? (double)size / (double)nex : 0.0);
		printf("features:   %lld\n", (long long)index_n_features(ix));
		printf("contexts:   %lld\n", (long long)index_n_contexts(ix));
		printf("examples:   %lld\n", (long long)nex);
		printf("tokens:     %lld\n", (long long)index_n_tokens(ix));
		printf("dictionaries:\n");
		for (int i = 0; i < index_n_saes(ix); i++) {
			const fs_sae *d = index_sae(ix, i);
			char dm[24] = "unknown", ly[24] = "unknown";
			if (d->d_model > 0)
				snprintf(dm, sizeof dm, "%d", d->d_model);
			if (d->layer >= 0)
				snprintf(ly, sizeof ly, "%d", d->layer);
			printf("  %-12s %lld features, d_model %s, model %s, hook %s, layer %s, from %s\n",
			       escape_str(d->name), (long long)d->n_features, dm,
			       *d->model ? escape_str(d->model) : "unknown", *d->hook ? escape_str(d->hook) : "unknown", ly,
			       escape_str(d->source_format));
		}
	}
	index_close(ix);
	return FS_EXIT_OK;
}

/* ------------------------------------------------------------------ show */

static json_t *context_json(fs_index *ix, const fs_example *e)
{
	fs_context c;
	json_t *o = json_object();
	json_object_set_new(o, "context", json_integer(e->ctx));
	json_object_set_new(o, "max_act", json_real(e->max_act));
	json_object_set_new(o, "max_pos", json_integer(e->max_pos));
	if (index_context(ix, e->ctx, &c) == 0) {
		json_object_set_new(o, "text", jw_strn(c.text, (size_t)c.len));
		json_object_set_new(o, "source", jw_str(c.source));
		json_t *toks = json_array(), *acts = json_array();
		for (int t = 0; t < c.ntok; t++) {
			json_array_append_new(toks, jw_strn(c.text + c.tok_off[t], c.tok_off[t + 1] - c.tok_off[t]));
			json_array_append_new(acts, json_real(t < e->ntok ? e->acts[t] : 0));
		}
		json_object_set_new(o, "tokens", toks);
		json_object_set_new(o, "acts", acts);
		index_context_free(&c);
	}
	return o;
}

static void print_context(fs_index *ix, const fs_example *e, int n, int width)
{
	fs_context c;
	fs_buf b = {0};
	if (index_context(ix, e->ctx, &c) == 0) {
		format_context(&b, c.text, (size_t)c.len, c.tok_off, c.ntok, e->max_pos, width);
		printf("  %3d. %8.3f  %s", n, e->max_act, b.p ? b.p : "");
		if (*c.source)
			printf("   [%s]", escape_str(c.source));
		putchar('\n');
		index_context_free(&c);
	} else {
		printf("  %3d. %8.3f  (context %lld missing)\n", n, e->max_act, (long long)e->ctx);
	}
	buf_free(&b);
}

/* The tables an import gave with a feature (correlated features, as
 * feature names, correlated neurons, neuron alignment, the logits
 * histogram) and every explanation, best score first: into o (JSON), or
 * printed when o is NULL. */
static void show_imported(fs_index *ix, int64_t fid, const fs_feature *f, json_t *o)
{
	static const char *const kinds[] = {"corr_feature", "corr_neuron", "neuron_align"};
	static const char *const titles[] = {"correlated features", "correlated neurons", "neuron alignment"};
	static const char *const vnames[] = {"pearson", "pearson", "value"};
	char name[128];
	fs_buf b = {0};
	for (int k = 0; k < 3; k++) {
		fs_table_row *r;
		int n = index_feature_table(ix, fid, kinds[k], &r);
		if (n <= 0)
			continue;
		json_t *a = o ? json_array() : NULL;
		if (!o)
			printf("%s:", titles[k]);
		for (int i = 0; i < n; i++) {
			/* a correlated feature is a link: its name when it is in the index */
			int64_t other = k == 0 ? index_feature_id(ix, f->sae, r[i].other) : -1;
			if (k == 0 && other > 0)
				index_feature_name(ix, other, name, sizeof name);
			else
				snprintf(name, sizeof name, "%lld", (long long)r[i].other);
			if (o) {
				json_t *e = json_object();
				json_object_set_new(e, k == 0 ? "feature" : "neuron", k == 0 ? jw_str(name) : json_integer(r[i].other));
				if (k == 0)
					json_object_set_new(e, "id", other > 0 ? json_integer(other) : json_null());
				json_object_set_new(e, vnames[k], jw_num(r[i].value));
				json_object_set_new(e, "l1", isnan(r[i].aux) ? json_null() : jw_num(r[i].aux));
				json_array_append_new(a, e);
			} else {
				printf("%s%s %+.3f", i ? ", " : " ", escape_str(name), r[i].value);
			}
		}
		if (o)
			json_object_set_new(o, kinds[k], a);
		else
			putchar('\n');
		free(r);
	}
	fs_table_row *h;
	int nh = index_feature_table(ix, fid, "logits_hist", &h);
	if (nh > 0) {
		if (o) {
			json_t *hv = json_array(), *hh = json_array();
			for (int i = 0; i < nh; i++) {
				json_array_append_new(hv, jw_num(h[i].value));
				json_array_append_new(hh, isnan(h[i].aux) ? json_null() : jw_num(h[i].aux));
			}
			json_object_set_new(o, "logits_histogram", json_pack("{s:o,s:o}", "values", hv, "heights", hh));
		} else {
			uint32_t *c = xcalloc((size_t)nh, sizeof *c);
			for (int i = 0; i < nh; i++)
				c[i] = h[i].aux > 0 ? (h[i].aux > 4e9 ? 4000000000u : (uint32_t)h[i].aux) : 0;
			format_sparkline(&b, c, nh);
			printf("logits hist: %s  %g..%g\n", b.p ? b.p : "", h[0].value, h[nh - 1].value);
			b.len = 0;
			free(c);
		}
		free(h);
	}
	fs_explanation *e;
	int ne = index_explanations(ix, fid, &e);
	json_t *ea = o ? json_array() : NULL;
	if (ne > 0 && !o)
		printf("explanations:\n");
	for (int i = 0; i < ne; i++) {
		if (o) {
			json_t *x = json_object();
			json_object_set_new(x, "text", jw_str(e[i].text));
			json_object_set_new(x, "source", jw_str(e[i].source));
			json_object_set_new(x, "model", *e[i].model ? jw_str(e[i].model) : json_null());
			json_object_set_new(x, "type", *e[i].type ? jw_str(e[i].type) : json_null());
			json_object_set_new(x, "score", isnan(e[i].score) ? json_null() : jw_num(e[i].score));
			json_object_set_new(x, "scores", jw_str(e[i].scores));
			json_array_append_new(ea, x);
			continue;
		}
		b.len = 0;
		format_escaped(&b, e[i].text, strlen(e[i].text));
		printf("  %3d. %s  [%s", i + 1, b.p ? b.p : "", escape_str(e[i].source));
		if (*e[i].model)
			printf(", %s", escape_str(e[i].model));
		if (*e[i].type)
			printf(", %s", escape_str(e[i].type));
		if (*e[i].scores)
			printf("; %s", escape_str(e[i].scores));
		printf("]\n");
	}
	if (o)
		json_object_set_new(o, "explanations", ea);
	if (ne > 0)
		index_explanations_free(e, ne);
	buf_free(&b);
}

static int show_run(const cmd_entry *e, const cli_args *a)
{
	(void)e;
	int json = a->set[O_JSON], limit = (int)cli_num(a, O_SHOW_LIMIT, 20), width = (int)cli_num(a, O_WIDTH, 80);
	fs_index *ix = cli_open_index(a->pos[0]);
	if (!ix)
		return FS_EXIT_USAGE;
	char name[128];
	int64_t fid = cli_resolve(ix, a->pos[1]);
	if (fid < 0) {
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	fs_feature f;
	index_feature(ix, fid, &f);
	index_feature_name(ix, fid, name, sizeof name);
	fs_logit *pos, *neg;
	int npos = index_logits(ix, fid, 1, &pos), nneg = index_logits(ix, fid, -1, &neg);
	fs_example *ex;
	int nex = index_examples(ix, fid, &ex);
	fs_interval *iv;
	int niv = index_intervals(ix, fid, &iv);
	const fs_sae *d = index_sae_by_id(ix, f.sae);
	char *desc = index_feature_description(ix, fid);

	/* its best decoder match in each other dictionary (-1: none stored) */
	cmp_best best[64];
	cmp_matcher *mt = cmp_matcher_new();
	int nm = cmp_best_matches(mt, ix, f.sae, f.idx, best, 64);
	cmp_matcher_free(mt);
	/* a feature with no stored example and no activation never fired */
	int dead = nex <= 0 && !(f.max_act > 0);
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "feature", jw_str(name));
		json_object_set_new(o, "id", json_integer(fid));
		json_object_set_new(o, "sae", jw_str(d ? d->name : ""));
		json_object_set_new(o, "index", json_integer(f.idx));
		json_object_set_new(o, "label", jw_str(f.label));
		json_object_set_new(o, "label_source", jw_str(f.label_source));
		json_object_set_new(o, "description", desc ? jw_str(desc) : json_null());
		json_object_set_new(o, "density", f.density < 0 ? json_null() : json_real(f.density));
		json_object_set_new(o, "max_act", jw_num(f.max_act));
		json_object_set_new(o, "mean_act", jw_num(f.mean_act));
		json_object_set_new(o, "cluster", json_integer(f.cluster));
		json_object_set_new(o, "fires", json_boolean(!dead));
		json_t *h = json_object(), *hc = json_array();
		json_object_set_new(h, "lo", json_real(f.hist_lo));
		json_object_set_new(h, "hi", json_real(f.hist_hi));
		for (int i = 0; i < FS_HIST_BINS; i++)
			json_array_append_new(hc, json_integer(f.hist[i]));
		json_object_set_new(h, "counts", hc);
		json_object_set_new(o, "histogram", h);
		json_t *lp = json_array(), *ln = json_array();
		for (int i = 0; i < npos; i++)
			json_array_append_new(lp, json_pack("{s:o,s:f}", "token", jw_strn(pos[i].token, strlen(pos[i].token)), "value", (double)pos[i].value));
		for (int i = 0; i < nneg; i++)
			json_array_append_new(ln, json_pack("{s:o,s:f}", "token", jw_strn(neg[i].token, strlen(neg[i].token)), "value", (double)neg[i].value));
		json_object_set_new(o, "logits_pos", lp);
		json_object_set_new(o, "logits_neg", ln);
		show_imported(ix, fid, &f, o);
		if (nm >= 0) {
			json_t *mj = json_array();
			for (int i = 0; i < nm; i++) {
				char fn[160];
				snprintf(fn, sizeof fn, "%s/%lld", best[i].sae->name, (long long)best[i].row);
				int read = best[i].row >= 0; /* else its decoder is too large to hold */
				json_array_append_new(mj, json_pack("{s:o,s:o,s:o,s:o,s:b}", "sae", jw_str(best[i].sae->name),
								  "feature", read ? jw_str(fn) : json_null(),
								  "cos", read ? jw_num(best[i].cos) : json_null(),
								  "baseline", read ? jw_num(best[i].baseline) : json_null(),
								  "above_baseline", read && best[i].cos > best[i].baseline));
			}
			json_object_set_new(o, "matches", mj);
		}
		json_t *top = json_array(), *ints = json_array();
		for (int i = 0; i < nex; i++)
			if (ex[i].grp == 0 && (int)json_array_size(top) < limit)
				json_array_append_new(top, context_json(ix, &ex[i]));
		for (int k = 0; k < niv; k++) {
			json_t *g = json_object(), *ge = json_array();
			json_object_set_new(g, "interval", json_integer(iv[k].grp));
			json_object_set_new(g, "lo", json_real(iv[k].lo));
			json_object_set_new(g, "hi", json_real(iv[k].hi));
			json_object_set_new(g, "frac", iv[k].frac < 0 ? json_null() : json_real(iv[k].frac));
			double share = index_hist_share(&f, iv[k].lo, iv[k].hi);
			json_object_set_new(g, "token_share", share < 0 ? json_null() : json_real(share));
			for (int i = 0; i < nex; i++)
				if (ex[i].grp == iv[k].grp)
					json_array_append_new(ge, context_json(ix, &ex[i]));
			json_object_set_new(g, "examples", ge);
			json_array_append_new(ints, g);
		}
		json_t *rnd = json_array();
		for (int i = 0; i < nex; i++)
			if (ex[i].grp == FS_GRP_RANDOM)
				json_array_append_new(rnd, context_json(ix, &ex[i]));
		json_object_set_new(o, "top", top);
		json_object_set_new(o, "intervals", ints);
		json_object_set_new(o, "random", rnd);
		cli_print_json(o);
	} else {
		fs_buf b = {0};
		printf("feature %s (#%lld)\n", escape_str(name), (long long)fid);
		if (*f.label) {
			format_escaped(&b, f.label, strlen(f.label));
			printf("label:      %s%s%s%s\n", b.p, *f.label_source ? "  [" : "", escape_str(f.label_source),
			       *f.label_source ? "]" : "");
			b.len = 0;
		}
		if (desc) {
			format_escaped(&b, desc, strlen(desc));
			printf("about:      %s\n", b.p);
			b.len = 0;
		}
		if (f.density >= 0)
			printf("density:    %.6f (fires on %.4f%% of tokens)\n", f.density, f.density * 100);
		printf("activation: max %.4g, mean %.4g when firing\n", f.max_act, f.mean_act);
		double hlo, hhi;
		int hnb = index_hist_extent(&f, &hlo, &hhi);
		if (hnb) {
			format_sparkline(&b, f.hist, hnb);
			printf("histogram:  %s  %.3g..%.3g\n", b.p, hlo, hhi);
			b.len = 0;
		}
		for (int s = 0; s < 2; s++) {
			fs_logit *l = s ? neg : pos;
			int n = s ? nneg : npos;
			if (n <= 0)
				continue;
			printf("logits %s:  ", s ? "-" : "+");
			for (int i = 0; i < n; i++) {
				b.len = 0;
				format_escaped(&b, l[i].token, strlen(l[i].token));
				printf("%s%s %+.3f", i ? ", " : "", b.p ? b.p : "", l[i].value);
			}
			putchar('\n');
		}
		if (npos > 0 || nneg > 0)
			printf("            (%s)\n", FS_LOGITS_NOTE);
		show_imported(ix, fid, &f, NULL);
		char *ml = cmp_best_line(best, nm);
		if (ml)
			printf("matches:    %s\n", ml);
		else if (nm == CMP_BEST_TOO_BIG)
			printf("matches:    not computed (the stored decoder is more than %lld MiB to hold)\n",
			       (long long)(CMP_BEST_MAX_BYTES >> 20));
		free(ml);
		if (dead)
			printf("top activations: none: this feature never fires on the indexed text\n");
		else
			printf("top activations:\n");
		int shown = 0;
		for (int i = 0; i < nex && shown < limit; i++)
			if (ex[i].grp == 0)
				print_context(ix, &ex[i], ++shown, width);
		for (int k = 0; k < niv; k++) {
			int any = 0;
			for (int i = 0; i < nex; i++)
				any |= ex[i].grp == iv[k].grp;
			if (!any)
				continue;
			printf("interval %d: %.3g..%.3g", iv[k].grp, iv[k].lo, iv[k].hi);
			double share = index_hist_share(&f, iv[k].lo, iv[k].hi);
			if (share >= 0)
				printf(" (%.1f%% of firing tokens)", share * 100);
			else if (iv[k].frac >= 0)
				printf(" (%.1f%% of firing contexts)", iv[k].frac * 100);
			printf(":\n");
			int m = 0;
			for (int i = 0; i < nex; i++)
				if (ex[i].grp == iv[k].grp)
					print_context(ix, &ex[i], ++m, width);
		}
		int nr = 0;
		for (int i = 0; i < nex; i++)
			if (ex[i].grp == FS_GRP_RANDOM) {
				if (!nr)
					printf("random positive samples:\n");
				print_context(ix, &ex[i], ++nr, width);
			}
		buf_free(&b);
	}
	index_logits_free(pos, npos > 0 ? npos : 0);
	index_logits_free(neg, nneg > 0 ? nneg : 0);
	index_examples_free(ex, nex > 0 ? nex : 0);
	free(iv);
	free(desc);
	index_feature_free(&f);
	index_close(ix);
	return FS_EXIT_OK;
}

/* ---------------------------------------------------------------- search */

/* Features whose own label, note or tags match: from the notes database
 * (--notes, or the index's default one when it exists; never created). */
static void search_notes(fs_index *ix, const char *notes, int limit, const char *query, json_t *jo)
{
	char ident[64], err[512];
	notes_identity(ix, ident, sizeof ident);
	char *path = notes ? xstrdup(notes) : notes_default_path(ident);
	fs_notes *n = access(path, F_OK) == 0 ? notes_open_index(ix, path, err, sizeof err) : NULL;
	free(path);
	if (!n) {
		if (notes)
			fs_warn("search: %s", err);
		return;
	}
	char **keys = NULL;
	int nk = notes_search(n, query, limit, &keys);
	json_t *ja = jo ? json_array() : NULL;
	if (!jo)
		printf("features whose notes match (%d):\n", nk > 0 ? nk : 0);
	for (int i = 0; i < nk; i++) {
		fs_note note;
		if (notes_get(n, keys[i], &note) != 0)
			continue;
		if (ja) {
			json_array_append_new(ja, json_pack("{s:o,s:o,s:o,s:o}", "feature", jw_str(keys[i]), "label",
							    jw_str(note.label), "note", jw_str(note.note), "tags", jw_str(note.tags)));
		} else {
			fs_buf b = {0};
			format_escaped(&b, *note.label ? note.label : note.note,
				       strlen(*note.label ? note.label : note.note));
			printf("  %-10s %s\n", escape_str(keys[i]), b.p ? b.p : "");
			buf_free(&b);
		}
		notes_note_free(&note);
	}
	if (ja)
		json_object_set_new(jo, "notes", ja);
	notes_strv_free(keys, nk > 0 ? nk : 0);
	notes_close(n);
}

static int search_run(const cmd_entry *e, const cli_args *a)
{
	int json = a->set[O_JSON], limit = (int)cli_num(a, O_SEARCH_LIMIT, 20), width = (int)cli_num(a, O_WIDTH, 80);
	const char *query = a->pos[1];
	if (!*query)
		return cli_usage_error(e, "empty query");
	fs_index *ix = cli_open_index(a->pos[0]);
	if (!ix)
		return FS_EXIT_USAGE;
	int64_t *ctx = NULL, *fids = NULL;
	char err[512];
	int how = 0;
	int nc = grep_search_contexts(ix, query, a->set[O_SUBSTRING], limit, &ctx, &how, err, sizeof err);
	int nf = index_search(ix, 1, query, limit, &fids, NULL);
	int substring = how == GREP_SEARCH_SUBSTRING;
	if (nc < 0) {
		fs_warn("search: %s", err);
		index_close(ix);
		return substring ? FS_EXIT_ERR : FS_EXIT_USAGE;
	}
	if (nc < 0 || nf < 0) {
		fs_warn("search: %s: %s", query, index_errmsg(ix));
		index_close(ix);
		return FS_EXIT_USAGE;
	}
	json_t *jo = json ? json_object() : NULL, *jf = NULL, *jc = NULL;
	char name[128];
	fs_buf b = {0};
	if (jo) {
		jf = json_array();
		jc = json_array();
	} else {
		printf("features whose label matches (%d):\n", nf);
	}
	for (int i = 0; i < nf; i++) {
		fs_feature f;
		if (index_feature(ix, fids[i], &f) != 0)
			continue;
		index_feature_name(ix, fids[i], name, sizeof name);
		if (jo) {
			json_array_append_new(jf, json_pack("{s:o,s:o}", "feature", jw_strn(name, strlen(name)),
								      "label", jw_strn(f.label, strlen(f.label))));
		} else {
			b.len = 0;
			format_escaped(&b, f.label, strlen(f.label));
			printf("  %-10s %s\n", escape_str(name), b.p ? b.p : "");
		}
		index_feature_free(&f);
	}
	search_notes(ix, cli_str(a, O_NOTES, NULL), limit, query, jo);
	if (!jo)
		printf("contexts (%d)%s:\n", nc, substring ? ", by substring" : "");
	else
		json_object_set_new(jo, "match", json_string(substring ? "substring" : "fts"));
	for (int i = 0; i < nc; i++) {
		fs_context c;
		if (index_context(ix, ctx[i], &c) != 0)
			continue;
		/* the match, and the features ranked by their activation on it
		 * (the browser lists the same, grep_match.c) */
		size_t moff = 0, mlen = 0;
		grep_search_match(query, c.text, (size_t)c.len, &moff, &mlen);
		grep_span_feature *cf;
		int ncf = grep_span_features(ix, &c, moff, mlen, 5, &cf);
		if (jo) {
			json_t *o = json_object(), *fa = json_array();
			json_object_set_new(o, "context", json_integer(ctx[i]));
			json_object_set_new(o, "text", jw_strn(c.text, (size_t)c.len));
			json_object_set_new(o, "source", jw_str(c.source));
			if (mlen)
				json_object_set_new(o, "match", json_pack("[I,I]", (json_int_t)moff, (json_int_t)(moff + mlen)));
			for (int k = 0; k < ncf; k++) {
				index_feature_name(ix, cf[k].fid, name, sizeof name);
				json_array_append_new(fa, json_pack("{s:o,s:f,s:i,s:b}", "feature", jw_str(name), "act",
								    (double)cf[k].act, "pos", cf[k].pos, "on_match",
								    cf[k].on_match));
			}
			json_object_set_new(o, "features", fa);
			json_array_append_new(jc, o);
		} else {
			b.len = 0;
			int mark = -1;
			for (int t = 0; mlen && t < c.ntok && mark < 0; t++)
				if (c.tok_off[t + 1] > moff)
					mark = t;
			if (mark < 0 && ncf > 0)
				mark = cf[0].pos;
			format_context(&b, c.text, (size_t)c.len, c.tok_off, c.ntok, mark, width);
			printf("  #%-7lld %s\n", (long long)ctx[i], b.p ? b.p : "");
			for (int on = 1; on >= 0; on--) {
				int any = 0;
				for (int k = 0; k < ncf; k++) {
					if (cf[k].on_match != on)
						continue;
					if (!any++)
						printf("           %s:", on ? "fires on the match" : "fires elsewhere");
					index_feature_name(ix, cf[k].fid, name, sizeof name);
					printf(" %s (%.2f)", escape_str(name), cf[k].act);
				}
				if (any)
					putchar('\n');
			}
		}
		free(cf);
		index_context_free(&c);
	}
	if (jo) {
		json_object_set_new(jo, "features", jf);
		json_object_set_new(jo, "contexts", jc);
		cli_print_json(jo);
	}
	buf_free(&b);
	free(ctx);
	free(fids);
	index_close(ix);
	return FS_EXIT_OK;
}

/* --------------------------------------------------------------- entries */

const cmd_entry cmd_info_entry = {
	.name = "info", .args = "INDEX", CLI_PICKED(info_opts), .run = info_run,
	.summary = "summarise an index: dictionaries, counts, sizes",
	.min_args = 1, .max_args = 1,
};

const cmd_entry cmd_show_entry = {
	.name = "show", .args = "INDEX FEATURE", CLI_PICKED(show_opts), .run = show_run,
	.summary = "one feature: label, stats, histogram, logits, top contexts",
	.min_args = 2, .max_args = 2,
};

const cmd_entry cmd_search_entry = {
	.name = "search", .args = "INDEX QUERY", CLI_PICKED(search_opts), .run = search_run,
	.summary = "full-text search over contexts, labels and your notes",
	.min_args = 2, .max_args = 2,
};
