/*
 * tui.c: the full-screen browser's main loop: opening the index (or the
 * shipped demo) and the notes, then turning keys into actions for the top
 * view or the global ones (help, find, the ':' command line, opening
 * screens, notes), and the headless script driver. Its options are
 * tui_opts.c's, timings tui_timing.c's, copying tui_clip.c's, watching
 * the open files tui_watch.c's (tui_int.h).
 */
#include "cli/cmd.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "core/util.h"
#include "core/format.h"
#include "tui/tui_int.h"
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ':' commands beyond the action names. */
static const char *tui_extra_cmds[] = {"save-display", "resize", NULL};

static int tui_complete(const char *prefix, const char **out, int max, void *ctx)
{
	(void)ctx;
	size_t n = strlen(prefix);
	int k = 0;
	for (int a = 1; a < ACT_COUNT; a++) {
		const char *name = keymap_name(a);
		int dup = 0;
		for (int j = 0; j < k; j++)
			dup |= strcmp(out[j], name) == 0;
		if (!dup && strncmp(name, prefix, n) == 0 && k < max)
			out[k++] = name;
	}
	for (int i = 0; tui_extra_cmds[i]; i++)
		if (strncmp(tui_extra_cmds[i], prefix, n) == 0 && k < max)
			out[k++] = tui_extra_cmds[i];
	return k;
}

/* The feature the user is pointing at: the top view's selection. */
int64_t tui_selected(void)
{
	view *v = tui.top;
	return v && v->ops->selected ? v->ops->selected(v) : 0;
}

/* Ask for a line on the status line; NULL when cancelled or empty. */
static char *tui_ask(const char *label, const char *init)
{
	char *s = prompt_read(label, init, NULL, NULL, NULL);
	if (s && !*s) {
		free(s);
		return NULL;
	}
	return s;
}

/* Change one field of the selected feature's note through notes_put. */
static void tui_note_field(int act)
{
	int64_t fid = tui_selected();
	if (fid <= 0) {
		tui_status(TC_ERROR, "no feature selected");
		return;
	}
	fs_note n, base;
	if (tui_note_get(fid, &n) < 0) {
		tui_status(TC_ERROR, "notes are not available%s", tui.notes ? "" : " (no notes database)");
		return;
	}
	/* the note as read: the save writes only the field changed here */
	tui_note_get(fid, &base);
	char *val = NULL;
	if (act == ACT_EDIT_LABEL) {
		val = prompt_read("your label: ", n.label, NULL, NULL, NULL);
		if (val) {
			free(n.label);
			n.label = val;
		}
	} else if (act == ACT_EDIT_TAGS) {
		val = prompt_read("tags: ", n.tags, NULL, NULL, NULL);
		const char *why;
		char *bad = val ? notes_tags_bad(val, &why) : NULL;
		if (bad) {
			tui_status(TC_ERROR, "not saved: '%s' is not a tag: %s", bad, why);
			free(bad);
			free(val);
			val = NULL;
		}
		if (val) {
			free(n.tags);
			n.tags = val;
		}
	} else {
		n.bookmark = !n.bookmark;
		val = n.key;
	}
	if (val) {
		int rc = tui_note_merge(&base, &n, NULL);
		if (rc < 0)
			tui_status(TC_ERROR, "could not save the note");
		else if (rc == 1)
			tui_status(TC_ERROR, "%s: changed elsewhere while you edited it: not saved (try again)", n.key);
		else if (act == ACT_BOOKMARK)
			tui_status(TC_STATUS, "%s %s", n.key, n.bookmark ? "bookmarked" : "bookmark removed");
		else
			tui_status(TC_STATUS, "%s saved", n.key);
	}
	tui_note_free(&n);
	tui_note_free(&base);
}

static void tui_action(int act, const char *arg);

/* List names for completion at the list-add prompt. */
/* The user's list names, read for one '+' prompt's completion and freed
 * when the prompt ends. */
static char **tui_lists;
static int tui_nlists;

static int tui_complete_list(const char *prefix, const char **out, int max, void *ctx)
{
	(void)ctx;
	if (!tui_lists && tui.notes)
		tui_nlists = notes_list_names(tui.notes, &tui_lists);
	int k = 0;
	for (int i = 0; i < tui_nlists && k < max; i++)
		if (strncmp(tui_lists[i], prefix, strlen(prefix)) == 0)
			out[k++] = tui_lists[i];
	return k;
}

/* '+': the selected feature into a list of the user's (made when new). */
static void tui_list_add(const char *arg)
{
	int64_t fid = tui_selected();
	char key[160];
	if (fid <= 0 || notes_feature_key(tui.ix, fid, key, sizeof key) != 0) {
		tui_status(TC_ERROR, "no feature selected");
		return;
	}
	if (!tui.notes) {
		tui_status(TC_ERROR, "notes are not available (no notes database)");
		return;
	}
	char *name = arg ? xstrdup(arg) : prompt_read("add to list: ", "", tui_complete_list, NULL, NULL);
	notes_strv_free(tui_lists, tui_nlists > 0 ? tui_nlists : 0);
	tui_lists = NULL;
	tui_nlists = 0;
	if (!name || !*name) {
		free(name);
		return;
	}
	if (!notes_list_name_ok(name))
		tui_status(TC_ERROR, "'%s' is no list name: no spaces, commas or control characters", name);
	else if (notes_list_add(tui.notes, name, NULL, key) != 0)
		tui_status(TC_ERROR, "could not add %s to %s: %s", key, name, notes_errmsg(tui.notes));
	else
		tui_status(TC_STATUS, "%s added to list %s", key, name);
	free(name);
}

/* Act on what a view's key handler returned (VR_* flags). */
static void tui_view_result(int r)
{
	if (r & VR_POP) {
		view_pop();
		if (!tui.top)
			tui.quit = 1;
	}
	if (r & VR_QUIT)
		tui.quit = 1;
}

void tui_run(int act)
{
	view *v = tui.top;
	if (v && v->ops->key) {
		int r = v->ops->key(v, act, 0);
		if (r) {
			tui_view_result(r);
			return;
		}
	}
	tui_action(act, NULL);
}

/* Run a ':' command line. */
static void tui_command(const char *line)
{
	char name[64];
	int n = 0;
	while (*line == ' ')
		line++;
	while (line[n] && line[n] != ' ' && n < 63) {
		name[n] = line[n];
		n++;
	}
	name[n] = 0;
	const char *arg = line + n;
	while (*arg == ' ')
		arg++;
	if (!name[0])
		return;
	if (strcmp(name, "save-display") == 0) {
		if (!*arg || term_save_display(arg) != 0)
			tui_status(TC_ERROR, "save-display: cannot write '%s'", arg);
		return;
	}
	if (strcmp(name, "resize") == 0) {
		int c, l;
		if (!term_headless() || sscanf(arg, "%dx%d", &c, &l) != 2 || term_resize(c, l) != 0)
			tui_status(TC_ERROR, "resize: COLSxLINES, in headless mode only");
		else
			tui_resized();
		return;
	}
	int act = keymap_by_name(name);
	if (act == ACT_NONE) {
		/* A number alone: go to that feature. */
		int64_t dummy;
		if (fs_parse_i64(name, &dummy) == 0 || name[0] == '#') {
			tui_goto(name);
			return;
		}
		tui_status(TC_ERROR, "unknown command '%s' (Tab completes)", name);
		return;
	}
	/* Without an argument, the action goes where its key would: the top
	 * view first (":enter" is Enter, ":sort" is o). */
	view *v = tui.top;
	if (!*arg && v && v->ops->key) {
		int r = v->ops->key(v, act, 0);
		if (r) {
			tui_view_result(r);
			return;
		}
	}
	tui_action(act, *arg ? arg : NULL);
}

static void tui_find(int dir)
{
	if (!tui.find[0]) {
		tui_status(TC_ERROR, "no find text yet: press /");
		return;
	}
	if (!view_find(tui.top, tui.find, dir))
		tui_status(TC_ERROR, "'%s' not found", tui.find);
}

static void tui_action(int act, const char *arg)
{
	view *v = tui.top;
	if (v && v->ops->command && arg) {
		int r = v->ops->command(v, act, arg);
		if (r)
			return;
	}
	if (v && view_move(v, act))
		return;
	char *s;
	int64_t fid;
	switch (act) {
	case ACT_BACK:
		view_pop();
		if (!tui.top)
			tui.quit = 1;
		break;
	case ACT_QUIT:
		tui.quit = 1;
		break;
	case ACT_HELP:
		view_open_help(v ? v->ops->kind : VIEW_GLOBAL);
		break;
	case ACT_FIND:
		s = arg ? xstrdup(arg) : tui_ask("/", "");
		if (s) {
			snprintf(tui.find, sizeof tui.find, "%s", s);
			free(s);
			tui_find(1);
		}
		break;
	case ACT_FIND_NEXT: tui_find(1); break;
	case ACT_FIND_PREV: tui_find(-1); break;
	case ACT_COMMAND:
		s = prompt_read(":", "", tui_complete, NULL, NULL);
		if (s) {
			tui_redraw(); /* the screen as it is without the prompt */
			tui_command(s);
			free(s);
		}
		break;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		break;
	case ACT_CANCEL:
		tui.status[0] = 0;
		break;
	case ACT_ENTER:
		/* Every screen's Enter on a feature, unless the screen took the
		 * key for something else (view.h). */
		fid = tui_selected();
		if (fid > 0)
			view_open_feature(fid);
		break;
	case ACT_GOTO:
		s = arg ? xstrdup(arg) : tui_ask(tui.nfiles > 1 ? "feature (N, SAE/N, #FID, FILE:SAE/N): " : "feature (N, SAE/N, #FID): ", "");
		if (s) {
			tui_goto(s);
			free(s);
		}
		break;
	case ACT_GOTO_CONTEXT:
		s = arg ? xstrdup(arg) : tui_ask("context id: ", "");
		if (s) {
			char *end;
			long long id = strtoll(s, &end, 10);
			if (end == s || *end || id < 1)
				tui_status(TC_ERROR, "context: '%s' is not a context id (a number >= 1)", s);
			else
				view_open_context(id);
			free(s);
		}
		break;
	case ACT_FEATURES:
		view_open_list();
		break;
	case ACT_CLUSTERS:
		/* from a feature (its page, a ranking, ...): open at its node;
		 * from the list, at the roots */
		view_open_clusters(0, tui.top && tui.top->ops->kind != VIEW_LIST ? tui_selected() : 0);
		break;
	case ACT_SEARCH:
		s = arg ? xstrdup(arg) : tui_ask("search: ", "");
		if (s) {
			view_open_search(s);
			free(s);
		}
		break;
	case ACT_REGEX:
		s = arg ? xstrdup(arg) : tui_ask("regex: ", "");
		if (s) {
			view_open_regex(s);
			free(s);
		}
		break;
	case ACT_MAP:
		view_open_map(0, tui_selected());
		break;
	case ACT_NEIGHBOURS:
	case ACT_EDIT_NOTE:
		fid = tui_selected();
		if (fid <= 0)
			tui_status(TC_ERROR, "no feature selected");
		else if (act == ACT_NEIGHBOURS)
			view_open_neighbours(fid);
		else if (!tui.notes)
			tui_status(TC_ERROR, "notes are not available");
		else
			view_open_note(fid);
		break;
	case ACT_COMPARE:
	case ACT_FAMILY: {
		fs_feature f;
		fid = tui_selected();
		int sae = index_n_saes(tui.ix) > 0 ? index_sae(tui.ix, 0)->id : 0;
		if (fid > 0 && index_feature(tui.ix, fid, &f) == 0) {
			sae = f.sae;
			index_feature_free(&f);
		}
		if (act == ACT_COMPARE && arg) {
			/* ":compare [FILE:]SAE": with that dictionary (of any open file) */
			tui_file *fb;
			const char *name = tui_file_ref(arg, &fb);
			const fs_sae *b = index_sae_by_name(fb->ix, name);
			if (!b)
				tui_status(TC_ERROR, "compare: no dictionary '%s' (:compare [FILE:]SAE)", arg);
			else
				view_open_compare(sae, fb, b->id);
		} else if (act == ACT_COMPARE)
			view_open_compare(sae, NULL, 0);
		else if (fid <= 0)
			tui_status(TC_ERROR, "no feature selected");
		else
			view_open_family(fid);
		break;
	}
	case ACT_EDIT_LABEL:
	case ACT_EDIT_TAGS:
	case ACT_BOOKMARK:
		tui_note_field(act);
		break;
	case ACT_MINE:
		view_open_mine();
		break;
	case ACT_LIST_ADD:
		tui_list_add(arg);
		break;
	case ACT_COPY:
		tui_copy(arg);
		break;
	case ACT_ANALYZE:
		view_open_prompt(tui_selected() > 0 ? tui_selected() : 0, arg);
		break;
	case ACT_STEER:
		view_open_steer(tui_selected() > 0 ? tui_selected() : 0);
		break;
	case ACT_GRAPH:
		s = arg ? xstrdup(arg) : tui_ask("graph file: ", "");
		if (s) {
			view_open_graph(s);
			free(s);
		}
		break;
	case ACT_NONE:
		break;
	default:
		tui_status(TC_ERROR, "%s: not available here", keymap_name(act));
		break;
	}
}

/* One key from the keyboard or the script. */
static void tui_key(int key)
{
	view *v = tui.top;
	if (key == KM_FKEY(KEY_RESIZE)) {
		tui_resized();
		return;
	}
	if (COLS < TERM_MIN_COLS || LINES < TERM_MIN_LINES) {
		if (key == 'Q' || key == 'q')
			tui.quit = 1;
		else if (key == ':')
			tui_action(ACT_COMMAND, NULL);
		return;
	}
	if (key == KM_FKEY(KEY_MOUSE)) {
		int my, mx, kind;
		term_mouse(&my, &mx, &kind);
		if (kind == TERM_WHEEL_UP || kind == TERM_WHEEL_DOWN) {
			for (int i = 0; i < 3; i++)
				if (!(v->ops->key && v->ops->key(v, kind == TERM_WHEEL_UP ? ACT_UP : ACT_DOWN, 0)))
					view_move(v, kind == TERM_WHEEL_UP ? ACT_UP : ACT_DOWN);
		} else if (kind == TERM_CLICK || kind == TERM_DOUBLE_CLICK) {
			if (v->ops->click && v->ops->click(v, my, mx, kind == TERM_DOUBLE_CLICK))
				return;
			if (my >= v->y && my < v->y + v->h && v->nrows > 0) {
				int64_t row = v->top + (my - v->y);
				if (row < v->nrows) {
					int same = row == v->cur;
					v->cur = row;
					view_clamp(v);
					if (same || kind == TERM_DOUBLE_CLICK)
						tui_key('\n');
				}
			}
		}
		return;
	}
	int act = keymap_lookup(view_scope(v), key);
	if (v->ops->key) {
		int r = v->ops->key(v, act, key);
		if (r) {
			tui_view_result(r);
			return;
		}
	}
	if (act == ACT_NONE) {
		char kn[32];
		tui_status(TC_ERROR, "%s: no action (press ? for help)", keymap_key_name(key, kn, sizeof kn));
		return;
	}
	tui_action(act, NULL);
}

/* Close the files opened so far. */
static void tui_close_files(void)
{
	for (int i = 0; i < tui.nfiles; i++) {
		if (tui.files[i].notes)
			notes_close(tui.files[i].notes);
		index_close(tui.files[i].ix);
	}
	free(tui.files);
	tui.files = NULL;
	tui.nfiles = 0;
	tui.cur = NULL;
	tui.ix = NULL;
	tui.notes = NULL;
}

int tui_main(int argc, char **argv)
{
	const char **paths = xcalloc((size_t)argc + 1, sizeof *paths);
	const char **notes_paths = xcalloc((size_t)argc + 1, sizeof *notes_paths);
	tui_timing_start();
	const char **saes = xcalloc((size_t)argc + 1, sizeof *saes);
	tui_opts o = {0, paths, 0, notes_paths, 0, saes, 0};
	int rc = tui_opts_parse(argc, argv, &o);
	if (rc >= 0)
		goto done;
	rc = FS_EXIT_OK;
	int no_color = o.no_color, npaths = o.npaths, nnotes = o.nnotes;
	char *demo = NULL;
	/* graph files (FILE.json) open the graph screen; the indexes given
	 * with them are opened for the feature pages */
	const char **graphs = xcalloc((size_t)argc + 1, sizeof *graphs);
	int ngraphs = 0, nix = 0;
	for (int i = 0; i < npaths; i++) {
		if (tui_is_graph_path(paths[i]))
			graphs[ngraphs++] = paths[i];
		else
			paths[nix++] = paths[i];
	}
	npaths = nix;
	view_graph_set_saes(o.saes, o.nsaes);
	for (int i = 0; i < ngraphs; i++) {
		char gerr[1024];
		/* the last one is loaded now and shown first; the others are
		 * checked now and loaded again when opened */
		if (view_graph_load(graphs[i], gerr, sizeof gerr) != 0) {
			fs_warn("%s", gerr);
			free(graphs);
			rc = FS_EXIT_USAGE;
			goto done;
		}
	}
	if (!npaths) {
		demo = tui_demo_path();
		if (access(demo, R_OK) != 0) {
			fs_warn("%s: the demo index is not there (not built or not installed); "
				"name an index: featscope INDEX", demo);
			free(demo);
			free(graphs);
			rc = FS_EXIT_ERR;
			goto done;
		}
		paths[npaths++] = demo;
	}
	/* every file opened, and checked, before the screen is */
	char err[512], nerr[512] = "";
	tui.files = xcalloc((size_t)npaths, sizeof *tui.files);
	for (int i = 0; i < npaths; i++) {
		tui_file *f = &tui.files[i];
		f->path = paths[i];
		f->notes_path = i < nnotes ? notes_paths[i] : NULL;
		f->ix = index_open(paths[i], err, sizeof err);
		if (!f->ix) {
			fs_warn("%s", err);
			tui_close_files();
			free(demo);
			free(graphs);
			rc = FS_EXIT_USAGE;
			goto done;
		}
		/* read(), not a map: a file truncated under the browser gives
		 * errors, never SIGBUS (tui_index_guard opens it again) */
		index_read_unmapped(f->ix);
		tui.nfiles++;
		/* FILE:SAE names it by its last part, unless another file's is the same */
		const char *base = strrchr(f->path, '/');
		snprintf(f->name, sizeof f->name, "%s", base ? base + 1 : f->path);
		for (int j = 0; j < i; j++)
			if (!strcmp(tui.files[j].name, f->name) || !strcmp(tui.files[j].path, f->name)) {
				snprintf(f->name, sizeof f->name, "%s", f->path);
				snprintf(tui.files[j].name, sizeof tui.files[j].name, "%s", tui.files[j].path);
			}
	}
	for (int i = 0; i < npaths; i++) {
		char e[512] = "";
		tui_file *f = &tui.files[i];
		f->notes = notes_open_index(f->ix, f->notes_path, e, sizeof e);
		if (e[0] && !nerr[0]) {
			if (npaths > 1)
				snprintf(nerr, sizeof nerr, "%s: %s", f->name, e);
			else
				snprintf(nerr, sizeof nerr, "%s", e);
		}
	}
	if (term_init(no_color, err, sizeof err) != 0) {
		fs_warn("%s", err);
		tui_close_files();
		free(demo);
		free(graphs);
		rc = FS_EXIT_ERR;
		goto done;
	}
	if (nerr[0])
		tui_status(TC_ERROR, "notes: %s", nerr);
	for (int i = npaths - 1; i >= 0; i--) {
		tui_use_file(&tui.files[i]);
		tui_user_labels_sync();
	}
	view_open_list();
	for (int i = 0; i < ngraphs; i++)
		view_open_graph(graphs[i]);
	free(graphs);
	int dirty = 1;
	const char *idle_env = getenv("FEATSCOPE_IDLE");
	int idle_ticks = idle_env && strcmp(idle_env, "1") == 0;
	const char *nowait_env = getenv("FEATSCOPE_NOWAIT");
	int nowait = nowait_env && strcmp(nowait_env, "1") == 0;
	char gone[1024] = ""; /* a file changed in place that cannot be opened again */
	while (!tui.quit && tui.top) {
		int g = tui_index_guard(gone, sizeof gone);
		if (g < 0)
			break;
		if (g > 0)
			dirty = 1;
		if (dirty) {
			tui_redraw();
			tui_timing_frame();
		}
		dirty = 0;
		int key;
		if (term_headless()) {
			/* Let background work finish so screens are reproducible
			 * (FEATSCOPE_NOWAIT=1: not, to time keys while it runs). */
			int ticked = 0;
			for (int i = 0; i < 3000 && !nowait && tui.top->ops->busy && tui.top->ops->busy(tui.top); i++) {
				tui_timed_tick(tui.top);
				ticked = 1;
				struct timespec ts = {0, 10000000};
				nanosleep(&ts, NULL);
			}
			/* A script's keys come with no pause between them, like keys
			 * faster than the idle timeout: only views with background
			 * work get their idle call (a stepped one only while the
			 * work is under way: the list's idle call otherwise
			 * prefetches); FEATSCOPE_IDLE=1 gives every key the idle
			 * call a pause would (list prefetch, autosave). */
			const view_ops *top = tui.top->ops;
			if (top->tick && (idle_ticks || (top->busy && (!top->stepped || top->busy(tui.top))))) {
				tui_timed_tick(tui.top);
				ticked = 1;
			}
			if (ticked)
				tui_redraw();
		}
		if (tui_index_watch())
			tui_redraw();
		/* a screen whose tick does its work in steps gets the next one
		 * as soon as no key is waiting; otherwise an idle call every
		 * 100 ms (threads' progress, autosave) */
		key = term_getkey(tui.top->ops->stepped && tui.top->ops->busy && tui.top->ops->busy(tui.top) ? 1 : 100);
		if (key == -2)
			break;
		/* the file may have changed while the key was awaited: the key
		 * was meant for screens that are gone then */
		g = tui_index_guard(gone, sizeof gone);
		if (g < 0)
			break;
		if (g > 0) {
			dirty = 1;
			continue;
		}
		if (key == -1) {
			if (tui_timed_tick(tui.top) & VR_REDRAW)
				dirty = 1;
			continue;
		}
		tui.status[0] = 0;
		tui_timing_key(key);
		tui_key(key);
		dirty = 1;
	}
	while (tui.top)
		view_pop();
	term_end();
	tui_timing_end();
	tui_close_files();
	free(demo);
	if (gone[0]) {
		fs_warn("%s", gone);
		rc = FS_EXIT_ERR;
	}
done:
	view_graph_set_saes(NULL, 0);
	free(saes);
	free(paths);
	free(notes_paths);
	return rc;
}
