/*
 * tui_labels.c: the user's labels and notes as every screen shows them
 * (see view.h): a feature's notes key, its label (the user's over the
 * automatic one) and text, reading, writing and merging its note, and the
 * index's copy of the user's labels kept in step with the notes.
 */
#include "tui/view.h"
#include "tui/draw.h"
#include "tui/term.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The notes key of a feature: "SAE/N" with the dictionary's name. */
static int tui_note_key(int64_t fid, char *out, size_t len)
{
	fs_feature f;
	if (index_feature(tui.ix, fid, &f) != 0)
		return -1;
	const fs_sae *s = index_sae_by_id(tui.ix, f.sae);
	snprintf(out, len, "%s/%lld", s ? s->name : "?", (long long)f.idx);
	index_feature_free(&f);
	return 0;
}

const char *tui_label_feature(const fs_feature *f, char *buf, size_t len, int *user)
{
	return tui_label_feature_in(tui.cur, f, buf, len, user);
}

const char *tui_label_feature_in(const tui_file *fl, const fs_feature *f, char *buf, size_t len, int *user)
{
	*user = 0;
	if (fl && fl->notes) {
		const fs_sae *s = index_sae_by_id(fl->ix, f->sae);
		char key[160];
		fs_note n;
		memset(&n, 0, sizeof n);
		snprintf(key, sizeof key, "%s/%lld", s ? s->name : "?", (long long)f->idx);
		if (notes_get(fl->notes, key, &n) == 0 && n.label && n.label[0]) {
			snprintf(buf, len, "%s", n.label);
			*user = 1;
		}
		tui_note_free(&n);
		if (*user)
			return buf;
	}
	snprintf(buf, len, "%s", f->label ? f->label : "");
	return buf;
}

const char *tui_feature_text_of(const fs_feature *f, char *buf, size_t len)
{
	return tui_feature_text_in(tui.cur, f, buf, len);
}

const char *tui_feature_text_in(const tui_file *fl, const fs_feature *f, char *buf, size_t len)
{
	char name[64], lab[512];
	int user;
	index_feature_name(fl->ix, f->id, name, sizeof name);
	snprintf(buf, len, "%s %s", name, tui_label_feature_in(fl, f, lab, sizeof lab, &user));
	return buf;
}

const char *tui_feature_text(int64_t fid, char *buf, size_t len)
{
	fs_feature f;
	if (index_feature(tui.ix, fid, &f) != 0)
		return NULL;
	tui_feature_text_of(&f, buf, len);
	index_feature_free(&f);
	return buf;
}

int tui_note_get(int64_t fid, fs_note *out)
{
	memset(out, 0, sizeof *out);
	char key[160];
	if (!tui.notes || tui_note_key(fid, key, sizeof key) < 0)
		return -1;
	int r = notes_get(tui.notes, key, out);
	if (r >= 0 && !out->key)
		out->key = xstrdup(key);
	return r;
}

void tui_user_labels_sync(void)
{
	if (!tui.notes)
		return;
	char **keys = NULL;
	int nk = notes_keys(tui.notes, &keys);
	int n = 0;
	int64_t *fids = xcalloc((size_t)(nk > 0 ? nk : 0) + 1, sizeof *fids);
	char **labels = xcalloc((size_t)(nk > 0 ? nk : 0) + 1, sizeof *labels);
	char **tags = xcalloc((size_t)(nk > 0 ? nk : 0) + 1, sizeof *tags);
	for (int i = 0; i < nk; i++) {
		fs_note note;
		char err[256];
		int64_t fid = index_resolve(tui.ix, keys[i], err, sizeof err);
		if (fid < 0 || notes_get(tui.notes, keys[i], &note) != 0)
			continue;
		if ((note.label && note.label[0]) || (note.tags && note.tags[0])) {
			fids[n] = fid;
			labels[n] = xstrdup(note.label ? note.label : "");
			tags[n] = xstrdup(note.tags ? note.tags : "");
			n++;
		}
		notes_note_free(&note);
	}
	index_set_user_labels(tui.ix, n, fids, (const char *const *)labels, (const char *const *)tags);
	notes_strv_free(labels, n);
	notes_strv_free(tags, n);
	free(fids);
	notes_strv_free(keys, nk > 0 ? nk : 0);
}

int tui_note_put(const fs_note *n)
{
	if (!tui.notes)
		return -1;
	int r = notes_put(tui.notes, n);
	if (r == 0)
		tui_user_labels_sync();
	return r;
}

int tui_note_merge(const fs_note *base, const fs_note *mine, fs_note *stored)
{
	if (stored)
		memset(stored, 0, sizeof *stored);
	if (!tui.notes)
		return -1;
	int r = notes_merge(tui.notes, base, mine, stored);
	if (r == 0)
		tui_user_labels_sync();
	return r;
}

void tui_note_free(fs_note *n)
{
	notes_note_free(n);
	memset(n, 0, sizeof *n);
}

const char *tui_label(int64_t fid, const char *auto_label, char *buf, size_t len, int *user)
{
	*user = 0;
	if (tui.notes) {
		fs_note n;
		if (tui_note_get(fid, &n) == 0 && n.label && n.label[0]) {
			snprintf(buf, len, "%s", n.label);
			*user = 1;
		}
		tui_note_free(&n);
		if (*user)
			return buf;
	}
	snprintf(buf, len, "%s", auto_label ? auto_label : "");
	return buf;
}
