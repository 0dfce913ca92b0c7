/*
 * notes.h: the user's own work on features: labels of their own, free-text
 * notes, tags, bookmarks, and named lists. Kept in a notes database of its
 * own (SQLite, WAL), never in the index, keyed by the index's identity and
 * the feature's stable name ("SAE/N"), so a read-only or shared index is
 * never written to and notes survive a rebuild of the same dictionaries.
 * notes.c and notes_store.c are the only files with SQL for the notes
 * database.
 */
#ifndef FS_NOTES_H
#define FS_NOTES_H

#include <stddef.h>
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
void notes_note_free(fs_note *note);

/* Keys of all features with a note/label/tag/bookmark, sorted. */
int notes_keys(fs_notes *n, char ***keys);
/* Full-text search over labels, notes and tags: matching keys. */
int notes_search(fs_notes *n, const char *query, int limit, char ***keys);

/* Named lists with a description. */
int notes_list_names(fs_notes *n, char ***names);
int notes_list_add(fs_notes *n, const char *list, const char *description, const char *key);
int notes_list_remove(fs_notes *n, const char *list, const char *key);
int notes_list_members(fs_notes *n, const char *list, char ***keys);
void notes_strv_free(char **v, int n);

const char *notes_errmsg(fs_notes *n);

/* ---- notes area: additions (appended; the signatures above are fixed) ---- */

struct fs_index;

/* notes_list_remove with key NULL removes the whole list. notes_list_add
 * with key NULL only creates the list or, when description is not NULL,
 * sets its description. List names have no spaces, commas or controls. */
int notes_list_name_ok(const char *name);
/* A list's description (malloc'd), NULL when there is no such list. */
char *notes_list_description(fs_notes *n, const char *list);
/* Names of the lists a feature is in, sorted. */
int notes_key_lists(fs_notes *n, const char *key, char ***names);

/* Group several saves into one transaction (nestable); on failure of any
 * save inside, everything since notes_begin is rolled back. */
int notes_begin(fs_notes *n);
int notes_commit(fs_notes *n);
void notes_rollback(fs_notes *n);

/* The identity of an index for its notes: 16 hex digits of a hash of its
 * dictionaries' names, models, hooks, layers, widths and sizes, so that it
 * survives a rebuild of the same dictionaries (the per-build uuid does
 * not; it is recorded in the notes database's meta, for information). */
void notes_identity(struct fs_index *ix, char *out, size_t outlen);
/* notes_open with the index's identity (path NULL: the default path). */
fs_notes *notes_open_index(struct fs_index *ix, const char *path, char *err, size_t errlen);
/* The identity recorded when the database was created ("" when none). */
const char *notes_identity_stored(const fs_notes *n);
/* Default path for an identity (malloc'd). */
char *notes_default_path(const char *identity);

/* The stable key "SAE/N" of a feature (always with the dictionary name,
 * unlike index_feature_name). 0 ok, -1 when there is no such feature. */
int notes_feature_key(struct fs_index *ix, int64_t fid, char *out, size_t outlen);
/* Resolve a user's feature name ("N", "SAE/N", "#FID") to its key. */
int notes_resolve(struct fs_index *ix, const char *name, char *key, size_t keylen,
		  char *err, size_t errlen);
/* Order of keys: dictionary name, then index numerically. */
int notes_key_cmp(const char *a, const char *b);
/* What a tag is: one word of valid UTF-8, at least one character, with no
 * white space, comma or control character (C0, DEL, C1). NULL when tag is
 * one, else why not (static text). */
const char *notes_tag_problem(const char *tag);
/* The first word of a space/comma-separated tag list that is not a tag
 * (malloc'd), with *why; NULL when every word is one. */
char *notes_tags_bad(const char *tags, const char **why);
#define NOTES_TAG_RULE "a tag is one word: no spaces, commas or control characters"
/* Tags split on spaces/commas, duplicates dropped, joined by one space. */
char *notes_tags_normalise(const char *tags);

/* Save what an editor changed and nothing else: the fields of mine that
 * differ from base (the note as the editor read it) are written over the
 * stored note, the other fields keep what is stored now (a concurrent
 * `notes set` survives). A field that mine changed and that was also
 * changed in the store since base (to a different value) is a conflict:
 * nothing is written and 1 is returned. 0 saved, -1 error. *stored (when
 * not NULL) receives the note as stored after the call (caller frees). */
int notes_merge(fs_notes *n, const fs_note *base, const fs_note *mine, fs_note *stored);

/* ---- supernodes of attribution graphs (notes_graph.c) ---- */

/* A named group of a graph's nodes, saved by the graph's slug. */
typedef struct {
	char *slug;       /* the graph's metadata.slug */
	char *name;       /* the group's name */
	char *members;    /* node ids, separated by single spaces */
	int64_t updated;  /* unix seconds */
} fs_supernode;

/* What a supernode name is: valid UTF-8 without control characters, 1 to
 * 200 bytes. NULL when it is one, else why not (static text). */
const char *notes_supernode_name_problem(const char *name);
/* The supernodes of the graph slug (slug NULL: of every graph, by slug
 * then name) into *out (malloc'd); the count, or -1 (notes_errmsg). */
int notes_supernodes(fs_notes *n, const char *slug, fs_supernode **out);
/* Save (members "" or NULL: delete) one supernode in its own transaction,
 * or as part of an open notes_begin group. 0 ok, -1 error. */
int notes_supernode_put(fs_notes *n, const char *slug, const char *name, const char *members);
void notes_supernodes_free(fs_supernode *s, int count);

#endif
