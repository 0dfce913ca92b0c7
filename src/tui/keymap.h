/*
 * keymap.h: the one table of the browser's actions: each has a long name
 * (used on the ':' command line and in the help), its default keys, a help
 * line and the scope where it applies ("global" or a view's name). The help
 * screen, the ':' completion and the man page's key list (featscope
 * --keymap-man, committed as man/featscope-keys.inc) are all generated from
 * it, so they cannot drift apart.
 *
 * Keys are ints: a Unicode code point for a character (control keys are
 * their C0 codes, Enter is '\n'), or KM_FKEY(curses KEY_*) for a function
 * key, so the two ranges never collide.
 */
#ifndef FS_KEYMAP_H
#define FS_KEYMAP_H

#include <stdio.h>

#define KM_FKEY(k) (0x110000 + (k))
#define KM_CTRL(c) ((c) & 0x1f)
#define KM_ESC 27

/* X(ID, name, scope, keys, help): keys are space-separated, in the
 * notation keymap_parse_key reads ("j", "<Down>", "<C-d>", "<Space>"). */
#define KEYMAP_ACTIONS(X)                                                            \
	X(UP, "up", "global", "k <Up>", "move up one line")                          \
	X(DOWN, "down", "global", "j <Down>", "move down one line")                  \
	X(PAGE_UP, "page-up", "global", "<PgUp> <C-b>", "move up one page")          \
	X(PAGE_DOWN, "page-down", "global", "<PgDn> <C-f> <Space>", "move down one page") \
	X(HALF_UP, "half-page-up", "global", "<C-u>", "move up half a page")         \
	X(HALF_DOWN, "half-page-down", "global", "<C-d>", "move down half a page")   \
	X(FIRST, "first", "global", "g <Home>", "go to the first line")              \
	X(LAST, "last", "global", "G <End>", "go to the last line")                  \
	X(LEFT, "left", "global", "h <Left>", "contexts earlier; collapse a tree node; map cursor") \
	X(RIGHT, "right", "global", "l <Right>", "contexts later; expand a tree node; map cursor") \
	X(ENTER, "enter", "global", "<Enter>", "open the selected item")             \
	X(BACK, "back", "global", "q", "close this view and go back")                \
	X(QUIT, "quit", "global", "Q", "quit featscope")                             \
	X(HELP, "help", "global", "? <F1>", "show this help")                        \
	X(FIND, "find", "global", "/", "find text in this view")                     \
	X(FIND_NEXT, "find-next", "global", "n", "find the next match")              \
	X(FIND_PREV, "find-prev", "global", "N", "find the previous match")          \
	X(COMMAND, "command", "global", ":", "enter a command by its long name")     \
	X(NEXT_PANE, "next-pane", "global", "<Tab>", "move to the next pane")        \
	X(CANCEL, "cancel", "global", "<Esc>", "cancel a prompt or a running search") \
	X(REDRAW, "redraw", "global", "<C-l>", "redraw the screen")                  \
	X(GOTO, "goto", "global", "#", "go to a feature by number (N, SAE/N or #FID)") \
	X(FEATURES, "features", "global", "F", "open the feature list")              \
	X(CLUSTERS, "clusters", "global", "c", "open the concept tree")              \
	X(SEARCH, "search", "global", "s", "full-text search of contexts and labels") \
	X(REGEX, "regex", "global", "r", "features that track a PCRE2 pattern")      \
	X(MAP, "map", "global", "m", "the feature map")                              \
	X(NEIGHBOURS, "neighbours", "global", "x", "nearest features of the selected one") \
	X(COMPARE, "compare", "global", "C", "compare the selected feature's dictionary with another") \
	X(FAMILY, "family", "global", "y", "the selected feature's family at the wider widths") \
	X(EDIT_NOTE, "edit-note", "global", "e", "edit the note of the selected feature") \
	X(EDIT_LABEL, "edit-label", "global", "L", "give the selected feature a label of your own") \
	X(EDIT_TAGS, "edit-tags", "global", "T", "edit the tags of the selected feature") \
	X(BOOKMARK, "bookmark", "global", "b", "bookmark or unbookmark the selected feature") \
	X(SORT, "sort", "list", "o", "sort by the next column")                      \
	X(REVERSE, "reverse", "list", "O", "reverse the sort order")                 \
	X(FILTER, "filter", "list", "f", "filter the list as you type")              \
	X(NEXT_DICT, "next-dict", "list", "d", "show the next dictionary")           \
	X(SPLIT, "split", "list", "D", "two dictionaries side by side")              \
	X(TOKENS, "tokens", "feature", "t", "toggle token boundaries and plain text") \
	X(CTX_LINES, "context-lines", "feature", "w", "one or three lines per context") \
	X(OTHER_DICT, "other-dict", "neighbours", "d", "neighbours in the next dictionary") \
	X(RANK_BY, "rank-by", "regex", "o", "rank by the next measure (precision, F1, mass, ...)") \
	X(COMPARE_LIST, "compare-list", "compare", "u", "mutual pairs, unmatched in one, unmatched in the other") \
	X(COMPARE_ORDER, "compare-order", "compare", "o", "pairs by cosine or by co-activation") \
	X(COMPARE_NEXT, "compare-next", "compare", "d", "compare with the next dictionary") \
	X(ZOOM_IN, "zoom-in", "map", "+ =", "zoom in around the cursor")             \
	X(ZOOM_OUT, "zoom-out", "map", "-", "zoom out")                              \
	X(ZOOM_RESET, "zoom-reset", "map", "0", "show the whole map")                \
	X(SAVE_NOTE, "save-note", "note", "<C-s>", "save the note now")              \
	X(CLOSE_NOTE, "close-note", "note", "<Esc> <C-x>", "save the note and close the editor")

enum {
	ACT_NONE,
#define KM_ENUM(id, name, scope, keys, help) ACT_##id,
	KEYMAP_ACTIONS(KM_ENUM)
#undef KM_ENUM
	ACT_COUNT
};

/* The action bound to key in scope (falling back to "global"); ACT_NONE
 * when unbound. */
int keymap_lookup(const char *scope, int key);
/* By long name; ACT_NONE when unknown. */
int keymap_by_name(const char *name);
const char *keymap_name(int act);
const char *keymap_scope(int act);
const char *keymap_keys(int act);
const char *keymap_help(int act);

/* Parse one key in the table's notation at s; returns the key and sets
 * *used to the bytes read, or -1 when s does not start with a key. */
int keymap_parse_key(const char *s, int *used);
/* The notation for key (out >= 16 bytes). */
const char *keymap_key_name(int key, char *out, size_t outlen);

/* Write the key list as man(7) roff (for man/featscope-keys.inc). */
void keymap_write_man(FILE *f);

#endif
