/*
 * tui_int.h: what the files of the browser's entry point share (tui.c,
 * tui_opts.c, tui_timing.c, tui_clip.c, tui_watch.c; tui/ only).
 */
#ifndef FS_TUI_INT_H
#define FS_TUI_INT_H

#include <stddef.h>
#include <stdint.h>

/* The feature the user is pointing at: the top view's selection (0: none). */
int64_t tui_selected(void);

/* tui_opts.c: the browser's command line (argv[0] its name): -1 to go on,
 * else the exit status (after --help, or a usage error's one line); the
 * usage line on stderr, FS_EXIT_USAGE; the demo index's path (malloc'd). */
typedef struct {
	int no_color;       /* --no-color */
	const char **paths; /* the indexes in order (argc entries) */
	int npaths;
	const char **notes; /* the --notes files in order: the first for the first index, ... */
	int nnotes;
	const char **saes;  /* --sae: the dictionaries that hold a graph's features */
	int nsaes;
} tui_opts;
int tui_opts_parse(int argc, char **argv, tui_opts *o);
int tui_usage(void);
/* A browser argument that is a graph file (FILE.json), not an index. */
int tui_is_graph_path(const char *path);
char *tui_demo_path(void);

/* tui_timing.c (FEATSCOPE_TIMING): start at entry, a key read, a frame
 * finished, the figures written at the end. Nothing when it is not set. */
void tui_timing_start(void);
void tui_timing_key(int key);
void tui_timing_frame(void);
void tui_timing_end(void);
/* A keystroke in a prompt whose text updates the screen (on_change), from
 * the key to its finished frame, ms (prompt.c). */
void tui_timing_prompt_key(double ms);
/* Run v's idle work (its tick) and time it: a tick holds the keys back
 * as long as it runs, so FEATSCOPE_TIMING reports the longest. */
struct view;
int tui_timed_tick(struct view *v);

/* tui_clip.c: 'Y' (arg: the file, else asked). */
void tui_copy(const char *arg);

/* tui_watch.c: the current file replaced or removed: 1 when the status
 * line says so now. Files changed in place: 0 when none, 1 after opening
 * them again, -1 when one cannot be (msg says why). */
int tui_index_watch(void);
int tui_index_guard(char *msg, size_t msglen);

#endif
