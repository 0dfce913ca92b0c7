/*
 * notes.h: the user's own work on features: labels of their own, free-text
 * notes, tags, bookmarks, and named lists. Kept in a notes database of its
 * own (SQLite, WAL), never in the index, keyed by the index's identity and
 * the feature's stable name ("SAE/N"), so a read-only or shared index is
 * never written to and notes survive a rebuild of the same dictionaries.
 * notes.c is the only module with SQL for the notes database.
 */
#ifndef FS_NOTES_H
#define FS_NOTES_H

#include <stdint.h>

typedef struct fs_notes fs_notes;

typedef struct {
	char *key;        /* feature key "SAE/N" */
	char *label;      /* the user's label, "" when none */
	char *note;       /* free text, may be multi-line, "" when none */
	char *tags;       /* space-separated tags, "" when none */
	int bookmark;     /* 1 when bookmarked */
	int64_t updated;  /* unix seconds of the last change */
} fs_note;

/* Open (creating when absent) the notes database for an index. path NULL
 * means the default: $XDG_DATA_HOME/featscope/notes-<identity>.sqlite (or
 * ~/.local/share/...). A database of a newer version or a corrupt one is
 * refused with a message in err and left untouched: NULL. */
fs_notes *notes_open(const char *path, const char *index_identity, char *err, size_t errlen);
void notes_close(fs_notes *n);
const char *notes_path(const fs_notes *n);

/* 0 found, 1 none (out zeroed with empty strings), -1 error. */
int notes_get(fs_notes *n, const char *key, fs_note *out);
/* Save one note in its own transaction (an all-empty note deletes it). */
int notes_put(fs_notes *n, const fs_note *note);
void note_free(fs_note *note);

/* Keys of all features with a note/label/tag/bookmark, sorted. */
int notes_keys(fs_notes *n, char ***keys);
/* Full-text search over labels, notes and tags: matching keys. */
int notes_search(fs_notes *n, const char *query, int limit, char ***keys);

/* Named lists with a description. */
int notes_list_names(fs_notes *n, char ***names);
int notes_list_add(fs_notes *n, const char *list, const char *description, const char *key);
int notes_list_remove(fs_notes *n, const char *list, const char *key);
int notes_list_members(fs_notes *n, const char *list, char ***keys);
void strv_free(char **v, int n);

const char *notes_errmsg(fs_notes *n);

#endif
