/*
 * cli_live.c: the live-model subcommands. attach records the model and
 * dictionaries an index came from (file names and content hashes);
 * steer generates with features clamped or added next to the unsteered
 * continuation from the same seed; and what analyze (cli_analyze.c)
 * shares with steer (cli_live.h): the options, opening the model,
 * --feature terms. The model goes through src/live only (session.h,
 * live.h).
 */
#define _GNU_SOURCE
#include "cli/cli_live.h"
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/escape.h"
#include "core/format.h"
#include "core/json.h"
#include "core/util.h"
#include "index/index.h"
#include "live/session.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>


/* ------------------------------------------------------------------ attach */

/* A row for file `arg` attached to ix: it must lie in the index's folder
 * or below it, links resolved (live_file_row: the live commands read
 * nothing else). */
static int attach_row(const char *ixpath, const char *arg, const char *what, fs_live_file *row)
{
	fs_live_file r;
	char err[1200];
	if (live_file_row(ixpath, arg, row->role, row->name, row->hook ? row->hook : "", &r, err, sizeof err) != 0) {
		fs_warn("%s: %s", what, err);
		return -1;
	}
	row->file = r.file;
	row->xxh3 = r.xxh3;
	row->bytes = r.bytes;
	free(r.role);
	free(r.name);
	free(r.hook);
	return 0;
}

/* attach's options, one row each: the enum A_* and attach_opts (CLI_OPTIONS). */
#define ATTACH_OPTS(X) \
	X(A_MODEL, "model", 'm', OPT_STR, "FILE", 0, 0, "the model file (beside the index)") \
	X(A_SAE, "sae", 's', OPT_STR | OPT_MANY, "NAME=FILE", 0, 0, "a dictionary of the index and its weights file (repeatable)")
CLI_OPTIONS(attach_opts, ATTACH_OPTS);

static int attach_run(const cmd_entry *e, int argc, char **argv)
{
	const char *model = NULL, *pos = NULL;
	char **saes = xcalloc((size_t)argc, sizeof *saes);
	int nsae = 0, npos = 0;
	cli_parser p;
	cli_init(&p, e, argc, argv);
	int stop;
	for (int k; (k = cli_walk(&p, &stop)) != CLI_END;) {
		if (k == CLI_ARG) {
			pos = p.val;
			npos++;
		} else if (k == A_MODEL) {
			model = p.val;
		} else {
			saes[nsae++] = (char *)p.val;
		}
	}
	if (stop >= 0) {
		free(saes);
		return stop;
	}
	if (npos != 1 || !model || nsae == 0) {
		free(saes);
		return cli_usage_error(e, "%s", npos != 1 ? "one INDEX expected" : !model ? "--model FILE is required"
												: "at least one --sae NAME=FILE is required");
	}
	const char *ixpath = pos;
	fs_index *ix = cli_open_index(ixpath);
	if (!ix) {
		free(saes);
		return FS_EXIT_USAGE;
	}
	fs_live_file *rows = xcalloc((size_t)nsae + 1, sizeof *rows);
	int nrow = 0, rc = FS_EXIT_USAGE;
	char err[600];
	live_model *m = live_load(model, err, sizeof err);
	if (!m) {
		fs_warn("--model: %s", err);
		goto out;
	}
	rows[0].role = xstrdup("model");
	rows[0].name = xstrdup("");
	rows[0].hook = xstrdup("");
	nrow = 1;
	if (attach_row(ixpath, model, "--model", &rows[0]) != 0)
		goto out;
	for (int i = 0; i < nsae; i++) {
		char *eq = strchr(saes[i], '=');
		if (!eq || eq == saes[i] || !eq[1]) {
			fs_warn("--sae: '%s': expected NAME=FILE", saes[i]);
			goto out;
		}
		fs_live_file *r = &rows[nrow++];
		r->role = xstrdup("sae");
		r->name = xstrndup(saes[i], (size_t)(eq - saes[i]));
		for (int j = 1; j < nrow - 1; j++)
			if (strcmp(rows[j].name, r->name) == 0) {
				fs_warn("--sae: dictionary '%s' given twice", escape_str(r->name));
				goto out;
			}
		const fs_sae *d = index_sae_by_name(ix, r->name);
		if (!d) {
			fs_warn("--sae: %s has no dictionary named '%s'", ixpath, escape_str(r->name));
			goto out;
		}
		live_sae *s = live_sae_load(eq + 1, err, sizeof err);
		if (!s || live_sae_bind(s, m, err, sizeof err) != 0) {
			fs_warn("--sae: %s", err);
			live_sae_free(s);
			goto out;
		}
		if (s->n_feat != d->n_features) {
			fs_warn("--sae: %s: n_features: %d, but dictionary '%s' has %lld", eq + 1, s->n_feat,
				d->name, (long long)d->n_features);
			live_sae_free(s);
			goto out;
		}
		char pn[64];
		r->hook = xstrdup(live_point_name(s->hook, pn, sizeof pn));
		live_sae_free(s);
		if (attach_row(ixpath, eq + 1, "--sae", r) != 0)
			goto out;
	}
	/* the dictionaries attached before and not named here stay attached
	 * (a --sae replaces only its own row); the model is replaced */
	fs_live_file *old = NULL;
	int nold = index_live_files(ix, &old, err, sizeof err), nnew = nrow;
	if (nold < 0) {
		fs_warn("%s", err);
		goto out;
	}
	rows = xrealloc(rows, ((size_t)nrow + (size_t)nold) * sizeof *rows);
	for (int i = 0; i < nold; i++) {
		int named = 0;
		for (int j = 1; j < nnew; j++)
			named |= strcmp(rows[j].name, old[i].name) == 0;
		if (strcmp(old[i].role, "sae") == 0 && !named && index_sae_by_name(ix, old[i].name)) {
			rows[nrow++] = old[i];
			memset(&old[i], 0, sizeof old[i]);
		}
	}
	index_live_files_free(old, nold);
	index_close(ix);
	ix = NULL;
	if (index_attach(ixpath, rows, nrow, err, sizeof err) != 0) {
		fs_warn("%s", err);
		rc = FS_EXIT_ERR;
		goto out;
	}
	/* file names, dictionary names and hooks as the one rule escapes them */
	for (int i = 0; i < nnew; i++)
		printf("attached %s%s%s: %s (xxh3 %s, %lld bytes%s%s)\n", rows[i].role, *rows[i].name ? " " : "",
		       escape_str(rows[i].name), escape_str(rows[i].file), rows[i].xxh3,
		       (long long)rows[i].bytes, *rows[i].hook ? ", hook " : "", escape_str(rows[i].hook));
	for (int i = nnew; i < nrow; i++)
		printf("kept sae %s: %s (attached before, not checked now; --sae %s=FILE replaces it)\n",
		       escape_str(rows[i].name), escape_str(rows[i].file),
		       escape_str(rows[i].name));
	rc = FS_EXIT_OK;
out:
	live_free(m);
	if (ix)
		index_close(ix);
	index_live_files_free(rows, nrow);
	free(saes);
	return rc;
}

/* ----------------------------------------------------------- shared parts */

/* The dictionary of the first --feature that names one ("SAE/N" or
 * "#FID"), or NULL: a feature named with its dictionary selects it. */
static const char *named_sae(fs_index *ix, const live_opts *o)
{
	for (int i = 0; i < o->nfeat + o->nspans; i++) {
		const char *arg = i < o->nfeat ? o->features[i] : o->spans[i - o->nfeat];
		const char *eq = i < o->nfeat ? strrchr(arg, '=') : arg + strlen(arg);
		if (!eq || eq == arg)
			continue;
		char *name = xstrndup(arg, (size_t)(eq - arg)), err[512];
		int64_t fid = strchr(name, '/') || name[0] == '#' ? index_resolve(ix, name, err, sizeof err) : -1;
		free(name);
		const char *sae = live_sae_of(ix, fid);
		if (sae)
			return sae;
	}
	return NULL;
}

fs_index *cli_live_open(const char *ixpath, const live_opts *o, live_session *ls)
{
	fs_index *ix = cli_open_index(ixpath);
	if (!ix)
		return NULL;
	const char *sae = o->sae ? o->sae : named_sae(ix, o);
	char err[1024];
	if (live_session_open(ls, ix, sae, err, sizeof err) != 0) {
		if (!o->sae && sae && strstr(err, "--sae: no dictionary"))
			fs_warn("%s: --feature: dictionary '%s' is not attached (featscope attach %s --sae %s=FILE)",
				ixpath, escape_str(sae), ixpath, escape_str(sae));
		else
			fs_warn("%s", err);
		index_close(ix);
		return NULL;
	}
	return ix;
}

/* Resolve F in the session's dictionary ("N", "SAE/N", "#FID"); with
 * dict not NULL, a feature of any dictionary of the index, its row in
 * *dict. */
static int64_t resolve_in(live_session *ls, const char *opt, const char *name, int64_t *idx, const fs_sae **dict)
{
	char err[512];
	int64_t fid, n;
	if (!strchr(name, '/') && name[0] != '#') {
		if (fs_parse_i64(name, &n) != 0) {
			fs_warn("%s: '%s': not a feature name (N, SAE/N or #FID)", opt, escape_str(name));
			return -1;
		}
		fid = index_feature_id(ls->ix, ls->dict->id, n);
		if (fid < 0) {
			fs_warn("%s: %s: no such feature in dictionary '%s' (features 0 to %lld)", opt,
				escape_str(name), ls->dict->name, (long long)ls->dict->n_features - 1);
			return -1;
		}
	} else if ((fid = index_resolve(ls->ix, name, err, sizeof err)) < 0) {
		/* the valid range of the dictionary named, as show gives it */
		const char *slash = strrchr(name, '/');
		char *sn = slash ? xstrndup(name, (size_t)(slash - name)) : NULL;
		const fs_sae *d = sn ? index_sae_by_name(ls->ix, sn) : NULL;
		free(sn);
		if (name[0] == '#')
			fs_warn("%s: %s (global ids are #1 to #%lld)", opt, err, (long long)index_n_features(ls->ix));
		else if (d && d->n_features > 0)
			fs_warn("%s: %s (%s has features 0 to %lld)", opt, err, d->name, (long long)d->n_features - 1);
		else
			fs_warn("%s: %s", opt, err);
		return -1;
	}
	fs_feature f;
	if (index_feature(ls->ix, fid, &f) != 0) {
		fs_warn("%s: %s: no such feature", opt, escape_str(name));
		return -1;
	}
	const fs_sae *fd = index_sae_by_id(ls->ix, (int)f.sae);
	int ok = dict ? fd && f.idx >= 0 && f.idx < fd->n_features
		      : f.sae == ls->dict->id && f.idx >= 0 && f.idx < ls->sae->n_feat;
	*idx = f.idx;
	index_feature_free(&f);
	if (dict)
		*dict = fd;
	if (!ok) {
		fs_warn("%s: %s: not in dictionary '%s', the one in use (features of one dictionary at a time)", opt,
			escape_str(name), ls->dict->name);
		return -1;
	}
	return fid;
}

/* Parse F=V into a term (dict: as resolve_in); -1 with a message. */
static int parse_term(live_session *ls, const char *arg, live_steer_term *t, int64_t *fid, const fs_sae **dict)
{
	const char *eq = strrchr(arg, '=');
	if (!eq || eq == arg) {
		fs_warn("--feature: '%s': expected FEATURE=VALUE", escape_str(arg));
		return -1;
	}
	char *end, *name = xstrndup(arg, (size_t)(eq - arg));
	double v = strtod(eq + 1, &end);
	if (!eq[1] || *end || isnan(v)) {
		fs_warn("--feature: %s: value '%s' is not a number", escape_str(name), escape_str(eq + 1));
		free(name);
		return -1;
	}
	if (!(fabs(v) <= LIVE_MAX_STEER)) {
		fs_warn("--feature: %s: value '%s' is out of range (-1e6 to 1e6)", escape_str(name),
			escape_str(eq + 1));
		free(name);
		return -1;
	}
	int64_t idx;
	*fid = resolve_in(ls, "--feature", name, &idx, dict);
	free(name);
	if (*fid < 0)
		return -1;
	t->feature = (int)idx;
	t->value = (float)v;
	return 0;
}

/* steer's options (cli_live.h: their rows, read by their LO_ ids). */
#define STEER_OPTS(X) \
	X(LO_FEATURE) X(LO_PROMPT) X(LO_TOKENS) X(LO_TEMPERATURE) X(LO_SEED) X(LO_RUNS) X(LO_MODE) X(LO_SAE) X(LO_JSON)
CLI_PICK(steer_opts, STEER_OPTS);

int cli_live_parse_opts(const cmd_entry *e, int argc, char **argv, live_opts *o, const char **pos, int *npos, int *rc)
{
	const char *cmd = argv[0];
	cli_parser p;
	cli_init(&p, e, argc, argv);
	*npos = 0;
	for (int k; (k = cli_walk(&p, rc)) != CLI_END;) {
		if (k == CLI_ARG) {
			if (*npos < 2)
				pos[*npos] = p.val;
			(*npos)++;
			if (o->args)
				o->args[o->nargs++] = p.val;
			continue;
		}
		const char *v = p.val;
		switch (k) {
		case LO_SAE: o->sae = v; break;
		case LO_JSON: o->json = 1; break;
		case LO_POSITIONS: o->positions = 1; break;
		case LO_FEATURE: o->features[o->nfeat++] = (char *)v; break;
		case LO_SPANS: o->spans[o->nspans++] = (char *)v; break;
		case LO_LINES: o->lines = 1; break;
		case LO_ABOVE: o->above = p.fnum; break;
		case LO_PROMPT: o->prompt = v; break;
		case LO_TOP: o->top = (int)p.num; break;
		case LO_LIMIT: o->limit = (int)p.num; break;
		case LO_TOKENS: o->tokens = (int)p.num; break;
		case LO_RUNS: o->runs = (int)p.num; break;
		case LO_SEED: o->seed = (uint64_t)p.num; break;
		case LO_MAXDENSITY: o->max_density = p.fnum; break;
		case LO_TEMPERATURE: o->temperature = p.fnum; break;
		case LO_MODE:
			if (!strcmp(v, "clamp"))
				o->mode = LIVE_CLAMP;
			else if (!strcmp(v, "add"))
				o->mode = LIVE_ADD;
			else {
				fs_warn("%s: --mode: expected clamp or add, got '%s'", cmd, escape_str(v));
				*rc = FS_EXIT_USAGE;
				return -1;
			}
			break;
		}
	}
	if (*rc >= 0) /* --help or a usage error */
		return -1;
	*rc = FS_EXIT_USAGE; /* what the caller's early exits return */
	return 0;
}

int cli_live_resolve(live_session *ls, const char *name, int *idx)
{
	int64_t i;
	int64_t fid = resolve_in(ls, "--spans", name, &i, NULL);
	if (fid >= 0)
		*idx = (int)i;
	return fid < 0 ? -1 : 0;
}

int cli_live_parse_terms(live_session *ls, const live_opts *o, live_steer_term *terms, int64_t *fids)
{
	for (int i = 0; i < o->nfeat; i++)
		if (parse_term(ls, o->features[i], &terms[i], &fids[i], NULL) != 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------- steer */

/* steer's progress on a terminal, through the command line's progress
 * report (cli_progress), as build shows it: tokens of every generation of
 * the command. */
typedef struct {
	fs_progress *p;
	int64_t total;  /* tokens of every generation of the command */
	int64_t before; /* tokens of the generations done */
} steer_progress;

static void steer_progress_fn(void *ud, int done)
{
	steer_progress *s = ud;
	progress_update(s->p, s->before + done, s->total);
}

/* Lines of escaped text wrapped at width columns (one byte a column for
 * ASCII, one per character otherwise: close enough for two panes). */
static int wrap_lines(const char *s, size_t n, int width, char ***out)
{
	int nl = 0, cap = 0;
	*out = NULL;
	size_t i = 0;
	while (i <= n) {
		size_t e = i;
		while (e < n && s[e] != '\n')
			e++;
		const char *esc_line = escape_strn(s + i, e - i);
		size_t L = strlen(esc_line), a = 0;
		do {
			size_t b = a;
			int cols = 0;
			while (b < L && cols < width) {
				int l = utf8_len((const unsigned char *)esc_line + b, L - b);
				b += l ? (size_t)l : 1;
				cols++;
			}
			if (nl == cap) {
				cap = cap ? 2 * cap : 16;
				*out = xrealloc(*out, (size_t)cap * sizeof **out);
			}
			(*out)[nl++] = xstrndup(esc_line + a, b - a);
			a = b;
		} while (a < L);
		i = e + 1;
	}
	return nl;
}

static int cols_of(const char *s)
{
	int c = 0;
	for (size_t i = 0, n = strlen(s); i < n; c++) {
		int l = utf8_len((const unsigned char *)s + i, n - i);
		i += l ? (size_t)l : 1;
	}
	return c;
}

static void print_side_by_side(const char *a, size_t na, const char *b, size_t nb)
{
	struct winsize ws;
	int W = 80;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		W = ws.ws_col;
	int w = (W - 3) / 2;
	char **la, **lb;
	int nla = wrap_lines(a, na, w, &la), nlb = wrap_lines(b, nb, w, &lb);
	printf("%-*s | %s\n", w, "unsteered", "steered");
	for (int i = 0; i < w; i++)
		putchar('-');
	printf("-+-");
	for (int i = 0; i < w; i++)
		putchar('-');
	putchar('\n');
	for (int i = 0; i < nla || i < nlb; i++) {
		const char *x = i < nla ? la[i] : "", *y = i < nlb ? lb[i] : "";
		printf("%s%*s | %s\n", x, w - cols_of(x), "", y);
	}
	for (int i = 0; i < nla; i++)
		free(la[i]);
	for (int i = 0; i < nlb; i++)
		free(lb[i]);
	free(la);
	free(lb);
}

static void print_block(const char *title, const char *s, size_t n)
{
	char **l;
	int nl = wrap_lines(s, n, 1 << 20, &l);
	printf("%s:\n", title);
	for (int i = 0; i < nl; i++) {
		printf("  %s\n", l[i]);
		free(l[i]);
	}
	free(l);
}

static int steer_run(const cmd_entry *e, int argc, char **argv)
{
	live_opts o = {0};
	o.tokens = 64;
	o.temperature = 0.8;
	o.seed = 1;
	o.runs = 1;
	o.prompt = "The ";
	o.features = xcalloc((size_t)argc + 1, sizeof *o.features);
	int rc = FS_EXIT_USAGE;
	live_session ls = {0};
	fs_index *ix = NULL;
	int *ids = NULL, *g0 = NULL, *g1 = NULL;
	uint32_t *off = NULL;
	live_steer_term *terms = NULL;
	int64_t *tfids = NULL;
	const fs_sae **tdict = NULL, **gd = NULL; /* each feature's dictionary; the dictionaries */
	live_sae **gs = NULL;                     /* their loaded forms (gs[0]: the session's) */
	live_sae **tsae = NULL;                   /* each feature's loaded dictionary */
	live_hook *hooks = NULL;                  /* the steering hooks, one a dictionary */
	live_steer *sts = NULL;                   /* one steering state each */
	live_steer_term *gterms = NULL;           /* the terms by dictionary */
	int ng = 0;
	json_t *jruns = NULL;
	const char *pos[2];
	int npos;
	if (cli_live_parse_opts(e, argc, argv, &o, pos, &npos, &rc) != 0)
		goto out;
	if (npos != 1) {
		rc = cli_usage_error(e, "one INDEX expected");
		goto out;
	}
	if (o.nfeat == 0) {
		fs_warn("steer: --feature F=V: at least one feature to steer");
		goto out;
	}
	if (!*o.prompt) {
		fs_warn("steer: --prompt: empty");
		goto out;
	}
	if (!(ix = cli_live_open(pos[0], &o, &ls)))
		goto out;
	terms = xcalloc((size_t)o.nfeat, sizeof *terms);
	tfids = xcalloc((size_t)o.nfeat, sizeof *tfids);
	/* the features by dictionary: the session's first, each other one
	 * loaded once and bound to the model; one hook each, in one pass */
	tdict = xcalloc((size_t)o.nfeat, sizeof *tdict);
	gd = xcalloc((size_t)o.nfeat + 1, sizeof *gd);
	gs = xcalloc((size_t)o.nfeat + 1, sizeof *gs);
	sts = xcalloc((size_t)o.nfeat + 1, sizeof *sts);
	gterms = xcalloc((size_t)o.nfeat, sizeof *gterms);
	tsae = xcalloc((size_t)o.nfeat, sizeof *tsae);
	gd[0] = ls.dict;
	gs[0] = ls.sae;
	ng = 1;
	for (int i = 0; i < o.nfeat; i++) {
		if (parse_term(&ls, o.features[i], &terms[i], &tfids[i], &tdict[i]) != 0)
			goto out;
		int g = 0;
		while (g < ng && gd[g]->id != tdict[i]->id)
			g++;
		if (g == ng) {
			char err[1024];
			if (!(gs[ng] = live_session_sae(&ls, tdict[i]->name, &gd[ng], err, sizeof err))) {
				fs_warn("%s", err);
				goto out;
			}
			ng++;
		}
		tsae[i] = gs[g];
	}
	int nst = live_steer_group(tsae, terms, o.nfeat, o.mode, ls.sae, gterms, sts);
	live_steer_set ss = {sts, nst};
	hooks = xcalloc((size_t)nst + 1, sizeof *hooks);
	char herr[512];
	if (live_steer_set_hook(&ss, hooks, herr, sizeof herr) != 0) {
		fs_warn("%s", herr);
		goto out;
	}
	size_t plen = strlen(o.prompt);
	if (!utf8_valid((const unsigned char *)o.prompt, plen))
		fs_warn("steer: --prompt: not valid UTF-8: shown escaped, used as bytes");
	int np = live_tokenize(ls.model, o.prompt, plen, &ids, &off);
	g0 = xmalloc((size_t)o.tokens * sizeof *g0);
	g1 = xmalloc((size_t)o.tokens * sizeof *g1);
	int C = ls.model->ctx;
	if (np > C - 1)
		fs_warn("steer: --prompt: %d tokens, longer than the model's context allows (%d): its first %d are dropped",
			np, C - 1, np - (C - 1));
	jruns = json_array();
	steer_progress pg = {cli_progress_if(fs_stderr_tty()), (int64_t)o.runs * 2 * o.tokens, 0};
	live_progress_fn pfn = pg.p ? steer_progress_fn : NULL;
	progress_start(pg.p, "tokens", "steer");
	for (int r = 0; r < o.runs; r++) {
		uint64_t seed = o.seed + (uint64_t)r;
		int n0, n1;
		int bad = live_steer_pair(ls.model, ids, np, o.tokens, hooks, seed, (float)o.temperature, g0, &n0, g1,
					  &n1, pfn, &pg);
		pg.before += 2 * o.tokens;
		progress_break(pg.p); /* the line ends before the run is printed */
		if (bad) {
			fs_warn("steer: generation failed");
			rc = FS_EXIT_ERR;
			goto out;
		}
		fs_buf b0 = {0}, b1 = {0};
		live_detokenize(ls.model, g0, n0, &b0);
		live_detokenize(ls.model, g1, n1, &b1);
		if (o.json) {
			json_t *je = json_object();
			json_object_set_new(je, "seed", json_integer((json_int_t)seed));
			json_object_set_new(je, "unsteered", jw_strn(b0.p ? b0.p : "", b0.len));
			json_object_set_new(je, "steered", jw_strn(b1.p ? b1.p : "", b1.len));
			json_array_append_new(jruns, je);
		} else {
			if (r)
				printf("\n");
			printf("seed %llu, prompt \"%s\", %s", (unsigned long long)seed, escape_strn(o.prompt, plen),
			       o.mode == LIVE_CLAMP ? "clamp" : "add");
			for (int i = 0; i < o.nfeat; i++)
				printf(" %s=%g", o.features[i] ? escape_strn(o.features[i], strcspn(o.features[i], "=")) : "",
				       terms[i].value);
			printf(", temperature %g\n\n", o.temperature);
			if (isatty(1))
				print_side_by_side(b0.p ? b0.p : "", b0.len, b1.p ? b1.p : "", b1.len);
			else {
				print_block("unsteered", b0.p ? b0.p : "", b0.len);
				print_block("steered", b1.p ? b1.p : "", b1.len);
			}
		}
		buf_free(&b0);
		buf_free(&b1);
	}
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "prompt", jw_strn(o.prompt, plen));
		json_object_set_new(j, "sae", jw_str(ls.dict->name));
		json_object_set_new(j, "mode", jw_str(o.mode == LIVE_CLAMP ? "clamp" : "add"));
		json_object_set_new(j, "temperature", jw_num(o.temperature));
		json_object_set_new(j, "tokens", json_integer(o.tokens));
		json_t *jf = json_array();
		for (int i = 0; i < o.nfeat; i++) {
			json_t *je = json_object();
			char nm[64];
			index_feature_name(ix, tfids[i], nm, sizeof nm);
			json_object_set_new(je, "feature", jw_str(nm));
			json_object_set_new(je, "value", jw_num(terms[i].value));
			json_array_append_new(jf, je);
		}
		json_object_set_new(j, "features", jf);
		json_t *first = json_array_get(jruns, 0);
		json_object_set(j, "unsteered", json_object_get(first, "unsteered"));
		json_object_set(j, "steered", json_object_get(first, "steered"));
		json_object_set_new(j, "runs", jruns);
		jruns = NULL;
		cli_print_json(j);
	}
	rc = FS_EXIT_OK;
out:
	json_decref(jruns);
	free(g0);
	free(g1);
	free(ids);
	free(off);
	free(terms);
	free(tfids);
	for (int g = 1; g < ng; g++)
		live_sae_free(gs[g]);
	free(tdict);
	free(tsae);
	free(gd);
	free(gs);
	free(hooks);
	free(sts);
	free(gterms);
	free(o.features);
	live_session_close(&ls);
	if (ix)
		index_close(ix);
	return rc;
}

/* ------------------------------------------------------------ the entries */

const cmd_entry cmd_attach_entry = {
	.name = "attach",
	.args = "INDEX",
	.opts = attach_opts,
	.run_argv = attach_run,
	.summary = "record the model and dictionaries an index came from (beside it, by hash)",
	.min_args = 1,
	.max_args = 1,
};
const cmd_entry cmd_steer_entry = {
	.name = "steer",
	.args = "INDEX",
	CLI_PICKED(steer_opts),
	.run_argv = steer_run,
	.summary = "generate with features clamped or added, next to the unsteered text",
	.min_args = 1,
	.max_args = 1,
};
