/*
 * cliutil.h: small helpers shared by the query subcommands (cli.c,
 * cli_geom.c): opening an index with a one-line message, and printing a
 * JSON document the same way everywhere.
 */
#ifndef FS_CLIUTIL_H
#define FS_CLIUTIL_H

#include <jansson.h>

#include "index/index.h"

/* index_open, printing its message on failure (NULL then). */
fs_index *cli_open_index(const char *path);
/* Print j indented, ASCII-only, with a newline; releases j. */
void cli_print_json(json_t *j);

#endif
