/*
 * tui_watch.c: the open index files watched under the browser: one
 * replaced or removed (a line on the status line, the one opened is still
 * read), one changed in place (every screen closes and the file is opened
 * again with its notes).
 */
#include "tui/tui_int.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "tui/view.h"
#include "cli/cmd.h"
#include "core/format.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The state of tui_index_watch. */
static struct {
	double last;     /* when it last looked */
	int changed;     /* the current file was replaced or removed */
	char why[64];    /* how */
	fs_index *seen;  /* the index the state is for (tui_main runs again in tests) */
} tw;

/* An index rebuilt (or removed) under the open browser: the browser goes
 * on reading the file it opened (its connection holds it), never a mix,
 * and says so on the status line whenever that is free; the regex probe,
 * which opens the path again, refuses (grep_scan.c). Checked at most once
 * a second (a stat). Returns 1 when the status line was set. (A file
 * changed in place is tui_index_guard's.) */
int tui_index_watch(void)
{
	if (tw.seen != tui.ix) {
		tw.seen = tui.ix;
		tw.changed = 0;
		tw.last = 0;
	}
	double now = fs_now();
	if (!tw.changed && (term_headless() || now - tw.last >= 1.0)) {
		tw.last = now;
		tw.changed = index_file_changed(tui.ix, tw.why, sizeof tw.why) == INDEX_REPLACED;
	}
	if (!tw.changed || tui.status[0])
		return 0;
	tui_status(TC_ERROR, "the index file was %s: showing the one opened; open it again for the new one", tw.why);
	return 1;
}

/* Open file f's index (and its notes) again after it changed in place:
 * 0, or -1 with index_open's message in err when it cannot be (a file
 * still being copied is given a second). */
static int tui_reopen(tui_file *f, char *err, size_t errlen)
{
	if (f->notes)
		notes_close(f->notes);
	f->notes = NULL;
	view_compare_forget(f->ix);
	index_close(f->ix);
	f->ix = NULL;
	for (int i = 0; i < 10 && !f->ix; i++) {
		if (i) {
			struct timespec ts = {0, 100000000};
			nanosleep(&ts, NULL);
		}
		f->ix = index_open(f->path, err, errlen);
	}
	if (!f->ix)
		return -1;
	memset(&tw, 0, sizeof tw); /* the new connection may reuse the old one's address */
	index_read_unmapped(f->ix);
	char e[512] = "";
	f->notes = notes_open_index(f->ix, f->notes_path, e, sizeof e);
	tui_use_file(f);
	tui_user_labels_sync();
	if (e[0])
		tui_status(TC_ERROR, "notes: %s", e);
	return 0;
}

/* An open index overwritten in place (cp over it, truncated): its bytes
 * are no longer those its screens were made from, and reading them could
 * mix two files. Checked (a stat a file) before every key, idle call and
 * frame: every screen closes, the changed files are opened again and the
 * feature list shows the primary file, with a line that says so. 0 when
 * nothing changed, 1 after a reopen, -1 when a file cannot be opened
 * again (msg says so; the browser ends). */
int tui_index_guard(char *msg, size_t msglen)
{
	int n = 0;
	char why[64] = "";
	const char *what = NULL;
	for (int i = 0; i < tui.nfiles; i++)
		if (index_file_changed(tui.files[i].ix, why, sizeof why) == INDEX_MODIFIED) {
			n++;
			what = tui.files[i].path;
		}
	if (!n)
		return 0;
	char shown[64];
	snprintf(shown, sizeof shown, "%s", why);
	while (tui.top) /* their rows, pages and fids are of the old bytes */
		view_pop();
	view_prompt_wait_workers(); /* a closed screen's worker may still read its plan */
	for (int i = 0; i < tui.nfiles; i++) {
		tui_file *f = &tui.files[i];
		char err[512];
		if (index_file_changed(f->ix, why, sizeof why) != INDEX_MODIFIED)
			continue;
		if (tui_reopen(f, err, sizeof err) != 0) {
			snprintf(msg, msglen, "%s: the index file changed while the browser had it open,"
				 " and cannot be opened again: %s", f->path, err);
			return -1;
		}
	}
	tui_use_file(&tui.files[0]);
	view_open_list();
	tui_status(TC_ERROR, "%s: the index file changed (%s): opened again%s", what, shown,
		   n > 1 ? ", with the others that changed" : "");
	return 1;
}
