/*
 * cli_notes.h: what the two files of `featscope notes` share, for them
 * only: the parsed command line (cli_notes.c parses it and runs set, show,
 * list, search, lists, list-add, list-rm and path; cli_notes_import.c runs
 * import).
 */
#ifndef FS_CLI_NOTES_H
#define FS_CLI_NOTES_H

#include "index/index.h"
#include "notes/notes.h"

/* Parsed command line of one notes subcommand. */
typedef struct {
	const char *pos[64];     /* positional arguments (INDEX first; FILE INDEX for import) */
	int npos;                /* how many */
	const char *notes;       /* --notes DB */
	const char *label;       /* --label, NULL when not given */
	const char *note;        /* --note, NULL when not given */
	const char *note_file;   /* --note-file FILE ("-": stdin) */
	const char *description; /* --description */
	const char *tags[64];    /* --tag, repeatable */
	int ntags;
	const char *untags[64];  /* --untag, repeatable */
	int nuntags;
	int bookmark;            /* 1 --bookmark, 0 --no-bookmark, -1 neither */
	int json;                /* --json */
	int force;               /* --force */
} notes_args;

/* Open the index at index_path and its notes database (a->notes, or the
 * default); warns when the database was made for another index. 0, or an
 * exit code with a message said. */
int cli_notes_open(const notes_args *a, const char *index_path, fs_index **ix, fs_notes **n);
/* `featscope notes import FILE INDEX`: an exit code. */
int cli_notes_import(const notes_args *a);

#endif
