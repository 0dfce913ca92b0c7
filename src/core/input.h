/*
 * input.h: line-oriented reading of plain or gzip-compressed files (zlib
 * reads both transparently), with line numbers for error messages and a
 * byte position for progress. Lines may be arbitrarily long.
 */
#ifndef FS_INPUT_H
#define FS_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fs_input fs_input;

/* Open PATH ("-" is stdin). NULL and a message in err on failure. */
fs_input *input_open(const char *path, char *err, size_t errlen);
/* Next line without its newline, NUL-terminated; *len gets its length.
 * NULL at end of file or on a read error (see input_error). */
const char *input_line(fs_input *in, size_t *len);
/* 1-based number of the line last returned. */
int64_t input_lineno(const fs_input *in);
/* Compressed bytes consumed so far, and the file's size (0 if unknown). */
int64_t input_pos(const fs_input *in);
int64_t input_size(const fs_input *in);
/* Non-NULL when reading stopped on an error. */
const char *input_error(const fs_input *in);
const char *input_path(const fs_input *in);
void input_close(fs_input *in);

/* Read a whole file (gzip or plain) into memory; NULL and err on failure. */
char *input_slurp(const char *path, size_t *len, char *err, size_t errlen);

#endif
