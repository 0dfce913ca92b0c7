/*
 * cliutil.c: helpers shared by the subcommands (see cliutil.h).
 */
#include "cli/cliutil.h"
#include "core/escape.h"
#include "core/json.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

fs_index *cli_open_index(const char *path)
{
	char err[1024];
	fs_index *ix = index_open(path, err, sizeof err);
	if (!ix)
		fs_warn("%s", err);
	return ix;
}

int64_t cli_resolve(fs_index *ix, const char *name)
{
	char err[512];
	int64_t fid = index_resolve(ix, name, err, sizeof err);
	if (fid >= 0)
		return fid;
	/* state the valid range of the dictionary the name points into */
	const char *slash = strrchr(name, '/');
	const fs_sae *d = NULL;
	if (name[0] == '#') {
		fs_warn("%s (global ids are #1 to #%lld)", err, (long long)index_n_features(ix));
		return -1;
	}
	if (slash) {
		char *sae = xstrndup(name, (size_t)(slash - name));
		d = index_sae_by_name(ix, sae);
		free(sae);
	} else if (index_n_saes(ix) > 0) {
		d = index_sae(ix, 0);
	}
	if (d && d->n_features > 0)
		fs_warn("%s (%s has features 0 to %lld)", err, d->name, (long long)d->n_features - 1);
	else
		fs_warn("%s", err);
	return -1;
}

/* Columns of the line drawn last, so that the next covers it. */
static int bar_cols;

/* Print a line of the bar: \r, the text, spaces over what is left of the
 * line before, and a newline when the line is done. */
static void bar_line(const char *text, int end)
{
	int n = (int)strlen(text);
	fprintf(stderr, "\r%s%*s%s", text, bar_cols > n ? bar_cols - n : 0, "", end ? "\n" : "");
	bar_cols = end ? 0 : n;
	fflush(stderr);
}

static void bar_draw(fs_progress *p, fs_progress_event ev, int64_t done, int64_t total)
{
	double el = fs_now() - p->t0;
	fs_buf b = {0};
	buf_adds(&b, escape_str(p->label));
	if (ev == PROGRESS_BREAK) {
		if (p->shown)
			fputc('\n', stderr);
		bar_cols = 0;
	} else if (ev == PROGRESS_NOTE) {
		bar_line(b.p, 1);
	} else if (ev == PROGRESS_END) {
		if (*p->unit)
			buf_printf(&b, ": %lld %s", (long long)done, p->unit);
		else
			buf_adds(&b, " done");
		if (*p->detail)
			buf_printf(&b, ", %s", escape_str(p->detail));
		buf_printf(&b, " in %.1fs", el);
		bar_line(b.p, 1);
	} else if (!*p->unit) { /* a share of total */
		if (total > 0) {
			double f = (double)done / (double)total;
			buf_printf(&b, " %3.0f%%, %.1fs, %.0fs left", 100 * f, el, f > 0.001 ? el / f - el : 0.0);
		} else {
			buf_adds(&b, " ...");
		}
		if (*p->detail)
			buf_printf(&b, ", %s", escape_str(p->detail));
		bar_line(b.p, 0);
	} else {
		double rate = (double)done / (el + 1e-9);
		if (total > 0)
			buf_printf(&b, ": %lld/%lld %s, %.0f %s/s, %.1fs, %.0fs left", (long long)done, (long long)total,
				   p->unit, rate, p->unit, el, rate > 0 ? (double)(total - done) / rate : 0.0);
		else
			buf_printf(&b, ": %lld %s, %.0f %s/s, %.1fs", (long long)done, p->unit, rate, p->unit, el);
		if (*p->detail)
			buf_printf(&b, ", %s", escape_str(p->detail));
		bar_line(b.p, 0);
	}
	p->shown = ev == PROGRESS_DRAW;
	buf_free(&b);
}

fs_progress *cli_progress(void)
{
	static fs_progress bar = {.draw = bar_draw};
	return &bar;
}

fs_progress *cli_progress_if(int on)
{
	return on ? cli_progress() : NULL;
}

void cli_print_padded(const char *s, int width)
{
	const char *e = escape_str(s);
	fputs(e, stdout);
	for (int c = escape_columns(e); c < width; c++)
		putchar(' ');
}

void cli_print_json(json_t *j)
{
	if (jw_print(stdout, j, JW_PRETTY, 0) != 0)
		fs_warn("writing JSON: out of memory or write error");
}

json_t *cli_list_json(fs_notes *n, const char *name)
{
	char **m;
	int nm = notes_list_members(n, name, &m);
	char *d = notes_list_description(n, name);
	json_t *l = json_object(), *ma = json_array();
	json_object_set_new(l, "name", jw_str(name));
	json_object_set_new(l, "description", jw_str(d));
	for (int k = 0; k < nm; k++)
		json_array_append_new(ma, jw_str(m[k]));
	json_object_set_new(l, "features", ma);
	free(d);
	notes_strv_free(m, nm > 0 ? nm : 0);
	return l;
}

/* The folder dir (dev, ino) holds the file at the real path rp, at any
 * depth: one of rp's ancestors is it. */
static int folder_holds(const struct stat *dir, const char *rp)
{
	char *p = xstrdup(rp);
	int in = 0;
	for (char *slash; !in && (slash = strrchr(p, '/'));) {
		if (slash == p)
			slash[1] = 0; /* the root */
		else
			*slash = 0;
		struct stat st;
		in = stat(p, &st) == 0 && st.st_dev == dir->st_dev && st.st_ino == dir->st_ino;
		if (slash == p)
			break;
	}
	free(p);
	return in;
}

int cli_output_check(const char *cmd, const char *out, const char *const *in, int nin)
{
	struct stat os;
	if (!out || !strcmp(out, "-") || stat(out, &os) != 0 || !S_ISREG(os.st_mode))
		return FS_EXIT_OK; /* a new file replaces nothing; a device is written in place */
	char *rp = realpath(out, NULL);
	int rc = FS_EXIT_OK;
	for (int i = 0; i < nin && rc == FS_EXIT_OK; i++) {
		struct stat is;
		if (!in[i] || stat(in[i], &is) != 0)
			continue;
		if (is.st_dev == os.st_dev && is.st_ino == os.st_ino) {
			fs_warn("%s: -o %s: it is the input %s: writing would replace it (choose another output)",
				cmd, out, in[i]);
			rc = FS_EXIT_USAGE;
		} else if (S_ISDIR(is.st_mode) && rp && folder_holds(&is, rp)) {
			fs_warn("%s: -o %s: it is a file of the input folder %s: writing would replace it"
				" (choose another output)", cmd, out, in[i]);
			rc = FS_EXIT_USAGE;
		}
	}
	free(rp);
	return rc;
}
