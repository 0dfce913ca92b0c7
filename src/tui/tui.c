/*
 * tui.c: the full-screen browser's entry point: options, opening the index
 * (or the shipped demo) and the notes, the main loop that turns keys into
 * actions for the top view or the global ones (help, find, the ':' command
 * line, opening screens, notes), and the headless script driver.
 */
#include "cli/cmd.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "core/util.h"
#include "core/format.h"
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* FEATSCOPE_TIMING=FILE: frame timings and memory for bench/tui.sh. */
static struct {
	FILE *f;          /* where the figures go, NULL when off */
	double t0;        /* tui_main entry */
	double first_ms;  /* entry to the first finished frame */
	double *lat;      /* key to finished frame, ms */
	int n, cap;       /* count and capacity */
	long rss_first;   /* VmRSS at the first frame, kB */
	long rss_min, rss_max; /* VmRSS range sampled after the first frame */
	long anon_first, anon_max; /* RssAnon (heap, not the mapped index) */
	int lastkey;      /* the key being timed */
} tt;

/* A field of /proc/self/status in kB, -1 when unknown. */
static long tui_proc_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

static int tui_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void tui_timing_end(void)
{
	if (!tt.f)
		return;
	qsort(tt.lat, (size_t)tt.n, sizeof *tt.lat, tui_cmp_double);
	fprintf(tt.f, "first_frame_ms %.2f\n", tt.first_ms);
	fprintf(tt.f, "keys %d\n", tt.n);
	if (tt.n) {
		fprintf(tt.f, "p50_ms %.3f\n", tt.lat[tt.n / 2]);
		fprintf(tt.f, "p99_ms %.3f\n", tt.lat[(int)(tt.n * 0.99)]);
		fprintf(tt.f, "max_ms %.3f\n", tt.lat[tt.n - 1]);
	}
	fprintf(tt.f, "rss_first_kb %ld\nrss_min_kb %ld\nrss_max_kb %ld\nrss_end_kb %ld\nhwm_kb %ld\n",
		tt.rss_first, tt.rss_min, tt.rss_max, tui_proc_kb("VmRSS"), tui_proc_kb("VmHWM"));
	fprintf(tt.f, "anon_first_kb %ld\nanon_max_kb %ld\nanon_end_kb %ld\n", tt.anon_first, tt.anon_max,
		tui_proc_kb("RssAnon"));
	fclose(tt.f);
	free(tt.lat);
	tt.f = NULL;
}

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
static int64_t tui_selected(void)
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

/* Base64 of s[0, n) (malloc'd), for OSC 52. */
static char *tui_base64(const char *s, size_t n)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*o++ = tb[v >> 18 & 63];
		*o++ = tb[v >> 12 & 63];
		*o++ = i + 1 < n ? tb[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tb[v & 63] : '=';
	}
	*o = 0;
	return out;
}

/* 'Y': the screen's text to copy (a context), else the selected
 * feature's summary; written escaped (core/escape) to a file, and to the
 * terminal's clipboard by OSC 52 when FEATSCOPE_OSC52=1 (off by default:
 * a terminal that honours it lets any program set the clipboard). */
static void tui_copy(const char *arg)
{
	view *v = tui.top;
	char *raw = v && v->ops->copy ? v->ops->copy(v) : NULL;
	if (!raw) {
		int64_t fid = tui_selected();
		fs_feature f;
		if (fid <= 0 || index_feature(tui.ix, fid, &f) != 0) {
			tui_status(TC_ERROR, "nothing to copy here");
			return;
		}
		char name[64], lab[512], dens[32];
		int user;
		index_feature_name(tui.ix, fid, name, sizeof name);
		tui_label_feature(&f, lab, sizeof lab, &user);
		draw_density(f.density, dens, sizeof dens);
		fs_buf b = {0};
		buf_printf(&b, "feature %s: %s\ndensity %s, max activation %.4g, mean %.4g\n", name, lab, dens,
			   f.max_act, f.mean_act);
		fs_example *ex = NULL;
		int nex = index_examples(tui.ix, fid, &ex);
		for (int i = 0; i < nex && i < 3; i++) {
			fs_context c;
			if (index_context(tui.ix, ex[i].ctx, &c) != 0)
				continue;
			buf_printf(&b, "top context %lld (%.4g): %.*s\n", (long long)c.id, ex[i].max_act, c.len, c.text);
			index_context_free(&c);
		}
		index_examples_free(ex, nex > 0 ? nex : 0);
		index_feature_free(&f);
		raw = b.p;
	}
	fs_buf e = {0};
	/* line by line, so each stays a line */
	for (const char *p = raw; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		format_escaped(&e, p, l);
		buf_addc(&e, '\n');
		p += l + (nl ? 1 : 0);
	}
	free(raw);
	char *path = arg ? xstrdup(arg) : prompt_read("copy to file: ", getenv("FEATSCOPE_COPY_FILE") ? getenv("FEATSCOPE_COPY_FILE") : "featscope-copy.txt", NULL, NULL, NULL);
	if (path && *path) {
		FILE *fp = fopen(path, "w");
		if (!fp || fwrite(e.p, 1, e.len, fp) != e.len || fclose(fp) != 0)
			tui_status(TC_ERROR, "copy: cannot write '%s'", path);
		else
			tui_status(TC_STATUS, "copied to %s%s", path, getenv("FEATSCOPE_OSC52") && strcmp(getenv("FEATSCOPE_OSC52"), "1") == 0 ? " and the clipboard (OSC 52)" : "");
	}
	const char *osc = getenv("FEATSCOPE_OSC52");
	if (osc && strcmp(osc, "1") == 0 && e.len) {
		char *b64 = tui_base64(e.p, e.len);
		/* headless (tests): to stderr; else straight to the terminal */
		FILE *out = term_headless() ? stderr : stdout;
		fprintf(out, "\033]52;c;%s\a", b64);
		fflush(out);
		free(b64);
	}
	free(path);
	buf_free(&e);
}

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
static int tui_index_watch(void)
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
static int tui_index_guard(char *msg, size_t msglen)
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

/* The index to open when none is named: the shipped demo. */
static char *tui_demo_path(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			strcpy(slash + 1, "libfs.a");
			if (access(exe, F_OK) == 0)
				return xstrdup(FS_SRCDIR "/data/demo.sqlite");
		}
	}
	return xstrdup(FS_PKGDATADIR "/demo.sqlite");
}

static int tui_usage(void)
{
	fs_warn("usage: %s", TUI_USAGE);
	return FS_EXIT_USAGE;
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
	int no_color = 0;
	/* the indexes in order, and the --notes files in order: the first for
	 * the first index, ... */
	const char **paths = xcalloc((size_t)argc + 1, sizeof *paths);
	const char **notes_paths = xcalloc((size_t)argc + 1, sizeof *notes_paths);
	int npaths = 0, nnotes = 0, rc = FS_EXIT_OK;
	const char *timing = getenv("FEATSCOPE_TIMING");
	tt.t0 = fs_now();
	if (timing && *timing)
		tt.f = fopen(timing, "w");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-color") == 0 || strcmp(argv[i], "--no-colour") == 0)
			no_color = 1;
		else if (strcmp(argv[i], "--notes") == 0 && i + 1 < argc)
			notes_paths[nnotes++] = argv[++i];
		else if (strncmp(argv[i], "--notes=", 8) == 0)
			notes_paths[nnotes++] = argv[i] + 8;
		else if (strcmp(argv[i], "--keymap-man") == 0) {
			keymap_write_man(stdout);
			rc = fflush(stdout) == 0 ? FS_EXIT_OK : FS_EXIT_ERR;
			goto done;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			rc = tui_usage();
			goto done;
		} else
			paths[npaths++] = argv[i];
	}
	if (nnotes > (npaths > 1 ? npaths : 1)) {
		fs_warn("%d --notes files for %d index%s: one --notes a file at most, in the order of the files",
			nnotes, npaths > 1 ? npaths : 1, npaths > 1 ? "es" : "");
		rc = tui_usage();
		goto done;
	}
	char *demo = NULL;
	if (!npaths) {
		demo = tui_demo_path();
		if (access(demo, R_OK) != 0) {
			fs_warn("%s: the demo index is not there (not built or not installed); "
				"name an index: featscope INDEX", demo);
			free(demo);
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
	int dirty = 1;
	double tkey = 0;
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
			if (tt.f) {
				double now = fs_now();
				if (tt.first_ms == 0) {
					tt.first_ms = (now - tt.t0) * 1000;
					tt.rss_first = tt.rss_min = tt.rss_max = tui_proc_kb("VmRSS");
					tt.anon_first = tt.anon_max = tui_proc_kb("RssAnon");
				} else if (tkey > 0) {
					if (tt.n == tt.cap) {
						tt.cap = tt.cap ? tt.cap * 2 : 1024;
						tt.lat = xrealloc(tt.lat, (size_t)tt.cap * sizeof *tt.lat);
					}
					tt.lat[tt.n++] = (now - tkey) * 1000;
					if (tt.lat[tt.n - 1] > 50) {
						char kn[32];
						fprintf(tt.f, "slow_key %s %.1f ms in %s\n",
							keymap_key_name(tt.lastkey, kn, sizeof kn), tt.lat[tt.n - 1],
							tui.top ? tui.top->title : "");
					}
					if (tt.n % 256 == 0) {
						long r = tui_proc_kb("VmRSS");
						if (r < tt.rss_min)
							tt.rss_min = r;
						if (r > tt.rss_max)
							tt.rss_max = r;
						r = tui_proc_kb("RssAnon");
						if (r > tt.anon_max)
							tt.anon_max = r;
					}
				}
				tkey = 0;
			}
		}
		dirty = 0;
		int key;
		if (term_headless()) {
			/* Let background work finish so screens are reproducible
			 * (FEATSCOPE_NOWAIT=1: not, to time keys while it runs). */
			for (int i = 0; i < 3000 && !nowait && tui.top->ops->busy && tui.top->ops->busy(tui.top); i++) {
				if (tui.top->ops->tick)
					tui.top->ops->tick(tui.top);
				struct timespec ts = {0, 10000000};
				nanosleep(&ts, NULL);
			}
			/* A script's keys come with no pause between them, like keys
			 * faster than the idle timeout: only views with background
			 * work get their idle call; FEATSCOPE_IDLE=1 gives every key
			 * the idle call a pause would (list prefetch, autosave). */
			if (tui.top->ops->tick && (idle_ticks || tui.top->ops->busy)) {
				tui.top->ops->tick(tui.top);
				tui_redraw();
			}
		}
		if (tui_index_watch())
			tui_redraw();
		key = term_getkey(100);
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
			if (tui.top->ops->tick && (tui.top->ops->tick(tui.top) & VR_REDRAW))
				dirty = 1;
			continue;
		}
		tui.status[0] = 0;
		tkey = fs_now();
		tt.lastkey = key;
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
	free(paths);
	free(notes_paths);
	return rc;
}
