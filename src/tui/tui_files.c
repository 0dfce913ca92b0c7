/*
 * tui_files.c: the files open in the browser (see view.h, tui_file): the
 * current one, a file named by FILE:SAE, a dictionary's name across files,
 * the dictionary switcher that steps through every file's dictionaries,
 * and '#': going to a feature named with its file.
 */
#include "tui/view.h"
#include "tui/draw.h"
#include "tui/term.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tui_use_file(tui_file *f)
{
	if (!f)
		return;
	tui.cur = f;
	tui.ix = f->ix;
	tui.notes = f->notes;
}

void view_set_file(view *v, tui_file *f)
{
	v->file = f;
	if (v == tui.top)
		tui_use_file(f);
}

tui_file *tui_file_find(const char *name, size_t len)
{
	for (int i = 0; i < tui.nfiles; i++) {
		tui_file *f = &tui.files[i];
		const char *base = strrchr(f->path, '/');
		base = base ? base + 1 : f->path;
		const char *dot = strrchr(base, '.');
		size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
		if ((strlen(f->name) == len && !strncmp(f->name, name, len)) ||
		    (strlen(f->path) == len && !strncmp(f->path, name, len)) ||
		    (strlen(base) == len && !strncmp(base, name, len)) || (stem == len && !strncmp(base, name, len)))
			return f;
	}
	return NULL;
}

const char *tui_file_ref(const char *ref, tui_file **f)
{
	*f = tui.cur;
	/* the longest FILE: prefix that names a file (a path may hold ':') */
	for (const char *c = ref + strlen(ref); c > ref; c--) {
		if (c[-1] != ':')
			continue;
		tui_file *g = tui_file_find(ref, (size_t)(c - 1 - ref));
		if (g) {
			*f = g;
			return c;
		}
	}
	return ref;
}

const char *tui_sae_name(const tui_file *f, const char *sae, char *buf, size_t len)
{
	if (tui.nfiles > 1 && f)
		snprintf(buf, len, "%s:%s", f->name, sae);
	else
		snprintf(buf, len, "%s", sae);
	return buf;
}

int tui_next_dict(tui_file **f, int *sae, int with_all)
{
	/* the switcher's entries in order: (file, dictionary id or 0 for all) */
	int n = 0, at = -1;
	for (int i = 0; i < tui.nfiles; i++) {
		int k = index_n_saes(tui.files[i].ix);
		for (int j = 0; j <= k; j++) {
			int id = j < k ? index_sae(tui.files[i].ix, j)->id : 0;
			if (j == k && (!with_all || k < 2))
				continue;
			if (&tui.files[i] == *f && id == *sae)
				at = n;
			n++;
		}
	}
	int want = n ? (at + 1) % n : 0;
	for (int i = 0, e = 0; i < tui.nfiles; i++) {
		int k = index_n_saes(tui.files[i].ix);
		for (int j = 0; j <= k; j++) {
			int id = j < k ? index_sae(tui.files[i].ix, j)->id : 0;
			if (j == k && (!with_all || k < 2))
				continue;
			if (e++ == want) {
				*f = &tui.files[i];
				*sae = id;
				return n;
			}
		}
	}
	return n;
}

int tui_goto(const char *name)
{
	char err[256];
	while (*name == ' ')
		name++;
	if (*name == '#' && strchr(name, ':'))
		name++; /* "#FILE:SAE/N", as the '#' key's prompt reads */
	tui_file *f;
	const char *rest = tui_file_ref(name, &f);
	int64_t fid = index_resolve(f->ix, rest, err, sizeof err);
	if (fid < 0) {
		tui_status(TC_ERROR, "%s", err);
		return -1;
	}
	tui_use_file(f);
	view_open_feature(fid);
	return 0;
}
