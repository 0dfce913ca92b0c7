/*
 * term.h: the terminal: the only module that calls initscr/newterm/endwin.
 * It picks the colour mode (256 colours, 8 colours or monochrome, honouring
 * NO_COLOR and --no-color), owns the one table of colours, reads keys (from
 * the keyboard, or from a script file in headless mode), reports mouse
 * events and dumps the screen for golden tests.
 *
 * Headless mode (FEATSCOPE_SCRIPT=FILE): curses draws into /dev/null at a
 * fixed size (FEATSCOPE_SIZE=COLSxLINES, default 80x24), keys come from the
 * script (one line of keys in keymap notation, or a ':command' line, per
 * line; "# " starts a comment; <Colon> types ':' without making the line
 * a command; ':save-display FILE' and ':resize COLSxLINES' act as soon as
 * the script reaches them, even inside a prompt) and the program ends when it runs out.
 */
#ifndef FS_TERM_H
#define FS_TERM_H

#include <stddef.h>
#include <stdint.h>

/* Colour classes: every attribute drawn comes from this list. */
enum {
	TC_NORMAL, TC_TITLE, TC_STATUS, TC_SELECT, TC_HEADER, TC_DIM,
	TC_ESCAPE, TC_ERROR, TC_MATCH, TC_USER, TC_POS, TC_NEG, TC_BAR,
	TC_COUNT
};
#define TERM_HEAT_LEVELS 8   /* 0 = no activation, 1..7 */
#define TERM_CLUSTER_COLORS 6

enum { TERM_MONO = 0, TERM_8 = 8, TERM_256 = 256 };

/* Minimum usable size; below it the browser shows "terminal too small". */
#define TERM_MIN_COLS 40
#define TERM_MIN_LINES 10

/* Start curses. no_color forces monochrome. 0 ok, -1 with err set. */
int term_init(int no_color, char *err, size_t errlen);
void term_end(void);
int term_headless(void);
int term_mode(void);

/* Next key (see keymap.h), waiting at most timeout_ms (-1: forever).
 * Returns -1 on timeout, -2 when a script has ended. */
int term_getkey(int timeout_ms);
/* The last mouse event (after a KM_FKEY(KEY_MOUSE) key): position and
 * kind (TERM_CLICK, TERM_WHEEL_UP, TERM_WHEEL_DOWN, 0 other). */
enum { TERM_CLICK = 1, TERM_DOUBLE_CLICK, TERM_WHEEL_UP, TERM_WHEEL_DOWN };
void term_mouse(int *y, int *x, int *kind);

/* Set the drawing attributes of stdscr to a colour class, a heat level
 * (0..TERM_HEAT_LEVELS-1) or a cluster colour, with extra attributes. */
void term_set(int cls);
void term_set_x(int cls, unsigned long extra);
void term_set_heat(int level, unsigned long extra);
void term_set_cluster(int64_t cluster);

/* Headless: change the fixed size (":resize COLSxLINES"). */
int term_resize(int cols, int lines);
/* Dump the screen's text, then a line "--" and an attribute map (one
 * character per cell, see term.c), into path. 0 ok. */
int term_save_display(const char *path);

#endif
