/*
 * cli_merge.c: `featscope merge -o OUT.sqlite SHARD.sqlite...`: the shards
 * of one harvest (harvest --shard I/N on as many machines) joined into the
 * index one harvest of the whole text writes (build/merge.c says why it is
 * the same). The shards are checked first (all of 0..N-1, one model, one
 * set of dictionaries and settings: one line naming what differs); the
 * dictionaries' weights are found as the live commands find them (the
 * first shard's live_files rows, in its folder, checked by their XXH3-64)
 * for the geometry, which is computed once, at the end; OUT is written to
 * a temporary file and renamed into place, so a failure leaves nothing.
 */
#include "build/build.h"
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/util.h"
#include "index/index.h"
#include "live/live.h"
#include "live/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* merge's options, one row each (CLI_OPTIONS). */
#define MERGE_OPTS(X) \
	X(M_OUT, "output", 'o', OPT_STR, "FILE", 0, 0, "index to write (built in a temporary file, renamed at the end)") \
	X(M_PROGRESS, "progress", 0, OPT_FLAG, NULL, 0, 0, "progress on stderr (default when it is a terminal)") \
	X(M_NOPROGRESS, "no-progress", 0, OPT_FLAG, NULL, 0, 0, "no progress")
CLI_OPTIONS(merge_opts, MERGE_OPTS);

/* A shard's setting (harvest.* meta, checked equal in every shard). */
static int setting(fs_index *ix, const char *key, int *v)
{
	const char *s = index_meta(ix, key);
	long long n;
	int used = 0;
	if (!s || sscanf(s, "%lld%n", &n, &used) != 1 || s[used] || n < 0 || n > 1000000)
		return fs_seterr(NULL, 0, "bad");
	*v = (int)n;
	return 0;
}

static int merge_run(const cmd_entry *e, const cli_args *a)
{
	const char *out = cli_str(a, M_OUT, NULL);
	int show = a->set[M_PROGRESS] ? 1 : a->set[M_NOPROGRESS] ? 0 : fs_stderr_tty();
	if (!out)
		return cli_usage_error(e, "needs -o OUT.sqlite and the shards");
	int n = a->npos;
	if (cli_output_check(e->name, out, a->pos, n) != FS_EXIT_OK)
		return FS_EXIT_USAGE;
	char err[2048];
	int rc = FS_EXIT_USAGE, nrows = 0, N = 0, nd = 0;
	fs_index **ix = xcalloc((size_t)n, sizeof *ix);
	fs_live_file *rows = NULL, *orows = NULL;
	live_sae **saes = NULL;
	char **wpath = NULL, *dir = NULL;
	build_merge_src *m = NULL;
	fs_writer *w = NULL;
	double t0 = fs_now();
	for (int i = 0; i < n; i++)
		if (!(ix[i] = cli_open_index(a->pos[i])))
			goto out;
	m = build_merge_open(ix, a->pos, n);
	if (build_merge_check(m, &N, err, sizeof err) != 0) {
		fs_warn("%s", err);
		goto out;
	}
	int top_k, nint, perint, knn;
	const char *bad = setting(ix[0], "harvest.top_k", &top_k) ? "harvest.top_k"
			  : setting(ix[0], "harvest.intervals", &nint) ? "harvest.intervals"
			  : setting(ix[0], "harvest.per_interval", &perint) ? "harvest.per_interval"
			  : setting(ix[0], "harvest.neighbours", &knn) ? "harvest.neighbours" : NULL;
	if (bad) {
		fs_warn("%s: %s: missing or not a number", a->pos[0], bad);
		goto out;
	}
	/* the weights, as the live commands find them, checked by hash; they
	 * must lie in OUT's folder too (the merged index carries them) */
	nrows = index_live_files(ix[0], &rows, err, sizeof err);
	if (nrows <= 0) {
		fs_warn("%s: live_files: %s", a->pos[0], nrows < 0 ? err : "no model (not made by harvest)");
		goto out;
	}
	nd = index_n_saes(ix[0]);
	dir = live_dir_of(a->pos[0]);
	wpath = xcalloc((size_t)nrows, sizeof *wpath);
	saes = xcalloc((size_t)nd, sizeof *saes);
	orows = xcalloc((size_t)nrows, sizeof *orows);
	for (int i = 0; i < nrows; i++) {
		if (live_file_verify(dir, &rows[i], &wpath[i], err, sizeof err) != 0 ||
		    live_file_place(out, wpath[i], NULL, err, sizeof err) != 0) {
			fs_warn("%s", err);
			goto out;
		}
		for (int d = 0; d < nd; d++)
			if (!strcmp(rows[i].role, "sae") && !strcmp(rows[i].name, index_sae(ix[0], d)->name) &&
			    !saes[d] && !(saes[d] = live_sae_load(wpath[i], err, sizeof err))) {
				fs_warn("%s", err);
				goto out;
			}
	}
	for (int d = 0; d < nd; d++)
		if (!saes[d]) {
			fs_warn("%s: live_files: no weights for dictionary %s", a->pos[0], index_sae(ix[0], d)->name);
			goto out;
		}
	rc = FS_EXIT_ERR;
	w = index_writer_create(out, err, sizeof err);
	if (!w) {
		fs_warn("%s", err);
		rc = FS_EXIT_USAGE;
		goto out;
	}
	int64_t tokens = 0;
	for (int s = 0; s < n; s++)
		tokens += index_n_tokens(ix[s]);
	for (int d = 0; d < nd; d++) {
		const fs_sae *sa = index_sae(ix[0], d);
		fs_build_opts o;
		build_opts_init(&o);
		o.into = w;
		o.out = out;
		o.sae_name = sa->name;
		o.model = sa->model;
		o.hook = sa->hook;
		o.layer = sa->layer;
		o.n_features = sa->n_features;
		o.decoder_rows = saes[d]->w_dec;
		o.decoder_n = saes[d]->n_feat;
		o.decoder_d = saes[d]->d_in;
		o.top_k = top_k;
		o.n_intervals = nint;
		o.per_interval = perint;
		o.knn_k = knn;
		o.progress = cli_progress_if(show);
		o.merge = m;
		if (saes[d]->n_feat != sa->n_features) {
			fs_warn("%s: %s: %d features, the shards have %lld", a->pos[0], sa->name, saes[d]->n_feat,
				(long long)sa->n_features);
			rc = FS_EXIT_USAGE;
			goto out;
		}
		build_merge_dict(m, sa->name);
		if (build_run(&o, NULL, 0, err, sizeof err) != 0) {
			fs_warn("%s", err);
			rc = build_failed_on_io() ? FS_EXIT_ERR : FS_EXIT_USAGE;
			goto out;
		}
		if (d > 0) /* every dictionary saw the same tokens: count them once */
			index_writer_count_tokens(w, -tokens);
		const char *kinds[] = {"path", "hash", "hook"};
		for (int k = 0; k < 3; k++) {
			char key[512];
			snprintf(key, sizeof key, "live.sae.%s.%s", sa->name, kinds[k]);
			const char *v = index_meta(ix[0], key);
			if (v)
				index_writer_set_meta(w, key, v);
		}
	}
	const char *keys[] = {"live.model.path", "live.model.hash", "live.model.arch", "live.harvest.ctx"};
	for (int k = 0; k < 4; k++)
		if (index_meta(ix[0], keys[k]))
			index_writer_set_meta(w, keys[k], index_meta(ix[0], keys[k]));
	int frc = index_writer_finish(w, err, sizeof err);
	w = NULL;
	if (frc != 0) {
		fs_warn("%s", err);
		goto out;
	}
	/* live_files: the same files, named from OUT's folder */
	for (int i = 0; i < nrows; i++)
		if (live_file_row(out, wpath[i], rows[i].role, rows[i].name, rows[i].hook, &orows[i], err, sizeof err) !=
		    0) {
			fs_warn("%s", err);
			unlink(out);
			goto out;
		}
	if (index_attach(out, orows, nrows, err, sizeof err) != 0) {
		fs_warn("%s", err);
		unlink(out); /* nothing half-written */
		goto out;
	}
	if (show)
		fprintf(stderr, "merge: %s: %d shards, %lld tokens, %.1fs\n", out, N, (long long)tokens, fs_now() - t0);
	rc = FS_EXIT_OK;
out:
	if (w)
		index_writer_abort(w);
	build_merge_close(m);
	for (int i = 0; i < n; i++)
		if (ix[i])
			index_close(ix[i]);
	free(ix);
	for (int d = 0; d < nd; d++)
		live_sae_free(saes[d]);
	free(saes);
	for (int i = 0; i < nrows; i++)
		free(wpath ? wpath[i] : NULL);
	free(wpath);
	free(dir);
	if (nrows > 0) {
		index_live_files_free(rows, nrows);
		index_live_files_free(orows, nrows);
	}
	return rc;
}

const cmd_entry cmd_merge_entry = {
	.name = "merge", .args = "-o OUT.sqlite SHARD.sqlite...", .opts = merge_opts, .run = merge_run,
	.summary = "join the shards of a harvest (harvest --shard I/N) into one index",
	.min_args = 1, .max_args = -1,
};
