/*
 * prompt.h: the one-line editor on the status line, used for '/', ':',
 * '#', filters, searches and patterns. The text is UTF-8; the editing
 * functions (prompt_edit) are pure so the unit tests drive them directly;
 * prompt_read runs the interactive loop with Tab completion and a callback
 * after every change (filter as you type).
 */
#ifndef FS_PROMPT_H
#define FS_PROMPT_H

#include <stddef.h>

#define PROMPT_MAX 1024

/* An edited line. */
typedef struct {
	char buf[PROMPT_MAX]; /* UTF-8 text, NUL-terminated */
	size_t len;           /* bytes used */
	size_t cur;           /* cursor byte offset (on a character boundary) */
} prompt_line;

void prompt_set(prompt_line *l, const char *s);
/* Apply an editing key (see keymap.h codes): 1 text changed, 0 cursor
 * moved or nothing to do, -1 not an editing key. */
int prompt_edit(prompt_line *l, int key);

/* Completion: candidates for the text before the cursor; fills up to max
 * pointers (owned by the callee) and returns how many match. */
typedef int (*prompt_complete_fn)(const char *prefix, const char **out, int max, void *ctx);
/* Complete l's text using fn: extends to the longest common prefix of the
 * candidates. Returns the candidate count. */
int prompt_complete(prompt_line *l, prompt_complete_fn fn, void *ctx);

/* Edit on the status line. Returns the malloc'd text on Enter, NULL on
 * Esc (or when a script ends). on_change runs after each change. */
char *prompt_read(const char *label, const char *init, prompt_complete_fn complete,
		  void (*on_change)(const char *text, void *ctx), void *ctx);

#endif
