/*
 * input.h: line-oriented reading of plain or gzip-compressed files (zlib
 * reads both transparently), with line numbers for error messages and a
 * byte position for progress. A line (a record) may be as long as the
 * record cap (input_set_max_record, 256 MiB by default); a longer one, or
 * a .gz that expands past it, stops reading with a message before the
 * memory is taken.
 */
#ifndef FS_INPUT_H
#define FS_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fs_input fs_input;

/* Open PATH ("-" is stdin). NULL and a message in err on failure. */
fs_input *input_open(const char *path, char *err, size_t errlen);
/* Next line without its newline, NUL-terminated; *len gets its length
 * (a NUL byte inside the line is kept: *len counts past it, callers that
 * use C strings check with memchr). NULL at end of file, on a read error
 * or a line over the record cap (see input_error, input_bad). */
const char *input_line(fs_input *in, size_t *len);
/* 1-based number of the line last returned. */
int64_t input_lineno(const fs_input *in);
/* Compressed bytes consumed so far, and the file's size (0 if unknown). */
int64_t input_pos(const fs_input *in);
int64_t input_size(const fs_input *in);
/* Non-NULL when reading stopped on an error. */
const char *input_error(const fs_input *in);
/* Non-NULL when reading stopped on bad input rather than a read error: the
 * whole message, "FILE:LINE: record: longer than N bytes (...)". */
const char *input_bad(const fs_input *in);

/* The record cap for every later read (lines and input_slurp), in bytes;
 * 0 restores the default (FS_INPUT_MAX_RECORD). */
#define FS_INPUT_MAX_RECORD ((size_t)256 << 20)
void input_set_max_record(size_t bytes);
size_t input_max_record(void);
const char *input_path(const fs_input *in);
void input_close(fs_input *in);

/* Read a whole file (gzip or plain) into memory; NULL and err on failure
 * (a file, or a .gz's content, over the record cap included: the message
 * is then "FILE: record: ..."). */
char *input_slurp(const char *path, size_t *len, char *err, size_t errlen);

#endif
