/*
 * view.h: the browser's view stack and what every screen shares. A view is
 * a struct view with a table of operations (draw, key, ...), in the manner
 * of tig's view_ops; Enter pushes a view, q pops it, Q quits. Views that
 * are lists keep their cursor in nrows/cur/top and get movement, find and
 * mouse from here. Each screen lives in its own view_*.c and reads the
 * index only through index.h (and notes through the tui_note_* helpers).
 *
 * VIEW_INFO is the one list of screens (in the manner of tig's): each
 * row's scope names the screen in the keymap (KEYMAP_ACTIONS in keymap.h
 * names scopes by the same ids), its title is the title bar until the
 * screen sets its own, its section heads its keys in the help screen and
 * the man page (in this order, after "Everywhere"), and its parameters are
 * those of its typed constructor view_open_NAME, declared from the row.
 * Screens open each other only through these constructors.
 *
 * Routing: a screen's key handler sees each action first, from a key or
 * from a ':' command without an argument (key 0 then). Enter that it
 * leaves alone (returns 0) opens the feature its selected() names, in one
 * place (tui_action in tui.c); a screen handles Enter itself only where it
 * means something else (a tree node, a context, a help row).
 */
#ifndef FS_VIEW_H
#define FS_VIEW_H

#include "index/index.h"
#include "notes/notes.h"

#include <stdint.h>

typedef struct view view;

/* One index file open in the browser (`featscope A.sqlite B.sqlite`: the
 * first is the primary one), with its own notes database. */
typedef struct tui_file {
	const char *path;    /* as named on the command line */
	const char *notes_path; /* its --notes FILE, NULL for the default */
	char name[128];      /* as FILE:SAE names it: the path's last part, the whole path when two files share that */
	fs_index *ix;        /* the open index */
	fs_notes *notes;     /* its notes database, NULL without one */
} tui_file;

/* X(ID, name, title, section, params): see above. */
#define VIEW_INFO(X)                                                                 \
	X(LIST, list, "features", "Feature list", (void))                             \
	X(FEATURE, feature, "feature", "Feature page", (int64_t fid))                 \
	X(NEIGHBOURS, neighbours, "neighbours", "Neighbours", (int64_t fid))          \
	X(CLUSTERS, clusters, "concept tree", "Concept tree", (int sae, int64_t fid)) \
	X(SEARCH, search, "search", "Search", (const char *query))                   \
	X(CONTEXT, context, "context", "Context", (int64_t ctx))                      \
	X(SOURCE, source, "source", "Source text", (int64_t ctx))                     \
	X(REGEX, regex, "regex", "Regex", (const char *pattern))                      \
	X(MATCHES, matches, "matched contexts", "Matched contexts", (int64_t fid, const char *pattern)) \
	X(MAP, map, "map", "Map", (int sae, int64_t fid))                             \
	X(NOTE, note, "note", "Note editor", (int64_t fid))                           \
	X(MINE, mine, "your work", "Your work", (void))                               \
	X(COMPARE, compare, "compare", "Compare", (int sa, tui_file *fb, int sb))     \
	X(PAIR, pair, "side by side", "Side by side", (int64_t fa, tui_file *filb, int64_t fb)) \
	X(FAMILY, family, "family", "Family", (int64_t fid))                          \
	X(PROMPT, prompt, "analyze", "Live prompt", (int64_t pin, const char *text)) \
	X(STEER, steer, "steer", "Steering", (int64_t fid))                           \
	X(GRAPH, graph, "graph", "Attribution graph", (const char *path))             \
	X(HELP, help, "help: keys (Enter runs one, q closes)", "Help", (view_kind from))

/* A screen, or VIEW_GLOBAL: the scope of the keys that work everywhere. */
typedef enum {
	VIEW_GLOBAL,
#define VIEW_ENUM(id, name, title, section, params) VIEW_##id,
	VIEW_INFO(VIEW_ENUM)
#undef VIEW_ENUM
	VIEW_COUNT
} view_kind;

/* A row of VIEW_INFO. */
typedef struct {
	const char *scope;   /* keymap scope: "list", ...; "global" */
	const char *title;   /* the title bar's first text */
	const char *section; /* heading in the help screen and the man page */
} view_info;
extern const view_info view_infos[VIEW_COUNT];

/* Results of a view's handlers, or-ed. 0 means "not handled". */
enum { VR_HANDLED = 1, VR_REDRAW = 2, VR_POP = 4, VR_QUIT = 8 };

/* What a screen implements (NULL members are optional). */
typedef struct {
	view_kind kind;                    /* its VIEW_INFO row: keymap scope, help section */
	void (*draw)(view *v);             /* draw the body rows y..y+h-1 */
	int (*key)(view *v, int act, int key);  /* an action and its key (0 from ':'); VR_* flags */
	/* Text of one row for '/' find (list views); buf is scratch. */
	const char *(*row_text)(view *v, int64_t row, char *buf, size_t len);
	int (*click)(view *v, int y, int x, int dbl); /* mouse click at screen (y, x) */
	int (*busy)(view *v);              /* background work still running */
	int (*tick)(view *v);              /* idle call (every ~100 ms); VR_* flags */
	int stepped;                       /* busy work is done by tick itself, in
					    * short steps: called again as soon as no
					    * key waits, not after 100 ms */
	int64_t (*selected)(view *v);      /* fid under the cursor, 0 none */
	void (*relayout)(view *v);         /* after a size change */
	/* A ':' command with an argument ("filter TEXT"); VR_* flags. */
	int (*command)(view *v, int act, const char *arg);
	/* The text 'Y' copies from this screen (malloc'd, raw), NULL for the
	 * selected feature's summary. */
	char *(*copy)(view *v);
	void (*free)(view *v);             /* release priv */
} view_ops;

struct view {
	const view_ops *ops; /* the screen's operations */
	tui_file *file;      /* the file it reads, whose fids its selected() names */
	view *parent;        /* the view below on the stack */
	void *priv;          /* the screen's own state */
	char title[256];     /* shown in the title bar */
	int y, x, h, w;      /* body area on the screen */
	int64_t nrows;       /* rows of a list view */
	int64_t cur;         /* cursor row */
	int64_t top;         /* first row shown */
};

/* The browser's shared state. ix and notes are always those of the
 * current file: the top view's (view_push and view_pop keep it so; a view
 * that changes its file says so with view_set_file). A view opened goes
 * to the current file; a screen that opens a feature of another file
 * makes that file current first (tui_use_file). */
typedef struct {
	tui_file *files;     /* the open files, the primary one first */
	int nfiles;          /* how many */
	tui_file *cur;       /* the current file */
	fs_index *ix;        /* cur->ix */
	fs_notes *notes;     /* cur->notes */
	view *top;           /* top of the view stack */
	int quit;            /* set to leave the main loop */
	char status[512];    /* message on the status line */
	int status_cls;      /* its colour class */
	char find[256];      /* last '/' text */
	int no_notes_warned; /* notes unavailable already reported */
} tui_state;
extern tui_state tui;

/* Make f the current file (tui.cur, tui.ix, tui.notes). */
void tui_use_file(tui_file *f);
/* v now reads file f (a list pane of another file made active); the
 * current file when v is the top view. */
void view_set_file(view *v, tui_file *f);
/* The open file named name (its name, the path as given, or the path's
 * last part with or without its extension), NULL when none. */
tui_file *tui_file_find(const char *name, size_t len);
/* Split a reference "FILE:REST" whose FILE names an open file: *f gets
 * it and the return value points at REST; otherwise *f is the current
 * file and ref is returned whole. */
const char *tui_file_ref(const char *ref, tui_file **f);
/* A dictionary's name as the browser lists it: "SAE", or "FILE:SAE"
 * when more than one file is open. Writes into buf. */
const char *tui_sae_name(const tui_file *f, const char *sae, char *buf, size_t len);
/* The next entry of the dictionary switcher after (*f, *sae): each
 * file's dictionaries in order, then "all" (sae 0) when the file has
 * several, then the next file's. Returns the number of entries. */
int tui_next_dict(tui_file **f, int *sae, int with_all);

/* A view of ops->kind with its VIEW_INFO title, laid out, not yet pushed. */
view *view_new(const view_ops *ops, void *priv);
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
/* 1 when the n bytes at a and b are equal, ASCII letters compared without
 * case, other bytes exactly; it stops at the first difference. */
int view_ascii_ieq(const char *a, const char *b, size_t n);
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
/* notes_merge on the browser's notes database: 0 saved, 1 conflict (the
 * stored note changed since base; *stored receives it), -1 error. */
int tui_note_merge(const fs_note *base, const fs_note *mine, fs_note *stored);
void tui_note_free(fs_note *n);
/* Hand the notes' own labels and tags to the index connection
 * (index_set_user_labels), so the list's filter and label order use them;
 * after every save and at start. */
void tui_user_labels_sync(void);
/* The label to show: the user's when set (*user = 1), else the index's.
 * Writes into buf. */
const char *tui_label(int64_t fid, const char *auto_label, char *buf, size_t len, int *user);
/* The same for a feature record in hand (no extra index query), of the
 * current file or of file fl. */
const char *tui_label_feature(const fs_feature *f, char *buf, size_t len, int *user);
const char *tui_label_feature_in(const tui_file *fl, const fs_feature *f, char *buf, size_t len, int *user);
/* "NAME LABEL" of a feature as screens show it (the user's label when
 * set): what '/' finds a feature row by. Of a record in hand, or of fid
 * (NULL when there is no such feature). */
const char *tui_feature_text_of(const fs_feature *f, char *buf, size_t len);
const char *tui_feature_text_in(const tui_file *fl, const fs_feature *f, char *buf, size_t len);
const char *tui_feature_text(int64_t fid, char *buf, size_t len);

/* The screens' typed constructors, one per VIEW_INFO row: each makes its
 * view and pushes it (view_open_list(void), view_open_feature(int64_t fid),
 * view_open_context(int64_t ctx), ...). */
#define VIEW_OPEN(id, name, title, section, params) void view_open_##name params;
VIEW_INFO(VIEW_OPEN)
#undef VIEW_OPEN
/* The keymap scope of v ("global" when v is NULL). */
const char *view_scope(const view *v);
/* view_compare.c: the feature page's line of best matches (row of
 * dictionary sae) in the other dictionaries of its d_model with a stored
 * decoder; malloc'd, NULL when there are none. */
char *view_compare_matches(int64_t fid, int sae, int64_t row);
/* Whether that line costs no loading now (its dictionaries' decoders read
 * already, or none stored): 0 when it should wait for an idle moment. */
int view_compare_matches_ready(int sae);
/* Drop what that line keeps of index ix (before ix is closed: a new
 * connection may get its address). */
void view_compare_forget(const fs_index *ix);
/* view_prompt.c: wait (10 s at most) for the analysis workers of closed
 * prompt screens, whose plans point into their index: before it closes. */
void view_prompt_wait_workers(void);
/* view_graph.c: load the graph file at path now (the command line's
 * check before the screen starts); the next view_open_graph of that path
 * takes it. 0, or -1 with one line in err. */
int view_graph_load(const char *path, char *err, size_t errlen);
/* The dictionaries named with --sae (FILE:SAE or SAE) that hold the
 * graphs' transcoder features; the array must outlive the browser. */
void view_graph_set_saes(const char **names, int n);
/* Run an action as its key would: the top view's handler first, then
 * the global actions (tui.c; the help screen's Enter). */
void tui_run(int act);
/* Open the feature named (N, SAE/N, #FID, each after FILE: for a
 * feature of another open file) as a new view; 0 ok. */
int tui_goto(const char *name);

#endif
