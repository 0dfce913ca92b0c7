/*
 * view.h: the browser's view stack and what every screen shares. A view is
 * a struct view with a table of operations (draw, key, ...), in the manner
 * of tig's view_ops; Enter pushes a view, q pops it, Q quits. Views that
 * are lists keep their cursor in nrows/cur/top and get movement, find and
 * mouse from here. Each screen lives in its own view_*.c and reads the
 * index only through index.h (and notes through the tui_note_* helpers).
 */
#ifndef FS_VIEW_H
#define FS_VIEW_H

#include "index/index.h"
#include "notes/notes.h"

#include <stdint.h>

typedef struct view view;

/* Results of a view's handlers, or-ed. 0 means "not handled". */
enum { VR_HANDLED = 1, VR_REDRAW = 2, VR_POP = 4, VR_QUIT = 8 };

/* What a screen implements (NULL members are optional). */
typedef struct {
	const char *name;                  /* keymap scope and help section */
	void (*draw)(view *v);             /* draw the body rows y..y+h-1 */
	int (*key)(view *v, int act, int key);  /* an action/key; VR_* flags */
	/* Text of one row for '/' find (list views); buf is scratch. */
	const char *(*row_text)(view *v, int64_t row, char *buf, size_t len);
	int (*click)(view *v, int y, int x, int dbl); /* mouse click at screen (y, x) */
	int (*busy)(view *v);              /* background work still running */
	int (*tick)(view *v);              /* idle call (every ~100 ms); VR_* flags */
	int64_t (*selected)(view *v);      /* fid under the cursor, 0 none */
	void (*relayout)(view *v);         /* after a size change */
	/* A ':' command with an argument ("filter TEXT"); VR_* flags. */
	int (*command)(view *v, int act, const char *arg);
	void (*free)(view *v);             /* release priv */
} view_ops;

struct view {
	const view_ops *ops; /* the screen's operations */
	view *parent;        /* the view below on the stack */
	void *priv;          /* the screen's own state */
	char title[256];     /* shown in the title bar */
	int y, x, h, w;      /* body area on the screen */
	int64_t nrows;       /* rows of a list view */
	int64_t cur;         /* cursor row */
	int64_t top;         /* first row shown */
};

/* The browser's shared state. */
typedef struct {
	fs_index *ix;        /* the open index */
	fs_notes *notes;     /* the notes database, NULL without one */
	view *top;           /* top of the view stack */
	int quit;            /* set to leave the main loop */
	char status[512];    /* message on the status line */
	int status_cls;      /* its colour class */
	char find[256];      /* last '/' text */
	int no_notes_warned; /* notes unavailable already reported */
} tui_state;
extern tui_state tui;

view *view_new(const view_ops *ops, void *priv, const char *title);
void view_push(view *v);
void view_pop(void);
void view_layout(view *v);
/* Generic list movement for ACT_UP..ACT_LAST; VR flags, 0 when act is
 * not a movement. */
int view_move(view *v, int act);
/* Keep cur within [0, nrows) and visible. */
void view_clamp(view *v);
/* '/' find: from the row after (dir > 0) or before the cursor; moves the
 * cursor and returns 1 when found. */
int view_find(view *v, const char *text, int dir);
/* Draw everything: title, the top view, status line (or "too small"). */
void tui_redraw(void);
/* Lay every view out again after a size change. */
void tui_resized(void);
/* Set the status line message (printf style). */
void tui_status(int cls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Notes, when a notes database is open: 0 found, 1 none, -1 none open. */
int tui_note_get(int64_t fid, fs_note *out);
int tui_note_put(const fs_note *n);
void tui_note_free(fs_note *n);
/* The label to show: the user's when set (*user = 1), else the index's.
 * Writes into buf. */
const char *tui_label(int64_t fid, const char *auto_label, char *buf, size_t len, int *user);
/* The same for a feature record in hand (no extra index query). */
const char *tui_label_feature(const fs_feature *f, char *buf, size_t len, int *user);

/* Screens. */
view *view_list_new(void);
view *view_feature_new(int64_t fid);
view *view_neighbours_new(int64_t fid);
view *view_clusters_new(int sae);
view *view_search_new(const char *query);
view *view_regex_new(const char *pattern);
view *view_map_new(int sae, int64_t fid);
view *view_help_new(const char *scope);
view *view_note_new(int64_t fid);
/* view_compare.c: dictionaries sa and sb matched (sb 0: the next one of
 * the same d_model); a feature's family over the wider widths. */
view *view_compare_new(int sa, int sb);
view *view_family_new(int64_t fid);
/* The feature page's line of best matches (row of dictionary sae) in the
 * other dictionaries of its d_model with a stored decoder; malloc'd, NULL
 * when there are none. */
char *view_compare_matches(int64_t fid, int sae, int64_t row);
/* Open the feature named (N, SAE/N, #FID) as a new view; 0 ok. */
int tui_goto(const char *name);

#endif
