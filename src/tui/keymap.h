/*
 * keymap.h: the one table of the browser's actions: each has a long name
 * (used on the ':' command line and in the help), its default keys, a help
 * line and the scope where it applies ("global" or a view's name). The help
 * screen, the ':' completion and the man page's key list (featscope
 * `featscope gen keys`, committed as man/featscope-keys.inc) are all generated from
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

/* X(ID, name, scope, keys, help): scope is GLOBAL or the ID of a screen's
 * VIEW_INFO row (tui/view.h), so that only a screen that exists can have
 * keys; keys are space-separated, in the notation keymap_parse_key reads
 * ("j", "<Down>", "<C-d>", "<Space>"). */
#define KEYMAP_ACTIONS(X)                                                            \
	X(UP, "up", GLOBAL, "k <Up>", "move up one line")                          \
	X(DOWN, "down", GLOBAL, "j <Down>", "move down one line")                  \
	X(PAGE_UP, "page-up", GLOBAL, "<PgUp> <C-b>", "move up one page")          \
	X(PAGE_DOWN, "page-down", GLOBAL, "<PgDn> <C-f> <Space>", "move down one page") \
	X(HALF_UP, "half-page-up", GLOBAL, "<C-u>", "move up half a page")         \
	X(HALF_DOWN, "half-page-down", GLOBAL, "<C-d>", "move down half a page")   \
	X(FIRST, "first", GLOBAL, "g <Home>", "go to the first line")              \
	X(LAST, "last", GLOBAL, "G <End>", "go to the last line")                  \
	X(LEFT, "left", GLOBAL, "h <Left>", "contexts earlier; collapse a tree node; map cursor") \
	X(RIGHT, "right", GLOBAL, "l <Right>", "contexts later; expand a tree node; map cursor") \
	X(ENTER, "enter", GLOBAL, "<Enter>", "open the selected item")             \
	X(BACK, "back", GLOBAL, "q", "close this view and go back")                \
	X(QUIT, "quit", GLOBAL, "Q", "quit featscope")                             \
	X(HELP, "help", GLOBAL, "? <F1>", "show this help")                        \
	X(FIND, "find", GLOBAL, "/", "find text in this view")                     \
	X(FIND_NEXT, "find-next", GLOBAL, "n", "find the next match")              \
	X(FIND_PREV, "find-prev", GLOBAL, "N", "find the previous match")          \
	X(COMMAND, "command", GLOBAL, ":", "enter a command by its long name")     \
	X(NEXT_PANE, "next-pane", GLOBAL, "<Tab>", "move to the next pane")        \
	X(CANCEL, "cancel", GLOBAL, "<Esc>", "cancel a prompt or a running search") \
	X(REDRAW, "redraw", GLOBAL, "<C-l>", "redraw the screen")                  \
	X(GOTO, "goto", GLOBAL, "#", "go to a feature by number (N, SAE/N or #FID; FILE:SAE/N of another open file)") \
	X(GOTO_CONTEXT, "context", GLOBAL, "@", "open a context by its id (the numbers `featscope search` and `show` print)") \
	X(FEATURES, "features", GLOBAL, "F", "open the feature list")              \
	X(CLUSTERS, "clusters", GLOBAL, "c", "open the concept tree")              \
	X(SEARCH, "search", GLOBAL, "s", "full-text search of contexts and labels") \
	X(REGEX, "regex", GLOBAL, "r", "features that track a PCRE2 pattern")      \
	X(MAP, "map", GLOBAL, "m", "the feature map")                              \
	X(NEIGHBOURS, "neighbours", GLOBAL, "x", "nearest features of the selected one") \
	X(COMPARE, "compare", GLOBAL, "C", "compare the selected feature's dictionary with another (:compare [FILE:]SAE)") \
	X(FAMILY, "family", GLOBAL, "y", "the selected feature's family at the wider widths") \
	X(EDIT_NOTE, "edit-note", GLOBAL, "e", "edit the note of the selected feature") \
	X(EDIT_LABEL, "edit-label", GLOBAL, "L", "give the selected feature a label of your own") \
	X(EDIT_TAGS, "edit-tags", GLOBAL, "T", "edit the tags of the selected feature") \
	X(BOOKMARK, "bookmark", GLOBAL, "b", "bookmark or unbookmark the selected feature") \
	X(MINE, "mine", GLOBAL, "B", "your bookmarks, labelled and noted features, and lists") \
	X(LIST_ADD, "list-add", GLOBAL, "+", "add the selected feature to one of your lists") \
	X(COPY, "copy", GLOBAL, "Y", "copy the selected context or feature's summary to a file (and by OSC 52 when on)") \
	X(ANALYZE, "analyze", GLOBAL, "A", "run the live model on text you type") \
	X(STEER, "steer", GLOBAL, "S", "steer generation with the selected feature") \
	X(GRAPH, "graph", GLOBAL, "R", "open an attribution graph file (:graph FILE.json)") \
	X(SORT, "sort", LIST, "o", "sort by the next column")                      \
	X(REVERSE, "reverse", LIST, "O", "reverse the sort order")                 \
	X(FILTER, "filter", LIST, "f", "filter the list as you type")              \
	X(NEXT_DICT, "next-dict", LIST, "d", "show the next dictionary (of every open file: FILE:SAE)")           \
	X(SPLIT, "split", LIST, "D", "two dictionaries side by side")              \
	X(TOKENS, "tokens", FEATURE, "t", "toggle token boundaries and plain text") \
	X(CTX_LINES, "context-lines", FEATURE, "w", "one or three lines per context") \
	X(ABLATION, "ablation", FEATURE, "E", "ablation effect on the top context (live)") \
	X(OPEN_SOURCE, "open-source", CONTEXT, "o", "the text around the context in its source document, when it is on this machine") \
	X(OTHER_DICT, "other-dict", NEIGHBOURS, "d", "neighbours in the next dictionary") \
	X(RANK_BY, "rank-by", REGEX, "o", "rank by the next measure (F1 first, then mass, precision, ...)") \
	X(COMPARE_LIST, "compare-list", COMPARE, "u", "mutual pairs, unmatched in one, unmatched in the other") \
	X(COMPARE_ORDER, "compare-order", COMPARE, "o", "pairs by cosine or by co-activation") \
	X(COMPARE_NEXT, "compare-next", COMPARE, "d", "compare with the next dictionary") \
	X(ZOOM_IN, "zoom-in", MAP, "+ =", "zoom in around the cursor")             \
	X(ZOOM_OUT, "zoom-out", MAP, "-", "zoom out")                              \
	X(ZOOM_RESET, "zoom-reset", MAP, "0", "show the whole map")                \
	X(REGENERATE, "regenerate", STEER, "r", "generate again with the next seed") \
	X(STEER_VALUE, "steer-value", STEER, "v", "set the selected feature's value (0 ablates)") \
	X(STEER_ADD, "steer-add", STEER, "a", "add a feature to steer with") \
	X(STEER_DROP, "steer-drop", STEER, "x", "stop steering with the selected feature") \
	X(STEER_PROMPT, "steer-prompt", STEER, "p", "edit the prompt") \
	X(STEER_MODE, "steer-mode", STEER, "M", "clamp the features or add their directions") \
	X(STEER_TEMP, "steer-temperature", STEER, "t", "set the sampling temperature (0 greedy)") \
	X(STEER_LENGTH, "steer-length", STEER, "l", "set how many tokens are generated") \
	X(LIST_REMOVE, "list-remove", MINE, "-", "remove the feature from the list it is shown under") \
	X(GRAPH_NEXT, "node-next", GRAPH, "] l <Right>", "the next node (in the row, then the rows below)") \
	X(GRAPH_PREV, "node-prev", GRAPH, "[ h <Left>", "the previous node") \
	X(LINK_IN, "link-in", GRAPH, "i", "follow the strongest kept link into the node") \
	X(LINK_OUT, "link-out", GRAPH, "o", "follow the strongest kept link out of the node") \
	X(WALK_BACK, "walk-back", GRAPH, "u <BS>", "back to the node the last link was followed from") \
	X(NODE_MORE, "node-more", GRAPH, ">", "keep more nodes: raise the influence threshold by 0.05 (:node-more T sets it)") \
	X(NODE_FEWER, "node-fewer", GRAPH, "<lt>", "keep fewer nodes: lower the influence threshold") \
	X(LINK_MORE, "link-more", GRAPH, "}", "keep more links: raise the link weight threshold by 0.01 (:link-more T sets it)") \
	X(LINK_FEWER, "link-fewer", GRAPH, "{", "keep fewer links: lower the link weight threshold") \
	X(MARK, "mark", GRAPH, "v", "mark or unmark the node for a supernode") \
	X(GROUP, "supernode", GRAPH, "a", "name the marked nodes (or this one) as a supernode, saved in the notes") \
	X(GROUP_DELETE, "supernode-delete", GRAPH, "X", "remove the supernode the node is in") \
	X(FOLD, "fold", GRAPH, "z", "fold or unfold the node's supernode") \
	X(GRAPH_EXPORT, "graph-export", GRAPH, "E", "export the pruned graph (:graph-export dot FILE or mermaid FILE)") \
	X(SAVE_NOTE, "save-note", NOTE, "<C-s>", "save the note now")              \
	X(CLOSE_NOTE, "close-note", NOTE, "<Esc> <C-x>", "save the note and close the editor")

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
