/*
 * cliutil.h: helpers shared by the subcommands of src/cli/: opening an
 * index and resolving a feature with one-line messages, escaped copies of
 * untrusted text for printing, printing a JSON document the same way
 * everywhere (through core/json.h), and the check that -o names no input.
 */
#ifndef FS_CLIUTIL_H
#define FS_CLIUTIL_H

#include <jansson.h>

#include "core/progress.h"
#include "index/index.h"
#include "notes/notes.h"

/* index_open, printing its message on failure (NULL then). */
fs_index *cli_open_index(const char *path);
/* The fid of a feature name, or -1 after a one-line message that states
 * the valid range when the number is out of it. */
int64_t cli_resolve(fs_index *ix, const char *name);
/* The command line's progress report (core/progress.h): one line on
 * stderr, redrawn at most four times a second, with the rate and the time
 * left; an engine's stage ends it with a line of its own. One report is
 * shared by the stages of a command, which run one at a time. */
fs_progress *cli_progress(void);
/* cli_progress() when on (--progress, or by default when stderr is a
 * terminal), else NULL (silent). */
fs_progress *cli_progress_if(int on);
/* Print untrusted text s escaped (escape_str), padded with spaces to width
 * terminal columns (escape_columns: CJK takes two); nothing cut. */
void cli_print_padded(const char *s, int width);
/* A named list of the notes database as JSON: {"name", "description",
 * "features": [keys]} (notes lists --json and export's "lists"). */
json_t *cli_list_json(fs_notes *n, const char *name);
/* Print j indented with a newline (core/json.h); releases j. */
void cli_print_json(json_t *j);
/* A command's -o must not replace what it reads: 0 when out is new (or
 * "-", or not a regular file), else FS_EXIT_USAGE after one line
 * "featscope: CMD: -o OUT: ..." when out is one of the nin inputs (the same
 * device and inode: a link to an input counts) or a file anywhere inside
 * an input folder. NULL inputs are skipped. Called before anything is
 * read or written. */
int cli_output_check(const char *cmd, const char *out, const char *const *in, int nin);

#endif
