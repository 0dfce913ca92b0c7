/*
 * session.h: the live model attached to an index: the model and one of
 * its dictionaries, found beside the index by the names in its
 * live_files table (in its folder or below it, nothing else) and checked
 * by size and content hash (session.c). What analyze,
 * steer and the TUI's live screens open first.
 */
#ifndef FS_LIVE_SESSION_H
#define FS_LIVE_SESSION_H

#include "index/index.h"
#include "live/live.h"

/* An index with its model loaded. */
typedef struct {
	fs_index *ix;          /* the index (not owned) */
	live_model *model;     /* the attached model */
	live_sae *sae;         /* the chosen dictionary, bound to the model */
	const fs_sae *dict;    /* its row in the index */
	char *model_file;      /* path the model was loaded from */
} live_session;

/* Load the attached model and dictionary sae_name (NULL: of the attached
 * ones, the first in the index's order). -1 with one line in err when the index has no model, a file
 * is missing or its hash differs from the recorded one. */
int live_session_open(live_session *s, fs_index *ix, const char *sae_name, char *err, size_t errlen);
void live_session_close(live_session *s);
/* Another attached dictionary, name, loaded and bound to s's model (to
 * steer several dictionaries at once), its row in *dict; checked as the
 * session's own (file, hash, n_features) and refused when its
 * prepend_bos differs from the session's dictionary's. NULL with one
 * line in err. Free with live_sae_free. */
live_sae *live_session_sae(live_session *s, const char *name, const fs_sae **dict, char *err, size_t errlen);

/* The name of the dictionary feature fid belongs to (owned by ix), NULL
 * when there is no such feature: a feature named with its dictionary
 * selects that dictionary (steer, analyze, the browser's live screens). */
const char *live_sae_of(fs_index *ix, int64_t fid);

/* live_session_open in two steps, for a caller that loads in another
 * thread: find reads the index (its live_files rows and the dictionary;
 * the thread that owns ix), load hashes and reads the files and touches
 * the index no more (any thread; the plan must outlive the call only). */
typedef struct {
	fs_index *ix;          /* the index (not owned) */
	const fs_sae *dict;    /* the chosen dictionary's row */
	fs_live_file *rows;    /* live_files */
	int nrows;
	const fs_live_file *model, *sae; /* the rows to load, in rows */
	char *ixpath;          /* a copy of the index's path */
	char *dir;             /* its folder, with '/' (or "") */
} live_plan;
int live_session_find(live_plan *p, fs_index *ix, const char *sae_name, char *err, size_t errlen);
int live_session_load(live_session *s, const live_plan *p, char *err, size_t errlen);
void live_plan_free(live_plan *p);
/* The same in two steps (live_session_find on the index's thread, then
 * this on any thread: it touches the index no more): the dictionary of
 * plan p loaded and bound to s's model, checked as above. */
live_sae *live_session_load_sae(live_session *s, const live_plan *p, char *err, size_t errlen);

/* The ablation effect of dictionary feature f on a text: for every
 * position t < ntok - 1, the change in the log-probability of the next
 * token (token t + 1) when f is clamped to 0 (negative: the feature
 * helped predict it), into *delta (malloc'd, ntok - 1 values), and when
 * off is not NULL the tokens' ntok + 1 byte offsets into *off (malloc'd;
 * token t is text[off[t] .. off[t+1])). Returns ntok, -1 on error. */
int live_ablation_effect(live_session *s, int f, const char *text, size_t len, float **delta, uint32_t **off);

/* The largest weights file a live_files row may name (bytes). */
#define LIVE_MAX_FILE_BYTES ((int64_t)1 << 40)

/* XXH3-64 of a file's bytes as 16 hex digits, and its size. A folder (a
 * GPT-2 checkpoint, a SAELens dictionary) is hashed by its weights file
 * (live_weights_file), which must be a regular file (a FIFO or a device is
 * refused, never waited on). 0 ok, -1 with a message. */
int live_file_hash(const char *path, char hex[17], int64_t *bytes, char *err, size_t errlen);
/* The live_files row of path (a file or a folder) for the index at ixpath,
 * as attach and harvest write it: file is path's name relative to the
 * index's folder (the two move together); xxh3 and bytes of its weights
 * file. -1 with a message when path does not lie in the index's folder or
 * below it (links resolved): the live commands read nothing else. */
int live_file_row(const char *ixpath, const char *path, const char *role, const char *name, const char *hook,
		  fs_live_file *row, char *err, size_t errlen);
/* Where path (a file or a folder) lies for the index at ixpath: 0 and
 * *rel (malloc'd, unless rel is NULL) its path relative to the index's
 * folder when it lies in that folder or below it once links are resolved;
 * -1 with a message otherwise (harvest checks this before its run). */
int live_file_place(const char *ixpath, const char *path, char **rel, char *err, size_t errlen);
/* The checks of a live_files row that need no file (untrusted, from an
 * index): role, file (not empty, no '..' step), xxh3 (16 lowercase hex
 * digits), bytes (1..LIVE_MAX_FILE_BYTES). 0 ok, -1 with the field named. */
int live_row_check(const fs_live_file *f, char *err, size_t errlen);
/* The file of row f of an index whose folder is dir (live_dir_of): checked
 * by live_row_check, then opened without blocking and without following a
 * last link: a regular file (or a folder's weights file) in dir or below
 * it once links are resolved, of exactly f->bytes bytes (checked before it
 * is read), whose XXH3-64 is f->xxh3. 0 and *path (malloc'd, what to load)
 * or -1 with one line that never holds the hash of the file's bytes. */
int live_file_verify(const char *dir, const fs_live_file *f, char **path, char *err, size_t errlen);
/* The file whose bytes stand for path: path itself, or for a folder its
 * model.safetensors or sae_weights.safetensors (malloc'd). */
char *live_weights_file(const char *path);
/* The folder of path with a trailing '/', or "" (malloc'd). */
char *live_dir_of(const char *path);

#endif
